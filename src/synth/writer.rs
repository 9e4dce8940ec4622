//! The files: one writer per table, chunk after chunk, and `extract.toml`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::{CsvWriter, DataFrame, ParquetCompression, ParquetWriter, SerWriter};

use super::{SynthFormat, SynthOptions};
use crate::error::Error;
use crate::extract::EXTRACT_TOML;
use crate::schema;

/// Refuses a folder that already holds any table, in any of the contract's forms.
pub(super) fn refuse_existing_tables(out: &Path) -> Result<(), Error> {
    let refuse = |message: String| Error::Output {
        path: out.to_path_buf(),
        message,
    };
    if fs::symlink_metadata(out).is_ok_and(|m| !m.is_dir()) {
        return Err(refuse(
            "is not a folder; choose an empty or new --out folder".to_owned(),
        ));
    }
    let names = schema::TABLES
        .iter()
        .flat_map(|t| {
            [
                format!("{}.csv", t.name),
                format!("{}.parquet", t.name),
                t.name.to_owned(),
            ]
        })
        .chain([EXTRACT_TOML.to_owned()]);
    for name in names {
        let candidate = out.join(name);
        if fs::symlink_metadata(&candidate).is_ok() {
            return Err(refuse(format!(
                "already holds {}, which synth would overwrite; choose an empty or new --out \
                 folder",
                candidate.display()
            )));
        }
    }
    Ok(())
}

/// `extract.toml` gives the dates the registers cover (the contract reads them from it) and the
/// seed, so that the extract can be written again.
pub(super) fn write_extract_toml(opts: &SynthOptions) -> Result<(), Error> {
    let path = opts.out.join(EXTRACT_TOML);
    // Oversampled municipalities are named, so that the extract can be written again.
    let oversample: String = opts
        .oversample
        .iter()
        .map(|(code, factor)| format!(", municipality {code} oversampled x{factor}"))
        .collect();
    let text = format!(
        "# Synthetic extract written by `forloeb synth`; calibrated to public figures, not real data.\n\
         extract_start = {}\n\
         extract_end = {}\n\
         description = \"forloeb synthetic extract: {} persons, seed {}{oversample}\"\n",
        opts.start.format("%Y-%m-%d"),
        opts.end.format("%Y-%m-%d"),
        opts.persons,
        opts.seed
    );
    std::fs::write(&path, text).map_err(Error::io(path))
}

/// One table's open file.
enum TableWriter {
    /// A CsvWriter is made per chunk; the header goes with the first.
    Csv {
        file: BufWriter<File>,
        header: bool,
    },
    Parquet(Box<polars::io::parquet::write::BatchedWriter<File>>),
}

/// The six open table files and their row counts.
pub(super) struct Sink {
    out: PathBuf,
    format: SynthFormat,
    writers: Vec<Option<TableWriter>>,
    rows: Vec<u64>,
}

impl Sink {
    /// Nothing is opened yet: each file is created with its first chunk.
    pub(super) fn create(out: &Path, format: SynthFormat) -> Sink {
        Sink {
            out: out.to_path_buf(),
            format,
            writers: schema::TABLES.iter().map(|_| None).collect(),
            rows: vec![0; schema::TABLES.len()],
        }
    }

    fn path(&self, table: usize) -> PathBuf {
        let ext = match self.format {
            SynthFormat::Csv => "csv",
            SynthFormat::Parquet => "parquet",
        };
        self.out
            .join(format!("{}.{ext}", schema::TABLES[table].name))
    }

    /// Appends one chunk's frames (one per table, in `schema::TABLES` order).
    pub(super) fn write(&mut self, frames: Vec<DataFrame>) -> Result<(), Error> {
        for (table, mut df) in frames.into_iter().enumerate() {
            let path = self.path(table);
            let writer = match self.writers[table].take() {
                Some(w) => w,
                None => {
                    let file = File::create(&path).map_err(Error::io(&path))?;
                    match self.format {
                        SynthFormat::Csv => TableWriter::Csv {
                            file: BufWriter::with_capacity(1 << 20, file),
                            header: true,
                        },
                        // Each chunk's frame becomes its own row group (a chunk's rows are one
                        // Arrow chunk), so a row-group size setting would have no effect.
                        SynthFormat::Parquet => TableWriter::Parquet(Box::new(
                            ParquetWriter::new(file)
                                .with_compression(ParquetCompression::Zstd(None))
                                .batched(df.schema())?,
                        )),
                    }
                }
            };
            let writer = match writer {
                TableWriter::Csv { mut file, header } => {
                    CsvWriter::new(&mut file)
                        .include_header(header)
                        .finish(&mut df)?;
                    TableWriter::Csv {
                        file,
                        header: false,
                    }
                }
                TableWriter::Parquet(mut w) => {
                    w.write_batch(&df)?;
                    TableWriter::Parquet(w)
                }
            };
            self.writers[table] = Some(writer);
            self.rows[table] += df.height() as u64;
        }
        Ok(())
    }

    /// Flushes and closes every file; returns rows per table in `schema::TABLES` order.
    pub(super) fn finish(mut self) -> Result<Vec<(&'static str, u64)>, Error> {
        for table in 0..schema::TABLES.len() {
            let path = self.path(table);
            match self.writers[table].take() {
                Some(TableWriter::Csv { mut file, .. }) => {
                    file.flush().map_err(Error::io(&path))?;
                }
                Some(TableWriter::Parquet(w)) => {
                    w.finish()?;
                }
                None => {}
            }
        }
        Ok(schema::TABLES
            .iter()
            .zip(self.rows)
            .map(|(t, n)| (t.name, n))
            .collect())
    }
}
