//! Encoding detection: any bytes decode to valid UTF-8 (for UTF-16) and every
//! position of the decoded text maps back into the original stream, in order.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/input/encoding.rs"]
mod encoding;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
