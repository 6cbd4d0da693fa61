//! The first pass over a large evidence file in windows, so a multi-GB
//! collector file never sits in memory whole.
//!
//! Two layouts can be cut into windows that parse exactly as the whole file
//! does: top-level values on their own lines ([`lines`]: JSON Lines,
//! concatenated objects or pages) and one large array or page ([`items`]).
//! Each window is scanned and parsed like a stream of its own, and its keys
//! and rejects are moved to their place in the file. The file may be plain
//! UTF-8 (the second pass then reads records in place) or gzip or zstd
//! ([`source`]: decompressed as it is read, and the text copied once for the
//! second pass), with or without a UTF-8 byte order mark. Anything else
//! (zip members, UTF-16 files, other layouts) is read whole by the caller.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

mod items;
mod lines;
mod source;

use self::source::{Counted, LimitExceeded, Stored, Text};
use super::{unreadable, Parsed, Processed};
use crate::error::{Error, Result};
use crate::input::container::MAX_RATIO;
use crate::input::{Leaf, LeafBytes};
use crate::parse::{KeySet, LeafParse};
use crate::table::texts::TextSource;

/// Plain files at least this large are read in windows when they can be;
/// compressed files from an eighth of it.
pub const WINDOWED_MIN: u64 = 256 << 20;
/// Bytes read per window (a window grows when one value is larger).
pub const WINDOW_BYTES: usize = 64 << 20;
/// Bytes looked at to decide whether a file can be windowed.
const HEAD_BYTES: usize = 1 << 20;

/// When and how to window.
#[derive(Debug, Clone, Copy)]
pub(super) struct WindowOptions {
    /// Smallest plain file read in windows.
    pub(super) min: u64,
    /// Bytes per window.
    pub(super) window: usize,
    /// `--max-decompressed-size`.
    pub(super) limit: u64,
}

impl WindowOptions {
    /// The converter's settings for `--max-decompressed-size` `limit`.
    pub(super) fn new(limit: u64) -> Self {
        WindowOptions {
            min: WINDOWED_MIN,
            window: WINDOW_BYTES,
            limit,
        }
    }
}

/// The first pass over `path` in windows, or `None` when it is too small or
/// cannot be cut (read it whole). Decompressed text is copied to `copy`.
pub(super) fn process_windowed(
    path: &Path,
    opts: WindowOptions,
    copy_to: &Path,
) -> Result<Option<Parsed>> {
    let io = |e| Error::io(path, "cannot read", e);
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size < opts.min / 8 {
        // Too small for any window: most files stop here, unopened.
        return Ok(None);
    }
    let mut magic = [0u8; 4];
    if File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_err()
    {
        // Unreadable or tiny: reading it whole reports why.
        return Ok(None);
    }
    let stored = Stored::new(File::open(path).map_err(io)?);
    let text = match magic {
        [0x1f, 0x8b, ..] if size >= opts.min / 8 => {
            Text::Gzip(Box::new(flate2::read::MultiGzDecoder::new(stored)))
        }
        [0x28, 0xb5, 0x2f, 0xfd] if size >= opts.min / 8 => {
            match zstd::stream::read::Decoder::new(stored) {
                Ok(d) => Text::Zstd(Box::new(d)),
                Err(_) => return Ok(None),
            }
        }
        [b'{' | b'[', ..] | [0xef, 0xbb, 0xbf, b'{' | b'['] if size >= opts.min => {
            Text::Plain(stored)
        }
        _ => return Ok(None),
    };
    // A UTF-8 byte order mark (Windows PowerShell's `-Encoding UTF8`).
    let bom: u64 = if magic[0] == 0xef { 3 } else { 0 };
    let compressed = !matches!(text, Text::Plain(_));
    let total = size.saturating_mul(MAX_RATIO).max(opts.limit);
    let limit = if !compressed {
        (u64::MAX, String::new())
    } else if opts.limit <= total {
        let l = opts.limit;
        (
            l,
            format!("decompressed size exceeds the limit of {l} bytes (--max-decompressed-size)"),
        )
    } else {
        (
            total,
            format!("decompression bomb: the evidence file expands past {total} bytes, {MAX_RATIO} times its size"),
        )
    };
    let copy = if compressed {
        let f =
            File::create(copy_to).map_err(|e| Error::io(copy_to, "cannot write spill file", e))?;
        Some(BufWriter::with_capacity(1 << 20, f))
    } else {
        None
    };
    let mut reader = Counted {
        text,
        copy,
        bytes: 0,
        limit,
    };
    let read = read_windows(&mut reader, opts.window, bom);
    let Counted {
        text, copy, bytes, ..
    } = reader;
    let mut leaf = Leaf {
        path: path.display().to_string(),
        member: None,
        stored_size: size,
        sha256: String::new(),
        compression: text.compression().into(),
        bytes: LeafBytes::Consumed(bytes),
    };
    let discard_copy = |copy: Option<BufWriter<File>>| {
        if copy.is_some() {
            drop(copy);
            let _ = std::fs::remove_file(copy_to);
        }
    };
    let windows = match read {
        Ok(Some(w)) => w,
        Ok(None) => {
            discard_copy(copy);
            return Ok(None);
        }
        Err(e) => {
            // Unreadable as a whole, as when read whole: one reject, no rows.
            let code = match e.get_ref().map(|r| r.is::<LimitExceeded>()) {
                Some(true) => "limit_exceeded",
                _ if compressed => "decompress_failed",
                _ => "io_error",
            };
            discard_copy(copy);
            leaf.sha256 = text.into_stored().finish().unwrap_or_default();
            let stream = Processed {
                leaf,
                kind: "file",
                encoding: None,
                parse: unreadable(code, &format!("cannot read: {e}")),
            };
            return Ok(Some(Parsed {
                stream,
                keys: Vec::new(),
                text: TextSource::Empty,
            }));
        }
    };
    leaf.sha256 = text.into_stored().finish().map_err(io)?;
    let source = match copy {
        Some(mut w) => {
            w.flush()
                .map_err(|e| Error::io(copy_to, "cannot write spill file", e))?;
            TextSource::Spilled(copy_to.to_path_buf())
        }
        None => TextSource::Evidence {
            path: path.to_path_buf(),
            base: bom,
        },
    };
    let encoding = if bom > 0 { "utf-8-bom" } else { "utf-8" };
    Ok(Some(windows.finish(leaf, source, encoding)))
}

/// Reads the head of `reader` and the rest in windows of the layout it has.
fn read_windows(reader: &mut Counted, window: usize, bom: u64) -> std::io::Result<Option<Windows>> {
    std::io::copy(&mut (&mut *reader).take(bom), &mut std::io::sink())?;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut *reader)
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    if lines::windowable(&head) {
        return lines::read_lines(reader, head, window, bom).map(|(w, _)| Some(w));
    }
    Ok(items::read_items(reader, head, window, bom)?.map(|(w, _)| w))
}

/// What the windows of one file parsed, put together.
#[derive(Default)]
pub(super) struct Windows {
    parse: LeafParse,
    /// The layout of each window, in order.
    pub(super) shapes: Vec<&'static str>,
    /// The layout of the whole file.
    pub(super) shape: &'static str,
    keys: Vec<KeySet>,
}

impl Windows {
    /// Adds one window's result. Its offsets already count from the file's
    /// start; its texts start `bytes` and its lines `lines` further on.
    pub(super) fn add(&mut self, part: LeafParse, sets: Vec<KeySet>, bytes: u64, lines: u64) {
        self.shapes.push(part.shape);
        for (entity, n) in part.read {
            *self.parse.read.entry(entity).or_default() += n;
        }
        for mut r in part.rejects {
            r.locator.line = r.locator.line.map(|l| l + lines);
            self.parse.rejects.push(r);
        }
        self.parse.warnings.extend(part.warnings);
        self.parse.pages += part.pages;
        self.parse.pages_with_next_link += part.pages_with_next_link;
        for mut set in sets {
            set.iter_mut().for_each(|k| k.shift(bytes, lines));
            self.keys.push(set);
        }
    }

    /// Counts the page every window repeated once: the windows were one
    /// document (see [`items`]).
    pub(super) fn one_document(&mut self) {
        self.parse.pages = self.parse.pages.min(1);
        self.parse.pages_with_next_link = self.parse.pages_with_next_link.min(1);
    }

    /// The stream of `leaf`, in `encoding`, whose text is at `text`.
    fn finish(mut self, leaf: Leaf, text: TextSource, encoding: &'static str) -> Parsed {
        self.parse.shape = self.shape;
        let stream = Processed {
            leaf,
            kind: "file",
            encoding: Some(encoding),
            parse: self.parse,
        };
        Parsed {
            stream,
            keys: self.keys,
            text,
        }
    }
}

/// [`process_windowed`] for tests: no decompression limit, the copy beside
/// `path`.
#[cfg(test)]
pub(super) fn windowed(path: &Path, min: u64, window: usize) -> Option<Parsed> {
    let opts = WindowOptions {
        min,
        window,
        limit: u64::MAX,
    };
    process_windowed(path, opts, &path.with_extension("copy")).unwrap()
}

#[cfg(test)]
mod tests {
    use super::lines::tests::rows;
    use super::*;
    use crate::input::encoding::decode;
    use crate::parse::parse_leaf;
    use sha2::{Digest, Sha256};

    fn jsonl() -> String {
        let lines: Vec<String> = crate::parse::sample_sign_ins()
            .iter()
            .map(|r| r.to_string())
            .collect();
        lines.join("\n") + "\n"
    }

    fn gzip(text: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(text).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn a_gzip_file_is_decompressed_window_by_window_and_copied_once() {
        let dir = tempfile::tempdir().unwrap();
        let text = jsonl();
        let stored = gzip(text.as_bytes());
        let path = dir.path().join("export.jsonl.gz");
        std::fs::write(&path, &stored).unwrap();
        let copy = dir.path().join("copy.txt");
        let opts = WindowOptions {
            min: 0,
            window: 3000,
            limit: u64::MAX,
        };
        let parsed = process_windowed(&path, opts, &copy).unwrap().unwrap();
        let (whole, whole_keys) = parse_leaf(&decode(text.as_bytes()));
        assert!(parsed.keys.len() > 5);
        assert_eq!(rows(&parsed.keys), rows(&whole_keys));
        assert_eq!(parsed.stream.parse.read, whole.read);
        let leaf = &parsed.stream.leaf;
        assert_eq!(leaf.compression, "gzip");
        assert_eq!(leaf.stored_size, stored.len() as u64);
        assert_eq!(leaf.decompressed_size(), Some(text.len() as u64));
        assert_eq!(leaf.sha256, hex::encode(Sha256::digest(&stored)));
        assert!(matches!(&parsed.text, TextSource::Spilled(p) if *p == copy));
        assert_eq!(std::fs::read(&copy).unwrap(), text.as_bytes());

        // Past --max-decompressed-size: one limit_exceeded reject, no rows,
        // no copy left behind.
        let opts = WindowOptions {
            limit: 10_000,
            ..opts
        };
        let parsed = process_windowed(&path, opts, &copy).unwrap().unwrap();
        assert!(parsed.keys.is_empty());
        let p = &parsed.stream.parse;
        assert_eq!(p.shape, "unreadable");
        assert_eq!(p.rejects.len(), 1);
        assert_eq!(p.rejects[0].reason.as_str(), "limit_exceeded");
        assert!(
            p.rejects[0].message.contains("limit of 10000 bytes"),
            "{}",
            p.rejects[0].message
        );
        assert!(!copy.exists());
        // Too small to window, or not JSON: read whole by the caller.
        let small = WindowOptions {
            min: u64::MAX,
            ..opts
        };
        assert!(process_windowed(&path, small, &copy).unwrap().is_none());
        std::fs::write(&path, gzip(b"not json")).unwrap();
        assert!(process_windowed(&path, opts, &copy).unwrap().is_none());
        assert!(!copy.exists());
    }

    #[test]
    fn a_file_with_a_utf8_bom_is_windowed_with_positions_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = jsonl();
        text.insert_str(
            text.len() / 2,
            "{\"id\": \"broken\", \"createdDateTime\": \n",
        );
        let mut stored = b"\xEF\xBB\xBF".to_vec();
        stored.extend_from_slice(text.as_bytes());
        let path = dir.path().join("export.jsonl");
        std::fs::write(&path, &stored).unwrap();
        let parsed = windowed(&path, 0, 3000).unwrap();
        let (whole, whole_keys) = parse_leaf(&decode(&stored));
        assert!(parsed.keys.len() > 5);
        assert_eq!(rows(&parsed.keys), rows(&whole_keys));
        let p = &parsed.stream.parse;
        assert_eq!(format!("{:?}", p.rejects), format!("{:?}", whole.rejects));
        assert_eq!(p.rejects.len(), 1);
        assert_eq!(parsed.stream.encoding, Some("utf-8-bom"));
        assert_eq!(
            parsed.stream.leaf.decompressed_size(),
            Some(stored.len() as u64)
        );
        assert!(matches!(parsed.text, TextSource::Evidence { base: 3, .. }));
    }
}
