//! The `indicators` table (MEASURES.md §4): one row per level, unit, group and measure with
//! numerator, denominator, value, Wilson interval (person- and spell-based proportions only),
//! persons behind the denominator and behind the numerator.
//!
//! Every measure hands over a *contribution*: unit-level rows (a person, a spell, a piece of
//! days, a meeting or a person-month) with `person_id`, `municipality`, `group`, `den` and `num`.
//! Pooling to municipalities, peer groups and the country is then one aggregation for all.

use polars::prelude::*;

use crate::reference::Reference;
use crate::schema::out::hidden::PROPORTION;
use crate::schema::out::{
    self, TableId, CI_HI, CI_LO, DENOMINATOR, MEASURE, NUMERATOR, PERSONS_NUM, VALUE,
};
use crate::schema::PERSON_ID;
use crate::stats::wilson;

use super::{by_levels, Definition, Table, LEVEL_KEYS};

/// Columns of a contribution's unit-level rows.
pub const DEN: &str = "__den";
pub const NUM: &str = "__num";

/// What a measure's units are, which decides its value and interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Person- or spell-based proportion: value = num / den with a Wilson interval.
    Proportion,
    /// Day-, month- or meeting-based proportion: value = num / den, no interval (units are not
    /// independent).
    Share,
    /// `meetings_per_year`: value = 365.25 · num / den (den in person-days), no interval.
    PerYear,
}

/// One measure's unit-level rows, ready to pool.
pub struct Contribution {
    pub measure: &'static str,
    pub kind: Kind,
    /// `person_id`, `municipality`, `group`, `den` (Int64), `num` (Int64).
    pub rows: LazyFrame,
    pub definition: &'static str,
}

/// Pools every contribution to every level and group and builds the table.
pub fn table(
    contributions: Vec<Contribution>,
    reference: &Reference,
    z: f64,
) -> PolarsResult<Table> {
    let mut parts = Vec::new();
    let mut definitions = Vec::new();
    for c in &contributions {
        let pooled = by_levels(
            c.rows.clone(),
            reference,
            &[],
            &[
                col(NUM).sum().alias(NUMERATOR),
                col(DEN).sum().alias(DENOMINATOR),
                col(PERSON_ID)
                    .filter(col(DEN).gt(lit(0)))
                    .n_unique()
                    .cast(DataType::Int64)
                    .alias(out::PERSONS),
                col(PERSON_ID)
                    .filter(col(NUM).gt(lit(0)))
                    .n_unique()
                    .cast(DataType::Int64)
                    .alias(PERSONS_NUM),
            ],
        )?
        .filter(col(DENOMINATOR).gt(lit(0)))
        .with_column(lit(c.measure).alias(MEASURE));
        parts.push(pooled);
        definitions.push((c.measure, c.definition));
    }
    let mut keys: Vec<&str> = LEVEL_KEYS.to_vec();
    keys.push(MEASURE);
    let mut df = concat(parts, UnionArgs::default())?
        .select([
            col(out::LEVEL),
            col(out::UNIT),
            col(out::UNIT_NAME),
            col(out::GROUP),
            col(MEASURE),
            col(NUMERATOR).cast(DataType::Int64),
            col(DENOMINATOR).cast(DataType::Int64),
            col(out::PERSONS),
            col(PERSONS_NUM),
        ])
        .sort(keys.clone(), SortMultipleOptions::default())
        .collect()?;

    // Value and interval per row; the kind comes from the measure.
    let measures: Vec<String> = df
        .column(MEASURE)?
        .str()?
        .iter()
        .map(|m| m.unwrap_or("").to_owned())
        .collect();
    let num = df.column(NUMERATOR)?.i64()?.clone();
    let den = df.column(DENOMINATOR)?.i64()?.clone();
    let (mut value, mut lo, mut hi, mut proportion) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((m, n), d) in measures.iter().zip(num.iter()).zip(den.iter()) {
        let kind = contributions
            .iter()
            .find(|c| c.measure == m)
            .map_or(Kind::Share, |c| c.kind);
        let (n, d) = (n.unwrap_or(0), d.unwrap_or(0));
        let ratio = n as f64 / d as f64;
        value.push(if kind == Kind::PerYear {
            365.25 * ratio
        } else {
            ratio
        });
        let ci = (kind == Kind::Proportion)
            .then(|| wilson::interval(n as u64, d as u64, z))
            .flatten();
        proportion.push(kind == Kind::Proportion);
        lo.push(ci.map(|c| c.0));
        hi.push(ci.map(|c| c.1));
    }
    df.insert_column(7, Column::new(VALUE.into(), value))?;
    df.insert_column(8, Column::new(CI_LO.into(), lo))?;
    df.insert_column(9, Column::new(CI_HI.into(), hi))?;
    // Working column for disclosure control: the proportion rule applies to these rows.
    df.with_column(Column::new(PROPORTION.into(), proportion))?;
    Ok(Table {
        id: TableId::Indicators,
        df,
        keys,
        definition: Definition::Measures(definitions),
    })
}
