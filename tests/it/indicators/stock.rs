//! Stock-based indicators (MEASURES.md §4.1) on hand-made extracts.

use super::*;

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
