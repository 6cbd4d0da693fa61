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

use std::path::Path;

use polars::prelude::{DataFrame, IdxCa, IdxSize};
use rayon::prelude::*;

use super::chunk::TableChunk;
use super::spill::{read_rows, Run, TableWriter, BATCH_ROWS};
use crate::error::{Error, Result};
use crate::model::EntityKind;

/// What merging one entity's runs wrote and counted.
pub(crate) struct Merged {
    /// Rows written.
    pub(crate) rows: u64,
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
    run: u32,
    row: u32,
    source: i32,
    id: &'a str,
    time: Option<i64>,
    updated: Option<i64>,
    hash: u64,
    offset: u64,
}

/// Merges the sorted runs of one entity (each with its source id) into the
/// Parquet table at `path`: duplicates dropped, rows in (time, id) order,
/// written [`BATCH_ROWS`] at a time.
pub(crate) fn merge(
    kind: EntityKind,
    runs: Vec<(i32, Run)>,
    keep_raw: bool,
    path: &Path,
) -> Result<Merged> {
    merge_in_batches(kind, runs, keep_raw, path, BATCH_ROWS)
}

fn merge_in_batches(
    kind: EntityKind,
    runs: Vec<(i32, Run)>,
    keep_raw: bool,
    path: &Path,
    batch_rows: usize,
) -> Result<Merged> {
    let table = kind.spec().table;
    let mut rows = Vec::new();
    for (r, (source, run)) in runs.iter().enumerate() {
        let k = &run.keys;
        for i in 0..k.id.len() {
            rows.push(Row {
                run: r as u32,
                row: i as u32,
                source: *source,
                id: &k.id[i],
                time: k.time[i],
                updated: k.updated[i],
                hash: k.hash[i],
                offset: k.offset[i],
            });
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

    let mut out = TableWriter::new(path.to_path_buf());
    for batch in kept.chunks(batch_rows) {
        out.write(&gather(batch, &runs, table)?)?;
    }
    if !out.finish()? {
        // No rows: the table is still written, with its full schema.
        let mut empty = TableChunk::new(kind, keep_raw).finish(0)?.0;
        crate::output::write_parquet(path, &mut empty)?;
    }
    Ok(Merged {
        rows: kept.len() as u64,
        written,
        duplicates,
        conflicting,
        span,
    })
}

/// The rows of `batch`, in its order, read from their runs. Within a run the
/// kept rows of successive batches only move forward (both are in (time, id)
/// order), so each run is read as one slice per batch.
fn gather(batch: &[&Row<'_>], runs: &[(i32, Run)], table: &str) -> Result<DataFrame> {
    let err = |e: polars::prelude::PolarsError| Error::table(table, e);
    let mut by_run: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for r in batch {
        by_run.entry(r.run).or_default().push(r.row);
    }
    // Read the runs' slices on every core, then stack them in run order.
    let wanted: Vec<(&u32, &Vec<u32>)> = by_run.iter().collect();
    let pieces: Vec<(u32, DataFrame)> = wanted
        .into_par_iter()
        .map(|(run, wanted)| {
            let (source, spilled) = &runs[*run as usize];
            let (first, last) = (wanted[0], wanted[wanted.len() - 1]);
            let slice = read_rows(spilled, *source, first as usize, last as usize)?;
            let local = IdxCa::from_vec(
                "local".into(),
                wanted.iter().map(|w| (w - first) as IdxSize).collect(),
            );
            Ok((*run, slice.take(&local).map_err(err)?))
        })
        .collect::<Result<_>>()?;
    let mut stacked: Option<DataFrame> = None;
    let mut base: BTreeMap<u32, IdxSize> = BTreeMap::new();
    for (run, picked) in pieces {
        let offset = stacked.as_ref().map_or(0, |s| s.height() as IdxSize);
        base.insert(run, offset);
        match &mut stacked {
            None => stacked = Some(picked),
            Some(s) => {
                s.vstack_mut_owned(picked).map_err(err)?;
            }
        }
    }
    let Some(stacked) = stacked else {
        return Err(Error::Internal(format!("{table}: empty batch")));
    };
    // Position of each batch row in `stacked`.
    let mut seen: BTreeMap<u32, IdxSize> = BTreeMap::new();
    let order: Vec<IdxSize> = batch
        .iter()
        .map(|r| {
            let n = seen.entry(r.run).or_insert(0);
            let at = base[&r.run] + *n;
            *n += 1;
            at
        })
        .collect();
    stacked
        .take(&IdxCa::from_vec("order".into(), order))
        .map_err(err)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::encoding::decode;
    use crate::parse::parse_leaf;
    use polars::prelude::{ParquetReader, SerReader};

    /// Sorted runs of sign-ins from JSON Lines `texts`, one source each.
    fn runs(texts: &[String], dir: &Path) -> Vec<(i32, Run)> {
        let mut out = Vec::new();
        for (source, text) in texts.iter().enumerate() {
            let (_, sets) = parse_leaf(&decode(text.as_bytes()), true);
            for set in sets {
                for chunk in set.chunks.into_iter().flatten() {
                    out.push((
                        source as i32,
                        crate::table::spill::spill(chunk, dir).unwrap(),
                    ));
                }
            }
        }
        out
    }

    fn line(id: usize, minute: usize, ip: &str) -> String {
        format!(
            r#"{{"id":"s-{id:03}","createdDateTime":"2025-03-17T10:{minute:02}:00Z","userId":"u","ipAddress":"{ip}","status":{{"errorCode":0}}}}"#
        )
    }

    #[test]
    fn merging_in_small_batches_gives_the_table_of_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        // Source 0: ids 0..30 at shuffled minutes; source 1 repeats ids 10..20
        // (one with other content) and adds 30..40, so runs interleave.
        let a: Vec<String> = (0..30)
            .map(|i| line(i, (i * 7) % 30, "198.51.100.1"))
            .collect();
        let b: Vec<String> = (10..40)
            .filter(|i| *i >= 30 || *i < 20)
            .map(|i| {
                line(
                    i,
                    (i * 7) % 30,
                    if i == 12 {
                        "203.0.113.9"
                    } else {
                        "198.51.100.1"
                    },
                )
            })
            .collect();
        let texts = [a.join("\n"), b.join("\n")];
        let read = |p: &Path| {
            ParquetReader::new(std::fs::File::open(p).unwrap())
                .finish()
                .unwrap()
        };

        let one = dir.path().join("one.parquet");
        let m1 = merge_in_batches(
            EntityKind::SignIn,
            runs(&texts, dir.path()),
            true,
            &one,
            1000,
        )
        .unwrap();
        let small = dir.path().join("small.parquet");
        let m2 = merge_in_batches(
            EntityKind::SignIn,
            runs(&texts, dir.path()),
            true,
            &small,
            3,
        )
        .unwrap();
        assert_eq!((m1.rows, m2.rows), (40, 40));
        assert_eq!(m1.duplicates, BTreeMap::from([(1, 10)]));
        assert_eq!((m1.conflicting, m2.conflicting), (1, 1));
        let (x, y) = (read(&one), read(&small));
        assert!(x.equals_missing(&y));
        // Rows are in (time, id) order and s-012 is source 0's copy.
        let ids: Vec<&str> = x
            .column("id")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(Option::unwrap)
            .collect();
        assert_eq!(&ids[..3], ["s-000", "s-030", "s-013"]);
        let src = x
            .column("ingest_source_id")
            .unwrap()
            .i32()
            .unwrap()
            .get(ids.iter().position(|i| *i == "s-012").unwrap());
        assert_eq!(src, Some(0));
    }
}
