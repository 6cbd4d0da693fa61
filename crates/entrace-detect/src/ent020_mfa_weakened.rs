//! ENT-020 MFA disabled or weakened.
//!
//! **What it finds.** Successful audits that switch MFA or Conditional Access
//! off: "Disable Strong Authentication" (per-user MFA); "Update user" whose
//! `StrongAuthenticationRequirement` goes to `"State":0` or loses its entries;
//! "Delete conditional access policy"; "Update conditional access policy"
//! whose policy `state` goes from `enabled` to `disabled` or report-only
//! (`enabledForReportingButNotEnforced`); and "Update User Risk and MFA
//! Registration Policy". One finding per row.
//!
//! **Why it matters.** With MFA off, the stolen password is enough; with a
//! Conditional Access policy deleted or in report-only mode, the block that
//! stopped the attacker (ENT-015) stops nobody.
//!
//! **Evidence.** The row (trigger) with the old and new values in the
//! summary; rows sharing its correlationId, the sign-ins cited by the linked
//! findings and the privileged role assignment of the user, if any
//! (context).
//!
//! **Thresholds.** `link_h` 24: sign-in findings (ENT-001…ENT-013, at least
//! low) of the initiator or the affected user overlapping the 24 h before.
//! The catalogue sets no severity; entrace's choice: **medium** for per-user
//! MFA disabled and for a Conditional Access policy deleted, disabled or put
//! in report-only; **low** for a risk and MFA registration policy update
//! (the audit does not say whether it was weakened); **high** when there are
//! linked findings or the affected user holds a privileged role (given
//! anywhere in the evidence). MITRE per finding: T1556.006 for MFA, T1556.009
//! for Conditional Access.
//!
//! **False positives.** Migrations from per-user MFA to Conditional Access,
//! and administrators testing a policy in report-only mode first.
//!
//! **References.** docs/research/detections.md ENT-020; docs/research/graph.md §4.3 (MFA and policy
//! activities); Sentinel "Disabled Strong Authentication" and "Conditional
//! Access Policy Modified by New User".

use super::audit_common::{
    activity, actor_user, context_of, describe, initiator, property, succeeded, target_user,
    user_label, values, Linker, HOUR_NS,
};
use super::config::{Param, Params};
use super::context::Context;
use super::ent016_privileged_role::privileged_users;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_audits, Escalation, Rule, Scope};
use entrace_case::records::Audit;

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-020",
    escalation: Escalation::RaisesSignIns,
    reads_findings: true,
    scope: Scope::Tenant,
    name: "MFA disabled or weakened",
    severities: "low–high",
    mitre: &["T1556.006", "T1556.009"],
    finds: "Per-user MFA disabled, Conditional Access policies deleted, disabled or set to report-only, MFA registration policy changes",
    params: &[
        Param { key: "link_h", default: 24.0, doc: "Hours before the change in which sign-in findings (ENT-001…013) of the initiator or user make it high" },
    ],
    requires: needs_audits,
    run,
};

/// What a row weakened.
#[derive(Debug, PartialEq)]
enum Change {
    /// Per-user MFA off; the text says how.
    PerUser(&'static str),
    /// A Conditional Access policy deleted, or its state (old, new).
    Policy(Option<(String, String)>),
    /// The Identity Protection risk and MFA registration policy changed.
    RiskPolicy,
}

fn compact(raw: Option<&str>) -> String {
    raw.map(values)
        .unwrap_or_default()
        .concat()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// `StrongAuthenticationRequirement` set to state 0 or emptied.
fn mfa_requirement_removed(a: &Audit) -> bool {
    a.targets.iter().any(|t| {
        let Some((old, new)) = property(t, "StrongAuthenticationRequirement") else {
            return false;
        };
        let (old, new) = (compact(old), compact(new));
        new.contains("\"State\":0") || (old.contains("\"State\":") && !new.contains("\"State\":"))
    })
}

/// The `state` of a policy JSON value (an object, an array of one, or a string holding either).
fn policy_state(raw: Option<&str>) -> Option<String> {
    fn find(v: &serde_json::Value) -> Option<String> {
        match v {
            serde_json::Value::Object(m) => m
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("state"))
                .and_then(|(_, v)| v.as_str().map(str::to_owned)),
            serde_json::Value::Array(items) => items.iter().find_map(find),
            serde_json::Value::String(s) => serde_json::from_str(s).ok().as_ref().and_then(find),
            _ => None,
        }
    }
    serde_json::from_str(raw?.trim())
        .ok()
        .as_ref()
        .and_then(find)
}

/// A policy's state going from enabled to disabled or report-only.
fn policy_weakened(a: &Audit) -> Option<(String, String)> {
    a.targets.iter().find_map(|t| {
        t.modified.iter().find_map(|(_, old, new)| {
            let (old, new) = (policy_state(old.as_deref())?, policy_state(new.as_deref())?);
            (old.eq_ignore_ascii_case("enabled")
                && (new.eq_ignore_ascii_case("disabled")
                    || new.eq_ignore_ascii_case("enabledForReportingButNotEnforced")))
            .then_some((old, new))
        })
    })
}

fn change(a: &Audit) -> Option<Change> {
    if !succeeded(a) {
        return None;
    }
    match activity(a).as_str() {
        "disable strong authentication" => Some(Change::PerUser("per-user MFA disabled")),
        "update user" if mfa_requirement_removed(a) => Some(Change::PerUser(
            "per-user MFA requirement removed (StrongAuthenticationRequirement)",
        )),
        "delete conditional access policy" => Some(Change::Policy(None)),
        "update conditional access policy" => policy_weakened(a).map(|s| Change::Policy(Some(s))),
        "update user risk and mfa registration policy" => Some(Change::RiskPolicy),
        _ => None,
    }
}

fn run(ctx: &Context<'_>, p: Params<'_>, earlier: &[Finding], out: &mut Vec<Finding>) {
    let link = (p.get("link_h") * HOUR_NS as f64) as i64;
    let linker = Linker::new(earlier);
    let privileged = privileged_users(ctx);
    for (i, a) in ctx.tables.audits.iter().enumerate() {
        let Some(change) = change(a) else {
            continue;
        };
        let actor = actor_user(ctx, i);
        let target = match change {
            Change::PerUser(_) => target_user(ctx, i).map(|(_, k)| k),
            _ => None,
        };
        let mut linked: Vec<&Finding> = Vec::new();
        for key in target.iter().chain(actor.iter()) {
            for f in linker.linked(key, |n| (1..=13).contains(&n), a.time - link, a.time) {
                if !linked.iter().any(|g| std::ptr::eq(*g, f)) {
                    linked.push(f);
                }
            }
        }
        let grants = target
            .as_ref()
            .and_then(|k| privileged.get(k))
            .cloned()
            .unwrap_or_default();
        let mut why = Vec::new();
        if !linked.is_empty() {
            why.push(format!(
                "the initiator or user has sign-in findings in the {} h before ({})",
                p.get("link_h"),
                describe(&linked)
            ));
        }
        if !grants.is_empty() {
            why.push("the user holds a privileged role".to_string());
        }
        let severity = match (&change, why.is_empty()) {
            (_, false) => Severity::High,
            (Change::RiskPolicy, true) => Severity::Low,
            (_, true) => Severity::Medium,
        };
        let by = match &actor {
            Some(k) => user_label(ctx, k),
            None => initiator(a),
        };
        let policy = a
            .targets
            .iter()
            .find_map(|t| t.display_name.clone())
            .unwrap_or_else(|| "(unnamed)".into());
        let what = match &change {
            Change::PerUser(how) => format!(
                "{how} for {} by {by}",
                target
                    .as_deref()
                    .map(|k| user_label(ctx, k))
                    .unwrap_or_else(|| "an unresolved user".into())
            ),
            Change::Policy(None) => format!("Conditional Access policy {policy} deleted by {by}"),
            Change::Policy(Some((old, new))) => format!(
                "Conditional Access policy {policy} changed from {old} to {new} by {by}"
            ),
            Change::RiskPolicy => format!(
                "User Risk and MFA Registration Policy updated by {by} (the audit does not say whether it was weakened)"
            ),
        };
        let mut f = ctx.finding(&DETECTION, severity, target.as_deref().or(actor.as_deref()));
        f.mitre = vec![match change {
            Change::Policy(_) => "T1556.009".to_string(),
            _ => "T1556.006".to_string(),
        }];
        f.subject_ip = a.actor_ip.clone();
        f.summary = if why.is_empty() {
            what
        } else {
            format!("{what}; high because {}", why.join("; "))
        };
        f.evidence = vec![ctx.audit(i, EvidenceRole::Trigger)];
        f.evidence.extend(
            ctx.links.audit_peers[i]
                .iter()
                .chain(grants.iter())
                .map(|&j| ctx.audit(j, EvidenceRole::Context)),
        );
        f.evidence.extend(context_of(&linked));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    fn policy_update(id: &str, time: i64, old: &str, new: &str) -> Audit {
        let mut a = audit(
            id,
            time,
            "Update conditional access policy",
            "admin",
            "198.51.100.20",
        );
        a.service = Some("Conditional Access".into());
        a.category = Some("Policy".into());
        let json = |state: &str| {
            serde_json::to_string(&format!(
                "{{\"id\":\"p1\",\"displayName\":\"Require MFA\",\"state\":\"{state}\"}}"
            ))
            .unwrap()
        };
        a.targets = vec![with(
            other_target("Policy", "p1", "Require MFA"),
            "ConditionalAccessPolicy",
            Some(&json(old)),
            Some(&json(new)),
        )];
        a
    }

    #[test]
    fn policy_states_parse_from_graph_strings() {
        assert_eq!(
            policy_state(Some("{\"state\":\"enabled\"}")).as_deref(),
            Some("enabled")
        );
        assert_eq!(
            policy_state(Some("\"{\\\"State\\\":\\\"disabled\\\"}\"")).as_deref(),
            Some("disabled")
        );
        assert_eq!(policy_state(Some("not json")), None);
    }

    #[test]
    fn disabling_a_ca_policy_is_medium_and_report_only_too() {
        let w = World::new(
            vec![policy_update("P1", HOUR, "enabled", "disabled")],
            vec![],
        );
        let f = w.run(&DETECTION, &[]);
        assert_eq!(severities(&f), [Severity::Medium]);
        assert_eq!(evidence(&f[0]), [("P1", "trigger")]);
        assert_eq!(f[0].mitre, ["T1556.009"]);
        assert_eq!(
            f[0].summary,
            "Conditional Access policy Require MFA changed from enabled to disabled by admin@contoso.com"
        );
        let w = World::new(
            vec![policy_update(
                "P1",
                HOUR,
                "enabled",
                "enabledForReportingButNotEnforced",
            )],
            vec![],
        );
        assert_eq!(severities(&w.run(&DETECTION, &[])), [Severity::Medium]);
        // Benign look-alikes: a policy switched on, and a report-only policy retired.
        let w = World::new(
            vec![
                policy_update("P1", HOUR, "disabled", "enabled"),
                policy_update("P2", HOUR, "enabledForReportingButNotEnforced", "disabled"),
            ],
            vec![],
        );
        assert!(w.run(&DETECTION, &[]).is_empty());
    }

    #[test]
    fn per_user_mfa_disabled_after_suspicious_sign_ins_is_high() {
        // The admin's account was guessed (ENT-001) three hours earlier.
        let signs = guessed("admin", "203.0.113.9", "203.0.113.9", 0, 2);
        let mut off = audit(
            "M1",
            3 * HOUR,
            "Disable Strong Authentication",
            "admin",
            "203.0.113.9",
        );
        off.targets = vec![user_target("bob")];
        let w = World::new(vec![off.clone()], signs.clone());
        let all = w.run_chain(&["ENT-001", "ENT-020"]);
        let f = of(&all, "ENT-020");
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[0].subject_user_id.as_deref(), Some("id-bob"));
        assert_eq!(f[0].mitre, ["T1556.006"]);
        assert_eq!(
            evidence(f[0]),
            [
                ("admin-fail-0", "context"),
                ("admin-fail-1", "context"),
                ("admin-ok", "context"),
                ("M1", "trigger")
            ]
        );
        // Near miss: without the sign-ins it is medium.
        let w = World::new(vec![off], vec![]);
        assert_eq!(severities(&w.run(&DETECTION, &[])), [Severity::Medium]);
    }

    #[test]
    fn update_user_counts_only_when_the_requirement_is_removed() {
        let update = |old: &str, new: &str| {
            let mut a = audit("U1", HOUR, "Update user", "admin", "198.51.100.20");
            a.targets = vec![with(
                user_target("carol"),
                "StrongAuthenticationRequirement",
                Some(old),
                Some(new),
            )];
            a
        };
        let enforced = "[{\"RelyingParty\":\"*\",\"State\":2}]";
        let w = World::new(vec![update(enforced, "[]")], vec![]);
        assert_eq!(severities(&w.run(&DETECTION, &[])), [Severity::Medium]);
        let w = World::new(
            vec![update(enforced, "[{\"RelyingParty\":\"*\", \"State\": 0}]")],
            vec![],
        );
        assert_eq!(severities(&w.run(&DETECTION, &[])), [Severity::Medium]);
        // Benign: MFA turned on, and a job title change.
        let w = World::new(vec![update("[]", enforced)], vec![]);
        assert!(w.run(&DETECTION, &[]).is_empty());
        let mut title = audit("U2", HOUR, "Update user", "admin", "198.51.100.20");
        title.targets = vec![with(
            user_target("carol"),
            "JobTitle",
            Some("[]"),
            Some("[\"CFO\"]"),
        )];
        let w = World::new(vec![title], vec![]);
        assert!(w.run(&DETECTION, &[]).is_empty());
    }

    #[test]
    fn deletes_and_risk_policy_updates() {
        let mut del = audit("D1", HOUR, "Delete conditional access policy", "admin", "x");
        del.targets = vec![other_target("Policy", "p1", "Block legacy auth")];
        let risk = audit(
            "R1",
            HOUR,
            "Update User Risk and MFA Registration Policy",
            "admin",
            "x",
        );
        let w = World::new(vec![del, risk], vec![]);
        let f = w.run(&DETECTION, &[]);
        assert_eq!(severities(&f), [Severity::Medium, Severity::Low]);
        assert_eq!(
            f[0].summary,
            "Conditional Access policy Block legacy auth deleted by admin@contoso.com"
        );
        assert_eq!(f[0].subject_user_id.as_deref(), Some("id-admin"));
    }
}
