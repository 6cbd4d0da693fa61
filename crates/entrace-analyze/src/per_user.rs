//! `per_user.parquet`: one row per user, summarised from the timeline.
//!
//! Users are keyed by object id; records whose user could only be named by a
//! UPN that no object id owns (or several do) are summarised per UPN with a
//! null `user_id`, so password-spray targets that do not exist still show up.

use std::collections::{BTreeMap, BTreeSet};

use entrace_case::identity::Identities;
use entrace_case::records::RiskDetection;
use entrace_detect::finding::Finding;
use entrace_model::EntityKind;
use entrace_table::stage2::per_user::UserSummary;
use entrace_table::stage2::timeline::{Role, TimelineRow};

fn level_rank(level: &str) -> u8 {
    match level.to_ascii_lowercase().as_str() {
        "high" => 4,
        "medium" => 3,
        "low" => 2,
        "none" => 0,
        _ => 1,
    }
}

/// The counter of a sign-in outcome (`success`, `interrupted`, `failure`,
/// `blocked`) in `s`.
fn outcome<'s>(s: &'s mut UserSummary, result: Option<&str>) -> Option<&'s mut u64> {
    match result? {
        "success" => Some(&mut s.sign_ins_success),
        "interrupted" => Some(&mut s.sign_ins_interrupted),
        "failure" => Some(&mut s.sign_ins_failure),
        "blocked" => Some(&mut s.sign_ins_blocked),
        _ => None,
    }
}

/// The findings about each user, indexed once for every bucket: by object
/// id, and by lower-cased UPN for findings about a user known only by name.
pub struct FindingsBySubject<'f> {
    by_id: BTreeMap<&'f str, Vec<&'f Finding>>,
    by_upn: BTreeMap<String, Vec<&'f Finding>>,
}

impl<'f> FindingsBySubject<'f> {
    /// Indexes `findings` by subject, each list in finding order.
    pub fn new(findings: &'f [Finding]) -> Self {
        let (mut by_id, mut by_upn) = (BTreeMap::new(), BTreeMap::new());
        for f in findings {
            match (&f.subject_user_id, &f.subject_user_principal_name) {
                (Some(id), _) => by_id.entry(id.as_str()).or_insert_with(Vec::new).push(f),
                (None, Some(upn)) => by_upn
                    .entry(upn.to_lowercase())
                    .or_insert_with(Vec::new)
                    .push(f),
                (None, None) => {}
            }
        }
        FindingsBySubject { by_id, by_upn }
    }

    /// The findings about the user of `summary`.
    fn about(&self, summary: &UserSummary) -> &[&'f Finding] {
        let found = match &summary.user_id {
            Some(id) => self.by_id.get(id.as_str()),
            None => summary
                .user_principal_name
                .as_deref()
                .and_then(|upn| self.by_upn.get(&upn.to_lowercase())),
        };
        found.map_or(&[], Vec::as_slice)
    }
}

/// Summarises the (sorted) timeline per user.
pub fn summarise(
    rows: &[TimelineRow],
    identities: &Identities,
    detections: &[RiskDetection],
    findings: &FindingsBySubject<'_>,
) -> Vec<UserSummary> {
    let by_id: BTreeMap<&str, &RiskDetection> =
        detections.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut out: Vec<UserSummary> = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let same_user = |r: &TimelineRow| match (&rows[start].user_id, &r.user_id) {
            (Some(a), Some(b)) => a == b,
            (None, None) => {
                let lower =
                    |r: &TimelineRow| r.user_principal_name.as_deref().map(str::to_lowercase);
                lower(&rows[start]) == lower(r)
            }
            _ => false,
        };
        let end = start + rows[start..].iter().take_while(|r| same_user(r)).count();
        let mut summary = summarise_user(&rows[start..end], identities, &by_id);
        let mine = findings.about(&summary);
        summary.findings = mine.len() as u64;
        summary.max_finding_severity = mine.iter().map(|f| f.severity).max();
        out.push(summary);
        start = end;
    }
    out
}

fn summarise_user(
    rows: &[TimelineRow],
    identities: &Identities,
    detections: &BTreeMap<&str, &RiskDetection>,
) -> UserSummary {
    let first = &rows[0];
    let mut s = UserSummary {
        user_id: first.user_id.clone(),
        first_seen: first.time,
        last_seen: rows[rows.len() - 1].time,
        events: rows.len() as u64,
        ..UserSummary::default()
    };
    match &first.user_id {
        Some(id) => {
            s.user_principal_name = identities.upn_of(id).map(str::to_owned);
            s.user_principal_names = identities.upns_of(id);
        }
        None => {
            s.user_principal_name = first.user_principal_name.clone();
            s.user_principal_names = first
                .user_principal_name
                .iter()
                .map(|u| u.to_lowercase())
                .collect();
        }
    }
    let (mut ips, mut countries, mut apps, mut sessions, mut types) = (
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
    );
    let mut state: BTreeMap<EntityKind, &TimelineRow> = BTreeMap::new();
    for r in rows {
        match r.entity {
            EntityKind::SignIn => {
                s.sign_ins += 1;
                if let Some(n) = outcome(&mut s, r.result.as_deref()) {
                    *n += 1;
                }
                if r.result.as_deref() == Some("success") {
                    s.last_success = Some(r.time);
                }
                ips.extend(r.ip_address.clone());
                countries.extend(r.country.clone());
                apps.extend(r.app.clone());
                sessions.extend(r.session_key.clone());
            }
            EntityKind::DirectoryAudit => {
                s.audits_as_actor += u64::from(matches!(r.role, Role::Actor | Role::SelfService));
                s.audits_as_target += u64::from(matches!(r.role, Role::Target | Role::SelfService));
            }
            EntityKind::RiskDetection => {
                s.risk_detections += 1;
                let event_type = detections
                    .get(r.record_id.as_str())
                    .and_then(|d| d.event_type.clone());
                types.extend(event_type);
                if let Some(level) = &r.risk_level {
                    let better = s
                        .max_detection_level
                        .as_deref()
                        .is_none_or(|m| level_rank(level) > level_rank(m));
                    if better {
                        s.max_detection_level = Some(level.clone());
                    }
                }
            }
            // Rows are time-sorted, so the last one seen is the latest.
            EntityKind::RiskyUser | EntityKind::RiskyUserHistory => {
                state.insert(r.entity, r);
            }
        }
    }
    if let Some(r) = state
        .get(&EntityKind::RiskyUser)
        .or_else(|| state.get(&EntityKind::RiskyUserHistory))
    {
        s.risk_state = r.result.clone();
        s.risk_level = r.risk_level.clone();
        s.risk_last_updated = Some(r.time);
    }
    s.ip_addresses = ips.into_iter().collect();
    s.distinct_ips = s.ip_addresses.len() as u64;
    s.countries = countries.into_iter().collect();
    s.apps = apps.into_iter().collect();
    s.sessions = sessions.len() as u64;
    s.risk_detection_types = types.into_iter().collect();
    s
}
