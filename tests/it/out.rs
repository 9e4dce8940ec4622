//! `--out` never destroys a user's files: every refusal exits 2 with a message naming the fix
//! and leaves every file that was there unchanged (hashes compared before and after); a run
//! killed at any point leaves the previous report intact, and the next run removes what the
//! killed one left. Also the bad-input exits of configuration and peer files.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::cli::{forloeb, tiny};

const EXIT_BAD_INPUT: i32 = 2;
/// How long a paused run may take to reach its pause point before the test fails.
const PAUSE_TIMEOUT: Duration = Duration::from_secs(120);

fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("forloeb")
}

/// Every entry under `dir` (not following links): files by sha256, links by target, folders.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let meta = fs::symlink_metadata(&path).unwrap();
            let what = if meta.file_type().is_symlink() {
                format!("link to {}", fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                stack.push(path.clone());
                "folder".to_owned()
            } else {
                format!("{:x}", Sha256::digest(fs::read(&path).unwrap()))
            };
            out.insert(rel, what);
        }
    }
    out
}

/// A working folder with a copy of the tiny extract at `extract/`.
fn workspace() -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let extract = work.path().join("extract");
    fs::create_dir(&extract).unwrap();
    for entry in fs::read_dir(tiny()).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, extract.join(path.file_name().unwrap())).unwrap();
    }
    work
}

/// `forloeb <command> --extract extract --year <year> --out <out>`.
fn args(command: &str, year: &str, out: &str) -> Vec<String> {
    [
        command,
        "--extract",
        "extract",
        "--year",
        year,
        "--out",
        out,
    ]
    .map(str::to_owned)
    .to_vec()
}

fn run_args(out: &str) -> Vec<String> {
    args("run", "2024", out)
}

/// Runs `args` in `work` and asserts exit 2, a message holding every fragment, and that not a
/// single entry under `work` changed.
fn assert_refused(work: &Path, args: &[String], fragments: &[&str]) {
    let before = snapshot(work);
    let outcome = forloeb(work, args);
    let shown = format!(
        "forloeb {}\nexit {:?}\n{}",
        args.join(" "),
        outcome.code,
        outcome.text
    );
    assert_eq!(outcome.code, Some(EXIT_BAD_INPUT), "{shown}");
    for fragment in fragments {
        assert!(
            outcome.text.contains(fragment),
            "lacks {fragment:?}: {shown}"
        );
    }
    assert!(!outcome.text.contains("panicked"), "{shown}");
    assert_eq!(before, snapshot(work), "files changed: {shown}");
}

#[test]
fn the_extract_as_out_is_refused() {
    let work = workspace();
    assert_refused(
        work.path(),
        &run_args("extract"),
        &["is the extract folder"],
    );
    // The same spelled differently.
    assert_refused(
        work.path(),
        &run_args("./extract/"),
        &["is the extract folder"],
    );
}

#[test]
fn out_inside_or_around_the_extract_is_refused() {
    let work = workspace();
    assert_refused(
        work.path(),
        &run_args("extract/report"),
        &["lies inside the extract folder"],
    );
    // No folder is made inside the extract on the way to the refusal.
    assert_refused(
        work.path(),
        &run_args("extract/new/report"),
        &["lies inside the extract folder"],
    );
    let whole = work.path().to_string_lossy().into_owned();
    assert_refused(
        work.path(),
        &run_args(&whole),
        &["contains the extract folder"],
    );
    assert_refused(work.path(), &run_args("."), &["is not a name of a folder"]);
}

#[test]
fn a_non_empty_folder_is_refused() {
    let work = workspace();
    let docs = work.path().join("Documents");
    fs::create_dir_all(docs.join("sub")).unwrap();
    fs::write(docs.join("letter.txt"), "dear").unwrap();
    fs::write(docs.join("sub/photo.jpg"), "jpeg").unwrap();
    assert_refused(
        work.path(),
        &run_args("Documents"),
        &[
            "Documents",
            "holds files forloeb did not write",
            "Give a new or empty folder",
        ],
    );
}

#[test]
fn an_existing_file_is_refused() {
    let work = workspace();
    fs::write(work.path().join("summary.txt"), "my notes").unwrap();
    assert_refused(
        work.path(),
        &run_args("summary.txt"),
        &["summary.txt", "is an existing file"],
    );
}

#[test]
fn a_symlink_to_a_file_a_folder_or_a_report_is_refused() {
    let work = workspace();
    let w = work.path();
    fs::write(w.join("notes.txt"), "mine").unwrap();
    fs::create_dir(w.join("folder")).unwrap();
    fs::write(w.join("folder/a.txt"), "a").unwrap();
    assert_eq!(forloeb(w, run_args("report")).code, Some(0));
    for (link, to) in [
        ("to-file", "notes.txt"),
        ("to-folder", "folder"),
        ("to-report", "report"),
        ("dangling", "nowhere"),
    ] {
        std::os::unix::fs::symlink(to, w.join(link)).unwrap();
        assert_refused(w, &run_args(link), &[link, "is a symbolic link"]);
    }
}

#[test]
fn a_report_with_a_users_file_added_is_refused_and_a_clean_one_replaced() {
    let work = workspace();
    let w = work.path();
    assert_eq!(forloeb(w, run_args("report")).code, Some(0));
    let manifest = fs::read_to_string(w.join("report/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"generator\": \"forloeb\""),
        "{manifest}"
    );
    // An empty folder and an earlier report are replaced.
    fs::create_dir(w.join("empty")).unwrap();
    assert_eq!(forloeb(w, run_args("empty")).code, Some(0));
    assert_eq!(snapshot(&w.join("empty")), snapshot(&w.join("report")));
    assert_eq!(forloeb(w, run_args("report")).code, Some(0));
    // Not once a user's file sits beside the tables.
    fs::write(w.join("report/tables/my-notes.txt"), "mine").unwrap();
    assert_refused(
        w,
        &run_args("report"),
        &["holds files forloeb did not write"],
    );
}

/// A folder nobody may write to, even root (which ignores permission bits): read-only bits
/// plus, as root, the immutable attribute. Undone on drop so the temporary folder can go.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn new(dir: &Path) -> Option<ReadOnly> {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
        let guard = ReadOnly(dir.to_path_buf());
        let writable = |d: &Path| {
            fs::create_dir(d.join("probe")).is_ok_and(|()| {
                fs::remove_dir(d.join("probe")).unwrap();
                true
            })
        };
        if writable(dir) {
            let ok = Command::new("chattr").arg("+i").arg(dir).status();
            if !ok.is_ok_and(|s| s.success()) || writable(dir) {
                return None;
            }
        }
        Some(guard)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .stderr(Stdio::null())
            .status();
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o755));
    }
}

#[test]
fn a_read_only_parent_is_refused_naming_the_folder() {
    let work = workspace();
    let locked = work.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::write(locked.join("kept.txt"), "kept").unwrap();
    let Some(_guard) = ReadOnly::new(&locked) else {
        panic!("no way to make a read-only folder here (chmod, chattr +i)");
    };
    assert_refused(
        work.path(),
        &run_args("locked/report"),
        &[
            "output locked:",
            "cannot be written to",
            "choose a folder you can write to",
        ],
    );
}

#[test]
fn a_missing_config_exits_2_naming_the_file_once() {
    let work = workspace();
    let mut args = run_args("report");
    args.extend(["--config".to_owned(), "missing.toml".to_owned()]);
    assert_refused(
        work.path(),
        &args,
        &[
            "configuration missing.toml: cannot be read",
            "leave out --config",
        ],
    );
    let outcome = forloeb(work.path(), &args);
    assert_eq!(
        outcome.text.matches("No such file").count(),
        1,
        "the cause is printed once:\n{}",
        outcome.text
    );
}

#[test]
fn an_unreadable_or_invalid_config_or_peers_file_exits_2() {
    let work = workspace();
    let w = work.path();
    fs::write(w.join("bad.toml"), "min_cell = 2\n").unwrap();
    fs::write(w.join("peers.csv"), "code,peer_group\n101,A\n").unwrap();
    let with = |flag: &str, value: &str| {
        let mut args = run_args("report");
        args.extend([flag.to_owned(), value.to_owned()]);
        args
    };
    assert_refused(
        w,
        &with("--config", "bad.toml"),
        &["configuration bad.toml", "min_cell"],
    );
    assert_refused(
        w,
        &with("--config", "extract"),
        &["configuration extract: cannot be read"],
    );
    assert_refused(
        w,
        &with("--peers", "missing.csv"),
        &["peer groups missing.csv: cannot be read"],
    );
    assert_refused(
        w,
        &with("--peers", "peers.csv"),
        &["peer groups peers.csv", "751"],
    );
    assert_refused(w, &with("--no-such-flag", "x"), &["--no-such-flag"]);
}

#[test]
fn spells_out_follows_the_same_rule() {
    let work = workspace();
    let w = work.path();
    let spells = |out: &str| args("spells", "2024", out);
    fs::write(w.join("mine.parquet"), "not forloeb's").unwrap();
    fs::create_dir(w.join("folder")).unwrap();
    assert_refused(
        w,
        &spells("mine.parquet"),
        &["is an existing file that forloeb did not write"],
    );
    assert_refused(w, &spells("folder"), &["is a folder"]);
    assert_refused(
        w,
        &spells("extract/spells.parquet"),
        &["lies inside the extract folder"],
    );
    assert_refused(
        w,
        &spells("reports/spells.parquet"),
        &["under a reports/ folder"],
    );
    std::os::unix::fs::symlink("mine.parquet", w.join("link.parquet")).unwrap();
    assert_refused(w, &spells("link.parquet"), &["is a symbolic link"]);
    // A file forloeb wrote is replaced by the next export, and nothing else is left.
    let before = snapshot(w);
    assert_eq!(forloeb(w, spells("spells.parquet")).code, Some(0));
    let first = snapshot(w);
    assert_eq!(forloeb(w, spells("spells.parquet")).code, Some(0));
    assert_eq!(first, snapshot(w));
    let mut added: Vec<_> = first.keys().filter(|k| !before.contains_key(*k)).collect();
    added.sort();
    assert_eq!(added, ["spells.parquet"]);
}

#[test]
fn case_sample_follows_the_person_level_rule_and_is_written_only_with_its_report() {
    let work = workspace();
    let w = work.path();
    let with_case = |out: Option<&str>, year: &str, case: &str| {
        let mut list = match out {
            Some(out) => args("run", year, out),
            None => ["run", "--extract", "extract", "--year", year]
                .map(str::to_owned)
                .to_vec(),
        };
        list.extend(["--case-sample".to_owned(), case.to_owned()]);
        list
    };
    // Refused before any work, with the default reports/<label> and with an explicit --out.
    for out in [None, Some("report")] {
        assert_refused(
            w,
            &with_case(out, "2024", "reports/x.parquet"),
            &[
                "reports/x.parquet",
                "under a reports/ folder, and person-level rows are never written there",
            ],
        );
    }
    assert_refused(
        w,
        &with_case(Some("report"), "2024", "report/x.csv"),
        &["lies inside the report folder report"],
    );
    assert_refused(
        w,
        &with_case(Some("report"), "2024", "extract/x.csv"),
        &["lies inside the extract folder"],
    );
    fs::write(w.join("mine.csv"), "a user's table\n").unwrap();
    assert_refused(
        w,
        &with_case(Some("report"), "2024", "mine.csv"),
        &["carries no mark", "Remove it or give a new file name"],
    );
    // A run that fails leaves no case sample (and no report).
    assert_refused(
        w,
        &with_case(Some("report"), "2030", "case.parquet"),
        &["2030"],
    );
    // A successful run writes both; the next one replaces its own Parquet file and leaves
    // nothing else behind.
    let before = snapshot(w);
    let first = forloeb(w, with_case(Some("report"), "2024", "case.parquet"));
    assert_eq!(first.code, Some(0), "{}", first.text);
    assert!(
        first.text.contains("wrote the case sample ("),
        "{}",
        first.text
    );
    let after = snapshot(w);
    assert_eq!(
        forloeb(w, with_case(Some("report"), "2024", "case.parquet")).code,
        Some(0)
    );
    assert_eq!(after, snapshot(w));
    let added: Vec<_> = after
        .keys()
        .filter(|k| !before.contains_key(*k) && !k.starts_with("report/"))
        .collect();
    assert_eq!(added, ["case.parquet", "report"]);
}

/// Starts `forloeb run --pause-at point`, waits until it says it paused, and SIGKILLs it.
fn kill_at(work: &Path, out: &str, point: &str) {
    let mut args = run_args(out);
    args.extend(["--pause-at".to_owned(), point.to_owned()]);
    let mut child = Command::new(binary())
        .args(&args)
        .current_dir(work)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("forloeb: paused at") {
                let _ = tx.send(line);
                return;
            }
        }
    });
    let paused = rx.recv_timeout(PAUSE_TIMEOUT);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(paused.is_ok(), "the run never reached {point}");
}

#[test]
fn a_run_killed_at_any_point_leaves_the_previous_report_intact() {
    let work = workspace();
    let w = work.path();
    // The previous report differs from the next one (another year), so a mix would show.
    let first = forloeb(w, args("run", "2023", "report"));
    assert_eq!(first.code, Some(0), "{}", first.text);
    let previous = snapshot(w);
    for point in ["compute", "tables", "swap"] {
        kill_at(w, "report", point);
        let now = snapshot(w);
        let report: BTreeMap<_, _> = now
            .iter()
            .filter(|(k, _)| k.starts_with("report"))
            .collect();
        let was: BTreeMap<_, _> = previous
            .iter()
            .filter(|(k, _)| k.starts_with("report"))
            .collect();
        assert_eq!(
            report, was,
            "killed at {point}: the previous report changed"
        );
        // All that changed is one hidden sibling, which the next run removes and says so.
        let extra: Vec<_> = now.keys().filter(|k| !previous.contains_key(*k)).collect();
        assert!(
            extra.iter().all(|k| k.starts_with(".report.forloeb-tmp-")),
            "killed at {point}: {extra:?}"
        );
        let next = forloeb(w, args("run", "2023", "report"));
        assert_eq!(next.code, Some(0), "{}", next.text);
        assert!(
            next.text.contains("removed ./.report.forloeb-tmp-")
                && next.text.contains("left by an interrupted forloeb run"),
            "killed at {point}; the next run said:\n{}",
            next.text
        );
        assert_eq!(snapshot(w), previous, "killed at {point}: leftovers remain");
    }
    // Killed right after the swap: the new report is complete in place, the old one is left
    // aside and removed by the next run.
    let old_report = snapshot(&w.join("report"));
    kill_at(w, "report", "swapped");
    let new_report = snapshot(&w.join("report"));
    assert_ne!(
        new_report, old_report,
        "the 2024 report differs from the 2023 one"
    );
    let fresh = work.path().join("fresh");
    assert_eq!(forloeb(w, run_args("fresh")).code, Some(0));
    assert_eq!(
        new_report,
        snapshot(&fresh),
        "after the swap the new report is whole"
    );
    let next = forloeb(w, run_args("report"));
    assert!(
        next.text.contains("left by an interrupted forloeb run"),
        "{}",
        next.text
    );
    let left: Vec<_> = fs::read_dir(w)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
