//! ENT-010 Sign-in from anonymizing infrastructure.
//!
//! **What it finds.** Sign-ins flagged `anonymizedIPAddress`, `riskyIPAddress`
//! or `nationStateIP` (in `riskEventTypes_v2` or `riskEventTypes`), and risk
//! detections of those types; one finding per user and IP.
//!
//! **Why it matters.** Tor, anonymous VPNs and known threat-actor
//! infrastructure are how attackers hide their origin; a legitimate user
//! rarely signs in through them.
//!
//! **Evidence.** The flagged sign-ins and detections (trigger) and the user's
//! other sign-ins from the same IP (context).
//!
//! **Thresholds.** None. Severity by outcome: high when a sign-in from the IP
//! succeeded, medium when the password was validated (blocked or interrupted
//! after it, e.g. 530035), low for failures only or a detection without a
//! sign-in in the evidence.
//!
//! **False positives.** Privacy-minded users on commercial VPNs; corporate
//! egress misclassified by geo-IP feeds.
//!
//! **References.** docs/research/detections.md ENT-010; docs/research/graph.md §4.2 (riskEventType values).

use std::collections::{BTreeMap, BTreeSet};

use super::codes::SUCCESS;
use super::config::Params;
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_sign_ins, Escalation, Rule, Scope};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-010",
    escalation: Escalation::RaisedByPersistence,
    reads_findings: false,
    scope: Scope::User,
    name: "Sign-in from anonymizing infrastructure",
    severities: "low–high",
    mitre: &["T1090.003", "T1078.004"],
    finds: "Sign-ins or detections flagged anonymizedIPAddress, riskyIPAddress or nationStateIP, per user and IP",
    params: &[],
    requires: needs_sign_ins,
    run,
};

fn run(ctx: &Context<'_>, _: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let t = ctx.tables;
    let mut groups: BTreeMap<(String, String), (BTreeSet<usize>, BTreeSet<usize>)> =
        BTreeMap::new();
    for i in ctx.sign_in_indexes() {
        let s = &t.sign_ins[i];
        if s.risk_event_types
            .iter()
            .any(|e| ctx.vocabulary.is_anonymizing(e))
        {
            if let Some(u) = ctx.sign_in_user(i) {
                let ip = s.ip.clone().unwrap_or_default();
                groups.entry((u.to_owned(), ip)).or_default().0.insert(i);
            }
        }
    }
    for d in ctx.detection_indexes() {
        let det = &t.detections[d];
        if !det
            .event_type
            .as_deref()
            .is_some_and(|e| ctx.vocabulary.is_anonymizing(e))
        {
            continue;
        }
        let Some(u) = ctx.detection_user(d) else {
            continue;
        };
        let ip = det.ip.clone().unwrap_or_default();
        groups.entry((u, ip)).or_default().1.insert(d);
    }
    for ((user, ip), (flagged, detections)) in groups {
        let same_ip: Vec<usize> = ctx
            .sign_ins_by_user
            .get(&user)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| !ip.is_empty() && t.sign_ins[i].ip.as_deref() == Some(ip.as_str()))
            .collect();
        let codes: Vec<Option<i32>> = same_ip.iter().map(|&i| t.sign_ins[i].error_code).collect();
        let severity = if codes.contains(&Some(SUCCESS)) {
            Severity::High
        } else if codes
            .iter()
            .any(|&c| ctx.vocabulary.is_password_validated(c))
        {
            Severity::Medium
        } else {
            Severity::Low
        };
        let types: BTreeSet<&str> = flagged
            .iter()
            .flat_map(|&i| t.sign_ins[i].risk_event_types.iter().map(String::as_str))
            .filter(|e| ctx.vocabulary.is_anonymizing(e))
            .chain(
                detections
                    .iter()
                    .filter_map(|&d| t.detections[d].event_type.as_deref()),
            )
            .collect();
        let mut f = ctx.finding(&DETECTION, severity, Some(&user));
        f.subject_ip = Some(ip.clone()).filter(|i| !i.is_empty());
        f.summary = format!(
            "{} sign-in(s) from {} ({} flagged {}, {} succeeded), {} risk detection(s)",
            same_ip.len(),
            if ip.is_empty() {
                "an unrecorded IP"
            } else {
                ip.as_str()
            },
            flagged.len(),
            types.into_iter().collect::<Vec<_>>().join(", "),
            codes.iter().filter(|&&c| c == Some(SUCCESS)).count(),
            detections.len()
        );
        f.evidence = same_ip
            .iter()
            .map(|&i| {
                let role = if flagged.contains(&i) {
                    EvidenceRole::Trigger
                } else {
                    EvidenceRole::Context
                };
                ctx.sign_in(i, role)
            })
            .collect();
        f.evidence.extend(
            detections
                .iter()
                .map(|&d| ctx.detection(d, EvidenceRole::Trigger)),
        );
        out.push(f);
    }
}
