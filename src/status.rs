//! Status of a person on a day (MEASURES.md §2), STAR's exit hierarchy:
//! 1. `died_emigrated` when `exit_date ≤ d`;
//! 2. else the candidate with the lowest rank (ties: alphabetically first code) among every
//!    benefit whose period (effective end) covers d and `employment` when the paid hours of d's
//!    month are > 0;
//! 3. else `self_support` (rank 19).
//!
//! Why: where people go when a spell ends (and whether they are in work a year after entry) is
//! read from the registers at fixed lags, as jobindsats does.
//!
//! How: the whole hierarchy is one step function per person. Every candidate interval (benefit
//! periods, months with paid hours, `[exit_date, ∞)`) gets the key `rank · 100 + alphabetical
//! position`, so "lowest rank, ties alphabetical" is "smallest key", which
//! `intervals::cover_steps` computes once; any number of status look-ups are then backward as-of
//! joins. No person-day rows.

use polars::prelude::*;

use crate::dates;
use crate::extract::Extract;
use crate::intervals;
use crate::schema as s;

pub const STATUS: &str = "status";
pub const EMPLOYMENT: &str = "employment";
pub const SELF_SUPPORT: &str = "self_support";
pub const DIED_EMIGRATED: &str = "died_emigrated";
const KEY: &str = "__status_key";
/// A day far beyond any extract: the open end of `[exit_date, ∞)`.
const FOREVER: i32 = 1_000_000;

/// STAR's exit hierarchy (rank per status code); `died_emigrated` comes first by rule 1.
pub const RANKS: &[(&str, i32)] = &[
    (DIED_EMIGRATED, 0),
    ("a_dagpenge", 1),
    ("kontanthjaelp", 5),
    ("integrationsydelse", 6),
    ("uddannelseshjaelp", 7),
    ("revalidering", 8),
    ("ressourceforloeb", 9),
    ("jobafklaring", 10),
    ("sygedagpenge", 11),
    ("fleksjob", 12),
    ("ledighedsydelse", 13),
    ("foertidspension", 14),
    ("efterloen", 15),
    ("folkepension", 15),
    ("su", 16),
    (EMPLOYMENT, 17),
    ("barsel", 18),
    ("other", 18),
    (SELF_SUPPORT, 19),
];

/// Exit classes for competing risks (MEASURES.md §2); every other status is `other`.
pub const EXIT_CLASSES: &[(&str, &[&str])] = &[
    ("work", &[EMPLOYMENT, SELF_SUPPORT]),
    ("education", &["su"]),
    (
        "health",
        &[
            "sygedagpenge",
            "ressourceforloeb",
            "jobafklaring",
            "revalidering",
            "fleksjob",
            "ledighedsydelse",
            "foertidspension",
        ],
    ),
    ("other", &[]),
];

/// `rank · 100 + alphabetical position`: smaller key = higher in the hierarchy.
fn key_of(code: &str) -> i32 {
    let mut codes: Vec<&str> = RANKS.iter().map(|(c, _)| *c).collect();
    codes.sort_unstable();
    let pos = codes.iter().position(|c| *c == code).unwrap_or(0) as i32;
    let rank = RANKS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(19, |(_, r)| *r);
    rank * 100 + pos
}

fn keys_frame() -> PolarsResult<LazyFrame> {
    let codes: Vec<&str> = RANKS.iter().map(|(c, _)| *c).collect();
    let keys: Vec<i32> = codes.iter().map(|c| key_of(c)).collect();
    Ok(df!(KEY => keys, STATUS => codes)?.lazy())
}

/// The status step function of every person: change points `(person_id, day, key)`.
pub fn steps(extract: &Extract) -> PolarsResult<LazyFrame> {
    let benefit_key = RANKS
        .iter()
        .fold(lit(NULL).cast(DataType::Int32), |acc, (code, _)| {
            when(col(s::BENEFIT).eq(lit(*code)))
                .then(lit(key_of(code)))
                .otherwise(acc)
        });
    let benefits = extract.benefit_periods.clone().lazy().select([
        col(s::PERSON_ID),
        benefit_key.alias(KEY),
        col(s::START).cast(DataType::Int32),
        col(s::END).cast(DataType::Int32),
    ]);
    let employment = extract
        .paid_hours
        .clone()
        .lazy()
        .filter(col(s::HOURS).gt(lit(0.0)))
        .select([
            col(s::PERSON_ID),
            lit(key_of(EMPLOYMENT)).alias(KEY),
            col(s::MONTH).cast(DataType::Int32).alias(s::START),
            dates::expr::month_end(col(s::MONTH).cast(DataType::Int32)).alias(s::END),
        ]);
    let gone = extract
        .persons
        .clone()
        .lazy()
        .filter(col(s::EXIT_DATE).is_not_null())
        .select([
            col(s::PERSON_ID),
            lit(key_of(DIED_EMIGRATED)).alias(KEY),
            col(s::EXIT_DATE).cast(DataType::Int32).alias(s::START),
            lit(FOREVER).alias(s::END),
        ]);
    let candidates = concat([benefits, employment, gone], UnionArgs::default())?;
    intervals::cover_steps(candidates, KEY, s::START, s::END)
}

/// Adds `STATUS` for the i32 day column `day` of each row of `lf` (which has `person_id`).
pub fn on(lf: LazyFrame, day: &str, steps: LazyFrame) -> PolarsResult<LazyFrame> {
    Ok(intervals::value_on(lf, day, steps, &[KEY])
        .join(
            keys_frame()?,
            [col(KEY)],
            [col(KEY)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(col(STATUS).fill_null(lit(SELF_SUPPORT)))
        .drop(by_name([KEY], true, false)))
}

/// The exit class of a status column (MEASURES.md §2).
pub fn exit_class(status: Expr) -> Expr {
    EXIT_CLASSES
        .iter()
        .rev()
        .fold(lit("other"), |acc, (class, members)| {
            if members.is_empty() {
                return acc;
            }
            let codes = Series::new("codes".into(), *members);
            when(s::is_one_of(status.clone(), codes))
                .then(lit(*class))
                .otherwise(acc)
        })
}
