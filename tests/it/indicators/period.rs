//! Day-, meeting- and month-based indicators over P (MEASURES.md §4.3) on hand-made extracts.

use super::*;

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
// cancel_share and meetings_per_year: meetings in P on target days.

pub(super) fn meetings_extract() -> Ex {
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
