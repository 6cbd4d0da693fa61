//! manifest.json: what was read, what was written, and counts that reconcile.
//!
//! For every entity and every source: `read = written + duplicates + rejected`.
//! A reject of a whole file or of an unreadable span counts as one unit read.
//!
//! [`Manifest`] is the one typed form of the file, versioned
//! ([`MANIFEST_VERSION`]); every stage reads and writes it through
//! [`Manifest::read`] and [`Manifest::write`]: stage 1 writes it, stage 2 adds
//! its tables and `analysis`, the reports add `reports`, and `verify` and the
//! reports read it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod analysis;
pub mod verify;

use std::collections::BTreeMap;
use std::ops::AddAssign;
use std::path::Path;

use serde::{Deserialize, Serialize};

use analysis::AnalysisSummary;
use entrace_model::error::{Error, Result};

/// File name of the manifest inside an output directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// Version of the manifest's layout, written as `manifest_version`. Raised
/// when a field changes meaning or type; a reader refuses other versions.
/// Version 1: the first versioned manifest (with `_ns` timestamp companions
/// in the tables).
pub const MANIFEST_VERSION: u32 = 1;

/// Record counts of one entity or source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TableEntry {
    /// File name inside the output directory.
    pub file: String,
    /// Rows written.
    pub rows: u64,
    /// What the conversion counted: stage 1 tables only.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub conversion: Option<ConversionCounts>,
    /// SHA-256 of the file.
    pub sha256: String,
}

/// What the conversion counted for one stage 1 table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConversionCounts {
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
}

/// One evidence file or archive member.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputEntry {
    /// Row in sources.parquet.
    pub source_id: i32,
    /// Evidence file path.
    pub path: String,
    /// Archive member, if any.
    pub member: Option<String>,
    /// `file`, `archive` or `member`.
    pub kind: entrace_input::StreamKind,
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

/// The tool that wrote the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    /// `entrace`.
    pub name: String,
    /// Its version.
    pub version: String,
}

impl Tool {
    /// This build of entrace.
    pub fn this() -> Self {
        Tool {
            name: "entrace".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// The conversion's options in effect.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunOptions {
    /// Whether `ingest_raw` was kept.
    pub keep_raw: bool,
    /// Whether the first reject was fatal.
    pub strict: bool,
    /// Worker threads asked for (0: one per core).
    pub threads: usize,
    /// `--max-decompressed-size`, bytes.
    pub max_decompressed_size: u64,
}

/// When the conversion ran: the only non-deterministic values.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunTimes {
    /// Start, RFC 3339 UTC, seconds.
    pub started_at: String,
    /// End.
    pub finished_at: String,
}

/// The reports written, under `reports`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reports {
    /// Version of `report.json`'s layout.
    pub schema_version: u32,
    /// Per format key (`md`, `json`, `html`).
    pub files: BTreeMap<String, ReportFile>,
}

/// One report file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportFile {
    /// File name inside the output directory.
    pub file: String,
    /// Its size.
    pub bytes: u64,
    /// Its SHA-256.
    pub sha256: String,
}

/// The whole manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub manifest_version: u32,
    /// Tool name and version.
    pub tool: Tool,
    /// Command line arguments.
    pub arguments: Vec<String>,
    /// Options in effect.
    pub options: RunOptions,
    /// Wall-clock start and end (UTC); the only non-deterministic values.
    pub run: RunTimes,
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
    /// What stage 2 found, once it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<AnalysisSummary>,
    /// The reports written, once written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reports: Option<Reports>,
}

impl Manifest {
    /// Reads `dir`'s manifest. A directory without one is not an entrace
    /// output; a manifest of another version or shape is refused with what
    /// to do.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST_FILE);
        let bytes = std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::Usage(format!(
                    "{} is not an entrace output directory (no {MANIFEST_FILE}): run `entrace convert <EVIDENCE> -o {}` first",
                    dir.display(),
                    dir.display()
                ))
            } else {
                Error::io(&path, "cannot read", e)
            }
        })?;
        Self::parse(&bytes, &path)
    }

    /// Parses manifest text read from `path` (named in errors).
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Manifest> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
            Error::Usage(format!(
                "{}: not valid JSON ({e}); was it written by entrace?",
                path.display()
            ))
        })?;
        match value.get("manifest_version").and_then(serde_json::Value::as_u64) {
            Some(v) if v == u64::from(MANIFEST_VERSION) => {}
            Some(v) => {
                return Err(Error::Usage(format!(
                    "{}: manifest_version {v}, but this entrace reads version {MANIFEST_VERSION}: convert the evidence again with this version",
                    path.display()
                )))
            }
            None => {
                return Err(Error::Usage(format!(
                    "{}: no manifest_version: written by an entrace older than version {MANIFEST_VERSION} of the manifest (its tables lack the _ns timestamps): convert the evidence again",
                    path.display()
                )))
            }
        }
        serde_json::from_value(value)
            .map_err(|e| Error::Usage(format!("{}: not an entrace manifest: {e}", path.display())))
    }

    /// Writes the manifest into `dir`, replacing the old one atomically.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let bytes = self.to_json()?;
        entrace_table::output::replace_file(dir, MANIFEST_FILE, |p| {
            std::fs::write(p, &bytes).map_err(|e| Error::io(p, "cannot write", e))
        })
    }

    /// The manifest as the pretty-printed JSON of manifest.json.
    pub fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(self).map_err(|e| Error::Internal(format!("manifest: {e}")))
    }

    /// Every output file the manifest lists with its SHA-256: the tables,
    /// then the reports.
    pub fn output_files(&self) -> Vec<(&str, &str)> {
        let tables = self
            .tables
            .values()
            .map(|t| (t.file.as_str(), t.sha256.as_str()));
        let reports = self
            .reports
            .iter()
            .flat_map(|r| r.files.values())
            .map(|f| (f.file.as_str(), f.sha256.as_str()));
        tables.chain(reports).collect()
    }
}
