//! ENT-008 MFA fatigue / push denial.
//!
//! **What it finds.** MFA denials (500121: declined, not answered, fraud
//! reported) against one user, and risk detections of type
//! `userReportedSuspiciousActivity`.
//!
//! **Why it matters.** An attacker with the password floods the user with
//! push prompts until one is accepted; a denial proves the password is known.
//!
//! **Evidence.** The denials (trigger), a success after them (trigger), the
//! user-reported detections (trigger).
//!
//! **Thresholds.** medium: `denials` 3 within `window_min` 10; high: any fraud
//! report (text "fraud" or a `userReportedSuspiciousActivity` detection), or a
//! success within `followup_min` 60 after such a burst (Sentinel S7 shape
//! with a lower count, for forensic recall). Fewer denials: low (a single
//! explicit deny is worth recording, per Sentinel S5/S6).
//!
//! **False positives.** A user who dismisses a prompt they did not expect
//! from their own second device.
//!
//! **References.** docs/research/detections.md ENT-008 and appendix §4.4.

use std::collections::BTreeMap;

use super::codes::{MFA_DENY, SUCCESS};
use super::config::{Param, Params};
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_sign_ins, Escalation, Rule, Scope};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-008",
    escalation: Escalation::RaisedByPersistence,
    reads_findings: false,
    scope: Scope::User,
    name: "MFA fatigue or push denial",
    severities: "low–high",
    mitre: &["T1621", "T1078.004"],
    finds: "MFA denials (500121) against one user, fraud reports, and a success after a burst",
    params: &[
        Param {
            key: "denials",
            default: 3.0,
            doc: "Denials within the window for medium",
        },
        Param {
            key: "window_min",
            default: 10.0,
            doc: "Window for the denials, minutes",
        },
        Param {
            key: "followup_min",
            default: 60.0,
            doc: "Minutes after a burst in which a success makes it high",
        },
    ],
    requires: needs_sign_ins,
    run,
};

fn is_fraud(text: Option<&str>) -> bool {
    text.is_some_and(|t| t.to_lowercase().contains("fraud"))
}

fn run(ctx: &Context<'_>, p: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let t = &ctx.tables.sign_ins;
    let mut reported: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for d in ctx.detection_indexes() {
        let det = &ctx.tables.detections[d];
        if det.event_type.as_deref() == Some("userReportedSuspiciousActivity") {
            if let Some(u) = ctx.detection_user(d) {
                reported.entry(u).or_default().push(d);
            }
        }
    }
    let users: std::collections::BTreeSet<&String> =
        ctx.sign_ins_by_user.keys().chain(reported.keys()).collect();
    for user in users {
        let list = ctx
            .sign_ins_by_user
            .get(user)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let denials: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&i| t[i].error_code == Some(MFA_DENY))
            .collect();
        let user_reports = reported.get(user).cloned().unwrap_or_default();
        if denials.is_empty() && user_reports.is_empty() {
            continue;
        }
        let window = p.minutes("window_min");
        let burst = denials
            .windows(p.count("denials").max(1))
            .find(|w| t[w[w.len() - 1]].time - t[w[0]].time <= window)
            .map(|w| t[w[w.len() - 1]].time);
        let followup = burst.and_then(|end| {
            list.iter().copied().find(|&i| {
                t[i].error_code == Some(SUCCESS)
                    && t[i].time > end
                    && t[i].time - end <= p.minutes("followup_min")
            })
        });
        let fraud = denials.iter().any(|&i| {
            is_fraud(t[i].additional_details.as_deref()) || is_fraud(t[i].failure_reason.as_deref())
        }) || !user_reports.is_empty();
        let severity = if fraud || followup.is_some() {
            Severity::High
        } else if burst.is_some() {
            Severity::Medium
        } else {
            Severity::Low
        };
        let mut f = ctx.finding(&DETECTION, severity, Some(user));
        f.summary = format!(
            "{} MFA denial(s) (500121){}{}{}",
            denials.len(),
            if burst.is_some() {
                format!(
                    ", {} or more within {} min",
                    p.count("denials"),
                    p.count("window_min")
                )
            } else {
                String::new()
            },
            if fraud {
                ", fraud reported by the user"
            } else {
                ""
            },
            if followup.is_some() {
                ", then a success: the user may have accepted a prompt"
            } else {
                ""
            }
        );
        f.evidence = ctx.sign_ins(&denials, EvidenceRole::Trigger);
        f.evidence
            .extend(followup.map(|i| ctx.sign_in(i, EvidenceRole::Trigger)));
        f.evidence.extend(
            user_reports
                .iter()
                .map(|&d| ctx.detection(d, EvidenceRole::Trigger)),
        );
        out.push(f);
    }
}
