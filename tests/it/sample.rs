//! The committed sample, `data-sample/`. Its report is written once per test run and shared by
//! the tests that read it; the tests that take the report apart many times (the disclosure
//! attacker) use [`small_sample`] instead.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use forloeb::RunRequest;

/// `data-sample/`.
pub(crate) fn data_sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data-sample")
}

/// The default report of `data-sample/` (the 2024 report, both disclosure rules), written once
/// per test run into the target folder and shared; the tests only read it.
pub(crate) fn sample_report() -> &'static Path {
    static REPORT: OnceLock<PathBuf> = OnceLock::new();
    REPORT.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("data-sample-report");
        let request = RunRequest {
            extract: data_sample(),
            out: Some(out),
            ..RunRequest::default()
        };
        match forloeb::run(&request, &mut ()) {
            Ok(outcome) => outcome.out,
            Err(e) => panic!("run on data-sample failed: {e}"),
        }
    })
}

/// `tests/data/sample-3000/`: the 3,000-person extract that was `data-sample/` until it grew to
/// 50,000 persons. The disclosure attacker takes the report apart on it, since on the full
/// sample that takes minutes.
pub(crate) fn small_sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sample-3000")
}
