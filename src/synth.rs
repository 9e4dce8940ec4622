//! Calibrated synthetic extracts (`forloeb synth`).
//!
//! Writes a register-like extract that satisfies the input contract (docs/DATA.md) and is
//! calibrated to public Danish figures; `docs/synth.md` lists every target, its source and the
//! lever below that hits it. Nothing in it is real data.
//!
//! How it is built:
//! 1. A fixed synthetic *world*: the municipalities of the reference with sizes and local
//!    practice (how often the job centre lapses on conversations, how long it leaves long cases
//!    passive, how durable exits to work are). The world does not depend on the seed, so two
//!    seeds are two samples from one country.
//! 2. Persons come in chunks of [`CHUNK_PERSONS`]; each chunk draws from its own ChaCha8 stream
//!    (seed, chunk index), chunks are generated in parallel and written in order, so the output
//!    is byte-identical for a seed whatever the thread count.
//! 3. Per person a small state machine walks through time in *stints* (cash benefit, a short
//!    stop in payments, work, education, sickness, ressourceforløb, …), each stint's length drawn
//!    from a monthly hazard. Case management (assessments, conversations, offers) is then laid
//!    over each cash-benefit spell, paid hours over work and small jobs, and the stints are
//!    written the way registers deliver them (monthly rows, chunks, overlaps, open ends).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use polars::prelude::{
    Column, CsvWriter, DataFrame, Float64Chunked, Int32Chunked, IntoColumn, IntoSeries,
    NewChunkedArray, ParquetCompression, ParquetWriter, PlSmallStr, PolarsResult, SerWriter,
    StringChunked,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::dates::{self, Day};
use crate::error::Error;
use crate::extract::EXTRACT_TOML;
use crate::reference::{self, Reference};
use crate::schema;

/// Output format of the six tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SynthFormat {
    Csv,
    Parquet,
}

/// What to generate and where.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Persons in the extract (every one has cash benefit inside `[start, end]`).
    pub persons: u64,
    pub seed: u64,
    /// Folder to write; created if missing, refused if it already holds a table.
    pub out: PathBuf,
    /// `extract_start`: spells running on it are left-censored.
    pub start: NaiveDate,
    /// `extract_end`: periods still running then have a null end.
    pub end: NaiveDate,
    pub format: SynthFormat,
}

/// What was written: persons and rows per table in `schema::TABLES` order.
#[derive(Debug, Clone)]
pub struct SynthSummary {
    pub persons: u64,
    pub rows: Vec<(&'static str, u64)>,
}

/// Persons per chunk. Each chunk draws from its own random stream, so the output does not
/// depend on how many threads generate it.
const CHUNK_PERSONS: u64 = 20_000;
/// At most this many chunks are held in memory: generated in parallel, then written in order.
const MAX_CHUNKS_IN_FLIGHT: usize = 4;
/// Seed of the synthetic world (municipality sizes and local practice).
const WORLD_SEED: u64 = 0x666f_726c_6f65_6221;
/// Persons may have entered this many years before extract_start, so that long spells are
/// already running (left-censored) when the registers start.
const PRE_YEARS: i32 = 20;
/// Gaps in payment of at most this many days do not end a spell (the pipeline's default
/// `gap_days`); used to group stints into case spells.
const GAP_DAYS: Day = 28;
/// A length that outlasts any extract: the stint runs until the horizon cuts it.
const FOREVER: Day = 100 * 366;

/// Writes a synthetic extract into `opts.out`: the six tables and `extract.toml`.
pub fn write(opts: &SynthOptions, reference: &Reference) -> Result<SynthSummary, Error> {
    write_chunked(opts, reference, CHUNK_PERSONS)
}

/// [`write`] with a given chunk size (tests use small chunks to get several streams).
fn write_chunked(
    opts: &SynthOptions,
    reference: &Reference,
    chunk_persons: u64,
) -> Result<SynthSummary, Error> {
    check_options(opts)?;
    let world = World::build(opts, reference)?;
    refuse_existing_tables(&opts.out)?;
    std::fs::create_dir_all(&opts.out).map_err(Error::io(&opts.out))?;

    let mut sink = Sink::create(&opts.out, opts.format);
    let chunks = opts.persons.div_ceil(chunk_persons);
    let in_flight = rayon::current_num_threads().clamp(1, MAX_CHUNKS_IN_FLIGHT) as u64;
    let id_width = id_width(opts.persons);
    let mut first = 0;
    while first < chunks {
        let last = (first + in_flight).min(chunks);
        let generated: Vec<Chunk> = (first..last)
            .into_par_iter()
            .map(|chunk| {
                let first_index = chunk * chunk_persons;
                let persons = chunk_persons.min(opts.persons - first_index);
                generate_chunk(&world, opts.seed, chunk, first_index, persons)
            })
            .collect();
        // Polars gets the frames one at a time, outside our own rayon work.
        for chunk in generated {
            sink.write(chunk.into_frames(id_width)?)?;
        }
        first = last;
    }
    let rows = sink.finish()?;
    write_extract_toml(opts)?;
    Ok(SynthSummary {
        persons: opts.persons,
        rows,
    })
}

fn check_options(opts: &SynthOptions) -> Result<(), Error> {
    if opts.persons == 0 {
        return Err(Error::Request(
            "synth: --persons must be at least 1".to_string(),
        ));
    }
    if opts.end <= opts.start {
        return Err(Error::Request(format!(
            "synth: the extract must end after it starts (start {}, end {})",
            opts.start, opts.end
        )));
    }
    Ok(())
}

/// Refuses a folder that already holds any table, in any of the contract's forms.
fn refuse_existing_tables(out: &Path) -> Result<(), Error> {
    let refuse = |message: String| Error::Output {
        path: out.to_path_buf(),
        message,
    };
    if fs::symlink_metadata(out).is_ok_and(|m| !m.is_dir()) {
        return Err(refuse(
            "is not a folder; choose an empty or new --out folder".to_owned(),
        ));
    }
    let names = schema::TABLES
        .iter()
        .flat_map(|t| {
            [
                format!("{}.csv", t.name),
                format!("{}.parquet", t.name),
                t.name.to_owned(),
            ]
        })
        .chain([EXTRACT_TOML.to_owned()]);
    for name in names {
        let candidate = out.join(name);
        if fs::symlink_metadata(&candidate).is_ok() {
            return Err(refuse(format!(
                "already holds {}, which synth would overwrite; choose an empty or new --out \
                 folder",
                candidate.display()
            )));
        }
    }
    Ok(())
}

/// Digits of the zero-padded person number, so that ids sort as numbers (at least 7).
fn id_width(persons: u64) -> usize {
    persons.to_string().len().max(7)
}

fn write_extract_toml(opts: &SynthOptions) -> Result<(), Error> {
    let path = opts.out.join(EXTRACT_TOML);
    let text = format!(
        "# Synthetic extract written by `forloeb synth`; calibrated to public figures, not real data.\n\
         extract_start = {}\n\
         extract_end = {}\n\
         description = \"forloeb synthetic extract: {} persons, seed {}\"\n",
        opts.start.format("%Y-%m-%d"),
        opts.end.format("%Y-%m-%d"),
        opts.persons,
        opts.seed
    );
    std::fs::write(&path, text).map_err(Error::io(path))
}

// ---------------------------------------------------------------------------------------------
// Codes. Spelled here once; a test checks each against the code lists of `schema`.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Benefit {
    Kontanthjaelp,
    Uddannelseshjaelp,
    Integrationsydelse,
    Ressourceforloeb,
    Jobafklaring,
    Ledighedsydelse,
    Fleksjob,
    Foertidspension,
    Sygedagpenge,
    ADagpenge,
    Su,
    Revalidering,
    Barsel,
    Efterloen,
    Folkepension,
    Other,
}

impl Benefit {
    #[cfg(test)]
    const ALL: [Benefit; 16] = [
        Benefit::Kontanthjaelp,
        Benefit::Uddannelseshjaelp,
        Benefit::Integrationsydelse,
        Benefit::Ressourceforloeb,
        Benefit::Jobafklaring,
        Benefit::Ledighedsydelse,
        Benefit::Fleksjob,
        Benefit::Foertidspension,
        Benefit::Sygedagpenge,
        Benefit::ADagpenge,
        Benefit::Su,
        Benefit::Revalidering,
        Benefit::Barsel,
        Benefit::Efterloen,
        Benefit::Folkepension,
        Benefit::Other,
    ];

    fn code(self) -> &'static str {
        match self {
            Benefit::Kontanthjaelp => "kontanthjaelp",
            Benefit::Uddannelseshjaelp => "uddannelseshjaelp",
            Benefit::Integrationsydelse => "integrationsydelse",
            Benefit::Ressourceforloeb => "ressourceforloeb",
            Benefit::Jobafklaring => "jobafklaring",
            Benefit::Ledighedsydelse => "ledighedsydelse",
            Benefit::Fleksjob => "fleksjob",
            Benefit::Foertidspension => "foertidspension",
            Benefit::Sygedagpenge => "sygedagpenge",
            Benefit::ADagpenge => "a_dagpenge",
            Benefit::Su => "su",
            Benefit::Revalidering => "revalidering",
            Benefit::Barsel => "barsel",
            Benefit::Efterloen => "efterloen",
            Benefit::Folkepension => "folkepension",
            Benefit::Other => "other",
        }
    }

    /// Cash benefits handled by the job centre's contact course (kontaktforløb).
    fn is_cash(self) -> bool {
        matches!(
            self,
            Benefit::Kontanthjaelp | Benefit::Uddannelseshjaelp | Benefit::Integrationsydelse
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MatchGroup {
    Jobparat,
    Aktivitetsparat,
    Uddannelsesparat,
    AabenlystUddannelsesparat,
}

impl MatchGroup {
    #[cfg(test)]
    const ALL: [MatchGroup; 4] = [
        MatchGroup::Jobparat,
        MatchGroup::Aktivitetsparat,
        MatchGroup::Uddannelsesparat,
        MatchGroup::AabenlystUddannelsesparat,
    ];

    fn code(self) -> &'static str {
        match self {
            MatchGroup::Jobparat => "jobparat",
            MatchGroup::Aktivitetsparat => "aktivitetsparat",
            MatchGroup::Uddannelsesparat => "uddannelsesparat",
            MatchGroup::AabenlystUddannelsesparat => "aabenlyst_uddannelsesparat",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Offer {
    Virksomhedspraktik,
    Loentilskud,
    VejledningOpkvalificering,
    Nytteindsats,
    Mentor,
    Ips,
    SocialHealth,
    Other,
}

impl Offer {
    #[cfg(test)]
    const ALL: [Offer; 8] = [
        Offer::Virksomhedspraktik,
        Offer::Loentilskud,
        Offer::VejledningOpkvalificering,
        Offer::Nytteindsats,
        Offer::Mentor,
        Offer::Ips,
        Offer::SocialHealth,
        Offer::Other,
    ];

    fn code(self) -> &'static str {
        match self {
            Offer::Virksomhedspraktik => "virksomhedspraktik",
            Offer::Loentilskud => "loentilskud",
            Offer::VejledningOpkvalificering => "vejledning_opkvalificering",
            Offer::Nytteindsats => "nytteindsats",
            Offer::Mentor => "mentor",
            Offer::Ips => "ips",
            Offer::SocialHealth => "social_health",
            Offer::Other => "other",
        }
    }

    /// Length in days.
    fn days(self, rng: &mut ChaCha8Rng) -> Day {
        match self {
            Offer::Virksomhedspraktik | Offer::Nytteindsats => rng.gen_range(28..=91),
            Offer::Loentilskud | Offer::Mentor => rng.gen_range(91..=365),
            Offer::VejledningOpkvalificering => rng.gen_range(14..=182),
            Offer::Ips => rng.gen_range(182..=540),
            Offer::SocialHealth => rng.gen_range(60..=270),
            Offer::Other => rng.gen_range(7..=84),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MeetingKind {
    Individual,
    Joint,
    RehabilitationTeam,
}

impl MeetingKind {
    #[cfg(test)]
    const ALL: [MeetingKind; 3] = [
        MeetingKind::Individual,
        MeetingKind::Joint,
        MeetingKind::RehabilitationTeam,
    ];

    fn code(self) -> &'static str {
        match self {
            MeetingKind::Individual => "individual",
            MeetingKind::Joint => "joint",
            MeetingKind::RehabilitationTeam => "rehabilitation_team",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MeetingStatus {
    Held,
    CancelledCitizen,
    NoShow,
    CancelledJobcentre,
}

impl MeetingStatus {
    #[cfg(test)]
    const ALL: [MeetingStatus; 4] = [
        MeetingStatus::Held,
        MeetingStatus::CancelledCitizen,
        MeetingStatus::NoShow,
        MeetingStatus::CancelledJobcentre,
    ];

    fn code(self) -> &'static str {
        match self {
            MeetingStatus::Held => "held",
            MeetingStatus::CancelledCitizen => "cancelled_citizen",
            MeetingStatus::NoShow => "no_show",
            MeetingStatus::CancelledJobcentre => "cancelled_jobcentre",
        }
    }
}

const MALE: &str = "M";
const FEMALE: &str = "F";

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

// ---------------------------------------------------------------------------------------------
// The world: municipalities and calendar.

/// A municipality and its local practice.
#[derive(Debug, Clone)]
struct Municipality {
    code: i32,
    /// Relative share of the country's recipients.
    weight: f64,
    /// Multiplies the chance that the job centre lapses on the conversations of a new spell.
    lapse: f64,
    /// Multiplies the chance that a long aktivitetsparat case is left without offers.
    passivity: f64,
    /// Chance that an exit to work becomes a lasting job.
    durability: f64,
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
fn climate(year: i32) -> f64 {
    match year {
        ..=2019 => 1.0,
        2020 => 0.8,
        2021 => 2.5,
        2022 => 4.0,
        2023 => 3.0,
        _ => 2.5,
    }
}

struct World {
    start: Day,
    end: Day,
    /// 2014-01-01: the 2013 reform (match groups, uddannelseshjælp) in force.
    reform: Day,
    /// 2015-09-01: integrationsydelse introduced.
    integration_start: Day,
    municipalities: Vec<Municipality>,
    /// Cumulative municipality weights for drawing.
    municipality_cum: Vec<f64>,
    /// (first day, last day, cumulative weight) of each entry year.
    entry_years: Vec<(Day, Day, f64)>,
}

impl World {
    fn build(opts: &SynthOptions, reference: &Reference) -> Result<World, Error> {
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
        Ok(World::new(opts.start, opts.end, &municipalities))
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

    fn draw_municipality(&self, rng: &mut ChaCha8Rng) -> usize {
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
// Small random helpers.

fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    rng.gen::<f64>() < p
}

/// Draws one of `options` with probability proportional to its weight (weights ≥ 0, at least
/// one positive).
fn pick<T: Copy>(rng: &mut ChaCha8Rng, options: &[(T, f64)]) -> T {
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

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut total = 0.0;
    weights
        .map(|w| {
            total += w;
            total
        })
        .collect()
}

fn draw_cumulative(cum: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let total = cum.last().copied().unwrap_or(0.0);
    let u = rng.gen::<f64>() * total;
    cum.partition_point(|&c| c <= u)
        .min(cum.len().saturating_sub(1))
}

/// exp(N(0, sigma²)) by Box–Muller.
fn lognormal(rng: &mut ChaCha8Rng, sigma: f64) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    (sigma * z).exp()
}

/// A whole number between `lo` and `hi`, log-uniform (many small, some large).
fn log_uniform_int(rng: &mut ChaCha8Rng, lo: Day, hi: Day) -> Day {
    let (l, h) = (f64::from(lo.max(1)).ln(), f64::from(hi.max(lo.max(1))).ln());
    (rng.gen_range(l..=h).exp().round() as Day).clamp(lo, hi)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn month_start(day: Day) -> Day {
    let d = dates::from_day(day);
    dates::ymd(d.year(), d.month(), 1).unwrap_or(day)
}

fn next_month(first: Day) -> Day {
    let d = dates::from_day(first);
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    dates::ymd(y, m, 1).unwrap_or(first + 31)
}

fn year_start(year: i32) -> Day {
    dates::ymd(year, 1, 1).unwrap_or(Day::MAX / 2)
}

// ---------------------------------------------------------------------------------------------
// Persons.

/// How far a person is from a job; drives every hazard and the match group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    /// Ready for a job: short spells, mostly jobparat.
    Ready,
    /// Problems besides unemployment: spells of a year or two, mostly aktivitetsparat.
    Complex,
    /// Long-term: years on cash benefit with short breaks, sickness and rehabilitation.
    Chronic,
}

#[derive(Debug, Clone)]
struct Person {
    birth_year: i32,
    sex: &'static str,
    origin: Option<&'static str>,
    education: Option<&'static str>,
    /// Vocational or higher: an under-30 with one gets kontanthjælp, not uddannelseshjælp.
    qualified: bool,
    /// A non-western immigrant who entered after 2015-09-01 may start on integrationsydelse.
    integration: bool,
    profile: Profile,
    municipality: usize,
    entry: Day,
    exit: Option<Day>,
    /// DKK per paid hour.
    wage: f64,
    /// Takes small jobs while on cash benefit.
    side_jobs: bool,
    /// Scales the chance that an exit from cash benefit is to work (a network, a trade).
    employability: f64,
    /// No assessment ever registered (group `unknown`).
    never_assessed: bool,
}

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

fn draw_person(world: &World, rng: &mut ChaCha8Rng) -> Person {
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

// ---------------------------------------------------------------------------------------------
// The state machine: a life as a sequence of stints.

/// What a person lives on during a stint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
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
enum Hours {
    None,
    /// A job: hours per full month.
    Job(f64),
    /// Small jobs now and then while on cash benefit.
    SideJobs,
}

#[derive(Debug, Clone)]
struct Stint {
    state: State,
    benefit: Option<Benefit>,
    start: Day,
    /// Last day (inclusive), at most the horizon.
    end: Day,
    /// Still running on extract_end: the register row gets a null end.
    open: bool,
    municipality: usize,
    profile: Profile,
    hours: Hours,
}

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

// ---------------------------------------------------------------------------------------------
// Case management over cash-benefit spells.

/// Cash-benefit stints joined across stops of at most [`GAP_DAYS`]: one contact course.
#[derive(Debug, Clone)]
struct CaseSpell {
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

fn case_spells(stints: &[Stint]) -> Vec<CaseSpell> {
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

struct Assessment {
    date: Day,
    group: MatchGroup,
}

struct Intervention {
    offer: Offer,
    start: Day,
    end: Option<Day>,
}

struct Meeting {
    date: Day,
    kind: MeetingKind,
    status: MeetingStatus,
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
fn assessments(
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
fn meetings(
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
fn interventions(
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

// ---------------------------------------------------------------------------------------------
// Paid hours.

struct PaidMonth {
    month: Day,
    hours: f64,
    earnings: Option<f64>,
}

/// Paid hours of all stints, one row per source and month (a month with two sources has two
/// rows, as with two employers), sorted by month.
fn paid_hours(person: &Person, stints: &[Stint], rng: &mut ChaCha8Rng) -> Vec<PaidMonth> {
    let mut out = Vec::new();
    for stint in stints {
        match stint.hours {
            Hours::None => {}
            Hours::Job(monthly) => {
                let mut month = month_start(stint.start);
                while month <= stint.end {
                    let next = next_month(month);
                    let covered = stint.end.min(next - 1) - stint.start.max(month) + 1;
                    let share = f64::from(covered) / f64::from(next - month);
                    let hours = if chance(rng, 0.003) {
                        0.0
                    } else {
                        monthly * share * rng.gen_range(0.9..1.05)
                    };
                    push_paid(person, month, hours, rng, &mut out);
                    month = next;
                }
            }
            Hours::SideJobs => {
                // Runs of small jobs (a few hours up to part-time) with pauses between them.
                let mut month = month_start(stint.start);
                loop {
                    for _ in 0..rng.gen_range(1..=18) {
                        month = next_month(month);
                    }
                    if month > stint.end {
                        break;
                    }
                    let level = f64::from(log_uniform_int(rng, 3, 80));
                    for _ in 0..rng.gen_range(1..=8) {
                        if month > stint.end {
                            break;
                        }
                        let hours = level * rng.gen_range(0.5..1.5);
                        push_paid(person, month, hours, rng, &mut out);
                        month = next_month(month);
                    }
                }
            }
        }
    }
    out.sort_by_key(|p| p.month);
    out
}

fn push_paid(
    person: &Person,
    month: Day,
    hours: f64,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<PaidMonth>,
) {
    let hours = round2(hours);
    let earnings =
        (!chance(rng, 0.03)).then(|| round2(hours * person.wage * rng.gen_range(0.97..1.03)));
    out.push(PaidMonth {
        month,
        hours,
        earnings,
    });
}

// ---------------------------------------------------------------------------------------------
// Register rows of benefit stints.

struct PeriodRow {
    benefit: Benefit,
    start: Day,
    end: Option<Day>,
    municipality: i32,
}

/// How a register cuts a stint into rows.
#[derive(Clone, Copy)]
enum Cut {
    Whole,
    Monthly,
    Chunks,
}

/// Writes a benefit stint as registers do: whole, per calendar month or in chunks, with now and
/// then an overlap between rows or a nested correction row; an open stint's last row has a null
/// end. `overlap_next`: days the row runs into the next stint (a different benefit).
fn period_rows(
    world: &World,
    stint: &Stint,
    overlap_next: Day,
    rng: &mut ChaCha8Rng,
    out: &mut Vec<PeriodRow>,
) {
    let Some(benefit) = stint.benefit else {
        return;
    };
    let municipality = world.municipalities[stint.municipality].code;
    let cut = if benefit.is_cash() {
        pick(
            rng,
            &[
                (Cut::Whole, 45.0),
                (Cut::Monthly, 20.0),
                (Cut::Chunks, 35.0),
            ],
        )
    } else {
        pick(rng, &[(Cut::Whole, 70.0), (Cut::Chunks, 30.0)])
    };
    let end = stint.end + overlap_next;
    let mut segments: Vec<(Day, Day)> = Vec::new();
    let mut a = stint.start;
    while a <= end {
        let b = match cut {
            Cut::Whole => end,
            Cut::Monthly => next_month(month_start(a)) - 1,
            Cut::Chunks => a + rng.gen_range(30..=400) - 1,
        }
        .min(end);
        segments.push((a, b));
        a = b + 1;
    }
    let last = segments.len().saturating_sub(1);
    for (i, &(a, b)) in segments.iter().enumerate() {
        // Now and then a row starts a few days before the previous one ended.
        let a = if i > 0 && chance(rng, 0.06) {
            (a - rng.gen_range(1..=10)).max(stint.start)
        } else {
            a
        };
        let open = i == last && stint.open;
        if !open && b < world.start {
            continue; // ended before the registers start
        }
        out.push(PeriodRow {
            benefit,
            start: a,
            end: (!open).then_some(b),
            municipality,
        });
        if b - a > 20 && chance(rng, 0.02) {
            // Strictly inside, so never an exact duplicate of its row.
            let s = a + rng.gen_range(1..=(b - a) / 2);
            let e = b - rng.gen_range(1..=(b - s) / 2);
            out.push(PeriodRow {
                benefit,
                start: s,
                end: Some(e),
                municipality,
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Chunks: persons and their rows, column by column.

struct PersonRow {
    birth_year: i32,
    sex: &'static str,
    origin: Option<&'static str>,
    education: Option<&'static str>,
    exit: Option<Day>,
}

/// One chunk of persons; `person` fields index into `persons`.
#[derive(Default)]
struct Chunk {
    first_number: u64,
    persons: Vec<PersonRow>,
    periods: Vec<(u32, PeriodRow)>,
    assessments: Vec<(u32, Assessment)>,
    interventions: Vec<(u32, Intervention)>,
    meetings: Vec<(u32, Meeting)>,
    paid: Vec<(u32, PaidMonth)>,
}

/// Generates `persons` persons of chunk `chunk` (the first being person number
/// `first_index + 1`) from the chunk's own stream.
fn generate_chunk(world: &World, seed: u64, chunk: u64, first_index: u64, persons: u64) -> Chunk {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(chunk);
    let mut out = Chunk {
        first_number: first_index + 1,
        ..Chunk::default()
    };
    for index in 0..persons as u32 {
        // Persons whose whole history lies before the extract are not in it: draw again.
        loop {
            if simulate_person(world, &mut rng, index, &mut out) {
                break;
            }
        }
    }
    out
}

/// Simulates one person and adds their rows to `out`; false (and nothing added) when the person
/// has no cash benefit inside the extract.
fn simulate_person(world: &World, rng: &mut ChaCha8Rng, index: u32, out: &mut Chunk) -> bool {
    let person = draw_person(world, rng);
    let mut sim = Sim {
        world,
        person: &person,
        horizon: person.exit.map_or(world.end, |x| x - 1),
        profile: person.profile,
        municipality: person.municipality,
        rng: &mut *rng,
    };
    let stints = sim.run();
    let in_extract = stints
        .iter()
        .any(|s| s.benefit.is_some_and(Benefit::is_cash) && s.end >= world.start);
    if !in_extract {
        return false;
    }

    for (i, stint) in stints.iter().enumerate() {
        // A few changes of benefit overlap by some days in the registers.
        let overlap = match stints.get(i + 1) {
            Some(next)
                if next.benefit.is_some()
                    && stint.benefit.is_some()
                    && next.benefit != stint.benefit
                    && !stint.open
                    && chance(rng, 0.08) =>
            {
                rng.gen_range(1..=14).min(next.end - next.start)
            }
            _ => 0,
        };
        let mut rows = Vec::new();
        period_rows(world, stint, overlap, rng, &mut rows);
        out.periods.extend(rows.into_iter().map(|r| (index, r)));
    }

    let spells = case_spells(&stints);
    let (assessed, entry_groups) = assessments(world, &person, &spells, rng);
    // Keep the last decision before the extract (it still holds) and all later ones.
    let held_at_start = assessed.iter().rposition(|a| a.date <= world.start);
    for (i, a) in assessed.into_iter().enumerate() {
        if held_at_start.is_none_or(|h| i >= h) {
            out.assessments.push((index, a));
        }
    }
    let mut meeting_rows = Vec::new();
    let mut offer_rows = Vec::new();
    for (spell, group) in spells.iter().zip(entry_groups) {
        meetings(world, spell, group, rng, &mut meeting_rows);
        interventions(world, spell, group, rng, &mut offer_rows);
    }
    // A rehabilitation team can fall on the day of another meeting; no exact duplicates.
    meeting_rows.sort_by_key(|m| (m.date, m.kind as u8, m.status as u8));
    meeting_rows.dedup_by_key(|m| (m.date, m.kind as u8, m.status as u8));
    out.meetings.extend(
        meeting_rows
            .into_iter()
            .filter(|m| m.date >= world.start)
            .map(|m| (index, m)),
    );
    out.interventions.extend(
        offer_rows
            .into_iter()
            .filter(|o| o.end.is_none_or(|e| e >= world.start))
            .map(|o| (index, o)),
    );
    out.paid.extend(
        paid_hours(&person, &stints, rng)
            .into_iter()
            .filter(|p| p.month >= world.start)
            .map(|p| (index, p)),
    );
    out.persons.push(PersonRow {
        birth_year: person.birth_year,
        sex: person.sex,
        origin: person.origin,
        education: person.education,
        exit: person.exit,
    });
    true
}

impl Chunk {
    /// One DataFrame per table, in `schema::TABLES` order, columns in contract order.
    fn into_frames(self, id_width: usize) -> PolarsResult<Vec<DataFrame>> {
        let ids: Vec<String> = (0..self.persons.len() as u64)
            .map(|i| format!("P{:0id_width$}", self.first_number + i))
            .collect();
        let id_col = |rows: &mut dyn Iterator<Item = u32>| -> Column {
            StringChunked::from_iter_values(
                schema::PERSON_ID.into(),
                rows.map(|i| ids[i as usize].as_str()),
            )
            .into_column()
        };
        let p = &self.persons;
        let persons = DataFrame::new(
            p.len(),
            vec![
                id_col(&mut (0..p.len() as u32)),
                int_col(schema::BIRTH_YEAR, p.iter().map(|r| r.birth_year)),
                str_col(schema::SEX, p.iter().map(|r| Some(r.sex))),
                str_col(schema::ORIGIN, p.iter().map(|r| r.origin)),
                str_col(schema::EDUCATION, p.iter().map(|r| r.education)),
                date_col(schema::EXIT_DATE, p.iter().map(|r| r.exit)),
            ],
        )?;
        let b = &self.periods;
        let periods = DataFrame::new(
            b.len(),
            vec![
                id_col(&mut b.iter().map(|r| r.0)),
                str_col(schema::BENEFIT, b.iter().map(|r| Some(r.1.benefit.code()))),
                date_col(schema::START, b.iter().map(|r| Some(r.1.start))),
                date_col(schema::END, b.iter().map(|r| r.1.end)),
                int_col(schema::MUNICIPALITY, b.iter().map(|r| r.1.municipality)),
            ],
        )?;
        let a = &self.assessments;
        let assessments = DataFrame::new(
            a.len(),
            vec![
                id_col(&mut a.iter().map(|r| r.0)),
                date_col(schema::DATE, a.iter().map(|r| Some(r.1.date))),
                str_col(schema::GROUP, a.iter().map(|r| Some(r.1.group.code()))),
            ],
        )?;
        let o = &self.interventions;
        let interventions = DataFrame::new(
            o.len(),
            vec![
                id_col(&mut o.iter().map(|r| r.0)),
                str_col(schema::KIND, o.iter().map(|r| Some(r.1.offer.code()))),
                date_col(schema::START, o.iter().map(|r| Some(r.1.start))),
                date_col(schema::END, o.iter().map(|r| r.1.end)),
            ],
        )?;
        let m = &self.meetings;
        let meetings = DataFrame::new(
            m.len(),
            vec![
                id_col(&mut m.iter().map(|r| r.0)),
                date_col(schema::DATE, m.iter().map(|r| Some(r.1.date))),
                str_col(schema::KIND, m.iter().map(|r| Some(r.1.kind.code()))),
                str_col(schema::STATUS, m.iter().map(|r| Some(r.1.status.code()))),
            ],
        )?;
        let h = &self.paid;
        let paid = DataFrame::new(
            h.len(),
            vec![
                id_col(&mut h.iter().map(|r| r.0)),
                date_col(schema::MONTH, h.iter().map(|r| Some(r.1.month))),
                Float64Chunked::from_iter_values(schema::HOURS.into(), h.iter().map(|r| r.1.hours))
                    .into_column(),
                Float64Chunked::from_iter_options(
                    schema::EARNINGS.into(),
                    h.iter().map(|r| r.1.earnings),
                )
                .into_column(),
            ],
        )?;
        Ok(vec![
            persons,
            periods,
            assessments,
            interventions,
            meetings,
            paid,
        ])
    }
}

fn int_col(name: &str, values: impl Iterator<Item = i32>) -> Column {
    Int32Chunked::from_iter_values(PlSmallStr::from(name), values).into_column()
}

fn str_col<'a>(name: &str, values: impl Iterator<Item = Option<&'a str>>) -> Column {
    StringChunked::from_iter_options(PlSmallStr::from(name), values).into_column()
}

fn date_col(name: &str, values: impl Iterator<Item = Option<Day>>) -> Column {
    Int32Chunked::from_iter_options(PlSmallStr::from(name), values)
        .into_date()
        .into_series()
        .into_column()
}

// ---------------------------------------------------------------------------------------------
// Writing.

enum TableWriter {
    /// A CsvWriter is made per chunk; the header goes with the first.
    Csv {
        file: BufWriter<File>,
        header: bool,
    },
    Parquet(Box<polars::io::parquet::write::BatchedWriter<File>>),
}

/// The six open table files and their row counts.
struct Sink {
    out: PathBuf,
    format: SynthFormat,
    writers: Vec<Option<TableWriter>>,
    rows: Vec<u64>,
}

impl Sink {
    fn create(out: &Path, format: SynthFormat) -> Sink {
        Sink {
            out: out.to_path_buf(),
            format,
            writers: schema::TABLES.iter().map(|_| None).collect(),
            rows: vec![0; schema::TABLES.len()],
        }
    }

    fn path(&self, table: usize) -> PathBuf {
        let ext = match self.format {
            SynthFormat::Csv => "csv",
            SynthFormat::Parquet => "parquet",
        };
        self.out
            .join(format!("{}.{ext}", schema::TABLES[table].name))
    }

    /// Appends one chunk's frames (one per table, in `schema::TABLES` order).
    fn write(&mut self, frames: Vec<DataFrame>) -> Result<(), Error> {
        for (table, mut df) in frames.into_iter().enumerate() {
            let path = self.path(table);
            let writer = match self.writers[table].take() {
                Some(w) => w,
                None => {
                    let file = File::create(&path).map_err(Error::io(&path))?;
                    match self.format {
                        SynthFormat::Csv => TableWriter::Csv {
                            file: BufWriter::with_capacity(1 << 20, file),
                            header: true,
                        },
                        // Each chunk's frame becomes its own row group (a chunk's rows are one
                        // Arrow chunk), so a row-group size setting would have no effect.
                        SynthFormat::Parquet => TableWriter::Parquet(Box::new(
                            ParquetWriter::new(file)
                                .with_compression(ParquetCompression::Zstd(None))
                                .batched(df.schema())?,
                        )),
                    }
                }
            };
            let writer = match writer {
                TableWriter::Csv { mut file, header } => {
                    CsvWriter::new(&mut file)
                        .include_header(header)
                        .finish(&mut df)?;
                    TableWriter::Csv {
                        file,
                        header: false,
                    }
                }
                TableWriter::Parquet(mut w) => {
                    w.write_batch(&df)?;
                    TableWriter::Parquet(w)
                }
            };
            self.writers[table] = Some(writer);
            self.rows[table] += df.height() as u64;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<(&'static str, u64)>, Error> {
        for table in 0..schema::TABLES.len() {
            let path = self.path(table);
            match self.writers[table].take() {
                Some(TableWriter::Csv { mut file, .. }) => {
                    file.flush().map_err(Error::io(&path))?;
                }
                Some(TableWriter::Parquet(w)) => {
                    w.finish()?;
                }
                None => {}
            }
        }
        Ok(schema::TABLES
            .iter()
            .zip(self.rows)
            .map(|(t, n)| (t.name, n))
            .collect())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::{BTreeMap, HashMap, HashSet};

    use polars::prelude::{CsvReadOptions, DataType, ParquetReader, SerReader};

    use super::*;

    const X: (i32, u32, u32) = (2015, 1, 1);
    const E: (i32, u32, u32) = (2024, 12, 31);

    fn options(out: &Path, persons: u64, seed: u64, format: SynthFormat) -> SynthOptions {
        SynthOptions {
            persons,
            seed,
            out: out.to_path_buf(),
            start: NaiveDate::from_ymd_opt(X.0, X.1, X.2).unwrap(),
            end: NaiveDate::from_ymd_opt(E.0, E.1, E.2).unwrap(),
            format,
        }
    }

    fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect()
    }

    fn read_parquet(dir: &Path, table: &str) -> DataFrame {
        let file = File::open(dir.join(format!("{table}.parquet"))).unwrap();
        ParquetReader::new(file).finish().unwrap()
    }

    #[test]
    fn codes_are_in_the_contract_lists() {
        for b in Benefit::ALL {
            assert!(schema::BENEFITS.contains(&b.code()), "{}", b.code());
        }
        for g in MatchGroup::ALL {
            assert!(schema::GROUPS.contains(&g.code()), "{}", g.code());
        }
        for o in Offer::ALL {
            assert!(
                schema::INTERVENTION_KINDS.contains(&o.code()),
                "{}",
                o.code()
            );
        }
        for k in MeetingKind::ALL {
            assert!(schema::MEETING_KINDS.contains(&k.code()), "{}", k.code());
        }
        for s in MeetingStatus::ALL {
            assert!(schema::MEETING_STATUSES.contains(&s.code()), "{}", s.code());
        }
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
        // Every code of the lists occurs in the generator (each has a code() arm).
        assert_eq!(Benefit::ALL.len(), schema::BENEFITS.len());
        assert_eq!(Offer::ALL.len(), schema::INTERVENTION_KINDS.len());
    }

    #[test]
    fn same_seed_gives_identical_bytes_whatever_the_threads() {
        let reference = Reference::load(None).unwrap();
        for format in [SynthFormat::Csv, SynthFormat::Parquet] {
            let mut outputs = Vec::new();
            for threads in [1, 3] {
                let dir = tempfile::tempdir().unwrap();
                let opts = options(dir.path(), 300, 7, format);
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                // Chunks of 100 persons: three streams, generated one or three at a time.
                pool.install(|| write_chunked(&opts, &reference, 100))
                    .unwrap();
                outputs.push(files(dir.path()));
            }
            assert_eq!(outputs[0].len(), 7, "{:?}", outputs[0].keys());
            assert!(
                outputs[0] == outputs[1],
                "{format:?} differs between thread counts"
            );
            // And the public entry point is deterministic too.
            let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
            write(&options(a.path(), 300, 7, format), &reference).unwrap();
            write(&options(b.path(), 300, 7, format), &reference).unwrap();
            assert!(files(a.path()) == files(b.path()));
            let c = tempfile::tempdir().unwrap();
            write(&options(c.path(), 300, 8, format), &reference).unwrap();
            assert!(
                files(a.path()) != files(c.path()),
                "another seed, another extract"
            );
        }
    }

    #[test]
    fn refuses_a_folder_with_tables_and_bad_options() {
        let reference = Reference::load(None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("meetings.csv"), "x\n").unwrap();
        let err = write(
            &options(dir.path(), 10, 1, SynthFormat::Parquet),
            &reference,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Output { .. }), "{err}");
        assert!(err.to_string().contains("meetings.csv"), "{err}");
        // Nor is a user's extract.toml overwritten.
        let toml = tempfile::tempdir().unwrap();
        std::fs::write(toml.path().join(EXTRACT_TOML), "mine\n").unwrap();
        let err = write(&options(toml.path(), 10, 1, SynthFormat::Csv), &reference).unwrap_err();
        assert!(err.to_string().contains(EXTRACT_TOML), "{err}");

        let empty = tempfile::tempdir().unwrap();
        let err = write(&options(empty.path(), 0, 1, SynthFormat::Csv), &reference).unwrap_err();
        assert!(matches!(err, Error::Request(_)), "{err}");
        let mut opts = options(empty.path(), 10, 1, SynthFormat::Csv);
        opts.end = opts.start;
        assert!(matches!(write(&opts, &reference), Err(Error::Request(_))));
        assert!(
            files(empty.path()).is_empty(),
            "nothing written for bad options"
        );
    }

    #[test]
    fn extract_satisfies_the_contract() {
        let reference = Reference::load(None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let summary = write(
            &options(dir.path(), 2000, 11, SynthFormat::Parquet),
            &reference,
        )
        .unwrap();
        assert_eq!(summary.persons, 2000);
        let names: Vec<&str> = summary.rows.iter().map(|r| r.0).collect();
        let expected: Vec<&str> = schema::TABLES.iter().map(|t| t.name).collect();
        assert_eq!(names, expected);
        let toml = std::fs::read_to_string(dir.path().join("extract.toml")).unwrap();
        assert!(toml.contains("extract_start = 2015-01-01"), "{toml}");
        assert!(toml.contains("extract_end = 2024-12-31"), "{toml}");
        assert!(toml.contains("2000 persons, seed 11"), "{toml}");

        let x = dates::ymd(X.0, X.1, X.2).unwrap();
        let e = dates::ymd(E.0, E.1, E.2).unwrap();
        let municipalities: HashSet<i32> = reference.codes().unwrap().into_iter().collect();

        let persons = read_parquet(dir.path(), schema::PERSONS.name);
        assert_eq!(persons.height(), 2000);
        assert_eq!(
            persons.column(schema::BIRTH_YEAR).unwrap().dtype(),
            &DataType::Int32
        );
        assert_eq!(
            persons.column(schema::EXIT_DATE).unwrap().dtype(),
            &DataType::Date
        );
        let ids: Vec<String> = strs(&persons, schema::PERSON_ID)
            .into_iter()
            .map(|id| id.unwrap().to_string())
            .collect();
        assert_eq!(ids[0], "P0000001");
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids unique and sorted");
        let exits: HashMap<&str, Option<Day>> = ids
            .iter()
            .map(String::as_str)
            .zip(days(&persons, schema::EXIT_DATE))
            .collect();
        for b in ints(&persons, schema::BIRTH_YEAR) {
            let age_at_start = X.0 - b.unwrap();
            assert!((8..=80).contains(&age_at_start), "{age_at_start}");
        }
        for (column, codes, nullable) in [
            (schema::SEX, schema::SEXES, false),
            (schema::ORIGIN, schema::ORIGINS, true),
            (schema::EDUCATION, schema::EDUCATIONS, true),
        ] {
            let used = check_codes(&persons, column, codes, nullable);
            assert_eq!(used.len(), codes.len(), "{column}: {used:?}");
            let nulls = persons.column(column).unwrap().null_count();
            assert_eq!(nulls > 0, nullable, "{column}: {nulls} nulls");
        }
        let n_exits = exits.values().filter(|x| x.is_some()).count();
        assert!(
            (10..=100).contains(&n_exits),
            "exit_date for ~2 %: {n_exits}"
        );

        for spec in schema::TABLES.iter().skip(1) {
            let df = read_parquet(dir.path(), spec.name);
            assert!(df.height() > 0, "{} is empty", spec.name);
            let names: Vec<&str> = df.get_column_names().iter().map(|n| n.as_str()).collect();
            let contract: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
            assert_eq!(names, contract, "{}", spec.name);
            for column in spec.columns {
                if let Some(codes) = column.codes {
                    let used = check_codes(&df, column.name, codes, !column.required);
                    // Every code occurs, but for a rare benefit or two (efterløn, barsel).
                    assert!(
                        used.len() + 2 >= codes.len(),
                        "{}.{}: only {used:?}",
                        spec.name,
                        column.name
                    );
                }
                if column.required {
                    assert_eq!(
                        df.column(column.name).unwrap().null_count(),
                        0,
                        "{}.{}",
                        spec.name,
                        column.name
                    );
                }
            }
            let pids = strs(&df, schema::PERSON_ID);
            let first_date = [schema::START, schema::DATE, schema::MONTH]
                .into_iter()
                .find(|c| spec.column(c).is_some())
                .unwrap();
            let firsts = days(&df, first_date);
            let ends = spec.column(schema::END).map(|_| days(&df, schema::END));
            for (i, pid) in pids.iter().enumerate() {
                let pid = pid.unwrap();
                let exit = *exits
                    .get(pid)
                    .unwrap_or_else(|| panic!("{pid} of {} not in persons", spec.name));
                let first = firsts[i].unwrap();
                assert!(first <= e, "{}: {first_date} after extract_end", spec.name);
                if let Some(ends) = &ends {
                    match ends[i] {
                        Some(end) => {
                            assert!(end >= first && end <= e, "{}: bad end", spec.name);
                            if let Some(x) = exit {
                                assert!(end < x, "{}: end on or after exit_date", spec.name);
                            }
                        }
                        None => assert!(
                            exit.is_none(),
                            "{}: open period of a person who left",
                            spec.name
                        ),
                    }
                } else if let Some(x) = exit {
                    assert!(
                        first < x,
                        "{}: {first_date} on or after exit_date",
                        spec.name
                    );
                }
                if spec.name != schema::BENEFIT_PERIODS.name
                    && spec.name != schema::INTERVENTIONS.name
                {
                    // Assessments hold from their date, so one before the extract may stay.
                    if spec.name != schema::ASSESSMENTS.name {
                        assert!(
                            first >= x,
                            "{}: {first_date} before extract_start",
                            spec.name
                        );
                    }
                }
            }
            if spec.name == schema::BENEFIT_PERIODS.name {
                assert_eq!(
                    df.column(schema::MUNICIPALITY).unwrap().dtype(),
                    &DataType::Int32
                );
                let used: HashSet<i32> = ints(&df, schema::MUNICIPALITY)
                    .into_iter()
                    .map(Option::unwrap)
                    .collect();
                assert!(used.is_subset(&municipalities));
                assert!(
                    used.len() >= 90,
                    "most municipalities occur: {}",
                    used.len()
                );
                assert!(
                    firsts.iter().any(|s| s.unwrap() < x),
                    "left-censored spells occur"
                );
                assert!(
                    ends.as_ref().unwrap().iter().any(Option::is_none),
                    "open periods occur"
                );
            }
            if spec.name == schema::PAID_HOURS.name {
                assert_eq!(
                    df.column(schema::HOURS).unwrap().dtype(),
                    &DataType::Float64
                );
                for m in &firsts {
                    assert_eq!(dates::from_day(m.unwrap()).day(), 1, "month is a first day");
                }
                let hours = df.column(schema::HOURS).unwrap().f64().unwrap();
                assert!(hours.into_no_null_iter().all(|h| h >= 0.0));
                let earnings = df.column(schema::EARNINGS).unwrap().f64().unwrap();
                assert!(earnings.iter().flatten().all(|v| v >= 0.0));
                assert!(earnings.null_count() > 0, "some earnings are null");
            }
        }

        // The CSV form of the same extract holds the same data.
        let csv_dir = tempfile::tempdir().unwrap();
        write(
            &options(csv_dir.path(), 2000, 11, SynthFormat::Csv),
            &reference,
        )
        .unwrap();
        for spec in schema::TABLES {
            let parquet = read_parquet(dir.path(), spec.name);
            let csv_path = csv_dir.path().join(format!("{}.csv", spec.name));
            let csv = CsvReadOptions::default()
                .with_has_header(true)
                .with_schema(Some(parquet.schema().clone()))
                .try_into_reader_with_file_path(Some(csv_path.clone()))
                .unwrap()
                .finish()
                .unwrap();
            assert!(
                csv.equals_missing(&parquet),
                "{} differs between CSV and Parquet",
                spec.name
            );
            let text = std::fs::read_to_string(&csv_path).unwrap();
            let rows: Vec<&str> = text.lines().skip(1).collect();
            let distinct: HashSet<&str> = rows.iter().copied().collect();
            assert_eq!(
                distinct.len(),
                rows.len(),
                "{}: exact duplicate rows",
                spec.name
            );
        }
        let head = std::fs::read_to_string(csv_dir.path().join("benefit_periods.csv")).unwrap();
        let mut lines = head.lines();
        assert_eq!(
            lines.next(),
            Some("person_id,benefit,start,end,municipality")
        );
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert!(dates::parse_iso(row[2]).is_some(), "ISO date: {}", row[2]);
    }

    fn strs<'a>(df: &'a DataFrame, name: &str) -> Vec<Option<&'a str>> {
        df.column(name).unwrap().str().unwrap().iter().collect()
    }

    fn ints(df: &DataFrame, name: &str) -> Vec<Option<i32>> {
        df.column(name).unwrap().i32().unwrap().iter().collect()
    }

    fn days(df: &DataFrame, name: &str) -> Vec<Option<Day>> {
        let c = df.column(name).unwrap();
        assert_eq!(c.dtype(), &DataType::Date, "{name}");
        c.cast(&DataType::Int32)
            .unwrap()
            .i32()
            .unwrap()
            .iter()
            .collect()
    }

    /// Checks every value against the code list; returns the codes used.
    fn check_codes<'a>(
        df: &'a DataFrame,
        name: &str,
        codes: &[&str],
        nullable: bool,
    ) -> HashSet<&'a str> {
        let mut used = HashSet::new();
        for v in strs(df, name) {
            match v {
                Some(v) => {
                    assert!(codes.contains(&v), "{name}: unknown code {v}");
                    used.insert(v);
                }
                None => assert!(nullable, "{name}: null"),
            }
        }
        used
    }

    // -----------------------------------------------------------------------------------------
    // Calibration: the extract read back and measured as MEASURES.md defines the figures.

    /// Day intervals `[a, b]`, sorted and merged when they overlap or touch.
    fn union(mut iv: Vec<(Day, Day)>) -> Vec<(Day, Day)> {
        iv.sort_unstable();
        let mut out: Vec<(Day, Day)> = Vec::new();
        for (a, b) in iv {
            match out.last_mut() {
                Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        out
    }

    fn bridge(iv: &[(Day, Day)], gap: Day) -> Vec<(Day, Day)> {
        let mut out: Vec<(Day, Day)> = Vec::new();
        for &(a, b) in iv {
            match out.last_mut() {
                Some(last) if a <= last.1 + gap + 1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        out
    }

    fn covers(iv: &[(Day, Day)], d: Day) -> bool {
        iv.iter().any(|&(a, b)| a <= d && d <= b)
    }

    fn days_within(iv: &[(Day, Day)], lo: Day, hi: Day) -> i64 {
        iv.iter()
            .map(|&(a, b)| i64::from((b.min(hi) - a.max(lo) + 1).max(0)))
            .sum()
    }

    #[derive(Default)]
    struct Observed {
        birth: i32,
        exit: Option<Day>,
        kh_rows: Vec<(Day, Day)>,
        kh: Vec<(Day, Day)>,
        any: Vec<(Day, Day)>,
        assess: Vec<(Day, String)>,
        held: Vec<Day>,
        activation: Vec<(Day, Day)>,
        support: Vec<(Day, Day)>,
        hours: HashMap<Day, f64>,
    }

    impl Observed {
        fn group(&self, d: Day) -> &str {
            self.assess
                .iter()
                .rev()
                .find(|a| a.0 <= d)
                .map_or("unknown", |a| a.1.as_str())
        }
        fn employed(&self, d: Day) -> bool {
            !covers(&self.any, d) && self.hours.get(&month_start(d)).is_some_and(|&h| h > 0.0)
        }
    }

    fn load(dir: &Path) -> Vec<Observed> {
        let e = dates::ymd(E.0, E.1, E.2).unwrap();
        let persons = read_parquet(dir, schema::PERSONS.name);
        let ids = strs(&persons, schema::PERSON_ID);
        let index: HashMap<String, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.unwrap().to_string(), i))
            .collect();
        let mut out: Vec<Observed> = ints(&persons, schema::BIRTH_YEAR)
            .into_iter()
            .zip(days(&persons, schema::EXIT_DATE))
            .map(|(b, x)| Observed {
                birth: b.unwrap(),
                exit: x,
                ..Observed::default()
            })
            .collect();
        let last_day = |p: &Observed, end: Option<Day>| {
            end.unwrap_or(e).min(e).min(p.exit.map_or(e, |x| x - 1))
        };
        let periods = read_parquet(dir, schema::BENEFIT_PERIODS.name);
        for ((pid, benefit), (s, en)) in strs(&periods, schema::PERSON_ID)
            .into_iter()
            .zip(strs(&periods, schema::BENEFIT))
            .zip(
                days(&periods, schema::START)
                    .into_iter()
                    .zip(days(&periods, schema::END)),
            )
        {
            let p = &mut out[index[pid.unwrap()]];
            let iv = (s.unwrap(), last_day(p, en));
            if benefit == Some(Benefit::Kontanthjaelp.code()) {
                p.kh_rows.push(iv);
            }
            p.any.push(iv);
        }
        let a = read_parquet(dir, schema::ASSESSMENTS.name);
        for (pid, (d, g)) in strs(&a, schema::PERSON_ID).into_iter().zip(
            days(&a, schema::DATE)
                .into_iter()
                .zip(strs(&a, schema::GROUP)),
        ) {
            out[index[pid.unwrap()]]
                .assess
                .push((d.unwrap(), g.unwrap().to_string()));
        }
        let m = read_parquet(dir, schema::MEETINGS.name);
        for (pid, (d, s)) in strs(&m, schema::PERSON_ID).into_iter().zip(
            days(&m, schema::DATE)
                .into_iter()
                .zip(strs(&m, schema::STATUS)),
        ) {
            if s == Some(MeetingStatus::Held.code()) {
                out[index[pid.unwrap()]].held.push(d.unwrap());
            }
        }
        let activation = [
            Offer::Virksomhedspraktik,
            Offer::Loentilskud,
            Offer::VejledningOpkvalificering,
            Offer::Nytteindsats,
        ]
        .map(Offer::code);
        let iv = read_parquet(dir, schema::INTERVENTIONS.name);
        for ((pid, k), (s, en)) in strs(&iv, schema::PERSON_ID)
            .into_iter()
            .zip(strs(&iv, schema::KIND))
            .zip(
                days(&iv, schema::START)
                    .into_iter()
                    .zip(days(&iv, schema::END)),
            )
        {
            let p = &mut out[index[pid.unwrap()]];
            let span = (s.unwrap(), last_day(p, en));
            let k = k.unwrap();
            if activation.contains(&k) {
                p.activation.push(span);
            }
            if activation.contains(&k) || k == Offer::Mentor.code() {
                p.support.push(span);
            }
        }
        let h = read_parquet(dir, schema::PAID_HOURS.name);
        let hours = h.column(schema::HOURS).unwrap().f64().unwrap();
        for ((pid, m), hrs) in strs(&h, schema::PERSON_ID)
            .into_iter()
            .zip(days(&h, schema::MONTH))
            .zip(hours.into_no_null_iter())
        {
            *out[index[pid.unwrap()]]
                .hours
                .entry(m.unwrap())
                .or_default() += hrs;
        }
        for p in &mut out {
            p.kh = union(p.kh_rows.clone());
            p.any = union(std::mem::take(&mut p.any));
            p.activation = union(std::mem::take(&mut p.activation));
            p.support = union(std::mem::take(&mut p.support));
            p.assess.sort();
            p.held.sort_unstable();
        }
        out
    }

    /// Figures of MEASURES.md and DOMAIN.md computed from an extract.
    #[derive(Debug, Default)]
    struct Calibration {
        /// Persons on kontanthjælp in 2018 aged 30+, by group at their last kontanthjælp day of
        /// 2018 (jobindsats Y36A02 counts persons in the year): aktivitetsparat / assessed.
        aktivitetsparat_share_2018: f64,
        unknown_share_2018: f64,
        /// Stock on 2019-12-31, group(R) = aktivitetsparat.
        akt_long_term_share: f64,
        akt_support_80pct_5y: f64,
        akt_passive_12m: f64,
        akt_any_offer_12m: f64,
        persons_with_paid_hours: f64,
        gaps_29: usize,
        gaps_30: usize,
        meetings_4_in_6m_missed: BTreeMap<String, f64>,
        first_meeting_7d: f64,
        activation_rate_2020: BTreeMap<String, f64>,
        in_work_365: BTreeMap<String, f64>,
        durable_work_12m: f64,
        /// Of the durable_work_12m denominator: share with paid hours at end + 29.
        work_exits_employed: f64,
        /// durable_work_12m among exits with paid hours at end + 29 (benchmark.dk's exits to
        /// employment).
        durable_employment_exits: f64,
        fte_jan2020_to_aug2022: f64,
        persons_per_fte_2018: f64,
        exit_share: f64,
    }

    fn share(num: usize, den: usize) -> f64 {
        num as f64 / den.max(1) as f64
    }

    fn calibrate(persons: &[Observed]) -> Calibration {
        let d = |y, m, dd| dates::ymd(y, m, dd).unwrap();
        let (x, e) = (d(X.0, X.1, X.2), d(E.0, E.1, E.2));
        let mut c = Calibration::default();

        // Y36A02-style: persons on kontanthjælp in 2018.
        let (y0, y1) = (d(2018, 1, 1), d(2018, 12, 31));
        let (mut akt, mut assessed, mut unknown, mut all) = (0, 0, 0, 0);
        let mut kh_days_2018 = 0i64;
        for p in persons {
            let in_year: Vec<_> = p.kh.iter().filter(|iv| iv.1 >= y0 && iv.0 <= y1).collect();
            kh_days_2018 += days_within(&p.kh, y0, y1);
            let Some(last) = in_year.last() else { continue };
            all += 1;
            let g = p.group(last.1.min(y1));
            if g == "unknown" {
                unknown += 1;
            }
            if 2018 - p.birth >= 30 && (g == "jobparat" || g == "aktivitetsparat") {
                assessed += 1;
                akt += usize::from(g == "aktivitetsparat");
            }
        }
        c.aktivitetsparat_share_2018 = share(akt, assessed);
        c.unknown_share_2018 = share(unknown, all);
        c.persons_per_fte_2018 = all as f64 / (kh_days_2018 as f64 / 365.0);

        // Stock on R = 2019-12-31 (the look-back of five years starts on extract_start).
        let r = d(2019, 12, 31);
        let (mut stock, mut long, mut s80, mut den_p, mut passive) = (0, 0, 0, 0, 0);
        let (mut den_any, mut any_offer) = (0, 0);
        for p in persons {
            if !covers(&p.kh, r) || p.group(r) != "aktivitetsparat" {
                continue;
            }
            let spells = bridge(&p.kh, GAP_DAYS);
            let Some(&(s, _)) = spells.iter().find(|iv| iv.0 <= r && r <= iv.1) else {
                continue;
            };
            stock += 1;
            long += usize::from(r - s + 1 > 730);
            s80 += usize::from(days_within(&p.kh, r - 1825, r) as f64 >= 0.8 * 1826.0);
            if r - s + 1 >= 365 {
                den_any += 1;
                any_offer += usize::from(days_within(&p.support, r - 364, r) > 0);
            }
            if r - s + 1 > 365 {
                den_p += 1;
                // A run of more than 365 days without a support day in [max(s, X), R].
                let mut prev = s.max(x) - 1;
                let mut found = false;
                for &(a, b) in p.support.iter().filter(|iv| iv.1 >= s.max(x) && iv.0 <= r) {
                    if a.max(s.max(x)) - prev - 1 > 365 {
                        found = true;
                    }
                    prev = prev.max(b);
                }
                if r - prev > 365 {
                    found = true;
                }
                passive += usize::from(found);
            }
        }
        c.akt_long_term_share = share(long, stock);
        c.akt_support_80pct_5y = share(s80, stock);
        c.akt_passive_12m = share(passive, den_p);
        c.akt_any_offer_12m = share(any_offer, den_any);

        c.persons_with_paid_hours = share(
            persons
                .iter()
                .filter(|p| p.hours.values().any(|&h| h > 0.0))
                .count(),
            persons.len(),
        );
        c.exit_share = share(
            persons.iter().filter(|p| p.exit.is_some()).count(),
            persons.len(),
        );

        // Start-to-previous-end differences of kontanthjælp rows.
        for p in persons {
            let mut rows = p.kh_rows.clone();
            rows.sort_unstable();
            let mut end: Option<Day> = None;
            for (a, b) in rows {
                if let Some(prev) = end {
                    c.gaps_29 += usize::from(a - prev == 29);
                    c.gaps_30 += usize::from(a - prev == 30);
                }
                end = Some(end.map_or(b, |prev| prev.max(b)));
            }
        }

        // Spell measures by group at entry.
        let mut missed: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        let mut work365: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        let mut act: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let (mut first7, mut first_den, mut durable, mut durable_den) = (0, 0, 0, 0);
        let (mut employed_exits, mut durable_employed) = (0, 0);
        let (p0, p1) = (d(2020, 1, 1), d(2020, 12, 31));
        for p in persons {
            for &(s, end) in &bridge(&p.kh, GAP_DAYS) {
                let g = p
                    .assess
                    .iter()
                    .rev()
                    .find(|a| a.0 <= s + 30)
                    .map_or("unknown", |a| a.1.as_str())
                    .to_string();
                let a = act.entry(g.clone()).or_default();
                for day in s.max(p0)..=end.min(p1) {
                    a.1 += 1;
                    a.0 += i64::from(covers(&p.activation, day));
                }
                if s <= x + GAP_DAYS {
                    continue; // left-censored
                }
                if s + 6 <= e {
                    first_den += 1;
                    first7 += usize::from(p.held.iter().any(|&m| m >= s && m <= s + 6));
                }
                if end - s + 1 >= 183 && s + 182 <= e {
                    let held = p.held.iter().filter(|&&m| m >= s && m <= s + 182).count();
                    let t = missed.entry(g.clone()).or_default();
                    t.1 += 1;
                    t.0 += usize::from(held < 4);
                }
                if s + 365 <= e {
                    let t = work365.entry(g.clone()).or_default();
                    t.1 += 1;
                    t.0 += usize::from(p.employed(s + 365));
                }
                let closed = end + GAP_DAYS < e && p.exit.is_none_or(|xx| xx > end + GAP_DAYS + 1);
                if closed && end + 365 <= e && !covers(&p.any, end + GAP_DAYS + 1) {
                    durable_den += 1;
                    employed_exits += usize::from(p.employed(end + GAP_DAYS + 1));
                    let no_benefit = days_within(&p.any, end + 1, end + 365) == 0;
                    let mut month = next_month(month_start(end));
                    let mut all_months = true;
                    for _ in 0..12 {
                        all_months &= p.hours.get(&month).is_some_and(|&h| h > 0.0);
                        month = next_month(month);
                    }
                    durable += usize::from(no_benefit && all_months);
                    durable_employed +=
                        usize::from(no_benefit && all_months && p.employed(end + GAP_DAYS + 1));
                }
            }
        }
        c.first_meeting_7d = share(first7, first_den);
        c.durable_work_12m = share(durable, durable_den);
        c.work_exits_employed = share(employed_exits, durable_den);
        c.durable_employment_exits = share(durable_employed, employed_exits);
        c.meetings_4_in_6m_missed = missed
            .into_iter()
            .map(|(g, (n, d))| (g, share(n, d)))
            .collect();
        c.in_work_365 = work365
            .into_iter()
            .map(|(g, (n, d))| (g, share(n, d)))
            .collect();
        c.activation_rate_2020 = act
            .into_iter()
            .map(|(g, (n, d))| (g, n as f64 / d.max(1) as f64))
            .collect();

        let fte = |a: Day, b: Day| {
            persons
                .iter()
                .map(|p| days_within(&p.kh, a, b))
                .sum::<i64>() as f64
                / f64::from(b - a + 1)
        };
        c.fte_jan2020_to_aug2022 =
            fte(d(2022, 8, 1), d(2022, 8, 31)) / fte(d(2020, 1, 1), d(2020, 1, 31));
        c
    }

    #[test]
    fn calibration_sanity() {
        let reference = Reference::load(None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        write(
            &options(dir.path(), 2000, 5, SynthFormat::Parquet),
            &reference,
        )
        .unwrap();
        let c = calibrate(&load(dir.path()));
        assert!(
            (0.55..=0.75).contains(&c.aktivitetsparat_share_2018),
            "aktivitetsparat among assessed 30+: {c:?}"
        );
        assert!(
            c.persons_with_paid_hours < 0.5,
            "paid hours are a minority: {c:?}"
        );
        assert!(c.persons_with_paid_hours > 0.1, "{c:?}");
        assert!(
            c.gaps_29 > 0 && c.gaps_30 > 0,
            "gaps of 28 and 29 days occur: {c:?}"
        );
        assert!(c.unknown_share_2018 > 0.0, "group unknown occurs: {c:?}");
    }

    /// Prints the calibration figures of a 20,000-person extract:
    /// `cargo test --release --lib synth -- --ignored --nocapture calibration_report`.
    #[test]
    #[ignore]
    fn calibration_report() {
        let reference = Reference::load(None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let summary = write(
            &options(dir.path(), 20_000, 1, SynthFormat::Parquet),
            &reference,
        )
        .unwrap();
        println!("written in {:.1?}: {summary:?}", started.elapsed());
        let persons = load(dir.path());
        println!("{:#?}", calibrate(&persons));
        let periods = read_parquet(dir.path(), schema::BENEFIT_PERIODS.name);
        let mut by_code: BTreeMap<i32, usize> = BTreeMap::new();
        for m in ints(&periods, schema::MUNICIPALITY) {
            *by_code.entry(m.unwrap()).or_default() += 1;
        }
        let mut sizes: Vec<(usize, i32)> = by_code.into_iter().map(|(c, n)| (n, c)).collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        println!("largest municipalities by period rows: {:?}", &sizes[..6]);
        println!("smallest: {:?}", &sizes[sizes.len() - 4..]);
    }

    /// Times a 100,000-person CSV extract:
    /// `cargo test --release --lib synth -- --ignored --nocapture timing_100k`.
    #[test]
    #[ignore]
    fn timing_100k() {
        let reference = Reference::load(None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let started = std::time::Instant::now();
        let summary = write(
            &options(dir.path(), 100_000, 1, SynthFormat::Csv),
            &reference,
        )
        .unwrap();
        println!(
            "100,000 persons CSV in {:.1?}: {summary:?}",
            started.elapsed()
        );
    }
}
