//! The attacker test of MEASURES.md §7: on the tables as published, no suppressed cell can be
//! worked out exactly from the published figures and the additive relations between them
//! (exact linear algebra), and no published count breaks the count rule. Run on
//! `tests/data/sample-3000/` (the 3,000-person extract that was `data-sample/` before it grew to
//! 50,000 persons), on `data-sample/` itself and on synthetic extracts of a few thousand
//! persons; and shown to bite, by finding disclosed cells when only the primary rules are
//! applied.

use std::path::{Path, PathBuf};

use forloeb::disclosure::{self, secondary, Hierarchy};
use forloeb::reference::Reference;
use forloeb::RunRequest;

/// `tests/data/sample-3000/`.
fn sample() -> PathBuf {
    crate::sample::small_sample()
}

/// The tables of `extract`'s 2024 report before disclosure control, with what the run needs
/// to protect them.
struct Report {
    computed: forloeb::Computed,
    hierarchy: Hierarchy,
}

fn report(extract: &Path) -> Report {
    let request = RunRequest {
        extract: extract.to_path_buf(),
        year: Some(2024),
        ..RunRequest::default()
    };
    let computed = forloeb::compute(&request, &mut ()).unwrap();
    let hierarchy = Hierarchy::new(&Reference::load(None).unwrap()).unwrap();
    Report {
        computed,
        hierarchy,
    }
}

impl Report {
    fn audit(&self, published: &[forloeb::measures::Table]) -> secondary::Audit {
        secondary::audit(
            &self.computed.tables.tables,
            published,
            &self.hierarchy,
            &self.computed.effective.config,
        )
        .unwrap()
    }

    fn assert_safe(&self, what: &str) {
        let config = &self.computed.effective.config;
        let safe =
            disclosure::apply(self.computed.tables.clone(), config, &self.hierarchy).unwrap();
        let published: Vec<_> = safe.tables().iter().map(|t| t.table().clone()).collect();
        // Every table enters the relations the attacker uses, the long-term profile included;
        // `benchmark` has no cells: its figures are values, ranks and ratios of published rows.
        for (id, counts) in safe.suppressed() {
            if *id == forloeb::schema::out::TableId::Benchmark {
                continue;
            }
            assert!(
                counts.cells > 0,
                "{what}: no cells of {id} in the relations"
            );
        }
        assert!(
            safe.get(forloeb::schema::out::TableId::LongtermProfile)
                .is_some(),
            "{what}: longterm_profile is published"
        );
        let audit = self.audit(&published);
        assert!(
            audit.suppressed > 0,
            "{what}: nothing suppressed, so the test proves nothing"
        );
        assert!(
            audit.determined.is_empty(),
            "{what}: {} of {} suppressed cells can be worked out, e.g.\n{}",
            audit.determined.len(),
            audit.suppressed,
            audit.determined[..audit.determined.len().min(10)].join("\n")
        );
        assert!(
            audit.primary_leaks.is_empty(),
            "{what}: published counts below min_cell:\n{}",
            audit.primary_leaks[..audit.primary_leaks.len().min(10)].join("\n")
        );
    }
}

#[test]
fn no_suppressed_cell_of_the_small_sample_report_can_be_worked_out() {
    report(&sample()).assert_safe("tests/data/sample-3000");
}

/// The attacker on `data-sample/` itself (50,000 persons; about 12 s in a release build). It
/// used to find three `exit_destinations` lag totals that could be worked out: totals whose
/// every (spells, share) pair the secondary rules had hidden, so that the report no longer told
/// them, while the rules still counted them as published and gave them no partners.
#[test]
fn no_suppressed_cell_of_the_sample_report_can_be_worked_out() {
    report(&crate::sample::data_sample()).assert_safe("data-sample");
}

/// A synthetic extract of `persons` persons from `seed`, as `forloeb synth` writes it.
fn synthetic(dir: &Path, persons: u64, seed: u64) -> PathBuf {
    let extract = dir.join("extract");
    let options = forloeb::synth::SynthOptions {
        persons,
        seed,
        out: extract.clone(),
        start: chrono::NaiveDate::from_ymd_opt(2015, 1, 1).unwrap(),
        end: chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap(),
        format: forloeb::synth::SynthFormat::Parquet,
        oversample: Vec::new(),
    };
    forloeb::synth::write(&options, &Reference::load(None).unwrap()).unwrap();
    extract
}

#[test]
fn no_suppressed_cell_of_a_synthetic_report_can_be_worked_out() {
    let dir = tempfile::tempdir().unwrap();
    report(&synthetic(dir.path(), 4000, 11))
        .assert_safe("synthetic extract, 4,000 persons, seed 11");
}

/// The smallest extract known to reproduce the lag totals that could be worked out on
/// `data-sample/` (`forloeb synth --persons 3000 --seed 20241231`).
#[test]
fn no_lag_total_of_a_fresh_3000_person_report_can_be_worked_out() {
    let dir = tempfile::tempdir().unwrap();
    report(&synthetic(dir.path(), 3000, 20241231))
        .assert_safe("synthetic extract, 3,000 persons, seed 20241231");
}

/// The attacker on any extract (`FORLOEB_AUDIT_EXTRACT`), for investigations.
#[test]
#[ignore = "needs FORLOEB_AUDIT_EXTRACT"]
fn no_suppressed_cell_of_a_given_extract_can_be_worked_out() {
    let extract = std::env::var("FORLOEB_AUDIT_EXTRACT").unwrap();
    report(Path::new(&extract)).assert_safe(&extract);
}

#[test]
fn the_attacker_finds_cells_when_only_the_primary_rules_apply() {
    let r = report(&sample());
    let config = &r.computed.effective.config;
    let primary =
        disclosure::primary_only(r.computed.tables.clone(), config, &r.hierarchy).unwrap();
    let audit = r.audit(&primary);
    assert!(
        !audit.determined.is_empty(),
        "without secondary suppression the attacker should recover cells"
    );
    assert!(audit.primary_leaks.is_empty(), "{:?}", audit.primary_leaks);
}

#[test]
fn every_value_of_a_suppressed_cohort_is_null_and_flagged_in_all_three_duration_tables() {
    use polars::prelude::*;
    let r = report(&sample());
    let config = &r.computed.effective.config;
    let safe = disclosure::apply(r.computed.tables.clone(), config, &r.hierarchy).unwrap();
    let table = |name: &str| published(&safe, name);
    let cohort = [col("level"), col("unit"), col("entry_year"), col("group")];
    // Cohorts whose row is suppressed: `spells` is null.
    let hidden = table("duration_cohorts")
        .lazy()
        .filter(col("spells").is_null())
        .select(cohort.clone())
        .collect()
        .unwrap();
    assert!(hidden.height() > 0, "the sample has suppressed cohorts");
    let cohorts = table("duration_cohorts")
        .lazy()
        .filter(col("spells").is_null())
        .collect()
        .unwrap();
    for c in cohorts.get_column_names() {
        if ![
            "level",
            "unit",
            "unit_name",
            "entry_year",
            "group",
            "suppressed",
        ]
        .contains(&c.as_str())
        {
            assert_eq!(
                cohorts.column(c).unwrap().null_count(),
                cohorts.height(),
                "{c}"
            );
        }
    }
    assert!(cohorts.column("suppressed").unwrap().bool().unwrap().all());
    let of_hidden = |name: &str| {
        table(name)
            .lazy()
            .join(
                hidden.clone().lazy(),
                cohort.clone(),
                cohort.clone(),
                JoinArgs::new(JoinType::Semi),
            )
            .collect()
            .unwrap()
    };
    assert_eq!(of_hidden("survival_curves").height(), 0, "no curve point");
    let incidence = of_hidden("cumulative_incidence");
    assert!(incidence.height() > 0);
    assert_eq!(
        incidence.column("cif").unwrap().null_count(),
        incidence.height()
    );
    assert!(incidence
        .column("suppressed")
        .unwrap()
        .bool()
        .unwrap()
        .all());
}

#[test]
fn protecting_the_same_tables_twice_gives_the_same_tables() {
    let r = report(&sample());
    let config = &r.computed.effective.config;
    let once = disclosure::apply(r.computed.tables.clone(), config, &r.hierarchy).unwrap();
    let twice = disclosure::apply(r.computed.tables.clone(), config, &r.hierarchy).unwrap();
    for (a, b) in once.tables().iter().zip(twice.tables()) {
        assert!(
            a.df().equals_missing(b.df()),
            "{} differs between runs",
            a.name()
        );
    }
    assert_eq!(once.suppressed(), twice.suppressed());
}

/// The long-term profile repeats national `indicators` figures (MEASURES.md §5, §7): the
/// long-term total is the `all` long_term_share numerator, and a `group` category's long-term
/// count that group's numerator. A figure hidden in one is hidden in the other, and a hidden
/// total hides every share of its side (any count with its share would tell it).
#[test]
fn the_profile_hides_what_the_indicators_hide_of_the_same_figures() {
    use polars::prelude::*;
    use std::collections::BTreeMap;
    let r = report(&sample());
    let config = &r.computed.effective.config;
    let safe = disclosure::apply(r.computed.tables.clone(), config, &r.hierarchy).unwrap();
    let frame = |name: &str| published(&safe, name);
    let numerators: BTreeMap<String, Option<i64>> = {
        let df = frame("indicators")
            .lazy()
            .filter(
                col("level")
                    .eq(lit("national"))
                    .and(col("measure").eq(lit("long_term_share"))),
            )
            .collect()
            .unwrap();
        let groups = df.column("group").unwrap().str().unwrap().clone();
        let num = df.column("numerator").unwrap().i64().unwrap().clone();
        groups
            .iter()
            .zip(num.iter())
            .map(|(g, n)| (g.unwrap().to_owned(), n))
            .collect()
    };
    let profile = frame("longterm_profile");
    let (variable, category) = (
        profile.column("variable").unwrap().str().unwrap().clone(),
        profile.column("category").unwrap().str().unwrap().clone(),
    );
    let n_long = profile.column("n_long").unwrap().i64().unwrap().clone();
    let share_long = profile.column("share_long").unwrap().f64().unwrap().clone();
    let mut groups = 0;
    for i in 0..profile.height() {
        if variable.get(i) == Some("group") {
            let g = category.get(i).unwrap();
            assert_eq!(n_long.get(i), numerators[g], "group {g}");
            groups += 1;
        }
        if numerators["all"].is_none() {
            assert!(
                share_long.get(i).is_none(),
                "row {i}: the long-term total is hidden"
            );
        }
    }
    assert!(groups > 1, "the sample has several groups");
}

/// The published frame of table `name`.
fn published(safe: &forloeb::disclosure::SafeTables, name: &str) -> polars::prelude::DataFrame {
    safe.tables()
        .iter()
        .find(|t| t.name() == name)
        .unwrap_or_else(|| panic!("no table {name}"))
        .df()
        .clone()
}
