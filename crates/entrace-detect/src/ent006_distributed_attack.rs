//! ENT-006 Distributed attack on one account.
//!
//! **What it finds.** Many credential failures against one user within a day,
//! coming from several places: at least `locations` distinct (country, state,
//! city) or `ips` distinct IPs.
//!
//! **Why it matters.** Botnets and proxy pools spread guessing over many
//! sources to stay under per-IP limits; the account is the common target.
//!
//! **Evidence.** The failures of the busiest 24 h window (trigger) and a
//! success after them (trigger), if any.
//!
//! **Thresholds.** More than `failures` 30 failures within `window_h` 24
//! hours, from at least `locations` 3 locations or `ips` 5 IPs (Sentinel S2).
//! Severity medium; high when a success follows within the window.
//!
//! **False positives.** A mobile device with a stale password roaming across
//! carrier IPs (one client, one app: check the evidence).
//!
//! **References.** docs/research/detections.md ENT-006; Sentinel "Distributed password
//! cracking attempts in Microsoft Entra ID".

use std::collections::BTreeSet;

use super::config::{Param, Params};
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_sign_ins, Escalation, Rule, Scope};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-006",
    escalation: Escalation::RaisedByPersistence,
    reads_findings: false,
    scope: Scope::User,
    name: "Distributed attack on one account",
    severities: "medium–high",
    mitre: &["T1110.001", "T1110.004"],
    finds: "Many credential failures against one user within a day from several locations or IPs",
    params: &[
        Param {
            key: "failures",
            default: 30.0,
            doc: "Failures within the window must exceed this",
        },
        Param {
            key: "window_h",
            default: 24.0,
            doc: "Window length in hours",
        },
        Param {
            key: "locations",
            default: 3.0,
            doc: "Distinct (country, state, city) needed",
        },
        Param {
            key: "ips",
            default: 5.0,
            doc: "Or distinct IPs needed",
        },
    ],
    requires: needs_sign_ins,
    run,
};

fn run(ctx: &Context<'_>, p: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let window = (p.get("window_h") * 3600.0 * 1e9) as i64;
    let t = &ctx.tables.sign_ins;
    for (user, list) in &ctx.sign_ins_by_user {
        let fails: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&i| ctx.vocabulary.is_credential_failure(t[i].error_code))
            .collect();
        let (mut start, mut best) = (0, (0, 0));
        for end in 0..fails.len() {
            while t[fails[end]].time - t[fails[start]].time > window {
                start += 1;
            }
            if end + 1 - start > best.1 - best.0 {
                best = (start, end + 1);
            }
        }
        let burst = &fails[best.0..best.1];
        if burst.len() <= p.count("failures") {
            continue;
        }
        let places: BTreeSet<(Option<&str>, Option<&str>, Option<&str>)> = burst
            .iter()
            .map(|&i| {
                (
                    t[i].country.as_deref(),
                    t[i].state.as_deref(),
                    t[i].city.as_deref(),
                )
            })
            .collect();
        let ips: BTreeSet<&str> = burst.iter().filter_map(|&i| t[i].ip.as_deref()).collect();
        if places.len() < p.count("locations") && ips.len() < p.count("ips") {
            continue;
        }
        let last = t[burst[burst.len() - 1]].time;
        let success = ctx.success_after(list, last, window);
        let mut f = ctx.finding(
            &DETECTION,
            if success.is_some() {
                Severity::High
            } else {
                Severity::Medium
            },
            Some(user),
        );
        f.summary = format!(
            "{} credential failures within {:.1} h from {} IPs in {} locations{}",
            burst.len(),
            (last - t[burst[0]].time) as f64 / 3.6e12,
            ips.len(),
            places.len(),
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
    }
}
