//! `manifest.json`: version, effective configuration, inputs and outputs with sha256, rows,
//! suppression counts and warnings. No timestamps, so a rerun is byte-identical.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::hex;
use crate::disclosure::{SafeTables, Suppression};
use crate::error::Error;

use super::RunInfo;

#[derive(Debug, Clone, Serialize)]
pub struct OutputFile {
    /// Relative to the report folder.
    pub path: String,
    pub sha256: String,
    pub rows: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// Always `forloeb`: marks the folder as a report a later run may replace.
    pub generator: &'static str,
    #[serde(flatten)]
    pub run: RunInfo,
    pub outputs: Vec<OutputFile>,
    /// Per table: rows with a suppressed value, and the cells hidden by the primary and the
    /// secondary rules among the cells that enter the relations of MEASURES.md §7.
    pub suppressed: BTreeMap<String, Suppression>,
    /// Measures not computed for this report, and why.
    pub not_computed: Vec<String>,
}

impl Manifest {
    /// Lists every file already written under `dir` (tables, charts) with its sha256.
    pub fn build(safe: &SafeTables, info: &RunInfo, dir: &Path) -> Result<Manifest, Error> {
        let mut files = Vec::new();
        walk(dir, dir, &mut files)?;
        let mut outputs = Vec::new();
        for rel in files {
            let path = dir.join(&rel);
            let bytes = fs::read(&path).map_err(Error::io(&path))?;
            let rows = safe
                .tables()
                .iter()
                .find(|t| rel == format!("{}/{}.parquet", super::TABLES_DIR, t.name()))
                .map(|t| t.df().height() as u64);
            outputs.push(OutputFile {
                path: rel,
                sha256: hex(&Sha256::digest(&bytes)),
                rows,
            });
        }
        Ok(Manifest {
            generator: super::generator::GENERATOR,
            run: info.clone(),
            outputs,
            suppressed: safe
                .suppressed()
                .iter()
                .map(|(t, n)| (t.name().to_owned(), *n))
                .collect(),
            not_computed: safe.notes().to_vec(),
        })
    }

    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::Internal(format!("manifest cannot be written: {e}")))?;
        text.push('\n');
        fs::write(path, text).map_err(Error::io(path))
    }
}

/// Relative `/`-separated paths of every file under `dir`, sorted.
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<(), Error> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(Error::io(dir))?
        .collect::<Result<_, _>>()
        .map_err(Error::io(dir))?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    out.sort();
    Ok(())
}
