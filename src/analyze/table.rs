//! The stage 2 tables on disk: `timeline.parquet` and `per_user.parquet`.
//! Column names, types and descriptions are declared once here and used by
//! the writer, the reader behind `entrace timeline`, and `entrace schema`.

use crate::table::column::TIMESTAMP_TYPE;
use std::path::Path;

use polars::prelude::DataFrame;

use super::per_user::UserSummary;
use super::timeline::{Role, TimelineRow};
use crate::case::correlate::LinkBasis;
use crate::case::identity::IdentityBasis;
use crate::case::read::Frame;
use crate::error::{Error, Result};
use crate::model::EntityKind;
use crate::table::frame::FrameBuilder;

/// File name of the timeline table.
pub const TIMELINE_FILE: &str = "timeline.parquet";
/// File name of the per-user table.
pub const PER_USER_FILE: &str = "per_user.parquet";

/// (name, type, description) of every `timeline` column, in file order.
pub const TIMELINE_COLUMNS: &[(&str, &str, &str)] = &[
    ("user_id", "string", "User object id (lower-case); null when only an unresolvable UPN is known"),
    ("user_principal_name", "string", "UPN the record shows, else the latest UPN seen for the user"),
    ("time", TIMESTAMP_TYPE, "Event time: createdDateTime, activityDateTime or riskLastUpdatedDateTime"),
    ("entity", "string", "sign_in, directory_audit, risk_detection, risky_user or risky_user_history"),
    ("record_id", "string", "The record's id in its entity table"),
    ("role", "string", "subject, actor (initiated the audited change), target, or self (both, self-service)"),
    ("action", "string", "Short human label, e.g. \"smart lockout (50053)\", \"SSPR blocked for 24 h\""),
    ("result", "string", "Sign-ins: success, interrupted, failure or blocked; audits: result; risk: risk state"),
    ("error_code", "int32", "Sign-in status.errorCode"),
    ("ip_address", "string", "IP address of the user's side (sign-in, detection, or the initiator of an audit)"),
    ("country", "string", "Country or region code"),
    ("city", "string", "City"),
    ("app", "string", "Sign-ins: application; audits: loggedByService"),
    ("client", "string", "Sign-ins: browser / OS / clientAppUsed"),
    ("risk_level", "string", "riskLevelDuringSignIn, or the detection's or user's risk level"),
    ("correlation_id", "string", "correlationId (lower-case)"),
    ("session_key", "string", "sid:<sessionId>, cid:<correlationId> or ipc:<first sign-in id> (user + IP + client, 30 min)"),
    ("linked_record_ids", "list<string>", "Linked records: detections of a sign-in, sign-ins of a detection, audits of one correlationId"),
    ("link_basis", "string", "request_id, correlation_id or user_ip_time: the key the links rest on"),
    ("identity_basis", "string", "object_id, upn (joined through the alias map), ambiguous_upn or upn_only"),
    ("detail", "string", "Failure reason, audit result reason, or risk detail, as recorded (attacker-influenced text possible)"),
    ("finding_ids", "list<string>", "Findings (findings.parquet) that cite this record"),
];

/// (name, type, description) of every `per_user` column, in file order.
pub const PER_USER_COLUMNS: &[(&str, &str, &str)] = &[
    (
        "user_id",
        "string",
        "User object id; null for UPN-only users (e.g. spray targets that do not exist)",
    ),
    ("user_principal_name", "string", "Latest UPN seen"),
    (
        "user_principal_names",
        "list<string>",
        "Every UPN seen for the user (lower-case)",
    ),
    (
        "first_seen",
        TIMESTAMP_TYPE,
        "Earliest event in the timeline",
    ),
    ("last_seen", TIMESTAMP_TYPE, "Latest event in the timeline"),
    ("events", "int64", "Timeline rows"),
    ("sign_ins", "int64", "Sign-ins"),
    ("sign_ins_success", "int64", "Successful sign-ins"),
    (
        "sign_ins_interrupted",
        "int64",
        "Interrupted sign-ins (MFA prompt, KMSI, …)",
    ),
    ("sign_ins_failure", "int64", "Failed sign-ins"),
    (
        "sign_ins_blocked",
        "int64",
        "Blocked sign-ins (lockout, Conditional Access, security defaults, disabled)",
    ),
    ("last_success", TIMESTAMP_TYPE, "Latest successful sign-in"),
    ("distinct_ips", "int64", "Distinct sign-in IP addresses"),
    ("ip_addresses", "list<string>", "Those IP addresses, sorted"),
    (
        "countries",
        "list<string>",
        "Distinct sign-in countries, sorted",
    ),
    (
        "apps",
        "list<string>",
        "Distinct sign-in applications, sorted",
    ),
    ("sessions", "int64", "Distinct sign-in sessions"),
    (
        "audits_as_actor",
        "int64",
        "Audit records the user initiated (self-service included)",
    ),
    (
        "audits_as_target",
        "int64",
        "Audit records targeting the user (self-service included)",
    ),
    ("risk_detections", "int64", "Risk detections"),
    (
        "risk_detection_types",
        "list<string>",
        "Distinct riskEventType values, sorted",
    ),
    (
        "max_detection_level",
        "string",
        "Highest risk level among the detections",
    ),
    (
        "risk_state",
        "string",
        "Risk state at export (riskyUser, else the latest history item)",
    ),
    ("risk_level", "string", "Risk level at export"),
    (
        "risk_last_updated",
        TIMESTAMP_TYPE,
        "When that risk state was last updated",
    ),
    (
        "findings",
        "int64",
        "Findings about the user (findings.parquet)",
    ),
    (
        "max_finding_severity",
        "string",
        "Highest severity among them",
    ),
];

/// The timeline as a DataFrame (columns as in [`TIMELINE_COLUMNS`]).
pub fn timeline_frame(rows: &[TimelineRow]) -> Result<DataFrame> {
    let s = |f: fn(&TimelineRow) -> Option<&str>| rows.iter().map(f);
    FrameBuilder::new("timeline", rows.len())
        .str("user_id", s(|r| r.user_id.as_deref()))?
        .str(
            "user_principal_name",
            s(|r| r.user_principal_name.as_deref()),
        )?
        .time("time", rows.iter().map(|r| Some(r.time)))?
        .str("entity", s(|r| Some(r.entity.name())))?
        .str("record_id", s(|r| Some(&r.record_id)))?
        .str("role", s(|r| Some(r.role.as_str())))?
        .str("action", s(|r| Some(&r.action)))?
        .str("result", s(|r| r.result.as_deref()))?
        .i32("error_code", rows.iter().map(|r| r.error_code))?
        .str("ip_address", s(|r| r.ip_address.as_deref()))?
        .str("country", s(|r| r.country.as_deref()))?
        .str("city", s(|r| r.city.as_deref()))?
        .str("app", s(|r| r.app.as_deref()))?
        .str("client", s(|r| r.client.as_deref()))?
        .str("risk_level", s(|r| r.risk_level.as_deref()))?
        .str("correlation_id", s(|r| r.correlation_id.as_deref()))?
        .str("session_key", s(|r| r.session_key.as_deref()))?
        .str_list(
            "linked_record_ids",
            rows.iter().map(|r| &r.linked_record_ids),
        )?
        .str("link_basis", s(|r| r.link_basis.map(LinkBasis::as_str)))?
        .str("identity_basis", s(|r| Some(r.identity_basis.as_str())))?
        .str("detail", s(|r| r.detail.as_deref()))?
        .str_list("finding_ids", rows.iter().map(|r| &r.finding_ids))?
        .finish()
}

/// The per-user table as a DataFrame (columns as in [`PER_USER_COLUMNS`]).
pub fn per_user_frame(users: &[UserSummary]) -> Result<DataFrame> {
    let n = |f: fn(&UserSummary) -> u64| users.iter().map(move |u| Some(f(u) as i64));
    FrameBuilder::new("per_user", users.len())
        .str("user_id", users.iter().map(|u| u.user_id.as_deref()))?
        .str(
            "user_principal_name",
            users.iter().map(|u| u.user_principal_name.as_deref()),
        )?
        .str_list(
            "user_principal_names",
            users.iter().map(|u| &u.user_principal_names),
        )?
        .time("first_seen", users.iter().map(|u| Some(u.first_seen)))?
        .time("last_seen", users.iter().map(|u| Some(u.last_seen)))?
        .i64("events", n(|u| u.events))?
        .i64("sign_ins", n(|u| u.sign_ins))?
        .i64("sign_ins_success", n(|u| u.sign_ins_by_outcome[0]))?
        .i64("sign_ins_interrupted", n(|u| u.sign_ins_by_outcome[1]))?
        .i64("sign_ins_failure", n(|u| u.sign_ins_by_outcome[2]))?
        .i64("sign_ins_blocked", n(|u| u.sign_ins_by_outcome[3]))?
        .time("last_success", users.iter().map(|u| u.last_success))?
        .i64("distinct_ips", n(|u| u.ip_addresses.len() as u64))?
        .str_list("ip_addresses", users.iter().map(|u| &u.ip_addresses))?
        .str_list("countries", users.iter().map(|u| &u.countries))?
        .str_list("apps", users.iter().map(|u| &u.apps))?
        .i64("sessions", n(|u| u.sessions))?
        .i64("audits_as_actor", n(|u| u.audits_as_actor))?
        .i64("audits_as_target", n(|u| u.audits_as_target))?
        .i64("risk_detections", n(|u| u.risk_detections))?
        .str_list(
            "risk_detection_types",
            users.iter().map(|u| &u.risk_detection_types),
        )?
        .str(
            "max_detection_level",
            users.iter().map(|u| u.max_detection_level.as_deref()),
        )?
        .str("risk_state", users.iter().map(|u| u.risk_state.as_deref()))?
        .str("risk_level", users.iter().map(|u| u.risk_level.as_deref()))?
        .time(
            "risk_last_updated",
            users.iter().map(|u| u.risk_last_updated),
        )?
        .i64("findings", n(|u| u.findings))?
        .str(
            "max_finding_severity",
            users
                .iter()
                .map(|u| u.max_finding_severity.map(|s| s.as_str())),
        )?
        .finish()
}

fn parse<T: Copy>(all: &[T], name: fn(T) -> &'static str, value: &str, what: &str) -> Result<T> {
    all.iter()
        .copied()
        .find(|v| name(*v) == value)
        .ok_or_else(|| Error::table(TIMELINE_FILE, format!("unknown {what} {value:?}")))
}

/// Reads `timeline.parquet` of an output directory back into rows.
pub fn read_timeline(dir: &Path) -> Result<Vec<TimelineRow>> {
    let names: Vec<&str> = TIMELINE_COLUMNS.iter().map(|c| c.0).collect();
    let f = Frame::read(dir, "timeline", &names)?;
    let mut text = std::collections::BTreeMap::new();
    for name in &names {
        if !matches!(
            *name,
            "time" | "error_code" | "linked_record_ids" | "finding_ids"
        ) {
            text.insert(*name, f.strs(name)?.into_iter());
        }
    }
    let mut col = |name: &str| text.get_mut(name).and_then(Iterator::next).flatten();
    let times = f.times("time")?;
    let codes = f.ints("error_code")?;
    let links = f.str_lists("linked_record_ids")?;
    let mut finding_ids = f.str_lists("finding_ids")?.into_iter();
    let roles = [Role::Subject, Role::Actor, Role::Target, Role::SelfService];
    let bases = [
        LinkBasis::RequestId,
        LinkBasis::CorrelationId,
        LinkBasis::UserIpTime,
    ];
    let identity = [
        IdentityBasis::ObjectId,
        IdentityBasis::Upn,
        IdentityBasis::AmbiguousUpn,
        IdentityBasis::UpnOnly,
    ];
    let mut rows = Vec::with_capacity(f.len());
    for (i, linked_record_ids) in links.into_iter().enumerate() {
        let user_id = col("user_id");
        let user_principal_name = col("user_principal_name");
        let entity = col("entity").unwrap_or_default();
        let record_id = col("record_id").unwrap_or_default();
        let role = col("role").unwrap_or_default();
        rows.push(TimelineRow {
            user_id,
            user_principal_name,
            time: times[i].unwrap_or_default(),
            entity: parse(&EntityKind::ALL, EntityKind::name, &entity, "entity")?,
            record_id,
            role: parse(&roles, Role::as_str, &role, "role")?,
            action: col("action").unwrap_or_default(),
            result: col("result"),
            error_code: codes[i].and_then(|c| i32::try_from(c).ok()),
            ip_address: col("ip_address"),
            country: col("country"),
            city: col("city"),
            app: col("app"),
            client: col("client"),
            risk_level: col("risk_level"),
            correlation_id: col("correlation_id"),
            session_key: col("session_key"),
            linked_record_ids,
            link_basis: col("link_basis")
                .map(|b| parse(&bases, LinkBasis::as_str, &b, "link basis"))
                .transpose()?,
            identity_basis: parse(
                &identity,
                IdentityBasis::as_str,
                &col("identity_basis").unwrap_or_default(),
                "identity basis",
            )?,
            detail: col("detail"),
            finding_ids: finding_ids.next().unwrap_or_default(),
        });
    }
    Ok(rows)
}
