//! `per_user.parquet`: one row per user in the timeline, in timeline order.

use crate::declare::{declare_table, Int64, OptionalLabel, Text, TextList, Time};
use entrace_model::Severity;

/// One user's summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserSummary {
    /// Object id, `None` for UPN-only users.
    pub user_id: Option<String>,
    /// Latest UPN seen.
    pub user_principal_name: Option<String>,
    /// Every UPN seen (lower-cased).
    pub user_principal_names: Vec<String>,
    /// Earliest timeline event (UTC ns).
    pub first_seen: i64,
    /// Latest timeline event (UTC ns).
    pub last_seen: i64,
    /// Timeline rows.
    pub events: u64,
    /// Sign-ins.
    pub sign_ins: u64,
    /// Successful sign-ins.
    pub sign_ins_success: u64,
    /// Interrupted sign-ins (MFA prompt, KMSI, …).
    pub sign_ins_interrupted: u64,
    /// Failed sign-ins.
    pub sign_ins_failure: u64,
    /// Blocked sign-ins.
    pub sign_ins_blocked: u64,
    /// Latest successful sign-in.
    pub last_success: Option<i64>,
    /// Distinct sign-in IP addresses: the length of `ip_addresses`.
    pub distinct_ips: u64,
    /// Distinct sign-in IP addresses, sorted.
    pub ip_addresses: Vec<String>,
    /// Distinct sign-in countries, sorted.
    pub countries: Vec<String>,
    /// Distinct sign-in applications, sorted.
    pub apps: Vec<String>,
    /// Distinct sign-in sessions.
    pub sessions: u64,
    /// Audit records the user initiated (including self-service).
    pub audits_as_actor: u64,
    /// Audit records targeting the user (including self-service).
    pub audits_as_target: u64,
    /// Risk detections.
    pub risk_detections: u64,
    /// Distinct risk event types of those detections, sorted.
    pub risk_detection_types: Vec<String>,
    /// Highest level among the detections (high > medium > low > other).
    pub max_detection_level: Option<String>,
    /// Risk state at export (riskyUser, else the latest history item).
    pub risk_state: Option<String>,
    /// Risk level at export.
    pub risk_level: Option<String>,
    /// When that state was last updated.
    pub risk_last_updated: Option<i64>,
    /// Findings about the user.
    pub findings: u64,
    /// Highest severity among them.
    pub max_finding_severity: Option<Severity>,
}

declare_table! {
    /// `per_user.parquet`: one row per user in the timeline, in timeline order.
    pub PerUser: UserSummary, "per_user" {
        user_id: Text => "User object id; null for UPN-only users (e.g. spray targets that do not exist)",
        user_principal_name: Text => "Latest UPN seen",
        user_principal_names: TextList => "Every UPN seen for the user (lower-case)",
        first_seen: Time => "Earliest event in the timeline",
        last_seen: Time => "Latest event in the timeline",
        events: Int64 => "Timeline rows",
        sign_ins: Int64 => "Sign-ins",
        sign_ins_success: Int64 => "Successful sign-ins",
        sign_ins_interrupted: Int64 => "Interrupted sign-ins (MFA prompt, KMSI, …)",
        sign_ins_failure: Int64 => "Failed sign-ins",
        sign_ins_blocked: Int64 => "Blocked sign-ins (lockout, Conditional Access, security defaults, disabled)",
        last_success: Time => "Latest successful sign-in",
        distinct_ips: Int64 => "Distinct sign-in IP addresses",
        ip_addresses: TextList => "Those IP addresses, sorted",
        countries: TextList => "Distinct sign-in countries, sorted",
        apps: TextList => "Distinct sign-in applications, sorted",
        sessions: Int64 => "Distinct sign-in sessions",
        audits_as_actor: Int64 => "Audit records the user initiated (self-service included)",
        audits_as_target: Int64 => "Audit records targeting the user (self-service included)",
        risk_detections: Int64 => "Risk detections",
        risk_detection_types: TextList => "Distinct riskEventType values, sorted",
        max_detection_level: Text => "Highest risk level among the detections",
        risk_state: Text => "Risk state at export (riskyUser, else the latest history item)",
        risk_level: Text => "Risk level at export",
        risk_last_updated: Time => "When that risk state was last updated",
        findings: Int64 => "Findings about the user (findings.parquet)",
        max_finding_severity: OptionalLabel => "Highest severity among them",
    }
}
