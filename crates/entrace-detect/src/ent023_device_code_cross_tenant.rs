//! ENT-023 Device-code or cross-tenant sign-in (beta fields).
//!
//! **What it finds.** Successful sign-ins through the device-code flow
//! (`authenticationProtocol` deviceCode or `originalTransferMethod`
//! deviceCodeFlow), and successful cross-tenant sign-ins (a
//! `crossTenantAccessType` other than none, or a home tenant that differs
//! from the resource tenant).
//!
//! **Why it matters.** Device-code phishing hands the attacker tokens without
//! the password (Storm-2372); cross-tenant access is how guests and
//! compromised partners reach the tenant.
//!
//! **Evidence.** The sign-ins (trigger).
//!
//! **Thresholds.** None. Device code: medium, high when it is the user's
//! first device-code sign-in and it comes from an IP the user never used
//! before. Cross-tenant: info.
//!
//! **False positives.** Admins signing in to CLI tools with `az login
//! --use-device-code`; B2B collaboration by design.
//!
//! **References.** docs/research/detections.md ENT-023; Sigma "users authenticating to other
//! tenants" (placeholder).

use std::collections::BTreeSet;

use super::codes::SUCCESS;
use super::config::Params;
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{Availability, Escalation, Rule, Scope};
use entrace_case::records::SignIn;

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-023",
    escalation: Escalation::None,
    reads_findings: false,
    scope: Scope::User,
    name: "Device-code or cross-tenant sign-in",
    severities: "info–high",
    mitre: &["T1528", "T1078.004"],
    finds: "Successful device-code flow or cross-tenant sign-ins (beta fields)",
    params: &[],
    requires: |ctx| {
        let beta = ctx.tables.sign_ins.iter().any(|s| {
            s.authentication_protocol.is_some()
                || s.original_transfer_method.is_some()
                || s.cross_tenant_access_type.is_some()
        });
        if beta {
            Availability::Ready
        } else {
            Availability::Skipped(
                "authenticationProtocol, originalTransferMethod and crossTenantAccessType absent in evidence (v1.0 export)".into(),
            )
        }
    },
    run,
};

fn device_code(s: &SignIn) -> bool {
    s.authentication_protocol
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("deviceCode"))
        || s.original_transfer_method
            .as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("deviceCodeFlow"))
}

fn cross_tenant(s: &SignIn) -> bool {
    s.cross_tenant_access_type
        .as_deref()
        .is_some_and(|c| !c.eq_ignore_ascii_case("none"))
        || matches!((&s.home_tenant_id, &s.resource_tenant_id), (Some(h), Some(r)) if h != r)
}

fn run(ctx: &Context<'_>, _: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let t = &ctx.tables.sign_ins;
    for (user, list) in &ctx.sign_ins_by_user {
        let mut seen_ips: BTreeSet<&str> = BTreeSet::new();
        let mut first_device_code = true;
        let mut cross: Vec<usize> = Vec::new();
        for &i in list {
            let s = &t[i];
            let ok = s.error_code == Some(SUCCESS);
            if ok && device_code(s) {
                let new_ip = s.ip.as_deref().is_some_and(|ip| !seen_ips.contains(ip));
                let severity = if first_device_code && new_ip {
                    Severity::High
                } else {
                    Severity::Medium
                };
                first_device_code = false;
                let mut f = ctx.finding(&DETECTION, severity, Some(user));
                f.subject_ip = s.ip.clone();
                f.summary = format!(
                    "device-code sign-in to {} from {}{}",
                    s.app.as_deref().unwrap_or("an application"),
                    s.ip.as_deref().unwrap_or("an unrecorded IP"),
                    if severity == Severity::High {
                        " (first device-code sign-in, new IP)"
                    } else {
                        ""
                    }
                );
                f.evidence = vec![ctx.sign_in(i, EvidenceRole::Trigger)];
                out.push(f);
            }
            if ok && cross_tenant(s) {
                cross.push(i);
            }
            if let Some(ip) = s.ip.as_deref() {
                seen_ips.insert(ip);
            }
        }
        if !cross.is_empty() {
            let mut f = ctx.finding(&DETECTION, Severity::Info, Some(user));
            f.summary = format!("{} successful cross-tenant sign-in(s)", cross.len());
            f.evidence = ctx.sign_ins(&cross, EvidenceRole::Trigger);
            out.push(f);
        }
    }
}
