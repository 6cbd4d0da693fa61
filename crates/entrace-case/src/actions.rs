//! Short human labels for timeline rows: what happened, in words an analyst
//! scans ("smart lockout (50053)", "SSPR blocked for 24 h", "risk detected:
//! anonymizedIPAddress (medium)").
//!
//! Sign-ins are labelled from their error code (never from the localised
//! failure text); audits from their activity name, compared case-insensitively
//! with dashes normalised, because Graph's display strings vary in case and use
//! both `-` and `–`. Unknown activities keep their own name.

use super::audit;
use crate::records::{Audit, HistoryItem, RiskDetection, RiskyUser, SignIn, Target};
use entrace_model::error_codes;

/// The label of a sign-in.
pub fn sign_in(s: &SignIn) -> String {
    match s.error_code {
        Some(code) => error_codes::sign_in_action(code),
        None => "sign-in (no status)".into(),
    }
}

/// The client of a sign-in: browser / OS / clientAppUsed, whichever are known.
pub fn client(s: &SignIn) -> String {
    [&s.browser, &s.os, &s.client_app_used]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" / ")
}

/// A modified property's value on `target` (see [`audit::target_property`]).
fn property(target: Option<&Target>, name: &str) -> Option<String> {
    audit::target_property(target?, name)
}

/// The label of an audit record. `target` is the user the row is about (for
/// target rows) or the first user target (for actor rows).
pub fn audit(a: &Audit, target: Option<&Target>) -> String {
    let activity = a.activity.as_deref().unwrap_or("(no activity name)");
    let reason = a.result_reason.as_deref().unwrap_or("no reason given");
    let failed = a
        .result
        .as_deref()
        .is_some_and(|r| r.eq_ignore_ascii_case("failure"));
    let label = match audit::activity_key(activity).as_str() {
        "blocked from self-service password reset" => return "SSPR blocked for 24 h".into(),
        "self-service password reset flow activity progress" if failed => {
            return format!("SSPR step failed: {reason}")
        }
        "self-service password reset flow activity progress" => format!("SSPR step: {reason}"),
        "reset password (self-service)" => "password reset (SSPR)".into(),
        "change password (self-service)" => "password changed (self-service)".into(),
        "unlock user account (self-service)" => "account unlocked (SSPR)".into(),
        "user registered security info" | "user registered all required security info" => {
            format!("security info registered: {reason}")
        }
        "user deleted security info" => format!("security info deleted: {reason}"),
        "reset user password" | "reset password (by admin)" => "password reset by admin".into(),
        "change user password" => "password changed".into(),
        "disable account" => "account disabled".into(),
        "enable account" => "account enabled".into(),
        "add member to role" | "add eligible member to role" | "add scoped member to role" => {
            format!(
                "added to role {}",
                or_unknown(property(target, "Role.DisplayName"))
            )
        }
        "remove member from role" => {
            format!(
                "removed from role {}",
                or_unknown(property(target, "Role.DisplayName"))
            )
        }
        "add member to group" => {
            format!(
                "added to group {}",
                or_unknown(property(target, "Group.DisplayName"))
            )
        }
        "remove member from group" => {
            format!(
                "removed from group {}",
                or_unknown(property(target, "Group.DisplayName"))
            )
        }
        "update stsrefreshtokenvalidfrom timestamp" => "refresh tokens revoked".into(),
        "dismissuser" => "user risk dismissed by admin".into(),
        "confirmcompromised" | "confirmaccountcompromised" => {
            "user confirmed compromised by admin".into()
        }
        "confirmsafe" => "sign-in confirmed safe by admin".into(),
        "invite external user" => "external user invited".into(),
        _ => activity.to_owned(),
    };
    if failed {
        format!("{label} (failure)")
    } else {
        label
    }
}

fn or_unknown(v: Option<String>) -> String {
    v.unwrap_or_else(|| "(name not recorded)".into())
}

/// The label of a risk detection: "risk detected: anonymizedIPAddress (medium)".
pub fn detection(d: &RiskDetection) -> String {
    format!(
        "risk detected: {} ({})",
        d.event_type.as_deref().unwrap_or("unknown type"),
        d.risk_level.as_deref().unwrap_or("level not given")
    )
}

/// The label of a risky user's state at export: "user risk: atRisk (low)".
pub fn risky_user(r: &RiskyUser) -> String {
    format!(
        "user risk: {} ({})",
        r.risk_state.as_deref().unwrap_or("state not given"),
        r.risk_level.as_deref().unwrap_or("level not given")
    )
}

/// The label of a risk history item: "risk history: atRisk (low) from anonymizedIPAddress".
pub fn history(h: &HistoryItem) -> String {
    let mut label = format!(
        "risk history: {} ({})",
        h.risk_state.as_deref().unwrap_or("state not given"),
        h.risk_level.as_deref().unwrap_or("level not given")
    );
    if !h.event_types.is_empty() {
        label.push_str(" from ");
        label.push_str(&h.event_types.join(", "));
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit_of(activity: &str, result: &str, reason: &str) -> Audit {
        Audit {
            activity: Some(activity.into()),
            result: Some(result.into()),
            result_reason: Some(reason.into()),
            ..Audit::default()
        }
    }

    #[test]
    fn audit_labels_match_activity_names_loosely() {
        let blocked = audit_of("Blocked from self-service password reset", "failure", "x");
        assert_eq!(audit(&blocked, None), "SSPR blocked for 24 h");
        let step = audit_of(
            "Self-service password reset flow activity progress",
            "failure",
            "User entered too many invalid SMS verification codes and is blocked for 24 hours",
        );
        assert_eq!(
            audit(&step, None),
            "SSPR step failed: User entered too many invalid SMS verification codes and is blocked for 24 hours"
        );
        let secret = audit_of(
            "Update application \u{2013} Certificates and secrets management",
            "failure",
            "",
        );
        assert_eq!(
            audit(&secret, None),
            "Update application \u{2013} Certificates and secrets management (failure)"
        );
        let role = audit_of("Add member to role", "success", "");
        let target = Target {
            modified: vec![(
                Some("Role.DisplayName".into()),
                None,
                Some("\"Global Administrator\"".into()),
            )],
            ..Target::default()
        };
        assert_eq!(
            audit(&role, Some(&target)),
            "added to role Global Administrator"
        );
    }
}
