//! Page parsing: scan a page (or any bytes), then treat every record span as
//! entrace does before filling columns: lone surrogate check, simd-json's
//! tape, the exact-error fallback (serde_json) and the duplicate key check.
//!
//! The check itself is shared with `cargo test`, which replays the seeds.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/parse/scan.rs"]
mod scan;
#[path = "../../src/parse/dupkey.rs"]
mod dupkey;
#[path = "../../src/json.rs"]
mod json;
#[path = "../../src/parse/escapes.rs"]
mod escapes;
#[path = "../../src/parse/fuzz_checks.rs"]
mod fuzz_checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_checks::parse_page(data));
