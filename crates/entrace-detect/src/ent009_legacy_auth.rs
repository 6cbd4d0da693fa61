//! ENT-009 Legacy protocol or ROPC sign-in.
//!
//! **What it finds.** Sign-ins over legacy authentication (`clientAppUsed`
//! IMAP4, POP3, Exchange ActiveSync, Authenticated SMTP, …), user agents of
//! ROPC tooling (BAV2ROPC, CBAinPROD, CBAinTAR) or `authenticationProtocol`
//! `ropc`; one finding per user and client.
//!
//! **Why it matters.** Legacy protocols skip MFA and Conditional Access
//! device checks: they are how sprayed passwords get used.
//!
//! **Evidence.** The sign-ins (trigger).
//!
//! **Thresholds.** None. Severity medium when one succeeded, low for failures
//! only (those feed ENT-005).
//!
//! **False positives.** Old printers and scanners sending mail over SMTP AUTH;
//! line-of-business apps using ROPC.
//!
//! **References.** docs/research/detections.md ENT-009 and appendix §4.7; Sentinel S14.

use std::collections::BTreeMap;

use super::codes::SUCCESS;
use super::config::Params;
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{Availability, Escalation, Rule, Scope};
use super::vocabulary::Vocabulary;
use entrace_case::records::SignIn;

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-009",
    escalation: Escalation::RaisedByPersistence,
    reads_findings: false,
    scope: Scope::User,
    name: "Legacy protocol or ROPC sign-in",
    severities: "low–medium",
    mitre: &["T1078.004", "T1110.003"],
    finds: "Sign-ins over legacy authentication protocols or ROPC tooling, per user and client",
    params: &[],
    requires: |ctx| {
        if ctx.tables.sign_ins.is_empty() {
            Availability::Skipped("no sign-ins in the evidence".into())
        } else if ctx
            .tables
            .sign_ins
            .iter()
            .any(|s| s.user_agent.is_some() || s.authentication_protocol.is_some())
        {
            Availability::Ready
        } else {
            Availability::Partial("userAgent and authenticationProtocol absent (v1.0 export): only clientAppUsed checked".into())
        }
    },
    run,
};

/// Why a sign-in counts as legacy, if it does: its `clientAppUsed` is one
/// of the vocabulary's legacy clients, or its user agent carries a ROPC
/// marker.
fn legacy(v: &Vocabulary, s: &SignIn) -> Option<String> {
    if let Some(c) = s
        .client_app_used
        .as_deref()
        .filter(|c| v.sign_ins.legacy_clients.contains(&c.to_lowercase()))
    {
        return Some(c.to_owned());
    }
    if let Some(a) = s.user_agent.as_deref().and_then(|ua| {
        v.sign_ins
            .ropc_user_agents
            .iter()
            .find(|m| ua.contains(m.as_str()))
    }) {
        return Some(format!("user agent {a}"));
    }
    s.authentication_protocol
        .as_deref()
        .filter(|p| p.split(',').any(|x| x.trim().eq_ignore_ascii_case("ropc")))
        .map(|_| "ROPC".to_owned())
}

fn run(ctx: &Context<'_>, _: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let t = &ctx.tables.sign_ins;
    for (user, list) in &ctx.sign_ins_by_user {
        let mut by_client: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for &i in list {
            if let Some(why) = legacy(ctx.vocabulary, &t[i]) {
                by_client.entry(why).or_default().push(i);
            }
        }
        for (client, rows) in by_client {
            let ok = rows
                .iter()
                .filter(|&&i| t[i].error_code == Some(SUCCESS))
                .count();
            let mut f = ctx.finding(
                &DETECTION,
                if ok > 0 {
                    Severity::Medium
                } else {
                    Severity::Low
                },
                Some(user),
            );
            f.summary = format!("{} sign-in(s) over {client}, {ok} succeeded", rows.len());
            f.evidence = ctx.sign_ins(&rows, EvidenceRole::Trigger);
            out.push(f);
        }
    }
}
