//! Builds the [`Report`] from an analysed OUT_DIR: `manifest.json` and the
//! Parquet tables, nothing else (the evidence is never reopened).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::model::*;
use super::stats;
use crate::analyze::load::Tables;
use crate::analyze::read::Frame;
use crate::analyze::table::read_timeline;
use crate::analyze::timeline::TimelineRow;
use crate::detect::registry::REGISTRY;
use crate::error::{Error, Result};
use crate::model::time::format_timestamp;
use crate::model::EntityKind;

/// Minutes of timeline shown before and after each finding in a user section.
pub const WINDOW_MINUTES: u64 = 60;
/// Most timeline rows in one user section.
pub const USER_TIMELINE_CAP: usize = 300;
/// Entries in each "top" list and in the risk ranking.
pub const TOP_N: usize = 10;

const MINUTE_NS: i64 = 60 * 1_000_000_000;

/// Reads OUT_DIR and builds the report. OUT_DIR must have been analysed.
pub fn gather(dir: &Path) -> Result<Report> {
    let manifest = read_manifest(dir)?;
    if manifest.pointer("/tables/findings").is_none() {
        return Err(Error::Usage(format!(
            "{} has no findings yet: run `entrace analyze {}` first",
            dir.display(),
            dir.display()
        )));
    }
    let tables = Tables::load(dir)?;
    let timeline = read_timeline(dir)?;
    let findings = read_findings(dir)?;
    let people = read_people(dir)?;
    let names = display_names(&tables);

    let by_record: BTreeMap<(&str, &str), &TimelineRow> = timeline
        .iter()
        .map(|r| ((r.entity.spec().table, r.record_id.as_str()), r))
        .rev() // the first row of a record wins
        .collect();
    let mut report_findings: Vec<ReportFinding> = findings
        .iter()
        .map(|f| resolve_finding(f, &by_record, &names))
        .collect();
    report_findings.sort_by(|a, b| {
        (
            severity_rank(&b.severity),
            &a.first_seen,
            &a.detection_id,
            &a.finding_id,
        )
            .cmp(&(
                severity_rank(&a.severity),
                &b.first_seen,
                &b.detection_id,
                &b.finding_id,
            ))
    });

    let mut by_severity: BTreeMap<String, u64> = ["high", "medium", "low", "info"]
        .iter()
        .map(|s| (s.to_string(), 0))
        .collect();
    for f in &report_findings {
        *by_severity.entry(f.severity.clone()).or_default() += 1;
    }

    let users = user_sections(&report_findings, &timeline, &people, &names);
    Ok(Report {
        schema: "entrace-report",
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: text(&manifest, "/tool/name").unwrap_or_else(|| "entrace".into()),
            version: text(&manifest, "/tool/version").unwrap_or_default(),
        },
        run: Run {
            started_at: text(&manifest, "/run/started_at"),
            finished_at: text(&manifest, "/run/finished_at"),
            arguments: manifest
                .get("arguments")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        },
        evidence: evidence(&manifest),
        coverage: stats::coverage(&tables),
        findings_by_severity: by_severity,
        users_at_risk: users_at_risk(&report_findings, &people),
        users,
        top: stats::top(&tables.sign_ins, TOP_N),
        charts: Charts {
            bucket: String::new(),
            sign_ins_over_time: Vec::new(),
            findings_per_day: stats::findings_per_day(&report_findings),
        }
        .with_sign_ins(&tables.sign_ins),
        detections: detections(&manifest),
        findings: report_findings,
    })
}

impl Charts {
    fn with_sign_ins(mut self, sign_ins: &[crate::analyze::load::SignIn]) -> Charts {
        let (bucket, series) = stats::sign_ins_over_time(sign_ins);
        self.bucket = bucket.into();
        self.sign_ins_over_time = series;
        self
    }
}

fn read_manifest(dir: &Path) -> Result<Value> {
    let path = dir.join("manifest.json");
    let bytes = std::fs::read(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Usage(format!(
                "{} is not an entrace output directory (no manifest.json)",
                dir.display()
            ))
        } else {
            Error::io(&path, "cannot read", e)
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::Usage(format!(
            "{}: not valid JSON ({e}); was it written by entrace?",
            path.display()
        ))
    })
}

fn text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(Value::as_str).map(String::from)
}

fn num(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn evidence(m: &Value) -> Evidence {
    let inputs: Vec<Input> = m
        .get("inputs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|i| Input {
            path: text(i, "/path").unwrap_or_default(),
            member: text(i, "/member"),
            kind: text(i, "/kind").unwrap_or_default(),
            size: num(i, "size"),
            sha256: text(i, "/sha256").unwrap_or_default(),
            compression: text(i, "/compression"),
            encoding: text(i, "/encoding"),
            shape: text(i, "/shape"),
            entity: text(i, "/entity"),
            records: num(i, "read"),
        })
        .collect();
    // Files and archives as stored; their members are inside those bytes.
    let input_bytes = inputs
        .iter()
        .filter(|i| i.member.is_none())
        .map(|i| i.size)
        .sum();
    let tables = EntityKind::ALL
        .iter()
        .map(|k| {
            let name = k.spec().table;
            let t = m
                .pointer(&format!("/tables/{name}"))
                .cloned()
                .unwrap_or(Value::Null);
            EntityTable {
                table: name.into(),
                file: text(&t, "/file").unwrap_or_else(|| format!("{name}.parquet")),
                rows: num(&t, "rows"),
                duplicates: num(&t, "duplicates"),
                conflicting_duplicates: num(&t, "conflicting_duplicates"),
                rejected: num(&t, "rejected"),
                first_time: text(&t, "/first_time"),
                last_time: text(&t, "/last_time"),
                sha256: text(&t, "/sha256"),
            }
        })
        .collect();
    let totals = m
        .get("totals")
        .map(|t| Totals {
            read: num(t, "read"),
            written: num(t, "written"),
            duplicates: num(t, "duplicates"),
            rejected: num(t, "rejected"),
        })
        .unwrap_or_default();
    let rejects_by_reason = m
        .get("rejects_by_reason")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    let warnings = m
        .get("warnings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|w| match w {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    Evidence {
        inputs,
        input_bytes,
        tables,
        totals,
        rejects_file: "rejects.parquet".into(),
        rejects_by_reason,
        warnings,
    }
}

fn detections(m: &Value) -> Detections {
    let status = m.pointer("/analysis/detections/status");
    let mut registry: Vec<_> = REGISTRY.iter().collect();
    registry.sort_by_key(|d| d.id);
    Detections {
        thresholds: m
            .pointer("/analysis/detections/thresholds")
            .cloned()
            .unwrap_or(Value::Null),
        status: registry
            .into_iter()
            .map(|d| {
                let s = status.and_then(|s| s.get(d.id));
                DetectionRun {
                    id: d.id.into(),
                    name: d.name.into(),
                    status: s
                        .and_then(|s| text(s, "/status"))
                        .unwrap_or_else(|| "not run".into()),
                    reason: s.and_then(|s| text(s, "/reason")),
                    findings: s.map_or(0, |s| num(s, "findings")),
                }
            })
            .collect(),
    }
}

/// A row of findings.parquet.
struct FindingRow {
    finding_id: String,
    detection_id: String,
    name: String,
    severity: String,
    mitre: Vec<String>,
    user_id: Option<String>,
    upn: Option<String>,
    ip: Option<String>,
    first_seen: i64,
    last_seen: i64,
    summary: String,
    join_basis: Option<String>,
    evidence_count: u64,
    evidence: Vec<(String, String, Option<i64>, String)>,
}

fn read_findings(dir: &Path) -> Result<Vec<FindingRow>> {
    let f = Frame::read(
        dir,
        "findings",
        &[
            "finding_id",
            "detection_id",
            "name",
            "severity",
            "mitre",
            "subject_user_id",
            "subject_user_principal_name",
            "subject_ip",
            "first_seen",
            "last_seen",
            "summary",
            "evidence",
            "evidence_count",
            "join_basis",
        ],
    )?;
    let s = |name: &str| f.strs(name);
    let (ids, dets, names, sevs) = (
        s("finding_id")?,
        s("detection_id")?,
        s("name")?,
        s("severity")?,
    );
    let (users, upns, ips, summaries, joins) = (
        s("subject_user_id")?,
        s("subject_user_principal_name")?,
        s("subject_ip")?,
        s("summary")?,
        s("join_basis")?,
    );
    let (first, last, counts) = (
        f.times("first_seen")?,
        f.times("last_seen")?,
        f.ints("evidence_count")?,
    );
    let mitre = f.str_lists("mitre")?;
    let items = f.struct_lists("evidence", &["table", "record_id", "role"], None)?;
    let times = f.struct_list_times("evidence", "time")?;
    Ok((0..f.len())
        .map(|i| FindingRow {
            finding_id: ids[i].clone().unwrap_or_default(),
            detection_id: dets[i].clone().unwrap_or_default(),
            name: names[i].clone().unwrap_or_default(),
            severity: sevs[i].clone().unwrap_or_default(),
            mitre: mitre[i].clone(),
            user_id: users[i].clone(),
            upn: upns[i].clone(),
            ip: ips[i].clone(),
            first_seen: first[i].unwrap_or_default(),
            last_seen: last[i].unwrap_or_default(),
            summary: summaries[i].clone().unwrap_or_default(),
            join_basis: joins[i].clone(),
            evidence_count: counts[i].unwrap_or_default().max(0) as u64,
            evidence: items[i]
                .iter()
                .zip(&times[i])
                .map(|(it, t)| {
                    let field = |k: usize| it.fields[k].clone().unwrap_or_default();
                    (field(0), field(1), *t, field(2))
                })
                .collect(),
        })
        .collect())
}

/// A row of per_user.parquet (the columns the report shows).
struct Person {
    user_id: Option<String>,
    upn: Option<String>,
    sign_ins: u64,
    failure: u64,
    blocked: u64,
    distinct_ips: u64,
    countries: Vec<String>,
    risk_state: Option<String>,
    risk_level: Option<String>,
}

fn read_people(dir: &Path) -> Result<Vec<Person>> {
    let f = Frame::read(
        dir,
        "per_user",
        &[
            "user_id",
            "user_principal_name",
            "sign_ins",
            "sign_ins_failure",
            "sign_ins_blocked",
            "distinct_ips",
            "countries",
            "risk_state",
            "risk_level",
        ],
    )?;
    let (ids, upns, states, levels) = (
        f.strs("user_id")?,
        f.strs("user_principal_name")?,
        f.strs("risk_state")?,
        f.strs("risk_level")?,
    );
    let n = |name: &str| -> Result<Vec<u64>> {
        Ok(f.ints(name)?
            .into_iter()
            .map(|v| v.unwrap_or(0).max(0) as u64)
            .collect())
    };
    let (sign_ins, failure, blocked, ips) = (
        n("sign_ins")?,
        n("sign_ins_failure")?,
        n("sign_ins_blocked")?,
        n("distinct_ips")?,
    );
    let countries = f.str_lists("countries")?;
    Ok((0..f.len())
        .map(|i| Person {
            user_id: ids[i].clone(),
            upn: upns[i].clone(),
            sign_ins: sign_ins[i],
            failure: failure[i],
            blocked: blocked[i],
            distinct_ips: ips[i],
            countries: countries[i].clone(),
            risk_state: states[i].clone(),
            risk_level: levels[i].clone(),
        })
        .collect())
}

/// Display names by user key (object id, else lower-case UPN): the latest
/// non-empty `userDisplayName` of a sign-in, else of an audit's `User` target.
fn display_names(t: &Tables) -> BTreeMap<String, String> {
    let mut latest: BTreeMap<String, (i64, String)> = BTreeMap::new();
    let mut put = |key: Option<String>, time: i64, name: Option<&String>| {
        if let (Some(k), Some(n)) = (key, name.filter(|n| !n.trim().is_empty())) {
            let e = latest.entry(k).or_insert((i64::MIN, String::new()));
            if time >= e.0 {
                *e = (time, n.clone());
            }
        }
    };
    for a in &t.audits {
        for target in a.targets.iter().filter(|t| t.is_user()) {
            let key = target
                .id
                .clone()
                .or_else(|| target.upn.as_ref().map(|u| u.to_lowercase()));
            put(key, i64::MIN + 1, target.display_name.as_ref());
        }
    }
    for s in &t.sign_ins {
        let key = s
            .user_id
            .clone()
            .or_else(|| s.upn.as_ref().map(|u| u.to_lowercase()));
        put(key, s.time, s.display_name.as_ref());
    }
    latest.into_iter().map(|(k, (_, n))| (k, n)).collect()
}

/// The key a user is known by in the report: object id, else lower-case UPN.
fn user_key(id: &Option<String>, upn: &Option<String>) -> Option<String> {
    id.clone()
        .or_else(|| upn.as_ref().map(|u| u.to_lowercase()))
}

/// 3 for high … 0 for info; unknown text ranks below info.
pub(crate) fn severity_rank(s: &str) -> i8 {
    match s {
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        "info" => 0,
        _ => -1,
    }
}

fn resolve_finding(
    f: &FindingRow,
    by_record: &BTreeMap<(&str, &str), &TimelineRow>,
    names: &BTreeMap<String, String>,
) -> ReportFinding {
    ReportFinding {
        finding_id: f.finding_id.clone(),
        detection_id: f.detection_id.clone(),
        name: f.name.clone(),
        severity: f.severity.clone(),
        mitre: f.mitre.clone(),
        user_id: f.user_id.clone(),
        user_principal_name: f.upn.clone(),
        display_name: user_key(&f.user_id, &f.upn).and_then(|k| names.get(&k).cloned()),
        ip_address: f.ip.clone(),
        first_seen: format_timestamp(f.first_seen),
        last_seen: format_timestamp(f.last_seen),
        summary: f.summary.clone(),
        join_basis: f.join_basis.clone(),
        evidence_count: f.evidence_count,
        evidence: f
            .evidence
            .iter()
            .map(|(table, id, time, role)| {
                let row = by_record.get(&(table.as_str(), id.as_str()));
                EvidenceRow {
                    table: table.clone(),
                    record_id: id.clone(),
                    time: time.map(format_timestamp).unwrap_or_default(),
                    role: role.clone(),
                    action: row.map(|r| r.action.clone()).unwrap_or_default(),
                    result: row.and_then(|r| r.result.clone()),
                    ip_address: row.and_then(|r| r.ip_address.clone()),
                    country: row.and_then(|r| r.country.clone()),
                    app: row.and_then(|r| r.app.clone()),
                    detail: row.and_then(|r| r.detail.clone()),
                }
            })
            .collect(),
    }
}

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

fn users_at_risk(findings: &[ReportFinding], people: &[Person]) -> Vec<UserRisk> {
    let mut ranked: Vec<UserRisk> = subjects(findings)
        .into_iter()
        .map(|(_, fs)| {
            let first = fs[0];
            let p = person(people, &first.user_id, &first.user_principal_name);
            UserRisk {
                user_id: first.user_id.clone(),
                user_principal_name: first.user_principal_name.clone(),
                display_name: first.display_name.clone(),
                max_severity: fs
                    .iter()
                    .max_by_key(|f| severity_rank(&f.severity))
                    .map(|f| f.severity.clone())
                    .unwrap_or_default(),
                findings: fs.len() as u64,
                risk_state: p.and_then(|p| p.risk_state.clone()),
                risk_level: p.and_then(|p| p.risk_level.clone()),
            }
        })
        .collect();
    ranked.sort_by(|a, b| {
        (
            -severity_rank(&a.max_severity),
            std::cmp::Reverse(a.findings),
            -level_rank(a.risk_level.as_deref()),
            &a.user_principal_name,
            &a.user_id,
        )
            .cmp(&(
                -severity_rank(&b.max_severity),
                std::cmp::Reverse(b.findings),
                -level_rank(b.risk_level.as_deref()),
                &b.user_principal_name,
                &b.user_id,
            ))
    });
    ranked.truncate(TOP_N);
    ranked
}

fn user_sections(
    findings: &[ReportFinding],
    timeline: &[TimelineRow],
    people: &[Person],
    names: &BTreeMap<String, String>,
) -> Vec<UserSection> {
    let window = WINDOW_MINUTES as i64 * MINUTE_NS;
    let mut groups = subjects(findings);
    groups.sort_by(|(ka, a), (kb, b)| {
        let key = |fs: &[&ReportFinding]| {
            -fs.iter()
                .map(|f| severity_rank(&f.severity))
                .max()
                .unwrap_or(-1)
        };
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
                        crate::model::time::parse_timestamp(&f.first_seen).unwrap_or(0) - window,
                        crate::model::time::parse_timestamp(&f.last_seen).unwrap_or(0) + window,
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
                max_severity: fs
                    .iter()
                    .max_by_key(|f| severity_rank(&f.severity))
                    .map(|f| f.severity.clone())
                    .unwrap_or_default(),
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
