//! `manifest.json`: version, effective configuration, inputs and outputs with sha256, rows,
//! suppression counts and warnings. No timestamps, so a rerun is byte-identical.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::Serialize;

use crate::disclosure::{SafeTables, Suppression};
use crate::error::Error;
use crate::hash::{hash_files, Hidden};

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
        let outputs = hash_files(dir, Hidden::List)?
            .into_iter()
            .map(|(path, sha256)| {
                let rows = safe
                    .tables()
                    .iter()
                    .find(|t| path == format!("{}/{}.parquet", super::TABLES_DIR, t.name()))
                    .map(|t| t.df().height() as u64);
                OutputFile { path, sha256, rows }
            })
            .collect();
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
