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

/// Rank of a status in STAR's exit hierarchy (MEASURES.md §2): a benefit code of the contract
/// (`schema::BENEFITS`) or one of the three statuses that are no benefit. Validation admits no
/// other benefit code, and a test checks that every code of the contract has a rank, so the
/// error is reached only if the contract gains a code without one.
fn rank(code: &str) -> PolarsResult<i32> {
    Ok(match code {
        DIED_EMIGRATED => 0,
        "a_dagpenge" => 1,
        "kontanthjaelp" => 5,
        "integrationsydelse" => 6,
        "uddannelseshjaelp" => 7,
        "revalidering" => 8,
        "ressourceforloeb" => 9,
        "jobafklaring" => 10,
        "sygedagpenge" => 11,
        "fleksjob" => 12,
        "ledighedsydelse" => 13,
        "foertidspension" => 14,
        "efterloen" | "folkepension" => 15,
        "su" => 16,
        EMPLOYMENT => 17,
        "barsel" | "other" => 18,
        SELF_SUPPORT => 19,
        _ => polars_bail!(ComputeError: "status `{}` has no rank in STAR's exit hierarchy", code),
    })
}

/// Every status code, alphabetically: the contract's benefits and the statuses that are none.
fn codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = s::BENEFITS
        .iter()
        .copied()
        .chain([DIED_EMIGRATED, EMPLOYMENT, SELF_SUPPORT])
        .collect();
    codes.sort_unstable();
    codes
}

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

/// Every status code with its key `rank · 100 + alphabetical position`: smaller key = higher
/// in the hierarchy, and no two codes share a key.
fn keys() -> PolarsResult<Vec<(&'static str, i32)>> {
    (0..)
        .zip(codes())
        .map(|(pos, code)| Ok((code, rank(code)? * 100 + pos)))
        .collect()
}

/// The key of one status code (see [`keys`]).
fn key_of(code: &str) -> PolarsResult<i32> {
    keys()?
        .into_iter()
        .find_map(|(c, key)| (c == code).then_some(key))
        .ok_or_else(|| polars_err!(ComputeError: "`{}` is not a status", code))
}

fn keys_frame() -> PolarsResult<LazyFrame> {
    let (codes, keys): (Vec<&str>, Vec<i32>) = keys()?.into_iter().unzip();
    Ok(df!(KEY => keys, STATUS => codes)?.lazy())
}

/// The status step function of every person: change points `(person_id, day, key)`.
pub fn steps(extract: &Extract) -> PolarsResult<LazyFrame> {
    // The chain covers every code of the contract; validation admits no other, so its null
    // start is never the result.
    let benefit_key =
        s::BENEFITS
            .iter()
            .try_fold(lit(NULL).cast(DataType::Int32), |acc, code| {
                Ok::<_, PolarsError>(
                    when(col(s::BENEFIT).eq(lit(*code)))
                        .then(lit(key_of(code)?))
                        .otherwise(acc),
                )
            })?;
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
            lit(key_of(EMPLOYMENT)?).alias(KEY),
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
            lit(key_of(DIED_EMIGRATED)?).alias(KEY),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dates::parse_iso;
    use crate::testing::{extract, Rows};

    /// The 19 status codes, alphabetically, with their positions:
    /// a_dagpenge 0, barsel 1, died_emigrated 2, efterloen 3, employment 4, fleksjob 5,
    /// foertidspension 6, folkepension 7, integrationsydelse 8, jobafklaring 9,
    /// kontanthjaelp 10, ledighedsydelse 11, other 12, ressourceforloeb 13, revalidering 14,
    /// self_support 15, su 16, sygedagpenge 17, uddannelseshjaelp 18.
    #[test]
    fn keys_are_rank_times_100_plus_alphabetical_position() {
        let key = |code| key_of(code).expect("a status");
        assert_eq!(key(DIED_EMIGRATED), 2); // rank 0
        assert_eq!(key("a_dagpenge"), 100); // rank 1, position 0
        assert_eq!(key("kontanthjaelp"), 510);
        // efterloen and folkepension share rank 15: the alphabetically first wins.
        assert_eq!((key("efterloen"), key("folkepension")), (1503, 1507));
        // employment (17) beats barsel and other (18).
        assert_eq!(key(EMPLOYMENT), 1704);
        assert_eq!((key("barsel"), key("other")), (1801, 1812));
        assert_eq!(key(SELF_SUPPORT), 1915);
    }

    #[test]
    fn every_benefit_of_the_contract_has_a_rank_and_nothing_else_does() {
        for benefit in s::BENEFITS {
            assert!(rank(benefit).is_ok(), "{benefit} has no rank");
        }
        assert_eq!(codes().len(), s::BENEFITS.len() + 3);
        let mut all: Vec<i32> = keys().expect("keys").iter().map(|(_, k)| *k).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), codes().len(), "keys are distinct");
        assert!(rank("arbejdsloes").is_err());
        assert!(key_of("arbejdsloes").is_err());
    }

    /// Status of `(person, day)` look-ups on a small extract, as text.
    fn statuses(rows: Rows<'_>, queries: &[(&str, &str)]) -> Vec<String> {
        let (_dir, ex) = extract("2020-01-01", "2024-12-31", rows);
        let ex = ex.as_of(ex.end).expect("as_of");
        let (people, days): (Vec<&str>, Vec<i32>) = queries
            .iter()
            .map(|(p, d)| (*p, parse_iso(d).expect("a date")))
            .unzip();
        let ids = ex
            .persons
            .clone()
            .lazy()
            .select([col(s::PERSON_ID), col(s::PERSON_KEY)]);
        let lf = df!(s::PERSON_KEY => people, "day" => days)
            .expect("frame")
            .lazy()
            .with_row_index("order", None)
            .join(
                ids,
                [col(s::PERSON_KEY)],
                [col(s::PERSON_KEY)],
                JoinArgs::new(JoinType::Left),
            );
        let out = on(lf, "day", steps(&ex).expect("steps"))
            .expect("on")
            .sort(["order"], SortMultipleOptions::default())
            .collect()
            .expect("collect");
        let column = out.column(STATUS).expect("status").str().expect("text");
        column.iter().map(|v| v.unwrap_or("").to_owned()).collect()
    }

    #[test]
    fn status_follows_the_hierarchy_on_hand_made_rows() {
        let got = statuses(
            Rows {
                persons: "a,1980,F,,,\nb,1980,M,,,2022-06-15\nc,1990,F,,,\n",
                benefit_periods: "a,kontanthjaelp,2021-01-01,2021-06-30,101\n\
                                  a,sygedagpenge,2021-03-01,2021-03-31,101\n\
                                  a,efterloen,2022-01-01,2022-12-31,101\n\
                                  a,folkepension,2022-01-01,2022-12-31,101\n\
                                  a,barsel,2023-01-01,2023-12-31,101\n\
                                  b,kontanthjaelp,2022-01-01,,101\n",
                paid_hours: "a,2021-02-01,0,0\n\
                             a,2021-04-01,5,500\n\
                             a,2023-05-01,10,1000\n",
                ..Rows::default()
            },
            &[
                ("a", "2020-12-31"), // nothing yet → self_support (rule 3)
                ("a", "2021-02-15"), // kontanthjaelp; 0 hours in February is no employment
                ("a", "2021-03-15"), // kontanthjaelp (5) beats sygedagpenge (11)
                ("a", "2021-04-15"), // kontanthjaelp (5) beats employment (17) in April
                ("a", "2021-07-01"), // the period ended 06-30, no hours → self_support
                ("a", "2022-06-01"), // efterloen = folkepension = 15 → alphabetically efterloen
                ("a", "2023-05-31"), // hours in May: employment (17) beats barsel (18)
                ("a", "2023-06-01"), // June has no hours → barsel
                ("b", "2022-06-14"), // the open period runs to exit_date − 1
                ("b", "2022-06-15"), // exit_date ≤ d → died_emigrated (rule 1)
                ("b", "2024-12-31"), // … and ever after
                ("c", "2021-01-01"), // no candidate at all → self_support
            ],
        );
        assert_eq!(
            got,
            [
                "self_support",
                "kontanthjaelp",
                "kontanthjaelp",
                "kontanthjaelp",
                "self_support",
                "efterloen",
                "employment",
                "barsel",
                "kontanthjaelp",
                "died_emigrated",
                "died_emigrated",
                "self_support",
            ]
        );
    }

    #[test]
    fn exit_classes_follow_measures_section_2() {
        let codes = [
            EMPLOYMENT,
            SELF_SUPPORT,
            "su",
            "sygedagpenge",
            "foertidspension",
            "kontanthjaelp",
            "barsel",
            DIED_EMIGRATED,
        ];
        let out = df!(STATUS => codes)
            .expect("frame")
            .lazy()
            .select([exit_class(col(STATUS)).alias("class")])
            .collect()
            .expect("collect");
        let classes: Vec<&str> = out
            .column("class")
            .expect("class")
            .str()
            .expect("text")
            .iter()
            .map(|v| v.unwrap_or(""))
            .collect();
        // work = employment, self_support; education = su; health includes sygedagpenge and
        // foertidspension; everything else, died_emigrated too, is other.
        assert_eq!(
            classes,
            [
                "work",
                "work",
                "education",
                "health",
                "health",
                "other",
                "other",
                "other"
            ]
        );
    }
}
