//! ENT-014 Disabled-account probing.
//!
//! **What it finds.** Sign-in attempts on disabled accounts (50057): from one
//! IP that also signs in other users successfully, or for one user across
//! several applications in a day.
//!
//! **Why it matters.** Attackers test lists of harvested credentials; hits on
//! disabled accounts (leavers) show the list is this tenant's, and the IP's
//! other successes may be the accounts that still work.
//!
//! **Evidence.** The 50057 rows (trigger) and the IP's successes for other
//! users (context).
//!
//! **Thresholds.** Per IP: at least one disabled user and fewer than
//! `max_success_users` 50 successful users, with disabled ÷ successful users
//! ≥ `ratio` 0.5 (Sentinel S10): medium. Per user: 50057 across `apps` 3 or
//! more applications in one day (Sentinel S11): low.
//!
//! **False positives.** Devices of a leaver still syncing mail; that is one
//! app, which the per-user rule ignores.
//!
//! **References.** docs/research/detections.md ENT-014; Sentinel S10/S11.

use std::collections::{BTreeMap, BTreeSet};

use super::config::{Param, Params};
use super::context::{Context, DISABLED_ACCOUNT};
use super::finding::{Evidence, EvidenceRole, Finding, Severity};
use super::registry::{needs_sign_ins, Escalation, Rule, Scope};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-014",
    escalation: Escalation::None,
    reads_findings: false,
    scope: Scope::Tenant,
    name: "Disabled-account probing",
    severities: "low–medium",
    mitre: &["T1078"],
    finds: "Sign-in attempts on disabled accounts (50057) from an IP with other successes, or across several apps",
    params: &[
        Param { key: "ratio", default: 0.5, doc: "Disabled users ÷ successful users from the IP, at least" },
        Param { key: "max_success_users", default: 50.0, doc: "IPs with this many successful users or more are shared egress" },
        Param { key: "apps", default: 3.0, doc: "Applications per user per day with 50057" },
    ],
    requires: needs_sign_ins,
    run,
};

const DAY_NS: i64 = 24 * 3600 * 1_000_000_000;

fn run(ctx: &Context<'_>, p: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let t = &ctx.tables.sign_ins;
    let mut disabled_by_ip: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for i in ctx.sign_in_indexes() {
        let s = &t[i];
        if let (Some(ip), Some(_), Some(DISABLED_ACCOUNT)) =
            (s.ip.as_deref(), ctx.sign_in_user(i), s.error_code)
        {
            disabled_by_ip.entry(ip).or_default().push(i);
        }
    }
    // Other users' first successes from those IPs, from the whole tenant.
    let successes = &ctx.tenant().successes_at_probing_ips;
    for (ip, rows) in &disabled_by_ip {
        let disabled: BTreeSet<&str> = rows.iter().filter_map(|&i| ctx.sign_in_user(i)).collect();
        let ok: Vec<&Evidence> = successes
            .get(*ip)
            .into_iter()
            .flatten()
            .filter(|(u, _)| !disabled.contains(u.as_str()))
            .map(|(_, first)| first)
            .collect();
        if ok.is_empty() || ok.len() >= p.count("max_success_users") {
            continue;
        }
        let ratio = disabled.len() as f64 / ok.len() as f64;
        if ratio < p.get("ratio") {
            continue;
        }
        let mut f = ctx.finding(&DETECTION, Severity::Medium, None);
        f.subject_ip = Some(ip.to_string());
        f.summary = format!(
            "{ip} tried {} disabled account(s) and signed in {} other user(s) (ratio {ratio:.2})",
            disabled.len(),
            ok.len()
        );
        f.evidence = ctx.sign_ins(rows, EvidenceRole::Trigger);
        f.evidence.extend(ok.into_iter().cloned());
        out.push(f);
    }
    for (user, list) in &ctx.sign_ins_by_user {
        let mut by_day: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for &i in list
            .iter()
            .filter(|&&i| t[i].error_code == Some(DISABLED_ACCOUNT))
        {
            by_day
                .entry(t[i].time.div_euclid(DAY_NS))
                .or_default()
                .push(i);
        }
        for rows in by_day.values() {
            let apps: BTreeSet<&str> = rows
                .iter()
                .filter_map(|&i| t[i].app_id.as_deref())
                .collect();
            if apps.len() < p.count("apps") {
                continue;
            }
            let mut f = ctx.finding(&DETECTION, Severity::Low, Some(user));
            f.summary = format!(
                "disabled account tried {} times across {} applications in one day",
                rows.len(),
                apps.len()
            );
            f.evidence = ctx.sign_ins(rows, EvidenceRole::Trigger);
            out.push(f);
        }
    }
}
