//! A scratch file that holds the generated records as compact JSON while the
//! tenant is simulated, so that a gigabyte-sized dump never sits in memory:
//! only a small sort key per record stays resident (32 bytes), and the pages
//! are written afterwards, newest first, by reading the records back.
//!
//! Invariants: a record's bytes are exactly what `serde_json::to_writer`
//! prints for it (so pages are byte-identical to serialising in memory); the
//! scratch file is removed when the spill is dropped, on success or error.
//! Not here: the order of records (`records::Key`) and page layouts (`pages`).

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use entrace_model::error::{Error, Result};

/// The record collections the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coll {
    /// v1.0 interactive sign-ins.
    Interactive,
    /// Beta non-interactive sign-ins.
    NonInteractive,
    /// Directory audits.
    Audits,
    /// Risk detections.
    Detections,
    /// Risky users.
    RiskyUsers,
}

impl Coll {
    fn index(self) -> usize {
        self as usize
    }
}

/// Where one record is in the scratch file, with its sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    /// Event time, UTC ns.
    pub at: i64,
    /// Generation order; breaks ties deterministically.
    pub seq: u64,
    /// Byte offset in the scratch file.
    offset: u64,
    /// Byte length of the record's JSON.
    len: u32,
}

/// Sorts newest first: by `at`, then later generated first, exactly as
/// Graph pages list records.
pub(crate) fn newest_first(items: &mut [Entry]) {
    items.sort_unstable_by_key(|x| std::cmp::Reverse((x.at, x.seq)));
}

/// Removes the scratch file when dropped.
#[derive(Debug)]
struct ScratchPath(PathBuf);

impl Drop for ScratchPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The writing side: records go to the scratch file as they are generated.
#[derive(Debug)]
pub(crate) struct Spill {
    path: ScratchPath,
    writer: BufWriter<File>,
    written: u64,
    index: [Vec<Entry>; 5],
    buf: Vec<u8>,
    /// First write error; later pushes are skipped and [`Spill::finish`] reports it.
    error: Option<std::io::Error>,
}

impl Spill {
    /// Creates the scratch file `path` (truncating an old one).
    pub(crate) fn create(path: &Path) -> Result<Spill> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .map_err(|e| Error::io(path, "creating the generator's scratch file", e))?;
        Ok(Spill {
            path: ScratchPath(path.to_path_buf()),
            writer: BufWriter::with_capacity(1 << 20, file),
            written: 0,
            index: Default::default(),
            buf: Vec::with_capacity(4096),
            error: None,
        })
    }

    /// Appends one record of collection `c` with its sort key.
    pub(crate) fn push<T: Serialize>(&mut self, c: Coll, at: i64, seq: u64, rec: &T) {
        if self.error.is_some() {
            return;
        }
        self.buf.clear();
        let written = serde_json::to_writer(&mut self.buf, rec)
            .map_err(std::io::Error::other)
            .and_then(|()| self.writer.write_all(&self.buf));
        match (written, u32::try_from(self.buf.len())) {
            (Ok(()), Ok(len)) => {
                self.index[c.index()].push(Entry {
                    at,
                    seq,
                    offset: self.written,
                    len,
                });
                self.written += u64::from(len);
            }
            (Err(e), _) => self.error = Some(e),
            (Ok(()), Err(_)) => {
                self.error = Some(std::io::Error::other("a record larger than 4 GiB"));
            }
        }
    }

    /// Flushes the file and switches to reading; every index is sorted newest first.
    pub(crate) fn finish(mut self) -> Result<Spilled> {
        let path = self.path.0.clone();
        if let Some(e) = self.error.take() {
            return Err(Error::io(&path, "writing the generator's scratch file", e));
        }
        let file = self.writer.into_inner().map_err(|e| {
            Error::io(
                &path,
                "flushing the generator's scratch file",
                e.into_error(),
            )
        })?;
        for index in &mut self.index {
            newest_first(index);
        }
        Ok(Spilled {
            file,
            _path: self.path,
            shown: path,
            index: self.index,
        })
    }
}

/// The reading side: sorted indexes and random access to the records.
#[derive(Debug)]
pub(crate) struct Spilled {
    // Fields drop in order: the file is closed before the path is removed.
    file: File,
    _path: ScratchPath,
    shown: PathBuf,
    index: [Vec<Entry>; 5],
}

impl Spilled {
    /// The entries of `c`, newest first.
    pub(crate) fn entries(&self, c: Coll) -> &[Entry] {
        &self.index[c.index()]
    }

    /// Appends the JSON bytes of `e` to `out`.
    pub(crate) fn read_into(&mut self, e: Entry, out: &mut Vec<u8>) -> Result<()> {
        let start = out.len();
        out.resize(start + e.len as usize, 0);
        self.file
            .seek(SeekFrom::Start(e.offset))
            .and_then(|_| self.file.read_exact(&mut out[start..]))
            .map_err(|err| Error::io(&self.shown, "reading the generator's scratch file", err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_newest_first_with_their_exact_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scratch");
        let mut spill = Spill::create(&path).unwrap();
        spill.push(Coll::Audits, 10, 1, &serde_json::json!({"a": 1}));
        spill.push(Coll::Audits, 30, 2, &serde_json::json!({"b": "x"}));
        spill.push(Coll::Detections, 5, 3, &"s");
        spill.push(Coll::Audits, 30, 4, &[1, 2]);
        let mut read = spill.finish().unwrap();
        let order: Vec<u64> = read.entries(Coll::Audits).iter().map(|e| e.seq).collect();
        assert_eq!(order, [4, 2, 1]);
        let mut out = Vec::new();
        for e in read.entries(Coll::Audits).to_vec() {
            read.read_into(e, &mut out).unwrap();
        }
        assert_eq!(out, br#"[1,2]{"b":"x"}{"a":1}"#);
        assert!(read.entries(Coll::Interactive).is_empty());
        drop(read);
        assert!(!path.exists(), "the scratch file is removed");
    }
}
