//! Kaplan–Meier survival on benefit (MEASURES.md §3).
//!
//! Duration on benefit is right-censored: a spell still open on the report date R has lasted
//! *at least* its duration so far, and dropping it (or counting it as an exit) would bias the
//! curve. Kaplan–Meier uses each open spell for as long as it was observed. With distinct event
//! times tᵢ, nᵢ = #{duration ≥ tᵢ} (at risk) and dᵢ = closed spells with duration = tᵢ:
//!
//! - survival `S(t) = Π_{tᵢ ≤ t} (1 − dᵢ/nᵢ)`, a step function with S = 1 before the first event;
//! - Greenwood variance of ln S: `V(t) = Σ_{tᵢ ≤ t} dᵢ / (nᵢ (nᵢ − dᵢ))` (SE of S is `S·√V`);
//! - log-log interval for 0 < S < 1: `se = √V / |ln S|`,
//!   `lo = exp(−exp(ln(−ln S) + z·se))`, `hi = exp(−exp(ln(−ln S) − z·se))`; it stays inside
//!   (0, 1). S = 1 gives (1, 1); S = 0 gives null bounds;
//! - `S(h)` is 0 once S has reached 0, and otherwise null when no spell has duration ≥ h (the
//!   data say nothing about h);
//! - median: the smallest tᵢ with `S(tᵢ) ≤ 0.5 + 1e-9` (S = 1/2 exactly is common and a bare
//!   `≤ 0.5` in f64 can miss it).
//!
//! The input is an aggregated [`EventTable`], not person rows.

use std::collections::BTreeMap;

/// Rounding allowance for the median rule `S(tᵢ) ≤ 0.5 + 1e-9` (MEASURES.md intro).
pub const MEDIAN_TOLERANCE: f64 = 1e-9;

/// Why counts could not form an event table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventTableError {
    #[error("event table: `{column}` has {len} entries but `times` has {times}; give one count per time")]
    LengthMismatch {
        column: &'static str,
        len: usize,
        times: usize,
    },
    #[error("event table: time {time} at index {index} does not follow {previous}; times must be distinct and ascending")]
    NotAscending {
        index: usize,
        previous: i32,
        time: i32,
    },
}

/// Durations aggregated to counts: at each distinct duration `times[i]` (strictly ascending),
/// `events[i]` closed spells and `censored[i]` spells still open at the report date.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventTable {
    times: Vec<i32>,
    events: Vec<u64>,
    censored: Vec<u64>,
}

impl EventTable {
    /// Checks that the three columns have equal length and `times` is strictly ascending.
    pub fn new(
        times: Vec<i32>,
        events: Vec<u64>,
        censored: Vec<u64>,
    ) -> Result<Self, EventTableError> {
        check_len("events", events.len(), times.len())?;
        check_len("censored", censored.len(), times.len())?;
        check_ascending(&times)?;
        Ok(Self {
            times,
            events,
            censored,
        })
    }

    /// Aggregates `(duration, closed)` pairs, one per spell.
    pub fn from_spells(spells: impl IntoIterator<Item = (i32, bool)>) -> Self {
        let mut counts: BTreeMap<i32, (u64, u64)> = BTreeMap::new();
        for (duration, closed) in spells {
            let (events, censored) = counts.entry(duration).or_default();
            if closed {
                *events += 1;
            } else {
                *censored += 1;
            }
        }
        let mut table = Self::default();
        for (time, (events, censored)) in counts {
            table.times.push(time);
            table.events.push(events);
            table.censored.push(censored);
        }
        table
    }

    /// The distinct durations, ascending.
    pub fn times(&self) -> &[i32] {
        &self.times
    }

    /// Closed spells per duration.
    pub fn events(&self) -> &[u64] {
        &self.events
    }

    /// Open (censored) spells per duration.
    pub fn censored(&self) -> &[u64] {
        &self.censored
    }
}

pub(crate) fn check_len(
    column: &'static str,
    len: usize,
    times: usize,
) -> Result<(), EventTableError> {
    if len == times {
        Ok(())
    } else {
        Err(EventTableError::LengthMismatch { column, len, times })
    }
}

pub(crate) fn check_ascending(times: &[i32]) -> Result<(), EventTableError> {
    match times.windows(2).position(|w| w[0] >= w[1]) {
        None => Ok(()),
        Some(i) => Err(EventTableError::NotAscending {
            index: i + 1,
            previous: times[i],
            time: times[i + 1],
        }),
    }
}

/// The estimate just after one event time tᵢ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// tᵢ
    pub time: i32,
    /// nᵢ = #{duration ≥ tᵢ}
    pub at_risk: u64,
    /// dᵢ = closed spells with duration tᵢ
    pub events: u64,
    /// S(tᵢ)
    pub survival: f64,
    /// Greenwood V(tᵢ); +∞ once S = 0 (the term dᵢ / (nᵢ (nᵢ − dᵢ)) divides by zero).
    pub variance: f64,
}

/// A fitted Kaplan–Meier curve; see the module docs for the formulas.
#[derive(Debug, Clone, PartialEq)]
pub struct KaplanMeier {
    steps: Vec<Step>,
    /// The table's distinct durations.
    times: Vec<i32>,
    /// `at_risk_from[i]` = spells with duration ≥ `times[i]`; one extra trailing 0.
    at_risk_from: Vec<u64>,
    /// `events_before[i]` = closed spells with duration < `times[i]`; one extra entry (the total).
    events_before: Vec<u64>,
}

impl KaplanMeier {
    /// Computes nᵢ, dᵢ, S(tᵢ) and V(tᵢ) at every event time of `table`.
    pub fn fit(table: &EventTable) -> Self {
        let len = table.times.len();
        let mut at_risk_from = vec![0; len + 1];
        for i in (0..len).rev() {
            at_risk_from[i] = at_risk_from[i + 1] + table.events[i] + table.censored[i];
        }
        let mut events_before = vec![0; len + 1];
        for i in 0..len {
            events_before[i + 1] = events_before[i] + table.events[i];
        }

        let mut steps = Vec::new();
        let (mut survival, mut variance) = (1.0, 0.0);
        for (i, (&time, &d)) in table.times.iter().zip(&table.events).enumerate() {
            if d == 0 {
                continue;
            }
            let n = at_risk_from[i];
            survival *= (n - d) as f64 / n as f64;
            variance += d as f64 / (n as f64 * (n - d) as f64);
            steps.push(Step {
                time,
                at_risk: n,
                events: d,
                survival,
                variance,
            });
        }
        Self {
            steps,
            times: table.times.clone(),
            at_risk_from,
            events_before,
        }
    }

    /// One [`Step`] per event time, ascending.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The event times tᵢ (durations with at least one closed spell), ascending.
    pub fn event_times(&self) -> impl Iterator<Item = i32> + '_ {
        self.steps.iter().map(|s| s.time)
    }

    /// `#{duration ≥ t}`.
    pub fn at_risk(&self, t: i32) -> u64 {
        self.at_risk_from[self.times.partition_point(|&x| x < t)]
    }

    /// `#{closed, duration ≤ t}`.
    pub fn events_up_to(&self, t: i32) -> u64 {
        self.events_before[self.times.partition_point(|&x| x <= t)]
    }

    /// S(t): 1 before the first event, 0 once S has reached 0, `None` when S > 0 and no spell
    /// has duration ≥ t.
    pub fn survival(&self, t: i32) -> Option<f64> {
        let survival = self.step_at(t).map_or(1.0, |s| s.survival);
        (survival == 0.0 || self.at_risk(t) > 0).then_some(survival)
    }

    /// Greenwood V(t); `None` where S(t) is `None` or 0 (undefined there).
    pub fn variance(&self, t: i32) -> Option<f64> {
        let survival = self.survival(t)?;
        (survival > 0.0).then(|| self.step_at(t).map_or(0.0, |s| s.variance))
    }

    /// Log-log interval `(lo, hi)` for S(t) at normal quantile `z`: (1, 1) while S = 1, null
    /// bounds once S = 0, `None` where S(t) is `None`.
    pub fn interval(&self, t: i32, z: f64) -> Option<(Option<f64>, Option<f64>)> {
        let survival = self.survival(t)?;
        if survival == 0.0 {
            return Some((None, None));
        }
        if survival == 1.0 {
            return Some((Some(1.0), Some(1.0)));
        }
        let variance = self.step_at(t).map_or(0.0, |s| s.variance);
        let log_minus_log = (-survival.ln()).ln();
        let se = variance.sqrt() / survival.ln().abs();
        let bound = |shift: f64| Some((-(log_minus_log + shift).exp()).exp());
        Some((bound(z * se), bound(-z * se)))
    }

    /// The smallest tᵢ with `S(tᵢ) ≤ 0.5 + 1e-9`, or `None` if S stays above one half.
    pub fn median(&self) -> Option<i32> {
        self.steps
            .iter()
            .find(|s| s.survival <= 0.5 + MEDIAN_TOLERANCE)
            .map(|s| s.time)
    }

    /// The last step with tᵢ ≤ t.
    fn step_at(&self, t: i32) -> Option<&Step> {
        let i = self.steps.partition_point(|s| s.time <= t);
        i.checked_sub(1).map(|i| &self.steps[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Freireich et al. (1963), 6-MP arm: remission weeks, `false` = censored (+).
    fn freireich_6mp() -> EventTable {
        let weeks = [
            (6, true),
            (6, true),
            (6, true),
            (6, false),
            (7, true),
            (9, false),
            (10, true),
            (10, false),
            (11, false),
            (13, true),
            (16, true),
            (17, false),
            (19, false),
            (20, false),
            (22, true),
            (23, true),
            (25, false),
            (32, false),
            (32, false),
            (34, false),
            (35, false),
        ];
        EventTable::from_spells(weeks)
    }

    /// Asserts that `x` rounds to the published 3-decimal `value`.
    fn assert_3dp(x: f64, value: f64) {
        assert_eq!(
            (x * 1000.0).round(),
            (value * 1000.0).round(),
            "{x} vs {value}"
        );
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    const Z95: f64 = 1.959963984540054;

    #[test]
    fn table_constructor_checks_lengths_and_order() {
        assert_eq!(
            EventTable::new(vec![1, 2], vec![1], vec![0, 0]),
            Err(EventTableError::LengthMismatch {
                column: "events",
                len: 1,
                times: 2
            })
        );
        assert_eq!(
            EventTable::new(vec![1, 3, 3], vec![1, 1, 1], vec![0, 0, 0]),
            Err(EventTableError::NotAscending {
                index: 2,
                previous: 3,
                time: 3
            })
        );
        let table = EventTable::new(vec![1, 3], vec![2, 0], vec![0, 1]).unwrap();
        assert_eq!(
            table,
            EventTable::from_spells([(3, false), (1, true), (1, true)])
        );
    }

    #[test]
    fn freireich_survival_and_greenwood_match_the_published_table() {
        let km = KaplanMeier::fit(&freireich_6mp());
        let times: Vec<i32> = km.event_times().collect();
        assert_eq!(times, [6, 7, 10, 13, 16, 22, 23]);
        let survival = [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448];
        let se = [0.076, 0.087, 0.096, 0.107, 0.114, 0.128, 0.135];
        for ((t, s), se) in times.iter().zip(survival).zip(se) {
            let fitted = km.survival(*t).unwrap();
            assert_3dp(fitted, s);
            assert_3dp(fitted * km.variance(*t).unwrap().sqrt(), se);
        }
        // Risk sets and counts.
        let n: Vec<u64> = km.steps().iter().map(|s| s.at_risk).collect();
        let d: Vec<u64> = km.steps().iter().map(|s| s.events).collect();
        assert_eq!(n, [21, 17, 15, 12, 11, 7, 6]);
        assert_eq!(d, [3, 1, 1, 1, 1, 1, 1]);
        assert_eq!(km.median(), Some(23));
    }

    #[test]
    fn freireich_step_function_between_and_beyond_event_times() {
        let km = KaplanMeier::fit(&freireich_6mp());
        assert_eq!(km.survival(0), Some(1.0));
        assert_eq!(km.survival(5), Some(1.0));
        assert_eq!(km.survival(6), Some(18.0 / 21.0));
        assert_eq!(km.survival(9), km.survival(7));
        assert_eq!(km.survival(35), km.survival(23)); // last spell (censored) at 35
        assert_eq!(km.survival(36), None); // nobody at risk, S > 0
        assert_eq!(km.interval(36, Z95), None);
        assert_eq!(km.at_risk(0), 21);
        assert_eq!(km.at_risk(10), 15);
        assert_eq!(km.at_risk(11), 13);
        assert_eq!(km.at_risk(36), 0);
        assert_eq!(km.events_up_to(5), 0);
        assert_eq!(km.events_up_to(6), 3);
        assert_eq!(km.events_up_to(12), 5);
        assert_eq!(km.events_up_to(100), 9);
        assert_eq!(km.variance(5), Some(0.0));
        assert_eq!(km.interval(5, Z95), Some((Some(1.0), Some(1.0))));
    }

    #[test]
    fn freireich_log_log_interval_at_week_6() {
        // By hand: S = 18/21 = 6/7, V = 3/(21·18) = 1/126, ln S = −0.1541507,
        // ln(−ln S) = −1.8698247, se = √(1/126)/0.1541507 = 0.5779221, z·se = 1.1327065,
        // lo = exp(−exp(−1.8698247 + 1.1327065)) = exp(−0.4784908) = 0.6197180,
        // hi = exp(−exp(−1.8698247 − 1.1327065)) = exp(−0.0496612) = 0.9515517
        // (R survfit conf.type = "log-log": 0.620, 0.952).
        let km = KaplanMeier::fit(&freireich_6mp());
        assert!(close(km.variance(6).unwrap(), 1.0 / 126.0, 1e-15));
        let (lo, hi) = km.interval(6, Z95).unwrap();
        assert!(close(lo.unwrap(), 0.6197180, 1e-7), "{lo:?}");
        assert!(close(hi.unwrap(), 0.9515517, 1e-7), "{hi:?}");
    }

    #[test]
    fn all_censored_stays_at_one() {
        let km = KaplanMeier::fit(&EventTable::new(vec![3, 8], vec![0, 0], vec![2, 1]).unwrap());
        assert!(km.steps().is_empty());
        for t in [0, 3, 5, 8] {
            assert_eq!(km.survival(t), Some(1.0));
            assert_eq!(km.variance(t), Some(0.0));
            assert_eq!(km.interval(t, Z95), Some((Some(1.0), Some(1.0))));
        }
        assert_eq!(km.survival(9), None);
        assert_eq!(km.median(), None);
        assert_eq!(km.events_up_to(8), 0);
    }

    #[test]
    fn all_events_at_one_time_drop_to_zero() {
        let km = KaplanMeier::fit(&EventTable::new(vec![5], vec![4], vec![0]).unwrap());
        assert_eq!(km.survival(4), Some(1.0));
        assert_eq!(km.survival(5), Some(0.0));
        assert_eq!(km.variance(5), None);
        assert_eq!(km.interval(5, Z95), Some((None, None)));
        assert_eq!(km.survival(1000), Some(0.0)); // 0, not None
        assert_eq!(km.interval(1000, Z95), Some((None, None)));
        assert_eq!(km.median(), Some(5));
        assert_eq!(km.steps()[0].variance, f64::INFINITY);
    }

    #[test]
    fn reaching_zero_after_several_steps_keeps_later_horizons_at_zero() {
        // Durations 1, 3, 3, all closed: S(1) = 2/3, S(3) = 2/3 · 0/2 = 0.
        let km = KaplanMeier::fit(&EventTable::from_spells([(1, true), (3, true), (3, true)]));
        assert_eq!(km.survival(2), Some(2.0 / 3.0));
        assert_eq!(km.survival(3), Some(0.0));
        assert_eq!(km.survival(4), Some(0.0));
        assert_eq!(km.survival(365), Some(0.0));
        assert_eq!(km.at_risk(4), 0);
        assert_eq!(km.median(), Some(3));
    }

    #[test]
    fn single_spell() {
        let closed = KaplanMeier::fit(&EventTable::from_spells([(10, true)]));
        assert_eq!(closed.survival(9), Some(1.0));
        assert_eq!(closed.survival(10), Some(0.0));
        assert_eq!(closed.survival(11), Some(0.0));
        assert_eq!(closed.median(), Some(10));

        let open = KaplanMeier::fit(&EventTable::from_spells([(10, false)]));
        assert_eq!(open.survival(10), Some(1.0));
        assert_eq!(open.survival(11), None);
        assert_eq!(open.median(), None);
    }

    #[test]
    fn median_accepts_one_half_with_rounding() {
        // Two spells, one closed at t = 1: S(1) = 1/2 exactly → median 1.
        let km = KaplanMeier::fit(&EventTable::from_spells([(1, true), (2, false)]));
        assert_eq!(km.survival(1), Some(0.5));
        assert_eq!(km.median(), Some(1));

        // 18 spells, 7 closed at t = 1, 2 at t = 2: S(2) = 11/18 · 9/11 = 1/2, but in f64 the
        // product is 0.5000000000000001; the 1e-9 allowance still gives median 2.
        let table = EventTable::new(vec![1, 2, 3], vec![7, 2, 0], vec![0, 0, 9]).unwrap();
        let km = KaplanMeier::fit(&table);
        assert!(km.survival(2).unwrap() > 0.5);
        assert_eq!(km.median(), Some(2));
    }

    #[test]
    fn empty_table_has_no_estimate() {
        let km = KaplanMeier::fit(&EventTable::default());
        assert_eq!(km.survival(0), None);
        assert_eq!(km.median(), None);
        assert_eq!(km.at_risk(0), 0);
        assert_eq!(km.events_up_to(0), 0);
    }
}
