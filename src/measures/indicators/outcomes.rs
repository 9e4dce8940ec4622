//! Outcome indicators (MEASURES.md §4.4): in work a year after entry, and durable work after
//! exit. Group = group at entry; municipality of the spell.

use polars::prelude::*;

use crate::dates;
use crate::intervals;
use crate::measures::context::Context;
use crate::schema::{self as s, spell as sp};
use crate::status;

use super::Rows;

// Working columns of this module.
const DAY: &str = "__day";
const OVER: &str = "__over";
const AFTER: &str = "__after";
const YEAR: &str = "__year";
const BENEFIT: &str = "__benefit";
const FIRST_MONTH: &str = "__m1";
const TWELFTH_MONTH: &str = "__m12";
const PAID_N: &str = "__paid_n";

/// The spells with their group at entry as `group`.
fn spells(ctx: &Context<'_>) -> LazyFrame {
    ctx.spells
        .df
        .clone()
        .lazy()
        .with_column(col(sp::GROUP_AT_ENTRY).alias(s::GROUP))
}

/// `e ∈ P`.
fn in_p(ctx: &Context<'_>, e: Expr) -> Expr {
    let p = ctx.period;
    e.clone().gt_eq(lit(p.start)).and(e.lt_eq(lit(p.end)))
}

/// `in_work_365` (§4.4): of the spells not left-censored with start + 365 in P, those whose
/// person is in employment on start + 365. Why: about 6 % of aktivitetsparate get a job within
/// a year (BIP); this is the jobcentre's first outcome.
pub fn in_work_365(ctx: &Context<'_>) -> PolarsResult<Rows> {
    let year_on = spells(ctx)
        .filter(col(sp::LEFT_CENSORED).not())
        .with_column((col(sp::SPELL_START) + lit(365)).alias(DAY))
        .filter(in_p(ctx, col(DAY)));
    Ok(Rows::of(
        status::on(year_on, DAY, ctx.status_steps.clone())?,
        lit(1),
        col(status::STATUS).eq(lit(status::EMPLOYMENT)),
    ))
}

/// `durable_work_12m` (§4.4): of the closed spells with exit class work and spell_end + 365 in
/// P, those with no benefit of any code on any day of `[end + 1, end + 365]` and paid hours in
/// each of the 12 months after the end month. Why: benchmark.dk finds half of the exits to work
/// last 12 months; an exit that comes back is no outcome.
pub fn durable_work_12m(ctx: &Context<'_>) -> PolarsResult<Rows> {
    let end = col(sp::SPELL_END);
    let exits = spells(ctx)
        .filter(col(sp::CLOSED).and(in_p(ctx, end.clone() + lit(365))))
        .with_columns([
            (end.clone() + lit(ctx.config.gap_days + 1)).alias(OVER),
            (end.clone() + lit(1)).alias(AFTER),
            (end + lit(365)).alias(YEAR),
        ]);
    let exits = status::on(exits, OVER, ctx.status_steps.clone())?
        .filter(status::exit_class(col(status::STATUS)).eq(lit("work")));
    let exits = intervals::covered_in(exits, AFTER, YEAR, ctx.benefit_days.clone(), BENEFIT);
    // The 12 months after the end month: from the first of the next month to the first of the
    // same month a year later.
    let exits = exits.with_columns([
        dates::expr::next_month(col(sp::SPELL_END)).alias(FIRST_MONTH),
        dates::expr::same_month_next_year(col(sp::SPELL_END)).alias(TWELFTH_MONTH),
    ]);
    let exits = ctx.paid_months_in(exits, FIRST_MONTH, TWELFTH_MONTH, PAID_N);
    Ok(Rows::of(
        exits,
        lit(1),
        col(BENEFIT).eq(lit(0)).and(col(PAID_N).eq(lit(12))),
    ))
}
