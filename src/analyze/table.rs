//! The stage 2 tables on disk: `timeline.parquet` and `per_user.parquet`,
//! each declared once ([`declare_table!`]): the row struct, and per column its
//! codec and description. The writer, the reader behind `entrace timeline`
//! and the reports, and `entrace schema` are generated from it.

use super::per_user::UserSummary;
use super::timeline::TimelineRow;
use crate::table::declare::{declare_table, Int32, Int64, Label, Text, TextList, Time};

declare_table! {
    /// `timeline.parquet`: one row per (record, user it is about), sorted by
    /// user, then time.
    pub Timeline: TimelineRow, "timeline" {
        user_id: Text => "User object id (lower-case); null when only an unresolvable UPN is known",
        user_principal_name: Text => "UPN the record shows, else the latest UPN seen for the user",
        time: Time => "Event time: createdDateTime, activityDateTime or riskLastUpdatedDateTime",
        entity: Label => "sign_in, directory_audit, risk_detection, risky_user or risky_user_history",
        record_id: Text => "The record's id in its entity table",
        role: Label => "subject, actor (initiated the audited change), target, or self (both, self-service)",
        action: Text => "Short human label, e.g. \"smart lockout (50053)\", \"SSPR blocked for 24 h\"",
        result: Text => "Sign-ins: success, interrupted, failure or blocked; audits: result; risk: risk state",
        error_code: Int32 => "Sign-in status.errorCode",
        ip_address: Text => "IP address of the user's side (sign-in, detection, or the initiator of an audit)",
        country: Text => "Country or region code",
        city: Text => "City",
        app: Text => "Sign-ins: application; audits: loggedByService",
        client: Text => "Sign-ins: browser / OS / clientAppUsed",
        risk_level: Text => "riskLevelDuringSignIn, or the detection's or user's risk level",
        correlation_id: Text => "correlationId (lower-case)",
        session_key: Text => "sid:<sessionId>, cid:<correlationId> or ipc:<first sign-in id> (user + IP + client, 30 min)",
        linked_record_ids: TextList => "Linked records: detections of a sign-in, sign-ins of a detection, audits of one correlationId",
        link_basis: Label => "request_id, correlation_id or user_ip_time: the key the links rest on",
        identity_basis: Label => "object_id, upn (joined through the alias map), ambiguous_upn or upn_only",
        detail: Text => "Failure reason, audit result reason, or risk detail, as recorded (attacker-influenced text possible)",
        finding_ids: TextList => "Findings (findings.parquet) that cite this record",
    }
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
        max_finding_severity: Label => "Highest severity among them",
    }
}
