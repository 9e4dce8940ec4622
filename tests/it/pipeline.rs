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
    if let Err(e) = forloeb::run(&request, &mut forloeb::Stopwatch::default()) {
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
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
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
