//! User buckets: how stage 2 splits the evidence so that it holds one part
//! of it at a time.
//!
//! A bucket is a contiguous range of resolved users in timeline order
//! ([`UserKey`]): object ids first (by id), then users known only by a UPN
//! (by the lower-cased UPN). Every record of a user falls in one bucket (an
//! audit in the bucket of each user it involves), so whatever stage 2
//! computes per user (timeline rows, sessions, per-user summaries) is
//! computed bucket by bucket, and writing the buckets in order writes the
//! single-user-sorted timeline with no merge.
//!
//! [`Buckets::plan`] cuts the users into ranges of about `rows_per_bucket`
//! records, from the record count of every user, so the plan is a function
//! of the evidence and of that size only: the same on every machine and for
//! every thread count. [`Buckets::of`] is the function of the resolved user
//! key that places a user.

use std::borrow::Cow;

use crate::identity::{lower, Resolved};

/// A resolved user, in timeline order: the object id when known, else the
/// lower-cased UPN (users known only by name sort after every id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UserKey<'a> {
    /// The user's object id (lower-cased, as records hold it).
    Id(Cow<'a, str>),
    /// The record's UPN, lower-cased: no object id owns it (or several do).
    Upn(Cow<'a, str>),
}

impl<'a> UserKey<'a> {
    /// The key of a record resolved to `who` that shows `upn`; `None` when
    /// the record names no user.
    pub fn of(who: Option<&'a Resolved>, upn: Option<&'a str>) -> Option<UserKey<'a>> {
        let id = who?.user_id.as_deref();
        (id.is_some() || upn.is_some()).then(|| UserKey::named(id, upn))
    }

    /// The key of a user with this object id, else this UPN (a timeline
    /// row's `user_id` and `user_principal_name`).
    pub fn named(user_id: Option<&'a str>, upn: Option<&'a str>) -> UserKey<'a> {
        match user_id {
            Some(id) => UserKey::Id(Cow::Borrowed(id)),
            None => UserKey::Upn(lower(upn.unwrap_or_default())),
        }
    }

    /// A key from its text ([`UserKey`]'s `Display`): `upn:` and the
    /// lower-cased UPN, else the object id.
    pub fn parse(text: &'a str) -> UserKey<'a> {
        match text.strip_prefix("upn:") {
            Some(upn) => UserKey::Upn(Cow::Borrowed(upn)),
            None => UserKey::Id(Cow::Borrowed(text)),
        }
    }

    /// The key with its text owned, to outlive the record it came from.
    pub fn into_owned(self) -> UserKey<'static> {
        match self {
            UserKey::Id(id) => UserKey::Id(Cow::Owned(id.into_owned())),
            UserKey::Upn(upn) => UserKey::Upn(Cow::Owned(upn.into_owned())),
        }
    }
}

/// The key as text, as the detections key their users: the object id, or
/// `upn:` and the lower-cased UPN for a user known only by name.
impl std::fmt::Display for UserKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserKey::Id(id) => f.write_str(id),
            UserKey::Upn(upn) => write!(f, "upn:{upn}"),
        }
    }
}

/// Contiguous ranges of users, in timeline order, that stage 2 works on one
/// at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buckets {
    /// The first user of every bucket but the first (which starts at the
    /// lowest key), ascending.
    starts: Vec<UserKey<'static>>,
}

impl Buckets {
    /// One bucket holding every user.
    pub fn one() -> Buckets {
        Buckets { starts: Vec::new() }
    }

    /// Cuts `users` (every user with its record count, in ascending key
    /// order, each once) into buckets of at least `rows_per_bucket`
    /// records, the last one excepted. A user is never split: one with more
    /// records than that is a bucket of its own.
    pub fn plan<'k>(
        users: impl IntoIterator<Item = (UserKey<'k>, u64)>,
        rows_per_bucket: u64,
    ) -> Buckets {
        let mut starts = Vec::new();
        let mut filled = 0u64;
        for (key, rows) in users {
            if filled >= rows_per_bucket.max(1) {
                starts.push(key.into_owned());
                filled = 0;
            }
            filled += rows;
        }
        Buckets { starts }
    }

    /// How many buckets there are (at least one).
    pub fn len(&self) -> usize {
        self.starts.len() + 1
    }

    /// Always false: there is at least one bucket.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The bucket that holds the user `key`.
    pub fn of(&self, key: &UserKey<'_>) -> usize {
        self.starts.partition_point(|start| start <= key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityBasis;

    fn id(s: &str) -> UserKey<'_> {
        UserKey::Id(Cow::Borrowed(s))
    }
    fn upn(s: &str) -> UserKey<'_> {
        UserKey::Upn(Cow::Borrowed(s))
    }

    #[test]
    fn ids_sort_before_names_and_names_are_lower_cased() {
        let by_id = Resolved {
            user_id: Some("ffff".into()),
            basis: IdentityBasis::ObjectId,
        };
        let by_name = Resolved {
            user_id: None,
            basis: IdentityBasis::UpnOnly,
        };
        assert_eq!(UserKey::of(Some(&by_id), Some("Eve@X")), Some(id("ffff")));
        assert_eq!(
            UserKey::of(Some(&by_name), Some("Eve@X")),
            Some(upn("eve@x"))
        );
        assert_eq!(UserKey::of(Some(&by_name), None), None);
        assert_eq!(UserKey::of(None, Some("eve@x")), None);
        assert!(id("ffff") < upn("0"));
        for key in [id("ffff"), upn("eve@x")] {
            assert_eq!(UserKey::parse(&key.to_string()), key);
        }
    }

    #[test]
    fn plans_cut_between_users_at_the_row_count() {
        let users = [(id("a"), 3), (id("b"), 1), (id("c"), 5), (upn("d"), 1)];
        // a and b fill the first bucket, c (more than 4 alone) the second.
        let plan = Buckets::plan(users.clone(), 4);
        assert_eq!(plan.len(), 3);
        assert_eq!(
            users.iter().map(|(k, _)| plan.of(k)).collect::<Vec<_>>(),
            [0, 0, 1, 2]
        );
        // A key between planned users falls in the range around it.
        assert_eq!(plan.of(&id("bb")), 0);
        assert_eq!(plan.of(&id("cc")), 1);
        assert_eq!(plan.of(&upn("zzz")), 2);
        assert_eq!(Buckets::plan(users.clone(), 1).len(), 4);
        assert_eq!(Buckets::plan(users, 100), Buckets::one());
    }
}
