//! ENT-001 Credential failures followed by success.
//!
//! **What it finds.** A successful sign-in preceded, within a window and since
//! the user's previous success, by credential failures (wrong password,
//! lockout, no password, validation failed).
//!
//! **Why it matters.** Guessing that ends in a success is the moment an
//! attacker may have got in. Two typos from the user's own browser are
//! usually the user; many failures, or failures from somewhere else, are not.
//!
//! **Evidence.** Every failure (trigger) and the success (trigger); the summary
//! gives the failure count by error code and whether IP and client match.
//!
//! **Thresholds.** `window_min` 30, `min_failures` 2; medium from
//! `medium_failures` 5 or when any failure came from another IP, country or
//! client than the success; high from `high_failures` 10 or when the success
//! IP also failed against `spray_users` 3 other users (a sprayed success).
//!
//! **False positives.** A user who forgot a changed password and retried from
//! the same browser (low); shared-kiosk IPs raise the spray count.
//!
//! **References.** docs/research/detections.md ENT-001; Sentinel "Brute force attack
//! against Azure Portal" (failures before a success); Sigma correlation
//! example (failures then success).

use std::collections::{BTreeMap, BTreeSet};

use super::codes::SUCCESS;
use super::config::{Param, Params};
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_sign_ins, Escalation, Rule, Scope};
use entrace_case::actions;

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-001",
    escalation: Escalation::RaisedByPersistence,
    reads_findings: false,
    scope: Scope::User,
    name: "Credential failures followed by success",
    severities: "low–high",
    mitre: &["T1110.001", "T1078.004"],
    finds: "A success preceded by credential failures for the same user within the window",
    params: &[
        Param { key: "window_min", default: 30.0, doc: "Failures counted this many minutes before the success (and since the previous success)" },
        Param { key: "min_failures", default: 2.0, doc: "Fewest failures that make a finding" },
        Param { key: "medium_failures", default: 5.0, doc: "Failures that make it medium" },
        Param { key: "high_failures", default: 10.0, doc: "Failures that make it high" },
        Param { key: "spray_users", default: 3.0, doc: "Other users failing from the success IP (±24 h) that make it high" },
    ],
    requires: needs_sign_ins,
    run,
};

const DAY_NS: i64 = 24 * 3600 * 1_000_000_000;

fn run(ctx: &Context<'_>, p: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let window = p.minutes("window_min");
    let t = &ctx.tables.sign_ins;
    // Per IP: (time, user) of credential failures, for the sprayed-success check.
    let failures_by_ip = &ctx.tenant().failures_by_ip;
    for (user, list) in &ctx.sign_ins_by_user {
        let mut since_success: Vec<usize> = Vec::new();
        for &i in list {
            let s = &t[i];
            if ctx.vocabulary.is_credential_failure(s.error_code) {
                since_success.push(i);
                continue;
            }
            if s.error_code != Some(SUCCESS) {
                continue;
            }
            let failures: Vec<usize> = since_success
                .drain(..)
                .filter(|&f| s.time - t[f].time <= window)
                .collect();
            if failures.len() < p.count("min_failures") {
                continue;
            }
            let client = actions::client(s);
            let elsewhere = failures.iter().any(|&f| {
                let x = &t[f];
                x.ip != s.ip || x.country != s.country || actions::client(x) != client
            });
            let sprayed_users: BTreeSet<&str> =
                s.ip.as_deref()
                    .and_then(|ip| failures_by_ip.get(ip))
                    .into_iter()
                    .flatten()
                    .filter(|(time, u)| u != user && (time - s.time).abs() <= DAY_NS)
                    .map(|(_, u)| u.as_str())
                    .collect();
            let n = failures.len();
            let severity =
                if n >= p.count("high_failures") || sprayed_users.len() >= p.count("spray_users") {
                    Severity::High
                } else if n >= p.count("medium_failures") || elsewhere {
                    Severity::Medium
                } else {
                    Severity::Low
                };
            let mut codes: BTreeMap<i32, usize> = BTreeMap::new();
            for &f in &failures {
                *codes
                    .entry(t[f].error_code.unwrap_or_default())
                    .or_default() += 1;
            }
            let codes: Vec<String> = codes.iter().map(|(c, k)| format!("{c} ×{k}")).collect();
            let secs = (s.time - t[failures[0]].time) as f64 / 1e9;
            let mut summary = format!(
                "{n} failed sign-ins ({}) in {secs:.0} s, then a success from {} ({})",
                codes.join(", "),
                s.ip.as_deref().unwrap_or("an unknown IP"),
                if elsewhere {
                    "failures came from another IP, country or client"
                } else {
                    "same IP and client as the failures"
                }
            );
            if !sprayed_users.is_empty() {
                summary.push_str(&format!(
                    "; that IP also failed against {} other user(s) within 24 h",
                    sprayed_users.len()
                ));
            }
            let mut f = ctx.finding(&DETECTION, severity, Some(user));
            f.subject_ip = s.ip.clone();
            f.summary = summary;
            f.evidence = failures
                .iter()
                .map(|&x| ctx.sign_in(x, EvidenceRole::Trigger))
                .collect();
            f.evidence.push(ctx.sign_in(i, EvidenceRole::Trigger));
            out.push(f);
        }
    }
}
