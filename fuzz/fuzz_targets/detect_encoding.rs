//! Encoding detection: any bytes decode to valid UTF-8 (for UTF-16) and every
//! position of the decoded text maps back into the original stream, in order.
//!
//! The check itself is shared with `cargo test`, which replays the seeds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| entrace_input::fuzz_checks::detect_encoding(data));
