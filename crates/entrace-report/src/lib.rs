//! What people read: renderings of the stage 2 tables.
//!
//! [`gather`] reads an analysed OUT_DIR (manifest and Parquet only) into a
//! [`model::Report`]; the renderers turn it into `report.md`
//! ([`markdown`]), `report.json` (serde) and `report.html` ([`html`]), and
//! [`terminal`] prints the summary. [`timeline`] is the `entrace timeline`
//! view of one user's rows.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod completeness;
pub mod gather;
pub mod html;
pub mod markdown;
pub mod model;
pub mod stats;
pub mod svg;
mod tables;
pub mod terminal;
pub mod timeline;
mod users;

use std::path::Path;

use sha2::{Digest, Sha256};

use entrace_manifest::{Manifest, ReportFile, Reports};
use entrace_model::error::{Error, Result};
use entrace_table::output::replace_file;
use model::Report;

/// A written report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// `report.md`.
    Markdown,
    /// `report.json`.
    Json,
    /// `report.html`.
    Html,
}

impl Format {
    /// Every format, in the order they are written.
    pub const ALL: [Format; 3] = [Format::Markdown, Format::Json, Format::Html];

    /// `md`, `json` or `html`: the `--report` value and the manifest key.
    pub fn key(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Json => "json",
            Format::Html => "html",
        }
    }

    /// The file name in OUT_DIR.
    pub fn file(self) -> &'static str {
        match self {
            Format::Markdown => "report.md",
            Format::Json => "report.json",
            Format::Html => "report.html",
        }
    }

    /// Parses `md`, `json` or `html`.
    pub fn parse(s: &str) -> std::result::Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.key().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown report format {s:?}: expected md, json or html"))
    }
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: Format) -> Result<Vec<u8>> {
    match format {
        Format::Markdown => Ok(markdown::render(report).into_bytes()),
        Format::Json => {
            let mut v = serde_json::to_vec_pretty(report)
                .map_err(|e| Error::Internal(format!("report.json: {e}")))?;
            v.push(b'\n');
            Ok(v)
        }
        Format::Html => Ok(html::render(report)?.into_bytes()),
    }
}

/// Removes every report file of `dir` and records none in the manifest:
/// what [`write`] does when no format is asked for, without building a
/// report nobody reads (`--no-report -q`).
pub fn remove(dir: &Path) -> Result<()> {
    for format in Format::ALL {
        let path = dir.join(format.file());
        if path.exists() {
            std::fs::remove_file(&path)
                .map_err(|e| Error::io(&path, "cannot remove stale report", e))?;
        }
    }
    let mut manifest = Manifest::read(dir)?;
    manifest.reports = Some(Reports {
        schema_version: model::SCHEMA_VERSION,
        files: std::collections::BTreeMap::new(),
    });
    manifest.write(dir)
}

/// Builds the report of `dir` and writes the `formats` asked for into it,
/// each replaced atomically. Report files of formats not asked for are
/// removed, so OUT_DIR never holds a report older than its tables. The
/// manifest records each written file with its SHA-256 under `reports`.
/// Returns the report and the names written.
pub fn write(dir: &Path, formats: &[Format]) -> Result<(Report, Vec<String>)> {
    let report = gather::gather(dir)?;
    let mut written = Vec::new();
    let mut files = std::collections::BTreeMap::new();
    for format in Format::ALL {
        let path = dir.join(format.file());
        if !formats.contains(&format) {
            if path.exists() {
                std::fs::remove_file(&path)
                    .map_err(|e| Error::io(&path, "cannot remove stale report", e))?;
            }
            continue;
        }
        let bytes = render(&report, format)?;
        replace_file(dir, format.file(), |p| {
            std::fs::write(p, &bytes).map_err(|e| Error::io(p, "cannot write", e))
        })?;
        files.insert(
            format.key().to_string(),
            ReportFile {
                file: format.file().to_string(),
                bytes: bytes.len() as u64,
                sha256: hex::encode(Sha256::digest(&bytes)),
            },
        );
        written.push(format.file().to_string());
    }
    let mut manifest = Manifest::read(dir)?;
    manifest.reports = Some(Reports {
        schema_version: model::SCHEMA_VERSION,
        files,
    });
    manifest.write(dir)?;
    Ok((report, written))
}
