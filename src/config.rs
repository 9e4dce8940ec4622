//! Run configuration: `forloeb.toml` (MEASURES.md §0) merged with flags, validated before any
//! work, and the report period resolved against the extract.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use toml::value::Datetime;

use crate::dates::{self, Day};
use crate::error::Error;
use crate::hash;
use crate::schema;

pub const DEFAULT_CONFIG_FILE: &str = "forloeb.toml";
pub const DEFAULT_TARGET_BENEFITS: &[&str] = &["kontanthjaelp"];
/// Gaps of at most this many days do not end a spell (DST bridges ≤ 28 days).
pub const DEFAULT_GAP_DAYS: i32 = 28;
/// Long-term: on benefit more than two years.
pub const DEFAULT_LONG_TERM_DAYS: i32 = 730;
pub const DEFAULT_HORIZONS_DAYS: &[i32] = &[91, 183, 365, 730, 1096];
/// jobindsats reads exit status 30, 92, 182 and 365 days after the last payment.
pub const DEFAULT_STATUS_LAGS_DAYS: &[i32] = &[30, 92, 182, 365];
pub const DEFAULT_ENTRY_GROUP_WINDOW_DAYS: i32 = 30;
pub const DEFAULT_ACTIVATION_KINDS: &[&str] = &[
    "virksomhedspraktik",
    "loentilskud",
    "vejledning_opkvalificering",
    "nytteindsats",
];
pub const DEFAULT_COMPANY_KINDS: &[&str] = &["virksomhedspraktik", "loentilskud"];
/// Disclosure threshold; the health data agency uses 5.
pub const DEFAULT_MIN_CELL: u32 = 5;
/// DST's research service forbids cells under 3 persons: no configuration may go lower.
pub const MIN_CELL_FLOOR: u32 = 3;
pub const DEFAULT_CONFIDENCE: f64 = 0.95;
pub const DEFAULT_SEED: u64 = 1;

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| (*s).to_owned()).collect()
}

/// Every key of MEASURES.md §0; all optional in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_start: Option<Datetime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_end: Option<Datetime>,
    pub target_benefits: Vec<String>,
    pub gap_days: i32,
    pub long_term_days: i32,
    pub horizons_days: Vec<i32>,
    pub status_lags_days: Vec<i32>,
    pub entry_group_window_days: i32,
    pub activation_kinds: Vec<String>,
    pub company_kinds: Vec<String>,
    pub min_cell: u32,
    pub confidence: f64,
    pub seed: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            period_start: None,
            period_end: None,
            target_benefits: strings(DEFAULT_TARGET_BENEFITS),
            gap_days: DEFAULT_GAP_DAYS,
            long_term_days: DEFAULT_LONG_TERM_DAYS,
            horizons_days: DEFAULT_HORIZONS_DAYS.to_vec(),
            status_lags_days: DEFAULT_STATUS_LAGS_DAYS.to_vec(),
            entry_group_window_days: DEFAULT_ENTRY_GROUP_WINDOW_DAYS,
            activation_kinds: strings(DEFAULT_ACTIVATION_KINDS),
            company_kinds: strings(DEFAULT_COMPANY_KINDS),
            min_cell: DEFAULT_MIN_CELL,
            confidence: DEFAULT_CONFIDENCE,
            seed: DEFAULT_SEED,
        }
    }
}

impl Config {
    /// Reads `path`, or `./forloeb.toml` when no path is given and that file exists, else the
    /// defaults. Returns the configuration and the file it came from.
    pub fn load(path: Option<&Path>) -> Result<(Config, Option<PathBuf>), Error> {
        let path = match path {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.is_file()),
        };
        let Some(path) = path else {
            return Ok((Config::default(), None));
        };
        let text = std::fs::read_to_string(&path).map_err(|e| Error::Config {
            path: path.clone(),
            message: format!(
                "cannot be read ({e}); give an existing TOML file, or leave out --config for the \
                 defaults"
            ),
        })?;
        let config = Config::parse(&text, &path)?;
        Ok((config, Some(path)))
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        let config: Config = toml::from_str(text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        config.check().map_err(|message| Error::Config {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(config)
    }

    /// Refuses values no run can use.
    fn check(&self) -> Result<(), String> {
        if self.min_cell < MIN_CELL_FLOOR {
            return Err(format!(
                "min_cell = {}: DST forbids cells under {MIN_CELL_FLOOR} persons; expected min_cell ≥ {MIN_CELL_FLOOR}",
                self.min_cell
            ));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(format!(
                "confidence = {}; expected a number strictly between 0 and 1",
                self.confidence
            ));
        }
        let non_negative = [
            ("gap_days", self.gap_days),
            ("long_term_days", self.long_term_days),
            ("entry_group_window_days", self.entry_group_window_days),
        ];
        for (key, v) in non_negative {
            if v < 0 {
                return Err(format!("{key} = {v}; expected a number of days ≥ 0"));
            }
        }
        for (key, xs) in [
            ("horizons_days", &self.horizons_days),
            ("status_lags_days", &self.status_lags_days),
        ] {
            if xs.is_empty() || xs.iter().any(|&x| x <= 0) || xs.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!(
                    "{key} = {xs:?}; expected a non-empty, strictly increasing list of positive days"
                ));
            }
        }
        for (key, xs, codes) in [
            ("target_benefits", &self.target_benefits, schema::BENEFITS),
            (
                "activation_kinds",
                &self.activation_kinds,
                schema::INTERVENTION_KINDS,
            ),
            (
                "company_kinds",
                &self.company_kinds,
                schema::INTERVENTION_KINDS,
            ),
        ] {
            if key == "target_benefits" && xs.is_empty() {
                return Err("target_benefits is empty; expected at least one benefit code".into());
            }
            if let Some(bad) = xs.iter().find(|x| !codes.contains(&x.as_str())) {
                return Err(format!(
                    "{key} contains '{bad}'; expected codes from: {}",
                    codes.join(", ")
                ));
            }
        }
        for (key, d) in [
            ("period_start", &self.period_start),
            ("period_end", &self.period_end),
        ] {
            if let Some(d) = d {
                dates::datetime_day(d).ok_or_else(|| {
                    format!("{key} = {d}; expected a date YYYY-MM-DD without a time")
                })?;
            }
        }
        if self.period_start.is_some() != self.period_end.is_some() {
            return Err("period_start and period_end must be given together".into());
        }
        Ok(())
    }
}

fn day_datetime(day: Day) -> Result<Datetime, Error> {
    dates::iso(day).parse().map_err(|e| {
        Error::Internal(format!(
            "date {} cannot be written as TOML: {e}",
            dates::iso(day)
        ))
    })
}

/// The report period P = [start, end]; R = end is the reference date (MEASURES.md §0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: Day,
    pub end: Day,
}

impl Period {
    /// `|P|` in days.
    pub fn days(&self) -> i64 {
        i64::from(self.end - self.start) + 1
    }

    /// The report folder's label: the year for a calendar year, else `YYYY-MM-DD_YYYY-MM-DD`.
    pub fn label(&self) -> String {
        let y = dates::year_of(self.start);
        if Some(self.start) == dates::ymd(y, 1, 1) && Some(self.end) == dates::ymd(y, 12, 31) {
            y.to_string()
        } else {
            format!("{}_{}", dates::iso(self.start), dates::iso(self.end))
        }
    }

    /// Chooses P: `--year`, else `--period`, else the configuration's period, else the last
    /// calendar year wholly inside `[x, e]`. A period reaching outside `[x, e]` is refused.
    pub fn resolve(
        year: Option<i32>,
        period: Option<(Day, Day)>,
        config: &Config,
        x: Day,
        e: Day,
    ) -> Result<Period, Error> {
        let from_year = |y: i32| -> Result<(Day, Day), Error> {
            match (dates::ymd(y, 1, 1), dates::ymd(y, 12, 31)) {
                (Some(a), Some(b)) => Ok((a, b)),
                _ => Err(Error::Request(format!("year {y} is not a calendar year"))),
            }
        };
        let configured = match (&config.period_start, &config.period_end) {
            (Some(a), Some(b)) => dates::datetime_day(a).zip(dates::datetime_day(b)),
            _ => None,
        };
        let (start, end) = if let Some(y) = year {
            from_year(y)?
        } else if let Some(p) = period.or(configured) {
            p
        } else {
            let last_full = if dates::ymd(dates::year_of(e), 12, 31) == Some(e) {
                dates::year_of(e)
            } else {
                dates::year_of(e) - 1
            };
            let (a, b) = from_year(last_full)?;
            if a < x {
                return Err(Error::Request(format!(
                    "the extract covers {}..{}, which holds no whole calendar year; \
                     give --period A..B inside it",
                    dates::iso(x),
                    dates::iso(e)
                )));
            }
            (a, b)
        };
        if end < start {
            return Err(Error::Request(format!(
                "the period {}..{} ends before it starts",
                dates::iso(start),
                dates::iso(end)
            )));
        }
        if start < x || end > e {
            return Err(Error::Request(format!(
                "the period {}..{} reaches outside the extract {}..{}; expected a period inside it",
                dates::iso(start),
                dates::iso(end),
                dates::iso(x),
                dates::iso(e)
            )));
        }
        Ok(Period { start, end })
    }
}

/// The configuration in force for one run, with the period resolved; written to the manifest.
#[derive(Debug, Clone)]
pub struct Effective {
    pub config: Config,
    pub period: Period,
}

impl Effective {
    pub fn new(config: &Config, period: Period) -> Result<Self, Error> {
        let mut config = config.clone();
        config.period_start = Some(day_datetime(period.start)?);
        config.period_end = Some(day_datetime(period.end)?);
        Ok(Effective { config, period })
    }

    /// The effective configuration as TOML with keys sorted (`toml::Table` is a BTreeMap).
    pub fn to_toml(&self) -> Result<String, Error> {
        let fail = |e: &dyn std::fmt::Display| {
            Error::Internal(format!("configuration cannot be written as TOML: {e}"))
        };
        // Dates go in as TOML dates; serde would write toml's private datetime wrapper.
        let plain = Config {
            period_start: None,
            period_end: None,
            ..self.config.clone()
        };
        let mut table = toml::Table::try_from(&plain).map_err(|e| fail(&e))?;
        for (key, day) in [
            ("period_start", self.period.start),
            ("period_end", self.period.end),
        ] {
            table.insert(key.into(), toml::Value::Datetime(day_datetime(day)?));
        }
        toml::to_string(&table).map_err(|e| fail(&e))
    }

    /// sha256 of `to_toml()` (MEASURES.md §8 `config_sha256`).
    pub fn sha256(&self) -> Result<String, Error> {
        Ok(hash::hex(&Sha256::digest(self.to_toml()?.as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        dates::parse_iso(s).unwrap()
    }

    #[test]
    fn min_cell_below_three_is_refused() {
        let err = Config::parse("min_cell = 2", Path::new("f.toml")).unwrap_err();
        assert!(err.to_string().contains("min_cell"), "{err}");
        assert_eq!(err.exit_code(), 2);
        assert!(Config::parse("min_cell = 3", Path::new("f.toml")).is_ok());
    }

    #[test]
    fn unknown_key_and_bad_code_are_refused() {
        assert!(Config::parse("gap_dayz = 3", Path::new("f.toml")).is_err());
        assert!(Config::parse("target_benefits = [\"cash\"]", Path::new("f.toml")).is_err());
        assert!(Config::parse("horizons_days = [10, 5]", Path::new("f.toml")).is_err());
    }

    #[test]
    fn every_key_parses() {
        let text = r#"
            period_start = 2020-01-01
            period_end = 2020-06-30
            target_benefits = ["kontanthjaelp", "uddannelseshjaelp"]
            gap_days = 31
            long_term_days = 365
            horizons_days = [91, 183]
            status_lags_days = [30]
            entry_group_window_days = 14
            activation_kinds = ["virksomhedspraktik"]
            company_kinds = ["loentilskud"]
            min_cell = 3
            confidence = 0.9
            seed = 7
        "#;
        let c = Config::parse(text, Path::new("f.toml")).unwrap();
        assert_eq!(c.gap_days, 31);
        let p = Period::resolve(None, None, &c, day("2015-01-01"), day("2024-12-31")).unwrap();
        assert_eq!(p.label(), "2020-01-01_2020-06-30");
    }

    #[test]
    fn default_period_is_last_whole_year() {
        let c = Config::default();
        let x = day("2015-01-01");
        let p = Period::resolve(None, None, &c, x, day("2024-12-31")).unwrap();
        assert_eq!(
            (p.start, p.end, p.label()),
            (day("2024-01-01"), day("2024-12-31"), "2024".into())
        );
        let p = Period::resolve(None, None, &c, x, day("2024-12-30")).unwrap();
        assert_eq!(p.label(), "2023");
        assert!(Period::resolve(None, None, &c, day("2024-02-01"), day("2024-12-30")).is_err());
        assert!(Period::resolve(Some(2025), None, &c, x, day("2024-12-31")).is_err());
    }

    #[test]
    fn effective_toml_is_sorted_and_hash_stable() {
        let c = Config::default();
        let p =
            Period::resolve(Some(2020), None, &c, day("2015-01-01"), day("2024-12-31")).unwrap();
        let e = Effective::new(&c, p).unwrap();
        let text = e.to_toml().unwrap();
        let keys: Vec<&str> = text.lines().filter_map(|l| l.split(" = ").next()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(text.contains("period_start = 2020-01-01"));
        assert_eq!(
            e.sha256().unwrap(),
            Effective::new(&c, p).unwrap().sha256().unwrap()
        );
    }
}
