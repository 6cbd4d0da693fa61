//! The output directory: refuses to write into evidence or over an existing
//! directory without `--force`, writes everything under a temporary name and
//! renames it into place only when complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::frame::Table;
use sha2::{Digest, Sha256};

use entrace_model::error::{Error, Result};

pub mod parquet;

/// An output directory being written.
pub struct OutputDir {
    final_path: PathBuf,
    tmp: PathBuf,
}

fn absolute(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    // Not there yet: canonicalise the parent and append the name.
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().map(PathBuf::from).unwrap_or_default();
    absolute(parent).join(name)
}

impl OutputDir {
    /// Checks the rules and creates the temporary directory.
    pub fn prepare(out: &Path, evidence: &[PathBuf], force: bool) -> Result<Self> {
        let out_abs = absolute(out);
        for e in evidence {
            let e_abs = absolute(e);
            if out_abs.starts_with(&e_abs) {
                return Err(Error::Usage(format!(
                    "refusing to write output {} inside evidence path {}: evidence is read-only",
                    out.display(),
                    e.display()
                )));
            }
            if e_abs.starts_with(&out_abs) {
                return Err(Error::Usage(format!(
                    "refusing to use {} as output: it contains evidence path {}",
                    out.display(),
                    e.display()
                )));
            }
        }
        if out.exists() {
            if !force {
                return Err(Error::Usage(format!(
                    "output directory {} already exists (use --force to replace it)",
                    out.display()
                )));
            }
            let empty = std::fs::read_dir(out)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
            if !empty && !out.join("manifest.json").is_file() {
                return Err(Error::Usage(format!(
                    "refusing to replace {}: it is not empty and has no manifest.json, so it is not an entrace output",
                    out.display()
                )));
            }
        }
        let name = out_abs
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let tmp = out_abs.with_file_name(format!(".{name}.entrace-tmp-{}", std::process::id()));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp)
                .map_err(|e| Error::io(&tmp, "cannot clear temporary directory", e))?;
        }
        std::fs::create_dir_all(&tmp)
            .map_err(|e| Error::io(&tmp, "cannot create output directory", e))?;
        Ok(OutputDir {
            final_path: out.to_path_buf(),
            tmp,
        })
    }

    /// Path of `name` inside the temporary directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.join(name)
    }

    /// Writes a Parquet table (zstd) and returns the file's SHA-256.
    pub fn write_parquet(&self, name: &str, table: &Table) -> Result<String> {
        write_parquet(&self.path(name), table)
    }

    /// Writes bytes to `name`.
    pub fn write_bytes(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(name);
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, "cannot write", e))
    }

    /// Moves the finished directory into place, replacing an old one.
    pub fn commit(self) -> Result<PathBuf> {
        let old = self.tmp.with_extension("old");
        if self.final_path.exists() {
            std::fs::rename(&self.final_path, &old)
                .map_err(|e| Error::io(&self.final_path, "cannot move old output aside", e))?;
        }
        std::fs::rename(&self.tmp, &self.final_path)
            .map_err(|e| Error::io(&self.final_path, "cannot move output into place", e))?;
        if old.exists() {
            std::fs::remove_dir_all(&old)
                .map_err(|e| Error::io(&old, "cannot remove old output", e))?;
        }
        Ok(self.final_path)
    }

    /// Removes the temporary directory after a failure.
    pub fn abandon(self) {
        let _ = std::fs::remove_dir_all(&self.tmp);
    }
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let err = |e| Error::io(path, "cannot read back", e);
    let mut file = File::open(path).map_err(err)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(err)?;
    Ok(hex::encode(hasher.finalize()))
}

/// Writes a Parquet table to `path` (see [`parquet`]) and returns the
/// file's SHA-256.
pub fn write_parquet(path: &Path, table: &Table) -> Result<String> {
    parquet::write_table(path, &table.0)
}

/// A buffered file writer that hashes what it writes, so an output's SHA-256
/// comes with writing it instead of from reading the file back. Clones share
/// one file: writers that take ownership (polars') get a clone, and the
/// caller keeps one to [`finish`](HashingSink::finish).
#[derive(Clone)]
pub struct HashingSink {
    path: PathBuf,
    state: Arc<Mutex<(BufWriter<File>, Sha256)>>,
}

impl HashingSink {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::io(path, "cannot create", e))?;
        Ok(HashingSink {
            path: path.to_path_buf(),
            state: Arc::new(Mutex::new((
                BufWriter::with_capacity(1 << 20, file),
                Sha256::new(),
            ))),
        })
    }

    fn lock(&self) -> std::io::Result<MutexGuard<'_, (BufWriter<File>, Sha256)>> {
        self.state
            .lock()
            .map_err(|_| std::io::Error::other("a writer of this file panicked"))
    }

    /// Flushes the file and returns the SHA-256 (hex) of everything written.
    pub fn finish(self) -> Result<String> {
        let err = |e| Error::io(&self.path, "cannot write", e);
        let mut state = self.lock().map_err(err)?;
        state.0.flush().map_err(err)?;
        Ok(hex::encode(state.1.clone().finalize()))
    }
}

impl Write for HashingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut state = self.lock()?;
        state.0.write_all(buf)?;
        state.1.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.lock()?.0.flush()
    }
}

/// Replaces `dir/name` with `write`'s output: written beside it under a
/// temporary name, then renamed, so readers never see half a file.
pub fn replace_file<T>(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&Path) -> Result<T>,
) -> Result<T> {
    let tmp = dir.join(format!(".{name}.entrace-tmp-{}", std::process::id()));
    let result = write(&tmp).and_then(|v| {
        let target = dir.join(name);
        std::fs::rename(&tmp, &target)
            .map_err(|e| Error::io(&target, "cannot move into place", e))?;
        Ok(v)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
