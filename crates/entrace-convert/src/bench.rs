//! The inner stages of `convert`, callable on one in-memory stream, so the
//! criterion benches (`benches/parse.rs`) can measure each stage on its own.
//!
//! These are thin wrappers over the crate's internal functions, not a stable
//! API: each does exactly what the converter does for that stage and nothing
//! more. Not here: files, archives, Parquet (use [`crate`]).

use std::ops::Range;

use entrace_input::encoding::decode;
use entrace_input::parse::keys::RowKeys;
use entrace_input::parse::parse_leaf;
use entrace_input::parse::scan::{scan, Piece};
use entrace_model::error::Result;
use entrace_model::EntityKind;
use entrace_table::dedup::plan;
use entrace_table::rebuild::Rebuild;
use entrace_table::texts::{TextSource, Texts};

/// Record-boundary scanning: the byte range of every record candidate in one
/// stream (Graph pages, bare arrays, JSON Lines, concatenated JSON), found by
/// the converter's structural scanner. `text` is UTF-8 without a BOM.
pub fn record_spans(text: &[u8]) -> Vec<Range<usize>> {
    scan(text)
        .pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Record { start, end, .. } => Some(*start..*end),
            _ => None,
        })
        .collect()
}

/// What [`build_columns`] produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Built {
    /// Table rows built, over every entity.
    pub rows: usize,
    /// Columns of the finished frames, over every entity.
    pub columns: usize,
    /// Records and spans rejected.
    pub rejects: usize,
}

/// Builds the tables of one stream exactly as the converter does, in memory:
/// the first pass (decode, scan, simd-json on a reused scratch buffer, entity
/// and identity checks, keys), de-duplication, and the second pass (parse
/// again in table order, column builders, the table in memory).
///
/// # Errors
/// [`entrace_model::error::Error`] when a frame cannot be assembled (an internal error).
pub fn build_columns(bytes: &[u8], keep_raw: bool) -> Result<Built> {
    let decoded = decode(bytes);
    let (parsed, sets) = parse_leaf(&decoded);
    let mut built = Built {
        rejects: parsed.rejects.len(),
        ..Built::default()
    };
    let mut texts = Texts::default();
    let stream = texts.push(TextSource::Memory(decoded.text.into_owned()));
    let sources = [0];
    let mut blocks: Vec<Vec<RowKeys>> = EntityKind::ALL.iter().map(|_| Vec::new()).collect();
    for set in sets {
        for (k, mut keys) in set.into_iter().enumerate() {
            keys.set_stream(stream);
            blocks[k].push(keys);
        }
    }
    for kind in EntityKind::ALL {
        let blocks = &blocks[kind.index()];
        let plan = plan(blocks, &sources);
        if plan.kept.is_empty() {
            continue;
        }
        let rebuild = Rebuild {
            kind,
            blocks,
            sources: &sources,
            texts: &texts,
            keep_raw,
        };
        let table = rebuild.table(&plan.kept, 0)?;
        built.rows += table.rows();
        built.columns += table.columns();
    }
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_columns_of_a_small_page() {
        let page = br#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":[{"id":"a","createdDateTime":"2025-03-17T10:00:00Z","appId":"x"},{"id":"b","createdDateTime":"2025-03-17T10:00:01Z","appId":"x"}]}"#;
        let spans = record_spans(page);
        assert_eq!(spans.len(), 2);
        assert_eq!(&page[spans[0].clone()][..8], br#"{"id":"a"#);
        let built = build_columns(page, true).unwrap();
        assert_eq!((built.rows, built.rejects), (2, 0));
        assert!(built.columns > 10);
    }
}
