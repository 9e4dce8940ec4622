//! sha256 of files and folders, for the fingerprints the manifest records (MEASURES.md §8:
//! the extract's input files, `config_sha256`, every output file).
//!
//! A bottom layer (it knows only [`Error`]): the extract's inputs and the report's outputs are
//! listed by the same walk, so both lists use the same relative paths and the same order.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::Error;

/// Lower-case hexadecimal, two digits a byte (how every sha256 is written).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file below `dir` (following links to folders), sorted by path.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    for entry in fs::read_dir(dir).map_err(Error::io(dir))? {
        let path = entry.map_err(Error::io(dir))?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// A relative path with `/` between its components on every platform: how messages and the
/// manifest name files.
pub fn slashed(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether [`hash_files`] lists hidden files (a path component starting with `.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    /// An extract folder may hold what the operating system or a copy tool left there
    /// (`.DS_Store`, `.crc`); it is not data, so it is neither read nor fingerprinted.
    Skip,
    /// A report folder holds only what forloeb wrote: every file is listed.
    List,
}

/// Every file below `dir` as `(relative /-separated path, sha256)`, sorted by path. The files
/// are hashed in parallel and streamed, so a large extract is never held in memory.
pub fn hash_files(dir: &Path, hidden: Hidden) -> Result<Vec<(String, String)>, Error> {
    let relative = |p: &Path| p.strip_prefix(dir).unwrap_or(p).to_path_buf();
    let listed = |p: &PathBuf| {
        hidden == Hidden::List
            || !relative(p)
                .components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
    };
    let files: Vec<PathBuf> = files_under(dir)?.into_iter().filter(listed).collect();
    let mut hashed = files
        .par_iter()
        .map(|p| Ok((slashed(&relative(p)), sha256_file(p)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    hashed.sort();
    Ok(hashed)
}

fn sha256_file(path: &Path) -> Result<String, Error> {
    let mut hasher = Sha256::new();
    let mut f = fs::File::open(path).map_err(Error::io(path))?;
    std::io::copy(&mut f, &mut hasher).map_err(Error::io(path))?;
    Ok(hex(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_writes_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
    }

    #[test]
    fn hash_files_lists_relative_sorted_paths_and_skips_hidden_only_when_asked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("b");
        fs::create_dir(&sub).expect("mkdir");
        fs::write(dir.path().join("c.txt"), "").expect("write");
        fs::write(sub.join("a.txt"), "abc").expect("write");
        fs::write(dir.path().join(".DS_Store"), "x").expect("write");
        // sha256("") and sha256("abc"), the FIPS 180-2 test vectors.
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let skip = hash_files(dir.path(), Hidden::Skip).expect("hash");
        assert_eq!(
            skip,
            vec![
                ("b/a.txt".into(), abc.into()),
                ("c.txt".into(), empty.into())
            ]
        );
        let listed = hash_files(dir.path(), Hidden::List).expect("hash");
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[0].0, ".DS_Store");
    }
}
