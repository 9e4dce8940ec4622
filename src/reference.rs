//! Reference data: the 98 municipalities with their names, regions and peer groups.
//!
//! The shipped table (`data/municipalities.csv`, DST kommunekoder with DST's Kommunegrupper
//! v1:2018 as the default peer groups) is compiled into the binary, so a run never depends on the
//! working directory. `--peers FILE` substitutes the peer groups (and names, when the file has
//! them) with a user's own grouping.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::Error;

/// The shipped municipalities file.
pub const MUNICIPALITIES_CSV: &str = include_str!("../data/municipalities.csv");

pub const CODE: &str = "code";
pub const NAME: &str = "name";
pub const REGION: &str = "region";
pub const PEER_GROUP: &str = "peer_group";
/// Accepted instead of `peer_group` (DATA.md, the column name of DST's classification).
pub const KOMMUNEGRUPPE: &str = "kommunegruppe";

/// Municipalities with code (Int32), name, region and peer_group, sorted by code.
#[derive(Debug, Clone)]
pub struct Reference {
    pub municipalities: DataFrame,
    /// Where the peer groups came from, for the manifest (`None` = shipped default).
    pub peers_file: Option<PathBuf>,
}

impl Reference {
    /// The shipped table, optionally with peer groups from `peers`.
    pub fn load(peers: Option<&Path>) -> Result<Self, Error> {
        let shipped = read_csv(MUNICIPALITIES_CSV.as_bytes().to_vec(), "municipalities.csv")?;
        let shipped = normalise(shipped, Path::new("municipalities.csv"))?;
        let Some(peers) = peers else {
            return Ok(Reference {
                municipalities: shipped,
                peers_file: None,
            });
        };
        let bytes = std::fs::read(peers).map_err(|e| Error::Peers {
            path: peers.to_path_buf(),
            message: format!(
                "cannot be read ({e}); give an existing CSV with `code` and `peer_group`, or \
                 leave out --peers for DST's kommunegrupper"
            ),
        })?;
        let user = normalise(read_csv(bytes, &peers.display().to_string())?, peers)?;
        let municipalities = merge_peers(&shipped, &user, peers)?;
        Ok(Reference {
            municipalities,
            peers_file: Some(peers.to_path_buf()),
        })
    }

    /// Sorted municipality codes known to the reference.
    pub fn codes(&self) -> Result<Vec<i32>, Error> {
        Ok(self
            .municipalities
            .column(CODE)?
            .i32()?
            .into_no_null_iter()
            .collect())
    }

    /// Name and peer group of municipality `code`, if the reference has it.
    pub fn municipality(&self, code: i32) -> Result<Option<(String, String)>, Error> {
        let df = &self.municipalities;
        let codes = df.column(CODE)?.i32()?;
        let Some(i) = codes.iter().position(|c| c == Some(code)) else {
            return Ok(None);
        };
        let text = |c: &str| -> Result<String, Error> {
            Ok(df.column(c)?.str()?.get(i).unwrap_or_default().to_owned())
        };
        Ok(Some((text(NAME)?, text(PEER_GROUP)?)))
    }

    /// Checks that every code asked for by `--municipality` is a municipality, before any work.
    pub fn check_known(&self, asked: &[i32]) -> Result<(), Error> {
        let known = self.codes()?;
        let unknown: Vec<String> = asked
            .iter()
            .filter(|c| !known.contains(c))
            .map(|c| c.to_string())
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        Err(Error::Request(format!(
            "--municipality {}: not a municipality code; the 98 valid codes are listed in \
             data/municipalities.csv of forloeb (column `code`, e.g. 260 Halsnæs) and in the \
             `unit` column of any report's tables/indicators.parquet (level municipality)",
            unknown.join(", ")
        )))
    }

    /// Checks that every municipality in `used` has a peer group. Only a user's `--peers` file
    /// can lack one; the shipped table has all 98.
    pub fn check_covers(&self, used: &[i32]) -> Result<(), Error> {
        let known = self.codes()?;
        let missing: Vec<String> = used
            .iter()
            .filter(|c| known.binary_search(c).is_err())
            .map(|c| c.to_string())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::Peers {
            path: self.peers_file.clone().unwrap_or_default(),
            message: format!(
                "municipalities {} occur in the extract but have no row; \
                 expected every municipality of the extract exactly once",
                missing.join(", ")
            ),
        })
    }
}

fn read_csv(bytes: Vec<u8>, what: &str) -> Result<DataFrame, Error> {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
        .map_err(|e| Error::Peers {
            path: PathBuf::from(what),
            message: format!("not a readable CSV file ({e})"),
        })
}

/// Renames `kommunegruppe` to `peer_group`, parses `code` and checks the required columns.
fn normalise(df: DataFrame, path: &Path) -> Result<DataFrame, Error> {
    let peers_err = |message: String| Error::Peers {
        path: path.to_path_buf(),
        message,
    };
    let mut df = df;
    if df.column(PEER_GROUP).is_err() && df.column(KOMMUNEGRUPPE).is_ok() {
        df.rename(KOMMUNEGRUPPE, PEER_GROUP.into())?;
    }
    for required in [CODE, PEER_GROUP] {
        if df.column(required).is_err() {
            return Err(peers_err(format!(
                "column `{required}` is missing; expected at least `code` and `peer_group`"
            )));
        }
    }
    let raw = df.column(CODE)?.str()?.clone();
    let parsed = raw.cast(&DataType::Int32)?;
    let parsed = parsed.i32()?;
    for (i, (r, p)) in raw.iter().zip(parsed.iter()).enumerate() {
        if p.is_none() {
            return Err(peers_err(format!(
                "row {}, column `code`: '{}' is not a municipality code; expected a 3-digit DST kommunekode",
                i + 1,
                r.unwrap_or("")
            )));
        }
    }
    let groups = df.column(PEER_GROUP)?.str()?;
    if let Some(i) = groups.iter().position(|g| g.is_none_or(str::is_empty)) {
        return Err(peers_err(format!(
            "row {}, column `peer_group`: empty; expected a peer group name",
            i + 1
        )));
    }
    df.with_column(parsed.clone().into_column())?;
    let df = df.sort([CODE], SortMultipleOptions::default())?;
    let codes = df.column(CODE)?.i32()?;
    let dup = codes
        .into_no_null_iter()
        .collect::<Vec<_>>()
        .windows(2)
        .find(|w| w[0] == w[1])
        .map(|w| w[0]);
    if let Some(code) = dup {
        return Err(peers_err(format!(
            "column `code`: {code} occurs more than once; expected every municipality exactly once"
        )));
    }
    Ok(df)
}

/// Takes codes and peer groups (and names where given) from the user's file, names and regions
/// from the shipped table. A code the shipped table does not know is refused.
fn merge_peers(shipped: &DataFrame, user: &DataFrame, path: &Path) -> Result<DataFrame, Error> {
    let unknown = user
        .clone()
        .lazy()
        .join(
            shipped.clone().lazy().select([col(CODE)]),
            [col(CODE)],
            [col(CODE)],
            JoinArgs::new(JoinType::Anti),
        )
        .collect()?;
    if unknown.height() > 0 {
        let codes: Vec<String> = unknown
            .column(CODE)?
            .i32()?
            .into_no_null_iter()
            .map(|c| c.to_string())
            .collect();
        return Err(Error::Peers {
            path: path.to_path_buf(),
            message: format!(
                "unknown municipality codes {}; expected DST kommunekoder of the 98 municipalities",
                codes.join(", ")
            ),
        });
    }
    let mut user_cols = vec![col(CODE), col(PEER_GROUP)];
    if user.column(NAME).is_ok() {
        user_cols.push(col(NAME).alias("user_name"));
    }
    let has_name = user.column(NAME).is_ok();
    let joined = user.clone().lazy().select(user_cols).join(
        shipped
            .clone()
            .lazy()
            .drop(by_name([PEER_GROUP], true, false)),
        [col(CODE)],
        [col(CODE)],
        JoinArgs::new(JoinType::Left),
    );
    let name = if has_name {
        // A user's name wins when given; an empty one falls back to the shipped name.
        col("user_name").fill_null(col(NAME)).alias(NAME)
    } else {
        col(NAME)
    };
    Ok(joined
        .select([col(CODE), name, col(REGION), col(PEER_GROUP)])
        .sort([CODE], SortMultipleOptions::default())
        .collect()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_has_98_municipalities_in_five_groups() {
        let r = Reference::load(None).unwrap();
        assert_eq!(r.municipalities.height(), 98);
        let groups = r
            .municipalities
            .column(PEER_GROUP)
            .unwrap()
            .n_unique()
            .unwrap();
        assert_eq!(groups, 5);
        assert!(r.codes().unwrap().contains(&260));
    }

    #[test]
    fn peers_file_with_unknown_code_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("peers.csv");
        std::fs::write(&p, "code,peer_group\n101,A\n999,B\n").unwrap();
        let err = Reference::load(Some(&p)).unwrap_err().to_string();
        assert!(err.contains("999"), "{err}");
    }

    #[test]
    fn peers_file_missing_a_used_code_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("peers.csv");
        std::fs::write(&p, "code,kommunegruppe\n101,A\n147,B\n").unwrap();
        let r = Reference::load(Some(&p)).unwrap();
        assert_eq!(r.municipalities.height(), 2);
        let err = r.check_covers(&[101, 260]).unwrap_err().to_string();
        assert!(err.contains("260"), "{err}");
    }
}
