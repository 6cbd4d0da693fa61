//! The check of the fuzz target over timestamps and time bounds
//! (`fuzz/fuzz_targets/ps_date.rs`, which depends on this crate); `cargo
//! test` replays its seeds.

use super::time;

/// Timestamps, including Windows PowerShell's `/Date(ms±hhmm)/`, and the
/// `--since`/`--until` bounds a user types: never panic; `/Date(ms)/` is
/// exactly ms in ns; an accepted instant formats and parses back to itself; a
/// bound's end of day is never before its start.
pub fn ps_date(data: &[u8]) {
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
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_fuzz_seeds_of_timestamps_pass_their_check() {
        // The seeds fuzz/seed.sh writes, one per line.
        let seeds = include_str!("../../../fuzz/seeds/ps_date.txt");
        assert!(seeds.lines().count() > 10);
        for seed in seeds.lines() {
            super::ps_date(seed.as_bytes());
        }
        // And every input a fuzz run found, kept under fuzz/regressions/.
        let kept = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fuzz/regressions/ps_date"
        );
        for entry in std::fs::read_dir(kept).into_iter().flatten().flatten() {
            super::ps_date(&std::fs::read(entry.path()).unwrap());
        }
    }
}
