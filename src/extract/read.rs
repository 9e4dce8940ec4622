//! Reading one part file into a typed frame: raw columns are read as they come (CSV as text,
//! Parquet with its own types), converted to the contract's types with non-strict casts, and
//! every value that did not convert, every empty required field and every unknown code becomes
//! a finding naming its row.

use polars::prelude::*;

use crate::schema::{ColType, TableSpec};
use crate::validation::{Finding, ValidationReport};

use super::discover::{Format, Part};
use super::rows::{find, PART, ROW};

/// The part's rows with every contract column in its contract type (nulls where a value did not
/// convert), plus `ROW` and `PART` (= `index`). `None` when the part cannot be used at all
/// (unreadable or a required column missing); the reason is in `report`.
pub fn read_part(
    spec: TableSpec,
    part: &Part,
    index: u32,
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
    // One pass converts every column and evaluates every check as a boolean column; the raw
    // text is only looked at again for the (rare) offending rows, to show their values.
    let schema = raw.schema().clone();
    let mut exprs = vec![col(ROW), lit(index).alias(PART)];
    let mut typed = vec![col(ROW), col(PART)];
    let mut checks: Vec<(String, &'static str, String, String)> = Vec::new();
    for c in spec.columns {
        let Some(dtype) = schema.get(c.name) else {
            typed.push(lit(NULL).cast(target(c.ty)).alias(c.name));
            continue;
        };
        let raw_value = cleaned(c.name, dtype);
        let value = convert(raw_value.clone(), dtype, c.ty);
        let mut check = |flag: Expr, kind: &str, problem: String, expected: String| {
            let name = format!("__check_{kind}_{}", c.name);
            exprs.push(flag.alias(name.as_str()));
            checks.push((name, c.name, problem, expected));
        };
        if c.required {
            check(
                raw_value.clone().is_null(),
                "empty",
                "is empty".into(),
                format!("a value ({})", c.ty.expectation()),
            );
        }
        if c.ty != ColType::Str || dtype != &DataType::String {
            check(
                raw_value.clone().is_not_null().and(value.clone().is_null()),
                "parse",
                format!("is not {}", c.ty.expectation()),
                c.ty.expectation().to_owned(),
            );
        }
        if let Some(codes) = c.codes {
            check(
                value.clone().is_not_null().and(
                    crate::schema::is_one_of(value.clone(), Series::new("codes".into(), codes))
                        .not(),
                ),
                "code",
                "is not a known code".into(),
                format!("one of {}", codes.join(", ")),
            );
        }
        exprs.push(value.alias(c.name));
        typed.push(col(c.name));
    }
    let checked = raw.clone().lazy().select(exprs).collect()?;
    let parts = [part.rel.clone()];
    for (flag, column, problem, expected) in &checks {
        let mask = checked.column(flag)?.bool()?.clone();
        if !mask.any() {
            continue;
        }
        // The offending rows with their values as written in the file.
        let hits = raw
            .filter(&mask)?
            .lazy()
            .with_column(lit(0u32).alias(PART))
            .select([col(PART), col(ROW), col(*column)])
            .collect()?;
        for f in find(
            hits.lazy(),
            lit(true),
            col(*column),
            spec.name,
            column,
            problem,
            expected,
            &parts,
        )? {
            report.push(f);
        }
    }
    drop(raw);
    Ok(Some(checked.lazy().select(typed).collect()?))
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
