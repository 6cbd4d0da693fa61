//! Merging one entity's chunks into its final table: drop duplicate ids, then
//! sort by a total key, so the output is the same for any thread count or
//! input order.
//!
//! Duplicates (same `id`): the copy with the newest last-updated time wins when
//! the entity has one; otherwise the first copy in (source id, byte offset)
//! order. Copies whose content differs from the kept one are counted as
//! conflicting: the evidence disagrees with itself.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use polars::prelude::{DataFrame, IdxCa, IdxSize};

use super::chunk::{RowKeys, TableChunk};
use crate::error::{Error, Result};
use crate::model::EntityKind;

/// A finished entity table and what merging it counted.
pub(crate) struct Merged {
    /// Deduplicated, sorted rows.
    pub(crate) df: DataFrame,
    /// Rows kept per source id.
    pub(crate) written: BTreeMap<i32, u64>,
    /// Copies dropped per source id.
    pub(crate) duplicates: BTreeMap<i32, u64>,
    /// Dropped copies whose content differed from the kept copy.
    pub(crate) conflicting: u64,
    /// Earliest and latest event time among kept rows.
    pub(crate) span: Option<(i64, i64)>,
}

struct Row<'a> {
    index: IdxSize,
    source: i32,
    id: &'a str,
    time: Option<i64>,
    updated: Option<i64>,
    hash: u64,
    offset: u64,
}

/// Merges the chunks of one entity (each with its source id).
pub(crate) fn merge(
    kind: EntityKind,
    parts: Vec<(i32, TableChunk)>,
    keep_raw: bool,
) -> Result<Merged> {
    let table = kind.spec().table;
    let mut frames = Vec::with_capacity(parts.len());
    let mut keys: Vec<(i32, RowKeys)> = Vec::with_capacity(parts.len());
    for (source, chunk) in parts {
        let (df, k) = chunk.finish(source)?;
        frames.push(df);
        keys.push((source, k));
    }
    let mut all = match frames.len() {
        0 => TableChunk::new(kind, keep_raw).finish(0)?.0,
        _ => {
            let mut iter = frames.into_iter();
            let mut first = iter.next().unwrap_or_default();
            for df in iter {
                first
                    .vstack_mut_owned(df)
                    .map_err(|e| Error::table(table, e))?;
            }
            first
        }
    };
    all.rechunk_mut();

    let mut rows = Vec::with_capacity(all.height());
    let mut index: IdxSize = 0;
    for (source, k) in &keys {
        for i in 0..k.id.len() {
            rows.push(Row {
                index,
                source: *source,
                id: &k.id[i],
                time: k.time[i],
                updated: k.updated[i],
                hash: k.hash[i],
                offset: k.offset[i],
            });
            index += 1;
        }
    }
    // Group copies of an id; the winner sorts first within its group.
    rows.sort_by(|a, b| {
        a.id.cmp(b.id)
            .then_with(|| newest_first(a.updated, b.updated))
            .then_with(|| (a.source, a.offset).cmp(&(b.source, b.offset)))
    });
    let mut written = BTreeMap::new();
    let mut duplicates = BTreeMap::new();
    let mut conflicting = 0;
    let mut kept: Vec<&Row<'_>> = Vec::with_capacity(rows.len());
    for row in &rows {
        match kept.last() {
            Some(winner) if winner.id == row.id => {
                *duplicates.entry(row.source).or_insert(0) += 1;
                if winner.hash != row.hash {
                    conflicting += 1;
                }
            }
            _ => {
                *written.entry(row.source).or_insert(0) += 1;
                kept.push(row);
            }
        }
    }
    kept.sort_by(|a, b| (a.time, a.id).cmp(&(b.time, b.id)));
    let span = kept
        .iter()
        .filter_map(|r| r.time)
        .fold(None, |acc: Option<(i64, i64)>, t| {
            Some(acc.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))))
        });
    let order = IdxCa::from_vec("order".into(), kept.iter().map(|r| r.index).collect());
    let df = all.take(&order).map_err(|e| Error::table(table, e))?;
    Ok(Merged {
        df,
        written,
        duplicates,
        conflicting,
        span,
    })
}

/// Orders last-updated times newest first, unknown last.
fn newest_first(a: Option<i64>, b: Option<i64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}
