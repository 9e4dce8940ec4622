//! The extract as seen on a reference date R (MEASURES.md, general conventions): what a
//! report computes from, and the way back from its integer person ids to the text ids.

use polars::lazy::dsl::{max_horizontal, min_horizontal};
use polars::prelude::*;

use crate::dates::Day;
use crate::schema as s;

use super::Extract;

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
    /// Afterwards `self.end == r`, and `person_id` is a dense UInt32 (the rank of the text id,
    /// which `persons` keeps as `person_key`), so that every later join, window and as-of join
    /// is on integers.
    pub fn as_of(&self, r: Day) -> PolarsResult<Extract> {
        let (x, r_lit) = (
            lit(self.start).cast(DataType::Date),
            lit(r).cast(DataType::Date),
        );
        let persons = self
            .persons
            .clone()
            .lazy()
            .sort([s::PERSON_ID], SortMultipleOptions::default())
            .with_row_index(ID, None)
            .with_column(
                when(col(s::EXIT_DATE).gt(r_lit.clone()))
                    .then(lit(NULL).cast(DataType::Date))
                    .otherwise(col(s::EXIT_DATE))
                    .alias(s::EXIT_DATE),
            )
            .rename([s::PERSON_ID, ID], [s::PERSON_KEY, s::PERSON_ID], true)
            .collect()?;
        let exits = persons.clone().lazy().select([
            col(s::PERSON_KEY),
            col(s::PERSON_ID).alias(ID),
            col(s::EXIT_DATE),
        ]);
        // Rows with the integer id in place of the text id, and the person's exit_date.
        let with_exit = |df: &DataFrame| {
            df.clone()
                .lazy()
                .join(
                    exits.clone(),
                    [col(s::PERSON_ID)],
                    [col(s::PERSON_KEY)],
                    JoinArgs::new(JoinType::Inner),
                )
                .with_column(col(ID).alias(s::PERSON_ID))
        };
        let before_exit = |c: &str| col(s::EXIT_DATE).is_null().or(col(c).lt(col(s::EXIT_DATE)));
        let periods = |df: &DataFrame| -> PolarsResult<DataFrame> {
            let exit_eve = (col(s::EXIT_DATE).cast(DataType::Int32) - lit(1)).cast(DataType::Date);
            let mut cols = columns(df);
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
        let dated = |df: &DataFrame, c: &str, from: Option<Expr>| -> PolarsResult<DataFrame> {
            let mut keep = col(c).lt_eq(r_lit.clone()).and(before_exit(c));
            if let Some(from) = from {
                keep = keep.and(col(c).gt_eq(from));
            }
            with_exit(df).filter(keep).select(columns(df)).collect()
        };
        let paid_hours = with_exit(&self.paid_hours)
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
            .group_by([col(s::PERSON_ID), col(s::MONTH)])
            .agg([
                col(s::HOURS).sum(),
                col(s::EARNINGS).sum().alias(s::EARNINGS),
            ])
            .sort([s::PERSON_ID, s::MONTH], SortMultipleOptions::default())
            .collect()?;
        Ok(Extract {
            persons,
            benefit_periods: periods(&self.benefit_periods)?,
            assessments: dated(&self.assessments, s::DATE, None)?,
            interventions: periods(&self.interventions)?,
            meetings: dated(&self.meetings, s::DATE, Some(x.clone()))?,
            paid_hours,
            start: self.start,
            end: r,
            inputs: self.inputs.clone(),
            sha256: self.sha256.clone(),
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

/// Every column of `df`, in order: what a table keeps after its working columns are used.
fn columns(df: &DataFrame) -> Vec<Expr> {
    df.get_column_names()
        .iter()
        .map(|c| col(c.as_str()))
        .collect()
}

/// Working column: the integer person id while it replaces the text id.
const ID: &str = "__id";
