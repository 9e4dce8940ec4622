//! Test support: a small extract written from inline CSV rows into a temporary folder and
//! loaded through the real ingest path.

use tempfile::TempDir;

use crate::extract::{self, Extract};

/// CSV bodies (without header) of the six tables; empty string = no rows.
#[derive(Debug, Default, Clone, Copy)]
pub struct Rows<'a> {
    pub persons: &'a str,
    pub benefit_periods: &'a str,
    pub assessments: &'a str,
    pub interventions: &'a str,
    pub meetings: &'a str,
    pub paid_hours: &'a str,
}

/// Writes the rows as an extract covering `x..e` and loads it. Panics on invalid input (tests).
pub fn extract(x: &str, e: &str, rows: Rows<'_>) -> (TempDir, Extract) {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, header: &str, body: &str| {
        std::fs::write(dir.path().join(name), format!("{header}\n{body}")).expect("write");
    };
    write(
        "extract.toml",
        "",
        &format!("extract_start = {x}\nextract_end = {e}\n"),
    );
    write(
        "persons.csv",
        "person_id,birth_year,sex,origin,education,exit_date",
        rows.persons,
    );
    write(
        "benefit_periods.csv",
        "person_id,benefit,start,end,municipality",
        rows.benefit_periods,
    );
    write("assessments.csv", "person_id,date,group", rows.assessments);
    write(
        "interventions.csv",
        "person_id,kind,start,end",
        rows.interventions,
    );
    write("meetings.csv", "person_id,date,kind,status", rows.meetings);
    write(
        "paid_hours.csv",
        "person_id,month,hours,earnings_dkk",
        rows.paid_hours,
    );
    match extract::load(dir.path()) {
        Ok((extract, _)) => (dir, extract),
        Err(e) => panic!("test extract is invalid: {e}"),
    }
}
