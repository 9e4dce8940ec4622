//! Simulated histories as register rows: paid hours by month, benefit stints cut as the
//! registers cut them, and a chunk of persons as one DataFrame per table.

use polars::prelude::{
    Column, DataFrame, Float64Chunked, Int32Chunked, IntoColumn, IntoSeries, NewChunkedArray,
    PlSmallStr, PolarsResult, StringChunked,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::casework::{
    assessments, case_spells, interventions, meetings, Assessment, Intervention, Meeting,
};
use super::codes::Benefit;
use super::random::{chance, log_uniform_int, pick};
use super::simulation::{self, Hours, Stint};
use super::world::{draw_person, month_start, next_month, Person, World};
use crate::dates::Day;
use crate::schema;

// ---------------------------------------------------------------------------------------------
// Paid hours.

/// A row of `paid_hours`.
struct PaidMonth {
    month: Day,
    hours: f64,
    earnings: Option<f64>,
}

/// Paid hours of all stints, one row per source and month (a month with two sources has two
/// rows, as with two employers), sorted by month.
fn paid_hours(person: &Person, stints: &[Stint], rng: &mut ChaCha8Rng) -> Vec<PaidMonth> {
    let mut out = Vec::new();
    for stint in stints {
        match stint.hours {
            Hours::None => {}
            Hours::Job(monthly) => {
                let mut month = month_start(stint.start);
                while month <= stint.end {
                    let next = next_month(month);
                    let covered = stint.end.min(next - 1) - stint.start.max(month) + 1;
                    let share = f64::from(covered) / f64::from(next - month);
                    let hours = if chance(rng, 0.003) {
                        0.0
                    } else {
                        monthly * share * rng.gen_range(0.9..1.05)
                    };
                    push_paid(person, month, hours, rng, &mut out);
                    month = next;
                }
            }
            Hours::SideJobs => {
                // Runs of small jobs (a few hours up to part-time) with pauses between them.
                let mut month = month_start(stint.start);
                loop {
                    for _ in 0..rng.gen_range(1..=18) {
                        month = next_month(month);
                    }
                    if month > stint.end {
                        break;
                    }
                    let level = f64::from(log_uniform_int(rng, 3, 80));
                    for _ in 0..rng.gen_range(1..=8) {
                        if month > stint.end {
                            break;
                        }
                        let hours = level * rng.gen_range(0.5..1.5);
                        push_paid(person, month, hours, rng, &mut out);
                        month = next_month(month);
                    }
                }
            }
        }
    }
    out.sort_by_key(|p| p.month);
    out
}

/// Hours and DKK to two decimals, as the registers give them.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn push_paid(
    person: &Person,
    month: Day,
    hours: f64,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<PaidMonth>,
) {
    let hours = round2(hours);
    let earnings =
        (!chance(rng, 0.03)).then(|| round2(hours * person.wage * rng.gen_range(0.97..1.03)));
    out.push(PaidMonth {
        month,
        hours,
        earnings,
    });
}

// ---------------------------------------------------------------------------------------------
// Register rows of benefit stints.

/// A row of `benefit_periods`.
struct PeriodRow {
    benefit: Benefit,
    start: Day,
    end: Option<Day>,
    municipality: i32,
}

/// How a register cuts a stint into rows.
#[derive(Clone, Copy)]
enum Cut {
    Whole,
    Monthly,
    Chunks,
}

/// Writes a benefit stint as registers do: whole, per calendar month or in chunks, with now and
/// then an overlap between rows or a nested correction row; an open stint's last row has a null
/// end. `overlap_next`: days the row runs into the next stint (a different benefit).
fn period_rows(
    world: &World,
    stint: &Stint,
    overlap_next: Day,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<PeriodRow>,
) {
    let Some(benefit) = stint.benefit else {
        return;
    };
    let municipality = world.municipalities[stint.municipality].code;
    let cut = if benefit.is_cash() {
        pick(
            rng,
            &[
                (Cut::Whole, 45.0),
                (Cut::Monthly, 20.0),
                (Cut::Chunks, 35.0),
            ],
        )
    } else {
        pick(rng, &[(Cut::Whole, 70.0), (Cut::Chunks, 30.0)])
    };
    let end = stint.end + overlap_next;
    let mut segments: Vec<(Day, Day)> = Vec::new();
    let mut a = stint.start;
    while a <= end {
        let b = match cut {
            Cut::Whole => end,
            Cut::Monthly => next_month(month_start(a)) - 1,
            Cut::Chunks => a + rng.gen_range(30..=400) - 1,
        }
        .min(end);
        segments.push((a, b));
        a = b + 1;
    }
    let last = segments.len().saturating_sub(1);
    for (i, &(a, b)) in segments.iter().enumerate() {
        // Now and then a row starts a few days before the previous one ended.
        let a = if i > 0 && chance(rng, 0.06) {
            (a - rng.gen_range(1..=10)).max(stint.start)
        } else {
            a
        };
        let open = i == last && stint.open;
        if !open && b < world.start {
            continue; // ended before the registers start
        }
        out.push(PeriodRow {
            benefit,
            start: a,
            end: (!open).then_some(b),
            municipality,
        });
        if b - a > 20 && chance(rng, 0.02) {
            // Strictly inside, so never an exact duplicate of its row.
            let s = a + rng.gen_range(1..=(b - a) / 2);
            let e = b - rng.gen_range(1..=(b - s) / 2);
            out.push(PeriodRow {
                benefit,
                start: s,
                end: Some(e),
                municipality,
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Chunks: persons and their rows, column by column.

/// A row of `persons`.
struct PersonRow {
    birth_year: i32,
    sex: &'static str,
    origin: Option<&'static str>,
    education: Option<&'static str>,
    exit: Option<Day>,
}

/// One chunk of persons; `person` fields index into `persons`.
#[derive(Default)]
pub(super) struct Chunk {
    first_number: u64,
    persons: Vec<PersonRow>,
    periods: Vec<(u32, PeriodRow)>,
    assessments: Vec<(u32, Assessment)>,
    interventions: Vec<(u32, Intervention)>,
    meetings: Vec<(u32, Meeting)>,
    paid: Vec<(u32, PaidMonth)>,
}

/// Generates `persons` persons of chunk `chunk` (the first being person number
/// `first_index + 1`) from the chunk's own stream.
pub(super) fn generate_chunk(
    world: &World,
    seed: u64,
    chunk: u64,
    first_index: u64,
    persons: u64,
) -> Chunk {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(chunk);
    let mut out = Chunk {
        first_number: first_index + 1,
        ..Chunk::default()
    };
    for index in 0..persons as u32 {
        // Persons whose whole history lies before the extract are not in it: draw again.
        loop {
            if simulate_person(world, &mut rng, index, &mut out) {
                break;
            }
        }
    }
    out
}

/// Simulates one person and adds their rows to `out`; false (and nothing added) when the person
/// has no cash benefit inside the extract.
fn simulate_person(world: &World, rng: &mut ChaCha8Rng, index: u32, out: &mut Chunk) -> bool {
    let person = draw_person(world, rng);
    let stints = simulation::stints(world, &person, rng);
    let in_extract = stints
        .iter()
        .any(|s| s.benefit.is_some_and(Benefit::is_cash) && s.end >= world.start);
    if !in_extract {
        return false;
    }

    for (i, stint) in stints.iter().enumerate() {
        // A few changes of benefit overlap by some days in the registers.
        let overlap = match stints.get(i + 1) {
            Some(next)
                if next.benefit.is_some()
                    && stint.benefit.is_some()
                    && next.benefit != stint.benefit
                    && !stint.open
                    && chance(rng, 0.08) =>
            {
                rng.gen_range(1..=14).min(next.end - next.start)
            }
            _ => 0,
        };
        let mut rows = Vec::new();
        period_rows(world, stint, overlap, rng, &mut rows);
        out.periods.extend(rows.into_iter().map(|r| (index, r)));
    }

    let spells = case_spells(&stints);
    let (assessed, entry_groups) = assessments(world, &person, &spells, rng);
    // Keep the last decision before the extract (it still holds) and all later ones.
    let held_at_start = assessed.iter().rposition(|a| a.date <= world.start);
    for (i, a) in assessed.into_iter().enumerate() {
        if held_at_start.is_none_or(|h| i >= h) {
            out.assessments.push((index, a));
        }
    }
    let mut meeting_rows = Vec::new();
    let mut offer_rows = Vec::new();
    for (spell, group) in spells.iter().zip(entry_groups) {
        meetings(world, spell, group, rng, &mut meeting_rows);
        interventions(world, spell, group, rng, &mut offer_rows);
    }
    // A rehabilitation team can fall on the day of another meeting; no exact duplicates.
    meeting_rows.sort_by_key(|m| (m.date, m.kind as u8, m.status as u8));
    meeting_rows.dedup_by_key(|m| (m.date, m.kind as u8, m.status as u8));
    out.meetings.extend(
        meeting_rows
            .into_iter()
            .filter(|m| m.date >= world.start)
            .map(|m| (index, m)),
    );
    out.interventions.extend(
        offer_rows
            .into_iter()
            .filter(|o| o.end.is_none_or(|e| e >= world.start))
            .map(|o| (index, o)),
    );
    out.paid.extend(
        paid_hours(&person, &stints, rng)
            .into_iter()
            .filter(|p| p.month >= world.start)
            .map(|p| (index, p)),
    );
    out.persons.push(PersonRow {
        birth_year: person.birth_year,
        sex: person.sex,
        origin: person.origin,
        education: person.education,
        exit: person.exit,
    });
    true
}

/// Digits of the zero-padded person number, so that ids sort as numbers (at least 7).
pub(super) fn id_width(persons: u64) -> usize {
    persons.to_string().len().max(7)
}

impl Chunk {
    /// One DataFrame per table, in `schema::TABLES` order, columns in contract order.
    pub(super) fn into_frames(self, id_width: usize) -> PolarsResult<Vec<DataFrame>> {
        let ids: Vec<String> = (0..self.persons.len() as u64)
            .map(|i| format!("P{:0id_width$}", self.first_number + i))
            .collect();
        let id_col = |rows: &mut dyn Iterator<Item = u32>| -> Column {
            StringChunked::from_iter_values(
                schema::PERSON_ID.into(),
                rows.map(|i| ids[i as usize].as_str()),
            )
            .into_column()
        };
        let p = &self.persons;
        let persons = DataFrame::new(
            p.len(),
            vec![
                id_col(&mut (0..p.len() as u32)),
                int_col(schema::BIRTH_YEAR, p.iter().map(|r| r.birth_year)),
                str_col(schema::SEX, p.iter().map(|r| Some(r.sex))),
                str_col(schema::ORIGIN, p.iter().map(|r| r.origin)),
                str_col(schema::EDUCATION, p.iter().map(|r| r.education)),
                date_col(schema::EXIT_DATE, p.iter().map(|r| r.exit)),
            ],
        )?;
        let b = &self.periods;
        let periods = DataFrame::new(
            b.len(),
            vec![
                id_col(&mut b.iter().map(|r| r.0)),
                str_col(schema::BENEFIT, b.iter().map(|r| Some(r.1.benefit.code()))),
                date_col(schema::START, b.iter().map(|r| Some(r.1.start))),
                date_col(schema::END, b.iter().map(|r| r.1.end)),
                int_col(schema::MUNICIPALITY, b.iter().map(|r| r.1.municipality)),
            ],
        )?;
        let a = &self.assessments;
        let assessments = DataFrame::new(
            a.len(),
            vec![
                id_col(&mut a.iter().map(|r| r.0)),
                date_col(schema::DATE, a.iter().map(|r| Some(r.1.date))),
                str_col(schema::GROUP, a.iter().map(|r| Some(r.1.group.code()))),
            ],
        )?;
        let o = &self.interventions;
        let interventions = DataFrame::new(
            o.len(),
            vec![
                id_col(&mut o.iter().map(|r| r.0)),
                str_col(schema::KIND, o.iter().map(|r| Some(r.1.offer.code()))),
                date_col(schema::START, o.iter().map(|r| Some(r.1.start))),
                date_col(schema::END, o.iter().map(|r| r.1.end)),
            ],
        )?;
        let m = &self.meetings;
        let meetings = DataFrame::new(
            m.len(),
            vec![
                id_col(&mut m.iter().map(|r| r.0)),
                date_col(schema::DATE, m.iter().map(|r| Some(r.1.date))),
                str_col(schema::KIND, m.iter().map(|r| Some(r.1.kind.code()))),
                str_col(schema::STATUS, m.iter().map(|r| Some(r.1.status.code()))),
            ],
        )?;
        let h = &self.paid;
        let paid = DataFrame::new(
            h.len(),
            vec![
                id_col(&mut h.iter().map(|r| r.0)),
                date_col(schema::MONTH, h.iter().map(|r| Some(r.1.month))),
                Float64Chunked::from_iter_values(schema::HOURS.into(), h.iter().map(|r| r.1.hours))
                    .into_column(),
                Float64Chunked::from_iter_options(
                    schema::EARNINGS.into(),
                    h.iter().map(|r| r.1.earnings),
                )
                .into_column(),
            ],
        )?;
        Ok(vec![
            persons,
            periods,
            assessments,
            interventions,
            meetings,
            paid,
        ])
    }
}

fn int_col(name: &str, values: impl Iterator<Item = i32>) -> Column {
    Int32Chunked::from_iter_values(PlSmallStr::from(name), values).into_column()
}

fn str_col<'a>(name: &str, values: impl Iterator<Item = Option<&'a str>>) -> Column {
    StringChunked::from_iter_options(PlSmallStr::from(name), values).into_column()
}

fn date_col(name: &str, values: impl Iterator<Item = Option<Day>>) -> Column {
    Int32Chunked::from_iter_options(PlSmallStr::from(name), values)
        .into_date()
        .into_series()
        .into_column()
}
