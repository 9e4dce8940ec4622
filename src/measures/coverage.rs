//! Coverage, compliance, paid hours and outcome indicators (MEASURES.md §4): what a jobcentre is
//! judged on. Each function returns the unit-level rows of one or more measures
//! ([`Contribution`]s); `indicators::table` pools them.
//!
//! Interval logic never expands person-days. Days covered by activation, support, company
//! offers or target benefit in a window are read from cumulative step functions with two as-of
//! joins per row (`intervals::covered_in`); meetings in a window likewise
//! (`intervals::count_in`); days in P are split into pieces on which municipality, group and
//! activation are constant (`intervals::pieces`). Each costs O(n log n) in the number of
//! periods, meetings and rows queried.

use polars::lazy::dsl::{max_horizontal, min_horizontal};
use polars::prelude::*;

use crate::config::{Config, Period};
use crate::dates::{self, Day};
use crate::extract::Extract;
use crate::intervals::{self, DAY, FROM, TO};
use crate::schema::{self as s, spell as sp};
use crate::spells::{self, Spells};
use crate::status;

use super::indicators::{Contribution, Kind, DEN, NUM};
use super::stock::DAYS_ON;

/// The 225-hour rule was in force 2016-04-01..2025-06-30 (abolished by law 1655 of 30-12-2024).
pub const RULE_225_FROM: (i32, u32, u32) = (2016, 4, 1);
pub const RULE_225_TO: (i32, u32, u32) = (2025, 6, 30);
/// Hours in the last 12 months the 225-hour rule asks for.
pub const RULE_225_HOURS: f64 = 225.0;
/// The four-conversations-and-one-offer rule (LAB 2020) applies to spells from this date.
pub const RULE_4_PLUS_1_FROM: (i32, u32, u32) = (2020, 1, 1);
/// Five years as `|[R − 1825, R]|`.
const FIVE_YEARS: i32 = 1826;
/// Float comparisons with a threshold allow this much rounding (MEASURES.md intro).
const EPS: f64 = 1e-9;

/// Step functions and frames every measure of the family shares, computed once.
pub struct Context<'a> {
    pub extract: &'a Extract,
    pub spells: &'a Spells,
    pub config: &'a Config,
    pub period: Period,
    /// The stock on R (one row per person, `stock::stock`).
    pub stock: LazyFrame,
    pub status_steps: LazyFrame,
    /// Municipality of the target periods covering a day (smallest code), as change points.
    pub municipality_cover: LazyFrame,
    pub groups: LazyFrame,
    /// Cumulative covered days of target benefit, activation, support, company offers and any
    /// benefit (`intervals::covered_steps`).
    pub target_days: LazyFrame,
    pub activation_days: LazyFrame,
    pub support_days: LazyFrame,
    pub company_days: LazyFrame,
    pub benefit_days: LazyFrame,
    /// The target person-days in P as pieces on which municipality (smallest code covering),
    /// group and activation are constant: `person_id`, `from`, `to`, `municipality`, `group`,
    /// `__act_key` (1 on activation days), `__days`. Shared by `fte`, `activation_rate` and
    /// `meetings_per_year`, whose denominators are these days.
    pub day_pieces: LazyFrame,
    /// Cumulative held meetings and cumulative months with paid hours (`intervals::count_steps`).
    pub held_meetings: LazyFrame,
    pub paid_months: LazyFrame,
    /// Notes for the manifest: measures not computed and why.
    pub notes: Vec<String>,
}

const HELD: &str = "__held";
const PAID: &str = "__paid";

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
    )?)
}

fn materialise(lf: LazyFrame) -> PolarsResult<LazyFrame> {
    Ok(lf.collect()?.lazy())
}

impl<'a> Context<'a> {
    pub fn new(
        extract: &'a Extract,
        spells: &'a Spells,
        config: &'a Config,
        period: Period,
        stock: LazyFrame,
        status_steps: LazyFrame,
    ) -> PolarsResult<Self> {
        let target = spells::target_periods(extract, config);
        let mut support_kinds = config.activation_kinds.clone();
        support_kinds.push("mentor".into());
        let all_benefits = extract.benefit_periods.clone().lazy().select([
            col(s::PERSON_ID),
            col(s::START).cast(DataType::Int32),
            col(s::END).cast(DataType::Int32),
        ]);
        let held = extract
            .meetings
            .clone()
            .lazy()
            .filter(col(s::STATUS).eq(lit("held")))
            .select([col(s::PERSON_ID), col(s::DATE).cast(DataType::Int32)]);
        let paid = extract
            .paid_hours
            .clone()
            .lazy()
            .filter(col(s::HOURS).gt(lit(0.0)))
            .select([col(s::PERSON_ID), col(s::MONTH).cast(DataType::Int32)]);
        let municipality_cover = materialise(intervals::cover_steps(
            target.clone(),
            s::MUNICIPALITY,
            s::START,
            s::END,
        )?)?;
        let groups = materialise(spells::group_steps(extract))?;
        let activation_days = intervention_days(extract, &config.activation_kinds)?;
        let day_pieces = materialise(day_pieces(
            target.clone(),
            period,
            municipality_cover.clone(),
            groups.clone(),
            activation_days.clone(),
        )?)?;
        Ok(Context {
            extract,
            spells,
            config,
            period,
            stock: materialise(stock)?,
            status_steps,
            municipality_cover,
            groups,
            day_pieces,
            target_days: materialise(intervals::covered_steps(
                intervals::union(target, &[s::PERSON_ID], s::START, s::END, 0)?,
                s::START,
                s::END,
            )?)?,
            activation_days,
            support_days: intervention_days(extract, &support_kinds)?,
            company_days: intervention_days(extract, &config.company_kinds)?,
            benefit_days: materialise(intervals::covered_steps(
                intervals::union(all_benefits, &[s::PERSON_ID], s::START, s::END, 0)?,
                s::START,
                s::END,
            )?)?,
            held_meetings: materialise(intervals::count_steps(held, s::DATE, HELD)?)?,
            paid_months: materialise(intervals::count_steps(paid, s::MONTH, PAID)?)?,
            notes: Vec::new(),
        })
    }

    fn r(&self) -> Day {
        self.extract.end
    }

    fn x(&self) -> Day {
        self.extract.start
    }

    /// MEASURES.md: a measure whose look-back window starts before X is not computed.
    fn window_known(&mut self, measure: &str, from: Day) -> bool {
        if from >= self.x() {
            return true;
        }
        self.notes.push(format!(
            "{measure} not computed: its look-back window starts {} before extract_start {}",
            dates::iso(from),
            dates::iso(self.x())
        ));
        false
    }
}

fn contribution(
    measure: &'static str,
    kind: Kind,
    rows: LazyFrame,
    den: Expr,
    num: Expr,
    definition: &'static str,
) -> Contribution {
    Contribution {
        measure,
        kind,
        rows: rows.select([
            col(s::PERSON_ID),
            col(s::MUNICIPALITY),
            col(s::GROUP),
            den.cast(DataType::Int64).alias(DEN),
            num.cast(DataType::Int64).alias(NUM),
        ]),
        definition,
    }
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
        .filter(
            col(s::END)
                .gt_eq(lit(p.start))
                .and(col(s::START).lt_eq(lit(p.end))),
        )
        .select([col(s::PERSON_ID)])
        .unique(None, UniqueKeepStrategy::Any)
        .with_columns([lit(p.start).alias(FROM), lit(p.end).alias(TO)]);
    let activation = activation_days.select([
        col(s::PERSON_ID),
        lit(1i32).alias(ACTIVATION),
        col(DAY).alias(s::START),
        col("__cov_end").alias(s::END),
    ]);
    let activation_cover = intervals::cover_steps(activation, ACTIVATION, s::START, s::END)?;
    Ok(intervals::pieces(
        windows,
        &[
            (municipality_cover, s::MUNICIPALITY),
            (groups, s::GROUP),
            (activation_cover, ACTIVATION),
        ],
    )?
    .filter(col(s::MUNICIPALITY).is_not_null())
    .with_columns([
        (col(TO) - col(FROM) + lit(1))
            .cast(DataType::Int64)
            .alias(DAYS),
        col(s::GROUP).fill_null(lit(s::UNKNOWN_GROUP)),
    ]))
}

/// Column of `Context::day_pieces`: 1 on activation days, null otherwise.
const ACTIVATION: &str = "__act_key";
/// Column of `Context::day_pieces`: the piece's length in days.
pub const DAYS: &str = "__days";

/// Stock-based measures (denominator: persons in the stock on R; group = group(R)).
pub fn stock_measures(ctx: &mut Context<'_>) -> PolarsResult<Vec<Contribution>> {
    let r = ctx.r();
    let stock = ctx.stock.clone().with_column(lit(r).alias("__r"));
    let mut out = vec![
        contribution(
            "long_term_share",
            Kind::Proportion,
            stock.clone(),
            lit(1),
            col(DAYS_ON).gt(lit(ctx.config.long_term_days)),
            "Stock on R with |[spell_start, R]| > long_term_days (730): long-term means more than \
             two years on benefit.",
        ),
        contribution(
            "long_term_5y_share",
            Kind::Proportion,
            stock.clone(),
            lit(1),
            col(DAYS_ON).gt(lit(FIVE_YEARS)),
            "Stock on R with |[spell_start, R]| > 1826 days (five years).",
        ),
    ];
    if ctx.window_known("support_80pct_5y_share", r - 1825) {
        let rows = intervals::covered_in(
            stock.clone().with_column(lit(r - 1825).alias("__from")),
            "__from",
            "__r",
            ctx.target_days.clone(),
            "__target",
        );
        out.push(contribution(
            "support_80pct_5y_share",
            Kind::Proportion,
            rows,
            lit(1),
            col("__target")
                .cast(DataType::Float64)
                .gt_eq(lit(0.8 * f64::from(FIVE_YEARS) - EPS)),
            "Stock on R with target-benefit days in [R − 1825, R] ≥ 0.8 × 1826 (BIP: 63 % of \
             aktivitetsparate on support at least 80 % of the last five years).",
        ));
    }
    if ctx.window_known("any_offer_12m", r - 364) {
        let rows = intervals::covered_in(
            stock.clone().with_column(lit(r - 364).alias("__from")),
            "__from",
            "__r",
            ctx.support_days.clone(),
            "__support",
        );
        out.push(contribution(
            "any_offer_12m",
            Kind::Proportion,
            rows,
            col(DAYS_ON).gt_eq(lit(365)),
            col(DAYS_ON)
                .gt_eq(lit(365))
                .and(col("__support").gt(lit(0))),
            "Stock on R with |[spell_start, R]| ≥ 365 that had ≥ 1 support day (activation or \
             mentor) in [R − 364, R]; about 1 in 4 aktivitetsparate had no offer in 65 weeks (DA).",
        ));
    }
    out.push(contribution(
        "passive_12m",
        Kind::Proportion,
        passive_runs(ctx)?,
        col(DAYS_ON).gt(lit(365)),
        col(DAYS_ON)
            .gt(lit(365))
            .and(col("__longest_gap").gt(lit(365))),
        "Stock on R with |[spell_start, R]| > 365 that had a run of > 365 consecutive days in \
         [max(spell_start, X), R] without a support day: over 12 months without activation or \
         mentor, a known failure (Halsnæs, STAR's review).",
    ));
    let (from, to) = (
        dates::ymd(RULE_225_FROM.0, RULE_225_FROM.1, RULE_225_FROM.2),
        dates::ymd(RULE_225_TO.0, RULE_225_TO.1, RULE_225_TO.2),
    );
    let in_force = from.is_some_and(|f| r >= f) && to.is_some_and(|t| r <= t);
    if !in_force {
        ctx.notes.push(format!("rule_225 not computed: R = {} is outside 2016-04-01..2025-06-30, when the 225-hour rule was in force", dates::iso(r)));
    } else if ctx.window_known("rule_225", r - 1095) {
        let months = twelve_month_hours(ctx, stock.clone())?;
        let rows = intervals::covered_in(
            months.with_column(lit(r - 1095).alias("__from")),
            "__from",
            "__r",
            ctx.target_days.clone(),
            "__target",
        );
        out.push(contribution(
            "rule_225",
            Kind::Proportion,
            rows,
            col("__target").gt_eq(lit(365)),
            col("__target")
                .gt_eq(lit(365))
                .and(col("__hours").gt_eq(lit(RULE_225_HOURS - EPS))),
            "Stock on R (2016-04-01..2025-06-30) with ≥ 365 target days in [R − 1095, R] that had \
             ≥ 225 paid hours in the 12 months ending with R's month: the 225-hour rule.",
        ));
    }
    Ok(out)
}

/// Adds `__hours` = paid hours in the 12 calendar months ending with R's month.
fn twelve_month_hours(ctx: &Context<'_>, stock: LazyFrame) -> PolarsResult<LazyFrame> {
    let r_month = dates::from_day(ctx.r());
    let first = chrono::NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&r_month) - 1,
        chrono::Datelike::month(&r_month),
        1,
    )
    .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
    .map(dates::to_day)
    .ok_or_else(
        || polars_err!(ComputeError: "no 12-month window before {}", dates::iso(ctx.r())),
    )?;
    let hours = ctx
        .extract
        .paid_hours
        .clone()
        .lazy()
        .filter(col(s::MONTH).cast(DataType::Int32).gt_eq(lit(first)))
        .group_by([col(s::PERSON_ID)])
        .agg([col(s::HOURS).sum().alias("__hours")]);
    Ok(stock
        .join(
            hours,
            [col(s::PERSON_ID)],
            [col(s::PERSON_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(col("__hours").fill_null(0.0)))
}

/// Adds `__longest_gap`: the longest run of days in `[max(spell_start, X), R]` without a
/// support day, from the gaps between a person's support intervals clipped to the window.
fn passive_runs(ctx: &Context<'_>) -> PolarsResult<LazyFrame> {
    let r = ctx.r();
    let stock = ctx
        .stock
        .clone()
        .with_column(max_horizontal([col(sp::SPELL_START), lit(ctx.x())])?.alias("__w0"));
    let support = ctx.support_days.clone().select([
        col(s::PERSON_ID),
        col(DAY).alias("__s"),
        col("__cov_end").alias("__e"),
    ]);
    let gaps = stock
        .clone()
        .select([col(s::PERSON_ID), col("__w0")])
        .join(
            support,
            [col(s::PERSON_ID)],
            [col(s::PERSON_ID)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col("__e").gt_eq(col("__w0")).and(col("__s").lt_eq(lit(r))))
        .sort([s::PERSON_ID, "__s"], SortMultipleOptions::default())
        .with_columns([
            max_horizontal([col("__s"), col("__w0")])?.alias("__cs"),
            min_horizontal([col("__e"), lit(r)])?.alias("__ce"),
        ])
        .with_column(
            (col("__cs")
                - col("__ce")
                    .shift(lit(1))
                    .over([col(s::PERSON_ID)])?
                    .fill_null(col("__w0") - lit(1))
                - lit(1))
            .alias("__gap"),
        )
        .group_by([col(s::PERSON_ID)])
        .agg([
            col("__gap").max().alias("__inner"),
            (lit(r) - col("__ce").max()).alias("__tail"),
        ]);
    Ok(stock
        .join(
            gaps,
            [col(s::PERSON_ID)],
            [col(s::PERSON_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(
            // No support day in the window: the whole window is one run.
            max_horizontal([col("__inner"), col("__tail")])?
                .fill_null(lit(r) - col("__w0") + lit(1))
                .alias("__longest_gap"),
        ))
}

/// Spell-based compliance measures (group = group at entry, municipality of the spell).
pub fn spell_measures(ctx: &Context<'_>) -> PolarsResult<Vec<Contribution>> {
    let (p, r) = (ctx.period, ctx.r());
    let fresh = ctx
        .spells
        .df
        .clone()
        .lazy()
        .filter(col(sp::LEFT_CENSORED).not())
        .with_column(col(sp::GROUP_AT_ENTRY).alias(s::GROUP));
    let in_p = |e: Expr| e.clone().gt_eq(lit(p.start)).and(e.lt_eq(lit(p.end)));
    let first_week = fresh
        .clone()
        .filter(in_p(col(sp::SPELL_START)).and((col(sp::SPELL_START) + lit(6)).lt_eq(lit(r))))
        .with_column((col(sp::SPELL_START) + lit(6)).alias("__to"));
    let first_week = intervals::count_in(
        first_week,
        sp::SPELL_START,
        "__to",
        ctx.held_meetings.clone(),
        HELD,
        "__held_n",
    );
    let six = fresh
        .clone()
        .filter(in_p(col(sp::SPELL_START) + lit(182)).and(col(sp::DURATION_DAYS).gt_eq(lit(183))))
        .with_column((col(sp::SPELL_START) + lit(182)).alias("__to"));
    let six = intervals::count_in(
        six,
        sp::SPELL_START,
        "__to",
        ctx.held_meetings.clone(),
        HELD,
        "__held_n",
    );
    let six = intervals::covered_in(
        six,
        sp::SPELL_START,
        "__to",
        ctx.activation_days.clone(),
        "__act",
    );
    let six = intervals::covered_in(
        six,
        sp::SPELL_START,
        "__to",
        ctx.company_days.clone(),
        "__company",
    )
    // Shared by four measures: computed once.
    .collect()?
    .lazy();
    let rule_from = dates::ymd(
        RULE_4_PLUS_1_FROM.0,
        RULE_4_PLUS_1_FROM.1,
        RULE_4_PLUS_1_FROM.2,
    )
    .unwrap_or(Day::MIN);
    let four = col("__held_n").gt_eq(lit(4));
    let offer = col("__act").gt(lit(0));
    Ok(vec![
        contribution(
            "first_meeting_7d",
            Kind::Proportion,
            first_week,
            lit(1),
            col("__held_n").gt_eq(lit(1)),
            "Spells starting in P (start + 6 ≤ R, not left-censored) with a held meeting in \
             [start, start + 6]: the law asks for a first conversation within a week.",
        ),
        contribution(
            "meetings_4_in_6m",
            Kind::Proportion,
            six.clone(),
            lit(1),
            four.clone(),
            "Spells not left-censored with start + 182 in P and duration ≥ 183 that had ≥ 4 held \
             meetings in [start, start + 182]: LAB 2020 asks for four conversations in six months.",
        ),
        contribution(
            "offer_6m",
            Kind::Proportion,
            six.clone(),
            lit(1),
            offer.clone(),
            "Same spells with ≥ 1 activation day in [start, start + 182].",
        ),
        contribution(
            "rule_4_plus_1",
            Kind::Proportion,
            six.clone().filter(col(sp::SPELL_START).gt_eq(lit(rule_from))),
            lit(1),
            four.and(offer),
            "Same spells, starting on or after 2020-01-01, with both four held meetings and an \
             activation day in the first six months (Rigsrevisionen's \"4 + 1\").",
        ),
        contribution(
            "company_offer_6m",
            Kind::Proportion,
            six,
            lit(1),
            col("__company").gt(lit(0)),
            "Same spells with ≥ 1 day of a company-based offer (virksomhedspraktik, løntilskud) in \
             the first six months: BIP finds company-based offers work.",
        ),
    ])
}

/// Day-, meeting- and month-based measures over P.
pub fn period_measures(ctx: &Context<'_>) -> PolarsResult<Vec<Contribution>> {
    let p = ctx.period;
    let pieces = ctx.day_pieces.clone();

    // Meetings in P on target days: municipality covering the day, group of the meeting date.
    let meetings = ctx
        .extract
        .meetings
        .clone()
        .lazy()
        .with_column(col(s::DATE).cast(DataType::Int32))
        .filter(
            col(s::DATE)
                .gt_eq(lit(p.start))
                .and(col(s::DATE).lt_eq(lit(p.end))),
        );
    let meetings = intervals::value_on(
        meetings,
        s::DATE,
        ctx.municipality_cover.clone(),
        &[s::MUNICIPALITY],
    )
    .filter(col(s::MUNICIPALITY).is_not_null());
    let meetings = spells::group_on(meetings, s::DATE, ctx.extract)
        .collect()?
        .lazy();
    let status = col(s::STATUS);

    let per_year = concat(
        [
            pieces.clone().select([
                col(s::PERSON_ID),
                col(s::MUNICIPALITY),
                col(s::GROUP),
                col(DAYS).cast(DataType::Int64).alias("__den"),
                lit(0).cast(DataType::Int64).alias("__num"),
            ]),
            meetings.clone().select([
                col(s::PERSON_ID),
                col(s::MUNICIPALITY),
                col(s::GROUP),
                lit(0).cast(DataType::Int64).alias("__den"),
                status
                    .clone()
                    .eq(lit("held"))
                    .cast(DataType::Int64)
                    .alias("__num"),
            ]),
        ],
        UnionArgs::default(),
    )?;
    Ok(vec![
        contribution(
            "activation_rate",
            Kind::Share,
            pieces,
            col(DAYS),
            when(col(ACTIVATION).is_not_null())
                .then(col(DAYS))
                .otherwise(lit(0)),
            "Activation days ÷ target person-days in P (days covered by an intervention of an \
             activation kind); jobindsats' aktiveringsgrad in days. Oct 2020: jobparate 17 %, \
             aktivitetsparate 9 %.",
        ),
        contribution(
            "cancel_share",
            Kind::Share,
            meetings
                .clone()
                .filter(status.clone().neq(lit("cancelled_jobcentre"))),
            lit(1),
            status
                .clone()
                .eq(lit("cancelled_citizen"))
                .or(status.eq(lit("no_show"))),
            "Meetings in P on target days (not cancelled by the jobcentre) that the citizen \
             cancelled (afbud) or did not attend: STAR's review found afbud and fravær slow cases \
             down.",
        ),
        paid_hours_months(ctx)?,
        contribution(
            "meetings_per_year",
            Kind::PerYear,
            per_year,
            col("__den"),
            col("__num"),
            "Held meetings on target days in P per person-year on benefit: 365.25 · meetings ÷ \
             target person-days.",
        ),
    ])
}

/// `paid_hours_months`: person-months wholly inside P with ≥ 1 target day; numerator: hours > 0
/// that month. A month belongs to the municipality and group of its first target day.
fn paid_hours_months(ctx: &Context<'_>) -> PolarsResult<Contribution> {
    let p = ctx.period;
    let clipped = spells::target_periods(ctx.extract, ctx.config)
        .with_columns([
            max_horizontal([col(s::START), lit(p.start)])?.alias(s::START),
            min_horizontal([col(s::END), lit(p.end)])?.alias(s::END),
        ])
        .filter(col(s::START).lt_eq(col(s::END)));
    let unions = intervals::union(clipped, &[s::PERSON_ID], s::START, s::END, 0)?;
    let touched = unions
        .with_column(
            date_ranges(
                Some(dates::expr::month_start(col(s::START)).cast(DataType::Date)),
                Some(dates::expr::month_start(col(s::END)).cast(DataType::Date)),
                Some(Duration::parse("1mo")),
                None,
                ClosedWindow::Both,
            )?
            .alias("__month"),
        )
        .explode(
            by_name(["__month"], true, false),
            ExplodeOptions {
                empty_as_null: true,
                keep_nulls: true,
            },
        )
        .with_column(col("__month").cast(DataType::Int32))
        .with_column(dates::expr::month_end(col("__month")).alias("__month_end"))
        .filter(
            col("__month")
                .gt_eq(lit(p.start))
                .and(col("__month_end").lt_eq(lit(p.end))),
        )
        .group_by([col(s::PERSON_ID), col("__month")])
        .agg([max_horizontal([col(s::START), col("__month")])?
            .min()
            .alias("__first")]);
    let touched = intervals::value_on(
        touched,
        "__first",
        ctx.municipality_cover.clone(),
        &[s::MUNICIPALITY],
    );
    let touched = spells::group_on(touched, "__first", ctx.extract);
    let hours = ctx
        .extract
        .paid_hours
        .clone()
        .lazy()
        .filter(col(s::HOURS).gt(lit(0.0)))
        .select([
            col(s::PERSON_ID),
            col(s::MONTH).cast(DataType::Int32).alias("__month"),
            lit(true).alias("__paid"),
        ]);
    let rows = touched.join(
        hours,
        [col(s::PERSON_ID), col("__month")],
        [col(s::PERSON_ID), col("__month")],
        JoinArgs::new(JoinType::Left),
    );
    Ok(contribution(
        "paid_hours_months",
        Kind::Share,
        rows,
        lit(1),
        col("__paid").fill_null(false),
        "Person-months wholly inside P with ≥ 1 target day in which the person had paid hours: \
         ordinary paid hours work (BIP), and small jobs are the way forward (STAR).",
    ))
}

/// Outcome measures: in work a year after entry, and durable work after exit.
pub fn outcome_measures(ctx: &Context<'_>) -> PolarsResult<Vec<Contribution>> {
    let p = ctx.period;
    let in_p = |e: Expr| e.clone().gt_eq(lit(p.start)).and(e.lt_eq(lit(p.end)));
    let spells = ctx
        .spells
        .df
        .clone()
        .lazy()
        .with_column(col(sp::GROUP_AT_ENTRY).alias(s::GROUP));
    let year_on = spells
        .clone()
        .filter(col(sp::LEFT_CENSORED).not())
        .with_column((col(sp::SPELL_START) + lit(365)).alias("__day"))
        .filter(in_p(col("__day")));
    let year_on = status::on(year_on, "__day", ctx.status_steps.clone())?;

    let gap = ctx.config.gap_days;
    let exits = spells
        .filter(col(sp::CLOSED).and(in_p(col(sp::SPELL_END) + lit(365))))
        .with_columns([
            (col(sp::SPELL_END) + lit(gap + 1)).alias("__over"),
            (col(sp::SPELL_END) + lit(1)).alias("__after"),
            (col(sp::SPELL_END) + lit(365)).alias("__year"),
        ]);
    let exits = status::on(exits, "__over", ctx.status_steps.clone())?
        .filter(status::exit_class(col(status::STATUS)).eq(lit("work")));
    let exits = intervals::covered_in(
        exits,
        "__after",
        "__year",
        ctx.benefit_days.clone(),
        "__benefit",
    );
    // The 12 months after the end month: from the first of the next month to the first of the
    // same month a year later.
    let exits = exits.with_columns([
        dates::expr::next_month(col(sp::SPELL_END)).alias("__m1"),
        dates::expr::same_month_next_year(col(sp::SPELL_END)).alias("__m12"),
    ]);
    let exits = intervals::count_in(
        exits,
        "__m1",
        "__m12",
        ctx.paid_months.clone(),
        PAID,
        "__paid_n",
    );
    Ok(vec![
        contribution(
            "in_work_365",
            Kind::Proportion,
            year_on,
            lit(1),
            col(status::STATUS).eq(lit(status::EMPLOYMENT)),
            "Spells not left-censored with start + 365 in P whose person is in employment on \
             start + 365 (~6 % of aktivitetsparate get a job within a year, BIP).",
        ),
        contribution(
            "durable_work_12m",
            Kind::Proportion,
            exits,
            lit(1),
            col("__benefit").eq(lit(0)).and(col("__paid_n").eq(lit(12))),
            "Closed spells with exit class work and spell_end + 365 in P, with no benefit on any \
             day of [end + 1, end + 365] and paid hours in each of the 12 months after the end \
             month (benchmark.dk: 50 % of exits to work lasted 12 months).",
        ),
    ])
}
