//! The check of the fuzz target over encoding detection
//! (`fuzz/fuzz_targets/detect_encoding.rs`), shared with it by path;
//! `cargo test` replays its seeds.
#![allow(dead_code)]

use super::encoding;

/// Encoding detection: any bytes decode to valid UTF-8 (for UTF-16) and every
/// position of the decoded text maps back into the original stream, in order.
pub fn detect_encoding(data: &[u8]) {
    let d = encoding::decode(data);
    if !matches!(
        d.encoding,
        encoding::Encoding::Utf8 | encoding::Encoding::Utf8Bom
    ) {
        assert!(std::str::from_utf8(&d.text).is_ok());
    }
    let mut last = 0;
    // Every position of short texts; a sample of long ones (the map is
    // walked from a checkpoint, so checking all of them is quadratic).
    for at in (0..=d.text.len()).step_by(1.max(d.text.len() / 512)) {
        let orig = d.original_offset(at);
        assert!(orig >= last, "offset map goes backwards at {at}");
        assert!(
            orig <= data.len() as u64 + 2,
            "offset {orig} past the input"
        );
        last = orig;
    }
    for &unit in &d.invalid_units {
        assert!(unit < data.len() as u64);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_fuzz_seeds_of_encoding_detection_pass_their_check() {
        let seeds = [".json", ".jsonl", ".gz"];
        let n =
            crate::parse::fuzz_checks::replay("detect_encoding", &seeds, super::detect_encoding);
        assert!(n > 30);
    }
}
