//! ENT-003 SSPR blocked for 24 hours.
//!
//! **What it finds.** Self-service password reset throttling: audits logged by
//! "Self-service Password Management" whose activity is "Blocked from
//! self-service password reset", or whose result reason says "blocked for 24
//! hours", "User throttle for attempting challenge" or "too many". The result
//! field is not used (Microsoft documents the block as Success; exports show
//! failure). One finding per user and correlationId.
//!
//! **Why it matters.** Wrong captcha, phone and code entries are not audited;
//! the block is the first and only evidence that someone guessed at the
//! account's recovery. Either someone other than the user holds the username
//! and probes recovery, or it is denial of service against the user.
//!
//! **Evidence.** The blocking rows (trigger) and every SSPR audit of the user
//! in the lookback (context); the challenge method parsed from the reason
//! (`UserSMSOtp`) and the initiator IP.
//!
//! **Thresholds.** `lookback_h` 24. Severity medium; high when, within ±24 h, a
//! successful "Reset password (self-service)" comes from an IP the user never
//! signed in from, or the initiator IP appears in an ENT-001, ENT-002 or
//! ENT-005 finding, or blocks fall on `repeat_days` 2 or more days.
//! Improvement on the catalogue: the finding-IP escalation ignores IPs the
//! user signs in from successfully. Those are the user's own network, often
//! shared egress (the seed blogger tested every scenario from one line), and
//! other users' failures there say nothing about who reset this account.
//!
//! **False positives.** A user who mistypes the code five times (medium by
//! design: a phone call settles it).
//!
//! **References.** docs/research/detections.md ENT-003 and appendix §4.5; Microsoft Learn,
//! "SSPR reporting" (blocked after more than five attempts in 24 hours).

use std::collections::{BTreeMap, BTreeSet};

use super::config::{Param, Params};
use super::context::{user_key, Context};
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_audits, Escalation, Rule, Scope};
use entrace_case::records::Audit;

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-003",
    escalation: Escalation::None,
    reads_findings: true,
    scope: Scope::User,
    name: "Self-service password reset blocked for 24 h",
    severities: "medium–high",
    mitre: &["T1110", "T1098"],
    finds: "SSPR throttling audits (blocked for 24 h, too many attempts), grouped per user and correlationId",
    params: &[
        Param { key: "lookback_h", default: 24.0, doc: "Hours of earlier SSPR audits attached as context" },
        Param { key: "repeat_days", default: 2.0, doc: "Distinct UTC days with blocks that make it high" },
    ],
    requires: needs_audits,
    run,
};

const HOUR_NS: i64 = 3600 * 1_000_000_000;

fn is_sspr(a: &Audit) -> bool {
    a.service
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("Self-service Password Management"))
}

fn is_block(a: &Audit) -> bool {
    let activity = a.activity.as_deref().unwrap_or("").to_lowercase();
    let reason = a.result_reason.as_deref().unwrap_or("").to_lowercase();
    is_sspr(a)
        && (activity == "blocked from self-service password reset"
            || [
                "blocked for 24 hours",
                "user throttle for attempting challenge",
                "too many",
            ]
            .iter()
            .any(|k| reason.contains(k)))
}

/// `UserSMSOtp` from "User throttle for attempting challenge: UserSMSOtp too many times."
fn challenge_method(reason: &str) -> Option<String> {
    let rest = reason.split("challenge:").nth(1)?;
    let word: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (!word.is_empty()).then_some(word)
}

/// The user an SSPR audit is about: the first `User` target, else the initiator.
fn subject(ctx: &Context<'_>, i: usize) -> Option<String> {
    let a = &ctx.tables.audits[i];
    let targets = &ctx.users.audit_targets[i];
    a.targets
        .iter()
        .zip(targets)
        .find(|(t, who)| t.is_user() && who.is_some())
        .and_then(|(t, who)| user_key(who.as_ref(), t.upn.as_deref()))
        .or_else(|| user_key(ctx.users.audit_actors[i].as_ref(), a.actor_upn.as_deref()))
}

fn run(ctx: &Context<'_>, p: Params<'_>, earlier: &[Finding], out: &mut Vec<Finding>) {
    let audits = &ctx.tables.audits;
    let lookback = (p.get("lookback_h") * HOUR_NS as f64) as i64;
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    let mut sspr_by_user: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, a) in audits.iter().enumerate() {
        if !is_sspr(a) {
            continue;
        }
        let Some(user) = subject(ctx, i).filter(|u| ctx.owns(Some(u))) else {
            continue;
        };
        sspr_by_user.entry(user.clone()).or_default().push(i);
        if is_block(a) {
            let corr = a.correlation_id.clone().unwrap_or_else(|| a.id.clone());
            groups.entry((user, corr)).or_default().push(i);
        }
    }
    let suspicious_ips: BTreeSet<&str> = earlier
        .iter()
        .filter(|f| matches!(f.detection_id, "ENT-001" | "ENT-002" | "ENT-005"))
        .filter_map(|f| f.subject_ip.as_deref())
        .collect();
    let block_days: BTreeMap<&str, BTreeSet<i64>> =
        groups
            .iter()
            .fold(BTreeMap::new(), |mut m, ((u, _), rows)| {
                m.entry(u.as_str()).or_default().extend(
                    rows.iter()
                        .map(|&i| audits[i].time.div_euclid(24 * HOUR_NS)),
                );
                m
            });
    for ((user, _corr), blocks) in &groups {
        let first = blocks
            .iter()
            .map(|&i| audits[i].time)
            .min()
            .unwrap_or_default();
        let last = blocks
            .iter()
            .map(|&i| audits[i].time)
            .max()
            .unwrap_or_default();
        let user_ips: BTreeSet<&str> = ctx
            .sign_ins_by_user
            .get(user)
            .into_iter()
            .flatten()
            .filter_map(|&s| ctx.tables.sign_ins[s].ip.as_deref())
            .collect();
        let related = &sspr_by_user[user];
        let foreign_reset = related.iter().any(|&i| {
            let a = &audits[i];
            (a.time - first).abs() <= 24 * HOUR_NS
                && a.activity
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case("Reset password (self-service)"))
                && a.result
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case("success"))
                && a.actor_ip
                    .as_deref()
                    .is_some_and(|ip| !user_ips.contains(ip))
        });
        let actor_ips: BTreeSet<&str> = blocks
            .iter()
            .filter_map(|&i| audits[i].actor_ip.as_deref())
            .collect();
        // An IP the user signs in from successfully is the user's own network
        // (often shared egress): other users' failures there prove nothing.
        let own_ips: BTreeSet<&str> = ctx
            .sign_ins_by_user
            .get(user)
            .into_iter()
            .flatten()
            .map(|&s| &ctx.tables.sign_ins[s])
            .filter(|s| s.error_code == Some(0))
            .filter_map(|s| s.ip.as_deref())
            .collect();
        let ip_in_findings = actor_ips
            .iter()
            .any(|ip| suspicious_ips.contains(ip) && !own_ips.contains(ip));
        let repeated =
            block_days.get(user.as_str()).map_or(0, BTreeSet::len) >= p.count("repeat_days");
        let severity = if foreign_reset || ip_in_findings || repeated {
            Severity::High
        } else {
            Severity::Medium
        };
        let method = blocks.iter().find_map(|&i| {
            audits[i]
                .result_reason
                .as_deref()
                .and_then(challenge_method)
        });
        let mut why = Vec::new();
        if foreign_reset {
            why.push("a successful reset came from an IP the user never signed in from");
        }
        if ip_in_findings {
            why.push("the initiator IP appears in brute-force findings");
        }
        if repeated {
            why.push("blocks on several days");
        }
        let mut f = ctx.finding(&DETECTION, severity, Some(user));
        f.subject_ip = actor_ips.iter().next().map(|s| s.to_string());
        f.summary = format!(
            "self-service password reset blocked for 24 h ({} blocking audit rows{}{}){}",
            blocks.len(),
            method
                .map(|m| format!(", challenge method {m}"))
                .unwrap_or_default(),
            if actor_ips.is_empty() {
                String::new()
            } else {
                format!(
                    ", from {}",
                    actor_ips.into_iter().collect::<Vec<_>>().join(", ")
                )
            },
            if why.is_empty() {
                String::new()
            } else {
                format!("; high because {}", why.join("; "))
            }
        );
        f.evidence = blocks
            .iter()
            .map(|&i| ctx.audit(i, EvidenceRole::Trigger))
            .collect();
        f.evidence.extend(
            related
                .iter()
                .filter(|&&i| {
                    !blocks.contains(&i)
                        && audits[i].time <= last
                        && last - audits[i].time <= lookback
                })
                .map(|&i| ctx.audit(i, EvidenceRole::Context)),
        );
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;
    use entrace_case::records::SignIn;

    const DAY: i64 = 24 * HOUR;

    /// An SSPR audit of `name` (initiator and target) from `ip` with `[result, reason]`.
    fn sspr(
        id: &str,
        time: i64,
        activity: &str,
        [result, reason]: [&str; 2],
        name: &str,
        ip: &str,
        corr: &str,
    ) -> Audit {
        let mut a = audit(id, time, activity, name, ip);
        a.service = Some("Self-service Password Management".into());
        a.result = Some(result.into());
        a.result_reason = Some(reason.into());
        a.correlation_id = Some(corr.into());
        a.targets = vec![user_target(name)];
        a
    }

    /// The two rows the portal writes when SMS codes are exhausted (seed user03).
    fn block(tag: &str, time: i64, name: &str, ip: &str) -> Vec<Audit> {
        let corr = format!("corr-block-{tag}");
        vec![
            sspr(
                &format!("{tag}-progress"),
                time,
                "Self-service password reset flow activity progress",
                ["failure", "User entered too many invalid SMS verification codes and is blocked for 24 hours"],
                name,
                ip,
                &corr,
            ),
            sspr(
                &format!("{tag}-blocked"),
                time + 1,
                "Blocked from self-service password reset",
                ["failure", "User throttle for attempting challenge: UserSMSOtp too many times."],
                name,
                ip,
                &corr,
            ),
        ]
    }

    /// A completed self-service reset of `name` from `ip`.
    fn reset(id: &str, time: i64, name: &str, ip: &str) -> Audit {
        sspr(
            id,
            time,
            "Reset password (self-service)",
            ["success", "Successfully completed reset."],
            name,
            ip,
            &format!("corr-{id}"),
        )
    }

    fn ent003(audits: Vec<Audit>, sign_ins: Vec<SignIn>) -> Vec<Finding> {
        World::new(audits, sign_ins).run(&DETECTION, &[])
    }

    #[test]
    fn one_block_is_medium_with_both_rows_and_earlier_attempts() {
        let mut audits = vec![sspr(
            "start",
            10 * HOUR - 5 * MIN,
            "Self-service password reset flow activity progress",
            ["success", "User started the mobile SMS verification option"],
            "user03",
            "198.51.100.23",
            "corr-start",
        )];
        audits.extend(block("b", 10 * HOUR, "user03", "198.51.100.23"));
        let sign_ins = vec![sign_in("s", "user03", "198.51.100.23", 9 * HOUR, 0)];
        let found = ent003(audits, sign_ins);
        assert_eq!(severities(&found), [Severity::Medium]);
        assert_eq!(
            evidence(&found[0]),
            [
                ("start", "context"),
                ("b-progress", "trigger"),
                ("b-blocked", "trigger")
            ]
        );
        assert_eq!(found[0].subject_user_id.as_deref(), Some("id-user03"));
        assert_eq!(found[0].subject_ip.as_deref(), Some("198.51.100.23"));
        assert!(
            found[0].summary.contains("challenge method UserSMSOtp"),
            "{}",
            found[0].summary
        );
    }

    #[test]
    fn failed_codes_without_a_block_and_other_services_do_not_fire() {
        // Near miss: four wrong codes are logged as progress, not as a block.
        let mut audits: Vec<Audit> = (0..4)
            .map(|k| {
                sspr(
                    &format!("try-{k}"),
                    k * MIN,
                    "Self-service password reset flow activity progress",
                    ["failure", "User entered an invalid SMS verification code"],
                    "user03",
                    "198.51.100.23",
                    "corr-t",
                )
            })
            .collect();
        // Look-alike: a throttled Graph call in another service.
        let mut throttled = audit("graph", 2 * HOUR, "Update user", "user05", "203.0.113.9");
        throttled.result = Some("failure".into());
        throttled.result_reason = Some("Too many requests; blocked for 24 hours".into());
        throttled.targets = vec![user_target("user05")];
        audits.push(throttled);
        assert!(ent003(audits, Vec::new()).is_empty());
    }

    #[test]
    fn blocks_on_two_days_are_high_and_one_day_stays_medium() {
        let mut audits = block("d1", 10 * HOUR, "user03", "198.51.100.23");
        audits.extend(block("d1b", 12 * HOUR, "user03", "198.51.100.23"));
        let same_day = ent003(audits.clone(), Vec::new());
        assert_eq!(severities(&same_day), [Severity::Medium, Severity::Medium]);
        audits.extend(block("d2", DAY + 10 * HOUR, "user03", "198.51.100.23"));
        let found = ent003(audits, Vec::new());
        assert_eq!(severities(&found), [Severity::High; 3]);
        assert!(
            found[0].summary.contains("blocks on several days"),
            "{}",
            found[0].summary
        );
    }

    #[test]
    fn a_reset_from_an_unseen_ip_within_a_day_is_high() {
        let sign_ins = vec![sign_in("s", "user03", "198.51.100.23", 0, 0)];
        let mut audits = block("b", 10 * HOUR, "user03", "198.51.100.23");
        audits.push(reset("r", 20 * HOUR, "user03", "203.0.113.66"));
        let found = ent003(audits.clone(), sign_ins.clone());
        assert_eq!(severities(&found), [Severity::High]);
        assert!(
            found[0].summary.contains("never signed in from"),
            "{}",
            found[0].summary
        );

        // Benign: the reset comes from the user's own network.
        let mut own = block("b", 10 * HOUR, "user03", "198.51.100.23");
        own.push(reset("r", 20 * HOUR, "user03", "198.51.100.23"));
        assert_eq!(
            severities(&ent003(own, sign_ins.clone())),
            [Severity::Medium]
        );

        // Near miss: the foreign reset is more than 24 h after the block.
        audits[2] = reset("r", 10 * HOUR + DAY + MIN, "user03", "203.0.113.66");
        assert_eq!(severities(&ent003(audits, sign_ins)), [Severity::Medium]);
    }

    #[test]
    fn a_block_from_a_brute_force_ip_is_high_unless_the_user_signs_in_there() {
        // Passwords are guessed from an IP that also trips user03's SSPR block.
        let attacker = "203.0.113.50";
        let mut sign_ins = guessed("user07", attacker, attacker, 0, 6);
        let audits = block("b", 2 * HOUR, "user03", attacker);
        let world = World::new(audits.clone(), sign_ins.clone());
        let found = world.run_chain(&["ENT-001", "ENT-003"]);
        assert_eq!(of(&found, "ENT-001").len(), 1);
        let sspr = of(&found, "ENT-003");
        assert_eq!(
            sspr.iter().map(|f| f.severity).collect::<Vec<_>>(),
            [Severity::High]
        );
        assert!(
            sspr[0].summary.contains("brute-force findings"),
            "{}",
            sspr[0].summary
        );

        // Benign: the IP is user03's own egress too (shared office line).
        sign_ins.push(sign_in("own", "user03", attacker, HOUR, 0));
        let found = World::new(audits, sign_ins).run_chain(&["ENT-001", "ENT-003"]);
        assert_eq!(
            of(&found, "ENT-003")
                .iter()
                .map(|f| f.severity)
                .collect::<Vec<_>>(),
            [Severity::Medium]
        );
    }

    #[test]
    fn challenge_method_comes_from_the_reason() {
        assert_eq!(
            challenge_method("User throttle for attempting challenge: UserSMSOtp too many times."),
            Some("UserSMSOtp".into())
        );
        assert_eq!(challenge_method("blocked for 24 hours"), None);
    }
}
