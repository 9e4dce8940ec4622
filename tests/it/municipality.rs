//! `run --municipality CODE`: the municipality's page is written inside the report, listed in
//! the manifest, self-contained, and reads its figures; an unknown code is refused before any
//! work.

use std::fs;

use crate::cli::{forloeb, tiny};
use crate::sample::{sample_report, HALSNAES};

fn page() -> String {
    let path = sample_report().join(format!("municipality-{HALSNAES}.html"));
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn halsnaes_page_is_in_the_report_and_its_manifest() {
    let manifest = fs::read_to_string(sample_report().join("manifest.json")).unwrap();
    assert!(manifest.contains(&format!("\"path\": \"municipality-{HALSNAES}.html\"")));
    let html = page();
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    assert!(html.contains("<h1>Halsnæs (260) — forloeb 2024-01-01..2024-12-31</h1>"));
    assert!(html.contains("Peer group <b>Oplandskommuner</b>"));
}

#[test]
fn halsnaes_page_is_self_contained() {
    let html = page();
    for fetch in ["<script", "<link", " src=", "url(", "<img"] {
        assert!(!html.contains(fetch), "the page loads something: {fetch}");
    }
}

#[test]
fn halsnaes_page_reads_each_figure_and_marks_it_on_each_funnel() {
    let html = page();
    // A published first_meeting_7d row with its O/E ratio and a reading of it.
    let row = html
        .split("<tr>")
        .find(|r| r.contains("<td style=text-align:left>first_meeting_7d</td>"))
        .expect("a first_meeting_7d row");
    assert!(row.contains(" of "), "a rank: {row}");
    assert!(
        [
            "more first conversations",
            "fewer first conversations",
            "about as many first conversations"
        ]
        .iter()
        .any(|r| row.contains(r)),
        "a reading against the expected count: {row}"
    );
    assert!(row.contains("than expected (O/E ") || row.contains("as expected (O/E "));
    // One funnel per headline proportion; Halsnæs is marked by name on each where it publishes
    // a value (the four the sample guarantees, `sample.rs`).
    let funnels: Vec<&str> = html.split("<h3>").skip(1).collect();
    assert_eq!(funnels.len(), 6, "six headline proportions");
    for m in [
        "first_meeting_7d",
        "meetings_4_in_6m",
        "passive_12m",
        "in_work_365",
    ] {
        let funnel = funnels
            .iter()
            .find(|f| f.starts_with(&format!("{m}</h3>")))
            .unwrap_or_else(|| panic!("a funnel of {m}"));
        assert!(
            funnel.contains("<svg") && funnel.contains("Halsnæs"),
            "{m} marks Halsnæs"
        );
    }
}

#[test]
fn an_unknown_municipality_exits_2_before_any_work_and_says_where_the_codes_are() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let outcome = forloeb(
        dir.path(),
        [
            "run".as_ref(),
            "--extract".as_ref(),
            tiny().as_os_str(),
            "--municipality".as_ref(),
            "999".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
    );
    assert_eq!(outcome.code, Some(2), "{}", outcome.text);
    assert!(outcome
        .text
        .contains("--municipality 999: not a municipality code"));
    assert!(
        outcome.text.contains("data/municipalities.csv"),
        "{}",
        outcome.text
    );
    assert!(!out.exists());
}

#[test]
fn a_report_with_pages_is_replaced_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    for _ in 0..2 {
        let outcome = forloeb(
            dir.path(),
            [
                "run".as_ref(),
                "--extract".as_ref(),
                tiny().as_os_str(),
                "--municipality".as_ref(),
                "101".as_ref(),
                "--municipality".as_ref(),
                "101".as_ref(),
                "--out".as_ref(),
                out.as_os_str(),
            ],
        );
        assert_eq!(outcome.code, Some(0), "{}", outcome.text);
    }
    let pages: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("municipality-"))
        .collect();
    assert_eq!(pages, vec!["municipality-101.html"], "one page per code");
}
