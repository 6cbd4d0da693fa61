//! What the directory-audit detections (ENT-016…021) share: the users an
//! audit is about, and the earlier findings that touch a user in a time
//! window. What an audit means (activity names, modified properties) is
//! `analyze::audit`'s, shared with the timeline.

use std::collections::{BTreeSet, HashMap};

use super::context::{user_key, Context};
use super::finding::{Evidence, EvidenceRole, Finding, Severity};
pub(crate) use entrace_case::audit::{activity, property, property_text, succeeded, values};
use entrace_case::records::Audit;
use entrace_model::EntityKind;

/// One hour in ns.
pub(crate) const HOUR_NS: i64 = 3600 * 1_000_000_000;

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
    earlier: &'a [Finding],
    /// Per user key, the earlier findings that touch it, in finding order:
    /// a lookup is the user's findings, not every finding.
    touching: HashMap<String, Vec<usize>>,
}

impl<'a> Linker<'a> {
    /// Indexes the users each earlier finding touches.
    pub(crate) fn new(earlier: &'a [Finding]) -> Self {
        // A finding touches its subject (by id, and by UPN for users known
        // only by name) and the users of the sign-ins and risk detections it
        // cites: a spray finding is about an IP, yet touches every sprayed user.
        let mut touching: HashMap<String, Vec<usize>> = HashMap::new();
        for (n, f) in earlier.iter().enumerate() {
            let mut keys: BTreeSet<String> = BTreeSet::new();
            keys.extend(f.subject_user_id.clone());
            keys.extend(
                f.subject_user_principal_name
                    .as_ref()
                    .map(|u| format!("upn:{}", u.to_lowercase())),
            );
            for e in &f.evidence {
                if matches!(e.entity, EntityKind::SignIn | EntityKind::RiskDetection) {
                    keys.extend(e.user.clone());
                }
            }
            for key in keys {
                touching.entry(key).or_default().push(n);
            }
        }
        Linker { earlier, touching }
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
        let earlier: &'a [Finding] = self.earlier;
        self.touching
            .get(key)
            .into_iter()
            .flatten()
            .map(|&n| &earlier[n])
            .filter(|f| detection_number(f.detection_id).is_some_and(&ids))
            .filter(|f| f.severity >= Severity::Low)
            .filter(|f| f.first_seen <= to && f.last_seen >= from)
            .collect()
    }

    /// The IPs of the sign-ins `findings` cite for `key`, and their subject IPs.
    pub(crate) fn ips(&self, findings: &[&Finding], key: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for f in findings {
            out.extend(f.subject_ip.clone());
            for e in &f.evidence {
                if e.entity == EntityKind::SignIn && e.user.as_deref() == Some(key) {
                    out.extend(e.ip.clone());
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
    fn detection_numbers_are_read_from_ids() {
        assert_eq!(detection_number("ENT-013"), Some(13));
        assert_eq!(detection_number("X-1"), None);
    }
}
