//! Builds the [`Report`] from an analysed OUT_DIR: `manifest.json` and the
//! Parquet tables, nothing else (the evidence is never reopened).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::model::*;
use super::stats;
use super::tables::{display_names, read_coverage_days, read_findings, read_people};
use super::users::{user_sections, users_at_risk};
use entrace_detect::registry::REGISTRY;
use entrace_manifest::Manifest;
use entrace_model::error::{Error, Result};
use entrace_model::time::format_timestamp;
use entrace_model::EntityKind;
use entrace_table::stage2::findings::FindingRecord;
use entrace_table::stage2::timeline::Timeline;
use entrace_table::stage2::timeline::TimelineRow;

/// Entries in each "top" list and in the risk ranking.
pub const TOP_N: usize = 10;

/// Reads OUT_DIR and builds the report. OUT_DIR must have been analysed.
pub fn gather(dir: &Path) -> Result<Report> {
    let manifest = Manifest::read(dir)?;
    if !manifest.tables.contains_key("findings") {
        return Err(Error::Usage(format!(
            "{} has no findings yet: run `entrace analyze {}` first",
            dir.display(),
            dir.display()
        )));
    }
    // The four reads are independent: on every core of the current pool.
    let ((tables, timeline), (findings, people)) = rayon::join(
        || rayon::join(|| entrace_table::case::load(dir), || Timeline::read(dir)),
        || rayon::join(|| read_findings(dir), || read_people(dir)),
    );
    let (tables, timeline, findings, people) = (tables?, timeline?, findings?, people?);
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
        (b.severity, &a.first_seen, &a.detection_id, &a.finding_id).cmp(&(
            a.severity,
            &b.first_seen,
            &b.detection_id,
            &b.finding_id,
        ))
    });

    let mut by_severity: BTreeMap<String, u64> = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    for f in &report_findings {
        *by_severity
            .entry(f.severity.as_str().to_string())
            .or_default() += 1;
    }

    let users = user_sections(&report_findings, &timeline, &people, &names);
    let (bucket, sign_ins_over_time) = stats::sign_ins_over_time(&tables.sign_ins);
    Ok(Report {
        schema: "entrace-report",
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: manifest.tool.name.clone(),
            version: manifest.tool.version.clone(),
        },
        run: Run {
            started_at: Some(manifest.run.started_at.clone()),
            finished_at: Some(manifest.run.finished_at.clone()),
            arguments: manifest.arguments.clone(),
        },
        evidence: evidence(&manifest),
        coverage: read_coverage_days(dir)?,
        completeness: super::completeness::completeness(&manifest),
        findings_by_severity: by_severity,
        users_at_risk: users_at_risk(&report_findings, &people),
        users,
        top: stats::top(&tables.sign_ins, TOP_N),
        charts: Charts {
            bucket: bucket.into(),
            sign_ins_over_time,
            findings_per_day: stats::findings_per_day(&report_findings),
        },
        detections: detections(&manifest),
        findings: report_findings,
    })
}

fn evidence(m: &Manifest) -> Evidence {
    let inputs: Vec<Input> = m
        .inputs
        .iter()
        .map(|i| Input {
            path: i.path.clone(),
            member: i.member.clone(),
            kind: i.kind.as_str().to_string(),
            size: i.size,
            sha256: i.sha256.clone(),
            compression: Some(i.compression.clone()),
            encoding: i.encoding.clone(),
            shape: i.shape.clone(),
            entity: i.entity.clone(),
            records: i.counts.read,
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
            let t = m.tables.get(name);
            let c = t.and_then(|t| t.conversion.clone()).unwrap_or_default();
            EntityTable {
                table: name.into(),
                file: t.map_or_else(|| format!("{name}.parquet"), |t| t.file.clone()),
                rows: t.map_or(0, |t| t.rows),
                duplicates: c.duplicates,
                conflicting_duplicates: c.conflicting_duplicates,
                rejected: c.rejected,
                first_time: c.first_time,
                last_time: c.last_time,
                sha256: t.map(|t| t.sha256.clone()),
            }
        })
        .collect();
    let t = &m.totals;
    Evidence {
        inputs,
        input_bytes,
        tables,
        totals: Totals {
            read: t.read,
            written: t.written,
            duplicates: t.duplicates,
            rejected: t.rejected,
        },
        rejects_file: "rejects.parquet".into(),
        rejects_by_reason: m.rejects_by_reason.clone(),
        warnings: m.warnings.clone(),
    }
}

fn detections(m: &Manifest) -> Detections {
    let analysis = m.analysis.as_ref();
    let mut registry: Vec<_> = REGISTRY.iter().collect();
    registry.sort_by_key(|d| d.id);
    Detections {
        thresholds: analysis.map_or(Value::Null, |a| a.detections.thresholds.clone()),
        status: registry
            .into_iter()
            .map(|d| {
                let s = analysis.and_then(|a| a.detections.status.get(d.id));
                DetectionRun {
                    id: d.id.into(),
                    name: d.name.into(),
                    status: s.map(|s| s.status),
                    reason: s.and_then(|s| s.reason.clone()),
                    findings: s.map_or(0, |s| s.findings as u64),
                }
            })
            .collect(),
    }
}

/// The key a user is known by in the report: object id, else lower-case UPN.
pub(super) fn user_key(id: &Option<String>, upn: &Option<String>) -> Option<String> {
    id.clone()
        .or_else(|| upn.as_ref().map(|u| u.to_lowercase()))
}

fn resolve_finding(
    f: &FindingRecord,
    by_record: &BTreeMap<(&str, &str), &TimelineRow>,
    names: &BTreeMap<String, String>,
) -> ReportFinding {
    let (user_id, upn) = (&f.subject_user_id, &f.subject_user_principal_name);
    ReportFinding {
        finding_id: f.finding_id.clone(),
        detection_id: f.detection_id.clone(),
        name: f.name.clone(),
        severity: f.severity,
        mitre: f.mitre.clone(),
        user_id: user_id.clone(),
        user_principal_name: upn.clone(),
        display_name: user_key(user_id, upn).and_then(|k| names.get(&k).cloned()),
        ip_address: f.subject_ip.clone(),
        first_seen: format_timestamp(f.first_seen),
        last_seen: format_timestamp(f.last_seen),
        summary: f.summary.clone(),
        join_basis: f.join_basis.clone(),
        evidence_count: f.evidence_count,
        evidence: f
            .evidence
            .iter()
            .map(|e| {
                let row = by_record.get(&(e.table.as_str(), e.record_id.as_str()));
                EvidenceRow {
                    table: e.table.clone(),
                    record_id: e.record_id.clone(),
                    time: format_timestamp(e.time),
                    role: e.role.clone(),
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
