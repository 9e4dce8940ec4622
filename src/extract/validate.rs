//! Row and column rules of DATA.md that need typed values, the extract bounds or another table.

use polars::prelude::*;

use crate::dates::{self, Day};
use crate::error::Error;
use crate::reference::Reference;
use crate::schema::{self as s, TableSpec, TABLES};
use crate::validation::ValidationReport;

use super::rows::find;
use super::{frame, table_index};

/// Row-level rules that need typed values, the extract bounds or another table.
pub fn check_rows(
    frames: &[Option<DataFrame>],
    part_names: &[Vec<String>],
    e: Day,
    report: &mut ValidationReport,
) -> Result<(), Error> {
    let mut warnings = Vec::new();
    let e_lit = || lit(e).cast(DataType::Date);
    let after_e = format!("on or before extract_end {}", dates::iso(e));
    let mut rule = |spec: &TableSpec,
                    lf: LazyFrame,
                    cond: Expr,
                    column: &str,
                    problem: &str,
                    expected: &str|
     -> PolarsResult<()> {
        let parts = &part_names[table_index(spec.name)];
        for f in find(
            lf,
            cond,
            col(column),
            spec.name,
            column,
            problem,
            expected,
            parts,
        )? {
            report.push(f);
        }
        Ok(())
    };
    if let Some(persons) = frame(frames, &s::PERSONS) {
        let lf = persons.clone().lazy();
        rule(
            &s::PERSONS,
            lf.clone(),
            col(s::PERSON_ID)
                .cum_count(false)
                .over([col(s::PERSON_ID)])?
                .gt(lit(1)),
            s::PERSON_ID,
            "occurs more than once",
            "each person_id once in persons",
        )?;
        rule(
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
    for spec in TABLES.iter().filter(|t| t.name != s::PERSONS.name) {
        let (Some(df), Some(persons)) = (frame(frames, spec), frame(frames, &s::PERSONS)) else {
            continue;
        };
        let unknown = df.clone().lazy().join(
            persons.clone().lazy().select([col(s::PERSON_ID)]),
            [col(s::PERSON_ID)],
            [col(s::PERSON_ID)],
            JoinArgs::new(JoinType::Anti),
        );
        rule(
            spec,
            unknown,
            col(s::PERSON_ID).is_not_null(),
            s::PERSON_ID,
            "is not in persons",
            "a person_id of the persons table",
        )?;
    }
    for spec in [&s::BENEFIT_PERIODS, &s::INTERVENTIONS] {
        let Some(df) = frame(frames, spec) else {
            continue;
        };
        let lf = df.clone().lazy();
        rule(
            spec,
            lf.clone(),
            col(s::END).lt(col(s::START)),
            s::END,
            "is before `start`",
            "end ≥ start",
        )?;
        rule(
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
            &s::PAID_HOURS,
            lf.clone(),
            col(s::MONTH).dt().day().neq(lit(1)),
            s::MONTH,
            "is not the first day of a month",
            "YYYY-MM-01",
        )?;
        rule(
            &s::PAID_HOURS,
            lf.clone(),
            col(s::MONTH).gt(e_lit()),
            s::MONTH,
            "is after extract_end",
            &after_e,
        )?;
        rule(
            &s::PAID_HOURS,
            lf.clone(),
            col(s::HOURS).lt(lit(0.0)),
            s::HOURS,
            "is negative",
            "hours ≥ 0",
        )?;
        rule(
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
        let dups = df
            .clone()
            .lazy()
            .group_by(names.iter().map(|n| col(*n)).collect::<Vec<_>>())
            .agg([len().alias("n")])
            .filter(col("n").gt(lit(1)))
            .select([(col("n") - lit(1)).sum().cast(DataType::UInt64)])
            .collect()?;
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
