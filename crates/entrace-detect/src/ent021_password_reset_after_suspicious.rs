//! ENT-021 Password reset or change after suspicious access.
//!
//! **What it finds.** Successful "Reset password (self-service)", "Change
//! password (self-service)", "Reset user password", "Change user password"
//! and "Reset password (by admin)" audits for a user who has ENT-001, 002,
//! 004, 005 or 008 findings (at least low) in the 24 h before. One finding
//! per audit row.
//!
//! **Why it matters.** After a takeover, whoever changes the password owns
//! the account. An administrator resetting it is remediation; the user's own
//! account resetting it from the attacker's IP is the attacker locking the
//! owner out.
//!
//! **Evidence.** The reset row (trigger); the rows sharing its correlationId
//! (the SSPR flow) and the sign-ins cited by the linked findings (context).
//! The summary lists the linked finding ids.
//!
//! **Thresholds.** `lookback_h` 24. **Info** when the initiator is not the
//! user (admin remediation); **high** when the user reset or changed it from
//! an IP of the linked findings' sign-ins; **medium** otherwise (the user, or
//! whoever holds the account, from another IP). Improvement on the catalogue:
//! IPs the user signed in from successfully before the first linked finding
//! do not count as the findings' IPs. They are the user's own network (a
//! typo pattern of ENT-001 comes from there), and the owner changing a
//! password from home after a scare is not a lock-out.
//!
//! **False positives.** A user who resets the password from the network the
//! attack came from (shared egress, a VPN both use): medium or high, and the
//! device and browser of the flow settle it.
//!
//! **References.** docs/research/detections.md ENT-021; docs/research/graph.md §4.3 (self-service
//! password management, users); MITRE T1531 (account access removal).

use std::collections::BTreeSet;

use super::audit_common::{
    activity, actor_user, context_of, describe, succeeded, target_user, user_label, Linker, HOUR_NS,
};
use super::config::{Param, Params};
use super::context::Context;
use super::finding::{Finding, Severity};
use super::registry::{needs_audits, Escalation, Rule, Scope};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-021",
    escalation: Escalation::None,
    reads_findings: true,
    scope: Scope::User,
    name: "Password reset or change after suspicious access",
    severities: "info–high",
    mitre: &["T1098", "T1531"],
    finds: "Password resets and changes of users with suspicious sign-in findings; by the user from the attack's IP, high",
    params: &[
        Param { key: "lookback_h", default: 24.0, doc: "Hours before the reset in which ENT-001/002/004/005/008 findings of the user count" },
    ],
    requires: needs_audits,
    run,
};

/// Detections whose findings make a reset follow suspicious access.
const LINKED: &[u32] = &[1, 2, 4, 5, 8];

fn run(ctx: &Context<'_>, p: Params<'_>, earlier: &[Finding], out: &mut Vec<Finding>) {
    let lookback = (p.get("lookback_h") * HOUR_NS as f64) as i64;
    let linker = Linker::new(earlier);
    for (i, a) in ctx.tables.audits.iter().enumerate() {
        if !ctx
            .vocabulary
            .audit_activities
            .password_changes
            .contains(&activity(a))
            || !succeeded(a)
        {
            continue;
        }
        let actor = actor_user(ctx, i);
        let Some(user) = target_user(ctx, i)
            .map(|(_, k)| k)
            .or_else(|| actor.clone())
            .filter(|u| ctx.owns(Some(u)))
        else {
            continue;
        };
        let linked = linker.linked(&user, |n| LINKED.contains(&n), a.time - lookback, a.time);
        if linked.is_empty() {
            continue;
        }
        let by_user = match &actor {
            Some(k) => *k == user,
            // No initiator id: the UPN alone tells whether the user did it.
            None => a
                .actor_upn
                .as_deref()
                .is_some_and(|u| user_label(ctx, &user).eq_ignore_ascii_case(u)),
        };
        let start = linked.iter().map(|f| f.first_seen).min().unwrap_or(a.time);
        let own: BTreeSet<&str> = ctx
            .sign_ins_by_user
            .get(&user)
            .into_iter()
            .flatten()
            .map(|&s| &ctx.tables.sign_ins[s])
            .filter(|s| s.error_code == Some(0) && s.time < start)
            .filter_map(|s| s.ip.as_deref())
            .collect();
        let attack_ips: BTreeSet<String> = linker
            .ips(&linked, &user)
            .into_iter()
            .filter(|ip| !own.contains(ip.as_str()))
            .collect();
        let from_attack = a
            .actor_ip
            .as_deref()
            .is_some_and(|ip| attack_ips.contains(ip));
        let (severity, why) = match (by_user, from_attack) {
            (false, _) => (Severity::Info, "another account did it (admin remediation)"),
            (true, true) => (
                Severity::High,
                "the user's own account did it from an IP of the suspicious sign-ins",
            ),
            (true, false) => (
                Severity::Medium,
                "the user's own account did it from an IP outside the suspicious sign-ins",
            ),
        };
        let mut f = ctx.finding(&DETECTION, severity, Some(&user));
        f.subject_ip = a.actor_ip.clone();
        f.summary = format!(
            "{} for {} from {} after {}; {severity}: {why}",
            a.activity.as_deref().unwrap_or("password reset"),
            user_label(ctx, &user),
            a.actor_ip.as_deref().unwrap_or("an unknown IP"),
            describe(&linked)
        );
        f.evidence = ctx.audit_and_flow(i);
        f.evidence.extend(context_of(&linked));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use entrace_case::records::Audit;

    const ATTACKER: &str = "203.0.113.66";
    const HOME: &str = "198.51.100.4";

    /// A self-service reset of `who` by `who` from `ip` at `time`.
    fn sspr(id: &str, time: i64, who: &str, ip: &str) -> Audit {
        let mut a = audit(id, time, "Reset password (self-service)", who, ip);
        a.service = Some("Self-service Password Management".into());
        a.targets = vec![user_target(who)];
        a
    }

    /// ENT-001 medium for eve: five failures from the attacker at minutes
    /// 60–64, success at 65 (the attacker got in).
    fn attack() -> Vec<entrace_case::records::SignIn> {
        guessed("eve", ATTACKER, ATTACKER, 60, 5)
    }

    fn run_with(audits: Vec<Audit>, signs: Vec<entrace_case::records::SignIn>) -> Vec<Finding> {
        let w = World::new(audits, signs);
        of(&w.run_chain(&["ENT-001", "ENT-021"]), "ENT-021")
            .into_iter()
            .cloned()
            .collect()
    }

    #[test]
    fn the_user_resetting_from_the_attackers_ip_is_high() {
        let signs = attack();
        let mut flow = audit(
            "P0",
            2 * HOUR,
            "Self-service password reset flow activity progress",
            "eve",
            ATTACKER,
        );
        flow.correlation_id = Some("corr-R1".into());
        let f = run_with(
            vec![flow, sspr("R1", 2 * HOUR, "eve", ATTACKER)],
            signs.clone(),
        );
        assert_eq!(severities(&f), [Severity::High]);
        let mut want: Vec<(&str, &str)> =
            signs.iter().map(|s| (s.id.as_str(), "context")).collect();
        want.extend([("P0", "context"), ("R1", "trigger")]);
        assert_eq!(evidence(&f[0]), want);
        assert!(
            f[0].summary.starts_with(
                "Reset password (self-service) for eve@contoso.com from 203.0.113.66 after ENT-001 F-"
            ),
            "{}",
            f[0].summary
        );
        // From another IP: medium.
        let f = run_with(vec![sspr("R1", 2 * HOUR, "eve", HOME)], signs.clone());
        assert_eq!(severities(&f), [Severity::Medium]);
        // Near miss: 24 h and a minute after the attacker's success.
        let f = run_with(
            vec![sspr("R1", (65 + 24 * 60 + 1) * MIN, "eve", ATTACKER)],
            signs,
        );
        assert!(f.is_empty());
    }

    #[test]
    fn an_admin_reset_is_remediation() {
        let mut reset = audit("R1", 2 * HOUR, "Reset user password", "admin", HOME);
        reset.targets = vec![user_target("eve")];
        let f = run_with(vec![reset.clone()], attack());
        assert_eq!(severities(&f), [Severity::Info]);
        assert!(f[0]
            .summary
            .ends_with("info: another account did it (admin remediation)"));
        // Benign: the same reset with no suspicious sign-in is nothing.
        assert!(run_with(vec![reset], vec![]).is_empty());
    }

    #[test]
    fn the_users_own_network_is_not_the_attack() {
        // Eve signs in from home, mistypes twice there (ENT-001 low), and
        // changes her password from home: medium, not high.
        let mut signs = vec![sign_in("home-0", "eve", HOME, 0, 0)];
        signs.extend(guessed("eve", HOME, HOME, 60, 2));
        let mut change = audit(
            "C1",
            2 * HOUR,
            "Change password (self-service)",
            "eve",
            HOME,
        );
        change.targets = vec![user_target("eve")];
        let f = run_with(vec![change], signs);
        assert_eq!(severities(&f), [Severity::Medium]);
        // A failed reset changes nothing.
        let mut failed = sspr("R1", 2 * HOUR, "eve", ATTACKER);
        failed.result = Some("failure".into());
        assert!(run_with(vec![failed], attack()).is_empty());
    }

    #[test]
    fn spray_findings_about_an_ip_touch_the_sprayed_user() {
        // A synthetic ENT-005 finding about an IP, citing eve's sign-in.
        let signs = vec![sign_in("spray-1", "eve", ATTACKER, HOUR, 50126)];
        let mut spray = prior("ENT-005", Severity::Medium, "nobody", HOUR, HOUR, "spray-1");
        spray.subject_user_id = None;
        spray.subject_user_principal_name = None;
        spray.subject_ip = Some(ATTACKER.into());
        // Its evidence is eve's, as a spray finding's evidence is each
        // sprayed user's sign-ins.
        for e in &mut spray.evidence {
            e.user = Some(uid("eve"));
        }
        let w = World::new(vec![sspr("R1", 2 * HOUR, "eve", ATTACKER)], signs);
        let f = w.run(&DETECTION, &[spray]);
        assert_eq!(severities(&f), [Severity::High]);
        assert_eq!(
            evidence(&f[0]),
            [
                ("spray-1", "context"),
                ("spray-1-first", "context"),
                ("R1", "trigger")
            ]
        );
    }
}
