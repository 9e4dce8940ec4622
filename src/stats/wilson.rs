//! Wilson score interval for a proportion (MEASURES.md §4).
//!
//! For k successes of n at normal quantile z, with p̂ = k/n:
//!
//! `(p̂ + z²/2n ∓ z·√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n)`
//!
//! Unlike the Wald interval p̂ ± z·√(p̂(1 − p̂)/n) it stays inside [0, 1] and keeps its coverage
//! for the small counts and extreme shares of a small municipality; k = 0 gives lower bound 0
//! and k = n upper bound 1 exactly.

/// The Wilson interval `(lo, hi)` for `k` of `n`; `None` when n = 0 or k > n.
pub fn interval(k: u64, n: u64, z: f64) -> Option<(f64, f64)> {
    if n == 0 || k > n {
        return None;
    }
    let (k_f, n_f) = (k as f64, n as f64);
    let p = k_f / n_f;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n_f)) / (1.0 + z2 / n_f);
    let half = z / (1.0 + z2 / n_f) * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt();
    let lo = if k == 0 { 0.0 } else { centre - half };
    let hi = if k == n { 1.0 } else { centre + half };
    Some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    #[test]
    fn five_of_ten() {
        // p̂ = 0.5, z² = 3.8416: centre = 0.5, half = 1.96/1.38416 · √(0.025 + 0.009604)
        // = 1.416021 · 0.186022 = 0.263410.
        let (lo, hi) = interval(5, 10, 1.96).unwrap();
        assert!(
            close(lo, 0.2366, 5e-5) && close(hi, 0.7634, 5e-5),
            "{lo} {hi}"
        );
        assert!(close(lo, 0.236590, 1e-6) && close(hi, 0.763410, 1e-6));
    }

    #[test]
    fn one_of_four_at_the_exact_quantile() {
        // (1 + z²/2 ∓ z·√(1·3/4 + z²/4)) / (4 + z²) with z = 1.959963984540054:
        // (2.920729 ∓ 1.959964 · 1.307809) / 7.841459 = (0.045587, 0.699358).
        let (lo, hi) = interval(1, 4, 1.959963984540054).unwrap();
        assert!(
            close(lo, 0.045587, 1e-6) && close(hi, 0.699358, 1e-6),
            "{lo} {hi}"
        );
    }

    #[test]
    fn edges() {
        // k = 0: (0, z²/(n + z²)); k = n: (n/(n + z²), 1).
        assert_eq!(interval(0, 10, 1.96).map(|b| b.0), Some(0.0));
        let (_, hi) = interval(0, 10, 1.96).unwrap();
        assert!(close(hi, 3.8416 / 13.8416, 1e-12), "{hi}");
        let (lo, hi) = interval(10, 10, 1.96).unwrap();
        assert!(close(lo, 10.0 / 13.8416, 1e-12) && hi == 1.0, "{lo} {hi}");
        assert_eq!(interval(0, 0, 1.96), None);
        assert_eq!(interval(3, 2, 1.96), None);
    }
}
