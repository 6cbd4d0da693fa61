//! `timeline.parquet`: one row per user-related record of every entity (one
//! per user role for audits), sorted by (user, time, entity, flow step,
//! record id, role). The analysis builds the rows; this is their shape.

use crate::declare::{declare_table, Int32, Label, OptionalLabel, Text, TextList, Time};
use entrace_case::correlate::LinkBasis;
use entrace_case::identity::IdentityBasis;
use entrace_model::{EntityKind, Labelled};

/// What a user is to the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// The record is about the user (sign-in, risk detection, risky user).
    Subject,
    /// The user initiated the audited change.
    Actor,
    /// The user is a target of the audited change.
    Target,
    /// The user initiated a change to their own account (self-service: actor
    /// and target at once; one row instead of two).
    SelfService,
}

impl Labelled for Role {
    const ALL: &'static [Role] = &[Role::Subject, Role::Actor, Role::Target, Role::SelfService];
    fn label(self) -> &'static str {
        self.as_str()
    }
}

impl Role {
    /// The name used in `timeline.parquet`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Subject => "subject",
            Role::Actor => "actor",
            Role::Target => "target",
            Role::SelfService => "self",
        }
    }
}

/// One timeline row.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    /// The user's object id; `None` when only an unresolvable UPN is known.
    pub user_id: Option<String>,
    /// The UPN the record shows, else the latest one seen for the user.
    pub user_principal_name: Option<String>,
    /// Event time, UTC ns.
    pub time: i64,
    /// Which table the record is in.
    pub entity: EntityKind,
    /// The record's `id` in that table.
    pub record_id: String,
    /// What the user is to the record.
    pub role: Role,
    /// Short human label.
    pub action: String,
    /// success / interrupted / failure / blocked (sign-ins), the audit result,
    /// or the risk state.
    pub result: Option<String>,
    /// Sign-in `status.errorCode`.
    pub error_code: Option<i32>,
    /// IP address of the user's side of the event.
    pub ip_address: Option<String>,
    /// Country or region code.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Application (sign-ins) or logging service (audits).
    pub app: Option<String>,
    /// browser / OS / clientAppUsed (sign-ins).
    pub client: Option<String>,
    /// Risk level of the record.
    pub risk_level: Option<String>,
    /// `correlationId`.
    pub correlation_id: Option<String>,
    /// Session the record belongs to (see `session`).
    pub session_key: Option<String>,
    /// Ids of linked records in other rows (sign-in ↔ detection, audit ↔ audit).
    pub linked_record_ids: Vec<String>,
    /// Key the links rest on.
    pub link_basis: Option<LinkBasis>,
    /// How the user was determined.
    pub identity_basis: IdentityBasis,
    /// Failure reason, result reason or risk detail, as recorded.
    pub detail: Option<String>,
    /// Findings that cite this record.
    pub finding_ids: Vec<String>,
}

impl TimelineRow {
    /// The sort key: user (unattributed rows last, by UPN), time, entity,
    /// flow step, id, role. `upn_lower` is the row's UPN lower-cased
    /// ([`TimelineRow::upn_lower`]), computed once per row by the caller
    /// rather than once per comparison.
    pub fn sort_key<'a>(&'a self, upn_lower: Option<&'a str>) -> impl Ord + 'a {
        (
            self.user_id.is_none(),
            self.user_id.as_deref(),
            upn_lower,
            self.time,
            self.entity,
            self.flow_step(),
            self.record_id.as_str(),
            self.role,
        )
    }

    /// The UPN lower-cased, as the sort key compares it.
    pub fn upn_lower(&self) -> Option<String> {
        self.user_principal_name.as_deref().map(str::to_lowercase)
    }

    /// Sign-in times are often truncated to the second, and one flow writes
    /// several records in it (50140 then success). Within one timestamp,
    /// sign-ins sort in the order a flow takes: failure, blocked, interrupted,
    /// success. Other entities have one step.
    fn flow_step(&self) -> u8 {
        if self.entity != EntityKind::SignIn {
            return 0;
        }
        match self.result.as_deref() {
            Some("failure") => 0,
            Some("blocked") => 1,
            Some("interrupted") => 2,
            Some("success") => 3,
            _ => 4,
        }
    }
}

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
        link_basis: OptionalLabel => "request_id, correlation_id or user_ip_time: the key the links rest on",
        identity_basis: Label => "object_id, upn (joined through the alias map), ambiguous_upn or upn_only",
        detail: Text => "Failure reason, audit result reason, or risk detail, as recorded (attacker-influenced text possible)",
        finding_ids: TextList => "Findings (findings.parquet) that cite this record",
    }
}
