//! Where a row came from, and findings that say so: a table's rows are its part files' rows in
//! file order, so a row's position in the table names its part file and row number ([`Origin`]),
//! and [`find`] turns the offending rows of any rule into findings naming file, row and value.
//! The reader uses it for values that do not convert, the validator for every other rule.

use polars::prelude::*;

use crate::validation::{Finding, EXAMPLES_PER_FINDING};

/// The part files of a table, in the order their rows follow each other in the table, with the
/// number of rows before each: no row carries its file and row number, they are worked out for
/// the few offending rows only.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// Paths relative to the extract folder.
    files: Vec<String>,
    /// Rows of the table before each file's first row.
    starts: Vec<u64>,
}

impl Origin {
    /// A table read from `files`, holding `rows[i]` rows of file `i`.
    pub fn new(files: Vec<String>, rows: &[u64]) -> Self {
        let starts = rows
            .iter()
            .scan(0u64, |before, n| {
                let start = *before;
                *before += n;
                Some(start)
            })
            .collect();
        Origin { files, starts }
    }

    /// File (index into `files`) and row number (1 = first data row) of the table's row
    /// `index` (0-based).
    fn locate(&self, index: u64) -> (usize, u64) {
        let file = self
            .starts
            .partition_point(|&s| s <= index)
            .saturating_sub(1);
        (
            file,
            index - self.starts.get(file).copied().unwrap_or(0) + 1,
        )
    }
}

/// Working column: a row's position in the frame a rule looks at.
const INDEX: &str = "__index";

/// Rows of `lf` (a table's rows, in table order, as described by `origin`) where `condition`
/// holds, as one finding per part file, in file order.
#[allow(clippy::too_many_arguments)]
pub fn find(
    lf: LazyFrame,
    condition: Expr,
    shown: Expr,
    table: &'static str,
    column: &str,
    problem: &str,
    expected: &str,
    origin: &Origin,
) -> PolarsResult<Vec<Finding>> {
    let hits = lf
        .with_row_index(INDEX, None)
        .filter(condition)
        .select([
            col(INDEX).cast(DataType::UInt64),
            shown.cast(DataType::String).alias("value"),
        ])
        .collect()?;
    let indices = hits.column(INDEX)?.u64()?;
    let values = hits.column("value")?.str()?;
    let mut findings: Vec<Finding> = Vec::new();
    for (index, value) in indices.iter().zip(values.iter()) {
        let (file, row) = origin.locate(index.unwrap_or(0));
        let file = origin.files.get(file).map_or("", String::as_str);
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
                f.examples
                    .push((Some(row), Some(value.unwrap_or("").to_owned())));
            }
        }
    }
    Ok(findings)
}
