//! The committed sample, `data-sample/`, and what its default report must show: the benchmark of
//! Halsnæs against its peer group and the country (issue 14). The report of the sample is
//! written once per test run and shared by the tests that read it; the tests that take the
//! report apart many times (the disclosure attacker) use [`small_sample`] instead.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use forloeb::reference::{self, Reference};
use forloeb::RunRequest;
use polars::prelude::*;

/// The headline indicators of the benchmark.
pub(crate) const HEADLINE: [&str; 5] = [
    "first_meeting_7d",
    "meetings_4_in_6m",
    "passive_12m",
    "long_term_share",
    "in_work_365",
];
/// The municipality the sample over-represents (`--oversample 260=3`, docs/synth.md).
pub(crate) const HALSNAES: &str = "260";
/// At least this many municipalities publish every headline indicator.
const MIN_MUNICIPALITIES: usize = 30;

/// `data-sample/`.
pub(crate) fn data_sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data-sample")
}

/// The default report of `data-sample/` (the 2024 report, both disclosure rules) with Halsnæs's
/// page (`--municipality 260`), written once per test run into the target folder and shared;
/// the tests only read it.
pub(crate) fn sample_report() -> &'static Path {
    static REPORT: OnceLock<PathBuf> = OnceLock::new();
    REPORT.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("data-sample-report");
        let request = RunRequest {
            extract: data_sample(),
            out: Some(out),
            municipalities: vec![HALSNAES.parse().expect("a code")],
            ..RunRequest::default()
        };
        match forloeb::run(&request, &mut ()) {
            Ok(outcome) => outcome.out,
            Err(e) => panic!("run on data-sample failed: {e}"),
        }
    })
}

/// `tests/data/sample-3000/`: the 3,000-person extract that was `data-sample/` until it grew to
/// 50,000 persons. The disclosure attacker takes the report apart on it, since on the full
/// sample that takes minutes.
pub(crate) fn small_sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sample-3000")
}

/// Units of `level` with a published value of `measure` for group `all`.
fn publishing(indicators: &DataFrame, level: &str, measure: &str) -> BTreeSet<String> {
    let df = indicators
        .clone()
        .lazy()
        .filter(
            col("level")
                .eq(lit(level))
                .and(col("group").eq(lit("all")))
                .and(col("measure").eq(lit(measure)))
                .and(col("value").is_not_null()),
        )
        .select([col("unit")])
        .collect()
        .unwrap();
    df.column("unit")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_owned)
        .collect()
}

fn indicators() -> DataFrame {
    let path = sample_report().join("tables/indicators.parquet");
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

/// Halsnæs's peer group in the shipped reference.
fn halsnaes_peer_group() -> String {
    let reference = Reference::load(None).unwrap();
    let df = &reference.municipalities;
    let codes = df.column(reference::CODE).unwrap().i32().unwrap();
    let groups = df.column(reference::PEER_GROUP).unwrap().str().unwrap();
    let group = codes
        .iter()
        .zip(groups.iter())
        .find(|(c, _)| c.map(|c| c.to_string()).as_deref() == Some(HALSNAES))
        .and_then(|(_, g)| g.map(str::to_owned))
        .unwrap();
    group
}

/// Checks that Halsnæs, its peer group and at least [`MIN_MUNICIPALITIES`] municipalities publish
/// every one of `measures`; returns, per measure, how many municipalities publish it.
fn check_benchmark(measures: &[&str]) -> Vec<(String, usize)> {
    let ind = indicators();
    let peer_group = halsnaes_peer_group();
    let mut every: Option<BTreeSet<String>> = None;
    let mut counts = Vec::new();
    let mut missing = Vec::new();
    for &m in measures {
        let municipalities = publishing(&ind, "municipality", m);
        if !municipalities.contains(HALSNAES) {
            missing.push(format!("Halsnæs ({HALSNAES}) does not publish {m}"));
        }
        if !publishing(&ind, "peer_group", m).contains(&peer_group) {
            missing.push(format!("{peer_group} does not publish {m}"));
        }
        counts.push((m.to_owned(), municipalities.len()));
        every = Some(match every {
            None => municipalities,
            Some(e) => e.intersection(&municipalities).cloned().collect(),
        });
    }
    let every = every.unwrap_or_default().len();
    if every < MIN_MUNICIPALITIES {
        missing.push(format!(
            "{every} municipalities publish all of {measures:?}, expected at least \
             {MIN_MUNICIPALITIES}"
        ));
    }
    assert!(
        missing.is_empty(),
        "data-sample's default report does not show the benchmark:\n{}\n(municipalities \
         publishing each measure: {counts:?})",
        missing.join("\n")
    );
    counts
}

/// The sample shows the benchmark: in its default report, Halsnæs, its peer group and at least
/// 30 municipalities publish the five headline indicators.
#[test]
fn the_sample_report_shows_the_benchmark_of_halsnaes() {
    let counts = check_benchmark(&HEADLINE);
    // Many more than the minimum publish each: the sample is not on the edge.
    for (m, n) in counts {
        assert!(n >= 45, "only {n} municipalities publish {m}");
    }
}
