//! Graph timestamps → nanoseconds since the Unix epoch, UTC.
//!
//! Accepts RFC 3339 with any number of fractional digits and `Z` or `±hh:mm`
//! (Graph writes up to 7 digits = 100 ns; Azure Monitor writes `+00:00`), and the
//! Windows PowerShell 5.1 artefact `/Date(1710697470000)/` (milliseconds, with an
//! optional `±hhmm` that does not change the instant). Digits beyond the ninth
//! are truncated: nanoseconds are the storage unit.

use chrono::NaiveDate;

/// Why a timestamp string could not be read; the text says what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError(pub String);

const NS_PER_SEC: i64 = 1_000_000_000;

/// Parses one timestamp string into UTC nanoseconds.
pub fn parse_timestamp(s: &str) -> Result<i64, TimeError> {
    let t = s.trim();
    if let Some(inner) = t.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
        return parse_ms_date(inner);
    }
    parse_rfc3339(t.as_bytes()).ok_or_else(|| {
        TimeError(
            "expected an RFC 3339 timestamp like 2025-03-17T17:54:30.6982628Z or /Date(ms)/".into(),
        )
    })
}

fn parse_ms_date(inner: &str) -> Result<i64, TimeError> {
    // `1710697470000`, `-1000`, `1710697470000+0900`: the offset is display-only.
    let bytes = inner.as_bytes();
    let digits_end = bytes
        .iter()
        .enumerate()
        .position(|(i, b)| !(b.is_ascii_digit() || (i == 0 && *b == b'-')))
        .unwrap_or(bytes.len());
    let (ms, rest) = inner.split_at(digits_end);
    let valid_rest = rest.is_empty()
        || (rest.len() == 5
            && (rest.starts_with('+') || rest.starts_with('-'))
            && rest[1..].bytes().all(|b| b.is_ascii_digit()));
    let ms: i64 = ms
        .parse()
        .ok()
        .filter(|_| valid_rest)
        .ok_or_else(|| TimeError("expected /Date(<milliseconds>[±hhmm])/".into()))?;
    ms.checked_mul(1_000_000)
        .ok_or_else(|| TimeError("/Date(…)/ value out of range".into()))
}

fn num(b: &[u8], from: usize, len: usize) -> Option<u32> {
    let part = b.get(from..from + len)?;
    part.iter().try_fold(0u32, |acc, d| {
        d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
    })
}

fn parse_rfc3339(b: &[u8]) -> Option<i64> {
    let year = num(b, 0, 4)?;
    let month = num(b, 5, 2)?;
    let day = num(b, 8, 2)?;
    let hour = num(b, 11, 2)?;
    let minute = num(b, 14, 2)?;
    let second = num(b, 17, 2)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || b.get(13) != Some(&b':') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(16) != Some(&b':') {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut nanos: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if i - start < 9 {
                nanos = nanos * 10 + i64::from(d - b'0');
            }
            i += 1;
        }
        let digits = i - start;
        if digits == 0 {
            return None;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
    }
    let offset_secs: i64 = match b.get(i..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = num(&[*h1, *h2], 0, 2)?;
            let m = num(&[*m1, *m2], 0, 2)?;
            if h > 23 || m > 59 {
                return None;
            }
            let s = i64::from(h * 3600 + m * 60);
            if *sign == b'+' {
                s
            } else {
                -s
            }
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let days = i64::from(
        date.signed_duration_since(NaiveDate::from_ymd_opt(1970, 1, 1)?)
            .num_days() as i32,
    );
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_secs;
    secs.checked_mul(NS_PER_SEC)?.checked_add(nanos)
}

/// Formats UTC nanoseconds as RFC 3339 with 7 fractional digits (Graph's precision),
/// or 9 when the value is finer than 100 ns. Used in messages and reports.
pub fn format_timestamp(ns: i64) -> String {
    let secs = ns.div_euclid(NS_PER_SEC);
    let sub = ns.rem_euclid(NS_PER_SEC);
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(dt) if sub % 100 == 0 => {
            format!("{}.{:07}Z", dt.format("%Y-%m-%dT%H:%M:%S"), sub / 100)
        }
        Some(dt) => format!("{}.{:09}Z", dt.format("%Y-%m-%dT%H:%M:%S"), sub),
        None => format!("{ns}ns"),
    }
}

/// Parses a `--since`/`--until` value: RFC 3339 (`2025-03-17T15:00:00Z`,
/// `+09:00` offsets allowed), a UTC time without zone, or a date. A date alone
/// means its first instant, or its last one when `end_of_day` is set.
pub fn parse_bound(text: &str, end_of_day: bool) -> Result<i64, String> {
    let t = text.trim();
    // Bytes, not `str` slices: the text is the user's and may cut a
    // multi-byte character anywhere.
    let zone_sign = t
        .len()
        .checked_sub(6)
        .and_then(|at| t.as_bytes().get(at))
        .is_some_and(|b| matches!(b, b'+' | b'-'));
    let full = if t.len() == 10 {
        format!("{t}T00:00:00Z")
    } else if t.ends_with(['Z', 'z']) || zone_sign {
        t.to_owned()
    } else {
        format!("{t}Z")
    };
    let ns = parse_timestamp(&full).map_err(|_| {
        format!("invalid time {text:?}: expected 2025-03-17, 2025-03-17T15:00:00 (UTC) or RFC 3339 like 2025-03-17T15:00:00+09:00")
    })?;
    Ok(if t.len() == 10 && end_of_day {
        ns + 86_400_000_000_000 - 1
    } else {
        ns
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_all_seven_fractional_digits() {
        let ns = parse_timestamp("2025-03-17T17:56:42.6728408Z").unwrap();
        assert_eq!(ns, 1_742_234_202_672_840_800);
        assert_eq!(format_timestamp(ns), "2025-03-17T17:56:42.6728408Z");
    }

    #[test]
    fn whole_seconds_trimmed_digits_and_offsets() {
        assert_eq!(
            parse_timestamp("2025-03-17T17:54:30Z").unwrap(),
            1_742_234_070_000_000_000
        );
        assert_eq!(
            parse_timestamp("2025-03-17T16:40:04.414272Z").unwrap(),
            1_742_229_604_414_272_000
        );
        assert_eq!(
            parse_timestamp("2019-03-12T16:02:15.5522137+00:00").unwrap(),
            parse_timestamp("2019-03-12T16:02:15.5522137Z").unwrap()
        );
        assert_eq!(
            parse_timestamp("2025-03-18T02:54:30+09:00").unwrap(),
            parse_timestamp("2025-03-17T17:54:30Z").unwrap()
        );
        // Eight digits: finer than Graph's tick, still exact in nanoseconds.
        assert_eq!(
            parse_timestamp("2018-11-06T18:48:12.94725647Z").unwrap() % 1_000_000_000,
            947_256_470
        );
    }

    #[test]
    fn powershell_date_artefacts() {
        assert_eq!(
            parse_timestamp("/Date(1742233002672)/").unwrap(),
            1_742_233_002_672_000_000
        );
        assert_eq!(
            parse_timestamp("/Date(1742233002672+0900)/").unwrap(),
            1_742_233_002_672_000_000
        );
        assert!(parse_timestamp("/Date(abc)/").is_err());
    }

    #[test]
    fn rejects_malformed_values() {
        for bad in [
            "2021-10-26T16:28:17.8202975Z)",
            "yesterday",
            "2025-02-30T00:00:00Z",
            "",
            "2025-03-17T17:54:30",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bounds_accept_dates_zoneless_times_and_offsets() {
        let day = parse_bound("2025-03-17", false).unwrap();
        assert_eq!(format_timestamp(day), "2025-03-17T00:00:00.0000000Z");
        let end = parse_bound("2025-03-17", true).unwrap();
        assert_eq!(format_timestamp(end), "2025-03-17T23:59:59.999999999Z");
        let local = parse_bound("2025-03-18T02:54:30+09:00", false).unwrap();
        assert_eq!(format_timestamp(local), "2025-03-17T17:54:30.0000000Z");
        let zoneless = parse_bound("2025-03-17T17:54:30", false).unwrap();
        assert_eq!(zoneless, local);
        assert!(parse_bound("17/03/2025", false).is_err());
        // Multi-byte text where the zone would be is an error, not a panic.
        let err = parse_bound("ééééa", false).unwrap_err();
        assert!(
            err.starts_with("invalid time \"ééééa\": expected 2025-03-17"),
            "{err}"
        );
        assert!(parse_bound("2025-03-17T15:00:00+09:0é", false).is_err());
    }

    proptest::proptest! {
        /// No text makes the bound parser panic; what it accepts is an
        /// instant that a date or an RFC 3339 form of it gives back.
        #[test]
        fn bounds_never_panic(text in "\\PC{0,40}", end in proptest::bool::ANY) {
            let _ = parse_bound(&text, end);
        }

        #[test]
        fn bounds_of_valid_times_round_trip(
            secs in 0i64..4_102_444_800, frac in 0u32..10_000_000, offset in -12i32..=14
        ) {
            let ns = secs * 1_000_000_000 + i64::from(frac) * 100;
            let text = format_timestamp(ns);
            proptest::prop_assert_eq!(parse_bound(&text, false), Ok(ns));
            let local = chrono::DateTime::from_timestamp_nanos(ns)
                .with_timezone(&chrono::FixedOffset::east_opt(offset * 3600).unwrap())
                .format("%Y-%m-%dT%H:%M:%S%.f%:z")
                .to_string();
            proptest::prop_assert_eq!(parse_bound(&local, false), Ok(ns));
        }
    }
}
