//! Record scanning: any bytes give pieces that are in bounds, in byte order
//! and disjoint, and a record span is never empty.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/parse/scan.rs"]
mod scan;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
