//! Calibrated synthetic extracts (`forloeb synth`).
//!
//! Writes a register-like extract that satisfies the input contract (docs/DATA.md) and is
//! calibrated to public Danish figures; `docs/synth.md` lists every target, its source and the
//! lever in these modules that hits it. Nothing in it is real data.
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
//!
//! The parts, in the order a person goes through them: [`world`] (the country, its calendar and
//! its persons), [`simulation`] (a life as stints), [`casework`] (assessments, conversations and
//! offers over each cash-benefit spell), [`registers`] (a chunk of persons as the six tables'
//! rows) and [`writer`] (the files). [`codes`] spells the contract's codes and [`random`] holds
//! the draws every part uses.

#[cfg(test)]
mod calibration;
mod casework;
mod codes;
mod random;
mod registers;
mod simulation;
#[cfg(test)]
mod testing;
mod world;
mod writer;

use std::path::PathBuf;

use chrono::NaiveDate;
use rayon::prelude::*;

use crate::error::Error;
use crate::reference::Reference;
use registers::{generate_chunk, id_width, Chunk};
use world::World;
use writer::{refuse_existing_tables, write_extract_toml, Sink};

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
    /// Municipalities drawn more often than their share of the country: (code, factor) multiplies
    /// the municipality's weight, so that a small municipality has enough persons to publish
    /// its figures. Empty for a calibrated country (and then the output is what it was before
    /// the option existed).
    pub oversample: Vec<(i32, f64)>,
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

/// Refuses options that cannot give an extract, before anything is written.
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
    for (i, &(code, factor)) in opts.oversample.iter().enumerate() {
        if !(factor.is_finite() && factor > 0.0) {
            return Err(Error::Request(format!(
                "synth: --oversample {code}={factor}: the factor must be a number above 0"
            )));
        }
        if opts.oversample[..i].iter().any(|&(c, _)| c == code) {
            return Err(Error::Request(format!(
                "synth: --oversample names municipality {code} twice"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::{BTreeMap, HashMap, HashSet};
    use std::path::Path;

    use chrono::Datelike;
    use polars::prelude::{CsvReadOptions, DataType, SerReader};

    use super::testing::{check_codes, days, ints, options, read_parquet, strs, E, X};
    use super::*;
    use crate::dates::{self, Day};
    use crate::extract::EXTRACT_TOML;
    use crate::schema;

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
    fn oversample_is_checked_and_named_in_extract_toml() {
        let reference = Reference::load(None).unwrap();
        for bad in [
            vec![(260, 0.0)],
            vec![(260, f64::NAN)],
            vec![(260, 2.0), (260, 3.0)],
        ] {
            let dir = tempfile::tempdir().unwrap();
            let mut opts = options(dir.path(), 10, 1, SynthFormat::Csv);
            opts.oversample = bad.clone();
            let err = write(&opts, &reference).unwrap_err();
            assert!(matches!(err, Error::Request(_)), "{bad:?}: {err}");
            assert!(files(dir.path()).is_empty(), "{bad:?}: nothing written");
        }
        let dir = tempfile::tempdir().unwrap();
        let mut opts = options(dir.path(), 10, 1, SynthFormat::Csv);
        opts.oversample = vec![(260, 3.0)];
        write(&opts, &reference).unwrap();
        let toml = std::fs::read_to_string(dir.path().join(EXTRACT_TOML)).unwrap();
        assert!(
            toml.contains("10 persons, seed 1, municipality 260 oversampled x3\""),
            "{toml}"
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
}
