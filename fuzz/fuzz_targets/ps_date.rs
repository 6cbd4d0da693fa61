//! Timestamps, including Windows PowerShell's `/Date(ms±hhmm)/`, and the
//! `--since`/`--until` bounds a user types: never panic; `/Date(ms)/` is
//! exactly ms in ns; an accepted instant formats and parses back to itself; a
//! bound's end of day is never before its start.
//!
//! The check itself is shared with `cargo test`, which replays the seeds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| entrace_model::fuzz_checks::ps_date(data));
