//! Timestamps, including Windows PowerShell's `/Date(ms±hhmm)/`, and the
//! `--since`/`--until` bounds a user types: never panic; `/Date(ms)/` is
//! exactly ms in ns; an accepted instant formats and parses back to itself; a
//! bound's end of day is never before its start.
//!
//! The check itself is shared with `cargo test`, which replays the seeds.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/model/time.rs"]
mod time;
#[path = "../../src/model/fuzz_checks.rs"]
mod fuzz_checks;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_checks::ps_date(data));
