//! The people in the report: the risk ranking and one section per user with
//! a finding, holding their timeline around each finding.

use std::collections::{BTreeMap, HashMap};

use super::gather::{user_key, TOP_N};
use super::model::{ReportFinding, Severity, TimelineEntry, UserRisk, UserSection};
use super::tables::Person;
use entrace_model::time::{format_timestamp, parse_timestamp};
use entrace_table::stage2::timeline::TimelineRow;

/// Minutes of timeline shown before and after each finding in a user section.
pub const WINDOW_MINUTES: u64 = 60;
/// Most timeline rows in one user section.
pub const USER_TIMELINE_CAP: usize = 300;

const MINUTE_NS: i64 = 60 * 1_000_000_000;

/// The per-user summaries by object id, and by lower-cased UPN for those
/// without one, built once: looking each user up is then constant time
/// instead of a scan of every person. The first summary of a key wins.
struct People<'p> {
    by_id: HashMap<&'p str, &'p Person>,
    by_upn: HashMap<String, &'p Person>,
}

impl<'p> People<'p> {
    fn new(people: &'p [Person]) -> Self {
        let (mut by_id, mut by_upn) = (HashMap::new(), HashMap::new());
        for p in people {
            match (&p.user_id, &p.upn) {
                (Some(id), _) => {
                    by_id.entry(id.as_str()).or_insert(p);
                }
                (None, Some(upn)) => {
                    by_upn.entry(upn.to_lowercase()).or_insert(p);
                }
                (None, None) => {}
            }
        }
        People { by_id, by_upn }
    }

    /// The summary of the user with object id `id`, or (without one) UPN `upn`.
    fn get(&self, id: &Option<String>, upn: &Option<String>) -> Option<&'p Person> {
        match id {
            Some(id) => self.by_id.get(id.as_str()).copied(),
            None => self.by_upn.get(&upn.as_ref()?.to_lowercase()).copied(),
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
    let mut index: HashMap<String, usize> = HashMap::new();
    for f in findings {
        let Some(key) = user_key(&f.user_id, &f.user_principal_name) else {
            continue;
        };
        match index.get(&key) {
            Some(&i) => order[i].1.push(f),
            None => {
                index.insert(key.clone(), order.len());
                order.push((key, vec![f]));
            }
        }
    }
    order
}

pub(super) fn users_at_risk(findings: &[ReportFinding], people: &[Person]) -> Vec<UserRisk> {
    let people = People::new(people);
    let mut ranked: Vec<UserRisk> = subjects(findings)
        .into_iter()
        .map(|(_, fs)| {
            let first = fs[0];
            let p = people.get(&first.user_id, &first.user_principal_name);
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
    let people = People::new(people);
    let mut groups = subjects(findings);
    groups.sort_by(|(ka, a), (kb, b)| {
        let key = |fs: &[&ReportFinding]| std::cmp::Reverse(max_severity(fs));
        (key(a), &a[0].user_principal_name, ka).cmp(&(key(b), &b[0].user_principal_name, kb))
    });
    // One pass over the timeline gives every sectioned user's rows, in
    // timeline order (a scan per user was quadratic in the evidence).
    let mut rows_of: Vec<Vec<&TimelineRow>> = vec![Vec::new(); groups.len()];
    let group_of: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, (key, _))| (key.as_str(), i))
        .collect();
    for r in timeline {
        let i = match &r.user_id {
            Some(id) => group_of.get(id.as_str()),
            None => match &r.user_principal_name {
                Some(upn) => group_of.get(upn.to_lowercase().as_str()),
                None => None,
            },
        };
        if let Some(&i) = i {
            rows_of[i].push(r);
        }
    }
    groups
        .into_iter()
        .zip(rows_of)
        .enumerate()
        .map(|(n, ((key, fs), user_rows))| {
            let first = fs[0];
            let windows = merged_windows(fs.iter().map(|f| {
                (
                    parse_timestamp(&f.first_seen).unwrap_or(0) - window,
                    parse_timestamp(&f.last_seen).unwrap_or(0) + window,
                )
            }));
            let rows: Vec<&TimelineRow> = user_rows
                .into_iter()
                .filter(|r| in_windows(&windows, r.time))
                .collect();
            let p = people.get(&first.user_id, &first.user_principal_name);
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

/// `windows` (inclusive `(start, end)` pairs) sorted and merged where they
/// overlap, so a time is looked up with one binary search.
fn merged_windows(windows: impl Iterator<Item = (i64, i64)>) -> Vec<(i64, i64)> {
    let mut all: Vec<(i64, i64)> = windows.filter(|(a, b)| a <= b).collect();
    all.sort_unstable();
    let mut merged: Vec<(i64, i64)> = Vec::with_capacity(all.len());
    for (a, b) in all {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// Whether `time` lies in one of the sorted, disjoint `windows`.
fn in_windows(windows: &[(i64, i64)], time: i64) -> bool {
    let after = windows.partition_point(|(a, _)| *a <= time);
    after > 0 && time <= windows[after - 1].1
}

#[cfg(test)]
mod tests {
    use super::{in_windows, merged_windows};

    #[test]
    fn merged_windows_hold_exactly_the_times_some_window_holds() {
        let windows = [(10, 20), (15, 30), (40, 40), (50, 45), (-5, 0), (31, 35)];
        let merged = merged_windows(windows.into_iter());
        assert_eq!(merged, [(-5, 0), (10, 30), (31, 35), (40, 40)]);
        for t in -10..60 {
            let any = windows.iter().any(|(a, b)| (*a..=*b).contains(&t));
            assert_eq!(in_windows(&merged, t), any, "time {t}");
        }
        assert!(!in_windows(&[], 0));
    }
}
