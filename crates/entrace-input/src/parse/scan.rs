//! Byte-level structural scanner: finds the exact span of every record in any
//! of the shapes collectors write, and resynchronises after damage.
//!
//! It understands strings, escapes and nesting, nothing more: grammar inside a
//! record is simd-json's job. One pass over the bytes yields [`Piece`]s: record
//! candidates (elements of a page's `value`, of a bare array, or top-level
//! objects in JSON Lines / concatenated JSON), damaged spans, and Graph error
//! envelopes. Everything before and after a damaged span is kept.
//!
//! Invariants: spans never overlap and come out in byte order; the scanner
//! never allocates per record beyond the piece it emits; it does not know Graph
//! entity names. Not here: decoding (`input::encoding`), JSON values (`parse`).

/// Why a span could not be read at the structural level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// The input ended inside the span.
    Truncated,
    /// Bytes that cannot be JSON at this position.
    InvalidJson,
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// Deepest nesting of arrays and objects accepted inside one record. Graph
/// records nest about five levels; the cap keeps hostile input (`[[[[…` a
/// hundred thousand deep) from overflowing the stack of the recursive JSON
/// value code downstream (parsing, hashing, dropping), which it once did.
pub const MAX_DEPTH: usize = 128;

/// One thing the scanner found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// A record candidate: `start..end` is its complete JSON text.
    Record {
        /// First byte of the record.
        start: usize,
        /// One past its last byte.
        end: usize,
        /// Index within the enclosing `value` array or bare array.
        item: Option<u32>,
        /// Index into [`Scan::pages`] when the record came from a Graph page.
        page: Option<usize>,
    },
    /// A span the scanner could not read.
    Damaged {
        /// First byte of the damaged span.
        start: usize,
        /// One past its last byte.
        end: usize,
        /// Index within the enclosing array, when inside one.
        item: Option<u32>,
        /// Page of the damaged element, when inside one.
        page: Option<usize>,
        /// Structural reason.
        damage: Damage,
        /// What was expected and what was found.
        message: String,
        /// Byte of the text where the scanner found it, when it is one byte.
        at: Option<usize>,
    },
    /// A Graph error envelope `{"error": {…}}` saved in place of a page.
    GraphError {
        /// First byte of the envelope.
        start: usize,
        /// One past its last byte.
        end: usize,
    },
}

/// Metadata of one Graph page envelope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageInfo {
    /// Byte offset of the envelope's `{`.
    pub start: usize,
    /// `@odata.context`, as written.
    pub context: Option<String>,
    /// `@odata.nextLink`, as written.
    pub next_link: Option<String>,
}

/// The result of scanning one source.
#[derive(Debug, Default)]
pub struct Scan {
    /// Records, damage and error envelopes in byte order.
    pub pieces: Vec<Piece>,
    /// Graph page envelopes.
    pub pages: Vec<PageInfo>,
    /// Number of top-level bare arrays.
    pub arrays: usize,
    /// Number of top-level objects that were records (not envelopes).
    pub objects: usize,
    /// Notes about the structure that lose nothing (e.g. a missing final `]`).
    pub warnings: Vec<String>,
}

impl Scan {
    /// Short name of the file's layout, for the sources table.
    pub fn shape(&self) -> &'static str {
        let errors = self
            .pieces
            .iter()
            .filter(|p| matches!(p, Piece::GraphError { .. }))
            .count();
        match (self.pages.len(), self.arrays, self.objects) {
            (0, 0, 0) if errors > 0 => "graph_error",
            (0, 0, 0) => "empty_or_unreadable",
            (1, 0, 0) => "graph_page",
            (_, 0, 0) => "graph_pages_concatenated",
            (0, 1, 0) => "json_array",
            (0, _, 0) => "json_arrays_concatenated",
            (0, 0, 1) => "single_object",
            (0, 0, _) => "json_lines",
            _ => "mixed",
        }
    }
}

enum Fail {
    Eof,
    At(usize, String),
    /// Nesting passed [`MAX_DEPTH`] at this byte.
    TooDeep(usize),
}

/// Scans `b` (UTF-8 text without BOM) into pieces.
pub fn scan(b: &[u8]) -> Scan {
    scan_from(b, 0)
}

/// [`scan`], numbering the elements of the first array from `first_item`:
/// for a window of a larger array whose earlier elements were scanned before.
pub fn scan_from(b: &[u8], first_item: u32) -> Scan {
    let mut s = Scanner {
        b,
        stack: Vec::new(),
        out: Scan::default(),
        first_item,
    };
    let mut pos = 0;
    loop {
        pos = s.ws(pos);
        let Some(&c) = b.get(pos) else { break };
        pos = match c {
            b'{' => s.top_object(pos),
            b'[' => s.top_array(pos),
            _ => s.junk(pos),
        };
    }
    s.out
}

struct Scanner<'a> {
    b: &'a [u8],
    stack: Vec<u8>,
    out: Scan,
    /// Number of the first array's first element (0 but for windows).
    first_item: u32,
}

/// Where scanning resumes after damage.
enum Resync {
    /// A `{` at the damaged element's indentation: the next element of the same array.
    Sibling(usize),
    /// A line starting with `{` or `[` at column 0: a new top-level value.
    TopLevel(usize),
    /// Nothing plausible before the end of the input.
    End,
}

fn found(b: &[u8], at: usize) -> String {
    match b.get(at) {
        None => "end of input".into(),
        Some(c) if c.is_ascii_graphic() => format!("'{}'", *c as char),
        Some(c) => format!("byte 0x{c:02x}"),
    }
}

impl Scanner<'_> {
    fn ws(&self, mut i: usize) -> usize {
        while matches!(self.b.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            i += 1;
        }
        i
    }

    /// `at` is a `"`; returns one past the closing quote.
    fn string(&self, at: usize) -> Result<usize, Fail> {
        let mut i = at + 1;
        loop {
            let rest = self.b.get(i..).ok_or(Fail::Eof)?;
            match memchr::memchr3(b'"', b'\\', b'\n', rest) {
                None => return Err(Fail::Eof),
                Some(k) => match rest[k] {
                    b'"' => return Ok(i + k + 1),
                    b'\\' => i += k + 2,
                    _ => {
                        return Err(Fail::At(
                            i + k,
                            "unterminated string: expected '\"' before the end of the line".into(),
                        ))
                    }
                },
            }
        }
    }

    /// Skips one JSON value starting at `at`, `outer` levels inside its
    /// record; returns one past its end.
    fn value(&mut self, at: usize, outer: usize) -> Result<usize, Fail> {
        let b = self.b;
        match b.get(at) {
            None => Err(Fail::Eof),
            Some(b'"') => self.string(at),
            Some(&open @ (b'{' | b'[')) => {
                self.stack.clear();
                self.stack.push(if open == b'{' { b'}' } else { b']' });
                let mut i = at + 1;
                while let Some(&c) = b.get(i) {
                    match c {
                        b'"' => {
                            i = self.string(i)?;
                            continue;
                        }
                        b'{' | b'[' if outer + self.stack.len() >= MAX_DEPTH => {
                            return Err(Fail::TooDeep(i))
                        }
                        b'{' => self.stack.push(b'}'),
                        b'[' => self.stack.push(b']'),
                        b'}' | b']' => {
                            let expected = self.stack.pop().unwrap_or(b'}');
                            if c != expected {
                                return Err(Fail::At(
                                    i,
                                    format!(
                                        "mismatched bracket: expected '{}', found '{}'",
                                        expected as char, c as char
                                    ),
                                ));
                            }
                            if self.stack.is_empty() {
                                return Ok(i + 1);
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                Err(Fail::Eof)
            }
            Some(_) => {
                let mut i = at;
                while let Some(&c) = b.get(i) {
                    if matches!(
                        c,
                        b',' | b']'
                            | b'}'
                            | b'{'
                            | b'['
                            | b'"'
                            | b' '
                            | b'\t'
                            | b'\r'
                            | b'\n'
                            | b':'
                    ) {
                        break;
                    }
                    i += 1;
                }
                if i == at {
                    Err(Fail::At(
                        at,
                        format!("expected a JSON value, found {}", found(b, at)),
                    ))
                } else {
                    Ok(i)
                }
            }
        }
    }

    /// Column of `at` when only whitespace precedes it on its line.
    fn indent(&self, at: usize) -> Option<usize> {
        let line_start = memchr::memrchr(b'\n', &self.b[..at]).map_or(0, |n| n + 1);
        self.b[line_start..at]
            .iter()
            .all(|c| matches!(c, b' ' | b'\t' | b'\r'))
            .then_some(at - line_start)
    }

    /// Finds where to resume after damage at `from`.
    fn resync(&self, from: usize, indent: Option<usize>) -> Resync {
        let b = self.b;
        let mut pos = from;
        while let Some(nl) = memchr::memchr(b'\n', b.get(pos..).unwrap_or_default()) {
            let line = pos + nl + 1;
            let mut k = line;
            while matches!(b.get(k), Some(b' ' | b'\t')) {
                k += 1;
            }
            match b.get(k) {
                Some(b'{') if indent == Some(k - line) && k > line => return Resync::Sibling(k),
                Some(b'{' | b'[') if k == line => return Resync::TopLevel(line),
                _ => {}
            }
            pos = line;
        }
        Resync::End
    }

    fn resync_pos(&self, r: &Resync) -> usize {
        match r {
            Resync::Sibling(p) | Resync::TopLevel(p) => *p,
            Resync::End => self.b.len(),
        }
    }

    fn damaged(
        &mut self,
        start: usize,
        end: usize,
        item: Option<u32>,
        page: Option<usize>,
        fail: Fail,
    ) {
        let (damage, message, at) = match fail {
            Fail::Eof => (
                Damage::Truncated,
                "truncated record: expected '}' before end of input".to_string(),
                None,
            ),
            Fail::At(at, why) => (Damage::InvalidJson, why, Some(at)),
            Fail::TooDeep(at) => (
                Damage::TooDeep,
                format!("arrays and objects nested deeper than {MAX_DEPTH} levels"),
                Some(at),
            ),
        };
        self.out.pieces.push(Piece::Damaged {
            start,
            end,
            item,
            page,
            damage,
            message,
            at,
        });
    }

    /// Bytes that cannot start a JSON text: skip to the next plausible start.
    fn junk(&mut self, start: usize) -> usize {
        let r = self.resync(start, None);
        let end = self.resync_pos(&r);
        let only_closers = self.b[start..end]
            .iter()
            .all(|c| matches!(c, b']' | b'}' | b',' | b' ' | b'\t' | b'\r' | b'\n'));
        if !only_closers {
            let message = format!(
                "expected '{{' or '[' at the start of a JSON text, found {}",
                found(self.b, start)
            );
            self.out.pieces.push(Piece::Damaged {
                start,
                end,
                item: None,
                page: None,
                damage: Damage::InvalidJson,
                message,
                at: None,
            });
        }
        end.max(start + 1)
    }

    fn top_array(&mut self, start: usize) -> usize {
        self.out.arrays += 1;
        self.items(start, None).0
    }

    /// Elements of the array opening at `open`. Returns where scanning resumes
    /// and whether the array closed normally with `]` (false: abandoned after
    /// damage, resume at the top level).
    fn items(&mut self, open: usize, page: Option<usize>) -> (usize, bool) {
        let b = self.b;
        let mut i = self.ws(open + 1);
        let mut item: u32 = std::mem::take(&mut self.first_item);
        if b.get(i) == Some(&b']') {
            return (i + 1, true);
        }
        loop {
            let elem = i;
            match self.value(elem, 0) {
                Ok(end) => {
                    self.out.pieces.push(Piece::Record {
                        start: elem,
                        end,
                        item: Some(item),
                        page,
                    });
                    item += 1;
                    i = self.ws(end);
                    match b.get(i) {
                        Some(b',') => {
                            i = self.ws(i + 1);
                            if b.get(i) == Some(&b']') {
                                self.out
                                    .warnings
                                    .push(format!("trailing comma before ']' at byte {i}"));
                                return (i + 1, true);
                            }
                        }
                        Some(b']') => return (i + 1, true),
                        None => {
                            self.out
                                .warnings
                                .push("input ends before the closing ']' (no record lost)".into());
                            return (i, false);
                        }
                        Some(_) => {
                            let fail = Fail::At(
                                i,
                                format!(
                                    "expected ',' or ']' after value[{}], found {}",
                                    item - 1,
                                    found(b, i)
                                ),
                            );
                            match self.after_damage(i, elem, None, page, fail, false) {
                                Ok(next) => i = next,
                                Err(resume) => return (resume, false),
                            }
                        }
                    }
                }
                Err(_) if elem >= b.len() => {
                    self.out
                        .warnings
                        .push("input ends before the closing ']' (no record lost)".into());
                    return (b.len(), false);
                }
                Err(fail) => {
                    let at_eof = matches!(fail, Fail::Eof);
                    match self.after_damage(elem, elem, Some(item), page, fail, true) {
                        Ok(next) => {
                            item += 1;
                            i = next;
                        }
                        Err(resume) => return (resume, false),
                    }
                    if at_eof {
                        return (b.len(), false);
                    }
                }
            }
        }
    }

    /// Records damage starting at `start` and finds the next sibling element
    /// (`Ok`) or the position where top-level scanning resumes (`Err`).
    fn after_damage(
        &mut self,
        start: usize,
        elem: usize,
        item: Option<u32>,
        page: Option<usize>,
        fail: Fail,
        is_record: bool,
    ) -> Result<usize, usize> {
        // A damaged top-level record (JSON Lines, concatenated objects) ends
        // at the next line that starts a new top-level value, wherever the
        // parse failed: the failure is often inside the next record, which a
        // cut line swallowed as one of its values.
        let top_level = is_record && page.is_none() && item.is_none();
        if matches!(fail, Fail::Eof) && !top_level {
            self.damaged(start, self.b.len(), item, page, fail);
            return Err(self.b.len());
        }
        let from = match &fail {
            _ if top_level => start,
            Fail::At(at, _) | Fail::TooDeep(at) => *at,
            Fail::Eof => start,
        };
        let r = self.resync(from, self.indent(elem));
        let end = self.resync_pos(&r);
        if is_record || self.b[start..end].iter().any(|c| !c.is_ascii_whitespace()) {
            self.damaged(start, trim_end(self.b, start, end), item, page, fail);
        }
        match r {
            Resync::Sibling(p) => Ok(p),
            Resync::TopLevel(p) => Err(p),
            Resync::End => Err(self.b.len()),
        }
    }

    /// A top-level `{`: a Graph page, an error envelope, or one record.
    fn top_object(&mut self, start: usize) -> usize {
        let b = self.b;
        let page_index = self.out.pages.len();
        let mut page: Option<PageInfo> = None;
        let mut context = None;
        let mut next_link = None;
        let mut keys = 0usize;
        let mut has_error = false;
        let mut i = self.ws(start + 1);
        let result: Result<usize, Fail> = 'walk: {
            if b.get(i) == Some(&b'}') {
                break 'walk Ok(i + 1);
            }
            loop {
                if b.get(i) != Some(&b'"') {
                    break 'walk Err(if i >= b.len() {
                        Fail::Eof
                    } else {
                        Fail::At(i, format!("expected a key string, found {}", found(b, i)))
                    });
                }
                let key_end = match self.string(i) {
                    Ok(e) => e,
                    Err(f) => break 'walk Err(f),
                };
                let key = &b[i + 1..key_end - 1];
                keys += 1;
                i = self.ws(key_end);
                if b.get(i) != Some(&b':') {
                    break 'walk Err(if i >= b.len() {
                        Fail::Eof
                    } else {
                        Fail::At(
                            i,
                            format!("expected ':' after a key, found {}", found(b, i)),
                        )
                    });
                }
                i = self.ws(i + 1);
                if key == b"value" && b.get(i) == Some(&b'[') && page.is_none() {
                    self.out.pages.push(PageInfo {
                        start,
                        ..PageInfo::default()
                    });
                    page = Some(PageInfo::default());
                    let (resume, closed) = self.items(i, Some(page_index));
                    if !closed {
                        // The array did not close normally: the envelope is lost;
                        // resume at the top level where the scanner resynchronised.
                        self.finish_page(page_index, context, next_link);
                        return resume;
                    }
                    i = resume;
                } else {
                    let end = match self.value(i, 1) {
                        Ok(e) => e,
                        Err(f) => break 'walk Err(f),
                    };
                    match key {
                        b"@odata.context" => context = string_content(&b[i..end]),
                        b"@odata.nextLink" => next_link = string_content(&b[i..end]),
                        b"error" => has_error = b.get(i) == Some(&b'{'),
                        _ => {}
                    }
                    i = end;
                }
                i = self.ws(i);
                match b.get(i) {
                    Some(b',') => i = self.ws(i + 1),
                    Some(b'}') => break 'walk Ok(i + 1),
                    None => break 'walk Err(Fail::Eof),
                    Some(_) => {
                        break 'walk Err(Fail::At(
                            i,
                            format!("expected ',' or '}}' in an object, found {}", found(b, i)),
                        ))
                    }
                }
            }
        };
        if page.is_some() {
            self.finish_page(page_index, context, next_link);
            return match result {
                Ok(end) => end,
                Err(Fail::Eof) => {
                    self.out.warnings.push(
                        "input ends inside a page envelope after its records (no record lost)"
                            .into(),
                    );
                    b.len()
                }
                Err(Fail::At(at, why)) => {
                    self.out.warnings.push(format!(
                        "page envelope damaged after its records: {why} (at byte {at})"
                    ));
                    self.resync_pos(&self.resync(at, Some(0)))
                }
                Err(Fail::TooDeep(at)) => {
                    self.out.warnings.push(format!(
                        "page envelope nested deeper than {MAX_DEPTH} levels after its records (at byte {at})"
                    ));
                    self.resync_pos(&self.resync(at, Some(0)))
                }
            };
        }
        match result {
            Ok(end) if has_error && keys <= 2 => {
                self.out.pieces.push(Piece::GraphError { start, end });
                end
            }
            Ok(end) => {
                self.out.objects += 1;
                self.out.pieces.push(Piece::Record {
                    start,
                    end,
                    item: None,
                    page: None,
                });
                end
            }
            Err(fail) => {
                self.out.objects += 1;
                match self.after_damage(start, start, None, None, fail, true) {
                    Ok(p) | Err(p) => p,
                }
            }
        }
    }

    fn finish_page(&mut self, index: usize, context: Option<String>, next_link: Option<String>) {
        if let Some(p) = self.out.pages.get_mut(index) {
            p.context = context;
            p.next_link = next_link;
        }
    }
}

fn trim_end(b: &[u8], start: usize, mut end: usize) -> usize {
    while end > start && b[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    end
}

/// The text of a JSON string literal, unescaped when needed.
fn string_content(lit: &[u8]) -> Option<String> {
    if lit.contains(&b'\\') {
        return serde_json::from_slice::<String>(lit).ok();
    }
    let inner = lit.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    Some(String::from_utf8_lossy(inner).into_owned())
}

#[cfg(test)]
mod tests;
