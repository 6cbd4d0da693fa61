//! Writes records as Microsoft Graph collection pages, the way raw collectors
//! save them: `{"@odata.context":…,"@odata.nextLink":…,"value":[…]}`, one
//! page per file, newest first, with a nextLink on every page but the last.
//!
//! Pages are cut from the records newest first; page `i` (from 0) is written
//! in the `i mod k`-th of the `k` chosen layouts ([`Shape`]); overlap pages
//! repeat records across a page boundary.
//!
//! Invariants: with the compact shape alone, compact JSON, UTF-8 without BOM,
//! byte-identical to serialising the records in memory; every collection
//! writes at least one page or stream (an empty `value` when there is
//! nothing), so the layout is the same for every tenant size; at most one page
//! of records is in memory at a time.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::rng::Rng;
use super::shape::{rotation, Shape};
use super::spill::{Coll, Entry, Spilled};
use super::GenerateSummary;
use entrace_model::error::{Error, Result};

/// A paged Graph collection.
#[derive(Debug)]
pub(crate) struct Collection {
    /// Folder inside the output directory.
    pub dir: &'static str,
    /// `@odata.context`.
    pub context: &'static str,
    /// The request URL the nextLinks continue (before `$skiptoken`).
    pub next: &'static str,
}

/// v1.0 interactive sign-ins.
pub(crate) const SIGN_INS: Collection = Collection {
    dir: "signins",
    context: "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
    next: "https://graph.microsoft.com/v1.0/auditLogs/signIns?",
};

/// Beta non-interactive sign-ins.
pub(crate) const SIGN_INS_BETA: Collection = Collection {
    dir: "signins-beta",
    context: "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
    next: "https://graph.microsoft.com/beta/auditLogs/signIns?$filter=signInEventTypes/any(t:%20t%20eq%20%27nonInteractiveUser%27)&",
};

/// v1.0 directory audits.
pub(crate) const DIRECTORY_AUDITS: Collection = Collection {
    dir: "directory_audits",
    context: "https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits",
    next: "https://graph.microsoft.com/v1.0/auditLogs/directoryAudits?",
};

/// `@odata.context` of riskDetections.
pub(crate) const RISK_DETECTIONS: &str =
    "https://graph.microsoft.com/v1.0/$metadata#identityProtection/riskDetections";
/// `@odata.context` of riskyUsers.
pub(crate) const RISKY_USERS: &str =
    "https://graph.microsoft.com/v1.0/$metadata#identityProtection/riskyUsers";

fn internal(e: serde_json::Error) -> Error {
    Error::Internal(format!("generate: cannot serialise a page: {e}"))
}

/// One compact page as bytes, the records read back from the spill.
fn page(
    spill: &mut Spilled,
    context: &str,
    next: Option<&str>,
    items: &[Entry],
) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(items.len() * 1400 + 256);
    buf.extend_from_slice(b"{\"@odata.context\":");
    serde_json::to_writer(&mut buf, context).map_err(internal)?;
    if let Some(next) = next {
        buf.extend_from_slice(b",\"@odata.nextLink\":");
        serde_json::to_writer(&mut buf, next).map_err(internal)?;
    }
    buf.extend_from_slice(b",\"value\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        spill.read_into(*item, &mut buf)?;
    }
    buf.extend_from_slice(b"]}");
    Ok(buf)
}

/// The compact page re-printed with 2-space indentation (key order kept).
fn pretty(compact: &[u8]) -> Result<Vec<u8>> {
    let value: serde_json::Value = serde_json::from_slice(compact).map_err(internal)?;
    let mut out = Vec::with_capacity(compact.len() * 3 / 2);
    serde_json::to_writer_pretty(&mut out, &value).map_err(internal)?;
    out.push(b'\n');
    Ok(out)
}

/// UTF-16LE with a byte order mark.
fn utf16le(text: &[u8]) -> Result<Vec<u8>> {
    let text = std::str::from_utf8(text)
        .map_err(|e| Error::Internal(format!("generate: a page is not UTF-8: {e}")))?;
    let mut out = Vec::with_capacity(text.len() * 2 + 2);
    out.extend_from_slice(&[0xFF, 0xFE]);
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    Ok(out)
}

fn gzip(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes)
        .and_then(|()| enc.finish())
        .map_err(|e| Error::io(path, "compressing a generated page", e))
}

fn write(path: &Path, bytes: &[u8], summary: &mut GenerateSummary) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::io(path, "writing a generated page", e))?;
    summary.bytes += bytes.len() as u64;
    summary.files.push(path.to_path_buf());
    Ok(())
}

/// One collection's JSON Lines or array file, written as chunks arrive.
struct Stream {
    path: PathBuf,
    out: BufWriter<File>,
    array: bool,
    items: u64,
    bytes: u64,
}

impl Stream {
    fn open(path: PathBuf, array: bool) -> Result<Stream> {
        let file =
            File::create(&path).map_err(|e| Error::io(&path, "creating a generated file", e))?;
        Ok(Stream {
            path,
            out: BufWriter::with_capacity(1 << 20, file),
            array,
            items: 0,
            bytes: 0,
        })
    }

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.bytes += bytes.len() as u64;
        self.out
            .write_all(bytes)
            .map_err(|e| Error::io(&self.path, "writing a generated file", e))
    }

    fn records(&mut self, spill: &mut Spilled, items: &[Entry], buf: &mut Vec<u8>) -> Result<()> {
        for item in items {
            buf.clear();
            let sep: &[u8] = match (self.array, self.items) {
                (true, 0) => b"[\n",
                (true, _) => b",\n",
                (false, _) => b"",
            };
            buf.extend_from_slice(sep);
            spill.read_into(*item, buf)?;
            if !self.array {
                buf.push(b'\n');
            }
            self.items += 1;
            self.put(buf)?;
        }
        Ok(())
    }

    fn close(mut self, summary: &mut GenerateSummary) -> Result<()> {
        if self.array {
            let end: &[u8] = if self.items == 0 { b"[]\n" } else { b"\n]\n" };
            self.put(end)?;
        }
        self.out
            .flush()
            .map_err(|e| Error::io(&self.path, "writing a generated file", e))?;
        summary.bytes += self.bytes;
        summary.files.push(self.path);
        Ok(())
    }
}

/// How pages are cut and laid out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout<'s> {
    /// Records per page.
    pub per_page: usize,
    /// The chosen shapes.
    pub shapes: &'s [Shape],
}

/// Writes collection `coll` (already newest first in the spill) as
/// `dir/<collection>/page-NNNN.json` and whichever other layouts are chosen.
pub(crate) fn write_pages(
    root: &Path,
    c: &Collection,
    coll: Coll,
    spill: &mut Spilled,
    layout: Layout<'_>,
    rng: &mut Rng,
    summary: &mut GenerateSummary,
) -> Result<()> {
    let dir = root.join(c.dir);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "creating an output folder", e))?;
    let items = spill.entries(coll).to_vec();
    let chunks: Vec<&[Entry]> = if items.is_empty() {
        vec![&items[..]]
    } else {
        items.chunks(layout.per_page).collect()
    };
    let (kinds, overlap) = rotation(layout.shapes);
    let token = rng.hex(32);
    let next_of = |i: usize| {
        (i + 1 < chunks.len()).then(|| format!("{}$skiptoken={token}_{}", c.next, i + 1))
    };
    let (mut jsonl, mut array): (Option<Stream>, Option<Stream>) = (None, None);
    let mut buf = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let name = format!("page-{:04}.json", i + 1);
        match kinds[i % kinds.len()] {
            Shape::Jsonl | Shape::Array => {
                let array_shape = kinds[i % kinds.len()] == Shape::Array;
                let slot = if array_shape { &mut array } else { &mut jsonl };
                if slot.is_none() {
                    let file = if array_shape {
                        "export-array.json"
                    } else {
                        "export.jsonl"
                    };
                    *slot = Some(Stream::open(dir.join(file), array_shape)?);
                }
                if let Some(stream) = slot.as_mut() {
                    stream.records(spill, chunk, &mut buf)?;
                }
            }
            kind => {
                let compact = page(spill, c.context, next_of(i).as_deref(), chunk)?;
                let (path, bytes) = match kind {
                    Shape::Pretty => (dir.join(name), pretty(&compact)?),
                    Shape::Utf16 => (dir.join(name), utf16le(&compact)?),
                    Shape::Gzip => {
                        let path = dir.join(format!("{name}.gz"));
                        let bytes = gzip(&compact, &path)?;
                        (path, bytes)
                    }
                    _ => (dir.join(name), compact),
                };
                write(&path, &bytes, summary)?;
            }
        }
        if overlap && i % 3 == 1 {
            let (before, after) = (chunks[i - 1], *chunk);
            let mut again: Vec<Entry> = before[before.len() / 2..].to_vec();
            again.extend_from_slice(&after[..(layout.per_page / 2).min(after.len())]);
            let bytes = page(spill, c.context, next_of(i).as_deref(), &again)?;
            write(
                &dir.join(format!("rerun-{:04}.json", i + 1)),
                &bytes,
                summary,
            )?;
            summary.duplicates += again.len() as u64;
        }
    }
    for stream in [jsonl, array].into_iter().flatten() {
        stream.close(summary)?;
    }
    Ok(())
}

/// Writes collection `coll` as one compact page file (Identity Protection
/// lists are short).
pub(crate) fn write_single(
    path: &Path,
    context: &str,
    coll: Coll,
    spill: &mut Spilled,
    summary: &mut GenerateSummary,
) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "creating an output folder", e))?;
    }
    let items = spill.entries(coll).to_vec();
    write(path, &page(spill, context, None, &items)?, summary)
}
