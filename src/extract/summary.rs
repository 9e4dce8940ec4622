//! The data-quality summary `forloeb validate` prints beside the findings: what the extract
//! holds, so that an analyst sees at a glance whether it is the extract they meant to use.

use polars::lazy::dsl::max_horizontal;
use polars::prelude::*;

use crate::dates;
use crate::error::Error;
use crate::schema::{self as s, TABLES};
use crate::validation::ValidationReport;

use super::frame;

/// The data-quality summary `validate` prints: rows, persons, date ranges, nulls, and benefit
/// periods that overlap an earlier one of the same person and benefit (merged by the union).
pub fn summarise(frames: &[Option<DataFrame>], report: &mut ValidationReport) -> Result<(), Error> {
    let mut lines = vec![format!(
        "{:<16} {:>10} {:>9}  {:<23}  nulls",
        "table", "rows", "persons", "dates"
    )];
    for (spec, df) in TABLES.iter().zip(frames) {
        let Some(df) = df else { continue };
        let date_cols: Vec<&str> = spec
            .columns
            .iter()
            .filter(|c| c.ty == s::ColType::Date)
            .map(|c| c.name)
            .collect();
        let mut exprs = vec![col(s::PERSON_ID)
            .n_unique()
            .cast(DataType::UInt64)
            .alias("persons")];
        for c in &date_cols {
            exprs.push(col(*c).min().alias(format!("min_{c}")));
            exprs.push(col(*c).max().alias(format!("max_{c}")));
        }
        for c in spec.columns {
            exprs.push(
                col(c.name)
                    .null_count()
                    .cast(DataType::UInt64)
                    .alias(format!("null_{}", c.name)),
            );
        }
        let agg = df.clone().lazy().select(exprs).collect()?;
        let get_u64 =
            |name: &str| -> PolarsResult<u64> { Ok(agg.column(name)?.u64()?.get(0).unwrap_or(0)) };
        let date = |name: &str| -> PolarsResult<String> {
            Ok(agg
                .column(name)?
                .cast(&DataType::Int32)?
                .i32()?
                .get(0)
                .map(dates::iso)
                .unwrap_or_else(|| "-".into()))
        };
        let range = match date_cols.as_slice() {
            [] => String::new(),
            cols => {
                let lo = cols
                    .iter()
                    .map(|c| date(&format!("min_{c}")))
                    .collect::<PolarsResult<Vec<_>>>()?;
                let hi = cols
                    .iter()
                    .map(|c| date(&format!("max_{c}")))
                    .collect::<PolarsResult<Vec<_>>>()?;
                let lo = lo
                    .into_iter()
                    .filter(|d| d != "-")
                    .min()
                    .unwrap_or_else(|| "-".into());
                let hi = hi
                    .into_iter()
                    .filter(|d| d != "-")
                    .max()
                    .unwrap_or_else(|| "-".into());
                format!("{lo}..{hi}")
            }
        };
        let nulls: Vec<String> = spec
            .columns
            .iter()
            .map(|c| Ok((c.name, get_u64(&format!("null_{}", c.name))?)))
            .collect::<PolarsResult<Vec<_>>>()?
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        lines.push(format!(
            "{:<16} {:>10} {:>9}  {:<23}  {}",
            spec.name,
            df.height(),
            get_u64("persons")?,
            range,
            if nulls.is_empty() {
                "-".into()
            } else {
                nulls.join(", ")
            }
        ));
    }
    if let Some(bp) = frame(frames, &s::BENEFIT_PERIODS) {
        // Sorted by person, benefit and start, a period overlaps an earlier one when it starts
        // on or before the latest end so far within its (person, benefit). Instead of a window
        // per group, every group's days are moved past all earlier groups' (by its number
        // times more than the whole span of days), so that one running maximum over the table
        // never reaches into the next group.
        let day = |c: &str| col(c).cast(DataType::Int64);
        let changes = |c: &str| col(c).neq_missing(col(c).shift(lit(1)));
        let span = max_horizontal([
            day(s::END).max() - day(s::START).min() + lit(1i64),
            lit(1i64),
        ])?;
        let overlapping = bp
            .clone()
            .lazy()
            .filter(col(s::START).is_not_null())
            .select([
                col(s::PERSON_ID),
                col(s::BENEFIT),
                col(s::START),
                col(s::END).fill_null(col(s::START).max()).alias(s::END),
            ])
            .sort(
                [s::PERSON_ID, s::BENEFIT, s::START, s::END],
                SortMultipleOptions::default(),
            )
            .with_column(
                (changes(s::PERSON_ID)
                    .or(changes(s::BENEFIT))
                    .cast(DataType::Int64)
                    .cum_sum(false)
                    * span)
                    .alias(OFFSET),
            )
            .filter(
                (day(s::START) + col(OFFSET))
                    .lt_eq((day(s::END) + col(OFFSET)).cum_max(false).shift(lit(1))),
            )
            .select([len()])
            .collect()?;
        let n = overlapping.columns()[0].idx()?.get(0).unwrap_or(0);
        lines.push(format!(
            "benefit periods overlapping an earlier one of the same benefit (merged): {n}"
        ));
    }
    report.summary = lines;
    Ok(())
}

/// Working column: a benefit period's (person, benefit) group number times the span of days.
const OFFSET: &str = "__offset";
