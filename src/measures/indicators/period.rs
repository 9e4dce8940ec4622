//! Day-, meeting- and month-based indicators over the report period P (MEASURES.md §4.3):
//! their units (days, meetings, person-months) are not independent, so they carry no interval.

use polars::lazy::dsl::{max_horizontal, min_horizontal};
use polars::prelude::*;

use chrono::Datelike;

use crate::config::Period;
use crate::dates::{self, Day};
use crate::intervals;
use crate::measures::context::{Context, ACTIVATION, DAYS};
use crate::schema as s;

use super::Rows;

// Working columns of this module.
const DEN: &str = "__per_year_den";
const NUM: &str = "__per_year_num";
const MONTH: &str = "__month";
const MONTH_NO: &str = "__month_no";
const FIRST: &str = "__first";
const PAID: &str = "__paid";
const MONTH_KEY: &str = "__month_key";

/// `activation_rate` (§4.3): activation days ÷ target person-days in P, a day being an
/// activation day when an intervention of an activation kind covers it. Why: jobindsats'
/// aktiveringsgrad in days (Oct 2020: jobparate 17 %, aktivitetsparate 9 %).
pub fn activation_rate(ctx: &Context<'_>) -> PolarsResult<Rows> {
    Ok(Rows::of(
        ctx.day_pieces.clone(),
        col(DAYS),
        when(col(ACTIVATION).is_not_null())
            .then(col(DAYS))
            .otherwise(lit(0)),
    ))
}

/// Meetings in P on target days, with the municipality covering the day and the group of the
/// meeting date. Shared by `cancel_share` and `meetings_per_year`, so built once.
fn meetings_in_p(ctx: &Context<'_>) -> PolarsResult<LazyFrame> {
    Context::shared(&ctx.meetings_in_p, || {
        let p = ctx.period;
        let meetings = ctx
            .meetings
            .clone()
            .lazy()
            .with_column(col(s::DATE).cast(DataType::Int32))
            .filter(
                col(s::DATE)
                    .gt_eq(lit(p.start))
                    .and(col(s::DATE).lt_eq(lit(p.end))),
            );
        let meetings = intervals::value_on(
            meetings,
            s::DATE,
            ctx.municipality_cover.clone(),
            &[s::MUNICIPALITY],
        )
        .filter(col(s::MUNICIPALITY).is_not_null());
        Ok(ctx.group_on(meetings, s::DATE).collect()?.lazy())
    })
}

/// `cancel_share` (§4.3): of the meetings in P on target days not cancelled by the jobcentre,
/// those the citizen cancelled (afbud) or did not attend. Why: STAR's review found afbud and
/// fravær slow cases down.
pub fn cancel_share(ctx: &Context<'_>) -> PolarsResult<Rows> {
    let status = col(s::STATUS);
    Ok(Rows::of(
        meetings_in_p(ctx)?.filter(status.clone().neq(lit("cancelled_jobcentre"))),
        lit(1),
        status
            .clone()
            .eq(lit("cancelled_citizen"))
            .or(status.eq(lit("no_show"))),
    ))
}

/// `meetings_per_year` (§4.3): held meetings on target days in P per person-year on benefit,
/// `365.25 · meetings ÷ target person-days`. Why: how often a jobcentre sees its citizens,
/// independent of how long they stay.
pub fn meetings_per_year(ctx: &Context<'_>) -> PolarsResult<Rows> {
    let days = ctx.day_pieces.clone().select([
        col(s::PERSON_ID),
        col(s::MUNICIPALITY),
        col(s::GROUP),
        col(DAYS).cast(DataType::Int64).alias(DEN),
        lit(0).cast(DataType::Int64).alias(NUM),
    ]);
    let meetings = meetings_in_p(ctx)?.select([
        col(s::PERSON_ID),
        col(s::MUNICIPALITY),
        col(s::GROUP),
        lit(0).cast(DataType::Int64).alias(DEN),
        col(s::STATUS)
            .eq(lit("held"))
            .cast(DataType::Int64)
            .alias(NUM),
    ]);
    Ok(Rows::of(
        concat([days, meetings], UnionArgs::default())?,
        col(DEN),
        col(NUM),
    ))
}

/// `paid_hours_months` (§4.3): person-months wholly inside P with ≥ 1 target day; numerator:
/// hours > 0 that month. A month belongs to the municipality and group of its first target day.
/// Why: ordinary paid hours work (BIP), and small jobs are the way forward (STAR).
///
/// The months a person touches come from the union of target periods (`Context::target_days`)
/// clipped to P, each interval exploded into its month numbers (`year · 12 + month`, plain
/// integers); the first interval touching a month holds its first target day.
pub fn paid_hours_months(ctx: &Context<'_>) -> PolarsResult<Rows> {
    let p = ctx.period;
    let month_no = |d: Expr| {
        let d = d.cast(DataType::Date);
        d.clone().dt().year() * lit(12) + d.dt().month().cast(DataType::Int32)
    };
    let touched = intervals::covered_intervals(ctx.target_days.clone(), s::START, s::END)
        .with_columns([
            max_horizontal([col(s::START), lit(p.start)])?.alias(s::START),
            min_horizontal([col(s::END), lit(p.end)])?.alias(s::END),
        ])
        .filter(col(s::START).lt_eq(col(s::END)))
        .with_column(
            int_ranges(
                month_no(col(s::START)),
                month_no(col(s::END)) + lit(1),
                lit(1),
                DataType::Int32,
            )
            .alias(MONTH_NO),
        )
        .explode(
            by_name([MONTH_NO], true, false),
            ExplodeOptions {
                empty_as_null: true,
                keep_nulls: true,
            },
        )
        // Rows are in order of person and interval: the first row of a person's month is the
        // earliest interval touching it.
        .filter(intervals::run_starts(&[s::PERSON_ID, MONTH_NO]))
        .join(
            months_inside(p)?.lazy(),
            [col(MONTH_NO)],
            [col(MONTH_NO)],
            JoinArgs::new(JoinType::Inner),
        )
        .with_column(max_horizontal([col(s::START), col(MONTH)])?.alias(FIRST))
        .select([col(s::PERSON_ID), col(MONTH), col(FIRST)]);
    let touched = intervals::value_on(
        touched,
        FIRST,
        ctx.municipality_cover.clone(),
        &[s::MUNICIPALITY],
    );
    let touched = ctx.group_on(touched, FIRST);
    let hours = ctx
        .paid_hours
        .clone()
        .lazy()
        .select([
            col(s::PERSON_ID),
            col(s::MONTH).cast(DataType::Int32).alias(MONTH),
            col(s::HOURS),
        ])
        // Only months in P can match; cut first, so the join hashes a year of months, not all.
        .filter(
            col(s::HOURS)
                .gt(lit(0.0))
                .and(col(MONTH).gt_eq(lit(p.start)))
                .and(col(MONTH).lt_eq(lit(p.end))),
        )
        .select([month_key(), lit(true).alias(PAID)]);
    // One packed person × month key: a join on the two columns encoded both into rows first.
    let rows = touched.with_column(month_key()).join(
        hours,
        [col(MONTH_KEY)],
        [col(MONTH_KEY)],
        JoinArgs::new(JoinType::Left),
    );
    Ok(Rows::of(rows, lit(1), col(PAID).fill_null(false)))
}

/// The person × month key of a row with `PERSON_ID` and [`MONTH`].
fn month_key() -> Expr {
    intervals::person_day_key(col(s::PERSON_ID), col(MONTH)).alias(MONTH_KEY)
}

/// The calendar months wholly inside `p`: [`MONTH_NO`] (`year · 12 + month`) and [`MONTH`],
/// the first day.
fn months_inside(p: Period) -> PolarsResult<DataFrame> {
    let (mut numbers, mut firsts) = (Vec::new(), Vec::new());
    let start = dates::from_day(p.start);
    let mut month = chrono::NaiveDate::from_ymd_opt(start.year(), start.month(), 1);
    while let Some(first) = month {
        let next = first.checked_add_months(chrono::Months::new(1));
        let last = next.map_or(Day::MAX, |n| dates::to_day(n) - 1);
        if last > p.end {
            break;
        }
        if dates::to_day(first) >= p.start {
            numbers.push(first.year() * 12 + first.month() as i32);
            firsts.push(dates::to_day(first));
        }
        month = next;
    }
    df!(MONTH_NO => numbers, MONTH => firsts)
}
