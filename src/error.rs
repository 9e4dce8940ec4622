//! The library's error type. Errors a user can fix (bad extract, bad configuration, bad peer
//! file, bad period, an output location that may not or cannot be written) map to exit code 2;
//! everything else is a failure (exit code 1).

use std::path::PathBuf;

use polars::prelude::PolarsError;

use crate::validation::ValidationReport;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The extract broke its contract; the report lists every violation.
    #[error("the extract is invalid ({} problems); nothing was written\n{}", .0.error_count(), .0)]
    InvalidExtract(Box<ValidationReport>),
    /// `forloeb.toml` or a flag has a value the run cannot use.
    #[error("configuration {}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    /// The municipalities / peer-group file is unusable.
    #[error("peer groups {}: {message}", path.display())]
    Peers { path: PathBuf, message: String },
    /// An output location forloeb may not or cannot write: it would replace a user's files,
    /// overlap the extract, or lies in a folder that cannot be written.
    #[error("output {}: {message}", path.display())]
    Output { path: PathBuf, message: String },
    /// A request that cannot be served from this extract (e.g. a period outside it).
    #[error("{0}")]
    Request(String),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("polars: {0}")]
    Polars(#[from] PolarsError),
    /// A computation failed in a stage of the pipeline: a Polars error alone does not say
    /// which part of the run it came from.
    #[error("{stage} failed: {source}")]
    Stage {
        stage: &'static str,
        #[source]
        source: PolarsError,
    },
    /// A failure that is not the user's to fix (a chart that cannot be drawn, a broken
    /// invariant).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Exit-code policy: 2 for input the user can fix, 1 for anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::InvalidExtract(_)
            | Error::Config { .. }
            | Error::Peers { .. }
            | Error::Output { .. }
            | Error::Request(_) => 2,
            Error::Io { .. } | Error::Polars(_) | Error::Stage { .. } | Error::Internal(_) => 1,
        }
    }

    /// The error as raised in `stage`: a Polars error gets the stage's name, any other error
    /// already says what went wrong.
    pub fn in_stage(self, stage: &'static str) -> Error {
        match self {
            Error::Polars(source) => Error::Stage { stage, source },
            other => other,
        }
    }

    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}
