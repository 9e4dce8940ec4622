//! The output contract of MEASURES.md §8, pinned by snapshots: every table's columns in order
//! with their dtypes, and the fields and counts of `manifest.json` (hashes masked). A renamed column, a
//! reordered one or an Int32 that became Int64 fails here; an intended change is accepted by
//! reviewing the new snapshot (`INSTA_UPDATE=always cargo test --release`, then `git diff`).

use std::fmt::Write as _;
use std::path::Path;

use polars::prelude::*;

/// The report of the tiny extract for 2024, written into a temporary folder.
fn tiny_report() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let request = forloeb::RunRequest {
        extract: Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny"),
        year: Some(2024),
        out: Some(tmp.path().join("report")),
        ..forloeb::RunRequest::default()
    };
    forloeb::run(&request, &mut forloeb::Stopwatch::default()).unwrap();
    tmp
}

#[test]
fn every_table_has_the_columns_and_dtypes_of_the_spec() {
    let tmp = tiny_report();
    let tables = tmp.path().join("report/tables");
    let mut names: Vec<_> = std::fs::read_dir(&tables)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut text = String::new();
    for name in names {
        let file = std::fs::File::open(tables.join(&name)).unwrap();
        let df = ParquetReader::new(file).finish().unwrap();
        writeln!(text, "{name}").unwrap();
        for (column, dtype) in df.schema().iter() {
            writeln!(text, "  {column}: {dtype:?}").unwrap();
        }
    }
    insta::assert_snapshot!("schema", text);
}

#[test]
fn the_manifest_has_its_fields() {
    let tmp = tiny_report();
    let text = std::fs::read_to_string(tmp.path().join("report/manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    insta::assert_json_snapshot!("manifest", manifest, {
        ".**.sha256" => "[sha256]",
        ".config_sha256" => "[sha256]",
        ".extract_sha256" => "[sha256]",
        ".version" => "[version]",
    });
}
