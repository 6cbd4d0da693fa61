//! The per-user timeline: one row per user-related record of every entity
//! (one per user role for audits), with identity, correlation and session
//! keys attached, sorted by (user, time, entity, flow step, record id, role).

use std::collections::BTreeMap;

use rayon::prelude::*;

use entrace_case::actions;
use entrace_case::correlate::{LinkBasis, Links};
use entrace_case::identity::{Identities, Resolved, Users};
use entrace_case::records::{Audit, SignIn, Tables, Target};
use entrace_manifest::analysis::{SessionReport, TimelineReport};
use entrace_model::error_codes;
use entrace_model::EntityKind;
use entrace_table::stage2::timeline::{Role, TimelineRow};

/// Everything the row builder needs, resolved once.
pub struct Context<'a> {
    /// The records. [`other_rows`] reads the sign-ins' ids for the
    /// detections' links; [`bucket_rows`] takes the sign-ins themselves.
    pub tables: &'a Tables,
    /// The alias map.
    pub identities: &'a Identities,
    /// The resolved user of every record.
    pub users: &'a Users,
    /// Links between records.
    pub links: &'a Links,
}

/// A row and the sign-in (index in the sign-ins table) whose session it
/// takes: a risk detection's row is in the session of its first linked
/// sign-in, which is known once that sign-in's bucket is built.
pub type PendingRow = (TimelineRow, Option<usize>);

/// `rows` in timeline order ([`TimelineRow::sort_key`]), sorted on every
/// core with each row's lower-cased UPN computed once. The sort is stable,
/// so the order is the same for any thread count.
pub fn sorted(rows: Vec<TimelineRow>) -> Vec<TimelineRow> {
    use rayon::prelude::*;
    let lowered: Vec<Option<String>> = rows.par_iter().map(TimelineRow::upn_lower).collect();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.par_sort_by(|&a, &b| {
        rows[a]
            .sort_key(lowered[a].as_deref())
            .cmp(&rows[b].sort_key(lowered[b].as_deref()))
    });
    let mut slots: Vec<Option<TimelineRow>> = rows.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// The timeline row of sign-in `i`, `s`, in `session` with `client`, or
/// `None` when it has no user. The row takes the sign-in's text instead of
/// copying it.
fn sign_in_row(
    ctx: &Context<'_>,
    i: usize,
    s: SignIn,
    session: Option<String>,
    client: String,
) -> Option<TimelineRow> {
    let who = ctx.users.sign_ins[i].as_ref()?;
    let detections = &ctx.links.sign_in_detections[i];
    let code = s.error_code;
    Some(TimelineRow {
        user_principal_name: upn(ctx.identities, who, s.upn.as_deref()),
        user_id: who.user_id.clone(),
        time: s.time,
        entity: EntityKind::SignIn,
        role: Role::Subject,
        action: actions::sign_in(&s),
        result: code.map(|c| error_codes::outcome(c).as_str().to_owned()),
        error_code: code,
        client: Some(client).filter(|c| !c.is_empty()),
        session_key: session,
        linked_record_ids: detections
            .iter()
            .map(|&(d, _)| ctx.tables.detections[d].id.clone())
            .collect(),
        link_basis: detections.iter().map(|&(_, b)| b).min(),
        identity_basis: who.basis,
        detail: if code == Some(0) {
            s.additional_details
        } else {
            s.failure_reason
        },
        finding_ids: Vec::new(),
        record_id: s.id,
        ip_address: s.ip,
        country: s.country,
        city: s.city,
        app: s.app,
        risk_level: s.risk_level,
        correlation_id: s.correlation_id,
    })
}

/// Counts a record that names no user.
fn no_user(report: &mut TimelineReport, entity: EntityKind) {
    *report
        .records_without_user
        .entry(entity.name().to_string())
        .or_default() += 1;
}

/// The rows of every record but the sign-ins (audits, risk detections,
/// risky users and their history), each entity in table order; records
/// with no user are counted in `report`.
pub fn other_rows(ctx: &Context<'_>, report: &mut TimelineReport) -> Vec<PendingRow> {
    let mut audits = Vec::new();
    let t = ctx.tables;

    for (i, a) in t.audits.iter().enumerate() {
        let before = audits.len();
        audit_rows(ctx, i, a, &mut audits);
        if audits.len() == before {
            no_user(report, EntityKind::DirectoryAudit);
        }
    }
    let mut rows: Vec<PendingRow> = audits.into_iter().map(|r| (r, None)).collect();

    for (i, d) in t.detections.iter().enumerate() {
        let Some(who) = &ctx.users.detections[i] else {
            no_user(report, EntityKind::RiskDetection);
            continue;
        };
        let (linked, basis) = &ctx.links.detection_sign_ins[i];
        let row = TimelineRow {
            user_principal_name: upn(ctx.identities, who, d.upn.as_deref()),
            user_id: who.user_id.clone(),
            time: d.time,
            entity: EntityKind::RiskDetection,
            record_id: d.id.clone(),
            role: Role::Subject,
            action: actions::detection(d),
            result: d.risk_state.clone(),
            error_code: None,
            ip_address: d.ip.clone(),
            country: d.country.clone(),
            city: d.city.clone(),
            app: None,
            client: None,
            risk_level: d.risk_level.clone(),
            correlation_id: d.correlation_id.clone(),
            session_key: None,
            linked_record_ids: linked.iter().map(|&s| t.sign_ins[s].id.clone()).collect(),
            link_basis: *basis,
            identity_basis: who.basis,
            detail: joined(&[d.timing.as_deref(), d.risk_detail.as_deref()]),
            finding_ids: Vec::new(),
        };
        rows.push((row, linked.first().copied()));
    }

    for (r, who) in t.risky_users.iter().zip(&ctx.users.risky_users) {
        let Some(who) = who else {
            no_user(report, EntityKind::RiskyUser);
            continue;
        };
        let row = state_row(
            ctx.identities,
            who,
            r.upn.as_deref(),
            r.time,
            EntityKind::RiskyUser,
            &r.id,
            actions::risky_user(r),
            [&r.risk_state, &r.risk_level, &r.risk_detail],
            None,
        );
        rows.push((row, None));
    }

    for (h, who) in t.history.iter().zip(&ctx.users.history) {
        let Some(who) = who else {
            no_user(report, EntityKind::RiskyUserHistory);
            continue;
        };
        let by = h
            .initiated_by
            .as_ref()
            .map(|id| format!("initiated by {id}"));
        let row = state_row(
            ctx.identities,
            who,
            h.upn.as_deref(),
            h.time,
            EntityKind::RiskyUserHistory,
            &h.id,
            actions::history(h),
            [&h.risk_state, &h.risk_level, &h.risk_detail],
            by,
        );
        rows.push((row, None));
    }
    rows
}

/// The rows of one user bucket, unsorted: its other records' rows, then
/// its sign-ins' (`indexes` are their positions in the sign-ins table,
/// ascending), which take the sign-ins' text. The bucket's sessions are
/// found here ([`crate::session`]: a session is one user's, so one
/// bucket's) and counted in `sessions`; sign-ins with no user are counted
/// in `report`.
pub fn bucket_rows(
    ctx: &Context<'_>,
    others: Vec<PendingRow>,
    indexes: &[usize],
    sign_ins: Vec<SignIn>,
    report: &mut TimelineReport,
    sessions: &mut SessionReport,
) -> Vec<TimelineRow> {
    let clients: Vec<String> = sign_ins.par_iter().map(actions::client).collect();
    let users: Vec<Option<String>> = indexes
        .iter()
        .map(|&i| {
            ctx.users.sign_ins[i]
                .as_ref()
                .and_then(|r| r.user_id.clone())
        })
        .collect();
    let (keys, found) = crate::session::sessions(&sign_ins, &users, &clients);
    drop(users);
    sessions.add(&found);
    let session_of = |i: usize| {
        let local = indexes.binary_search(&i).ok()?;
        keys[local].clone()
    };
    let mut rows: Vec<TimelineRow> = others
        .into_iter()
        .map(|(mut row, session)| {
            row.session_key = session.and_then(session_of);
            row
        })
        .collect();
    let built: Vec<Option<TimelineRow>> = sign_ins
        .into_par_iter()
        .zip(indexes.par_iter())
        .zip(keys.into_par_iter().zip(clients))
        .map(|((s, &i), (session, client))| sign_in_row(ctx, i, s, session, client))
        .collect();
    rows.reserve(built.len());
    for row in built {
        match row {
            Some(row) => rows.push(row),
            None => no_user(report, EntityKind::SignIn),
        }
    }
    rows
}

/// Counts `rows` (sorted, of one bucket) in `report`.
pub fn count(rows: &[TimelineRow], report: &mut TimelineReport) {
    report.rows += rows.len();
    for r in rows {
        *report
            .rows_by_entity
            .entry(r.entity.name().to_string())
            .or_default() += 1;
    }
}

/// Which findings cite each record, indexed once for every bucket's rows.
pub struct Citations<'f> {
    cited: BTreeMap<(EntityKind, &'f str), Vec<&'f str>>,
}

impl<'f> Citations<'f> {
    /// Indexes the evidence of `findings`.
    pub fn new(findings: &'f [entrace_detect::finding::Finding]) -> Self {
        let mut cited: BTreeMap<(EntityKind, &str), Vec<&str>> = BTreeMap::new();
        for f in findings {
            for e in &f.evidence {
                cited
                    .entry((e.entity, e.record_id.as_str()))
                    .or_default()
                    .push(f.finding_id.as_str());
            }
        }
        for ids in cited.values_mut() {
            ids.sort();
            ids.dedup();
        }
        Citations { cited }
    }

    /// Adds to every row the ids of the findings that cite its record.
    pub fn annotate(&self, rows: &mut [TimelineRow]) {
        for row in rows {
            if let Some(ids) = self.cited.get(&(row.entity, row.record_id.as_str())) {
                row.finding_ids = ids.iter().map(|s| s.to_string()).collect();
            }
        }
    }
}

/// The UPN shown on a row: the record's own, else the user's latest.
fn upn(identities: &Identities, who: &Resolved, own: Option<&str>) -> Option<String> {
    own.map(str::to_owned).or_else(|| {
        who.user_id
            .as_deref()
            .and_then(|id| identities.upn_of(id))
            .map(str::to_owned)
    })
}

fn joined(parts: &[Option<&str>]) -> Option<String> {
    let parts: Vec<&str> = parts.iter().flatten().copied().collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// A risky-user or history row: state, level, detail.
#[allow(clippy::too_many_arguments)]
fn state_row(
    identities: &Identities,
    who: &Resolved,
    own_upn: Option<&str>,
    time: i64,
    entity: EntityKind,
    id: &str,
    action: String,
    [state, level, detail]: [&Option<String>; 3],
    extra: Option<String>,
) -> TimelineRow {
    TimelineRow {
        user_principal_name: upn(identities, who, own_upn),
        user_id: who.user_id.clone(),
        time,
        entity,
        record_id: id.to_owned(),
        role: Role::Subject,
        action,
        result: state.clone(),
        error_code: None,
        ip_address: None,
        country: None,
        city: None,
        app: None,
        client: None,
        risk_level: level.clone(),
        correlation_id: None,
        session_key: None,
        linked_record_ids: Vec::new(),
        link_basis: None,
        identity_basis: who.basis,
        detail: joined(&[detail.as_deref(), extra.as_deref()]),
        finding_ids: Vec::new(),
    }
}

/// The rows of one audit: the initiating user (actor) and every user target,
/// merged into one `self` row when they are the same user.
fn audit_rows(ctx: &Context<'_>, index: usize, a: &Audit, rows: &mut Vec<TimelineRow>) {
    let actor = &ctx.users.audit_actors[index];
    let user_targets: Vec<_> = a.targets.iter().filter(|t| t.is_user()).collect();
    let targets: Vec<(&Resolved, &Target)> = ctx.users.audit_targets[index]
        .iter()
        .zip(&a.targets)
        .filter_map(|(who, t)| Some((who.as_ref()?, t)))
        .collect();
    let same = |x: &Resolved, y: &Resolved| x.user_id.is_some() && x.user_id == y.user_id;
    let peers: Vec<String> = ctx.links.audit_peers[index]
        .iter()
        .map(|&j| ctx.tables.audits[j].id.clone())
        .collect();
    let row =
        |who: &Resolved, own_upn: Option<&str>, role: Role, action: String, actor_side: bool| {
            TimelineRow {
                user_principal_name: upn(ctx.identities, who, own_upn),
                user_id: who.user_id.clone(),
                time: a.time,
                entity: EntityKind::DirectoryAudit,
                record_id: a.id.clone(),
                role,
                action,
                result: a.result.clone(),
                error_code: None,
                // The IP is the initiator's: shown on the initiator's rows only.
                ip_address: if actor_side { a.actor_ip.clone() } else { None },
                country: None,
                city: None,
                app: a.service.clone(),
                client: None,
                risk_level: None,
                correlation_id: a.correlation_id.clone(),
                session_key: None,
                linked_record_ids: peers.clone(),
                link_basis: (!peers.is_empty()).then_some(LinkBasis::CorrelationId),
                identity_basis: who.basis,
                detail: a.result_reason.clone(),
                finding_ids: Vec::new(),
            }
        };
    if let Some(actor) = actor {
        let self_service = targets.iter().any(|(t, _)| same(actor, t));
        let other = targets
            .iter()
            .find(|(t, _)| !same(actor, t))
            .map(|(_, t)| *t);
        let action = match (self_service, other) {
            (true, _) | (false, None) => actions::audit(a, user_targets.first().copied()),
            (false, Some(t)) => format!(
                "{} → {}",
                actions::audit(a, Some(t)),
                t.upn
                    .as_deref()
                    .or(t.display_name.as_deref())
                    .or(t.id.as_deref())
                    .unwrap_or("(unnamed user)")
            ),
        };
        let role = if self_service {
            Role::SelfService
        } else {
            Role::Actor
        };
        rows.push(row(actor, a.actor_upn.as_deref(), role, action, true));
    }
    for (who, target) in &targets {
        if actor.as_ref().is_some_and(|act| same(act, who)) {
            continue;
        }
        let mut action = actions::audit(a, Some(target));
        if let Some(app) = &a.actor_app {
            if actor.is_none() {
                action = format!("{action} (by app {app})");
            }
        }
        rows.push(row(who, target.upn.as_deref(), Role::Target, action, false));
    }
}
