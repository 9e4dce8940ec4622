//! Exit destinations (MEASURES.md §2): where closed spells went, read at fixed lags.
//!
//! Why: jobindsats reads the status 30, 92, 182 and 365 days after the last payment day; a
//! spell that ends in work counts differently from one that ends in sygedagpenge or
//! førtidspension, and no offer at all pushes people away from work (BIP).

use polars::prelude::*;

use crate::schema::out::TableId;

use crate::config::{Config, Period};
use crate::reference::Reference;
use crate::schema::out::hidden::TOTAL;
use crate::schema::out::{DESTINATION, LAG_DAYS, SHARE, SPELLS};
use crate::schema::spell as sp;
use crate::spells::Spells;
use crate::status;

use super::{by_levels, Definition, Table, LEVEL_KEYS};

/// `exit_destinations`: for each lag L, the closed spells whose status day `spell_end + L` lies
/// in P, by the spell's municipality and group at entry, counted per destination = status on
/// that day; `share` = spells with the destination / all such spells at that lag in the same
/// level, unit and group.
pub fn exit_destinations(
    spells: &Spells,
    status_steps: LazyFrame,
    config: &Config,
    period: &Period,
    reference: &Reference,
) -> PolarsResult<Table> {
    let lags = DataFrame::new_infer_height(vec![Column::new(
        LAG_DAYS.into(),
        config.status_lags_days.clone(),
    )])?
    .lazy();
    let closed = spells
        .df
        .clone()
        .lazy()
        .filter(col(sp::CLOSED))
        .select([
            col(crate::schema::PERSON_ID),
            col(sp::SPELL_END),
            col(crate::schema::MUNICIPALITY),
            col(sp::GROUP_AT_ENTRY).alias(crate::schema::GROUP),
        ])
        .cross_join(lags, None)
        .with_column((col(sp::SPELL_END) + col(LAG_DAYS)).alias("__day"))
        .filter(
            col("__day")
                .gt_eq(lit(period.start))
                .and(col("__day").lt_eq(lit(period.end))),
        );
    let with_status =
        status::on(closed, "__day", status_steps)?.rename([status::STATUS], [DESTINATION], true);
    let mut line: Vec<Expr> = LEVEL_KEYS.iter().map(|k| col(*k)).collect();
    line.push(col(LAG_DAYS));
    let mut sort: Vec<&str> = LEVEL_KEYS.to_vec();
    sort.extend([LAG_DAYS, DESTINATION]);
    let df = by_levels(
        with_status,
        reference,
        &[LAG_DAYS, DESTINATION],
        &[len().cast(DataType::Int64).alias(SPELLS)],
    )?
    .with_column(col(SPELLS).sum().over(line)?.alias(TOTAL))
    .with_column(
        (col(SPELLS).cast(DataType::Float64) / col(TOTAL).cast(DataType::Float64)).alias(SHARE),
    )
    .with_column(col(LAG_DAYS).cast(DataType::Int32))
    .sort(sort.clone(), SortMultipleOptions::default())
    .collect()?;
    Ok(Table {
        id: TableId::ExitDestinations,
        df,
        keys: sort,
        definition: Definition::Text(
            "Closed spells whose status day spell_end + L lies in the report period, by \
                     lag L, municipality of the spell and group at entry, counted by destination \
                     = status on spell_end + L (STAR's exit hierarchy, died_emigrated included); \
                     share = spells with the destination / all such spells at that lag.",
        ),
    })
}
