//! CLI tests: `--help`, a clean validation of `tests/data/tiny`, exit code 2 for bad flags, and
//! every bad-input fixture under `tests/data/invalid/` (each a copy of `tiny` with one defect and
//! an `expect.txt` of fragments the report must contain). New fixture folders are picked up
//! without touching this file.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;

/// Generous: a debug build validating a tiny extract takes well under a second, but a hang on a
/// malformed file must fail the test rather than stall the suite.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Exit code for input the user can fix (invalid extract, configuration or flags).
const EXIT_BAD_INPUT: i32 = 2;

/// Text a Rust panic prints; never acceptable, whatever the input.
const PANIC_TEXT: &str = "panicked";

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
}

pub(crate) fn tiny() -> PathBuf {
    data_dir().join("tiny")
}

/// Exit code (None when killed, e.g. by the timeout) and stdout followed by stderr.
pub(crate) struct Outcome {
    pub(crate) code: Option<i32>,
    pub(crate) text: String,
}

impl Outcome {
    fn describe(&self) -> String {
        let code = self
            .code
            .map_or("none (killed or timed out)".to_owned(), |c| c.to_string());
        format!(
            "exit code: {code}\n--- output ---\n{}\n--------------",
            self.text.trim_end()
        )
    }
}

/// Runs `forloeb` with `args` in the working directory `cwd`.
pub(crate) fn forloeb<I, S>(cwd: &Path, args: I) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::cargo_bin("forloeb")
        .expect("the forloeb binary is built for integration tests")
        .args(args)
        .current_dir(cwd)
        .timeout(TIMEOUT)
        .output()
        .expect("forloeb could be started");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Outcome {
        code: output.status.code(),
        text,
    }
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory can be created")
}

/// Names of the entries directly inside `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("the directory can be read")
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The non-empty lines of `expect.txt`: fragments that must all appear in the output.
fn expected_fragments(case: &Path) -> Vec<String> {
    let path = case.join("expect.txt");
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Problems with one command's outcome: wrong exit code, panic text, missing fragments.
fn check_bad_input(outcome: &Outcome, fragments: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    if outcome.code != Some(EXIT_BAD_INPUT) {
        problems.push(format!("expected exit code {EXIT_BAD_INPUT}"));
    }
    if outcome.text.contains(PANIC_TEXT) {
        problems.push(format!("output contains '{PANIC_TEXT}'"));
    }
    for fragment in fragments {
        if !outcome.text.contains(fragment.as_str()) {
            problems.push(format!("output lacks {fragment:?}"));
        }
    }
    problems
}

#[test]
fn validate_tiny_is_ok() {
    let cwd = temp_dir();
    let outcome = forloeb(
        cwd.path(),
        [
            OsStr::new("validate"),
            OsStr::new("--extract"),
            tiny().as_os_str(),
        ],
    );
    assert_eq!(
        outcome.code,
        Some(0),
        "validate tests/data/tiny failed\n{}",
        outcome.describe()
    );
    assert!(!outcome.text.contains(PANIC_TEXT), "{}", outcome.describe());
    assert!(
        entries(cwd.path()).is_empty(),
        "validate wrote into its working directory: {:?}",
        entries(cwd.path())
    );
}

#[test]
fn every_invalid_extract_is_refused_and_reported() {
    let invalid = data_dir().join("invalid");
    let mut cases: Vec<PathBuf> = fs::read_dir(&invalid)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", invalid.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no fixtures under {}", invalid.display());

    let mut failures = String::new();
    for case in &cases {
        let name = case
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let fragments = expected_fragments(case);
        let mut report = String::new();
        if fragments.is_empty() {
            report.push_str("  expect.txt has no fragments\n");
        }

        // Both commands run inside an empty temporary directory, so any stray file they write
        // (a default reports/ folder, a partial --out) is caught.
        let tmp = temp_dir();
        let out = tmp.path().join("out");

        let validate = forloeb(
            tmp.path(),
            [
                OsStr::new("validate"),
                OsStr::new("--extract"),
                case.as_os_str(),
            ],
        );
        let problems = check_bad_input(&validate, &fragments);
        if !problems.is_empty() {
            let _ = writeln!(
                report,
                "  validate: {}\n{}",
                problems.join("; "),
                validate.describe()
            );
        }

        let run = forloeb(
            tmp.path(),
            [
                OsStr::new("run"),
                OsStr::new("--extract"),
                case.as_os_str(),
                OsStr::new("--out"),
                out.as_os_str(),
            ],
        );
        // `run` stops with the same report as `validate` before writing anything.
        let mut problems = check_bad_input(&run, &fragments);
        if out.exists() {
            problems.push(format!("{} was created", out.display()));
        }
        let stray = entries(tmp.path());
        if !stray.is_empty() {
            problems.push(format!("the working directory now holds {stray:?}"));
        }
        if !problems.is_empty() {
            let _ = writeln!(report, "  run: {}\n{}", problems.join("; "), run.describe());
        }

        if !report.is_empty() {
            let _ = writeln!(failures, "== {name} ({})\n{report}", case.display());
        }
    }
    assert!(
        failures.is_empty(),
        "invalid extracts not handled as expected:\n\n{failures}"
    );
}

#[test]
fn help_mentions_every_flag() {
    let cwd = temp_dir();
    let help = |args: &[&str]| {
        let outcome = forloeb(cwd.path(), args);
        assert_eq!(
            outcome.code,
            Some(0),
            "forloeb {}\n{}",
            args.join(" "),
            outcome.describe()
        );
        outcome.text
    };
    let must_mention = |args: &[&str], words: &[&str]| {
        let text = help(args);
        let missing: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| !text.contains(w))
            .collect();
        assert!(
            missing.is_empty(),
            "forloeb {} does not mention {missing:?}\n{text}",
            args.join(" ")
        );
    };

    must_mention(&["--help"], &["run", "validate", "synth"]);
    must_mention(
        &["run", "--help"],
        &[
            "--extract",
            "--year",
            "--period",
            "--config",
            "--out",
            "--peers",
        ],
    );
    must_mention(&["validate", "--help"], &["--extract"]);
    must_mention(
        &["synth", "--help"],
        &[
            "--persons",
            "--seed",
            "--out",
            "--format",
            "--start",
            "--end",
            "--oversample",
        ],
    );
}

#[test]
fn exit_code_2_on_bad_flags() {
    // `{tiny}` and `{out}` stand for the valid extract and a fresh output folder, so that the
    // flag under test is the only thing wrong.
    let bad: &[&[&str]] = &[
        &[
            "run",
            "--extract",
            "{tiny}",
            "--out",
            "{out}",
            "--year",
            "notayear",
        ],
        &[
            "run",
            "--extract",
            "{tiny}",
            "--out",
            "{out}",
            "--period",
            "2024-06-30..2024-01-01",
        ],
        &[
            "run",
            "--extract",
            "{tiny}",
            "--out",
            "{out}",
            "--period",
            "2024-01-01",
        ],
        &[
            "run",
            "--extract",
            "{tiny}",
            "--out",
            "{out}",
            "--no-such-flag",
        ],
        &["synth", "--out", "{out}", "--format", "xlsx"],
        &["synth", "--out", "{out}", "--start", "2020-02-30"],
        &["synth", "--out", "{out}", "--oversample", "260"],
        &["synth", "--out", "{out}", "--oversample", "260=0"],
        &["synth", "--out", "{out}", "--oversample", "999=2"],
        &["frobnicate"],
    ];
    let tiny = tiny();
    let mut failures = String::new();
    for args in bad {
        let cwd = temp_dir();
        let out = cwd.path().join("out");
        let args: Vec<&OsStr> = args
            .iter()
            .map(|a| match *a {
                "{tiny}" => tiny.as_os_str(),
                "{out}" => out.as_os_str(),
                a => OsStr::new(a),
            })
            .collect();
        let outcome = forloeb(cwd.path(), &args);
        let mut problems = check_bad_input(&outcome, &[]);
        let stray = entries(cwd.path());
        if !stray.is_empty() {
            problems.push(format!("the working directory now holds {stray:?}"));
        }
        if !problems.is_empty() {
            let shown: Vec<_> = args.iter().map(|a| a.to_string_lossy()).collect();
            let _ = writeln!(
                failures,
                "== forloeb {}: {}\n{}\n",
                shown.join(" "),
                problems.join("; "),
                outcome.describe()
            );
        }
    }
    assert!(
        failures.is_empty(),
        "bad flags not refused with exit code 2:\n\n{failures}"
    );
}

#[test]
fn spells_are_refused_under_reports_and_written_elsewhere() {
    let work = temp_dir();
    let tiny = tiny();
    let tiny = tiny.to_str().unwrap();
    let refused = forloeb(
        work.path(),
        [
            "spells",
            "--extract",
            tiny,
            "--out",
            "reports/spells.parquet",
        ],
    );
    assert_eq!(refused.code, Some(2), "{}", refused.describe());
    assert!(entries(work.path()).is_empty(), "nothing may be written");
    let written = forloeb(
        work.path(),
        [
            "spells",
            "--extract",
            tiny,
            "--year",
            "2024",
            "--out",
            "spells.parquet",
        ],
    );
    assert_eq!(written.code, Some(0), "{}", written.describe());
    assert_eq!(entries(work.path()), vec!["spells.parquet".to_owned()]);
}

#[test]
fn bench_times_every_stage_of_a_small_synthetic_run() {
    let work = temp_dir();
    let outcome = forloeb(work.path(), ["bench", "--persons", "300", "--seed", "3"]);
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    for stage in [
        "synth",
        "load and validate",
        "indicators",
        "write tables, charts, manifest",
        "peak memory",
    ] {
        assert!(
            outcome.text.contains(stage),
            "{stage} missing:\n{}",
            outcome.describe()
        );
    }
}

/// A run whose output is not a terminal prints no progress and no summary line: its output is
/// what scripts and CI logs keep.
#[test]
fn a_run_into_a_pipe_shows_no_progress() {
    let work = temp_dir();
    let out = work.path().join("report");
    let outcome = forloeb(
        work.path(),
        [
            OsStr::new("run"),
            OsStr::new("--extract"),
            tiny().as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
        ],
    );
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    for live in ["load and validate", "peak memory", "forloeb run:"] {
        assert!(
            !outcome.text.contains(live),
            "{live} printed:\n{}",
            outcome.describe()
        );
    }
}

/// On a terminal every stage is named as it runs and kept with its time when done, and the run
/// ends with one line of time and peak memory. The terminal is the pseudo-terminal of
/// util-linux `script` (essential on Debian and Ubuntu).
#[test]
fn a_run_on_a_terminal_shows_each_stage_and_a_summary() {
    let work = temp_dir();
    let out = work.path().join("report");
    let bin = assert_cmd::cargo::cargo_bin("forloeb");
    let command = format!(
        "'{}' run --extract '{}' --out '{}'",
        bin.display(),
        tiny().display(),
        out.display()
    );
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm")
        .current_dir(work.path())
        .output()
        .expect("util-linux `script` runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{text}");
    for stage in [
        "load and validate",
        "indicators",
        "disclosure",
        "write tables, charts, manifest",
    ] {
        assert!(
            text.contains(&format!("✓ {stage}")),
            "{stage} not shown:\n{text}"
        );
    }
    let last = text.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    assert!(
        last.contains("forloeb run: ")
            && last.contains(" s, peak memory ")
            && last.contains(" GiB"),
        "no summary line at the end:\n{text}"
    );
}
