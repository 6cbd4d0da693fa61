//! Directory walk in a stable, sorted order.
//!
//! Paths given on the command line are always read. Inside directories, files
//! are visited sorted by name at every level, so source ids are the same on
//! every run and machine. Symlinked directories are not followed (no loops);
//! symlinked files are read.

use std::path::{Path, PathBuf};

use entrace_model::error::Error;

/// Every evidence file under `paths`, sorted and without repeats.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).map_err(|e| Error::io(path, "cannot read evidence path", e))?;
        if meta.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, "cannot list directory", e))?
        .collect::<Result<_, _>>()
        .map_err(|e| Error::io(dir, "cannot list directory", e))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let file_type = entry
            .file_type()
            .map_err(|e| Error::io(&path, "cannot stat", e))?;
        if file_type.is_dir() {
            walk(&path, out)?;
        } else if file_type.is_file() || (file_type.is_symlink() && path.is_file()) {
            out.push(path);
        }
    }
    Ok(())
}
