//! The checks of the fuzz targets over the scanner and the record parser
//! (`fuzz/fuzz_targets/scan_records.rs`, `parse_page.rs`). The fuzz crate
//! includes this file by path beside the modules it names, so both run the
//! same checks; `cargo test` replays their seeds on a stable toolchain.
#![allow(dead_code)]

use super::{dupkey, escapes, scan};

/// Record scanning: any bytes give pieces that are in bounds, in byte order
/// and disjoint, and a record span is never empty.
pub fn scan_records(data: &[u8]) {
    let s = scan::scan(data);
    let mut last = 0;
    for p in &s.pieces {
        let (start, end, record) = match p {
            scan::Piece::Record { start, end, .. } => (*start, *end, true),
            scan::Piece::Damaged { start, end, .. } | scan::Piece::GraphError { start, end } => {
                (*start, *end, false)
            }
        };
        assert!(last <= start && start <= end && end <= data.len(), "{p:?}");
        assert!(!record || start < end, "{p:?}");
        last = end;
    }
    let _ = s.shape();
}

/// Page parsing: scan a page (or any bytes), then treat every record span as
/// entrace does before filling columns: lone surrogate check, simd-json's
/// tape, the exact-error fallback (serde_json) and the duplicate key check.
pub fn parse_page(data: &[u8]) {
    let s = scan::scan(data);
    let mut scratch = Vec::new();
    for p in &s.pieces {
        let scan::Piece::Record { start, end, .. } = p else {
            continue;
        };
        let span = &data[*start..*end];
        if let Some((at, _)) = escapes::lone_surrogate(span) {
            assert!(at < span.len());
            continue;
        }
        scratch.clear();
        scratch.extend_from_slice(span);
        let mut buffers = simd_json::Buffers::default();
        match crate::json::parse(&mut scratch, &mut buffers) {
            Ok(tape) => {
                let _ = dupkey::first_duplicate(tape.as_value());
            }
            Err(_) => {
                let _ = serde_json::from_slice::<serde_json::Value>(span);
            }
        }
    }
}

/// Replays the seeds of fuzz target `target` (the testdata files its corpus
/// is seeded from, see `fuzz/seed.sh`, and every input kept under
/// `fuzz/regressions/<target>/`) through `check`: the fuzz targets' own
/// checks, run by `cargo test` on a stable toolchain.
#[cfg(test)]
pub fn replay(target: &str, seeds: &[&str], check: impl Fn(&[u8])) -> usize {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut files = Vec::new();
    let mut walk = vec![root.join("testdata")];
    while let Some(dir) = walk.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk.push(path);
            } else if seeds
                .iter()
                .any(|ext| path.to_string_lossy().ends_with(ext))
            {
                files.push(path);
            }
        }
    }
    let kept = root.join("fuzz/regressions").join(target);
    files.extend(
        std::fs::read_dir(kept)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path()),
    );
    files.sort();
    for path in &files {
        let data = std::fs::read(path).unwrap();
        let data = &data[..data.len().min(64 << 10)];
        check(data);
    }
    files.len()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_fuzz_seeds_of_the_scanner_and_parser_pass_their_checks() {
        let seeds = [".json", ".jsonl", ".gz"];
        assert!(super::replay("scan_records", &seeds, super::scan_records) > 30);
        assert!(super::replay("parse_page", &seeds, super::parse_page) > 30);
    }
}
