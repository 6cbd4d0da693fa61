//! Identity resolution: every user is keyed by object id, and user principal
//! names are aliases of it.
//!
//! UPNs are weak keys: users are renamed, sign-ins lower-case them, guests
//! appear as `name@home` in sign-ins and as `name_home#EXT#@tenant` in the
//! directory, and a deleted user's UPN can be given to a new account. So the
//! alias map is built only from records that carry both an id and a UPN
//! (compared case-insensitively), and a record that carries only a UPN is
//! attributed through it when exactly one id owns that UPN. When several ids
//! own it the record stays unattributed and the case is reported, not guessed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::records::Tables;

/// How a record's user was determined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdentityBasis {
    /// The record carries the user's object id.
    ObjectId,
    /// The record carries only a UPN, and exactly one object id owns it.
    Upn,
    /// The record carries only a UPN that several object ids own: not attributed.
    AmbiguousUpn,
    /// The record carries only a UPN that no record with an id shows: not attributed.
    UpnOnly,
}

impl entrace_model::Labelled for IdentityBasis {
    const ALL: &'static [IdentityBasis] = &[
        IdentityBasis::ObjectId,
        IdentityBasis::Upn,
        IdentityBasis::AmbiguousUpn,
        IdentityBasis::UpnOnly,
    ];
    fn label(self) -> &'static str {
        self.as_str()
    }
}

impl IdentityBasis {
    /// The name used in `timeline.parquet` (`object_id`, `upn`, `ambiguous_upn`, `upn_only`).
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityBasis::ObjectId => "object_id",
            IdentityBasis::Upn => "upn",
            IdentityBasis::AmbiguousUpn => "ambiguous_upn",
            IdentityBasis::UpnOnly => "upn_only",
        }
    }
}

/// Who a record belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The object id, when known.
    pub user_id: Option<String>,
    /// How it was found.
    pub basis: IdentityBasis,
}

/// Names seen for one object id.
#[derive(Debug, Clone, Default)]
struct Names {
    /// Lower-cased UPN → (latest time seen, spelling seen then).
    upns: BTreeMap<String, (i64, String)>,
}

/// The alias map and what it could not decide.
#[derive(Debug, Default)]
pub struct Identities {
    upn_ids: BTreeMap<String, BTreeSet<String>>,
    names: BTreeMap<String, Names>,
    tally: Tally,
}

/// What resolving records through the alias map found: the UPN joins and
/// the cases left open. Kept apart from the map so that parts of the
/// records (row groups, user buckets) resolve in parallel and add up.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    ambiguous_records: BTreeMap<String, u64>,
    joined_by_upn: u64,
    upn_only: u64,
}

impl Tally {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: Tally) {
        self.joined_by_upn += other.joined_by_upn;
        self.upn_only += other.upn_only;
        for (upn, n) in other.ambiguous_records {
            *self.ambiguous_records.entry(upn).or_default() += n;
        }
    }
}

/// A UPN that several object ids carry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AmbiguousUpn {
    /// The UPN, lower-cased.
    pub upn: String,
    /// The object ids that carry it.
    pub user_ids: Vec<String>,
    /// Records with only this UPN, left unattributed.
    pub unattributed_records: u64,
}

/// An object id seen with several UPNs (renames, guests): informational.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RenamedUser {
    /// The object id.
    pub user_id: String,
    /// Every UPN seen for it, lower-cased, sorted.
    pub upns: Vec<String>,
}

/// What identity resolution did, for the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdentityReport {
    /// Distinct object ids seen.
    pub users: usize,
    /// Distinct UPNs (lower-cased) linked to an id.
    pub upn_aliases: usize,
    /// Records attributed through the UPN map.
    pub records_joined_by_upn: u64,
    /// Records with a UPN nobody else carries with an id (kept, no user id).
    pub records_upn_only: u64,
    /// UPNs several ids carry; their UPN-only records are not attributed.
    pub ambiguous_upns: Vec<AmbiguousUpn>,
    /// Ids seen under several UPNs.
    pub users_with_several_upns: Vec<RenamedUser>,
}

impl Identities {
    /// Records that a record at `time` shows `id` with `upn`.
    pub fn observe(&mut self, id: Option<&str>, upn: Option<&str>, time: i64) {
        let Some(id) = id else { return };
        // Looked up before anything is copied: nearly every record names a
        // user and a UPN seen before.
        let names = match self.names.get_mut(id) {
            Some(names) => names,
            None => self.names.entry(id.to_owned()).or_default(),
        };
        let Some(upn) = upn.map(str::trim).filter(|u| !u.is_empty()) else {
            return;
        };
        let key = lower(upn);
        match names.upns.get_mut(key.as_ref()) {
            Some(seen) if time > seen.0 => *seen = (time, upn.to_owned()),
            Some(_) => {}
            None => {
                names.upns.insert(key.to_string(), (time, upn.to_owned()));
            }
        }
        match self.upn_ids.get_mut(key.as_ref()) {
            Some(ids) if ids.contains(id) => {}
            Some(ids) => {
                ids.insert(id.to_owned());
            }
            None => {
                self.upn_ids
                    .insert(key.into_owned(), BTreeSet::from([id.to_owned()]));
            }
        }
    }

    /// Who a record with this id and UPN belongs to; `None` when it names no user.
    /// Counts the UPN joins and the cases left open.
    pub fn resolve(&mut self, id: Option<&str>, upn: Option<&str>) -> Option<Resolved> {
        let mut tally = std::mem::take(&mut self.tally);
        let resolved = self.resolve_counted(id, upn, &mut tally);
        self.tally = tally;
        resolved
    }

    /// [`Identities::resolve`] that counts in `tally`, so that several
    /// threads resolve at once; [`Identities::count`] adds the tallies up.
    pub fn resolve_counted(
        &self,
        id: Option<&str>,
        upn: Option<&str>,
        tally: &mut Tally,
    ) -> Option<Resolved> {
        if let Some(id) = id {
            return Some(Resolved {
                user_id: Some(id.to_owned()),
                basis: IdentityBasis::ObjectId,
            });
        }
        let key = upn.map(str::trim).filter(|u| !u.is_empty())?.to_lowercase();
        let resolved = match self.upn_ids.get(&key) {
            Some(ids) if ids.len() == 1 => {
                tally.joined_by_upn += 1;
                Resolved {
                    user_id: ids.first().cloned(),
                    basis: IdentityBasis::Upn,
                }
            }
            Some(_) => {
                *tally.ambiguous_records.entry(key).or_default() += 1;
                Resolved {
                    user_id: None,
                    basis: IdentityBasis::AmbiguousUpn,
                }
            }
            None => {
                tally.upn_only += 1;
                Resolved {
                    user_id: None,
                    basis: IdentityBasis::UpnOnly,
                }
            }
        };
        Some(resolved)
    }

    /// Adds what [`Identities::resolve_counted`] counted to the report.
    pub fn count(&mut self, tally: Tally) {
        self.tally.add(tally);
    }

    /// The UPN most recently seen for `id`, as spelled then.
    pub fn upn_of(&self, id: &str) -> Option<&str> {
        let names = self.names.get(id)?;
        names
            .upns
            .values()
            .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)))
            .map(|(_, u)| u.as_str())
    }

    /// Every UPN seen for `id`, lower-cased and sorted.
    pub fn upns_of(&self, id: &str) -> Vec<String> {
        self.names
            .get(id)
            .map(|n| n.upns.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The summary for the manifest.
    pub fn report(&self) -> IdentityReport {
        let ambiguous_upns = self
            .upn_ids
            .iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|(upn, ids)| AmbiguousUpn {
                upn: upn.clone(),
                user_ids: ids.iter().cloned().collect(),
                unattributed_records: self.tally.ambiguous_records.get(upn).copied().unwrap_or(0),
            })
            .collect();
        let users_with_several_upns = self
            .names
            .iter()
            .filter(|(_, n)| n.upns.len() > 1)
            .map(|(id, n)| RenamedUser {
                user_id: id.clone(),
                upns: n.upns.keys().cloned().collect(),
            })
            .collect();
        IdentityReport {
            users: self.names.len(),
            upn_aliases: self.upn_ids.len(),
            records_joined_by_upn: self.tally.joined_by_upn,
            records_upn_only: self.tally.upn_only,
            ambiguous_upns,
            users_with_several_upns,
        }
    }
}

/// The resolved user of every record, indexed like the records in [`Tables`].
#[derive(Debug, Default)]
pub struct Users {
    /// Per sign-in.
    pub sign_ins: Vec<Option<Resolved>>,
    /// Per audit: the initiating user.
    pub audit_actors: Vec<Option<Resolved>>,
    /// Per audit, per target: the user, for `User`-typed targets.
    pub audit_targets: Vec<Vec<Option<Resolved>>>,
    /// Per risk detection.
    pub detections: Vec<Option<Resolved>>,
    /// Per risky user.
    pub risky_users: Vec<Option<Resolved>>,
    /// Per history item.
    pub history: Vec<Option<Resolved>>,
}

/// `text` lower-cased, as `str::to_lowercase` does it, copied only when
/// that changes it (an ASCII text without capitals is its own lower case).
pub(crate) fn lower(text: &str) -> std::borrow::Cow<'_, str> {
    match text.is_ascii() && !text.bytes().any(|b| b.is_ascii_uppercase()) {
        true => std::borrow::Cow::Borrowed(text),
        false => std::borrow::Cow::Owned(text.to_lowercase()),
    }
}

/// Builds the alias map from every record that shows an id with a UPN.
pub fn observe_all(tables: &Tables) -> Identities {
    let mut ids = Identities::default();
    for s in &tables.sign_ins {
        ids.observe(s.user_id.as_deref(), s.upn.as_deref(), s.time);
    }
    for a in &tables.audits {
        ids.observe(a.actor_id.as_deref(), a.actor_upn.as_deref(), a.time);
        for t in a.targets.iter().filter(|t| t.is_user()) {
            ids.observe(t.id.as_deref(), t.upn.as_deref(), a.time);
        }
    }
    for d in &tables.detections {
        ids.observe(d.user_id.as_deref(), d.upn.as_deref(), d.time);
    }
    for r in &tables.risky_users {
        ids.observe(
            Some(r.id.as_str()).filter(|i| !i.is_empty()),
            r.upn.as_deref(),
            r.time,
        );
    }
    for h in &tables.history {
        ids.observe(h.user_id.as_deref(), h.upn.as_deref(), h.time);
    }
    ids
}

/// Resolves the user of every record through the alias map.
pub fn resolve_all(tables: &Tables, ids: &mut Identities) -> Users {
    use rayon::prelude::*;
    // The sign-ins are most of the records: resolved on every core, each
    // thread counting apart (the counts are sums, so any split adds up the same).
    let (sign_ins, tally): (Vec<Option<Resolved>>, Tally) = {
        let map: &Identities = ids;
        let parts: Vec<(Vec<Option<Resolved>>, Tally)> = tables
            .sign_ins
            .par_chunks(1 << 14)
            .map(|chunk| {
                let mut tally = Tally::default();
                let users = chunk
                    .iter()
                    .map(|s| {
                        map.resolve_counted(s.user_id.as_deref(), s.upn.as_deref(), &mut tally)
                    })
                    .collect();
                (users, tally)
            })
            .collect();
        let mut all = Vec::with_capacity(tables.sign_ins.len());
        let mut tally = Tally::default();
        for (users, part) in parts {
            all.extend(users);
            tally.add(part);
        }
        (all, tally)
    };
    ids.count(tally);
    Users {
        sign_ins,
        audit_actors: tables
            .audits
            .iter()
            .map(|a| ids.resolve(a.actor_id.as_deref(), a.actor_upn.as_deref()))
            .collect(),
        audit_targets: tables
            .audits
            .iter()
            .map(|a| {
                a.targets
                    .iter()
                    .map(|t| {
                        t.is_user()
                            .then(|| ids.resolve(t.id.as_deref(), t.upn.as_deref()))
                            .flatten()
                    })
                    .collect()
            })
            .collect(),
        detections: tables
            .detections
            .iter()
            .map(|d| ids.resolve(d.user_id.as_deref(), d.upn.as_deref()))
            .collect(),
        risky_users: tables
            .risky_users
            .iter()
            .map(|r| {
                ids.resolve(
                    Some(r.id.as_str()).filter(|i| !i.is_empty()),
                    r.upn.as_deref(),
                )
            })
            .collect(),
        history: tables
            .history
            .iter()
            .map(|h| ids.resolve(h.user_id.as_deref(), h.upn.as_deref()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upn_joins_case_insensitively_and_reports_ambiguity() {
        let mut ids = Identities::default();
        ids.observe(Some("a"), Some("Alice@Contoso.com"), 1);
        ids.observe(Some("a"), Some("alice@contoso.com"), 5);
        ids.observe(Some("b"), Some("bob@contoso.com"), 1);
        ids.observe(Some("c"), Some("BOB@contoso.com"), 2);
        let by_upn = ids.resolve(None, Some("ALICE@contoso.com")).unwrap();
        assert_eq!(by_upn.user_id.as_deref(), Some("a"));
        assert_eq!(by_upn.basis, IdentityBasis::Upn);
        let ambiguous = ids.resolve(None, Some("bob@contoso.com")).unwrap();
        assert_eq!(ambiguous.user_id, None);
        assert_eq!(ambiguous.basis, IdentityBasis::AmbiguousUpn);
        assert_eq!(
            ids.resolve(None, Some("eve@evil.example")).unwrap().basis,
            IdentityBasis::UpnOnly
        );
        assert_eq!(ids.resolve(None, None), None);
        assert_eq!(ids.upn_of("a"), Some("alice@contoso.com"));
        let report = ids.report();
        assert_eq!(report.users, 3);
        assert_eq!(report.records_joined_by_upn, 1);
        assert_eq!(report.records_upn_only, 1);
        assert_eq!(
            report.ambiguous_upns,
            vec![AmbiguousUpn {
                upn: "bob@contoso.com".into(),
                user_ids: vec!["b".into(), "c".into()],
                unattributed_records: 1,
            }]
        );
        assert!(report.users_with_several_upns.is_empty());
    }

    #[test]
    fn tallies_counted_apart_add_up_to_the_counts_of_one_pass() {
        let mut one = Identities::default();
        one.observe(Some("b"), Some("bob@x"), 1);
        one.observe(Some("c"), Some("bob@x"), 1);
        one.observe(Some("a"), Some("alice@x"), 1);
        let records = [
            (None, Some("ALICE@x")),
            (None, Some("bob@x")),
            (Some("a"), None),
            (None, Some("eve@x")),
            (None, Some("Bob@X")),
            (None, None),
        ];
        let mut split = Identities {
            upn_ids: one.upn_ids.clone(),
            names: one.names.clone(),
            tally: Tally::default(),
        };
        let (mut left, mut right) = (Tally::default(), Tally::default());
        for (n, (id, upn)) in records.iter().enumerate() {
            let tally = if n % 2 == 0 { &mut left } else { &mut right };
            let apart = split.resolve_counted(*id, *upn, tally);
            assert_eq!(apart, one.resolve(*id, *upn));
        }
        split.count(right);
        split.count(left);
        assert_eq!(split.tally, one.tally);
        assert_eq!(one.report().records_joined_by_upn, 1);
        assert_eq!(one.report().ambiguous_upns[0].unattributed_records, 2);
    }
}
