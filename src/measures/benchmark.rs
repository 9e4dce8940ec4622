//! The `benchmark` table (MEASURES.md §6, columns of §8): for every proportion measure (all
//! indicators but `meetings_per_year`) and every municipality (group `all`), how the
//! municipality compares with its peer group and the country, raw and once its population mix
//! is taken into account.
//!
//! Why: a municipality such as Halsnæs asks how it compares with municipalities like it. Raw
//! values differ partly because the people differ (a municipality with older recipients has more
//! long-term cases for that reason alone), so besides its value, its peer group's and the
//! country's and its rank, each row carries:
//! - `expected` by indirect standardisation over strata s = age band on R (§1.6) × sex × origin
//!   (null origin its own stratum): `expected_m = Σ_s den_{m,s} · p_{nat,s}` with
//!   `p_{nat,s} = num_{nat,s} / den_{nat,s}`, the count the municipality would have if its
//!   people fared as people like them fare nationally;
//! - `oe_ratio = num_m / expected_m` with the exact Poisson interval on `num_m`
//!   (`stats::poisson::exact_interval`) divided by `expected_m`;
//! - the funnel score `z = (p_m − p_nat) / √(p_nat (1 − p_nat) / den_m)`: how many standard
//!   errors the raw value lies from the country's at the municipality's size, with its
//!   [`FunnelFlag`] at the 95 % and 99.8 % limits.
//!
//! expected, oe_* and funnel_* exist only for person- and spell-based proportions
//! (`Kind::Proportion`): the units of day-, month- and meeting-based shares are not independent,
//! so no count model holds for them.
//!
//! Privacy. The table is built by `disclosure`, from the `indicators` table as published (after
//! the primary and secondary rules): every value, numerator, denominator and rank comes from a
//! published row, and the row's hidden flags ([`DERIVED`]) say which columns derive from a
//! suppressed `indicators` row, which `disclosure` then nulls. `expected` is the only figure
//! drawn from unpublished data ([`Strata`]): a weighted sum of the municipality's
//! denominators by stratum (published nowhere) with national stratum rates (published
//! nowhere). It carries no numerator of the municipality, and `oe_ratio × expected = num_m` is
//! published only where `num_m` is. The one exact relation it enters is
//! `Σ_m expected_m = num_nat`; with the rows of suppressed municipalities nulled, that tells at
//! most their expected counts together, which hold no numerator and, should every stratum have
//! the same rate, equal `p_nat ×` their denominators together: a sum the published
//! denominators already tell, since secondary suppression gives every hidden denominator a
//! hidden partner. A suppressed national row hides `expected` everywhere (its sum would tell
//! the national numerator) and the funnel (z tells `p_nat`).

use polars::prelude::*;

use crate::schema::out::hidden::{NATIONAL_HIDDEN, PEER_HIDDEN, UNIT_HIDDEN};
use crate::schema::out::{
    self, TableId, DENOMINATOR, EXPECTED, FUNNEL_FLAG, FUNNEL_Z, MEASURE, NATIONAL_VALUE,
    NUMERATOR, N_RANKED, OE_HI, OE_LO, OE_RATIO, PEER_GROUP, PEER_VALUE, RANK, UNIT, UNIT_NAME,
    VALUE,
};
use crate::schema::ALL_GROUPS;
use crate::stats::{poisson, z_value};

use super::indicators::strata::{DEN, NUM, STRATUM};
use super::indicators::{Kind, Strata, MEASURES};
use super::{floats, ints, texts, Definition, Table};

/// Columns of a row that derive from each `indicators` row it is built from: the
/// municipality's, its peer group's and the country's. Where the flag is set (that row is
/// suppressed), `disclosure` nulls the columns and marks the row `suppressed`.
pub const DERIVED: [(&str, &[&str]); 3] = [
    (
        UNIT_HIDDEN,
        &[
            VALUE,
            RANK,
            EXPECTED,
            OE_RATIO,
            OE_LO,
            OE_HI,
            FUNNEL_Z,
            FUNNEL_FLAG,
        ],
    ),
    (PEER_HIDDEN, &[PEER_VALUE]),
    (
        NATIONAL_HIDDEN,
        &[
            NATIONAL_VALUE,
            EXPECTED,
            OE_RATIO,
            OE_LO,
            OE_HI,
            FUNNEL_Z,
            FUNNEL_FLAG,
        ],
    ),
];

// Working columns of this module.
const RATE: &str = "__national_rate";

/// Whether a measure of this kind is benchmarked (§6: every proportion, not
/// `meetings_per_year`).
pub fn benchmarked(kind: Kind) -> bool {
    kind != Kind::PerYear
}

/// Where a municipality lies in the funnel plot of a measure (§6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunnelFlag {
    Inside,
    Above95,
    Below95,
    Above998,
    Below998,
}

impl FunnelFlag {
    /// The label in `funnel_flag`.
    pub const fn label(self) -> &'static str {
        match self {
            FunnelFlag::Inside => "inside",
            FunnelFlag::Above95 => "above_95",
            FunnelFlag::Below95 => "below_95",
            FunnelFlag::Above998 => "above_998",
            FunnelFlag::Below998 => "below_998",
        }
    }

    /// The flag of funnel score `z`: strictly beyond ±[`FunnelLimits::z95`] or
    /// ±[`FunnelLimits::z998`], with the 1e-9 of rounding MEASURES.md allows a computed float
    /// against a threshold (a z that is 1.960 in exact arithmetic stays `inside`).
    pub fn of(z: f64) -> FunnelFlag {
        let limits = FunnelLimits::new();
        let beyond = |limit: f64| z.abs() > limit + FLOAT_SLACK;
        match (beyond(limits.z998), beyond(limits.z95), z > 0.0) {
            (true, _, true) => FunnelFlag::Above998,
            (true, _, false) => FunnelFlag::Below998,
            (false, true, true) => FunnelFlag::Above95,
            (false, true, false) => FunnelFlag::Below95,
            (false, false, _) => FunnelFlag::Inside,
        }
    }
}

/// Rounding allowed when a computed float meets a threshold (MEASURES.md, introduction).
const FLOAT_SLACK: f64 = 1e-9;

/// The funnel's control limits in standard errors: the two-sided 95 % and 99.8 % normal
/// quantiles (statrs), at the three decimals §6 gives them (1.960 and 3.090), so the flags
/// follow the spec's "strictly beyond ±1.960 and ±3.090" to the letter. A funnel chart draws
/// its limits at `p_nat ± z · √(p_nat (1 − p_nat) / den)` with these z.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FunnelLimits {
    pub z95: f64,
    pub z998: f64,
}

impl FunnelLimits {
    pub fn new() -> FunnelLimits {
        let three_decimals = |z: f64| (z * 1000.0).round() / 1000.0;
        FunnelLimits {
            z95: three_decimals(z_value(0.95)),
            z998: three_decimals(z_value(0.998)),
        }
    }
}

impl Default for FunnelLimits {
    fn default() -> Self {
        FunnelLimits::new()
    }
}

/// Funnel score `(p_m − p_nat) / √(p_nat (1 − p_nat) / den_m)` (§6); `None` where the national
/// rate is 0 or 1 (no spread: every unit's rate equals it) or `den_m` is 0.
pub fn funnel_z(p_m: f64, p_nat: f64, den_m: i64) -> Option<f64> {
    let variance = p_nat * (1.0 - p_nat) / den_m as f64;
    (variance > 0.0 && variance.is_finite()).then(|| (p_m - p_nat) / variance.sqrt())
}

/// An O/E ratio with its exact interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Oe {
    pub ratio: f64,
    pub lo: f64,
    pub hi: f64,
}

/// `observed / expected` with the exact (Garwood) Poisson interval on `observed` at
/// `confidence`, divided by `expected` (§6; the lower bound is 0 when nothing is observed).
/// `None` when `expected` is not positive (no national event in the municipality's strata).
pub fn oe(observed: u64, expected: f64, confidence: f64) -> Option<Oe> {
    if expected.is_nan() || expected <= 0.0 {
        return None;
    }
    let (lo, hi) = poisson::exact_interval(observed, confidence);
    Some(Oe {
        ratio: observed as f64 / expected,
        lo: lo / expected,
        hi: hi / expected,
    })
}

/// Rank of `value` among the non-null values of its measure, 1 = highest; equal values share
/// the smallest rank (1, 2, 2, 4); null stays null.
fn rank(value: Expr) -> PolarsResult<Expr> {
    Ok(value
        .rank(
            RankOptions {
                method: RankMethod::Min,
                descending: true,
            },
            None,
        )
        .over([col(MEASURE)])?
        .cast(DataType::Int64))
}

/// `expected_m = Σ_s den_{m,s} · p_{nat,s}` per (measure, municipality), with the
/// municipality's peer group; the national rates pool every municipality's strata, as the
/// national `indicators` row pools every unit.
fn expected(strata: LazyFrame) -> LazyFrame {
    let mut by: Vec<Expr> = vec![col(MEASURE)];
    by.extend(STRATUM.iter().map(|c| col(*c)));
    let rates = strata
        .clone()
        .group_by(by.clone())
        .agg([
            (col(NUM).sum().cast(DataType::Float64) / col(DEN).sum().cast(DataType::Float64))
                .alias(RATE),
        ]);
    // A float sum depends on the order of its terms, and a join's output order does not repeat
    // from run to run: sort the terms by stratum so that reruns give identical bytes.
    let mut order: Vec<&str> = vec![MEASURE, UNIT];
    order.extend(STRATUM);
    strata
        .join(rates, by.clone(), by, JoinArgs::new(JoinType::Left))
        .sort(order, SortMultipleOptions::default())
        .group_by_stable([col(MEASURE), col(UNIT)])
        .agg([
            (col(DEN).cast(DataType::Float64) * col(RATE))
                .sum()
                .alias(EXPECTED),
            col(PEER_GROUP).first(),
        ])
}

/// The benchmark from the `indicators` table as published (`suppressed` set, suppressed
/// figures null) and the strata of its proportion measures, at `confidence` for the O/E
/// interval. Rows: every (municipality, measure) with an `indicators` row in group `all`,
/// sorted by the keys (unit, unit_name, measure). The hidden flags of [`DERIVED`] are set
/// but not yet applied: `disclosure` applies them.
pub fn table(indicators: &Table, strata: &Strata, confidence: f64) -> PolarsResult<Table> {
    let names: Vec<&str> = MEASURES
        .iter()
        .filter(|m| benchmarked(m.kind))
        .map(|m| m.name)
        .collect();
    let rows = indicators
        .df
        .clone()
        .lazy()
        .filter(
            col(out::GROUP)
                .eq(lit(ALL_GROUPS))
                .and(crate::schema::is_one_of(
                    col(MEASURE),
                    Series::new("measures".into(), &names),
                )),
        );
    // A row is hidden when it was suppressed (its value is null then too).
    let hidden = col(out::SUPPRESSED)
        .fill_null(lit(true))
        .or(col(VALUE).is_null());
    let level = |l: &str| rows.clone().filter(col(out::LEVEL).eq(lit(l)));
    let peers = level(out::LEVEL_PEER_GROUP).select([
        col(UNIT).alias(PEER_GROUP),
        col(MEASURE),
        col(VALUE).alias(PEER_VALUE),
        hidden.clone().alias(PEER_HIDDEN),
    ]);
    let national = level(out::LEVEL_NATIONAL).select([
        col(MEASURE),
        col(VALUE).alias(NATIONAL_VALUE),
        hidden.clone().alias(NATIONAL_HIDDEN),
    ]);
    let left = || JoinArgs::new(JoinType::Left);
    let keys = vec![UNIT, UNIT_NAME, MEASURE];
    let df = level(out::LEVEL_MUNICIPALITY)
        .select([
            col(UNIT),
            col(UNIT_NAME),
            col(MEASURE),
            col(VALUE),
            col(NUMERATOR),
            col(DENOMINATOR),
            hidden.alias(UNIT_HIDDEN),
        ])
        .join(
            expected(strata.df().clone().lazy()),
            [col(UNIT), col(MEASURE)],
            [col(UNIT), col(MEASURE)],
            left(),
        )
        .join(
            peers,
            [col(PEER_GROUP), col(MEASURE)],
            [col(PEER_GROUP), col(MEASURE)],
            left(),
        )
        .join(national, [col(MEASURE)], [col(MEASURE)], left())
        .with_columns([
            rank(col(VALUE))?.alias(RANK),
            col(VALUE)
                .count()
                .over([col(MEASURE)])?
                .cast(DataType::Int64)
                .alias(N_RANKED),
            // Absent peer or national rows hide nothing but give nothing either.
            col(PEER_HIDDEN).fill_null(lit(true)),
            col(NATIONAL_HIDDEN).fill_null(lit(true)),
        ])
        .sort(keys.clone(), SortMultipleOptions::default())
        .collect()?;
    let df = with_scores(df, confidence)?;
    let definition = match &indicators.definition {
        Definition::Measures(all) => Definition::Measures(
            all.iter()
                .filter(|(m, _)| names.contains(m))
                .copied()
                .collect(),
        ),
        text @ Definition::Text(_) => text.clone(),
    };
    Ok(Table {
        id: TableId::Benchmark,
        df,
        keys,
        definition,
    })
}

/// Adds oe_ratio, oe_lo, oe_hi, funnel_z and funnel_flag (person- and spell-based proportions
/// only; `expected` is nulled for the others) and puts the columns in the order of §8, hidden
/// flags last.
fn with_scores(mut df: DataFrame, confidence: f64) -> PolarsResult<DataFrame> {
    let measures = texts(&df, MEASURE)?;
    let (num, den) = (ints(&df, NUMERATOR)?, ints(&df, DENOMINATOR)?);
    let (value, national) = (floats(&df, VALUE)?, floats(&df, NATIONAL_VALUE)?);
    let expected = floats(&df, EXPECTED)?;
    let n = df.height();
    let (mut exp, mut ratio, mut lo, mut hi) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut z, mut flag) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let proportion = MEASURES
            .iter()
            .any(|m| m.name == measures[i] && m.kind == Kind::Proportion);
        let e = expected[i].filter(|_| proportion);
        let o = match (num[i], e) {
            (Some(k), Some(e)) => u64::try_from(k).ok().and_then(|k| oe(k, e, confidence)),
            _ => None,
        };
        let zi = match (proportion, value[i], national[i], den[i]) {
            (true, Some(p), Some(p_nat), Some(d)) => funnel_z(p, p_nat, d),
            _ => None,
        };
        exp.push(e);
        ratio.push(o.map(|o| o.ratio));
        lo.push(o.map(|o| o.lo));
        hi.push(o.map(|o| o.hi));
        z.push(zi);
        flag.push(zi.map(|z| FunnelFlag::of(z).label()));
    }
    df.with_column(Column::new(EXPECTED.into(), exp))?;
    df.with_column(Column::new(OE_RATIO.into(), ratio))?;
    df.with_column(Column::new(OE_LO.into(), lo))?;
    df.with_column(Column::new(OE_HI.into(), hi))?;
    df.with_column(Column::new(FUNNEL_Z.into(), z))?;
    df.with_column(Column::new(FUNNEL_FLAG.into(), flag))?;
    df.select([
        UNIT,
        UNIT_NAME,
        MEASURE,
        VALUE,
        PEER_GROUP,
        PEER_VALUE,
        NATIONAL_VALUE,
        RANK,
        N_RANKED,
        EXPECTED,
        OE_RATIO,
        OE_LO,
        OE_HI,
        FUNNEL_Z,
        FUNNEL_FLAG,
        UNIT_HIDDEN,
        PEER_HIDDEN,
        NATIONAL_HIDDEN,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::indicators::strata::AGE_BAND;
    use crate::schema as s;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    #[test]
    fn expected_by_indirect_standardisation_on_two_strata() {
        // Stratum 1 (18-29, M, danish): A has 2 of 10, B 6 of 40, so p_nat,1 = 8/50 = 0.16.
        // Stratum 2 (18-29, M, null origin, its own stratum): A has 12 of 30, B 10 of 20, so
        // p_nat,2 = 22/50 = 0.44.
        // expected_A = 10 · 0.16 + 30 · 0.44 = 1.6 + 13.2 = 14.8;
        // expected_B = 40 · 0.16 + 20 · 0.44 = 6.4 + 8.8 = 15.2;
        // together 30 = the national numerator 2 + 12 + 6 + 10.
        let strata = df!(
            MEASURE => ["m", "m", "m", "m"],
            UNIT => ["A", "A", "B", "B"],
            PEER_GROUP => ["P", "P", "P", "P"],
            AGE_BAND => ["18-29", "18-29", "18-29", "18-29"],
            s::SEX => ["M", "M", "M", "M"],
            s::ORIGIN => ["danish", "unknown", "danish", "unknown"],
            NUM => [2i64, 12, 6, 10],
            DEN => [10i64, 30, 40, 20],
        )
        .unwrap();
        let df = expected(strata.lazy())
            .sort([UNIT], SortMultipleOptions::default())
            .collect()
            .unwrap();
        let got = floats(&df, EXPECTED).unwrap();
        assert!(close(got[0].unwrap(), 14.8, 1e-12), "{got:?}");
        assert!(close(got[1].unwrap(), 15.2, 1e-12), "{got:?}");
        assert_eq!(texts(&df, PEER_GROUP).unwrap(), ["P", "P"]);
    }

    #[test]
    fn oe_of_ten_observed_and_ten_expected() {
        // Exact limits for 10 observed: 4.795 and 18.390 (χ² tables), over 10 expected.
        let o = oe(10, 10.0, 0.95).unwrap();
        assert_eq!(o.ratio, 1.0);
        assert!(
            close(o.lo, 0.480, 5e-4) && close(o.hi, 1.839, 5e-4),
            "{o:?}"
        );
    }

    #[test]
    fn oe_lower_limit_is_zero_when_nothing_is_observed() {
        // hi = χ²_{0.975}(2)/2 = −ln 0.025 = 3.689, over 2.5 expected.
        let o = oe(0, 2.5, 0.95).unwrap();
        assert_eq!((o.ratio, o.lo), (0.0, 0.0));
        assert!(close(o.hi, -(0.025f64).ln() / 2.5, 1e-9), "{o:?}");
        assert_eq!(oe(3, 0.0, 0.95), None);
    }

    #[test]
    fn funnel_limits_are_the_spec_quantiles() {
        let limits = FunnelLimits::new();
        assert_eq!((limits.z95, limits.z998), (1.960, 3.090));
    }

    #[test]
    fn funnel_flags_at_and_beyond_the_limits() {
        use FunnelFlag::*;
        // Strictly beyond: exactly ±1.960 and ±3.090 stay on the inner side, as does a z off
        // by float rounding; just beyond crosses.
        let cases = [
            (0.0, Inside),
            (1.960, Inside),
            (-1.960, Inside),
            (1.960 + 5e-10, Inside),
            (1.9601, Above95),
            (-1.9601, Below95),
            (3.090, Above95),
            (-3.090, Below95),
            (3.0901, Above998),
            (-3.0901, Below998),
            (50.0, Above998),
        ];
        for (z, flag) in cases {
            assert_eq!(FunnelFlag::of(z), flag, "z = {z}");
        }
        assert_eq!(Above998.label(), "above_998");
    }

    #[test]
    fn funnel_score() {
        // p_nat = 0.5, den 25: se = √(0.25/25) = 0.1, so p_m = 0.7 lies 2 se above.
        assert!(close(funnel_z(0.7, 0.5, 25).unwrap(), 2.0, 1e-12));
        // No spread when the national rate is 0 or 1.
        assert_eq!(funnel_z(0.0, 0.0, 25), None);
        assert_eq!(funnel_z(1.0, 1.0, 25), None);
    }

    #[test]
    fn ties_share_the_smallest_rank_and_null_is_not_ranked() {
        let df = df!(
            MEASURE => ["a", "a", "a", "a", "a", "b"],
            VALUE => [Some(0.5), Some(0.3), None, Some(0.3), Some(0.1), Some(0.2)],
        )
        .unwrap();
        let df = df
            .lazy()
            .with_column(rank(col(VALUE)).unwrap().alias(RANK))
            .collect()
            .unwrap();
        assert_eq!(
            ints(&df, RANK).unwrap(),
            [Some(1), Some(2), None, Some(2), Some(4), Some(1)]
        );
    }
}
