//! Reading one part file into a typed frame: raw columns are read as they come (CSV as text,
//! Parquet with its own types), converted to the contract's types with non-strict casts, and
//! every value that did not convert, every empty required field and every unknown code becomes
//! a finding naming its row.

use polars::prelude::*;

use crate::schema::{ColType, TableSpec};

use super::files::{Format, Part};
use super::validate::{Finding, ValidationReport, EXAMPLES_PER_FINDING};

/// Row number within its part file, 1 = first data row (kept until validation is done).
pub const ROW: &str = "__row";
/// Relative path of the part file a row came from.
pub const FILE: &str = "__file";

/// The part's rows with every contract column in its contract type (nulls where a value did not
/// convert), plus `ROW` and `FILE`. `None` when the part cannot be used at all (unreadable or a
/// required column missing); the reason is in `report`.
pub fn read_part(
    spec: TableSpec,
    part: &Part,
    report: &mut ValidationReport,
) -> PolarsResult<Option<DataFrame>> {
    let raw = match scan(part).and_then(|lf| lf.collect()) {
        Ok(df) => df,
        Err(e) => {
            report.file_problem(
                spec.name,
                &part.rel,
                &format!("could not be read ({})", first_line(&e.to_string())),
                format!("a well-formed {} file", format_name(part.format)),
            );
            return Ok(None);
        }
    };
    // Partition columns from folder names (`key=value`) are text, validated like CSV fields.
    let hive: Vec<Expr> = part
        .hive
        .iter()
        .filter(|(key, _)| raw.column(key).is_err())
        .map(|(key, value)| lit(value.as_str()).alias(key.as_str()))
        .collect();
    let raw = if hive.is_empty() {
        raw
    } else {
        raw.lazy().with_columns(hive).collect()?
    };
    let names: Vec<String> = raw
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .filter(|n| n != ROW)
        .collect();
    for extra in names.iter().filter(|n| spec.column(n).is_none()) {
        report.warn(format!(
            "[{}] {}: unknown column `{extra}` ignored",
            spec.name, part.rel
        ));
    }
    let mut usable = true;
    for c in spec.columns.iter().filter(|c| c.required) {
        if !names.iter().any(|n| n == c.name) {
            report.push(Finding {
                table: spec.name,
                file: part.rel.clone(),
                column: Some(c.name.to_owned()),
                problem: "missing".into(),
                expected: format!(
                    "a column `{}` ({}) in the header; columns found: {}",
                    c.name,
                    c.ty.expectation(),
                    names.join(", ")
                ),
                examples: Vec::new(),
                total: 1,
            });
            usable = false;
        }
    }
    if !usable {
        return Ok(None);
    }
    // One pass converts every column; the checks below then only compare materialised
    // columns. Each contract column `c` sits beside its cleaned raw text `RAW_PREFIX + c`.
    let schema = raw.schema().clone();
    let mut both = vec![col(ROW), lit(part.rel.as_str()).alias(FILE)];
    let mut typed = vec![col(ROW), col(FILE)];
    for c in spec.columns {
        match schema.get(c.name) {
            Some(dtype) => {
                let raw_value = cleaned(c.name, dtype);
                both.push(raw_value.clone().alias(raw_name(c.name)));
                both.push(convert(raw_value, dtype, c.ty).alias(c.name));
                typed.push(col(c.name));
            }
            None => typed.push(lit(NULL).cast(target(c.ty)).alias(c.name)),
        }
    }
    let both = raw.lazy().select(both).collect()?;
    for c in spec.columns.iter().filter(|c| schema.get(c.name).is_some()) {
        let (raw_value, value) = (col(raw_name(c.name)), col(c.name));
        let checks = [
            (
                c.required.then(|| raw_value.clone().is_null()),
                "is empty".to_owned(),
                format!("a value ({})", c.ty.expectation()),
            ),
            (
                Some(raw_value.clone().is_not_null().and(value.clone().is_null())),
                format!("is not {}", c.ty.expectation()),
                c.ty.expectation().to_owned(),
            ),
            (
                c.codes.map(|codes| {
                    value.clone().is_not_null().and(
                        crate::schema::is_one_of(value.clone(), Series::new("codes".into(), codes))
                            .not(),
                    )
                }),
                "is not a known code".to_owned(),
                c.codes
                    .map(|codes| format!("one of {}", codes.join(", ")))
                    .unwrap_or_default(),
            ),
        ];
        for (condition, problem, expected) in checks {
            if let Some(condition) = condition {
                let hits = find(
                    both.clone().lazy(),
                    condition,
                    raw_value.clone(),
                    spec.name,
                    c.name,
                    &problem,
                    &expected,
                )?;
                for f in hits {
                    report.push(f);
                }
            }
        }
    }
    Ok(Some(both.lazy().select(typed).collect()?))
}

/// Column holding the cleaned raw text of contract column `name` during validation.
fn raw_name(name: &str) -> String {
    format!("__raw_{name}")
}

fn scan(part: &Part) -> PolarsResult<LazyFrame> {
    let path = PlRefPath::new(part.path.to_string_lossy().as_ref());
    let row_index = Some(RowIndex {
        name: ROW.into(),
        offset: 1,
    });
    match part.format {
        Format::Csv => LazyCsvReader::new(path)
            .with_has_header(true)
            // Everything as text: the conversion below reports each value that does not parse.
            .with_infer_schema_length(Some(0))
            .with_row_index(row_index)
            .finish(),
        Format::Parquet => {
            let mut args = ScanArgsParquet {
                row_index,
                ..Default::default()
            };
            // Partition columns are added from the folder names below, as text to be validated.
            args.hive_options.enabled = Some(false);
            LazyFrame::scan_parquet(path, args)
        }
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Csv => "CSV",
        Format::Parquet => "Parquet",
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

fn target(ty: ColType) -> DataType {
    match ty {
        ColType::Str => DataType::String,
        ColType::Int => DataType::Int32,
        ColType::Float => DataType::Float64,
        ColType::Date => DataType::Date,
    }
}

/// Text trimmed, with an empty field read as null (DATA.md: empty field = null).
fn cleaned(name: &str, dtype: &DataType) -> Expr {
    if dtype == &DataType::String {
        let trimmed = col(name).str().strip_chars(lit(NULL));
        when(trimmed.clone().str().len_bytes().eq(lit(0)))
            .then(lit(NULL).cast(DataType::String))
            .otherwise(trimmed)
    } else {
        col(name)
    }
}

/// Non-strict conversion to the contract type: a value that does not convert becomes null.
fn convert(value: Expr, from: &DataType, ty: ColType) -> Expr {
    match (ty, from) {
        (ColType::Date, DataType::String) => value.str().to_date(StrptimeOptions {
            format: Some("%Y-%m-%d".into()),
            strict: false,
            exact: true,
            cache: true,
        }),
        (ColType::Date, DataType::Date | DataType::Datetime(_, _)) => value.cast(DataType::Date),
        (ColType::Date, _) => lit(NULL).cast(DataType::Date),
        (ColType::Int, DataType::Float32 | DataType::Float64) => {
            // 1985.0 is a year, 1985.5 is not.
            when(value.clone().eq(value.clone().floor()))
                .then(value.cast(DataType::Int32))
                .otherwise(lit(NULL).cast(DataType::Int32))
        }
        (ty, _) => value.cast(target(ty)),
    }
}

/// Rows of `lf` (which carries `ROW` and `FILE`) where `condition` holds, as one finding per
/// file, in file order.
pub fn find(
    lf: LazyFrame,
    condition: Expr,
    shown: Expr,
    table: &'static str,
    column: &str,
    problem: &str,
    expected: &str,
) -> PolarsResult<Vec<Finding>> {
    let hits = lf
        .filter(condition)
        .select([
            col(FILE),
            col(ROW).cast(DataType::UInt64),
            shown.cast(DataType::String).alias("value"),
        ])
        .sort([FILE, ROW], SortMultipleOptions::default())
        .collect()?;
    let files = hits.column(FILE)?.str()?;
    let rows = hits.column(ROW)?.u64()?;
    let values = hits.column("value")?.str()?;
    let mut findings: Vec<Finding> = Vec::new();
    for ((file, row), value) in files.iter().zip(rows.iter()).zip(values.iter()) {
        let file = file.unwrap_or("");
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
