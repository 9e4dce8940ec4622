//! Calibration: the extract read back and measured as MEASURES.md defines the figures.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use polars::prelude::DataFrame;

use super::codes::{Benefit, MeetingStatus, Offer};
use super::simulation::GAP_DAYS;
use super::testing::{days, ints, options, read_parquet, strs, E, X};
use super::world::{month_start, next_month};
use super::{write, SynthFormat};
use crate::dates::{self, Day};
use crate::reference::Reference;
use crate::schema;

/// Day intervals `[a, b]`, sorted and merged when they overlap or touch.
fn union(mut iv: Vec<(Day, Day)>) -> Vec<(Day, Day)> {
    iv.sort_unstable();
    let mut out: Vec<(Day, Day)> = Vec::new();
    for (a, b) in iv {
        match out.last_mut() {
            Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn bridge(iv: &[(Day, Day)], gap: Day) -> Vec<(Day, Day)> {
    let mut out: Vec<(Day, Day)> = Vec::new();
    for &(a, b) in iv {
        match out.last_mut() {
            Some(last) if a <= last.1 + gap + 1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn covers(iv: &[(Day, Day)], d: Day) -> bool {
    iv.iter().any(|&(a, b)| a <= d && d <= b)
}

fn days_within(iv: &[(Day, Day)], lo: Day, hi: Day) -> i64 {
    iv.iter()
        .map(|&(a, b)| i64::from((b.min(hi) - a.max(lo) + 1).max(0)))
        .sum()
}

#[derive(Default)]
struct Observed {
    birth: i32,
    exit: Option<Day>,
    kh_rows: Vec<(Day, Day)>,
    kh: Vec<(Day, Day)>,
    any: Vec<(Day, Day)>,
    assess: Vec<(Day, String)>,
    held: Vec<Day>,
    activation: Vec<(Day, Day)>,
    support: Vec<(Day, Day)>,
    hours: HashMap<Day, f64>,
}

impl Observed {
    fn group(&self, d: Day) -> &str {
        self.assess
            .iter()
            .rev()
            .find(|a| a.0 <= d)
            .map_or("unknown", |a| a.1.as_str())
    }
    fn employed(&self, d: Day) -> bool {
        !covers(&self.any, d) && self.hours.get(&month_start(d)).is_some_and(|&h| h > 0.0)
    }
}

/// (person_id, code, start, end) of each row of a table with a code column and a period.
fn coded_spans<'a>(df: &'a DataFrame, code: &str) -> Vec<(&'a str, &'a str, Day, Option<Day>)> {
    strs(df, schema::PERSON_ID)
        .into_iter()
        .zip(strs(df, code))
        .zip(
            days(df, schema::START)
                .into_iter()
                .zip(days(df, schema::END)),
        )
        .map(|((pid, code), (start, end))| (pid.unwrap(), code.unwrap(), start.unwrap(), end))
        .collect()
}

fn load(dir: &Path) -> Vec<Observed> {
    let e = dates::ymd(E.0, E.1, E.2).unwrap();
    let persons = read_parquet(dir, schema::PERSONS.name);
    let ids = strs(&persons, schema::PERSON_ID);
    let index: HashMap<String, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.unwrap().to_string(), i))
        .collect();
    let mut out: Vec<Observed> = ints(&persons, schema::BIRTH_YEAR)
        .into_iter()
        .zip(days(&persons, schema::EXIT_DATE))
        .map(|(b, x)| Observed {
            birth: b.unwrap(),
            exit: x,
            ..Observed::default()
        })
        .collect();
    let last_day =
        |p: &Observed, end: Option<Day>| end.unwrap_or(e).min(e).min(p.exit.map_or(e, |x| x - 1));
    let periods = read_parquet(dir, schema::BENEFIT_PERIODS.name);
    for (pid, benefit, s, en) in coded_spans(&periods, schema::BENEFIT) {
        let p = &mut out[index[pid]];
        let iv = (s, last_day(p, en));
        if benefit == Benefit::Kontanthjaelp.code() {
            p.kh_rows.push(iv);
        }
        p.any.push(iv);
    }
    let a = read_parquet(dir, schema::ASSESSMENTS.name);
    for (pid, (d, g)) in strs(&a, schema::PERSON_ID).into_iter().zip(
        days(&a, schema::DATE)
            .into_iter()
            .zip(strs(&a, schema::GROUP)),
    ) {
        out[index[pid.unwrap()]]
            .assess
            .push((d.unwrap(), g.unwrap().to_string()));
    }
    let m = read_parquet(dir, schema::MEETINGS.name);
    for (pid, (d, s)) in strs(&m, schema::PERSON_ID).into_iter().zip(
        days(&m, schema::DATE)
            .into_iter()
            .zip(strs(&m, schema::STATUS)),
    ) {
        if s == Some(MeetingStatus::Held.code()) {
            out[index[pid.unwrap()]].held.push(d.unwrap());
        }
    }
    let activation = [
        Offer::Virksomhedspraktik,
        Offer::Loentilskud,
        Offer::VejledningOpkvalificering,
        Offer::Nytteindsats,
    ]
    .map(Offer::code);
    let iv = read_parquet(dir, schema::INTERVENTIONS.name);
    for (pid, k, s, en) in coded_spans(&iv, schema::KIND) {
        let p = &mut out[index[pid]];
        let span = (s, last_day(p, en));
        if activation.contains(&k) {
            p.activation.push(span);
        }
        if activation.contains(&k) || k == Offer::Mentor.code() {
            p.support.push(span);
        }
    }
    let h = read_parquet(dir, schema::PAID_HOURS.name);
    let hours = h.column(schema::HOURS).unwrap().f64().unwrap();
    for ((pid, m), hrs) in strs(&h, schema::PERSON_ID)
        .into_iter()
        .zip(days(&h, schema::MONTH))
        .zip(hours.into_no_null_iter())
    {
        *out[index[pid.unwrap()]]
            .hours
            .entry(m.unwrap())
            .or_default() += hrs;
    }
    for p in &mut out {
        p.kh = union(p.kh_rows.clone());
        p.any = union(std::mem::take(&mut p.any));
        p.activation = union(std::mem::take(&mut p.activation));
        p.support = union(std::mem::take(&mut p.support));
        p.assess.sort();
        p.held.sort_unstable();
    }
    out
}

/// Figures of MEASURES.md and DOMAIN.md computed from an extract.
#[derive(Debug, Default)]
struct Calibration {
    /// Persons on kontanthjælp in 2018 aged 30+, by group at their last kontanthjælp day of
    /// 2018 (jobindsats Y36A02 counts persons in the year): aktivitetsparat / assessed.
    aktivitetsparat_share_2018: f64,
    unknown_share_2018: f64,
    /// Stock on 2019-12-31, group(R) = aktivitetsparat.
    akt_long_term_share: f64,
    akt_support_80pct_5y: f64,
    akt_passive_12m: f64,
    akt_any_offer_12m: f64,
    persons_with_paid_hours: f64,
    gaps_29: usize,
    gaps_30: usize,
    meetings_4_in_6m_missed: BTreeMap<String, f64>,
    first_meeting_7d: f64,
    activation_rate_2020: BTreeMap<String, f64>,
    in_work_365: BTreeMap<String, f64>,
    durable_work_12m: f64,
    /// Of the durable_work_12m denominator: share with paid hours at end + 29.
    work_exits_employed: f64,
    /// durable_work_12m among exits with paid hours at end + 29 (benchmark.dk's exits to
    /// employment).
    durable_employment_exits: f64,
    fte_jan2020_to_aug2022: f64,
    persons_per_fte_2018: f64,
    exit_share: f64,
}

fn share(num: usize, den: usize) -> f64 {
    num as f64 / den.max(1) as f64
}

fn calibrate(persons: &[Observed]) -> Calibration {
    let d = |y, m, dd| dates::ymd(y, m, dd).unwrap();
    let (x, e) = (d(X.0, X.1, X.2), d(E.0, E.1, E.2));
    let mut c = Calibration::default();

    // Y36A02-style: persons on kontanthjælp in 2018.
    let (y0, y1) = (d(2018, 1, 1), d(2018, 12, 31));
    let (mut akt, mut assessed, mut unknown, mut all) = (0, 0, 0, 0);
    let mut kh_days_2018 = 0i64;
    for p in persons {
        let in_year: Vec<_> = p.kh.iter().filter(|iv| iv.1 >= y0 && iv.0 <= y1).collect();
        kh_days_2018 += days_within(&p.kh, y0, y1);
        let Some(last) = in_year.last() else { continue };
        all += 1;
        let g = p.group(last.1.min(y1));
        if g == "unknown" {
            unknown += 1;
        }
        if 2018 - p.birth >= 30 && (g == "jobparat" || g == "aktivitetsparat") {
            assessed += 1;
            akt += usize::from(g == "aktivitetsparat");
        }
    }
    c.aktivitetsparat_share_2018 = share(akt, assessed);
    c.unknown_share_2018 = share(unknown, all);
    c.persons_per_fte_2018 = all as f64 / (kh_days_2018 as f64 / 365.0);

    // Stock on R = 2019-12-31 (the look-back of five years starts on extract_start).
    let r = d(2019, 12, 31);
    let (mut stock, mut long, mut s80, mut den_p, mut passive) = (0, 0, 0, 0, 0);
    let (mut den_any, mut any_offer) = (0, 0);
    for p in persons {
        if !covers(&p.kh, r) || p.group(r) != "aktivitetsparat" {
            continue;
        }
        let spells = bridge(&p.kh, GAP_DAYS);
        let Some(&(s, _)) = spells.iter().find(|iv| iv.0 <= r && r <= iv.1) else {
            continue;
        };
        stock += 1;
        long += usize::from(r - s + 1 > 730);
        s80 += usize::from(days_within(&p.kh, r - 1825, r) as f64 >= 0.8 * 1826.0);
        if r - s + 1 >= 365 {
            den_any += 1;
            any_offer += usize::from(days_within(&p.support, r - 364, r) > 0);
        }
        if r - s + 1 > 365 {
            den_p += 1;
            // A run of more than 365 days without a support day in [max(s, X), R].
            let mut prev = s.max(x) - 1;
            let mut found = false;
            for &(a, b) in p.support.iter().filter(|iv| iv.1 >= s.max(x) && iv.0 <= r) {
                if a.max(s.max(x)) - prev - 1 > 365 {
                    found = true;
                }
                prev = prev.max(b);
            }
            if r - prev > 365 {
                found = true;
            }
            passive += usize::from(found);
        }
    }
    c.akt_long_term_share = share(long, stock);
    c.akt_support_80pct_5y = share(s80, stock);
    c.akt_passive_12m = share(passive, den_p);
    c.akt_any_offer_12m = share(any_offer, den_any);

    c.persons_with_paid_hours = share(
        persons
            .iter()
            .filter(|p| p.hours.values().any(|&h| h > 0.0))
            .count(),
        persons.len(),
    );
    c.exit_share = share(
        persons.iter().filter(|p| p.exit.is_some()).count(),
        persons.len(),
    );

    // Start-to-previous-end differences of kontanthjælp rows.
    for p in persons {
        let mut rows = p.kh_rows.clone();
        rows.sort_unstable();
        let mut end: Option<Day> = None;
        for (a, b) in rows {
            if let Some(prev) = end {
                c.gaps_29 += usize::from(a - prev == 29);
                c.gaps_30 += usize::from(a - prev == 30);
            }
            end = Some(end.map_or(b, |prev| prev.max(b)));
        }
    }

    // Spell measures by group at entry.
    let mut missed: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut work365: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut act: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let (mut first7, mut first_den, mut durable, mut durable_den) = (0, 0, 0, 0);
    let (mut employed_exits, mut durable_employed) = (0, 0);
    let (p0, p1) = (d(2020, 1, 1), d(2020, 12, 31));
    for p in persons {
        for &(s, end) in &bridge(&p.kh, GAP_DAYS) {
            let g = p
                .assess
                .iter()
                .rev()
                .find(|a| a.0 <= s + 30)
                .map_or("unknown", |a| a.1.as_str())
                .to_string();
            let a = act.entry(g.clone()).or_default();
            for day in s.max(p0)..=end.min(p1) {
                a.1 += 1;
                a.0 += i64::from(covers(&p.activation, day));
            }
            if s <= x + GAP_DAYS {
                continue; // left-censored
            }
            if s + 6 <= e {
                first_den += 1;
                first7 += usize::from(p.held.iter().any(|&m| m >= s && m <= s + 6));
            }
            if end - s + 1 >= 183 && s + 182 <= e {
                let held = p.held.iter().filter(|&&m| m >= s && m <= s + 182).count();
                let t = missed.entry(g.clone()).or_default();
                t.1 += 1;
                t.0 += usize::from(held < 4);
            }
            if s + 365 <= e {
                let t = work365.entry(g.clone()).or_default();
                t.1 += 1;
                t.0 += usize::from(p.employed(s + 365));
            }
            let closed = end + GAP_DAYS < e && p.exit.is_none_or(|xx| xx > end + GAP_DAYS + 1);
            if closed && end + 365 <= e && !covers(&p.any, end + GAP_DAYS + 1) {
                durable_den += 1;
                employed_exits += usize::from(p.employed(end + GAP_DAYS + 1));
                let no_benefit = days_within(&p.any, end + 1, end + 365) == 0;
                let mut month = next_month(month_start(end));
                let mut all_months = true;
                for _ in 0..12 {
                    all_months &= p.hours.get(&month).is_some_and(|&h| h > 0.0);
                    month = next_month(month);
                }
                durable += usize::from(no_benefit && all_months);
                durable_employed +=
                    usize::from(no_benefit && all_months && p.employed(end + GAP_DAYS + 1));
            }
        }
    }
    c.first_meeting_7d = share(first7, first_den);
    c.durable_work_12m = share(durable, durable_den);
    c.work_exits_employed = share(employed_exits, durable_den);
    c.durable_employment_exits = share(durable_employed, employed_exits);
    c.meetings_4_in_6m_missed = missed
        .into_iter()
        .map(|(g, (n, d))| (g, share(n, d)))
        .collect();
    c.in_work_365 = work365
        .into_iter()
        .map(|(g, (n, d))| (g, share(n, d)))
        .collect();
    c.activation_rate_2020 = act
        .into_iter()
        .map(|(g, (n, d))| (g, n as f64 / d.max(1) as f64))
        .collect();

    let fte = |a: Day, b: Day| {
        persons
            .iter()
            .map(|p| days_within(&p.kh, a, b))
            .sum::<i64>() as f64
            / f64::from(b - a + 1)
    };
    c.fte_jan2020_to_aug2022 =
        fte(d(2022, 8, 1), d(2022, 8, 31)) / fte(d(2020, 1, 1), d(2020, 1, 31));
    c
}

#[test]
fn calibration_sanity() {
    let reference = Reference::load(None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write(
        &options(dir.path(), 2000, 5, SynthFormat::Parquet),
        &reference,
    )
    .unwrap();
    let c = calibrate(&load(dir.path()));
    assert!(
        (0.55..=0.75).contains(&c.aktivitetsparat_share_2018),
        "aktivitetsparat among assessed 30+: {c:?}"
    );
    assert!(
        c.persons_with_paid_hours < 0.5,
        "paid hours are a minority: {c:?}"
    );
    assert!(c.persons_with_paid_hours > 0.1, "{c:?}");
    assert!(
        c.gaps_29 > 0 && c.gaps_30 > 0,
        "gaps of 28 and 29 days occur: {c:?}"
    );
    assert!(c.unknown_share_2018 > 0.0, "group unknown occurs: {c:?}");
}
