//! Every indicator of MEASURES.md §4 on hand-made extracts whose numerators and denominators are
//! known by construction. The pipeline runs through `forloeb::compute` (unprotected tables), so
//! cells of one person are visible.
//!
//! Unless a case says otherwise: X = 2015-01-01, E = 2024-12-31, `--year 2024`, so
//! P = [2024-01-01, 2024-12-31] and R = 2024-12-31. Spells start well after X + 28 = 2015-01-29
//! (not left-censored). Each person has their own municipality (all in the peer group
//! Hovedstadskommuner unless noted), so a municipality row is one person's case.
//! Day arithmetic is written on `Day` integers: `|[a, b]| = b − a + 1`.

mod compliance;
mod outcomes;
mod period;
mod stock;

use forloeb::dates::{self, Day};
use polars::prelude::*;

use crate::ex::{d, iso, month, months, Ex};

const Z95: f64 = 1.959963984540054;
const HOVED: &str = "Hovedstadskommuner";
const OPLAND: &str = "Oplandskommuner";

/// Person- and spell-based proportions (a Wilson interval); the other four have none.
const PROPORTIONS: [&str; 13] = [
    "long_term_share",
    "long_term_5y_share",
    "support_80pct_5y_share",
    "any_offer_12m",
    "passive_12m",
    "first_meeting_7d",
    "meetings_4_in_6m",
    "offer_6m",
    "rule_4_plus_1",
    "company_offer_6m",
    "rule_225",
    "in_work_365",
    "durable_work_12m",
];
const NO_INTERVAL: [&str; 4] = [
    "activation_rate",
    "cancel_share",
    "paid_hours_months",
    "meetings_per_year",
];

impl Ex {
    /// Writes the extract covering `x..e` and runs the pipeline up to the unprotected tables.
    fn compute(&self, x: &str, e: &str, year: Option<i32>, period: Option<(Day, Day)>) -> Report {
        let tables = self.computed(x, e, year, period);
        let report = Report {
            rows: rows(tables.table("indicators")),
            notes: tables.notes().to_vec(),
        };
        report.check_values_and_intervals();
        report
    }

    /// The default case: X = 2015-01-01, E = 2024-12-31, --year 2024.
    fn run_2024(&self) -> Report {
        self.compute("2015-01-01", "2024-12-31", Some(2024), None)
    }
}

#[derive(Debug, Clone)]
struct Row {
    level: String,
    unit: String,
    group: String,
    measure: String,
    num: i64,
    den: i64,
    value: f64,
    ci_lo: Option<f64>,
    ci_hi: Option<f64>,
    persons: i64,
    persons_num: i64,
}

fn rows(df: &DataFrame) -> Vec<Row> {
    let text = |c: &str| -> Vec<String> {
        df.column(c)
            .expect(c)
            .str()
            .expect(c)
            .iter()
            .map(|v| v.expect("non-null key").to_owned())
            .collect()
    };
    let int = |c: &str| -> Vec<i64> {
        df.column(c)
            .expect(c)
            .i64()
            .expect(c)
            .iter()
            .map(|v| v.expect("non-null count"))
            .collect()
    };
    let float =
        |c: &str| -> Vec<Option<f64>> { df.column(c).expect(c).f64().expect(c).iter().collect() };
    let (level, unit, group, measure) =
        (text("level"), text("unit"), text("group"), text("measure"));
    let (num, den, persons, persons_num) = (
        int("numerator"),
        int("denominator"),
        int("persons"),
        int("persons_num"),
    );
    let (value, lo, hi) = (float("value"), float("ci_lo"), float("ci_hi"));
    (0..df.height())
        .map(|i| Row {
            level: level[i].clone(),
            unit: unit[i].clone(),
            group: group[i].clone(),
            measure: measure[i].clone(),
            num: num[i],
            den: den[i],
            value: value[i].expect("value"),
            ci_lo: lo[i],
            ci_hi: hi[i],
            persons: persons[i],
            persons_num: persons_num[i],
        })
        .collect()
}

/// (numerator, denominator, persons, persons_num) of one cell.
type Cell = (i64, i64, i64, i64);

struct Report {
    rows: Vec<Row>,
    notes: Vec<String>,
}

fn wilson(k: i64, n: i64, z: f64) -> (f64, f64) {
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

impl Report {
    fn cell(&self, level: &str, unit: &str, group: &str, measure: &str) -> Option<Cell> {
        let found: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| {
                r.level == level && r.unit == unit && r.group == group && r.measure == measure
            })
            .collect();
        assert!(
            found.len() <= 1,
            "duplicate rows for {level}/{unit}/{group}/{measure}"
        );
        found
            .first()
            .map(|r| (r.num, r.den, r.persons, r.persons_num))
    }

    /// Municipality `code`, group `all`.
    fn muni(&self, code: i32, measure: &str) -> Option<Cell> {
        self.cell("municipality", &code.to_string(), "all", measure)
    }

    fn muni_group(&self, code: i32, group: &str, measure: &str) -> Option<Cell> {
        self.cell("municipality", &code.to_string(), group, measure)
    }

    fn peer(&self, name: &str, measure: &str) -> Option<Cell> {
        self.cell("peer_group", name, "all", measure)
    }

    fn dk(&self, measure: &str) -> Option<Cell> {
        self.cell("national", "DK", "all", measure)
    }

    fn dk_group(&self, group: &str, measure: &str) -> Option<Cell> {
        self.cell("national", "DK", group, measure)
    }

    fn value(&self, level: &str, unit: &str, group: &str, measure: &str) -> f64 {
        self.rows
            .iter()
            .find(|r| {
                r.level == level && r.unit == unit && r.group == group && r.measure == measure
            })
            .map(|r| r.value)
            .unwrap_or_else(|| panic!("no row {level}/{unit}/{group}/{measure}"))
    }

    fn has_measure(&self, measure: &str) -> bool {
        self.rows.iter().any(|r| r.measure == measure)
    }

    /// On every row: value = num/den (365.25·num/den for meetings_per_year); a Wilson interval
    /// exactly for the person- and spell-based proportions; only non-empty cells.
    fn check_values_and_intervals(&self) {
        for r in &self.rows {
            let key = format!("{}/{}/{}/{}", r.level, r.unit, r.group, r.measure);
            assert!(r.den > 0, "{key}: empty cell written");
            assert!(r.num >= 0 && r.persons >= r.persons_num, "{key}: {r:?}");
            let ratio = r.num as f64 / r.den as f64;
            let expected = if r.measure == "meetings_per_year" {
                365.25 * ratio
            } else {
                assert!(r.num <= r.den, "{key}: numerator above denominator");
                ratio
            };
            assert!(
                (r.value - expected).abs() < 1e-12,
                "{key}: value {} but numerator/denominator gives {expected}",
                r.value
            );
            if PROPORTIONS.contains(&r.measure.as_str()) {
                let (lo, hi) = match (r.ci_lo, r.ci_hi) {
                    (Some(lo), Some(hi)) => (lo, hi),
                    _ => panic!("{key}: a person/spell proportion without a Wilson interval"),
                };
                let (wlo, whi) = wilson(r.num, r.den, Z95);
                assert!(
                    (lo - wlo).abs() < 1e-9 && (hi - whi).abs() < 1e-9,
                    "{key}: interval ({lo}, {hi}), Wilson gives ({wlo}, {whi})"
                );
                assert!(lo <= r.value + 1e-12 && r.value <= hi + 1e-12, "{key}");
            } else if NO_INTERVAL.contains(&r.measure.as_str()) {
                assert!(
                    r.ci_lo.is_none() && r.ci_hi.is_none(),
                    "{key}: day/month/meeting-based measure with an interval"
                );
            } else {
                panic!("{key}: measure not in MEASURES.md §4");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// All 17 measures appear on one extract, with the right interval presence (checked on every
// row by `check_values_and_intervals`).

#[test]
fn every_measure_is_present_with_intervals_exactly_for_proportions() {
    let mut ex = period::meetings_extract();
    // A long stock spell with activation, support and hours, and a spell for the spell-based
    // measures, plus a closed spell ending in work.
    let r = d("2024-12-31");
    ex.kh("z1", r - 2000, None, 173)
        .offer("z1", "loentilskud", r - 100, Some(r - 50))
        .hours("z1", month(2024, 6), 300.0);
    let s = d("2024-02-01");
    ex.kh("z2", s, None, 175)
        .held("z2", &[s, s + 1, s + 2, s + 3])
        .offer("z2", "virksomhedspraktik", s, Some(s + 10));
    ex.kh("z3", d("2022-03-01"), Some(d("2023-03-15")), 183);
    for m in months(2023, 4, 12) {
        ex.hours("z3", m, 120.0);
    }
    let rep = ex.run_2024();
    for m in PROPORTIONS.iter().chain(NO_INTERVAL.iter()) {
        assert!(rep.dk(m).is_some(), "{m} missing at DK/all");
    }
}
