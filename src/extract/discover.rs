//! Finding the extract's files: which file (or folder of Parquet parts) holds each table, in
//! which format, and whether it really is CSV or Parquet; the bounds X and E from extract.toml
//! (or guessed from the data); and the fingerprints of every input file for the manifest.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::dates::{self, Day};
use crate::error::Error;
use crate::hash::{self, files_under, hash_files, slashed, Hidden};
use crate::schema::{self as s, TableSpec, TABLES};
use crate::validation::ValidationReport;

use super::frame;

/// The optional file beside the tables that gives the extract's bounds (DATA.md).
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
        let mut parts = Vec::new();
        for file in files_under(path)? {
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

/// `extract_start` / `extract_end` from extract.toml, each `None` when not given.
pub fn read_extract_toml(
    dir: &Path,
    report: &mut ValidationReport,
) -> Result<(Option<Day>, Option<Day>), Error> {
    let path = dir.join(EXTRACT_TOML);
    if !path.is_file() {
        return Ok((None, None));
    }
    let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
    let table: toml::Table = match toml::from_str(&text) {
        Ok(t) => t,
        Err(e) => {
            report.file_problem(
                "extract",
                EXTRACT_TOML,
                &format!("is not valid TOML ({})", e.message()),
                "extract_start = YYYY-MM-DD, extract_end = YYYY-MM-DD, description = \"…\"".into(),
            );
            return Ok((None, None));
        }
    };
    let mut day = |key: &str| -> Option<Day> {
        let v = table.get(key)?;
        let d = v.as_datetime().and_then(dates::datetime_day);
        if d.is_none() {
            report.file_problem(
                "extract",
                EXTRACT_TOML,
                &format!("`{key}` = {v} is not a date"),
                format!("{key} = YYYY-MM-DD (a TOML date, unquoted)"),
            );
        }
        d
    };
    let bounds = (day("extract_start"), day("extract_end"));
    for key in table.keys() {
        if !["extract_start", "extract_end", "description"].contains(&key.as_str()) {
            report.warn(format!("{EXTRACT_TOML}: unknown key `{key}` ignored"));
        }
    }
    Ok(bounds)
}

/// X and E: as `given` by extract.toml, a missing one guessed from the read tables (with a
/// warning, since a guessed E may cut periods short). `None` after reporting why the extract
/// has no usable bounds: not guessable, or E before X.
pub fn bounds(
    given: (Option<Day>, Option<Day>),
    frames: &[Option<DataFrame>],
    report: &mut ValidationReport,
) -> PolarsResult<Option<(Day, Day)>> {
    let (x, e) = match given {
        (Some(x), Some(e)) => (x, e),
        (x, e) => {
            let (gx, ge) = guess_bounds(frames)?;
            let (Some(x), Some(e)) = (x.or(gx), e.or(ge)) else {
                report.file_problem(
                    "extract",
                    EXTRACT_TOML,
                    "cannot be guessed: benefit_periods has no usable start date",
                    "extract_start and extract_end in extract.toml".into(),
                );
                return Ok(None);
            };
            report.warn(format!(
                "no extract_start/extract_end in {EXTRACT_TOML}: guessed {}..{} from the data",
                dates::iso(x),
                dates::iso(e)
            ));
            (x, e)
        }
    };
    if e < x {
        report.file_problem(
            "extract",
            EXTRACT_TOML,
            &format!(
                "extract_end {} is before extract_start {}",
                dates::iso(e),
                dates::iso(x)
            ),
            "extract_start ≤ extract_end".into(),
        );
        return Ok(None);
    }
    Ok(Some((x, e)))
}

/// DATA.md: X = earliest benefit start; E = latest start, end or date in benefit_periods,
/// assessments, interventions and meetings.
fn guess_bounds(frames: &[Option<DataFrame>]) -> PolarsResult<(Option<Day>, Option<Day>)> {
    let day_of = |df: &DataFrame, e: Expr| -> PolarsResult<Option<Day>> {
        let out = df
            .clone()
            .lazy()
            .select([e.cast(DataType::Int32)])
            .collect()?;
        Ok(out.columns()[0].i32()?.get(0))
    };
    let x = match frame(frames, &s::BENEFIT_PERIODS) {
        Some(df) => day_of(df, col(s::START).min())?,
        None => None,
    };
    let mut e: Option<Day> = None;
    for (spec, cols) in [
        (&s::BENEFIT_PERIODS, &[s::START, s::END][..]),
        (&s::ASSESSMENTS, &[s::DATE][..]),
        (&s::INTERVENTIONS, &[s::START, s::END][..]),
        (&s::MEETINGS, &[s::DATE][..]),
    ] {
        if let Some(df) = frame(frames, spec) {
            for c in cols {
                e = e.max(day_of(df, col(*c).max())?);
            }
        }
    }
    Ok((x, e))
}

/// One file of the extract as the manifest lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputFile {
    /// Relative to the extract folder, `/`-separated.
    pub path: String,
    pub sha256: String,
    /// Data rows, for table files.
    pub rows: Option<u64>,
}

/// Every input file with its sha256 and (for the table files in `rows_per_file`) its data rows,
/// and `extract_sha256` over them all: the sha256 of the lines `path<TAB>sha256<LF>` sorted by
/// path (MEASURES.md §8). Hidden files are no input (see [`Hidden::Skip`]).
pub fn fingerprint(
    dir: &Path,
    rows_per_file: &[(String, u64)],
) -> Result<(Vec<InputFile>, String), Error> {
    let hashes = hash_files(dir, Hidden::Skip)?;
    let mut all = Sha256::new();
    for (path, sha) in &hashes {
        all.update(format!("{path}\t{sha}\n").as_bytes());
    }
    let sha256 = hash::hex(&all.finalize());
    let inputs = hashes
        .into_iter()
        .map(|(path, sha256)| {
            let rows = rows_per_file
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, n)| *n);
            InputFile { path, sha256, rows }
        })
        .collect();
    Ok((inputs, sha256))
}
