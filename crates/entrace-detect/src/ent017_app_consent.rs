//! ENT-017 Application consent.
//!
//! **What it finds.** Successful "Consent to application" audits. From the
//! modified properties it reads `ConsentContext.IsAdminConsent`,
//! `ConsentContext.OnBehalfOfAll`, the consent type and scopes of
//! `ConsentAction.Permissions` (the part after `=>`, the new grants) and
//! `TargetId.ServicePrincipalNames`. One finding per consent row, about the
//! consenting user (the initiator).
//!
//! **Why it matters.** Illicit consent grants give an attacker's app a token
//! to the user's mail and files that survives password resets and MFA:
//! `offline_access` keeps it refreshing. Admin or all-principals consent does
//! the same for every user.
//!
//! **Evidence.** The consent row (trigger); the rows sharing its
//! correlationId ("Add delegated permission grant", "Add service principal",
//! "Add app role assignment…"), an earlier "Add service principal" of the same
//! service principal, and the sign-ins cited by the linked findings
//! (context).
//!
//! **Thresholds.** `link_h` 24: sign-in findings (ENT-001…ENT-013, at least
//! low) of the consenting user within 24 h before or after. Risky scopes
//! (Sentinel S18): names starting with `Mail.`, `MailboxSettings.`, `Files.`,
//! `Chat`, `Notes.`, `EWS.`, `EAS.`, and `full_access_as_user`. **High:**
//! linked findings; or risky scopes granted by admin or all-principals
//! consent, or to an app first seen in this evidence (its "Add service
//! principal" is in the evidence). **Medium:** user consent granting
//! `offline_access` with a risky scope. **Info** otherwise (timeline only).
//! Choices beyond the catalogue: a new app raises only risky grants (first
//! consent to any multi-tenant app creates its service principal, so alone it
//! says little), linked findings raise any consent (a consent from a
//! possibly stolen session is the attack whatever it asks for), and consents
//! that match nothing stay visible as info.
//!
//! **False positives.** Mail clients and sync tools users install themselves
//! (medium by design: check the publisher and the app id).
//!
//! **References.** docs/research/detections.md ENT-017; docs/research/graph.md §4.3 (applications and
//! consent); Sentinel "Suspicious application consent for offline access";
//! Microsoft Learn, "Detect and remediate illicit consent grants".

use std::collections::BTreeSet;

use super::audit_common::{
    activity, actor_user, context_of, describe, initiator, property_text, succeeded, user_label,
    Linker, HOUR_NS,
};
use super::config::{Param, Params};
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_audits, Escalation, Rule, Scope};
use super::vocabulary::Vocabulary;
use entrace_case::records::{Audit, Target};

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-017",
    escalation: Escalation::RaisesSignIns,
    reads_findings: true,
    scope: Scope::Tenant,
    name: "Application consent",
    severities: "info–high",
    mitre: &["T1528", "T1550.001"],
    finds: "Consents to applications; offline access to mail or files, admin consent and consents after suspicious sign-ins rank higher",
    params: &[
        Param { key: "link_h", default: 24.0, doc: "Hours before or after the consent in which sign-in findings (ENT-001…013) of the consenting user make it high" },
    ],
    requires: needs_audits,
    run,
};

/// Whether a delegated or application permission reaches mail, files, chats or notes.
fn is_risky(v: &Vocabulary, scope: &str) -> bool {
    let s = scope.to_lowercase();
    v.consent.risky_scope_names.contains(&s)
        || v.consent
            .risky_scope_prefixes
            .iter()
            .any(|p| s.starts_with(p.as_str()))
}

/// What a consent row says.
#[derive(Debug, Default, PartialEq)]
struct Consent {
    admin: bool,
    all_principals: bool,
    scopes: Vec<String>,
}

/// The values of `field:` in a permissions text, each up to the next `,` or `]`.
fn fields<'t>(text: &'t str, field: &str) -> Vec<&'t str> {
    text.split(field)
        .skip(1)
        .map(|rest| rest.split([',', ']']).next().unwrap_or("").trim())
        .collect()
}

fn is_true(v: Option<String>) -> bool {
    v.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// Parses a consent row's modified properties.
fn consent(a: &Audit) -> Consent {
    let permissions = property_text(a, "ConsentAction.Permissions").unwrap_or_default();
    // "[old grants] => [new grants]": only the new part was consented now.
    let granted = permissions.rsplit("=>").next().unwrap_or("");
    let mut scopes: Vec<String> = Vec::new();
    for s in fields(granted, "Scope:")
        .into_iter()
        .flat_map(str::split_whitespace)
    {
        if !scopes.iter().any(|x| x.eq_ignore_ascii_case(s)) {
            scopes.push(s.to_owned());
        }
    }
    Consent {
        admin: is_true(property_text(a, "ConsentContext.IsAdminConsent")),
        all_principals: is_true(property_text(a, "ConsentContext.OnBehalfOfAll"))
            || fields(granted, "ConsentType:")
                .iter()
                .any(|t| t.eq_ignore_ascii_case("AllPrincipals")),
        scopes,
    }
}

fn is_service_principal(t: &Target) -> bool {
    t.kind
        .as_deref()
        .is_some_and(|k| k.eq_ignore_ascii_case("ServicePrincipal"))
}

/// The consented app: (service principal id, name for the summary).
fn app(a: &Audit) -> (Option<String>, String) {
    let sp = a.targets.iter().find(|t| is_service_principal(t));
    let name = sp
        .and_then(|t| t.display_name.clone())
        .or_else(|| property_text(a, "TargetId.ServicePrincipalNames"))
        .unwrap_or_else(|| "(unnamed app)".into());
    (sp.and_then(|t| t.id.clone()), name)
}

fn run(ctx: &Context<'_>, p: Params<'_>, earlier: &[Finding], out: &mut Vec<Finding>) {
    let link = (p.get("link_h") * HOUR_NS as f64) as i64;
    let linker = Linker::new(earlier);
    let audits = &ctx.tables.audits;
    let added_sp: Vec<usize> = (0..audits.len())
        .filter(|&j| activity(&audits[j]) == "add service principal" && succeeded(&audits[j]))
        .collect();
    for (i, a) in audits.iter().enumerate() {
        if activity(a) != "consent to application" || !succeeded(a) {
            continue;
        }
        let c = consent(a);
        let (sp_id, app_name) = app(a);
        let peers = &ctx.links.audit_peers[i];
        let creations: BTreeSet<usize> = added_sp
            .iter()
            .copied()
            .filter(|&j| {
                peers.contains(&j)
                    || (audits[j].time <= a.time
                        && sp_id.is_some()
                        && audits[j].targets.iter().any(|t| t.id == sp_id))
            })
            .collect();
        let user = actor_user(ctx, i);
        let linked = user
            .as_deref()
            .map(|k| linker.linked(k, |n| (1..=13).contains(&n), a.time - link, a.time + link))
            .unwrap_or_default();
        let risky: Vec<&str> = c
            .scopes
            .iter()
            .map(String::as_str)
            .filter(|s| is_risky(ctx.vocabulary, s))
            .collect();
        let offline = c
            .scopes
            .iter()
            .any(|s| s.eq_ignore_ascii_case("offline_access"));
        let broad = c.admin || c.all_principals;
        let risky_grant = !risky.is_empty() && (offline || broad);
        let new_app = !creations.is_empty();
        let mut why = Vec::new();
        if !linked.is_empty() {
            why.push(format!(
                "the consenting user has sign-in findings within {} h ({})",
                p.get("link_h"),
                describe(&linked)
            ));
        }
        if risky_grant && broad {
            why.push("risky scopes were granted for the whole tenant or by an admin".into());
        }
        if risky_grant && new_app {
            why.push("the app was first seen in this evidence".into());
        }
        let severity = if !why.is_empty() {
            Severity::High
        } else if risky_grant {
            why.push("offline access with risky scopes".into());
            Severity::Medium
        } else {
            Severity::Info
        };
        let who = match &user {
            Some(k) => user_label(ctx, k),
            None => initiator(a),
        };
        let mut f = ctx.finding(&DETECTION, severity, user.as_deref());
        f.subject_ip = a.actor_ip.clone();
        f.summary = format!(
            "{who} gave {} consent to the app {app_name}{}: scopes {}{}{}",
            match (c.admin, c.all_principals) {
                (true, _) => "admin",
                (false, true) => "all-principals",
                (false, false) => "user",
            },
            sp_id
                .as_deref()
                .map(|id| format!(" (service principal {id})"))
                .unwrap_or_default(),
            if c.scopes.is_empty() {
                "not recorded".to_string()
            } else {
                c.scopes.join(" ")
            },
            if risky.is_empty() {
                String::new()
            } else {
                format!(" (risky: {})", risky.join(" "))
            },
            if severity == Severity::Info {
                String::new()
            } else {
                format!("; {severity} because {}", why.join("; "))
            }
        );
        f.evidence = vec![ctx.audit(i, EvidenceRole::Trigger)];
        f.evidence.extend(
            peers
                .iter()
                .chain(creations.iter())
                .map(|&j| ctx.audit(j, EvidenceRole::Context)),
        );
        f.evidence.extend(context_of(&linked));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    /// `who` consents to the app "Mail Sync" (sp-1) for `scopes`.
    fn consent_row(id: &str, time: i64, who: &str, admin: bool, scopes: &str) -> Audit {
        let mut a = audit(id, time, "Consent to application", who, "203.0.113.7");
        a.category = Some("ApplicationManagement".into());
        let kind = if admin { "AllPrincipals" } else { "Principal" };
        let flag = if admin { "\"True\"" } else { "\"False\"" };
        let t = other_target("ServicePrincipal", "sp-1", "Mail Sync");
        let t = with(t, "ConsentContext.IsAdminConsent", None, Some(flag));
        let t = with(t, "ConsentContext.OnBehalfOfAll", None, Some(flag));
        let t = with(
            t,
            "ConsentAction.Permissions",
            None,
            Some(&format!(
                "\"[] => [[Id: g1, ClientId: sp-1, PrincipalId: {}, ResourceId: graph, ConsentType: {kind}, Scope: {scopes}, CreatedDateTime: , LastModifiedDateTime ]]; \"",
                uid(who)
            )),
        );
        a.targets = vec![with(
            t,
            "TargetId.ServicePrincipalNames",
            None,
            Some("\"11111111-2222-3333-4444-555555555555\""),
        )];
        a
    }

    #[test]
    fn permissions_parse_into_scopes_and_consent_type() {
        let a = consent_row(
            "c",
            0,
            "alice",
            false,
            "offline_access Mail.Read  User.Read",
        );
        assert_eq!(
            consent(&a),
            Consent {
                admin: false,
                all_principals: false,
                scopes: vec![
                    "offline_access".into(),
                    "Mail.Read".into(),
                    "User.Read".into()
                ],
            }
        );
        let v = Vocabulary::builtin();
        assert!(is_risky(v, "MailboxSettings.ReadWrite") && is_risky(v, "Chat.Read"));
        assert!(!is_risky(v, "User.Read") && !is_risky(v, "openid"));
    }

    #[test]
    fn user_consent_to_offline_mail_is_medium() {
        let w = World::new(
            vec![consent_row(
                "C1",
                HOUR,
                "alice",
                false,
                "offline_access Mail.Read User.Read",
            )],
            vec![],
        );
        let f = w.run(&DETECTION, &[]);
        assert_eq!(severities(&f), [Severity::Medium]);
        assert_eq!(evidence(&f[0]), [("C1", "trigger")]);
        assert_eq!(
            f[0].summary,
            "alice@contoso.com gave user consent to the app Mail Sync (service principal sp-1): \
             scopes offline_access Mail.Read User.Read (risky: Mail.Read); medium because offline \
             access with risky scopes"
        );
        // Near miss: the same scopes without offline_access.
        let w = World::new(
            vec![consent_row(
                "C1",
                HOUR,
                "alice",
                false,
                "Mail.Read User.Read",
            )],
            vec![],
        );
        assert_eq!(severities(&w.run(&DETECTION, &[])), [Severity::Info]);
    }

    #[test]
    fn admin_consent_and_new_apps_with_risky_scopes_are_high() {
        let w = World::new(
            vec![consent_row("C1", HOUR, "admin", true, "Files.Read.All")],
            vec![],
        );
        assert_eq!(severities(&w.run(&DETECTION, &[])), [Severity::High]);
        // The app's service principal was created in the same operation.
        let mut c = consent_row("C1", HOUR, "alice", false, "offline_access Mail.Send");
        c.correlation_id = Some("op".into());
        let mut sp = audit("S1", HOUR, "Add service principal", "alice", "203.0.113.7");
        sp.correlation_id = Some("op".into());
        sp.targets = vec![other_target("ServicePrincipal", "sp-1", "Mail Sync")];
        let mut grant = audit(
            "G1",
            HOUR,
            "Add delegated permission grant",
            "alice",
            "203.0.113.7",
        );
        grant.correlation_id = Some("op".into());
        let w = World::new(vec![c, sp, grant], vec![]);
        let f = w.run(&DETECTION, &[]);
        assert_eq!(severities(&f), [Severity::High]);
        assert_eq!(
            evidence(&f[0]),
            [("C1", "trigger"), ("G1", "context"), ("S1", "context")]
        );
    }

    #[test]
    fn consent_after_a_guessed_password_is_high() {
        let signs = guessed("alice", "203.0.113.7", "203.0.113.7", 60, 5);
        let w = World::new(
            vec![consent_row("C1", 3 * HOUR, "alice", false, "User.Read")],
            signs.clone(),
        );
        let all = w.run_chain(&["ENT-001", "ENT-017"]);
        let f = of(&all, "ENT-017");
        assert_eq!(f[0].severity, Severity::High);
        let mut want: Vec<(&str, &str)> =
            signs.iter().map(|s| (s.id.as_str(), "context")).collect();
        want.push(("C1", "trigger"));
        assert_eq!(evidence(f[0]), want);
        // Near miss: the consent a day and a minute after the success.
        let w = World::new(
            vec![consent_row(
                "C1",
                (65 + 24 * 60 + 1) * MIN,
                "alice",
                false,
                "User.Read",
            )],
            signs,
        );
        let all = w.run_chain(&["ENT-001", "ENT-017"]);
        assert_eq!(of(&all, "ENT-017")[0].severity, Severity::Info);
    }

    #[test]
    fn benign_sign_in_app_consent_is_info() {
        // A user signs in to a new SaaS app with openid and profile: the
        // service principal is created, nothing risky is granted.
        let mut c = consent_row(
            "C1",
            HOUR,
            "bob",
            false,
            "openid profile User.Read offline_access",
        );
        c.correlation_id = Some("op".into());
        let mut sp = audit("S1", HOUR, "Add service principal", "bob", "203.0.113.7");
        sp.correlation_id = Some("op".into());
        let w = World::new(vec![c, sp], vec![]);
        let f = w.run(&DETECTION, &[]);
        assert_eq!(severities(&f), [Severity::Info]);
        assert!(!f[0].summary.contains("because"), "{}", f[0].summary);
    }
}
