//! From decoded text to row keys and rejects (the converter's first pass).
//!
//! [`scan`] finds the record spans; each span is copied to a reused scratch
//! buffer and parsed with simd-json; the entity comes from the page context or
//! the record's keys; the identity fields are checked; the record's keys
//! (id, times, content hash, where it is) are kept. Anything that fails
//! becomes a located [`Reject`]. The columns are built later from the kept
//! records' text, in table order (entrace's `table::rebuild`).
//!
//! Not here: files and encodings (`input`), Parquet (`table`, `convert`).

pub mod dupkey;
pub mod escapes;
#[doc(hidden)]
pub mod fuzz_checks;
pub mod keys;
pub mod kind;
#[cfg(test)]
mod proptests;
pub mod reject;
pub mod scan;

use std::collections::BTreeMap;

use crate::json::Value;
use simd_json::prelude::*;

use self::kind::ContextKind;
use self::reject::{Locator, Reason, Reject};
use self::scan::{Damage, Piece};
use crate::encoding::Decoded;
use crate::json::{content_hash, describe, timestamp_of};
use crate::parse::keys::{Key, RowKeys};
use entrace_model::text::excerpt;
use entrace_model::{EntityKind, EntitySpec};

/// The last-updated time of `record`, for entities that have one.
pub fn updated_time(kind: EntityKind, record: Value<'_, '_>) -> Option<i64> {
    let spec: &EntitySpec = kind.spec();
    spec.updated_field
        .and_then(|name| crate::json::get(record, name))
        .and_then(timestamp_of)
        .and_then(Result::ok)
}

/// Bytes of input quoted in a reject's excerpt.
const EXCERPT_BYTES: usize = 120;

/// Row keys of one parsed piece of a stream, by [`EntityKind::index`].
pub type KeySet = Vec<RowKeys>;

/// What parsing one stream produced besides row keys.
#[derive(Default)]
pub struct LeafParse {
    /// Located rejects, in byte order.
    pub rejects: Vec<Reject>,
    /// Units read per entity name (`unknown` when the entity could not be told).
    pub read: BTreeMap<&'static str, u64>,
    /// Layout name (`graph_page`, `json_lines`, …).
    pub shape: &'static str,
    /// Structural notes that lose nothing.
    pub warnings: Vec<String>,
    /// Graph page envelopes found.
    pub pages: usize,
    /// Of those, pages with an `@odata.nextLink`.
    pub pages_with_next_link: usize,
}

/// Name used for counts whose entity is unknown.
pub const UNKNOWN: &str = "unknown";

fn entity_name(e: Option<EntityKind>) -> &'static str {
    e.map_or(UNKNOWN, EntityKind::name)
}

/// Counts lines incrementally for increasing offsets.
struct LineCounter<'a> {
    text: &'a [u8],
    at: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn line_at(&mut self, pos: usize) -> u64 {
        if pos < self.at {
            self.at = 0;
            self.line = 1;
        }
        let end = pos.min(self.text.len());
        self.line += memchr::memchr_iter(b'\n', &self.text[self.at..end]).count() as u64;
        self.at = end;
        self.line
    }
}

/// Streams at least this large are parsed in several chunks at once.
const PARALLEL_MIN_BYTES: usize = 8 << 20;
/// Smallest chunk worth a task of its own.
const CHUNK_MIN_BYTES: usize = 2 << 20;

/// Parses one decoded stream: the keys of its records (one [`KeySet`] per
/// chunk, in byte order) and what was read and rejected.
///
/// The scan that finds record boundaries is one sequential pass; the typed
/// parse, the expensive part, runs on record-exact chunks of the pieces in
/// parallel when the stream is large, so one big file keeps every core busy.
/// Chunks keep byte order, so the output does not depend on the split.
pub fn parse_leaf(decoded: &Decoded<'_>) -> (LeafParse, Vec<KeySet>) {
    parse_split(decoded, 0, PARALLEL_MIN_BYTES, CHUNK_MIN_BYTES)
}

/// [`parse_leaf`] for a window of one large array or page: its elements are
/// numbered from `first_item`.
pub fn parse_window(decoded: &Decoded<'_>, first_item: u32) -> (LeafParse, Vec<KeySet>) {
    parse_split(decoded, first_item, PARALLEL_MIN_BYTES, CHUNK_MIN_BYTES)
}

/// [`parse_leaf`] with the split thresholds as arguments (tests force small chunks).
fn parse_split(
    decoded: &Decoded<'_>,
    first_item: u32,
    parallel_min: usize,
    chunk_min: usize,
) -> (LeafParse, Vec<KeySet>) {
    let scanned = scan::scan_from(&decoded.text, first_item);
    parse_with(decoded, scanned, parallel_min, chunk_min)
}

/// [`parse_leaf`] of a text the caller has scanned already (`scanned` is
/// `scan::scan` of `decoded.text`), so it is not scanned twice.
pub fn parse_scanned(decoded: &Decoded<'_>, scanned: scan::Scan) -> (LeafParse, Vec<KeySet>) {
    parse_with(decoded, scanned, PARALLEL_MIN_BYTES, CHUNK_MIN_BYTES)
}

fn parse_with(
    decoded: &Decoded<'_>,
    scanned: scan::Scan,
    parallel_min: usize,
    chunk_min: usize,
) -> (LeafParse, Vec<KeySet>) {
    let text: &[u8] = &decoded.text;
    let mut out = LeafParse {
        shape: scanned.shape(),
        warnings: scanned.warnings.clone(),
        pages: scanned.pages.len(),
        pages_with_next_link: scanned
            .pages
            .iter()
            .filter(|p| p.next_link.is_some())
            .count(),
        ..LeafParse::default()
    };
    let job = Job {
        decoded,
        scanned: &scanned,
        contexts: scanned
            .pages
            .iter()
            .map(|p| {
                let ctx = p.context.as_deref();
                (ctx.map(kind::from_context), ctx.and_then(kind::api_version))
            })
            .collect(),
    };
    let ranges = chunks(
        &scanned.pieces,
        (text.len(), parallel_min, chunk_min),
        rayon::current_num_threads(),
    );
    // Line numbers where each chunk starts, in one pass.
    let mut lines = LineCounter {
        text,
        at: 0,
        line: 1,
    };
    let starts: Vec<(usize, u64)> = ranges
        .iter()
        .map(|r| {
            let at = scanned.pieces.get(r.start).map_or(0, |p| p.start());
            (at, lines.line_at(at))
        })
        .collect();
    let parts: Vec<(Part, KeySet)> = if ranges.len() == 1 {
        vec![job.run(&scanned.pieces, starts[0])]
    } else {
        use rayon::prelude::*;
        ranges
            .par_iter()
            .zip(starts.par_iter())
            .map(|(r, &start)| job.run(&scanned.pieces[r.clone()], start))
            .collect()
    };
    let mut tables = Vec::with_capacity(parts.len());
    for (part, set) in parts {
        for (entity, n) in part.read {
            *out.read.entry(entity).or_default() += n;
        }
        out.rejects.extend(part.rejects);
        tables.push(set);
    }
    for &orig in &decoded.invalid_units {
        *out.read.entry(UNKNOWN).or_default() += 1;
        out.rejects.push(Reject {
            locator: Locator { offset: Some(orig), line: None, item: None },
            entity: None,
            reason: Reason::InvalidEncoding,
            message: "invalid UTF-16 code unit (unpaired surrogate or odd length); replaced by U+FFFD in the record".into(),
            excerpt: String::new(),
        });
    }
    (out, tables)
}

/// Why simd-json refused `span`: the reason, a message that says what was
/// wrong, and the byte of `span` where it is. simd-json's own positions are
/// coarse (a raw NUL in a string is reported at the record's first byte), so
/// the message and position come from the exact reader where they can: the
/// first invalid UTF-8 sequence, or serde_json's description of the syntax
/// error (`control character (\u0000-\u001F) found while parsing a string`).
fn explain(span: &[u8], e: &simd_json::Error) -> (Reason, String, usize) {
    if let Err(bad) = std::str::from_utf8(span) {
        let at = bad.valid_up_to();
        let byte = span.get(at).copied().unwrap_or_default();
        return (
            Reason::InvalidEncoding,
            format!("invalid UTF-8: byte 0x{byte:02x} cannot start or continue a character"),
            at,
        );
    }
    if matches!(e.error(), simd_json::ErrorType::Eof) {
        let at = e.index().min(span.len());
        return (
            Reason::Truncated,
            format!("truncated record: {:?}", e.error()),
            at,
        );
    }
    if let Err(exact) = serde_json::from_slice::<serde_json::Value>(span) {
        let text = exact.to_string();
        let what = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(w, _)| w);
        let at = byte_of(span, exact.line(), exact.column());
        return (Reason::InvalidJson, format!("invalid JSON: {what}"), at);
    }
    let at = e.index().min(span.len());
    match e.error() {
        simd_json::ErrorType::InvalidNumber => {
            // simd-json stops somewhere inside the number: point at its start.
            let start = span[..at]
                .iter()
                .rposition(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .map_or(0, |p| p + 1);
            let what = "number out of range: entrace reads integers up to 64 bits and floats up to about 1.8e308";
            (Reason::InvalidJson, what.to_string(), start)
        }
        other => (Reason::InvalidJson, format!("invalid JSON: {other:?}"), at),
    }
}

/// Byte index in `span` of serde_json's 1-based line and column (column 0
/// means the end of the previous line).
fn byte_of(span: &[u8], line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        memchr::memchr_iter(b'\n', span)
            .nth(line - 2)
            .map_or(span.len(), |n| n + 1)
    };
    (line_start + column.saturating_sub(1)).min(span.len())
}

/// Checks `id` and the event time; returns the id and the parsed event time.
fn check_identity<'i>(
    entity: EntityKind,
    record: Value<'_, 'i>,
) -> Result<(&'i str, Option<i64>), (Reason, String)> {
    let get = |key: &str| crate::json::get(record, key);
    let id = match get("id").or_else(|| get("Id")) {
        None => {
            return Err((
                Reason::MissingRequiredField,
                "missing required field: expected \"id\"".into(),
            ))
        }
        Some(v) => match crate::json::str_of(v) {
            Some(s) if !s.trim().is_empty() => s,
            Some(_) => {
                return Err((
                    Reason::MissingRequiredField,
                    "missing required field: \"id\" is empty".into(),
                ))
            }
            None if v.is_null() => {
                return Err((
                    Reason::MissingRequiredField,
                    "missing required field: \"id\" is null".into(),
                ))
            }
            None => {
                return Err((
                    Reason::WrongType,
                    format!("id: expected a string, found {}", describe(v)),
                ))
            }
        },
    };
    let spec = entity.spec();
    if spec.time_fields.is_empty() {
        return Ok((id, None));
    }
    let present = spec
        .time_fields
        .iter()
        .find_map(|f| get(f).filter(|v| !v.is_null()).map(|v| (*f, v)));
    match present {
        None => Err((
            Reason::MissingRequiredField,
            format!(
                "missing required field: expected {}",
                spec.time_fields.join(" or ")
            ),
        )),
        Some((name, v)) => match timestamp_of(v) {
            Some(Ok(ns)) => Ok((id, Some(ns))),
            Some(Err(why)) => Err((
                Reason::InvalidTimestamp,
                format!("{name}: invalid timestamp: {why}, found {}", describe(v)),
            )),
            None => Err((
                Reason::InvalidTimestamp,
                format!("{name}: expected a timestamp string, found {}", describe(v)),
            )),
        },
    }
}

/// Splits `pieces` into contiguous ranges of about equal bytes: one range
/// for streams under `parallel_min` bytes, else up to four per thread, none
/// under `chunk_min` bytes.
fn chunks(
    pieces: &[Piece],
    (bytes, parallel_min, chunk_min): (usize, usize, usize),
    threads: usize,
) -> Vec<std::ops::Range<usize>> {
    if bytes < parallel_min || pieces.len() < 2 {
        return std::iter::once(0..pieces.len()).collect();
    }
    let n = (threads * 4).clamp(1, (bytes / chunk_min.max(1)).max(1));
    let target = bytes.div_ceil(n);
    let mut out = Vec::with_capacity(n);
    let mut from = 0;
    let mut from_byte = pieces[0].start();
    for (i, p) in pieces.iter().enumerate() {
        if p.end() - from_byte >= target {
            out.push(from..i + 1);
            from = i + 1;
            from_byte = p.end();
        }
    }
    if from < pieces.len() {
        out.push(from..pieces.len());
    }
    out
}

impl Piece {
    /// First byte of the piece.
    fn start(&self) -> usize {
        match self {
            Piece::Record { start, .. }
            | Piece::Damaged { start, .. }
            | Piece::GraphError { start, .. } => *start,
        }
    }

    /// One past its last byte.
    fn end(&self) -> usize {
        match self {
            Piece::Record { end, .. }
            | Piece::Damaged { end, .. }
            | Piece::GraphError { end, .. } => *end,
        }
    }
}

/// What one chunk read and rejected.
#[derive(Default)]
struct Part {
    rejects: Vec<Reject>,
    read: BTreeMap<&'static str, u64>,
}

/// What every chunk of one stream shares.
struct Job<'a> {
    decoded: &'a Decoded<'a>,
    scanned: &'a scan::Scan,
    contexts: Vec<(Option<ContextKind>, Option<&'static str>)>,
}

impl Job<'_> {
    /// Parses `pieces`, the first of which starts at byte and line `start`.
    fn run(&self, pieces: &[Piece], start: (usize, u64)) -> (Part, KeySet) {
        let (decoded, scanned, contexts) = (self.decoded, self.scanned, &self.contexts);
        let text: &[u8] = &decoded.text;
        let mut out = Part::default();
        let mut keys: KeySet = EntityKind::ALL.iter().map(|_| RowKeys::default()).collect();
        let mut lines = LineCounter {
            text,
            at: start.0,
            line: start.1,
        };
        let mut scratch: Vec<u8> = Vec::new();
        let mut buffers = simd_json::Buffers::default();

        for piece in pieces {
            let (start, end, item, page) = match piece {
                Piece::Record {
                    start,
                    end,
                    item,
                    page,
                }
                | Piece::Damaged {
                    start,
                    end,
                    item,
                    page,
                    ..
                } => (*start, *end, *item, *page),
                Piece::GraphError { start, end } => (*start, *end, None, None),
            };
            let locator = Locator {
                offset: Some(decoded.original_offset(start)),
                line: Some(lines.line_at(start)),
                item,
            };
            let (context, api) = page
                .and_then(|p| contexts.get(p).copied())
                .unwrap_or((None, None));
            let page_entity = match context {
                Some(ContextKind::Known(k)) => Some(k),
                _ => None,
            };
            let span = &text[start..end];
            let mut reject = |entity: Option<EntityKind>, reason: Reason, message: String| {
                *out.read.entry(entity_name(entity)).or_default() += 1;
                out.rejects.push(Reject {
                    locator,
                    entity,
                    reason,
                    message,
                    excerpt: excerpt(span, EXCERPT_BYTES),
                });
            };
            match piece {
                Piece::Damaged {
                    damage,
                    message,
                    at,
                    ..
                } => {
                    let reason = match damage {
                        Damage::Truncated => Reason::Truncated,
                        Damage::InvalidJson => Reason::InvalidJson,
                        Damage::TooDeep => Reason::LimitExceeded,
                    };
                    let message = match at {
                        // The byte of the original stream, like every offset.
                        Some(at) => format!("{message} (at byte {})", decoded.original_offset(*at)),
                        None => message.clone(),
                    };
                    reject(page_entity, reason, message);
                }
                Piece::GraphError { .. } => {
                    let detail = serde_json::from_slice::<serde_json::Value>(span).ok();
                    let field = |k: &str| {
                        detail
                            .as_ref()
                            .and_then(|d| d.get("error")?.get(k)?.as_str().map(str::to_string))
                            .unwrap_or_default()
                    };
                    let message = format!(
                        "graph error response saved instead of a page: {}: {}",
                        field("code"),
                        entrace_model::text::escape(&field("message"))
                    );
                    reject(None, Reason::GraphErrorResponse, message);
                }
                Piece::Record { .. } => {
                    if let Some((at, message)) = escapes::lone_surrogate(span) {
                        let at = decoded.original_offset(start + at);
                        reject(
                            page_entity,
                            Reason::InvalidEncoding,
                            format!("{message} (at byte {at})"),
                        );
                        continue;
                    }
                    scratch.clear();
                    scratch.extend_from_slice(span);
                    let tape = match crate::json::parse(&mut scratch, &mut buffers) {
                        Ok(v) => v,
                        Err(e) => {
                            let (reason, what, at) = explain(span, &e);
                            let at = decoded.original_offset(start + at);
                            reject(page_entity, reason, format!("{what} (at byte {at})"));
                            continue;
                        }
                    };
                    let value = tape.as_value();
                    if !value.is_object() {
                        reject(
                            page_entity,
                            Reason::WrongType,
                            format!("expected a JSON object, found {}", describe(value)),
                        );
                        continue;
                    }
                    if let Some(path) = dupkey::first_duplicate(value) {
                        reject(
                            page_entity,
                            Reason::InvalidJson,
                            format!("duplicate key: {path:?} appears twice in one object; readers disagree which copy counts, so the record is not tabled"),
                        );
                        continue;
                    }
                    let entity = match context {
                        Some(ContextKind::Known(k)) => k,
                        Some(ContextKind::Other) => {
                            let ctx = page
                                .and_then(|p| scanned.pages[p].context.as_deref())
                                .unwrap_or_default();
                            reject(
                                None,
                                Reason::UnknownEntity,
                                format!(
                                    "page of a collection entrace does not table: {}",
                                    excerpt(ctx.as_bytes(), 100)
                                ),
                            );
                            continue;
                        }
                        None => match kind::from_record(value) {
                            Some(k) => k,
                            None => {
                                reject(None, Reason::UnknownEntity, "expected a signIn, directoryAudit, riskDetection, riskyUser or riskyUserHistoryItem record, found none of their keys".into());
                                continue;
                            }
                        },
                    };
                    let (id, time) = match check_identity(entity, value) {
                        Ok(checked) => checked,
                        Err((reason, message)) => {
                            reject(Some(entity), reason, message);
                            continue;
                        }
                    };
                    let updated = updated_time(entity, value);
                    keys[entity.index()].push(Key {
                        id,
                        time: time.or(updated),
                        updated,
                        hash: content_hash(value),
                        offset: locator.offset.unwrap_or_default(),
                        stream: 0,
                        line: locator.line.unwrap_or_default(),
                        api,
                        span: (start as u64, (end - start) as u64),
                    });
                    *out.read.entry(entity.name()).or_default() += 1;
                }
            }
        }
        (out, keys)
    }
}

/// The sign-in records of the seed's first v1.0 page, for tests (here and in
/// the crates that use this one) that build other layouts from them. Reads
/// the repository's `testdata/`; panics when it is absent.
#[doc(hidden)]
pub fn sample_sign_ins() -> Vec<serde_json::Value> {
    let page = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/sample-evidence/signins/v1.0/page-001.json"
    ))
    .unwrap();
    let whole: serde_json::Value = serde_json::from_slice(&page).unwrap();
    whole["value"].as_array().unwrap().clone()
}

#[cfg(test)]
mod split_tests {
    use super::*;
    use crate::encoding::decode;

    /// Entity, id, hash, offset, line and span of one row.
    type KeyRow = (usize, String, u64, u64, u64, (u64, u64));

    /// Every key of `sets`, entity by entity, in byte order.
    fn keys(sets: &[KeySet]) -> Vec<KeyRow> {
        let mut out = Vec::new();
        for k in EntityKind::ALL {
            for set in sets {
                let rows = &set[k.index()];
                for i in 0..rows.len() {
                    out.push((
                        k.index(),
                        format!("{:?}", rows.id(i)),
                        rows.hash[i],
                        rows.offset[i],
                        rows.line[i],
                        rows.span[i],
                    ));
                }
            }
        }
        out
    }

    #[test]
    fn chunked_parsing_gives_the_rows_and_rejects_of_a_single_pass() {
        // Records, a damaged line, a wrong type and a duplicate key, in JSON Lines.
        let mut text = String::new();
        for (i, r) in sample_sign_ins().iter().enumerate() {
            text.push_str(&r.to_string());
            text.push('\n');
            match i {
                7 => text.push_str("{\"id\": \"broken\", \"createdDateTime\": \n"),
                19 => text.push_str("[1, 2]\n"),
                30 => text.push_str("{\"id\":\"d\",\"id\":\"e\"}\n"),
                _ => {}
            }
        }
        let decoded = decode(text.as_bytes());
        let (one, one_sets) = parse_split(&decoded, 0, usize::MAX, 1);
        let (many, many_sets) = parse_split(&decoded, 0, 0, 1);
        assert_eq!(one_sets.len(), 1);
        assert!(many_sets.len() > 3, "{}", many_sets.len());
        assert_eq!(one.read, many.read);
        // The cut line is one reject (the records after it are kept); the
        // array gives two; the duplicate key one.
        assert_eq!(one.rejects.len(), 4);
        assert_eq!(format!("{:?}", one.rejects), format!("{:?}", many.rejects));
        let (a, b) = (keys(&one_sets), keys(&many_sets));
        assert_eq!(a, b);
        assert_eq!(a.len(), 40);
    }
}
