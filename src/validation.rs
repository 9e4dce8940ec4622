//! The validation report: every contract violation, grouped by (table, file, column, problem)
//! with its rows, plus warnings and the data-quality summary that `forloeb validate` prints.
//!
//! Plain data in a bottom layer: [`crate::error::Error`] carries a report, so the report may
//! not depend on the ingest code that fills it (`extract` re-exports these types).

use std::fmt;

/// How many offending rows of one finding are listed; the rest are counted.
pub const EXAMPLES_PER_FINDING: usize = 20;

/// One kind of violation in one file and column, with the rows where it occurs.
#[derive(Debug, Clone)]
pub struct Finding {
    pub table: &'static str,
    /// Path relative to the extract folder (or the table name when the file is missing).
    pub file: String,
    pub column: Option<String>,
    /// What is wrong, e.g. "is not a date".
    pub problem: String,
    /// What the contract expects, e.g. "YYYY-MM-DD".
    pub expected: String,
    /// Up to `EXAMPLES_PER_FINDING` offending rows (1 = first data row) with their values.
    pub examples: Vec<(Option<u64>, Option<String>)>,
    /// All offending rows, listed or not.
    pub total: u64,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = format!("[{}] {}", self.table, self.file);
        let column = self.column.as_deref().map(|c| format!("column `{c}`"));
        let examples: &[(Option<u64>, Option<String>)] = if self.examples.is_empty() {
            &[(None, None)]
        } else {
            &self.examples
        };
        for (i, (row, value)) in examples.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            let place = match (row, &column) {
                (Some(r), Some(c)) => format!("{head} row {r}, {c}"),
                (Some(r), None) => format!("{head} row {r}"),
                (None, Some(c)) => format!("{head} {c}"),
                (None, None) => head.clone(),
            };
            match value {
                Some(v) => write!(
                    f,
                    "{place}: '{v}' {}; expected {}",
                    self.problem, self.expected
                )?,
                None => write!(f, "{place}: {}; expected {}", self.problem, self.expected)?,
            }
        }
        let listed = self.examples.len() as u64;
        if self.total > listed.max(1) {
            write!(
                f,
                "\n[{}] {}: … and {} more rows like this",
                self.table,
                self.file,
                self.total - listed
            )?;
        }
        Ok(())
    }
}

/// Placeholder for the count in a [`Warning`]'s text.
const COUNT: &str = "{n}";

/// A warning about the extract. When it counts rows of the extract, the count is kept apart
/// from the text, so that what goes into a report can follow the count rule of MEASURES.md §7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The message, with `{n}` where the count goes.
    text: String,
    count: Option<u64>,
}

impl Warning {
    /// The message with the exact count (for the terminal, inside the secure environment).
    pub fn exact(&self) -> String {
        self.with(|n| n.to_string())
    }

    /// The message as a report may print it: a count in (0, k) becomes "fewer than k".
    pub fn published(&self, k: u64) -> String {
        self.with(|n| {
            if n > 0 && n < k {
                format!("fewer than {k}")
            } else {
                n.to_string()
            }
        })
    }

    fn with(&self, count: impl Fn(u64) -> String) -> String {
        match self.count {
            Some(n) => self.text.replace(COUNT, &count(n)),
            None => self.text.clone(),
        }
    }
}

/// Everything `validate` found. Valid when there are no findings; warnings never fail a run.
#[derive(Debug, Clone, Default)]
pub struct ValidationReport {
    pub findings: Vec<Finding>,
    pub warnings: Vec<Warning>,
    /// The data-quality summary; built by `forloeb validate` only, empty in a run.
    pub summary: Vec<String>,
}

impl ValidationReport {
    pub fn is_valid(&self) -> bool {
        self.findings.is_empty()
    }

    /// Number of offending rows and file-level problems.
    pub fn error_count(&self) -> u64 {
        self.findings.iter().map(|f| f.total.max(1)).sum()
    }

    pub fn warn(&mut self, message: String) {
        self.warnings.push(Warning {
            text: message,
            count: None,
        });
    }

    /// A warning about `n` rows of the extract; `text` holds `{n}` where the count goes.
    pub fn warn_count(&mut self, n: u64, text: String) {
        self.warnings.push(Warning {
            text,
            count: Some(n),
        });
    }

    /// A problem with a whole file (missing, two forms, unreadable).
    pub fn file_problem(
        &mut self,
        table: &'static str,
        file: &str,
        problem: &str,
        expected: String,
    ) {
        self.findings.push(Finding {
            table,
            file: file.to_owned(),
            column: None,
            problem: problem.to_owned(),
            expected,
            examples: Vec::new(),
            total: 1,
        });
    }

    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        for w in &self.warnings {
            writeln!(f, "warning: {}", w.exact())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_names_table_file_row_column_value_and_expectation() {
        let f = Finding {
            table: "benefit_periods",
            file: "benefit_periods.csv".into(),
            column: Some("start".into()),
            problem: "is not a date".into(),
            expected: "a date YYYY-MM-DD".into(),
            examples: vec![(Some(17), Some("2023-13-01".into()))],
            total: 3,
        };
        assert_eq!(
            f.to_string(),
            "[benefit_periods] benefit_periods.csv row 17, column `start`: '2023-13-01' is not a date; \
             expected a date YYYY-MM-DD\n[benefit_periods] benefit_periods.csv: … and 2 more rows like this"
        );
    }
}
