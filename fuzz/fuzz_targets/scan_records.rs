//! Record scanning: any bytes give pieces that are in bounds, in byte order
//! and disjoint, and a record span is never empty.
//!
//! The check itself is shared with `cargo test`, which replays the seeds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| entrace_input::parse::fuzz_checks::scan_records(data));
