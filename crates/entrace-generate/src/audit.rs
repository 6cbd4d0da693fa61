//! Builds directory audits: the shared record builders, a user's own
//! successful self-service password reset, security info registration by new
//! hires, and Identity Protection dismissals (admins' work is in `admin`).
//!
//! Invariants: every record succeeds; nothing here touches roles, consent,
//! credentials or MFA settings; ids follow the service prefixes real exports
//! show (`Directory_`, `SSPR_`, `IPCGraph_`, `Authentication Methods_`).

use super::clock::{self, SEC};
use super::records::{Audit, Initiator, KeyValue, ModifiedProperty, Target, UserIdentity};
use super::rng::Rng;
use super::tenant::{Tenant, User};

/// An audit with its time, ready to be collected.
pub(crate) type Timed = (i64, Audit);

const SHARDS: [&str; 5] = ["ZTHN8", "VNXV4", "MCDC4", "8BHM4", "1ZG16"];
const SSPR: &str = "Self-service Password Management";
const PROGRESS: &str = "Self-service password reset flow activity progress";

/// `initiatedBy` for a user acting from `ip`.
pub(super) fn by_user(user: &User, ip: &str) -> Initiator {
    Initiator {
        app: None,
        user: Some(UserIdentity {
            id: user.id.clone(),
            display_name: None,
            user_principal_name: user.upn.clone(),
            ip_address: ip.to_string(),
            user_type: None,
            home_tenant_id: None,
            home_tenant_name: None,
        }),
    }
}

/// The identity of a target user (a member or an invited guest).
#[derive(Clone, Copy)]
pub(super) struct Who<'a> {
    pub(super) id: &'a str,
    pub(super) upn: &'a str,
    pub(super) display: &'a str,
}

impl<'a> From<&'a User> for Who<'a> {
    fn from(u: &'a User) -> Self {
        Who {
            id: &u.id,
            upn: &u.upn,
            display: &u.display,
        }
    }
}

/// A `User` target; `display` fills `displayName` (SSPR records do, Core Directory ones do not).
pub(super) fn user_target<'a>(
    who: impl Into<Who<'a>>,
    display: bool,
    mods: Vec<ModifiedProperty>,
) -> Target {
    let who = who.into();
    Target {
        id: who.id.to_string(),
        display_name: display.then(|| who.display.to_string()),
        kind: "User",
        user_principal_name: Some(who.upn.to_string()),
        group_type: None,
        modified_properties: mods,
    }
}

/// A `Group` target.
pub(super) fn group_target(t: &Tenant, group: usize) -> Target {
    Target {
        id: t.groups[group].clone(),
        display_name: None,
        kind: "Group",
        user_principal_name: None,
        group_type: None,
        modified_properties: Vec::new(),
    }
}

/// A modified property.
pub(super) fn prop(
    name: &'static str,
    old: Option<String>,
    new: Option<String>,
) -> ModifiedProperty {
    ModifiedProperty {
        display_name: name,
        old_value: old,
        new_value: new,
    }
}

/// `["value"]`, the JSON-in-a-string form of modified properties.
pub(super) fn listed(value: &str) -> String {
    serde_json::Value::from(vec![value]).to_string()
}

/// `"value"` as a JSON string literal.
pub(super) fn quoted(value: &str) -> String {
    serde_json::Value::from(value).to_string()
}

/// What an audit record says happened.
pub(super) struct Spec {
    pub(super) activity: &'static str,
    pub(super) category: &'static str,
    pub(super) service: &'static str,
    pub(super) operation: &'static str,
    pub(super) result_reason: String,
}

/// Assembles a successful audit record.
pub(super) fn record(
    id: String,
    corr: String,
    at: i64,
    spec: Spec,
    by: Initiator,
    targets: Vec<Target>,
) -> Timed {
    let details = if spec.category == "UserManagement" && spec.service == "Core Directory" {
        vec![KeyValue {
            key: "UserType",
            value: "Member",
        }]
    } else {
        Vec::new()
    };
    let audit = Audit {
        id,
        category: spec.category,
        correlation_id: corr,
        result: "success",
        result_reason: spec.result_reason,
        activity_display_name: spec.activity,
        activity_date_time: clock::trimmed(at),
        logged_by_service: spec.service,
        operation_type: spec.operation,
        initiated_by: by,
        target_resources: targets,
        additional_details: details,
    };
    (at, audit)
}

/// An audit with a service-prefixed id (`<prefix>_<correlationId>_<shard>_<n>`).
pub(super) fn directory(
    rng: &mut Rng,
    prefix: &str,
    at: i64,
    spec: Spec,
    by: Initiator,
    targets: Vec<Target>,
) -> Timed {
    let corr = rng.guid().to_string();
    let id = format!(
        "{prefix}_{corr}_{}_{:08}",
        rng.pick(&SHARDS),
        rng.below(100_000_000)
    );
    record(id, corr, at, spec, by, targets)
}

/// A Core Directory activity.
pub(super) fn core(
    activity: &'static str,
    category: &'static str,
    operation: &'static str,
) -> Spec {
    Spec {
        activity,
        category,
        service: "Core Directory",
        operation,
        result_reason: String::new(),
    }
}

/// Sub-second jitter so audit times look like the service's 100 ns stamps.
pub(super) fn jitter(rng: &mut Rng) -> i64 {
    rng.range(0, 9_999_999) * 100
}

/// A successful self-service password reset by the user themself, finishing at `end`.
pub(crate) fn self_service_reset(rng: &mut Rng, user: &User, ip: &str, end: i64) -> Vec<Timed> {
    let method = *rng.pick(&["mobile SMS", "mobile app notification", "email"]);
    let corr = rng.guid().to_string();
    let steps = [
        (
            PROGRESS,
            format!("User started the {method} verification option"),
        ),
        (
            PROGRESS,
            format!("User completed the {method} verification option"),
        ),
        (PROGRESS, "User submitted a new password".to_string()),
        (
            "Reset password (self-service)",
            "Successfully completed reset.".to_string(),
        ),
    ];
    let offsets = [rng.range(90, 150), rng.range(40, 80), 1, 0];
    steps
        .into_iter()
        .zip(offsets)
        .enumerate()
        .map(|(i, ((activity, reason), back))| {
            let at = end - back * SEC + jitter(rng);
            let spec = Spec {
                activity,
                category: "UserManagement",
                service: SSPR,
                operation: "Update",
                result_reason: reason,
            };
            record(
                format!("SSPR_{corr}_{}", i + 1),
                corr.clone(),
                at,
                spec,
                by_user(user, ip),
                vec![user_target(user, true, Vec::new())],
            )
        })
        .collect()
}

/// A new hire registering the Authenticator app at their first sign-in.
pub(crate) fn security_info(rng: &mut Rng, user: &User, ip: &str, at: i64) -> Timed {
    let corr = rng.guid().to_string();
    let id = format!(
        "Authentication Methods_{corr}_{}_{:09}",
        rng.pick(&SHARDS),
        rng.below(1_000_000_000)
    );
    let spec = Spec {
        activity: "User registered security info",
        category: "UserManagement",
        service: "Authentication Methods",
        operation: "Add",
        result_reason: "User registered Authenticator App with Notification and Code".to_string(),
    };
    record(
        id,
        corr,
        at + jitter(rng),
        spec,
        by_user(user, ip),
        vec![user_target(user, true, Vec::new())],
    )
}

/// An admin dismissing a user's risk in Identity Protection.
pub(crate) fn dismiss(rng: &mut Rng, admin: &User, ip: &str, at: i64, target: &User) -> Timed {
    let spec = Spec {
        activity: "DismissUser",
        category: "Other",
        service: "Identity Protection",
        operation: "Update",
        result_reason: String::new(),
    };
    directory(
        rng,
        "IPCGraph",
        at,
        spec,
        by_user(admin, ip),
        vec![user_target(target, false, Vec::new())],
    )
}
