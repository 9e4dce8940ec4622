//! Where a row came from, and findings that say so: every row read carries its part file
//! ([`PART`]) and row number ([`ROW`]) until validation is done, and [`find`] turns the
//! offending rows of any rule into findings naming file, row and value. The reader uses it for
//! values that do not convert, the validator for every other rule.

use polars::prelude::*;

use crate::validation::{Finding, EXAMPLES_PER_FINDING};

/// Row number within its part file, 1 = first data row (kept until validation is done).
pub const ROW: &str = "__row";
/// Index of the part file a row came from among its table's parts (a number, not the path,
/// so that it costs 4 bytes a row).
pub const PART: &str = "__part";

/// Rows of `lf` (which carries `ROW` and `PART`) where `condition` holds, as one finding per
/// part file (named by `parts[PART]`), in file order.
#[allow(clippy::too_many_arguments)]
pub fn find(
    lf: LazyFrame,
    condition: Expr,
    shown: Expr,
    table: &'static str,
    column: &str,
    problem: &str,
    expected: &str,
    parts: &[String],
) -> PolarsResult<Vec<Finding>> {
    let hits = lf
        .filter(condition)
        .select([
            col(PART).cast(DataType::UInt32),
            col(ROW).cast(DataType::UInt64),
            shown.cast(DataType::String).alias("value"),
        ])
        .sort([PART, ROW], SortMultipleOptions::default())
        .collect()?;
    let files = hits.column(PART)?.u32()?;
    let rows = hits.column(ROW)?.u64()?;
    let values = hits.column("value")?.str()?;
    let mut findings: Vec<Finding> = Vec::new();
    for ((file, row), value) in files.iter().zip(rows.iter()).zip(values.iter()) {
        let file = file
            .and_then(|i| parts.get(i as usize))
            .map_or("", String::as_str);
        if findings.last().is_none_or(|f| f.file != file) {
            findings.push(Finding {
                table,
                file: file.to_owned(),
                column: Some(column.to_owned()),
                problem: problem.to_owned(),
                expected: expected.to_owned(),
                examples: Vec::new(),
                total: 0,
            });
        }
        if let Some(f) = findings.last_mut() {
            f.total += 1;
            if f.examples.len() < EXAMPLES_PER_FINDING {
                f.examples.push((row, Some(value.unwrap_or("").to_owned())));
            }
        }
    }
    Ok(findings)
}
