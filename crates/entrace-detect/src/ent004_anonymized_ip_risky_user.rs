//! ENT-004 Anonymized-IP sign-in, user became risky.
//!
//! **What it finds.** The chain of the Tor seed: (a) sign-ins flagged
//! `anonymizedIPAddress` (or linked to such a risk detection), (b) the risk
//! detections themselves, joined by requestId, else correlationId, else user
//! and IP within ±5 minutes, and (c) a risky user in `atRisk` or
//! `confirmedCompromised` updated at or after the detection. One finding per user.
//!
//! **Why it matters.** A sign-in from Tor that reaches a post-password block
//! (530035, 53003, an MFA interrupt) means the attacker very likely holds the
//! password, even though the sign-in was stopped.
//!
//! **Evidence.** Earlier failures of the user from the same IPs (context), the
//! anonymised sign-ins (trigger), the detections (trigger), the risky user
//! (trigger); MITRE ids from the detections' `additionalInfo`.
//!
//! **Thresholds.** None beyond the ±5 minute join. Severity high if any
//! anonymised sign-in succeeded; medium if one was blocked or interrupted
//! after the password (the vocabulary's password_validated codes, 530035, 53003) and (c) holds; low
//! otherwise (failures only, or no risky user).
//!
//! **False positives.** Users of privacy VPNs flagged as anonymisers (check the
//! IP's ASN and the user's history).
//!
//! **References.** docs/research/detections.md ENT-004 and appendix §4.6; seed article 000
//! (Tor sign-in blocked by security defaults).

use std::collections::{BTreeMap, BTreeSet};

use super::codes::SUCCESS;
use super::config::Params;
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_sign_ins, Escalation, Rule, Scope};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-004",
    escalation: Escalation::RaisedByPersistence,
    reads_findings: false,
    scope: Scope::User,
    name: "Anonymized-IP sign-in, user became risky",
    severities: "low–high",
    mitre: &["T1090.003", "T1078.004"],
    finds: "Sign-ins from anonymizers with their risk detections and the user turning risky",
    params: &[],
    requires: needs_sign_ins,
    run,
};

const ANON: &str = "anonymizedIPAddress";

fn run(ctx: &Context<'_>, _: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let t = ctx.tables;
    // Per user: anonymised sign-ins and detections.
    let mut chains: BTreeMap<String, (BTreeSet<usize>, BTreeSet<usize>)> = BTreeMap::new();
    for i in ctx.sign_in_indexes() {
        let s = &t.sign_ins[i];
        if s.risk_event_types.iter().any(|e| e == ANON) {
            if let Some(u) = ctx.sign_in_user(i) {
                chains.entry(u.to_owned()).or_default().0.insert(i);
            }
        }
    }
    let mut basis = BTreeMap::new();
    for d in ctx.detection_indexes() {
        let det = &t.detections[d];
        if det.event_type.as_deref() != Some(ANON) {
            continue;
        }
        let Some(u) = ctx.detection_user(d) else {
            continue;
        };
        let entry = chains.entry(u.clone()).or_default();
        entry.1.insert(d);
        let (linked, b) = &ctx.links.detection_sign_ins[d];
        entry.0.extend(linked.iter().copied());
        if let Some(b) = b {
            basis.entry(u).or_insert(b.as_str());
        }
    }
    for (user, (sign_ins, detections)) in chains {
        let earliest_detection = detections.iter().map(|&d| t.detections[d].time).min();
        let risky: Vec<usize> = ctx
            .risky_users_of(&user)
            .into_iter()
            .filter(|&r| {
                let ru = &t.risky_users[r];
                matches!(
                    ru.risk_state.as_deref(),
                    Some("atRisk" | "confirmedCompromised")
                ) && earliest_detection.is_none_or(|d| ru.time >= d)
            })
            .collect();
        let codes: Vec<Option<i32>> = sign_ins.iter().map(|&i| t.sign_ins[i].error_code).collect();
        let succeeded = codes.contains(&Some(SUCCESS));
        let validated = codes
            .iter()
            .any(|&c| ctx.vocabulary.is_password_validated(c));
        let severity = if succeeded {
            Severity::High
        } else if validated && !risky.is_empty() {
            Severity::Medium
        } else {
            Severity::Low
        };
        let ips: BTreeSet<&str> = sign_ins
            .iter()
            .filter_map(|&i| t.sign_ins[i].ip.as_deref())
            .chain(
                detections
                    .iter()
                    .filter_map(|&d| t.detections[d].ip.as_deref()),
            )
            .collect();
        let first_anon = sign_ins.iter().map(|&i| t.sign_ins[i].time).min();
        let earlier_failures: Vec<usize> = ctx
            .sign_ins_by_user
            .get(&user)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| {
                let s = &t.sign_ins[i];
                !sign_ins.contains(&i)
                    && first_anon.is_some_and(|f| s.time < f)
                    && s.ip.as_deref().is_some_and(|ip| ips.contains(ip))
                    && s.error_code != Some(SUCCESS)
            })
            .collect();
        let mut mitre: Vec<String> = DETECTION.mitre.iter().map(|m| m.to_string()).collect();
        for &d in &detections {
            for m in &t.detections[d].mitre {
                if !mitre.contains(m) {
                    mitre.push(m.clone());
                }
            }
        }
        let outcome: Vec<String> = codes
            .iter()
            .map(|c| c.map_or("?".into(), |c| c.to_string()))
            .collect();
        let mut f = ctx.finding(&DETECTION, severity, Some(&user));
        f.mitre = mitre;
        f.subject_ip = ips.iter().next().map(|s| s.to_string());
        f.join_basis = basis.get(&user).map(|b| b.to_string());
        f.summary = format!(
            "{} sign-in(s) from anonymizing IP {} (error codes {}), {} earlier failure(s) from the same IP, {} anonymizedIPAddress detection(s){}",
            sign_ins.len(),
            ips.iter().copied().collect::<Vec<_>>().join(", "),
            outcome.join(", "),
            earlier_failures.len(),
            detections.len(),
            match risky.first() {
                Some(&r) => format!(
                    "; the user became risky ({}, {})",
                    t.risky_users[r].risk_state.as_deref().unwrap_or("?"),
                    t.risky_users[r].risk_level.as_deref().unwrap_or("?")
                ),
                None => String::new(),
            }
        );
        f.evidence = ctx.sign_ins(&earlier_failures, EvidenceRole::Context);
        f.evidence.extend(
            sign_ins
                .iter()
                .map(|&i| ctx.sign_in(i, EvidenceRole::Trigger)),
        );
        f.evidence.extend(
            detections
                .iter()
                .map(|&d| ctx.detection(d, EvidenceRole::Trigger)),
        );
        f.evidence.extend(
            risky
                .iter()
                .map(|&r| ctx.risky_user(r, EvidenceRole::Trigger)),
        );
        out.push(f);
    }
}
