//! The converter's second pass: one entity's table, built batch by batch in
//! its final order from the kept records' text.
//!
//! The first pass kept only each record's keys and where its text is. Here
//! the kept rows ([`super::dedup::Plan`]) are cut into batches of
//! [`BATCH_ROWS`]; each batch's texts are read back ([`Texts`]), parsed again
//! and pushed into column builders on every core, and written as one Parquet
//! row group. Rows are built once, already in order, so nothing is sorted,
//! copied or spilled as columns, and memory holds one batch whatever the size
//! of the dump. Each record is checked against its first-pass content hash,
//! so evidence that changed between the passes stops the run.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;
use rayon::prelude::*;

use super::chunk::TableChunk;
use super::dedup::RowRef;
use super::texts::{SpanRequest, Texts};
use crate::output::parquet::TableFile;
use entrace_input::json::content_hash;
use entrace_input::parse::keys::RowKeys;
use entrace_model::error::{Error, Result};
use entrace_model::EntityKind;

/// Rows per batch, and per Parquet row group, of the entity tables.
pub const BATCH_ROWS: usize = 32 * 1024;

/// Rows of a batch built by one task: the same pieces for every thread
/// count, several per thread so an uneven piece does not idle the others.
const PIECE_ROWS: usize = 4096;

/// What writing one entity's table produced besides the file.
#[derive(Debug, Default)]
pub struct Written {
    /// SHA-256 of the table file.
    pub sha256: String,
    /// Unknown keys by Graph path, over the rows written.
    pub drift: BTreeMap<String, u64>,
    /// Rows written with at least one issue.
    pub rows_with_issues: u64,
}

/// The inputs of the second pass for one entity.
pub struct Rebuild<'a> {
    /// The entity.
    pub kind: EntityKind,
    /// Its key blocks, as [`RowRef`]s index them.
    pub blocks: &'a [RowKeys],
    /// Source id of every stream number.
    pub sources: &'a [i32],
    /// Where every stream's text is.
    pub texts: &'a Texts,
    /// Whether to fill `ingest_raw`.
    pub keep_raw: bool,
}

impl Rebuild<'_> {
    /// Writes rows `kept`, in that order, as the Parquet table at `path`,
    /// building batches with the threads of `pool`.
    pub fn write(&self, kept: &[RowRef], pool: &rayon::ThreadPool, path: &Path) -> Result<Written> {
        self.write_in_batches(kept, pool, path, BATCH_ROWS)
    }

    fn write_in_batches(
        &self,
        kept: &[RowRef],
        pool: &rayon::ThreadPool,
        path: &Path,
        batch_rows: usize,
    ) -> Result<Written> {
        let mut written = Written::default();
        // This thread builds batch n + 1 on the pool while a writer thread
        // encodes batch n; polars is only called there, outside the pool
        // (see `convert`).
        let sha256 = std::thread::scope(|scope| -> Result<String> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<TableChunk>, Vec<i32>)>(0);
            let writer = scope.spawn(move || self.write_batches(rx, pool, path));
            let mut built = Ok(());
            for batch in kept.chunks(batch_rows) {
                let chunks: Result<Vec<TableChunk>> = pool.install(|| {
                    batch
                        .par_chunks(PIECE_ROWS)
                        .map(|rows| self.build(rows))
                        .collect()
                });
                let chunks = match chunks {
                    Ok(chunks) => chunks,
                    Err(e) => {
                        built = Err(e);
                        break;
                    }
                };
                for chunk in &chunks {
                    for (path, n) in &chunk.drift {
                        *written.drift.entry(path.clone()).or_default() += n;
                    }
                    written.rows_with_issues += chunk.rows_with_issues;
                }
                let ids: Vec<i32> = batch
                    .iter()
                    .map(|&(b, i)| {
                        let k = &self.blocks[b as usize];
                        self.sources[k.stream[i as usize] as usize]
                    })
                    .collect();
                // A closed channel means the writer failed: its error is
                // returned below.
                if tx.send((chunks, ids)).is_err() {
                    break;
                }
            }
            drop(tx);
            let sha256 = writer.join().map_err(|_| {
                Error::Internal(format!("{}: writer thread panicked", path.display()))
            })?;
            built?;
            sha256
        })?;
        written.sha256 = sha256;
        Ok(written)
    }

    /// Writes the batches received on `rx` (pieces and source ids) as the
    /// table at `path`; its SHA-256.
    fn write_batches(
        &self,
        rx: std::sync::mpsc::Receiver<(Vec<TableChunk>, Vec<i32>)>,
        pool: &rayon::ThreadPool,
        path: &Path,
    ) -> Result<String> {
        let table = self.kind.spec().table;
        let err = |e: PolarsError| Error::table(table, e);
        let mut out: Option<TableFile> = None;
        for (chunks, ids) in rx {
            let mut df: Option<DataFrame> = None;
            for chunk in chunks {
                let piece = chunk.finish(0)?;
                match &mut df {
                    None => df = Some(piece),
                    Some(d) => {
                        d.vstack_mut_owned(piece).map_err(err)?;
                    }
                }
            }
            let Some(mut df) = df else { continue };
            df.replace(
                "ingest_source_id",
                Series::new("ingest_source_id".into(), ids).into_column(),
            )
            .map_err(err)?;
            let file = match &mut out {
                Some(file) => file,
                None => out.insert(TableFile::create(path, df.schema())?),
            };
            // One row group per batch, whatever the pieces; its columns are
            // encoded on the conversion's threads.
            pool.install(|| file.write(df))?;
        }
        match out {
            Some(file) => file.finish(),
            // No rows: the table is still written, with its full schema.
            None => {
                let empty = TableChunk::new(self.kind, self.keep_raw).finish(0)?;
                crate::output::parquet::write_table(path, &empty)
            }
        }
    }

    /// Rows `rows` (in that order) read back, parsed and built into one
    /// table of source `source_id`, in memory (what [`Rebuild::write`] does
    /// per batch, without the file).
    pub fn table(&self, rows: &[RowRef], source_id: i32) -> Result<crate::frame::Table> {
        Ok(crate::frame::Table(self.build(rows)?.finish(source_id)?))
    }

    /// Rows `rows` (in that order) read back, parsed and pushed into builders.
    pub(crate) fn build(&self, rows: &[RowRef]) -> Result<TableChunk> {
        let key = |&(b, i): &RowRef| (&self.blocks[b as usize], i as usize);
        let wanted: Vec<SpanRequest> = rows
            .iter()
            .map(|r| {
                let (k, i) = key(r);
                (k.stream[i], k.span[i].0, k.span[i].1)
            })
            .collect();
        let (text, ranges) = self.texts.read(&wanted)?;
        let mut chunk = TableChunk::new(self.kind, self.keep_raw);
        let mut scratch: Vec<u8> = Vec::new();
        let mut buffers = simd_json::Buffers::default();
        for (r, range) in rows.iter().zip(ranges) {
            let (k, i) = key(r);
            let span = &text[range];
            let changed = |what: &str| {
                Error::EvidenceChanged {
                path: self.texts.path_of(k.stream[i]),
                message: format!(
                    "the record at byte {} (line {}) {what} than in the first pass: was the evidence changed during the conversion?",
                    k.offset[i], k.line[i]
                ),
            }
            };
            scratch.clear();
            scratch.extend_from_slice(span);
            let tape = entrace_input::json::parse(&mut scratch, &mut buffers)
                .map_err(|_| changed("no longer parses"))?;
            let value = tape.as_value();
            if content_hash(value) != k.hash[i] {
                return Err(changed("reads differently"));
            }
            // simd-json validated the span as UTF-8.
            let raw = std::str::from_utf8(span).unwrap_or_default();
            chunk.push(value, raw, (k.offset[i], k.line[i]), k.api(i));
        }
        Ok(chunk)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::dedup::plan;
    use crate::texts::TextSource;
    use entrace_input::encoding::decode;
    use entrace_input::parse::parse_leaf;
    use polars::prelude::{ParquetReader, SerReader};

    /// Sign-in key blocks and texts of JSON Lines `sources`, one stream each.
    pub(crate) fn parsed(sources: &[String]) -> (Vec<RowKeys>, Texts) {
        let mut blocks = Vec::new();
        let mut texts = Texts::default();
        for text in sources {
            let stream = texts.push(TextSource::Memory(text.as_bytes().to_vec()));
            let (_, sets) = parse_leaf(&decode(text.as_bytes()));
            for mut set in sets {
                let mut keys = std::mem::take(&mut set[EntityKind::SignIn.index()]);
                keys.set_stream(stream);
                blocks.push(keys);
            }
        }
        (blocks, texts)
    }

    fn line(id: usize, minute: usize, ip: &str) -> String {
        format!(
            r#"{{"id":"s-{id:03}","createdDateTime":"2025-03-17T10:{minute:02}:00Z","userId":"u","ipAddress":"{ip}","status":{{"errorCode":0}}}}"#
        )
    }

    #[test]
    fn building_in_small_batches_gives_the_table_of_one_batch() {
        let dir = tempfile::tempdir().unwrap();
        // Source 0: ids 0..30 at shuffled minutes; source 1 repeats ids 10..20
        // (one with other content) and adds 30..40, so the sources interleave.
        let a: Vec<String> = (0..30)
            .map(|i| line(i, (i * 7) % 30, "198.51.100.1"))
            .collect();
        let b: Vec<String> = (10..40)
            .filter(|i| *i >= 30 || *i < 20)
            .map(|i| {
                let ip = if i == 12 {
                    "203.0.113.9"
                } else {
                    "198.51.100.1"
                };
                line(i, (i * 7) % 30, ip)
            })
            .collect();
        let (blocks, texts) = parsed(&[a.join("\n"), b.join("\n")]);
        let sources = [0, 1];
        let plan = plan(&blocks, &sources);
        assert_eq!(plan.kept.len(), 40);
        assert_eq!(plan.duplicates, BTreeMap::from([(1, 10)]));
        assert_eq!(plan.conflicting, 1);
        let rebuild = Rebuild {
            kind: EntityKind::SignIn,
            blocks: &blocks,
            sources: &sources,
            texts: &texts,
            keep_raw: true,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let read = |p: &Path| {
            ParquetReader::new(std::fs::File::open(p).unwrap())
                .finish()
                .unwrap()
        };
        let one = dir.path().join("one.parquet");
        let w1 = rebuild
            .write_in_batches(&plan.kept, &pool, &one, 1000)
            .unwrap();
        let small = dir.path().join("small.parquet");
        rebuild
            .write_in_batches(&plan.kept, &pool, &small, 3)
            .unwrap();
        assert_eq!(w1.sha256, crate::output::sha256_file(&one).unwrap());
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
        let at = ids.iter().position(|i| *i == "s-012").unwrap();
        let src = x.column("ingest_source_id").unwrap().i32().unwrap().get(at);
        assert_eq!(src, Some(0));
        let ip = x.column("ip_address").unwrap().str().unwrap().get(at);
        assert_eq!(ip, Some("198.51.100.1"));
    }

    #[test]
    fn a_record_that_changed_between_the_passes_stops_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let text = [line(1, 0, "198.51.100.1"), line(2, 1, "198.51.100.1")].join("\n");
        let (blocks, _) = parsed(std::slice::from_ref(&text));
        // The second pass reads another text at the same place.
        let mut texts = Texts::default();
        texts.push(TextSource::Memory(
            text.replace("100.1", "100.7").into_bytes(),
        ));
        let sources = [0];
        let plan = plan(&blocks, &sources);
        let rebuild = Rebuild {
            kind: EntityKind::SignIn,
            blocks: &blocks,
            sources: &sources,
            texts: &texts,
            keep_raw: false,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let err = rebuild
            .write(&plan.kept, &pool, &dir.path().join("t.parquet"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the record at byte 0 (line 1) reads differently than in the first pass"),
            "{err}"
        );
    }
}
