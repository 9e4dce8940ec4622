//! Values of `longterm_profile` (MEASURES.md §5, columns of §8) on a hand-made extract whose
//! answers are known by construction, through `forloeb::compute` (unprotected, so cells of one
//! person are visible).
//!
//! X = 2015-01-01, E = 2024-12-31, `--year 2024`, so R = 2024-12-31 and (2024 is a leap year)
//! R − 364 = 2024-01-02, R − 365 = 2024-01-01, R − 1825 = 2020-01-02, R − 1826 = 2020-01-01;
//! the 12 months ending with R's month are 2024-01..2024-12. long_term_days = 730, so a person
//! is long-term when `|[spell_start, R]| > 730`. Every person below is in municipality 101.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::ex::{d, month, Ex, Tables};

/// (n_long, n_short) per (variable, category), checking that the shares are the counts over
/// their side's total and that the rows are sorted by variable and category in byte order.
fn profile(t: &Tables) -> BTreeMap<(String, String), (i64, i64)> {
    let df = t.table("longterm_profile");
    let names: Vec<&str> = df.get_column_names().iter().map(|c| c.as_str()).collect();
    assert_eq!(
        names[..6],
        [
            "variable",
            "category",
            "n_long",
            "share_long",
            "n_short",
            "share_short"
        ]
    );
    let text = |c: &str| -> Vec<String> {
        df.column(c)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap().to_owned())
            .collect()
    };
    let count = |c: &str| -> Vec<i64> {
        let column = df.column(c).unwrap();
        assert_eq!(column.dtype(), &DataType::Int64, "{c} is a count (§8)");
        column.i64().unwrap().iter().map(Option::unwrap).collect()
    };
    let share = |c: &str| -> Vec<f64> {
        df.column(c)
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .map(Option::unwrap)
            .collect()
    };
    let (variable, category) = (text("variable"), text("category"));
    let (n_long, n_short) = (count("n_long"), count("n_short"));
    let (share_long, share_short) = (share("share_long"), share("share_short"));
    let keys: Vec<(String, String)> = variable.into_iter().zip(category).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "sorted: {keys:?}");
    let mut totals: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for (i, (v, _)) in keys.iter().enumerate() {
        let t = totals.entry(v).or_default();
        (t.0, t.1) = (t.0 + n_long[i], t.1 + n_short[i]);
    }
    for (i, (v, c)) in keys.iter().enumerate() {
        let (tl, ts) = totals[v.as_str()];
        assert!(
            (share_long[i] - n_long[i] as f64 / tl as f64).abs() < 1e-12,
            "{v}/{c}"
        );
        assert!(
            (share_short[i] - n_short[i] as f64 / ts as f64).abs() < 1e-12,
            "{v}/{c}"
        );
    }
    keys.into_iter()
        .zip(n_long.into_iter().zip(n_short))
        .collect()
}

/// The rows of one variable: category → (n_long, n_short).
fn variable<'a>(
    p: &'a BTreeMap<(String, String), (i64, i64)>,
    name: &str,
) -> Vec<(&'a str, (i64, i64))> {
    p.iter()
        .filter(|((v, _), _)| v == name)
        .map(|((_, c), n)| (c.as_str(), *n))
        .collect()
}

/// Two long-term and three other persons on benefit on R, and one who left before R.
fn extract() -> Ex {
    let mut ex = Ex::new();
    // l1: long, |[2020-01-03, R]| = 1827 − 2 = 1825 > 730. Born 1995: 2024 − 1995 = 29 → 18-29.
    ex.person("l1", 1995, "F", Some("immigrant_nonwestern"), None)
        .kh("l1", d("2020-01-03"), None, 101)
        .assess("l1", d("2023-01-01"), "aktivitetsparat")
        // Four held meetings in [R − 364, R] → 4+; a jobcentre cancellation is no cancellation.
        .held(
            "l1",
            &[
                d("2024-03-01"),
                d("2024-04-01"),
                d("2024-05-01"),
                d("2024-06-01"),
            ],
        )
        .meeting("l1", d("2024-02-01"), "cancelled_jobcentre")
        // A mentor ending on R − 364 overlaps the window, so two interventions → 2+.
        .offer("l1", "mentor", d("2023-06-01"), Some(d("2024-01-02")))
        .offer(
            "l1",
            "virksomhedspraktik",
            d("2024-05-01"),
            Some(d("2024-05-31")),
        )
        // 225 hours exactly → 225+.
        .hours("l1", month(2024, 1), 225.0)
        // Sygedagpenge ending on R − 1825, the window's first day → yes.
        .period(
            "l1",
            "sygedagpenge",
            d("2019-06-01"),
            Some(d("2020-01-02")),
            101,
        );
    // l2: long at the boundary, |[2023-01-01, R]| = 365 + 366 = 731 > 730. Born 1984: 40 → 40-49.
    ex.person("l2", 1984, "M", Some("danish"), Some("basic"))
        .kh("l2", d("2023-01-01"), None, 101)
        .assess("l2", d("2023-01-01"), "jobparat")
        // Held on R − 365 (outside) and R − 364 (inside) → 1 → 1-3; a no-show there → 1+.
        .held("l2", &[d("2024-01-01"), d("2024-01-02")])
        .meeting("l2", d("2024-01-02"), "no_show")
        // An intervention ending on R − 365 does not overlap the window → 0.
        .offer("l2", "loentilskud", d("2023-03-01"), Some(d("2024-01-01")))
        // 2023-12 is outside the 12 months; 224.999 < 225 − 1e-9 → 1-224.
        .hours("l2", month(2023, 12), 100.0)
        .hours("l2", month(2024, 12), 224.999)
        // Sygedagpenge ending on R − 1826, the day before the window → no.
        .period(
            "l2",
            "sygedagpenge",
            d("2018-01-01"),
            Some(d("2020-01-01")),
            101,
        );
    // s1: not long at the boundary, |[2023-01-02, R]| = 730. Born 1994: 30 → 30-39. No
    // assessment → group unknown; no meetings → 0.
    ex.person("s1", 1994, "F", Some("danish"), Some("basic"))
        .kh("s1", d("2023-01-02"), None, 101)
        // An intervention starting on R → 1.
        .offer("s1", "ips", d("2024-12-31"), None)
        // 224.9999999999 is within the 1e-9 allowance of 225 → 225+.
        .hours("s1", month(2024, 6), 224.999_999_999_9)
        // Sygedagpenge starting on R − 1825 → yes.
        .period(
            "s1",
            "sygedagpenge",
            d("2020-01-02"),
            Some(d("2020-02-01")),
            101,
        );
    // s2: born 1964: 60 → 60+. Group on R: the jobparat decision dated R.
    ex.person("s2", 1964, "M", Some("danish"), Some("basic"))
        .kh("s2", d("2024-06-01"), None, 101)
        .assess("s2", d("2024-06-01"), "aktivitetsparat")
        .assess("s2", d("2024-12-31"), "jobparat")
        // Three held → 1-3; an afbud → 1+.
        .held("s2", &[d("2024-07-01"), d("2024-08-01"), d("2024-09-01")])
        .meeting("s2", d("2024-07-15"), "cancelled_citizen");
    // young: born 2008: 16, counted in 18-29; origin null → unknown.
    ex.person("young", 2008, "F", None, Some("basic"))
        .kh("young", d("2024-09-01"), None, 101);
    // gone: off benefit before R, in no row.
    ex.person(
        "gone",
        1950,
        "M",
        Some("immigrant_western"),
        Some("master_plus"),
    )
    .kh("gone", d("2015-01-01"), Some(d("2024-06-30")), 101);
    ex
}

#[test]
fn every_variable_splits_the_stock_on_r_into_long_term_and_not() {
    let t = extract().computed("2015-01-01", "2024-12-31", Some(2024), None);
    let p = profile(&t);
    // Long: l1, l2. Not long: s1, s2, young. Rows only for categories with someone in them.
    assert_eq!(
        variable(&p, "age_band"),
        [
            ("18-29", (1, 1)), // l1 (29) | young (16)
            ("30-39", (0, 1)), // s1 (30)
            ("40-49", (1, 0)), // l2 (40)
            ("60+", (0, 1)),   // s2 (60)
        ]
    );
    assert_eq!(variable(&p, "sex"), [("F", (1, 2)), ("M", (1, 1))]);
    assert_eq!(
        variable(&p, "origin"),
        [
            ("danish", (1, 2)),
            ("immigrant_nonwestern", (1, 0)),
            ("unknown", (0, 1)),
        ]
    );
    assert_eq!(
        variable(&p, "education"),
        [("basic", (1, 3)), ("unknown", (1, 0))]
    );
    assert_eq!(
        variable(&p, "group"),
        [
            ("aktivitetsparat", (1, 0)), // l1
            ("jobparat", (1, 1)),        // l2 | s2 (decision dated R)
            ("unknown", (0, 2)),         // s1, young
        ]
    );
    assert_eq!(
        variable(&p, "interventions_12m"),
        [("0", (1, 2)), ("1", (0, 1)), ("2+", (1, 0))]
    );
    assert_eq!(
        variable(&p, "meetings_12m"),
        [("0", (0, 2)), ("1-3", (1, 1)), ("4+", (1, 0))]
    );
    assert_eq!(
        variable(&p, "cancellations_12m"),
        [("0", (1, 2)), ("1+", (1, 1))]
    );
    assert_eq!(
        variable(&p, "paid_hours_12m"),
        [
            ("0", (0, 2)),     // s2, young
            ("1-224", (1, 0)), // l2: 224.999
            ("225+", (1, 1)),  // l1: 225 | s1: 224.9999999999
        ]
    );
    assert_eq!(
        variable(&p, "sygedagpenge_5y"),
        [("no", (1, 2)), ("yes", (1, 1))]
    );
    // l1: target days in [R − 1825, R] = |[2020-01-03, R]| = 1825 ≥ 0.8 × 1826 = 1460.8; l2
    // has 731.
    assert_eq!(
        variable(&p, "support_80pct_5y"),
        [("no", (1, 3)), ("yes", (1, 0))]
    );
    assert!(t.notes().iter().all(|n| !n.contains("longterm_profile")));
}

#[test]
fn the_sides_are_the_national_long_term_share_numerator_and_the_rest_of_its_denominator() {
    let t = extract().computed("2015-01-01", "2024-12-31", Some(2024), None);
    let p = profile(&t);
    let age = variable(&p, "age_band");
    let long: i64 = age.iter().map(|(_, n)| n.0).sum();
    let short: i64 = age.iter().map(|(_, n)| n.1).sum();
    let row = t
        .table("indicators")
        .clone()
        .lazy()
        .filter(
            col("level")
                .eq(lit("national"))
                .and(col("group").eq(lit("all")))
                .and(col("measure").eq(lit("long_term_share"))),
        )
        .collect()
        .unwrap();
    let get = |c: &str| row.column(c).unwrap().i64().unwrap().get(0).unwrap();
    assert_eq!((long, short), (2, 3));
    assert_eq!(
        (get("numerator"), get("denominator") - get("numerator")),
        (2, 3)
    );
}

#[test]
fn a_variable_whose_window_starts_before_x_is_not_computed() {
    // X = 2021-01-01 > R − 1825 = 2020-01-02: the five-year variables are not computed; the
    // 12-month ones (window from 2024-01-02) are.
    let t = extract().computed("2021-01-01", "2024-12-31", Some(2024), None);
    let p = profile(&t);
    for v in ["sygedagpenge_5y", "support_80pct_5y"] {
        assert!(variable(&p, v).is_empty(), "{v} has no rows");
        assert!(
            t.notes()
                .iter()
                .any(|n| n.starts_with(&format!("longterm_profile variable {v} not computed"))),
            "{v}: {:?}",
            t.notes()
        );
    }
    assert_eq!(
        variable(&p, "meetings_12m"),
        [("0", (0, 2)), ("1-3", (1, 1)), ("4+", (1, 0))]
    );
}
