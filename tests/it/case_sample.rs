//! `run --case-sample` (MEASURES.md §5): a hand-checked draw on a small extract, determinism
//! for a seed, another sample for another seed, and CSV and Parquet with the same rows.

use std::path::{Path, PathBuf};

use forloeb::case_sample::Size;
use forloeb::{CaseSampleOutcome, CaseSampleRequest, RunRequest};
use polars::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ex::{d, Ex};

fn sample_extract() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data-sample")
}

/// Runs the 2024 report of `extract` into `work/report` with a case sample at `work/file`.
fn run(
    extract: &Path,
    work: &Path,
    file: &str,
    size: Size,
    config: Option<PathBuf>,
) -> CaseSampleOutcome {
    let request = RunRequest {
        extract: extract.to_path_buf(),
        year: Some(2024),
        out: Some(work.join("report")),
        config,
        case_sample: Some(CaseSampleRequest {
            out: work.join(file),
            size,
        }),
        ..RunRequest::default()
    };
    match forloeb::run(&request, &mut ()) {
        Ok(outcome) => outcome.case_sample.expect("a case sample was asked for"),
        Err(e) => panic!("run failed: {e}"),
    }
}

fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

fn read_csv(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .map_parse_options(|o| o.with_try_parse_dates(true))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap()
}

fn texts(df: &DataFrame, c: &str) -> Vec<String> {
    df.column(c)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap().to_owned())
        .collect()
}

/// An integer column as i64 (the CSV reader infers Int64, the Parquet file holds Int32).
fn ints(df: &DataFrame, c: &str) -> Vec<i64> {
    df.column(c)
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap()
        .i64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

#[test]
fn a_hand_checked_draw_takes_the_certain_municipality_and_ceil_n_over_k_each() {
    // R = 2024-12-31, long_term_days = 730: long-term is spell_start ≤ 2023-01-01.
    let mut ex = Ex::new();
    for id in ["a1", "a2", "a3", "a4", "a5", "a6"] {
        // |[2021-03-01, 2024-12-31]| = 1402 days on R.
        ex.kh(id, d("2021-03-01"), None, 101);
    }
    ex.assess("a3", d("2021-03-15"), "aktivitetsparat");
    // 1096 and 1310 days on R.
    ex.kh("b1", d("2022-01-01"), None, 147);
    ex.kh("c1", d("2021-06-01"), None, 151);
    // 731 days on R: long-term; 730 days: not.
    ex.kh("e1", d("2023-01-01"), None, 151);
    ex.kh("s1", d("2023-01-02"), None, 101);
    // Left before R: not in the stock.
    ex.kh("g1", d("2020-01-01"), Some(d("2024-06-30")), 147);
    let work = tempfile::tempdir().unwrap();
    let extract = work.path().join("extract");
    std::fs::create_dir(&extract).unwrap();
    ex.write_to(&extract, "2020-01-01", "2024-12-31");

    // Long-term counts in code order: 101 → 6, 147 → 1, 151 → 2; total 9. K = 2, N = 4, so
    // ceil(4/2) = 2 persons per municipality.
    // Certainty: 6 · 2 = 12 ≥ 9, so 101 is certain; then K = 1, total 3: 1 · 1 < 3 and
    // 2 · 1 < 3, nothing more. Systematic on 147 [0, 1) and 151 [1, 3) with I = 3, u = 3 · U
    // (U the stream's first f64): 147 when u < 1, else 151.
    let size = Size {
        municipalities: 2,
        persons: 4,
    };
    let outcome = run(&extract, work.path(), "case.csv", size, None);
    let df = read_csv(&outcome.out);

    let mut stream = ChaCha8Rng::seed_from_u64(1); // seed 1, the default
    let u = 3.0 * stream.gen::<f64>();
    // 101 (6 persons > 2): a partial Fisher–Yates shuffle of a1..a6 on the same stream.
    let mut order: Vec<usize> = (0..6).collect();
    for i in 0..2 {
        let j = stream.gen_range(i as u64..6) as usize;
        order.swap(i, j);
    }
    let mut from_101: Vec<String> = order[..2].iter().map(|i| format!("a{}", i + 1)).collect();
    from_101.sort();
    // 147 has 1 person and 151 has 2, both ≤ 2: all of them, nothing drawn.
    let (other, others) = if u < 1.0 {
        (147, vec!["b1".to_owned()])
    } else {
        (151, vec!["c1".to_owned(), "e1".to_owned()])
    };
    let mut expected_ids = from_101.clone();
    expected_ids.extend(others.iter().cloned());
    assert_eq!(texts(&df, "person_id"), expected_ids, "u = {u}");
    let mut expected_munis = vec![101; 2];
    expected_munis.extend(vec![other; others.len()]);
    assert_eq!(ints(&df, "municipality"), expected_munis);
    assert_eq!(
        (outcome.persons, outcome.municipalities),
        (expected_ids.len(), 2)
    );
    // duration_days = days_on = |[spell_start, R]|; group = group(R).
    let days = ints(&df, "duration_days");
    let expected_days: Vec<i64> = expected_ids
        .iter()
        .map(|id| match id.as_str() {
            "b1" => 1096,
            "c1" => 1310,
            "e1" => 731,
            _ => 1402,
        })
        .collect();
    assert_eq!(days, expected_days);
    let groups = texts(&df, "group");
    for (id, group) in expected_ids.iter().zip(&groups) {
        let want = if id == "a3" {
            "aktivitetsparat"
        } else {
            "unknown"
        };
        assert_eq!(group, want, "{id}");
    }
    assert_eq!(df.column("spell_start").unwrap().dtype(), &DataType::Date);
}

#[test]
fn the_same_seed_gives_identical_files_and_another_seed_another_sample() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    // Few persons per municipality, so that a draw is needed in most of them.
    let size = Size {
        municipalities: 4,
        persons: 8,
    };
    let extract = sample_extract();
    for file in ["one.csv", "two.csv", "one.parquet", "two.parquet"] {
        run(&extract, w, file, size, None);
    }
    let bytes = |f: &str| std::fs::read(w.join(f)).unwrap();
    assert_eq!(bytes("one.csv"), bytes("two.csv"));
    assert_eq!(bytes("one.parquet"), bytes("two.parquet"));

    let config = w.join("seed2.toml");
    std::fs::write(&config, "seed = 2\n").unwrap();
    run(&extract, w, "seed2.csv", size, Some(config));
    let ids = |f: &str| texts(&read_csv(&w.join(f)), "person_id");
    assert_ne!(ids("one.csv"), ids("seed2.csv"));
}

#[test]
fn csv_and_parquet_hold_the_same_rows_sorted_and_long_term() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let extract = sample_extract();
    let size = Size::default();
    let parquet = run(&extract, w, "case.parquet", size, None);
    let csv = run(&extract, w, "case.csv", size, None);
    let from_parquet = read_parquet(&parquet.out);
    let from_csv = read_csv(&csv.out);
    let schema: Vec<(String, DataType)> = from_parquet
        .schema()
        .iter()
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect();
    assert_eq!(
        schema,
        [
            ("person_id", DataType::String),
            ("municipality", DataType::Int32),
            ("spell_start", DataType::Date),
            ("duration_days", DataType::Int32),
            ("group", DataType::String),
        ]
        .map(|(n, t)| (n.to_owned(), t))
    );
    // The CSV reader infers Int64 for the integer columns.
    let as_parquet = from_csv
        .lazy()
        .with_columns([
            col("municipality").cast(DataType::Int32),
            col("duration_days").cast(DataType::Int32),
        ])
        .collect()
        .unwrap();
    assert!(from_parquet.equals_missing(&as_parquet));
    assert!(from_parquet.height() > 0);
    assert_eq!(
        (parquet.persons, parquet.municipalities),
        (csv.persons, csv.municipalities)
    );

    // Sorted by (municipality, person_id); all long-term; at most K municipalities and
    // ceil(N/K) persons in each.
    let munis = ints(&from_parquet, "municipality");
    let ids = texts(&from_parquet, "person_id");
    let keys: Vec<(i64, &String)> = munis.iter().copied().zip(&ids).collect();
    assert!(keys.windows(2).all(|p| p[0] < p[1]), "{keys:?}");
    assert!(ints(&from_parquet, "duration_days")
        .iter()
        .all(|&days| days > 730));
    let mut per: std::collections::BTreeMap<i64, usize> = Default::default();
    for m in &munis {
        *per.entry(*m).or_default() += 1;
    }
    assert_eq!(per.len(), parquet.municipalities);
    assert!(per.len() <= 25);
    assert!(per.values().all(|&n| n <= 15), "{per:?}");
}
