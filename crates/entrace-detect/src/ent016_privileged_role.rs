//! ENT-016 Privileged role assignment.
//!
//! **What it finds.** Successful directory role assignments: "Add member to
//! role", "Add eligible member to role", "Add scoped member to role" and "Add
//! member to role outside of PIM" (names compared case-insensitively). The
//! role comes from the assignee's modified properties (`Role.DisplayName`,
//! `Role.TemplateId`) or from a `Role` target. It is privileged when its
//! template id is in the table below (docs/research/detections.md §5.2) or its name
//! contains "Administrator". One finding per audit row.
//!
//! **Why it matters.** A role is the shortest way from one stolen account to
//! the whole tenant: attackers add themselves or a second account they hold
//! to Global Administrator and the like, so that a password reset of the
//! first account does not lock them out.
//!
//! **Evidence.** The assignment row (trigger); the rows sharing its
//! correlationId and the sign-ins cited by the linked findings (context). The
//! summary names the assignee, role, template id, initiator and the linked
//! finding ids.
//!
//! **Thresholds.** `link_h` 24: sign-in findings (ENT-001…ENT-013, at least
//! low) of the assignee or the initiator that overlap the 24 h before the
//! assignment. Privileged role: **high** when the initiator is not the PIM
//! service (`initiatedBy.app` "MS-PIM") or there are linked findings;
//! **medium** when PIM activated it with no linked findings. Other roles:
//! **medium** with linked findings, **low** outside PIM, **info** through
//! PIM. Deviation from the catalogue, which gives every other assignment
//! medium: activating an eligible reader role through PIM is routine, and a
//! timeline entry is enough.
//!
//! **False positives.** Planned assignments by administrators outside PIM
//! (high by design: confirm with the change record).
//!
//! **References.** docs/research/detections.md ENT-016 and the privileged role template
//! table; docs/research/graph.md §4.3 (role activities); Sentinel "User added to Microsoft
//! Entra ID Privileged Groups"; Microsoft Learn, "Microsoft Entra built-in
//! roles".

use std::collections::BTreeMap;

use super::audit_common::{
    activity, actor_user, context_of, describe, initiator, property, succeeded, target_user,
    user_label, values, Linker, HOUR_NS,
};
use super::config::{Param, Params};
use super::context::{user_key, Context};
use super::finding::{Finding, Severity};
use super::registry::{needs_audits, Escalation, Rule, Scope};
use super::vocabulary::Vocabulary;
use entrace_case::records::Audit;

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-016",
    escalation: Escalation::RaisesSignIns,
    reads_findings: true,
    scope: Scope::Tenant,
    name: "Privileged role assignment",
    severities: "info–high",
    mitre: &["T1098.003"],
    finds: "Directory role assignments; privileged roles outside PIM or after suspicious sign-ins are high",
    params: &[
        Param { key: "link_h", default: 24.0, doc: "Hours before the assignment in which sign-in findings (ENT-001…013) of the assignee or initiator raise it" },
    ],
    requires: needs_audits,
    run,
};

/// The PIM service's initiator name.
const PIM: &str = "MS-PIM";

/// A role given by an assignment audit.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RoleGrant {
    /// `Role.DisplayName`, else the `Role` target's name.
    pub name: Option<String>,
    /// `Role.TemplateId`, else a `Role` target id found in the table.
    pub template: Option<String>,
    /// Whether the role is privileged.
    pub privileged: bool,
    /// Index in `targets` of the assignee (a user, group or service principal).
    pub assignee: Option<usize>,
}

fn is_assignment(a: &Audit) -> bool {
    let act = activity(a);
    matches!(
        act.as_str(),
        "add member to role" | "add eligible member to role" | "add scoped member to role"
    ) || act.starts_with("add member to role outside of pim")
}

/// The role a successful assignment audit gives, `None` for other audits.
pub(super) fn role_grant(v: &Vocabulary, a: &Audit) -> Option<RoleGrant> {
    if !is_assignment(a) || !succeeded(a) {
        return None;
    }
    let first = |name: &str| {
        a.targets.iter().find_map(|t| {
            let (old, new) = property(t, name)?;
            new.or(old)
                .map(values)
                .and_then(|v| v.into_iter().find(|s| !s.trim().is_empty()))
        })
    };
    let is_role = |k: &Option<String>| k.as_deref().is_some_and(|k| k.eq_ignore_ascii_case("role"));
    let role_target = a.targets.iter().find(|t| is_role(&t.kind));
    let known = |id: &str| {
        v.privileged_roles
            .iter()
            .any(|r| r.template_id.eq_ignore_ascii_case(id.trim()))
    };
    let name =
        first("Role.DisplayName").or_else(|| role_target.and_then(|t| t.display_name.clone()));
    let template = first("Role.TemplateId").or_else(|| {
        role_target
            .and_then(|t| t.id.clone())
            .filter(|id| known(id))
    });
    let privileged = template.as_deref().is_some_and(known)
        || name
            .as_deref()
            .is_some_and(|n| n.to_lowercase().contains("administrator"));
    let assignee = a
        .targets
        .iter()
        .position(|t| t.is_user())
        .or_else(|| a.targets.iter().position(|t| !is_role(&t.kind)));
    Some(RoleGrant {
        name,
        template,
        privileged,
        assignee,
    })
}

/// Per user key, the audits that give that user a privileged role (any time
/// in the evidence).
pub(super) fn privileged_users(ctx: &Context<'_>) -> BTreeMap<String, Vec<usize>> {
    let mut out: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, a) in ctx.tables.audits.iter().enumerate() {
        let Some(j) = role_grant(ctx.vocabulary, a)
            .filter(|g| g.privileged)
            .and_then(|g| g.assignee)
        else {
            continue;
        };
        if let Some(k) = user_key(
            ctx.users.audit_targets[i][j].as_ref(),
            a.targets[j].upn.as_deref(),
        ) {
            out.entry(k).or_default().push(i);
        }
    }
    out
}

/// Whether the PIM service initiated the audit.
fn by_pim(a: &Audit) -> bool {
    a.actor_app
        .as_deref()
        .is_some_and(|n| n.trim().eq_ignore_ascii_case(PIM))
}

fn run(ctx: &Context<'_>, p: Params<'_>, earlier: &[Finding], out: &mut Vec<Finding>) {
    let link = (p.get("link_h") * HOUR_NS as f64) as i64;
    let linker = Linker::new(earlier);
    let sign_in_detection = |n: u32| (1..=13).contains(&n);
    for (i, a) in ctx.tables.audits.iter().enumerate() {
        let Some(grant) = role_grant(ctx.vocabulary, a) else {
            continue;
        };
        let assignee_key = target_user(ctx, i).map(|(_, k)| k);
        let actor_key = actor_user(ctx, i);
        let mut linked: Vec<&Finding> = Vec::new();
        for key in assignee_key.iter().chain(actor_key.iter()) {
            for f in linker.linked(key, sign_in_detection, a.time - link, a.time) {
                if !linked.iter().any(|g| std::ptr::eq(*g, f)) {
                    linked.push(f);
                }
            }
        }
        let pim = by_pim(a);
        let severity = match (grant.privileged, pim, linked.is_empty()) {
            (true, false, _) | (true, true, false) => Severity::High,
            (true, true, true) | (false, _, false) => Severity::Medium,
            (false, false, true) => Severity::Low,
            (false, true, true) => Severity::Info,
        };
        let assignee = match &assignee_key {
            Some(k) => user_label(ctx, k),
            None => grant
                .assignee
                .map(|j| &a.targets[j])
                .and_then(|t| t.display_name.clone().or_else(|| t.id.clone()))
                .unwrap_or_else(|| "an unnamed principal".into()),
        };
        let mut why = Vec::new();
        if grant.privileged && !pim {
            why.push("the assignment did not come from PIM".to_string());
        }
        if !linked.is_empty() {
            why.push(format!(
                "the assignee or initiator has sign-in findings in the {} h before ({})",
                p.get("link_h"),
                describe(&linked)
            ));
        }
        let mut f = ctx.finding(&DETECTION, severity, assignee_key.as_deref());
        f.subject_ip = a.actor_ip.clone();
        f.summary = format!(
            "{assignee} was given the {} role {}{} by {}{}",
            if grant.privileged {
                "privileged"
            } else {
                "non-privileged"
            },
            grant.name.as_deref().unwrap_or("(name not recorded)"),
            grant
                .template
                .as_deref()
                .map(|t| format!(" (template {t})"))
                .unwrap_or_default(),
            if pim {
                "PIM (MS-PIM)".to_string()
            } else {
                initiator(a)
            },
            if why.is_empty() {
                String::new()
            } else {
                format!("; {} because {}", severity, why.join("; "))
            }
        );
        f.evidence = ctx.audit_and_flow(i);
        f.evidence.extend(context_of(&linked));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::*;

    const GA: &str = "62e90394-69f5-4237-9190-012177145e10";

    /// `actor` adds user `who` to `role` (template `template`) at `time`.
    fn grant(id: &str, time: i64, actor: &str, who: &str, role: &str, template: &str) -> Audit {
        let mut a = audit(id, time, "Add member to role", actor, "198.51.100.20");
        a.category = Some("RoleManagement".into());
        a.targets = vec![
            with(
                with(
                    user_target(who),
                    "Role.DisplayName",
                    None,
                    Some(&format!("\"{role}\"")),
                ),
                "Role.TemplateId",
                None,
                Some(&format!("\"{template}\"")),
            ),
            other_target("Role", "role-object-1", role),
        ];
        a
    }

    fn via_pim(mut a: Audit) -> Audit {
        a.actor_id = None;
        a.actor_upn = None;
        a.actor_ip = None;
        a.actor_app = Some("MS-PIM".into());
        a
    }

    #[test]
    fn role_comes_from_properties_or_the_role_target() {
        let a = grant("r", 0, "admin", "bob", "Global Administrator", GA);
        let g = role_grant(Vocabulary::builtin(), &a).unwrap();
        assert_eq!(g.name.as_deref(), Some("Global Administrator"));
        assert_eq!(g.template.as_deref(), Some(GA));
        assert!(g.privileged);
        assert_eq!(g.assignee, Some(0));
        // Only a Role target whose id is a known template id.
        let mut a = audit("r", 0, "add member to role", "admin", "x");
        a.targets = vec![user_target("bob"), other_target("Role", GA, "")];
        let g = role_grant(Vocabulary::builtin(), &a).unwrap();
        assert_eq!(g.template.as_deref(), Some(GA));
        assert!(g.privileged);
        // Failures and other activities give nothing.
        a.result = Some("failure".into());
        assert_eq!(role_grant(Vocabulary::builtin(), &a), None);
    }

    #[test]
    fn privileged_role_outside_pim_is_high() {
        let w = World::new(
            vec![grant(
                "A1",
                10 * HOUR,
                "admin",
                "bob",
                "Global Administrator",
                GA,
            )],
            vec![],
        );
        let f = w.run(&DETECTION, &[]);
        assert_eq!(severities(&f), [Severity::High]);
        assert_eq!(evidence(&f[0]), [("A1", "trigger")]);
        assert_eq!(f[0].subject_user_id.as_deref(), Some("id-bob"));
        assert!(
            f[0].summary.starts_with(
                "bob@contoso.com was given the privileged role Global Administrator \
                 (template 62e90394-69f5-4237-9190-012177145e10) by admin@contoso.com; high"
            ),
            "{}",
            f[0].summary
        );
    }

    #[test]
    fn pim_activation_is_high_only_after_suspicious_sign_ins() {
        // Bob's password was guessed (ENT-001) two hours before PIM activated his role.
        let signs = guessed("bob", "203.0.113.5", "203.0.113.5", 8 * 60, 5);
        let role = |t| {
            via_pim(grant(
                "A1",
                t,
                "x",
                "bob",
                "Security Administrator",
                "194ae4cb-b126-40b2-bd5b-6091b380977d",
            ))
        };
        let w = World::new(vec![role(10 * HOUR)], signs.clone());
        let all = w.run_chain(&["ENT-001", "ENT-016"]);
        let f = of(&all, "ENT-016");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        let mut want: Vec<(&str, &str)> =
            signs.iter().map(|s| (s.id.as_str(), "context")).collect();
        want.push(("A1", "trigger"));
        assert_eq!(evidence(f[0]), want);
        assert!(f[0].summary.contains("ENT-001 F-"), "{}", f[0].summary);

        // Near miss: the success was 24 h and one minute before the activation.
        let late = 8 * HOUR + 5 * MIN + 24 * HOUR + MIN;
        let w = World::new(vec![role(late)], signs);
        let all = w.run_chain(&["ENT-001", "ENT-016"]);
        let f = of(&all, "ENT-016");
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(evidence(f[0]), [("A1", "trigger")]);
    }

    #[test]
    fn pim_activating_a_reader_role_is_info() {
        let w = World::new(
            vec![via_pim(grant(
                "A1",
                HOUR,
                "x",
                "carol",
                "Reports Reader",
                "4a5d8f65-41da-4de4-8968-e035b65339cf",
            ))],
            vec![],
        );
        let f = w.run(&DETECTION, &[]);
        assert_eq!(severities(&f), [Severity::Info]);
        assert!(f[0].summary.contains("non-privileged role Reports Reader"));
        // The same role given by hand is low; a failed assignment is nothing.
        let mut by_hand = grant("A2", HOUR, "admin", "carol", "Reports Reader", "x");
        let w = World::new(vec![by_hand.clone()], vec![]);
        assert_eq!(severities(&w.run(&DETECTION, &[])), [Severity::Low]);
        by_hand.result = Some("failure".into());
        let w = World::new(vec![by_hand], vec![]);
        assert!(w.run(&DETECTION, &[]).is_empty());
    }

    #[test]
    fn the_initiators_findings_count_and_peers_are_context() {
        // A PIM-free assignment by an admin whose own sign-in looked wrong
        // (a synthetic ENT-012 finding), written as two rows of one operation.
        let mut a = grant("A1", 30 * HOUR, "admin", "dave", "Reports Reader", "x");
        a.correlation_id = Some("op".into());
        let mut peer = audit(
            "A0",
            30 * HOUR,
            "Add role assignment to role definition",
            "admin",
            "x",
        );
        peer.correlation_id = Some("op".into());
        let w = World::new(vec![peer, a], vec![]);
        let earlier = [prior(
            "ENT-012",
            Severity::Medium,
            "admin",
            20 * HOUR,
            29 * HOUR,
            "s9",
        )];
        let f = w.run(&DETECTION, &earlier);
        assert_eq!(severities(&f), [Severity::Medium]);
        assert_eq!(
            evidence(&f[0]),
            [
                ("s9-first", "context"),
                ("s9", "context"),
                ("A0", "context"),
                ("A1", "trigger")
            ]
        );
        // An info finding (too little history) does not raise it.
        let earlier = [prior(
            "ENT-013",
            Severity::Info,
            "admin",
            20 * HOUR,
            29 * HOUR,
            "s9",
        )];
        assert_eq!(severities(&w.run(&DETECTION, &earlier)), [Severity::Low]);
    }
}
