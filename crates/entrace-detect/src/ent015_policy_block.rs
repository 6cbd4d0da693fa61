//! ENT-015 Blocked by Conditional Access or security defaults (context).
//!
//! **What it finds.** Sign-ins blocked by Conditional Access (53000–53004),
//! a tenant security policy (530032), a risky partner tenant (530034) or
//! security defaults (530035); one finding per user and IP.
//!
//! **Why it matters.** A policy block usually comes after the password was
//! checked, so it often marks an attacker with a valid password who was
//! stopped; it is context for ENT-004, ENT-005 and the timeline.
//!
//! **Evidence.** The blocked sign-ins (trigger); the summary names the
//! failing Conditional Access policies where the export records them.
//!
//! **Thresholds.** None. Always low on its own.
//!
//! **False positives.** Users on unmanaged devices hitting device-compliance
//! policies; that is why it stays low.
//!
//! **References.** docs/research/detections.md ENT-015; AADSTS reference (53003, 530035).

use std::collections::{BTreeMap, BTreeSet};

use super::config::Params;
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_sign_ins, Escalation, Rule, Scope};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-015",
    escalation: Escalation::None,
    reads_findings: false,
    scope: Scope::User,
    name: "Blocked by Conditional Access or security defaults",
    severities: "low",
    mitre: &["T1078.004"],
    finds: "Sign-ins blocked by Conditional Access, a security policy or security defaults, per user and IP",
    params: &[],
    requires: needs_sign_ins,
    run,
};

fn run(ctx: &Context<'_>, _: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let t = &ctx.tables.sign_ins;
    let mut groups: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (user, list) in &ctx.sign_ins_by_user {
        for &i in list {
            if ctx.vocabulary.is_policy_block(t[i].error_code) {
                groups
                    .entry((user, t[i].ip.as_deref().unwrap_or("")))
                    .or_default()
                    .push(i);
            }
        }
    }
    for ((user, ip), rows) in groups {
        let codes: BTreeSet<i32> = rows.iter().filter_map(|&i| t[i].error_code).collect();
        let policies: BTreeSet<&str> = rows
            .iter()
            .flat_map(|&i| t[i].ca_policies_failed.iter().map(String::as_str))
            .collect();
        let mut f = ctx.finding(&DETECTION, Severity::Low, Some(user));
        f.subject_ip = Some(ip.to_owned()).filter(|i| !i.is_empty());
        f.summary = format!(
            "{} sign-in(s) from {} blocked by policy (error codes {}){}",
            rows.len(),
            if ip.is_empty() {
                "an unrecorded IP"
            } else {
                ip
            },
            codes
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if policies.is_empty() {
                String::new()
            } else {
                format!(
                    "; failing policies: {}",
                    policies.into_iter().collect::<Vec<_>>().join(", ")
                )
            }
        );
        f.evidence = ctx.sign_ins(&rows, EvidenceRole::Trigger);
        out.push(f);
    }
}
