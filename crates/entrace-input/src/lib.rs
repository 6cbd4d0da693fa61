//! Evidence discovery and reading: directories, archives, compression, text
//! encodings and hashes. Produces byte streams ready for the parser.
//!
//! Invariants: evidence is only ever opened for reading; every file and archive
//! member found is reported, readable or not. Not here: JSON of any kind.

pub(crate) mod container;
pub(crate) mod encoding;
#[cfg(test)]
mod fuzz_checks;
pub(crate) mod walk;

pub(crate) use container::{open_evidence, Leaf, LeafBytes};
pub(crate) use walk::discover;

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
    pub(crate) fn of(member: Option<&str>) -> Self {
        match member {
            Some(_) => StreamKind::Member,
            None => StreamKind::File,
        }
    }
}
