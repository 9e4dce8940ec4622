//! Outcome indicators (MEASURES.md §4.4) on hand-made extracts.

use super::*;

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
