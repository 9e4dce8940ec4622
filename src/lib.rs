//! forloeb: duration, coverage and outcome statistics from Danish cash-benefit register extracts.
//!
//! [`run`] reads like the pipeline: load and validate the extract, build spells, compute the
//! measures, protect the tables, write the report.

pub mod bench;
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

pub use bench::Stopwatch;
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

/// What the manifest records about the extract; the tables themselves are dropped once the
/// report's view (`Extract::as_of`) is built, so they do not occupy memory during the run.
#[derive(Debug, Clone)]
pub struct Source {
    pub start: Day,
    pub end: Day,
    pub inputs: Vec<extract::InputFile>,
    pub sha256: String,
}

/// Everything computed for one report, before disclosure control.
pub struct Computed {
    pub source: Source,
    pub effective: Effective,
    pub spells: spells::Spells,
    pub tables: measures::Tables,
    pub report: ValidationReport,
}

/// The validated extract cut at R and its spells: the first stages every command shares.
struct Prepared {
    reference: Reference,
    source: Source,
    report: ValidationReport,
    effective: Effective,
    as_of_r: Extract,
    spells: spells::Spells,
}

fn prepare(request: &RunRequest, watch: &mut Stopwatch) -> Result<Prepared, Error> {
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
    watch.lap("load and validate");

    let as_of_r = extract.as_of(period.end)?;
    let source = Source {
        start: extract.start,
        end: extract.end,
        inputs: extract.inputs,
        sha256: extract.sha256,
    };
    let spells = spells::build(&as_of_r, &config)?;
    watch.lap("as of R, spells");
    Ok(Prepared {
        reference,
        source,
        report,
        effective,
        as_of_r,
        spells,
    })
}

/// The pipeline up to the unprotected tables: validate, cut at R, build spells, compute. For
/// tests and for checks inside a secure environment; nothing here is written anywhere.
pub fn compute(request: &RunRequest, watch: &mut Stopwatch) -> Result<Computed, Error> {
    let p = prepare(request, watch)?;
    let tables = measures::compute(&p.as_of_r, &p.spells, &p.effective, &p.reference, watch)?;
    Ok(Computed {
        source: p.source,
        effective: p.effective,
        spells: p.spells,
        tables,
        report: p.report,
    })
}

/// `forloeb spells`: writes the spells of a report (person-level) to `out`, which must not lie
/// under a `reports` folder. Returns the number of spells.
pub fn export_spells(request: &RunRequest, out: &std::path::Path) -> Result<usize, Error> {
    if out.components().any(|c| c.as_os_str() == "reports") {
        return Err(Error::Request(format!(
            "{}: person-level spells are never written under reports/; choose another path",
            out.display()
        )));
    }
    let p = prepare(request, &mut Stopwatch::default())?;
    // The text id the extract used, not the internal integer.
    let mut df = p
        .as_of_r
        .with_text_ids(p.spells.df.lazy())
        .with_columns([
            col(schema::spell::SPELL_START).cast(DataType::Date),
            col(schema::spell::SPELL_END).cast(DataType::Date),
        ])
        .collect()?;
    let file = std::fs::File::create(out).map_err(Error::io(out))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut df)?;
    Ok(df.height())
}

/// The whole pipeline. Nothing is written unless every stage succeeds.
pub fn run(request: &RunRequest, watch: &mut Stopwatch) -> Result<RunOutcome, Error> {
    let computed = compute(request, watch)?;
    let safe = disclosure::apply(computed.tables, &computed.effective.config)?;
    watch.lap("disclosure");
    let out = request
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(computed.effective.period.label()));
    let info = run_info(&computed.source, &computed.effective, computed.report)?;
    let manifest = output::write_all(&safe, &info, &out)?;
    watch.lap("write tables, charts, manifest");
    Ok(RunOutcome { out, manifest })
}

/// `forloeb validate`: the report of every violation plus the data-quality summary.
/// With `peers`, the peer-group file is checked against the extract as `run` would.
pub fn validate(
    extract_dir: &std::path::Path,
    peers: Option<&std::path::Path>,
) -> Result<ValidationReport, Error> {
    let (extract, report) = extract::inspect(extract_dir)?;
    if let (Some(extract), Some(peers)) = (extract, peers) {
        Reference::load(Some(peers))?.check_covers(&municipalities(&extract)?)?;
    }
    Ok(report)
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
    source: &Source,
    effective: &Effective,
    report: ValidationReport,
) -> Result<RunInfo, Error> {
    let mut configuration = serde_json::to_value(&effective.config)
        .map_err(|e| Error::Internal(format!("configuration cannot be written as JSON: {e}")))?;
    configuration["period_start"] = dates::iso(effective.period.start).into();
    configuration["period_end"] = dates::iso(effective.period.end).into();
    Ok(RunInfo {
        version: VERSION.to_owned(),
        config_sha256: effective.sha256()?,
        configuration,
        extract_sha256: source.sha256.clone(),
        extract_start: dates::iso(source.start),
        extract_end: dates::iso(source.end),
        inputs: source.inputs.clone(),
        warnings: report.warnings,
    })
}
