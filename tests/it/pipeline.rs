//! Pipeline runs on small extracts, and the invariants every report must keep.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use forloeb::RunRequest;
use polars::prelude::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn run_into(extract: &Path, out: &Path) {
    let request = RunRequest {
        extract: extract.to_path_buf(),
        year: Some(2024),
        out: Some(out.to_path_buf()),
        ..RunRequest::default()
    };
    if let Err(e) = forloeb::run(&request, &mut ()) {
        panic!("run failed: {e}");
    }
}

/// Every file under `dir` with its bytes, by relative path.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn read(path: &Path) -> DataFrame {
    let file = std::fs::File::open(path).unwrap();
    ParquetReader::new(file).finish().unwrap()
}

#[test]
fn run_on_tiny_writes_tables_and_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("2024");
    run_into(&fixture("tiny"), &out);
    for f in [
        "tables/stock_duration.parquet",
        "tables/fte.parquet",
        "charts/survival_curves.svg",
        "index.html",
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    // Self-contained: the only URL is the SVG namespace.
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<svg"));
    assert!(!html
        .replace("http://www.w3.org/2000/svg", "")
        .contains("http"));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["configuration"]["period_start"], "2024-01-01");
    assert_eq!(manifest["configuration"]["min_cell"], 5);
    assert!(manifest["outputs"].as_array().unwrap().len() >= 2);
    // Only the temporary folder's final name is left behind.
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(left.len(), 1);
}

#[test]
fn validate_builds_the_data_quality_summary_and_a_run_skips_it() {
    let tiny = fixture("tiny");
    let report = forloeb::validate(&tiny, None).unwrap();
    assert!(report.is_valid());
    assert!(
        report
            .summary
            .iter()
            .any(|l| l.starts_with("benefit_periods")),
        "{:?}",
        report.summary
    );
    let (_, report) = forloeb::extract::load(&tiny).unwrap();
    assert!(report.summary.is_empty(), "{:?}", report.summary);
}

#[test]
fn rerun_is_byte_identical_and_replaces_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_into(&fixture("tiny"), &a);
    run_into(&fixture("tiny"), &b);
    let first = files(&a);
    assert_eq!(first, files(&b));
    // A second run into the same folder swaps the report in place.
    run_into(&fixture("tiny"), &a);
    assert_eq!(first, files(&a));
}

#[test]
fn published_tables_hold_no_person_level_column_and_no_small_count() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    run_into(&fixture("tiny"), &out);
    for name in ["stock_duration", "fte"] {
        let df = read(&out.join(format!("tables/{name}.parquet")));
        assert!(df.column("person_id").is_err(), "{name} has person_id");
        let persons = df.column("persons").unwrap().i64().unwrap();
        assert!(
            persons.iter().flatten().all(|n| n == 0 || n >= 5),
            "{name}: count below 5 published"
        );
    }
}

#[test]
fn sample_is_valid_and_its_report_obeys_the_primary_disclosure_rules() {
    let sample = crate::sample::data_sample();
    assert!(forloeb::validate(&sample, None).unwrap().is_valid());
    let out = crate::sample::sample_report();
    let k = 5;
    let table = |name: &str| read(&out.join(format!("tables/{name}.parquet")));
    // A published count is 0 or at least k.
    let counts_ok = |df: &DataFrame, c: &str| {
        let v = df.column(c).unwrap().cast(&DataType::Int64).unwrap();
        let ok = v.i64().unwrap().iter().flatten().all(|n| n == 0 || n >= k);
        ok
    };
    assert!(counts_ok(&table("stock_duration"), "persons"));
    assert!(counts_ok(&table("exit_destinations"), "spells"));
    let fte = table("fte");
    assert!(at_least(&fte, "persons", k), "fte.persons");
    let ind = table("indicators");
    assert!(at_least(&ind, "persons", k), "ind.persons");
    assert!(counts_ok(&ind, "persons_num"));
    let cohorts = table("duration_cohorts");
    assert!(at_least(&cohorts, "spells", k), "cohorts.spells");
    assert!(counts_ok(&cohorts, "events") && counts_ok(&cohorts, "censored"));
    let curves = table("survival_curves");
    assert!(at_least(&curves, "at_risk", k), "curves.at_risk");
    assert!(counts_ok(&curves, "events_cum"));
    // Every table is published, and none holds a working column.
    for name in [
        "cumulative_incidence",
        "duration_cohorts",
        "exit_destinations",
        "fte",
        "indicators",
        "stock_duration",
        "survival_curves",
    ] {
        let df = table(name);
        assert!(df.height() > 0, "{name} is empty");
        assert!(
            df.get_column_names().iter().all(|c| !c.starts_with("__")),
            "{name}"
        );
    }
}

/// Every published value of integer column `c` is at least `k`.
fn at_least(df: &DataFrame, c: &str, k: i64) -> bool {
    let v = df.column(c).unwrap().cast(&DataType::Int64).unwrap();
    let ok = v.i64().unwrap().iter().flatten().all(|n| n >= k);
    ok
}

/// Writes `df` as Parquet to `path`.
fn write_parquet(mut df: DataFrame, path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

fn read_csv(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap()
}

/// Asserts that the extracts `a` and `b` give equal tables (every table of the 2024 report,
/// before disclosure control).
fn same_tables(a: &Path, b: &Path, how: &str) {
    let tables = |dir: &Path| {
        let request = RunRequest {
            extract: dir.to_path_buf(),
            year: Some(2024),
            ..RunRequest::default()
        };
        forloeb::compute(&request, &mut ()).unwrap().tables.tables
    };
    let (a, b) = (tables(a), tables(b));
    assert_eq!(a.len(), b.len());
    for (a, b) in a.iter().zip(&b) {
        assert!(a.df.equals_missing(&b.df), "{} differs {how}", a.id);
    }
}

#[test]
fn parquet_files_and_hive_folders_give_the_same_tables_as_csv() {
    let tiny = fixture("tiny");
    let tmp = tempfile::tempdir().unwrap();
    let mixed = tmp.path().join("mixed");
    std::fs::create_dir_all(&mixed).unwrap();
    std::fs::copy(tiny.join("extract.toml"), mixed.join("extract.toml")).unwrap();
    // persons as one Parquet file (text columns), meetings stays CSV.
    write_parquet(
        read_csv(&tiny.join("persons.csv")),
        &mixed.join("persons.parquet"),
    );
    std::fs::copy(tiny.join("meetings.csv"), mixed.join("meetings.csv")).unwrap();
    // benefit_periods as a hive-partitioned folder: municipality only in the folder names.
    let bp = read_csv(&tiny.join("benefit_periods.csv"));
    let munis = bp.column("municipality").unwrap().str().unwrap().clone();
    let mut codes: Vec<&str> = munis.iter().flatten().collect();
    codes.sort_unstable();
    codes.dedup();
    for code in codes {
        let part = bp
            .clone()
            .lazy()
            .filter(col("municipality").eq(lit(code)))
            .drop(by_name(["municipality"], true, false))
            .collect()
            .unwrap();
        write_parquet(
            part,
            &mixed.join(format!(
                "benefit_periods/municipality={code}/part-0.parquet"
            )),
        );
    }
    // The rest as typed Parquet (dates as Date, numbers as numbers).
    for (name, dates, floats) in [
        ("assessments", &["date"][..], &[][..]),
        ("interventions", &["start", "end"][..], &[][..]),
        ("paid_hours", &["month"][..], &["hours", "earnings_dkk"][..]),
    ] {
        let mut lf = read_csv(&tiny.join(format!("{name}.csv"))).lazy();
        for d in dates {
            lf = lf.with_column(col(*d).str().to_date(StrptimeOptions::default()));
        }
        for f in floats {
            lf = lf.with_column(col(*f).cast(DataType::Float64));
        }
        write_parquet(
            lf.collect().unwrap(),
            &mixed.join(format!("{name}/part-0.parquet")),
        );
    }
    same_tables(&tiny, &mixed, "between CSV and Parquet input");
}

/// A copy of `tiny` in `dir` with field `i` of every CSV data row replaced by `pad(i, field)`.
fn padded(tiny: &Path, dir: &Path, pad: impl Fn(usize, &str) -> String) {
    std::fs::create_dir_all(dir).unwrap();
    for entry in std::fs::read_dir(tiny).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let text = match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => {
                let mut lines = text.lines();
                let mut out = format!("{}\n", lines.next().unwrap());
                for line in lines {
                    let fields: Vec<String> = line
                        .split(',')
                        .enumerate()
                        .map(|(i, f)| pad(i, f))
                        .collect();
                    out.push_str(&fields.join(","));
                    out.push('\n');
                }
                out
            }
            _ => text,
        };
        std::fs::write(dir.join(name), text).unwrap();
    }
}

#[test]
fn blanks_around_codes_and_ids_are_trimmed() {
    let tiny = fixture("tiny");
    let tmp = tempfile::tempdir().unwrap();
    // Every field of every table with a blank on each side (a tab before the codes), except
    // the empty ones; coded values are read as written first, so these take the second pass.
    padded(&tiny, &tmp.path().join("padded"), |_, f| match f {
        "" => String::new(),
        f if f.starts_with(char::is_alphabetic) => format!("\t{f} "),
        f => format!(" {f} "),
    });
    same_tables(&tiny, &tmp.path().join("padded"), "with blanks");
    // Only the ids, with a blank after them: ids are read as written first too, and only
    // these take the pass that trims them.
    padded(&tiny, &tmp.path().join("ids"), |i, f| match i {
        0 => format!("{f}\u{a0}"),
        _ => f.to_owned(),
    });
    same_tables(&tiny, &tmp.path().join("ids"), "with blanks after the ids");
}

#[test]
fn an_id_of_blanks_only_is_empty() {
    let tiny = fixture("tiny");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("blank");
    padded(&tiny, &dir, |_, f| f.to_owned());
    let path = dir.join("meetings.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let (_, rest) = lines[2].split_once(',').unwrap();
    lines[2] = format!(" \t ,{rest}");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let report = forloeb::validate(&dir, None).unwrap();
    let text = report.to_string();
    assert!(!report.is_valid(), "{text}");
    assert_eq!(report.findings.len(), 1, "{text}");
    let f = &report.findings[0];
    assert_eq!(
        (f.table, f.column.as_deref(), f.problem.as_str()),
        ("meetings", Some("person_id"), "is empty"),
        "{text}"
    );
}

#[test]
fn a_violation_in_the_second_part_file_names_that_file_and_its_row() {
    let tiny = fixture("tiny");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("parts");
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "extract.toml",
        "persons.csv",
        "benefit_periods.csv",
        "assessments.csv",
        "interventions.csv",
        "paid_hours.csv",
    ] {
        std::fs::copy(tiny.join(name), dir.join(name)).unwrap();
    }
    // meetings as two Parquet parts; row 2 of the second part has an unknown status.
    let meetings = read_csv(&tiny.join("meetings.csv"));
    let (first, second) = (
        meetings.slice(0, 4),
        meetings.slice(4, meetings.height() - 4),
    );
    let bad = second
        .lazy()
        .with_row_index("i", None)
        .with_column(
            when(col("i").eq(lit(1)))
                .then(lit("afbud"))
                .otherwise(col("status"))
                .alias("status"),
        )
        .drop(by_name(["i"], true, false))
        .collect()
        .unwrap();
    write_parquet(first, &dir.join("meetings/part-0.parquet"));
    write_parquet(bad, &dir.join("meetings/part-1.parquet"));
    let report = forloeb::validate(&dir, None).unwrap();
    let text = report.to_string();
    assert!(!report.is_valid());
    assert!(
        text.contains("[meetings] meetings/part-1.parquet row 2, column `status`: 'afbud'"),
        "{text}"
    );
}

#[test]
fn a_peers_file_missing_a_municipality_of_the_extract_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let peers = tmp.path().join("peers.csv");
    // tiny uses 101, 147, 260 and 751; 751 has no row.
    std::fs::write(&peers, "code,peer_group\n101,A\n147,A\n260,B\n").unwrap();
    let err = forloeb::validate(&fixture("tiny"), Some(&peers)).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("751"), "{err}");
    std::fs::write(&peers, "code,peer_group\n101,A\n147,A\n260,B\n751,B\n").unwrap();
    assert!(forloeb::validate(&fixture("tiny"), Some(&peers))
        .unwrap()
        .is_valid());
}
