//! Record scanning: any bytes give pieces that are in bounds, in byte order
//! and disjoint, and a record span is never empty.
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

fuzz_target!(|data: &[u8]| fuzz_checks::scan_records(data));
