//! ENT-011 Identity Protection detection.
//!
//! **What it finds.** Every risk detection in the export (deduplicated by id
//! in stage 1, newest `lastUpdatedDateTime` kept), titled from Microsoft's
//! catalogue of `riskEventType` values, with its linked sign-in.
//!
//! **Why it matters.** Identity Protection sees signals entrace cannot
//! (threat intelligence, token anomalies, leaked-credential feeds); each one
//! is a lead.
//!
//! **Evidence.** The detection (trigger) and the sign-ins it links to by
//! requestId, correlationId or user + IP ±5 min (context; `join_basis` says
//! which).
//!
//! **Thresholds.** None. Severity from `riskLevel` (hidden or none: low);
//! high for `attackerinTheMiddle`, `nationStateIP`,
//! `adminConfirmedUserCompromised`, and `leakedCredentials` still at risk.
//! Closed risk is lowered: `remediated` one step, `dismissed` and
//! `confirmedSafe` to info. entrace's choice: a dismissal is an analyst's
//! verdict, so it stays visible but no longer ranks as a lead.
//!
//! **False positives.** `unfamiliarFeatures` for travelling users, noisy
//! `anomalousToken` at low and medium (Microsoft's own guidance).
//!
//! **References.** docs/research/detections.md ENT-011; docs/research/graph.md §4.2; Microsoft Learn risk
//! detection catalogue.

use super::config::Params;
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_risk_detections, Escalation, Rule, Scope};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-011",
    escalation: Escalation::None,
    reads_findings: false,
    scope: Scope::User,
    name: "Identity Protection detection",
    severities: "info–high",
    mitre: &[],
    finds: "Each Identity Protection risk detection, titled, with its linked sign-in",
    params: &[],
    requires: needs_risk_detections,
    run,
};

fn run(ctx: &Context<'_>, _: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    for d in ctx.detection_indexes() {
        let det = &ctx.tables.detections[d];
        let event = det.event_type.as_deref().unwrap_or("unknown");
        let known = ctx
            .vocabulary
            .risk_event_types
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(event))
            .map(|(_, k)| k);
        let title = known.map_or("Unlisted risk type", |k| k.title.as_str());
        let state = det.risk_state.as_deref().unwrap_or("unknown");
        let by_level = match det.risk_level.as_deref() {
            Some("high") => Severity::High,
            Some("medium") => Severity::Medium,
            _ => Severity::Low,
        };
        let always_high = matches!(
            event,
            "attackerinTheMiddle" | "nationStateIP" | "adminConfirmedUserCompromised"
        ) || (event == "leakedCredentials" && state == "atRisk");
        let open = if always_high {
            Severity::High
        } else {
            by_level
        };
        let severity = match state {
            "dismissed" | "confirmedSafe" => Severity::Info,
            "remediated" => match open {
                Severity::High => Severity::Medium,
                Severity::Medium => Severity::Low,
                _ => Severity::Info,
            },
            _ => open,
        };
        let key = ctx.detection_user(d);
        let mut f = ctx.finding(&DETECTION, severity, key.as_deref());
        f.mitre = if det.mitre.is_empty() {
            known.map(|k| k.mitre.clone()).unwrap_or_default()
        } else {
            det.mitre.clone()
        };
        f.subject_ip = det.ip.clone();
        let (sign_ins, basis) = &ctx.links.detection_sign_ins[d];
        f.join_basis = basis.map(|b| b.as_str().to_owned());
        f.summary = format!(
            "{title} ({event}), {} risk, state {state}{}; {}",
            det.risk_level.as_deref().unwrap_or("unknown"),
            det.timing
                .as_deref()
                .map(|t| format!(", {t}"))
                .unwrap_or_default(),
            match (sign_ins.len(), basis) {
                (0, _) => "no linked sign-in in the evidence".to_string(),
                (n, Some(b)) => format!("{n} linked sign-in(s) by {}", b.as_str()),
                (n, None) => format!("{n} linked sign-in(s)"),
            }
        );
        f.evidence.push(ctx.detection(d, EvidenceRole::Trigger));
        f.evidence.extend(
            sign_ins
                .iter()
                .map(|&s| ctx.sign_in(s, EvidenceRole::Context)),
        );
        out.push(f);
    }
}
