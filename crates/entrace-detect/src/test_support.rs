//! Small in-memory evidence for the detection tests: builders for audits,
//! targets and sign-ins, and a [`World`] that resolves identities, correlates
//! and runs detections the way `analyze` does.

use super::config::Config;
use super::context::Context;
use super::finding::{Finding, Severity};
use super::registry::{lookup, Rule};
use entrace_case::correlate::{correlate, Links};
use entrace_case::identity::{observe_all, resolve_all, Identities, Resolved, Users};
use entrace_case::records::{Audit, SignIn, Tables, Target};

/// One minute in ns.
pub(crate) const MIN: i64 = 60 * 1_000_000_000;
/// One hour in ns.
pub(crate) const HOUR: i64 = 60 * MIN;

/// The object id of test user `name`.
pub(crate) fn uid(name: &str) -> String {
    format!("id-{name}")
}

/// The UPN of test user `name`.
pub(crate) fn upn(name: &str) -> String {
    format!("{name}@contoso.com")
}

/// A successful audit `id` with `activity` at `time` (ns), initiated by user `actor` from `ip`.
pub(crate) fn audit(id: &str, time: i64, activity: &str, actor: &str, ip: &str) -> Audit {
    Audit {
        id: id.into(),
        time,
        activity: Some(activity.into()),
        result: Some("success".into()),
        correlation_id: Some(format!("corr-{id}")),
        service: Some("Core Directory".into()),
        actor_id: Some(uid(actor)),
        actor_upn: Some(upn(actor)),
        actor_ip: Some(ip.into()),
        ..Audit::default()
    }
}

/// The `User` target `name`.
pub(crate) fn user_target(name: &str) -> Target {
    Target {
        id: Some(uid(name)),
        kind: Some("User".into()),
        upn: Some(upn(name)),
        ..Target::default()
    }
}

/// A target of `kind` (`ServicePrincipal`, `Role`, `Policy`…) with `id` and `name`.
pub(crate) fn other_target(kind: &str, id: &str, name: &str) -> Target {
    Target {
        id: Some(id.into()),
        display_name: Some(name.into()),
        kind: Some(kind.into()),
        ..Target::default()
    }
}

/// `t` with the modified property `name` (raw JSON-encoded old and new values).
pub(crate) fn with(mut t: Target, name: &str, old: Option<&str>, new: Option<&str>) -> Target {
    t.modified
        .push((Some(name.into()), old.map(Into::into), new.map(Into::into)));
    t
}

/// A sign-in of user `name` from `ip` at `time` (ns) with `code`.
pub(crate) fn sign_in(id: &str, name: &str, ip: &str, time: i64, code: i32) -> SignIn {
    SignIn {
        id: id.into(),
        time,
        user_id: Some(uid(name)),
        upn: Some(upn(name)),
        ip: Some(ip.into()),
        error_code: Some(code),
        browser: Some("Edge 134.0.0".into()),
        os: Some("Windows10".into()),
        client_app_used: Some("Browser".into()),
        country: Some("JP".into()),
        ..SignIn::default()
    }
}

/// Wrong passwords of `name` from `ip` at minutes `first…first+n-1`, then a
/// success from `success_ip` a minute later: an ENT-001 finding (low when
/// the IPs match and n < 5, else medium).
pub(crate) fn guessed(name: &str, ip: &str, success_ip: &str, first: i64, n: i64) -> Vec<SignIn> {
    let mut v: Vec<SignIn> = (0..n)
        .map(|k| {
            sign_in(
                &format!("{name}-fail-{k}"),
                name,
                ip,
                (first + k) * MIN,
                50126,
            )
        })
        .collect();
    v.push(sign_in(
        &format!("{name}-ok"),
        name,
        success_ip,
        (first + n) * MIN,
        0,
    ));
    v
}

/// Tables with identities resolved and records correlated.
pub(crate) struct World {
    tables: Tables,
    identities: Identities,
    users: Users,
    links: Links,
}

impl World {
    /// Resolves and correlates `audits` and `sign_ins`.
    pub(crate) fn new(audits: Vec<Audit>, sign_ins: Vec<SignIn>) -> World {
        let tables = Tables {
            audits,
            sign_ins,
            ..Tables::default()
        };
        let mut identities = observe_all(&tables);
        let users = resolve_all(&tables, &mut identities);
        let ids = |v: &[Option<Resolved>]| -> Vec<Option<String>> {
            v.iter()
                .map(|r| r.as_ref().and_then(|r| r.user_id.clone()))
                .collect()
        };
        let links = correlate(&tables, &ids(&users.sign_ins), &ids(&users.detections));
        World {
            tables,
            identities,
            users,
            links,
        }
    }

    /// The detection context.
    pub(crate) fn ctx(&self) -> Context<'_> {
        Context::new(&self.tables, &self.users, &self.identities, &self.links)
    }

    /// The sealed findings of `det` with the default thresholds, given `earlier`.
    pub(crate) fn run(&self, det: &Rule, earlier: &[Finding]) -> Vec<Finding> {
        let config = Config::default();
        let ctx = self.ctx();
        let mut out = Vec::new();
        (det.run)(&ctx, config.params(det.id), earlier, &mut out);
        out.into_iter().map(Finding::seal).collect()
    }

    /// The sealed findings of the detections `ids`, run in that order, each
    /// seeing the findings of those before it.
    pub(crate) fn run_chain(&self, ids: &[&str]) -> Vec<Finding> {
        let mut all = Vec::new();
        for id in ids {
            let det = lookup(id).unwrap_or_else(|| panic!("{id} is not registered"));
            let found = self.run(det, &all);
            all.extend(found);
        }
        all
    }
}

/// The findings of detection `id` in `all`.
pub(crate) fn of<'f>(all: &'f [Finding], id: &str) -> Vec<&'f Finding> {
    all.iter().filter(|f| f.detection_id == id).collect()
}

/// The severities of `findings`.
pub(crate) fn severities(findings: &[Finding]) -> Vec<Severity> {
    findings.iter().map(|f| f.severity).collect()
}

/// (record id, role) of a finding's evidence, in evidence order.
pub(crate) fn evidence(f: &Finding) -> Vec<(&str, &str)> {
    f.evidence
        .iter()
        .map(|e| (e.record_id.as_str(), e.role.as_str()))
        .collect()
}

/// A synthetic earlier finding of `id` about user `name`, over `first..=last`,
/// citing the sign-in `sign_in_id` (which need not exist) of that user,
/// from no known IP.
pub(crate) fn prior(
    id: &'static str,
    severity: Severity,
    name: &str,
    first: i64,
    last: i64,
    sign_in_id: &str,
) -> Finding {
    use super::finding::{Evidence, EvidenceRole};
    use entrace_model::EntityKind;
    Finding {
        finding_id: String::new(),
        detection_id: id,
        name: "earlier",
        severity,
        mitre: Vec::new(),
        subject_user_id: Some(uid(name)),
        subject_user_principal_name: Some(upn(name)),
        subject_ip: None,
        first_seen: 0,
        last_seen: 0,
        summary: String::new(),
        evidence: vec![
            Evidence {
                time: first,
                entity: EntityKind::SignIn,
                record_id: format!("{sign_in_id}-first"),
                role: EvidenceRole::Trigger,
                user: Some(uid(name)),
                ip: None,
            },
            Evidence {
                time: last,
                entity: EntityKind::SignIn,
                record_id: sign_in_id.into(),
                role: EvidenceRole::Trigger,
                user: Some(uid(name)),
                ip: None,
            },
        ],
        evidence_count: 0,
        thresholds: String::new(),
        join_basis: None,
    }
    .seal()
}

#[test]
fn every_detection_has_unique_threshold_keys_and_id() {
    use super::registry::REGISTRY;
    let mut ids = std::collections::BTreeSet::new();
    for det in REGISTRY {
        assert!(ids.insert(det.id), "{} is registered twice", det.id);
        let mut keys = std::collections::BTreeSet::new();
        for p in det.params {
            assert!(keys.insert(p.key), "{} declares {} twice", det.id, p.key);
            assert!(
                p.default.is_finite() && p.default >= 0.0,
                "{}.{}",
                det.id,
                p.key
            );
        }
    }
}
