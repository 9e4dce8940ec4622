//! Writers: Parquet tables, charts, `index.html`, `manifest.json`. Each takes `&SafeTables` only, so nothing unprotected reaches `reports/`. The
//! report is built in a temporary sibling folder and swapped into place in one step.

mod charts;
mod html;
mod manifest;
mod parquet;

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::disclosure::SafeTables;
use crate::error::Error;
use crate::extract::InputFile;

pub use manifest::Manifest;

pub const TABLES_DIR: &str = "tables";
pub const MANIFEST: &str = "manifest.json";

/// What every output records about the run that made it.
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    pub version: String,
    pub config_sha256: String,
    /// The effective configuration (MEASURES.md §0), keys sorted.
    pub configuration: serde_json::Value,
    pub extract_sha256: String,
    pub extract_start: String,
    pub extract_end: String,
    pub inputs: Vec<InputFile>,
    pub warnings: Vec<String>,
}

/// Writes every table, then the manifest, into a temporary sibling of `out` and swaps it in.
/// Returns the manifest.
pub fn write_all(safe: &SafeTables, info: &RunInfo, out: &Path) -> Result<Manifest, Error> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(Error::io(&parent))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Request(format!("{}: not a folder name", out.display())))?;
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(Error::io(&tmp))?;
    }
    let result = write_into(safe, info, &tmp).and_then(|m| swap_in(&tmp, out).map(|()| m));
    if result.is_err() && tmp.exists() {
        // Best effort: the error that matters is the one being returned.
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}

fn write_into(safe: &SafeTables, info: &RunInfo, dir: &Path) -> Result<Manifest, Error> {
    let tables = dir.join(TABLES_DIR);
    fs::create_dir_all(&tables).map_err(Error::io(&tables))?;
    for table in safe.tables() {
        parquet::write(table, info, &tables.join(format!("{}.parquet", table.name)))?;
    }
    charts::write_all(safe, dir)?;
    html::write(safe, info, dir)?;
    let manifest = Manifest::build(safe, info, dir)?;
    manifest.write(&dir.join(MANIFEST))?;
    Ok(manifest)
}

/// Puts `tmp` at `out`: an atomic exchange when `out` exists (renameat2 RENAME_EXCHANGE, or a
/// rename aside where the file system lacks it), a plain rename otherwise; then removes the old
/// report. A run killed at any moment leaves the old report or the new one, never a mix.
fn swap_in(tmp: &Path, out: &Path) -> Result<(), Error> {
    if !out.exists() {
        return fs::rename(tmp, out).map_err(Error::io(out));
    }
    if exchange(tmp, out).is_err() {
        let aside = tmp.with_extension("old");
        fs::rename(out, &aside).map_err(Error::io(out))?;
        fs::rename(tmp, out).map_err(Error::io(out))?;
        return fs::remove_dir_all(&aside).map_err(Error::io(&aside));
    }
    // After the exchange `tmp` holds the previous report.
    fs::remove_dir_all(tmp).map_err(Error::io(tmp))
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both arguments are valid NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}
