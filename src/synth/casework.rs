//! Case management over cash-benefit spells: visitations, conversations and offers.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::codes::{Benefit, MatchGroup, MeetingKind, MeetingStatus, Offer};
use super::random::{chance, pick};
use super::simulation::{State, Stint, GAP_DAYS};
use super::world::{Person, Profile, World};
use crate::dates::{self, Day};

/// Cash-benefit stints joined across stops of at most [`GAP_DAYS`]: one contact course.
#[derive(Debug, Clone)]
pub(super) struct CaseSpell {
    start: Day,
    end: Day,
    open: bool,
    profile: Profile,
    municipality: usize,
    /// First day of kontanthjælp after uddannelseshjælp within the spell (turned 30).
    adult_from: Option<Day>,
    /// What followed the spell, when it ended in rehabilitation or disability.
    then: Option<State>,
}

/// Groups the cash-benefit stints into the spells case management follows.
pub(super) fn case_spells(stints: &[Stint]) -> Vec<CaseSpell> {
    let mut spells: Vec<CaseSpell> = Vec::new();
    let mut previous_benefit = None;
    for (i, stint) in stints.iter().enumerate() {
        let Some(benefit) = stint.benefit.filter(|b| b.is_cash()) else {
            continue;
        };
        let then = stints.get(i + 1).map(|s| s.state).filter(|s| {
            matches!(
                s,
                State::Resource | State::Flex | State::Disability | State::Clarification
            )
        });
        match spells.last_mut() {
            Some(spell) if stint.start <= spell.end + GAP_DAYS + 1 => {
                spell.end = spell.end.max(stint.end);
                spell.open |= stint.open;
                spell.then = then;
                if benefit == Benefit::Kontanthjaelp
                    && previous_benefit == Some(Benefit::Uddannelseshjaelp)
                {
                    spell.adult_from.get_or_insert(stint.start);
                }
            }
            _ => spells.push(CaseSpell {
                start: stint.start,
                end: stint.end,
                open: stint.open,
                profile: stint.profile,
                municipality: stint.municipality,
                adult_from: None,
                then,
            }),
        }
        previous_benefit = Some(benefit);
    }
    spells
}

/// A match-group decision: a row of `assessments`.
pub(super) struct Assessment {
    pub(super) date: Day,
    pub(super) group: MatchGroup,
}

/// An offer: a row of `interventions`; `end` is null while it runs on extract_end.
pub(super) struct Intervention {
    pub(super) offer: Offer,
    pub(super) start: Day,
    pub(super) end: Option<Day>,
}

/// A conversation: a row of `meetings`.
pub(super) struct Meeting {
    pub(super) date: Day,
    pub(super) kind: MeetingKind,
    pub(super) status: MeetingStatus,
}

/// Group at a visitation. `youth`: under 30 without a qualification (uddannelseshjælp rules).
fn visitation(rng: &mut ChaCha8Rng, profile: Profile, youth: bool) -> MatchGroup {
    use MatchGroup as G;
    match (youth, profile) {
        (false, Profile::Ready) => pick(rng, &[(G::Jobparat, 0.9), (G::Aktivitetsparat, 0.1)]),
        (false, Profile::Complex) => pick(rng, &[(G::Jobparat, 0.4), (G::Aktivitetsparat, 0.6)]),
        (false, Profile::Chronic) => pick(rng, &[(G::Jobparat, 0.04), (G::Aktivitetsparat, 0.96)]),
        (true, Profile::Ready) => pick(
            rng,
            &[
                (G::AabenlystUddannelsesparat, 0.35),
                (G::Uddannelsesparat, 0.6),
                (G::Aktivitetsparat, 0.05),
            ],
        ),
        (true, Profile::Complex) => pick(
            rng,
            &[(G::Uddannelsesparat, 0.35), (G::Aktivitetsparat, 0.65)],
        ),
        (true, Profile::Chronic) => pick(
            rng,
            &[(G::Uddannelsesparat, 0.1), (G::Aktivitetsparat, 0.9)],
        ),
    }
}

/// A follow-up visitation: most keep their group, some move between jobparat and
/// aktivitetsparat (towards what their profile says), and at 30 the youth groups end.
fn revisit(rng: &mut ChaCha8Rng, group: MatchGroup, profile: Profile, youth: bool) -> MatchGroup {
    use MatchGroup as G;
    let (to_active, to_ready) = match profile {
        Profile::Ready => (0.06, 0.30),
        Profile::Complex => (0.25, 0.08),
        Profile::Chronic => (0.50, 0.02),
    };
    match (youth, group) {
        (false, G::Jobparat) if chance(rng, to_active) => G::Aktivitetsparat,
        (false, G::Aktivitetsparat) if chance(rng, to_ready) => G::Jobparat,
        (false, G::Uddannelsesparat | G::AabenlystUddannelsesparat) => {
            if chance(rng, 0.8) {
                G::Jobparat
            } else {
                G::Aktivitetsparat
            }
        }
        (true, G::AabenlystUddannelsesparat) if chance(rng, 0.2) => G::Uddannelsesparat,
        (true, G::Uddannelsesparat) if chance(rng, to_active) => G::Aktivitetsparat,
        (true, G::Aktivitetsparat) if chance(rng, to_ready) => G::Uddannelsesparat,
        (true, G::Jobparat) => G::Uddannelsesparat,
        (_, g) => g,
    }
}

/// Assessments of all spells; returns them with each spell's group at entry (`None` = unknown).
pub(super) fn assessments(
    world: &World,
    person: &Person,
    spells: &[CaseSpell],
    rng: &mut ChaCha8Rng,
) -> (Vec<Assessment>, Vec<Option<MatchGroup>>) {
    let mut out: Vec<Assessment> = Vec::new();
    let mut entry_groups = Vec::with_capacity(spells.len());
    for spell in spells {
        if person.never_assessed {
            entry_groups.push(None);
            continue;
        }
        let youth_at = |day: Day| dates::year_of(day) - person.birth_year < 30 && !person.qualified;
        let mut group = visitation(rng, spell.profile, youth_at(spell.start));
        let initial = group;
        let mut decisions = Vec::new();
        // A return within the year often keeps the last decision.
        let keeps_last = out
            .last()
            .is_some_and(|a| a.group == group && spell.start - a.date < 365 && chance(rng, 0.4));
        let first = if keeps_last {
            None
        } else if chance(rng, 0.06) {
            Some(spell.start + rng.gen_range(31..=120)) // registered late: unknown at entry
        } else {
            Some(spell.start + rng.gen_range(0..=20))
        };
        let mut entry = None;
        match first {
            Some(date) if date <= spell.end => {
                decisions.push(Assessment { date, group });
                if date <= spell.start + 30 {
                    entry = Some(group);
                }
            }
            Some(_) => {}
            None => entry = Some(group),
        }
        entry_groups.push(entry);
        // Follow-up visitations through the spell, and one when uddannelseshjælp ends at 30.
        let mut date = first.unwrap_or(spell.start) + rng.gen_range(180..=450);
        let mut adult_from = spell.adult_from;
        loop {
            let next = match adult_from {
                Some(a) if a <= date => {
                    adult_from = None;
                    a + rng.gen_range(0..=20)
                }
                _ => date,
            };
            if next > spell.end {
                break;
            }
            group = revisit(rng, group, spell.profile, youth_at(next));
            decisions.push(Assessment { date: next, group });
            if next == date {
                date += rng.gen_range(180..=450);
            }
        }
        // No match groups before the 2014 reform: a spell running then is visited in 2014.
        if spell.start < world.reform {
            let held = decisions
                .iter()
                .rev()
                .find(|a| a.date < world.reform)
                .map_or(initial, |a| a.group);
            decisions.retain(|a| a.date >= world.reform);
            let date = world.reform + rng.gen_range(0..=180);
            if date <= spell.end && decisions.first().is_none_or(|a| a.date > date) {
                decisions.insert(0, Assessment { date, group: held });
            }
        }
        out.extend(decisions);
    }
    // A late first decision can fall after the switch at 30; keep one decision a day.
    out.sort_by_key(|a| a.date);
    out.dedup_by_key(|a| a.date);
    (out, entry_groups)
}

/// Chance that the job centre lapses on a new spell's conversations (fewer than four in six
/// months). With the chance of misses among those that do not lapse, this gives about 31 % of
/// aktivitetsparate and 16 % of jobparate missing the rule (Rigsrevisionen 2/2022).
fn lapse_chance(group: Option<MatchGroup>) -> f64 {
    match group {
        Some(MatchGroup::Jobparat) => 0.12,
        Some(MatchGroup::Aktivitetsparat) => 0.22,
        Some(_) => 0.15,
        None => 0.3,
    }
}

fn meeting_status(rng: &mut ChaCha8Rng, group: Option<MatchGroup>) -> MeetingStatus {
    use MeetingStatus as M;
    let weights = match group {
        Some(MatchGroup::Jobparat) => [0.86, 0.06, 0.04, 0.04],
        Some(MatchGroup::Aktivitetsparat) => [0.72, 0.12, 0.10, 0.06],
        Some(_) => [0.78, 0.09, 0.09, 0.04],
        None => [0.75, 0.10, 0.09, 0.06],
    };
    pick(
        rng,
        &[
            (M::Held, weights[0]),
            (M::CancelledCitizen, weights[1]),
            (M::NoShow, weights[2]),
            (M::CancelledJobcentre, weights[3]),
        ],
    )
}

/// Conversations of one spell: the first usually within a week, then every four to six weeks
/// for six months (unless the job centre lapses), cancelled ones often rebooked, then every
/// six to thirteen weeks; a rehabilitation team meets before ressourceforløb, flexjob,
/// jobafklaring or førtidspension.
pub(super) fn meetings(
    world: &World,
    spell: &CaseSpell,
    group: Option<MatchGroup>,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<Meeting>,
) {
    let lapse_p = lapse_chance(group) * world.municipalities[spell.municipality].lapse;
    let lapse = chance(rng, lapse_p);
    let six_months = spell.start + 182;
    let cadence = rng.gen_range(25..=40);
    let mut date = spell.start
        + if chance(rng, 0.93) {
            rng.gen_range(0..=6)
        } else {
            rng.gen_range(7..=45)
        };
    let active = group == Some(MatchGroup::Aktivitetsparat);
    let mut first = true;
    while date <= spell.end {
        let mut status = meeting_status(rng, group);
        if first && status != MeetingStatus::Held && chance(rng, 0.5) {
            status = MeetingStatus::Held; // the first conversation is kept more often
        }
        first = false;
        let kind = pick(
            rng,
            &[
                (MeetingKind::Individual, 0.86),
                (MeetingKind::Joint, 0.11),
                (
                    MeetingKind::RehabilitationTeam,
                    if active { 0.03 } else { 0.0 },
                ),
            ],
        );
        out.push(Meeting { date, kind, status });
        date += if date <= six_months {
            if status != MeetingStatus::Held && chance(rng, 0.7) {
                rng.gen_range(3..=14) // rebooked
            } else if lapse {
                rng.gen_range(55..=100)
            } else {
                cadence
            }
        } else {
            rng.gen_range(42..=91)
        };
    }
    if spell.then.is_some() && spell.end - spell.start > 60 {
        out.push(Meeting {
            date: spell.end - rng.gen_range(14..=60),
            kind: MeetingKind::RehabilitationTeam,
            status: if chance(rng, 0.9) {
                MeetingStatus::Held
            } else {
                MeetingStatus::CancelledCitizen
            },
        });
    }
}

/// Offers by match group. Activation kinds (virksomhedspraktik, løntilskud, vejledning og
/// opkvalificering, nytteindsats) cover about 17 % of jobparate's and 9 % of aktivitetsparate's
/// days on benefit (jobindsats, October 2020).
fn offer_mix(group: Option<MatchGroup>) -> &'static [(Offer, f64)] {
    use Offer as O;
    match group {
        Some(MatchGroup::Aktivitetsparat) => &[
            (O::Virksomhedspraktik, 22.0),
            (O::Mentor, 25.0),
            (O::VejledningOpkvalificering, 14.0),
            (O::SocialHealth, 15.0),
            (O::Ips, 8.0),
            (O::Nytteindsats, 4.0),
            (O::Loentilskud, 4.0),
            (O::Other, 8.0),
        ],
        Some(MatchGroup::Uddannelsesparat | MatchGroup::AabenlystUddannelsesparat) => &[
            (O::VejledningOpkvalificering, 45.0),
            (O::Virksomhedspraktik, 25.0),
            (O::Mentor, 10.0),
            (O::Nytteindsats, 10.0),
            (O::SocialHealth, 5.0),
            (O::Other, 5.0),
        ],
        Some(MatchGroup::Jobparat) | None => &[
            (O::Virksomhedspraktik, 35.0),
            (O::Loentilskud, 15.0),
            (O::VejledningOpkvalificering, 30.0),
            (O::Nytteindsats, 15.0),
            (O::Other, 5.0),
        ],
    }
}

/// Offers of one spell, one after another with waits between them. Some long aktivitetsparat
/// cases are left passive: waits of one to two years (DA: about 1 in 4 aktivitetsparate had no
/// offer in 65 weeks), more often in municipalities with a high passivity (Halsnæs).
pub(super) fn interventions(
    world: &World,
    spell: &CaseSpell,
    group: Option<MatchGroup>,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<Intervention>,
) {
    let active = group == Some(MatchGroup::Aktivitetsparat);
    let passive = active
        && spell.profile != Profile::Ready
        && chance(
            rng,
            0.22 * world.municipalities[spell.municipality].passivity,
        );
    let (first_wait, wait) = match (group, passive) {
        (_, true) => ((200, 700), (300, 800)),
        (Some(MatchGroup::Aktivitetsparat), false) => ((30, 330), (45, 360)),
        (Some(MatchGroup::Jobparat) | None, false) => ((30, 330), (60, 600)),
        (Some(_), false) => ((30, 300), (45, 420)),
    };
    let mix = offer_mix(group);
    let mut start = spell.start + rng.gen_range(first_wait.0..=first_wait.1);
    while start <= spell.end {
        let offer = pick(rng, mix);
        let end = start + offer.days(rng) - 1;
        push_intervention(spell, offer, start, end, out);
        // Now and then a mentor alongside a company placement or course.
        if active
            && matches!(
                offer,
                Offer::Virksomhedspraktik | Offer::VejledningOpkvalificering
            )
            && chance(rng, 0.15)
        {
            let s = start + rng.gen_range(0..=30);
            if s <= spell.end {
                let days = Offer::Mentor.days(rng);
                push_intervention(spell, Offer::Mentor, s, s + days - 1, out);
            }
        }
        start = end.min(spell.end) + 1 + rng.gen_range(wait.0..=wait.1);
    }
}

/// Adds an offer cut to its spell; one running on extract_end gets a null end.
fn push_intervention(
    spell: &CaseSpell,
    offer: Offer,
    start: Day,
    end: Day,
    out: &mut Vec<Intervention>,
) {
    let end = if end >= spell.end {
        (!spell.open).then_some(spell.end)
    } else {
        Some(end)
    };
    out.push(Intervention { offer, start, end });
}
