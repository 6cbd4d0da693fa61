//! The first pass over one evidence file, by one path for every stream:
//!
//! ```text
//! stored ─▶ decompressed ─▶ counted ─▶ decoded ─▶ windows ─▶ keys and rejects
//! (hashed)  (gzip, zstd)    (limits)   (UTF-8)    (one, or many)
//! ```
//!
//! Every stream, whether an evidence file or a zip member, is read through
//! the same readers ([`source`]): its stored bytes, hashed as they are
//! read; their decompression, chosen once by magic bytes
//! ([`Magic::of`]); the decompressed bytes, counted against the
//! decompression limits ([`crate::container::Budget`]); and the text.
//! The last step is the only choice: a stream large enough and of a layout
//! that can be cut (JSON Lines, concatenated values, one large array or
//! page) is decoded and parsed in many windows ([`window`]), so a
//! multi-gigabyte file never sits in memory whole; any other is one window,
//! read whole and decoded at once ([`whole`]). Both give the same keys,
//! rejects and positions (the window tests check it against the whole
//! read). A zip is read through its central directory, one member at a
//! time ([`archive`]); a zip inside a member is opened in memory, up to
//! [`crate::container::MAX_NESTING`] levels.
//!
//! Evidence is only opened for reading. Text the second pass cannot read in
//! place (decompressed, transcoded, or inside an archive) is copied once to
//! the spill directory the caller gives.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use entrace_model::error::{Error, Result};

use crate::container::{Leaf, LeafBytes};
use crate::encoding::decode;
use crate::parse::reject::{Locator, Reason, Reject};
use crate::parse::{parse_leaf, KeySet, LeafParse, UNKNOWN};
use crate::StreamKind;

mod archive;
mod source;
mod whole;
mod window;

pub use source::Magic;
pub use whole::{hash_evidence, StreamHash};
pub use window::{WindowOptions, WINDOWED_MIN, WINDOW_BYTES};

/// One stream after the first pass: where it came from, how it was stored
/// and decoded, and what parsing it found.
pub struct Processed {
    /// The stream as found (path, member, sizes, hash, compression).
    pub leaf: Leaf,
    /// File, archive or member.
    pub kind: StreamKind,
    /// The text encoding detected, for streams that had text.
    pub encoding: Option<&'static str>,
    /// Records read, rejects, warnings and pages.
    pub parse: LeafParse,
}

impl Processed {
    /// `path` or `path!member`, as messages name the stream.
    pub fn display(&self) -> String {
        match &self.leaf.member {
            Some(m) => format!("{}!{m}", self.leaf.path),
            None => self.leaf.path.clone(),
        }
    }
}

/// One stream after the first pass, with its record keys and where its text
/// can be read again.
pub struct Parsed {
    /// What the stream is and what parsing it found.
    pub stream: Processed,
    /// The keys of its records, by window and entity.
    pub keys: Vec<KeySet>,
    /// Where the second pass reads its records' text.
    pub text: TextSource,
}

/// Where one stream's decoded text is, for the second pass.
#[derive(Debug, Clone)]
pub enum TextSource {
    /// A plain evidence file: byte `i` of the text is byte `base + i` of the file.
    Evidence {
        /// The evidence file.
        path: PathBuf,
        /// Bytes before the text (a UTF-8 byte order mark).
        base: u64,
    },
    /// Decoded text written to a temporary file.
    Spilled(PathBuf),
    /// Text held in memory (benches and tests).
    Memory(Vec<u8>),
    /// A stream with no records to read back.
    Empty,
}

impl TextSource {
    /// Where the text of `bytes`, decoded as `text`, can be read again:
    /// in place when `text` is a slice of the evidence file's own bytes,
    /// else from a copy written to `spill`.
    pub fn for_stream(
        evidence: Option<&Path>,
        bytes: &[u8],
        text: &[u8],
        spill: &Path,
    ) -> Result<Self> {
        let (b, t) = (bytes.as_ptr() as usize, text.as_ptr() as usize);
        if let Some(path) = evidence {
            if t >= b && t + text.len() <= b + bytes.len() {
                return Ok(TextSource::Evidence {
                    path: path.to_path_buf(),
                    base: (t - b) as u64,
                });
            }
        }
        std::fs::write(spill, text).map_err(|e| Error::io(spill, "cannot write spill file", e))?;
        Ok(TextSource::Spilled(spill.to_path_buf()))
    }
}

/// The first pass over the evidence file `path` (number `file` of the
/// conversion): every stream in it read, decoded and parsed into keys and
/// rejects, in order (an archive, then its members by name). Text the
/// second pass cannot read in place is written under `spill`.
pub fn read_evidence(
    path: &Path,
    file: usize,
    opts: WindowOptions,
    spill: &Path,
) -> Result<Vec<Parsed>> {
    if magic_of_file(path) == Some(Magic::Zip) {
        return archive::process_zip(path, file, opts, spill);
    }
    let copy = spill.join(format!("{file}-windows.txt"));
    if let Some(parsed) = window::process_windowed(path, opts, &copy)? {
        return Ok(vec![parsed]);
    }
    whole::read_file(path, opts.limit)
        .into_iter()
        .enumerate()
        .map(|(n, leaf)| parse_whole(path, file, n, leaf, spill))
        .collect()
}

/// What the first bytes of the file at `path` say it is, or `None` when it
/// cannot be read (reading it says why).
fn magic_of_file(path: &Path) -> Option<Magic> {
    let mut head = Vec::with_capacity(4);
    File::open(path)
        .and_then(|f| f.take(4).read_to_end(&mut head))
        .ok()?;
    Some(Magic::of(&head))
}

/// What an unreadable stream parses to: one reject for `reason`.
pub(crate) fn unreadable(reason: Reason, message: &str) -> LeafParse {
    let mut p = LeafParse {
        shape: "unreadable",
        ..LeafParse::default()
    };
    p.read.insert(UNKNOWN, 1);
    p.rejects.push(Reject {
        locator: Locator::default(),
        entity: None,
        reason,
        message: message.to_string(),
        excerpt: String::new(),
    });
    p
}

/// The one-window case: stream `n` of evidence file number `file` at
/// `path`, read whole into `leaf`, decoded and parsed at once.
pub(crate) fn parse_whole(
    path: &Path,
    file: usize,
    n: usize,
    mut leaf: Leaf,
    spill: &Path,
) -> Result<Parsed> {
    let bytes = std::mem::replace(&mut leaf.bytes, LeafBytes::Archive);
    let mut keys: Vec<KeySet> = Vec::new();
    let mut text = TextSource::Empty;
    let mut encoding = None;
    let kind = match (&bytes, &leaf.member) {
        (LeafBytes::Archive, _) => StreamKind::Archive,
        (_, member) => StreamKind::of(member.as_deref()),
    };
    let parse = match &bytes {
        LeafBytes::Data(data) => {
            let decoded = decode(data);
            encoding = Some(decoded.encoding.name());
            let (parse, parts) = parse_leaf(&decoded);
            if parts.iter().flatten().any(|k| !k.is_empty()) {
                let in_place =
                    (leaf.member.is_none() && leaf.compression.is_none()).then_some(path);
                let copy = spill.join(format!("{file}-{n}.txt"));
                text = TextSource::for_stream(in_place, data, &decoded.text, &copy)?;
            }
            keys = parts;
            parse
        }
        LeafBytes::Archive | LeafBytes::Consumed(_) => LeafParse {
            shape: "archive",
            ..LeafParse::default()
        },
        LeafBytes::Failed(reason, message) => unreadable(*reason, message),
    };
    leaf.bytes = match bytes {
        LeafBytes::Data(d) => LeafBytes::Consumed(d.len() as u64),
        other => other,
    };
    let stream = Processed {
        leaf,
        kind,
        encoding,
        parse,
    };
    Ok(Parsed { stream, keys, text })
}
