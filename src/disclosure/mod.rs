//! Disclosure control (MEASURES.md §7): the only way from [`Tables`] to [`SafeTables`], the only
//! type the writers accept. So the compiler keeps every unprotected table out of `reports/`.
//!
//! First the primary rules of §7 — the count rule on `stock_duration`, `exit_destinations` and
//! `longterm_profile` counts, the proportion rule on destination and profile shares, the `fte`
//! and `indicators` row rules, and
//! the survival step walk shared by `duration_cohorts`, `survival_curves` and
//! `cumulative_incidence` (see `survival`); then the secondary rules over every additive
//! relation of §7 (see `secondary`). Last the `benchmark` table (§6) is built from the
//! `indicators` as published and its own rule nulls what derives from a suppressed row. The
//! rules match on [`TableId`], so a new table does not compile until it has its rule.

pub mod secondary;
mod survival;

pub use secondary::{Counts, Hierarchy};

use polars::prelude::*;

use crate::config::Config;
use crate::error::Error;
use crate::measures::indicators::Strata;
use crate::measures::{Definition, Table, Tables};
use crate::schema::out;
use crate::schema::out::hidden::{HIDDEN_PREFIX, PROPORTION, TOTAL};
use crate::schema::out::{TableId, PROFILE_SIDES};
use crate::schema::out::{CI_HI, CI_LO, DENOMINATOR, NUMERATOR, PERSONS_NUM, SHARE, SPELLS, VALUE};

/// What disclosure control hid in one table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Suppression {
    /// Rows with `suppressed = true` (for `survival_curves`: points not published).
    pub rows: u64,
    /// Figures of the table that enter the additive relations of §7 (counts, and the survival
    /// and incidence values); the two numbers below count among them.
    pub cells: u64,
    /// Cells hidden by the primary rules.
    pub primary_cells: u64,
    /// Cells added by the secondary rules.
    pub secondary_cells: u64,
}

/// One table after disclosure control: the only table type the writers (Parquet, charts, the
/// page) accept. Its field is private to this module, so no other code can make one.
#[derive(Debug, Clone)]
pub struct SafeTable(Table);

impl SafeTable {
    pub fn id(&self) -> TableId {
        self.0.id
    }

    /// The Parquet file stem.
    pub fn name(&self) -> &'static str {
        self.0.id.name()
    }

    pub fn df(&self) -> &DataFrame {
        &self.0.df
    }

    pub fn definition(&self) -> &Definition {
        &self.0.definition
    }

    /// The table as published, read-only (for the attacker audit).
    pub fn table(&self) -> &Table {
        &self.0
    }

    /// A table taken as protected, for writer tests on hand-made frames.
    #[cfg(test)]
    pub(crate) fn unchecked(table: Table) -> SafeTable {
        SafeTable(table)
    }
}

/// Tables after disclosure control. Constructed only by [`apply`].
#[derive(Debug, Clone)]
pub struct SafeTables {
    tables: Vec<SafeTable>,
    suppressed: Vec<(TableId, Suppression)>,
    notes: Vec<String>,
    hierarchy: Hierarchy,
}

impl SafeTables {
    pub fn tables(&self) -> &[SafeTable] {
        &self.tables
    }

    /// The table `id`, when the run computed it.
    pub fn get(&self, id: TableId) -> Option<&SafeTable> {
        self.tables.iter().find(|t| t.id() == id)
    }

    /// What was suppressed per table, in table order.
    pub fn suppressed(&self) -> &[(TableId, Suppression)] {
        &self.suppressed
    }

    /// What was not computed and why.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The unit hierarchy the tables were protected with (the run's peer groups).
    pub fn hierarchy(&self) -> &Hierarchy {
        &self.hierarchy
    }
}

/// `0 < n < k`: a count that could single someone out.
fn small(n: Expr, k: i64) -> Expr {
    n.clone().gt(lit(0)).and(n.lt(lit(k)))
}

/// Nulls each column where any of its flags (`nulling`: flag, column) is set.
fn null_where(lf: LazyFrame, nulling: Vec<(Expr, &str)>) -> LazyFrame {
    let mut by_column: Vec<(&str, Expr)> = Vec::new();
    for (flag, c) in nulling {
        match by_column.iter_mut().find(|(name, _)| *name == c) {
            Some((_, f)) => *f = f.clone().or(flag),
            None => by_column.push((c, flag)),
        }
    }
    lf.with_columns(
        by_column
            .into_iter()
            .map(|(c, flag)| when(flag).then(lit(NULL)).otherwise(col(c)).alias(c))
            .collect::<Vec<_>>(),
    )
}

/// The benchmark's rule (MEASURES.md §6, §7): the table is built from the `indicators` table
/// as published (primary and secondary rules applied), so it ranks only published values; then
/// every column that derives from a suppressed municipality, peer-group or national row
/// (`measures::benchmark::DERIVED`) is nulled and the row marked `suppressed`. Its figures
/// enter no additive relation of §7 (they are values, ranks and ratios of published rows), so
/// it has no cells for the secondary rules.
fn benchmark(indicators: &Table, strata: &Strata, config: &Config) -> Result<Table, Error> {
    let table = crate::measures::benchmark::table(indicators, strata, config.confidence)?;
    let mut any = lit(false);
    let mut nulling = Vec::new();
    for (flag, columns) in crate::measures::benchmark::DERIVED {
        any = any.or(col(flag));
        nulling.extend(columns.iter().map(|c| (col(flag), *c)));
    }
    let lf = table.df.lazy().with_column(any.alias(out::SUPPRESSED));
    Ok(Table {
        df: null_where(lf, nulling).collect()?,
        ..table
    })
}

/// The count rule on a count `n` and the proportion rule on its `share` of `total` (MEASURES.md
/// §7): the count is hidden when `0 < n < k`; the share when `total < k`, `0 < n < k` or
/// `0 < total − n < k`. The rules of `exit_destinations` and of each side of
/// `longterm_profile`.
fn count_and_share<'a>(
    n: &'a &'static str,
    share: &'a &'static str,
    total: &str,
    k: i64,
) -> [(Expr, &'a [&'static str]); 2] {
    let (count, total) = (col(*n), col(total));
    [
        (small(count.clone(), k), std::slice::from_ref(n)),
        (
            total
                .clone()
                .lt(lit(k))
                .or(small(count.clone(), k))
                .or(small(total - count, k)),
            std::slice::from_ref(share),
        ),
    ]
}

/// Applies the disclosure rules with threshold `k = config.min_cell` to every table, primary then
/// secondary, then drops the working columns (`__*`) the rules needed.
pub fn apply(tables: Tables, config: &Config, hierarchy: &Hierarchy) -> Result<SafeTables, Error> {
    protect(tables, config, hierarchy, true)
}

/// The primary rules alone, as plain tables that no writer accepts: for the attacker test, to
/// show what the secondary rules prevent.
pub fn primary_only(
    tables: Tables,
    config: &Config,
    hierarchy: &Hierarchy,
) -> Result<Vec<Table>, Error> {
    let safe = protect(tables, config, hierarchy, false)?;
    Ok(safe.tables.into_iter().map(|t| t.0).collect())
}

fn protect(
    tables: Tables,
    config: &Config,
    hierarchy: &Hierarchy,
    secondary_rules: bool,
) -> Result<SafeTables, Error> {
    let k = i64::from(config.min_cell);
    let tables_notes = tables.notes;
    let strata = tables.strata;
    let raw = tables.tables.clone();
    let (mut cohorts, mut curves, mut incidence) = (None, None, None);
    let mut rest = Vec::new();
    for table in tables.tables {
        match table.id {
            TableId::DurationCohorts => cohorts = Some(table),
            TableId::SurvivalCurves => curves = Some(table),
            TableId::CumulativeIncidence => incidence = Some(table),
            _ => rest.push(table),
        }
    }
    let mut safe = Vec::new();
    match (cohorts, curves, incidence) {
        (Some(mut c), Some(mut s), Some(mut i)) => {
            survival::protect(&mut c, &mut s, &mut i, &config.horizons_days, k as u64)?;
            safe.extend([c, s, i]);
        }
        (None, None, None) => {}
        _ => {
            return Err(Error::Internal(
                "the duration tables must be protected together".into(),
            ))
        }
    }
    for table in rest {
        let persons = col(out::PERSONS);
        // (flag, columns it nulls) per rule of the table.
        let rules: Vec<(Expr, &[&str])> = match table.id {
            TableId::StockDuration => vec![(small(persons, k), &[out::PERSONS][..])],
            TableId::Fte => vec![(
                persons.lt(lit(k)),
                &[out::PERSON_DAYS, out::FTE, out::PERSONS][..],
            )],
            TableId::Indicators => {
                let (num, den, pn) = (col(NUMERATOR), col(DENOMINATOR), col(PERSONS_NUM));
                let proportion = col(PROPORTION);
                // The denominator rule hides the denominator and persons too.
                let den_rule = persons
                    .clone()
                    .lt(lit(k))
                    .or(proportion.clone().and(den.clone().lt(lit(k))));
                let row_rule = den_rule
                    .clone()
                    .or(small(pn.clone(), k))
                    .or(small(persons - pn, k))
                    .or(proportion.and(small(num.clone(), k).or(small(den - num, k))));
                vec![
                    (row_rule, &[NUMERATOR, VALUE, CI_LO, CI_HI, PERSONS_NUM][..]),
                    (den_rule, &[DENOMINATOR, out::PERSONS][..]),
                ]
            }
            TableId::ExitDestinations => count_and_share(&SPELLS, &SHARE, TOTAL, k).to_vec(),
            TableId::LongtermProfile => PROFILE_SIDES
                .iter()
                .flat_map(|(n, share, total)| count_and_share(n, share, total, k))
                .collect(),
            // Built below, from the indicators as published.
            TableId::Benchmark => {
                return Err(Error::Internal(
                    "`benchmark` is built by disclosure from the published indicators; \
                     refusing one built elsewhere"
                        .into(),
                ))
            }
            // Taken apart above: the survival walk protects them together.
            TableId::DurationCohorts | TableId::SurvivalCurves | TableId::CumulativeIncidence => {
                return Err(Error::Internal(format!(
                    "`{}` reached the row rules; refusing to publish it",
                    table.id
                )))
            }
        };
        // Every flag is evaluated on the input, before any rule has nulled a column.
        let mut flags = Vec::new();
        let mut any = lit(false);
        let mut nulling = Vec::new();
        for (i, (flag, columns)) in rules.into_iter().enumerate() {
            let name = format!("{HIDDEN_PREFIX}flag{i}");
            let hides = columns
                .iter()
                .fold(lit(false), |acc, c| acc.or(col(*c).is_not_null()));
            any = any.or(flag.clone().and(hides));
            flags.push(flag.alias(name.as_str()));
            for c in columns {
                nulling.push((col(name.as_str()), *c));
            }
        }
        let lf = table
            .df
            .clone()
            .lazy()
            .with_columns(flags)
            .with_column(any.alias(out::SUPPRESSED));
        let df = null_where(lf, nulling).collect()?;
        safe.push(Table { df, ..table });
    }
    let cells = if secondary_rules {
        secondary::apply(&raw, &mut safe, hierarchy, config)?
    } else {
        std::collections::BTreeMap::new()
    };
    if let Some(strata) = &strata {
        if let Some(indicators) = safe.iter().find(|t| t.id == TableId::Indicators) {
            let benchmark = benchmark(indicators, strata, config)?;
            safe.push(benchmark);
        }
    }
    let mut suppressed = Vec::new();
    for table in &mut safe {
        let rows = if table.id == TableId::SurvivalCurves {
            let published = table.df.column(survival::PUBLISHED)?.bool()?.clone();
            table.df = table.df.filter(&published)?;
            (published.len() - table.df.height()) as u64
        } else {
            u64::from(table.df.column(out::SUPPRESSED)?.bool()?.sum().unwrap_or(0))
        };
        let c = cells.get(&table.id).copied().unwrap_or_default();
        suppressed.push((
            table.id,
            Suppression {
                rows,
                cells: c.cells,
                primary_cells: c.primary,
                secondary_cells: c.secondary,
            },
        ));
        let working: Vec<String> = table
            .df
            .get_column_names()
            .iter()
            .filter(|c| c.starts_with(HIDDEN_PREFIX))
            .map(|c| c.to_string())
            .collect();
        table.df = table.df.drop_many(working);
    }
    Ok(SafeTables {
        tables: safe.into_iter().map(SafeTable).collect(),
        suppressed,
        notes: tables_notes,
        hierarchy: hierarchy.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hierarchy() -> Hierarchy {
        Hierarchy::new(&crate::reference::Reference::load(None).unwrap()).unwrap()
    }

    fn one_table(id: TableId, df: DataFrame) -> Tables {
        Tables {
            tables: vec![Table {
                id,
                df,
                keys: vec![out::LEVEL],
                definition: Definition::Text(""),
            }],
            ..Tables::default()
        }
    }

    fn column(df: &DataFrame, c: &str) -> Vec<Option<i64>> {
        df.column(c).unwrap().i64().unwrap().iter().collect()
    }

    #[test]
    fn small_counts_are_nulled_and_flagged() {
        let df = df!(
            out::LEVEL => ["municipality", "municipality", "national"],
            out::UNIT => ["101", "147", "DK"],
            out::GROUP => ["all", "all", "all"],
            out::DURATION_BAND => ["0-6m", "0-6m", "0-6m"],
            out::PERSONS => [3i64, 5, 0],
        )
        .unwrap();
        let primary = primary_only(
            one_table(TableId::StockDuration, df),
            &Config::default(),
            &hierarchy(),
        )
        .unwrap();
        let df = &primary[0].df;
        assert_eq!(column(df, out::PERSONS), vec![None, Some(5), Some(0)]);
        let flags: Vec<Option<bool>> = df
            .column(out::SUPPRESSED)
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(flags, vec![Some(true), Some(false), Some(false)]);
    }

    #[test]
    fn profile_counts_take_the_count_rule_and_shares_the_proportion_rule() {
        use crate::schema::out::hidden::{TOTAL_LONG, TOTAL_SHORT};
        use crate::schema::out::{CATEGORY, N_LONG, N_SHORT, SHARE_LONG, SHARE_SHORT, VARIABLE};
        // k = 5; long total 10, short total 20 in every variable.
        // a/1: n_long 3 is small: count and share hidden. a/2: n_long 7 is shown, but 10 − 7 = 3
        // is small, so its share is hidden. b/0: a count of 0 and its share 0.0 are shown.
        // b/1: 10 of 10 (10 − 10 = 0, not small) and 20 of 20 are shown.
        let df = df!(
            VARIABLE => ["a", "a", "b", "b"],
            CATEGORY => ["1", "2", "0", "1"],
            N_LONG => [3i64, 7, 0, 10],
            SHARE_LONG => [0.3, 0.7, 0.0, 1.0],
            N_SHORT => [10i64, 10, 0, 20],
            SHARE_SHORT => [0.5, 0.5, 0.0, 1.0],
            TOTAL_LONG => [10i64, 10, 10, 10],
            TOTAL_SHORT => [20i64, 20, 20, 20],
        )
        .unwrap();
        let primary = primary_only(
            one_table(TableId::LongtermProfile, df),
            &Config::default(),
            &hierarchy(),
        )
        .unwrap();
        let df = &primary[0].df;
        assert_eq!(column(df, N_LONG), vec![None, Some(7), Some(0), Some(10)]);
        assert_eq!(
            column(df, N_SHORT),
            vec![Some(10), Some(10), Some(0), Some(20)]
        );
        let shares =
            |c: &str| -> Vec<Option<f64>> { df.column(c).unwrap().f64().unwrap().iter().collect() };
        assert_eq!(shares(SHARE_LONG), vec![None, None, Some(0.0), Some(1.0)]);
        assert_eq!(
            shares(SHARE_SHORT),
            vec![Some(0.5), Some(0.5), Some(0.0), Some(1.0)]
        );
        let flags: Vec<Option<bool>> = df
            .column(out::SUPPRESSED)
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(
            flags,
            vec![Some(true), Some(true), Some(false), Some(false)]
        );
        assert!(df
            .get_column_names()
            .iter()
            .all(|c| !c.starts_with(HIDDEN_PREFIX)));
    }

    #[test]
    fn a_lone_suppressed_row_gets_the_cheapest_rectangle_of_partners() {
        // København (101) and Frederiksberg (147) are the Hovedstadskommuner in the data; 101
        // has 3 persons, so its fte rows are suppressed (persons < 5). Its person-days could be
        // worked out as the peer group's less 147's, so a rectangle closes the cycle: 147's
        // two rows (600 + 600) are cheaper than the peer group's (900 + 900).
        let df = df!(
            out::LEVEL => ["municipality", "municipality", "municipality", "municipality",
                "peer_group", "peer_group", "national", "national"],
            out::UNIT => ["101", "101", "147", "147", "Hovedstadskommuner", "Hovedstadskommuner", "DK", "DK"],
            out::GROUP => ["all", "jobparat", "all", "jobparat", "all", "jobparat", "all", "jobparat"],
            out::PERSON_DAYS => [300i64, 300, 600, 600, 900, 900, 900, 900],
            out::FTE => [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0],
            out::PERSONS => [3i64, 3, 6, 6, 9, 9, 9, 9],
        )
        .unwrap();
        let safe = apply(
            one_table(TableId::Fte, df),
            &Config::default(),
            &hierarchy(),
        )
        .unwrap();
        let df = safe.tables()[0].df();
        assert_eq!(
            column(df, out::PERSON_DAYS),
            vec![
                None,
                None,
                None,
                None,
                Some(900),
                Some(900),
                Some(900),
                Some(900)
            ]
        );
        let (name, counts) = safe.suppressed()[0];
        assert_eq!(name, TableId::Fte);
        assert_eq!(
            (
                counts.rows,
                counts.cells,
                counts.primary_cells,
                counts.secondary_cells
            ),
            (4, 8, 2, 2)
        );
    }
}
