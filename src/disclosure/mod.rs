//! Disclosure control (MEASURES.md §7): the only way from [`Tables`] to [`SafeTables`], the only
//! type the writers accept. So the compiler keeps every unprotected table out of `reports/`.
//!
//! Implemented: the primary rules of §7 — the count rule on `stock_duration` and
//! `exit_destinations` counts, the proportion rule on destination shares, the `fte` row rule,
//! and the survival step walk shared by `duration_cohorts`, `survival_curves` and
//! `cumulative_incidence` (see `survival`). The secondary rules (complementary suppression over
//! the additive relations of §7) are the subject of their own issue. A table without a rule
//! here is refused rather than written unprotected.

mod survival;

use polars::prelude::*;

use crate::config::Config;
use crate::error::Error;
use crate::measures::duration::HIDDEN_PREFIX;
use crate::measures::indicators::{
    CI_HI, CI_LO, DENOMINATOR, NUMERATOR, PERSONS_NUM, PROPORTION, VALUE,
};
use crate::measures::outcomes::{SHARE, SPELLS, TOTAL};
use crate::measures::{Table, Tables};
use crate::schema::out;

/// Tables after disclosure control. Constructed only by [`apply`].
#[derive(Debug, Clone)]
pub struct SafeTables {
    tables: Vec<Table>,
    suppressed: Vec<(&'static str, u64)>,
    notes: Vec<String>,
}

impl SafeTables {
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// Suppressed rows (for `survival_curves`: unpublished points) per table, in table order.
    pub fn suppressed(&self) -> &[(&'static str, u64)] {
        &self.suppressed
    }

    /// What was not computed and why.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}

/// `0 < n < k`: a count that could single someone out.
fn small(n: Expr, k: i64) -> Expr {
    n.clone().gt(lit(0)).and(n.lt(lit(k)))
}

/// Applies the disclosure rules with threshold `k = config.min_cell` to every table, then drops
/// the working columns (`__*`) the rules needed.
pub fn apply(tables: Tables, config: &Config) -> Result<SafeTables, Error> {
    let k = i64::from(config.min_cell);
    let tables_notes = tables.notes;
    let (mut cohorts, mut curves, mut incidence) = (None, None, None);
    let mut rest = Vec::new();
    for table in tables.tables {
        match table.name {
            "duration_cohorts" => cohorts = Some(table),
            "survival_curves" => curves = Some(table),
            "cumulative_incidence" => incidence = Some(table),
            _ => rest.push(table),
        }
    }
    let mut safe = Vec::new();
    let mut suppressed = Vec::new();
    match (cohorts, curves, incidence) {
        (Some(mut c), Some(mut s), Some(mut i)) => {
            let n = survival::protect(&mut c, &mut s, &mut i, &config.horizons_days, k as u64)?;
            for (table, n) in [c, s, i].into_iter().zip(n) {
                suppressed.push((table.name, n));
                safe.push(table);
            }
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
        let rules: Vec<(Expr, &[&str])> = match table.name {
            "stock_duration" => vec![(small(persons, k), &[out::PERSONS][..])],
            "fte" => vec![(
                persons.lt(lit(k)),
                &[out::PERSON_DAYS, out::FTE, out::PERSONS][..],
            )],
            "indicators" => {
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
            "exit_destinations" => {
                let (n, total) = (col(SPELLS), col(TOTAL));
                vec![
                    (small(n.clone(), k), &[SPELLS][..]),
                    (
                        total
                            .clone()
                            .lt(lit(k))
                            .or(small(n.clone(), k))
                            .or(small(total - n, k)),
                        &[SHARE][..],
                    ),
                ]
            }
            other => {
                return Err(Error::Internal(format!(
                    "no disclosure rule for table `{other}`; refusing to publish it"
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
        let mut by_column: Vec<(&str, Expr)> = Vec::new();
        for (flag, c) in nulling {
            match by_column.iter_mut().find(|(name, _)| *name == c) {
                Some((_, f)) => *f = f.clone().or(flag),
                None => by_column.push((c, flag)),
            }
        }
        let df = table
            .df
            .clone()
            .lazy()
            .with_columns(flags)
            .with_column(any.alias(out::SUPPRESSED))
            .with_columns(
                by_column
                    .into_iter()
                    .map(|(c, flag)| when(flag).then(lit(NULL)).otherwise(col(c)).alias(c))
                    .collect::<Vec<_>>(),
            )
            .collect()?;
        let n = df.column(out::SUPPRESSED)?.bool()?.sum().unwrap_or(0);
        suppressed.push((table.name, u64::from(n)));
        safe.push(Table { df, ..table });
    }
    for table in &mut safe {
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
        tables: safe,
        suppressed,
        notes: tables_notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_nulled_and_flagged() {
        let df = df!(
            out::LEVEL => ["municipality", "municipality", "national"],
            out::PERSONS => [3i64, 5, 0],
        )
        .unwrap();
        let tables = Tables {
            tables: vec![Table {
                name: "stock_duration",
                df,
                keys: vec![out::LEVEL],
                definition: String::new(),
            }],
            ..Tables::default()
        };
        let safe = apply(tables, &Config::default()).unwrap();
        let df = &safe.tables()[0].df;
        let persons: Vec<Option<i64>> = df
            .column(out::PERSONS)
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(persons, vec![None, Some(5), Some(0)]);
        assert_eq!(safe.suppressed(), &[("stock_duration", 1)]);
    }

    #[test]
    fn a_table_without_rule_is_refused() {
        let tables = Tables {
            tables: vec![Table {
                name: "mystery",
                df: DataFrame::empty(),
                keys: vec![],
                definition: String::new(),
            }],
            ..Tables::default()
        };
        assert!(apply(tables, &Config::default()).is_err());
    }
}
