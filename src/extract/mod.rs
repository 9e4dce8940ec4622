//! Extract ingest: find the six tables (CSV, Parquet or folders of Parquet, mixed), read them
//! into Polars with the contract's types, check every rule of DATA.md and hand over a typed
//! [`Extract`] — or a [`ValidationReport`] listing every violation.

mod files;
mod read;
mod validate;

use std::path::Path;

use polars::lazy::dsl::{max_horizontal, min_horizontal};
use polars::prelude::*;

use crate::config::datetime_day;
use crate::dates::{self, Day};
use crate::error::Error;
use crate::reference::Reference;
use crate::schema::{self as s, TableSpec, TABLES};

pub use files::{extract_sha256, EXTRACT_TOML};
pub use validate::{Finding, ValidationReport, Warning};

use read::{find, PART, ROW};

/// One file of the extract as the manifest lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputFile {
    /// Relative to the extract folder, `/`-separated.
    pub path: String,
    pub sha256: String,
    /// Data rows, for table files.
    pub rows: Option<u64>,
}

/// A validated extract. Columns per DATA.md with the contract's dtypes (dates as Polars `Date`,
/// `birth_year` and `municipality` Int32, hours Float64); optional columns are always present
/// (null where absent from the files).
#[derive(Debug, Clone)]
pub struct Extract {
    pub persons: DataFrame,
    pub benefit_periods: DataFrame,
    pub assessments: DataFrame,
    pub interventions: DataFrame,
    pub meetings: DataFrame,
    pub paid_hours: DataFrame,
    /// X: first day the registers cover.
    pub start: Day,
    /// E: last day covered (R after `as_of`).
    pub end: Day,
    pub inputs: Vec<InputFile>,
    /// sha256 over every input file (MEASURES.md §8 `extract_sha256`).
    pub sha256: String,
}

/// Reads and validates `dir`. Returns the extract when it is valid (with the report's warnings
/// and summary), else the report alone.
pub fn inspect(dir: &Path) -> Result<(Option<Extract>, ValidationReport), Error> {
    let mut report = ValidationReport::default();
    let sources = files::discover(dir, &mut report)?;
    let bounds = read_extract_toml(dir, &mut report)?;
    let mut frames: Vec<Option<DataFrame>> = vec![None; TABLES.len()];
    // Per table, the relative paths of its part files, indexed by the `PART` column.
    let mut part_names: Vec<Vec<String>> = vec![Vec::new(); TABLES.len()];
    let mut rows_per_file: Vec<(String, u64)> = Vec::new();
    for source in &sources {
        let mut parts = Vec::new();
        for (index, part) in (0u32..).zip(&source.parts) {
            if let Some(df) = read::read_part(source.spec, part, index, &mut report)? {
                rows_per_file.push((part.rel.clone(), df.height() as u64));
                parts.push(df);
            }
        }
        if parts.len() == source.parts.len() {
            let i = table_index(source.spec.name);
            part_names[i] = source.parts.iter().map(|p| p.rel.clone()).collect();
            frames[i] = Some(match parts.len() {
                1 => parts.remove(0),
                _ => concat(
                    parts.into_iter().map(|p| p.lazy()).collect::<Vec<_>>(),
                    UnionArgs::default(),
                )?
                .collect()?,
            });
        }
    }
    let (x, e) = match bounds {
        (Some(x), Some(e)) => (x, e),
        (x, e) => {
            let (gx, ge) = guess_bounds(&frames)?;
            let (x, e) = (x.or(gx), e.or(ge));
            let (Some(x), Some(e)) = (x, e) else {
                report.file_problem(
                    "extract",
                    EXTRACT_TOML,
                    "cannot be guessed: benefit_periods has no usable start date",
                    "extract_start and extract_end in extract.toml".into(),
                );
                return Ok((None, report));
            };
            report.warn(format!(
                "no extract_start/extract_end in {EXTRACT_TOML}: guessed {}..{} from the data",
                dates::iso(x),
                dates::iso(e)
            ));
            (x, e)
        }
    };
    if e < x {
        report.file_problem(
            "extract",
            EXTRACT_TOML,
            &format!(
                "extract_end {} is before extract_start {}",
                dates::iso(e),
                dates::iso(x)
            ),
            "extract_start ≤ extract_end".into(),
        );
        return Ok((None, report));
    }
    check_rows(&frames, &part_names, e, &mut report)?;
    if frames.iter().all(Option::is_some) {
        summarise(&frames, &mut report)?;
    }
    if !report.is_valid() {
        return Ok((None, report));
    }
    let hashes = files::hash_all(dir)?;
    let sha256 = extract_sha256(&hashes);
    let inputs = hashes
        .into_iter()
        .map(|(path, sha256)| {
            let rows = rows_per_file
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, n)| *n);
            InputFile { path, sha256, rows }
        })
        .collect();
    let mut tables = frames
        .into_iter()
        .map(|f| f.map(|df| df.drop_many([ROW, PART])))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Error::Internal("a table is missing".into()))?
        .into_iter();
    let mut next = || tables.next().unwrap_or_default();
    let extract = Extract {
        persons: next(),
        benefit_periods: next(),
        assessments: next(),
        interventions: next(),
        meetings: next(),
        paid_hours: next(),
        start: x,
        end: e,
        inputs,
        sha256,
    };
    Ok((Some(extract), report))
}

/// Reads and validates `dir`; an invalid extract is an error carrying the whole report.
pub fn load(dir: &Path) -> Result<(Extract, ValidationReport), Error> {
    match inspect(dir)? {
        (Some(extract), report) => Ok((extract, report)),
        (None, report) => Err(Error::InvalidExtract(Box::new(report))),
    }
}

fn table_index(name: &str) -> usize {
    TABLES.iter().position(|t| t.name == name).unwrap_or(0)
}

fn frame<'a>(frames: &'a [Option<DataFrame>], spec: &TableSpec) -> Option<&'a DataFrame> {
    frames[table_index(spec.name)].as_ref()
}

/// `extract_start` / `extract_end` from extract.toml, each `None` when not given.
fn read_extract_toml(
    dir: &Path,
    report: &mut ValidationReport,
) -> Result<(Option<Day>, Option<Day>), Error> {
    let path = dir.join(EXTRACT_TOML);
    if !path.is_file() {
        return Ok((None, None));
    }
    let text = std::fs::read_to_string(&path).map_err(Error::io(&path))?;
    let table: toml::Table = match toml::from_str(&text) {
        Ok(t) => t,
        Err(e) => {
            report.file_problem(
                "extract",
                EXTRACT_TOML,
                &format!("is not valid TOML ({})", e.message()),
                "extract_start = YYYY-MM-DD, extract_end = YYYY-MM-DD, description = \"…\"".into(),
            );
            return Ok((None, None));
        }
    };
    let mut day = |key: &str| -> Option<Day> {
        let v = table.get(key)?;
        let d = v.as_datetime().and_then(datetime_day);
        if d.is_none() {
            report.file_problem(
                "extract",
                EXTRACT_TOML,
                &format!("`{key}` = {v} is not a date"),
                format!("{key} = YYYY-MM-DD (a TOML date, unquoted)"),
            );
        }
        d
    };
    let bounds = (day("extract_start"), day("extract_end"));
    for key in table.keys() {
        if !["extract_start", "extract_end", "description"].contains(&key.as_str()) {
            report.warn(format!("{EXTRACT_TOML}: unknown key `{key}` ignored"));
        }
    }
    Ok(bounds)
}

/// DATA.md: X = earliest benefit start; E = latest start, end or date in benefit_periods,
/// assessments, interventions and meetings.
fn guess_bounds(frames: &[Option<DataFrame>]) -> PolarsResult<(Option<Day>, Option<Day>)> {
    let day_of = |df: &DataFrame, e: Expr| -> PolarsResult<Option<Day>> {
        let out = df
            .clone()
            .lazy()
            .select([e.cast(DataType::Int32)])
            .collect()?;
        Ok(out.columns()[0].i32()?.get(0))
    };
    let x = match frame(frames, &s::BENEFIT_PERIODS) {
        Some(df) => day_of(df, col(s::START).min())?,
        None => None,
    };
    let mut e: Option<Day> = None;
    for (spec, cols) in [
        (&s::BENEFIT_PERIODS, &[s::START, s::END][..]),
        (&s::ASSESSMENTS, &[s::DATE][..]),
        (&s::INTERVENTIONS, &[s::START, s::END][..]),
        (&s::MEETINGS, &[s::DATE][..]),
    ] {
        if let Some(df) = frame(frames, spec) {
            for c in cols {
                e = e.max(day_of(df, col(*c).max())?);
            }
        }
    }
    Ok((x, e))
}

/// Row-level rules that need typed values, the extract bounds or another table.
fn check_rows(
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

/// The data-quality summary `validate` prints: rows, persons, date ranges, nulls, and benefit
/// periods that overlap an earlier one of the same person and benefit (merged by the union).
fn summarise(frames: &[Option<DataFrame>], report: &mut ValidationReport) -> Result<(), Error> {
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
        let key = [col(s::PERSON_ID), col(s::BENEFIT)];
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
                col(s::END)
                    .cast(DataType::Int32)
                    .cum_max(false)
                    .shift(lit(1))
                    .over(key)?
                    .alias("reach"),
            )
            .filter(col(s::START).cast(DataType::Int32).lt_eq(col("reach")))
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

impl Extract {
    /// The extract as seen on reference date `r` (MEASURES.md general conventions): data dated
    /// after `r` does not exist, benefit and intervention periods run from
    /// `max(start, X)` to `min(end ?? r, r, exit_date − 1)` (dropped when empty; the start as
    /// reported stays in `reported_start`, for "the earliest period" of §1.3), meetings,
    /// assessments and paid-hours months on or after exit_date are gone (a month starting on
    /// exit_date still counts), meetings and months before X are ignored, and paid hours are
    /// summed per person and month. Afterwards `self.end == r`, and `person_id` is a dense
    /// UInt32 (rank of the text id, which `persons` keeps as `person_key`).
    /// The inverse of the integer ids of `as_of`: replaces `person_id` in `lf` by the text id
    /// the extract used (for the person-level `forloeb spells` output and for tests).
    pub fn with_text_ids(&self, lf: LazyFrame) -> LazyFrame {
        let keys = self
            .persons
            .clone()
            .lazy()
            .select([col(s::PERSON_ID), col(s::PERSON_KEY)]);
        lf.join(
            keys,
            [col(s::PERSON_ID)],
            [col(s::PERSON_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(col(s::PERSON_KEY).alias(s::PERSON_ID))
        .drop(by_name([s::PERSON_KEY], true, false))
    }

    pub fn as_of(&self, r: Day) -> PolarsResult<Extract> {
        let (x, r_lit) = (
            lit(self.start).cast(DataType::Date),
            lit(r).cast(DataType::Date),
        );
        // person_id becomes a dense integer (the rank of the text id); the text id stays in
        // persons as `person_key`. Every later join, window and as-of join is on integers.
        let persons = self
            .persons
            .clone()
            .lazy()
            .sort([s::PERSON_ID], SortMultipleOptions::default())
            .with_row_index(ID, None)
            .with_column(
                when(col(s::EXIT_DATE).gt(r_lit.clone()))
                    .then(lit(NULL).cast(DataType::Date))
                    .otherwise(col(s::EXIT_DATE))
                    .alias(s::EXIT_DATE),
            )
            .rename([s::PERSON_ID, ID], [s::PERSON_KEY, s::PERSON_ID], true)
            .collect()?;
        let exits = persons.clone().lazy().select([
            col(s::PERSON_KEY),
            col(s::PERSON_ID).alias(ID),
            col(s::EXIT_DATE),
        ]);
        // Rows with the integer id in place of the text id, and the person's exit_date.
        let with_exit = |df: &DataFrame| {
            df.clone()
                .lazy()
                .join(
                    exits.clone(),
                    [col(s::PERSON_ID)],
                    [col(s::PERSON_KEY)],
                    JoinArgs::new(JoinType::Inner),
                )
                .with_column(col(ID).alias(s::PERSON_ID))
        };
        let before_exit = |c: &str| col(s::EXIT_DATE).is_null().or(col(c).lt(col(s::EXIT_DATE)));
        let periods = |df: &DataFrame| -> PolarsResult<DataFrame> {
            let cols: Vec<Expr> = df
                .get_column_names()
                .iter()
                .map(|c| col(c.as_str()))
                .collect();
            let exit_eve = (col(s::EXIT_DATE).cast(DataType::Int32) - lit(1)).cast(DataType::Date);
            let mut cols = cols;
            cols.push(col(s::REPORTED_START));
            with_exit(df)
                .with_column(col(s::START).alias(s::REPORTED_START))
                .with_columns([
                    max_horizontal([col(s::START), x.clone()])?.alias(s::START),
                    min_horizontal([
                        col(s::END).fill_null(r_lit.clone()),
                        r_lit.clone(),
                        exit_eve.fill_null(r_lit.clone()),
                    ])?
                    .alias(s::END),
                ])
                .filter(col(s::START).lt_eq(col(s::END)))
                .select(cols)
                .collect()
        };
        let dated = |df: &DataFrame, c: &str, from: Option<Expr>| -> PolarsResult<DataFrame> {
            let cols: Vec<Expr> = df
                .get_column_names()
                .iter()
                .map(|c| col(c.as_str()))
                .collect();
            let mut keep = col(c).lt_eq(r_lit.clone()).and(before_exit(c));
            if let Some(from) = from {
                keep = keep.and(col(c).gt_eq(from));
            }
            with_exit(df).filter(keep).select(cols).collect()
        };
        let paid_hours = with_exit(&self.paid_hours)
            .filter(
                col(s::MONTH)
                    .lt_eq(r_lit.clone())
                    .and(col(s::MONTH).gt_eq(x.clone()))
                    .and(
                        col(s::EXIT_DATE)
                            .is_null()
                            .or(col(s::MONTH).lt_eq(col(s::EXIT_DATE))),
                    ),
            )
            .group_by([col(s::PERSON_ID), col(s::MONTH)])
            .agg([
                col(s::HOURS).sum(),
                col(s::EARNINGS).sum().alias(s::EARNINGS),
            ])
            .sort([s::PERSON_ID, s::MONTH], SortMultipleOptions::default())
            .collect()?;
        Ok(Extract {
            persons,
            benefit_periods: periods(&self.benefit_periods)?,
            assessments: dated(&self.assessments, s::DATE, None)?,
            interventions: periods(&self.interventions)?,
            meetings: dated(&self.meetings, s::DATE, Some(x.clone()))?,
            paid_hours,
            start: self.start,
            end: r,
            inputs: self.inputs.clone(),
            sha256: self.sha256.clone(),
        })
    }
}

/// Working column: the integer person id while it replaces the text id.
const ID: &str = "__id";
