//! What the evidence covers and what it cannot show: records per table per
//! hour and per day (`coverage.parquet`), the empty stretches inside each
//! table's span, which sign-in event types are present, v1.0 against beta,
//! values hidden by licensing, and sources that overlap earlier ones.
//!
//! An absence of findings means little if the export has holes: a responder
//! must see the holes before trusting the silence.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use entrace_case::records::Tables;
use entrace_manifest::analysis::{BrokenChain, CoverageSummary, Gap, Overlap, TableSpan};
use entrace_model::error::Result;
use entrace_model::time::format_timestamp;
use entrace_table::read::Frame;
use entrace_table::stage2::coverage::{Bucket, Granularity};

const HOUR_NS: i64 = 3600 * 1_000_000_000;
const DAY_NS: i64 = 24 * HOUR_NS;

/// Every sign-in event type Graph knows; the ones absent are reported.
pub const SIGN_IN_EVENT_TYPES: [&str; 4] = [
    "interactiveUser",
    "nonInteractiveUser",
    "servicePrincipal",
    "managedIdentity",
];

/// Shortest run of empty hours reported as a gap, per table. Sign-ins run
/// around the clock in any tenant worth investigating; directory audits may
/// pause over a (long) weekend, so only four empty days count. Risk tables
/// are event-driven and sparse by nature, so they have none.
pub fn gap_threshold_hours(table: &str) -> Option<i64> {
    match table {
        "signins" => Some(6),
        "directory_audits" => Some(96),
        _ => None,
    }
}

/// Coverage of `dir`'s tables.
pub struct Coverage {
    /// Buckets for coverage.parquet.
    pub buckets: Vec<Bucket>,
    /// The summary.
    pub summary: CoverageSummary,
}

/// Computes the coverage of the loaded `tables` (reading the few extra
/// columns it needs from `dir`).
pub fn coverage(dir: &Path, tables: &Tables) -> Result<Coverage> {
    let times: [(&'static str, Vec<i64>); 5] = [
        ("signins", tables.sign_ins.iter().map(|r| r.time).collect()),
        (
            "directory_audits",
            tables.audits.iter().map(|r| r.time).collect(),
        ),
        (
            "risk_detections",
            tables.detections.iter().map(|r| r.time).collect(),
        ),
        (
            "risky_users",
            tables.risky_users.iter().map(|r| r.time).collect(),
        ),
        (
            "risky_user_history",
            tables.history.iter().map(|r| r.time).collect(),
        ),
    ];
    let mut summary = CoverageSummary::default();
    let mut buckets = Vec::new();
    for (table, times) in &times {
        let (span, mut b, gaps) = spans(table, times);
        summary.tables.insert(table.to_string(), span);
        summary.gaps.extend(gaps);
        buckets.append(&mut b);
    }
    event_types(dir, &mut summary)?;
    versions_and_hidden(dir, &mut summary)?;
    summary.overlapping_sources = overlaps(dir)?;
    summary.broken_next_link_chains = broken_chains(dir)?;
    Ok(Coverage { buckets, summary })
}

/// Hour and day buckets, the span and the gaps of one table.
fn spans(table: &'static str, times: &[i64]) -> (TableSpan, Vec<Bucket>, Vec<Gap>) {
    let (Some(&first), Some(&last)) = (times.iter().min(), times.iter().max()) else {
        return (
            TableSpan {
                gap_threshold_hours: gap_threshold_hours(table),
                ..TableSpan::default()
            },
            Vec::new(),
            Vec::new(),
        );
    };
    let count = |width: i64| {
        let (lo, hi) = (first.div_euclid(width), last.div_euclid(width));
        let mut n = vec![0u64; (hi - lo + 1) as usize];
        for t in times {
            n[(t.div_euclid(width) - lo) as usize] += 1;
        }
        (lo, n)
    };
    let (hour0, hours) = count(HOUR_NS);
    let (day0, days) = count(DAY_NS);
    let threshold = gap_threshold_hours(table);
    let mut in_gap = vec![false; hours.len()];
    let mut gaps = Vec::new();
    let mut i = 0;
    while i < hours.len() {
        if hours[i] != 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < hours.len() && hours[i] == 0 {
            i += 1;
        }
        let len = (i - start) as i64;
        if threshold.is_some_and(|t| len >= t) {
            in_gap[start..i].iter_mut().for_each(|g| *g = true);
            gaps.push(Gap {
                table: table.into(),
                from: format_timestamp((hour0 + start as i64) * HOUR_NS),
                to: format_timestamp((hour0 + i as i64) * HOUR_NS),
                hours: len,
            });
        }
    }
    let mut buckets: Vec<Bucket> = hours
        .iter()
        .enumerate()
        .map(|(k, &n)| Bucket {
            table: table.to_string(),
            granularity: Granularity::Hour,
            start: (hour0 + k as i64) * HOUR_NS,
            records: n,
            gap: in_gap[k],
        })
        .collect();
    buckets.extend(days.iter().enumerate().map(|(k, &n)| {
        let start = (day0 + k as i64) * DAY_NS;
        // A day is a gap when every one of its hours inside the span is.
        let hours_of_day = (start.div_euclid(HOUR_NS) - hour0).max(0) as usize
            ..((start + DAY_NS).div_euclid(HOUR_NS) - hour0).min(hours.len() as i64) as usize;
        Bucket {
            table: table.to_string(),
            granularity: Granularity::Day,
            start,
            records: n,
            gap: n == 0 && in_gap[hours_of_day].iter().all(|&g| g),
        }
    }));
    let span = TableSpan {
        records: times.len() as u64,
        first: Some(format_timestamp(first)),
        last: Some(format_timestamp(last)),
        hours_in_span: hours.len() as i64,
        empty_hours: hours.iter().filter(|&&n| n == 0).count() as i64,
        days_in_span: days.len() as i64,
        empty_days: days.iter().filter(|&&n| n == 0).count() as i64,
        gap_threshold_hours: threshold,
    };
    (span, buckets, gaps)
}

/// Counts sign-ins per event type. Without `signInEventTypes` (v1.0) a row
/// is non-interactive when `isInteractive` is false, a service principal's
/// when it names one and no user, and interactive otherwise: the v1.0 list
/// returns interactive user sign-ins only.
fn event_types(dir: &Path, s: &mut CoverageSummary) -> Result<()> {
    let f = Frame::read(
        dir,
        "signins",
        &[
            "sign_in_event_types",
            "is_interactive",
            "service_principal_id",
            "user_id",
        ],
    )?;
    let types = f.str_lists("sign_in_event_types")?;
    let interactive = f.bools("is_interactive")?;
    let sp = f.strs("service_principal_id")?;
    let user = f.strs("user_id")?;
    let nonempty = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    for i in 0..f.len() {
        let listed: BTreeSet<&str> = types[i].iter().map(String::as_str).collect();
        let kinds: Vec<&str> = if !listed.is_empty() {
            listed.into_iter().collect()
        } else if interactive[i] == Some(false) {
            vec!["nonInteractiveUser"]
        } else if nonempty(&sp[i]) && !nonempty(&user[i]) {
            vec!["servicePrincipal"]
        } else {
            vec!["interactiveUser"]
        };
        for k in kinds {
            *s.sign_in_event_types.entry(k.to_string()).or_default() += 1;
        }
    }
    s.missing_sign_in_event_types = SIGN_IN_EVENT_TYPES
        .iter()
        .filter(|t| !s.sign_in_event_types.contains_key(**t))
        .map(|t| t.to_string())
        .collect();
    Ok(())
}

fn versions_and_hidden(dir: &Path, s: &mut CoverageSummary) -> Result<()> {
    let risk_columns: [(&'static str, &[&str]); 5] = [
        (
            "signins",
            &[
                "risk_level_during_sign_in",
                "risk_level_aggregated",
                "risk_detail",
            ],
        ),
        ("directory_audits", &[]),
        ("risk_detections", &["risk_level", "risk_detail"]),
        ("risky_users", &["risk_level", "risk_detail"]),
        ("risky_user_history", &["risk_level", "risk_detail"]),
    ];
    for (table, columns) in risk_columns {
        let mut names = vec!["ingest_api_version"];
        names.extend(columns);
        let f = Frame::read(dir, table, &names)?;
        let versions = s.api_versions.entry(table.to_string()).or_default();
        for v in f.strs("ingest_api_version")? {
            *versions
                .entry(v.unwrap_or_else(|| "unknown".into()))
                .or_default() += 1;
        }
        for c in columns {
            let hidden = f
                .strs(c)?
                .iter()
                .filter(|v| v.as_deref() == Some("hidden"))
                .count() as u64;
            if hidden > 0 {
                s.hidden_values.insert(format!("{table}.{c}"), hidden);
            }
        }
    }
    Ok(())
}

fn overlaps(dir: &Path) -> Result<Vec<Overlap>> {
    let f = Frame::read(dir, "sources", &["path", "member", "read", "duplicates"])?;
    let (paths, members) = (f.strs("path")?, f.strs("member")?);
    let (read, dups) = (f.ints("read")?, f.ints("duplicates")?);
    Ok((0..f.len())
        .filter(|&i| dups[i].unwrap_or(0) > 0)
        .map(|i| Overlap {
            path: paths[i].clone().unwrap_or_default(),
            member: members[i].clone(),
            read: read[i].unwrap_or(0).max(0) as u64,
            duplicates: dups[i].unwrap_or(0).max(0) as u64,
        })
        .collect())
}

/// The folder a source sits in: its directory, or for an archive member the
/// archive and the member's folder.
fn collection_of(path: &str, member: Option<&str>) -> String {
    let parent = |p: &str| match p.rfind('/') {
        Some(i) => p[..i].to_string(),
        None => String::new(),
    };
    match member {
        Some(m) => format!("{path}!{}", parent(m)),
        None => parent(path),
    }
}

/// Pages are grouped per folder and entity. A complete chain has a nextLink
/// on every page but the last; when every page of a folder has one, the
/// page the last link points to was never saved. (Several runs in one
/// folder give fewer links than pages, which is not a break.)
fn broken_chains(dir: &Path) -> Result<Vec<BrokenChain>> {
    let f = Frame::read(
        dir,
        "sources",
        &["path", "member", "entity", "pages", "pages_with_next_link"],
    )?;
    let (paths, members, entities) = (f.strs("path")?, f.strs("member")?, f.strs("entity")?);
    let (pages, linked) = (f.ints("pages")?, f.ints("pages_with_next_link")?);
    let mut groups: BTreeMap<(String, Option<String>), (u64, u64, String)> = BTreeMap::new();
    for i in 0..f.len() {
        let n = pages[i].unwrap_or(0).max(0) as u64;
        if n == 0 {
            continue;
        }
        let path = paths[i].clone().unwrap_or_default();
        let file = match &members[i] {
            Some(m) => format!("{path}!{m}"),
            None => path.clone(),
        };
        let g = groups
            .entry((
                collection_of(&path, members[i].as_deref()),
                entities[i].clone(),
            ))
            .or_default();
        g.0 += n;
        g.1 += linked[i].unwrap_or(0).max(0) as u64;
        if file > g.2 {
            g.2 = file;
        }
    }
    Ok(groups
        .into_iter()
        .filter(|(_, (n, with, _))| with == n)
        .map(|((collection, entity), (n, _, last_file))| BrokenChain {
            collection,
            entity,
            pages: n,
            last_file,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_empty_hours_of_sign_ins_are_a_gap_and_five_are_not() {
        let h = |n: i64| n * HOUR_NS;
        // Records in hours 0, 6 (5 empty between), 13 (6 empty between).
        let (span, buckets, gaps) = spans("signins", &[h(0) + 5, h(6), h(13) + 1]);
        assert_eq!(
            gaps,
            [Gap {
                table: "signins".into(),
                from: "1970-01-01T07:00:00.0000000Z".into(),
                to: "1970-01-01T13:00:00.0000000Z".into(),
                hours: 6,
            }]
        );
        assert_eq!(
            (span.hours_in_span, span.empty_hours, span.days_in_span),
            (14, 11, 1)
        );
        let hourly: Vec<&Bucket> = buckets
            .iter()
            .filter(|b| b.granularity == Granularity::Hour)
            .collect();
        assert_eq!(hourly.len(), 14);
        assert_eq!(hourly.iter().filter(|b| b.gap).count(), 6);
        assert!(!hourly[3].gap && hourly[7].gap);
        let days: Vec<&Bucket> = buckets
            .iter()
            .filter(|b| b.granularity == Granularity::Day)
            .collect();
        assert_eq!((days.len(), days[0].records, days[0].gap), (1, 3, false));

        // Audits: a weekend (95 empty hours at most) is not a gap; 96 are.
        let (_, _, gaps) = spans("directory_audits", &[0, h(96)]);
        assert!(gaps.is_empty());
        let (_, _, gaps) = spans("directory_audits", &[0, h(97)]);
        assert_eq!(gaps[0].hours, 96);

        // Risk tables are sparse by nature: no gaps.
        let (_, _, gaps) = spans("risk_detections", &[0, h(100)]);
        assert!(gaps.is_empty());
    }

    #[test]
    fn a_whole_empty_day_inside_the_span_is_a_gap_day() {
        let (span, buckets, gaps) = spans("signins", &[0, 2 * DAY_NS + 1]);
        assert_eq!(gaps.len(), 1);
        assert_eq!(gaps[0].hours, 47);
        assert_eq!((span.days_in_span, span.empty_days), (3, 1));
        let day_gaps: Vec<bool> = buckets
            .iter()
            .filter(|b| b.granularity == Granularity::Day)
            .map(|b| b.gap)
            .collect();
        assert_eq!(day_gaps, [false, true, false]);
    }
}
