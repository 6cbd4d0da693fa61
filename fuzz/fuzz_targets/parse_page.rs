//! Page parsing: scan a page (or any bytes), then treat every record span as
//! entrace does before filling columns: lone surrogate check, simd-json's
//! tape, the exact-error fallback (serde_json) and the duplicate key check.
//!
//! The check itself is shared with `cargo test`, which replays the seeds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| entrace_input::parse::fuzz_checks::parse_page(data));
