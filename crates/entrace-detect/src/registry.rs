//! The catalogue: every detection entrace runs, in id order.

use super::config::{Param, Params};
use super::context::Context;
use super::finding::Finding;

/// Whether the evidence holds what a detection needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// Everything it reads is present.
    Ready,
    /// It runs, but part of its logic lacks data (the reason says which).
    Partial(String),
    /// It cannot run: the reason says what the evidence lacks.
    Skipped(String),
}

/// A rule's part in the catalogue's escalator: a sign-in finding (low or
/// above) followed within 24 h by a persistence finding (low or above) for
/// the same user is raised one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escalation {
    /// Neither raised nor raising.
    None,
    /// A sign-in rule whose findings a later persistence finding raises.
    RaisedByPersistence,
    /// A persistence rule (role, consent, app credential, MFA changes) whose
    /// findings raise earlier sign-in findings.
    RaisesSignIns,
}

/// Whose records a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Each finding is about one user and rests on that user's records (and
    /// on the findings of earlier rules): the rule runs on every user bucket
    /// apart ([`Context::in_bucket`](crate::context::Context::in_bucket)) and
    /// the findings are joined. Its loops go through the context's
    /// `*_indexes` and `sign_ins_by_user`, and a finding drawn from records
    /// several users share (audits) is made only for a user the context
    /// [owns](crate::context::Context::owns).
    User,
    /// Reads the records of many users at once (groups by IP, ASN or user
    /// agent; audits between users): runs once over the whole tenant.
    Tenant,
}

/// One rule (an entrace detection, `ENT-…`): its catalogue entry and its
/// logic. Not to be confused with an Identity Protection
/// [`RiskDetection`](entrace_case::records::RiskDetection) record.
pub struct Rule {
    /// `ENT-001`, …
    pub id: &'static str,
    /// Short name.
    pub name: &'static str,
    /// Severities it can give, e.g. `low–high`.
    pub severities: &'static str,
    /// MITRE ATT&CK technique ids.
    pub mitre: &'static [&'static str],
    /// What it finds, in one sentence.
    pub finds: &'static str,
    /// Tunable thresholds with their defaults.
    pub params: &'static [Param],
    /// Its part in the persistence escalation (see [`Escalation`]).
    pub escalation: Escalation,
    /// Whether `run` reads the findings of the rules before it in
    /// [`REGISTRY`]. Rules that do run after the others, one at a time in
    /// registry order; the others run in parallel. Either way each sees
    /// exactly the findings of the rules before it that it would see run
    /// alone in order.
    pub reads_findings: bool,
    /// Whose records it reads, which decides where stage 2 runs it: on
    /// each user bucket apart, or once over the tenant.
    pub scope: Scope,
    /// Which tables or fields it needs.
    pub requires: fn(&Context<'_>) -> Availability,
    /// The logic: reads the findings of the detections run before it (for
    /// escalation) and pushes its own, unsealed.
    pub run: fn(&Context<'_>, Params<'_>, &[Finding], &mut Vec<Finding>),
}

/// Every detection, in run order: sign-in and risk detections first, then the
/// directory-audit ones that escalate on their findings. Catalogue listings
/// sort by id.
pub static REGISTRY: &[&Rule] = &[
    &super::ent001_failures_then_success::DETECTION,
    &super::ent002_lockout_then_success::DETECTION,
    &super::ent004_anonymized_ip_risky_user::DETECTION,
    &super::ent005_password_spray::DETECTION,
    &super::ent006_distributed_attack::DETECTION,
    &super::ent007_brute_force::DETECTION,
    &super::ent008_mfa_fatigue::DETECTION,
    &super::ent009_legacy_auth::DETECTION,
    &super::ent010_anonymizing_infrastructure::DETECTION,
    &super::ent011_identity_protection::DETECTION,
    &super::ent012_impossible_travel::DETECTION,
    &super::ent013_new_country::DETECTION,
    &super::ent014_disabled_account_probing::DETECTION,
    &super::ent015_policy_block::DETECTION,
    &super::ent022_risky_user::DETECTION,
    &super::ent023_device_code_cross_tenant::DETECTION,
    &super::ent024_success_then_distant_failure::DETECTION,
    &super::ent003_sspr_blocked::DETECTION,
    &super::ent016_privileged_role::DETECTION,
    &super::ent017_app_consent::DETECTION,
    &super::ent018_app_credential::DETECTION,
    &super::ent019_mfa_registration::DETECTION,
    &super::ent020_mfa_weakened::DETECTION,
    &super::ent021_password_reset_after_suspicious::DETECTION,
];

/// The detection with this id (any case).
pub fn lookup(id: &str) -> Option<&'static Rule> {
    REGISTRY
        .iter()
        .copied()
        .find(|d| d.id.eq_ignore_ascii_case(id))
}

/// Requirement helper: sign-ins present.
pub fn needs_sign_ins(ctx: &Context<'_>) -> Availability {
    if ctx.tables.sign_ins.is_empty() {
        Availability::Skipped("no sign-ins in the evidence".into())
    } else {
        Availability::Ready
    }
}

/// Requirement helper: directory audits present.
pub fn needs_audits(ctx: &Context<'_>) -> Availability {
    if ctx.tables.audits.is_empty() {
        Availability::Skipped("no directory audits in the evidence".into())
    } else {
        Availability::Ready
    }
}

/// Requirement helper: risk detections present.
pub fn needs_risk_detections(ctx: &Context<'_>) -> Availability {
    if ctx.tables.detections.is_empty() {
        Availability::Skipped("no riskDetections in the evidence".into())
    } else {
        Availability::Ready
    }
}
