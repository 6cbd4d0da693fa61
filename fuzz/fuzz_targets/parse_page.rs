//! Page parsing: scan a page (or any bytes), then treat every record span as
//! entrace does before filling columns: lone surrogate check, simd-json's
//! tape, the exact-error fallback (serde_json) and the duplicate key check.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/parse/dupkey.rs"]
mod dupkey;
#[path = "../../src/json.rs"]
mod json;
#[path = "../../src/parse/escapes.rs"]
mod escapes;
#[path = "../../src/parse/scan.rs"]
mod scan;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
        match json::parse(&mut scratch, &mut buffers) {
            Ok(tape) => {
                let _ = dupkey::first_duplicate(tape.as_value());
            }
            Err(_) => {
                let _ = serde_json::from_slice::<serde_json::Value>(span);
            }
        }
    }
});
