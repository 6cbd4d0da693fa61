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

use std::io::Read;

use super::source::WindowText;
use super::{pipeline, Job, JobParse, Windows};
use crate::parse::scan::{scan_from, Damage, Piece};

/// The header of a file that is one array or one page with its context
/// before its elements, judged from its first bytes `head`: the header's
/// length and the closing bytes a window needs.
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
    })?;
    Some((first, closing))
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
    let (next, item) = match scanned.pieces.iter().find(cut_short)? {
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

/// The first pass over the text read from `reader`, whose first bytes
/// `head` were read already, in windows of about `window` bytes of
/// elements, or `None` when the text is not one array or page.
pub(super) fn read_items<R: Read + Send>(
    reader: &mut WindowText<R>,
    head: Vec<u8>,
    window: usize,
) -> std::io::Result<Option<Windows>> {
    let Some((header_len, closing)) = header(&head) else {
        return Ok(None);
    };
    reader.advance(&head, 0, header_len as u64);
    let header = head[..header_len].to_vec();
    let header_lines = memchr::memchr_iter(b'\n', &header).count() as u64;
    let mut cutter = Cutter {
        header,
        header_lines,
        closing,
        start: header_len as u64,
        lines: header_lines,
        buf: head[header_len..].to_vec(),
        item: 0,
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
    Ok(Some(windows))
}

/// Reads the elements and makes each window a document of its own.
struct Cutter {
    /// Every byte of the file before its first element, and its lines.
    header: Vec<u8>,
    header_lines: u64,
    /// What closes a window's document.
    closing: &'static [u8],
    /// `buf` holds the file from `start` on; `lines` newlines come before it.
    start: u64,
    lines: u64,
    buf: Vec<u8>,
    /// Number of the element `buf` starts with.
    item: u32,
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
        // Bytes of elements this window may take; doubled while one element
        // is larger.
        let mut size = self.window;
        let buf = &mut self.buf;
        let (text, last, next, next_item) = loop {
            // Read past `size`, so a window cut short is told from the end.
            while !self.eof && buf.len() <= size {
                let before = buf.len();
                (&mut *reader)
                    .take(size.max(buf.len()) as u64)
                    .read_to_end(buf)?;
                self.eof = buf.len() == before;
            }
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
                    text.truncate(end);
                    text.extend_from_slice(self.closing);
                    break (text, false, next, next_item);
                }
                None => size = size.saturating_mul(2),
            }
        };
        // Text byte p (past the header) is file byte start + p - header_len.
        let shift = self.start - header_len as u64;
        let consumed = next - header_len;
        let until = if last {
            u64::MAX
        } else {
            self.start + consumed as u64
        };
        let map = reader.window(text.len(), shift, until);
        let job = Job {
            text,
            map,
            parse: JobParse::Items(self.item),
            bytes: shift,
            lines: self.lines - self.header_lines,
        };
        if last {
            self.done = true;
        } else {
            self.lines += memchr::memchr_iter(b'\n', &buf[..consumed]).count() as u64;
            reader.advance(buf, self.start, self.start + consumed as u64);
            self.start += consumed as u64;
            buf.drain(..consumed);
            self.item = next_item;
        }
        Ok(Some(job))
    }
}

#[cfg(test)]
mod tests {
    use super::super::lines::tests::rows;
    use crate::input::encoding::decode;
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
