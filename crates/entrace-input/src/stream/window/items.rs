//! Windows of one large JSON array or Graph page, such as a `ConvertTo-Json`
//! dump or one page holding a whole export.
//!
//! Such a file has no boundary between lines to cut at, so each window is
//! made a document of its own: the file's header (every byte before the
//! first element: `[`, or the page's `{"@odata.context": …, "value": [`),
//! then the next run of whole elements, then the closing bracket(s). Its
//! elements are numbered on from the window before, and positions map back
//! to the file, so the keys and rejects are those of reading it whole. The
//! last window is the file's real tail.
//!
//! Whitespace between elements is dropped as it is read (see
//! [`super::Lead`]): a window that ends in whitespace ends after its last
//! element, and the separating comma is skipped with the whitespace.

use std::io::Read;

use super::{is_space, pipeline, Job, JobParse, Lead, Windows};
use crate::parse::scan::{scan_from, Damage, Piece};
use crate::stream::source::WindowText;

/// The header of a file that is one array or one page with its context
/// before its elements, judged from its first bytes `head`: the header's
/// length (up to its `[`, whitespace after it left out) and the closing bytes
/// a window needs. The head may hold no element yet, only whitespace after
/// the `[`.
fn header(head: &[u8]) -> Option<(usize, &'static [u8])> {
    let scanned = scan_from(head, 0);
    let closing: &'static [u8] = match (scanned.pages.as_slice(), scanned.arrays) {
        ([page], 0) if page.start == 0 && page.context.is_some() => b"]}",
        ([], 1) if head.first() == Some(&b'[') => b"]",
        _ => return None,
    };
    if scanned.objects != 0 {
        return None;
    }
    let first = scanned.pieces.iter().find_map(|p| match p {
        Piece::Record {
            start,
            item: Some(0),
            ..
        }
        | Piece::Damaged {
            start,
            item: Some(0),
            ..
        } => Some(*start),
        _ => None,
    });
    let before = match first {
        Some(first) => first,
        None if scanned.pieces.is_empty() => head.len(),
        None => return None,
    };
    let len = head[..before].iter().rposition(|b| !is_space(b))? + 1;
    let opened = head[..len].strip_suffix(b"[")?;
    let is_value = || {
        let key = trim_end(opened).strip_suffix(b":")?;
        trim_end(key).strip_suffix(b"\"value\"")
    };
    (closing == b"]" || is_value().is_some()).then_some((len, closing))
}

fn trim_end(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|c| !is_space(c)).map_or(0, |p| p + 1);
    &b[..end]
}

/// Where the window `text` (header + elements, `header` bytes of header)
/// stops: the end of its last whole element, and the start and number of
/// the element the next window begins with. `None` when no element is cut
/// short yet (read more).
fn split(text: &[u8], header: usize, first_item: u32) -> Option<(usize, usize, u32)> {
    let scanned = scan_from(text, first_item);
    let cut_short = |p: &&Piece| match p {
        Piece::Damaged {
            damage: Damage::Truncated,
            ..
        } => true,
        Piece::Damaged { end, .. } => *end == text.len(),
        _ => false,
    };
    let Some(short) = scanned.pieces.iter().find(cut_short) else {
        return after_elements(text, header, first_item, &scanned);
    };
    let (next, item) = match short {
        Piece::Damaged {
            start,
            item: Some(item),
            ..
        } => (*start, *item),
        _ => return None,
    };
    if next <= header {
        return None;
    }
    let last_end = scanned
        .pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Record { start, end, .. } | Piece::Damaged { start, end, .. }
                if *start < next =>
            {
                Some(*end)
            }
            _ => None,
        })
        .max()?;
    Some((last_end, next, item))
}

/// When the window `text` is whole elements followed by whitespace and at
/// most one comma: the end of its last element, where the next window
/// starts too, and the number of the element after it (see [`split`]).
fn after_elements(
    text: &[u8],
    header: usize,
    first_item: u32,
    scanned: &crate::parse::scan::Scan,
) -> Option<(usize, usize, u32)> {
    // The last piece must be a whole record: where the scanner ends a
    // damaged one can depend on the bytes after it.
    let (last_end, item) = match scanned.pieces.last()? {
        Piece::Record { end, item, .. } => (*end, *item),
        _ => return None,
    };
    let next_item = item.map_or(first_item, |i| i + 1);
    let tail = &text[last_end..];
    let commas = tail.iter().filter(|b| **b == b',').count();
    let separators = tail.iter().all(|b| is_space(b) || *b == b',');
    // The next window starts at the whitespace after the element, which is
    // skipped as it is read, with the comma (see `Cutter::skip_separator`).
    (separators && commas <= 1 && !tail.is_empty() && last_end > header)
        .then_some((last_end, last_end, next_item))
}

/// The first pass over the text read from `reader`, whose first bytes
/// `head` were read already, in windows of about `window` bytes of
/// elements, or `None` when the text is not one array or page.
pub(super) fn read_items<R: Read + Send>(
    reader: &mut WindowText<R>,
    head: Vec<u8>,
    mut lead: Lead,
    window: usize,
) -> std::io::Result<Option<Windows>> {
    let Some((header_len, closing)) = header(&head) else {
        return Ok(None);
    };
    reader.advance(&head, lead.offset, lead.offset + header_len as u64);
    let header = head[..header_len].to_vec();
    let header_lines = memchr::memchr_iter(b'\n', &header).count() as u64;
    lead.consume(header_lines, header_len as u64);
    let mut cutter = Cutter {
        header,
        header_lines,
        closing,
        lead,
        buf: head[header_len..].to_vec(),
        item: 0,
        comma_due: false,
        eof: false,
        done: false,
        window: window.max(1),
    };
    let mut windows = pipeline(|| cutter.next(reader))?;
    // One document, however many windows read it.
    windows.shape = windows
        .shapes
        .first()
        .copied()
        .unwrap_or("empty_or_unreadable");
    windows.one_document();
    windows.skipped(cutter.lead);
    Ok(Some(windows))
}

/// Reads the elements and makes each window a document of its own.
struct Cutter {
    /// Every byte of the file before its first element, and its lines.
    header: Vec<u8>,
    header_lines: u64,
    /// What closes a window's document.
    closing: &'static [u8],
    /// Where `buf` starts in the text and the lines before it, and the
    /// whitespace skipped.
    lead: Lead,
    buf: Vec<u8>,
    /// Number of the element `buf` starts with.
    item: u32,
    /// The last window ended after an element, before the comma that
    /// separates it from the next one.
    comma_due: bool,
    eof: bool,
    /// The file's tail was the last window.
    done: bool,
    window: usize,
}

impl Cutter {
    /// The next window, or `None` after the file's tail.
    fn next<R: Read>(&mut self, reader: &mut WindowText<R>) -> std::io::Result<Option<Job>> {
        if self.done {
            return Ok(None);
        }
        let header_len = self.header.len();
        self.skip_separator(reader);
        // Bytes of elements this window may take; doubled while one element
        // is larger.
        let mut size = self.window;
        let (text, last, next, next_item) = loop {
            // Read past `size`, so a window cut short is told from the end;
            // whitespace the buffer starts with is dropped as it comes.
            while !self.eof && self.buf.len() <= size {
                let before = self.buf.len();
                (&mut *reader)
                    .take(size.max(self.buf.len()) as u64)
                    .read_to_end(&mut self.buf)?;
                self.eof = self.buf.len() == before;
                self.skip_separator(reader);
            }
            let buf = &self.buf;
            let last = self.eof && buf.len() <= size;
            let mut text = Vec::with_capacity(header_len + size.min(buf.len()) + 2);
            text.extend_from_slice(&self.header);
            text.extend_from_slice(&buf[..buf.len().min(size)]);
            if last {
                let end = text.len();
                break (text, true, end, self.item);
            }
            match split(&text, header_len, self.item) {
                Some((end, next, next_item)) => {
                    if end > header_len {
                        self.comma_due = !text[end..next].contains(&b',');
                    }
                    text.truncate(end);
                    text.extend_from_slice(self.closing);
                    break (text, false, next, next_item);
                }
                None => size = size.saturating_mul(2),
            }
        };
        // Text byte p (past the header) is text byte start + p - header_len.
        let start = self.lead.offset;
        let shift = start - header_len as u64;
        let consumed = next - header_len;
        let until = if last {
            u64::MAX
        } else {
            start + consumed as u64
        };
        let map = reader.window(text.len(), shift, until);
        let job = Job {
            text,
            map,
            parse: JobParse::Items(self.item),
            bytes: shift,
            lines: self.lead.lines - self.header_lines,
        };
        if last {
            self.done = true;
        } else {
            let newlines = memchr::memchr_iter(b'\n', &self.buf[..consumed]).count() as u64;
            reader.advance(&self.buf, start, start + consumed as u64);
            self.lead.consume(newlines, consumed as u64);
            self.buf.drain(..consumed);
            self.item = next_item;
        }
        Ok(Some(job))
    }

    /// Drops the whitespace `buf` starts with and, when the last window
    /// stopped before it, the comma after the element it ended with.
    fn skip_separator<R: Read>(&mut self, reader: &mut WindowText<R>) {
        self.lead.skip(reader, &mut self.buf);
        if self.comma_due && self.buf.first() == Some(&b',') {
            let at = self.lead.offset;
            reader.advance(&self.buf, at, at + 1);
            self.lead.consume(0, 1);
            self.buf.drain(..1);
            self.comma_due = false;
            self.lead.skip(reader, &mut self.buf);
        } else if self.buf.first().is_some_and(|b| *b != b',') {
            self.comma_due = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lines::tests::rows;
    use crate::encoding::decode;
    use crate::parse::parse_leaf;

    /// Windows of `text` give what parsing it whole gives.
    fn same_as_whole(text: &str, shape: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.json");
        std::fs::write(&path, text).unwrap();
        let (whole, whole_keys) = parse_leaf(&decode(text.as_bytes()));
        assert_eq!(whole.shape, shape);
        for window in [3000, 200] {
            let parsed = super::super::windowed(&path, 0, window).unwrap();
            let p = &parsed.stream.parse;
            assert!(
                parsed.keys.len() > 5,
                "{window}: {} windows",
                parsed.keys.len()
            );
            assert_eq!(p.shape, whole.shape);
            assert_eq!(p.read, whole.read);
            assert_eq!(format!("{:?}", p.rejects), format!("{:?}", whole.rejects));
            assert_eq!(p.warnings, whole.warnings);
            assert_eq!(
                (p.pages, p.pages_with_next_link),
                (whole.pages, whole.pages_with_next_link)
            );
            assert_eq!(rows(&parsed.keys), rows(&whole_keys));
            assert_eq!(parsed.stream.leaf.stored_size, text.len() as u64);
        }
    }

    #[test]
    fn a_pretty_array_read_in_windows_gives_what_reading_it_whole_gives() {
        // ConvertTo-Json style: one element per block, a damaged element and
        // a number among the records.
        let mut items: Vec<String> = crate::parse::sample_sign_ins()
            .iter()
            .map(|r| {
                serde_json::to_string_pretty(r)
                    .unwrap()
                    .replace('\n', "\n    ")
            })
            .collect();
        items.insert(
            9,
            "{\n        \"id\": \"broken\",\n        \"createdDateTime\": \n    }".into(),
        );
        items.insert(20, "7".into());
        let text = format!("[\n    {}\n]\n", items.join(",\n    "));
        same_as_whole(&text, "json_array");
    }

    #[test]
    fn a_compact_page_read_in_windows_gives_what_reading_it_whole_gives() {
        let mut items: Vec<String> = crate::parse::sample_sign_ins()
            .iter()
            .map(|r| r.to_string())
            .collect();
        items.insert(15, "7".into());
        let text = format!(
            "{{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns\",\"@odata.nextLink\":\"https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=x\",\"value\":[{}]}}",
            items.join(",")
        );
        same_as_whole(&text, "graph_page");
    }
}
