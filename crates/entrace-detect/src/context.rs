//! What every detection reads: the loaded tables, resolved users, links, and
//! sign-ins grouped per user in time order (built once, shared by all).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use super::codes::SUCCESS;
use super::finding::{Evidence, EvidenceRole, Finding, Severity};
use super::registry::Rule;
use super::vocabulary::Vocabulary;
use entrace_case::correlate::Links;
use entrace_case::identity::{Identities, Resolved, Users};
use entrace_case::partition::UserKey;
use entrace_case::records::{SignIn, Tables};
use entrace_model::EntityKind;

/// Shared input of the detections.
pub struct Context<'a> {
    /// The records.
    pub tables: &'a Tables,
    /// Resolved users of every record.
    pub users: &'a Users,
    /// The alias map.
    pub identities: &'a Identities,
    /// Links between records.
    pub links: &'a Links,
    /// Per user key: sign-in indexes sorted by (time, id).
    pub sign_ins_by_user: BTreeMap<String, Vec<usize>>,
    /// What the rules match on (error-code sets, legacy clients, …).
    pub vocabulary: &'a Vocabulary,
    sign_in_keys: Arc<Vec<Option<String>>>,
    /// The user bucket this context is narrowed to, if any.
    bucket: Option<&'a Bucket>,
    /// What per-user rules know of other users, shared with the contexts
    /// narrowed from this one.
    tenant: Arc<OnceLock<TenantIndex>>,
}

/// What rules need to know of the whole tenant beyond one user's records
/// or the failures, built in two passes: [`TenantIndex::add_failure`] over
/// the sign-ins (only failures and probes count: a small part of them),
/// then [`TenantIndex::add_sign_in`] over every sign-in for what the first
/// pass asks. Shared by every user bucket's context.
#[derive(Debug, Default)]
pub struct TenantIndex {
    /// Per IP: (time, user key) of every credential failure from it, in
    /// table order (ENT-001's other failing users).
    pub failures_by_ip: BTreeMap<String, Vec<(i64, String)>>,
    /// Per IP that tried a disabled account (50057): the first successful
    /// sign-in of every user from it, in table order (ENT-014).
    pub successes_at_probing_ips: BTreeMap<String, BTreeMap<String, Evidence>>,
    /// What ENT-005 asks of the sign-ins that are not failures.
    pub(crate) spray: crate::ent005_password_spray::SprayIndex,
}

/// `status.errorCode` of a sign-in to a disabled account.
pub const DISABLED_ACCOUNT: i32 = 50057;

impl TenantIndex {
    /// First pass: adds sign-in `s` of the user `user` if it is a
    /// credential failure or a disabled-account probe. Sign-ins come in
    /// table order.
    pub fn add_failure(&mut self, s: &SignIn, user: Option<&str>, vocabulary: &Vocabulary) {
        self.spray.add_failure(s, user, vocabulary);
        let (Some(ip), Some(user)) = (s.ip.as_deref(), user) else {
            return;
        };
        if vocabulary.is_credential_failure(s.error_code) {
            let list = match self.failures_by_ip.get_mut(ip) {
                Some(list) => list,
                None => self.failures_by_ip.entry(ip.to_owned()).or_default(),
            };
            list.push((s.time, user.to_owned()));
        }
        if s.error_code == Some(DISABLED_ACCOUNT) && !self.successes_at_probing_ips.contains_key(ip)
        {
            self.successes_at_probing_ips
                .insert(ip.to_owned(), BTreeMap::new());
        }
    }

    /// Ends the first pass.
    pub fn failures_done(&mut self) {
        self.spray.failures_done();
    }

    /// Second pass: adds what the first pass asks of sign-in `s` of `user`.
    /// A user's sign-ins come in table order.
    pub fn add_sign_in(&mut self, s: &SignIn, user: Option<&str>, vocabulary: &Vocabulary) {
        self.spray.add_sign_in(s, user, vocabulary);
        let (Some(ip), Some(user), Some(SUCCESS)) = (s.ip.as_deref(), user, s.error_code) else {
            return;
        };
        if let Some(users) = self.successes_at_probing_ips.get_mut(ip) {
            if !users.contains_key(user) {
                let first = Evidence::of_sign_in(s, Some(user), EvidenceRole::Context);
                users.insert(user.to_owned(), first);
            }
        }
    }
}

/// The records of one user bucket, which a context can be narrowed to
/// ([`Context::in_bucket`]) so that a [`Scope::User`](crate::registry::Scope)
/// rule run on each bucket apart finds, together, what it finds on the whole
/// tenant. Indexes are positions in the context's tables.
#[derive(Debug, Default, Clone)]
pub struct Bucket {
    /// The user keys of the bucket's users.
    pub users: BTreeSet<String>,
    /// Whether records that name no user are this bucket's (exactly one
    /// bucket of a plan has them).
    pub unattributed: bool,
    /// Its sign-ins, ascending.
    pub sign_ins: Vec<usize>,
    /// Its risk detections, ascending.
    pub detections: Vec<usize>,
    /// Its risky users, ascending.
    pub risky_users: Vec<usize>,
}

/// The key a record's user is grouped by: the object id, else `upn:` and the
/// lower-cased UPN (spray targets that do not exist have only a name); the
/// text of its [`UserKey`], which also places it in a user bucket.
pub fn user_key(who: Option<&Resolved>, upn: Option<&str>) -> Option<String> {
    UserKey::of(who, upn).map(|k| k.to_string())
}

impl Bucket {
    /// Splits the records of `ctx` (a whole-tenant context) into `count`
    /// buckets: a record goes to the bucket `bucket_of` gives its user's
    /// key, records that name no user to bucket 0. An audit's users are in the buckets of their keys;
    /// the audit itself stays in the whole tables, for rules to check
    /// ownership.
    pub fn partition(
        ctx: &Context<'_>,
        count: usize,
        bucket_of: impl Fn(&str) -> usize,
    ) -> Vec<Bucket> {
        let count = count.max(1);
        let mut out = vec![Bucket::default(); count];
        out[0].unattributed = true;
        let mut place = |key: Option<String>| -> usize {
            match key {
                Some(key) => {
                    let b = bucket_of(&key).min(count - 1);
                    out[b].users.insert(key);
                    b
                }
                None => 0,
            }
        };
        // Sign-ins by their users' lists: each user placed (and its key
        // copied) once, not once per sign-in. Sign-ins with no user stay in 0.
        let mut sign_ins = vec![0usize; ctx.tables.sign_ins.len()];
        for (user, list) in &ctx.sign_ins_by_user {
            let b = place(Some(user.clone()));
            for &i in list {
                sign_ins[i] = b;
            }
        }
        let detections: Vec<usize> = (0..ctx.tables.detections.len())
            .map(|d| place(ctx.detection_user(d)))
            .collect();
        let risky: Vec<usize> = (0..ctx.tables.risky_users.len())
            .map(|r| {
                let who = ctx.users.risky_users[r].as_ref();
                place(user_key(who, ctx.tables.risky_users[r].upn.as_deref()))
            })
            .collect();
        for (a, audit) in ctx.tables.audits.iter().enumerate() {
            place(user_key(
                ctx.users.audit_actors[a].as_ref(),
                audit.actor_upn.as_deref(),
            ));
            for (t, who) in audit.targets.iter().zip(&ctx.users.audit_targets[a]) {
                if t.is_user() {
                    place(user_key(who.as_ref(), t.upn.as_deref()));
                }
            }
        }
        for (i, b) in sign_ins.into_iter().enumerate() {
            out[b].sign_ins.push(i);
        }
        for (d, b) in detections.into_iter().enumerate() {
            out[b].detections.push(d);
        }
        for (r, b) in risky.into_iter().enumerate() {
            out[b].risky_users.push(r);
        }
        out
    }
}

impl<'a> Context<'a> {
    /// Indexes the tables once.
    pub fn new(
        tables: &'a Tables,
        users: &'a Users,
        identities: &'a Identities,
        links: &'a Links,
    ) -> Self {
        use rayon::prelude::*;
        let sign_in_keys: Vec<Option<String>> = tables
            .sign_ins
            .par_iter()
            .zip(users.sign_ins.par_iter())
            .map(|(s, who)| user_key(who.as_ref(), s.upn.as_deref()))
            .collect();
        let mut sign_ins_by_user: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, key) in sign_in_keys.iter().enumerate() {
            if let Some(k) = key {
                // Looked up before the key is copied: most users have many.
                match sign_ins_by_user.get_mut(k) {
                    Some(list) => list.push(i),
                    None => {
                        sign_ins_by_user.insert(k.clone(), vec![i]);
                    }
                }
            }
        }
        sign_ins_by_user.par_iter_mut().for_each(|(_, list)| {
            list.sort_by(|&a, &b| {
                let (x, y) = (&tables.sign_ins[a], &tables.sign_ins[b]);
                (x.time, &x.id).cmp(&(y.time, &y.id))
            });
        });
        Context {
            tables,
            users,
            identities,
            links,
            sign_ins_by_user,
            vocabulary: Vocabulary::builtin(),
            sign_in_keys: Arc::new(sign_in_keys),
            bucket: None,
            tenant: Arc::new(OnceLock::new()),
        }
    }

    /// What the per-user rules know of the whole tenant, indexed from every
    /// sign-in on first use (by this context or one narrowed from it).
    pub fn tenant(&self) -> &TenantIndex {
        self.tenant.get_or_init(|| {
            let mut index = TenantIndex::default();
            let sign_ins = self.tables.sign_ins.iter().enumerate();
            for (i, s) in sign_ins.clone() {
                index.add_failure(s, self.sign_in_user(i), self.vocabulary);
            }
            index.failures_done();
            for (i, s) in sign_ins {
                index.add_sign_in(s, self.sign_in_user(i), self.vocabulary);
            }
            index
        })
    }

    /// The same records narrowed to one user bucket: its users' sign-ins
    /// by user, and the sign-ins, risk detections and risky users the
    /// `*_indexes` methods give. The tables stay whole, so a rule can still
    /// look up a record it was pointed to.
    pub fn in_bucket(&self, bucket: &'a Bucket) -> Context<'a> {
        Context {
            tables: self.tables,
            users: self.users,
            identities: self.identities,
            links: self.links,
            sign_ins_by_user: bucket
                .users
                .iter()
                .filter_map(|u| Some((u.clone(), self.sign_ins_by_user.get(u)?.clone())))
                .collect(),
            vocabulary: self.vocabulary,
            sign_in_keys: Arc::clone(&self.sign_in_keys),
            bucket: Some(bucket),
            tenant: Arc::clone(&self.tenant),
        }
    }

    /// Whether the user with `key` (`None`: no user) is this context's: any
    /// user of the whole tenant, or of its bucket. A rule that reads records
    /// shared between users (audits) makes a finding only about users it owns.
    pub fn owns(&self, key: Option<&str>) -> bool {
        match (self.bucket, key) {
            (None, _) => true,
            (Some(b), Some(key)) => b.users.contains(key),
            (Some(b), None) => b.unattributed,
        }
    }

    /// The sign-ins in scope: every one, or the bucket's.
    pub fn sign_in_indexes(&self) -> Box<dyn Iterator<Item = usize> + '_> {
        match self.bucket {
            None => Box::new(0..self.tables.sign_ins.len()),
            Some(b) => Box::new(b.sign_ins.iter().copied()),
        }
    }

    /// The risk detections in scope: every one, or the bucket's.
    pub fn detection_indexes(&self) -> Box<dyn Iterator<Item = usize> + '_> {
        match self.bucket {
            None => Box::new(0..self.tables.detections.len()),
            Some(b) => Box::new(b.detections.iter().copied()),
        }
    }

    /// The risky users in scope: every one, or the bucket's.
    pub fn risky_user_indexes(&self) -> Box<dyn Iterator<Item = usize> + '_> {
        match self.bucket {
            None => Box::new(0..self.tables.risky_users.len()),
            Some(b) => Box::new(b.risky_users.iter().copied()),
        }
    }

    /// The same context, matching on `vocabulary` instead of the built-in one.
    pub fn with_vocabulary(mut self, vocabulary: &'a Vocabulary) -> Self {
        self.vocabulary = vocabulary;
        self
    }

    /// The user key of sign-in `i`.
    pub fn sign_in_user(&self, i: usize) -> Option<&str> {
        self.sign_in_keys[i].as_deref()
    }

    /// A new finding of `det` about the user with `key`.
    pub fn finding(&self, det: &Rule, severity: Severity, key: Option<&str>) -> Finding {
        let (user_id, upn) = match key {
            Some(k) => match k.strip_prefix("upn:") {
                Some(upn) => (None, Some(upn.to_owned())),
                None => (
                    Some(k.to_owned()),
                    self.identities.upn_of(k).map(str::to_owned),
                ),
            },
            None => (None, None),
        };
        Finding {
            finding_id: String::new(),
            detection_id: det.id,
            name: det.name,
            severity,
            mitre: det.mitre.iter().map(|m| m.to_string()).collect(),
            subject_user_id: user_id,
            subject_user_principal_name: upn,
            subject_ip: None,
            first_seen: 0,
            last_seen: 0,
            summary: String::new(),
            evidence: Vec::new(),
            evidence_count: 0,
            thresholds: String::new(),
            join_basis: None,
        }
    }

    /// Evidence for sign-in `i`.
    pub fn sign_in(&self, i: usize, role: EvidenceRole) -> Evidence {
        Evidence::of_sign_in(&self.tables.sign_ins[i], self.sign_in_user(i), role)
    }

    /// Evidence for the sign-ins `rows`, all with `role`.
    pub fn sign_ins(&self, rows: &[usize], role: EvidenceRole) -> Vec<Evidence> {
        rows.iter().map(|&i| self.sign_in(i, role)).collect()
    }

    /// Evidence for audit `i` (trigger) and the audits of its flow, those
    /// sharing its correlationId (context).
    pub fn audit_and_flow(&self, i: usize) -> Vec<Evidence> {
        let mut out = vec![self.audit(i, EvidenceRole::Trigger)];
        out.extend(
            self.links.audit_peers[i]
                .iter()
                .map(|&j| self.audit(j, EvidenceRole::Context)),
        );
        out
    }

    /// Evidence for audit `i`.
    pub fn audit(&self, i: usize, role: EvidenceRole) -> Evidence {
        let a = &self.tables.audits[i];
        Evidence {
            time: a.time,
            entity: EntityKind::DirectoryAudit,
            record_id: a.id.clone(),
            role,
            user: None,
            ip: None,
        }
    }

    /// Evidence for risk detection `i`.
    pub fn detection(&self, i: usize, role: EvidenceRole) -> Evidence {
        let d = &self.tables.detections[i];
        Evidence {
            time: d.time,
            entity: EntityKind::RiskDetection,
            record_id: d.id.clone(),
            role,
            user: self.detection_user(i),
            ip: None,
        }
    }

    /// Evidence for risky user `i`.
    pub fn risky_user(&self, i: usize, role: EvidenceRole) -> Evidence {
        let r = &self.tables.risky_users[i];
        Evidence {
            time: r.time,
            entity: EntityKind::RiskyUser,
            record_id: r.id.clone(),
            role,
            user: None,
            ip: None,
        }
    }

    /// The first successful sign-in in `list` (a user's sign-ins, time
    /// order) after `after` and at most `within` ns later.
    pub fn success_after(&self, list: &[usize], after: i64, within: i64) -> Option<usize> {
        let t = &self.tables.sign_ins;
        list.iter().copied().find(|&i| {
            t[i].error_code == Some(0) && t[i].time > after && t[i].time - after <= within
        })
    }

    /// The user key of risk detection `i`.
    pub fn detection_user(&self, i: usize) -> Option<String> {
        user_key(
            self.users.detections[i].as_ref(),
            self.tables.detections[i].upn.as_deref(),
        )
    }

    /// Indexes of the risky users whose user key is `key`.
    pub fn risky_users_of(&self, key: &str) -> Vec<usize> {
        (0..self.tables.risky_users.len())
            .filter(|&i| {
                user_key(
                    self.users.risky_users[i].as_ref(),
                    self.tables.risky_users[i].upn.as_deref(),
                )
                .as_deref()
                    == Some(key)
            })
            .collect()
    }
}
