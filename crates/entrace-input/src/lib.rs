//! Reading the evidence, up to the records' keys: discovery (`walk`),
//! archives and compression (`container`), text encodings (`encoding`),
//! hashes, and the parser (`parse`: record spans, simd-json, entity and
//! identity checks, rejects, the first pass's [`parse::keys`]), with
//! [`json`] for reading one parsed record.
//!
//! Invariants: evidence is only ever opened for reading; every file and archive
//! member found is reported, readable or not; every record becomes keys or a
//! located reject. No Parquet and no polars here, so the fuzz targets build
//! this crate as it is.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod container;
pub mod encoding;
#[doc(hidden)]
pub mod fuzz_checks;
pub mod json;
pub mod parse;
pub mod walk;

pub use container::{open_evidence, Leaf, LeafBytes};
pub use walk::discover;

/// What a source is: an evidence file, an archive (whose members are sources
/// of their own), or one of those members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamKind {
    /// A file that is one stream (plain, gzip or zstd).
    File,
    /// A zip archive: its members are listed after it.
    Archive,
    /// A member of an archive.
    Member,
}

impl StreamKind {
    /// `file`, `archive` or `member`, as sources.parquet and the manifest write it.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::File => "file",
            StreamKind::Archive => "archive",
            StreamKind::Member => "member",
        }
    }

    /// The kind of a stream that is a member when it has a member name.
    pub fn of(member: Option<&str>) -> Self {
        match member {
            Some(_) => StreamKind::Member,
            None => StreamKind::File,
        }
    }
}
