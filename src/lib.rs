//! forloeb: duration, coverage and outcome statistics from Danish cash-benefit register extracts.
//!
//! [`run`] reads like the pipeline: load and validate the extract, build spells, compute the
//! measures, protect the tables, write the report.

pub mod cli;
pub mod config;
pub mod dates;
pub mod disclosure;
pub mod error;
pub mod extract;
pub mod intervals;
pub mod measures;
pub mod output;
pub mod reference;
pub mod schema;
pub mod spells;
pub mod stats;
pub mod status;
pub mod synth;
#[cfg(test)]
mod testing;

use std::path::PathBuf;

use polars::prelude::*;

pub use error::Error;

use config::{Config, Effective, Period};
use dates::Day;
use extract::{Extract, ValidationReport};
use output::{Manifest, RunInfo};
use reference::Reference;

/// The version written into every output.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What `forloeb run` was asked to do, flags already parsed.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    pub extract: PathBuf,
    pub peers: Option<PathBuf>,
    pub year: Option<i32>,
    pub period: Option<(Day, Day)>,
    pub config: Option<PathBuf>,
    pub out: Option<PathBuf>,
}

/// Where the report went and what it holds.
#[derive(Debug)]
pub struct RunOutcome {
    pub out: PathBuf,
    pub manifest: Manifest,
}

/// Everything computed for one report, before disclosure control.
pub struct Computed {
    pub extract: Extract,
    pub effective: Effective,
    pub spells: spells::Spells,
    pub tables: measures::Tables,
    pub report: ValidationReport,
}

/// The pipeline up to the unprotected tables: validate, cut at R, build spells, compute. For
/// tests and for checks inside a secure environment; nothing here is written anywhere.
pub fn compute(request: &RunRequest) -> Result<Computed, Error> {
    let (config, _) = Config::load(request.config.as_deref())?;
    let reference = Reference::load(request.peers.as_deref())?;
    let (extract, report) = extract::load(&request.extract)?;
    reference.check_covers(&municipalities(&extract)?)?;
    let period = Period::resolve(
        request.year,
        request.period,
        &config,
        extract.start,
        extract.end,
    )?;
    let effective = Effective::new(&config, period)?;

    let as_of_r = extract.as_of(period.end)?;
    let spells = spells::build(&as_of_r, &config)?;
    let tables = measures::compute(&as_of_r, &spells, &effective, &reference)?;
    Ok(Computed {
        extract,
        effective,
        spells,
        tables,
        report,
    })
}

/// The whole pipeline. Nothing is written unless every stage succeeds.
pub fn run(request: &RunRequest) -> Result<RunOutcome, Error> {
    let computed = compute(request)?;
    let safe = disclosure::apply(computed.tables, &computed.effective.config)?;
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(computed.effective.period.label()));
    let info = run_info(&computed.extract, &computed.effective, computed.report)?;
    let manifest = output::write_all(&safe, &info, &out)?;
    Ok(RunOutcome { out, manifest })
}

/// `forloeb validate`: the report of every violation plus the data-quality summary.
pub fn validate(extract_dir: &std::path::Path) -> Result<ValidationReport, Error> {
    Ok(extract::inspect(extract_dir)?.1)
}

/// Distinct municipality codes of the benefit periods.
fn municipalities(extract: &Extract) -> Result<Vec<i32>, Error> {
    let df = extract
        .benefit_periods
        .clone()
        .lazy()
        .select([col(schema::MUNICIPALITY)
            .unique()
            .sort(SortOptions::default())])
        .collect()?;
    Ok(df.columns()[0].i32()?.into_no_null_iter().collect())
}

fn run_info(
    extract: &Extract,
    effective: &Effective,
    report: ValidationReport,
) -> Result<RunInfo, Error> {
    let mut configuration = serde_json::to_value(&effective.config)
        .map_err(|e| Error::Request(format!("configuration cannot be written as JSON: {e}")))?;
    configuration["period_start"] = dates::iso(effective.period.start).into();
    configuration["period_end"] = dates::iso(effective.period.end).into();
    Ok(RunInfo {
        version: VERSION.to_owned(),
        config_sha256: effective.sha256()?,
        configuration,
        extract_sha256: extract.sha256.clone(),
        extract_start: dates::iso(extract.start),
        extract_end: dates::iso(extract.end),
        inputs: extract.inputs.clone(),
        warnings: report.warnings,
    })
}
