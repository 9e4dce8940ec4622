//! Every indicator of MEASURES.md §4 on hand-made extracts whose numerators and denominators are
//! known by construction. The pipeline runs through `forloeb::compute` (unprotected tables), so
//! cells of one person are visible.
//!
//! Unless a case says otherwise: X = 2015-01-01, E = 2024-12-31, `--year 2024`, so
//! P = [2024-01-01, 2024-12-31] and R = 2024-12-31. Spells start well after X + 28 = 2015-01-29
//! (not left-censored). Each person has their own municipality (all in the peer group
//! Hovedstadskommuner unless noted), so a municipality row is one person's case.
//! Day arithmetic is written on `Day` integers: `|[a, b]| = b − a + 1`.

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
// Stock on R: long_term_share, long_term_5y_share

#[test]
fn long_term_shares_on_the_stock() {
    let r = d("2024-12-31");
    let mut ex = Ex::new();
    // a730: |[R−729, R]| = 730, not > 730: not long-term. Two assessments on one date: the
    // alphabetically first (aktivitetsparat) is group(R).
    ex.kh("a730", r - 729, None, 101)
        .assess("a730", r - 10, "jobparat")
        .assess("a730", r - 10, "aktivitetsparat");
    // a731: |[R−730, R]| = 731 > 730: long-term. Latest assessment ≤ R is jobparat on R itself.
    ex.kh("a731", r - 730, None, 147)
        .assess("a731", r - 2000, "aktivitetsparat")
        .assess("a731", r, "jobparat");
    // b1826: 1826 days: long-term, not > 1826 so not 5y. b1827: 1827 days: both.
    ex.kh("b1826", r - 1825, None, 151);
    ex.kh("b1827", r - 1826, None, 153);
    // gone: ends R−1, not in the stock on R: no stock rows in 155.
    ex.kh("gone", r - 1000, Some(r - 1), 155);
    // merged: [R−900, R−500] and [R−471, …]: R−471 ≤ (R−500) + 28 + 1, one spell from R−900:
    // 901 days, long-term; stock municipality = of the period covering R (157).
    ex.kh("merged", r - 900, Some(r - 500), 159)
        .kh("merged", r - 471, None, 157);
    // split: second period starts R−470 > (R−500) + 29: a new spell of 471 days, not long-term.
    ex.kh("split", r - 900, Some(r - 500), 161)
        .kh("split", r - 470, None, 163);
    let rep = ex.run_2024();

    let m = "long_term_share";
    assert_eq!(rep.muni(101, m), Some((0, 1, 1, 0)));
    assert_eq!(rep.muni(147, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni(151, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni(153, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni(155, m), None);
    assert_eq!(rep.muni(157, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni(159, m), None);
    assert_eq!(rep.muni(163, m), Some((0, 1, 1, 0)));
    // Stock: a730, a731, b1826, b1827, merged, split = 6; long-term: a731, b1826, b1827, merged.
    assert_eq!(rep.dk(m), Some((4, 6, 6, 4)));
    assert_eq!(rep.peer(HOVED, m), Some((4, 6, 6, 4)));
    // group(R): a731 jobparat, a730 aktivitetsparat (tie), the rest unknown.
    assert_eq!(rep.muni_group(147, "jobparat", m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni_group(147, "aktivitetsparat", m), None);
    assert_eq!(
        rep.muni_group(101, "aktivitetsparat", m),
        Some((0, 1, 1, 0))
    );
    assert_eq!(rep.muni_group(101, "jobparat", m), None);
    assert_eq!(rep.dk_group("jobparat", m), Some((1, 1, 1, 1)));
    assert_eq!(rep.dk_group("aktivitetsparat", m), Some((0, 1, 1, 0)));
    assert_eq!(rep.dk_group("unknown", m), Some((3, 4, 4, 3)));

    let m = "long_term_5y_share";
    assert_eq!(rep.muni(151, m), Some((0, 1, 1, 0)));
    assert_eq!(rep.muni(153, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni(155, m), None);
    assert_eq!(rep.dk(m), Some((1, 6, 6, 1)));
}

// ---------------------------------------------------------------------------------------------
// support_80pct_5y_share: target days in [R−1825, R] ≥ 0.8 × 1826 = 1460.8, i.e. ≥ 1461 days.

#[test]
fn support_80pct_5y_counts_target_days_in_the_five_year_window() {
    let r = d("2024-12-31");
    let mut ex = Ex::new();
    // s1461: [R−1460, R] = 1461 days: yes. s1460: [R−1459, R] = 1460: no.
    ex.kh("s1461", r - 1460, None, 101);
    ex.kh("s1460", r - 1459, None, 147);
    // split: [R−1825, R−1126] = 700 days, then a new spell [R−760, R] = 761 days: 1461, yes
    // (days of earlier spells count; the measure is on days, not the current spell).
    ex.kh("split", r - 1825, Some(r - 1126), 151)
        .kh("split", r - 760, None, 151);
    // before: [R−3000, R−1826] lies wholly before the window; [R−1459, R] = 1460: no.
    ex.kh("before", r - 3000, Some(r - 1826), 153)
        .kh("before", r - 1459, None, 153);
    // edge: one day on the window's first day R−1825 plus [R−1459, R] = 1 + 1460 = 1461: yes.
    ex.kh("edge", r - 1825, Some(r - 1825), 155)
        .kh("edge", r - 1459, None, 155);
    // notstock: 1825 days but not in the stock on R: no row.
    ex.kh("notstock", r - 1825, Some(r - 1), 157);
    // overlap: [R−1459, R] plus an overlapping [R−100, R−50]: still 1460 distinct days: no.
    ex.kh("overlap", r - 1459, None, 159)
        .kh("overlap", r - 100, Some(r - 50), 159);
    let rep = ex.run_2024();
    let m = "support_80pct_5y_share";
    assert_eq!(rep.muni(101, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni(147, m), Some((0, 1, 1, 0)));
    assert_eq!(rep.muni(151, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni(153, m), Some((0, 1, 1, 0)));
    assert_eq!(rep.muni(155, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni(157, m), None);
    assert_eq!(rep.muni(159, m), Some((0, 1, 1, 0)));
    // Stock: s1461, s1460, split, before, edge, overlap = 6; yes: s1461, split, edge = 3.
    assert_eq!(rep.dk(m), Some((3, 6, 6, 3)));
}

#[test]
fn support_80pct_5y_needs_the_window_inside_the_extract() {
    // 2019: R = 2019-12-31, R − 1825 = 2015-01-01 = X (2016 is a leap year): computed.
    // 2018: R − 1825 = 2014-01-01 < X: no rows, and a note says why.
    let mut ex = Ex::new();
    ex.kh("p", d("2015-06-01"), None, 101);
    assert_eq!(d("2019-12-31") - 1825, d("2015-01-01"));
    let y2019 = ex.compute("2015-01-01", "2024-12-31", Some(2019), None);
    // [2015-06-01, 2019-12-31] = 1675 days ≥ 1461.
    assert_eq!(y2019.dk("support_80pct_5y_share"), Some((1, 1, 1, 1)));
    let y2018 = ex.compute("2015-01-01", "2024-12-31", Some(2018), None);
    assert!(!y2018.has_measure("support_80pct_5y_share"));
    assert!(y2018.dk("long_term_share").is_some());
    assert!(
        y2018
            .notes
            .iter()
            .any(|n| n.contains("support_80pct_5y_share")),
        "notes: {:?}",
        y2018.notes
    );
}

// ---------------------------------------------------------------------------------------------
// activation_rate: activation days ÷ target person-days in P (day-based, no interval).

#[test]
fn activation_rate_counts_activation_days_on_target_days_in_p() {
    let mut ex = Ex::new();
    // p1 (101): target [03-01, 03-31] = 31 days. Activation virksomhedspraktik [03-21, 04-10]
    // and an overlapping loentilskud [03-25, 03-31]: target activation days 03-21..03-31 = 11
    // (counted once). mentor and ips are not activation kinds. A sygedagpenge month with
    // nytteindsats is not a target day. Assessment jobparat on 03-16: days 03-01..03-15
    // (15, no activation) unknown, 03-16..03-31 (16, 11 activation) jobparat.
    ex.kh("p1", d("2024-03-01"), Some(d("2024-03-31")), 101)
        .offer(
            "p1",
            "virksomhedspraktik",
            d("2024-03-21"),
            Some(d("2024-04-10")),
        )
        .offer("p1", "loentilskud", d("2024-03-25"), Some(d("2024-03-31")))
        .offer("p1", "mentor", d("2024-03-01"), Some(d("2024-03-05")))
        .offer("p1", "ips", d("2024-03-06"), Some(d("2024-03-10")))
        .period(
            "p1",
            "sygedagpenge",
            d("2024-05-01"),
            Some(d("2024-05-31")),
            101,
        )
        .offer("p1", "nytteindsats", d("2024-05-01"), Some(d("2024-05-31")))
        .assess("p1", d("2024-03-16"), "jobparat");
    // p2 (147): target [2023-12-01, 2024-01-10]: 10 days in P, all under an open-ended
    // vejledning_opkvalificering: 10 / 10.
    ex.kh("p2", d("2023-12-01"), Some(d("2024-01-10")), 147)
        .offer("p2", "vejledning_opkvalificering", d("2023-11-01"), None);
    // p3: [06-01, 06-10] in 153 and [06-06, 06-15] in 151. Days 06-01..06-05 → 153 (5 days);
    // 06-06..06-15 → 151, the smallest covering code (10 days). nytteindsats [06-05, 06-06]:
    // one activation day in each.
    ex.kh("p3", d("2024-06-01"), Some(d("2024-06-10")), 153)
        .kh("p3", d("2024-06-06"), Some(d("2024-06-15")), 151)
        .offer("p3", "nytteindsats", d("2024-06-05"), Some(d("2024-06-06")));
    // p4 (155): open target period from 09-01, exit 09-11: target days 09-01..09-10 = 10;
    // nytteindsats from 09-08 (open): activation 09-08..09-10 = 3.
    ex.kh("p4", d("2024-09-01"), None, 155)
        .exit("p4", d("2024-09-11"))
        .offer("p4", "nytteindsats", d("2024-09-08"), None);
    let rep = ex.run_2024();
    let m = "activation_rate";
    assert_eq!(rep.muni(101, m), Some((11, 31, 1, 1)));
    assert_eq!(rep.muni_group(101, "unknown", m), Some((0, 15, 1, 0)));
    assert_eq!(rep.muni_group(101, "jobparat", m), Some((11, 16, 1, 1)));
    assert_eq!(rep.muni(147, m), Some((10, 10, 1, 1)));
    assert_eq!(rep.muni(151, m), Some((1, 10, 1, 1)));
    assert_eq!(rep.muni(153, m), Some((1, 5, 1, 1)));
    assert_eq!(rep.muni(155, m), Some((3, 10, 1, 1)));
    // 31 + 10 + 10 + 5 + 10 = 66 days; 11 + 10 + 1 + 1 + 3 = 26 activation days; 4 persons.
    assert_eq!(rep.dk(m), Some((26, 66, 4, 4)));
    assert_eq!(rep.peer(HOVED, m), Some((26, 66, 4, 4)));
}

// ---------------------------------------------------------------------------------------------
// any_offer_12m: stock with |[spell_start, R]| ≥ 365; ≥ 1 support day in [R−364, R].

#[test]
fn any_offer_12m_window_is_r_minus_364_to_r() {
    let r = d("2024-12-31");
    let mut ex = Ex::new();
    // o1: |[R−364, R]| = 365 → in the denominator; mentor ends on R−364 → counts.
    ex.kh("o1", r - 364, None, 101)
        .offer("o1", "mentor", r - 400, Some(r - 364));
    // o2: 365 days; virksomhedspraktik ends on R−365, outside the window → no.
    ex.kh("o2", r - 364, None, 147)
        .offer("o2", "virksomhedspraktik", r - 400, Some(r - 365));
    // o3: |[R−363, R]| = 364 < 365 → not in the denominator despite support.
    ex.kh("o3", r - 363, None, 151)
        .offer("o3", "mentor", r - 10, Some(r));
    // o4: long spell; ips, social_health and other are not support → no.
    ex.kh("o4", r - 1000, None, 153)
        .offer("o4", "ips", r - 100, Some(r))
        .offer("o4", "social_health", r - 100, Some(r))
        .offer("o4", "other", r - 100, Some(r));
    // o5 (260 Halsnæs, Oplandskommuner): loentilskud on R only → yes.
    ex.kh("o5", r - 1000, None, 260)
        .offer("o5", "loentilskud", r, Some(r));
    let rep = ex.run_2024();
    let m = "any_offer_12m";
    assert_eq!(rep.muni(101, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni(147, m), Some((0, 1, 1, 0)));
    assert_eq!(rep.muni(151, m), None);
    assert_eq!(rep.muni(153, m), Some((0, 1, 1, 0)));
    assert_eq!(rep.muni(260, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.peer(HOVED, m), Some((1, 3, 3, 1)));
    assert_eq!(rep.peer(OPLAND, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.dk(m), Some((2, 4, 4, 2)));
}

// ---------------------------------------------------------------------------------------------
// passive_12m: stock with |[spell_start, R]| > 365; a run of > 365 consecutive days in
// [max(spell_start, X), R] without a support day.

#[test]
fn passive_12m_needs_a_run_of_more_than_365_days() {
    let r = d("2024-12-31");
    let x = d("2015-01-01");
    // s = R − 799: |[s, R]| = 800, R = s + 799.
    let s = r - 799;
    let mut ex = Ex::new();
    // q1: support on s, s+366, s+731. Runs: s+1..s+365 = 365, s+367..s+730 = 364,
    // s+732..s+799 = 68. Longest 365: not passive.
    ex.kh("q1", s, None, 101);
    for k in [0, 366, 731] {
        ex.offer("q1", "mentor", s + k, Some(s + k));
    }
    // q2: support on s, s+367, s+731: run s+1..s+366 = 366: passive.
    ex.kh("q2", s, None, 147);
    for k in [0, 367, 731] {
        ex.offer("q2", "mentor", s + k, Some(s + k));
    }
    // q3: |[R−365, R]| = 366 > 365, no support at all: one run of 366: passive.
    ex.kh("q3", r - 365, None, 151);
    // q4: |[R−364, R]| = 365, not > 365: not in the denominator.
    ex.kh("q4", r - 364, None, 153);
    // q5: support from s+366: leading run s..s+365 = 366: passive.
    ex.kh("q5", s, None, 155)
        .offer("q5", "nytteindsats", s + 366, None);
    // q6: support from s+365: leading run s..s+364 = 365: not passive.
    ex.kh("q6", s, None, 157)
        .offer("q6", "nytteindsats", s + 365, None);
    // q7: support [s−100, s+433] (starting before the spell): trailing run s+434..s+799 = 366:
    // passive.
    ex.kh("q7", s, None, 159)
        .offer("q7", "mentor", s - 100, Some(s + 433));
    // q8: left-censored spell (period from 2014-06-01, before X): the window starts at X.
    // Support before X is not seen; support from X+365: leading run X..X+364 = 365: not
    // passive.
    ex.kh("q8", d("2014-06-01"), None, 161)
        .offer(
            "q8",
            "vejledning_opkvalificering",
            d("2014-01-01"),
            Some(d("2014-12-31")),
        )
        .offer("q8", "vejledning_opkvalificering", x + 365, None);
    // q9: one spell with a 20-day gap ([s, s+399], [s+420, …]); support on s+100 and s+467:
    // the run s+101..s+466 = 366 calendar days (20 of them in the gap): passive.
    ex.kh("q9", s, Some(s + 399), 163)
        .kh("q9", s + 420, None, 163)
        .offer("q9", "mentor", s + 100, Some(s + 100))
        .offer("q9", "mentor", s + 467, Some(s + 467));
    let rep = ex.run_2024();
    let m = "passive_12m";
    assert_eq!(rep.muni(101, m), Some((0, 1, 1, 0)), "q1: run of 365");
    assert_eq!(rep.muni(147, m), Some((1, 1, 1, 1)), "q2: run of 366");
    assert_eq!(rep.muni(151, m), Some((1, 1, 1, 1)), "q3: no support");
    assert_eq!(rep.muni(153, m), None, "q4: 365 days on benefit");
    assert_eq!(rep.muni(155, m), Some((1, 1, 1, 1)), "q5: leading 366");
    assert_eq!(rep.muni(157, m), Some((0, 1, 1, 0)), "q6: leading 365");
    assert_eq!(rep.muni(159, m), Some((1, 1, 1, 1)), "q7: trailing 366");
    assert_eq!(rep.muni(161, m), Some((0, 1, 1, 0)), "q8: window from X");
    assert_eq!(rep.muni(163, m), Some((1, 1, 1, 1)), "q9: run across a gap");
    assert_eq!(rep.dk(m), Some((5, 8, 8, 5)));
}

// ---------------------------------------------------------------------------------------------
// first_meeting_7d: spells starting in P with start+6 ≤ R, not left-censored; a held meeting
// in [start, start+6]. Group = group at entry (latest assessment ≤ start + 30).

#[test]
fn first_meeting_7d_window_is_start_to_start_plus_6() {
    let mut ex = Ex::new();
    // f1 (101): start 03-01, held on start+6 = 03-07: yes. Assessment on start+30 = 03-31:
    // group at entry jobparat.
    let f1 = d("2024-03-01");
    ex.kh("f1", f1, None, 101)
        .meeting("f1", f1 + 6, "held")
        .assess("f1", f1 + 30, "jobparat");
    // f2 (147): start 04-01, held on start+7: no; the cancelled ones inside don't count.
    // Assessment on start+31: group at entry unknown.
    let f2 = d("2024-04-01");
    ex.kh("f2", f2, None, 147)
        .meeting("f2", f2 + 7, "held")
        .meeting("f2", f2 + 1, "cancelled_citizen")
        .meeting("f2", f2 + 2, "no_show")
        .meeting("f2", f2 + 3, "cancelled_jobcentre")
        .assess("f2", f2 + 31, "aktivitetsparat");
    // f3 (151): start 12-25, start+6 = 12-31 = R ≤ R: in; held on R: yes.
    let f3 = d("2024-12-25");
    ex.kh("f3", f3, None, 151).meeting("f3", f3 + 6, "held");
    // f4 (153): start 12-26, start+6 = 2025-01-01 > R: not in the denominator.
    let f4 = d("2024-12-26");
    ex.kh("f4", f4, None, 153).meeting("f4", f4, "held");
    // f5 (155): start 2023-12-31, not in P.
    let f5 = d("2023-12-31");
    ex.kh("f5", f5, None, 155).meeting("f5", f5 + 1, "held");
    // f6 (157): held the day before the start: no.
    let f6 = d("2024-05-01");
    ex.kh("f6", f6, None, 157).meeting("f6", f6 - 1, "held");
    // f7 (159): [06-01, 06-02] and [06-06, …] are one spell; held on 06-04 (a gap day,
    // start+3): yes.
    let f7 = d("2024-06-01");
    ex.kh("f7", f7, Some(f7 + 1), 159)
        .kh("f7", f7 + 5, None, 159)
        .meeting("f7", f7 + 3, "held");
    // f8 (161): two spells in P (gap > 28): [02-01, 02-10] with a held meeting on its start
    // (yes) and [06-01, 06-30] without (no): 2 spells, 1 person.
    ex.kh("f8", d("2024-02-01"), Some(d("2024-02-10")), 161)
        .meeting("f8", d("2024-02-01"), "held")
        .kh("f8", d("2024-06-01"), Some(d("2024-06-30")), 161);
    // f9: two periods starting 07-01, in 167 and 165: the spell's municipality is that of its
    // earliest period, ties by the smallest code: 165. Held on the start: yes.
    let f9 = d("2024-07-01");
    ex.kh("f9", f9, None, 167)
        .kh("f9", f9, Some(f9 + 9), 165)
        .meeting("f9", f9, "held");
    // f10: [08-01, 08-05] in 169 then [08-03, …] in 173: one spell in 169; no meeting: no.
    let f10 = d("2024-08-01");
    ex.kh("f10", f10, Some(f10 + 4), 169)
        .kh("f10", f10 + 2, None, 173);
    let rep = ex.run_2024();
    let m = "first_meeting_7d";
    assert_eq!(rep.muni(165, m), Some((1, 1, 1, 1)), "f9: smallest code");
    assert_eq!(rep.muni(167, m), None, "f9");
    assert_eq!(rep.muni(169, m), Some((0, 1, 1, 0)), "f10: earliest period");
    assert_eq!(rep.muni(173, m), None, "f10");
    assert_eq!(rep.muni(101, m), Some((1, 1, 1, 1)), "f1: held on start+6");
    assert_eq!(rep.muni(147, m), Some((0, 1, 1, 0)), "f2: held on start+7");
    assert_eq!(rep.muni(151, m), Some((1, 1, 1, 1)), "f3: start+6 = R");
    assert_eq!(rep.muni(153, m), None, "f4: start+6 > R");
    assert_eq!(rep.muni(155, m), None, "f5: start before P");
    assert_eq!(
        rep.muni(157, m),
        Some((0, 1, 1, 0)),
        "f6: held before start"
    );
    assert_eq!(rep.muni(159, m), Some((1, 1, 1, 1)), "f7: held in a gap");
    assert_eq!(rep.muni(161, m), Some((1, 2, 1, 1)), "f8: two spells");
    // Spells f1, f2, f3, f6, f7, f8a, f8b, f9, f10 = 9 (8 persons); yes f1, f3, f7, f8a,
    // f9 = 5. All but f1 enter with group unknown.
    assert_eq!(rep.dk(m), Some((5, 9, 8, 5)));
    assert_eq!(rep.dk_group("jobparat", m), Some((1, 1, 1, 1)));
    assert_eq!(rep.dk_group("unknown", m), Some((4, 8, 7, 4)));
    assert_eq!(rep.dk_group("aktivitetsparat", m), None);
}

// ---------------------------------------------------------------------------------------------
// Six-month measures: spells not left-censored with start+182 ∈ P and duration ≥ 183;
// window [start, start+182].

#[test]
fn six_month_measures_window_and_denominator() {
    let r = d("2024-12-31");
    let s = d("2024-03-01");
    let mut ex = Ex::new();
    // t1 (101): held on s, s+50, s+100 and s+182 (the 4th on the last day): 4 → yes.
    // nytteindsats from s+182: an activation day in the window → offer; not a company kind.
    ex.kh("t1", s, None, 101)
        .held("t1", &[s, s + 50, s + 100, s + 182])
        .offer("t1", "nytteindsats", s + 182, Some(s + 200));
    // t2 (147): the 4th held meeting on s+183: 3 → no; cancelled_citizen/no_show don't count.
    // vejledning_opkvalificering [s−10, s] (its last day is the start): offer; mentor is not
    // activation.
    ex.kh("t2", s, None, 147)
        .held("t2", &[s, s + 50, s + 100, s + 183])
        .meeting("t2", s + 10, "cancelled_citizen")
        .meeting("t2", s + 11, "no_show")
        .offer("t2", "vejledning_opkvalificering", s - 10, Some(s))
        .offer("t2", "mentor", s, Some(s + 10));
    // t3 (151): [s, s+182], duration 183 → in; 4 held meetings s..s+3 → yes; a
    // virksomhedspraktik from s+183 is outside the window → no offer.
    ex.kh("t3", s, Some(s + 182), 151)
        .held("t3", &[s, s + 1, s + 2, s + 3])
        .offer("t3", "virksomhedspraktik", s + 183, Some(s + 200));
    // t4 (153): [s, s+181], duration 182 → not in the denominator.
    ex.kh("t4", s, Some(s + 181), 153)
        .held("t4", &[s, s + 1, s + 2, s + 3])
        .offer("t4", "virksomhedspraktik", s, Some(s + 100));
    // t5 (155): start+182 = 2024-01-01 ∈ P → in; nothing → no, no, no.
    let s5 = d("2024-01-01") - 182;
    ex.kh("t5", s5, None, 155);
    // t6 (157): start+182 = 2023-12-31 ∉ P → not in the denominator.
    let s6 = d("2023-12-31") - 182;
    ex.kh("t6", s6, None, 157)
        .held("t6", &[s6, s6 + 1, s6 + 2, s6 + 3])
        .offer("t6", "virksomhedspraktik", s6, Some(s6 + 100));
    // t7 (159): [s, s+49] and [s+70, …] are one spell (s+70 ≤ s+49+29); held on s and on
    // s+55, s+60, s+65 in the gap: 4 → yes; loentilskud [s+100, s+120]: offer and company.
    ex.kh("t7", s, Some(s + 49), 159)
        .kh("t7", s + 70, None, 159)
        .held("t7", &[s, s + 55, s + 60, s + 65])
        .offer("t7", "loentilskud", s + 100, Some(s + 120));
    // t8 (161): virksomhedspraktik on s+182 only: offer and company; no meetings.
    ex.kh("t8", s, None, 161)
        .offer("t8", "virksomhedspraktik", s + 182, Some(s + 182));
    // t9 (163): start R−182: start+182 = R ∈ P, duration |[R−182, R]| = 183 → in; 4 held
    // meetings, the last on R → yes; no offer.
    let s9 = r - 182;
    ex.kh("t9", s9, None, 163)
        .held("t9", &[s9, s9 + 60, s9 + 120, s9 + 182]);
    let rep = ex.run_2024();

    // Denominator: t1, t2, t3, t5, t7, t8, t9 = 7 spells (7 persons).
    //            t1  t2  t3  t5  t7  t8  t9
    // 4 meetings  y   n   y   n   y   n   y   → 4
    // offer       y   y   n   n   y   y   n   → 4
    // both        y   n   n   n   y   n   n   → 2
    // company     n   n   n   n   y   y   n   → 2
    let expect = [
        ("meetings_4_in_6m", [1, 0, 1, 0, 1, 0, 1]),
        ("offer_6m", [1, 1, 0, 0, 1, 1, 0]),
        ("rule_4_plus_1", [1, 0, 0, 0, 1, 0, 0]),
        ("company_offer_6m", [0, 0, 0, 0, 1, 1, 0]),
    ];
    let units = [101, 147, 151, 155, 159, 161, 163];
    for (m, yes) in expect {
        for (u, y) in units.iter().zip(yes) {
            assert_eq!(rep.muni(*u, m), Some((y, 1, 1, y)), "{m} at {u}");
        }
        assert_eq!(rep.muni(153, m), None, "{m}: duration 182");
        assert_eq!(rep.muni(157, m), None, "{m}: start+182 before P");
        let n: i64 = yes.iter().sum();
        assert_eq!(rep.dk(m), Some((n, 7, 7, n)), "{m} national");
        assert_eq!(rep.peer(HOVED, m), Some((n, 7, 7, n)), "{m} peer group");
    }
}

#[test]
fn rule_4_plus_1_only_for_spells_from_2020() {
    // --year 2020: u1 starts 2019-12-31, u2 2020-01-01; both with 4 held meetings and an
    // activation day in the first six months, start+182 in 2020, duration ≥ 183 by R.
    let mut ex = Ex::new();
    for (id, start, muni) in [("u1", d("2019-12-31"), 101), ("u2", d("2020-01-01"), 147)] {
        ex.kh(id, start, None, muni)
            .held(id, &[start, start + 1, start + 2, start + 3])
            .offer(id, "nytteindsats", start, Some(start));
    }
    let rep = ex.compute("2015-01-01", "2024-12-31", Some(2020), None);
    assert_eq!(rep.muni(101, "rule_4_plus_1"), None);
    assert_eq!(rep.muni(147, "rule_4_plus_1"), Some((1, 1, 1, 1)));
    assert_eq!(rep.dk("rule_4_plus_1"), Some((1, 1, 1, 1)));
    // The other six-month measures describe every cohort.
    assert_eq!(rep.dk("meetings_4_in_6m"), Some((2, 2, 2, 2)));
    assert_eq!(rep.dk("offer_6m"), Some((2, 2, 2, 2)));
    assert_eq!(rep.dk("company_offer_6m"), Some((0, 2, 2, 0)));
}

#[test]
fn left_censored_spells_leave_the_spell_based_measures() {
    // X = 2023-07-01: spells starting ≤ X + 28 = 2023-07-29 are left-censored.
    let x = d("2023-07-01");
    let mut ex = Ex::new();
    // l1 (101) starts on X+28 (left-censored), l2 (147) on X+29. Both: start+182 in 2024,
    // duration 200 ≥ 183, 4 held meetings, and paid hours in the month of start+365 (2024-07)
    // after the spell ended: employment on start+365.
    for (id, start, muni) in [("l1", x + 28, 101), ("l2", x + 29, 147)] {
        ex.kh(id, start, Some(start + 199), muni)
            .held(id, &[start, start + 1, start + 2, start + 3])
            .hours(id, month(2024, 7), 100.0);
        assert_eq!(dates::year_of(start + 182), 2024);
        assert_eq!(iso(start + 365)[..7], *"2024-07");
    }
    let rep = ex.compute("2023-07-01", "2024-12-31", Some(2024), None);
    for m in ["meetings_4_in_6m", "in_work_365"] {
        assert_eq!(rep.muni(101, m), None, "{m}: left-censored spell");
        assert_eq!(rep.muni(147, m), Some((1, 1, 1, 1)), "{m}");
        assert_eq!(rep.dk(m), Some((1, 1, 1, 1)), "{m}");
    }
}

// ---------------------------------------------------------------------------------------------
// cancel_share and meetings_per_year: meetings in P on target days.

fn meetings_extract() -> Ex {
    let mut ex = Ex::new();
    // m1 (101): target [2023-12-01, 2023-12-31], [2024-03-01, 2024-03-31] and
    // [2024-04-10, 2024-04-30] (the last two one spell with a gap 04-01..04-09);
    // sygedagpenge in May. Jobparat from 03-06.
    ex.kh("m1", d("2023-12-01"), Some(d("2023-12-31")), 101)
        .kh("m1", d("2024-03-01"), Some(d("2024-03-31")), 101)
        .kh("m1", d("2024-04-10"), Some(d("2024-04-30")), 101)
        .period(
            "m1",
            "sygedagpenge",
            d("2024-05-01"),
            Some(d("2024-05-31")),
            101,
        )
        .assess("m1", d("2024-03-06"), "jobparat")
        .meeting("m1", d("2023-12-20"), "held") // target day, before P: out
        .meeting("m1", d("2024-03-05"), "held") // in, unknown
        .meeting("m1", d("2024-03-06"), "cancelled_citizen") // in, jobparat, cancel
        .meeting("m1", d("2024-03-07"), "no_show") // in, jobparat, cancel
        .meeting("m1", d("2024-03-08"), "cancelled_jobcentre") // not in cancel_share
        .meeting("m1", d("2024-04-05"), "held") // gap day: out
        .meeting("m1", d("2024-04-06"), "no_show") // gap day: out
        .meeting("m1", d("2024-05-10"), "no_show") // sygedagpenge day: out
        .meeting("m1", d("2024-04-30"), "held"); // in, jobparat

    // m2 (147): the whole of 2024 (366 days), two held meetings and one cancelled_jobcentre.
    ex.kh("m2", d("2024-01-01"), None, 147)
        .meeting("m2", d("2024-02-01"), "held")
        .meeting("m2", d("2024-06-01"), "cancelled_jobcentre")
        .meeting("m2", d("2024-12-31"), "held");
    // m3 (151): from 2024-01-01, exit 2024-07-01: target days 01-01..06-30 = 182; held on
    // 06-30 counts, held on the exit date does not.
    ex.kh("m3", d("2024-01-01"), None, 151)
        .exit("m3", d("2024-07-01"))
        .meeting("m3", d("2024-06-30"), "held")
        .meeting("m3", d("2024-07-01"), "held");
    ex
}

#[test]
fn cancel_share_counts_citizen_cancellations_among_meetings_on_target_days() {
    let rep = meetings_extract().run_2024();
    let m = "cancel_share";
    // m1: held 03-05, cancelled_citizen 03-06, no_show 03-07, held 04-30 = 4; cancelled 2.
    assert_eq!(rep.muni(101, m), Some((2, 4, 1, 1)));
    // Group of a meeting = group on its date: 03-05 unknown; the other three jobparat.
    assert_eq!(rep.muni_group(101, "unknown", m), Some((0, 1, 1, 0)));
    assert_eq!(rep.muni_group(101, "jobparat", m), Some((2, 3, 1, 1)));
    // m2: two held, cancelled_jobcentre excluded: 0 / 2.
    assert_eq!(rep.muni(147, m), Some((0, 2, 1, 0)));
    // m3: held 06-30 only.
    assert_eq!(rep.muni(151, m), Some((0, 1, 1, 0)));
    assert_eq!(rep.dk(m), Some((2, 7, 3, 1)));
    assert_eq!(rep.peer(HOVED, m), Some((2, 7, 3, 1)));
}

#[test]
fn meetings_per_year_is_held_meetings_per_target_person_year() {
    let rep = meetings_extract().run_2024();
    let m = "meetings_per_year";
    // m1: target days in P: March 31 + [04-10, 04-30] 21 = 52; held on target days: 03-05 and
    // 04-30 = 2. Unknown: 03-01..03-05 = 5 days, 1 meeting; jobparat: 26 + 21 = 47 days, 1.
    assert_eq!(rep.muni(101, m), Some((2, 52, 1, 1)));
    assert_eq!(rep.muni_group(101, "unknown", m), Some((1, 5, 1, 1)));
    assert_eq!(rep.muni_group(101, "jobparat", m), Some((1, 47, 1, 1)));
    let v = rep.value("municipality", "101", "all", m);
    assert!((v - 365.25 * 2.0 / 52.0).abs() < 1e-12, "{v}");
    // m2: 366 days (2024 is a leap year), 2 held.
    assert_eq!(rep.muni(147, m), Some((2, 366, 1, 1)));
    // m3: 182 days, 1 held.
    assert_eq!(rep.muni(151, m), Some((1, 182, 1, 1)));
    // Country: 5 meetings over 52 + 366 + 182 = 600 person-days: 365.25 · 5 / 600 = 3.04375.
    assert_eq!(rep.dk(m), Some((5, 600, 3, 3)));
    let v = rep.value("national", "DK", "all", m);
    assert!((v - 3.04375).abs() < 1e-12, "{v}");
    // Shares its denominator with activation_rate.
    assert_eq!(rep.dk("activation_rate").map(|c| c.1), Some(600));
}

// ---------------------------------------------------------------------------------------------
// paid_hours_months: calendar months wholly inside P with ≥ 1 target day; hours > 0.

#[test]
fn paid_hours_months_counts_whole_months_of_p_with_a_target_day() {
    // P = 2024-01-15..2024-06-20 (R = 2024-06-20): whole months Feb, Mar, Apr, May.
    let mut ex = Ex::new();
    // h1 (101): target Jan..Jun. Hours Jan 10 (January not whole in P), Feb 5, Mar 0, none in
    // Apr, May 10 + 10 (two employers), Jun 8 (not whole): months Feb..May = 4; paid Feb, May.
    ex.kh("h1", d("2024-01-01"), Some(d("2024-06-30")), 101)
        .hours("h1", month(2024, 1), 10.0)
        .hours("h1", month(2024, 2), 5.0)
        .hours("h1", month(2024, 3), 0.0)
        .hours("h1", month(2024, 5), 10.0)
        .hours("h1", month(2024, 5), 10.0)
        .hours("h1", month(2024, 6), 8.0);
    // h2 (147): target days 03-31 and 05-10..05-12: months Mar and May; hours Mar 1 (paid),
    // Apr 40 (no target day in April), May 0: 1 / 2.
    ex.kh("h2", d("2024-03-31"), Some(d("2024-03-31")), 147)
        .kh("h2", d("2024-05-10"), Some(d("2024-05-12")), 147)
        .hours("h2", month(2024, 3), 1.0)
        .hours("h2", month(2024, 4), 40.0)
        .hours("h2", month(2024, 5), 0.0);
    // h3: February in 151 (02-01..02-10) then 153 (02-11..02-29); jobparat from 02-05. The
    // month belongs to its first target day 02-01: municipality 151, group unknown.
    ex.kh("h3", d("2024-02-01"), Some(d("2024-02-10")), 151)
        .kh("h3", d("2024-02-11"), Some(d("2024-02-29")), 153)
        .assess("h3", d("2024-02-05"), "jobparat")
        .hours("h3", month(2024, 2), 10.0);
    // h4 (155): only June, which is not wholly inside P: no row.
    ex.kh("h4", d("2024-06-01"), Some(d("2024-06-20")), 155)
        .hours("h4", month(2024, 6), 100.0);
    let rep = ex.compute(
        "2015-01-01",
        "2024-12-31",
        None,
        Some((d("2024-01-15"), d("2024-06-20"))),
    );
    let m = "paid_hours_months";
    assert_eq!(rep.muni(101, m), Some((2, 4, 1, 1)));
    assert_eq!(rep.muni(147, m), Some((1, 2, 1, 1)));
    assert_eq!(rep.muni(151, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni_group(151, "unknown", m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni_group(151, "jobparat", m), None);
    assert_eq!(rep.muni(153, m), None);
    assert_eq!(rep.muni(155, m), None);
    // 4 + 2 + 1 = 7 person-months, 2 + 1 + 1 = 4 paid, 3 persons.
    assert_eq!(rep.dk(m), Some((4, 7, 3, 3)));
}

// ---------------------------------------------------------------------------------------------
// rule_225: stock on R with ≥ 365 target days in [R−1095, R]; ≥ 225 hours in the 12 months
// ending with R's month (2024-01..2024-12).

#[test]
fn rule_225_hours_in_the_last_twelve_months() {
    let r = d("2024-12-31");
    let mut ex = Ex::new();
    // v1 (101): [R−364, R] = 365 target days → in; hours Jan 100 + Dec 125 = 225 → yes;
    // 500 hours in 2023-12 are outside the 12 months.
    ex.kh("v1", r - 364, None, 101)
        .hours("v1", month(2024, 1), 100.0)
        .hours("v1", month(2024, 12), 125.0)
        .hours("v1", month(2023, 12), 500.0);
    // v2 (147): [R−363, R] = 364 days → not in the denominator.
    ex.kh("v2", r - 363, None, 147)
        .hours("v2", month(2024, 6), 300.0);
    // v3 (151): [R−1095, R−896] = 200 days + [R−164, R] = 165 days = 365 → in; 100 + 124.5
    // hours from two employers in May = 224.5 < 225 → no.
    ex.kh("v3", r - 1095, Some(r - 896), 151)
        .kh("v3", r - 164, None, 151)
        .hours("v3", month(2024, 5), 100.0)
        .hours("v3", month(2024, 5), 124.5);
    // v4 (153): [R−1200, R−1050] has 46 days in the window (R−1095..R−1050) + [R−318, R] =
    // 319 days: 365 → in; 112.49999999995 + 112.5 = 224.99999999995 ≥ 225 − 1e-9 → yes.
    ex.kh("v4", r - 1200, Some(r - 1050), 153)
        .kh("v4", r - 318, None, 153)
        .hours("v4", month(2024, 3), 112.49999999995)
        .hours("v4", month(2024, 4), 112.5);
    // v5 (155): not in the stock on R.
    ex.kh("v5", r - 1000, Some(r - 1), 155)
        .hours("v5", month(2024, 6), 300.0);
    let rep = ex.run_2024();
    let m = "rule_225";
    assert_eq!(rep.muni(101, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni(147, m), None);
    assert_eq!(rep.muni(151, m), Some((0, 1, 1, 0)));
    assert_eq!(rep.muni(153, m), Some((1, 1, 1, 1)));
    assert_eq!(rep.muni(155, m), None);
    assert_eq!(rep.dk(m), Some((2, 3, 3, 2)));
}

#[test]
fn rule_225_only_while_the_rule_was_in_force() {
    let mut ex = Ex::new();
    // In stock from 2023-01-01; 300 hours in 2025-06 (inside 2024-07..2025-06).
    ex.kh("p", d("2023-01-01"), None, 101)
        .hours("p", month(2025, 6), 300.0);
    // R = 2025-06-30, the rule's last day: computed.
    let last = ex.compute(
        "2015-01-01",
        "2025-12-31",
        None,
        Some((d("2025-01-01"), d("2025-06-30"))),
    );
    assert_eq!(last.dk("rule_225"), Some((1, 1, 1, 1)));
    // R = 2025-07-01: abolished, no rows.
    let after = ex.compute(
        "2015-01-01",
        "2025-12-31",
        None,
        Some((d("2025-01-01"), d("2025-07-01"))),
    );
    assert!(!after.has_measure("rule_225"));
    assert!(after.notes.iter().any(|n| n.contains("rule_225")));

    // The first day: R = 2016-04-01 computed, R = 2016-03-31 not (X = 2013-01-01 so that
    // R − 1095 ≥ X: 2016-04-01 − 1095 = 2013-04-02).
    let mut ex = Ex::new();
    ex.kh("p", d("2013-06-01"), None, 101)
        .hours("p", month(2016, 3), 300.0);
    let first = ex.compute(
        "2013-01-01",
        "2016-12-31",
        None,
        Some((d("2016-01-01"), d("2016-04-01"))),
    );
    assert_eq!(first.dk("rule_225"), Some((1, 1, 1, 1)));
    let before = ex.compute(
        "2013-01-01",
        "2016-12-31",
        None,
        Some((d("2016-01-01"), d("2016-03-31"))),
    );
    assert!(!before.has_measure("rule_225"));
}

// ---------------------------------------------------------------------------------------------
// in_work_365: spells not left-censored with start+365 ∈ P; status on start+365 = employment.

#[test]
fn in_work_365_reads_the_status_on_start_plus_365() {
    let mut ex = Ex::new();
    // Each spell is [s, s+99] unless noted, with s = (day read) − 365.
    // w1 (101): read 2024-03-10, hours in March → employment → yes.
    let s1 = d("2024-03-10") - 365;
    ex.kh("w1", s1, Some(s1 + 99), 101)
        .hours("w1", month(2024, 3), 80.0);
    // w2 (147): read 2024-04-10 under barsel and with April hours: employment (17) beats
    // barsel (18) → yes.
    let s2 = d("2024-04-10") - 365;
    ex.kh("w2", s2, Some(s2 + 99), 147)
        .period("w2", "barsel", month(2024, 4), Some(d("2024-04-30")), 147)
        .hours("w2", month(2024, 4), 50.0);
    // w3 (151): read 2024-05-10 still on kontanthjaelp (5) although paid → no.
    let s3 = d("2024-05-10") - 365;
    ex.kh("w3", s3, None, 151)
        .hours("w3", month(2024, 5), 100.0);
    // w4 (153): read 2024-02-01; hours only in January → self_support → no.
    let s4 = d("2024-02-01") - 365;
    ex.kh("w4", s4, Some(s4 + 99), 153)
        .hours("w4", month(2024, 1), 160.0);
    // w5 (155): read 2023-12-31 ∉ P → not in the denominator.
    let s5 = d("2023-12-31") - 365;
    ex.kh("w5", s5, Some(s5 + 99), 155)
        .hours("w5", month(2023, 12), 100.0);
    // w6 (157): read 2024-01-01 ∈ P, hours in January → yes.
    let s6 = d("2024-01-01") - 365;
    ex.kh("w6", s6, Some(s6 + 99), 157)
        .hours("w6", month(2024, 1), 100.0);
    // w7 (159): read 2024-06-10 under su (16) with June hours: su beats employment → no.
    let s7 = d("2024-06-10") - 365;
    ex.kh("w7", s7, Some(s7 + 99), 159)
        .period("w7", "su", month(2024, 6), Some(d("2024-06-30")), 159)
        .hours("w7", month(2024, 6), 100.0);
    // w8 (161): read 2024-07-10 = exit date → died_emigrated → no (still in the denominator).
    let s8 = d("2024-07-10") - 365;
    ex.kh("w8", s8, Some(s8 + 99), 161)
        .exit("w8", d("2024-07-10"))
        .hours("w8", month(2024, 7), 100.0);
    let rep = ex.run_2024();
    let m = "in_work_365";
    let expect = [
        (101, Some((1, 1, 1, 1))),
        (147, Some((1, 1, 1, 1))),
        (151, Some((0, 1, 1, 0))),
        (153, Some((0, 1, 1, 0))),
        (155, None),
        (157, Some((1, 1, 1, 1))),
        (159, Some((0, 1, 1, 0))),
        (161, Some((0, 1, 1, 0))),
    ];
    for (u, e) in expect {
        assert_eq!(rep.muni(u, m), e, "in_work_365 at {u}");
    }
    // w1, w2, w3, w4, w6, w7, w8 = 7; employed w1, w2, w6 = 3.
    assert_eq!(rep.dk(m), Some((3, 7, 7, 3)));
}

// ---------------------------------------------------------------------------------------------
// durable_work_12m: closed spells with end+365 ∈ P and exit class work (status on end+29);
// no benefit on any day of [end+1, end+365] and hours > 0 in each of the 12 months after the
// end month.

#[test]
fn durable_work_12m_needs_no_benefit_and_twelve_paid_months() {
    // e = 2023-03-15: e+29 = 2023-04-13 (exit class read), e+365 = 2024-03-14 ∈ P, the 12
    // months after the end month are 2023-04..2024-03.
    let e = d("2023-03-15");
    let start = d("2022-03-01");
    let twelve = months(2023, 4, 12);
    assert_eq!(*twelve.last().expect("12"), month(2024, 3));
    let mut ex = Ex::new();
    let worker = |ex: &mut Ex, id: &str, muni: i32, paid: &[Day]| {
        ex.kh(id, start, Some(e), muni);
        for &m in paid {
            ex.hours(id, m, 120.0);
        }
    };
    // x1 (101): all 12 months paid, no benefit → yes. Group at entry: jobparat on start+30
    // (a later aktivitetsparat does not change it).
    worker(&mut ex, "x1", 101, &twelve);
    ex.assess("x1", start + 30, "jobparat")
        .assess("x1", d("2023-06-01"), "aktivitetsparat");
    // x2 (147): paid 2023-03..2024-02 and 2024-04, not 2024-03 (the 12th month) → no.
    let mut x2 = months(2023, 3, 12);
    x2.push(month(2024, 4));
    worker(&mut ex, "x2", 147, &x2);
    // x3 (151): as x1 plus sygedagpenge on e+365 → no.
    worker(&mut ex, "x3", 151, &twelve);
    ex.period("x3", "sygedagpenge", e + 365, Some(e + 365), 151);
    // x4 (153): as x1 plus sygedagpenge from e+366 → yes.
    worker(&mut ex, "x4", 153, &twelve);
    ex.period("x4", "sygedagpenge", e + 366, Some(e + 400), 153);
    // x5 (155): su on e+29 → exit class education → not in the denominator.
    worker(&mut ex, "x5", 155, &twelve);
    ex.period("x5", "su", e + 29, Some(e + 29), 155);
    // x6 (157): no hours in April 2023 → self_support on e+29 (class work) → in; 11 paid
    // months → no.
    worker(&mut ex, "x6", 157, &twelve[1..]);
    // x7 (159): ends 2022-12-31, end+365 = 2023-12-31 ∉ P → not in the denominator.
    ex.kh("x7", d("2022-01-01"), Some(d("2022-12-31")), 159);
    for m in months(2023, 1, 24) {
        ex.hours("x7", m, 120.0);
    }
    // x8 (161): exit_date e+29 ≤ end + gap + 1 → censored, not closed → not in.
    worker(&mut ex, "x8", 161, &twelve);
    ex.exit("x8", e + 29);
    // x9 (163): ends 2023-01-01, end+365 = 2024-01-01 ∈ P; paid 2023-02..2024-01 → yes.
    let e9 = d("2023-01-01");
    assert_eq!(e9 + 365, d("2024-01-01"));
    ex.kh("x9", d("2022-06-01"), Some(e9), 163);
    for m in months(2023, 2, 12) {
        ex.hours("x9", m, 120.0);
    }
    // x10 (165): a_dagpenge on [e+1, e+5]: status on e+29 employment → in; benefit on e+1 →
    // no.
    worker(&mut ex, "x10", 165, &twelve);
    ex.period("x10", "a_dagpenge", e + 1, Some(e + 5), 165);
    // x11 (167): ends 2023-12-31 (end+365 = 2024-12-30 ∈ P); the 12 months after December
    // are 2024-01..2024-12, all paid → yes.
    let e11 = d("2023-12-31");
    ex.kh("x11", d("2023-01-01"), Some(e11), 167);
    for m in months(2024, 1, 12) {
        ex.hours("x11", m, 120.0);
    }
    let rep = ex.run_2024();
    let m = "durable_work_12m";
    let expect = [
        (101, Some((1, 1, 1, 1))),
        (147, Some((0, 1, 1, 0))),
        (151, Some((0, 1, 1, 0))),
        (153, Some((1, 1, 1, 1))),
        (155, None),
        (157, Some((0, 1, 1, 0))),
        (159, None),
        (161, None),
        (163, Some((1, 1, 1, 1))),
        (165, Some((0, 1, 1, 0))),
        (167, Some((1, 1, 1, 1))),
    ];
    for (u, want) in expect {
        assert_eq!(rep.muni(u, m), want, "durable_work_12m at {u}");
    }
    // x1, x2, x3, x4, x6, x9, x10, x11 = 8; durable x1, x4, x9, x11 = 4.
    assert_eq!(rep.dk(m), Some((4, 8, 8, 4)));
    assert_eq!(rep.dk_group("jobparat", m), Some((1, 1, 1, 1)));
    assert_eq!(rep.dk_group("aktivitetsparat", m), None);
}

// ---------------------------------------------------------------------------------------------
// All 17 measures appear on one extract, with the right interval presence (checked on every
// row by `check_values_and_intervals`).

#[test]
fn every_measure_is_present_with_intervals_exactly_for_proportions() {
    let mut ex = meetings_extract();
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
