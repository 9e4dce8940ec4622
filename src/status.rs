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
//! periods, months with paid hours, `[exit_date, ∞)`) carries its status; in the order of the
//! hierarchy (`rank · 100 + alphabetical position`, smallest first) "lowest rank, ties
//! alphabetical" is "first in that order", which [`steps`] computes once; any number of status
//! look-ups are then backward as-of joins. No person-day rows.

use std::ops::Range;

use polars::prelude::*;
use rayon::prelude::*;

use crate::dates;
use crate::extract::Extract;
use crate::schema as s;
use crate::spells::{person_day, PERSON_UNIT};

pub const STATUS: &str = "status";
pub const EMPLOYMENT: &str = "employment";
pub const SELF_SUPPORT: &str = "self_support";
pub const DIED_EMIGRATED: &str = "died_emigrated";
const KEY: &str = "__status_key";
/// Change point of the step function as [`person_day`].
const AT: &str = "__status_day";

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
#[cfg(test)]
fn key_of(code: &str) -> PolarsResult<i32> {
    keys()?
        .into_iter()
        .find_map(|(c, key)| (c == code).then_some(key))
        .ok_or_else(|| polars_err!(ComputeError: "`{}` is not a status", code))
}

/// Every status code in the order of the hierarchy (smallest key first): the categories of
/// [`status_dtype`], so that "smallest key" is "smallest category index".
fn hierarchy() -> PolarsResult<Vec<&'static str>> {
    let mut keys = keys()?;
    keys.sort_unstable_by_key(|(_, key)| *key);
    Ok(keys.into_iter().map(|(code, _)| code).collect())
}

/// The status codes as an Enum in hierarchy order (one byte per row, see [`hierarchy`]).
fn status_dtype() -> PolarsResult<DataType> {
    Ok(DataType::from_frozen_categories(FrozenCategories::new(
        hierarchy()?,
    )?))
}

/// The status step function of every person: change points `(at, key)` with `at` the
/// [`person_day`] of the person and the day (sorted) and `key` the status as an Enum in
/// hierarchy order, null where the person is `self_support`.
///
/// Polars selects the candidates as small integers (status index, start, end); one sweep per
/// person over its candidates' starts and ends in day order then tracks the statuses covering
/// the day and emits the highest one at every change. A person has few candidates, so this
/// replaces a union per person and status, two sorts of every interval end and three window
/// passes over all of them.
pub fn steps(extract: &Extract) -> PolarsResult<LazyFrame> {
    let dtype = status_dtype()?;
    // One bit per status in `sweep`.
    polars_ensure!(hierarchy()?.len() <= 32, ComputeError: "more than 32 statuses");
    // Validation admits no benefit code outside the contract, and every code of the contract
    // is a category, so the cast is exact.
    let benefits = extract
        .benefit_periods
        .clone()
        .lazy()
        .select([
            col(s::PERSON_ID),
            col(s::BENEFIT).cast(dtype.clone()).alias(KEY),
            col(s::START).cast(DataType::Int32),
            col(s::END).cast(DataType::Int32),
        ])
        .collect()?;
    let employment = extract
        .paid_hours
        .clone()
        .lazy()
        .filter(col(s::HOURS).gt(lit(0.0)))
        .select([
            col(s::PERSON_ID),
            lit(EMPLOYMENT).cast(dtype.clone()).alias(KEY),
            col(s::MONTH).cast(DataType::Int32).alias(s::START),
            dates::expr::month_end(col(s::MONTH).cast(DataType::Int32)).alias(s::END),
        ])
        .collect()?;
    let gone = extract
        .persons
        .clone()
        .lazy()
        .filter(col(s::EXIT_DATE).is_not_null())
        .select([
            col(s::PERSON_ID),
            lit(DIED_EMIGRATED).cast(dtype.clone()).alias(KEY),
            col(s::EXIT_DATE).cast(DataType::Int32).alias(s::START),
        ])
        .collect()?;
    let mut frames = [benefits, employment, gone];
    for df in &mut frames {
        df.rechunk_mut_par();
    }
    let sources = frames
        .iter()
        .map(Candidates::of)
        .collect::<PolarsResult<Vec<_>>>()?;
    let persons = sources
        .iter()
        .filter_map(|c| c.person.iter().max())
        .max()
        .map_or(0, |p| *p as usize + 1);
    let by_person: Vec<ByPerson> = sources
        .iter()
        .map(|c| ByPerson::new(c.person, persons))
        .collect();
    // Persons in slices of about equal size, swept in parallel and joined in person order.
    let slice = persons.div_ceil(rayon::current_num_threads() * 16).max(1);
    let parts: Vec<Changes> = (0..persons)
        .step_by(slice)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|from| sweep(&sources, &by_person, from..persons.min(from + slice)))
        .collect();
    let mut all = Changes::default();
    for part in parts {
        all.at.extend(part.at);
        all.key.extend(part.key);
    }
    let key = Categorical8Chunked::from_cats_and_dtype(
        UInt8Chunked::from_iter_options(KEY.into(), all.key.into_iter()),
        dtype,
    )
    .into_series();
    let mut at = Int64Chunked::from_vec(AT.into(), all.at);
    // Swept person by person and day by day.
    at.set_sorted_flag(polars::series::IsSorted::Ascending);
    Ok(DataFrame::new_infer_height(vec![at.into_column(), key.into_column()])?.lazy())
}

/// Change points of a step function: [`person_day`] of the person and day, status index (none:
/// `self_support`).
#[derive(Default)]
struct Changes {
    at: Vec<i64>,
    key: Vec<Option<u8>>,
}

/// The status change points of the persons `persons`: their candidates' starts and ends in day
/// order, tracking per status the candidates covering the day; the status is the first in
/// hierarchy order with any, and a change point is emitted whenever it changes.
fn sweep(sources: &[Candidates<'_>], by_person: &[ByPerson], persons: Range<usize>) -> Changes {
    let mut out = Changes::default();
    // (day, status index, whether a candidate starts or ends)
    let mut events: Vec<(i32, u8, bool)> = Vec::new();
    for p in persons {
        events.clear();
        for (source, rows) in sources.iter().zip(by_person) {
            for r in rows.of(p) {
                events.push((source.start[r], source.key[r], true));
                // `[exit_date, ∞)` has no end.
                if let Some(end) = source.end.get(r) {
                    events.push((end + 1, source.key[r], false));
                }
            }
        }
        events.sort_unstable_by_key(|e| e.0);
        // Candidates covering the day per status, and the set of statuses with any (bit i for
        // the i-th status of the hierarchy).
        let (mut covering, mut active) = ([0u32; 32], 0u32);
        let mut last: Option<Option<u8>> = None;
        let mut i = 0;
        while let Some(&(today, _, _)) = events.get(i) {
            while let Some(&(_, k, starts)) = events.get(i).filter(|e| e.0 == today) {
                let n = &mut covering[k as usize];
                if starts {
                    *n += 1;
                } else {
                    *n -= 1;
                }
                if *n > 0 {
                    active |= 1 << k;
                } else {
                    active &= !(1 << k);
                }
                i += 1;
            }
            let value = (active != 0).then(|| active.trailing_zeros() as u8);
            if last != Some(value) {
                out.at
                    .push(p as i64 * PERSON_UNIT + (i64::from(today) - i64::from(i32::MIN)));
                out.key.push(value);
                last = Some(value);
            }
        }
    }
    out
}

/// One source of candidate intervals as slices: person, status index, start and end (none for
/// `[exit_date, ∞)`).
struct Candidates<'a> {
    person: &'a [u32],
    key: &'a [u8],
    start: &'a [i32],
    /// Empty when the intervals have no end.
    end: &'a [i32],
}

impl<'a> Candidates<'a> {
    fn of(df: &'a DataFrame) -> PolarsResult<Self> {
        let slice_i32 = |c: &str| -> PolarsResult<&'a [i32]> { df.column(c)?.i32()?.cont_slice() };
        Ok(Self {
            person: df.column(s::PERSON_ID)?.u32()?.cont_slice()?,
            key: df.column(KEY)?.cat8()?.physical().cont_slice()?,
            start: slice_i32(s::START)?,
            end: match df.column(s::END) {
                Ok(_) => slice_i32(s::END)?,
                Err(_) => &[],
            },
        })
    }
}

/// The rows of one source grouped by person (a counting sort on the dense person id).
struct ByPerson {
    /// Rows of person p: `rows[first[p]..first[p + 1]]`.
    first: Vec<usize>,
    rows: Vec<u32>,
}

impl ByPerson {
    fn new(person: &[u32], persons: usize) -> Self {
        let mut first = vec![0usize; persons + 1];
        for p in person {
            first[*p as usize + 1] += 1;
        }
        for p in 0..persons {
            first[p + 1] += first[p];
        }
        let mut next = first.clone();
        let mut rows = vec![0u32; person.len()];
        for (r, p) in (0u32..).zip(person) {
            rows[next[*p as usize]] = r;
            next[*p as usize] += 1;
        }
        Self { first, rows }
    }

    fn of(&self, p: usize) -> impl Iterator<Item = usize> + '_ {
        self.rows[self.first[p]..self.first[p + 1]]
            .iter()
            .map(|r| *r as usize)
    }
}

/// Adds `STATUS` for the i32 day column `day` of each row of `lf` (which has `person_id`).
///
/// How: a backward as-of join on [`person_day`], which the change points are sorted by already;
/// the change point found is the person's when it lies at or after the person's first day.
/// Rows come out sorted by person and day.
pub fn on(lf: LazyFrame, day: &str, steps: LazyFrame) -> PolarsResult<LazyFrame> {
    const FOUND: &str = "__status_at";
    let lf = lf
        .with_column(person_day(col(s::PERSON_ID), col(day)).alias(AT))
        .sort([AT], SortMultipleOptions::default());
    let steps = steps.select([col(AT), col(AT).alias(FOUND), col(KEY)]);
    let own = col(FOUND).gt_eq(col(s::PERSON_ID).cast(DataType::Int64) * lit(PERSON_UNIT));
    Ok(crate::intervals::backward_asof(lf, steps, AT)
        .with_column(
            when(own)
                .then(col(KEY).cast(DataType::String))
                .otherwise(lit(NULL).cast(DataType::String))
                .fill_null(lit(SELF_SUPPORT))
                .alias(STATUS),
        )
        .drop(by_name([AT, FOUND, KEY], true, false)))
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
