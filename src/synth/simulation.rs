//! The state machine: a life as a sequence of stints, from the first request for help to the
//! horizon.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::codes::Benefit;
use super::random::{chance, log_uniform_int, pick};
use super::world::{climate, year_start, Person, Profile, World, FEMALE};
use crate::dates::{self, Day};

/// Gaps in payment of at most this many days do not end a spell (the pipeline's default
/// `gap_days`); used to group stints into case spells.
pub(super) const GAP_DAYS: Day = 28;
/// A length that outlasts any extract: the stint runs until the horizon cuts it.
const FOREVER: Day = 100 * 366;

/// What a person lives on during a stint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// Kontanthjælp, uddannelseshjælp or integrationsydelse, by age and history.
    Cash,
    /// A stop in payments (sanction, odd job, paperwork); then back on cash benefit.
    PaymentGap,
    Work {
        durable: bool,
    },
    /// SU.
    Education,
    /// Sygedagpenge.
    Sick,
    /// Jobafklaring.
    Clarification,
    /// Ressourceforløb.
    Resource,
    Flex,
    /// Ledighedsydelse between flexjobs.
    FlexUnemployed,
    /// Førtidspension.
    Disability,
    /// Revalidering.
    Retraining,
    /// Barsel.
    Maternity,
    /// A-dagpenge after insured work.
    Insured,
    /// Efterløn.
    EarlyRetirement,
    /// Folkepension.
    Pension,
    OtherBenefit,
    /// Neither benefit nor paid work (a partner's income, savings).
    SelfSupport,
}

/// Paid hours in a stint.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Hours {
    None,
    /// A job: hours per full month.
    Job(f64),
    /// Small jobs now and then while on cash benefit.
    SideJobs,
}

#[derive(Debug, Clone)]
pub(super) struct Stint {
    pub(super) state: State,
    pub(super) benefit: Option<Benefit>,
    pub(super) start: Day,
    /// Last day (inclusive), at most the horizon.
    pub(super) end: Day,
    /// Still running on extract_end: the register row gets a null end.
    pub(super) open: bool,
    pub(super) municipality: usize,
    pub(super) profile: Profile,
    pub(super) hours: Hours,
}

/// The stints of `person` from their entry to the last day they can be observed.
pub(super) fn stints(world: &World, person: &Person, rng: &mut ChaCha8Rng) -> Vec<Stint> {
    Sim {
        world,
        person,
        rng,
        horizon: person.exit.map_or(world.end, |x| x - 1),
        profile: person.profile,
        municipality: person.municipality,
    }
    .run()
}

/// One person's walk through time; profile and municipality change on returns to cash benefit.
struct Sim<'a> {
    world: &'a World,
    person: &'a Person,
    rng: &'a mut ChaCha8Rng,
    /// Last day the person can be observed: extract_end, or the day before exit_date.
    horizon: Day,
    profile: Profile,
    municipality: usize,
}

impl Sim<'_> {
    fn age(&self, day: Day) -> i32 {
        dates::year_of(day) - self.person.birth_year
    }

    /// Runs the state machine from the person's entry to the horizon.
    fn run(&mut self) -> Vec<Stint> {
        let pension_day = year_start(self.person.birth_year + 67);
        let mut stints = Vec::new();
        let mut t = self.person.entry;
        let mut state = State::Cash;
        let mut previous: Option<State> = None;
        while t <= self.horizon {
            if t >= pension_day {
                state = State::Pension;
            }
            if state == State::Cash
                && previous.is_some_and(|s| s != State::Cash && s != State::PaymentGap)
            {
                self.return_to_cash();
            }
            let (benefit, days, mut next, hours) = self.stint(state, t, previous.is_none());
            let mut end = t.saturating_add(days.max(1) - 1);
            if state != State::Pension && end >= pension_day {
                end = pension_day - 1;
                next = State::Pension;
            }
            let open = end >= self.horizon && self.person.exit.is_none();
            let end = end.min(self.horizon);
            stints.push(Stint {
                state,
                benefit,
                start: t,
                end,
                open,
                municipality: self.municipality,
                profile: self.profile,
                hours,
            });
            t = end + 1;
            previous = Some(state);
            state = next;
        }
        stints
    }

    /// Back on cash benefit after something else: the profile may have changed, and a few
    /// have moved to another municipality.
    fn return_to_cash(&mut self) {
        let rng = &mut *self.rng;
        self.profile = match self.profile {
            Profile::Ready if chance(rng, 0.08) => Profile::Complex,
            Profile::Complex if chance(rng, 0.10) => Profile::Ready,
            Profile::Complex if chance(rng, 0.06) => Profile::Chronic,
            Profile::Chronic if chance(rng, 0.05) => Profile::Complex,
            p => p,
        };
        if chance(rng, 0.04) {
            self.municipality = self.world.draw_municipality(rng);
        }
    }

    /// Benefit, length in days, next state and paid hours of a stint in `state` from day `t`.
    fn stint(&mut self, state: State, t: Day, first: bool) -> (Option<Benefit>, Day, State, Hours) {
        use State as S;
        let age = self.age(t);
        let female_young = self.person.sex == FEMALE && age < 41;
        let maternity = if female_young { 8.0 } else { 0.0 };
        let rng = &mut *self.rng;
        match state {
            S::Cash => {
                let (benefit, days, next) = self.cash(t, first);
                let hours = if self.person.side_jobs {
                    Hours::SideJobs
                } else {
                    Hours::None
                };
                (Some(benefit), days, next, hours)
            }
            S::PaymentGap => {
                let days = payment_gap_days(rng);
                // Long-term recipients' longer breaks are often another benefit for a while.
                if days > GAP_DAYS && self.profile != Profile::Ready && chance(rng, 0.5) {
                    let benefit = if chance(rng, 0.3) {
                        Benefit::Sygedagpenge
                    } else {
                        Benefit::Other
                    };
                    return (Some(benefit), days, S::Cash, Hours::None);
                }
                // Some stops are an odd job of a few weeks.
                let hours = if days >= 14 && chance(rng, 0.04) {
                    Hours::Job(rng.gen_range(40.0..150.0))
                } else {
                    Hours::None
                };
                (None, days, S::Cash, hours)
            }
            S::Work { durable } => {
                let full_time = chance(rng, 0.55);
                let monthly = if full_time {
                    rng.gen_range(148.0..162.0)
                } else {
                    rng.gen_range(40.0..130.0)
                };
                let (days, next) = if durable {
                    let early_retirement = if age >= 60 { 20.0 } else { 0.0 };
                    (
                        log_uniform_int(rng, 395, 4000),
                        pick(
                            rng,
                            &[
                                (S::Cash, 35.0),
                                (S::Insured, 30.0),
                                (S::SelfSupport, 20.0),
                                (S::Maternity, maternity),
                                (S::EarlyRetirement, early_retirement),
                            ],
                        ),
                    )
                } else {
                    (
                        rng.gen_range(20..=330),
                        pick(
                            rng,
                            &[
                                (S::Cash, 55.0),
                                (S::Insured, 15.0),
                                (S::SelfSupport, 25.0),
                                (S::Education, 5.0),
                            ],
                        ),
                    )
                };
                (None, days, next, Hours::Job(monthly))
            }
            S::Education => (
                Some(Benefit::Su),
                rng.gen_range(150..=1200),
                pick(
                    rng,
                    &[
                        (S::Work { durable: true }, 20.0),
                        (S::Cash, 40.0),
                        (S::SelfSupport, 40.0),
                    ],
                ),
                Hours::None,
            ),
            S::Sick => (
                Some(Benefit::Sygedagpenge),
                log_uniform_int(rng, 30, 365),
                pick(
                    rng,
                    &[
                        (S::Cash, 65.0),
                        (S::Clarification, 10.0),
                        (S::Resource, 10.0),
                        (S::Work { durable: false }, 8.0),
                        (S::Disability, 2.0),
                        (S::SelfSupport, 5.0),
                    ],
                ),
                Hours::None,
            ),
            S::Clarification => (
                Some(Benefit::Jobafklaring),
                rng.gen_range(90..=540),
                pick(
                    rng,
                    &[
                        (S::Cash, 45.0),
                        (S::Resource, 25.0),
                        (S::Flex, 10.0),
                        (S::Work { durable: false }, 10.0),
                        (S::Disability, 10.0),
                    ],
                ),
                Hours::None,
            ),
            S::Resource => (
                Some(Benefit::Ressourceforloeb),
                rng.gen_range(365..=1825),
                pick(
                    rng,
                    &[
                        (S::Cash, 40.0),
                        (S::Flex, 30.0),
                        (S::Disability, 25.0),
                        (S::Work { durable: false }, 5.0),
                    ],
                ),
                Hours::None,
            ),
            S::Flex => {
                let hours = if chance(rng, 0.5) {
                    Hours::Job(rng.gen_range(40.0..100.0))
                } else {
                    Hours::None
                };
                (
                    Some(Benefit::Fleksjob),
                    rng.gen_range(180..=3650),
                    pick(rng, &[(S::FlexUnemployed, 70.0), (S::Disability, 30.0)]),
                    hours,
                )
            }
            S::FlexUnemployed => (
                Some(Benefit::Ledighedsydelse),
                rng.gen_range(60..=540),
                pick(
                    rng,
                    &[(S::Flex, 75.0), (S::Disability, 15.0), (S::Cash, 10.0)],
                ),
                Hours::None,
            ),
            S::Disability => (
                Some(Benefit::Foertidspension),
                FOREVER,
                S::Disability,
                Hours::None,
            ),
            S::Retraining => (
                Some(Benefit::Revalidering),
                rng.gen_range(180..=1095),
                pick(
                    rng,
                    &[
                        (S::Work { durable: true }, 50.0),
                        (S::Cash, 40.0),
                        (S::Flex, 10.0),
                    ],
                ),
                Hours::None,
            ),
            S::Maternity => (
                Some(Benefit::Barsel),
                rng.gen_range(120..=365),
                pick(
                    rng,
                    &[
                        (S::Cash, 55.0),
                        (S::Work { durable: true }, 30.0),
                        (S::SelfSupport, 15.0),
                    ],
                ),
                Hours::None,
            ),
            S::Insured => (
                Some(Benefit::ADagpenge),
                rng.gen_range(60..=730),
                pick(
                    rng,
                    &[
                        (S::Work { durable: true }, 40.0),
                        (S::Cash, 35.0),
                        (S::SelfSupport, 25.0),
                    ],
                ),
                Hours::None,
            ),
            S::EarlyRetirement => (Some(Benefit::Efterloen), FOREVER, S::Pension, Hours::None),
            S::Pension => (
                Some(Benefit::Folkepension),
                FOREVER,
                S::Pension,
                Hours::None,
            ),
            S::OtherBenefit => (
                Some(Benefit::Other),
                rng.gen_range(30..=180),
                pick(rng, &[(S::Cash, 60.0), (S::SelfSupport, 40.0)]),
                Hours::None,
            ),
            S::SelfSupport => (
                None,
                log_uniform_int(rng, 60, 5000),
                pick(
                    rng,
                    &[
                        (S::Cash, 45.0),
                        (S::Work { durable: false }, 6.0),
                        (S::Education, 9.0),
                        (S::SelfSupport, 40.0),
                    ],
                ),
                Hours::None,
            ),
        }
    }

    /// A cash-benefit stint: which benefit, how long, and what follows.
    fn cash(&mut self, t: Day, first: bool) -> (Benefit, Day, State) {
        if first && self.person.integration && t >= self.world.integration_start {
            // Integrationsydelse for a while, then kontanthjælp without a break.
            return (
                Benefit::Integrationsydelse,
                self.rng.gen_range(180..=1095),
                State::Cash,
            );
        }
        let young = self.age(t) < 30 && !self.person.qualified;
        let (days, next) = self.cash_duration(t);
        // Young people without a qualification got kontanthjælp until the 2014 reform and
        // uddannelseshjælp from then until the year they turn 30; the stint ends at the switch.
        let (benefit, switch) = if !young {
            (Benefit::Kontanthjaelp, None)
        } else if t < self.world.reform {
            (Benefit::Kontanthjaelp, Some(self.world.reform))
        } else {
            let turns_30 = year_start(self.person.birth_year + 30);
            (Benefit::Uddannelseshjaelp, Some(turns_30))
        };
        match switch {
            Some(switch) if t + days > switch => (benefit, switch - t, State::Cash),
            _ => (benefit, days, next),
        }
    }

    /// Walks month by month with the profile's hazards of a payment stop and of an exit.
    fn cash_duration(&mut self, t: Day) -> (Day, State) {
        let mut month = 0;
        loop {
            let day = t + 30 * month;
            if day > self.horizon {
                return (FOREVER, State::Cash);
            }
            let (stop, exit) = cash_hazards(self.profile, month);
            let u: f64 = self.rng.gen();
            if u < stop {
                return (30 * month + self.rng.gen_range(1..=30), State::PaymentGap);
            }
            if u < stop + (exit * climate(dates::year_of(day))).min(0.5) {
                let days = 30 * month + self.rng.gen_range(1..=30);
                return (days, self.after_cash(day));
            }
            month += 1;
        }
    }

    /// Where an exit from cash benefit leads, by profile.
    fn after_cash(&mut self, day: Day) -> State {
        use State as S;
        let young = self.age(day) < 30;
        let maternity = if self.person.sex == FEMALE && self.age(day) < 41 {
            1.0
        } else {
            0.0
        };
        let durable = chance(
            self.rng,
            self.world.municipalities[self.municipality].durability,
        );
        let work = S::Work { durable };
        let rng = &mut *self.rng;
        let w = self.person.employability;
        match self.profile {
            Profile::Ready => pick(
                rng,
                &[
                    (work, 20.0 * w),
                    (S::SelfSupport, 46.0),
                    (S::Education, if young { 18.0 } else { 4.0 }),
                    (S::Sick, 6.0),
                    (S::Maternity, 6.0 * maternity),
                    (S::Retraining, 1.0),
                    (S::OtherBenefit, 3.0),
                ],
            ),
            Profile::Complex => pick(
                rng,
                &[
                    (work, 12.0 * w),
                    (S::SelfSupport, 25.0),
                    (S::Sick, 16.0),
                    (S::Resource, 12.0),
                    (S::Education, if young { 8.0 } else { 2.0 }),
                    (S::Clarification, 4.0),
                    (S::Flex, 5.0),
                    (S::Disability, 4.0),
                    (S::Maternity, 3.0 * maternity),
                    (S::Retraining, 3.0),
                    (S::OtherBenefit, 4.0),
                ],
            ),
            Profile::Chronic => pick(
                rng,
                &[
                    (work, 3.0 * w),
                    (S::SelfSupport, 8.0),
                    (S::Sick, 40.0),
                    (S::Resource, 18.0),
                    (S::Clarification, 5.0),
                    (S::Flex, 8.0),
                    (S::Disability, 10.0),
                    (S::Retraining, 2.0),
                    (S::OtherBenefit, 4.0),
                ],
            ),
        }
    }
}

/// Monthly hazards (payment stop, exit) on cash benefit after `month` months.
fn cash_hazards(profile: Profile, month: i32) -> (f64, f64) {
    match profile {
        Profile::Ready => (
            0.02,
            match month {
                0..=5 => 0.14,
                6..=11 => 0.09,
                12..=23 => 0.06,
                _ => 0.04,
            },
        ),
        Profile::Complex => (0.035, if month < 12 { 0.05 } else { 0.035 }),
        Profile::Chronic => (0.075, 0.004),
    }
}

/// Days without payment in a stop: many short breaks that the default `gap_days` = 28
/// bridges, exactly 28 and 29 days (either side of that limit), a calendar month, and longer.
fn payment_gap_days(rng: &mut ChaCha8Rng) -> Day {
    let (lo, hi) = pick(
        rng,
        &[
            ((1, 14), 30.0),
            ((15, 27), 12.0),
            ((28, 28), 8.0),
            ((29, 29), 8.0),
            ((30, 31), 10.0),
            ((32, 60), 22.0),
            ((61, 150), 10.0),
        ],
    );
    rng.gen_range(lo..=hi)
}
