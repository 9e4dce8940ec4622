//! Spell-based compliance indicators (MEASURES.md §4.2): what the law and LAB 2020 ask of the
//! first week and the first six months of a spell. Group = group at entry; municipality of the
//! spell; left-censored spells are left out (their start is unknown).

use polars::prelude::*;

use crate::dates::{self, Day};
use crate::intervals;
use crate::measures::context::Context;
use crate::schema::{self as s, spell as sp};

use super::Rows;

/// The four-conversations-and-one-offer rule (LAB 2020) applies to spells from this date.
pub const RULE_4_PLUS_1_FROM: (i32, u32, u32) = (2020, 1, 1);

// Working columns of this module.
const TO: &str = "__to";
const HELD_N: &str = "__held_n";
const ACTIVATION: &str = "__act";
const COMPANY: &str = "__company";

/// Spells not left-censored, with their group at entry as `group`.
fn fresh_spells(ctx: &Context<'_>) -> LazyFrame {
    ctx.spells
        .df
        .clone()
        .lazy()
        .filter(col(sp::LEFT_CENSORED).not())
        .with_column(col(sp::GROUP_AT_ENTRY).alias(s::GROUP))
}

/// `e ∈ P`.
fn in_p(ctx: &Context<'_>, e: Expr) -> Expr {
    let p = ctx.period;
    e.clone().gt_eq(lit(p.start)).and(e.lt_eq(lit(p.end)))
}

/// `first_meeting_7d` (§4.2): of the spells starting in P (start + 6 ≤ R), those with a held
/// meeting in `[start, start + 6]`. Why: the law asks for a first conversation within a week.
pub fn first_meeting_7d(ctx: &Context<'_>) -> PolarsResult<Rows> {
    let start = col(sp::SPELL_START);
    let spells = fresh_spells(ctx)
        .filter(in_p(ctx, start.clone()).and((start.clone() + lit(6)).lt_eq(lit(ctx.r()))))
        .with_column((start + lit(6)).alias(TO));
    Ok(Rows::of(
        ctx.held_in(spells, sp::SPELL_START, TO, HELD_N),
        lit(1),
        col(HELD_N).gt_eq(lit(1)),
    ))
}

/// The spells of the six-month measures: not left-censored, start + 182 in P and duration ≥ 183,
/// with held meetings, activation days and company-offer days in `[start, start + 182]`.
/// Shared by four measures, so built once.
fn six_months(ctx: &Context<'_>) -> PolarsResult<LazyFrame> {
    Context::shared(&ctx.six_months, || {
        let start = col(sp::SPELL_START);
        let six = fresh_spells(ctx)
            .filter(in_p(ctx, start.clone() + lit(182)).and(col(sp::DURATION_DAYS).gt_eq(lit(183))))
            .with_column((start + lit(182)).alias(TO));
        let six = ctx.held_in(six, sp::SPELL_START, TO, HELD_N);
        let six = intervals::covered_in(
            six,
            sp::SPELL_START,
            TO,
            ctx.activation_days.clone(),
            ACTIVATION,
        );
        let six =
            intervals::covered_in(six, sp::SPELL_START, TO, ctx.company_days.clone(), COMPANY);
        Ok(six.collect()?.lazy())
    })
}

fn four_meetings() -> Expr {
    col(HELD_N).gt_eq(lit(4))
}

fn an_offer() -> Expr {
    col(ACTIVATION).gt(lit(0))
}

/// `meetings_4_in_6m` (§4.2): of the six-month spells, those with ≥ 4 held meetings in
/// `[start, start + 182]`. Why: LAB 2020 asks for four conversations in the first six months.
pub fn meetings_4_in_6m(ctx: &Context<'_>) -> PolarsResult<Rows> {
    Ok(Rows::of(six_months(ctx)?, lit(1), four_meetings()))
}

/// `offer_6m` (§4.2): of the six-month spells, those with ≥ 1 activation day in
/// `[start, start + 182]`. Why: an early offer is what the reform promised.
pub fn offer_6m(ctx: &Context<'_>) -> PolarsResult<Rows> {
    Ok(Rows::of(six_months(ctx)?, lit(1), an_offer()))
}

/// `rule_4_plus_1` (§4.2): of the six-month spells starting on or after 2020-01-01, those with
/// both four held meetings and an activation day in the first six months. Why: Rigsrevisionen
/// audits jobcentres on this "4 + 1".
pub fn rule_4_plus_1(ctx: &Context<'_>) -> PolarsResult<Rows> {
    let from = dates::ymd(
        RULE_4_PLUS_1_FROM.0,
        RULE_4_PLUS_1_FROM.1,
        RULE_4_PLUS_1_FROM.2,
    )
    .unwrap_or(Day::MIN);
    Ok(Rows::of(
        six_months(ctx)?.filter(col(sp::SPELL_START).gt_eq(lit(from))),
        lit(1),
        four_meetings().and(an_offer()),
    ))
}

/// `company_offer_6m` (§4.2): of the six-month spells, those with ≥ 1 day of a company-based
/// offer (virksomhedspraktik, løntilskud) in `[start, start + 182]`. Why: BIP finds that
/// company-based offers work.
pub fn company_offer_6m(ctx: &Context<'_>) -> PolarsResult<Rows> {
    Ok(Rows::of(six_months(ctx)?, lit(1), col(COMPANY).gt(lit(0))))
}
