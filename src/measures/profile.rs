//! The long-term profile (MEASURES.md §5): the stock on R split into long-term and not, described
//! variable by variable.
//!
//! Why: STAR's review of 375 long cases asked who the long-term recipients are — their age,
//! sex, origin, education and match group, how much the jobcentre did with them in the last
//! year (offers, meetings, cancellations), whether they worked, and whether they were on
//! sygedagpenge or on support most of the last five years. The table answers that for the
//! whole stock, set against those who are not (yet) long-term.

use polars::prelude::*;

use crate::dates::{self, Day};
use crate::schema as s;
use crate::schema::out::{TableId, CATEGORY, PROFILE_SIDES, VARIABLE};

use super::context::{materialise, Context, EPS, RULE_225_HOURS};
use super::stock::{band, DAYS_ON};
use super::{Definition, Table};

/// The category of a null value (MEASURES.md §5).
pub const UNKNOWN: &str = "unknown";

// Count bands of the 12-month variables: label and the largest count in the band.
const INTERVENTION_BANDS: [(&str, i32); 3] = [("0", 0), ("1", 1), ("2+", i32::MAX)];
const MEETING_BANDS: [(&str, i32); 3] = [("0", 0), ("1-3", 3), ("4+", i32::MAX)];
const CANCELLATION_BANDS: [(&str, i32); 2] = [("0", 0), ("1+", i32::MAX)];

// Working columns: the side, and one value per person for each variable that needs one.
const LONG: &str = "__long";
const R: &str = "__r";
const FROM_12M: &str = "__from_12m";
const INTERVENTIONS: &str = "__interventions";
const MEETINGS: &str = "__meetings";
const CANCELLATIONS: &str = "__cancellations";
const HOURS: &str = "__hours";
const SICK: &str = "__sick";
const SUPPORT: &str = "__support";

/// One variable of the profile: its name, its category per person, and the first day of its
/// look-back window (`None`: read on R alone).
struct Variable {
    name: &'static str,
    category: Expr,
    window_from: Option<Day>,
}

/// `longterm_profile` (MEASURES.md §5, columns of §8): the stock on R (`stock::stock`), split
/// into long-term (`days_on = |[spell_start, R]| > long_term_days`) and not; for every variable
/// and category, `n_long` and `n_short` persons, `share_long = n_long / Σ n_long` and
/// `share_short = n_short / Σ n_short`, the sums over the variable's categories (every variable
/// splits the same persons, so the sums are the long-term stock and the rest of it; a share is
/// null when its sum is 0). Variables (categories):
/// - `age_band` on R by §1.6 (`year(R) − birth_year`; below 18 counts in 18-29); `sex`,
///   `origin`, `education` as in the persons file; `group` = group(R);
/// - in `[R − 364, R]`: `interventions_12m`, intervention rows of any kind overlapping it
///   (0, 1, 2+); `meetings_12m`, held meetings, on target days or not (0, 1-3, 4+);
///   `cancellations_12m`, meetings cancelled by the citizen or not attended (0, 1+);
/// - `paid_hours_12m`: hours in the 12 calendar months ending with R's month (0; 1-224 for
///   > 0 and < 225 − 1e-9; 225+), the window of `rule_225`;
/// - in `[R − 1825, R]`: `sygedagpenge_5y`, any sygedagpenge day (no, yes);
///   `support_80pct_5y`, the test of `support_80pct_5y_share` (no, yes).
///
/// A null value is the category `unknown`. Rows exist only for categories with at least one
/// person on either side (MEASURES.md: rows only for non-empty cells), sorted by variable and
/// category in byte order (§8). A variable whose look-back window starts before X is not
/// computed, like the indicators (MEASURES.md, general conventions): it has no rows, and its
/// note (returned) goes into the manifest.
///
/// Working columns for disclosure control: each side's total, `__total_long` and
/// `__total_short`.
pub fn longterm_profile(ctx: &Context<'_>) -> PolarsResult<(Table, Vec<String>)> {
    let r = ctx.r();
    let from_12m = ctx.year_from();
    let from_5y = ctx.five_years_from();
    let people = materialise(person_values(ctx, from_12m)?)?;
    let yes_no = |c: &str| {
        when(col(c))
            .then(lit("yes"))
            .when(col(c).not())
            .then(lit("no"))
            .otherwise(lit(NULL).cast(DataType::String))
    };
    let paid_hours = when(col(HOURS).lt_eq(lit(0.0)))
        .then(lit("0"))
        .when(col(HOURS).lt(lit(RULE_225_HOURS - EPS)))
        .then(lit("1-224"))
        .otherwise(lit("225+"));
    let variables = [
        Variable {
            name: "age_band",
            category: s::age_band(col(s::BIRTH_YEAR), dates::year_of(r)),
            window_from: None,
        },
        Variable {
            name: "sex",
            category: col(s::SEX),
            window_from: None,
        },
        Variable {
            name: "origin",
            category: col(s::ORIGIN),
            window_from: None,
        },
        Variable {
            name: "education",
            category: col(s::EDUCATION),
            window_from: None,
        },
        Variable {
            name: "group",
            category: col(s::GROUP),
            window_from: None,
        },
        Variable {
            name: "interventions_12m",
            category: band(col(INTERVENTIONS), &INTERVENTION_BANDS).1,
            window_from: Some(from_12m),
        },
        Variable {
            name: "meetings_12m",
            category: band(col(MEETINGS), &MEETING_BANDS).1,
            window_from: Some(from_12m),
        },
        Variable {
            name: "cancellations_12m",
            category: band(col(CANCELLATIONS), &CANCELLATION_BANDS).1,
            window_from: Some(from_12m),
        },
        Variable {
            name: "paid_hours_12m",
            category: paid_hours,
            window_from: Some(ctx.twelve_months_from()?),
        },
        Variable {
            name: "sygedagpenge_5y",
            category: yes_no(SICK),
            window_from: Some(from_5y),
        },
        Variable {
            name: "support_80pct_5y",
            category: yes_no(SUPPORT),
            window_from: Some(from_5y),
        },
    ];
    let mut parts = Vec::new();
    let mut notes = Vec::new();
    for v in variables {
        let unknown = v.window_from.and_then(|from| {
            ctx.window_unknown(&format!("longterm_profile variable {}", v.name), from)
        });
        if let Some(note) = unknown {
            notes.push(note);
            continue;
        }
        parts.push(
            people.clone().select([
                lit(v.name).alias(VARIABLE),
                v.category
                    .cast(DataType::String)
                    .fill_null(lit(UNKNOWN))
                    .alias(CATEGORY),
                col(LONG),
            ]),
        );
    }
    let mut lf = concat(parts, UnionArgs::default())?
        .group_by([col(VARIABLE), col(CATEGORY)])
        .agg([
            col(LONG)
                .sum()
                .cast(DataType::Int64)
                .alias(PROFILE_SIDES[0].0),
            col(LONG)
                .not()
                .sum()
                .cast(DataType::Int64)
                .alias(PROFILE_SIDES[1].0),
        ]);
    let mut columns = vec![col(VARIABLE), col(CATEGORY)];
    for (n, share, total) in PROFILE_SIDES {
        lf = lf
            .with_column(col(n).sum().over([col(VARIABLE)])?.alias(total))
            .with_column(
                when(col(total).gt(lit(0)))
                    .then(col(n).cast(DataType::Float64) / col(total).cast(DataType::Float64))
                    .otherwise(lit(NULL).cast(DataType::Float64))
                    .alias(share),
            );
        columns.extend([col(n), col(share)]);
    }
    columns.extend(PROFILE_SIDES.iter().map(|(_, _, total)| col(*total)));
    let df = lf
        .select(columns)
        .sort([VARIABLE, CATEGORY], SortMultipleOptions::default())
        .collect()?;
    let table = Table {
        id: TableId::LongtermProfile,
        df,
        keys: vec![VARIABLE, CATEGORY],
        definition: Definition::Text(
            "The stock on R split into long-term (|[spell_start, R]| > long_term_days) and not: \
             per variable and category the persons on each side (n_long, n_short) and their \
             share of that side. Variables: age_band on R; sex; origin; education; group(R); \
             interventions_12m (intervention rows overlapping [R − 364, R]: 0, 1, 2+); \
             meetings_12m (held meetings there, on target days or not: 0, 1-3, 4+); \
             cancellations_12m (cancelled by the citizen or not attended there: 0, 1+); \
             paid_hours_12m (hours in the 12 months ending with R's month: 0, 1-224, 225+); \
             sygedagpenge_5y (any sygedagpenge day in [R − 1825, R]); support_80pct_5y \
             (target-benefit days in [R − 1825, R] ≥ 0.8 × 1826). A null value is `unknown`; \
             a variable whose window starts before extract_start is not computed.",
        ),
    };
    Ok((table, notes))
}

/// The stock on R, one row per person, with the persons' attributes, the side ([`LONG`]) and
/// the value behind every windowed variable.
fn person_values(ctx: &Context<'_>, from_12m: Day) -> PolarsResult<LazyFrame> {
    let attributes = [s::BIRTH_YEAR, s::SEX, s::ORIGIN, s::EDUCATION]
        .iter()
        .map(|c| Ok(crate::extract::of_person(&ctx.persons, c)?.alias(*c)))
        .collect::<PolarsResult<Vec<_>>>()?;
    // The extract is cut at R, so every row below starts (or is dated) on or before R.
    let in_12m = |c: &str| col(c).cast(DataType::Int32).gt_eq(lit(from_12m));
    let interventions = ctx.interventions.clone().lazy().filter(in_12m(s::END));
    let status = col(s::STATUS);
    let cancellations = ctx.meetings.clone().lazy().filter(
        in_12m(s::DATE).and(
            status
                .clone()
                .eq(lit("cancelled_citizen"))
                .or(status.eq(lit("no_show"))),
        ),
    );
    let sick = ctx
        .sick_5y
        .clone()
        .unique(None, UniqueKeepStrategy::Any)
        .with_column(lit(true).alias(SICK));
    let lf = ctx.stock.clone().with_columns(attributes).with_columns([
        col(DAYS_ON).gt(lit(ctx.config.long_term_days)).alias(LONG),
        lit(from_12m).alias(FROM_12M),
        lit(ctx.r()).alias(R),
    ]);
    let lf = ctx.held_in(lf, FROM_12M, R, MEETINGS);
    let lf = with_count(lf, interventions, INTERVENTIONS);
    let lf = with_count(lf, cancellations, CANCELLATIONS);
    let lf = ctx
        .twelve_month_hours(lf, HOURS)?
        .join(
            sick,
            [col(s::PERSON_ID)],
            [col(s::PERSON_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(col(SICK).fill_null(lit(false)));
    Ok(ctx.support_80pct_5y(lf, SUPPORT))
}

/// Adds `out` = the number of rows of `rows` per person (0 without any).
fn with_count(lf: LazyFrame, rows: LazyFrame, out: &str) -> LazyFrame {
    let counts = rows
        .group_by([col(s::PERSON_ID)])
        .agg([len().cast(DataType::Int32).alias(out)]);
    lf.join(
        counts,
        [col(s::PERSON_ID)],
        [col(s::PERSON_ID)],
        JoinArgs::new(JoinType::Left),
    )
    .with_column(col(out).fill_null(lit(0)))
}
