//! Benefit spells (MEASURES.md §1): the target-benefit periods of a person merged across gaps of
//! at most `gap_days`, with their censoring status, municipality and group at entry.
//!
//! Why: jobindsats and DST count a stay on benefit as one spell across short payment gaps; a
//! spell, not a period, is the unit of duration and exit statistics.

use polars::prelude::*;

use crate::config::Config;
use crate::dates::Day;
use crate::extract::Extract;
use crate::intervals::{self, DAY};
use crate::schema::{self as s, spell as sp};

/// Working columns of [`build`]: the running largest end (packed with the person), whether a
/// period starts a spell, and the row number among spells.
const REACH: &str = "__reach";
const NEW: &str = "__new";
const ROW: &str = "__row";

/// Spells of one report (built from `Extract::as_of(R)`, so E = R). One row per spell:
/// `person_id` (UInt32, see `Extract::as_of`), `spell_id` (Int32, 1, 2, … per person in time order), `spell_start`,
/// `spell_end` (Int32 days), `duration_days` (Int32), `municipality` (Int32), `left_censored`,
/// `closed` (bool), `group_at_entry` (str). Sorted by person and start.
#[derive(Debug, Clone)]
pub struct Spells {
    pub df: DataFrame,
}

/// One step of the person in [`person_day`].
pub const PERSON_UNIT: i64 = 1 << 32;

/// `person · 2³² + (day − i32::MIN)` of an (UInt32) person id and an i32 day: one Int64 that
/// orders by person, then day, so that a running maximum, a sort or an as-of join over it never
/// needs a window or a group per person.
pub fn person_day(person: Expr, day: Expr) -> Expr {
    person.cast(DataType::Int64) * lit(PERSON_UNIT)
        + (day.cast(DataType::Int64) - lit(i64::from(i32::MIN)))
}

/// The target-benefit periods of `extract` as `(person_id, start, end, municipality,
/// reported_start)` with i32 days. `extract` is already cut at R with effective ends (`Extract::as_of`).
pub fn target_periods(extract: &Extract, config: &Config) -> LazyFrame {
    let targets = Series::new("targets".into(), config.target_benefits.clone());
    extract
        .benefit_periods
        .clone()
        .lazy()
        .filter(s::is_one_of(col(s::BENEFIT), targets))
        .select([
            col(s::PERSON_ID),
            col(s::START).cast(DataType::Int32),
            col(s::END).cast(DataType::Int32),
            col(s::MUNICIPALITY),
            col(s::REPORTED_START).cast(DataType::Int32),
        ])
}

/// `group(d)` as a step function (MEASURES.md §1.5): change points `(person_id, day, group)` from
/// the assessments; on a date with several decisions the alphabetically first group holds.
/// Before a person's first assessment (no change point) the group is `unknown`.
///
/// How: one sort by person, day and group and the first row of every person and day, which is
/// cheaper than a group-by taking the minimum text.
pub fn group_steps(extract: &Extract) -> LazyFrame {
    let first = col(s::PERSON_ID)
        .neq_missing(col(s::PERSON_ID).shift(lit(1)))
        .or(col(DAY).neq_missing(col(DAY).shift(lit(1))));
    extract
        .assessments
        .clone()
        .lazy()
        .select([
            col(s::PERSON_ID),
            col(s::DATE).cast(DataType::Int32).alias(DAY),
            col(s::GROUP),
        ])
        .sort(
            [s::PERSON_ID, DAY, s::GROUP],
            SortMultipleOptions::default(),
        )
        .filter(first)
    // The group stays the Enum of the report's view, in text order (so the sort above picks the
    // alphabetically first), one byte per change point; a look-up makes it text, where it meets
    // `unknown`, which is no code (on 1M persons 4.8 M change points held through the indicators).
}

/// `group(day)` for the i32 day column `day` of each row, `unknown` without an assessment, from
/// the change points of [`group_steps`] (built once by a caller that looks up often).
pub fn group_on(lf: LazyFrame, day: &str, steps: LazyFrame) -> LazyFrame {
    intervals::value_on(lf, day, steps, &[s::GROUP]).with_column(
        col(s::GROUP)
            .cast(DataType::String)
            .fill_null(lit(s::UNKNOWN_GROUP)),
    )
}

/// Builds the spells (MEASURES.md §1):
/// 1. target periods with effective end `e = min(end ?? E, E, exit_date − 1)`, empty ones dropped
///    (done by `Extract::as_of`);
/// 2. per person in order of `(start, e)` a period joins the current spell when
///    `start ≤ spell_end + gap_days + 1`, and `spell_end = max(spell_end, e)`;
/// 3. municipality of the earliest period (ties: smallest code); `left_censored =
///    spell_start ≤ X + gap_days`;
/// 4. closed when `spell_end + gap_days + 1 ≤ E` and no `exit_date ≤ spell_end + gap_days + 1`;
/// 5. `group_at_entry` = group of the latest assessment dated `≤ spell_start +
///    entry_group_window_days`, else `unknown`.
///
/// How: one sort of the periods by person, start, reported start and municipality makes every
/// spell a run of consecutive rows whose first row is its earliest period as reported (a
/// period starting after the spell's start was reported on its start, later than the first
/// row's). Which periods merge does not depend on the order of equal starts. The running
/// largest end is one cumulative maximum over `person · 2³² + end`, which never reaches back
/// into an earlier person: no window per person and no group-by.
pub fn build(extract: &Extract, config: &Config) -> PolarsResult<Spells> {
    let gap = config.gap_days;
    let (x, e): (Day, Day) = (extract.start, extract.end);
    let packed = |day: Expr| person_day(col(s::PERSON_ID), day);
    let unpacked =
        |v: Expr| (v % lit(PERSON_UNIT) + lit(i64::from(i32::MIN))).cast(DataType::Int32);
    let reach = col(REACH).shift(lit(1));
    let merged = target_periods(extract, config)
        .sort(
            [s::PERSON_ID, s::START, s::REPORTED_START, s::MUNICIPALITY],
            SortMultipleOptions::default(),
        )
        .with_column(packed(col(s::END)).cum_max(false).alias(REACH))
        // A new spell where the reach so far (an earlier person's is smaller than any day of
        // this one) ends more than `gap_days` before the start.
        .with_column(
            reach
                .clone()
                .is_null()
                .or(packed(col(s::START)).gt(reach + lit(gap + 1)))
                .alias(NEW),
        )
        // The reach at the last row of each spell is its end.
        .with_column(
            when(col(NEW).shift(lit(-1)).fill_null(true))
                .then(col(REACH))
                .otherwise(lit(NULL).cast(DataType::Int64))
                .fill_null_with_strategy(FillNullStrategy::Backward(None))
                .alias(REACH),
        )
        .filter(col(NEW))
        .with_row_index(ROW, None)
        .select([
            col(s::PERSON_ID),
            // 1, 2, … from the person's first spell on.
            (col(ROW).cast(DataType::Int64)
                - when(col(s::PERSON_ID).neq_missing(col(s::PERSON_ID).shift(lit(1))))
                    .then(col(ROW).cast(DataType::Int64))
                    .otherwise(lit(NULL).cast(DataType::Int64))
                    .fill_null_with_strategy(FillNullStrategy::Forward(None))
                + lit(1i64))
            .cast(DataType::Int32)
            .alias(sp::SPELL_ID),
            col(s::START).alias(sp::SPELL_START),
            unpacked(col(REACH)).alias(sp::SPELL_END),
            col(s::MUNICIPALITY),
        ]);
    let exit = crate::extract::of_person(&extract.persons, s::EXIT_DATE)?.cast(DataType::Int32);
    let over = col(sp::SPELL_END) + lit(gap + 1);
    let spells = merged.with_column(exit.alias("__exit")).with_columns([
        (col(sp::SPELL_END) - col(sp::SPELL_START) + lit(1)).alias(sp::DURATION_DAYS),
        col(sp::SPELL_START)
            .lt_eq(lit(x + gap))
            .alias(sp::LEFT_CENSORED),
        over.clone()
            .lt_eq(lit(e))
            .and(col("__exit").is_null().or(col("__exit").gt(over)))
            .alias(sp::CLOSED),
        (col(sp::SPELL_START) + lit(config.entry_group_window_days)).alias("__entry"),
    ]);
    let spells = group_on(spells, "__entry", group_steps(extract))
        .select([
            col(s::PERSON_ID),
            col(sp::SPELL_ID).cast(DataType::Int32),
            col(sp::SPELL_START),
            col(sp::SPELL_END),
            col(sp::DURATION_DAYS),
            col(s::MUNICIPALITY),
            col(sp::LEFT_CENSORED),
            col(sp::CLOSED),
            col(s::GROUP).alias(sp::GROUP_AT_ENTRY),
        ])
        .sort(
            [s::PERSON_ID, sp::SPELL_START],
            SortMultipleOptions::default(),
        )
        .collect()?;
    Ok(Spells { df: spells })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::{iso, parse_iso};
    use crate::testing::{extract, Rows};

    /// One spell row as (person, start, end, left_censored, closed, group, municipality).
    type Row = (String, String, String, bool, bool, String, i32);

    fn spells_of(rows: Rows<'_>) -> Vec<Row> {
        let (_dir, ex) = extract("2020-01-01", "2024-12-31", rows);
        let ex = ex.as_of(ex.end).unwrap();
        let df = ex
            .with_text_ids(build(&ex, &Config::default()).unwrap().df.lazy())
            .collect()
            .unwrap();
        let get_i32 = |c: &str| df.column(c).unwrap().i32().unwrap().clone();
        let get_bool = |c: &str| df.column(c).unwrap().bool().unwrap().clone();
        let (p, g) = (
            df.column(s::PERSON_ID).unwrap().str().unwrap(),
            df.column(sp::GROUP_AT_ENTRY).unwrap().str().unwrap(),
        );
        let (st, en, m) = (
            get_i32(sp::SPELL_START),
            get_i32(sp::SPELL_END),
            get_i32(s::MUNICIPALITY),
        );
        let (lc, cl) = (get_bool(sp::LEFT_CENSORED), get_bool(sp::CLOSED));
        (0..df.height())
            .map(|i| {
                (
                    p.get(i).unwrap().to_owned(),
                    iso(st.get(i).unwrap()),
                    iso(en.get(i).unwrap()),
                    lc.get(i).unwrap(),
                    cl.get(i).unwrap(),
                    g.get(i).unwrap().to_owned(),
                    m.get(i).unwrap(),
                )
            })
            .collect()
    }

    fn person(ids: &[&str]) -> String {
        ids.iter().map(|id| format!("{id},1980,F,,,\n")).collect()
    }

    fn span(r: &Row) -> (&str, &str) {
        (r.1.as_str(), r.2.as_str())
    }

    #[test]
    fn gap_of_exactly_gap_days_merges_and_one_more_splits() {
        // 2021-01-31 + 28 days of gap → next start 2021-03-01 merges; 2021-03-02 splits.
        let persons = person(&["a", "b"]);
        let spells = spells_of(Rows {
            persons: &persons,
            benefit_periods: "a,kontanthjaelp,2021-01-01,2021-01-31,101\n\
                              a,kontanthjaelp,2021-03-01,2021-04-30,101\n\
                              b,kontanthjaelp,2021-01-01,2021-01-31,101\n\
                              b,kontanthjaelp,2021-03-02,2021-04-30,101\n",
            ..Rows::default()
        });
        let a: Vec<_> = spells.iter().filter(|r| r.0 == "a").map(span).collect();
        let b: Vec<_> = spells.iter().filter(|r| r.0 == "b").map(span).collect();
        assert_eq!(a, vec![("2021-01-01", "2021-04-30")]);
        assert_eq!(
            b,
            vec![("2021-01-01", "2021-01-31"), ("2021-03-02", "2021-04-30")]
        );
        assert!(spells.iter().all(|r| r.4), "all closed well before E");
    }

    #[test]
    fn overlapping_and_nested_periods_form_one_spell() {
        let spells = spells_of(Rows {
            persons: &person(&["a"]),
            benefit_periods: "a,kontanthjaelp,2021-02-01,2021-03-01,101\n\
                              a,kontanthjaelp,2021-01-01,2021-06-30,101\n\
                              a,kontanthjaelp,2021-06-01,2021-08-31,101\n\
                              a,su,2021-09-01,2021-12-31,101\n",
            ..Rows::default()
        });
        assert_eq!(
            spells.iter().map(span).collect::<Vec<_>>(),
            vec![("2021-01-01", "2021-08-31")]
        );
    }

    #[test]
    fn null_end_runs_to_e_and_is_censored() {
        let spells = spells_of(Rows {
            persons: &person(&["a"]),
            benefit_periods: "a,kontanthjaelp,2023-05-01,,101\n",
            ..Rows::default()
        });
        assert_eq!(span(&spells[0]), ("2023-05-01", "2024-12-31"));
        assert!(!spells[0].4);
    }

    #[test]
    fn exit_date_inside_a_period_ends_the_spell_the_day_before_and_censors_it() {
        let spells = spells_of(Rows {
            persons: "a,1980,F,,,2021-05-10\n",
            benefit_periods: "a,kontanthjaelp,2021-01-01,2021-12-31,101\n",
            ..Rows::default()
        });
        assert_eq!(span(&spells[0]), ("2021-01-01", "2021-05-09"));
        assert!(!spells[0].4, "exit_date ≤ spell_end + gap_days + 1 censors");
    }

    #[test]
    fn exit_long_after_the_spell_does_not_censor() {
        let spells = spells_of(Rows {
            persons: "a,1980,F,,,2022-05-10\n",
            benefit_periods: "a,kontanthjaelp,2021-01-01,2021-03-31,101\n",
            ..Rows::default()
        });
        assert!(spells[0].4);
    }

    #[test]
    fn spells_running_on_extract_start_are_left_censored() {
        // X = 2020-01-01, gap 28: starts up to X + 28 = 2020-01-29 are left-censored.
        let persons = person(&["a", "b", "c"]);
        let spells = spells_of(Rows {
            persons: &persons,
            benefit_periods: "a,kontanthjaelp,2019-06-01,2020-03-31,101\n\
                              b,kontanthjaelp,2020-01-29,2020-03-31,101\n\
                              c,kontanthjaelp,2020-01-30,2020-03-31,101\n",
            ..Rows::default()
        });
        assert_eq!(spells[0].1, "2020-01-01", "counted from extract_start");
        assert_eq!(
            spells.iter().map(|r| r.3).collect::<Vec<_>>(),
            vec![true, true, false]
        );
    }

    #[test]
    fn closed_exactly_when_the_gap_after_it_ends_by_e() {
        // E = 2024-12-31: spell_end + 29 = E closes, one day later censors.
        let persons = person(&["a", "b"]);
        let spells = spells_of(Rows {
            persons: &persons,
            benefit_periods: "a,kontanthjaelp,2024-06-01,2024-12-02,101\n\
                              b,kontanthjaelp,2024-06-01,2024-12-03,101\n",
            ..Rows::default()
        });
        assert_eq!(
            parse_iso("2024-12-02").unwrap() + 29,
            parse_iso("2024-12-31").unwrap()
        );
        assert_eq!(
            spells.iter().map(|r| r.4).collect::<Vec<_>>(),
            vec![true, false]
        );
    }

    #[test]
    fn municipality_of_the_earliest_period_smallest_code_on_ties() {
        let persons = person(&["a", "b"]);
        let spells = spells_of(Rows {
            persons: &persons,
            benefit_periods: "a,kontanthjaelp,2021-02-01,2021-03-01,101\n\
                              a,kontanthjaelp,2021-01-01,2021-06-30,260\n\
                              b,kontanthjaelp,2021-01-01,2021-06-30,260\n\
                              b,kontanthjaelp,2021-01-01,2021-03-01,147\n",
            ..Rows::default()
        });
        assert_eq!(
            spells.iter().map(|r| r.6).collect::<Vec<_>>(),
            vec![260, 147]
        );
    }

    #[test]
    fn group_at_entry_uses_assessments_up_to_the_window_with_alphabetical_ties() {
        // Spell starts 2021-01-01; window 30 days → assessments up to 2021-01-31 count.
        let persons = person(&["a", "b", "c", "d"]);
        let spells = spells_of(Rows {
            persons: &persons,
            benefit_periods: "a,kontanthjaelp,2021-01-01,2021-06-30,101\n\
                              b,kontanthjaelp,2021-01-01,2021-06-30,101\n\
                              c,kontanthjaelp,2021-01-01,2021-06-30,101\n\
                              d,kontanthjaelp,2021-01-01,2021-06-30,101\n",
            assessments: "a,2020-05-01,jobparat\na,2021-01-31,aktivitetsparat\n\
                          b,2020-05-01,jobparat\nb,2021-02-01,aktivitetsparat\n\
                          c,2021-01-10,jobparat\nc,2021-01-10,aktivitetsparat\n",
            ..Rows::default()
        });
        let groups: Vec<&str> = spells.iter().map(|r| r.5.as_str()).collect();
        assert_eq!(
            groups,
            vec!["aktivitetsparat", "jobparat", "aktivitetsparat", "unknown"]
        );
    }

    #[test]
    fn a_left_censored_spell_takes_the_municipality_of_its_earliest_reported_period() {
        // Both periods run on X = 2020-01-01 and so start on X in the report's view; the one
        // reported first (2019-01-01, Halsnæs 260) decides, not the smaller code 101.
        let spells = spells_of(Rows {
            persons: &person(&["a"]),
            benefit_periods: "a,kontanthjaelp,2019-01-01,2020-03-31,260\n\
                              a,kontanthjaelp,2019-06-01,2020-06-30,101\n",
            ..Rows::default()
        });
        assert_eq!(spells[0].6, 260);
        assert!(spells[0].3);
    }
}
