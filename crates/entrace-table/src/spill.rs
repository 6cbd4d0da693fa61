//! The sign-ins split by user bucket into scratch files, so that stage 2
//! holds one bucket's sign-ins at a time instead of the whole table.
//!
//! [`spill_sign_ins`] reads `signins.parquet` once (the columns stage 2
//! reads, row group by row group on every core), places every row in a
//! bucket by its user, and appends each bucket's rows, as Arrow record
//! batches, to that bucket's Arrow IPC file in a scratch directory inside
//! the output directory (the same disk as the tables, removed when the
//! spill is dropped). The rows of a bucket stay in table order, and
//! [`SignInSpill::positions`] gives each one's position in the table.
//! [`SignInSpill::load`] reads one bucket back as the same records
//! [`crate::case::load_sign_ins`] gives for those rows: the batches are
//! the Parquet reader's own, so nothing is converted twice.

use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};

use arrow_array::{RecordBatch, UInt32Array};
use arrow_ipc::reader::FileReader;
use arrow_ipc::writer::FileWriter;
use rayon::prelude::*;

use crate::case::{sign_ins_of, SIGNINS_COLUMNS};
use crate::read::{Frame, TableReader};
use entrace_case::records::SignIn;
use entrace_model::error::{Error, Result};

/// The sign-ins of one output directory, split by user bucket on disk.
pub struct SignInSpill {
    /// The scratch directory, removed on drop.
    scratch: tempfile::TempDir,
    /// Per bucket, its file (when it has rows).
    files: Vec<Option<PathBuf>>,
    /// Per bucket, the table positions of its rows, ascending.
    positions: Vec<Vec<usize>>,
}

/// Splits the sign-ins of `dir` into `buckets` buckets: `bucket_of` gets
/// a row's `user_id` and `user_principal_name`, as the table holds them,
/// and returns its bucket (clamped to the last). Row groups are decoded
/// as many at once as the pool has threads and written in table order.
pub fn spill_sign_ins(
    dir: &Path,
    buckets: usize,
    bucket_of: impl Fn(Option<&str>, Option<&str>) -> usize + Sync,
) -> Result<SignInSpill> {
    let buckets = buckets.max(1);
    let scratch = tempfile::Builder::new()
        .prefix(".entrace-spill-")
        .tempdir_in(dir)
        .map_err(|e| Error::io(dir, "cannot make a scratch directory in", e))?;
    let reader = TableReader::open(dir, "signins", SIGNINS_COLUMNS)?;
    let starts = reader.row_group_starts();
    let mut writers: Vec<Option<(PathBuf, FileWriter<BufWriter<File>>)>> =
        (0..buckets).map(|_| None).collect();
    let mut positions: Vec<Vec<usize>> = vec![Vec::new(); buckets];
    let groups: Vec<usize> = (0..reader.row_group_count()).collect();
    for window in groups.chunks(rayon::current_num_threads().max(1)) {
        let split: Vec<Vec<(usize, RecordBatch, Vec<usize>)>> = window
            .par_iter()
            .map(|&g| split_row_group(&reader, g, starts[g] as usize, buckets, &bucket_of))
            .collect::<Result<_>>()?;
        for (b, batch, rows) in split.into_iter().flatten() {
            let writer = match &mut writers[b] {
                Some((_, writer)) => writer,
                None => {
                    let path = scratch.path().join(format!("bucket-{b:05}.arrow"));
                    let file = File::create(&path)
                        .map_err(|e| Error::io(&path, "cannot create spill file", e))?;
                    let writer = FileWriter::try_new(BufWriter::new(file), &batch.schema())
                        .map_err(|e| Error::table(path.display().to_string(), e))?;
                    &mut writers[b].insert((path, writer)).1
                }
            };
            writer
                .write(&batch)
                .map_err(|e| Error::table(scratch.path().display().to_string(), e))?;
            positions[b].extend(rows);
        }
    }
    let mut files = Vec::with_capacity(buckets);
    for writer in writers {
        files.push(match writer {
            Some((path, mut writer)) => {
                writer
                    .finish()
                    .map_err(|e| Error::table(path.display().to_string(), e))?;
                Some(path)
            }
            None => None,
        });
    }
    Ok(SignInSpill {
        scratch,
        files,
        positions,
    })
}

/// The rows of row group `g` (whose first row is at `start`), split by
/// bucket: (bucket, its rows' columns, their table positions), by bucket.
fn split_row_group(
    reader: &TableReader,
    g: usize,
    start: usize,
    buckets: usize,
    bucket_of: &(impl Fn(Option<&str>, Option<&str>) -> usize + Sync),
) -> Result<Vec<(usize, RecordBatch, Vec<usize>)>> {
    let frame = reader.read_row_group(g)?;
    let (ids, upns) = (
        frame.str_views("user_id")?,
        frame.str_views("user_principal_name")?,
    );
    let mut rows: Vec<Vec<u32>> = vec![Vec::new(); buckets];
    for (i, (id, upn)) in ids.iter().zip(&upns).enumerate() {
        rows[bucket_of(*id, *upn).min(buckets - 1)].push(i as u32);
    }
    let batch = frame.batch()?;
    let mut out = Vec::new();
    for (b, picked) in rows.into_iter().enumerate() {
        if picked.is_empty() {
            continue;
        }
        let positions = picked.iter().map(|&i| start + i as usize).collect();
        let taken = arrow_select::take::take_record_batch(&batch, &UInt32Array::from(picked))
            .map_err(|e| frame.err("signins", e))?;
        out.push((b, taken, positions));
    }
    Ok(out)
}

impl SignInSpill {
    /// How many buckets.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether there are no buckets (never: there is at least one).
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// The table positions of bucket `b`'s sign-ins, ascending.
    pub fn positions(&self, b: usize) -> &[usize] {
        &self.positions[b]
    }

    /// Bucket `b`'s sign-ins, in table order, as
    /// [`crate::case::load_sign_ins`] reads them.
    pub fn load(&self, b: usize) -> Result<Vec<SignIn>> {
        let Some(path) = &self.files[b] else {
            return Ok(Vec::new());
        };
        let err = |e| Error::table(path.display().to_string(), e);
        let file = File::open(path).map_err(|e| Error::io(path, "cannot open spill file", e))?;
        let batches = FileReader::try_new(BufReader::new(file), None)
            .map_err(err)?
            .collect::<std::result::Result<Vec<RecordBatch>, _>>()
            .map_err(err)?;
        sign_ins_of(&Frame::of_batches(batches, path.clone()))
    }

    /// Where the spill files are (removed when the spill is dropped).
    pub fn scratch(&self) -> &Path {
        self.scratch.path()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A signins.parquet of `n` sign-ins of users `u0`…`u4`, in `dir`.
    fn sign_ins(dir: &Path, n: usize) {
        use crate::dedup::plan;
        use crate::rebuild::tests::parsed;
        use crate::rebuild::Rebuild;
        let texts: Vec<String> = (0..n)
            .map(|i| {
                format!(
                    r#"{{"id":"s-{i}","createdDateTime":"2025-03-17T10:{:02}:00Z","userId":"U{}","userPrincipalName":"u{}@contoso.example","ipAddress":"198.51.100.{i}","status":{{"errorCode":{}}}}}"#,
                    i % 60,
                    i % 5,
                    i % 5,
                    if i % 3 == 0 { 50126 } else { 0 }
                )
            })
            .collect();
        let (blocks, texts) = parsed(&texts);
        let sources = vec![0; blocks.len()];
        let kept = plan(&blocks, &sources).kept;
        let rebuild = Rebuild {
            kind: entrace_model::EntityKind::SignIn,
            blocks: &blocks,
            sources: &sources,
            texts: &texts,
            keep_raw: false,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        rebuild
            .write(&kept, &pool, &dir.join("signins.parquet"))
            .unwrap();
    }

    #[test]
    fn a_bucket_loads_the_records_the_table_has_at_its_positions() {
        let dir = tempfile::tempdir().unwrap();
        sign_ins(dir.path(), 40);
        let whole = crate::case::load_sign_ins(dir.path(), SIGNINS_COLUMNS).unwrap();
        assert_eq!(whole.len(), 40);
        // By user: u0 and u1 in bucket 0, u2 in 1, u3 and u4 in 3, none in 2.
        let spill = spill_sign_ins(dir.path(), 4, |id, upn| {
            assert_eq!(id.map(|i| i.len()), Some(2));
            match upn.unwrap_or_default().as_bytes()[1] {
                b'0' | b'1' => 0,
                b'2' => 1,
                _ => 9,
            }
        })
        .unwrap();
        assert_eq!(spill.len(), 4);
        let scratch = spill.scratch().to_path_buf();
        assert!(scratch.starts_with(dir.path()));
        let mut seen = Vec::new();
        for b in 0..spill.len() {
            let records = spill.load(b).unwrap();
            let positions = spill.positions(b);
            assert_eq!(records.len(), positions.len());
            assert!(positions.windows(2).all(|w| w[0] < w[1]));
            for (s, &p) in records.iter().zip(positions) {
                assert_eq!(format!("{s:?}"), format!("{:?}", whole[p]));
            }
            seen.extend_from_slice(positions);
        }
        assert_eq!(spill.positions(0).len(), 16);
        assert!(spill.positions(2).is_empty() && spill.load(2).unwrap().is_empty());
        assert_eq!(spill.positions(3).len(), 16);
        seen.sort_unstable();
        assert_eq!(seen, (0..40).collect::<Vec<_>>());
        drop(spill);
        assert!(
            !scratch.exists(),
            "the scratch directory outlived the spill"
        );
    }
}
