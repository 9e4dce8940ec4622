//! Extract ingest: find the six tables (CSV, Parquet or folders of Parquet, mixed), read them
//! into Polars with the contract's types, check every rule of DATA.md and hand over a typed
//! [`Extract`] — or a [`ValidationReport`] listing every violation.
//!
//! The steps, one module each: `discover` (files, extract.toml, input fingerprints), `read`
//! (one part file into the contract's dtypes), `validate` (rules across rows and tables),
//! `summary` (the data-quality summary) and `as_of` (the view of a report on its reference
//! date R).

mod as_of;
mod codes;
mod discover;
mod ids;
mod read;
mod rows;
mod summary;
mod validate;

use std::path::Path;

use polars::prelude::*;

use crate::dates::Day;
use crate::error::Error;
use crate::schema::{TableSpec, TABLES};

pub use crate::validation::{Finding, ValidationReport, Warning};
pub use as_of::{at_person, of_person};
pub use discover::{InputFile, EXTRACT_TOML};

use rows::Origin;

/// A validated extract. Columns per DATA.md with the contract's dtypes (dates as Polars `Date`,
/// `birth_year` and `municipality` Int32, hours Float64); optional columns are always present
/// (null where absent from the files). Two differences keep it small:
/// - `person_id` is already the dense UInt32 of `as_of` (the rank of the text id among the
///   persons), in every table; `persons` keeps the text id as `person_key`;
/// - coded text columns are one-byte positions in their sorted code list (`codes`); `as_of`
///   makes them Enums of that list (text again in `persons`).
#[derive(Debug, Clone)]
pub struct Extract {
    pub persons: DataFrame,
    pub benefit_periods: DataFrame,
    pub assessments: DataFrame,
    pub interventions: DataFrame,
    pub meetings: DataFrame,
    pub paid_hours: DataFrame,
    /// X: first day the registers cover.
    pub start: Day,
    /// E: last day covered (R after `as_of`).
    pub end: Day,
    pub inputs: Vec<InputFile>,
    /// sha256 over every input file (MEASURES.md §8 `extract_sha256`).
    pub sha256: String,
}

/// Reads and validates `dir` as `forloeb validate` does: the extract when it is valid, and the
/// report with the data-quality summary either way.
pub fn inspect(dir: &Path) -> Result<(Option<Extract>, ValidationReport), Error> {
    examine(dir, Summary::Build)
}

/// Whether [`examine`] builds the data-quality summary. Only `forloeb validate` prints it; a run
/// skips it (on 1M persons 0.8 s, most of it a sort of the benefit periods on four columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Summary {
    Build,
    Skip,
}

/// Reads and validates `dir`. Returns the extract when it is valid (with the report's warnings
/// and, when asked for, summary), else the report alone.
///
/// Every step runs even after an earlier one found problems, so that one `forloeb validate`
/// lists everything to fix; only what cannot be checked without a table or the bounds is
/// skipped. Findings and warnings keep the order of the steps.
fn examine(dir: &Path, summary: Summary) -> Result<(Option<Extract>, ValidationReport), Error> {
    let mut report = ValidationReport::default();
    let sources = discover::discover(dir, &mut report)?;
    let given = discover::read_extract_toml(dir, &mut report)?;
    let mut frames: Vec<Option<DataFrame>> = vec![None; TABLES.len()];
    // Per table, where its rows came from.
    let mut origins: Vec<Origin> = vec![Origin::default(); TABLES.len()];
    // Per table, its rows whose person_id is not one of persons (listed among the row rules).
    let mut unknown: Vec<Vec<Finding>> = vec![Vec::new(); TABLES.len()];
    let mut rows_per_file: Vec<(String, u64)> = Vec::new();
    // The persons' text ids and integer ids, once persons is read: every other table's ids are
    // looked up in it.
    let mut keys: Option<DataFrame> = None;
    for source in &sources {
        let mut parts = Vec::new();
        for part in &source.parts {
            if let Some(df) = read::read_part(source.spec, part, &mut report)? {
                rows_per_file.push((part.rel.clone(), df.height() as u64));
                parts.push(df);
            }
        }
        if parts.len() < source.parts.len() {
            continue;
        }
        let i = table_index(source.spec.name);
        let heights: Vec<u64> = parts.iter().map(|p| p.height() as u64).collect();
        origins[i] = Origin::new(
            source.parts.iter().map(|p| p.rel.clone()).collect(),
            &heights,
        );
        let df = concat_parts(parts, &source.spec)?;
        let df = match (i, &keys) {
            (0, _) => {
                let persons = ids::number_persons(df)?;
                keys = Some(ids::person_keys(&persons)?);
                persons
            }
            (_, Some(keys)) => {
                let (df, findings) = ids::number_rows(df, keys, source.spec, &origins[i])?;
                unknown[i] = findings;
                df
            }
            (_, None) => df,
        };
        frames[i] = Some(df);
    }
    let Some((x, e)) = discover::bounds(given, &frames, &mut report)? else {
        return Ok((None, report));
    };
    validate::check_rows(&frames, &origins, unknown, e, &mut report)?;
    if summary == Summary::Build && frames.iter().all(Option::is_some) {
        summary::summarise(&frames, &mut report)?;
    }
    if !report.is_valid() {
        return Ok((None, report));
    }
    let (inputs, sha256) = discover::fingerprint(dir, &rows_per_file)?;
    let mut tables = frames
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Error::Internal("a table is missing".into()))?
        .into_iter();
    let mut next = || tables.next().unwrap_or_default();
    let extract = Extract {
        persons: next(),
        benefit_periods: next(),
        assessments: next(),
        interventions: next(),
        meetings: next(),
        paid_hours: next(),
        start: x,
        end: e,
        inputs,
        sha256,
    };
    Ok((Some(extract), report))
}

/// The parts of a table one after the other. A coded column stays encoded only where every
/// part could encode it; otherwise it is text in all of them.
fn concat_parts(mut parts: Vec<DataFrame>, spec: &TableSpec) -> PolarsResult<DataFrame> {
    if parts.len() == 1 {
        return Ok(parts.remove(0));
    }
    let mixed = parts.iter().any(|p| {
        p.columns()
            .iter()
            .any(|c| c.dtype() != parts[0].column(c.name()).map_or(c.dtype(), |f| f.dtype()))
    });
    concat(
        parts
            .into_iter()
            .map(|p| match mixed {
                true => {
                    let text = codes::as_text(&p, spec);
                    p.lazy().select(text)
                }
                false => p.lazy(),
            })
            .collect::<Vec<_>>(),
        UnionArgs::default(),
    )?
    .collect()
}

/// Reads and validates `dir` for a run (without the data-quality summary, which only
/// `forloeb validate` prints); an invalid extract is an error carrying the whole report.
pub fn load(dir: &Path) -> Result<(Extract, ValidationReport), Error> {
    match examine(dir, Summary::Skip)? {
        (Some(extract), report) => Ok((extract, report)),
        (None, report) => Err(Error::InvalidExtract(Box::new(report))),
    }
}

/// Marks column `key` of `df` sorted when its values ascend without nulls (one pass over the
/// column, made one chunk), so that a sort on it leaves it as it is and a group-by on it takes
/// runs of rows; returns whether it does. Registers are mostly written person by person and
/// date by date, so keys packed from those usually ascend already.
fn flag_if_sorted(df: &mut DataFrame, key: &str) -> PolarsResult<bool> {
    df.rechunk_mut_par();
    let column = df.column(key)?.as_materialized_series();
    let sorted = column.null_count() == 0 && column.is_sorted(SortOptions::default())?;
    if sorted {
        df.apply(key, |c| {
            let mut c = c.clone();
            c.set_sorted_flag(polars::series::IsSorted::Ascending);
            c
        })?;
    }
    Ok(sorted)
}

/// Position of a table in [`TABLES`], the order of the frames during ingest. Only the names of
/// [`TABLES`] are ever passed.
fn table_index(name: &str) -> usize {
    TABLES.iter().position(|t| t.name == name).unwrap_or(0)
}

/// The frame of a table, when it could be read.
fn frame<'a>(frames: &'a [Option<DataFrame>], spec: &TableSpec) -> Option<&'a DataFrame> {
    frames[table_index(spec.name)].as_ref()
}
