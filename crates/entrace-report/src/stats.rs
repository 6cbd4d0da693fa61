//! Counting for the report: the most frequent values of
//! the sign-ins, and the chart series. Pure functions over loaded tables.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{ErrorCodeCount, ReportFinding, ResultBucket, SeverityBucket, Top, ValueCount};
use entrace_case::records::SignIn;
use entrace_model::error_codes::{self, Outcome};
use entrace_model::time::{format_timestamp, parse_timestamp};

const HOUR_NS: i64 = 3600 * 1_000_000_000;
const DAY_NS: i64 = 24 * HOUR_NS;
/// Spans up to this long are charted per hour, longer ones per day.
const HOURLY_UP_TO: i64 = 7 * DAY_NS;

/// `YYYY-MM-DD` of a UTC instant.
pub fn day(ns: i64) -> String {
    format_timestamp(ns.div_euclid(DAY_NS) * DAY_NS)[..10].to_string()
}

fn outcome(s: &SignIn) -> Outcome {
    error_codes::outcome(s.error_code.unwrap_or(0))
}

fn user_of(s: &SignIn) -> Option<String> {
    s.user_id
        .clone()
        .or_else(|| s.upn.as_ref().map(|u| u.to_lowercase()))
}

/// The `n` most frequent error codes, countries, IPs and apps.
pub fn top(sign_ins: &[SignIn], n: usize) -> Top {
    let mut codes: BTreeMap<i32, (u64, BTreeSet<String>)> = BTreeMap::new();
    for s in sign_ins {
        if let Some(code) = s.error_code.filter(|&c| c != 0) {
            let e = codes.entry(code).or_default();
            e.0 += 1;
            e.1.extend(user_of(s));
        }
    }
    let mut error_codes: Vec<ErrorCodeCount> = codes
        .into_iter()
        .map(|(code, (count, users))| {
            let known = error_codes::lookup(code);
            ErrorCodeCount {
                code,
                label: known.map_or("unrecognised", |k| k.label).into(),
                meaning: known.map_or("", |k| k.meaning).into(),
                class: error_codes::outcome(code).as_str().into(),
                sign_ins: count,
                users: users.len() as u64,
            }
        })
        .collect();
    error_codes.sort_by(|a, b| b.sign_ins.cmp(&a.sign_ins).then(a.code.cmp(&b.code)));
    error_codes.truncate(n);
    Top {
        error_codes,
        countries: ranked(sign_ins, n, |s| s.country.as_deref()),
        ip_addresses: ranked(sign_ins, n, |s| s.ip.as_deref()),
        apps: ranked(sign_ins, n, |s| s.app.as_deref()),
    }
}

/// The `n` most frequent non-empty values of `key`, ties by value.
fn ranked(sign_ins: &[SignIn], n: usize, key: impl Fn(&SignIn) -> Option<&str>) -> Vec<ValueCount> {
    let mut counts: BTreeMap<&str, (u64, u64, BTreeSet<String>)> = BTreeMap::new();
    for s in sign_ins {
        let Some(v) = key(s).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let e = counts.entry(v).or_default();
        e.0 += 1;
        if outcome(s) != Outcome::Success {
            e.1 += 1;
        }
        e.2.extend(user_of(s));
    }
    let mut out: Vec<ValueCount> = counts
        .into_iter()
        .map(|(v, (all, bad, users))| ValueCount {
            value: v.into(),
            sign_ins: all,
            unsuccessful: bad,
            users: users.len() as u64,
        })
        .collect();
    out.sort_by(|a, b| {
        b.sign_ins
            .cmp(&a.sign_ins)
            .then_with(|| a.value.cmp(&b.value))
    });
    out.truncate(n);
    out
}

/// Sign-ins per hour (spans up to 7 days) or per day, by result class,
/// with every bucket between the first and the last sign-in present.
pub fn sign_ins_over_time(sign_ins: &[SignIn]) -> (&'static str, Vec<ResultBucket>) {
    let (Some(first), Some(last)) = (
        sign_ins.iter().map(|s| s.time).min(),
        sign_ins.iter().map(|s| s.time).max(),
    ) else {
        return ("hour", Vec::new());
    };
    let (name, width) = if last - first <= HOURLY_UP_TO {
        ("hour", HOUR_NS)
    } else {
        ("day", DAY_NS)
    };
    let (lo, hi) = (first.div_euclid(width), last.div_euclid(width));
    let mut buckets: Vec<ResultBucket> = (lo..=hi)
        .map(|b| ResultBucket {
            start: format_timestamp(b * width),
            success: 0,
            interrupted: 0,
            failure: 0,
            blocked: 0,
        })
        .collect();
    for s in sign_ins {
        let b = &mut buckets[(s.time.div_euclid(width) - lo) as usize];
        match outcome(s) {
            Outcome::Success => b.success += 1,
            Outcome::Interrupted => b.interrupted += 1,
            Outcome::Failure => b.failure += 1,
            Outcome::Blocked => b.blocked += 1,
        }
    }
    (name, buckets)
}

/// Findings per UTC day of their first evidence, every day between the
/// first and the last present.
pub fn findings_per_day(findings: &[ReportFinding]) -> Vec<SeverityBucket> {
    let days: Vec<(i64, &str)> = findings
        .iter()
        .filter_map(|f| {
            Some((
                parse_timestamp(&f.first_seen).ok()?.div_euclid(DAY_NS),
                f.severity.as_str(),
            ))
        })
        .collect();
    let (Some(lo), Some(hi)) = (
        days.iter().map(|d| d.0).min(),
        days.iter().map(|d| d.0).max(),
    ) else {
        return Vec::new();
    };
    let mut out: Vec<SeverityBucket> = (lo..=hi)
        .map(|d| SeverityBucket {
            day: day(d * DAY_NS),
            high: 0,
            medium: 0,
            low: 0,
            info: 0,
        })
        .collect();
    for (d, sev) in days {
        let b = &mut out[(d - lo) as usize];
        match sev {
            "high" => b.high += 1,
            "medium" => b.medium += 1,
            "low" => b.low += 1,
            _ => b.info += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn si(time: i64, code: i32, country: &str) -> SignIn {
        SignIn {
            id: format!("s{time}"),
            time,
            user_id: Some(format!("u{}", time % 3)),
            error_code: Some(code),
            country: Some(country.into()),
            ..SignIn::default()
        }
    }

    #[test]
    fn buckets_are_contiguous_and_classified() {
        let rows = [
            si(0, 0, "JP"),
            si(3 * HOUR_NS + 5, 50126, "JP"),
            si(3 * HOUR_NS + 9, 50053, "US"),
        ];
        let (bucket, series) = sign_ins_over_time(&rows);
        assert_eq!(bucket, "hour");
        assert_eq!(series.len(), 4);
        assert_eq!(
            (series[0].success, series[3].failure, series[3].blocked),
            (1, 1, 1)
        );
        assert_eq!(series[1].start, "1970-01-01T01:00:00.0000000Z");

        let rows = [si(0, 0, "JP"), si(8 * DAY_NS, 0, "JP")];
        let (bucket, series) = sign_ins_over_time(&rows);
        assert_eq!((bucket, series.len()), ("day", 9));
    }

    #[test]
    fn top_lists_rank_by_count_then_value() {
        let rows = [
            si(1, 50126, "US"),
            si(2, 50126, "JP"),
            si(3, 0, "JP"),
            si(4, 99999, "FR"),
        ];
        let t = top(&rows, 2);
        assert_eq!(
            t.countries
                .iter()
                .map(|c| (c.value.as_str(), c.sign_ins, c.unsuccessful))
                .collect::<Vec<_>>(),
            [("JP", 2, 1), ("FR", 1, 1)]
        );
        assert_eq!(t.error_codes[0].code, 50126);
        assert_eq!(t.error_codes[0].sign_ins, 2);
        assert_eq!(t.error_codes[1].label, "unrecognised");
    }
}
