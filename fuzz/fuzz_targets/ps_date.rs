//! Timestamps, including Windows PowerShell's `/Date(ms±hhmm)/`, and the
//! `--since`/`--until` bounds a user types: never panic; `/Date(ms)/` is
//! exactly ms in ns; an accepted instant formats and parses back to itself; a
//! bound's end of day is never before its start.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/model/time.rs"]
mod time;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let (Ok(start), Ok(end)) = (time::parse_bound(s, false), time::parse_bound(s, true)) {
        assert!(start <= end, "{s:?}");
    }
    for candidate in [s.to_string(), format!("/Date({s})/")] {
        let Ok(ns) = time::parse_timestamp(&candidate) else {
            continue;
        };
        if let Some(inner) = candidate
            .trim()
            .strip_prefix("/Date(")
            .and_then(|r| r.strip_suffix(")/"))
        {
            let b = inner.as_bytes();
            let offset = b.len() > 5 && matches!(b[b.len() - 5], b'+' | b'-');
            let ms = if offset {
                &inner[..inner.len() - 5]
            } else {
                inner
            };
            if let Ok(ms) = ms.parse::<i64>() {
                assert_eq!(ns, ms * 1_000_000, "{candidate:?}");
            }
        }
        let shown = time::format_timestamp(ns);
        if !shown.ends_with("ns") {
            assert_eq!(
                time::parse_timestamp(&shown),
                Ok(ns),
                "{candidate:?} -> {shown}"
            );
        }
    }
});
