//! ENT-019 Authentication-method (MFA) registration change.
//!
//! **What it finds.** Changes to a user's security info: "User registered
//! security info", "User registered all required security info", "User
//! started security info registration", "User changed default security info",
//! "User updated security info", "User deleted security info", and "Admin
//! registered / updated / deleted security info" (names compared
//! case-insensitively, any result). One finding per user and correlationId.
//!
//! **Why it matters.** An attacker who has the password registers an
//! authenticator of their own so that MFA, password resets and Conditional
//! Access all answer to them from then on. The same rows are a user's normal
//! first-day setup, so on their own they are only timeline context.
//!
//! **Evidence.** The registration rows (trigger); the sign-ins cited by the
//! linked findings and the privileged role assignment, if any (context). The
//! summary gives each activity with its method (`resultReason`).
//!
//! **Thresholds.** `before_min` 30, `after_h` 24: **high** when the change
//! falls from 30 min before to 24 h after an ENT-001, 002, 004, 005, 008 or
//! 010 finding (at least low) that touches the user (Sentinel S22 shape, with
//! a longer forward window offline); or the user was given a privileged role
//! anywhere in the evidence (ENT-016's rule; S21); or an admin added a
//! Temporary Access Pass ("Admin registered security info" whose
//! `resultReason` mentions a temporary access pass). **Info** otherwise.
//! "User updated security info" is added to the catalogue's list: it changes
//! a method as much as the others. The evidence cannot show roles held before
//! its window, so privileged targets are under-counted.
//!
//! **False positives.** A user who sets up MFA on the day their password was
//! mistyped (high through ENT-001 low): the registration's IP and device tell
//! the two apart.
//!
//! **References.** docs/research/detections.md ENT-019; docs/research/graph.md §4.3 (authentication
//! methods); Sentinel "Authentication Methods Changed for Privileged
//! Account" and "Suspicious Sign-in followed by MFA modification".

use std::collections::{BTreeMap, BTreeSet};

use super::audit_common::{
    activity, actor_user, context_of, describe, target_user, user_label, Linker, HOUR_NS,
};
use super::config::{Param, Params};
use super::context::Context;
use super::ent016_privileged_role::privileged_users;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_audits, Escalation, Rule, Scope};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-019",
    escalation: Escalation::RaisesSignIns,
    reads_findings: true,
    scope: Scope::Tenant,
    name: "Authentication-method (MFA) registration change",
    severities: "info–high",
    mitre: &["T1556.006", "T1098.005"],
    finds: "Security-info registrations and changes; near suspicious sign-ins, on privileged users or a Temporary Access Pass, high",
    params: &[
        Param { key: "before_min", default: 30.0, doc: "Minutes before a sign-in finding in which a change still links to it" },
        Param { key: "after_h", default: 24.0, doc: "Hours after a sign-in finding in which a change links to it" },
    ],
    requires: needs_audits,
    run,
};

/// Sign-in detections whose findings make a change suspicious.
const LINKED: &[u32] = &[1, 2, 4, 5, 8, 10];

fn run(ctx: &Context<'_>, p: Params<'_>, earlier: &[Finding], out: &mut Vec<Finding>) {
    let before = p.minutes("before_min");
    let after = (p.get("after_h") * HOUR_NS as f64) as i64;
    let linker = Linker::new(earlier);
    let audits = &ctx.tables.audits;
    let privileged = privileged_users(ctx);
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, a) in audits.iter().enumerate() {
        if !ctx
            .vocabulary
            .audit_activities
            .security_info_changes
            .contains(&activity(a))
        {
            continue;
        }
        let Some(user) = target_user(ctx, i)
            .map(|(_, k)| k)
            .or_else(|| actor_user(ctx, i))
        else {
            continue;
        };
        let corr = a.correlation_id.clone().unwrap_or_else(|| a.id.clone());
        groups.entry((user, corr)).or_default().push(i);
    }
    for ((user, _), rows) in &groups {
        let first = rows.iter().map(|&i| audits[i].time).min().unwrap_or(0);
        let last = rows.iter().map(|&i| audits[i].time).max().unwrap_or(0);
        let linked = linker.linked(user, |n| LINKED.contains(&n), first - after, last + before);
        let grants = privileged.get(user).cloned().unwrap_or_default();
        let tap = rows.iter().any(|&i| {
            activity(&audits[i]) == "admin registered security info"
                && audits[i]
                    .result_reason
                    .as_deref()
                    .is_some_and(|r| r.to_lowercase().contains("temporary access pass"))
        });
        let mut why = Vec::new();
        if !linked.is_empty() {
            why.push(format!(
                "it follows sign-in findings ({})",
                describe(&linked)
            ));
        }
        if !grants.is_empty() {
            why.push("the user holds a privileged role".to_string());
        }
        if tap {
            why.push("an admin issued a Temporary Access Pass".to_string());
        }
        let severity = if why.is_empty() {
            Severity::Info
        } else {
            Severity::High
        };
        let mut steps: Vec<String> = Vec::new();
        for &i in rows {
            let a = &audits[i];
            let step = match a.result_reason.as_deref().filter(|r| !r.trim().is_empty()) {
                Some(r) => format!("{} ({r})", a.activity.as_deref().unwrap_or("")),
                None => a.activity.clone().unwrap_or_default(),
            };
            if !steps.contains(&step) {
                steps.push(step);
            }
        }
        let ips: BTreeSet<&str> = rows
            .iter()
            .filter_map(|&i| audits[i].actor_ip.as_deref())
            .collect();
        let mut f = ctx.finding(&DETECTION, severity, Some(user));
        f.subject_ip = ips.iter().next().map(|s| s.to_string());
        f.summary = format!(
            "security info of {} changed: {}{}",
            user_label(ctx, user),
            steps.join("; "),
            if why.is_empty() {
                String::new()
            } else {
                format!("; high because {}", why.join("; "))
            }
        );
        f.evidence = rows
            .iter()
            .map(|&i| ctx.audit(i, EvidenceRole::Trigger))
            .collect();
        f.evidence
            .extend(grants.iter().map(|&i| ctx.audit(i, EvidenceRole::Context)));
        f.evidence.extend(context_of(&linked));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use entrace_case::records::Audit;

    /// Alice registers the Authenticator app at `time`, two rows of one operation.
    fn register(time: i64) -> Vec<Audit> {
        let who = "alice";
        let row = |id: &str, activity: &str, reason: &str| {
            let mut a = audit(id, time, activity, who, "203.0.113.7");
            a.service = Some("Authentication Methods".into());
            a.correlation_id = Some("reg".into());
            a.result_reason = Some(reason.into());
            a.targets = vec![user_target(who)];
            a
        };
        vec![
            row(
                "R1",
                "User registered security info",
                "User registered Authenticator App with Notification and Code",
            ),
            row(
                "R2",
                "User registered all required security info",
                "User registered all required security info",
            ),
        ]
    }

    #[test]
    fn registration_after_a_guessed_password_is_high() {
        // ENT-001: failures at 60–64 min, success at 65 min.
        let signs = guessed("alice", "203.0.113.7", "203.0.113.7", 60, 5);
        let w = World::new(register(90 * MIN), signs.clone());
        let all = w.run_chain(&["ENT-001", "ENT-019"]);
        let f = of(&all, "ENT-019");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        let mut want: Vec<(&str, &str)> =
            signs.iter().map(|s| (s.id.as_str(), "context")).collect();
        want.extend([("R1", "trigger"), ("R2", "trigger")]);
        assert_eq!(evidence(f[0]), want);
        assert!(
            f[0].summary.starts_with(
                "security info of alice@contoso.com changed: User registered security info \
                 (User registered Authenticator App with Notification and Code); User registered \
                 all required security info (User registered all required security info); high \
                 because it follows sign-in findings (ENT-001 F-"
            ),
            "{}",
            f[0].summary
        );
    }

    #[test]
    fn the_window_is_30_minutes_before_to_24_hours_after() {
        let signs = guessed("alice", "203.0.113.7", "203.0.113.7", 60, 5);
        let severity = |t: i64| {
            let w = World::new(register(t), signs.clone());
            of(&w.run_chain(&["ENT-001", "ENT-019"]), "ENT-019")[0].severity
        };
        // Registered 30 min before the first failure: still linked.
        assert_eq!(severity(30 * MIN), Severity::High);
        // Near misses: 31 min before, and 24 h and a minute after the success.
        assert_eq!(severity(29 * MIN), Severity::Info);
        assert_eq!(severity((65 + 24 * 60 + 1) * MIN), Severity::Info);
        assert_eq!(severity((65 + 24 * 60) * MIN), Severity::High);
    }

    #[test]
    fn first_day_registration_without_findings_is_info() {
        let w = World::new(register(HOUR), vec![]);
        let f = w.run(&DETECTION, &[]);
        assert_eq!(severities(&f), [Severity::Info]);
        assert_eq!(evidence(&f[0]), [("R1", "trigger"), ("R2", "trigger")]);
        // A finding of another detection (ENT-003) or another user links nothing.
        let earlier = [
            prior("ENT-003", Severity::Medium, "alice", 0, HOUR, "s1"),
            prior("ENT-001", Severity::Medium, "bob", 0, HOUR, "s2"),
        ];
        assert_eq!(severities(&w.run(&DETECTION, &earlier)), [Severity::Info]);
    }

    #[test]
    fn temporary_access_pass_and_privileged_users_are_high() {
        let mut tap = audit(
            "T1",
            HOUR,
            "Admin registered security info",
            "admin",
            "198.51.100.20",
        );
        tap.result_reason = Some("Admin registered temporary access pass method for user".into());
        tap.targets = vec![user_target("carol")];
        let w = World::new(vec![tap.clone()], vec![]);
        let f = w.run(&DETECTION, &[]);
        assert_eq!(severities(&f), [Severity::High]);
        assert_eq!(f[0].subject_user_id.as_deref(), Some("id-carol"));
        // Near miss: an admin registering a phone number.
        let mut phone = tap;
        phone.result_reason = Some("Admin registered phone method for user".into());
        let w = World::new(vec![phone], vec![]);
        assert_eq!(severities(&w.run(&DETECTION, &[])), [Severity::Info]);

        // Dave became Global Administrator, then changed his default method.
        let mut role = audit("G1", 0, "Add member to role", "admin", "198.51.100.20");
        role.targets = vec![with(
            user_target("dave"),
            "Role.DisplayName",
            None,
            Some("\"Global Administrator\""),
        )];
        let mut change = audit(
            "D1",
            HOUR,
            "User changed default security info",
            "dave",
            "x",
        );
        change.targets = vec![user_target("dave")];
        let w = World::new(vec![role, change], vec![]);
        let f = w.run(&DETECTION, &[]);
        assert_eq!(severities(&f), [Severity::High]);
        assert_eq!(evidence(&f[0]), [("G1", "context"), ("D1", "trigger")]);
    }
}
