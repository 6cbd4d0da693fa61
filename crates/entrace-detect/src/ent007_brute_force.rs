//! ENT-007 High-rate brute force on one account.
//!
//! **What it finds.** Many credential failures against one user in a short
//! sliding window, whether or not a success follows (ENT-001 needs one).
//!
//! **Why it matters.** Ten wrong passwords in ten minutes is a script, not a
//! person; even without a success it shows the account is targeted and its
//! lockout is being tested.
//!
//! **Evidence.** The failures of the busiest window (trigger) and a success
//! within the window after them (trigger), if any.
//!
//! **Thresholds.** `failures` 10 within `window_min` 10 (Sigma specification
//! example; Splunk uses more than 20). Severity medium; high when a success
//! follows within the window.
//!
//! **False positives.** A device with a stale saved password retrying in a
//! loop (one IP, one client, one app: check the evidence).
//!
//! **References.** docs/research/detections.md ENT-007 and appendix §4.2.

use super::config::{Param, Params};
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_sign_ins, Escalation, Rule, Scope};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-007",
    escalation: Escalation::RaisedByPersistence,
    reads_findings: false,
    scope: Scope::User,
    name: "High-rate brute force on one account",
    severities: "medium–high",
    mitre: &["T1110.001"],
    finds: "Many credential failures against one user within a short window",
    params: &[
        Param {
            key: "failures",
            default: 10.0,
            doc: "Credential failures within the window",
        },
        Param {
            key: "window_min",
            default: 10.0,
            doc: "Window length in minutes",
        },
    ],
    requires: needs_sign_ins,
    run,
};

fn run(ctx: &Context<'_>, p: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let (need, window) = (p.count("failures").max(1), p.minutes("window_min"));
    let t = &ctx.tables.sign_ins;
    for (user, list) in &ctx.sign_ins_by_user {
        let fails: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&i| ctx.vocabulary.is_credential_failure(t[i].error_code))
            .collect();
        // Non-overlapping bursts: extend while the window holds `need` failures.
        let mut start = 0;
        while start + need <= fails.len() {
            if t[fails[start + need - 1]].time - t[fails[start]].time > window {
                start += 1;
                continue;
            }
            let mut end = start + need;
            while end < fails.len() && t[fails[end]].time - t[fails[end - need + 1]].time <= window
            {
                end += 1;
            }
            let burst = &fails[start..end];
            let (first, last) = (t[burst[0]].time, t[burst[burst.len() - 1]].time);
            let success = ctx.success_after(list, last, window);
            let ips: std::collections::BTreeSet<&str> =
                burst.iter().filter_map(|&i| t[i].ip.as_deref()).collect();
            let mut f = ctx.finding(
                &DETECTION,
                if success.is_some() {
                    Severity::High
                } else {
                    Severity::Medium
                },
                Some(user),
            );
            f.subject_ip = (ips.len() == 1)
                .then(|| ips.iter().next().map(|s| s.to_string()))
                .flatten();
            f.summary = format!(
                "{} credential failures in {:.0} s from {} IP(s){}",
                burst.len(),
                (last - first) as f64 / 1e9,
                ips.len(),
                if success.is_some() {
                    ", then a success"
                } else {
                    ""
                }
            );
            f.evidence = ctx.sign_ins(burst, EvidenceRole::Trigger);
            f.evidence
                .extend(success.map(|i| ctx.sign_in(i, EvidenceRole::Trigger)));
            out.push(f);
            start = end;
        }
    }
}
