//! Values of `duration_cohorts`, `exit_destinations`, `stock_duration` and `fte` (MEASURES.md
//! §1–§3, columns of §8) on hand-made extracts whose answers are known by construction. The
//! pipeline runs through `forloeb::compute` (unprotected tables), so cells of one person are
//! visible.
//!
//! Unless a case says otherwise: X = 2015-01-01, E = 2024-12-31, `--year 2024`, so
//! P = [2024-01-01, 2024-12-31] (366 days, a leap year) and R = 2024-12-31; gap_days = 28, so a
//! period joins a spell when `start ≤ spell_end + 29`, and a spell is closed when
//! `spell_end + 29 ≤ R` and no exit_date ≤ spell_end + 29. Municipalities 101 København,
//! 147 Frederiksberg, 151 Ballerup and 153 Brøndby are all in the peer group Hovedstadskommuner.
//! Day arithmetic is written on `Day` integers: `|[a, b]| = b − a + 1`.

use forloeb::dates::Day;
use polars::prelude::*;

use crate::ex::{d, iso, month, Ex, Tables};

const Z95: f64 = 1.959963984540054;
const HOVED: &str = "Hovedstadskommuner";
const HORIZONS: [i32; 5] = [91, 183, 365, 730, 1096];

fn run_2024(ex: &Ex) -> Tables {
    ex.computed("2015-01-01", "2024-12-31", Some(2024), None)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

// ---------------------------------------------------------------------------------------------
// Reading rows

/// The rows of `df` at one (level, unit, group), in table order; `more` adds equality filters
/// on further key columns (e.g. `entry_year`).
fn line(df: &DataFrame, level: &str, unit: &str, group: &str, more: &[(&str, Expr)]) -> DataFrame {
    let mut keep = col("level")
        .eq(lit(level))
        .and(col("unit").eq(lit(unit)))
        .and(col("group").eq(lit(group)));
    for (c, v) in more {
        keep = keep.and(col(*c).eq(v.clone()));
    }
    df.clone().lazy().filter(keep).collect().expect("filter")
}

fn texts(df: &DataFrame, c: &str) -> Vec<String> {
    df.column(c)
        .expect(c)
        .str()
        .expect(c)
        .iter()
        .map(|v| v.expect("non-null text").to_owned())
        .collect()
}

/// Integer column as i64, after checking it has the dtype of MEASURES.md §8: days and years are
/// Int32, counts Int64. So a value test fails when a column's dtype changes, not only its value.
fn ints(df: &DataFrame, c: &str) -> Vec<Option<i64>> {
    let expected = match c {
        "entry_year" | "t_days" | "median_days" | "lag_days" => DataType::Int32,
        _ => DataType::Int64,
    };
    let column = df.column(c).expect(c);
    assert_eq!(column.dtype(), &expected, "dtype of `{c}` (MEASURES.md §8)");
    let s = column.cast(&DataType::Int64).expect(c);
    s.i64().expect(c).iter().collect()
}

fn floats(df: &DataFrame, c: &str) -> Vec<Option<f64>> {
    df.column(c).expect(c).f64().expect(c).iter().collect()
}

// ---------------------------------------------------------------------------------------------
// duration_cohorts

/// One `duration_cohorts` row: counts, median and (S, lo, hi) per horizon.
#[derive(Debug)]
struct Cohort {
    unit_name: String,
    spells: i64,
    persons: i64,
    events: i64,
    censored: i64,
    median: Option<i64>,
    s: Vec<(Option<f64>, Option<f64>, Option<f64>)>,
}

fn cohort(t: &Tables, level: &str, unit: &str, year: i32, group: &str) -> Option<Cohort> {
    let df = line(
        t.table("duration_cohorts"),
        level,
        unit,
        group,
        &[("entry_year", lit(year))],
    );
    assert!(
        df.height() <= 1,
        "duplicate cohort {level}/{unit}/{year}/{group}"
    );
    if df.height() == 0 {
        return None;
    }
    let one = |c: &str| ints(&df, c)[0];
    let s = HORIZONS
        .iter()
        .map(|h| {
            (
                floats(&df, &format!("s_{h}"))[0],
                floats(&df, &format!("s_{h}_lo"))[0],
                floats(&df, &format!("s_{h}_hi"))[0],
            )
        })
        .collect();
    Some(Cohort {
        unit_name: texts(&df, "unit_name")[0].clone(),
        spells: one("spells").expect("spells"),
        persons: one("persons").expect("persons"),
        events: one("events").expect("events"),
        censored: one("censored").expect("censored"),
        median: one("median_days"),
        s,
    })
}

/// The log-log interval of MEASURES.md §3 for 0 < S < 1 with Greenwood variance `v`.
fn loglog(s: f64, v: f64) -> (f64, f64) {
    let se = v.sqrt() / s.ln().abs();
    let c = (-s.ln()).ln();
    ((-(c + Z95 * se).exp()).exp(), (-(c - Z95 * se).exp()).exp())
}

/// Asserts (S, lo, hi) at horizon index `i`: `Some((s, v))` for 0 < S < 1 with variance `v`.
fn assert_s(c: &Cohort, i: usize, s: f64, v: f64, what: &str) {
    let h = HORIZONS[i];
    let (got, lo, hi) = c.s[i];
    let got = got.unwrap_or_else(|| panic!("{what}: S({h}) null"));
    assert!(close(got, s), "{what}: S({h}) = {got}, expected {s}");
    let (elo, ehi) = loglog(s, v);
    let (lo, hi) = (lo.expect("lo"), hi.expect("hi"));
    assert!(
        (lo - elo).abs() < 1e-9 && (hi - ehi).abs() < 1e-9,
        "{what}: S({h}) interval ({lo}, {hi}), log-log gives ({elo}, {ehi})"
    );
}

/// S(h) at an edge of MEASURES.md §3.
#[derive(Clone, Copy)]
enum Edge {
    /// S = 1: interval (1, 1).
    One,
    /// S = 0: null bounds.
    Zero,
    /// No spell lasts h days and S never reached 0: S(h) null.
    Null,
}

/// Asserts S(h) with its bounds at an edge.
fn assert_s_edge(c: &Cohort, i: usize, edge: Edge, what: &str) {
    let h = HORIZONS[i];
    let expected = match edge {
        Edge::One => (Some(1.0), Some(1.0), Some(1.0)),
        Edge::Zero => (Some(0.0), None, None),
        Edge::Null => (None, None, None),
    };
    assert_eq!(c.s[i], expected, "{what}: S({h}) with its bounds");
}

/// Spells of municipality 101, entry year 2020 (durations in days; E = event, C = censored):
///
/// | person | periods | spell | duration | closed | group_at_entry |
/// |---|---|---|---|---|---|
/// | p1 | 2020-01-01..01-10 | same | 10 | E | jobparat (assessed on the start day) |
/// | p2 | 2020-02-01..03-31 | same | 29 + 31 = 60 | E | jobparat |
/// | p3 | 03-01..03-20, 04-18..06-08 | 03-01..06-08 (04-18 = 03-20 + 29 joins) | 31 + 30 + 31 + 8 = 100 | E | aktivitetsparat (assessed on start + 30) |
/// | p4 | 2020-05-01..06-19, exit 07-01 | same | 31 + 19 = 50 | C (exit ≤ 06-19 + 29 = 07-18) | unknown (assessed on start + 31) |
/// | p5 | 2020-06-01..(null) | to R | 2024-12-31 − 2020-06-01 + 1 = 1675 | C | unknown |
fn cohorts_extract() -> Ex {
    let mut ex = Ex::new();
    ex.kh("p1", d("2020-01-01"), Some(d("2020-01-10")), 101)
        .assess("p1", d("2020-01-01"), "jobparat");
    ex.kh("p2", d("2020-02-01"), Some(d("2020-03-31")), 101)
        .assess("p2", d("2020-02-01"), "jobparat");
    ex.kh("p3", d("2020-03-01"), Some(d("2020-03-20")), 101)
        .kh("p3", d("2020-04-18"), Some(d("2020-06-08")), 101)
        .assess("p3", d("2020-03-01") + 30, "aktivitetsparat");
    ex.kh("p4", d("2020-05-01"), Some(d("2020-06-19")), 101)
        .exit("p4", d("2020-07-01"))
        .assess("p4", d("2020-05-01") + 31, "jobparat");
    ex.kh("p5", d("2020-06-01"), None, 101);
    // 147, entry 2021: one person, two spells (06-01 > 01-31 + 29 = 03-01: no join) of 31
    // and 30 days, both closed.
    ex.kh("p7", d("2021-01-01"), Some(d("2021-01-31")), 147).kh(
        "p7",
        d("2021-06-01"),
        Some(d("2021-06-30")),
        147,
    );
    // 151, entry 2024: the closing boundary. p8 ends R − 29: closed (R − 29 + 29 ≤ R), 32 days
    // (2024-11-01..12-02); p9 ends R − 28: censored, 33 days.
    let r = d("2024-12-31");
    ex.kh("p8", d("2024-11-01"), Some(r - 29), 151);
    ex.kh("p9", d("2024-11-01"), Some(r - 28), 151);
    // 153: left censoring. q-left starts X + 28 = 2015-01-29: left-censored, not in any cohort;
    // q-in starts X + 29: cohort 2015, 2015-01-30..02-28 = 30 days, closed.
    ex.kh("q-left", d("2015-01-29"), Some(d("2015-03-01")), 153);
    ex.kh("q-in", d("2015-01-30"), Some(d("2015-02-28")), 153);
    ex
}

#[test]
fn duration_cohorts_kaplan_meier_with_censored_spells() {
    let t = run_2024(&cohorts_extract());
    assert_eq!(d("2024-12-31") - d("2020-06-01") + 1, 1675);
    // 101 / 2020 / all: event times 10, 60, 100; censored at 50 and 1675.
    //   t = 10:  n = 5, d = 1: S = 4/5,                V = 1/(5·4) = 1/20
    //   t = 60:  n = 3, d = 1: S = 4/5 · 2/3 = 8/15,   V = 1/20 + 1/(3·2) = 13/60
    //   t = 100: n = 2, d = 1: S = 8/15 · 1/2 = 4/15,  V = 13/60 + 1/(2·1) = 43/60
    // S(91) = 8/15; S(183) = S(365) = S(730) = S(1096) = 4/15 (p5 is at risk up to 1675).
    // Median: S(60) = 8/15 > 1/2, S(100) = 4/15 ≤ 1/2: 100.
    let all = cohort(&t, "municipality", "101", 2020, "all").expect("101/2020/all");
    assert_eq!(all.unit_name, "København");
    assert_eq!(
        (all.spells, all.persons, all.events, all.censored),
        (5, 5, 3, 2)
    );
    assert_eq!(all.median, Some(100));
    assert_s(&all, 0, 8.0 / 15.0, 13.0 / 60.0, "101/2020/all");
    for i in 1..5 {
        assert_s(&all, i, 4.0 / 15.0, 43.0 / 60.0, "101/2020/all");
    }

    // The country and the peer group hold only 101's spells in 2020: the same row.
    for (level, unit, name) in [("national", "DK", "Danmark"), ("peer_group", HOVED, HOVED)] {
        let c = cohort(&t, level, unit, 2020, "all").expect("pooled 2020/all");
        assert_eq!(c.unit_name, name);
        assert_eq!((c.spells, c.persons, c.events, c.censored), (5, 5, 3, 2));
        assert_eq!(c.median, Some(100));
        assert_eq!(c.s, all.s, "{level}/2020/all");
    }

    // jobparat: p1 (10), p2 (60). t = 10: n = 2, d = 1, S = 1/2 exactly, which is the median
    // (S ≤ 0.5 + 1e-9); t = 60: S = 0, so S(h) = 0 with null bounds at every horizon.
    let job = cohort(&t, "municipality", "101", 2020, "jobparat").expect("jobparat");
    assert_eq!(
        (job.spells, job.persons, job.events, job.censored),
        (2, 2, 2, 0)
    );
    assert_eq!(job.median, Some(10));
    for i in 0..5 {
        assert_s_edge(&job, i, Edge::Zero, "101/2020/jobparat");
    }
    // aktivitetsparat: p3 alone (100 days, closed): S(91) = 1 with (1, 1), then 0.
    let akt = cohort(&t, "municipality", "101", 2020, "aktivitetsparat").expect("akt");
    assert_eq!((akt.spells, akt.events, akt.censored), (1, 1, 0));
    assert_eq!(akt.median, Some(100));
    assert_s_edge(&akt, 0, Edge::One, "101/2020/aktivitetsparat");
    assert_s_edge(&akt, 1, Edge::Zero, "101/2020/aktivitetsparat");
    // unknown: p4 (censored at 50: an assessment on start + 31 is outside the entry window) and
    // p5 (censored at 1675): no events, S = 1 with (1, 1) at every horizon, no median.
    let unk = cohort(&t, "municipality", "101", 2020, "unknown").expect("unknown");
    assert_eq!((unk.spells, unk.events, unk.censored), (2, 0, 2));
    assert_eq!(unk.median, None);
    for i in 0..5 {
        assert_s_edge(&unk, i, Edge::One, "101/2020/unknown");
    }
    // The national jobparat row is 101's.
    let dk_job = cohort(&t, "national", "DK", 2020, "jobparat").expect("DK jobparat");
    assert_eq!(
        (dk_job.spells, dk_job.events, dk_job.median),
        (2, 2, Some(10))
    );

    // 147 / 2021: one person, two closed spells of 30 and 31 days. t = 30: n = 2, d = 1,
    // S = 1/2 (the median); t = 31: S = 0.
    let p7 = cohort(&t, "municipality", "147", 2021, "all").expect("147/2021");
    assert_eq!(
        (p7.spells, p7.persons, p7.events, p7.censored),
        (2, 1, 2, 0)
    );
    assert_eq!(p7.median, Some(30));
    assert_s_edge(&p7, 0, Edge::Zero, "147/2021/all");

    // 151 / 2024: p8 closed at 32, p9 censored at 33. t = 32: n = 2, d = 1, S = 1/2, median 32.
    // No spell lasts 91 days and S never reached 0: S(h) is null at every horizon.
    let b = cohort(&t, "municipality", "151", 2024, "all").expect("151/2024");
    assert_eq!((b.spells, b.events, b.censored), (2, 1, 1));
    assert_eq!(b.median, Some(32));
    for i in 0..5 {
        assert_s_edge(&b, i, Edge::Null, "151/2024/all");
    }

    // 153: only q-in is a cohort spell (2015, 30 days, closed); q-left is left-censored.
    let c153 = cohort(&t, "municipality", "153", 2015, "all").expect("153/2015");
    assert_eq!((c153.spells, c153.events, c153.median), (1, 1, Some(30)));
    let dk2015 = cohort(&t, "national", "DK", 2015, "all").expect("DK/2015");
    assert_eq!(dk2015.spells, 1);
    // Cohorts exist only where there are spells.
    assert!(cohort(&t, "municipality", "101", 2021, "all").is_none());
    assert!(cohort(&t, "municipality", "153", 2020, "all").is_none());
}

// ---------------------------------------------------------------------------------------------
// exit_destinations

/// (lag_days, destination, spells, share) of one (level, unit, group), in table order.
fn destinations(t: &Tables, level: &str, unit: &str, group: &str) -> Vec<(i64, String, i64, f64)> {
    let df = line(t.table("exit_destinations"), level, unit, group, &[]);
    let (lag, dest, spells, share) = (
        ints(&df, "lag_days"),
        texts(&df, "destination"),
        ints(&df, "spells"),
        floats(&df, "share"),
    );
    (0..df.height())
        .map(|i| {
            (
                lag[i].expect("lag"),
                dest[i].clone(),
                spells[i].expect("spells"),
                share[i].expect("share"),
            )
        })
        .collect()
}

fn assert_destinations(
    t: &Tables,
    level: &str,
    unit: &str,
    group: &str,
    expected: &[(i64, &str, i64, f64)],
) {
    let got = destinations(t, level, unit, group);
    let what = format!("{level}/{unit}/{group}");
    assert_eq!(
        got.iter()
            .map(|(l, d, n, _)| (*l, d.as_str(), *n))
            .collect::<Vec<_>>(),
        expected
            .iter()
            .map(|(l, d, n, _)| (*l, *d, *n))
            .collect::<Vec<_>>(),
        "{what}: (lag, destination, spells)"
    );
    for ((l, dest, _, share), (_, _, _, want)) in got.iter().zip(expected) {
        assert!(
            close(*share, *want),
            "{what}: lag {l} {dest}: share {share}, expected {want}"
        );
    }
}

#[test]
fn exit_destinations_read_the_status_at_each_lag_inside_p() {
    let mut ex = Ex::new();
    // q1 (101, jobparat): spell 2023-01-01..12-31, closed. Status days in P:
    //   +30 = 2024-01-30: hours in January and barsel: employment (17) beats barsel (18);
    //   +92 = 2024-04-01: sygedagpenge (11) beats employment (April hours);
    //   +182 = 2024-06-30: the last day of sygedagpenge;
    //   +365 = 2024-12-30: employment (December hours).
    let end1 = d("2023-12-31");
    assert_eq!(
        [30, 92, 182, 365].map(|l| iso(end1 + l)),
        ["2024-01-30", "2024-04-01", "2024-06-30", "2024-12-30"]
    );
    ex.kh("q1", d("2023-01-01"), Some(end1), 101)
        .assess("q1", d("2023-01-01"), "jobparat")
        .period("q1", "barsel", d("2024-01-15"), Some(d("2024-02-15")), 101)
        .period(
            "q1",
            "sygedagpenge",
            d("2024-03-01"),
            Some(d("2024-06-30")),
            101,
        )
        .hours("q1", month(2024, 1), 40.0)
        .hours("q1", month(2024, 4), 40.0)
        .hours("q1", month(2024, 12), 40.0);
    // q2 and q6 (101): spell 2023-06-01..11-30, closed (q2's exit 2024-06-01 is after
    // 11-30 + 29 = 12-29). +30 = 2023-12-30 is before P: no lag-30 row. +92 = 2024-03-01 and
    // +182 = 2024-05-30: self_support; +365 = 2024-11-29: self_support for q6, died_emigrated
    // for q2 (exit_date ≤ that day).
    let end2 = d("2023-11-30");
    assert_eq!(
        [30, 92, 182, 365].map(|l| iso(end2 + l)),
        ["2023-12-30", "2024-03-01", "2024-05-30", "2024-11-29"]
    );
    ex.kh("q2", d("2023-06-01"), Some(end2), 101)
        .exit("q2", d("2024-06-01"));
    ex.kh("q6", d("2023-06-01"), Some(end2), 101);
    // q7 (101): the same spell but the person leaves on 2023-12-15 ≤ 12-29: censored, counted
    // nowhere (it would be died_emigrated at every lag).
    ex.kh("q7", d("2023-06-01"), Some(end2), 101)
        .exit("q7", d("2023-12-15"));
    // q4 (101): spell 2023-10-01..12-31, closed; a new spell from 2024-03-01 (after
    // 12-31 + 29 = 2024-01-29), running. +30 = 2024-01-30: self_support; +92, +182, +365:
    // kontanthjaelp. The running spell is not closed and adds nothing.
    ex.kh("q4", d("2023-10-01"), Some(end1), 101)
        .kh("q4", d("2024-03-01"), None, 101);
    // q5 (101): periods 2023-09-01..11-30 and 12-20..12-31 merge (12-20 ≤ 11-30 + 29 = 12-29)
    // into one spell ending 2023-12-31, then folkepension: folkepension at all four lags, one
    // spell each. (Unmerged, a second closed spell ending 11-30 would add one more folkepension
    // at lags 92, 182 and 365.)
    ex.kh("q5", d("2023-09-01"), Some(end2), 101)
        .kh("q5", d("2023-12-20"), Some(end1), 101)
        .period("q5", "folkepension", d("2024-01-01"), None, 101);
    // q3 (147, uddannelsesparat): spell 2024-01-01..03-31, closed, then su. +30 = 04-30,
    // +92 = 07-01, +182 = 09-29: su; +365 = 2025-03-31 is after P: no lag-365 row.
    ex.kh("q3", d("2024-01-01"), Some(d("2024-03-31")), 147)
        .assess("q3", d("2024-01-01"), "uddannelsesparat")
        .period("q3", "su", d("2024-04-01"), None, 147);
    let t = run_2024(&ex);

    // 101 / all. Lag 30: q1, q4, q5 (3). Lags 92 and 182: q1, q2, q4, q5, q6 (5). Lag 365: the
    // same five. Destinations in byte order within a lag; share = spells / the lag's total.
    assert_destinations(
        &t,
        "municipality",
        "101",
        "all",
        &[
            (30, "employment", 1, 1.0 / 3.0),
            (30, "folkepension", 1, 1.0 / 3.0),
            (30, "self_support", 1, 1.0 / 3.0),
            (92, "folkepension", 1, 0.2),
            (92, "kontanthjaelp", 1, 0.2),
            (92, "self_support", 2, 0.4),
            (92, "sygedagpenge", 1, 0.2),
            (182, "folkepension", 1, 0.2),
            (182, "kontanthjaelp", 1, 0.2),
            (182, "self_support", 2, 0.4),
            (182, "sygedagpenge", 1, 0.2),
            (365, "died_emigrated", 1, 0.2),
            (365, "employment", 1, 0.2),
            (365, "folkepension", 1, 0.2),
            (365, "kontanthjaelp", 1, 0.2),
            (365, "self_support", 1, 0.2),
        ],
    );
    // 101 / jobparat: q1 alone, share 1 at each lag.
    assert_destinations(
        &t,
        "municipality",
        "101",
        "jobparat",
        &[
            (30, "employment", 1, 1.0),
            (92, "sygedagpenge", 1, 1.0),
            (182, "sygedagpenge", 1, 1.0),
            (365, "employment", 1, 1.0),
        ],
    );
    // 101 / unknown: q2, q4, q5, q6 (lag 30: q4, q5 only).
    assert_destinations(
        &t,
        "municipality",
        "101",
        "unknown",
        &[
            (30, "folkepension", 1, 0.5),
            (30, "self_support", 1, 0.5),
            (92, "folkepension", 1, 0.25),
            (92, "kontanthjaelp", 1, 0.25),
            (92, "self_support", 2, 0.5),
            (182, "folkepension", 1, 0.25),
            (182, "kontanthjaelp", 1, 0.25),
            (182, "self_support", 2, 0.5),
            (365, "died_emigrated", 1, 0.25),
            (365, "folkepension", 1, 0.25),
            (365, "kontanthjaelp", 1, 0.25),
            (365, "self_support", 1, 0.25),
        ],
    );
    // 147 / uddannelsesparat and all: q3's su at lags 30, 92, 182.
    for group in ["uddannelsesparat", "all"] {
        assert_destinations(
            &t,
            "municipality",
            "147",
            group,
            &[(30, "su", 1, 1.0), (92, "su", 1, 1.0), (182, "su", 1, 1.0)],
        );
    }
    // The country (and the peer group, which holds both municipalities): 101 plus q3.
    // Lag 30: 3 + 1 = 4 spells; lags 92 and 182: 5 + 1 = 6; lag 365: 5.
    let national = [
        (30, "employment", 1, 0.25),
        (30, "folkepension", 1, 0.25),
        (30, "self_support", 1, 0.25),
        (30, "su", 1, 0.25),
        (92, "folkepension", 1, 1.0 / 6.0),
        (92, "kontanthjaelp", 1, 1.0 / 6.0),
        (92, "self_support", 2, 2.0 / 6.0),
        (92, "su", 1, 1.0 / 6.0),
        (92, "sygedagpenge", 1, 1.0 / 6.0),
        (182, "folkepension", 1, 1.0 / 6.0),
        (182, "kontanthjaelp", 1, 1.0 / 6.0),
        (182, "self_support", 2, 2.0 / 6.0),
        (182, "su", 1, 1.0 / 6.0),
        (182, "sygedagpenge", 1, 1.0 / 6.0),
        (365, "died_emigrated", 1, 0.2),
        (365, "employment", 1, 0.2),
        (365, "folkepension", 1, 0.2),
        (365, "kontanthjaelp", 1, 0.2),
        (365, "self_support", 1, 0.2),
    ];
    assert_destinations(&t, "national", "DK", "all", &national);
    assert_destinations(&t, "peer_group", HOVED, "all", &national);
}

// ---------------------------------------------------------------------------------------------
// stock_duration

/// (duration_band, persons) of one (level, unit, group), in table order.
fn bands(t: &Tables, level: &str, unit: &str, group: &str) -> Vec<(String, i64)> {
    let df = line(t.table("stock_duration"), level, unit, group, &[]);
    let (band, persons) = (texts(&df, "duration_band"), ints(&df, "persons"));
    (0..df.height())
        .map(|i| (band[i].clone(), persons[i].expect("persons")))
        .collect()
}

fn owned(v: &[(&str, i64)]) -> Vec<(String, i64)> {
    v.iter().map(|(b, n)| ((*b).to_owned(), *n)).collect()
}

#[test]
fn stock_duration_counts_the_stock_on_r_by_duration_band() {
    let r = d("2024-12-31");
    let mut ex = Ex::new();
    // Running spells from R − k + 1, so k = |[spell_start, R]|, at each band boundary
    // (0-6m ≤ 182 < 6-12m ≤ 365 < 1-2y ≤ 730 < 2-3y ≤ 1095 < 3-5y ≤ 1826 < 5y+).
    let running = |ex: &mut Ex, id: &str, k: Day, muni: i32| {
        ex.kh(id, r - k + 1, None, muni);
    };
    running(&mut ex, "s1", 182, 101); // 0-6m
    running(&mut ex, "s2", 183, 101); // 6-12m
    running(&mut ex, "s3", 365, 101); // 6-12m
    running(&mut ex, "s4", 730, 101); // 1-2y
    running(&mut ex, "s5", 731, 101); // 2-3y
    running(&mut ex, "s6", 1095, 147); // 2-3y
    running(&mut ex, "s7", 1096, 147); // 3-5y
    running(&mut ex, "s8", 1826, 147); // 3-5y
    running(&mut ex, "s9", 1827, 147); // 5y+
                                       // group(R): s1 assessed on R itself (jobparat); s2 aktivitetsparat; the rest unknown.
    ex.assess("s1", r, "jobparat");
    ex.assess("s2", r - 100, "aktivitetsparat");
    // s10: [R−400, R−200] in 147 and [R−171, …] in 101 merge (R−171 ≤ R−200 + 29): k = 401,
    // 1-2y, counted in 101, the municipality of the period covering R.
    ex.kh("s10", r - 400, Some(r - 200), 147)
        .kh("s10", r - 171, None, 101);
    // s11 ends R − 1 and s13 leaves on R (its period ends R − 1): not in the stock.
    ex.kh("s11", r - 300, Some(r - 1), 101);
    ex.kh("s13", r - 50, None, 101).exit("s13", r);
    // s12: two periods cover R, in 153 and 151: the smallest code, 151; k = 11, 0-6m.
    ex.kh("s12", r - 10, None, 153).kh("s12", r - 5, None, 151);
    let t = run_2024(&ex);

    // Bands in band order, empty bands absent.
    assert_eq!(
        bands(&t, "municipality", "101", "all"),
        owned(&[("0-6m", 1), ("6-12m", 2), ("1-2y", 2), ("2-3y", 1)])
    );
    assert_eq!(
        bands(&t, "municipality", "147", "all"),
        owned(&[("2-3y", 1), ("3-5y", 2), ("5y+", 1)])
    );
    assert_eq!(
        bands(&t, "municipality", "151", "all"),
        owned(&[("0-6m", 1)])
    );
    assert_eq!(bands(&t, "municipality", "153", "all"), owned(&[]));
    assert_eq!(
        bands(&t, "municipality", "101", "jobparat"),
        owned(&[("0-6m", 1)])
    );
    assert_eq!(
        bands(&t, "municipality", "101", "aktivitetsparat"),
        owned(&[("6-12m", 1)])
    );
    assert_eq!(
        bands(&t, "municipality", "101", "unknown"),
        owned(&[("6-12m", 1), ("1-2y", 2), ("2-3y", 1)])
    );
    // The country: 11 persons in the stock.
    let national = owned(&[
        ("0-6m", 2),
        ("6-12m", 2),
        ("1-2y", 2),
        ("2-3y", 2),
        ("3-5y", 2),
        ("5y+", 1),
    ]);
    assert_eq!(bands(&t, "national", "DK", "all"), national);
    assert_eq!(bands(&t, "peer_group", HOVED, "all"), national);
    assert_eq!(
        bands(&t, "national", "DK", "unknown"),
        owned(&[
            ("0-6m", 1),
            ("6-12m", 1),
            ("1-2y", 2),
            ("2-3y", 2),
            ("3-5y", 2),
            ("5y+", 1),
        ])
    );
}

// ---------------------------------------------------------------------------------------------
// fte

/// (person_days, fte, persons) of one (level, unit, group), if written.
fn fte(t: &Tables, level: &str, unit: &str, group: &str) -> Option<(i64, f64, i64)> {
    let df = line(t.table("fte"), level, unit, group, &[]);
    assert!(df.height() <= 1, "duplicate fte row {level}/{unit}/{group}");
    (df.height() == 1).then(|| {
        (
            ints(&df, "person_days")[0].expect("person_days"),
            floats(&df, "fte")[0].expect("fte"),
            ints(&df, "persons")[0].expect("persons"),
        )
    })
}

fn assert_fte(t: &Tables, at: (&str, &str, &str), days: i64, p_days: i64, persons: i64) {
    let (level, unit, group) = at;
    let (got_days, got_fte, got_persons) =
        fte(t, level, unit, group).unwrap_or_else(|| panic!("no fte row {level}/{unit}/{group}"));
    assert_eq!(
        (got_days, got_persons),
        (days, persons),
        "{level}/{unit}/{group}: (person_days, persons)"
    );
    let want = days as f64 / p_days as f64;
    assert!(
        close(got_fte, want),
        "{level}/{unit}/{group}: fte {got_fte}, expected {days}/{p_days} = {want}"
    );
}

fn fte_extract() -> Ex {
    let mut ex = Ex::new();
    // f1 (101): running since 2023: every day of P.
    ex.kh("f1", d("2023-06-01"), None, 101);
    // f2 (101): 2024-01-01..06-30 = 31 + 29 + 31 + 30 + 31 + 30 = 182 days; group(day) unknown
    // before the assessment on 04-01 (91 days), jobparat from it (91 days).
    ex.kh("f2", d("2024-01-01"), Some(d("2024-06-30")), 101)
        .assess("f2", d("2024-04-01"), "jobparat");
    // f3 (101): overlapping periods 03-01..03-31 and 03-15..04-10, union 03-01..04-10 = 41 days
    // (not 31 + 27).
    ex.kh("f3", d("2024-03-01"), Some(d("2024-03-31")), 101).kh(
        "f3",
        d("2024-03-15"),
        Some(d("2024-04-10")),
        101,
    );
    // f4: 07-01..07-31 in 147 and 07-20..08-31 in 101. Days covered by both go to the smallest
    // code: 101 gets 07-20..08-31 = 12 + 31 = 43 days, 147 gets 07-01..07-19 = 19 days.
    ex.kh("f4", d("2024-07-01"), Some(d("2024-07-31")), 147).kh(
        "f4",
        d("2024-07-20"),
        Some(d("2024-08-31")),
        101,
    );
    // f5 (147): 2024-12-01..R = 31 days.
    ex.kh("f5", d("2024-12-01"), None, 147);
    // f6 (151): from 2024-01-01, leaves 02-01: effective end 01-31, 31 days.
    ex.kh("f6", d("2024-01-01"), None, 151)
        .exit("f6", d("2024-02-01"));
    // f7 (151): sygedagpenge all year, not a target benefit: no fte.
    ex.period("f7", "sygedagpenge", d("2024-01-01"), None, 151);
    ex
}

#[test]
fn fte_is_target_person_days_over_the_days_of_p() {
    let t = run_2024(&fte_extract());
    let p = 366; // |[2024-01-01, 2024-12-31]|, a leap year
                 // 101: f1 366 + f2 182 + f3 41 + f4 43 = 632 days, 4 persons.
    assert_fte(&t, ("municipality", "101", "all"), 632, p, 4);
    assert_fte(&t, ("municipality", "101", "jobparat"), 91, p, 1);
    // unknown: f1 366 + f2 91 + f3 41 + f4 43 = 541.
    assert_fte(&t, ("municipality", "101", "unknown"), 541, p, 4);
    // 147: f4 19 + f5 31 = 50 days, 2 persons; 151: f6 31 days.
    assert_fte(&t, ("municipality", "147", "all"), 50, p, 2);
    assert_fte(&t, ("municipality", "151", "all"), 31, p, 1);
    // The country: 632 + 50 + 31 = 713 days, 6 distinct persons (f4 counted once).
    assert_fte(&t, ("national", "DK", "all"), 713, p, 6);
    assert_fte(&t, ("peer_group", HOVED, "all"), 713, p, 6);
    assert_fte(&t, ("national", "DK", "jobparat"), 91, p, 1);
    assert_fte(&t, ("national", "DK", "unknown"), 622, p, 6);
    assert!(fte(&t, "municipality", "153", "all").is_none());
}

#[test]
fn fte_divides_by_the_days_of_a_half_year_period() {
    // --period 2024-01-01..2024-06-30: |P| = 182, R = 2024-06-30 (data after R ignored).
    let t = fte_extract().computed(
        "2015-01-01",
        "2024-12-31",
        None,
        Some((d("2024-01-01"), d("2024-06-30"))),
    );
    let p = 182;
    // 101: f1 182 + f2 182 + f3 41 = 405 (f4 starts after R); 151: f6 31.
    assert_fte(&t, ("municipality", "101", "all"), 405, p, 3);
    assert_fte(&t, ("municipality", "151", "all"), 31, p, 1);
    assert!(fte(&t, "municipality", "147", "all").is_none());
    // The country: 405 + 31 = 436 days, 4 persons.
    assert_fte(&t, ("national", "DK", "all"), 436, p, 4);
}
