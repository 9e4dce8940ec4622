//! The `indicators` table (MEASURES.md §4): one row per level, unit, group and measure with
//! numerator, denominator, value, Wilson interval (person- and spell-based proportions only),
//! persons behind the denominator and behind the numerator.
//!
//! Every measure is one entry of [`MEASURES`] with one function in a family file
//! (`stock_based`, `compliance`, `period`, `outcomes`) that hands over its unit-level [`Rows`].
//! Pooling to municipalities, peer groups and the country is then one aggregation for all.
//! The same rows of every proportion measure are also pooled per municipality and stratum
//! (age band on R × sex × origin) into [`Strata`] for the benchmark's indirect
//! standardisation (§6).

mod compliance;
mod outcomes;
mod period;
mod stock_based;
pub mod strata;

pub use strata::Strata;

use polars::prelude::*;

use crate::reference::Reference;
use crate::schema::out::hidden::PROPORTION;
use crate::schema::out::{
    self, TableId, CI_HI, CI_LO, DENOMINATOR, MEASURE, NUMERATOR, PERSONS_NUM, VALUE,
};
use crate::schema::PERSON_ID;
use crate::stats::wilson;

use super::context::Context;
use super::{by_levels, Definition, Table, LEVEL_KEYS};

// Columns of a measure's unit-level rows, once its expressions are evaluated.
const DEN: &str = "__den";
const NUM: &str = "__num";

/// What a measure's units are, which decides its value and interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Person- or spell-based proportion: value = num / den with a Wilson interval.
    Proportion,
    /// Day-, month- or meeting-based proportion: value = num / den, no interval (units are not
    /// independent).
    Share,
    /// `meetings_per_year`: value = 365.25 · num / den (den in person-days), no interval.
    PerYear,
}

/// A measure's unit-level rows (a person, a spell, a piece of days, a meeting or a
/// person-month, each with `person_id`, `municipality` and `group`) with the expressions of its
/// denominator and numerator on them.
pub struct Units {
    rows: LazyFrame,
    den: Expr,
    num: Expr,
}

/// What a measure hands over: its units, or why it was not computed.
pub enum Rows {
    Units(Box<Units>),
    NotComputed(String),
}

impl Rows {
    pub fn of(rows: LazyFrame, den: Expr, num: Expr) -> Rows {
        Rows::Units(Box::new(Units { rows, den, num }))
    }
}

/// One indicator of MEASURES.md §4: its name in the table, the kind of its units, the
/// definition published with it, and the function that builds its rows (whose doc comment
/// states the formula and why the measure exists).
pub struct Measure {
    pub name: &'static str,
    pub kind: Kind,
    /// What the measure counts, in a few plain words for readings such as "fewer first
    /// conversations within 7 days than expected" on a municipality's page.
    pub reading: &'static str,
    pub definition: &'static str,
    pub rows: fn(&Context<'_>) -> PolarsResult<Rows>,
}

use Kind::{PerYear, Proportion, Share};

/// Every indicator, in the order of MEASURES.md §4 (also the order of the manifest's notes).
/// A new indicator is a function in one of the family files and an entry here.
pub const MEASURES: &[Measure] = &[
    Measure {
        name: "long_term_share",
        kind: Proportion,
        reading: "long-term recipients (over two years on benefit)",
        definition: "Stock on R with |[spell_start, R]| > long_term_days (730): long-term means \
                     more than two years on benefit.",
        rows: stock_based::long_term_share,
    },
    Measure {
        name: "long_term_5y_share",
        kind: Proportion,
        reading: "recipients on benefit for over five years",
        definition: "Stock on R with |[spell_start, R]| > 1826 days (five years).",
        rows: stock_based::long_term_5y_share,
    },
    Measure {
        name: "support_80pct_5y_share",
        kind: Proportion,
        reading: "recipients on support at least 80 % of five years",
        definition: "Stock on R with target-benefit days in [R − 1825, R] ≥ 0.8 × 1826 (BIP: 63 % \
                     of aktivitetsparate on support at least 80 % of the last five years).",
        rows: stock_based::support_80pct_5y_share,
    },
    Measure {
        name: "any_offer_12m",
        kind: Proportion,
        reading: "long cases with an offer in the last 12 months",
        definition: "Stock on R with |[spell_start, R]| ≥ 365 that had ≥ 1 support day \
                     (activation or mentor) in [R − 364, R]; about 1 in 4 aktivitetsparate had \
                     no offer in 65 weeks (DA).",
        rows: stock_based::any_offer_12m,
    },
    Measure {
        name: "passive_12m",
        kind: Proportion,
        reading: "long cases over 12 months without activation or mentor",
        definition: "Stock on R with |[spell_start, R]| > 365 that had a run of > 365 consecutive \
                     days in [max(spell_start, X), R] without a support day: over 12 months \
                     without activation or mentor, a known failure (Halsnæs, STAR's review).",
        rows: stock_based::passive_12m,
    },
    Measure {
        name: "rule_225",
        kind: Proportion,
        reading: "recipients meeting the 225-hour rule",
        definition: "Stock on R (2016-04-01..2025-06-30) with ≥ 365 target days in [R − 1095, R] \
                     that had ≥ 225 paid hours in the 12 months ending with R's month: the \
                     225-hour rule.",
        rows: stock_based::rule_225,
    },
    Measure {
        name: "first_meeting_7d",
        kind: Proportion,
        reading: "first conversations within 7 days",
        definition: "Spells starting in P (start + 6 ≤ R, not left-censored) with a held meeting \
                     in [start, start + 6]: the law asks for a first conversation within a week.",
        rows: compliance::first_meeting_7d,
    },
    Measure {
        name: "meetings_4_in_6m",
        kind: Proportion,
        reading: "spells with four conversations in the first six months",
        definition: "Spells not left-censored with start + 182 in P and duration ≥ 183 that had ≥ \
                     4 held meetings in [start, start + 182]: LAB 2020 asks for four \
                     conversations in six months.",
        rows: compliance::meetings_4_in_6m,
    },
    Measure {
        name: "offer_6m",
        kind: Proportion,
        reading: "spells with an offer in the first six months",
        definition: "Same spells with ≥ 1 activation day in [start, start + 182].",
        rows: compliance::offer_6m,
    },
    Measure {
        name: "rule_4_plus_1",
        kind: Proportion,
        reading: "spells meeting the 4 + 1 rule",
        definition: "Same spells, starting on or after 2020-01-01, with both four held meetings \
                     and an activation day in the first six months (Rigsrevisionen's \"4 + 1\").",
        rows: compliance::rule_4_plus_1,
    },
    Measure {
        name: "company_offer_6m",
        kind: Proportion,
        reading: "spells with a company-based offer in the first six months",
        definition: "Same spells with ≥ 1 day of a company-based offer (virksomhedspraktik, \
                     løntilskud) in the first six months: BIP finds company-based offers work.",
        rows: compliance::company_offer_6m,
    },
    Measure {
        name: "activation_rate",
        kind: Share,
        reading: "activation days",
        definition: "Activation days ÷ target person-days in P (days covered by an intervention \
                     of an activation kind); jobindsats' aktiveringsgrad in days. Oct 2020: \
                     jobparate 17 %, aktivitetsparate 9 %.",
        rows: period::activation_rate,
    },
    Measure {
        name: "cancel_share",
        kind: Share,
        reading: "meetings cancelled or missed by the citizen",
        definition: "Meetings in P on target days (not cancelled by the jobcentre) that the \
                     citizen cancelled (afbud) or did not attend: STAR's review found afbud and \
                     fravær slow cases down.",
        rows: period::cancel_share,
    },
    Measure {
        name: "paid_hours_months",
        kind: Share,
        reading: "months with paid hours",
        definition: "Person-months wholly inside P with ≥ 1 target day in which the person had \
                     paid hours: ordinary paid hours work (BIP), and small jobs are the way \
                     forward (STAR).",
        rows: period::paid_hours_months,
    },
    Measure {
        name: "meetings_per_year",
        kind: PerYear,
        reading: "held meetings per person-year",
        definition: "Held meetings on target days in P per person-year on benefit: 365.25 · \
                     meetings ÷ target person-days.",
        rows: period::meetings_per_year,
    },
    Measure {
        name: "in_work_365",
        kind: Proportion,
        reading: "people in work a year after entry",
        definition: "Spells not left-censored with start + 365 in P whose person is in employment \
                     on start + 365 (~6 % of aktivitetsparate get a job within a year, BIP).",
        rows: outcomes::in_work_365,
    },
    Measure {
        name: "durable_work_12m",
        kind: Proportion,
        reading: "exits to work that lasted 12 months",
        definition: "Closed spells with exit class work and spell_end + 365 in P, with no benefit \
                     on any day of [end + 1, end + 365] and paid hours in each of the 12 months \
                     after the end month (benchmark.dk: 50 % of exits to work lasted 12 months).",
        rows: outcomes::durable_work_12m,
    },
];

/// The measure called `name`.
pub fn measure(name: &str) -> Option<&'static Measure> {
    MEASURES.iter().find(|m| m.name == name)
}

/// Builds every measure of [`MEASURES`], pools their rows to every level and group and builds
/// the table; returns it with the strata of the proportion measures (for the benchmark) and the
/// notes of the measures not computed, in registry order.
pub fn table(
    ctx: &Context<'_>,
    reference: &Reference,
    z: f64,
) -> PolarsResult<(Table, Strata, Vec<String>)> {
    let r_year = crate::dates::year_of(ctx.r());
    let mut parts = Vec::new();
    let mut strata_parts = Vec::new();
    let mut definitions = Vec::new();
    let mut notes = Vec::new();
    let person_strata = strata::PersonStrata::new(&ctx.persons, r_year)?;
    for m in MEASURES {
        let Units { rows, den, num } = match (m.rows)(ctx)? {
            Rows::Units(units) => *units,
            Rows::NotComputed(note) => {
                notes.push(note);
                continue;
            }
        };
        let rows = rows.select([
            col(PERSON_ID),
            col(crate::schema::MUNICIPALITY),
            col(crate::schema::GROUP),
            den.cast(DataType::Int64).alias(DEN),
            num.cast(DataType::Int64).alias(NUM),
        ]);
        // Materialised once: the levels and the strata both pool these rows.
        let rows = rows.collect()?.lazy();
        if m.kind != Kind::PerYear {
            strata_parts.push(
                person_strata
                    .pool(rows.clone(), m.name, DEN, NUM)
                    .collect()?
                    .lazy(),
            );
        }
        // The pooled parts (here and in the strata) are collected at once, so that a measure's
        // unit-level rows (up to one per meeting) are freed before the next measure's are built.
        let pooled = by_levels(
            rows,
            reference,
            &[],
            &[
                col(NUM).sum().alias(NUMERATOR),
                col(DEN).sum().alias(DENOMINATOR),
                col(PERSON_ID)
                    .filter(col(DEN).gt(lit(0)))
                    .n_unique()
                    .cast(DataType::Int64)
                    .alias(out::PERSONS),
                col(PERSON_ID)
                    .filter(col(NUM).gt(lit(0)))
                    .n_unique()
                    .cast(DataType::Int64)
                    .alias(PERSONS_NUM),
            ],
        )?
        .filter(col(DENOMINATOR).gt(lit(0)))
        .with_column(lit(m.name).alias(MEASURE))
        .collect()?
        .lazy();
        parts.push(pooled);
        definitions.push((m.name, m.definition));
    }
    let mut keys: Vec<&str> = LEVEL_KEYS.to_vec();
    keys.push(MEASURE);
    let mut df = concat(parts, UnionArgs::default())?
        .select([
            col(out::LEVEL),
            col(out::UNIT),
            col(out::UNIT_NAME),
            col(out::GROUP),
            col(MEASURE),
            col(NUMERATOR).cast(DataType::Int64),
            col(DENOMINATOR).cast(DataType::Int64),
            col(out::PERSONS),
            col(PERSONS_NUM),
        ])
        .sort(keys.clone(), SortMultipleOptions::default())
        .collect()?;

    // Value and interval per row; the kind comes from the measure.
    let measures: Vec<String> = df
        .column(MEASURE)?
        .str()?
        .iter()
        .map(|m| m.unwrap_or("").to_owned())
        .collect();
    let num = df.column(NUMERATOR)?.i64()?.clone();
    let den = df.column(DENOMINATOR)?.i64()?.clone();
    let (mut value, mut lo, mut hi, mut proportion) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for ((m, n), d) in measures.iter().zip(num.iter()).zip(den.iter()) {
        let kind = measure(m).map_or(Kind::Share, |m| m.kind);
        let (n, d) = (n.unwrap_or(0), d.unwrap_or(0));
        let ratio = n as f64 / d as f64;
        value.push(if kind == Kind::PerYear {
            365.25 * ratio
        } else {
            ratio
        });
        let ci = (kind == Kind::Proportion)
            .then(|| wilson::interval(n as u64, d as u64, z))
            .flatten();
        proportion.push(kind == Kind::Proportion);
        lo.push(ci.map(|c| c.0));
        hi.push(ci.map(|c| c.1));
    }
    df.insert_column(7, Column::new(VALUE.into(), value))?;
    df.insert_column(8, Column::new(CI_LO.into(), lo))?;
    df.insert_column(9, Column::new(CI_HI.into(), hi))?;
    // Working column for disclosure control: the proportion rule applies to these rows.
    df.with_column(Column::new(PROPORTION.into(), proportion))?;
    let table = Table {
        id: TableId::Indicators,
        df,
        keys,
        definition: Definition::Measures(definitions),
    };
    let strata = strata::collect(strata_parts, reference)?;
    Ok((table, strata, notes))
}
