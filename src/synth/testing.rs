//! Test support shared by the synth tests: options for a small extract and column readers.

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;

use chrono::NaiveDate;
use polars::prelude::{DataFrame, DataType, ParquetReader, SerReader};

use super::{SynthFormat, SynthOptions};
use crate::dates::Day;

pub(super) const X: (i32, u32, u32) = (2015, 1, 1);
pub(super) const E: (i32, u32, u32) = (2024, 12, 31);

pub(super) fn options(out: &Path, persons: u64, seed: u64, format: SynthFormat) -> SynthOptions {
    SynthOptions {
        persons,
        seed,
        out: out.to_path_buf(),
        start: NaiveDate::from_ymd_opt(X.0, X.1, X.2).unwrap(),
        end: NaiveDate::from_ymd_opt(E.0, E.1, E.2).unwrap(),
        format,
        oversample: Vec::new(),
    }
}

pub(super) fn read_parquet(dir: &Path, table: &str) -> DataFrame {
    let file = File::open(dir.join(format!("{table}.parquet"))).unwrap();
    ParquetReader::new(file).finish().unwrap()
}

pub(super) fn strs<'a>(df: &'a DataFrame, name: &str) -> Vec<Option<&'a str>> {
    df.column(name).unwrap().str().unwrap().iter().collect()
}

pub(super) fn ints(df: &DataFrame, name: &str) -> Vec<Option<i32>> {
    df.column(name).unwrap().i32().unwrap().iter().collect()
}

pub(super) fn days(df: &DataFrame, name: &str) -> Vec<Option<Day>> {
    let c = df.column(name).unwrap();
    assert_eq!(c.dtype(), &DataType::Date, "{name}");
    c.cast(&DataType::Int32)
        .unwrap()
        .i32()
        .unwrap()
        .iter()
        .collect()
}

/// Checks every value against the code list; returns the codes used.
pub(super) fn check_codes<'a>(
    df: &'a DataFrame,
    name: &str,
    codes: &[&str],
    nullable: bool,
) -> HashSet<&'a str> {
    let mut used = HashSet::new();
    for v in strs(df, name) {
        match v {
            Some(v) => {
                assert!(codes.contains(&v), "{name}: unknown code {v}");
                used.insert(v);
            }
            None => assert!(nullable, "{name}: null"),
        }
    }
    used
}
