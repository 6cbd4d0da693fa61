//! What the directory-audit detections (ENT-016…021) share: activity names
//! compared loosely, modified-property values decoded, the users an audit is
//! about, and the earlier findings that touch a user in a time window.
//!
//! Activity names are display strings whose case and dashes vary between
//! services ("Update application – Certificates and secrets management" with
//! an en dash in real data, a hyphen in the docs), so they are compared after
//! [`activity_key`]. Modified-property values are the JSON-encoded strings
//! Graph writes (`"\"Global Administrator\""`, `["a","b"]`), decoded by
//! [`values`].

use std::collections::{BTreeMap, BTreeSet};

use super::context::{user_key, Context};
use super::finding::{Evidence, EvidenceRole, Finding, Severity};
use crate::analyze::load::{Audit, Target};
use crate::model::EntityKind;

/// One hour in ns.
pub(crate) const HOUR_NS: i64 = 3600 * 1_000_000_000;

/// An activity name lower-cased, trimmed, with every dash (U+2010…U+2015)
/// made '-' and runs of white space made one space.
pub(crate) fn activity_key(activity: &str) -> String {
    activity
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' => '-',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
}

/// The activity of an audit as an [`activity_key`].
pub(crate) fn activity(a: &Audit) -> String {
    activity_key(a.activity.as_deref().unwrap_or(""))
}

/// Whether an audit's result is success (`success` in any case, or the `0`
/// one Azure Monitor sample writes).
pub(crate) fn succeeded(a: &Audit) -> bool {
    a.result
        .as_deref()
        .map(str::trim)
        .is_some_and(|r| r.eq_ignore_ascii_case("success") || r == "0")
}

/// The strings in a modified-property value: a JSON string gives itself, an
/// array its elements (non-strings as JSON), `null` and `[]` nothing; a value
/// that is not JSON is kept as it is, quotes trimmed.
pub(crate) fn values(raw: &str) -> Vec<String> {
    fn flatten(v: serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Null => {}
            serde_json::Value::String(s) => out.push(s),
            serde_json::Value::Array(items) => {
                for item in items {
                    flatten(item, out);
                }
            }
            other => out.push(other.to_string()),
        }
    }
    let raw = raw.trim();
    if raw.is_empty() {
        return Vec::new();
    }
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(v) => {
            let mut out = Vec::new();
            flatten(v, &mut out);
            out
        }
        Err(_) => vec![raw.trim_matches('"').to_owned()],
    }
}

/// The raw (old, new) values of the modified property `name` (any case).
pub(crate) fn property<'t>(
    t: &'t Target,
    name: &str,
) -> Option<(Option<&'t str>, Option<&'t str>)> {
    t.modified.iter().find_map(|(n, old, new)| {
        n.as_deref()
            .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
            .then_some((old.as_deref(), new.as_deref()))
    })
}

/// The first decoded new value of property `name` on any target, else the
/// first old one (removals have only an old value).
pub(crate) fn property_text(a: &Audit, name: &str) -> Option<String> {
    a.targets.iter().find_map(|t| {
        let (old, new) = property(t, name)?;
        new.map(values)
            .and_then(|v| v.into_iter().find(|s| !s.trim().is_empty()))
            .or_else(|| {
                old.map(values)
                    .and_then(|v| v.into_iter().find(|s| !s.trim().is_empty()))
            })
    })
}

/// The first `User` target of audit `i` that resolves to a user: its index in
/// `targets` and its user key.
pub(crate) fn target_user(ctx: &Context<'_>, i: usize) -> Option<(usize, String)> {
    let a = &ctx.tables.audits[i];
    a.targets
        .iter()
        .zip(&ctx.users.audit_targets[i])
        .enumerate()
        .find_map(|(j, (t, who))| {
            t.is_user()
                .then(|| user_key(who.as_ref(), t.upn.as_deref()))
                .flatten()
                .map(|k| (j, k))
        })
}

/// The user key of the user who initiated audit `i`.
pub(crate) fn actor_user(ctx: &Context<'_>, i: usize) -> Option<String> {
    user_key(
        ctx.users.audit_actors[i].as_ref(),
        ctx.tables.audits[i].actor_upn.as_deref(),
    )
}

/// Who initiated an audit, for summaries: the UPN, else the app's name, else
/// the object id.
pub(crate) fn initiator(a: &Audit) -> String {
    a.actor_upn
        .clone()
        .or_else(|| a.actor_app.as_ref().map(|n| format!("the app {n}")))
        .or_else(|| a.actor_id.clone())
        .unwrap_or_else(|| "an unknown initiator".into())
}

/// How a user key reads in a summary: the UPN when known, else the key.
pub(crate) fn user_label(ctx: &Context<'_>, key: &str) -> String {
    match key.strip_prefix("upn:") {
        Some(upn) => upn.to_owned(),
        None => ctx.identities.upn_of(key).unwrap_or(key).to_owned(),
    }
}

/// `ENT-013` → 13.
pub(crate) fn detection_number(id: &str) -> Option<u32> {
    id.strip_prefix("ENT-")?.parse().ok()
}

/// The earlier findings, indexed to ask which touch a user and when.
pub(crate) struct Linker<'a> {
    ctx: &'a Context<'a>,
    earlier: &'a [Finding],
    sign_in_by_id: BTreeMap<&'a str, usize>,
    /// Per earlier finding, the user keys it touches.
    touched: Vec<BTreeSet<String>>,
}

impl<'a> Linker<'a> {
    /// Indexes the sign-ins by record id and the users each finding touches.
    pub(crate) fn new(ctx: &'a Context<'a>, earlier: &'a [Finding]) -> Self {
        let sign_in_by_id: BTreeMap<&str, usize> = ctx
            .tables
            .sign_ins
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let detection_by_id: BTreeMap<&str, usize> = ctx
            .tables
            .detections
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id.as_str(), i))
            .collect();
        // A finding touches its subject (by id, and by UPN for users known
        // only by name) and the users of the sign-ins and risk detections it
        // cites: a spray finding is about an IP, yet touches every sprayed user.
        let touched = earlier
            .iter()
            .map(|f| {
                let mut keys: BTreeSet<String> = BTreeSet::new();
                keys.extend(f.subject_user_id.clone());
                keys.extend(
                    f.subject_user_principal_name
                        .as_ref()
                        .map(|u| format!("upn:{}", u.to_lowercase())),
                );
                for e in &f.evidence {
                    let key = match e.entity {
                        EntityKind::SignIn => sign_in_by_id
                            .get(e.record_id.as_str())
                            .and_then(|&i| ctx.sign_in_user(i).map(str::to_owned)),
                        EntityKind::RiskDetection => detection_by_id
                            .get(e.record_id.as_str())
                            .and_then(|&i| ctx.detection_user(i)),
                        _ => None,
                    };
                    keys.extend(key);
                }
                keys
            })
            .collect();
        Linker {
            ctx,
            earlier,
            sign_in_by_id,
            touched,
        }
    }

    /// Earlier findings of the detections `ids` accepts (by number), at least
    /// low, touching `key`, whose window overlaps `from..=to`; in finding order.
    pub(crate) fn linked(
        &self,
        key: &str,
        ids: impl Fn(u32) -> bool,
        from: i64,
        to: i64,
    ) -> Vec<&'a Finding> {
        self.earlier
            .iter()
            .zip(&self.touched)
            .filter(|(f, _)| detection_number(f.detection_id).is_some_and(&ids))
            .filter(|(f, _)| f.severity >= Severity::Low)
            .filter(|(f, _)| f.first_seen <= to && f.last_seen >= from)
            .filter(|(_, users)| users.contains(key))
            .map(|(f, _)| f)
            .collect()
    }

    /// The IPs of the sign-ins `findings` cite for `key`, and their subject IPs.
    pub(crate) fn ips(&self, findings: &[&Finding], key: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for f in findings {
            out.extend(f.subject_ip.clone());
            for e in &f.evidence {
                if let (EntityKind::SignIn, Some(&i)) =
                    (e.entity, self.sign_in_by_id.get(e.record_id.as_str()))
                {
                    if self.ctx.sign_in_user(i) == Some(key) {
                        out.extend(self.ctx.tables.sign_ins[i].ip.clone());
                    }
                }
            }
        }
        out
    }
}

/// The trigger rows of `findings`, as context.
pub(crate) fn context_of(findings: &[&Finding]) -> Vec<Evidence> {
    findings
        .iter()
        .flat_map(|f| &f.evidence)
        .filter(|e| e.role == EvidenceRole::Trigger)
        .map(|e| Evidence {
            role: EvidenceRole::Context,
            ..e.clone()
        })
        .collect()
}

/// `ENT-001 F-… (medium), ENT-002 F-… (medium)`.
pub(crate) fn describe(findings: &[&Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("{} {} ({})", f.detection_id, f.finding_id, f.severity))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_keys_ignore_case_dashes_and_spacing() {
        assert_eq!(
            activity_key("Update application \u{2013} Certificates and  secrets management "),
            "update application - certificates and secrets management"
        );
        assert_eq!(activity_key("Add Member To Role"), "add member to role");
    }

    #[test]
    fn values_decode_graph_json_strings() {
        assert_eq!(values("\"Global Administrator\""), ["Global Administrator"]);
        assert_eq!(values("[\"a\",\"b\"]"), ["a", "b"]);
        assert_eq!(values("[true]"), ["true"]);
        assert!(values("[]").is_empty());
        assert!(values("null").is_empty());
        assert_eq!(values("True"), ["True"]);
        assert_eq!(detection_number("ENT-013"), Some(13));
        assert_eq!(detection_number("X-1"), None);
    }
}
