//! Detections: the attack patterns responders look for, each with the records
//! that prove it (`findings.parquet`).
//!
//! One file per detection (`entNNN_*.rs`), each with the same doc sections:
//! what it finds, why it matters, evidence, thresholds, false positives,
//! references. [`registry::REGISTRY`] lists them; [`config::Config`] holds
//! the thresholds. Detections read only the stage 1 tables (through
//! [`context::Context`]) and never change them.

pub mod catalogue;
pub mod codes;
pub mod config;
pub mod context;
pub mod finding;
pub mod registry;
pub mod vocabulary;

mod audit_common;
mod ent001_failures_then_success;
mod ent002_lockout_then_success;
mod ent003_sspr_blocked;
mod ent004_anonymized_ip_risky_user;
mod ent005_password_spray;
mod ent006_distributed_attack;
mod ent007_brute_force;
mod ent008_mfa_fatigue;
mod ent009_legacy_auth;
mod ent010_anonymizing_infrastructure;
mod ent011_identity_protection;
mod ent012_impossible_travel;
mod ent013_new_country;
mod ent014_disabled_account_probing;
mod ent015_policy_block;
mod ent016_privileged_role;
mod ent017_app_consent;
mod ent018_app_credential;
mod ent019_mfa_registration;
mod ent020_mfa_weakened;
mod ent021_password_reset_after_suspicious;
mod ent022_risky_user;
mod ent023_device_code_cross_tenant;
mod ent024_success_then_distant_failure;
#[cfg(test)]
mod signin_tests;
#[cfg(test)]
pub(crate) mod test_support;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use config::Config;
use context::Context;
use finding::{EvidenceRole, Finding, Severity};
use registry::{Availability, Escalation, Scope, REGISTRY};

/// Whether a detection ran, on all the data it reads or on part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Every table it reads had rows.
    Ran,
    /// Ran, but some of what it reads was missing.
    Partial,
    /// Did not run: what it reads was missing.
    Skipped,
}

impl RunStatus {
    /// `ran`, `partial` or `skipped`, as the manifest and the reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ran => "ran",
            RunStatus::Partial => "partial",
            RunStatus::Skipped => "skipped",
        }
    }
}

/// What happened to one detection in a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DetectionStatus {
    /// Ran, partial or skipped.
    pub status: RunStatus,
    /// Why it was skipped or partial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Findings it produced.
    pub findings: usize,
}

/// The findings of a run and the status of every detection.
#[derive(Debug, Clone)]
pub struct DetectOutcome {
    /// Findings sorted by (first seen, detection, finding id).
    pub findings: Vec<Finding>,
    /// Per detection id.
    pub status: BTreeMap<String, DetectionStatus>,
}

impl DetectOutcome {
    /// Findings per severity (every level present, zeros included).
    pub fn by_severity(&self) -> BTreeMap<String, usize> {
        let mut out: BTreeMap<String, usize> = Severity::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), 0))
            .collect();
        for f in &self.findings {
            *out.entry(f.severity.as_str().to_string()).or_default() += 1;
        }
        out
    }
}

/// Runs every detection: those that do not read earlier findings in
/// parallel, then the others in registry order, so the findings are the
/// same whatever the thread count. With `buckets` (a partition of the
/// tenant's users, see [`context::Bucket`]), each [`Scope::User`] rule runs
/// on every bucket apart and its findings are joined; the findings are the
/// same as with none.
pub fn run(ctx: &Context<'_>, config: &Config, buckets: &[context::Bucket]) -> DetectOutcome {
    use rayon::prelude::*;
    let views: Vec<Context<'_>> = buckets.iter().map(|b| ctx.in_bucket(b)).collect();
    let independent: Vec<Option<(DetectionStatus, Vec<Finding>)>> = REGISTRY
        .par_iter()
        .map(|det| (!det.reads_findings).then(|| run_rule(det, ctx, &views, config, &[])))
        .collect();
    let mut findings = Vec::new();
    let mut status = BTreeMap::new();
    for (det, done) in REGISTRY.iter().zip(independent) {
        let (s, found) = match done {
            Some(done) => done,
            None => run_rule(det, ctx, &views, config, &findings),
        };
        status.insert(det.id.to_string(), s);
        findings.extend(found);
    }
    escalate_on_persistence(&mut findings);
    findings.sort_by(|a, b| {
        (a.first_seen, a.detection_id, &a.finding_id).cmp(&(
            b.first_seen,
            b.detection_id,
            &b.finding_id,
        ))
    });
    DetectOutcome { findings, status }
}

/// Runs one rule over `ctx` (or, for a [`Scope::User`] rule, over each of
/// `buckets` when there are any), given the findings of the rules before
/// it: its status and its sealed findings. What it requires is judged on
/// the whole tenant.
fn run_rule(
    det: &registry::Rule,
    ctx: &Context<'_>,
    buckets: &[Context<'_>],
    config: &Config,
    earlier: &[Finding],
) -> (DetectionStatus, Vec<Finding>) {
    use rayon::prelude::*;
    let availability = (det.requires)(ctx);
    let (name, reason) = match &availability {
        Availability::Ready => (RunStatus::Ran, None),
        Availability::Partial(why) => (RunStatus::Partial, Some(why.clone())),
        Availability::Skipped(why) => (RunStatus::Skipped, Some(format!("skipped: {why}"))),
    };
    let mut found = Vec::new();
    if !matches!(availability, Availability::Skipped(_)) {
        let params = config.params(det.id);
        match (det.scope, buckets.is_empty()) {
            (Scope::User, false) => {
                let parts: Vec<Vec<Finding>> = buckets
                    .par_iter()
                    .map(|view| {
                        let mut part = Vec::new();
                        (det.run)(view, params, earlier, &mut part);
                        part
                    })
                    .collect();
                found = parts.concat();
            }
            _ => (det.run)(ctx, params, earlier, &mut found),
        }
        let thresholds = params.to_json();
        for f in &mut found {
            f.thresholds = thresholds.clone();
        }
    }
    let status = DetectionStatus {
        status: name,
        reason,
        findings: found.len(),
    };
    (status, found.into_iter().map(Finding::seal).collect())
}

/// The escalation role of the rule that raised `f`.
fn escalation(f: &Finding) -> Escalation {
    registry::lookup(f.detection_id).map_or(Escalation::None, |r| r.escalation)
}

/// When a persistence finding's action happened: its earliest trigger
/// record. `first_seen` is not it, because persistence findings cite the
/// sign-in findings that preceded them as context.
fn action_time(f: &Finding) -> i64 {
    f.evidence
        .iter()
        .filter(|e| e.role == EvidenceRole::Trigger)
        .map(|e| e.time)
        .min()
        .unwrap_or(f.last_seen)
}

/// The catalogue's escalator: a sign-in finding (low or above) followed
/// within 24 h by a persistence finding (low or above) for the same user is
/// raised one level, and its summary says why.
fn escalate_on_persistence(findings: &mut [Finding]) {
    const DAY_NS: i64 = 24 * 3600 * 1_000_000_000;
    let persistence: Vec<(String, i64, &'static str)> = findings
        .iter()
        .filter(|f| escalation(f) == Escalation::RaisesSignIns && f.severity >= Severity::Low)
        .filter_map(|f| Some((f.subject_user_id.clone()?, action_time(f), f.detection_id)))
        .collect();
    for f in findings.iter_mut() {
        if escalation(f) != Escalation::RaisedByPersistence || f.severity < Severity::Low {
            continue;
        }
        let Some(user) = &f.subject_user_id else {
            continue;
        };
        let later: Vec<&str> = persistence
            .iter()
            .filter(|(u, t, _)| u == user && *t >= f.last_seen && *t - f.last_seen <= DAY_NS)
            .map(|(_, _, d)| *d)
            .collect();
        if let Some(first) = later.first() {
            f.severity = f.severity.raised();
            f.summary.push_str(&format!(
                "; raised: followed within 24 h by {first} for the same user"
            ));
        }
    }
}

#[cfg(test)]
mod escalation_tests {
    use super::*;

    fn finding(detection: &'static str, severity: Severity, user: &str, at: i64) -> Finding {
        Finding {
            finding_id: String::new(),
            detection_id: detection,
            name: "",
            severity,
            mitre: Vec::new(),
            subject_user_id: Some(user.into()),
            subject_user_principal_name: None,
            subject_ip: None,
            first_seen: at,
            last_seen: at,
            summary: String::new(),
            evidence: Vec::new(),
            evidence_count: 0,
            thresholds: String::new(),
            join_basis: None,
        }
    }

    #[test]
    fn a_persistence_action_within_a_day_raises_the_sign_in_finding() {
        const H: i64 = 3600 * 1_000_000_000;
        let mut f = vec![
            finding("ENT-001", Severity::Low, "u", 0),
            finding("ENT-016", Severity::High, "u", 2 * H),
            finding("ENT-001", Severity::Low, "v", 0),
            finding("ENT-019", Severity::Low, "v", 25 * H),
            finding("ENT-013", Severity::Info, "u", 0),
        ];
        escalate_on_persistence(&mut f);
        assert_eq!(f[0].severity, Severity::Medium);
        assert!(f[0].summary.contains("ENT-016"));
        assert_eq!(f[2].severity, Severity::Low, "near miss: 25 h later");
        assert_eq!(f[4].severity, Severity::Info, "info findings stay info");
    }
}
