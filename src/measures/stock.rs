//! Stock on the reference date by duration, and full-time persons (MEASURES.md §3).

use polars::prelude::*;

use crate::schema::out::TableId;

use crate::config::{Config, Period};
use crate::extract::Extract;

use crate::reference::Reference;
use crate::schema::{self as s, out, spell as sp, DURATION_BANDS};
use crate::spells::{self, Spells};

use super::{by_levels, Definition, Table, LEVEL_KEYS};

/// Days on benefit in the current spell on R: `|[spell_start, R]|`.
pub const DAYS_ON: &str = "days_on";
const BAND_ORDER: &str = "__band_order";

/// The stock on R, one row per person: persons with a target period covering R, their
/// municipality (of a period covering R, smallest code), `group` = group(R), the start of the
/// spell containing R and `days_on` = `|[spell_start, R]|`. `extract` is cut at R, so a period
/// covers R exactly when its effective end is R.
pub fn stock(extract: &Extract, spells: &Spells, config: &Config) -> PolarsResult<LazyFrame> {
    let r = extract.end;
    let on_r = spells::target_periods(extract, config)
        .filter(col(s::END).eq(lit(r)))
        .group_by([col(s::PERSON_ID)])
        .agg([col(s::MUNICIPALITY).min()]);
    let current = spells
        .df
        .clone()
        .lazy()
        .filter(col(sp::SPELL_END).eq(lit(r)))
        .select([col(s::PERSON_ID), col(sp::SPELL_START)]);
    let lf = on_r
        .join(
            current,
            [col(s::PERSON_ID)],
            [col(s::PERSON_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .with_columns([
            lit(r).alias("__r"),
            (lit(r) - col(sp::SPELL_START) + lit(1)).alias(DAYS_ON),
        ]);
    Ok(
        spells::group_on(lf, "__r", spells::group_steps(extract)).drop(by_name(
            ["__r"],
            true,
            false,
        )),
    )
}

/// The band of `k` among `bands` (label, largest `k` in the band; ascending) as (order, label)
/// expressions: duration bands (MEASURES.md §1.6), and the age and count bands of the long-term
/// profile (§5). Null `k` has no band.
pub(super) fn band(k: Expr, bands: &[(&str, i32)]) -> (Expr, Expr) {
    let mut order = lit(NULL).cast(DataType::Int32);
    let mut label = lit(NULL).cast(DataType::String);
    for (i, (name, max)) in bands.iter().enumerate().rev() {
        let cond = k.clone().lt_eq(lit(*max));
        order = when(cond.clone()).then(lit(i as i32)).otherwise(order);
        label = when(cond).then(lit(*name)).otherwise(label);
    }
    (order, label)
}

/// `stock_duration`: persons in the stock on R by duration band of `|[spell_start, R]|`.
/// Why: who is long-term is the first question of the yearly report; the bands above two years
/// are the long-term stock.
pub fn stock_duration(stock: LazyFrame, reference: &Reference) -> PolarsResult<Table> {
    let (order, label) = band(col(DAYS_ON), &DURATION_BANDS);
    let lf = stock.with_columns([order.alias(BAND_ORDER), label.alias(out::DURATION_BAND)]);
    let mut sort: Vec<&str> = LEVEL_KEYS.to_vec();
    sort.push(BAND_ORDER);
    let df = by_levels(
        lf,
        reference,
        &[BAND_ORDER, out::DURATION_BAND],
        &[col(s::PERSON_ID)
            .n_unique()
            .cast(DataType::Int64)
            .alias(out::PERSONS)],
    )?
    .sort(sort, SortMultipleOptions::default())
    .drop(by_name([BAND_ORDER], true, false))
    .collect()?;
    Ok(Table {
        id: TableId::StockDuration,
        df,
        keys: [&LEVEL_KEYS[..], &[out::DURATION_BAND]].concat(),
        definition: Definition::Text(
            "Persons with a target-benefit period covering the reference date R, by \
                     duration band of |[spell_start, R]| (0-6m ≤ 182, 6-12m ≤ 365, 1-2y ≤ 730, \
                     2-3y ≤ 1095, 3-5y ≤ 1826, 5y+ above); municipality of the period covering R \
                     (smallest code), group = group(R).",
        ),
    })
}

/// `fte` (fuldtidspersoner): per person the union of target periods clipped to P, each day
/// attributed to the smallest municipality code of a target period covering it and to
/// group(day); `fte = person_days / |P|`. Why: jobindsats' volume measure — 26 of 52 weeks on
/// benefit is half a full-time person.
///
/// Computed without person-day rows from `day_pieces` (`context::Context::day_pieces`): the
/// municipality cover and the group are step functions, and each person's P is split into pieces
/// on which both are constant; person-days are sums of piece lengths.
pub fn fte(day_pieces: LazyFrame, period: &Period, reference: &Reference) -> PolarsResult<Table> {
    let days = day_pieces.with_column(col(super::context::DAYS).alias(out::PERSON_DAYS));
    let df = by_levels(
        days,
        reference,
        &[],
        &[
            col(out::PERSON_DAYS).sum(),
            col(s::PERSON_ID)
                .n_unique()
                .cast(DataType::Int64)
                .alias(out::PERSONS),
        ],
    )?
    .with_column(
        (col(out::PERSON_DAYS).cast(DataType::Float64) / lit(period.days() as f64)).alias(out::FTE),
    )
    .select([
        col(out::LEVEL),
        col(out::UNIT),
        col(out::UNIT_NAME),
        col(out::GROUP),
        col(out::PERSON_DAYS),
        col(out::FTE),
        col(out::PERSONS),
    ])
    .sort(LEVEL_KEYS, SortMultipleOptions::default())
    .collect()?;
    Ok(Table {
        id: TableId::Fte,
        df,
        keys: LEVEL_KEYS.to_vec(),
        definition: Definition::Text(
            "Full-time persons in P: per person the union of target-benefit periods \
                     clipped to P; each day attributed to the municipality of a target period \
                     covering it (smallest code) and to group(day); fte = person_days / |P|.",
        ),
    })
}
