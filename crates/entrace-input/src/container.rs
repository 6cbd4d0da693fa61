//! What the stream readers ([`crate::stream`]) share about containers: the
//! leaves a stream becomes, the zip helpers, and the decompression limits.
//! Nothing is ever extracted to disk.
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

use std::io::Read;

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

    /// The message for a plain stream of `size` bytes when that passes the
    /// absolute limit (a plain stream spends no ratio budget).
    pub fn exceeded_by(&self, size: u64) -> Option<String> {
        (size > self.limit).then(|| {
            format!(
                "{size} bytes exceed the limit of {} bytes (--max-decompressed-size)",
                self.limit
            )
        })
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
