//! manifest.json: what was read, what was written, and counts that reconcile.
//!
//! For every entity and every source: `read = written + duplicates + rejected`.
//! A reject of a whole file or of an unreadable span counts as one unit read.

use std::collections::BTreeMap;
use std::ops::AddAssign;

use serde::Serialize;

/// Record counts of one entity or source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Records and unreadable spans encountered.
    pub read: u64,
    /// Rows in the tables.
    pub written: u64,
    /// Copies of an id already written.
    pub duplicates: u64,
    /// Rows in rejects.parquet.
    pub rejected: u64,
}

impl Counts {
    /// Whether `read = written + duplicates + rejected`.
    pub fn reconciles(&self) -> bool {
        self.read == self.written + self.duplicates + self.rejected
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.read += o.read;
        self.written += o.written;
        self.duplicates += o.duplicates;
        self.rejected += o.rejected;
    }
}

/// One output table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableEntry {
    /// File name inside the output directory.
    pub file: String,
    /// Rows written.
    pub rows: u64,
    /// Duplicate copies dropped.
    pub duplicates: u64,
    /// Dropped copies whose content differed from the kept copy.
    pub conflicting_duplicates: u64,
    /// Rejected records of this entity.
    pub rejected: u64,
    /// Rows with at least one unreadable value (see `ingest_issues`).
    pub rows_with_issues: u64,
    /// Unknown properties seen, by Graph path (schema drift).
    pub schema_drift: BTreeMap<String, u64>,
    /// Earliest event time written (RFC 3339, UTC).
    pub first_time: Option<String>,
    /// Latest event time written.
    pub last_time: Option<String>,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// One evidence file or archive member.
#[derive(Debug, Clone, Serialize)]
pub struct InputEntry {
    /// Row in sources.parquet.
    pub source_id: i32,
    /// Evidence file path.
    pub path: String,
    /// Archive member, if any.
    pub member: Option<String>,
    /// `file`, `archive` or `member`.
    pub kind: String,
    /// Bytes as stored.
    pub size: u64,
    /// Bytes after decompression.
    pub decompressed_size: Option<u64>,
    /// SHA-256 (stored bytes for files, extracted content for members).
    pub sha256: String,
    /// `none`, `gzip`, `zstd`, `zip`, or the zip method.
    pub compression: String,
    /// Detected text encoding.
    pub encoding: Option<String>,
    /// Detected layout.
    pub shape: Option<String>,
    /// Entity of the records, `mixed` when several.
    pub entity: Option<String>,
    /// Counts over all entities of this source.
    #[serde(flatten)]
    pub counts: Counts,
}

/// The whole manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// Tool name and version.
    pub tool: BTreeMap<&'static str, String>,
    /// Command line arguments.
    pub arguments: Vec<String>,
    /// Options in effect.
    pub options: BTreeMap<&'static str, serde_json::Value>,
    /// Wall-clock start and end (UTC); the only non-deterministic values.
    pub run: BTreeMap<&'static str, String>,
    /// Output tables by name.
    pub tables: BTreeMap<String, TableEntry>,
    /// Counts per entity (`unknown` for rejects whose entity could not be told).
    pub entities: BTreeMap<String, Counts>,
    /// Counts over everything.
    pub totals: Counts,
    /// Rejects per reason code.
    pub rejects_by_reason: BTreeMap<String, u64>,
    /// Every input, in source id order.
    pub inputs: Vec<InputEntry>,
    /// Structural notes that lost nothing, `path[!member]: note`.
    pub warnings: Vec<String>,
}
