//! Admins' everyday directory work: user updates, group membership, licences,
//! guest invitations, and creating new hires.
//!
//! Invariants: every record succeeds; no role, consent, credential or MFA
//! setting is touched.

use super::audit::{
    by_user, core, directory, group_target, jitter, listed, prop, quoted, user_target, Spec, Timed,
    Who,
};
use super::catalog::{DEPARTMENTS, GROUPS, JOB_TITLES, OFFICES, PARTNERS};
use super::clock::SEC;
use super::names::{WEST_FAMILY, WEST_GIVEN};
use super::records::{AppIdentity, Initiator};
use super::rng::Rng;
use super::tenant::{capitalise, Tenant, User, DOMAIN};

/// One piece of ordinary admin work on `target` at about `at`.
pub(crate) fn admin_work(
    rng: &mut Rng,
    t: &Tenant,
    admin: &User,
    ip: &str,
    at: i64,
    target: &User,
) -> Vec<Timed> {
    let at = at + jitter(rng);
    match rng.weighted(&[45, 30, 15, 10]) {
        0 => {
            let (name, choices): (&'static str, &[&str]) = if rng.chance(0.6) {
                ("JobTitle", &JOB_TITLES[..])
            } else {
                ("Department", &DEPARTMENTS[..])
            };
            let value = *rng.pick::<&str>(choices);
            let mods = vec![
                prop(name, Some("[]".into()), Some(listed(value))),
                prop("Included Updated Properties", None, Some(quoted(name))),
            ];
            let spec = core("Update user", "UserManagement", "Update");
            vec![directory(
                rng,
                "Directory",
                at,
                spec,
                by_user(admin, ip),
                vec![user_target(target, false, mods)],
            )]
        }
        1 => {
            let group = other_group(rng);
            vec![add_to_group(rng, t, admin, ip, at, target.into(), group)]
        }
        2 => {
            let spec = core("Change user license", "UserManagement", "Update");
            vec![directory(
                rng,
                "Directory",
                at,
                spec,
                by_user(admin, ip),
                vec![user_target(target, false, Vec::new())],
            )]
        }
        _ => invite(rng, t, admin, ip, at),
    }
}

/// A group other than Partners-External (the last one).
fn other_group(rng: &mut Rng) -> usize {
    rng.index(GROUPS.len() - 1)
}

fn add_to_group(
    rng: &mut Rng,
    t: &Tenant,
    admin: &User,
    ip: &str,
    at: i64,
    target: Who<'_>,
    group: usize,
) -> Timed {
    let mods = vec![
        prop("Group.ObjectID", None, Some(quoted(&t.groups[group]))),
        prop("Group.DisplayName", None, Some(quoted(GROUPS[group]))),
    ];
    let targets = vec![group_target(t, group), user_target(target, false, mods)];
    let spec = core("Add member to group", "GroupManagement", "Assign");
    directory(rng, "Directory", at, spec, by_user(admin, ip), targets)
}

/// Invites a partner's employee as a guest and, usually, adds them to Partners-External.
fn invite(rng: &mut Rng, t: &Tenant, admin: &User, ip: &str, at: i64) -> Vec<Timed> {
    let (given, family) = (*rng.pick(&WEST_GIVEN), *rng.pick(&WEST_FAMILY));
    let (domain, org) = *rng.pick(&PARTNERS);
    let id = rng.guid().to_string();
    let upn = format!("{given}.{family}_{domain}#EXT#@{DOMAIN}");
    let display = format!("{} {} ({org})", capitalise(given), capitalise(family));
    let guest = Who {
        id: &id,
        upn: &upn,
        display: &display,
    };
    let spec = Spec {
        activity: "Invite external user",
        category: "UserManagement",
        service: "Invited Users",
        operation: "Add",
        result_reason: String::new(),
    };
    let mut out = vec![directory(
        rng,
        "Directory",
        at,
        spec,
        by_user(admin, ip),
        vec![user_target(guest, true, Vec::new())],
    )];
    if rng.chance(0.7) {
        let later = at + rng.range(40, 300) * SEC + jitter(rng);
        out.push(add_to_group(
            rng,
            t,
            admin,
            ip,
            later,
            guest,
            GROUPS.len() - 1,
        ));
    }
    out
}

/// A new hire's records: Add user, the Exchange proxy address, a licence and a group.
pub(crate) fn new_hire(
    rng: &mut Rng,
    t: &Tenant,
    admin: &User,
    ip: &str,
    at: i64,
    hire: &User,
) -> Vec<Timed> {
    let mods = vec![
        prop("AccountEnabled", Some("[]".into()), Some("[true]".into())),
        prop(
            "DisplayName",
            Some("[]".into()),
            Some(listed(&hire.display)),
        ),
        prop(
            "UserPrincipalName",
            Some("[]".into()),
            Some(listed(&hire.upn)),
        ),
        prop("UserType", Some("[]".into()), Some(listed("Member"))),
        prop(
            "Included Updated Properties",
            None,
            Some(quoted(
                "AccountEnabled, DisplayName, UserPrincipalName, UserType",
            )),
        ),
    ];
    let at = at + jitter(rng);
    let mut out = vec![directory(
        rng,
        "Directory",
        at,
        core("Add user", "UserManagement", "Add"),
        by_user(admin, ip),
        vec![user_target(hire, false, mods)],
    )];
    let substrate = Initiator {
        app: Some(AppIdentity {
            app_id: None,
            display_name: "Microsoft Substrate Management",
            service_principal_id: t.substrate.clone(),
            service_principal_name: None,
        }),
        user: None,
    };
    let proxy = vec![
        prop(
            "ProxyAddresses",
            Some("[]".into()),
            Some(listed(&format!("SMTP:{}", hire.upn))),
        ),
        prop(
            "Included Updated Properties",
            None,
            Some(quoted("ProxyAddresses")),
        ),
    ];
    let t1 = at + rng.range(30, 120) * SEC + jitter(rng);
    out.push(directory(
        rng,
        "Directory",
        t1,
        core("Update user", "UserManagement", "Update"),
        substrate,
        vec![user_target(hire, false, proxy)],
    ));
    let t2 = at + rng.range(60, 240) * SEC + jitter(rng);
    out.push(directory(
        rng,
        "Directory",
        t2,
        core("Change user license", "UserManagement", "Update"),
        by_user(admin, ip),
        vec![user_target(hire, false, Vec::new())],
    ));
    let group = OFFICES[hire.office].city;
    let group = GROUPS.iter().position(|g| g.ends_with(group)).unwrap_or(0);
    let t3 = t2 + rng.range(20, 120) * SEC;
    out.push(add_to_group(rng, t, admin, ip, t3, hire.into(), group));
    out
}
