//! ENT-018 New credential on an application or service principal.
//!
//! **What it finds.** Successful "Add service principal credentials" and
//! "Update application – Certificates and secrets management" audits (any
//! dash, any case). The `KeyDescription` property's old and new values are
//! compared: keys whose `KeyIdentifier` is new were added. An update that
//! adds no key (a removal) is not a finding; a row without `KeyDescription`
//! is, since the evidence cannot say what changed. One finding per row.
//!
//! **Why it matters.** A secret or certificate on an app lets whoever holds it
//! sign in as the app, without a user, MFA or Conditional Access for users,
//! and keeps working after every user password is reset. It is the
//! persistence step after an illicit consent or a privileged account
//! takeover (Solorigate).
//!
//! **Evidence.** The credential row (trigger); the consent rows to the same
//! app in the chain window and the sign-ins cited by the initiator's linked
//! findings (context). The summary gives each new key's id, type and usage.
//!
//! **Thresholds.** `consent_h` 48: a successful "Consent to application" to
//! the same app (same target id or display name) in the 48 h before (S20).
//! `link_h` 24: sign-in findings (ENT-001…ENT-013, at least low) of the
//! initiator overlapping the 24 h before. **High:** the app already had keys
//! and a new `Verify` key appears (S19), or the consent chain, or linked
//! findings. Otherwise **medium** for a service principal credential (rare
//! in normal administration: credentials usually live on the application)
//! and **low** for an application credential (routine secret rotation). The
//! catalogue leaves the base severity open; these are entrace's choices.
//!
//! **False positives.** Planned rotations of certificates that already
//! existed (high under S19 when the old key is still present: check the
//! change record and whether the old key is removed soon after).
//!
//! **References.** docs/research/detections.md ENT-018; docs/research/graph.md §4.3 (applications);
//! Sentinel "New access credential added to Application or Service
//! Principal" and "Credential added after admin consented to Application".

use super::audit_common::{
    activity, actor_user, context_of, describe, initiator, property, succeeded, user_label, values,
    Linker, HOUR_NS,
};
use super::config::{Param, Params};
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{needs_audits, Escalation, Rule, Scope};
use entrace_case::records::Audit;

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-018",
    escalation: Escalation::RaisesSignIns,
    reads_findings: true,
    scope: Scope::Tenant,
    name: "New credential on application or service principal",
    severities: "low–high",
    mitre: &["T1098.001"],
    finds: "Secrets and certificates added to apps and service principals; after a consent or suspicious sign-ins, or beside existing keys, high",
    params: &[
        Param { key: "consent_h", default: 48.0, doc: "Hours before the credential in which a consent to the same app makes it high" },
        Param { key: "link_h", default: 24.0, doc: "Hours before the credential in which sign-in findings (ENT-001…013) of the initiator make it high" },
    ],
    requires: needs_audits,
    run,
};

const ADD_SP_CREDENTIAL: &str = "add service principal credentials";
const UPDATE_APP_CREDENTIAL: &str = "update application - certificates and secrets management";

/// One key of a `KeyDescription` value.
#[derive(Debug, Clone, Default, PartialEq)]
struct Key {
    id: String,
    kind: Option<String>,
    usage: Option<String>,
    name: Option<String>,
}

/// `[KeyIdentifier=…,KeyType=Password,KeyUsage=Verify,DisplayName=…]` entries.
fn keys(raw: Option<&str>) -> Vec<Key> {
    let mut out = Vec::new();
    for text in raw.map(values).unwrap_or_default() {
        for entry in text.split("KeyIdentifier=").skip(1) {
            let entry = entry.split(']').next().unwrap_or("");
            let mut key = Key::default();
            for (n, part) in entry.split(',').enumerate() {
                if n == 0 {
                    key.id = part.trim().to_owned();
                    continue;
                }
                let Some((k, v)) = part.split_once('=') else {
                    continue;
                };
                let v = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
                match k.trim() {
                    "KeyType" => key.kind = v,
                    "KeyUsage" => key.usage = v,
                    "DisplayName" => key.name = v,
                    _ => {}
                }
            }
            if !key.id.is_empty() {
                out.push(key);
            }
        }
    }
    out
}

/// The keys before and after: `None` when no target carries `KeyDescription`.
fn key_change(a: &Audit) -> Option<(Vec<Key>, Vec<Key>)> {
    a.targets.iter().find_map(|t| {
        let (old, new) = property(t, "KeyDescription")?;
        let (old, new) = (keys(old), keys(new));
        let added = new
            .into_iter()
            .filter(|k| !old.iter().any(|o| o.id.eq_ignore_ascii_case(&k.id)))
            .collect();
        Some((old, added))
    })
}

/// Whether audits `a` and `b` name the same app (a target id or display name in common).
fn same_app(a: &Audit, b: &Audit) -> bool {
    a.targets.iter().any(|x| {
        b.targets.iter().any(|y| {
            (x.id.is_some() && x.id == y.id)
                || x.display_name
                    .as_deref()
                    .zip(y.display_name.as_deref())
                    .is_some_and(|(p, q)| !p.trim().is_empty() && p.eq_ignore_ascii_case(q))
        })
    })
}

fn describe_key(k: &Key) -> String {
    let mut s = format!(
        "{} key {} (usage {}",
        k.kind.as_deref().unwrap_or("a"),
        k.id,
        k.usage.as_deref().unwrap_or("not recorded")
    );
    if let Some(n) = &k.name {
        s.push_str(&format!(", named {n}"));
    }
    s.push(')');
    s
}

fn run(ctx: &Context<'_>, p: Params<'_>, earlier: &[Finding], out: &mut Vec<Finding>) {
    let chain = (p.get("consent_h") * HOUR_NS as f64) as i64;
    let link = (p.get("link_h") * HOUR_NS as f64) as i64;
    let linker = Linker::new(earlier);
    let audits = &ctx.tables.audits;
    let consents: Vec<usize> = (0..audits.len())
        .filter(|&j| activity(&audits[j]) == "consent to application" && succeeded(&audits[j]))
        .collect();
    for (i, a) in audits.iter().enumerate() {
        let act = activity(a);
        let on_sp = act == ADD_SP_CREDENTIAL;
        if !(on_sp || act == UPDATE_APP_CREDENTIAL) || !succeeded(a) {
            continue;
        }
        let change = key_change(a);
        if change.as_ref().is_some_and(|(_, added)| added.is_empty()) {
            continue;
        }
        let (old, added) = change.unwrap_or_default();
        let new_verify = !old.is_empty()
            && added.iter().any(|k| {
                k.usage
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case("verify"))
            });
        let chained: Vec<usize> = consents
            .iter()
            .copied()
            .filter(|&j| {
                let t = audits[j].time;
                t <= a.time && a.time - t <= chain && same_app(a, &audits[j])
            })
            .collect();
        let user = actor_user(ctx, i);
        let linked = user
            .as_deref()
            .map(|k| linker.linked(k, |n| (1..=13).contains(&n), a.time - link, a.time))
            .unwrap_or_default();
        let mut why = Vec::new();
        if new_verify {
            why.push(format!(
                "the app already had {} key(s) and a new Verify key appeared",
                old.len()
            ));
        }
        if let Some(latest) = chained.iter().map(|&j| audits[j].time).max() {
            why.push(format!(
                "a consent to the same app came {:.1} h before",
                (a.time - latest) as f64 / HOUR_NS as f64
            ));
        }
        if !linked.is_empty() {
            why.push(format!(
                "the initiator has sign-in findings in the {} h before ({})",
                p.get("link_h"),
                describe(&linked)
            ));
        }
        let severity = if !why.is_empty() {
            Severity::High
        } else if on_sp {
            Severity::Medium
        } else {
            Severity::Low
        };
        let app_name = a
            .targets
            .iter()
            .find_map(|t| t.display_name.clone().or_else(|| t.id.clone()))
            .unwrap_or_else(|| "(unnamed)".into());
        let who = match &user {
            Some(k) => user_label(ctx, k),
            None => initiator(a),
        };
        let mut f = ctx.finding(&DETECTION, severity, user.as_deref());
        f.subject_ip = a.actor_ip.clone();
        f.summary = format!(
            "{who} added a credential to the {} {app_name}: {}{}",
            if on_sp {
                "service principal"
            } else {
                "application"
            },
            if added.is_empty() {
                "key details not recorded".to_string()
            } else {
                added
                    .iter()
                    .map(describe_key)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            if why.is_empty() {
                String::new()
            } else {
                format!("; high because {}", why.join("; "))
            }
        );
        f.evidence = vec![ctx.audit(i, EvidenceRole::Trigger)];
        f.evidence
            .extend(chained.iter().map(|&j| ctx.audit(j, EvidenceRole::Context)));
        f.evidence.extend(context_of(&linked));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    const K1: &str = "[KeyIdentifier=k-1,KeyType=Password,KeyUsage=Verify,DisplayName=old]";
    const K2: &str =
        "[KeyIdentifier=k-2,KeyType=AsymmetricX509Cert,KeyUsage=Verify,DisplayName=CN=x]";

    /// `actor` changes the keys of the app "Mail Sync" (`kind` target) from `old` to `new`.
    fn cred(id: &str, time: i64, activity: &str, kind: &str, old: &[&str], new: &[&str]) -> Audit {
        let json = |v: &[&str]| serde_json::to_string(v).unwrap();
        let mut a = audit(id, time, activity, "admin", "198.51.100.20");
        a.targets = vec![with(
            other_target(kind, "obj-1", "Mail Sync"),
            "KeyDescription",
            Some(&json(old)),
            Some(&json(new)),
        )];
        a
    }

    fn consent(id: &str, time: i64) -> Audit {
        let mut a = audit(id, time, "Consent to application", "alice", "203.0.113.7");
        a.targets = vec![other_target("ServicePrincipal", "sp-1", "Mail Sync")];
        a
    }

    const APP: &str = "Update application \u{2013} Certificates and secrets management";

    #[test]
    fn key_descriptions_parse_and_diff() {
        let a = cred("x", 0, APP, "Application", &[K1], &[K1, K2]);
        let (old, added) = key_change(&a).unwrap();
        assert_eq!(old.len(), 1);
        assert_eq!(
            added,
            [Key {
                id: "k-2".into(),
                kind: Some("AsymmetricX509Cert".into()),
                usage: Some("Verify".into()),
                name: Some("CN=x".into()),
            }]
        );
    }

    #[test]
    fn a_verify_key_beside_existing_keys_is_high() {
        let w = World::new(
            vec![cred("A1", HOUR, APP, "Application", &[K1], &[K1, K2])],
            vec![],
        );
        let f = w.run(&DETECTION, &[]);
        assert_eq!(severities(&f), [Severity::High]);
        assert_eq!(evidence(&f[0]), [("A1", "trigger")]);
        assert_eq!(
            f[0].summary,
            "admin@contoso.com added a credential to the application Mail Sync: \
             AsymmetricX509Cert key k-2 (usage Verify, named CN=x); high because the app \
             already had 1 key(s) and a new Verify key appeared"
        );
        // Near miss: the first key of an app with none (hyphen spelling too).
        let hyphen = "Update application - Certificates and secrets management";
        let w = World::new(
            vec![cred("A1", HOUR, hyphen, "Application", &[], &[K2])],
            vec![],
        );
        assert_eq!(severities(&w.run(&DETECTION, &[])), [Severity::Low]);
    }

    #[test]
    fn a_credential_after_a_consent_to_the_same_app_is_high() {
        let add = |t| {
            cred(
                "A1",
                t,
                "Add service principal credentials",
                "ServicePrincipal",
                &[],
                &[K1],
            )
        };
        let w = World::new(vec![consent("C1", HOUR), add(40 * HOUR)], vec![]);
        let f = w.run(&DETECTION, &[]);
        assert_eq!(severities(&f), [Severity::High]);
        assert_eq!(evidence(&f[0]), [("C1", "context"), ("A1", "trigger")]);
        // Near miss: 48 h and a minute after the consent.
        let w = World::new(vec![consent("C1", HOUR), add(49 * HOUR + MIN)], vec![]);
        let f = w.run(&DETECTION, &[]);
        assert_eq!(severities(&f), [Severity::Medium]);
        assert_eq!(evidence(&f[0]), [("A1", "trigger")]);
    }

    #[test]
    fn the_initiators_suspicious_sign_ins_make_it_high() {
        let signs = guessed("admin", "203.0.113.9", "203.0.113.9", 0, 2);
        let w = World::new(
            vec![cred("A1", 5 * HOUR, APP, "Application", &[], &[K1])],
            signs.clone(),
        );
        let all = w.run_chain(&["ENT-001", "ENT-018"]);
        let f = of(&all, "ENT-018");
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(
            evidence(f[0]),
            [
                ("admin-fail-0", "context"),
                ("admin-fail-1", "context"),
                ("admin-ok", "context"),
                ("A1", "trigger")
            ]
        );
    }

    #[test]
    fn removing_a_secret_or_failing_is_not_a_finding() {
        let w = World::new(
            vec![cred("A1", HOUR, APP, "Application", &[K1, K2], &[K2])],
            vec![],
        );
        assert!(w.run(&DETECTION, &[]).is_empty());
        let mut failed = cred("A2", HOUR, APP, "Application", &[], &[K1]);
        failed.result = Some("failure".into());
        let w = World::new(vec![failed], vec![]);
        assert!(w.run(&DETECTION, &[]).is_empty());
    }
}
