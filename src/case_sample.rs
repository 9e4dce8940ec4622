//! The case sample (MEASURES.md §5, `run --case-sample FILE`): long-term persons drawn for a
//! review of their case files.
//!
//! Why: STAR's 2022 review read 375 long cases in 25 municipalities by hand. This draws the
//! register side of such a review reproducibly: the same extract, configuration and `seed` give
//! the same persons, so a later review can be checked against the draw and repeated.
//!
//! The sample is person-level and is never a published table: it does not pass disclosure
//! control and leaves only through `output::write_person_level`, never into `reports/`.
//!
//! The draw, with one ChaCha8 stream seeded by `seed` (`ChaCha8Rng::seed_from_u64`):
//! 1. The long-term stock on R: the stock on R (`measures::stock::stock`) with
//!    `days_on = |[spell_start, R]| > long_term_days`, counted per municipality (of the period
//!    covering R).
//! 2. K municipalities by systematic PPS on those counts ([`pps`]), municipalities in code order.
//!    The stream's first `f64` is always drawn first (for `u`), even when every municipality is
//!    taken with certainty, so the shuffles below always start at the same place in the stream.
//! 3. In each drawn municipality, in code order, `ceil(N / K)` persons (K as requested, so
//!    15 for the defaults) by simple random sampling ([`srs`]): the persons sorted by their text
//!    `person_id`, then a partial Fisher–Yates shuffle on the same stream. A municipality with at
//!    most `ceil(N / K)` long-term persons gives all of them and draws nothing from the stream.
//! 4. Rows sorted by (municipality, person_id), columns `person_id` (the extract's text id),
//!    `municipality`, `spell_start` (Date), `duration_days` (= `days_on`, the days on benefit in
//!    the spell containing R, `|[spell_start, R]|`, not the length of a finished spell) and
//!    `group` (= group(R)).
//!
//! Fewer than K municipalities with long-term persons: all of them are taken (the certainty rule
//! takes them, see [`pps`]), each with up to `ceil(N / K)` persons, so the sample has fewer than
//! N persons. No long-term person at all gives a file with the columns and no rows.

use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::Config;
use crate::error::Error;
use crate::extract::Extract;
use crate::measures::stock::{stock, DAYS_ON};
use crate::schema::{self as s, spell as sp};
use crate::spells::Spells;

/// Default K: municipalities drawn (STAR's review: 25).
pub const DEFAULT_MUNICIPALITIES: u32 = 25;
/// Default N: persons in all (STAR's review: 375).
pub const DEFAULT_PERSONS: u32 = 375;

/// How a failure of the draw names its part of the run.
pub const STAGE: &str = "case sample";

/// Working column: long-term persons per municipality.
const COUNT: &str = "__count";

/// How large a sample to draw: K municipalities and N persons in all (both at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub municipalities: u32,
    pub persons: u32,
}

impl Default for Size {
    fn default() -> Self {
        Size {
            municipalities: DEFAULT_MUNICIPALITIES,
            persons: DEFAULT_PERSONS,
        }
    }
}

impl Size {
    /// Persons drawn per municipality: `ceil(N / K)`.
    pub fn per_municipality(self) -> usize {
        self.persons.div_ceil(self.municipalities.max(1)) as usize
    }
}

/// A drawn case sample: the person-level rows and how many municipalities they come from.
#[derive(Debug)]
pub struct CaseSample {
    pub df: DataFrame,
    pub municipalities: usize,
}

/// Draws the case sample of the report as of R (`extract` is cut at R), as the module doc says.
pub fn draw(
    extract: &Extract,
    spells: &Spells,
    config: &Config,
    size: Size,
) -> Result<CaseSample, Error> {
    // Table work in Polars: the long-term stock, sorted so that each municipality's persons are
    // one run of rows in person_id order, and the count of each run.
    let long_term = extract
        .with_text_ids(
            stock(extract, spells, config)?.filter(col(DAYS_ON).gt(lit(config.long_term_days))),
        )
        .select([
            col(s::PERSON_ID),
            col(s::MUNICIPALITY),
            col(sp::SPELL_START).cast(DataType::Date),
            col(DAYS_ON).cast(DataType::Int32).alias(sp::DURATION_DAYS),
            col(s::GROUP),
        ])
        .sort(
            [s::MUNICIPALITY, s::PERSON_ID],
            SortMultipleOptions::default(),
        )
        .collect()?;
    let counts: Vec<u64> = long_term
        .clone()
        .lazy()
        .group_by([col(s::MUNICIPALITY)])
        .agg([len().cast(DataType::UInt64).alias(COUNT)])
        .sort([s::MUNICIPALITY], SortMultipleOptions::default())
        .collect()?
        .column(COUNT)?
        .u64()?
        .into_no_null_iter()
        .collect();

    // The small loops in Rust, on the one stream.
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let u01: f64 = rng.gen();
    let drawn = pps(&counts, size.municipalities as usize, u01);
    let per = size.per_municipality();
    let mut starts = Vec::with_capacity(counts.len());
    let mut at = 0u64;
    for &n in &counts {
        starts.push(at);
        at += n;
    }
    let mut rows: Vec<IdxSize> = Vec::new();
    for &m in &drawn {
        for offset in srs(counts[m] as usize, per, &mut rng) {
            rows.push((starts[m] + offset as u64) as IdxSize);
        }
    }
    // The frame is sorted by (municipality, person_id), so sorted row numbers keep that order.
    rows.sort_unstable();
    let df = long_term.take(&IdxCa::from_vec("rows".into(), rows))?;
    Ok(CaseSample {
        df,
        municipalities: drawn.len(),
    })
}

/// Systematic PPS (MEASURES.md §5): which of the municipalities with long-term counts `counts`
/// (code order, every count > 0) are drawn, as indices in code order, for `k` wanted and
/// `u01` the stream's first `f64` in [0, 1).
///
/// Certainty: a municipality whose count is ≥ total/k (compared exactly, `count · k ≥ total`)
/// is taken once, k and the total shrink by it, and this repeats until none qualifies (or k
/// reaches 0). Taking them one at a time in code order or all qualifying ones at once gives the
/// same set: the threshold only falls as certainty municipalities leave, so every one that
/// qualifies at some point is taken either way. When fewer than k municipalities have counts,
/// the largest always has ≥ total/k, so all are taken with certainty.
///
/// The rest: with `I = total/k` (after certainty), `u = I · u01`, the points `u + j·I` for
/// `j = 0..k` fall on the counts cumulated in code order, each municipality owning the half-open
/// interval `[a, b)` with `b − a` its count; a point drawn in `[a, b)` selects it. Every
/// remaining count is below `I` and the points lie `I` apart, so none is selected twice.
pub fn pps(counts: &[u64], k: usize, u01: f64) -> Vec<usize> {
    let mut taken = vec![false; counts.len()];
    let mut k = k as u64;
    let mut total: u64 = counts.iter().sum();
    while k > 0 {
        let certain: Vec<usize> = (0..counts.len())
            .filter(|&i| !taken[i] && counts[i] * k >= total)
            .collect();
        if certain.is_empty() {
            break;
        }
        // At most k qualify: each is ≥ total/k, and together they are at most the total.
        for i in certain {
            taken[i] = true;
            k -= 1;
            total -= counts[i];
        }
    }
    let rest: Vec<usize> = (0..counts.len()).filter(|&i| !taken[i]).collect();
    if k > 0 && total > 0 {
        let interval = total as f64 / k as f64;
        let u = interval * u01;
        // Right ends `b` of the cumulated intervals, in code order.
        let ends: Vec<u64> = rest
            .iter()
            .scan(0u64, |sum, &i| {
                *sum += counts[i];
                Some(*sum)
            })
            .collect();
        for j in 0..k {
            let point = u + j as f64 * interval;
            // The first interval with b > point; rounding can put the last point on `total`,
            // which the last interval takes.
            let at = ends
                .partition_point(|&b| b as f64 <= point)
                .min(rest.len() - 1);
            taken[rest[at]] = true;
        }
    }
    (0..counts.len()).filter(|&i| taken[i]).collect()
}

/// Simple random sampling of `take` of `n` persons (positions `0..n` in person_id order): all
/// of them when `n ≤ take` (nothing drawn from the stream), else a partial Fisher–Yates
/// shuffle: for `i` in `0..take`, swap position `i` with one drawn uniformly from `i..n` (a
/// `u64` range, so the draw is the same on every platform), and keep the first `take`.
pub fn srs(n: usize, take: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    if n > take {
        for i in 0..take {
            let j = rng.gen_range(i as u64..n as u64) as usize;
            order.swap(i, j);
        }
        order.truncate(take);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certainty_repeats_and_the_rest_is_systematic() {
        // Codes (in code order) 101, 147, 151, 153, 155 with long-term counts 10, 50, 5, 20, 15;
        // total 100, K = 4.
        let counts = [10, 50, 5, 20, 15];
        // Pass 1: I = 100/4 = 25. Only 147 (50 ≥ 25): certain; K = 3, total = 50.
        // Pass 2: I = 50/3 ≈ 16.7. Only 153 (20 ≥ 16.7): certain; K = 2, total = 30.
        // Pass 3: I = 30/2 = 15. Only 155 (15 ≥ 15, the boundary counts): certain; K = 1,
        //         total = 15.
        // Pass 4: I = 15/1 = 15. 101 (10) and 151 (5) are below: certainty stops.
        // Systematic, K = 1, I = 15 on 101 [0, 10), 151 [10, 15):
        //   u01 = 0.5 → u = 7.5 ∈ [0, 10) → 101;
        //   u01 = 0.8 → u = 12 ∈ [10, 15) → 151;
        assert_eq!(pps(&counts, 4, 0.5), vec![0, 1, 3, 4]);
        assert_eq!(pps(&counts, 4, 0.8), vec![1, 2, 3, 4]);
        // u01 = 0 → u = 0 is the left end of 101's [0, 10): half-open intervals.
        assert_eq!(pps(&counts, 4, 0.0), vec![0, 1, 3, 4]);
    }

    #[test]
    fn systematic_points_are_spaced_by_the_interval() {
        // Six municipalities with counts 4, 6, 5, 5, 7, 3: total 30, K = 3, I = 10; no count
        // reaches 10, so nothing is certain. Cumulated: [0, 4) [4, 10) [10, 15) [15, 20)
        // [20, 27) [27, 30).
        let counts = [4, 6, 5, 5, 7, 3];
        // u01 = 0.35 → u = 3.5: points 3.5, 13.5, 23.5 → the 1st, 3rd and 5th.
        assert_eq!(pps(&counts, 3, 0.35), vec![0, 2, 4]);
        // u01 = 0.75 → u = 7.5: points 7.5, 17.5, 27.5 → the 2nd, 4th and 6th.
        assert_eq!(pps(&counts, 3, 0.75), vec![1, 3, 5]);
        // u01 = 0.4 → u = 4: points 4, 14, 24; 4 is the left end of [4, 10) → the 2nd.
        assert_eq!(pps(&counts, 3, 0.4), vec![1, 2, 4]);
    }

    #[test]
    fn fewer_municipalities_than_k_are_all_taken() {
        // Three municipalities, total 12, K = 25: every count · 25 ≥ 12, so all three are
        // certain in the first pass, whatever u.
        assert_eq!(pps(&[2, 9, 1], 25, 0.99), vec![0, 1, 2]);
        assert_eq!(pps(&[], 25, 0.5), Vec::<usize>::new());
        // Total 102, K = 3: 100 · 3 ≥ 102 is certain (1 · 3 < 102 is not); then total 2,
        // K = 2: 1 · 2 ≥ 2 twice, so the repeat takes both small ones.
        assert_eq!(pps(&[1, 100, 1], 3, 0.0), vec![0, 1, 2]);
    }

    #[test]
    fn ceil_n_over_k_per_municipality_or_all_if_fewer() {
        let size = Size::default();
        // 375 / 25 = 15 exactly.
        assert_eq!(size.per_municipality(), 15);
        // 10 / 4 = 2.5 → 3.
        let small = Size {
            municipalities: 4,
            persons: 10,
        };
        assert_eq!(small.per_municipality(), 3);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        // 2 persons ≤ 3: both, in person_id order, and the stream is not touched.
        assert_eq!(srs(2, 3, &mut rng), vec![0, 1]);
        assert_eq!(srs(3, 3, &mut rng), vec![0, 1, 2]);
        let untouched: f64 = rng.gen();
        let fresh: f64 = ChaCha8Rng::seed_from_u64(1).gen();
        assert_eq!(untouched, fresh);
        // 20 persons > 3: three distinct positions below 20.
        let mut picked = srs(20, 3, &mut rng);
        assert_eq!(picked.len(), 3);
        picked.sort_unstable();
        picked.dedup();
        assert_eq!(picked.len(), 3);
        assert!(picked.iter().all(|&p| p < 20));
    }

    #[test]
    fn the_partial_shuffle_swaps_with_draws_from_the_tail() {
        // The same stream drawn by hand: position i swaps with gen_range(i..n).
        let mut by_hand = ChaCha8Rng::seed_from_u64(7);
        let mut order: Vec<usize> = (0..10).collect();
        for i in 0..4 {
            let j = by_hand.gen_range(i as u64..10) as usize;
            order.swap(i, j);
        }
        assert_eq!(
            srs(10, 4, &mut ChaCha8Rng::seed_from_u64(7)),
            order[..4].to_vec()
        );
    }
}
