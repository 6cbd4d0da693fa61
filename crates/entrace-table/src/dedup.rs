//! Which rows one entity's table keeps, and in what order: drop duplicate
//! ids, then sort by a total key, so the output is the same for any thread
//! count or input order. Works on the keys alone (see [`entrace_input::parse::keys`]).
//!
//! Duplicates (same `id`): the copy with the newest last-updated time wins when
//! the entity has one; otherwise the first copy in (source id, byte offset)
//! order. Copies whose content differs from the kept one are counted as
//! conflicting: the evidence disagrees with itself.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rayon::prelude::*;

use entrace_input::parse::keys::{RowKeys, NO_TIME};

/// A row: (key block, row within the block).
pub type RowRef = (u32, u32);

/// Which rows of one entity the table keeps, in table order, and what was
/// dropped.
pub struct Plan {
    /// Kept rows in (time, id) order.
    pub kept: Vec<RowRef>,
    /// Rows kept per source id.
    pub written: BTreeMap<i32, u64>,
    /// Copies dropped per source id.
    pub duplicates: BTreeMap<i32, u64>,
    /// Dropped copies whose content differed from the kept copy.
    pub conflicting: u64,
    /// Earliest and latest event time among kept rows.
    pub span: Option<(i64, i64)>,
}

/// De-duplicates the rows of one entity (key `blocks`, whose stream numbers
/// `sources` maps to source ids) and puts the kept rows in table order.
pub fn plan(blocks: &[RowKeys], sources: &[i32]) -> Plan {
    let keys = |r: RowRef| (&blocks[r.0 as usize], r.1 as usize);
    let source = |k: &RowKeys, i: usize| sources[k.stream[i] as usize];
    let mut rows: Vec<RowRef> = Vec::new();
    for (b, block) in blocks.iter().enumerate() {
        rows.extend((0..block.len() as u32).map(|i| (b as u32, i)));
    }
    // Group copies of an id; the winner sorts first within its group. The
    // last tiebreak makes the order total, so an unstable sort is exact.
    rows.par_sort_unstable_by(|&a, &b| {
        let ((ka, i), (kb, j)) = (keys(a), keys(b));
        ka.id(i)
            .cmp(&kb.id(j))
            .then_with(|| newest_first(ka.updated[i], kb.updated[j]))
            .then_with(|| (source(ka, i), ka.offset[i]).cmp(&(source(kb, j), kb.offset[j])))
            .then_with(|| a.cmp(&b))
    });
    let mut written = BTreeMap::new();
    let mut duplicates = BTreeMap::new();
    let mut conflicting = 0;
    let mut kept: Vec<RowRef> = Vec::with_capacity(rows.len());
    for &row in &rows {
        let (k, i) = keys(row);
        match kept.last().map(|&w| keys(w)) {
            Some((wk, w)) if wk.id(w) == k.id(i) => {
                *duplicates.entry(source(k, i)).or_insert(0) += 1;
                if wk.hash[w] != k.hash[i] {
                    conflicting += 1;
                }
            }
            _ => {
                *written.entry(source(k, i)).or_insert(0) += 1;
                kept.push(row);
            }
        }
    }
    drop(rows);
    // Ids are unique among kept rows, so this order is total.
    kept.par_sort_unstable_by(|&a, &b| {
        let ((ka, i), (kb, j)) = (keys(a), keys(b));
        ka.time[i]
            .cmp(&kb.time[j])
            .then_with(|| ka.id(i).cmp(&kb.id(j)))
    });
    let span = kept
        .iter()
        .map(|&r| {
            let (k, i) = keys(r);
            k.time[i]
        })
        .filter(|&t| t != NO_TIME)
        .fold(None, |acc: Option<(i64, i64)>, t| {
            Some(acc.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))))
        });
    Plan {
        kept,
        written,
        duplicates,
        conflicting,
        span,
    }
}

/// Orders last-updated times newest first, unknown last.
fn newest_first(a: i64, b: i64) -> Ordering {
    match (a, b) {
        (NO_TIME, NO_TIME) => Ordering::Equal,
        (_, NO_TIME) => Ordering::Less,
        (NO_TIME, _) => Ordering::Greater,
        (x, y) => y.cmp(&x),
    }
}
