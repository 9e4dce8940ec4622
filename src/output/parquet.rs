//! Parquet tables: zstd, a fixed row-group size and the key-value metadata of MEASURES.md §8.
//! Polars writes no timestamp into the footer, so equal tables give equal bytes.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use crate::error::Error;
use crate::measures::Table;

use super::RunInfo;

/// Rows per row group: fixed, so the layout does not depend on the machine.
const ROW_GROUP_SIZE: usize = 1 << 16;

pub fn write(table: &Table, info: &RunInfo, path: &Path) -> Result<(), Error> {
    let metadata = KeyValueMetadata::from_static(vec![
        ("forloeb_version".into(), info.version.clone()),
        ("config_sha256".into(), info.config_sha256.clone()),
        ("extract_sha256".into(), info.extract_sha256.clone()),
        ("definition".into(), table.definition.clone()),
    ]);
    let file = File::create(path).map_err(Error::io(path))?;
    let mut df = table.df.clone();
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Zstd(None))
        .with_row_group_size(Some(ROW_GROUP_SIZE))
        .with_key_value_metadata(Some(metadata))
        .finish(&mut df)?;
    Ok(())
}
