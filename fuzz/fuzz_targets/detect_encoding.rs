//! Encoding detection: any bytes decode to valid UTF-8 (for UTF-16) and every
//! position of the decoded text maps back into the original stream, in order.
//!
//! The check itself is shared with `cargo test`, which replays the seeds.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/input/encoding.rs"]
mod encoding;
#[path = "../../src/input/fuzz_checks.rs"]
mod fuzz_checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_checks::detect_encoding(data));
