//! Small random helpers on the ChaCha8 streams.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::dates::Day;

/// True with probability `p`.
pub(super) fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    rng.gen::<f64>() < p
}

/// Draws one of `options` with probability proportional to its weight (weights ≥ 0, at least
/// one positive).
pub(super) fn pick<T: Copy>(rng: &mut ChaCha8Rng, options: &[(T, f64)]) -> T {
    let total: f64 = options.iter().map(|o| o.1).sum();
    let mut u = rng.gen::<f64>() * total;
    let mut chosen = options[0].0;
    for &(value, weight) in options {
        if weight > 0.0 {
            // Rounding can leave u just above the last weight; the last positive option takes it.
            chosen = value;
            if u < weight {
                break;
            }
        }
        u -= weight;
    }
    chosen
}

pub(super) fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut total = 0.0;
    weights
        .map(|w| {
            total += w;
            total
        })
        .collect()
}

/// An index drawn in proportion to its weight, given the [`cumulative`] weights (a binary
/// search: a municipality is drawn for every person and every move).
pub(super) fn draw_cumulative(cum: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let total = cum.last().copied().unwrap_or(0.0);
    let u = rng.gen::<f64>() * total;
    cum.partition_point(|&c| c <= u)
        .min(cum.len().saturating_sub(1))
}

/// exp(N(0, sigma²)) by Box–Muller.
pub(super) fn lognormal(rng: &mut ChaCha8Rng, sigma: f64) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    (sigma * z).exp()
}

/// A whole number between `lo` and `hi`, log-uniform (many small, some large).
pub(super) fn log_uniform_int(rng: &mut ChaCha8Rng, lo: Day, hi: Day) -> Day {
    let (l, h) = (f64::from(lo.max(1)).ln(), f64::from(hi.max(lo.max(1))).ln());
    (rng.gen_range(l..=h).exp().round() as Day).clamp(lo, hi)
}
