//! Builds the [`Report`] from an analysed OUT_DIR: `manifest.json` and the
//! Parquet tables, nothing else (the evidence is never reopened).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

use super::model::*;
use super::stats::{self, SignInStats};
use super::tables::{display_names, read_coverage_days, read_findings, read_people};
use super::users::{user_sections, users_at_risk};
use entrace_detect::registry::REGISTRY;
use entrace_manifest::Manifest;
use entrace_model::error::{Error, Result};
use entrace_model::time::format_timestamp;
use entrace_model::EntityKind;
use entrace_table::case::{fold_sign_ins, load_audits, SIGNINS_REPORT_COLUMNS};
use entrace_table::stage2::findings::FindingRecord;
use entrace_table::stage2::timeline::Timeline;
use entrace_table::stage2::timeline::TimelineRow;

/// Entries in each "top" list and in the risk ranking.
pub const TOP_N: usize = 10;

/// How much the report shows one by one; the rest stays in the tables and
/// `capped` says how much.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// A detection's info-level findings are collapsed into one row when
    /// there are more than this many (a benign tenant's new-country
    /// findings, say).
    pub group_info_over: usize,
    /// Most findings shown one by one.
    pub findings: usize,
    /// Most user sections.
    pub user_sections: usize,
}

/// The caps of every report: at most 500 findings and 100 user sections,
/// which keep `report.html` to a few megabytes for thousands of findings.
pub const CAPS: Caps = Caps {
    group_info_over: 20,
    findings: 500,
    user_sections: 100,
};

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
    // The three reads are independent: on every core of the current pool.
    let ((sign_ins, audits), (findings, people)) = rayon::join(
        || rayon::join(|| sign_in_stats(dir), || load_audits(dir)),
        || rayon::join(|| read_findings(dir), || read_people(dir)),
    );
    let (sign_ins, audits, findings, people) = (sign_ins?, audits?, findings?, people?);
    let names = display_names(&audits, &sign_ins);
    drop(audits);

    // Findings first without their evidence rows (they need the timeline),
    // to decide which the report shows; then only the timeline rows those
    // findings cite or their users' sections show are read, and only the
    // listed findings get their evidence rows.
    let mut report_findings: Vec<ReportFinding> = findings
        .iter()
        .map(|f| resolve_finding(f, None, &names))
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

    let (listed, finding_groups, capped) = shown(&report_findings, &CAPS);
    let records: HashMap<&str, &FindingRecord> = findings
        .iter()
        .map(|f| (f.finding_id.as_str(), f))
        .collect();
    let listed: Vec<&FindingRecord> = listed
        .iter()
        .filter_map(|f| records.get(f.finding_id.as_str()).copied())
        .collect();
    let timeline = Timeline::read_selected(dir, &needed_rows(dir, &listed)?)?;
    let by_record: BTreeMap<(&str, &str), &TimelineRow> = timeline
        .iter()
        .map(|r| ((r.entity.spec().table, r.record_id.as_str()), r))
        .rev() // the first row of a record wins
        .collect();
    let listed: Vec<ReportFinding> = listed
        .into_iter()
        .map(|f| resolve_finding(f, Some(&by_record), &names))
        .collect();
    let mut users = user_sections(&listed, &timeline, &people, &names);
    let capped = Capped {
        users_with_listed_findings: users.len() as u64,
        user_sections: users.len().min(CAPS.user_sections) as u64,
        ..capped
    };
    users.truncate(CAPS.user_sections);
    let (bucket, sign_ins_over_time) = sign_ins.over_time();
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
        top: sign_ins.top(TOP_N),
        charts: Charts {
            bucket: bucket.into(),
            sign_ins_over_time,
            findings_per_day: stats::findings_per_day(&report_findings),
        },
        detections: detections(&manifest),
        findings: listed,
        finding_groups,
        capped,
    })
}

/// Which timeline rows the report shows, one flag per row: every row of a
/// record the `listed` findings cite (their evidence rows), and every row of
/// a user they are about (their sections), a user being matched as the
/// sections match them (object id, else lower-cased UPN). Read from four
/// narrow columns, so the whole timeline is never decoded.
fn needed_rows(dir: &Path, listed: &[&FindingRecord]) -> Result<Vec<bool>> {
    let mut users: HashSet<String> = HashSet::new();
    let mut cited: HashSet<(&str, &str)> = HashSet::new();
    for f in listed {
        users.extend(user_key(&f.subject_user_id, &f.subject_user_principal_name));
        for e in &f.evidence {
            cited.insert((e.table.as_str(), e.record_id.as_str()));
        }
    }
    let f = entrace_table::read::Frame::read(
        dir,
        Timeline::TABLE,
        &["user_id", "user_principal_name", "entity", "record_id"],
    )?;
    let (ids, upns) = (f.str_views("user_id")?, f.str_views("user_principal_name")?);
    let (entities, records) = (f.str_views("entity")?, f.str_views("record_id")?);
    let table_of = |label: &str| {
        EntityKind::ALL
            .iter()
            .find(|k| k.name() == label)
            .map(|k| k.spec().table)
    };
    Ok((0..f.len())
        .map(|i| {
            let user = match ids[i] {
                Some(id) => users.contains(id),
                None => upns[i].is_some_and(|u| users.contains(&u.to_lowercase())),
            };
            user || match (entities[i].and_then(table_of), records[i]) {
                (Some(table), Some(record)) => cited.contains(&(table, record)),
                _ => false,
            }
        })
        .collect())
}

/// The statistics of the sign-ins (and the display names they give), from
/// the columns they use ([`SIGNINS_REPORT_COLUMNS`]), a row group at a time
/// on every core: the sign-ins are never held together. The directory
/// audits are loaded whole for target names; the risk tables stay unread.
///
/// [`SIGNINS_REPORT_COLUMNS`]: entrace_table::case::SIGNINS_REPORT_COLUMNS
fn sign_in_stats(dir: &Path) -> Result<SignInStats> {
    fold_sign_ins(
        dir,
        SIGNINS_REPORT_COLUMNS,
        SignInStats::default,
        |mut stats, first, rows| {
            stats.add_rows(first, &rows);
            stats
        },
        |mut a, b| {
            a.merge(b);
            a
        },
    )
}

/// A report time (`format_timestamp`: 7 fractional digits, or 9 when the
/// time is not a multiple of 100 ns) as text that sorts in time order.
fn time_order(t: &str) -> std::borrow::Cow<'_, str> {
    match t.strip_suffix('Z') {
        Some(head) if head.rsplit('.').next().is_some_and(|f| f.len() == 7) => {
            format!("{head}00Z").into()
        }
        _ => t.into(),
    }
}

/// Which findings the report shows one by one, in report order, and the
/// groups the others collapse into: a detection's info-level findings
/// become one row when there are more than `caps.group_info_over`, and at
/// most `caps.findings` findings are listed. The user-section counts of the
/// returned [`Capped`] are filled in by the caller.
fn shown(all: &[ReportFinding], caps: &Caps) -> (Vec<ReportFinding>, Vec<FindingGroup>, Capped) {
    let mut info_per_detection: BTreeMap<&str, usize> = BTreeMap::new();
    for f in all.iter().filter(|f| f.severity == Severity::Info) {
        *info_per_detection
            .entry(f.detection_id.as_str())
            .or_default() += 1;
    }
    let grouped = |f: &ReportFinding| {
        f.severity == Severity::Info
            && info_per_detection
                .get(f.detection_id.as_str())
                .copied()
                .unwrap_or(0)
                > caps.group_info_over
    };
    let mut groups: BTreeMap<&str, (FindingGroup, BTreeSet<String>)> = BTreeMap::new();
    let mut listed = Vec::new();
    let mut not_shown = 0u64;
    for f in all {
        if grouped(f) {
            let (g, subjects) = groups.entry(f.detection_id.as_str()).or_insert_with(|| {
                let group = FindingGroup {
                    detection_id: f.detection_id.clone(),
                    name: f.name.clone(),
                    severity: Severity::Info,
                    findings: 0,
                    subjects: 0,
                    first_seen: f.first_seen.clone(),
                    last_seen: f.last_seen.clone(),
                };
                (group, BTreeSet::new())
            });
            g.findings += 1;
            if time_order(&f.first_seen) < time_order(&g.first_seen) {
                g.first_seen.clone_from(&f.first_seen);
            }
            if time_order(&f.last_seen) > time_order(&g.last_seen) {
                g.last_seen.clone_from(&f.last_seen);
            }
            let subject =
                user_key(&f.user_id, &f.user_principal_name).or_else(|| f.ip_address.clone());
            subjects.extend(subject);
        } else if listed.len() < caps.findings {
            listed.push(f.clone());
        } else {
            not_shown += 1;
        }
    }
    let finding_groups: Vec<FindingGroup> = groups
        .into_values()
        .map(|(mut g, subjects)| {
            g.subjects = subjects.len() as u64;
            g
        })
        .collect();
    let capped = Capped {
        findings_total: all.len() as u64,
        findings_listed: listed.len() as u64,
        findings_grouped: finding_groups.iter().map(|g| g.findings).sum(),
        findings_not_shown: not_shown,
        group_info_over: caps.group_info_over as u64,
        findings_cap: caps.findings as u64,
        users_with_listed_findings: 0,
        user_sections: 0,
        user_sections_cap: caps.user_sections as u64,
    };
    (listed, finding_groups, capped)
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

/// `f` as the report shows it; with `by_record` (the timeline rows of the
/// records it cites), its evidence rows too, else none.
fn resolve_finding(
    f: &FindingRecord,
    by_record: Option<&BTreeMap<(&str, &str), &TimelineRow>>,
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
        evidence: by_record.map_or_else(Vec::new, |by_record| {
            f.evidence
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
                .collect()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(n: usize, detection: &str, severity: Severity, user: &str) -> ReportFinding {
        ReportFinding {
            finding_id: format!("F-{n:016x}"),
            detection_id: detection.into(),
            name: format!("{detection} name"),
            severity,
            mitre: Vec::new(),
            user_id: Some(user.into()),
            user_principal_name: None,
            display_name: None,
            ip_address: None,
            first_seen: format!("2025-03-{:02}T10:00:00.0000000Z", 10 + n % 10),
            last_seen: format!("2025-03-{:02}T11:00:00.0000000Z", 10 + n % 10),
            summary: String::new(),
            join_basis: None,
            evidence_count: 0,
            evidence: Vec::new(),
        }
    }

    #[test]
    fn many_info_findings_of_one_detection_collapse_and_the_listing_is_capped() {
        // Five info ENT-013 over three users (grouped: more than 4), two info
        // ENT-022 (listed: not more than 4), and four low ENT-001, listed up
        // to the cap of 5 in report order.
        let mut all = Vec::new();
        all.extend((0..4).map(|n| finding(n, "ENT-001", Severity::Low, "u1")));
        all.extend(
            (4..9).map(|n| finding(n, "ENT-013", Severity::Info, ["u1", "u2", "u3"][n % 3])),
        );
        all.extend((9..11).map(|n| finding(n, "ENT-022", Severity::Info, "u4")));
        let caps = Caps {
            group_info_over: 4,
            findings: 5,
            user_sections: 1,
        };
        let (listed, groups, capped) = shown(&all, &caps);
        let ids: Vec<&str> = listed.iter().map(|f| f.detection_id.as_str()).collect();
        assert_eq!(ids, ["ENT-001", "ENT-001", "ENT-001", "ENT-001", "ENT-022"]);
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!(
            (g.detection_id.as_str(), g.findings, g.subjects),
            ("ENT-013", 5, 3)
        );
        assert_eq!(g.first_seen, "2025-03-14T10:00:00.0000000Z");
        assert_eq!(g.last_seen, "2025-03-18T11:00:00.0000000Z");
        assert_eq!(
            (
                capped.findings_total,
                capped.findings_listed,
                capped.findings_grouped,
                capped.findings_not_shown
            ),
            (11, 5, 5, 1)
        );
    }

    #[test]
    fn report_times_of_either_precision_order_as_times() {
        let a = "2025-03-17T10:00:00.1234567Z";
        let b = "2025-03-17T10:00:00.123456701Z";
        assert!(time_order(a) < time_order(b));
        assert!(time_order("2025-03-17T10:00:01.0000000Z") > time_order(b));
    }
}
