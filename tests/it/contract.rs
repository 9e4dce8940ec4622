//! The output contract of MEASURES.md §8, pinned by snapshots: every table's columns in order
//! with their dtypes, and the fields and counts of `manifest.json` (hashes masked). A renamed column, a
//! reordered one or an Int32 that became Int64 fails here; an intended change is accepted by
//! reviewing the new snapshot (`INSTA_UPDATE=always cargo test --release`, then `git diff`).
//! Besides the snapshots, the columns and dtypes are checked against §8 transcribed by hand
//! (`SECTION_8`), and every table's footer against the manifest's version and hashes.

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
    forloeb::run(&request, &mut ()).unwrap();
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

/// MEASURES.md §8 transcribed by hand: every table's columns in order, `s_<h>` expanded for the
/// default horizons. A snapshot accepted without reading it cannot drift from the spec past this.
const SECTION_8: [(&str, &[&str]); 9] = [
    (
        "duration_cohorts",
        &[
            "level",
            "unit",
            "unit_name",
            "entry_year",
            "group",
            "spells",
            "persons",
            "events",
            "censored",
            "median_days",
            "s_91",
            "s_91_lo",
            "s_91_hi",
            "s_183",
            "s_183_lo",
            "s_183_hi",
            "s_365",
            "s_365_lo",
            "s_365_hi",
            "s_730",
            "s_730_lo",
            "s_730_hi",
            "s_1096",
            "s_1096_lo",
            "s_1096_hi",
            "suppressed",
        ],
    ),
    (
        "survival_curves",
        &[
            "level",
            "unit",
            "unit_name",
            "entry_year",
            "group",
            "t_days",
            "at_risk",
            "events_cum",
            "survival",
            "ci_lo",
            "ci_hi",
        ],
    ),
    (
        "cumulative_incidence",
        &[
            "level",
            "unit",
            "unit_name",
            "entry_year",
            "group",
            "exit_class",
            "t_days",
            "cif",
            "suppressed",
        ],
    ),
    (
        "stock_duration",
        &[
            "level",
            "unit",
            "unit_name",
            "group",
            "duration_band",
            "persons",
            "suppressed",
        ],
    ),
    (
        "fte",
        &[
            "level",
            "unit",
            "unit_name",
            "group",
            "person_days",
            "fte",
            "persons",
            "suppressed",
        ],
    ),
    (
        "indicators",
        &[
            "level",
            "unit",
            "unit_name",
            "group",
            "measure",
            "numerator",
            "denominator",
            "value",
            "ci_lo",
            "ci_hi",
            "persons",
            "persons_num",
            "suppressed",
        ],
    ),
    (
        "exit_destinations",
        &[
            "level",
            "unit",
            "unit_name",
            "group",
            "lag_days",
            "destination",
            "spells",
            "share",
            "suppressed",
        ],
    ),
    (
        "longterm_profile",
        &[
            "variable",
            "category",
            "n_long",
            "share_long",
            "n_short",
            "share_short",
            "suppressed",
        ],
    ),
    (
        "benchmark",
        &[
            "unit",
            "unit_name",
            "measure",
            "value",
            "peer_group",
            "peer_value",
            "national_value",
            "rank",
            "n_ranked",
            "expected",
            "oe_ratio",
            "oe_lo",
            "oe_hi",
            "funnel_z",
            "funnel_flag",
            "suppressed",
        ],
    ),
];

/// The dtype §8 gives a column: text keys, Int32 years/days, Int64 counts, Float64 values,
/// Boolean `suppressed`.
fn spec_dtype(column: &str) -> DataType {
    match column {
        "level" | "unit" | "unit_name" | "group" | "exit_class" | "duration_band" | "measure"
        | "destination" | "variable" | "category" | "peer_group" | "funnel_flag" => {
            DataType::String
        }
        "entry_year" | "t_days" | "lag_days" | "median_days" => DataType::Int32,
        "spells" | "persons" | "events" | "censored" | "at_risk" | "events_cum" | "person_days"
        | "numerator" | "denominator" | "persons_num" | "n_long" | "n_short" | "rank"
        | "n_ranked" => DataType::Int64,
        "suppressed" => DataType::Boolean,
        _ => DataType::Float64,
    }
}

/// (column, dtype) of `tables/<name>.parquet`, or None when the report has no such file.
fn written_schema(tables: &Path, name: &str) -> Option<Vec<(String, DataType)>> {
    let file = std::fs::File::open(tables.join(format!("{name}.parquet"))).ok()?;
    let df = ParquetReader::new(file).finish().unwrap();
    Some(
        df.schema()
            .iter()
            .map(|(c, t)| (c.to_string(), t.clone()))
            .collect(),
    )
}

#[test]
fn written_tables_have_the_columns_and_dtypes_of_section_8() {
    let tmp = tiny_report();
    let tables = tmp.path().join("report/tables");
    let mut problems = Vec::new();
    for (name, columns) in SECTION_8 {
        let Some(got) = written_schema(&tables, name) else {
            continue; // every_table_of_section_8_is_written
        };
        let want: Vec<(String, DataType)> = columns
            .iter()
            .map(|c| ((*c).to_owned(), spec_dtype(c)))
            .collect();
        if got != want {
            problems.push(format!("{name}:\n  written {got:?}\n  §8      {want:?}"));
        }
    }
    // No table beyond §8.
    for entry in std::fs::read_dir(&tables).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        let name = file.trim_end_matches(".parquet");
        if !SECTION_8.iter().any(|(n, _)| *n == name) {
            problems.push(format!("{file}: not a table of §8"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_table_of_section_8_is_written() {
    let tmp = tiny_report();
    let tables = tmp.path().join("report/tables");
    let missing: Vec<&str> = SECTION_8
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| written_schema(&tables, name).is_none())
        .collect();
    assert!(missing.is_empty(), "tables of §8 not written: {missing:?}");
}

/// Key-value metadata of a Parquet file's footer.
fn footer(path: &Path) -> Vec<(String, Option<String>)> {
    let file = std::fs::File::open(path).unwrap();
    let mut reader = ParquetReader::new(file);
    let metadata = reader.get_metadata().unwrap();
    metadata
        .key_value_metadata()
        .as_ref()
        .map(|kv| {
            kv.iter()
                .map(|k| (k.key.clone(), k.value.clone()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_table_carries_version_hashes_and_definition_in_its_footer() {
    let tmp = tiny_report();
    let report = tmp.path().join("report");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("manifest.json")).unwrap())
            .unwrap();
    let mut text = String::new();
    for (name, _) in SECTION_8 {
        let path = report.join(format!("tables/{name}.parquet"));
        if !path.exists() {
            continue; // every_table_of_section_8_is_written
        }
        let kv = footer(&path);
        let get = |key: &str| {
            kv.iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("{name}: no {key} in the footer"))
        };
        assert_eq!(get("forloeb_version"), forloeb::VERSION, "{name}");
        assert_eq!(get("config_sha256"), manifest["config_sha256"], "{name}");
        assert_eq!(get("extract_sha256"), manifest["extract_sha256"], "{name}");
        let definition = get("definition");
        assert!(!definition.trim().is_empty(), "{name}: empty definition");
        if name == "indicators" || name == "benchmark" {
            // A JSON object measure → definition, one per measure written.
            let object: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&definition).expect("definition is JSON");
            let file = std::fs::File::open(&path).unwrap();
            let df = ParquetReader::new(file).finish().unwrap();
            let measures = df.column("measure").unwrap().str().unwrap();
            for m in measures.iter().flatten() {
                assert!(object.contains_key(m), "{name}: no definition of {m}");
            }
        }
        // Polars' own `ARROW:schema` is not part of the contract.
        let keys: Vec<&str> = kv
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !k.starts_with("ARROW:"))
            .collect();
        writeln!(text, "{name}: {}", keys.join(", ")).unwrap();
    }
    insta::assert_snapshot!("footer_keys", text);
}

/// The page's chart section is, chart by chart in file-name order, the name and the very
/// text of the SVG file written beside it.
#[test]
fn the_page_embeds_exactly_the_svg_files_written() {
    let report = crate::sample::sample_report();
    let mut svgs: Vec<_> = std::fs::read_dir(report.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .collect();
    svgs.sort();
    assert!(svgs.len() > 1, "data-sample draws several charts");
    let mut expected = String::new();
    for svg in &svgs {
        let name = svg.file_stem().unwrap().to_str().unwrap();
        let text = std::fs::read_to_string(svg).unwrap();
        assert!(
            text.starts_with("<svg"),
            "{name} starts with its <svg> element"
        );
        expected += &format!("<h3>{name}</h3><div>{text}</div>");
    }
    let page = std::fs::read_to_string(report.join("index.html")).unwrap();
    let start = page.find("<h2>Charts</h2>").unwrap() + "<h2>Charts</h2>".len();
    let end = page.find("<h2>Tables</h2>").unwrap();
    assert_eq!(page[start..end], expected);
}
