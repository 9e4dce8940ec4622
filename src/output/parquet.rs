//! Parquet files: zstd, a fixed row-group size and the key-value metadata of MEASURES.md §8,
//! plus `generator = forloeb`, which lets a later run recognise the file as its own. Polars
//! writes no timestamp into the footer, so equal tables give equal bytes. Person-level rows may
//! also go to CSV, which has no footer to carry the metadata.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use crate::disclosure::SafeTable;
use crate::error::Error;

use super::generator::{GENERATOR, GENERATOR_KEY};
use super::RunInfo;

/// Rows per row group: fixed, so the layout does not depend on the machine.
const ROW_GROUP_SIZE: usize = 1 << 16;

/// A published table, with the run's provenance and the table's definition in the footer.
pub fn write(table: &SafeTable, info: &RunInfo, path: &Path) -> Result<(), Error> {
    let metadata = vec![
        ("forloeb_version".into(), info.version.clone()),
        ("config_sha256".into(), info.config_sha256.clone()),
        ("extract_sha256".into(), info.extract_sha256.clone()),
        ("definition".into(), table.definition().metadata()),
    ];
    write_frame(&mut table.df().clone(), metadata, path)
}

/// Person-level rows (never under `reports/`; see [`super::Target`]).
pub fn write_person_level(df: &mut DataFrame, path: &Path) -> Result<(), Error> {
    let metadata = vec![(
        "forloeb_version".into(),
        super::generator::VERSION.to_owned(),
    )];
    write_frame(df, metadata, path)
}

/// Person-level rows as CSV (header, comma, dates as ISO `YYYY-MM-DD`, null as an empty field);
/// never under `reports/`.
pub fn write_person_level_csv(df: &mut DataFrame, path: &Path) -> Result<(), Error> {
    let file = File::create(path).map_err(Error::io(path))?;
    CsvWriter::new(file).include_header(true).finish(df)?;
    Ok(())
}

fn write_frame(
    df: &mut DataFrame,
    mut metadata: Vec<(String, String)>,
    path: &Path,
) -> Result<(), Error> {
    metadata.insert(0, (GENERATOR_KEY.into(), GENERATOR.to_owned()));
    let file = File::create(path).map_err(Error::io(path))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Zstd(None))
        .with_row_group_size(Some(ROW_GROUP_SIZE))
        .with_key_value_metadata(Some(KeyValueMetadata::from_static(metadata)))
        .finish(df)?;
    Ok(())
}

/// The `generator` key of a Parquet file's footer; `None` for anything else.
pub fn generator(path: &Path) -> Option<String> {
    let file = File::open(path).ok()?;
    let mut reader = ParquetReader::new(file);
    let metadata = reader.get_metadata().ok()?;
    metadata
        .key_value_metadata()
        .as_ref()?
        .iter()
        .find(|kv| kv.key == GENERATOR_KEY)?
        .value
        .clone()
}
