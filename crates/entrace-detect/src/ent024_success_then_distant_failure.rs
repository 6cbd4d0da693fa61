//! ENT-024 Success then failure from a distant IP.
//!
//! **What it finds.** A successful sign-in followed within minutes by a
//! credential failure for the same user and application from an IP outside
//! the success IP's network (/16 for IPv4, /48 for IPv6).
//!
//! **Why it matters.** Two parties typing the same username at once: the
//! owner signed in, and someone elsewhere is guessing (Sentinel S9).
//!
//! **Evidence.** The success and the failure (trigger).
//!
//! **Thresholds.** `window_min` 10. Severity low; medium when the failing IP
//! is the subject of an ENT-005 or ENT-010 finding.
//!
//! **False positives.** A user switching from office Wi-Fi to mobile data and
//! mistyping; mobile carriers hop networks.
//!
//! **References.** docs/research/detections.md ENT-024; Sentinel "Successful logon from IP
//! and failure from a different IP".

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::codes::SUCCESS;
use super::config::{Param, Params};
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_sign_ins, Escalation, Rule, Scope};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-024",
    escalation: Escalation::None,
    reads_findings: true,
    scope: Scope::User,
    name: "Success then failure from a distant IP",
    severities: "low–medium",
    mitre: &["T1110", "T1078"],
    finds: "A success followed shortly by a credential failure for the same user and app from another network",
    params: &[Param { key: "window_min", default: 10.0, doc: "Minutes after the success" }],
    requires: needs_sign_ins,
    run,
};

/// The network part of an address: /16 for IPv4, /48 for IPv6; unparseable
/// text is its own network.
fn network(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let o = v4.octets();
            format!("{}.{}", o[0], o[1])
        }
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}", s[0], s[1], s[2])
        }
        Err(_) => ip.to_owned(),
    }
}

fn run(ctx: &Context<'_>, p: Params<'_>, earlier: &[Finding], out: &mut Vec<Finding>) {
    let window = p.minutes("window_min");
    let hostile: BTreeSet<&str> = earlier
        .iter()
        .filter(|f| matches!(f.detection_id, "ENT-005" | "ENT-010"))
        .filter_map(|f| f.subject_ip.as_deref())
        .collect();
    let t = &ctx.tables.sign_ins;
    for (user, list) in &ctx.sign_ins_by_user {
        for (pos, &i) in list.iter().enumerate() {
            let s = &t[i];
            let (Some(SUCCESS), Some(ip)) = (s.error_code, s.ip.as_deref()) else {
                continue;
            };
            let failure = list[pos + 1..]
                .iter()
                .copied()
                .take_while(|&j| t[j].time - s.time <= window)
                .find(|&j| {
                    let x = &t[j];
                    ctx.vocabulary.is_credential_failure(x.error_code)
                        && x.app_id == s.app_id
                        && x.ip
                            .as_deref()
                            .is_some_and(|fip| network(fip) != network(ip))
                });
            let Some(j) = failure else { continue };
            let fip = t[j].ip.clone().unwrap_or_default();
            let severity = if hostile.contains(fip.as_str()) {
                Severity::Medium
            } else {
                Severity::Low
            };
            let mut f = ctx.finding(&DETECTION, severity, Some(user));
            f.subject_ip = Some(fip.clone());
            f.summary = format!(
                "success from {ip}, then {:.0} s later a failure ({}) from {fip} in another network",
                (t[j].time - s.time) as f64 / 1e9,
                t[j].error_code.unwrap_or_default()
            );
            f.evidence = vec![
                ctx.sign_in(i, EvidenceRole::Trigger),
                ctx.sign_in(j, EvidenceRole::Trigger),
            ];
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::network;

    #[test]
    fn networks_are_slash16_and_slash48() {
        assert_eq!(network("198.51.100.23"), network("198.51.7.1"));
        assert_ne!(network("198.51.100.23"), network("198.52.100.23"));
        assert_eq!(network("2001:db8:1:2::1"), "2001:db8:1");
        assert_eq!(network("not an ip"), "not an ip");
    }
}
