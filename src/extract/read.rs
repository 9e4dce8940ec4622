//! Reading one part file into a typed frame: raw columns are read as they come (CSV as text,
//! Parquet with its own types), converted to the contract's types with non-strict casts, and
//! every value that did not convert, every empty required field and every unknown code becomes
//! a finding naming its row.

use polars::prelude::*;

use crate::schema::{ColType, TableSpec};
use crate::validation::{Finding, ValidationReport};

use super::codes;
use super::discover::{Format, Part};
use super::rows::{find, Origin};

/// The part's rows with every contract column in its contract type (nulls where a value did not
/// convert). `None` when the part cannot be used at all (unreadable or a required column
/// missing); the reason is in `report`.
///
/// Coded columns come encoded (see `codes`) unless the part holds a value outside the list,
/// which must then stay as written for the summary.
pub fn read_part(
    spec: TableSpec,
    part: &Part,
    report: &mut ValidationReport,
) -> PolarsResult<Option<DataFrame>> {
    let unreadable = |report: &mut ValidationReport, e: PolarsError| {
        report.file_problem(
            spec.name,
            &part.rel,
            &format!("could not be read ({})", first_line(&e.to_string())),
            format!("a well-formed {} file", format_name(part.format)),
        );
    };
    let schema = match scan(part).and_then(|mut lf| lf.collect_schema()) {
        Ok(schema) => schema,
        Err(e) => {
            unreadable(report, e);
            return Ok(None);
        }
    };
    let names: Vec<String> = schema
        .iter_names()
        .map(|n| n.to_string())
        .chain(
            part.hive
                .iter()
                .map(|(key, _)| key.clone())
                .filter(|key| schema.get(key).is_none()),
        )
        .collect();
    let missing: Vec<_> = spec
        .columns
        .iter()
        .filter(|c| c.required && !names.iter().any(|n| n == c.name))
        .collect();
    let converted = if missing.is_empty() {
        // One pass converts every column and evaluates every check as a boolean column; the
        // file is only read again for the (rare) offending rows, to show their values.
        let raw = raw_schema(&schema, part);
        // The same checks twice: on the trimmed columns of the conversion, and on the file's
        // text as written, to find the offending rows again.
        let on_clean = checks(spec, &raw, Text::Cleaned)?;
        let checks = checks(spec, &raw, Text::AsWritten)?;
        // First with ids and coded columns as written: when no id has blanks to trim (or is
        // blank) and every coded value is a code, trimming them would copy tens of millions of
        // strings for nothing (on 1M persons the ids alone took 0.6 s of the load).
        let coded = |df: &DataFrame| {
            on_clean
                .iter()
                .filter(|c| spec.column(c.column).is_some_and(|c| c.codes.is_some()))
                .any(|c| any(df, &c.flag_name()))
        };
        let mut typed = convert_all(spec, part, &schema, &raw, &on_clean, Trim::Parsed, true);
        if typed.as_ref().is_ok_and(|df| untrimmed(df, spec)) {
            typed = convert_all(spec, part, &schema, &raw, &on_clean, Trim::Uncoded, true);
        }
        if typed.as_ref().is_ok_and(coded) {
            typed = convert_all(spec, part, &schema, &raw, &on_clean, Trim::All, true);
        }
        if let Ok(df) = &typed {
            if checks
                .iter()
                .any(|c| c.kind == Kind::Code && any(df, &c.flag_name()))
            {
                typed = convert_all(spec, part, &schema, &raw, &on_clean, Trim::All, false);
            }
        }
        match typed {
            Ok(df) => Some((df, checks)),
            Err(e) => {
                unreadable(report, e);
                return Ok(None);
            }
        }
    } else {
        // The file is invalid anyway: read it whole to tell an unreadable one apart.
        if let Err(e) = scan(part).and_then(|lf| lf.collect()) {
            unreadable(report, e);
            return Ok(None);
        }
        None
    };
    for extra in names.iter().filter(|n| spec.column(n).is_none()) {
        report.warn(format!(
            "[{}] {}: unknown column `{extra}` ignored",
            spec.name, part.rel
        ));
    }
    for c in &missing {
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
    }
    let Some((df, checks)) = converted else {
        return Ok(None);
    };
    let origin = Origin::new(vec![part.rel.clone()], &[df.height() as u64]);
    for check in &checks {
        if !any(&df, &check.flag_name()) {
            continue;
        }
        // The offending rows with their values as written in the file.
        for f in find(
            with_hive(scan(part)?, part, &schema),
            check.flag.clone(),
            col(check.column),
            spec.name,
            check.column,
            &check.problem,
            &check.expected,
            &origin,
        )? {
            report.push(f);
        }
    }
    let typed: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    Ok(Some(df.select(typed)?))
}

/// What a check looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Empty,
    Parse,
    Code,
}

/// One rule on one column of a part: `flag` holds on the offending rows of the raw frame.
struct Check {
    column: &'static str,
    kind: Kind,
    flag: Expr,
    problem: String,
    expected: String,
}

impl Check {
    fn flag_name(&self) -> String {
        format!("__check_{:?}_{}", self.kind, self.column)
    }
}

/// The raw frame's schema with the partition columns (text) that the file itself lacks.
fn raw_schema(schema: &Schema, part: &Part) -> Schema {
    let mut schema = schema.clone();
    for (key, _) in &part.hive {
        if schema.get(key).is_none() {
            schema.with_column(key.as_str().into(), DataType::String);
        }
    }
    schema
}

/// Whether the text columns a check reads are as written in the file or already [`cleaned`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    AsWritten,
    Cleaned,
}

/// The checks of every contract column present, in the order their findings are listed.
fn checks(spec: TableSpec, schema: &Schema, text: Text) -> PolarsResult<Vec<Check>> {
    let mut checks = Vec::new();
    for c in spec.columns {
        let Some(dtype) = schema.get(c.name) else {
            continue;
        };
        let raw_value = match text {
            Text::AsWritten => cleaned(c.name, dtype),
            Text::Cleaned => col(c.name),
        };
        let value = convert(raw_value.clone(), dtype, c.ty);
        if c.required {
            checks.push(Check {
                column: c.name,
                kind: Kind::Empty,
                flag: raw_value.clone().is_null(),
                problem: "is empty".into(),
                expected: format!("a value ({})", c.ty.expectation()),
            });
        }
        if c.ty != ColType::Str || dtype != &DataType::String {
            checks.push(Check {
                column: c.name,
                kind: Kind::Parse,
                flag: raw_value.clone().is_not_null().and(value.clone().is_null()),
                problem: format!("is not {}", c.ty.expectation()),
                expected: c.ty.expectation().to_owned(),
            });
        }
        if let Some(codes) = c.codes {
            checks.push(Check {
                column: c.name,
                kind: Kind::Code,
                // The encoding itself, so that the engine finds the value's code once for both.
                flag: value
                    .clone()
                    .is_not_null()
                    .and(codes::encode(value, codes)?.is_null()),
                problem: "is not a known code".into(),
                expected: format!("one of {}", codes.join(", ")),
            });
        }
    }
    Ok(checks)
}

/// Which text columns [`convert_all`] trims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trim {
    All,
    /// All but the coded ones: right only when every value of those is a code as written.
    Uncoded,
    /// Only those converted to another type (dates and numbers in a CSV file): right only when
    /// the text columns have nothing to trim either ([`untrimmed`]) and every coded value is a
    /// code as written.
    Parsed,
}

/// Whether a text column of `df` (read with [`Trim::Parsed`]) that is neither coded nor
/// converted holds a value that trimming would change: one that is empty, or begins or ends
/// with white space. One pass over the values (a Polars expression would build the trimmed
/// strings to compare them, which is the cost this saves).
fn untrimmed(df: &DataFrame, spec: TableSpec) -> bool {
    let blank = |v: &str| {
        v.is_empty() || v.starts_with(char::is_whitespace) || v.ends_with(char::is_whitespace)
    };
    spec.columns
        .iter()
        .filter(|c| c.ty == ColType::Str && c.codes.is_none())
        .filter_map(|c| df.column(c.name).ok()?.str().ok())
        .any(|text| text.iter().flatten().any(blank))
}

/// The part (whose file has `schema`, and with its partition columns `raw`) with every contract
/// column converted (coded ones encoded when `compact`) and a boolean column per check.
fn convert_all(
    spec: TableSpec,
    part: &Part,
    schema: &Schema,
    raw: &Schema,
    checks: &[Check],
    trim: Trim,
    compact: bool,
) -> PolarsResult<DataFrame> {
    // Each text column is trimmed once, up front: the conversion and up to three checks read
    // it (on 1M persons the meetings' two codes and id were trimmed three to four times each).
    let clean: Vec<Expr> = spec
        .columns
        .iter()
        .filter(|c| match trim {
            Trim::All => true,
            Trim::Uncoded => c.codes.is_none(),
            Trim::Parsed => c.ty != ColType::Str,
        })
        .filter_map(|c| {
            let dtype = raw.get(c.name)?;
            (dtype == &DataType::String).then(|| cleaned(c.name, dtype).alias(c.name))
        })
        .collect();
    let mut exprs = Vec::new();
    for c in spec.columns {
        let value = match raw.get(c.name) {
            Some(dtype) => convert(col(c.name), dtype, c.ty),
            None => lit(NULL).cast(target(c.ty)),
        };
        let value = match c.codes {
            Some(codes) if compact => codes::encode(value, codes)?,
            _ => value,
        };
        exprs.push(value.alias(c.name));
    }
    for check in checks {
        exprs.push(check.flag.clone().alias(check.flag_name()));
    }
    Ok(with_hive(scan(part)?, part, schema)
        .with_columns(clean)
        .select(exprs)
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single())
}

/// Whether the boolean column `name` holds anywhere.
fn any(df: &DataFrame, name: &str) -> bool {
    df.column(name)
        .ok()
        .and_then(|c| c.bool().ok())
        .is_some_and(|b| b.any())
}

/// Partition columns from folder names (`key=value`) are text, validated like CSV fields.
fn with_hive(lf: LazyFrame, part: &Part, schema: &Schema) -> LazyFrame {
    let hive: Vec<Expr> = part
        .hive
        .iter()
        .filter(|(key, _)| schema.get(key).is_none())
        .map(|(key, value)| lit(value.as_str()).alias(key.as_str()))
        .collect();
    if hive.is_empty() {
        lf
    } else {
        lf.with_columns(hive)
    }
}

fn scan(part: &Part) -> PolarsResult<LazyFrame> {
    let path = PlRefPath::new(part.path.to_string_lossy().as_ref());
    match part.format {
        Format::Csv => LazyCsvReader::new(path)
            .with_has_header(true)
            // Everything as text: the conversion below reports each value that does not parse.
            .with_infer_schema_length(Some(0))
            .finish(),
        Format::Parquet => {
            let mut args = ScanArgsParquet::default();
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
