//! Stock-based indicators (MEASURES.md §4.1): the denominator is the stock on R, one row per
//! person, with group = group(R) and the municipality of a period covering R.

use polars::lazy::dsl::{max_horizontal, min_horizontal};
use polars::prelude::*;

use crate::dates;
use crate::intervals;
use crate::measures::context::{Context, EPS, FIVE_YEARS, RULE_225_HOURS};
use crate::measures::stock::DAYS_ON;
use crate::schema::{self as s, spell as sp};

use super::Rows;

/// The 225-hour rule was in force 2016-04-01..2025-06-30 (abolished by law 1655 of 30-12-2024).
pub const RULE_225_FROM: (i32, u32, u32) = (2016, 4, 1);
pub const RULE_225_TO: (i32, u32, u32) = (2025, 6, 30);

// Working columns of this module.
const R: &str = "__r";
const FROM: &str = "__from";
const TARGET: &str = "__target";
const SUPPORT: &str = "__support";
const SUPPORT_80: &str = "__support_80";
const HOURS: &str = "__hours";
const WINDOW_START: &str = "__w0";
const SUPPORT_START: &str = "__s";
const SUPPORT_END: &str = "__e";
const CLIPPED_START: &str = "__cs";
const CLIPPED_END: &str = "__ce";
const GAP: &str = "__gap";
const INNER: &str = "__inner";
const TAIL: &str = "__tail";
const LONGEST_GAP: &str = "__longest_gap";

/// The stock on R with `R` and the window start `from` as columns.
fn stock_from(ctx: &Context<'_>, from: dates::Day) -> LazyFrame {
    ctx.stock
        .clone()
        .with_columns([lit(ctx.r()).alias(R), lit(from).alias(FROM)])
}

/// `long_term_share` (§4.1): stock on R with `|[spell_start, R]| > long_term_days` (730).
/// Why: long-term means more than two years on benefit, the population of STAR's review.
pub fn long_term_share(ctx: &Context<'_>) -> PolarsResult<Rows> {
    Ok(Rows::of(
        ctx.stock.clone(),
        lit(1),
        col(DAYS_ON).gt(lit(ctx.config.long_term_days)),
    ))
}

/// `long_term_5y_share` (§4.1): stock on R with `|[spell_start, R]| > 1826` (five years).
/// Why: the very long cases, for whom the law asks a new plan.
pub fn long_term_5y_share(ctx: &Context<'_>) -> PolarsResult<Rows> {
    Ok(Rows::of(
        ctx.stock.clone(),
        lit(1),
        col(DAYS_ON).gt(lit(FIVE_YEARS)),
    ))
}

/// `support_80pct_5y_share` (§4.1): stock on R with target-benefit days in `[R − 1825, R]`
/// ≥ 0.8 × 1826. Why: BIP found 63 % of aktivitetsparate on support at least 80 % of the last
/// five years. Not computed when the window starts before X.
pub fn support_80pct_5y_share(ctx: &Context<'_>) -> PolarsResult<Rows> {
    if let Some(note) = ctx.window_unknown("support_80pct_5y_share", ctx.five_years_from()) {
        return Ok(Rows::NotComputed(note));
    }
    Ok(Rows::of(
        ctx.support_80pct_5y(ctx.stock.clone(), SUPPORT_80),
        lit(1),
        col(SUPPORT_80),
    ))
}

/// `any_offer_12m` (§4.1): of the stock on R with `|[spell_start, R]| ≥ 365`, those with ≥ 1
/// support day (activation or mentor) in `[R − 364, R]`. Why: about 1 in 4 aktivitetsparate
/// had no offer in 65 weeks (DA), and no offer at all pushes people away from work (BIP).
pub fn any_offer_12m(ctx: &Context<'_>) -> PolarsResult<Rows> {
    let from = ctx.year_from();
    if let Some(note) = ctx.window_unknown("any_offer_12m", from) {
        return Ok(Rows::NotComputed(note));
    }
    let rows = intervals::covered_in(
        stock_from(ctx, from),
        FROM,
        R,
        ctx.support_days.clone(),
        SUPPORT,
    );
    let year_on = col(DAYS_ON).gt_eq(lit(365));
    Ok(Rows::of(
        rows,
        year_on.clone(),
        year_on.and(col(SUPPORT).gt(lit(0))),
    ))
}

/// `passive_12m` (§4.1): of the stock on R with `|[spell_start, R]| > 365`, those with a run of
/// more than 365 consecutive days in `[max(spell_start, X), R]` without a support day
/// (activation or mentor), counted in calendar days. Why: over 12 months without activation or
/// mentor is a known failure (Halsnæs, STAR's review).
pub fn passive_12m(ctx: &Context<'_>) -> PolarsResult<Rows> {
    let over_a_year = col(DAYS_ON).gt(lit(365));
    Ok(Rows::of(
        longest_passive_run(ctx)?,
        over_a_year.clone(),
        over_a_year.and(col(LONGEST_GAP).gt(lit(365))),
    ))
}

/// Adds [`LONGEST_GAP`]: the longest run of days in `[max(spell_start, X), R]` without a support
/// day, from the gaps between a person's support intervals clipped to the window.
fn longest_passive_run(ctx: &Context<'_>) -> PolarsResult<LazyFrame> {
    let r = ctx.r();
    let stock = ctx
        .stock
        .clone()
        .with_column(max_horizontal([col(sp::SPELL_START), lit(ctx.x())])?.alias(WINDOW_START));
    let support =
        intervals::covered_intervals(ctx.support_days.clone(), SUPPORT_START, SUPPORT_END);
    let gaps = stock
        .clone()
        .select([col(s::PERSON_ID), col(WINDOW_START)])
        .join(
            support,
            [col(s::PERSON_ID)],
            [col(s::PERSON_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(
            col(SUPPORT_END)
                .gt_eq(col(WINDOW_START))
                .and(col(SUPPORT_START).lt_eq(lit(r))),
        )
        .sort(
            [s::PERSON_ID, SUPPORT_START],
            SortMultipleOptions::default(),
        )
        .with_columns([
            max_horizontal([col(SUPPORT_START), col(WINDOW_START)])?.alias(CLIPPED_START),
            min_horizontal([col(SUPPORT_END), lit(r)])?.alias(CLIPPED_END),
        ])
        .with_column(
            (col(CLIPPED_START)
                - intervals::previous_in_runs(
                    col(CLIPPED_END),
                    intervals::run_starts(&[s::PERSON_ID]),
                )
                .fill_null(col(WINDOW_START) - lit(1))
                - lit(1))
            .alias(GAP),
        )
        .group_by([col(s::PERSON_ID)])
        .agg([
            col(GAP).max().alias(INNER),
            (lit(r) - col(CLIPPED_END).max()).alias(TAIL),
        ]);
    Ok(stock
        .join(
            gaps,
            [col(s::PERSON_ID)],
            [col(s::PERSON_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(
            // No support day in the window: the whole window is one run.
            max_horizontal([col(INNER), col(TAIL)])?
                .fill_null(lit(r) - col(WINDOW_START) + lit(1))
                .alias(LONGEST_GAP),
        ))
}

/// `rule_225` (§4.1): of the stock on R with ≥ 365 target days in `[R − 1095, R]`, those with
/// ≥ 225 paid hours in the 12 calendar months ending with R's month. Why: the 225-hour rule
/// (2016-04-01..2025-06-30) cut the benefit of those without ordinary work. Not computed when R
/// is outside the years the rule was in force or the window starts before X.
pub fn rule_225(ctx: &Context<'_>) -> PolarsResult<Rows> {
    let r = ctx.r();
    let (from, to) = (
        dates::ymd(RULE_225_FROM.0, RULE_225_FROM.1, RULE_225_FROM.2),
        dates::ymd(RULE_225_TO.0, RULE_225_TO.1, RULE_225_TO.2),
    );
    let in_force = from.is_some_and(|f| r >= f) && to.is_some_and(|t| r <= t);
    if !in_force {
        return Ok(Rows::NotComputed(format!("rule_225 not computed: R = {} is outside 2016-04-01..2025-06-30, when the 225-hour rule was in force", dates::iso(r))));
    }
    let window = r - 1095;
    if let Some(note) = ctx.window_unknown("rule_225", window) {
        return Ok(Rows::NotComputed(note));
    }
    let rows = intervals::covered_in(
        ctx.twelve_month_hours(stock_from(ctx, window), HOURS)?,
        FROM,
        R,
        ctx.target_days.clone(),
        TARGET,
    );
    let three_years_on = col(TARGET).gt_eq(lit(365));
    Ok(Rows::of(
        rows,
        three_years_on.clone(),
        three_years_on.and(col(HOURS).gt_eq(lit(RULE_225_HOURS - EPS))),
    ))
}
