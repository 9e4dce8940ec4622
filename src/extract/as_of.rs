//! The extract as seen on a reference date R (MEASURES.md, general conventions): what a
//! report computes from, and the way back from its integer person ids to the text ids.

use polars::lazy::dsl::{max_horizontal, min_horizontal};
use polars::prelude::*;

use crate::dates::Day;
use crate::intervals::person_day_key;
use crate::schema::{self as s, TableSpec};

use super::{codes, Extract};

/// Working column: a paid month's person × month key.
const MONTH_KEY: &str = "__month_key";

/// Column `c` of each row's person, as an expression over rows with `person_id`; `persons` are
/// a view's (`Extract::as_of`). See [`at_person`].
pub fn of_person(persons: &DataFrame, c: &str) -> PolarsResult<Expr> {
    Ok(at_person(
        persons.column(c)?.as_materialized_series().clone(),
    ))
}

/// The value of each row's person, as an expression over rows with `person_id`, from `values`
/// in the order of a view's persons (one per person, of person `i` at position `i`). A view's
/// persons hold id `i` in row `i` ([`Extract::into_as_of`] ensures it), so this is a gather at
/// the id, not a hash join of the rows against a million persons.
pub fn at_person(values: Series) -> Expr {
    lit(values).gather(col(s::PERSON_ID), false)
}

impl Extract {
    /// The extract as seen on reference date `r` (MEASURES.md, general conventions): data
    /// dated after `r` does not exist, so that a report as of R computed from a later extract
    /// equals one computed from an extract cut at R. In detail:
    /// - an exit_date after `r` becomes null (the person has not left yet);
    /// - benefit and intervention periods run from `max(start, X)` to
    ///   `min(end ?? r, r, exit_date − 1)` and are dropped when that is empty (so a period
    ///   starting after `r` or on/after exit_date is gone); the start as reported stays in
    ///   `reported_start`, for "the earliest period" of §1.3;
    /// - meetings and assessments dated after `r` or on/after exit_date are gone, and meetings
    ///   before X are ignored;
    /// - paid-hours months before X, after `r` or starting after exit_date are gone (a month
    ///   starting on exit_date still counts), and the rest are summed per person and month
    ///   (several employers).
    ///
    /// Afterwards `self.end == r`, `person_id` is the dense UInt32 of the loaded extract (the
    /// rank of the text id, which `persons` keeps as `person_key`); coded columns of `persons`
    /// are text again, those of the other tables Enums of their sorted code list (one byte per
    /// row, where text takes a 16-byte view: on 1M persons about 70 M rows of codes).
    pub fn as_of(&self, r: Day) -> PolarsResult<Extract> {
        self.clone().into_as_of(r)
    }

    /// [`Extract::as_of`], dropping each table of the loaded extract as soon as its view is
    /// built, so that the two are never held in memory together.
    pub fn into_as_of(mut self, r: Day) -> PolarsResult<Extract> {
        let (x, r_lit) = (
            lit(self.start).cast(DataType::Date),
            lit(r).cast(DataType::Date),
        );
        let persons = std::mem::take(&mut self.persons)
            .lazy()
            .sort([s::PERSON_ID], SortMultipleOptions::default())
            .with_column(
                when(col(s::EXIT_DATE).gt(r_lit.clone()))
                    .then(lit(NULL).cast(DataType::Date))
                    .otherwise(col(s::EXIT_DATE))
                    .alias(s::EXIT_DATE),
            )
            .collect()?;
        let persons = persons
            .clone()
            .lazy()
            .select(codes::as_text(&persons, &s::PERSONS))
            .collect()?;
        // `person_id` is the dense rank of the text id, so in a valid extract (ids unique) the
        // persons sorted by id hold id i in row i, and a row's exit_date is a gather at its id:
        // no hash join of every register row (on 1M persons, 58 M rows).
        let ids = persons.column(s::PERSON_ID)?.u32()?;
        polars_ensure!(
            ids.iter().enumerate().all(|(i, id)| id.map(usize::try_from) == Some(Ok(i))),
            ComputeError: "person ids are not 0, 1, … in the persons table"
        );
        let exit_dates = persons
            .column(s::EXIT_DATE)?
            .as_materialized_series()
            .clone();
        // Rows with the person's exit_date: in the table's own order when it has more rows than
        // persons, else by person (stably), the order the rest of the pipeline has always seen.
        let with_exit = |df: DataFrame| {
            let by_person = df.height() <= persons.height();
            let lf = df
                .lazy()
                .with_column(at_person(exit_dates.clone()).alias(s::EXIT_DATE));
            if by_person {
                lf.sort(
                    [s::PERSON_ID],
                    SortMultipleOptions::default().with_maintain_order(true),
                )
            } else {
                lf
            }
        };
        let before_exit = |c: &str| col(s::EXIT_DATE).is_null().or(col(c).lt(col(s::EXIT_DATE)));
        let periods = |df: DataFrame, spec: &TableSpec| -> PolarsResult<DataFrame> {
            let exit_eve = (col(s::EXIT_DATE).cast(DataType::Int32) - lit(1)).cast(DataType::Date);
            let mut cols = codes::as_enum(&df, spec)?;
            cols.push(col(s::REPORTED_START));
            with_exit(df)
                .with_column(col(s::START).alias(s::REPORTED_START))
                .with_columns([
                    max_horizontal([col(s::START), x.clone()])?.alias(s::START),
                    min_horizontal([
                        col(s::END).fill_null(r_lit.clone()),
                        r_lit.clone(),
                        exit_eve.fill_null(r_lit.clone()),
                    ])?
                    .alias(s::END),
                ])
                .filter(col(s::START).lt_eq(col(s::END)))
                .select(cols)
                .collect()
        };
        let dated = |df: DataFrame, spec: &TableSpec, c: &str, from: Option<Expr>| {
            let mut keep = col(c).lt_eq(r_lit.clone()).and(before_exit(c));
            if let Some(from) = from {
                keep = keep.and(col(c).gt_eq(from));
            }
            let cols = codes::as_enum(&df, spec)?;
            with_exit(df).filter(keep).select(cols).collect()
        };
        // One row per person × month with the hours and earnings summed, by a group-by on one
        // packed person × month key in sorted order: in one chunk and flagged sorted, the key
        // groups as runs of rows (no hashing), and each run holds its rows in their order in the
        // file. Files are usually sorted by person and month already; only when the key is not
        // is the table sorted (stably).
        let mut months = with_exit(std::mem::take(&mut self.paid_hours))
            .filter(
                col(s::MONTH)
                    .lt_eq(r_lit.clone())
                    .and(col(s::MONTH).gt_eq(x.clone()))
                    .and(
                        col(s::EXIT_DATE)
                            .is_null()
                            .or(col(s::MONTH).lt_eq(col(s::EXIT_DATE))),
                    ),
            )
            .select([
                person_day_key(col(s::PERSON_ID), col(s::MONTH)).alias(MONTH_KEY),
                col(s::PERSON_ID),
                col(s::MONTH),
                col(s::HOURS),
                col(s::EARNINGS),
            ])
            .collect()?;
        let months = if super::flag_if_sorted(&mut months, MONTH_KEY)? {
            months
        } else {
            let stable = SortMultipleOptions::default().with_maintain_order(true);
            months.sort([MONTH_KEY], stable)?
        };
        // A key of two or fewer bare columns makes the planner send a group-by to its
        // streaming engine, which hashes every row and ignores the sorted flag; the no-op cast
        // keeps it in memory. On 1M persons the stage peaked at 2.6-2.8 GiB before, 2.3 GiB
        // with this and the two releases below (`forloeb bench`).
        let paid_hours = months
            .lazy()
            .group_by([col(MONTH_KEY).cast(DataType::UInt64)])
            .agg([
                col(s::PERSON_ID).first(),
                col(s::MONTH).first(),
                col(s::HOURS).sum(),
                col(s::EARNINGS).sum().alias(s::EARNINGS),
            ])
            .sort([MONTH_KEY], SortMultipleOptions::default())
            .drop(by_name([MONTH_KEY], true, false))
            .collect()?;
        // The two largest transients of the stage are the paid months' and, right after this
        // view, the spells': each is handed back before the next (`alloc`).
        crate::alloc::release();
        let benefit_periods = periods(
            std::mem::take(&mut self.benefit_periods),
            &s::BENEFIT_PERIODS,
        )?;
        let assessments = dated(
            std::mem::take(&mut self.assessments),
            &s::ASSESSMENTS,
            s::DATE,
            None,
        )?;
        let interventions = periods(std::mem::take(&mut self.interventions), &s::INTERVENTIONS)?;
        let meetings = dated(
            std::mem::take(&mut self.meetings),
            &s::MEETINGS,
            s::DATE,
            Some(x.clone()),
        )?;
        // The streaming read leaves these in hundreds of chunks (meetings on 1M persons: 436);
        // every later stage reads them, and sorts and joins would each make them whole again.
        let mut tables = [benefit_periods, assessments, interventions, meetings];
        for df in &mut tables {
            df.rechunk_mut_par();
        }
        let [benefit_periods, assessments, interventions, meetings] = tables;
        crate::alloc::release();
        Ok(Extract {
            persons,
            benefit_periods,
            assessments,
            interventions,
            meetings,
            paid_hours,
            start: self.start,
            end: r,
            inputs: self.inputs,
            sha256: self.sha256,
        })
    }

    /// The inverse of the integer ids of `as_of`: replaces `person_id` in `lf` by the text id
    /// the extract used (for the person-level `forloeb spells` output and for tests).
    pub fn with_text_ids(&self, lf: LazyFrame) -> LazyFrame {
        let keys = self
            .persons
            .clone()
            .lazy()
            .select([col(s::PERSON_ID), col(s::PERSON_KEY)]);
        lf.join(
            keys,
            [col(s::PERSON_ID)],
            [col(s::PERSON_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(col(s::PERSON_KEY).alias(s::PERSON_ID))
        .drop(by_name([s::PERSON_KEY], true, false))
    }
}

#[cfg(test)]
mod tests {
    use crate::dates::{iso, parse_iso};
    use crate::schema as s;
    use crate::testing::{extract, Rows};

    use super::*;

    /// X = 2020-01-01, E = 2024-12-31; every test looks at R = 2022-12-31.
    /// Persons (text id → integer id by rank): p1 0 (no exit), p2 1 (exit 2022-06-15, before
    /// R), p3 2 (exit 2023-03-01, after R: absent as of R), p4 3 (exit 2022-09-01, a month's
    /// first day).
    const PERSONS: &str = "p1,1980,F,,,\n\
                           p2,1980,M,,,2022-06-15\n\
                           p3,1980,F,,,2023-03-01\n\
                           p4,1980,M,,,2022-09-01\n";

    fn as_of_r(rows: Rows<'_>) -> Extract {
        let (_dir, ex) = extract(
            "2020-01-01",
            "2024-12-31",
            Rows {
                persons: PERSONS,
                ..rows
            },
        );
        ex.as_of(parse_iso("2022-12-31").expect("R"))
            .expect("as_of")
    }

    /// The rows of `df` as text, each column of `cols` rendered, person_id as the text id.
    fn rows_of(ex: &Extract, df: &DataFrame, cols: &[&str]) -> Vec<String> {
        let df = ex
            .with_text_ids(df.clone().lazy())
            .sort(cols.to_vec(), SortMultipleOptions::default())
            .collect()
            .expect("collect");
        (0..df.height())
            .map(|i| {
                cols.iter()
                    .map(|c| {
                        let v = df.column(c).expect("column").get(i).expect("row");
                        match v {
                            AnyValue::Date(d) => iso(d),
                            AnyValue::Null => "null".into(),
                            // Text, and the coded columns, which are Enums of their code list.
                            other => other
                                .get_str()
                                .map_or_else(|| other.to_string(), str::to_owned),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    #[test]
    fn exit_after_r_is_absent_and_ids_are_dense_ranks_of_the_text_ids() {
        let ex = as_of_r(Rows::default());
        assert_eq!(ex.start, parse_iso("2020-01-01").expect("X"));
        assert_eq!(ex.end, parse_iso("2022-12-31").expect("R"), "E becomes R");
        let persons = ex
            .persons
            .clone()
            .lazy()
            .sort([s::PERSON_ID], SortMultipleOptions::default())
            .collect()
            .expect("collect");
        let ids: Vec<Option<u32>> = persons
            .column(s::PERSON_ID)
            .expect("id")
            .u32()
            .expect("UInt32")
            .iter()
            .collect();
        assert_eq!(ids, [Some(0), Some(1), Some(2), Some(3)]);
        let keys = persons
            .column(s::PERSON_KEY)
            .expect("key")
            .str()
            .expect("text");
        assert_eq!(
            keys.iter().collect::<Vec<_>>(),
            [Some("p1"), Some("p2"), Some("p3"), Some("p4")]
        );
        // p3's exit on 2023-03-01 lies after R: as of R it has not happened.
        assert_eq!(
            rows_of(&ex, &ex.persons, &[s::PERSON_ID, s::EXIT_DATE]),
            ["p1 null", "p2 2022-06-15", "p3 null", "p4 2022-09-01"]
        );
    }

    #[test]
    fn periods_start_at_x_and_end_at_the_earliest_of_end_r_and_the_eve_of_exit() {
        let ex = as_of_r(Rows {
            benefit_periods: "p1,kontanthjaelp,2019-11-01,2020-03-31,101\n\
                              p1,kontanthjaelp,2022-10-01,2023-02-28,101\n\
                              p1,kontanthjaelp,2023-01-01,2023-03-31,101\n\
                              p1,su,2022-12-01,,101\n\
                              p2,kontanthjaelp,2022-01-01,2022-12-31,101\n\
                              p2,sygedagpenge,2022-06-14,2022-06-14,101\n\
                              p2,su,2022-06-15,2022-08-31,101\n\
                              p3,kontanthjaelp,2022-06-01,,101\n",
            interventions: "p1,mentor,2022-11-01,\n\
                            p1,mentor,2023-01-02,2023-01-31\n\
                            p2,mentor,2022-05-01,2022-07-31\n",
            ..Rows::default()
        });
        let cols = [s::PERSON_ID, s::START, s::END, s::REPORTED_START];
        assert_eq!(
            rows_of(&ex, &ex.benefit_periods, &cols),
            [
                // Started before X: counts from X; the reported start is kept.
                "p1 2020-01-01 2020-03-31 2019-11-01",
                // Ends after R: cut at R.
                "p1 2022-10-01 2022-12-31 2022-10-01",
                // Open end (su): runs to R. The period starting 2023-01-01 > R is gone.
                "p1 2022-12-01 2022-12-31 2022-12-01",
                // Exit 2022-06-15: nothing counts on it, so the period ends on 06-14 …
                "p2 2022-01-01 2022-06-14 2022-01-01",
                // … a one-day period on the eve of exit stays, one starting on exit is gone.
                "p2 2022-06-14 2022-06-14 2022-06-14",
                // p3's exit (2023-03-01) is after R, so it does not cut: open end → R.
                "p3 2022-06-01 2022-12-31 2022-06-01",
            ]
        );
        assert_eq!(
            rows_of(&ex, &ex.interventions, &cols),
            [
                "p1 2022-11-01 2022-12-31 2022-11-01",
                "p2 2022-05-01 2022-06-14 2022-05-01",
            ]
        );
    }

    #[test]
    fn dated_rows_after_r_or_on_exit_are_gone_and_meetings_before_x_too() {
        let ex = as_of_r(Rows {
            assessments: "p1,2019-06-01,jobparat\n\
                          p1,2022-12-31,aktivitetsparat\n\
                          p1,2023-01-01,jobparat\n\
                          p2,2022-06-14,jobparat\n\
                          p2,2022-06-15,jobparat\n\
                          p3,2022-12-01,jobparat\n",
            meetings: "p1,2019-12-31,individual,held\n\
                       p1,2020-01-01,individual,held\n\
                       p1,2023-01-01,individual,held\n\
                       p2,2022-06-14,joint,no_show\n\
                       p2,2022-06-15,joint,held\n\
                       p3,2022-12-31,individual,held\n",
            ..Rows::default()
        });
        // An assessment before X still holds from its date on (DATA.md), so it stays; the one
        // after R and the one on p2's exit_date are gone.
        assert_eq!(
            rows_of(&ex, &ex.assessments, &[s::PERSON_ID, s::DATE, s::GROUP]),
            [
                "p1 2019-06-01 jobparat",
                "p1 2022-12-31 aktivitetsparat",
                "p2 2022-06-14 jobparat",
                "p3 2022-12-01 jobparat",
            ]
        );
        // Meetings before X are ignored; on R stays; p3's exit after R does not remove one.
        assert_eq!(
            rows_of(&ex, &ex.meetings, &[s::PERSON_ID, s::DATE, s::STATUS]),
            [
                "p1 2020-01-01 held",
                "p2 2022-06-14 no_show",
                "p3 2022-12-31 held",
            ]
        );
    }

    #[test]
    fn paid_hours_inside_x_r_and_up_to_exit_month_are_summed_per_person_and_month() {
        let ex = as_of_r(Rows {
            paid_hours: "p1,2019-12-01,10,100\n\
                         p1,2022-12-01,10,100\n\
                         p1,2022-12-01,5,50\n\
                         p1,2023-01-01,10,100\n\
                         p2,2022-06-01,8,80\n\
                         p2,2022-07-01,8,80\n\
                         p4,2022-09-01,3,30\n\
                         p4,2022-10-01,3,30\n",
            ..Rows::default()
        });
        assert_eq!(
            rows_of(
                &ex,
                &ex.paid_hours,
                &[s::PERSON_ID, s::MONTH, s::HOURS, s::EARNINGS]
            ),
            [
                // Before X (2019-12) and after R (2023-01) are gone; two employers in
                // 2022-12: 10 + 5 hours, 100 + 50 kr.
                "p1 2022-12-01 15.0 150.0",
                // Exit 2022-06-15: June started before it and counts, July does not.
                "p2 2022-06-01 8.0 80.0",
                // Exit 2022-09-01: the month starting on exit_date still counts.
                "p4 2022-09-01 3.0 30.0",
            ]
        );
    }

    #[test]
    fn unsorted_paid_hours_sum_each_month_in_file_order() {
        let ex = as_of_r(Rows {
            paid_hours: "p2,2022-06-01,8,80\n\
                         p1,2022-12-01,0.1,1\n\
                         p1,2022-11-01,1,10\n\
                         p1,2022-12-01,0.2,2\n\
                         p1,2022-12-01,0.3,3\n",
            ..Rows::default()
        });
        assert_eq!(
            rows_of(
                &ex,
                &ex.paid_hours,
                &[s::PERSON_ID, s::MONTH, s::HOURS, s::EARNINGS]
            ),
            [
                "p1 2022-11-01 1.0 10.0",
                // Three rows apart in the file: one month, summed as Polars sums floats.
                "p1 2022-12-01 0.6 6.0",
                "p2 2022-06-01 8.0 80.0",
            ]
        );
    }
}
