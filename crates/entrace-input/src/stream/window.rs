//! The first pass over a large stream in windows, so a multi-GB collector
//! file never sits in memory whole.
//!
//! Two layouts can be cut into windows that parse exactly as the whole file
//! does: top-level values on their own lines ([`lines`]: JSON Lines,
//! concatenated objects or pages) and one large array or page ([`items`]).
//! Each window is scanned and parsed like a stream of its own, and its keys
//! and rejects are moved to their place in the file. The file may be plain
//! UTF-8 (the second pass then reads records in place) or gzip or zstd
//! ([`super::source`]: decompressed as it is read, and the text copied once
//! for the second pass), UTF-8 with or without a byte order mark or UTF-16
//! (transcoded as it is read); it may be an evidence file or a zip member.
//! A stream of any other layout is one window: the caller reads it whole
//! ([`super::whole`]).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

mod items;
mod lines;

use super::source::{CopyFailed, Counted, Magic, Stored, Text, WindowMap, WindowText};
use super::whole::failed_hash;
use super::{unreadable, Parsed, Processed, TextSource};
use crate::container::{Budget, Limit, LimitExceeded};
use crate::encoding::Encoding;
use crate::parse::reject::Reason;
use crate::parse::scan::Scan;
use crate::parse::{parse_leaf, parse_scanned, parse_window, KeySet, LeafParse};
use crate::{Compression, Leaf, LeafBytes, StreamKind};
use entrace_model::error::{Error, Result};

/// Plain files at least this large are read in windows when they can be;
/// compressed files always are.
pub const WINDOWED_MIN: u64 = 256 << 20;
/// Bytes read per window (a window grows when one value is larger).
pub const WINDOW_BYTES: usize = 64 << 20;
/// Bytes looked at to decide whether a file can be windowed.
const HEAD_BYTES: usize = 1 << 20;

/// When and how to window, and the decompression limit.
#[derive(Debug, Clone, Copy)]
pub struct WindowOptions {
    /// Smallest plain file read in windows (zip members: an eighth of it).
    pub min: u64,
    /// Bytes per window.
    pub window: usize,
    /// `--max-decompressed-size`.
    pub limit: u64,
}

impl WindowOptions {
    /// The converter's settings for `--max-decompressed-size` `limit`.
    pub fn new(limit: u64) -> Self {
        WindowOptions {
            min: WINDOWED_MIN,
            window: WINDOW_BYTES,
            limit,
        }
    }
}

/// The first pass over `path` in windows, or `None` when it is too small or
/// cannot be cut (read it whole). Text the second pass cannot read in place
/// is copied to `copy_to`.
pub(super) fn process_windowed(
    path: &Path,
    opts: WindowOptions,
    copy_to: &Path,
) -> Result<Option<Parsed>> {
    let io = |e| Error::io(path, "cannot read", e);
    let size = std::fs::metadata(path).map_err(io)?.len();
    // Unreadable or not worth windowing: reading it whole says why. A
    // compressed file is windowed whatever its size: a few megabytes of
    // gzip can hold gigabytes.
    let Ok(file) = File::open(path) else {
        return Ok(None);
    };
    let Ok(text) = Text::open(Stored::new(file)) else {
        return Ok(None);
    };
    if text.compression().is_none() && size < opts.min {
        return Ok(None);
    }
    let leaf = Leaf {
        path: path.display().to_string(),
        member: None,
        stored_size: size,
        sha256: String::new(),
        compression: Compression::None,
        bytes: LeafBytes::Consumed(0),
    };
    let limit = match text.compression() {
        Some(_) => Budget::new(size, opts.limit).stream_limit(),
        None => Limit::none(),
    };
    let stream = Stream {
        leaf,
        in_place: Some(path),
        limit,
    };
    window_stream(text, stream, opts.window, copy_to)
}

/// A stream about to be read in windows.
pub(super) struct Stream<'a> {
    /// Its leaf, with everything but the hash and the decompressed size.
    pub(super) leaf: Leaf,
    /// The evidence file, when the stream is that file as stored (the
    /// second pass may then read UTF-8 text in place).
    pub(super) in_place: Option<&'a Path>,
    /// The most it may decompress to.
    pub(super) limit: Limit,
}

/// The first pass over `text` in windows, or `None` when it cannot be cut
/// (read it whole). Text the second pass cannot read in place is copied to
/// `copy_to`.
pub(super) fn window_stream<R: Read + Send>(
    text: Text<R>,
    stream: Stream<'_>,
    window: usize,
    copy_to: &Path,
) -> Result<Option<Parsed>> {
    let Stream {
        mut leaf,
        in_place,
        limit,
    } = stream;
    // A zip inside a stream is opened as an archive, read whole.
    if text.magic() == Magic::Zip {
        return Ok(None);
    }
    if let Some(c) = text.compression() {
        leaf.compression = c;
    }
    let counted = Counted {
        text,
        bytes: 0,
        limit: limit.clone(),
    };
    // Unreadable from its first bytes: reading it whole says why.
    let Ok(mut reader) = WindowText::open(counted) else {
        return Ok(None);
    };
    let copied = in_place.is_none() || !reader.is_stored_bytes();
    if copied {
        let f =
            File::create(copy_to).map_err(|e| Error::io(copy_to, "cannot write spill file", e))?;
        reader.copy_to(BufWriter::with_capacity(1 << 20, f));
    }
    let windows = read_windows(&mut reader, window);
    let encoding = reader.encoding();
    let (text, copy, bytes) = reader.into_parts();
    let discard_copy = |copy: Option<BufWriter<File>>| {
        drop(copy);
        if copied {
            let _ = std::fs::remove_file(copy_to);
        }
    };
    let windows = match windows {
        Ok(Some(w)) => w,
        Ok(None) => {
            discard_copy(copy);
            return Ok(None);
        }
        Err(e) if e.get_ref().is_some_and(|r| r.is::<CopyFailed>()) => {
            discard_copy(copy);
            return Err(Error::io(copy_to, "cannot write spill file", e));
        }
        Err(e) => {
            // Unreadable as a whole, as when read whole: one reject, no rows.
            let reason = match e.get_ref().map(|r| r.is::<LimitExceeded>()) {
                Some(true) => Reason::LimitExceeded,
                _ if in_place.is_none() || text.compression().is_some() => Reason::DecompressFailed,
                _ => Reason::IoError,
            };
            // The same message as when the stream is read whole.
            let message = match reason {
                Reason::LimitExceeded => e.to_string(),
                _ => format!("cannot read: {e}"),
            };
            discard_copy(copy);
            // As when read whole.
            leaf.sha256 = failed_hash(text.into_stored(), leaf.member.is_some(), &limit);
            leaf.bytes = LeafBytes::Consumed(bytes);
            let kind = StreamKind::of(leaf.member.as_deref());
            let stream = Processed {
                leaf,
                kind,
                encoding: None,
                parse: unreadable(reason, &message),
            };
            return Ok(Some(Parsed {
                stream,
                keys: Vec::new(),
                text: TextSource::Empty,
            }));
        }
    };
    #[cfg(test)]
    tests_support::WINDOWED.with(|n| n.set(n.get() + 1));
    leaf.sha256 = text
        .into_stored()
        .finish()
        .map_err(|e| Error::io(Path::new(&leaf.path), "cannot read", e))?;
    leaf.bytes = LeafBytes::Consumed(bytes);
    let source = match (copy, in_place) {
        (Some(mut w), _) => {
            w.flush()
                .map_err(|e| Error::io(copy_to, "cannot write spill file", e))?;
            TextSource::Spilled(copy_to.to_path_buf())
        }
        (None, Some(path)) => TextSource::Evidence {
            path: path.to_path_buf(),
            base: if encoding == Encoding::Utf8Bom { 3 } else { 0 },
        },
        (None, None) => TextSource::Empty,
    };
    Ok(Some(windows.finish(leaf, source, encoding.name())))
}

/// Reads the head of `reader` and the rest in windows of the layout it has.
/// Whitespace before the first value is skipped as it is read, however
/// long it is.
fn read_windows<R: Read + Send>(
    reader: &mut WindowText<R>,
    window: usize,
) -> std::io::Result<Option<Windows>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    let mut lead = Lead::default();
    loop {
        let read = (&mut *reader)
            .take((HEAD_BYTES - head.len()) as u64)
            .read_to_end(&mut head)?;
        lead.skip(reader, &mut head);
        if head.len() == HEAD_BYTES || read == 0 {
            break;
        }
    }
    if lines::windowable(&head) {
        return lines::read_lines(reader, head, lead, window).map(Some);
    }
    items::read_items(reader, head, lead, window)
}

/// JSON's insignificant whitespace.
pub(super) fn is_space(b: &u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Runs of whitespace at least this long that the windows skip are counted
/// in the stream's warnings; shorter ones are ordinary formatting.
pub(super) const COUNTED_RUN: u64 = 1 << 20;

/// Where a cutter's unread text starts, and the whitespace it skipped to
/// get there: whitespace before and between values is dropped as it is
/// read instead of being held, so a window never grows over it.
#[derive(Debug, Default)]
pub(super) struct Lead {
    /// Offset of the text not read yet (after the BOM, in the text the
    /// windows see).
    pub(super) offset: u64,
    /// Newlines before it.
    pub(super) lines: u64,
    /// The current run of skipped whitespace: where it started and its length.
    run: (u64, u64),
    /// Whitespace in runs of [`COUNTED_RUN`] or more, and how many runs.
    counted: (u64, u64),
}

impl Lead {
    /// Drops the whitespace `buf` (the text from [`Self::offset`] on) starts
    /// with; moves the offset past it.
    pub(super) fn skip<R: Read>(&mut self, reader: &mut WindowText<R>, buf: &mut Vec<u8>) {
        let n = buf.iter().take_while(|b| is_space(b)).count();
        if n == 0 {
            return;
        }
        self.lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        reader.advance(buf, self.offset, self.offset + n as u64);
        if self.run.0 + self.run.1 != self.offset {
            self.close_run();
            self.run.0 = self.offset;
        }
        self.run.1 += n as u64;
        self.offset += n as u64;
        buf.drain(..n);
    }

    /// Moves the offset past `n` bytes of values the cutter consumed.
    pub(super) fn consume(&mut self, lines: u64, n: u64) {
        self.lines += lines;
        self.offset += n;
    }

    fn close_run(&mut self) {
        if self.run.1 >= COUNTED_RUN {
            self.counted.0 += self.run.1;
            self.counted.1 += 1;
        }
        self.run = (self.offset, 0);
    }

    /// The warning that counts the long runs skipped, if there were any.
    pub(super) fn warning(mut self) -> Option<String> {
        self.close_run();
        let (bytes, runs) = self.counted;
        (runs > 0).then(|| {
            format!(
                "{bytes} bytes of whitespace between values skipped as read ({runs} run(s) of 1 MiB or more; no record lost)"
            )
        })
    }
}

/// One window, cut and ready to be parsed on any thread.
pub(super) struct Job {
    text: Vec<u8>,
    map: WindowMap,
    parse: JobParse,
    /// Where the window's text starts in the whole text, and the lines
    /// before it (see [`Windows::add`]).
    bytes: u64,
    lines: u64,
}

/// How a window is parsed.
pub(super) enum JobParse {
    /// As a stream of its own, scanned already when the cut needed it.
    Lines(Option<Scan>),
    /// As a document of elements numbered on from this one.
    Items(u32),
}

impl Job {
    fn parse(self) -> (LeafParse, Vec<KeySet>, u64, u64) {
        let decoded = self.map.decoded(&self.text);
        let (part, sets) = match self.parse {
            JobParse::Lines(Some(scanned)) => parse_scanned(&decoded, scanned),
            JobParse::Lines(None) => parse_leaf(&decoded),
            JobParse::Items(first) => parse_window(&decoded, first),
        };
        (part, sets, self.bytes, self.lines)
    }
}

/// Parses the windows `next` cuts, each while the next one is read and cut:
/// reading, decompressing, transcoding and finding the cut are serial, and
/// would otherwise leave the other cores idle between windows.
fn pipeline(
    mut next: impl FnMut() -> std::io::Result<Option<Job>> + Send,
) -> std::io::Result<Windows> {
    let mut windows = Windows::default();
    let mut pending: Option<Job> = None;
    loop {
        let job = pending.take();
        #[cfg(test)]
        if let Some(j) = &job {
            tests_support::LARGEST.with(|n| n.set(n.get().max(j.text.len())));
        }
        let (cut, parsed) = rayon::join(&mut next, || job.map(Job::parse));
        if let Some((part, sets, bytes, lines)) = parsed {
            windows.add(part, sets, bytes, lines);
        }
        match cut? {
            Some(job) => pending = Some(job),
            None => return Ok(windows),
        }
    }
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

    /// Notes the whitespace the cutter skipped (see [`Lead`]).
    pub(super) fn skipped(&mut self, lead: Lead) {
        self.parse.warnings.extend(lead.warning());
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
        let kind = StreamKind::of(leaf.member.as_deref());
        let stream = Processed {
            leaf,
            kind,
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

/// What the tests of other modules use.
#[cfg(test)]
pub(super) mod tests_support {
    pub(crate) use super::lines::tests::rows;

    thread_local! {
        /// Streams this thread read in windows.
        pub(in crate) static WINDOWED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
        /// The longest window text this thread parsed (the pipeline's
        /// thread: run it in a pool of one to read this).
        pub(in crate) static LARGEST: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// `bytes` gzipped, as collectors compress their exports.
    pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    /// A zip archive of `members` (name, content), deflated, in that order.
    pub(crate) fn zip_of<B: AsRef<[u8]>>(members: &[(&str, B)]) -> Vec<u8> {
        use std::io::Write;
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in members {
            z.start_file(*name, opts).unwrap();
            z.write_all(bytes.as_ref()).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    /// UTF-16LE with a BOM, as Windows PowerShell writes; U+E000 stands
    /// for a lone high surrogate.
    pub(crate) fn utf16le_bom(text: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            let unit = if unit == 0xE000 { 0xD800 } else { unit };
            out.extend(unit.to_le_bytes());
        }
        out
    }

    /// `records` as one JSON array, pretty-printed with CRLF line ends and
    /// indented elements, as `ConvertTo-Json` writes it.
    pub(crate) fn crlf_pretty_array(records: &[serde_json::Value]) -> String {
        let pretty: Vec<String> = records
            .iter()
            .map(|r| {
                serde_json::to_string_pretty(r)
                    .unwrap()
                    .replace('\n', "\r\n    ")
            })
            .collect();
        format!("[\r\n    {}\r\n]\r\n", pretty.join(",\r\n    "))
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
    use super::tests_support::{crlf_pretty_array, gzip, rows, utf16le_bom};
    use super::*;
    use crate::encoding::decode;
    use crate::parse::parse_leaf;
    use sha2::{Digest, Sha256};

    fn jsonl() -> String {
        let lines: Vec<String> = crate::parse::sample_sign_ins()
            .iter()
            .map(|r| r.to_string())
            .collect();
        lines.join("\n") + "\n"
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
        assert_eq!(leaf.compression, Compression::Gzip);
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
        // However small the stored file, compressed text is windowed: a few
        // megabytes of gzip can hold gigabytes. Not JSON: read whole by the
        // caller.
        let small = WindowOptions {
            min: u64::MAX,
            limit: u64::MAX,
            ..opts
        };
        let parsed = process_windowed(&path, small, &copy).unwrap().unwrap();
        assert_eq!(parsed.stream.parse.shape, "json_lines");
        assert!(!parsed.keys.is_empty());
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

    #[test]
    fn utf16_files_are_transcoded_window_by_window_with_offsets_of_the_file() {
        let records: Vec<serde_json::Value> = crate::parse::sample_sign_ins()
            .into_iter()
            .enumerate()
            .map(|(i, mut r)| {
                if i % 5 == 0 {
                    r["userDisplayName"] = format!("ユーザ{i:02} 😀").into();
                }
                if i == 12 {
                    r["userDisplayName"] = "broken \u{E000} name".into();
                }
                r
            })
            .collect();
        let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
        let jsonl = lines.join("\r\n") + "\r\n";
        let array = crlf_pretty_array(&records);
        let dir = tempfile::tempdir().unwrap();
        for (name, text, shape) in [
            ("export.jsonl", jsonl, "json_lines"),
            ("export.json", array, "json_array"),
        ] {
            let stored = utf16le_bom(&text);
            let whole_decoded = decode(&stored);
            let (whole, whole_keys) = parse_leaf(&whole_decoded);
            assert_eq!(whole.shape, shape);
            assert_eq!(whole.rejects.len(), 1, "{:?}", whole.rejects);
            for compressed in [false, true] {
                let path = dir.path().join(name);
                std::fs::write(
                    &path,
                    if compressed {
                        gzip(&stored)
                    } else {
                        stored.clone()
                    },
                )
                .unwrap();
                for window in [3000, 200] {
                    let parsed = windowed(&path, 0, window).unwrap();
                    let p = &parsed.stream.parse;
                    assert!(parsed.keys.len() > 5, "{name} {window}");
                    assert_eq!(p.shape, shape);
                    assert_eq!(p.read, whole.read);
                    assert_eq!(rows(&parsed.keys), rows(&whole_keys), "{name} {window}");
                    assert_eq!(format!("{:?}", p.rejects), format!("{:?}", whole.rejects));
                    assert_eq!(p.warnings, whole.warnings);
                    assert_eq!(parsed.stream.encoding, Some("utf-16le-bom"));
                    let leaf = &parsed.stream.leaf;
                    assert_eq!(leaf.decompressed_size(), Some(stored.len() as u64));
                    assert_eq!(
                        leaf.compression,
                        if compressed {
                            Compression::Gzip
                        } else {
                            Compression::None
                        }
                    );
                    // The second pass reads the transcoded text.
                    let TextSource::Spilled(copy) = &parsed.text else {
                        panic!("{:?}", parsed.text)
                    };
                    assert_eq!(std::fs::read(copy).unwrap(), &whole_decoded.text[..]);
                }
            }
        }
    }

    /// `path` read in windows of `window` bytes on a pool of one thread,
    /// and the longest window text that held.
    fn windowed_on_one_thread(path: &Path, window: usize) -> (Parsed, usize) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        pool.install(|| {
            tests_support::LARGEST.with(|n| n.set(0));
            let parsed = windowed(path, 0, window)
                .unwrap_or_else(|| panic!("{} was not windowed", path.display()));
            (parsed, tests_support::LARGEST.with(|n| n.get()))
        })
    }

    /// Whitespace of every kind, `n` bytes of it.
    fn blank(n: usize) -> String {
        " \n\t\r\n  ".chars().cycle().take(n).collect()
    }

    #[test]
    fn whitespace_between_values_is_skipped_as_read_not_held() {
        // Runs longer than a window and than the counted minimum: before
        // the first value, between values (both sides of a comma), and
        // before the page's end.
        let run = COUNTED_RUN as usize + 1000;
        let records: Vec<String> = crate::parse::sample_sign_ins()
            .iter()
            .map(|r| r.to_string())
            .collect();
        let mut elements = String::new();
        for (i, r) in records.iter().enumerate() {
            if i > 0 {
                elements.push_str(if i == 3 { "" } else { "," });
                if i == 3 {
                    elements.push_str(&blank(run));
                    elements.push(',');
                }
                if i == 7 {
                    elements.push_str(&blank(run));
                }
            }
            elements.push_str(r);
        }
        let page = format!(
            "{}{{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns\",\"value\":[{}{elements}{}]}}\n",
            blank(run),
            blank(run),
            blank(run)
        );
        let mut jsonl = blank(run);
        for (i, r) in records.iter().enumerate() {
            jsonl.push_str(r);
            if i % 5 == 4 {
                jsonl.push_str(&blank(run - 1));
            }
            jsonl.push('\n');
        }
        let dir = tempfile::tempdir().unwrap();
        for (name, text, shape, runs) in [
            ("page", page, "graph_page", 5),
            ("lines", jsonl, "json_lines", 1 + records.len() / 5),
        ] {
            let (whole, whole_keys) = parse_leaf(&decode(text.as_bytes()));
            assert_eq!(whole.shape, shape, "{name}");
            assert!(whole.rejects.is_empty(), "{name}: {:?}", whole.rejects);
            for compressed in [false, true] {
                let path = dir.path().join(format!("{name}-{compressed}.json"));
                let stored = if compressed {
                    gzip(text.as_bytes())
                } else {
                    text.clone().into_bytes()
                };
                std::fs::write(&path, &stored).unwrap();
                let window = 4096;
                let (parsed, largest) = windowed_on_one_thread(&path, window);
                let p = &parsed.stream.parse;
                let what = format!("{name}, gzip {compressed}");
                // No window grew over the whitespace.
                assert!(largest < 4 * window, "{what}: a window of {largest} bytes");
                assert_eq!(p.shape, shape, "{what}");
                assert_eq!(p.read, whole.read, "{what}");
                assert_eq!(rows(&parsed.keys), rows(&whole_keys), "{what}");
                assert!(p.rejects.is_empty(), "{what}: {:?}", p.rejects);
                assert_eq!(
                    (p.pages, p.pages_with_next_link),
                    (whole.pages, whole.pages_with_next_link)
                );
                // What was skipped is counted: every long run, exactly.
                let skipped = format!(
                    "{} bytes of whitespace between values skipped as read ({runs} run(s) of 1 MiB or more; no record lost)",
                    runs * run
                );
                let mut expected = whole.warnings.clone();
                expected.push(skipped);
                assert_eq!(p.warnings, expected, "{what}");
                assert_eq!(
                    parsed.stream.leaf.decompressed_size(),
                    Some(text.len() as u64)
                );
            }
        }
    }

    #[test]
    fn a_page_of_nothing_but_whitespace_is_read_in_windows() {
        // The shape of the trial: one page whose value array is whitespace.
        let text = format!(
            "{{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns\",\"value\":[{}]}}",
            blank(3 << 20)
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.json.gz");
        std::fs::write(&path, gzip(text.as_bytes())).unwrap();
        let (parsed, largest) = windowed_on_one_thread(&path, 4096);
        assert!(largest < 4 * 4096, "a window of {largest} bytes");
        let p = &parsed.stream.parse;
        let (whole, _) = parse_leaf(&decode(text.as_bytes()));
        assert_eq!((p.shape, p.pages), (whole.shape, whole.pages));
        assert!(p.read.is_empty() && p.rejects.is_empty());
        assert_eq!(
            p.warnings,
            [format!(
                "{} bytes of whitespace between values skipped as read (1 run(s) of 1 MiB or more; no record lost)",
                3 << 20
            )]
        );
    }
}
