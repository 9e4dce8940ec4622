//! Cumulative incidence of each exit class (Aalen–Johansen, MEASURES.md §3).
//!
//! Spells end in competing ways (work, education, another benefit, other); `1 − S` says how
//! many have left, not where they went, and a separate Kaplan–Meier per class (treating other
//! exits as censored) overstates every class. With the all-cause risk sets of
//! [`kaplan_meier`](super::kaplan_meier) and S the all-cause survival,
//!
//! `F_j(t) = Σ_{tᵢ ≤ t} S(tᵢ₋₁) · d_{j,i} / nᵢ`, with `S(t₀) = 1`,
//!
//! the probability of having left by t through class j. The classes and S add up:
//! `Σ_j F_j(t) + S(t) = 1`. F is null where S(t) is null (no spell at risk and S > 0), and 0.0
//! for a class without events.

use super::kaplan_meier::{check_len, EventTable, EventTableError, KaplanMeier};

/// Durations aggregated to counts per exit class: at each distinct duration `times[i]`
/// (strictly ascending), `class_events[j][i]` spells closed through class j and `censored[i]`
/// still open. The all-cause event count is the sum over classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompetingEvents {
    all_cause: EventTable,
    class_events: Vec<Vec<u64>>,
}

impl CompetingEvents {
    /// Checks that every class has one count per time and `times` is strictly ascending.
    pub fn new(
        times: Vec<i32>,
        censored: Vec<u64>,
        class_events: Vec<Vec<u64>>,
    ) -> Result<Self, EventTableError> {
        for class in &class_events {
            check_len("class_events", class.len(), times.len())?;
        }
        let events = (0..times.len())
            .map(|i| class_events.iter().map(|class| class[i]).sum())
            .collect();
        let all_cause = EventTable::new(times, events, censored)?;
        Ok(Self {
            all_cause,
            class_events,
        })
    }

    /// The all-cause table (events summed over classes).
    pub fn all_cause(&self) -> &EventTable {
        &self.all_cause
    }
}

/// Fitted cumulative incidence curves, one per exit class, with the all-cause Kaplan–Meier.
#[derive(Debug, Clone, PartialEq)]
pub struct AalenJohansen {
    km: KaplanMeier,
    classes: usize,
    /// `incidence[i][j]` = F_j at the i-th event time of `km`.
    incidence: Vec<Vec<f64>>,
}

impl AalenJohansen {
    /// Computes F_j at every all-cause event time.
    pub fn fit(events: &CompetingEvents) -> Self {
        let km = KaplanMeier::fit(&events.all_cause);
        let classes = events.class_events.len();
        // Table rows with at least one event, in step with `km.steps()`.
        let rows = (events.all_cause.events().iter().enumerate())
            .filter(|(_, &d)| d > 0)
            .map(|(row, _)| row);

        let mut incidence = Vec::with_capacity(km.steps().len());
        let mut running = vec![0.0; classes];
        let mut survival_before = 1.0;
        for (step, row) in km.steps().iter().zip(rows) {
            for (f, class) in running.iter_mut().zip(&events.class_events) {
                *f += survival_before * class[row] as f64 / step.at_risk as f64;
            }
            incidence.push(running.clone());
            survival_before = step.survival;
        }
        Self {
            km,
            classes,
            incidence,
        }
    }

    /// The all-cause Kaplan–Meier the incidences are built on.
    pub fn kaplan_meier(&self) -> &KaplanMeier {
        &self.km
    }

    /// F_j(t) for every class j (in input order); `None` where the all-cause S(t) is `None`.
    pub fn cumulative_incidence(&self, t: i32) -> Option<Vec<f64>> {
        self.km.survival(t)?;
        let steps_done = self.km.steps().partition_point(|s| s.time <= t);
        Some(match steps_done.checked_sub(1) {
            None => vec![0.0; self.classes],
            Some(i) => self.incidence[i].clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    #[test]
    fn hand_computed_two_classes() {
        // Five spells: t=1 exit A, t=2 open, t=3 exit B, t=4 exit A, t=5 open.
        //   t=1: n=5, S=4/5,           F_A = 1·1/5 = 0.2
        //   t=3: n=3, S=4/5·2/3 = 8/15, F_B = 4/5·1/3 = 4/15
        //   t=4: n=2, S=8/15·1/2 = 4/15, F_A = 0.2 + 8/15·1/2 = 7/15
        let events = CompetingEvents::new(
            vec![1, 2, 3, 4, 5],
            vec![0, 1, 0, 0, 1],
            vec![vec![1, 0, 0, 1, 0], vec![0, 0, 1, 0, 0]],
        )
        .unwrap();
        let aj = AalenJohansen::fit(&events);
        assert_eq!(aj.cumulative_incidence(0), Some(vec![0.0, 0.0]));
        let expect = [
            (1, [0.2, 0.0]),
            (2, [0.2, 0.0]),
            (3, [0.2, 4.0 / 15.0]),
            (4, [7.0 / 15.0, 4.0 / 15.0]),
            (5, [7.0 / 15.0, 4.0 / 15.0]),
        ];
        for (t, f) in expect {
            let fitted = aj.cumulative_incidence(t).unwrap();
            assert!(close(fitted[0], f[0], 1e-12) && close(fitted[1], f[1], 1e-12));
        }
        assert!(close(
            aj.kaplan_meier().survival(4).unwrap(),
            4.0 / 15.0,
            1e-12
        ));
        assert_eq!(aj.cumulative_incidence(6), None); // beyond the last spell, S > 0
    }

    #[test]
    fn one_class_is_one_minus_survival() {
        let times = vec![6, 7, 9, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 34, 35];
        let events = vec![3, 1, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0];
        let censored = vec![1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 2, 1, 1];
        let aj = AalenJohansen::fit(&CompetingEvents::new(times, censored, vec![events]).unwrap());
        for t in 0..=35 {
            let s = aj.kaplan_meier().survival(t).unwrap();
            let f = aj.cumulative_incidence(t).unwrap();
            assert!(
                close(f[0], 1.0 - s, 1e-12),
                "t={t}: {} vs {}",
                f[0],
                1.0 - s
            );
        }
    }

    #[test]
    fn classes_and_survival_add_up_to_one() {
        // A fixed, irregular table with four classes; the third class never occurs.
        let times = vec![1, 2, 4, 7, 8, 12, 15, 30, 31, 60, 90];
        let censored = vec![0, 2, 1, 0, 3, 1, 0, 2, 0, 1, 0];
        let class_events = vec![
            vec![2, 0, 1, 3, 0, 1, 2, 0, 1, 0, 1],
            vec![1, 1, 0, 0, 2, 0, 1, 1, 0, 2, 0],
            vec![0; 11],
            vec![0, 1, 3, 1, 0, 0, 1, 0, 2, 0, 1],
        ];
        let aj = AalenJohansen::fit(&CompetingEvents::new(times, censored, class_events).unwrap());
        let km = aj.kaplan_meier();
        assert_eq!(km.steps().len(), 11); // every time has an event
        for t in km.event_times() {
            let f = aj.cumulative_incidence(t).unwrap();
            let s = km.survival(t).unwrap();
            assert!(close(f.iter().sum::<f64>() + s, 1.0, 1e-12), "t={t}");
            assert_eq!(f[2], 0.0);
        }
        // The last spell closes at 90, so S(90) = 0 and every horizon after keeps the final F.
        assert_eq!(km.survival(1000), Some(0.0));
        assert_eq!(aj.cumulative_incidence(1000), aj.cumulative_incidence(90));
    }

    #[test]
    fn mismatched_class_length_is_an_error() {
        let err = CompetingEvents::new(vec![1, 2], vec![0, 0], vec![vec![1, 1], vec![1]]);
        assert_eq!(
            err,
            Err(EventTableError::LengthMismatch {
                column: "class_events",
                len: 1,
                times: 2
            })
        );
    }
}
