//! Writers: Parquet tables, charts, `index.html`, `manifest.json`. Each takes `&SafeTables`
//! only, so nothing unprotected reaches `reports/`. Where they may write is decided by
//! [`Target`] before any work; the report is built in a hidden sibling folder and swapped into
//! place in one step.

mod charts;
mod generator;
mod html;
mod manifest;
mod municipality;
mod parquet;
mod target;

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Period;
use crate::disclosure::SafeTables;
use crate::error::Error;
use crate::extract::InputFile;

pub use generator::VERSION;
pub use manifest::Manifest;
pub use municipality::Municipality;
pub use target::{Kind, Target};

pub const TABLES_DIR: &str = "tables";
pub const MANIFEST: &str = "manifest.json";
/// Everything a report folder holds at its top level, besides the municipality pages.
const REPORT_ENTRIES: [&str; 4] = [TABLES_DIR, charts::CHARTS_DIR, html::INDEX, MANIFEST];

/// True for a top-level entry a report folder holds: tables, charts, the pages, the manifest.
fn is_report_entry(name: &str) -> bool {
    REPORT_ENTRIES.contains(&name) || municipality::is_page(name)
}

/// Points where a run can be held (hidden flag `run --pause-at`) so that the crash-safety tests
/// can kill it there: while computing, after the first table is written, right before the
/// report is swapped in, and right after the swap before the previous report is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PausePoint {
    Compute,
    Tables,
    Swap,
    Swapped,
}

/// Writes person-level rows (`forloeb spells`, the case sample of `run --case-sample`) into the
/// hidden sibling `target` reserved: CSV when the target's file name ends in `.csv` (any case),
/// else Parquet. The only writer of person-level rows; `target` refused any path under
/// `reports/`. The file reaches its place only with [`PersonLevelFile::commit`], so a run can
/// write it before its report is swapped in and move it after; dropped uncommitted, it is
/// removed.
pub fn write_person_level(
    df: &mut polars::prelude::DataFrame,
    target: Target,
) -> Result<PersonLevelFile, Error> {
    if target.is_csv() {
        parquet::write_person_level_csv(df, target.building())?;
    } else {
        parquet::write_person_level(df, target.building())?;
    }
    Ok(PersonLevelFile(target))
}

/// A person-level file written in full beside its place, not yet moved there.
#[derive(Debug)]
pub struct PersonLevelFile(Target);

impl PersonLevelFile {
    /// Moves the file into place (replacing a file forloeb wrote); returns where it went.
    pub fn commit(self) -> Result<PathBuf, Error> {
        self.0.commit(|_| {})
    }
}

/// Holds the process at `here` when the run was asked to pause there: says so on stderr and
/// sleeps until it is killed.
pub fn pause(requested: Option<PausePoint>, here: PausePoint) {
    if requested == Some(here) {
        eprintln!("forloeb: paused at {here:?}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

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
    /// The report period, for the page's title. The manifest has it already as
    /// `configuration.period_start`/`period_end`, so it is not serialized a second time.
    #[serde(skip)]
    pub period: Period,
    /// The confidence of the intervals, for the pages' labels (in `configuration` too).
    #[serde(skip)]
    pub confidence: f64,
}

/// Writes every table, the charts, the pages (`index.html` and one per municipality in `pages`)
/// and then the manifest into the folder `target`
/// reserved, and swaps it in at the target's `--out`. Returns where the report is and its manifest.
pub fn write_all(
    safe: &SafeTables,
    info: &RunInfo,
    pages: &[Municipality],
    target: Target,
    pause: impl Fn(PausePoint),
) -> Result<(PathBuf, Manifest), Error> {
    let manifest = write_into(safe, info, pages, target.building(), &pause)?;
    let out = target.commit(pause)?;
    Ok((out, manifest))
}

fn write_into(
    safe: &SafeTables,
    info: &RunInfo,
    pages: &[Municipality],
    dir: &Path,
    pause: &impl Fn(PausePoint),
) -> Result<Manifest, Error> {
    let tables = dir.join(TABLES_DIR);
    fs::create_dir_all(&tables).map_err(Error::io(&tables))?;
    for (i, table) in safe.tables().iter().enumerate() {
        parquet::write(
            table,
            info,
            &tables.join(format!("{}.parquet", table.name())),
        )?;
        if i == 0 {
            pause(PausePoint::Tables);
        }
    }
    let charts = charts::write_all(safe, dir)?;
    html::write(safe, &charts, info, dir)?;
    for page in pages {
        municipality::write(safe, info, page, dir)?;
    }
    let manifest = Manifest::build(safe, info, dir)?;
    manifest.write(&dir.join(MANIFEST))?;
    Ok(manifest)
}
