//! `Ex`: a small register extract written from rows, for tests whose answers are known by
//! construction, and the one place the tests call `forloeb::compute` and look a table up by name.
//! Every person named in any table gets a persons row (born 1980, M, danish, basic, unless
//! [`Ex::person`] says otherwise).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use forloeb::dates::{self, Day};
use forloeb::RunRequest;
use polars::prelude::*;

pub(crate) fn d(s: &str) -> Day {
    dates::parse_iso(s).expect("valid ISO date")
}

pub(crate) fn iso(day: Day) -> String {
    dates::iso(day)
}

/// First day of month `m` of year `y`.
pub(crate) fn month(y: i32, m: u32) -> Day {
    dates::ymd(y, m, 1).expect("valid month")
}

/// The first days of the `n` consecutive months starting with `y-m`.
pub(crate) fn months(y: i32, m: u32, n: u32) -> Vec<Day> {
    (0..n)
        .map(|i| {
            let k = (m - 1) + i;
            month(y + (k / 12) as i32, k % 12 + 1)
        })
        .collect()
}

/// A small extract written from rows; every person named in any table gets a persons row.
#[derive(Default)]
pub(crate) struct Ex {
    persons: BTreeMap<String, Option<Day>>,
    /// `birth_year,sex,origin,education` of persons that are not the default.
    attributes: BTreeMap<String, String>,
    periods: String,
    assessments: String,
    interventions: String,
    meetings: String,
    hours: String,
}

fn opt(day: Option<Day>) -> String {
    day.map(iso).unwrap_or_default()
}

impl Ex {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    fn who(&mut self, id: &str) {
        self.persons.entry(id.to_owned()).or_insert(None);
    }

    pub(crate) fn exit(&mut self, id: &str, day: Day) -> &mut Self {
        self.persons.insert(id.to_owned(), Some(day));
        self
    }

    /// Birth year, sex, origin and education of `id` (`None`: empty, i.e. null).
    pub(crate) fn person(
        &mut self,
        id: &str,
        birth_year: i32,
        sex: &str,
        origin: Option<&str>,
        education: Option<&str>,
    ) -> &mut Self {
        self.who(id);
        let (o, e) = (origin.unwrap_or(""), education.unwrap_or(""));
        self.attributes
            .insert(id.to_owned(), format!("{birth_year},{sex},{o},{e}"));
        self
    }

    pub(crate) fn period(
        &mut self,
        id: &str,
        benefit: &str,
        start: Day,
        end: Option<Day>,
        muni: i32,
    ) -> &mut Self {
        self.who(id);
        let _ = writeln!(
            self.periods,
            "{id},{benefit},{},{},{muni}",
            iso(start),
            opt(end)
        );
        self
    }

    /// A kontanthjaelp (target) period.
    pub(crate) fn kh(&mut self, id: &str, start: Day, end: Option<Day>, muni: i32) -> &mut Self {
        self.period(id, "kontanthjaelp", start, end, muni)
    }

    pub(crate) fn assess(&mut self, id: &str, date: Day, group: &str) -> &mut Self {
        self.who(id);
        let _ = writeln!(self.assessments, "{id},{},{group}", iso(date));
        self
    }

    pub(crate) fn offer(
        &mut self,
        id: &str,
        kind: &str,
        start: Day,
        end: Option<Day>,
    ) -> &mut Self {
        self.who(id);
        let _ = writeln!(
            self.interventions,
            "{id},{kind},{},{}",
            iso(start),
            opt(end)
        );
        self
    }

    pub(crate) fn meeting(&mut self, id: &str, date: Day, status: &str) -> &mut Self {
        self.who(id);
        let _ = writeln!(self.meetings, "{id},{},individual,{status}", iso(date));
        self
    }

    pub(crate) fn held(&mut self, id: &str, days: &[Day]) -> &mut Self {
        for &day in days {
            self.meeting(id, day, "held");
        }
        self
    }

    pub(crate) fn hours(&mut self, id: &str, month: Day, hours: f64) -> &mut Self {
        self.who(id);
        let _ = writeln!(self.hours, "{id},{},{hours},", iso(month));
        self
    }

    /// Writes the extract covering `x..e` (an `extract.toml` with both dates) into `dir`.
    pub(crate) fn write_to(&self, dir: &Path, x: &str, e: &str) {
        let write = |name: &str, header: &str, body: &str| {
            std::fs::write(dir.join(name), format!("{header}\n{body}")).expect("write");
        };
        std::fs::write(
            dir.join("extract.toml"),
            format!("extract_start = {x}\nextract_end = {e}\n"),
        )
        .expect("write");
        let mut persons = String::new();
        for (id, exit) in &self.persons {
            let attributes = self
                .attributes
                .get(id)
                .map_or("1980,M,danish,basic", String::as_str);
            let _ = writeln!(persons, "{id},{attributes},{}", opt(*exit));
        }
        write(
            "persons.csv",
            "person_id,birth_year,sex,origin,education,exit_date",
            &persons,
        );
        write(
            "benefit_periods.csv",
            "person_id,benefit,start,end,municipality",
            &self.periods,
        );
        write("assessments.csv", "person_id,date,group", &self.assessments);
        write(
            "interventions.csv",
            "person_id,kind,start,end",
            &self.interventions,
        );
        write("meetings.csv", "person_id,date,kind,status", &self.meetings);
        write(
            "paid_hours.csv",
            "person_id,month,hours,earnings_dkk",
            &self.hours,
        );
    }

    /// Writes the extract covering `x..e` into a temporary folder and runs the pipeline up to
    /// the unprotected tables for `--year` or `--period`.
    pub(crate) fn computed(
        &self,
        x: &str,
        e: &str,
        year: Option<i32>,
        period: Option<(Day, Day)>,
    ) -> Tables {
        let dir = tempfile::tempdir().expect("tempdir");
        self.write_to(dir.path(), x, e);
        let request = RunRequest {
            extract: dir.path().to_path_buf(),
            year,
            period,
            ..RunRequest::default()
        };
        compute(&request)
    }
}

/// The unprotected tables of one computed report, looked up by name with [`Tables::table`].
pub(crate) struct Tables {
    computed: forloeb::Computed,
}

/// The one call of `forloeb::compute` in the value tests; panics with the error's message.
pub(crate) fn compute(request: &RunRequest) -> Tables {
    match forloeb::compute(request, &mut ()) {
        Ok(computed) => Tables { computed },
        Err(e) => panic!("compute failed: {e}"),
    }
}

impl Tables {
    /// The table called `name` (MEASURES.md §8), unprotected (small cells visible).
    pub(crate) fn table(&self, name: &str) -> &DataFrame {
        match self
            .computed
            .tables
            .tables
            .iter()
            .find(|t| t.id.name() == name)
        {
            Some(t) => &t.df,
            None => panic!("no table {name}"),
        }
    }

    /// What was not computed and why (for the manifest).
    pub(crate) fn notes(&self) -> &[String] {
        &self.computed.tables.notes
    }

    /// The table called `name` as published: after disclosure control with the shipped peer
    /// groups (the `benchmark` table exists only here).
    pub(crate) fn published(&self, name: &str) -> DataFrame {
        let hierarchy = forloeb::disclosure::Hierarchy::new(
            &forloeb::reference::Reference::load(None).expect("shipped reference"),
        )
        .expect("hierarchy");
        let safe = forloeb::disclosure::apply(
            self.computed.tables.clone(),
            &self.computed.effective.config,
            &hierarchy,
        )
        .expect("disclosure");
        match safe.tables().iter().find(|t| t.name() == name) {
            Some(t) => t.df().clone(),
            None => panic!("no published table {name}"),
        }
    }
}
