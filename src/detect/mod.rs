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
pub mod table;

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

use serde::Serialize;

use config::Config;
use context::Context;
use finding::{Finding, Severity};
use registry::{Availability, REGISTRY};

/// What happened to one detection in a run.
#[derive(Debug, Clone, Serialize)]
pub struct DetectionStatus {
    /// `ran`, `partial` or `skipped`.
    pub status: &'static str,
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
    pub status: BTreeMap<&'static str, DetectionStatus>,
}

impl DetectOutcome {
    /// Findings per severity (every level present, zeros included).
    pub fn by_severity(&self) -> BTreeMap<&'static str, usize> {
        let mut out: BTreeMap<&'static str, usize> =
            Severity::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        for f in &self.findings {
            *out.entry(f.severity.as_str()).or_default() += 1;
        }
        out
    }
}

/// Runs every detection.
pub fn run(ctx: &Context<'_>, config: &Config) -> DetectOutcome {
    let mut findings = Vec::new();
    let mut status = BTreeMap::new();
    for det in REGISTRY {
        let availability = (det.requires)(ctx);
        let (name, reason) = match &availability {
            Availability::Ready => ("ran", None),
            Availability::Partial(why) => ("partial", Some(why.clone())),
            Availability::Skipped(why) => ("skipped", Some(format!("skipped: {why}"))),
        };
        let mut found = Vec::new();
        if !matches!(availability, Availability::Skipped(_)) {
            let params = config.params(det.id);
            (det.run)(ctx, params, &findings, &mut found);
            let thresholds = params.to_json();
            for f in &mut found {
                f.thresholds = thresholds.clone();
            }
        }
        status.insert(
            det.id,
            DetectionStatus {
                status: name,
                reason,
                findings: found.len(),
            },
        );
        findings.extend(found.into_iter().map(Finding::seal));
    }
    findings.sort_by(|a, b| {
        (a.first_seen, a.detection_id, &a.finding_id).cmp(&(
            b.first_seen,
            b.detection_id,
            &b.finding_id,
        ))
    });
    DetectOutcome { findings, status }
}
