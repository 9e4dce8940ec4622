//! Spell-based compliance indicators (MEASURES.md §4.2) on hand-made extracts.

use super::*;

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
