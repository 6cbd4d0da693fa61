//! The people in the report: the risk ranking and one section per user with
//! a finding, holding their timeline around each finding.

use std::collections::BTreeMap;

use super::gather::{user_key, TOP_N};
use super::model::{ReportFinding, Severity, TimelineEntry, UserRisk, UserSection};
use super::tables::Person;
use crate::analyze::timeline::TimelineRow;
use crate::model::time::{format_timestamp, parse_timestamp};

/// Minutes of timeline shown before and after each finding in a user section.
pub const WINDOW_MINUTES: u64 = 60;
/// Most timeline rows in one user section.
pub const USER_TIMELINE_CAP: usize = 300;

const MINUTE_NS: i64 = 60 * 1_000_000_000;

fn person<'p>(
    people: &'p [Person],
    id: &Option<String>,
    upn: &Option<String>,
) -> Option<&'p Person> {
    match id {
        Some(id) => people.iter().find(|p| p.user_id.as_ref() == Some(id)),
        None => {
            let upn = upn.as_ref()?.to_lowercase();
            people.iter().find(|p| {
                p.user_id.is_none() && p.upn.as_ref().map(|u| u.to_lowercase()) == Some(upn.clone())
            })
        }
    }
}

fn level_rank(level: Option<&str>) -> i8 {
    match level {
        Some("high") => 3,
        Some("medium") => 2,
        Some("low") => 1,
        _ => 0,
    }
}

/// Users with findings, grouped by user key, in report order of their first finding.
fn subjects(findings: &[ReportFinding]) -> Vec<(String, Vec<&ReportFinding>)> {
    let mut order: Vec<(String, Vec<&ReportFinding>)> = Vec::new();
    for f in findings {
        let Some(key) = user_key(&f.user_id, &f.user_principal_name) else {
            continue;
        };
        match order.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(f),
            None => order.push((key, vec![f])),
        }
    }
    order
}

pub(super) fn users_at_risk(findings: &[ReportFinding], people: &[Person]) -> Vec<UserRisk> {
    let mut ranked: Vec<UserRisk> = subjects(findings)
        .into_iter()
        .map(|(_, fs)| {
            let first = fs[0];
            let p = person(people, &first.user_id, &first.user_principal_name);
            UserRisk {
                user_id: first.user_id.clone(),
                user_principal_name: first.user_principal_name.clone(),
                display_name: first.display_name.clone(),
                max_severity: max_severity(&fs),
                findings: fs.len() as u64,
                risk_state: p.and_then(|p| p.risk_state.clone()),
                risk_level: p.and_then(|p| p.risk_level.clone()),
            }
        })
        .collect();
    ranked.sort_by(|a, b| {
        (
            std::cmp::Reverse(a.max_severity),
            std::cmp::Reverse(a.findings),
            -level_rank(a.risk_level.as_deref()),
            &a.user_principal_name,
            &a.user_id,
        )
            .cmp(&(
                std::cmp::Reverse(b.max_severity),
                std::cmp::Reverse(b.findings),
                -level_rank(b.risk_level.as_deref()),
                &b.user_principal_name,
                &b.user_id,
            ))
    });
    ranked.truncate(TOP_N);
    ranked
}

/// The most severe of `fs` (never empty: every subject has a finding).
fn max_severity(fs: &[&ReportFinding]) -> Severity {
    fs.iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info)
}

pub(super) fn user_sections(
    findings: &[ReportFinding],
    timeline: &[TimelineRow],
    people: &[Person],
    names: &BTreeMap<String, String>,
) -> Vec<UserSection> {
    let window = WINDOW_MINUTES as i64 * MINUTE_NS;
    let mut groups = subjects(findings);
    groups.sort_by(|(ka, a), (kb, b)| {
        let key = |fs: &[&ReportFinding]| std::cmp::Reverse(max_severity(fs));
        (key(a), &a[0].user_principal_name, ka).cmp(&(key(b), &b[0].user_principal_name, kb))
    });
    groups
        .into_iter()
        .enumerate()
        .map(|(n, (key, fs))| {
            let first = fs[0];
            let windows: Vec<(i64, i64)> = fs
                .iter()
                .map(|f| {
                    (
                        parse_timestamp(&f.first_seen).unwrap_or(0) - window,
                        parse_timestamp(&f.last_seen).unwrap_or(0) + window,
                    )
                })
                .collect();
            let rows: Vec<&TimelineRow> = timeline
                .iter()
                .filter(|r| user_key(&r.user_id, &r.user_principal_name).as_deref() == Some(&key))
                .filter(|r| windows.iter().any(|(a, b)| (*a..=*b).contains(&r.time)))
                .collect();
            let p = person(people, &first.user_id, &first.user_principal_name);
            UserSection {
                user_id: first.user_id.clone(),
                user_principal_name: first.user_principal_name.clone(),
                display_name: names.get(&key).cloned(),
                anchor: format!("user-{}", n + 1),
                max_severity: max_severity(&fs),
                finding_ids: fs.iter().map(|f| f.finding_id.clone()).collect(),
                sign_ins: p.map_or(0, |p| p.sign_ins),
                sign_ins_failure: p.map_or(0, |p| p.failure),
                sign_ins_blocked: p.map_or(0, |p| p.blocked),
                distinct_ips: p.map_or(0, |p| p.distinct_ips),
                countries: p.map(|p| p.countries.clone()).unwrap_or_default(),
                timeline_rows_in_windows: rows.len() as u64,
                timeline: rows
                    .into_iter()
                    .take(USER_TIMELINE_CAP)
                    .map(|r| TimelineEntry {
                        time: format_timestamp(r.time),
                        entity: r.entity.name().into(),
                        record_id: r.record_id.clone(),
                        role: r.role.as_str().into(),
                        action: r.action.clone(),
                        result: r.result.clone(),
                        error_code: r.error_code,
                        ip_address: r.ip_address.clone(),
                        country: r.country.clone(),
                        app: r.app.clone(),
                        client: r.client.clone(),
                        detail: r.detail.clone(),
                        finding_ids: r.finding_ids.clone(),
                    })
                    .collect(),
                window_minutes: WINDOW_MINUTES,
            }
        })
        .collect()
}
