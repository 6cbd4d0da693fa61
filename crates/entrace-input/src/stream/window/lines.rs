//! Windows of a file of top-level values on their own lines: JSON Lines,
//! concatenated objects or concatenated Graph pages.
//!
//! A window ends where a line starts with `{` right after a line that ended
//! with `}`: the boundary between two top-level values, which no JSON string
//! can contain (strings cannot hold a raw newline). Where values are followed
//! by more whitespace than a window holds and no boundary, the window ends
//! after its last value instead, and the whitespace is skipped as it is read
//! (see [`super::Lead`]).

use std::io::Read;

use super::{is_space, pipeline, Job, JobParse, Lead, Windows};
use crate::parse::scan::{scan, Damage, Piece, Scan};
use crate::stream::source::WindowText;

/// One past the newline(s) of the last boundary between two top-level
/// values in `b`: a `{` that starts a line after a line ending with `}`.
fn last_cut(b: &[u8]) -> Option<usize> {
    let mut end = b.len();
    while let Some(nl) = memchr::memrchr(b'\n', &b[..end]) {
        end = nl;
        if b.get(nl + 1) != Some(&b'{') {
            continue;
        }
        let before = b[..nl].strip_suffix(b"\r").unwrap_or(&b[..nl]);
        if before.last() == Some(&b'}') {
            return Some(nl + 1);
        }
    }
    None
}

/// The first boundary (see [`last_cut`]) at or after byte `from` of `b`.
fn first_cut(b: &[u8], from: usize) -> Option<usize> {
    let mut at = from.max(1);
    while let Some(k) = memchr::memchr(b'{', b.get(at..).unwrap_or_default()) {
        let brace = at + k;
        if b[brace - 1] == b'\n' {
            let line = &b[..brace - 1];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.last() == Some(&b'}') {
                return Some(brace);
            }
        }
        at = brace + 1;
    }
    None
}

/// Where the window at the start of `buf` ends: the last boundary inside
/// `window` bytes, else the first after them, else the end of the input.
///
/// A window never cuts a damaged value short: what the scanner says of one
/// can depend on bytes after the boundary (a cut line swallows the next one
/// and fails at the `{` after it), and cut short it would read as truncated
/// instead. When a window holds a truncated value, it ends before that
/// value instead, or, when that is its first value, at a later boundary
/// where the value is seen whole. `None` when more input is needed; with
/// the end, the scan of the window when it was scanned to decide.
fn window_end(buf: &[u8], window: usize, eof: bool) -> Option<(usize, Option<Scan>)> {
    let mut cut = last_cut(&buf[..window.min(buf.len())])
        .or_else(|| first_cut(buf, window))
        .unwrap_or(buf.len());
    loop {
        if cut == buf.len() && !eof {
            // No boundary yet: values, then whitespace, end here.
            return after_values(buf).map(|(end, scanned)| (end, Some(scanned)));
        }
        if cut == buf.len() {
            return Some((cut, None));
        }
        // Only the end of the input truncates a value; inside the file the
        // scanner only ran out of window.
        let scanned = scan(&buf[..cut]);
        let truncated = scanned.pieces.iter().find_map(|p| match p {
            Piece::Damaged {
                start,
                damage: Damage::Truncated,
                ..
            } => Some(*start),
            _ => None,
        });
        let Some(start) = truncated else {
            return Some((cut, Some(scanned)));
        };
        match last_cut(&buf[..=start]) {
            Some(before) if before > 0 => return Some((before, None)),
            _ => cut = first_cut(buf, cut + 1).unwrap_or(buf.len()),
        }
    }
}

/// When `buf` is whole top-level values followed by whitespace: the end of
/// its last value, and the scan that shows no value is cut short.
fn after_values(buf: &[u8]) -> Option<(usize, Scan)> {
    let end = buf.iter().rposition(|b| !is_space(b))? + 1;
    if end == buf.len() || !matches!(buf[end - 1], b'}' | b']') {
        return None;
    }
    let scanned = scan(&buf[..end]);
    let whole = scanned.pieces.iter().all(|p| {
        !matches!(
            p,
            Piece::Damaged {
                damage: Damage::Truncated,
                ..
            }
        )
    });
    (whole && !scanned.pieces.is_empty()).then_some((end, scanned))
}

/// Whether `buf` ends in a run of whitespace at least `window` long after
/// its last value: reading on would only add whitespace to hold.
fn whitespace_tail(buf: &[u8], window: usize) -> bool {
    buf.len() >= window && buf.iter().rev().take(window).all(is_space)
}

/// Whether a file starting with `head` is top-level values a window can cut.
pub(super) fn windowable(head: &[u8]) -> bool {
    head.first() == Some(&b'{') && (last_cut(head).is_some() || after_values(head).is_some())
}

/// The shape of the whole file from the shapes of its windows, as scanning
/// it whole names it: windows with no values do not count.
fn merged_shape(shapes: &[&'static str]) -> &'static str {
    let neutral = ["empty_or_unreadable", "graph_error"];
    let values: Vec<&'static str> = shapes
        .iter()
        .copied()
        .filter(|s| !neutral.contains(s))
        .collect();
    let all = |set: &[&str]| values.iter().all(|s| set.contains(s));
    match values.as_slice() {
        [] if shapes.contains(&"graph_error") => "graph_error",
        [] => "empty_or_unreadable",
        [one, rest @ ..] if rest.iter().all(|s| s == one) => {
            match *one {
                // Several windows of one object each are JSON Lines.
                "single_object" if !rest.is_empty() => "json_lines",
                "graph_page" if !rest.is_empty() => "graph_pages_concatenated",
                "json_array" if !rest.is_empty() => "json_arrays_concatenated",
                other => other,
            }
        }
        _ if all(&["json_lines", "single_object"]) => "json_lines",
        _ if all(&["graph_page", "graph_pages_concatenated"]) => "graph_pages_concatenated",
        _ if all(&["json_array", "json_arrays_concatenated"]) => "json_arrays_concatenated",
        _ => "mixed",
    }
}

/// The first pass over the text read from `reader`, whose first bytes
/// `head` were read already, in windows of about `window` bytes.
pub(super) fn read_lines<R: Read + Send>(
    reader: &mut WindowText<R>,
    head: Vec<u8>,
    lead: Lead,
    window: usize,
) -> std::io::Result<Windows> {
    let mut cutter = Cutter {
        buf: head,
        eof: false,
        lead,
        window,
    };
    let mut windows = pipeline(|| cutter.next(reader))?;
    windows.shape = merged_shape(&windows.shapes);
    windows.skipped(cutter.lead);
    Ok(windows)
}

/// Reads the text and cuts it into windows.
struct Cutter {
    /// The text read and not cut yet, from `lead.offset` on.
    buf: Vec<u8>,
    eof: bool,
    /// Offset and lines of the text before `buf[0]`, and the whitespace
    /// skipped.
    lead: Lead,
    window: usize,
}

impl Cutter {
    /// The next window, or `None` at the end of the text.
    fn next<R: Read>(&mut self, reader: &mut WindowText<R>) -> std::io::Result<Option<Job>> {
        let mut grow = false;
        let (cut, scanned) = loop {
            // Fill the window; grow it while it holds no boundary, unless
            // all it would grow by is whitespace. Whitespace it starts with
            // is dropped.
            self.lead.skip(reader, &mut self.buf);
            while !self.eof
                && (grow
                    || self.buf.len() < self.window
                    || (last_cut(&self.buf).is_none() && !whitespace_tail(&self.buf, self.window)))
            {
                let want = self.window.max(self.buf.len());
                let before = self.buf.len();
                (&mut *reader)
                    .take(want as u64)
                    .read_to_end(&mut self.buf)?;
                self.eof = self.buf.len() == before;
                self.lead.skip(reader, &mut self.buf);
                grow = false;
            }
            match window_end(&self.buf, self.window, self.eof) {
                Some(end) => break end,
                None => grow = true,
            }
        };
        if cut == 0 {
            return Ok(None);
        }
        let (base, lines) = (self.lead.offset, self.lead.lines);
        let end = base + cut as u64;
        let map = reader.window(cut, base, end);
        let newlines = memchr::memchr_iter(b'\n', &self.buf[..cut]).count() as u64;
        reader.advance(&self.buf, base, end);
        self.lead.consume(newlines, cut as u64);
        let rest = self.buf.split_off(cut);
        let text = std::mem::replace(&mut self.buf, rest);
        Ok(Some(Job {
            text,
            map,
            parse: JobParse::Lines(scanned),
            bytes: base,
            lines,
        }))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::parse::parse_leaf;
    use crate::parse::KeySet;
    use sha2::{Digest, Sha256};

    #[test]
    fn windows_end_between_top_level_values_only() {
        assert_eq!(last_cut(b"{\"a\":1}\n{\"b\":2}\n"), Some(8));
        assert_eq!(last_cut(b"{\"a\":1}\r\n{\"b\":2}"), Some(9));
        // Inside a pretty-printed page: indented braces are not boundaries.
        assert_eq!(last_cut(b"{\n  \"value\": [\n    {\n    },\n    {\n"), None);
        // A line starting with `{` after a line that did not end a value.
        assert_eq!(last_cut(b"{\"a\":\n{\"b\":2}"), None);
        let two = b"{\"a\":1}\r\n{\"b\":2}\n{\"c\":3}";
        assert_eq!(first_cut(two, 0), Some(9));
        assert_eq!(first_cut(two, 10), Some(17));
        assert_eq!(first_cut(two, 18), None);
        assert!(windowable(b"{\"a\":1}\n{\"b\":2}\n"));
        assert!(!windowable(b"[{\"a\":1},\n{\"b\":2}]"));
        assert!(!windowable(b"\xEF\xBB\xBF{\"a\":1}\n{\"b\":2}\n"));
        assert_eq!(merged_shape(&["json_lines", "single_object"]), "json_lines");
        assert_eq!(merged_shape(&["graph_page"]), "graph_page");
        assert_eq!(
            merged_shape(&["graph_page", "graph_page"]),
            "graph_pages_concatenated"
        );
        assert_eq!(
            merged_shape(&["single_object", "single_object"]),
            "json_lines"
        );
        assert_eq!(
            merged_shape(&["json_lines", "empty_or_unreadable"]),
            "json_lines"
        );
        assert_eq!(
            merged_shape(&["graph_error", "empty_or_unreadable"]),
            "graph_error"
        );
        assert_eq!(
            merged_shape(&["graph_page", "graph_pages_concatenated"]),
            "graph_pages_concatenated"
        );
        assert_eq!(merged_shape(&["graph_page", "json_lines"]), "mixed");
    }

    pub(crate) type KeyRow = (usize, String, u64, u64, u64, (u64, u64));

    pub(crate) fn rows(sets: &[KeySet]) -> Vec<KeyRow> {
        let mut out = Vec::new();
        for set in sets {
            for (k, keys) in set.iter().enumerate() {
                for i in 0..keys.len() {
                    let id = format!("{:?}", keys.id(i));
                    out.push((
                        k,
                        id,
                        keys.hash[i],
                        keys.offset[i],
                        keys.line[i],
                        keys.span[i],
                    ));
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn a_file_read_in_windows_gives_what_reading_it_whole_gives() {
        // JSON Lines with CRLF and blank lines, a cut record, a wrong type
        // and a duplicate key.
        let mut text = String::new();
        for (i, r) in crate::parse::sample_sign_ins().iter().enumerate() {
            text.push_str(&r.to_string());
            text.push_str(if i % 3 == 0 { "\r\n" } else { "\n" });
            match i {
                5 => text.push_str("\n\n"),
                7 => text.push_str("{\"id\": \"broken\", \"createdDateTime\": \n"),
                19 => text.push_str("[1, 2]\n"),
                30 => text.push_str("{\"id\":\"d\",\"id\":\"e\"}\n"),
                _ => {}
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.jsonl");
        std::fs::write(&path, &text).unwrap();

        let (whole_parse, whole_keys) = parse_leaf(&crate::encoding::decode(text.as_bytes()));
        // Windows of about three records, and of one byte (one value each).
        for window in [3000, 200] {
            let parsed = super::super::windowed(&path, 0, window).unwrap();
            let p = &parsed.stream.parse;
            assert_eq!(p.read, whole_parse.read);
            assert_eq!(p.shape, whole_parse.shape);
            assert_eq!(
                format!("{:?}", p.rejects),
                format!("{:?}", whole_parse.rejects)
            );
            assert_eq!(p.rejects.len(), 4);
            assert_eq!(rows(&parsed.keys), rows(&whole_keys));
            assert!(
                parsed.keys.len() > 5,
                "{window}: {} windows",
                parsed.keys.len()
            );
            let leaf = &parsed.stream.leaf;
            assert_eq!(leaf.stored_size, text.len() as u64);
            assert_eq!(leaf.sha256, hex::encode(Sha256::digest(text.as_bytes())));
        }
        // Below the size threshold, or not cuttable: read whole.
        assert!(super::super::windowed(&path, u64::MAX, 1).is_none());
        // A page and a bare array are windowed by their elements (see `items`);
        // anything else is read whole.
        std::fs::write(&path, b"{\"a\":1} 7").unwrap();
        assert!(super::super::windowed(&path, 0, 1).is_none());
    }
}
