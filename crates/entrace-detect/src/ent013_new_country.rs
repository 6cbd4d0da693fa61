//! ENT-013 New country for a user.
//!
//! **What it finds.** A sign-in that validated the password from a country
//! the user has not succeeded from earlier in the evidence.
//!
//! **Why it matters.** Attackers rarely sit in the victim's country; a
//! correct password from a new country is worth a call to the user.
//!
//! **Evidence.** The new-country sign-ins (trigger) and the first success
//! from each known country (context).
//!
//! **Thresholds.** The user needs `min_days` 14 of earlier evidence or
//! `min_successes` 10 earlier successes (Identity Protection's learning
//! rule); otherwise the finding is info. Severity low for a success; medium
//! when the password was validated from the new country but no sign-in from
//! there succeeded within `completion_min` 60 (Sentinel S13: a correct
//! password stopped by MFA or policy). Improvement on the catalogue: an MFA
//! interrupt that the user then completes (50074 then 0 in the same flow) is
//! treated as a success, so travellers are low, not medium.
//!
//! **False positives.** Business travel, roaming mobile IPs, VPN exits.
//!
//! **References.** docs/research/detections.md ENT-013; Sentinel "Sign-ins from a new
//! country with a correct password".

use std::collections::BTreeMap;

use super::codes::SUCCESS;
use super::config::{Param, Params};
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_sign_ins, Escalation, Rule, Scope};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-013",
    escalation: Escalation::RaisedByPersistence,
    reads_findings: false,
    scope: Scope::User,
    name: "New country for user",
    severities: "info–medium",
    mitre: &["T1078.004"],
    finds:
        "A validated sign-in from a country the user had not succeeded from before in the evidence",
    params: &[
        Param {
            key: "min_days",
            default: 14.0,
            doc: "Days of earlier evidence needed for a low or medium finding",
        },
        Param {
            key: "min_successes",
            default: 10.0,
            doc: "Or this many earlier successes",
        },
        Param {
            key: "completion_min",
            default: 60.0,
            doc: "Minutes in which a validated attempt must reach a success to count as one",
        },
    ],
    requires: needs_sign_ins,
    run,
};

const DAY_NS: i64 = 24 * 3600 * 1_000_000_000;

fn run(ctx: &Context<'_>, p: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let t = &ctx.tables.sign_ins;
    for (user, list) in &ctx.sign_ins_by_user {
        let Some(&first) = list.first() else { continue };
        let start = t[first].time;
        let mut known: BTreeMap<&str, usize> = BTreeMap::new();
        let mut successes = 0usize;
        let mut reported: BTreeMap<&str, ()> = BTreeMap::new();
        for (pos, &i) in list.iter().enumerate() {
            let s = &t[i];
            let Some(country) = s.country.as_deref() else {
                continue;
            };
            if !ctx.vocabulary.is_password_validated(s.error_code) {
                continue;
            }
            if !known.contains_key(country) && !known.is_empty() && !reported.contains_key(country)
            {
                reported.insert(country, ());
                let completion = p.minutes("completion_min");
                let from_there: Vec<usize> = list[pos..]
                    .iter()
                    .copied()
                    .filter(|&j| {
                        t[j].country.as_deref() == Some(country) && t[j].time - s.time <= completion
                    })
                    .filter(|&j| ctx.vocabulary.is_password_validated(t[j].error_code))
                    .collect();
                let succeeded = from_there.iter().any(|&j| t[j].error_code == Some(SUCCESS));
                let learned = s.time - start >= (p.get("min_days") * DAY_NS as f64) as i64
                    || successes >= p.count("min_successes");
                let severity = match (learned, succeeded) {
                    (false, _) => Severity::Info,
                    (true, true) => Severity::Low,
                    (true, false) => Severity::Medium,
                };
                let mut f = ctx.finding(&DETECTION, severity, Some(user));
                f.subject_ip = s.ip.clone();
                f.summary = format!(
                    "first validated sign-in from {country} (known: {}) after {} earlier successes over {:.1} days{}",
                    known.keys().copied().collect::<Vec<_>>().join(", "),
                    successes,
                    (s.time - start) as f64 / DAY_NS as f64,
                    if succeeded { "" } else { "; no sign-in from there succeeded (password right, stopped after it)" }
                );
                f.evidence = from_there
                    .iter()
                    .map(|&j| ctx.sign_in(j, EvidenceRole::Trigger))
                    .collect();
                f.evidence.extend(
                    known
                        .values()
                        .map(|&j| ctx.sign_in(j, EvidenceRole::Context)),
                );
                out.push(f);
            }
            if s.error_code == Some(SUCCESS) {
                successes += 1;
                known.entry(country).or_insert(i);
            }
        }
    }
}
