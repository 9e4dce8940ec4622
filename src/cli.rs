//! Command-line interface (clap derive). The doc comments are the `--help` text.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Duration, coverage and outcome statistics on Danish cash-benefit (kontanthjælp) register
/// extracts: validate an extract, run the pipeline into a report, or write a synthetic extract.
///
/// Exit codes: 0 ok, 1 failure, 2 bad input (invalid extract, configuration or flags).
#[derive(Debug, Parser)]
#[command(name = "forloeb", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check an extract against the input contract and print every violation and a data-quality
    /// summary, without running the pipeline. Exits 2 when anything is invalid.
    Validate(ValidateArgs),
    /// Validate the extract, compute every table and write the report (nothing is written when
    /// the extract is invalid).
    Run(RunArgs),
    /// Write a calibrated synthetic extract (deterministic for a seed).
    Synth(SynthArgs),
    /// Time every stage of the pipeline on a synthetic extract of N persons (or on --extract),
    /// and report peak memory.
    Bench(BenchArgs),
    /// Write the benefit spells of a report (person-level, for checks such as
    /// scripts/compare_lifelines.py) to a Parquet or CSV file outside reports/.
    Spells(SpellsArgs),
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Persons in the synthetic extract.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub persons: u64,
    /// Seed of the synthetic extract.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Format of the synthetic extract.
    #[arg(long, value_enum, default_value_t = Format::Parquet)]
    pub format: Format,
    /// Benchmark this extract instead of a synthetic one.
    #[arg(long, value_name = "DIR")]
    pub extract: Option<PathBuf>,
    /// Keep the working folder (extract and report) instead of deleting it.
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, Args)]
pub struct SpellsArgs {
    #[command(flatten)]
    pub extract: ExtractArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    /// File to write: CSV when the name ends in .csv, else Parquet; a new file, or a Parquet
    /// file forloeb wrote. Refused inside reports/ (person-level rows never go there) and
    /// inside the extract.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Folder holding the extract: one CSV file, Parquet file or folder of Parquet files per
    /// table, plus an optional extract.toml.
    #[arg(long, value_name = "DIR", default_value = "data-sample")]
    pub extract: PathBuf,
    /// Peer groups to benchmark against: a CSV with at least `code` and `peer_group` (or
    /// `kommunegruppe`), every municipality of the extract exactly once. Default: DST's
    /// Kommunegrupper v1:2018 shipped with forloeb.
    #[arg(long, value_name = "FILE")]
    pub peers: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub extract: ExtractArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub extract: ExtractArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Report folder. Default: reports/<label>, label = the year or A_B of the period. It must
    /// be new, empty, or a report forloeb wrote (which is replaced); anything else is refused.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write municipality-<CODE>.html: that municipality's indicators beside its peer group
    /// and Denmark, with rank, O/E ratio and its place on each funnel (repeatable).
    #[arg(long = "municipality", value_name = "CODE")]
    pub municipalities: Vec<i32>,
    /// Also draw a case sample of long-term persons for a review of their case files (as
    /// STAR's 2022 review of 375 long cases in 25 municipalities; MEASURES.md §5) and write it
    /// to FILE: CSV when the name ends in .csv, else Parquet. Person-level: refused under
    /// reports/, inside the report folder and inside the extract. Written only when the whole
    /// run succeeds; the same seed and extract give the same file.
    #[arg(long, value_name = "FILE")]
    pub case_sample: Option<PathBuf>,
    /// Municipalities K in the case sample, drawn by systematic PPS on their long-term counts.
    #[arg(long, value_name = "K", requires = "case_sample",
          default_value_t = crate::case_sample::DEFAULT_MUNICIPALITIES,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub case_municipalities: u32,
    /// Persons N in the case sample: ceil(N/K) drawn at random in each municipality (all of
    /// them where it has fewer).
    #[arg(long, value_name = "N", requires = "case_sample",
          default_value_t = crate::case_sample::DEFAULT_PERSONS,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub case_persons: u32,
    /// Hold the run at this point until it is killed (for the crash-safety tests).
    #[arg(long, value_enum, value_name = "POINT", hide = true)]
    pub pause_at: Option<crate::output::PausePoint>,
}

/// Which report: its period and configuration.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Report on calendar year Y (Y-01-01..Y-12-31). Default: the last calendar year wholly
    /// inside the extract, or period_start/period_end from the configuration.
    #[arg(long, value_name = "Y", conflicts_with = "period", value_parser = clap::value_parser!(i32).range(1900..=9999))]
    pub year: Option<i32>,
    /// Report on any span A..B of ISO dates, both ends included (e.g. 2024-01-01..2024-06-30).
    #[arg(long, value_name = "A..B", value_parser = parse_period)]
    pub period: Option<(NaiveDate, NaiveDate)>,
    /// Configuration file (TOML, keys of MEASURES.md §0). Default: ./forloeb.toml when it
    /// exists, else the built-in defaults.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Parquet,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Number of persons to generate.
    #[arg(long, value_name = "N", default_value_t = 5000)]
    pub persons: u64,
    /// Seed of the random streams; the same seed gives byte-identical files.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Folder to write the extract into (created; must not already hold an extract).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// First day the synthetic registers cover (extract_start).
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2015-01-01", value_parser = parse_date)]
    pub start: NaiveDate,
    /// Last day the synthetic registers cover (extract_end).
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2024-12-31", value_parser = parse_date)]
    pub end: NaiveDate,
    /// File format of the tables.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Draw municipality CODE FACTOR times as often as its share of the country (e.g. 260=3),
    /// so that it has enough persons to publish its figures; may be repeated.
    #[arg(long, value_name = "CODE=FACTOR", value_parser = parse_oversample)]
    pub oversample: Vec<(i32, f64)>,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("'{s}' is not a date YYYY-MM-DD"))
}

fn parse_oversample(s: &str) -> Result<(i32, f64), String> {
    let bad = || format!("'{s}' is not CODE=FACTOR, e.g. 260=3");
    let (code, factor) = s.split_once('=').ok_or_else(bad)?;
    let code = code.trim().parse::<i32>().map_err(|_| bad())?;
    let factor = factor.trim().parse::<f64>().map_err(|_| bad())?;
    if !(factor.is_finite() && factor > 0.0) {
        return Err(format!(
            "--oversample {s}: the factor must be a number above 0"
        ));
    }
    Ok((code, factor))
}

fn parse_period(s: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let (a, b) = s.split_once("..").ok_or_else(|| {
        format!("'{s}' is not a period; expected A..B, e.g. 2024-01-01..2024-06-30")
    })?;
    let (a, b) = (parse_date(a)?, parse_date(b)?);
    if b < a {
        return Err(format!("period {s} ends before it starts"));
    }
    Ok((a, b))
}
