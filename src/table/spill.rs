//! Bounded memory: parsed rows go to disk as soon as a stream is parsed, and
//! each entity's final table is written by merging those sorted runs batch by
//! batch. Memory then holds the streams being parsed, the dedup keys of every
//! row (id, times, hash, offset) and one output batch, not the whole dump.
//!
//! A run is one chunk of one stream, sorted by (event time, id) and written
//! uncompressed into the output's temporary directory. Because the final
//! order is the same (time, id) order, every run is read front to back, a
//! slice at a time.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use polars::prelude::*;

use super::chunk::{RowKeys, TableChunk};
use crate::error::{Error, Result};

/// Rows per output batch (and Parquet row group) of the final tables.
pub(crate) const BATCH_ROWS: usize = 32 * 1024;

/// One sorted run of one entity's rows on disk.
pub(crate) struct Run {
    /// The spill file.
    pub(crate) path: PathBuf,
    /// Keys of its rows, in file order.
    pub(crate) keys: RowKeys,
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Finishes `chunk`, sorts its rows by (time, id, offset) and writes them to
/// a new file in `dir`. The `ingest_source_id` column is a placeholder: the
/// source is known only when every stream is parsed (see [`read_rows`]).
pub(crate) fn spill(chunk: TableChunk, dir: &Path) -> Result<Run> {
    let table = chunk.table();
    let (df, keys) = chunk.finish(0)?;
    let mut order: Vec<IdxSize> = (0..keys.id.len() as IdxSize).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (a as usize, b as usize);
        (keys.time[a], &keys.id[a], keys.offset[a]).cmp(&(
            keys.time[b],
            &keys.id[b],
            keys.offset[b],
        ))
    });
    let pick = |i: &IdxSize| *i as usize;
    let keys = RowKeys {
        id: order.iter().map(|i| keys.id[pick(i)].clone()).collect(),
        time: order.iter().map(|i| keys.time[pick(i)]).collect(),
        updated: order.iter().map(|i| keys.updated[pick(i)]).collect(),
        hash: order.iter().map(|i| keys.hash[pick(i)]).collect(),
        offset: order.iter().map(|i| keys.offset[pick(i)]).collect(),
    };
    let mut df = df
        .take(&IdxCa::from_vec("order".into(), order))
        .map_err(|e| Error::table(table, e))?;
    let path = dir.join(format!(
        "{table}-{:06}.parquet",
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::File::create(&path)
        .map_err(|e| Error::io(&path, "cannot create spill file", e))?;
    ParquetWriter::new(file)
        .with_compression(ParquetCompression::Uncompressed)
        .with_row_group_size(Some(4096))
        .finish(&mut df)
        .map_err(|e| Error::table(path.display().to_string(), e))?;
    Ok(Run { path, keys })
}

/// Rows `first..=last` of `run`, with `ingest_source_id` set to `source`.
pub(crate) fn read_rows(run: &Run, source: i32, first: usize, last: usize) -> Result<DataFrame> {
    let err = |e: PolarsError| Error::table(run.path.display().to_string(), e);
    let file = std::fs::File::open(&run.path)
        .map_err(|e| Error::io(&run.path, "cannot reopen spill file", e))?;
    let mut df = ParquetReader::new(file)
        .with_slice(Some((first, last - first + 1)))
        .finish()
        .map_err(err)?;
    let height = df.height();
    df.replace(
        "ingest_source_id",
        Series::new("ingest_source_id".into(), vec![source; height]).into_column(),
    )
    .map_err(err)?;
    Ok(df)
}

/// Writes `batches` (each a DataFrame) as one zstd Parquet file at `path`.
pub(crate) struct TableWriter {
    path: PathBuf,
    writer: Option<polars::io::parquet::write::BatchedWriter<std::fs::File>>,
}

impl TableWriter {
    /// A writer for `path`; the file is created with the first batch.
    pub(crate) fn new(path: PathBuf) -> Self {
        TableWriter { path, writer: None }
    }

    /// Appends one batch as a row group.
    pub(crate) fn write(&mut self, df: &DataFrame) -> Result<()> {
        let err = |e: PolarsError| Error::table(self.path.display().to_string(), e);
        if self.writer.is_none() {
            let file = std::fs::File::create(&self.path)
                .map_err(|e| Error::io(&self.path, "cannot create", e))?;
            let w = ParquetWriter::new(file)
                .with_compression(ParquetCompression::Zstd(None))
                .batched(df.schema())
                .map_err(err)?;
            self.writer = Some(w);
        }
        if let Some(w) = &mut self.writer {
            w.write_batch(df).map_err(err)?;
        }
        Ok(())
    }

    /// Finishes the file; `false` when no batch was written.
    pub(crate) fn finish(mut self) -> Result<bool> {
        match &mut self.writer {
            Some(w) => {
                w.finish()
                    .map_err(|e| Error::table(self.path.display().to_string(), e))?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
