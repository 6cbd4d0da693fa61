//! Findings as `findings.parquet` rows ([`entrace_table::stage2::findings`],
//! written with its `Findings::write`).

use entrace_detect::finding::Finding;
use entrace_table::stage2::findings::{EvidenceItem, FindingRecord};

/// A finding as findings.parquet holds it.
pub fn record(f: &Finding) -> FindingRecord {
    FindingRecord {
        finding_id: f.finding_id.clone(),
        detection_id: f.detection_id.to_string(),
        name: f.name.to_string(),
        severity: f.severity,
        mitre: f.mitre.clone(),
        subject_user_id: f.subject_user_id.clone(),
        subject_user_principal_name: f.subject_user_principal_name.clone(),
        subject_ip: f.subject_ip.clone(),
        first_seen: f.first_seen,
        last_seen: f.last_seen,
        summary: f.summary.clone(),
        evidence: f
            .evidence
            .iter()
            .map(|e| EvidenceItem {
                table: e.entity.spec().table.to_string(),
                record_id: e.record_id.clone(),
                time: e.time,
                role: e.role.as_str().to_string(),
            })
            .collect(),
        evidence_count: f.evidence_count as u64,
        thresholds: f.thresholds.clone(),
        join_basis: f.join_basis.clone(),
    }
}

/// The findings as findings.parquet rows, in their order.
pub fn records(findings: &[Finding]) -> Vec<FindingRecord> {
    findings.iter().map(record).collect()
}
