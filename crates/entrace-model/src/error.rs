//! Fatal errors: the run cannot produce a trustworthy result. Bad records are
//! never errors; they are rejects (see `parse::reject`).

use std::path::{Path, PathBuf};

/// A fatal error; `main` prints it once and exits with code 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O operation on a named path failed.
    #[error("{}: {what}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// What entrace was doing.
        what: &'static str,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The command line asks for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    /// `--strict` was given and an input was rejected.
    #[error("rejected input (--strict): {0}")]
    Strict(String),
    /// Writing or reading a table failed.
    #[error("{context}: {message}")]
    Table {
        /// Which table or file.
        context: String,
        /// The polars or I/O message.
        message: String,
    },
    /// A record read again in the converter's second pass is not what the
    /// first pass read: the evidence changed during the conversion.
    #[error("{}: {message}", path.display())]
    EvidenceChanged {
        /// The file read.
        path: PathBuf,
        /// What differs, and where.
        message: String,
    },
    /// An invariant of entrace itself broke; a bug.
    #[error("internal error (please report): {0}")]
    Internal(String),
}

impl Error {
    /// An I/O error with the path it concerns.
    pub fn io(path: &Path, what: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            what,
            source,
        }
    }

    /// A table error with its context.
    pub fn table(context: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Error::Table {
            context: context.into(),
            message: message.to_string(),
        }
    }
}

/// Result with a fatal [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
