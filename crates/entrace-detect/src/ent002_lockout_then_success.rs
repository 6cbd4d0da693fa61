//! ENT-002 Smart lockout then success from another client.
//!
//! **What it finds.** A user locked out by Smart Lockout (50053, not the
//! "malicious IP" variant) who then signs in successfully within the window
//! from a client that differs from the locked one in IP, browser, operating
//! system, user agent, client app or application.
//!
//! **Why it matters.** A lockout means many distinct wrong passwords: guessing,
//! not a stale saved password. Smart Lockout keeps separate counters for
//! familiar and unfamiliar locations, so the real user can still sign in, and
//! the question is who succeeded. A success from an IP never used before the
//! attack is the attacker's.
//!
//! **Evidence.** The failures before the lockout (context), every lockout row
//! (trigger), the success (trigger); the summary names the fields that differ
//! and compares the failures before the first lockout with the tenant's
//! lockout threshold.
//!
//! **Thresholds.** `window_min` 60 between the last lockout and the success;
//! `lockout_threshold` 10 (Microsoft's default; the seed tenant used 5) is
//! only reported, never used to filter, because lockout state syncs late.
//! Severity high when the success IP is none of the lockout IPs and the user
//! had not used it before the first failure in the evidence; medium otherwise.
//!
//! **False positives.** The real user signing in from a second device after an
//! attacker locked the account (medium, by design: confirm with the user).
//!
//! **References.** docs/research/detections.md ENT-002 and appendix §4.1; Microsoft Learn,
//! "Protect user accounts from attacks with Microsoft Entra smart lockout".

use super::codes::SUCCESS;
use super::config::{Param, Params};
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_sign_ins, Escalation, Rule, Scope};
use entrace_case::records::SignIn;

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-002",
    escalation: Escalation::RaisedByPersistence,
    reads_findings: false,
    scope: Scope::User,
    name: "Smart lockout then success from another client",
    severities: "medium–high",
    mitre: &["T1110.001", "T1078.004"],
    finds: "A Smart Lockout (50053) followed by a success from a different IP, browser, OS, user agent, client app or application",
    params: &[
        Param { key: "window_min", default: 60.0, doc: "Minutes from the last lockout to the success" },
        Param { key: "lockout_threshold", default: 10.0, doc: "Tenant lockout threshold, reported against the failures seen (not a filter)" },
    ],
    requires: needs_sign_ins,
    run,
};

fn is_lockout(s: &SignIn) -> bool {
    s.error_code == Some(50053)
        && !s
            .failure_reason
            .as_deref()
            .is_some_and(|r| r.to_ascii_lowercase().contains("malicious"))
}

/// Names of the client fields that differ between the lockout and the success.
fn differences(locked: &SignIn, success: &SignIn) -> Vec<&'static str> {
    let fields: [(&str, &Option<String>, &Option<String>); 6] = [
        ("IP", &locked.ip, &success.ip),
        ("browser", &locked.browser, &success.browser),
        ("operating system", &locked.os, &success.os),
        ("user agent", &locked.user_agent, &success.user_agent),
        (
            "client app",
            &locked.client_app_used,
            &success.client_app_used,
        ),
        ("application", &locked.app_id, &success.app_id),
    ];
    fields
        .into_iter()
        .filter(|(_, a, b)| a != b)
        .map(|(name, _, _)| name)
        .collect()
}

fn run(ctx: &Context<'_>, p: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let window = p.minutes("window_min");
    let t = &ctx.tables.sign_ins;
    for (user, list) in &ctx.sign_ins_by_user {
        let mut pending: Vec<usize> = Vec::new();
        for (pos, &i) in list.iter().enumerate() {
            let s = &t[i];
            if ctx.vocabulary.is_credential_failure(s.error_code) {
                pending.push(i);
                continue;
            }
            if s.error_code != Some(SUCCESS) {
                continue;
            }
            let attempts = std::mem::take(&mut pending);
            let locks: Vec<usize> = attempts
                .iter()
                .copied()
                .filter(|&x| is_lockout(&t[x]))
                .collect();
            let Some(&last_lock) = locks.last() else {
                continue;
            };
            if s.time - t[last_lock].time > window {
                continue;
            }
            let diff = differences(&t[last_lock], s);
            if diff.is_empty() {
                continue;
            }
            let first_lock_time = t[locks[0]].time;
            let before_first: Vec<usize> = attempts
                .iter()
                .copied()
                .filter(|&x| t[x].time < first_lock_time)
                .collect();
            let first_failure_time = attempts.iter().map(|&x| t[x].time).min().unwrap_or(s.time);
            let known_before = list[..pos]
                .iter()
                .any(|&x| t[x].time < first_failure_time && t[x].ip == s.ip);
            let new_ip = !locks.iter().any(|&x| t[x].ip == s.ip) && !known_before;
            let severity = if new_ip {
                Severity::High
            } else {
                Severity::Medium
            };
            let mut f = ctx.finding(&DETECTION, severity, Some(user));
            f.subject_ip = s.ip.clone();
            f.summary = format!(
                "{} failures then {} lockout rows (50053); {} failures came before the first lockout (tenant threshold {}); success {:.0} s after the last lockout with a different {}{}",
                attempts.len(),
                locks.len(),
                before_first.len(),
                p.count("lockout_threshold"),
                (s.time - t[last_lock].time) as f64 / 1e9,
                diff.join(", "),
                if new_ip { " from an IP not used before the attack" } else { "" }
            );
            f.evidence = attempts
                .iter()
                .map(|&x| {
                    let role = if is_lockout(&t[x]) {
                        EvidenceRole::Trigger
                    } else {
                        EvidenceRole::Context
                    };
                    ctx.sign_in(x, role)
                })
                .collect();
            f.evidence.push(ctx.sign_in(i, EvidenceRole::Trigger));
            out.push(f);
        }
    }
}
