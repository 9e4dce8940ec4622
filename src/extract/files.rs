//! Finding the tables of an extract folder: which file (or folder of Parquet parts) holds each
//! table, in which format, and whether it really is CSV or Parquet.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::config::hex;
use crate::error::Error;
use crate::schema::{TableSpec, TABLES};

use super::validate::ValidationReport;

pub const EXTRACT_TOML: &str = "extract.toml";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
}

/// One physical file holding (part of) a table.
#[derive(Debug, Clone)]
pub struct Part {
    /// Absolute or caller-relative path to open.
    pub path: PathBuf,
    /// Path relative to the extract folder, `/`-separated: what messages and the manifest show.
    pub rel: String,
    pub format: Format,
    /// Hive partition columns taken from the folder names (`key=value`), in path order.
    pub hive: Vec<(String, String)>,
}

/// Where one table lives.
#[derive(Debug, Clone)]
pub struct Source {
    pub spec: TableSpec,
    pub parts: Vec<Part>,
}

/// Locates every table; file-level problems (missing, two forms, not CSV/Parquet) go into
/// `report`. A table with a problem gets no source.
pub fn discover(dir: &Path, report: &mut ValidationReport) -> Result<Vec<Source>, Error> {
    if !dir.is_dir() {
        return Err(Error::Request(format!(
            "{}: no such folder; expected an extract folder (see docs/DATA.md)",
            dir.display()
        )));
    }
    let mut entries: Vec<(String, PathBuf)> = fs::read_dir(dir)
        .map_err(Error::io(dir))?
        .map(|e| e.map(|e| (e.file_name().to_string_lossy().into_owned(), e.path())))
        .collect::<Result<_, _>>()
        .map_err(Error::io(dir))?;
    entries.sort();
    let mut sources = Vec::new();
    for spec in TABLES {
        let forms: Vec<&(String, PathBuf)> = entries
            .iter()
            .filter(|(name, _)| name == spec.name || stem(name) == Some(spec.name))
            .collect();
        match forms.as_slice() {
            [] => report.file_problem(
                spec.name,
                spec.name,
                "no file for this table",
                format!(
                    "{0}.csv, {0}.parquet or a folder {0}/ of Parquet files",
                    spec.name
                ),
            ),
            [(name, path)] => {
                if let Some(parts) = parts_of(spec.name, name, path, report)? {
                    sources.push(Source { spec, parts });
                }
            }
            many => {
                let names: Vec<&str> = many.iter().map(|(n, _)| n.as_str()).collect();
                report.file_problem(
                    spec.name,
                    &names.join(", "),
                    "the table is given in more than one form",
                    "one form per table: a CSV file, a Parquet file or a folder of Parquet files"
                        .into(),
                );
            }
        }
    }
    for (name, _) in &entries {
        let known = name == EXTRACT_TOML
            || name.starts_with('.')
            || TABLES
                .iter()
                .any(|t| name == t.name || stem(name) == Some(t.name));
        if !known {
            report.warn(format!("{name}: not a table of the contract; ignored"));
        }
    }
    Ok(sources)
}

fn stem(name: &str) -> Option<&str> {
    name.rsplit_once('.').map(|(s, _)| s)
}

/// The parts of one table entry, or `None` after reporting why it cannot be read.
fn parts_of(
    table: &'static str,
    name: &str,
    path: &Path,
    report: &mut ValidationReport,
) -> Result<Option<Vec<Part>>, Error> {
    let expected = || format!("{table}.csv (UTF-8 CSV) or {table}.parquet (Parquet)");
    if path.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut files)?;
        files.sort();
        let mut parts = Vec::new();
        for file in files {
            let rel_in = file.strip_prefix(path).unwrap_or(&file);
            let rel = format!("{name}/{}", slashed(rel_in));
            let file_name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // Spark and Hadoop leave marker files (_SUCCESS, .crc) beside the parts.
            if file_name.starts_with('_') || file_name.starts_with('.') {
                continue;
            }
            if !sniff_parquet(&file)? {
                report.file_problem(
                    table,
                    &rel,
                    "is not a Parquet file",
                    format!("only Parquet files inside the folder {name}/"),
                );
                return Ok(None);
            }
            let hive = rel_in
                .parent()
                .map(|p| {
                    p.components()
                        .filter_map(|c| {
                            let c = c.as_os_str().to_string_lossy();
                            c.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            parts.push(Part {
                path: file,
                rel,
                format: Format::Parquet,
                hive,
            });
        }
        if parts.is_empty() {
            report.file_problem(
                table,
                &format!("{name}/"),
                "holds no Parquet file",
                "at least one Parquet file in the folder".into(),
            );
            return Ok(None);
        }
        return Ok(Some(parts));
    }
    let format = match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("csv") if sniff_text(path)? => Format::Csv,
        Some("parquet") if sniff_parquet(path)? => Format::Parquet,
        Some("csv") => {
            report.file_problem(
                table,
                name,
                "is not a CSV file (binary content)",
                expected(),
            );
            return Ok(None);
        }
        Some("parquet") => {
            report.file_problem(
                table,
                name,
                "is not a Parquet file (no PAR1 magic bytes)",
                expected(),
            );
            return Ok(None);
        }
        _ => {
            report.file_problem(table, name, "is neither CSV nor Parquet", expected());
            return Ok(None);
        }
    };
    Ok(Some(vec![Part {
        path: path.to_path_buf(),
        rel: name.to_owned(),
        format,
        hive: Vec::new(),
    }]))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    for entry in fs::read_dir(dir).map_err(Error::io(dir))? {
        let path = entry.map_err(Error::io(dir))?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn slashed(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// A CSV must be text: no NUL byte and valid UTF-8 in its first 64 KiB.
fn sniff_text(path: &Path) -> Result<bool, Error> {
    let mut buf = Vec::with_capacity(1 << 16);
    fs::File::open(path)
        .and_then(|f| f.take(1 << 16).read_to_end(&mut buf))
        .map_err(Error::io(path))?;
    if buf.contains(&0) {
        return Ok(false);
    }
    Ok(match std::str::from_utf8(&buf) {
        Ok(_) => true,
        // A multi-byte character cut by the 64 KiB window is not an encoding error.
        Err(e) => e.error_len().is_none(),
    })
}

/// A Parquet file starts and ends with the magic bytes `PAR1`.
fn sniff_parquet(path: &Path) -> Result<bool, Error> {
    use std::io::{Seek, SeekFrom};
    let mut f = fs::File::open(path).map_err(Error::io(path))?;
    let len = f.metadata().map_err(Error::io(path))?.len();
    if len < 12 {
        return Ok(false);
    }
    let (mut head, mut tail) = ([0u8; 4], [0u8; 4]);
    f.read_exact(&mut head)
        .and_then(|_| f.seek(SeekFrom::End(-4)))
        .and_then(|_| f.read_exact(&mut tail))
        .map_err(Error::io(path))?;
    Ok(&head == b"PAR1" && &tail == b"PAR1")
}

/// Every file of the extract with its sha256, sorted by relative path (MEASURES.md §8).
pub fn hash_all(dir: &Path) -> Result<Vec<(String, String)>, Error> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    let mut hashed: Vec<(String, String)> = files
        .par_iter()
        .filter(|p| {
            !p.strip_prefix(dir)
                .unwrap_or(p)
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        })
        .map(|p| {
            let mut hasher = Sha256::new();
            let mut f = fs::File::open(p).map_err(Error::io(p))?;
            std::io::copy(&mut f, &mut hasher).map_err(Error::io(p))?;
            Ok((
                slashed(p.strip_prefix(dir).unwrap_or(p)),
                hex(&hasher.finalize()),
            ))
        })
        .collect::<Result<_, Error>>()?;
    hashed.sort();
    Ok(hashed)
}

/// `extract_sha256`: sha256 of the lines `path<TAB>sha256<LF>` sorted by path.
pub fn extract_sha256(hashes: &[(String, String)]) -> String {
    let mut h = Sha256::new();
    for (path, sha) in hashes {
        h.update(format!("{path}\t{sha}\n").as_bytes());
    }
    hex(&h.finalize())
}
