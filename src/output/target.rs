//! Where a command may write, decided before any work: a user's files are never deleted, moved
//! or overwritten.
//!
//! The rule for `--out`: forloeb writes to a path that does not exist, an empty folder, or a
//! report folder (or person-level file) that forloeb itself wrote, and refuses anything else
//! with exit 2. A report folder is recognised by its `manifest.json`, which carries
//! `"generator": "forloeb"` and lists every file in the folder; a folder holding anything else
//! (a user's note beside the tables) is not replaced. A person-level Parquet file is recognised
//! by the same `generator` key in its footer; a CSV file has no place for such a mark, so an
//! existing one is never replaced. Symbolic links are never followed or replaced, and
//! nothing is written into, over or around the extract being read.
//!
//! Output is built in a hidden sibling (`.<name>.forloeb-tmp-<pid>`) and swapped in at the end,
//! so a killed run leaves the previous output or the new one, never a mix. A sibling left by a
//! killed run is removed by the next run into the same `--out`, and the removal is said on
//! stderr.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use super::generator::GENERATOR;
use super::PausePoint;
use crate::error::Error;

/// Part of the name of the hidden siblings a run builds its output in.
const SIBLING_TAG: &str = "forloeb-";
/// Person-level output never goes under a folder of this name.
const REPORTS: &str = "reports";

/// What is written: a report folder, or one person-level file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Report,
    PersonLevel,
}

/// A place forloeb has been allowed to write, with the hidden sibling the output is built in.
/// Dropped before [`Target::commit`], it removes the sibling and any folder it created, so an
/// error leaves nothing behind.
#[derive(Debug)]
pub struct Target {
    out: PathBuf,
    kind: Kind,
    building: PathBuf,
    /// Folders created to hold `out`, outermost first; removed again if they stay empty.
    created: Vec<PathBuf>,
    committed: bool,
}

impl Target {
    /// Checks `out` against the rule in the module doc, removes what killed runs into the same
    /// `out` left behind, and reserves the hidden sibling (which proves the folder writable).
    /// Every refusal is [`Error::Output`] (exit 2) and says what to do instead.
    pub fn claim(out: &Path, extract: &Path, kind: Kind) -> Result<Target, Error> {
        let name = out.file_name().ok_or_else(|| {
            refuse(
                out,
                "is not a name of a folder or file; give e.g. reports/2024",
            )
        })?;
        if kind == Kind::PersonLevel && under_reports(out) {
            return Err(refuse(
                out,
                "lies under a reports/ folder, and person-level rows are never written there; \
                 choose a path outside reports/",
            ));
        }
        let parent = parent_of(out);
        let mut target = Target {
            out: out.to_path_buf(),
            kind,
            building: sibling(&parent, name, "tmp"),
            created: Vec::new(),
            committed: false,
        };
        // Everything that can refuse runs before a folder is created.
        target.refuse_extract_overlap(extract)?;
        target.check_replaceable()?;
        target.created = create_parents(&parent)?;
        target.remove_leftovers(&parent, name)?;
        target.reserve()?;
        Ok(target)
    }

    /// Where to build the output: a folder for a report, a file for person-level output.
    pub fn building(&self) -> &Path {
        &self.building
    }

    /// True when `out` names a CSV file (its name ends in `.csv`, any case).
    pub fn is_csv(&self) -> bool {
        is_csv(&self.out)
    }

    /// Refuses a person-level `out` that is or lies inside this report folder (a `--out` not
    /// called `reports/`): person-level rows never go into a report. Checked before `out` is
    /// claimed, so nothing is created.
    pub fn refuse_inside(&self, out: &Path) -> Result<(), Error> {
        if absolute(out)?.starts_with(absolute(&self.out)?) {
            return Err(refuse(
                out,
                &format!(
                    "lies inside the report folder {}, and person-level rows are never written \
                     into a report; choose a path outside it",
                    self.out.display()
                ),
            ));
        }
        Ok(())
    }

    /// Puts the built output at `out`: a plain rename that refuses to replace anything when
    /// `out` is absent, an atomic exchange (renameat2 RENAME_EXCHANGE) when it is an earlier
    /// output, which is then removed. `out` is checked again first, in case it changed while
    /// the run computed. `pause` is called at the last moment before and right after the
    /// exchange (tests kill the run there).
    pub fn commit(mut self, pause: impl Fn(PausePoint)) -> Result<PathBuf, Error> {
        self.check_replaceable()?;
        pause(PausePoint::Swap);
        let replaced = match fs::symlink_metadata(&self.out) {
            Err(e) if e.kind() == ErrorKind::NotFound => false,
            Err(e) => return Err(Error::io(&self.out)(e)),
            Ok(_) => true,
        };
        if replaced {
            let aside = sibling(&parent_of(&self.out), self.name(), "old");
            swap(&self.building, &self.out, &aside).map_err(Error::io(&self.out))?;
            pause(PausePoint::Swapped);
            // `building` (or `aside`) now holds the previous output, which forloeb wrote.
            remove(&self.building)?;
            remove(&aside)?;
        } else {
            rename_no_replace(&self.building, &self.out).map_err(Error::io(&self.out))?;
        }
        self.committed = true;
        Ok(self.out.clone())
    }

    fn name(&self) -> &OsStr {
        self.out.file_name().unwrap_or_default()
    }

    /// Refuses an `out` that is, contains or lies inside the extract folder.
    fn refuse_extract_overlap(&self, extract: &Path) -> Result<(), Error> {
        let Ok(extract) = fs::canonicalize(extract) else {
            // A missing extract is reported by the extract stage, naming the folder.
            return Ok(());
        };
        let out = absolute(&self.out)?;
        if out.starts_with(&extract) || extract.starts_with(&out) {
            let relation = if out == extract {
                "is the extract folder"
            } else if out.starts_with(&extract) {
                "lies inside the extract folder"
            } else {
                "contains the extract folder"
            };
            return Err(refuse(
                &self.out,
                &format!(
                    "{relation} ({}); the extract is never written to. Choose --out outside it",
                    extract.display()
                ),
            ));
        }
        Ok(())
    }

    /// Refuses an `out` that exists and is not empty or forloeb's own output.
    fn check_replaceable(&self) -> Result<(), Error> {
        let meta = match fs::symlink_metadata(&self.out) {
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(refuse(&self.out, &format!("cannot be examined: {e}"))),
            Ok(meta) => meta,
        };
        let what = match self.kind {
            Kind::Report => "a new or empty folder, or a report folder forloeb wrote",
            Kind::PersonLevel => "a new file name, or a file forloeb wrote",
        };
        if meta.file_type().is_symlink() {
            return Err(refuse(
                &self.out,
                &format!(
                    "is a symbolic link; forloeb never replaces links or writes through them. \
                     Give {what}"
                ),
            ));
        }
        match (self.kind, meta.is_dir()) {
            (Kind::Report, true) => {
                if is_empty_dir(&self.out)? || is_report(&self.out)? {
                    Ok(())
                } else {
                    Err(refuse(
                        &self.out,
                        &format!(
                            "is a folder that holds files forloeb did not write (it is not an \
                             empty folder or a forloeb report with nothing added); nothing in \
                             it was touched. Give {what}"
                        ),
                    ))
                }
            }
            (Kind::Report, false) => Err(refuse(
                &self.out,
                &format!("is an existing file, not a folder; it was not touched. Give {what}"),
            )),
            (Kind::PersonLevel, true) => {
                Err(refuse(&self.out, &format!("is a folder; give {what}")))
            }
            (Kind::PersonLevel, false) => {
                if is_person_level_output(&self.out) {
                    Ok(())
                } else if self.is_csv() {
                    Err(refuse(
                        &self.out,
                        "is an existing file; a CSV file carries no mark of the program that \
                         wrote it, so forloeb never replaces one and it was not touched. Remove \
                         it or give a new file name",
                    ))
                } else {
                    Err(refuse(
                        &self.out,
                        &format!(
                            "is an existing file that forloeb did not write; it was not \
                             touched. Give {what}"
                        ),
                    ))
                }
            }
        }
    }

    /// Removes hidden siblings of `out` left by killed runs: named like ours, with a process
    /// id that is no longer a running forloeb, and holding only forloeb's work.
    fn remove_leftovers(&self, parent: &Path, name: &OsStr) -> Result<(), Error> {
        let prefix = format!(".{}.{SIBLING_TAG}", name.to_string_lossy());
        let Ok(entries) = fs::read_dir(parent) else {
            return Ok(());
        };
        let mut leftovers: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_prefix(&prefix))
                    .and_then(|rest| rest.strip_prefix("tmp-").or(rest.strip_prefix("old-")))
                    .and_then(|pid| pid.parse::<u32>().ok())
                    .is_some_and(|pid| !forloeb_is_running(pid))
            })
            .map(|e| e.path())
            .collect();
        leftovers.sort();
        for path in leftovers {
            if self.is_our_work(&path)? {
                remove(&path)?;
                eprintln!(
                    "removed {}, left by an interrupted forloeb run",
                    path.display()
                );
            }
        }
        Ok(())
    }

    /// A hidden sibling is forloeb's work when, besides its name, it holds nothing but what a
    /// report holds (a report being built, or the previous one after the exchange), or, for
    /// person-level output, is a regular file.
    fn is_our_work(&self, path: &Path) -> Result<bool, Error> {
        let meta = fs::symlink_metadata(path).map_err(Error::io(path))?;
        Ok(match self.kind {
            Kind::Report => meta.is_dir() && holds_only_report_entries(path)?,
            Kind::PersonLevel => meta.is_file(),
        })
    }

    /// Creates the hidden sibling: a folder for a report, an empty file for person-level
    /// output. Failing here means the location cannot be written.
    fn reserve(&self) -> Result<(), Error> {
        let parent = parent_of(&self.out);
        let unwritable = |e: std::io::Error| {
            refuse(
                &parent,
                &format!(
                    "cannot be written to ({e}), so --out {} cannot be created there; choose a \
                     folder you can write to",
                    self.out.display()
                ),
            )
        };
        match self.kind {
            Kind::Report => fs::create_dir(&self.building).map_err(unwritable),
            Kind::PersonLevel => fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&self.building)
                .map(drop)
                .map_err(unwritable),
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        // Best effort on the error path: the error that matters is the one being returned.
        let _ = remove(&self.building);
        for dir in self.created.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

fn refuse(path: &Path, message: &str) -> Error {
    Error::Output {
        path: path.to_path_buf(),
        message: message.to_owned(),
    }
}

fn parent_of(out: &Path) -> PathBuf {
    match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn sibling(parent: &Path, name: &OsStr, what: &str) -> PathBuf {
    let mut file = OsString::from(".");
    file.push(name);
    file.push(format!(".{SIBLING_TAG}{what}-{}", std::process::id()));
    parent.join(file)
}

fn under_reports(out: &Path) -> bool {
    absolute(out).is_ok_and(|abs| {
        abs.parent()
            .is_some_and(|p| p.components().any(|c| c.as_os_str() == REPORTS))
    }) || out.components().any(|c| c.as_os_str() == REPORTS)
}

/// Creates `dir` and its missing ancestors; returns the ones it created, outermost first.
fn create_parents(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(d) = at {
        if d.as_os_str().is_empty() || fs::symlink_metadata(d).is_ok() {
            break;
        }
        missing.push(d.to_path_buf());
        at = d.parent();
    }
    missing.reverse();
    for (i, d) in missing.iter().enumerate() {
        if let Err(e) = fs::create_dir(d) {
            for made in missing[..i].iter().rev() {
                let _ = fs::remove_dir(made);
            }
            return Err(refuse(
                d,
                &format!("cannot be created ({e}); choose a folder you can write to"),
            ));
        }
    }
    if !dir.is_dir() {
        return Err(refuse(
            dir,
            "is not a folder, so nothing can be written in it",
        ));
    }
    Ok(missing)
}

/// `path` made absolute with its existing part resolved (symlinks followed) and the rest
/// appended, so that two spellings of one place compare equal.
fn absolute(path: &Path) -> Result<PathBuf, Error> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_err(Error::io("."))?.join(path)
    };
    let mut tail = Vec::new();
    let mut at = joined.as_path();
    loop {
        if let Ok(real) = fs::canonicalize(at) {
            let mut out = real;
            for part in tail.iter().rev() {
                out.push(part);
            }
            return Ok(out);
        }
        match (at.file_name(), at.parent()) {
            (Some(name), Some(parent)) => {
                tail.push(name.to_owned());
                at = parent;
            }
            _ => return Ok(joined),
        }
    }
}

fn is_empty_dir(dir: &Path) -> Result<bool, Error> {
    Ok(fs::read_dir(dir).map_err(Error::io(dir))?.next().is_none())
}

/// The part of `manifest.json` that tells whether a folder is a report forloeb wrote.
#[derive(Deserialize)]
struct ManifestHead {
    generator: String,
    outputs: Vec<ManifestOutput>,
}

#[derive(Deserialize)]
struct ManifestOutput {
    path: String,
}

/// True when `dir` is a report forloeb wrote: its manifest says so and lists every file in it
/// (besides itself), and it holds no symbolic link.
fn is_report(dir: &Path) -> Result<bool, Error> {
    let Ok(text) = fs::read_to_string(dir.join(super::MANIFEST)) else {
        return Ok(false);
    };
    let Ok(head) = serde_json::from_str::<ManifestHead>(&text) else {
        return Ok(false);
    };
    if head.generator != GENERATOR {
        return Ok(false);
    }
    let listed: std::collections::BTreeSet<String> =
        head.outputs.into_iter().map(|o| o.path).collect();
    let mut found = Vec::new();
    if !plain_files(dir, dir, &mut found)? {
        return Ok(false);
    }
    Ok(found
        .iter()
        .all(|rel| rel == super::MANIFEST || listed.contains(rel)))
}

/// True when every entry of `dir` is one a report has (tables, charts, the page, the manifest)
/// and everything below is a plain folder or file.
fn holds_only_report_entries(dir: &Path) -> Result<bool, Error> {
    let mut found = Vec::new();
    if !plain_files(dir, dir, &mut found)? {
        return Ok(false);
    }
    Ok(found.iter().all(|rel| {
        let top = rel.split('/').next().unwrap_or_default();
        super::is_report_entry(top)
    }))
}

/// Collects the `/`-separated relative paths of the files under `dir`; false when it meets
/// anything but folders and regular files.
fn plain_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<bool, Error> {
    for entry in fs::read_dir(dir).map_err(Error::io(dir))? {
        let entry = entry.map_err(Error::io(dir))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(Error::io(&path))?;
        if kind.is_dir() {
            if !plain_files(root, &path, out)? {
                return Ok(false);
            }
        } else if kind.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let parts: Vec<String> = rel
                .components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect();
            out.push(parts.join("/"));
        } else {
            return Ok(false);
        }
    }
    Ok(true)
}

fn is_csv(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("csv"))
}

/// True when `path` is a Parquet file whose footer says forloeb wrote it.
fn is_person_level_output(path: &Path) -> bool {
    super::parquet::generator(path).is_some_and(|g| g == GENERATOR)
}

/// True when `pid` is a live process named forloeb (a concurrent run whose work must not be
/// removed).
fn forloeb_is_running(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == "forloeb")
}

fn remove(path: &Path) -> Result<(), Error> {
    let meta = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        other => other.map_err(Error::io(path))?,
    };
    if meta.is_dir() {
        fs::remove_dir_all(path).map_err(Error::io(path))
    } else {
        fs::remove_file(path).map_err(Error::io(path))
    }
}

/// Exchanges `building` and `out` atomically. Where the file system lacks the exchange, `out`
/// is moved to `aside` first (a killed run then leaves it there for the next run to remove);
/// `out` is forloeb's own output at this point either way.
fn swap(building: &Path, out: &Path, aside: &Path) -> std::io::Result<()> {
    match exchange(building, out) {
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) || e.kind() == ErrorKind::Unsupported => {
            fs::rename(out, aside)?;
            fs::rename(building, out)
        }
        other => other,
    }
}

#[cfg(target_os = "linux")]
fn renameat2(a: &Path, b: &Path, flags: libc::c_uint) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both arguments are valid NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            flags,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    renameat2(a, b, libc::RENAME_EXCHANGE)
}

/// Renames `from` to `to`, failing if `to` appeared meanwhile (nothing of a user's is replaced).
#[cfg(target_os = "linux")]
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    match renameat2(from, to, libc::RENAME_NOREPLACE) {
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            if fs::symlink_metadata(to).is_ok() {
                return Err(std::io::Error::from(ErrorKind::AlreadyExists));
            }
            fs::rename(from, to)
        }
        other => other,
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(ErrorKind::Unsupported))
}

#[cfg(not(target_os = "linux"))]
fn rename_no_replace(from: &Path, to: &Path) -> std::io::Result<()> {
    if fs::symlink_metadata(to).is_ok() {
        return Err(std::io::Error::from(ErrorKind::AlreadyExists));
    }
    fs::rename(from, to)
}
