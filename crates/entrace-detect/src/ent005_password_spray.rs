//! ENT-005 Password spray from a source.
//!
//! **What it finds.** One source (an IP; with beta evidence also an ASN and a
//! user agent) failing the password of many distinct users in a sliding
//! window: credential failures and 50034 (user not found).
//!
//! **Why it matters.** Spraying tries one or two common passwords against many
//! accounts, under the per-account lockout threshold. The one account that
//! answers with a validated password is the breach.
//!
//! **Evidence.** Per targeted user its first and last failure (trigger), and
//! every success or validated password of those users from the same source
//! within 24 h (trigger: the sprayed success).
//!
//! **Thresholds.** medium: `users_per_20m` 5 distinct users within 20 min
//! (Sentinel); high: `users_per_30m` 15 within 30 min (Elastic), or
//! `low_slow_users` 10 within 24 h with at most `low_slow_attempts` 3 attempts
//! per user, or a sprayed success within 24 h. Suppressed when the source's
//! successful users are at least as many as its failed users (shared egress:
//! an office with a few typos), unless a sprayed success exists.
//!
//! **False positives.** Shared NAT, VPN concentrators and proxies where many
//! users mistype at once; the suppression rule handles offices with enough
//! successful traffic.
//!
//! **References.** docs/research/detections.md ENT-005 and appendix §4.2; Sentinel
//! "Password spray attack against Microsoft Entra ID application"; Elastic
//! "Entra ID brute force activity".

use std::collections::{BTreeMap, BTreeSet};

use super::config::{Param, Params};
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{Availability, Escalation, Rule, Scope};
use entrace_case::records::SignIn;

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-005",
    escalation: Escalation::RaisedByPersistence,
    reads_findings: false,
    scope: Scope::Tenant,
    name: "Password spray from a source",
    severities: "medium–high",
    mitre: &["T1110.003"],
    finds: "One IP (or ASN, or user agent) failing the password of many distinct users in a sliding window",
    params: &[
        Param { key: "users_per_20m", default: 5.0, doc: "Distinct failing users within 20 minutes for medium" },
        Param { key: "users_per_30m", default: 15.0, doc: "Distinct failing users within 30 minutes for high" },
        Param { key: "low_slow_users", default: 10.0, doc: "Distinct failing users within 24 hours for high (low and slow)" },
        Param { key: "low_slow_attempts", default: 3.0, doc: "Most attempts per user for the low-and-slow rule" },
    ],
    requires: |ctx| {
        if ctx.tables.sign_ins.is_empty() {
            return Availability::Skipped("no sign-ins in the evidence".into());
        }
        let beta = ctx.tables.sign_ins.iter().any(|s| s.asn.is_some() || s.user_agent.is_some());
        if beta {
            Availability::Ready
        } else {
            Availability::Partial("autonomousSystemNumber and userAgent absent (v1.0 export): grouped by IP only".into())
        }
    },
    run,
};

const MIN_NS: i64 = 60 * 1_000_000_000;
const DAY_NS: i64 = 24 * 60 * MIN_NS;

/// Most distinct users within any window of `width` over time-sorted rows;
/// returns the count and the rows of that window.
fn max_distinct(rows: &[(i64, &str, usize)], width: i64) -> (usize, Vec<usize>) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut best, mut best_range, mut start) = (0, (0, 0), 0);
    for end in 0..rows.len() {
        *counts.entry(rows[end].1).or_default() += 1;
        while rows[end].0 - rows[start].0 > width {
            let u = rows[start].1;
            if let Some(c) = counts.get_mut(u) {
                *c -= 1;
                if *c == 0 {
                    counts.remove(u);
                }
            }
            start += 1;
        }
        if counts.len() > best {
            best = counts.len();
            best_range = (start, end + 1);
        }
    }
    (
        best,
        rows[best_range.0..best_range.1]
            .iter()
            .map(|r| r.2)
            .collect(),
    )
}

/// How sign-ins are grouped into sources: a name and the key of a sign-in.
type SourceKey = (&'static str, fn(&SignIn) -> Option<String>);

const SOURCES: [SourceKey; 3] = [
    ("IP", |s| s.ip.clone()),
    ("ASN", |s| s.asn.map(|a| format!("AS{a}"))),
    ("user agent", |s| s.user_agent.clone()),
];

fn run(ctx: &Context<'_>, p: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let t = &ctx.tables.sign_ins;
    let mut reported_ips: BTreeSet<String> = BTreeSet::new();
    for (kind, source_key) in SOURCES {
        let mut fails: BTreeMap<String, Vec<(i64, &str, usize)>> = BTreeMap::new();
        let mut ok_users: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
        for (i, s) in t.iter().enumerate() {
            let (Some(key), Some(user)) = (source_key(s), ctx.sign_in_user(i)) else {
                continue;
            };
            if ctx.vocabulary.is_credential_failure(s.error_code) || s.error_code == Some(50034) {
                fails.entry(key).or_default().push((s.time, user, i));
            } else if s.error_code == Some(0) {
                ok_users.entry(key).or_default().insert(user);
            }
        }
        for (key, mut rows) in fails {
            rows.sort();
            let (n20, w20) = max_distinct(&rows, 20 * MIN_NS);
            let (n30, _) = max_distinct(&rows, 30 * MIN_NS);
            let (nday, wday) = max_distinct(&rows, DAY_NS);
            let mut attempts: BTreeMap<&str, usize> = BTreeMap::new();
            for &i in &wday {
                *attempts
                    .entry(ctx.sign_in_user(i).unwrap_or(""))
                    .or_default() += 1;
            }
            let low_slow = nday >= p.count("low_slow_users")
                && attempts
                    .values()
                    .all(|&a| a <= p.count("low_slow_attempts"));
            let medium = n20 >= p.count("users_per_20m");
            let high = n30 >= p.count("users_per_30m") || low_slow;
            if !medium && !high {
                continue;
            }
            let window = if medium && !low_slow { w20 } else { wday };
            let targeted: BTreeSet<&str> =
                window.iter().filter_map(|&i| ctx.sign_in_user(i)).collect();
            let (first, last) = (t[window[0]].time, t[window[window.len() - 1]].time);
            // Sprayed success: a targeted user validates a password from the source within 24 h.
            let sprayed: Vec<usize> = targeted
                .iter()
                .flat_map(|u| ctx.sign_ins_by_user.get(*u).into_iter().flatten().copied())
                .filter(|&i| {
                    let s = &t[i];
                    ctx.vocabulary.is_password_validated(s.error_code)
                        && source_key(s).as_deref() == Some(key.as_str())
                        && s.time >= first
                        && s.time - last <= DAY_NS
                })
                .collect();
            let successful = ok_users.get(&key).map_or(0, BTreeSet::len);
            if sprayed.is_empty() && successful >= targeted.len() {
                continue;
            }
            if kind != "IP"
                && sprayed.is_empty()
                && window
                    .iter()
                    .all(|&i| t[i].ip.as_ref().is_some_and(|ip| reported_ips.contains(ip)))
            {
                // Same rows already reported under their IP.
                continue;
            }
            if kind == "IP" {
                reported_ips.insert(key.clone());
            }
            let severity = if high || !sprayed.is_empty() {
                Severity::High
            } else {
                Severity::Medium
            };
            let mut codes: BTreeMap<i32, usize> = BTreeMap::new();
            for &i in &window {
                *codes
                    .entry(t[i].error_code.unwrap_or_default())
                    .or_default() += 1;
            }
            let span_min = (last - first) as f64 / MIN_NS as f64;
            let mut f = ctx.finding(&DETECTION, severity, None);
            if kind == "IP" {
                f.subject_ip = Some(key.clone());
            }
            f.summary = format!(
                "password spray from {} {key}: {} users failed within {span_min:.0} min ({}){}{}",
                kind,
                targeted.len(),
                codes
                    .iter()
                    .map(|(c, k)| format!("{c} ×{k}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if low_slow {
                    "; low and slow: at most 3 attempts per user"
                } else {
                    ""
                },
                if sprayed.is_empty() {
                    String::new()
                } else {
                    format!("; {} validated password(s) from the same source within 24 h (sprayed success)", sprayed.len())
                }
            );
            // Per user: first and last failure.
            let mut per_user: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            for &i in &window {
                let u = ctx.sign_in_user(i).unwrap_or("");
                per_user.entry(u).and_modify(|e| e.1 = i).or_insert((i, i));
            }
            for (first, last) in per_user.values() {
                f.evidence.push(ctx.sign_in(*first, EvidenceRole::Trigger));
                f.evidence.push(ctx.sign_in(*last, EvidenceRole::Trigger));
            }
            f.evidence
                .extend(ctx.sign_ins(&sprayed, EvidenceRole::Trigger));
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_counts_distinct_users() {
        let rows = [
            (0, "a", 0),
            (MIN_NS, "b", 1),
            (2 * MIN_NS, "a", 2),
            (25 * MIN_NS, "c", 3),
        ];
        assert_eq!(max_distinct(&rows, 20 * MIN_NS), (2, vec![0, 1]));
        assert_eq!(max_distinct(&rows, 30 * MIN_NS).0, 3);
    }
}
