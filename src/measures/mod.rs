//! The measures of MEASURES.md, one file per family, each producing output tables at the three
//! levels (municipality, peer group, country) for every group and `all`.

pub mod benchmark;
pub mod context;
pub mod duration;
pub mod indicators;
pub mod outcomes;
pub mod profile;
pub mod stock;

use polars::prelude::*;

use crate::error::Error;
use crate::reference::{self, Reference};
use crate::schema::out::{self, TableId};
use crate::schema::{self as s};
use crate::stage::{staged, Progress, Stage};

/// One output table before disclosure control: which table it is, its rows sorted by its keys,
/// its key columns, and its definition (written into its metadata and the report).
#[derive(Debug, Clone)]
pub struct Table {
    pub id: TableId,
    pub df: DataFrame,
    pub keys: Vec<&'static str>,
    pub definition: Definition,
}

/// What a table's figures mean, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Definition {
    /// One text for the whole table.
    Text(&'static str),
    /// One text per measure (`indicators`): measure name and definition, in registry order.
    Measures(Vec<(&'static str, &'static str)>),
}

impl Definition {
    /// The definition as the Parquet footer holds it: the text, or a JSON object from measure
    /// to text (keys sorted), which a reader of the file alone can parse.
    pub fn metadata(&self) -> String {
        match self {
            Definition::Text(text) => (*text).to_owned(),
            Definition::Measures(measures) => serde_json::Value::Object(
                measures
                    .iter()
                    .map(|(m, d)| ((*m).to_owned(), (*d).into()))
                    .collect(),
            )
            .to_string(),
        }
    }
}

/// Every table of a run, unprotected. Only `disclosure::apply` turns it into `SafeTables`.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    pub tables: Vec<Table>,
    /// What was not computed and why (for the manifest).
    pub notes: Vec<String>,
    /// The strata of the proportion indicators, from which `disclosure` builds the benchmark
    /// once the indicators are protected (never written).
    pub strata: Option<indicators::Strata>,
}

/// Aggregates a unit-level frame (one row per person, spell, day piece, … carrying
/// `municipality` and `group`) to every level: per municipality, per peer group and for the
/// country, each for the row's group and for `all`. `keys` are further grouping columns
/// (e.g. the duration band); `aggs` are the aggregations (pooled over the rows, so distinct
/// persons are counted once per cell). Output columns: level, unit, unit_name, group, keys…,
/// aggs…; unsorted.
///
/// Each of the six aggregations groups by the unit's own column (the municipality code, the
/// peer group, nothing for the country) and the group; the text columns of the level are added
/// to the aggregated rows, so no key is built per unit-level row (a group-by on a code cast to
/// text, the unit's name and literal keys hashed those texts once per row).
pub fn by_levels(
    lf: LazyFrame,
    reference: &Reference,
    keys: &[&str],
    aggs: &[Expr],
) -> PolarsResult<LazyFrame> {
    const NAME: &str = "__name";
    const PEER: &str = "__peer";
    // One group for the whole country when nothing else is grouped on.
    const COUNTRY: &str = "__country";
    let names = reference.municipalities.clone().lazy().select([
        col(reference::CODE).alias(s::MUNICIPALITY),
        col(reference::NAME).alias(NAME),
    ]);
    let peers = reference.municipalities.clone().lazy().select([
        col(reference::CODE).alias(s::MUNICIPALITY),
        col(reference::PEER_GROUP).alias(PEER),
    ]);
    // Materialised once: the six aggregations below would otherwise each re-run the plan that
    // produced the unit-level rows.
    let lf = lf
        .join(
            peers,
            [col(s::MUNICIPALITY)],
            [col(s::MUNICIPALITY)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(lit(0i32).alias(COUNTRY))
        .collect()?
        .lazy();
    let levels = [
        (
            out::LEVEL_MUNICIPALITY,
            s::MUNICIPALITY,
            col(s::MUNICIPALITY).cast(DataType::String),
            col(NAME),
        ),
        (out::LEVEL_PEER_GROUP, PEER, col(PEER), col(PEER)),
        (
            out::LEVEL_NATIONAL,
            COUNTRY,
            lit(out::NATIONAL_UNIT),
            lit(out::NATIONAL_NAME),
        ),
    ];
    let mut parts = Vec::new();
    for (level, unit_key, unit, name) in levels {
        for by_group in [true, false] {
            let mut by = vec![col(unit_key)];
            if by_group {
                by.push(col(s::GROUP));
            }
            by.extend(keys.iter().map(|k| col(*k)));
            let n_by = by.len();
            let mut part = lf.clone().group_by(by).agg(aggs);
            let agg_names: Vec<PlSmallStr> = part
                .collect_schema()?
                .iter_names()
                .skip(n_by)
                .cloned()
                .collect();
            if level == out::LEVEL_MUNICIPALITY {
                part = part.join(
                    names.clone(),
                    [col(s::MUNICIPALITY)],
                    [col(s::MUNICIPALITY)],
                    JoinArgs::new(JoinType::Left),
                );
            }
            let group = if by_group {
                col(s::GROUP)
            } else {
                lit(s::ALL_GROUPS)
            };
            let mut columns = vec![
                lit(level).alias(out::LEVEL),
                unit.clone().alias(out::UNIT),
                name.clone().alias(out::UNIT_NAME),
                group.alias(out::GROUP),
            ];
            columns.extend(keys.iter().map(|k| col(*k)));
            columns.extend(agg_names.into_iter().map(col));
            parts.push(part.select(columns));
        }
    }
    concat(parts, UnionArgs::default())
}

/// Column `c` of `df` as text values (null as empty), for the Rust-side steps (estimators,
/// disclosure walks, charts) that work on small aggregated tables.
pub fn texts(df: &DataFrame, c: &str) -> PolarsResult<Vec<String>> {
    Ok(text_refs(df, c)?.into_iter().map(str::to_owned).collect())
}

/// [`texts`] borrowed from `df`, for walks that look many keys up and would otherwise copy each.
pub fn text_refs<'a>(df: &'a DataFrame, c: &str) -> PolarsResult<Vec<&'a str>> {
    Ok(df
        .column(c)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or(""))
        .collect())
}

/// Column `c` of `df` as optional i64 (any integer type).
pub fn ints(df: &DataFrame, c: &str) -> PolarsResult<Vec<Option<i64>>> {
    Ok(df
        .column(c)?
        .cast(&DataType::Int64)?
        .i64()?
        .iter()
        .collect())
}

/// Column `c` of `df` as optional f64.
pub fn floats(df: &DataFrame, c: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(df
        .column(c)?
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .collect())
}

/// The leading key columns shared by every level table.
pub const LEVEL_KEYS: [&str; 4] = [out::LEVEL, out::UNIT, out::UNIT_NAME, out::GROUP];

/// Computes every table of the report from the extract as of R and its spells, stage by stage.
/// Takes the extract so that the indicators' stage can free the tables it has done with.
pub fn compute(
    extract: crate::extract::Extract,
    spells: &crate::spells::Spells,
    effective: &crate::config::Effective,
    reference: &Reference,
    progress: &mut dyn Progress,
) -> Result<Tables, Error> {
    let config = &effective.config;
    let period = &effective.period;
    let (status_steps, population) = staged(progress, Stage::StatusSteps, || {
        // Status look-ups (exit classes, destinations, in work) share one step function.
        let status_steps = crate::status::steps(&extract)?.collect()?.lazy();
        // Materialised: the event table and the cohort sizes both aggregate it.
        let population = duration::population(spells, status_steps.clone(), config.gap_days)?
            .collect()?
            .lazy();
        PolarsResult::Ok((status_steps, population))
    })?;
    let duration = staged(progress, Stage::Duration, || {
        duration::compute(population, effective, reference)
    })?;
    let (stock_on_r, destinations, stock_duration) =
        staged(progress, Stage::DestinationsStock, || {
            let stock_on_r = stock::stock(&extract, spells, config)?.collect()?.lazy();
            let destinations = outcomes::exit_destinations(
                spells,
                status_steps.clone(),
                config,
                period,
                reference,
            )?;
            let stock_duration = stock::stock_duration(stock_on_r.clone(), reference)?;
            PolarsResult::Ok((stock_on_r, destinations, stock_duration))
        })?;
    // The long-term profile reads the same step functions as the stock-based indicators, so it
    // is computed in their stage.
    let (fte, (indicators, strata, mut notes), (profile, profile_notes)) =
        staged(progress, Stage::Indicators, || {
            let ctx =
                context::Context::new(extract, spells, config, *period, stock_on_r, status_steps)?;
            let fte = stock::fte(ctx.day_pieces.clone(), period, reference)?;
            let indicators =
                indicators::table(&ctx, reference, crate::stats::z_value(config.confidence))?;
            let profile = profile::longterm_profile(&ctx)?;
            PolarsResult::Ok((fte, indicators, profile))
        })?;
    notes.extend(profile_notes);
    Ok(Tables {
        tables: vec![
            duration.cohorts,
            duration.curves,
            duration.incidence,
            destinations,
            stock_duration,
            fte,
            indicators,
            profile,
        ],
        notes,
        strata: Some(strata),
    })
}
