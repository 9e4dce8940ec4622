//! Calendar days as Polars stores them: `i32` days since 1970-01-01. The pipeline does its day
//! arithmetic on these integers (MEASURES.md: `|[a, b]| = b - a + 1`).

use chrono::{Datelike, NaiveDate};
use toml::value::Datetime;

/// Days since 1970-01-01 (the physical value of a Polars `Date`).
pub type Day = i32;

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => panic!("1970-01-01 is a date"),
};

pub fn to_day(d: NaiveDate) -> Day {
    // Dates of the contract lie within ±5.8 million years of 1970, so the cast cannot truncate.
    (d - EPOCH).num_days() as Day
}

pub fn from_day(day: Day) -> NaiveDate {
    EPOCH + chrono::Duration::days(i64::from(day))
}

/// The day of `y-m-d`; `None` for an impossible date.
pub fn ymd(y: i32, m: u32, d: u32) -> Option<Day> {
    NaiveDate::from_ymd_opt(y, m, d).map(to_day)
}

pub fn year_of(day: Day) -> i32 {
    from_day(day).year()
}

/// ISO `YYYY-MM-DD`.
pub fn iso(day: Day) -> String {
    from_day(day).format("%Y-%m-%d").to_string()
}

/// Parses ISO `YYYY-MM-DD`.
pub fn parse_iso(s: &str) -> Option<Day> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .map(to_day)
}

/// The day of a TOML local date (a date without time or offset): how `forloeb.toml` and
/// `extract.toml` write dates. A time or an offset makes it `None`, since a day is meant.
pub fn datetime_day(d: &Datetime) -> Option<Day> {
    match (d.date, d.time, d.offset) {
        (Some(date), None, None) => ymd(
            i32::from(date.year),
            u32::from(date.month),
            u32::from(date.day),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_arithmetic() {
        let d = parse_iso("2024-12-31").unwrap();
        assert_eq!(iso(d), "2024-12-31");
        assert_eq!(d - parse_iso("2024-01-01").unwrap() + 1, 366);
        assert_eq!(year_of(d), 2024);
        assert_eq!(ymd(1970, 1, 1), Some(0));
        assert_eq!(parse_iso("2023-13-01"), None);
    }
}

/// Polars expressions on i32 day columns (days since 1970-01-01).
pub mod expr {
    use polars::prelude::*;

    /// First day of the month of day `d`.
    pub fn month_start(d: Expr) -> Expr {
        d.clone() - d.cast(DataType::Date).dt().day().cast(DataType::Int32) + lit(1)
    }

    /// Last day of the month of day `d`.
    pub fn month_end(d: Expr) -> Expr {
        let start = month_start(d);
        start.clone()
            + start
                .cast(DataType::Date)
                .dt()
                .days_in_month()
                .cast(DataType::Int32)
            - lit(1)
    }

    /// First day of the month after the month of `d`.
    pub fn next_month(d: Expr) -> Expr {
        month_end(d) + lit(1)
    }

    /// First day of the same month one year later: 366 days after a month's first day always
    /// falls on the first or second day of that month.
    pub fn same_month_next_year(d: Expr) -> Expr {
        month_start(month_start(d) + lit(366))
    }
}
