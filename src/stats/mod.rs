//! Small pure estimators over aggregated counts (no Polars, no I/O).
//!
//! The measures in `measures/` aggregate register rows into counts; these functions turn the
//! counts into the published figures (MEASURES.md §3, §4, §6):
//! - [`kaplan_meier`]: survival on benefit from right-censored durations, Greenwood variance,
//!   log-log interval, median;
//! - [`aalen_johansen`]: cumulative incidence of each exit class (competing exits);
//! - [`wilson`]: Wilson score interval for a proportion;
//! - [`poisson`]: exact (Garwood) interval for an observed count, used for O/E ratios.
//!
//! Intervals are two-sided at the report's `confidence`; [`z_value`] turns it into the normal
//! quantile z used by the first three.

use statrs::distribution::{ContinuousCDF, Normal};

pub mod aalen_johansen;
pub mod kaplan_meier;
pub mod poisson;
pub mod wilson;

/// The two-sided normal quantile `z = Φ⁻¹(1 − (1 − confidence)/2)`; 1.959963984540054 for 0.95.
///
/// `confidence` must lie in (0, 1) (`Config` refuses anything else); outside it the result is NaN.
pub fn z_value(confidence: f64) -> f64 {
    if !(confidence > 0.0 && confidence < 1.0) {
        return f64::NAN;
    }
    Normal::standard().inverse_cdf(1.0 - (1.0 - confidence) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_value_matches_the_published_quantiles() {
        assert!((z_value(0.95) - 1.959963984540054).abs() < 1e-12);
        assert!((z_value(0.90) - 1.6448536269514715).abs() < 1e-12);
        assert!((z_value(0.998) - 3.090232306167813).abs() < 1e-12);
    }

    #[test]
    fn z_value_is_nan_outside_the_unit_interval() {
        assert!(z_value(0.0).is_nan());
        assert!(z_value(1.0).is_nan());
        assert!(z_value(f64::NAN).is_nan());
    }
}
