//! The fixed synthetic world: municipalities with their local practice, the calendar of
//! entries and reforms, and the persons who ask for help.

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::random::{chance, cumulative, draw_cumulative, lognormal, pick};
use super::SynthOptions;
use crate::dates::{self, Day};
use crate::error::Error;
use crate::reference::{self, Reference};

/// Seed of the synthetic world (municipality sizes and local practice).
const WORLD_SEED: u64 = 0x666f_726c_6f65_6221;
/// Persons may have entered this many years before extract_start, so that long spells are
/// already running (left-censored) when the registers start.
const PRE_YEARS: i32 = 20;

// ---------------------------------------------------------------------------------------------
// The world: municipalities and calendar.

/// A municipality and its local practice.
#[derive(Debug, Clone)]
pub(super) struct Municipality {
    pub(super) code: i32,
    /// Relative share of the country's recipients.
    weight: f64,
    /// Multiplies the chance that the job centre lapses on the conversations of a new spell.
    pub(super) lapse: f64,
    /// Multiplies the chance that a long aktivitetsparat case is left without offers.
    pub(super) passivity: f64,
    /// Chance that an exit to work becomes a lasting job.
    pub(super) durability: f64,
}

/// Relative size of the cash-benefit caseload by DST kommunegruppe (per municipality, before
/// noise); the three big cities and København are set on their own.
const PEER_GROUP_WEIGHTS: [(&str, f64); 5] = [
    ("Hovedstadskommuner", 1.0),
    ("Storbykommuner", 5.0),
    ("Provinsbykommuner", 1.8),
    ("Oplandskommuner", 0.75),
    ("Landkommuner", 0.6),
];
/// Fixed sizes (no noise) so that København leads, then Aarhus, Odense and Aalborg; small
/// islands and affluent suburbs are scaled down.
const SIZE_OVERRIDES: [(i32, f64); 4] = [(101, 14.0), (751, 6.5), (461, 5.2), (851, 4.3)];
const SIZE_SCALES: [(i32, f64); 10] = [
    (492, 0.12), // Ærø
    (563, 0.12), // Fanø
    (741, 0.12), // Samsø
    (825, 0.06), // Læsø
    (155, 0.4),  // Dragør
    (157, 0.5),  // Gentofte
    (173, 0.5),  // Lyngby-Taarbæk
    (187, 0.4),  // Vallensbæk
    (201, 0.4),  // Allerød
    (230, 0.45), // Rudersdal
];
/// Halsnæs: its job plan reports more long cases with > 12 months without activation or mentor
/// than comparable municipalities.
const HALSNAES: i32 = 260;
const HALSNAES_PASSIVITY: f64 = 2.5;

/// Persons entering per year relative to 2015–2019: fewer from 2021 on (the labour shortage,
/// fewer refugees). With [`climate`] this makes full-time persons fall by about 30 % from
/// January 2020 to August 2022 (KL/FLIS: 64,125 → 40,913, −36 %).
fn inflow(year: i32) -> f64 {
    match year {
        ..=2019 => 1.0,
        2020 => 1.05,
        2021 => 0.55,
        2022 => 0.4,
        2023 => 0.4,
        _ => 0.45,
    }
}

/// Exit hazards from cash benefit relative to 2015–2019 (capped at 0.5 a month): Covid slowed
/// exits in 2020, the 2021–2023 labour shortage sped them up for every profile.
pub(super) fn climate(year: i32) -> f64 {
    match year {
        ..=2019 => 1.0,
        2020 => 0.8,
        2021 => 2.5,
        2022 => 4.0,
        2023 => 3.0,
        _ => 2.5,
    }
}

/// What every person shares: the extract's dates, the reforms, the municipalities and the
/// calendar of entries.
pub(super) struct World {
    pub(super) start: Day,
    pub(super) end: Day,
    /// 2014-01-01: the 2013 reform (match groups, uddannelseshjælp) in force.
    pub(super) reform: Day,
    /// 2015-09-01: integrationsydelse introduced.
    pub(super) integration_start: Day,
    pub(super) municipalities: Vec<Municipality>,
    /// Cumulative municipality weights for drawing.
    municipality_cum: Vec<f64>,
    /// (first day, last day, cumulative weight) of each entry year.
    entry_years: Vec<(Day, Day, f64)>,
}

impl World {
    /// The world over the reference's municipalities; refuses a reference without any.
    pub(super) fn build(opts: &SynthOptions, reference: &Reference) -> Result<World, Error> {
        let df = &reference.municipalities;
        let codes = df.column(reference::CODE)?.i32()?;
        let groups = df.column(reference::PEER_GROUP)?.str()?;
        let municipalities: Vec<(i32, &str)> = codes
            .iter()
            .zip(groups.iter())
            .filter_map(|(code, group)| Some((code?, group?)))
            .collect();
        if municipalities.is_empty() {
            return Err(Error::Request(
                "synth: the reference has no municipalities".to_string(),
            ));
        }
        if let Some((code, _)) = opts
            .oversample
            .iter()
            .find(|(code, _)| !municipalities.iter().any(|(c, _)| c == code))
        {
            return Err(Error::Request(format!(
                "synth: --oversample names municipality {code}, which is not in the reference"
            )));
        }
        let mut world = World::new(opts.start, opts.end, &municipalities);
        world.oversample(&opts.oversample);
        Ok(world)
    }

    /// The world for an extract `[start, end]` over `municipalities` (code, peer group).
    fn new(start: NaiveDate, end: NaiveDate, municipalities: &[(i32, &str)]) -> World {
        let mut rng = ChaCha8Rng::seed_from_u64(WORLD_SEED);
        let municipalities: Vec<Municipality> = municipalities
            .iter()
            .map(|&(code, group)| {
                // Draw every effect for every municipality, so each keeps its values whatever the
                // overrides.
                let noise = lognormal(&mut rng, 0.35).clamp(0.5, 2.0);
                let lapse = lognormal(&mut rng, 0.3).clamp(0.6, 1.6);
                let passivity = lognormal(&mut rng, 0.3).clamp(0.6, 1.6);
                let durability = rng.gen_range(0.42..0.72);
                let base = PEER_GROUP_WEIGHTS
                    .iter()
                    .find(|(name, _)| *name == group)
                    .map_or(1.0, |(_, w)| *w);
                let mut weight = match SIZE_OVERRIDES.iter().find(|(c, _)| *c == code) {
                    Some((_, w)) => *w,
                    None => base * noise,
                };
                if let Some((_, scale)) = SIZE_SCALES.iter().find(|(c, _)| *c == code) {
                    weight *= scale;
                }
                let passivity = if code == HALSNAES {
                    HALSNAES_PASSIVITY
                } else {
                    passivity
                };
                Municipality {
                    code,
                    weight,
                    lapse,
                    passivity,
                    durability,
                }
            })
            .collect();
        let municipality_cum = cumulative(municipalities.iter().map(|m| m.weight));

        let (first_year, last_year) = (start.year() - PRE_YEARS, end.year());
        let (start, end) = (dates::to_day(start), dates::to_day(end));
        let mut entry_years = Vec::new();
        let mut total = 0.0;
        for year in first_year..=last_year {
            let (Some(a), Some(b)) = (dates::ymd(year, 1, 1), dates::ymd(year, 12, 31)) else {
                continue;
            };
            let (a, b) = (a.max(start - PRE_YEARS * 365), b.min(end));
            if a > b {
                continue;
            }
            total += inflow(year) * f64::from(b - a + 1);
            entry_years.push((a, b, total));
        }
        World {
            start,
            end,
            reform: dates::ymd(2014, 1, 1).unwrap_or(Day::MIN),
            integration_start: dates::ymd(2015, 9, 1).unwrap_or(Day::MIN),
            municipalities,
            municipality_cum,
            entry_years,
        }
    }

    /// Multiplies the weight of each (code, factor) municipality. Without any, nothing changes:
    /// the calibrated country, and the same draws as before.
    fn oversample(&mut self, factors: &[(i32, f64)]) {
        if factors.is_empty() {
            return;
        }
        for m in &mut self.municipalities {
            if let Some((_, factor)) = factors.iter().find(|(code, _)| *code == m.code) {
                m.weight *= factor;
            }
        }
        self.municipality_cum = cumulative(self.municipalities.iter().map(|m| m.weight));
    }

    /// A municipality, in proportion to its share of the country's recipients.
    pub(super) fn draw_municipality(&self, rng: &mut ChaCha8Rng) -> usize {
        draw_cumulative(&self.municipality_cum, rng)
    }

    fn draw_entry_day(&self, rng: &mut ChaCha8Rng) -> Day {
        let total = self.entry_years.last().map_or(0.0, |y| y.2);
        let u = rng.gen::<f64>() * total;
        let i = self
            .entry_years
            .partition_point(|y| y.2 <= u)
            .min(self.entry_years.len().saturating_sub(1));
        match self.entry_years.get(i) {
            Some(&(a, b, _)) => rng.gen_range(a..=b),
            None => self.start,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Calendar.

/// First day of the month of `day`.
pub(super) fn month_start(day: Day) -> Day {
    let d = dates::from_day(day);
    dates::ymd(d.year(), d.month(), 1).unwrap_or(day)
}

/// First day of the month after the one starting on `first`.
pub(super) fn next_month(first: Day) -> Day {
    let d = dates::from_day(first);
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    dates::ymd(y, m, 1).unwrap_or(first + 31)
}

/// 1 January of `year`; far in the future when out of range, so that the date is never reached.
pub(super) fn year_start(year: i32) -> Day {
    dates::ymd(year, 1, 1).unwrap_or(Day::MAX / 2)
}

// ---------------------------------------------------------------------------------------------
// Persons.

/// How far a person is from a job; drives every hazard and the match group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Profile {
    /// Ready for a job: short spells, mostly jobparat.
    Ready,
    /// Problems besides unemployment: spells of a year or two, mostly aktivitetsparat.
    Complex,
    /// Long-term: years on cash benefit with short breaks, sickness and rehabilitation.
    Chronic,
}

#[derive(Debug, Clone)]
pub(super) struct Person {
    pub(super) birth_year: i32,
    pub(super) sex: &'static str,
    pub(super) origin: Option<&'static str>,
    pub(super) education: Option<&'static str>,
    /// Vocational or higher: an under-30 with one gets kontanthjælp, not uddannelseshjælp.
    pub(super) qualified: bool,
    /// A non-western immigrant who entered after 2015-09-01 may start on integrationsydelse.
    pub(super) integration: bool,
    pub(super) profile: Profile,
    pub(super) municipality: usize,
    pub(super) entry: Day,
    pub(super) exit: Option<Day>,
    /// DKK per paid hour.
    pub(super) wage: f64,
    /// Takes small jobs while on cash benefit.
    pub(super) side_jobs: bool,
    /// Scales the chance that an exit from cash benefit is to work (a network, a trade).
    pub(super) employability: f64,
    /// No assessment ever registered (group `unknown`).
    pub(super) never_assessed: bool,
}

const MALE: &str = "M";
pub(super) const FEMALE: &str = "F";

/// DST herkomst of cash-benefit recipients (non-western immigrants are over-represented).
const ORIGIN_WEIGHTS: [(&str, f64); 5] = [
    ("danish", 62.0),
    ("immigrant_western", 4.0),
    ("immigrant_nonwestern", 25.0),
    ("descendant_western", 1.0),
    ("descendant_nonwestern", 8.0),
];
/// Highest completed education for persons who are ready for a job, and for the rest; KL
/// (2020): about 8 in 10 aktivitetsparate are unskilled (basic or general upper secondary).
const EDUCATION_READY: [(&str, f64); 6] = [
    ("basic", 38.0),
    ("upper_secondary", 14.0),
    ("vocational", 30.0),
    ("short_higher", 5.0),
    ("bachelor", 8.0),
    ("master_plus", 5.0),
];
const EDUCATION_BURDENED: [(&str, f64); 6] = [
    ("basic", 63.0),
    ("upper_secondary", 15.0),
    ("vocational", 17.0),
    ("short_higher", 2.0),
    ("bachelor", 2.0),
    ("master_plus", 1.0),
];
/// Educations that count as a qualification: under-30s with one get kontanthjælp, the rest
/// uddannelseshjælp (2013 reform).
const QUALIFYING_EDUCATIONS: [&str; 4] = ["vocational", "short_higher", "bachelor", "master_plus"];
/// Degrees nobody under 23 holds yet; they are drawn as upper secondary instead.
const HIGHER_EDUCATIONS: [&str; 3] = ["short_higher", "bachelor", "master_plus"];
const UPPER_SECONDARY: &str = "upper_secondary";
const DANISH: &str = "danish";
const NONWESTERN_IMMIGRANT: &str = "immigrant_nonwestern";

/// Age at the first request for help.
const AGE_AT_ENTRY: [((i32, i32), f64); 6] = [
    ((18, 24), 22.0),
    ((25, 29), 16.0),
    ((30, 39), 24.0),
    ((40, 49), 19.0),
    ((50, 59), 15.0),
    ((60, 64), 4.0),
];
/// Profiles of new entrants; Chronic persons stay long, so they weigh far more in a stock.
const PROFILES: [(Profile, f64); 3] = [
    (Profile::Ready, 0.48),
    (Profile::Complex, 0.24),
    (Profile::Chronic, 0.28),
];

/// A person at their first request for help, drawn from the entrant distributions above.
pub(super) fn draw_person(world: &World, rng: &mut ChaCha8Rng) -> Person {
    let entry = world.draw_entry_day(rng);
    let (lo, hi) = pick(rng, &AGE_AT_ENTRY);
    let age = rng.gen_range(lo..=hi);
    let birth_year = dates::year_of(entry) - age;
    let sex = if chance(rng, 0.53) { MALE } else { FEMALE };
    let mut origin = pick(rng, &ORIGIN_WEIGHTS);
    if origin.starts_with("descendant") && age >= 40 {
        origin = DANISH; // descendants of immigrants are still young
    }
    let immigrant = origin.starts_with("immigrant");
    let nonwestern_immigrant = origin == NONWESTERN_IMMIGRANT;
    let origin = (!chance(rng, 0.01)).then_some(origin);
    // Older entrants are more often far from a job.
    let mut profile = pick(rng, &PROFILES);
    if age >= 50 && profile == Profile::Ready && chance(rng, 0.3) {
        profile = Profile::Complex;
    }
    let table = if profile == Profile::Ready {
        &EDUCATION_READY
    } else {
        &EDUCATION_BURDENED
    };
    let mut education = pick(rng, table);
    if age < 23 && HIGHER_EDUCATIONS.contains(&education) {
        education = UPPER_SECONDARY;
    }
    let education = (!chance(rng, if immigrant { 0.15 } else { 0.02 })).then_some(education);
    let qualified = education.is_some_and(|e| QUALIFYING_EDUCATIONS.contains(&e));
    let exit_p = if immigrant { 0.04 } else { 0.016 };
    let first_seen = entry.max(world.start);
    let exit = (chance(rng, exit_p) && first_seen + 60 <= world.end)
        .then(|| rng.gen_range(first_seen + 60..=world.end));
    let wage = (if age < 25 { 140.0 } else { 170.0 }) + rng.gen_range(0.0..90.0);
    let side_jobs = chance(
        rng,
        match profile {
            Profile::Ready => 0.15,
            Profile::Complex => 0.06,
            Profile::Chronic => 0.03,
        },
    );
    Person {
        birth_year,
        sex,
        origin,
        education,
        qualified,
        integration: nonwestern_immigrant && chance(rng, 0.35),
        profile,
        municipality: world.draw_municipality(rng),
        entry,
        exit,
        wage,
        side_jobs,
        employability: if chance(rng, 0.4) { 2.0 } else { 0.33 },
        never_assessed: chance(rng, 0.02),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::options;
    use super::super::SynthFormat;
    use super::*;
    use crate::schema;

    #[test]
    fn oversampling_multiplies_one_municipality_and_keeps_the_rest() {
        let reference = Reference::load(None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut opts = options(dir.path(), 10, 1, SynthFormat::Csv);
        let plain = World::build(&opts, &reference).unwrap();
        opts.oversample = vec![(HALSNAES, 3.0)];
        let over = World::build(&opts, &reference).unwrap();
        assert_eq!(plain.municipalities.len(), over.municipalities.len());
        for (a, b) in plain.municipalities.iter().zip(&over.municipalities) {
            let factor = if a.code == HALSNAES { 3.0 } else { 1.0 };
            assert_eq!(b.weight, a.weight * factor, "{}", a.code);
            // Local practice is the same country's.
            assert_eq!(
                (a.lapse, a.passivity, a.durability),
                (b.lapse, b.passivity, b.durability)
            );
        }
        // Halsnæs is drawn about three times as often.
        let i = over
            .municipalities
            .iter()
            .position(|m| m.code == HALSNAES)
            .unwrap();
        let share = |world: &World| {
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            let n = 200_000;
            let hits = (0..n)
                .filter(|_| world.draw_municipality(&mut rng) == i)
                .count();
            hits as f64 / f64::from(n)
        };
        let (before, after) = (share(&plain), share(&over));
        let w = plain.municipalities[i].weight / plain.municipality_cum.last().unwrap();
        let expected = 3.0 * w / (1.0 + 2.0 * w);
        assert!((before - w).abs() < 0.1 * w, "{before} vs {w}");
        assert!(
            (after - expected).abs() < 0.1 * expected,
            "{after} vs {expected}"
        );

        opts.oversample = vec![(999, 2.0)];
        let err = World::build(&opts, &reference).err().unwrap().to_string();
        assert!(err.contains("999"), "{err}");
    }

    #[test]
    fn person_codes_are_in_the_contract_lists() {
        for (o, _) in ORIGIN_WEIGHTS {
            assert!(schema::ORIGINS.contains(&o), "{o}");
        }
        for (e, _) in EDUCATION_READY.iter().chain(&EDUCATION_BURDENED) {
            assert!(schema::EDUCATIONS.contains(e), "{e}");
        }
        for e in QUALIFYING_EDUCATIONS.iter().chain(&HIGHER_EDUCATIONS) {
            assert!(schema::EDUCATIONS.contains(e), "{e}");
        }
        assert!(schema::EDUCATIONS.contains(&UPPER_SECONDARY));
        assert!(
            schema::ORIGINS.contains(&DANISH) && schema::ORIGINS.contains(&NONWESTERN_IMMIGRANT)
        );
        assert!(schema::SEXES.contains(&MALE) && schema::SEXES.contains(&FEMALE));
    }
}
