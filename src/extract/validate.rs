//! Row and column rules of DATA.md that need typed values, the extract bounds or another table.

use polars::prelude::*;

use crate::dates::{self, Day};
use crate::error::Error;
use crate::reference::Reference;
use crate::schema::{self as s, TableSpec, TABLES};
use crate::validation::{Finding, ValidationReport};

use super::rows::{find, Origin};
use super::{frame, table_index};

/// Row-level rules that need typed values, the extract bounds or another table. `unknown` holds
/// per table the findings for person_ids not in persons, found while the ids were numbered.
pub fn check_rows(
    frames: &[Option<DataFrame>],
    origins: &[Origin],
    unknown: Vec<Vec<Finding>>,
    e: Day,
    report: &mut ValidationReport,
) -> Result<(), Error> {
    let mut warnings = Vec::new();
    let e_lit = || lit(e).cast(DataType::Date);
    let after_e = format!("on or before extract_end {}", dates::iso(e));
    let rule = |report: &mut ValidationReport,
                spec: &TableSpec,
                lf: LazyFrame,
                cond: Expr,
                column: &str,
                problem: &str,
                expected: &str| {
        let origin = &origins[table_index(spec.name)];
        flag(
            report,
            origin,
            spec,
            lf,
            cond,
            col(column),
            column,
            problem,
            expected,
        )
    };
    if let Some(persons) = frame(frames, &s::PERSONS) {
        let lf = persons.clone().lazy();
        // Numbered ids: the same id is the same text (see `ids`), shown as written. Every
        // occurrence after an id's first is flagged (one hash pass, where a window counting
        // within each id made a group per person).
        flag(
            report,
            &origins[table_index(s::PERSONS.name)],
            &s::PERSONS,
            lf.clone(),
            col(s::PERSON_ID).is_first_distinct().not(),
            col(s::PERSON_KEY),
            s::PERSON_ID,
            "occurs more than once",
            "each person_id once in persons",
        )?;
        rule(
            report,
            &s::PERSONS,
            lf,
            col(s::BIRTH_YEAR)
                .lt(lit(1900))
                .or(col(s::BIRTH_YEAR).gt(lit(dates::year_of(e)))),
            s::BIRTH_YEAR,
            "is out of range",
            &format!("a year in 1900..{}", dates::year_of(e)),
        )?;
    }
    for findings in unknown {
        for f in findings {
            report.push(f);
        }
    }
    for spec in [&s::BENEFIT_PERIODS, &s::INTERVENTIONS] {
        let Some(df) = frame(frames, spec) else {
            continue;
        };
        let lf = df.clone().lazy();
        rule(
            report,
            spec,
            lf.clone(),
            col(s::END).lt(col(s::START)),
            s::END,
            "is before `start`",
            "end ≥ start",
        )?;
        rule(
            report,
            spec,
            lf.clone(),
            col(s::START).gt(e_lit()),
            s::START,
            "is after extract_end",
            &after_e,
        )?;
        let cut = lf
            .filter(col(s::END).gt(e_lit()))
            .select([len()])
            .collect()?;
        let n = cut.columns()[0].idx()?.get(0).unwrap_or(0);
        if n > 0 {
            warnings.push((
                n as u64,
                format!(
                    "[{}] {{n}} rows end after extract_end {}; cut to it",
                    spec.name,
                    dates::iso(e)
                ),
            ));
        }
    }
    if let Some(df) = frame(frames, &s::BENEFIT_PERIODS) {
        // Unknown codes are judged against the shipped 98 municipalities; a `--peers` file is
        // checked against the extract separately.
        let codes = Series::new("codes".into(), Reference::load(None)?.codes()?);
        rule(
            report,
            &s::BENEFIT_PERIODS,
            df.clone().lazy(),
            col(s::MUNICIPALITY)
                .is_not_null()
                .and(s::is_one_of(col(s::MUNICIPALITY), codes).not()),
            s::MUNICIPALITY,
            "is not a municipality of the reference table",
            "a DST kommunekode of one of the 98 municipalities (data/municipalities.csv)",
        )?;
    }
    for spec in [&s::ASSESSMENTS, &s::MEETINGS] {
        let Some(df) = frame(frames, spec) else {
            continue;
        };
        rule(
            report,
            spec,
            df.clone().lazy(),
            col(s::DATE).gt(e_lit()),
            s::DATE,
            "is after extract_end",
            &after_e,
        )?;
    }
    if let Some(df) = frame(frames, &s::PAID_HOURS) {
        let lf = df.clone().lazy();
        rule(
            report,
            &s::PAID_HOURS,
            lf.clone(),
            col(s::MONTH).dt().day().neq(lit(1)),
            s::MONTH,
            "is not the first day of a month",
            "YYYY-MM-01",
        )?;
        rule(
            report,
            &s::PAID_HOURS,
            lf.clone(),
            col(s::MONTH).gt(e_lit()),
            s::MONTH,
            "is after extract_end",
            &after_e,
        )?;
        rule(
            report,
            &s::PAID_HOURS,
            lf.clone(),
            col(s::HOURS).lt(lit(0.0)),
            s::HOURS,
            "is negative",
            "hours ≥ 0",
        )?;
        rule(
            report,
            &s::PAID_HOURS,
            lf,
            col(s::EARNINGS).lt(lit(0.0)),
            s::EARNINGS,
            "is negative",
            "earnings_dkk ≥ 0",
        )?;
    }
    for (spec, df) in TABLES.iter().zip(frames) {
        let Some(df) = df else { continue };
        let names: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
        let dups = candidates(df, spec)
            .group_by(names.iter().map(|n| col(*n)).collect::<Vec<_>>())
            .agg([len().alias("n")])
            .filter(col("n").gt(lit(1)))
            .select([(col("n") - lit(1)).sum().cast(DataType::UInt64)])
            .collect_with_engine(Engine::Streaming)?
            .unwrap_single();
        let n = dups.columns()[0].u64()?.get(0).unwrap_or(0);
        if n > 0 {
            warnings.push((n, format!("[{}] {{n}} exact duplicate rows", spec.name)));
        }
    }
    for (n, w) in warnings {
        report.warn_count(n, w);
    }
    Ok(())
}

/// Pushes the findings for the rows of `lf` (a table's rows, from `origin`) where `cond` holds,
/// showing `shown`.
#[allow(clippy::too_many_arguments)]
fn flag(
    report: &mut ValidationReport,
    origin: &Origin,
    spec: &TableSpec,
    lf: LazyFrame,
    cond: Expr,
    shown: Expr,
    column: &str,
    problem: &str,
    expected: &str,
) -> PolarsResult<()> {
    for f in find(
        lf, cond, shown, spec.name, column, problem, expected, origin,
    )? {
        report.push(f);
    }
    Ok(())
}

/// The rows of `df` (table `spec`) that may have an exact duplicate: those sharing person and
/// first required date with another row (or lacking either). Grouping these alone by every
/// column finds the same duplicates as grouping the whole table, at a fraction of the cost:
/// person and date pack into one integer, and sorted by it the candidates are the rows next to
/// an equal key (a sort of one integer column needs none of the memory of a hash grouping).
fn candidates(df: &DataFrame, spec: &TableSpec) -> LazyFrame {
    let lf = df.clone().lazy();
    let numbered = df
        .column(s::PERSON_ID)
        .is_ok_and(|c| c.dtype() == &DataType::UInt32);
    if !numbered {
        return lf;
    }
    let person = col(s::PERSON_ID).cast(DataType::UInt64) * lit(1u64 << 32);
    let key = match spec
        .columns
        .iter()
        .find(|c| c.required && c.ty == s::ColType::Date)
    {
        // Days as i32 shifted to 0..2^32: distinct (person, day) pairs get distinct keys.
        Some(day) => {
            person
                + (col(day.name).cast(DataType::Int32).cast(DataType::Int64) + lit(1i64 << 31))
                    .cast(DataType::UInt64)
        }
        None => person,
    };
    let key_col = col(KEY);
    lf.with_column(key.alias(KEY))
        .sort([KEY], SortMultipleOptions::default())
        .filter(
            key_col
                .clone()
                .eq(key_col.clone().shift(lit(1)))
                .or(key_col.clone().eq(key_col.clone().shift(lit(-1))))
                .or(key_col.is_null()),
        )
}

/// Working column: the packed (person, date) key of [`candidates`].
const KEY: &str = "__key";
