//! The stage 2 tables on disk: `timeline.parquet` and `per_user.parquet`,
//! each declared once ([`declare_table!`]): the row struct, and per column its
//! codec and description. The writer, the reader behind `entrace timeline`
//! and the reports, and `entrace schema` are generated from it.

use super::per_user::UserSummary;
use super::timeline::TimelineRow;
use crate::table::declare::{
    declare_table, Int32, Int64, Label, OptionalLabel, Text, TextList, Time,
};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::timeline::Role;
    use crate::case::correlate::LinkBasis;
    use crate::case::identity::IdentityBasis;
    use crate::detect::finding::Severity;
    use crate::model::EntityKind;

    fn row(i: i64) -> TimelineRow {
        TimelineRow {
            user_id: (i % 2 == 0).then(|| format!("u-{i}")),
            user_principal_name: Some(format!("user{i}@contoso.example")),
            time: 1_742_234_070_123_456_700 + i,
            entity: EntityKind::ALL[i as usize % 5],
            record_id: format!("r-{i}"),
            role: [Role::Subject, Role::Actor, Role::Target, Role::SelfService][i as usize % 4],
            action: "smart lockout (50053)".into(),
            result: (i != 1).then(|| "failure".into()),
            error_code: (i == 0).then_some(50053),
            ip_address: None,
            country: Some("JP".into()),
            city: Some("東京".into()),
            app: None,
            client: None,
            risk_level: None,
            correlation_id: None,
            session_key: Some("sid:x".into()),
            linked_record_ids: (0..i).map(|k| format!("l-{k}")).collect(),
            link_basis: [
                None,
                Some(LinkBasis::RequestId),
                Some(LinkBasis::UserIpTime),
            ][i as usize % 3],
            identity_basis: IdentityBasis::ObjectId,
            detail: Some("a \"quoted\" <b>reason</b>".into()),
            finding_ids: Vec::new(),
        }
    }

    #[test]
    fn declared_tables_read_back_what_they_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<TimelineRow> = (0..7).map(row).collect();
        crate::output::write_parquet(
            &dir.path().join(Timeline::FILE),
            &Timeline::frame(&rows).unwrap(),
        )
        .unwrap();
        assert_eq!(Timeline::read(dir.path()).unwrap(), rows);

        let users = vec![
            UserSummary {
                user_id: Some("u-1".into()),
                last_success: Some(5),
                sign_ins_blocked: 3,
                distinct_ips: 2,
                ip_addresses: vec!["198.51.100.1".into(), "203.0.113.9".into()],
                max_finding_severity: Some(Severity::High),
                ..UserSummary::default()
            },
            UserSummary::default(),
        ];
        crate::output::write_parquet(
            &dir.path().join(PerUser::FILE),
            &PerUser::frame(&users).unwrap(),
        )
        .unwrap();
        assert_eq!(PerUser::read(dir.path()).unwrap(), users);
        // The columns are the declared ones, each timestamp with its pair.
        let names: Vec<&str> = Timeline::COLUMNS.iter().map(|c| c.0).collect();
        assert_eq!(
            names[..4],
            ["user_id", "user_principal_name", "time", "entity"]
        );
    }

    #[test]
    fn a_table_of_another_shape_is_an_error_naming_file_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = vec![row(0)];
        rows[0].action = "x".into();
        let mut df = Timeline::frame(&rows).unwrap();
        use polars::prelude::{IntoColumn, NamedFrom, Series};
        df.replace("role", Series::new("role".into(), ["owner"]).into_column())
            .unwrap();
        crate::output::write_parquet(&dir.path().join(Timeline::FILE), &df).unwrap();
        let err = Timeline::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("timeline.parquet: column role"), "{err}");
        assert!(err.contains("unknown value \"owner\""), "{err}");
    }
}
