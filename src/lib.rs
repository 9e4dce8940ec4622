//! forloeb: duration, coverage and outcome statistics from Danish cash-benefit register extracts.
//!
//! [`run`] reads like the pipeline: load and validate the extract, build spells, compute the
//! measures, protect the tables, write the report.

pub mod alloc;
pub mod bench;
pub mod case_sample;
pub mod cli;
pub mod config;
pub mod dates;
pub mod disclosure;
pub mod error;
pub mod extract;
pub mod hash;
pub mod intervals;
pub mod live;
pub mod measures;
pub mod output;
pub mod reference;
pub mod rss;
pub mod schema;
pub mod spells;
pub mod stage;
pub mod stats;
pub mod status;
pub mod synth;
#[cfg(test)]
mod testing;
pub mod validation;

use std::path::{Path, PathBuf};

use polars::prelude::*;

pub use error::Error;

use config::{Config, Effective, Period};
use dates::Day;
use extract::{Extract, ValidationReport};
use output::{Manifest, PausePoint, RunInfo, Target};
use reference::Reference;
use stage::staged;
pub use stage::{Progress, Stage};

pub use output::VERSION;

/// What `forloeb run` was asked to do, flags already parsed.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    pub extract: PathBuf,
    pub peers: Option<PathBuf>,
    pub year: Option<i32>,
    pub period: Option<(Day, Day)>,
    pub config: Option<PathBuf>,
    pub out: Option<PathBuf>,
    /// Also draw the case sample (MEASURES.md §5) into this file.
    pub case_sample: Option<CaseSampleRequest>,
    /// Municipalities (codes) that get a page of their own in the report.
    pub municipalities: Vec<i32>,
    /// Hold the run at this point until it is killed (crash-safety tests only).
    pub pause_at: Option<PausePoint>,
}

/// `run --case-sample`: the person-level file to write (outside `reports/`, the extract and the
/// report folder) and the size of the draw.
#[derive(Debug, Clone)]
pub struct CaseSampleRequest {
    pub out: PathBuf,
    pub size: case_sample::Size,
}

/// Where the report went and what it holds.
#[derive(Debug)]
pub struct RunOutcome {
    pub out: PathBuf,
    pub manifest: Manifest,
    pub case_sample: Option<CaseSampleOutcome>,
}

/// Where the case sample went: its file, persons and municipalities.
#[derive(Debug)]
pub struct CaseSampleOutcome {
    pub out: PathBuf,
    pub persons: usize,
    pub municipalities: usize,
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

fn prepare(request: &RunRequest, progress: &mut dyn Progress) -> Result<Prepared, Error> {
    let (config, _) = Config::load(request.config.as_deref())?;
    let reference = Reference::load(request.peers.as_deref())?;
    reference.check_known(&request.municipalities)?;
    let (extract, report, effective) = staged(progress, Stage::LoadValidate, || {
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
        Ok::<_, Error>((extract, report, effective))
    })?;
    let source = Source {
        start: extract.start,
        end: extract.end,
        inputs: extract.inputs.clone(),
        sha256: extract.sha256.clone(),
    };
    let (as_of_r, spells) = staged(progress, Stage::Spells, || {
        let as_of_r = extract.into_as_of(effective.period.end)?;
        let spells = spells::build(&as_of_r, &config)?;
        Ok::<_, Error>((as_of_r, spells))
    })?;
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
pub fn compute(request: &RunRequest, progress: &mut dyn Progress) -> Result<Computed, Error> {
    let p = prepare(request, progress)?;
    let tables = measures::compute(p.as_of_r, &p.spells, &p.effective, &p.reference, progress)?;
    Ok(Computed {
        source: p.source,
        effective: p.effective,
        spells: p.spells,
        tables,
        report: p.report,
    })
}

/// `forloeb spells`: writes the spells of a report (person-level) to `out`, which must be a new
/// file or one forloeb wrote, outside `reports/` and the extract (see [`output::Target`]).
/// Returns where they went and the number of spells.
pub fn export_spells(request: &RunRequest, out: &Path) -> Result<(PathBuf, usize), Error> {
    let target = Target::claim(out, &request.extract, output::Kind::PersonLevel)?;
    let p = prepare(request, &mut ())?;
    // The text id the extract used, not the internal integer.
    let mut df = p
        .as_of_r
        .with_text_ids(p.spells.df.lazy())
        .with_columns([
            col(schema::spell::SPELL_START).cast(DataType::Date),
            col(schema::spell::SPELL_END).cast(DataType::Date),
        ])
        .collect()?;
    let out = output::write_person_level(&mut df, target)?.commit()?;
    Ok((out, df.height()))
}

/// The whole pipeline. An explicit `--out` and a `--case-sample` file are checked before any
/// work, the default `reports/<label>` as soon as the period is known; nothing is written
/// unless every stage succeeds.
///
/// The case sample is drawn and written in full into its hidden sibling before the report is
/// swapped in, and moved into place right after the swap: a failure before the swap leaves
/// neither (the sibling is removed), and the case sample never appears without its report.
pub fn run(request: &RunRequest, progress: &mut dyn Progress) -> Result<RunOutcome, Error> {
    let claim = |out: &Path| Target::claim(out, &request.extract, output::Kind::Report);
    let early = request.out.as_deref().map(claim).transpose()?;
    let case_target = match &request.case_sample {
        Some(case) => {
            if let Some(report) = &early {
                report.refuse_inside(&case.out)?;
            }
            let kind = output::Kind::PersonLevel;
            Some((Target::claim(&case.out, &request.extract, kind)?, case.size))
        }
        None => None,
    };
    let p = prepare(request, progress)?;
    let target = match early {
        Some(target) => target,
        None => claim(&PathBuf::from("reports").join(p.effective.period.label()))?,
    };
    let pause = |here| output::pause(request.pause_at, here);
    pause(PausePoint::Compute);
    // Drawn before the measures, which take the extract and free its tables as they go; it is
    // written after disclosure, as before.
    let drawn = case_target
        .map(|(target, size)| {
            case_sample::draw(&p.as_of_r, &p.spells, &p.effective.config, size)
                .map(|drawn| (target, drawn))
                .map_err(|e| e.in_stage(case_sample::STAGE))
        })
        .transpose()?;
    let tables = measures::compute(p.as_of_r, &p.spells, &p.effective, &p.reference, progress)?;
    let safe = staged(progress, Stage::Disclosure, || {
        let hierarchy = disclosure::Hierarchy::new(&p.reference)?;
        disclosure::apply(tables, &p.effective.config, &hierarchy)
    })?;
    let case = drawn
        .map(|(target, drawn)| {
            let mut df = drawn.df;
            let file = output::write_person_level(&mut df, target)?;
            Ok::<_, Error>((file, df.height(), drawn.municipalities))
        })
        .transpose()?;
    let (out, manifest) = staged(progress, Stage::Write, || {
        let info = run_info(&p.source, &p.effective, p.report)?;
        let pages = pages(&p.reference, &request.municipalities)?;
        output::write_all(&safe, &info, &pages, target, pause)
    })?;
    let case_sample = case
        .map(|(file, persons, municipalities)| {
            Ok::<_, Error>(CaseSampleOutcome {
                out: file.commit()?,
                persons,
                municipalities,
            })
        })
        .transpose()?;
    Ok(RunOutcome {
        out,
        manifest,
        case_sample,
    })
}

/// `forloeb validate`: the report of every violation plus the data-quality summary.
/// With `peers`, the peer-group file is checked against the extract as `run` would.
pub fn validate(extract_dir: &Path, peers: Option<&Path>) -> Result<ValidationReport, Error> {
    let (extract, report) = extract::inspect(extract_dir)?;
    if let (Some(extract), Some(peers)) = (extract, peers) {
        Reference::load(Some(peers))?.check_covers(&municipalities(&extract)?)?;
    }
    Ok(report)
}

/// The municipalities asked for with `--municipality`, each once, in code order (codes were
/// checked against the reference before any work).
fn pages(reference: &Reference, codes: &[i32]) -> Result<Vec<output::Municipality>, Error> {
    let mut codes = codes.to_vec();
    codes.sort_unstable();
    codes.dedup();
    codes
        .into_iter()
        .filter_map(|code| match reference.municipality(code) {
            Ok(Some((name, peer_group))) => Some(Ok(output::Municipality {
                code,
                name,
                peer_group,
            })),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        })
        .collect()
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
    // The manifest records the period with the parameters in force; the page reads the typed
    // `period` below instead of parsing it back out of this JSON.
    configuration["period_start"] = dates::iso(effective.period.start).into();
    configuration["period_end"] = dates::iso(effective.period.end).into();
    let k = u64::from(effective.config.min_cell);
    Ok(RunInfo {
        version: VERSION.to_owned(),
        config_sha256: effective.sha256()?,
        configuration,
        extract_sha256: source.sha256.clone(),
        extract_start: dates::iso(source.start),
        extract_end: dates::iso(source.end),
        // Counts of extract rows follow the count rule of MEASURES.md §7 in the report too.
        inputs: source
            .inputs
            .iter()
            .map(|i| extract::InputFile {
                rows: i.rows.filter(|&n| n == 0 || n >= k),
                ..i.clone()
            })
            .collect(),
        warnings: report.warnings.iter().map(|w| w.published(k)).collect(),
        period: effective.period,
        confidence: effective.config.confidence,
    })
}
