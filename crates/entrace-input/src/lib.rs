//! Reading the evidence, up to the records' keys: discovery (`walk`), the
//! one path every stream takes (`stream`: stored, decompressed, counted
//! against the limits of `container`, decoded by `encoding`, in one window
//! or many), hashes, and the parser (`parse`: record spans, simd-json, entity and
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
pub mod stream;
pub mod walk;

pub use container::{Leaf, LeafBytes};
pub use walk::discover;

/// How a stream is stored, as sources.parquet's `compression` and the
/// manifest name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Stored plain.
    None,
    /// gzip (every member of a multi-member file is read).
    Gzip,
    /// Zstandard.
    Zstd,
    /// A zip archive (its members are sources of their own).
    Zip,
    /// A plain zip member, stored with this zip method (`stored`,
    /// `deflated`, or one entrace cannot read, as the zip crate names it).
    ZipMethod(zip::CompressionMethod),
    /// A zip member that could not even be opened.
    Unknown,
}

impl Compression {
    /// The name written in sources.parquet: `none`, `gzip`, `zstd`, `zip`,
    /// a zip method in lower case, or `unknown`.
    pub fn name(self) -> String {
        match self {
            Compression::None => "none".into(),
            Compression::Gzip => "gzip".into(),
            Compression::Zstd => "zstd".into(),
            Compression::Zip => "zip".into(),
            Compression::ZipMethod(method) => method.to_string().to_ascii_lowercase(),
            Compression::Unknown => "unknown".into(),
        }
    }

    /// Whether the stream is stored plain (a file entrace can read in place).
    pub fn is_none(self) -> bool {
        self == Compression::None
    }
}

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

#[cfg(test)]
mod tests {
    use super::Compression;

    #[test]
    fn compression_names_are_those_sources_parquet_has_always_written() {
        let names: Vec<String> = [
            Compression::None,
            Compression::Gzip,
            Compression::Zstd,
            Compression::Zip,
            Compression::ZipMethod(zip::CompressionMethod::Stored),
            Compression::ZipMethod(zip::CompressionMethod::Deflated),
            Compression::Unknown,
        ]
        .into_iter()
        .map(Compression::name)
        .collect();
        assert_eq!(
            names,
            ["none", "gzip", "zstd", "zip", "stored", "deflated", "unknown"]
        );
    }
}
