//! ENT-022 Risky user state.
//!
//! **What it finds.** Every risky user in the export. `atRisk` and
//! `confirmedCompromised` users are findings with their detections and the
//! sign-ins those link to; `remediated` and `dismissed` users are info
//! findings that record how the risk was closed (`riskDetail`).
//!
//! **Why it matters.** The riskyUsers list is Identity Protection's verdict
//! per user. It is a snapshot at export time, not history: the state at
//! `riskLastUpdatedDateTime`.
//!
//! **Evidence.** The risky user (trigger), the user's risk detections and
//! their linked sign-ins (context).
//!
//! **Thresholds.** None. Severity: `confirmedCompromised` high; `atRisk` by
//! risk level (low, medium, high; hidden or none: low); others info.
//!
//! **False positives.** Stale `atRisk` states nobody triaged; the linked
//! detections show whether they matter.
//!
//! **References.** docs/research/detections.md ENT-022; docs/research/graph.md §1.3 (riskyUser).

use super::config::Params;
use super::context::{user_key, Context};
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{Availability, Escalation, Rule, Scope};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-022",
    escalation: Escalation::None,
    reads_findings: false,
    scope: Scope::User,
    name: "Risky user state",
    severities: "info–high",
    mitre: &["T1078.004"],
    finds: "Users Identity Protection holds at risk or compromised, with their detections; closed risk as info",
    params: &[],
    requires: |ctx| {
        if ctx.tables.risky_users.is_empty() {
            Availability::Skipped("no riskyUsers in the evidence".into())
        } else {
            Availability::Ready
        }
    },
    run,
};

fn run(ctx: &Context<'_>, _: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let t = ctx.tables;
    for r in ctx.risky_user_indexes() {
        let ru = &t.risky_users[r];
        let Some(user) = user_key(ctx.users.risky_users[r].as_ref(), ru.upn.as_deref()) else {
            continue;
        };
        let state = ru.risk_state.as_deref().unwrap_or("unknown");
        let severity = match (state, ru.risk_level.as_deref()) {
            ("confirmedCompromised", _) => Severity::High,
            ("atRisk", Some("high")) => Severity::High,
            ("atRisk", Some("medium")) => Severity::Medium,
            ("atRisk", _) => Severity::Low,
            _ => Severity::Info,
        };
        let detections: Vec<usize> = (0..t.detections.len())
            .filter(|&d| ctx.detection_user(d).as_deref() == Some(user.as_str()))
            .collect();
        let mut f = ctx.finding(&DETECTION, severity, Some(&user));
        f.summary = format!(
            "risky user: {state} ({}){}; {} risk detection(s) in the evidence",
            ru.risk_level.as_deref().unwrap_or("level not given"),
            ru.risk_detail
                .as_deref()
                .filter(|d| *d != "none")
                .map(|d| format!(", {d}"))
                .unwrap_or_default(),
            detections.len()
        );
        f.evidence.push(ctx.risky_user(r, EvidenceRole::Trigger));
        for &d in &detections {
            f.evidence.push(ctx.detection(d, EvidenceRole::Context));
            for &s in &ctx.links.detection_sign_ins[d].0 {
                f.evidence.push(ctx.sign_in(s, EvidenceRole::Context));
            }
        }
        out.push(f);
    }
}
