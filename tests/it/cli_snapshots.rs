//! The CLI's words pinned by insta snapshots: `--help` of the program and of every subcommand,
//! and a representative set of refusals with their exit codes. Temporary paths are masked as
//! `[TMP]` and the repository as `[REPO]`, so the snapshots hold on any machine. An intended
//! change is accepted by reviewing the new snapshot (`INSTA_UPDATE=always cargo test --release`,
//! then `git diff tests/it/snapshots/`).

use std::ffi::OsString;
use std::path::Path;

use crate::cli::{forloeb, tiny};
use crate::ex::{d, Ex};

/// Runs `forloeb args` in `cwd` and renders the exit code and output with `cwd` (as given and
/// canonical) shown as `[TMP]` and the repository as `[REPO]`.
fn shown(cwd: &Path, args: &[OsString]) -> String {
    let outcome = forloeb(cwd, args);
    let code = outcome
        .code
        .map_or("none (killed)".to_owned(), |c| c.to_string());
    let mut text = format!("exit code: {code}\n---\n{}", outcome.text);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut masks = Vec::new();
    for (path, label) in [(cwd, "[TMP]"), (repo, "[REPO]")] {
        masks.push((path.to_string_lossy().into_owned(), label));
        if let Ok(canonical) = path.canonicalize() {
            masks.push((canonical.to_string_lossy().into_owned(), label));
        }
    }
    // Longest first, so a path inside another masked path is masked whole.
    masks.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    for (path, label) in masks {
        text = text.replace(&path, label);
    }
    text
}

fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory can be created")
}

#[test]
fn help_texts() {
    let cwd = tmp();
    insta::assert_snapshot!("help", shown(cwd.path(), &args(&["--help"])));
    for command in ["validate", "run", "synth", "bench", "spells"] {
        insta::assert_snapshot!(
            format!("help_{command}"),
            shown(cwd.path(), &args(&[command, "--help"]))
        );
    }
}

#[test]
fn a_missing_extract_folder() {
    let cwd = tmp();
    for command in ["validate", "run"] {
        insta::assert_snapshot!(
            format!("missing_extract_{command}"),
            shown(
                cwd.path(),
                &args(&[command, "--extract", "no-such-extract"])
            )
        );
    }
}

#[test]
fn an_invalid_extract_with_a_bad_date_and_a_missing_column() {
    let cwd = tmp();
    let extract = cwd.path().join("extract");
    std::fs::create_dir(&extract).expect("mkdir");
    let mut ex = Ex::new();
    ex.kh("a", d("2024-02-01"), Some(d("2024-03-31")), 101)
        .kh("b", d("2024-01-01"), None, 147);
    ex.write_to(&extract, "2020-01-01", "2024-12-31");
    // The bad date: 2024-02-30 in benefit_periods (row 1, start).
    let periods = extract.join("benefit_periods.csv");
    let text = std::fs::read_to_string(&periods).expect("read");
    std::fs::write(&periods, text.replacen("2024-02-01", "2024-02-30", 1)).expect("write");
    // The missing column: persons without `sex`.
    let persons = extract.join("persons.csv");
    let text = std::fs::read_to_string(&persons).expect("read");
    let without_sex: String = text
        .lines()
        .map(|l| {
            let mut fields: Vec<&str> = l.split(',').collect();
            fields.remove(2);
            fields.join(",") + "\n"
        })
        .collect();
    assert!(without_sex.starts_with("person_id,birth_year,origin,"));
    std::fs::write(&persons, without_sex).expect("write");

    insta::assert_snapshot!(
        "invalid_extract_validate",
        shown(cwd.path(), &args(&["validate", "--extract", "extract"]))
    );
    insta::assert_snapshot!(
        "invalid_extract_run",
        shown(
            cwd.path(),
            &args(&["run", "--extract", "extract", "--out", "report"])
        )
    );
    assert!(!cwd.path().join("report").exists(), "run wrote a report");
}

#[test]
fn an_unknown_flag() {
    let cwd = tmp();
    insta::assert_snapshot!(
        "unknown_flag",
        shown(cwd.path(), &args(&["run", "--frobnicate"]))
    );
}

#[test]
fn out_refused_when_it_is_a_non_empty_user_folder() {
    let cwd = tmp();
    let mine = cwd.path().join("mine");
    std::fs::create_dir(&mine).expect("mkdir");
    std::fs::write(mine.join("notes.txt"), "mine\n").expect("write");
    let mut list = args(&["run", "--extract"]);
    list.push(tiny().into_os_string());
    list.extend(args(&["--year", "2024", "--out"]));
    list.push(mine.clone().into_os_string());
    insta::assert_snapshot!("out_non_empty_folder", shown(cwd.path(), &list));
    assert_eq!(
        std::fs::read_to_string(mine.join("notes.txt")).expect("the user's file is kept"),
        "mine\n"
    );
}

#[test]
fn a_year_outside_the_extract() {
    let cwd = tmp();
    let mut list = args(&["run", "--extract"]);
    list.push(tiny().into_os_string());
    list.extend(args(&["--year", "2030", "--out", "report"]));
    insta::assert_snapshot!("year_outside_extract", shown(cwd.path(), &list));
    assert!(!cwd.path().join("report").exists(), "run wrote a report");
}

#[test]
fn a_case_sample_under_reports() {
    let cwd = tmp();
    let mut list = args(&["run", "--extract"]);
    list.push(tiny().into_os_string());
    list.extend(args(&[
        "--year",
        "2024",
        "--case-sample",
        "reports/case.csv",
    ]));
    insta::assert_snapshot!("case_sample_under_reports", shown(cwd.path(), &list));
    assert!(
        !cwd.path().join("reports").exists(),
        "run wrote into reports/"
    );
}
