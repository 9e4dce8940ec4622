//! The step functions and frames that the indicators of MEASURES.md §4 and the `fte` table
//! share, built once per report.
//!
//! Interval logic never expands person-days. Days covered by activation, support, company
//! offers or target benefit in a window are read from cumulative step functions with two as-of
//! look-ups per row (`intervals::covered_in`); meetings in a window by two searches of their
//! sorted keys (`intervals::count_in`); days in P are split into pieces on which municipality,
//! group and activation are constant (`intervals::pieces`). Each costs O(n log n) in the
//! number of periods, meetings and rows queried.

use std::cell::OnceCell;

use polars::prelude::*;

use crate::config::{Config, Period};
use crate::dates::{self, Day};
use crate::extract::Extract;
use crate::intervals::{self, FROM, TO};
use crate::schema as s;
use crate::spells::{self, Spells};

/// Column of [`Context::day_pieces`]: 1 on activation days, null otherwise.
pub const ACTIVATION: &str = "__act_key";
/// Column of [`Context::day_pieces`]: the piece's length in days.
pub const DAYS: &str = "__days";
/// Five years as `|[R − 1825, R]|`.
pub const FIVE_YEARS: i32 = 1826;
/// Hours in the last 12 months the 225-hour rule asks for.
pub const RULE_225_HOURS: f64 = 225.0;
/// Float comparisons with a threshold allow this much rounding (MEASURES.md intro).
pub const EPS: f64 = 1e-9;
// Working columns of the window steps below.
const WINDOW_FROM: &str = "__window_from";
const WINDOW_TO: &str = "__window_to";
const WINDOW_DAYS: &str = "__window_days";

/// Step functions and frames shared by every indicator, computed once.
pub struct Context<'a> {
    /// The tables of the extract (as of R) that measures read after the step functions are
    /// built, without the rows dated before every measure's window (`kept_from`); the others
    /// are dropped once their step functions exist (`Context::new`).
    pub persons: DataFrame,
    pub interventions: DataFrame,
    pub meetings: DataFrame,
    pub paid_hours: DataFrame,
    /// `person_id` of every sickness-benefit (`sygedagpenge`) period ending in `[R − 1825, R]`
    /// (behind the long-term profile's `sick_5y`), kept when the benefit periods are dropped.
    pub sick_5y: LazyFrame,
    /// X and R of the extract.
    start: Day,
    end: Day,
    pub spells: &'a Spells,
    pub config: &'a Config,
    pub period: Period,
    /// The stock on R (one row per person, `stock::stock`).
    pub stock: LazyFrame,
    pub status_steps: LazyFrame,
    /// Municipality of the target periods covering a day (smallest code), as change points,
    /// right on the days of P: every reader looks up days in P (meetings in P, the months of P,
    /// the day pieces of P), and the value on such a day depends only on the periods covering
    /// it, so the periods that end before P are left out (on 1M persons most of them).
    pub municipality_cover: LazyFrame,
    /// Cumulative covered days of target benefit, activation, support, company offers and any
    /// benefit (`intervals::covered_steps`); target and any benefit only from the first day
    /// their readers read (`target_days_from`, `exits_from`).
    pub target_days: LazyFrame,
    pub activation_days: LazyFrame,
    pub support_days: LazyFrame,
    pub company_days: LazyFrame,
    pub benefit_days: LazyFrame,
    /// The target person-days in P as pieces on which municipality (smallest code covering),
    /// group and activation are constant: `person_id`, `from`, `to`, `municipality`, `group`,
    /// [`ACTIVATION`], [`DAYS`]. Shared by `fte`, `activation_rate` and `meetings_per_year`,
    /// whose denominators are these days.
    pub day_pieces: LazyFrame,
    /// `group(d)` as change points (`spells::group_steps`), built once for every look-up.
    groups: LazyFrame,
    /// Held meetings and months with paid hours, sorted for counting (`intervals::count_steps`).
    held_meetings: LazyFrame,
    paid_months: LazyFrame,
    /// Frames a family of measures shares, built by the first measure that needs them.
    pub(super) six_months: OnceCell<LazyFrame>,
    pub(super) meetings_in_p: OnceCell<LazyFrame>,
}

/// Target-benefit days covered by interventions of `kinds`, as a `covered_steps` step function.
fn intervention_days(extract: &Extract, kinds: &[String]) -> PolarsResult<LazyFrame> {
    let kinds = Series::new("kinds".into(), kinds);
    let lf = extract
        .interventions
        .clone()
        .lazy()
        .filter(s::is_one_of(col(s::KIND), kinds))
        .select([
            col(s::PERSON_ID),
            col(s::START).cast(DataType::Int32),
            col(s::END).cast(DataType::Int32),
        ]);
    materialise(intervals::covered_steps(
        intervals::union(lf, &[s::PERSON_ID], s::START, s::END, 0)?,
        s::START,
        s::END,
    ))
}

/// Runs a plan once so that the measures reading it do not each re-run it, in one chunk per
/// column: a look-up searches a step function's columns as slices and would otherwise copy it
/// into one chunk at every look-up. The plan's transients are then returned to the operating
/// system (`alloc::release`), before the next step function builds its own.
pub fn materialise(lf: LazyFrame) -> PolarsResult<LazyFrame> {
    let mut df = lf.collect()?;
    df.rechunk_mut_par();
    crate::alloc::release();
    Ok(df.lazy())
}

impl<'a> Context<'a> {
    /// Builds the step functions from `extract`, which it takes so that each table is cut or
    /// freed as soon as its step functions exist: the meetings and paid hours to their rows
    /// since `kept_from` once the counts of held meetings and paid months are built, the
    /// benefit periods and assessments (on 1M persons 350 MiB) before the measures run.
    pub fn new(
        mut extract: Extract,
        spells: &'a Spells,
        config: &'a Config,
        period: Period,
        stock: LazyFrame,
        status_steps: LazyFrame,
    ) -> PolarsResult<Self> {
        let target = spells::target_periods(&extract, config);
        let mut support_kinds = config.activation_kinds.clone();
        support_kinds.push("mentor".into());
        let exits_from = exits_from(period);
        let all_benefits = extract
            .benefit_periods
            .clone()
            .lazy()
            .select([
                col(s::PERSON_ID),
                col(s::START).cast(DataType::Int32),
                col(s::END).cast(DataType::Int32),
            ])
            .filter(on_or_after(s::END, exits_from));
        let held = extract
            .meetings
            .clone()
            .lazy()
            .filter(col(s::STATUS).eq(lit("held")))
            .select([col(s::PERSON_ID), col(s::DATE).cast(DataType::Int32)])
            .filter(on_or_after(s::DATE, held_from(period, extract.end)));
        let paid = extract
            .paid_hours
            .clone()
            .lazy()
            .filter(col(s::HOURS).gt(lit(0.0)))
            .select([col(s::PERSON_ID), col(s::MONTH).cast(DataType::Int32)])
            .filter(on_or_after(s::MONTH, exits_from));
        // The counts of held meetings and paid months first: from then on the measures read
        // only the rows of these tables since `kept_from` (on 1M persons 1 in 10, so 330 MiB
        // fewer are held while the other step functions are built), nor the earnings.
        let held_meetings = materialise(intervals::count_steps(held, s::DATE))?;
        let paid_months = materialise(intervals::count_steps(paid, s::MONTH))?;
        let from = kept_from(period, extract.end)?;
        let since = |df: DataFrame, day: &str| df.lazy().filter(on_or_after(day, from)).collect();
        extract.meetings = since(std::mem::take(&mut extract.meetings), s::DATE)?;
        extract.paid_hours = since(
            std::mem::take(&mut extract.paid_hours).drop(s::EARNINGS)?,
            s::MONTH,
        )?;
        // Then the two unions of benefit periods, while the fewest other frames are held: their
        // sorts are the largest transients of the stage.
        let benefit_days = materialise(intervals::covered_steps(
            intervals::union(all_benefits, &[s::PERSON_ID], s::START, s::END, 0)?,
            s::START,
            s::END,
        ))?;
        let target_days = materialise(intervals::covered_steps(
            intervals::union(
                target
                    .clone()
                    .filter(on_or_after(s::END, target_days_from(period, extract.end))),
                &[s::PERSON_ID],
                s::START,
                s::END,
                0,
            )?,
            s::START,
            s::END,
        ))?;
        let municipality_cover = materialise(intervals::cover_steps(
            target.clone().filter(on_or_after(s::END, period.start)),
            s::MUNICIPALITY,
            s::START,
            s::END,
        )?)?;
        let groups = materialise(spells::group_steps(&extract))?;
        let activation_days = intervention_days(&extract, &config.activation_kinds)?;
        let day_pieces = materialise(day_pieces(
            target,
            period,
            municipality_cover.clone(),
            groups.clone(),
            activation_days.clone(),
        )?)?;
        let stock = materialise(stock)?;
        let support_days = intervention_days(&extract, &support_kinds)?;
        let company_days = intervention_days(&extract, &config.company_kinds)?;
        let sick_5y = materialise(
            extract
                .benefit_periods
                .clone()
                .lazy()
                .filter(
                    col(s::BENEFIT).eq(lit("sygedagpenge")).and(
                        col(s::END)
                            .cast(DataType::Int32)
                            .gt_eq(lit(five_years_from(extract.end))),
                    ),
                )
                .select([col(s::PERSON_ID)]),
        )?;
        // The benefit periods and assessments are no longer read (every plan on them has been
        // run): what the measures read is kept, and the rest of the extract is freed here.
        let Extract {
            persons,
            interventions,
            meetings,
            paid_hours,
            start,
            end,
            ..
        } = extract;
        // Nor are the text ids, nor the interventions before `kept_from`.
        let persons = persons.drop(s::PERSON_KEY)?;
        let interventions = since(interventions, s::END)?;
        Ok(Context {
            persons,
            interventions,
            meetings,
            paid_hours,
            sick_5y,
            start,
            end,
            spells,
            config,
            period,
            stock,
            status_steps,
            municipality_cover,
            day_pieces,
            groups,
            target_days,
            activation_days,
            support_days,
            company_days,
            benefit_days,
            held_meetings,
            paid_months,
            six_months: OnceCell::new(),
            meetings_in_p: OnceCell::new(),
        })
    }

    /// R, the reference date (the extract is cut at R).
    pub fn r(&self) -> Day {
        self.end
    }

    /// X, the first day the registers cover.
    pub fn x(&self) -> Day {
        self.start
    }

    /// MEASURES.md: a measure whose look-back window starts before X is not computed. `None`
    /// when the window is known, else the note saying why the measure is missing.
    pub fn window_unknown(&self, measure: &str, from: Day) -> Option<String> {
        (from < self.x()).then(|| {
            format!(
                "{measure} not computed: its look-back window starts {} before extract_start {}",
                dates::iso(from),
                dates::iso(self.x())
            )
        })
    }

    /// Adds `group` = group(day) for the i32 day column `day` (`spells::group_on`, on the
    /// change points built once here).
    pub fn group_on(&self, lf: LazyFrame, day: &str) -> LazyFrame {
        spells::group_on(lf, day, self.groups.clone())
    }

    /// Adds `out` = held meetings of the person on days `[from, to]`.
    pub fn held_in(&self, lf: LazyFrame, from: &str, to: &str, out: &str) -> LazyFrame {
        intervals::count_in(lf, from, to, self.held_meetings.clone(), out)
    }

    /// Adds `out` = months with paid hours > 0 among the month starts in `[from, to]`.
    pub fn paid_months_in(&self, lf: LazyFrame, from: &str, to: &str, out: &str) -> LazyFrame {
        intervals::count_in(lf, from, to, self.paid_months.clone(), out)
    }

    /// The first day of the 12 calendar months ending with R's month (the 225-hour rule's
    /// window, also `paid_hours_12m` of the long-term profile).
    pub fn twelve_months_from(&self) -> PolarsResult<Day> {
        twelve_months_from(self.r())
    }

    /// Adds `out` = paid hours in the 12 calendar months ending with R's month (0 without any).
    /// The extract is cut at R, so no later month exists.
    pub fn twelve_month_hours(&self, lf: LazyFrame, out: &str) -> PolarsResult<LazyFrame> {
        let hours = self
            .paid_hours
            .clone()
            .lazy()
            .filter(
                col(s::MONTH)
                    .cast(DataType::Int32)
                    .gt_eq(lit(self.twelve_months_from()?)),
            )
            .group_by([col(s::PERSON_ID)])
            .agg([col(s::HOURS).sum().alias(out)]);
        Ok(lf
            .join(
                hours,
                [col(s::PERSON_ID)],
                [col(s::PERSON_ID)],
                JoinArgs::new(JoinType::Left),
            )
            .with_column(col(out).fill_null(0.0)))
    }

    /// The first day of the five years `[R − 1825, R]`.
    pub fn five_years_from(&self) -> Day {
        five_years_from(self.r())
    }

    /// The first day of the 365 days `[R − 364, R]`.
    pub fn year_from(&self) -> Day {
        year_from(self.r())
    }

    /// Adds the boolean `out`: target-benefit days in `[R − 1825, R]` ≥ 0.8 × 1826, "on support
    /// at least 80 % of the last five years" (MEASURES.md §4.1, as in BIP's figure). Shared by
    /// `support_80pct_5y_share` and the long-term profile's `support_80pct_5y`; the caller
    /// checks first that the window does not start before X ([`Context::window_unknown`]).
    pub fn support_80pct_5y(&self, lf: LazyFrame, out: &str) -> LazyFrame {
        let lf = lf.with_columns([
            lit(self.five_years_from()).alias(WINDOW_FROM),
            lit(self.r()).alias(WINDOW_TO),
        ]);
        intervals::covered_in(
            lf,
            WINDOW_FROM,
            WINDOW_TO,
            self.target_days.clone(),
            WINDOW_DAYS,
        )
        .with_column(
            col(WINDOW_DAYS)
                .cast(DataType::Float64)
                .gt_eq(lit(0.8 * f64::from(FIVE_YEARS) - EPS))
                .alias(out),
        )
        .drop(by_name([WINDOW_FROM, WINDOW_TO, WINDOW_DAYS], true, false))
    }

    /// The frame in `cell`, built by `build` the first time it is asked for.
    pub(super) fn shared(
        cell: &OnceCell<LazyFrame>,
        build: impl FnOnce() -> PolarsResult<LazyFrame>,
    ) -> PolarsResult<LazyFrame> {
        if let Some(lf) = cell.get() {
            return Ok(lf.clone());
        }
        let lf = build()?;
        Ok(cell.get_or_init(|| lf).clone())
    }
}

/// The rows whose day column `day` (a date or an i32 day) is `from` or later: how every window
/// cut of the context is written.
fn on_or_after(day: &str, from: Day) -> Expr {
    col(day).cast(DataType::Int32).gt_eq(lit(from))
}

/// The first day of the five years `[r − 1825, r]`.
fn five_years_from(r: Day) -> Day {
    r - (FIVE_YEARS - 1)
}

/// The first day of the 365 days `[r − 364, r]`.
fn year_from(r: Day) -> Day {
    r - 364
}

/// The first day that a reader of the held meetings' counts reads: the first week of a spell
/// starting in P, the first six months of a spell whose day 182 is in P, and `[R − 364, R]` of
/// the long-term profile. Held meetings before it are left out of the counts (see
/// [`exits_from`] for why no count from it on changes).
fn held_from(period: Period, r: Day) -> Day {
    (period.start - 182).min(year_from(r))
}

/// The first day that a reader of [`Context::target_days`] reads: P (`paid_hours_months`), the
/// 3 years of the 225-hour rule and the 5 years of `support_80pct_5y`, all ending on R. The
/// target periods that end before it are left out of the union (see [`exits_from`] for why no
/// count from it on changes; `paid_hours_months` clips the intervals to P, where they are the
/// same). On 1M persons with R = 2024-12-31 that leaves out about half of the periods.
fn target_days_from(period: Period, r: Day) -> Day {
    period.start.min(five_years_from(r))
}

/// The first day that `durable_work_12m`, the only reader of [`Context::benefit_days`] and of
/// the paid months' counts, reads of them: an exit counts when its end + 365 lies in P, and its
/// windows (the 365 days and the 12 months after the end) start after the end. Benefit periods
/// ending before it and paid months before it are left out of those two: they would change
/// every count up to a day by the same amount, so no count in a window from it on. On 1M
/// persons with P the last calendar year that keeps 1 in 5 of the benefit periods for the
/// union and 1 in 4 of the paid months.
fn exits_from(period: Period) -> Day {
    year_from(period.start)
}

/// The first day that a measure reads of the meetings, paid hours and interventions the
/// context keeps (on R = `r`): the earliest of P's first day, `[R − 364, R]` (the long-term
/// profile's meetings cancelled and interventions) and the 12 calendar months of the 225-hour
/// rule. Every reader filters its own window; rows before this day would only be held.
fn kept_from(period: Period, r: Day) -> PolarsResult<Day> {
    Ok(period.start.min(year_from(r)).min(twelve_months_from(r)?))
}

/// The first day of the 12 calendar months ending with `r`'s month.
fn twelve_months_from(r: Day) -> PolarsResult<Day> {
    let r_month = dates::from_day(r);
    chrono::NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&r_month) - 1,
        chrono::Datelike::month(&r_month),
        1,
    )
    .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
    .map(dates::to_day)
    .ok_or_else(|| polars_err!(ComputeError: "no 12-month window before {}", dates::iso(r)))
}

/// Splits every person's days in P (persons with a target period overlapping P) into pieces on
/// which the covering municipality, the group and activation are constant; keeps the pieces
/// covered by a target period.
fn day_pieces(
    target: LazyFrame,
    p: Period,
    municipality_cover: LazyFrame,
    groups: LazyFrame,
    activation_days: LazyFrame,
) -> PolarsResult<LazyFrame> {
    let windows = target
        .filter(on_or_after(s::END, p.start).and(col(s::START).lt_eq(lit(p.end))))
        .select([col(s::PERSON_ID)])
        .unique(None, UniqueKeepStrategy::Any)
        .with_columns([lit(p.start).alias(FROM), lit(p.end).alias(TO)]);
    // Pieces look only at days in P, where the cover depends only on the intervals covering
    // the day: the ones that end before P are left out.
    let activation = intervals::covered_intervals(activation_days, s::START, s::END)
        .filter(on_or_after(s::END, p.start))
        .with_column(lit(1i32).alias(ACTIVATION));
    let activation_cover = intervals::cover_steps(activation, ACTIVATION, s::START, s::END)?;
    Ok(intervals::pieces(
        windows,
        &[
            (municipality_cover, s::MUNICIPALITY),
            (groups, s::GROUP),
            (activation_cover, ACTIVATION),
        ],
        (p.start, p.end),
    )?
    .filter(col(s::MUNICIPALITY).is_not_null())
    .with_columns([
        (col(TO) - col(FROM) + lit(1))
            .cast(DataType::Int64)
            .alias(DAYS),
        col(s::GROUP)
            .cast(DataType::String)
            .fill_null(lit(s::UNKNOWN_GROUP)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        dates::parse_iso(s).expect("an ISO date")
    }

    fn period(start: &str, end: &str) -> Period {
        Period {
            start: day(start),
            end: day(end),
        }
    }

    #[test]
    fn rows_are_kept_from_the_earliest_window_that_reads_them() {
        // A calendar year: P, [R − 364, R] and the 12 months ending with December all start on
        // January 1st.
        let year = period("2023-01-01", "2023-12-31");
        assert_eq!(
            kept_from(year, day("2023-12-31")).map(dates::iso).ok(),
            Some("2023-01-01".into())
        );
        // A half year ending mid-month: [R − 364, R] starts on 2022-06-16, before P and before
        // the 12 months from July 2022.
        let half = period("2023-01-01", "2023-06-15");
        assert_eq!(
            kept_from(half, day("2023-06-15")).map(dates::iso).ok(),
            Some("2022-06-16".into())
        );
    }

    #[test]
    fn exits_are_read_from_the_day_after_the_earliest_end_that_counts() {
        // P from 2023-01-01: the earliest exit that counts ends on 2022-01-01 (+ 365 = P's
        // first day), so its windows start on 2022-01-02.
        let year = period("2023-01-01", "2023-12-31");
        assert_eq!(dates::iso(exits_from(year)), "2022-01-02");
    }

    #[test]
    fn held_meetings_are_read_from_the_earliest_six_months_that_end_in_p() {
        // Day 182 of a spell on P's first day: the spell began on 2022-07-03, before R − 364.
        let year = period("2023-01-01", "2023-12-31");
        assert_eq!(dates::iso(held_from(year, day("2023-12-31"))), "2022-07-03");
        // R long after P: the profile's `[R − 364, R]` starts later, so P rules.
        assert_eq!(dates::iso(held_from(year, day("2024-12-31"))), "2022-07-03");
        // P after R − 364 + 182: the profile's year comes first.
        let late = period("2023-12-01", "2023-12-31");
        assert_eq!(dates::iso(held_from(late, day("2023-12-31"))), "2023-01-01");
    }
}
