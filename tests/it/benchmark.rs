//! Values of `benchmark` (MEASURES.md §6, columns of §8) on hand-made extracts whose answers
//! are known by construction, as published (the table is built by disclosure control from the
//! published `indicators`).
//!
//! X = 2015-01-01, E = 2024-12-31, `--year 2024`, so R = 2024-12-31. A *long* person is on
//! kontanthjaelp since 2022-01-01 (|[2022-01-01, R]| = 1096 > 730 days: long-term), a *short*
//! one since 2024-06-01 (214 days). Two strata: *young* = born 2000, M, danish (24 on R:
//! 18-29) and *old* = born 1970, F, null origin (54 on R: 50-59). København (101) and
//! Frederiksberg (147), Ballerup (151) are in the peer group Hovedstadskommuner.

use polars::prelude::*;

use crate::ex::{d, Ex, Tables};

const HOVED: &str = "Hovedstadskommuner";

/// Adds `n` persons of municipality `muni` named `{tag}{i}`, young or old, long or short.
fn add(ex: &mut Ex, muni: i32, tag: &str, n: usize, young: bool, long: bool) {
    for i in 0..n {
        let id = format!("{muni}{tag}{i}");
        if young {
            ex.person(&id, 2000, "M", Some("danish"), Some("basic"));
        } else {
            ex.person(&id, 1970, "F", None, Some("basic"));
        }
        let start = if long { "2022-01-01" } else { "2024-06-01" };
        ex.kh(&id, d(start), None, muni);
    }
}

fn run_2024(ex: &Ex) -> Tables {
    ex.computed("2015-01-01", "2024-12-31", Some(2024), None)
}

/// One benchmark row.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    unit: String,
    unit_name: String,
    measure: String,
    value: Option<f64>,
    peer_group: Option<String>,
    peer_value: Option<f64>,
    national_value: Option<f64>,
    rank: Option<i64>,
    n_ranked: Option<i64>,
    expected: Option<f64>,
    oe: [Option<f64>; 3],
    funnel_z: Option<f64>,
    funnel_flag: Option<String>,
    suppressed: bool,
}

fn rows(df: &DataFrame) -> Vec<Row> {
    let text = |c: &str| -> Vec<Option<String>> {
        let s = df.column(c).expect(c);
        assert_eq!(s.dtype(), &DataType::String, "dtype of `{c}`");
        s.str()
            .expect(c)
            .iter()
            .map(|v| v.map(str::to_owned))
            .collect()
    };
    let int = |c: &str| -> Vec<Option<i64>> {
        let s = df.column(c).expect(c);
        assert_eq!(s.dtype(), &DataType::Int64, "dtype of `{c}`");
        s.i64().expect(c).iter().collect()
    };
    let float = |c: &str| -> Vec<Option<f64>> {
        let s = df.column(c).expect(c);
        assert_eq!(s.dtype(), &DataType::Float64, "dtype of `{c}`");
        s.f64().expect(c).iter().collect()
    };
    let (unit, unit_name, measure, peer_group, flag) = (
        text("unit"),
        text("unit_name"),
        text("measure"),
        text("peer_group"),
        text("funnel_flag"),
    );
    let (value, peer, national, expected) = (
        float("value"),
        float("peer_value"),
        float("national_value"),
        float("expected"),
    );
    let (ratio, lo, hi, z) = (
        float("oe_ratio"),
        float("oe_lo"),
        float("oe_hi"),
        float("funnel_z"),
    );
    let (rank, n_ranked) = (int("rank"), int("n_ranked"));
    let suppressed: Vec<bool> = df
        .column("suppressed")
        .expect("suppressed")
        .bool()
        .expect("suppressed")
        .iter()
        .map(|v| v.expect("non-null suppressed"))
        .collect();
    (0..df.height())
        .map(|i| Row {
            unit: unit[i].clone().expect("unit"),
            unit_name: unit_name[i].clone().expect("unit_name"),
            measure: measure[i].clone().expect("measure"),
            value: value[i],
            peer_group: peer_group[i].clone(),
            peer_value: peer[i],
            national_value: national[i],
            rank: rank[i],
            n_ranked: n_ranked[i],
            expected: expected[i],
            oe: [ratio[i], lo[i], hi[i]],
            funnel_z: z[i],
            funnel_flag: flag[i].clone(),
            suppressed: suppressed[i],
        })
        .collect()
}

fn find<'a>(rows: &'a [Row], unit: &str, measure: &str) -> &'a Row {
    rows.iter()
        .find(|r| r.unit == unit && r.measure == measure)
        .unwrap_or_else(|| panic!("no benchmark row {unit} {measure}"))
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-12)
}

#[test]
fn benchmark_values_on_two_municipalities_and_two_strata() {
    // 101: young 5 long + 5 short, old 10 long: long_term_share 15/20 = 0.75.
    // 147: young 5 long + 15 short, old 5 long: 10/25 = 0.4.
    // National by stratum: young 10/30 = 1/3, old 15/15 = 1; overall 25/45 = 5/9.
    let mut ex = Ex::new();
    add(&mut ex, 101, "yl", 5, true, true);
    add(&mut ex, 101, "ys", 5, true, false);
    add(&mut ex, 101, "ol", 10, false, true);
    add(&mut ex, 147, "yl", 5, true, true);
    add(&mut ex, 147, "ys", 15, true, false);
    add(&mut ex, 147, "ol", 5, false, true);
    let tables = run_2024(&ex);
    let published = rows(&tables.published("benchmark"));

    // One row per municipality and benchmarked measure, sorted by unit, unit_name, measure;
    // meetings_per_year (a rate) is not benchmarked; nothing is suppressed here.
    let keys: Vec<(String, String)> = published
        .iter()
        .map(|r| (r.unit.clone(), r.measure.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(published.iter().all(|r| r.measure != "meetings_per_year"));
    assert!(published.iter().all(|r| !r.suppressed), "{published:#?}");

    let a = find(&published, "101", "long_term_share");
    let b = find(&published, "147", "long_term_share");
    assert_eq!(
        (a.unit_name.as_str(), b.unit_name.as_str()),
        ("København", "Frederiksberg")
    );
    assert!(close(a.value, 0.75) && close(b.value, 0.4));
    for r in [a, b] {
        assert_eq!(r.peer_group.as_deref(), Some(HOVED));
        // Both municipalities are the whole peer group and the whole country.
        assert!(close(r.peer_value, 25.0 / 45.0) && close(r.national_value, 25.0 / 45.0));
        assert_eq!(r.n_ranked, Some(2));
    }
    assert_eq!((a.rank, b.rank), (Some(1), Some(2)));
    // expected_101 = 10 · 1/3 + 10 · 1 = 40/3; expected_147 = 20 · 1/3 + 5 · 1 = 35/3;
    // together 25, the national numerator.
    assert!(close(a.expected, 40.0 / 3.0) && close(b.expected, 35.0 / 3.0));
    assert!(close(a.oe[0], 15.0 / (40.0 / 3.0)) && close(b.oe[0], 10.0 / (35.0 / 3.0)));
    // Exact Poisson limits on 15 observed: χ²_{0.025}(30)/2 = 8.395, χ²_{0.975}(32)/2 = 24.740.
    let (lo, hi) = (a.oe[1].expect("oe_lo"), a.oe[2].expect("oe_hi"));
    assert!((lo * 40.0 / 3.0 - 8.395).abs() < 5e-3, "{lo}");
    assert!((hi * 40.0 / 3.0 - 24.740).abs() < 5e-3, "{hi}");
    // z_101 = (3/4 − 5/9) / √((5/9)(4/9)/20) = (7/36) / (1/9) = 1.75;
    // z_147 = (2/5 − 5/9) / √((5/9)(4/9)/25) = −7/√20 = −1.565.
    assert!(close(a.funnel_z, 1.75), "{:?}", a.funnel_z);
    assert!(close(b.funnel_z, -7.0 / 20f64.sqrt()), "{:?}", b.funnel_z);
    assert_eq!(a.funnel_flag.as_deref(), Some("inside"));
    assert_eq!(b.funnel_flag.as_deref(), Some("inside"));

    // long_term_5y_share is 0 in both: a tie at rank 1; with a national rate of 0 there is no
    // expected event and no funnel spread, so O/E and z are null.
    for unit in ["101", "147"] {
        let r = find(&published, unit, "long_term_5y_share");
        assert_eq!((r.value, r.rank, r.n_ranked), (Some(0.0), Some(1), Some(2)));
        assert!(close(r.expected, 0.0), "{r:?}");
        assert_eq!(
            (r.oe, r.funnel_z, r.funnel_flag.clone()),
            ([None; 3], None, None)
        );
    }
    // A day-based share is ranked but has no expected, O/E or funnel.
    let r = find(&published, "101", "activation_rate");
    assert!(r.value.is_some() && r.rank.is_some());
    assert_eq!((r.expected, r.oe, r.funnel_z), (None, [None; 3], None));
}

#[test]
fn a_suppressed_indicator_nulls_its_benchmark_row() {
    // 147 has 3 long of 10: long_term_share numerator 3 < 5, so its indicators row is
    // suppressed (and, by the secondary rules, a partner in the peer group with it).
    let mut ex = Ex::new();
    add(&mut ex, 101, "yl", 5, true, true);
    add(&mut ex, 101, "ys", 5, true, false);
    add(&mut ex, 101, "ol", 10, false, true);
    add(&mut ex, 147, "yl", 3, true, true);
    add(&mut ex, 147, "ys", 7, true, false);
    add(&mut ex, 151, "yl", 5, true, true);
    add(&mut ex, 151, "ys", 5, true, false);
    add(&mut ex, 151, "ol", 5, false, true);
    let tables = run_2024(&ex);
    let published = rows(&tables.published("benchmark"));
    let indicators = tables.published("indicators");

    let r = find(&published, "147", "long_term_share");
    assert!(r.suppressed, "{r:?}");
    assert_eq!((r.value, r.rank, r.expected), (None, None, None));
    assert_eq!(
        (r.oe, r.funnel_z, r.funnel_flag.clone()),
        ([None; 3], None, None)
    );
    assert_eq!(r.peer_group.as_deref(), Some(HOVED));

    // Generally: a row whose municipality's indicators row is suppressed shows nothing that
    // derives from it; a published row's value is the published indicator value; ranks run
    // over the published values only.
    let published_indicator = |unit: &str, measure: &str| -> Option<f64> {
        let df = indicators
            .clone()
            .lazy()
            .filter(
                col("level")
                    .eq(lit("municipality"))
                    .and(col("unit").eq(lit(unit)))
                    .and(col("group").eq(lit("all")))
                    .and(col("measure").eq(lit(measure))),
            )
            .collect()
            .expect("filter");
        assert_eq!(df.height(), 1, "{unit} {measure}");
        df.column("value")
            .expect("value")
            .f64()
            .expect("f64")
            .get(0)
    };
    let mut hidden = 0;
    for r in &published {
        let value = published_indicator(&r.unit, &r.measure);
        assert_eq!(r.value, value, "{r:?}");
        if value.is_none() {
            hidden += 1;
            assert!(r.suppressed, "{r:?}");
            assert_eq!(
                (r.rank, r.expected, r.oe, r.funnel_z),
                (None, None, [None; 3], None)
            );
        }
        let n = published
            .iter()
            .filter(|o| o.measure == r.measure && o.value.is_some())
            .count() as i64;
        assert_eq!(r.n_ranked, Some(n), "{r:?}");
        if let (Some(v), Some(rank)) = (r.value, r.rank) {
            let above = published
                .iter()
                .filter(|o| o.measure == r.measure && o.value.is_some_and(|o| o > v))
                .count() as i64;
            assert_eq!(rank, above + 1, "{r:?}");
        }
    }
    assert!(hidden >= 2, "a suppressed row and its partner");
}
