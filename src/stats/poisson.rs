//! Exact (Garwood) Poisson interval for an observed count (MEASURES.md §6).
//!
//! An O/E ratio divides the observed count k by a fixed expected count, so its uncertainty is
//! that of k. With α = 1 − confidence and χ²_p(ν) the p-quantile of chi-squared with ν degrees
//! of freedom, the exact two-sided interval for the Poisson mean behind k is
//!
//! `lo = χ²_{α/2}(2k) / 2` (0 when k = 0), `hi = χ²_{1−α/2}(2k + 2) / 2`;
//!
//! the caller divides both by `expected`. It needs no normal approximation, so it holds for the
//! small counts of small municipalities.

use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Bounds `(lo, hi)` on the Poisson mean behind the observed count `k`.
///
/// `confidence` must lie in (0, 1) (`Config` refuses anything else); outside it the bounds are
/// NaN.
pub fn exact_interval(k: u64, confidence: f64) -> (f64, f64) {
    if !(confidence > 0.0 && confidence < 1.0) {
        return (f64::NAN, f64::NAN);
    }
    let alpha = 1.0 - confidence;
    let k = k as f64;
    let lo = if k == 0.0 {
        0.0
    } else {
        chi_squared_quantile(alpha / 2.0, 2.0 * k) / 2.0
    };
    let hi = chi_squared_quantile(1.0 - alpha / 2.0, 2.0 * k + 2.0) / 2.0;
    (lo, hi)
}

/// χ²_p(ν) for p in (0, 1) and ν > 0.
fn chi_squared_quantile(p: f64, freedom: f64) -> f64 {
    ChiSquared::new(freedom).map_or(f64::NAN, |chi| chi.inverse_cdf(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    #[test]
    fn zero_count() {
        // χ²(2) is exponential with mean 2, so χ²_{0.975}(2)/2 = −ln 0.025 = 3.688879.
        let (lo, hi) = exact_interval(0, 0.95);
        assert_eq!(lo, 0.0);
        assert!(close(hi, -(0.025f64).ln(), 1e-9), "{hi}");
        assert!(close(hi, 3.689, 5e-4));
    }

    #[test]
    fn one_count() {
        // lo = χ²_{0.025}(2)/2 = −ln 0.975 = 0.025318; hi = χ²_{0.975}(4)/2 = 11.143287/2.
        let (lo, hi) = exact_interval(1, 0.95);
        assert!(close(lo, -(0.975f64).ln(), 1e-9), "{lo}");
        assert!(close(hi, 5.571643, 1e-6), "{hi}");
    }

    #[test]
    fn ten_counts() {
        // χ²_{0.025}(20) = 9.590777, χ²_{0.975}(22) = 36.780712 (published tables).
        let (lo, hi) = exact_interval(10, 0.95);
        assert!(
            close(lo, 4.795, 5e-4) && close(hi, 18.390, 5e-4),
            "{lo} {hi}"
        );
        assert!(close(lo, 9.590777 / 2.0, 1e-6) && close(hi, 36.780712 / 2.0, 1e-6));
    }

    #[test]
    fn invalid_confidence_gives_nan() {
        let (lo, hi) = exact_interval(3, 1.5);
        assert!(lo.is_nan() && hi.is_nan());
    }
}
