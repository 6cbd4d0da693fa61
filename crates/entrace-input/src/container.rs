//! Containers: gzip and zstd streams (chosen by magic bytes, not by name) and
//! zip archives, read in memory and never extracted to disk.
//!
//! Two limits guard against bombs, and a stream that passes either becomes a
//! `limit_exceeded` reject instead of eating the machine:
//! - absolute: one stream (file, gzip/zstd stream, zip member) may not grow
//!   past `--max-decompressed-size`;
//! - ratio: all the streams of one evidence file together may not grow past
//!   [`MAX_RATIO`] times its size on disk (but always up to the absolute
//!   limit). Deflate cannot pass about 1,032:1, so only bombs trip this: zip
//!   members that overlap, zips nested in zips, or zstd frames of nothing.
//!
//! Nested zips are opened up to [`MAX_NESTING`] levels; member paths are joined
//! with `!`.

use std::io::{Cursor, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::parse::reject::Reason;
use crate::Compression;

/// How deep zips inside zips are opened.
pub const MAX_NESTING: usize = 3;

/// Most bytes one evidence file may decompress to in total, per byte stored.
pub const MAX_RATIO: u64 = 1_000;

/// What is left to decompress from one evidence file.
pub struct Budget {
    /// Absolute limit of one stream (`--max-decompressed-size`).
    limit: u64,
    /// Bytes the whole file may still decompress to (ratio limit).
    left: u64,
    /// The ratio limit in bytes, for messages.
    total: u64,
}

impl Budget {
    /// The budget of an evidence file of `stored_size` bytes, with
    /// `--max-decompressed-size` `limit`.
    pub fn new(stored_size: u64, limit: u64) -> Self {
        let total = stored_size.saturating_mul(MAX_RATIO).max(limit);
        Budget {
            limit,
            left: total,
            total,
        }
    }

    /// The most the next stream may decompress to: the absolute limit or
    /// what is left of the ratio budget, whichever is smaller.
    pub fn stream_limit(&self) -> Limit {
        if self.limit <= self.left {
            Limit {
                bytes: self.limit,
                message: format!(
                    "decompressed size exceeds the limit of {} bytes (--max-decompressed-size)",
                    self.limit
                ),
            }
        } else {
            Limit {
                bytes: self.left,
                message: format!(
                    "decompression bomb: the evidence file expands past {} bytes, {MAX_RATIO} times its size",
                    self.total
                ),
            }
        }
    }

    /// Counts `bytes` decompressed against the ratio budget.
    pub fn spend(&mut self, bytes: u64) {
        self.left = self.left.saturating_sub(bytes);
    }
}

/// The most bytes one stream may decompress to, and what to say when it
/// passes them.
#[derive(Debug, Clone)]
pub struct Limit {
    /// Decompressed bytes allowed.
    pub bytes: u64,
    /// The error message given when they are passed.
    pub message: String,
}

impl Limit {
    /// No limit (a plain file is as large as it is).
    pub fn none() -> Self {
        Limit {
            bytes: u64::MAX,
            message: String::new(),
        }
    }
}

/// A stream decompressed past its [`Limit`]: the error inside the
/// `std::io::Error` a limited reader returns.
#[derive(Debug)]
pub struct LimitExceeded(pub String);

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LimitExceeded {}

/// One byte stream found in the evidence: a plain file, a decompressed file, or
/// an archive member. Archives themselves are leaves too (with no bytes), so the
/// sources table lists every container that was opened.
pub struct Leaf {
    /// Evidence file path as given or found.
    pub path: String,
    /// Archive member path (`dir/a.json`, nested: `inner.zip!a.json`).
    pub member: Option<String>,
    /// Bytes as stored (file size, or compressed member size).
    pub stored_size: u64,
    /// SHA-256 of the bytes as stored on disk for files, of the extracted
    /// content for archive members.
    pub sha256: String,
    /// How it is stored.
    pub compression: Compression,
    /// What was read; taken by the parser, which leaves [`LeafBytes::Consumed`].
    pub bytes: LeafBytes,
}

/// The content of a leaf, or why it has none.
pub enum LeafBytes {
    /// Decompressed content, ready for decoding.
    Data(Vec<u8>),
    /// An archive whose members are listed as leaves of their own.
    Archive,
    /// Unreadable: why (`IoError`, `DecompressFailed` or `LimitExceeded`)
    /// and a message.
    Failed(Reason, String),
    /// Parsed already; only the size is left.
    Consumed(u64),
}

impl Leaf {
    /// Size after decompression, when known.
    pub fn decompressed_size(&self) -> Option<u64> {
        match &self.bytes {
            LeafBytes::Data(d) => Some(d.len() as u64),
            LeafBytes::Consumed(n) => Some(*n),
            _ => None,
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

enum Magic {
    Gzip,
    Zstd,
    Zip,
    Plain,
}

fn sniff(b: &[u8]) -> Magic {
    match b {
        [0x1f, 0x8b, ..] => Magic::Gzip,
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Magic::Zstd,
        [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Magic::Zip,
        _ => Magic::Plain,
    }
}

/// Reads one evidence file into its leaves (one, or the archive and its members).
pub fn open_evidence(path: &Path, limit: u64) -> Vec<Leaf> {
    let display = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            return vec![Leaf {
                path: display,
                member: None,
                stored_size: 0,
                sha256: String::new(),
                compression: Compression::None,
                bytes: LeafBytes::Failed(Reason::IoError, format!("cannot read file: {e}")),
            }]
        }
    };
    let mut out = Vec::new();
    let stored_size = bytes.len() as u64;
    let sha256 = sha256_hex(&bytes);
    let mut budget = Budget::new(stored_size, limit);
    expand(
        &display,
        None,
        bytes,
        stored_size,
        sha256,
        &mut budget,
        0,
        &mut out,
    );
    out
}

#[allow(clippy::too_many_arguments)]
fn expand(
    path: &str,
    member: Option<String>,
    bytes: Vec<u8>,
    stored_size: u64,
    sha256: String,
    budget: &mut Budget,
    depth: usize,
    out: &mut Vec<Leaf>,
) {
    let limit = budget.limit;
    let leaf = |compression: Compression, bytes: LeafBytes| Leaf {
        path: path.to_string(),
        member: member.clone(),
        stored_size,
        sha256: sha256.clone(),
        compression,
        bytes,
    };
    match sniff(&bytes) {
        Magic::Gzip => {
            let decoder = flate2::read::MultiGzDecoder::new(Cursor::new(bytes));
            out.push(leaf(Compression::Gzip, read_limited(decoder, budget)));
        }
        Magic::Zstd => match zstd::stream::read::Decoder::new(Cursor::new(bytes)) {
            Ok(decoder) => out.push(leaf(Compression::Zstd, read_limited(decoder, budget))),
            Err(e) => out.push(leaf(
                Compression::Zstd,
                LeafBytes::Failed(Reason::DecompressFailed, format!("zstd: {e}")),
            )),
        },
        Magic::Zip if depth < MAX_NESTING => {
            out.push(leaf(Compression::Zip, LeafBytes::Archive));
            expand_zip(path, member.as_deref(), bytes, budget, depth, out);
        }
        Magic::Zip | Magic::Plain => {
            if bytes.len() as u64 > limit {
                let msg = format!(
                    "{} bytes exceed the limit of {limit} bytes (--max-decompressed-size)",
                    bytes.len()
                );
                out.push(leaf(
                    Compression::None,
                    LeafBytes::Failed(Reason::LimitExceeded, msg),
                ));
            } else {
                out.push(leaf(Compression::None, LeafBytes::Data(bytes)));
            }
        }
    }
}

fn expand_zip(
    path: &str,
    parent: Option<&str>,
    bytes: Vec<u8>,
    budget: &mut Budget,
    depth: usize,
    out: &mut Vec<Leaf>,
) {
    let join = |name: &str| match parent {
        Some(p) => format!("{p}!{name}"),
        None => name.to_string(),
    };
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            if let Some(last) = out.last_mut() {
                last.bytes = LeafBytes::Failed(
                    Reason::DecompressFailed,
                    format!("unreadable zip archive: {e}"),
                );
            }
            return;
        }
    };
    for (name, index) in zip_members(&archive) {
        let member = join(&name);
        match archive.by_index(index) {
            Ok(mut file) => expand_member(path, member, &mut file, budget, depth, out),
            Err(e) => out.push(member_failed(path, member, &e)),
        }
    }
}

/// The files of a zip archive (not its directories), sorted by name, with
/// their indexes.
pub fn zip_members<R: Read + std::io::Seek>(archive: &zip::ZipArchive<R>) -> Vec<(String, usize)> {
    let mut members: Vec<(String, usize)> = (0..archive.len())
        .filter_map(|i| archive.name_for_index(i).map(|n| (n.to_string(), i)))
        .filter(|(n, _)| !n.ends_with('/'))
        .collect();
    members.sort();
    members
}

/// How a zip member is stored, by its method.
pub fn zip_method<R: Read>(file: &zip::read::ZipFile<'_, R>) -> Compression {
    Compression::ZipMethod(file.compression())
}

/// The leaf of a member that cannot even be opened.
pub fn member_failed(path: &str, member: String, e: &zip::result::ZipError) -> Leaf {
    Leaf {
        path: path.to_string(),
        member: Some(member),
        stored_size: 0,
        sha256: String::new(),
        compression: Compression::Unknown,
        bytes: LeafBytes::Failed(
            Reason::DecompressFailed,
            format!("cannot open zip member: {e}"),
        ),
    }
}

/// Reads the zip member `file` (`member`, of the archive at depth `depth`)
/// whole and appends its leaves to `out`: the member, or a nested archive
/// and its members.
pub fn expand_member<R: Read>(
    path: &str,
    member: String,
    file: &mut zip::read::ZipFile<'_, R>,
    budget: &mut Budget,
    depth: usize,
    out: &mut Vec<Leaf>,
) {
    let stored = file.compressed_size();
    let method = zip_method(file);
    match read_limited(file, budget) {
        LeafBytes::Data(content) => {
            let sha = sha256_hex(&content);
            let before = out.len();
            expand(
                path,
                Some(member),
                content,
                stored,
                sha,
                budget,
                depth + 1,
                out,
            );
            // A plain member keeps the zip method as its compression.
            if let Some(l) = out.get_mut(before) {
                if l.compression.is_none() {
                    l.compression = method;
                }
            }
        }
        failed => out.push(Leaf {
            path: path.to_string(),
            member: Some(member),
            stored_size: stored,
            sha256: String::new(),
            compression: method,
            bytes: failed,
        }),
    }
}

/// Reads a decompressing stream to the end, or fails when it passes the
/// absolute limit or the evidence file's ratio budget, whichever is smaller.
/// What was read counts against the budget either way.
fn read_limited(reader: impl Read, budget: &mut Budget) -> LeafBytes {
    let limit = budget.stream_limit();
    let mut buf = Vec::new();
    let result = reader
        .take(limit.bytes.saturating_add(1))
        .read_to_end(&mut buf);
    budget.spend(buf.len() as u64);
    match result {
        Ok(_) if buf.len() as u64 > limit.bytes => {
            LeafBytes::Failed(Reason::LimitExceeded, limit.message)
        }
        Ok(_) => LeafBytes::Data(buf),
        Err(e) => LeafBytes::Failed(Reason::DecompressFailed, format!("cannot decompress: {e}")),
    }
}
