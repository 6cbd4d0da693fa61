//! ENT-005 Password spray from a source.
//!
//! **What it finds.** One source (an IP; with beta evidence also an ASN and a
//! user agent) failing the password of many distinct users in a sliding
//! window: credential failures and 50034 (user not found).
//!
//! **Why it matters.** Spraying tries one or two common passwords against many
//! accounts, under the per-account lockout threshold. The one account that
//! answers with a validated password is the breach.
//!
//! **Evidence.** Per targeted user its first and last failure (trigger), and
//! every success or validated password of those users from the same source
//! within 24 h (trigger: the sprayed success).
//!
//! **Thresholds.** medium: `users_per_20m` 5 distinct users within 20 min
//! (Sentinel); high: `users_per_30m` 15 within 30 min (Elastic), or
//! `low_slow_users` 10 within 24 h with at most `low_slow_attempts` 3 attempts
//! per user, or a sprayed success within 24 h. Suppressed when the source's
//! successful users are at least as many as its failed users (shared egress:
//! an office with a few typos), unless a sprayed success exists.
//!
//! **False positives.** Shared NAT, VPN concentrators and proxies where many
//! users mistype at once; the suppression rule handles offices with enough
//! successful traffic.
//!
//! **References.** docs/research/detections.md ENT-005 and appendix §4.2; Sentinel
//! "Password spray attack against Microsoft Entra ID application"; Elastic
//! "Entra ID brute force activity".

use std::collections::{BTreeMap, BTreeSet};

use super::codes::SUCCESS;
use super::config::{Param, Params};
use super::context::Context;
use super::finding::{Evidence, EvidenceRole, Finding, Severity};
use super::registry::{Availability, Escalation, Rule, Scope};
use super::vocabulary::Vocabulary;
use entrace_case::records::SignIn;

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-005",
    escalation: Escalation::RaisedByPersistence,
    reads_findings: false,
    scope: Scope::Tenant,
    name: "Password spray from a source",
    severities: "medium–high",
    mitre: &["T1110.003"],
    finds: "One IP (or ASN, or user agent) failing the password of many distinct users in a sliding window",
    params: &[
        Param { key: "users_per_20m", default: 5.0, doc: "Distinct failing users within 20 minutes for medium" },
        Param { key: "users_per_30m", default: 15.0, doc: "Distinct failing users within 30 minutes for high" },
        Param { key: "low_slow_users", default: 10.0, doc: "Distinct failing users within 24 hours for high (low and slow)" },
        Param { key: "low_slow_attempts", default: 3.0, doc: "Most attempts per user for the low-and-slow rule" },
    ],
    requires: |ctx| {
        if ctx.tables.sign_ins.is_empty() {
            return Availability::Skipped("no sign-ins in the evidence".into());
        }
        let beta = ctx.tables.sign_ins.iter().any(|s| s.asn.is_some() || s.user_agent.is_some());
        if beta {
            Availability::Ready
        } else {
            Availability::Partial("autonomousSystemNumber and userAgent absent (v1.0 export): grouped by IP only".into())
        }
    },
    run,
};

const MIN_NS: i64 = 60 * 1_000_000_000;
const DAY_NS: i64 = 24 * 60 * MIN_NS;

/// Most distinct users within any window of `width` over time-sorted rows;
/// returns the count and the rows of that window.
fn max_distinct(rows: &[(i64, &str, usize)], width: i64) -> (usize, Vec<usize>) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut best, mut best_range, mut start) = (0, (0, 0), 0);
    for end in 0..rows.len() {
        *counts.entry(rows[end].1).or_default() += 1;
        while rows[end].0 - rows[start].0 > width {
            let u = rows[start].1;
            if let Some(c) = counts.get_mut(u) {
                *c -= 1;
                if *c == 0 {
                    counts.remove(u);
                }
            }
            start += 1;
        }
        if counts.len() > best {
            best = counts.len();
            best_range = (start, end + 1);
        }
    }
    (
        best,
        rows[best_range.0..best_range.1]
            .iter()
            .map(|r| r.2)
            .collect(),
    )
}

/// How sign-ins are grouped into sources: a name and the key of a sign-in.
type SourceKey = (&'static str, fn(&SignIn) -> Option<String>);

const SOURCES: [SourceKey; 3] = [
    ("IP", |s| s.ip.clone()),
    ("ASN", |s| s.asn.map(|a| format!("AS{a}"))),
    ("user agent", |s| s.user_agent.clone()),
];

/// Whether sign-in `s` is one the spray counts against its source: a
/// credential failure or 50034 (user not found).
fn is_spray_failure(s: &SignIn, vocabulary: &Vocabulary) -> bool {
    vocabulary.is_credential_failure(s.error_code) || s.error_code == Some(USER_NOT_FOUND)
}

/// `status.errorCode` of a sign-in to a user that does not exist.
const USER_NOT_FOUND: i32 = 50034;

/// A source: its kind (index in [`SOURCES`]) and its key.
type Source = (usize, String);

/// A validated password near a failure: (time, user key, evidence).
type Validated = (i64, String, Evidence);

/// What ENT-005 needs of the sign-ins that are not failures, gathered in
/// the [`TenantIndex`](crate::context::TenantIndex)'s second pass for the
/// sources that failed (the first pass): how many distinct users succeeded
/// from each, and the validated passwords of the users who failed from it,
/// within a day before to two days after one of their failures there (a
/// superset of any spray window's "sprayed success", which starts at the
/// window's first failure, ends a day after its last, and spans at most a
/// day).
#[derive(Debug, Default)]
pub(crate) struct SprayIndex {
    /// Per (source kind, source): per user who failed from it, the failure
    /// times, sorted.
    failed: BTreeMap<Source, BTreeMap<String, Vec<i64>>>,
    /// Per failing source: the users who succeeded from it.
    succeeded: BTreeMap<Source, BTreeSet<String>>,
    /// Per failing source: validated passwords of its failing users, near
    /// their failures, as (time, user, evidence), in table order per user.
    validated: BTreeMap<Source, Vec<Validated>>,
}

impl SprayIndex {
    /// First pass: a failure of `user` is a failure of each of its sources.
    pub(crate) fn add_failure(&mut self, s: &SignIn, user: Option<&str>, vocabulary: &Vocabulary) {
        let Some(user) = user.filter(|_| is_spray_failure(s, vocabulary)) else {
            return;
        };
        for (kind, (_, source_key)) in SOURCES.iter().enumerate() {
            if let Some(key) = source_key(s) {
                let times = self
                    .failed
                    .entry((kind, key))
                    .or_default()
                    .entry(user.to_owned())
                    .or_default();
                times.push(s.time);
            }
        }
    }

    /// Ends the first pass.
    pub(crate) fn failures_done(&mut self) {
        for users in self.failed.values_mut() {
            for times in users.values_mut() {
                times.sort_unstable();
            }
        }
    }

    /// Second pass: what a success or a validated password of `user` tells
    /// about the sources that failed. A user's sign-ins come in table order.
    pub(crate) fn add_sign_in(&mut self, s: &SignIn, user: Option<&str>, vocabulary: &Vocabulary) {
        let Some(user) = user.filter(|_| vocabulary.is_password_validated(s.error_code)) else {
            return;
        };
        for (kind, (_, source_key)) in SOURCES.iter().enumerate() {
            let Some(key) = source_key(s) else { continue };
            let source = (kind, key);
            let Some(failed) = self.failed.get(&source) else {
                continue;
            };
            let near = failed.get(user).is_some_and(|times| {
                let from = times.partition_point(|&f| f < s.time - 2 * DAY_NS);
                times.get(from).is_some_and(|&f| f <= s.time + DAY_NS)
            });
            if s.error_code == Some(SUCCESS) {
                let users = self.succeeded.entry(source.clone()).or_default();
                if !users.contains(user) {
                    users.insert(user.to_owned());
                }
            }
            if near {
                let e = Evidence::of_sign_in(s, Some(user), EvidenceRole::Trigger);
                let rows = self.validated.entry(source).or_default();
                rows.push((s.time, user.to_owned(), e));
            }
        }
    }

    /// How many distinct users succeeded from the source.
    fn successful(&self, kind: usize, key: &str) -> usize {
        self.succeeded
            .get(&(kind, key.to_owned()))
            .map_or(0, BTreeSet::len)
    }

    /// The validated passwords from the source of users in `targeted`
    /// within `first..=last + 24 h`, as evidence, by user then time.
    fn sprayed(
        &self,
        kind: usize,
        key: &str,
        targeted: &BTreeSet<&str>,
        first: i64,
        last: i64,
    ) -> Vec<Evidence> {
        let mut rows: Vec<&Validated> = self
            .validated
            .get(&(kind, key.to_owned()))
            .into_iter()
            .flatten()
            .filter(|(time, user, _)| {
                targeted.contains(user.as_str()) && *time >= first && *time - last <= DAY_NS
            })
            .collect();
        rows.sort_by(|a, b| a.1.cmp(&b.1));
        rows.into_iter().map(|(_, _, e)| e.clone()).collect()
    }
}

fn run(ctx: &Context<'_>, p: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let t = &ctx.tables.sign_ins;
    // Other users' successes and validated passwords, from the whole tenant.
    let index = &ctx.tenant().spray;
    let mut reported_ips: BTreeSet<String> = BTreeSet::new();
    for (kind_index, (kind, source_key)) in SOURCES.into_iter().enumerate() {
        let mut fails: BTreeMap<String, Vec<(i64, &str, usize)>> = BTreeMap::new();
        for i in ctx.sign_in_indexes() {
            let s = &t[i];
            let (Some(key), Some(user)) = (source_key(s), ctx.sign_in_user(i)) else {
                continue;
            };
            if is_spray_failure(s, ctx.vocabulary) {
                fails.entry(key).or_default().push((s.time, user, i));
            }
        }
        for (key, mut rows) in fails {
            rows.sort();
            let (n20, w20) = max_distinct(&rows, 20 * MIN_NS);
            let (n30, _) = max_distinct(&rows, 30 * MIN_NS);
            let (nday, wday) = max_distinct(&rows, DAY_NS);
            let mut attempts: BTreeMap<&str, usize> = BTreeMap::new();
            for &i in &wday {
                *attempts
                    .entry(ctx.sign_in_user(i).unwrap_or(""))
                    .or_default() += 1;
            }
            let low_slow = nday >= p.count("low_slow_users")
                && attempts
                    .values()
                    .all(|&a| a <= p.count("low_slow_attempts"));
            let medium = n20 >= p.count("users_per_20m");
            let high = n30 >= p.count("users_per_30m") || low_slow;
            if !medium && !high {
                continue;
            }
            let window = if medium && !low_slow { w20 } else { wday };
            let targeted: BTreeSet<&str> =
                window.iter().filter_map(|&i| ctx.sign_in_user(i)).collect();
            let (first, last) = (t[window[0]].time, t[window[window.len() - 1]].time);
            // Sprayed success: a targeted user validates a password from the source within 24 h.
            let sprayed = index.sprayed(kind_index, &key, &targeted, first, last);
            let successful = index.successful(kind_index, &key);
            if sprayed.is_empty() && successful >= targeted.len() {
                continue;
            }
            if kind != "IP"
                && sprayed.is_empty()
                && window
                    .iter()
                    .all(|&i| t[i].ip.as_ref().is_some_and(|ip| reported_ips.contains(ip)))
            {
                // Same rows already reported under their IP.
                continue;
            }
            if kind == "IP" {
                reported_ips.insert(key.clone());
            }
            let severity = if high || !sprayed.is_empty() {
                Severity::High
            } else {
                Severity::Medium
            };
            let mut codes: BTreeMap<i32, usize> = BTreeMap::new();
            for &i in &window {
                *codes
                    .entry(t[i].error_code.unwrap_or_default())
                    .or_default() += 1;
            }
            let span_min = (last - first) as f64 / MIN_NS as f64;
            let mut f = ctx.finding(&DETECTION, severity, None);
            if kind == "IP" {
                f.subject_ip = Some(key.clone());
            }
            f.summary = format!(
                "password spray from {} {key}: {} users failed within {span_min:.0} min ({}){}{}",
                kind,
                targeted.len(),
                codes
                    .iter()
                    .map(|(c, k)| format!("{c} ×{k}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if low_slow {
                    "; low and slow: at most 3 attempts per user"
                } else {
                    ""
                },
                if sprayed.is_empty() {
                    String::new()
                } else {
                    format!("; {} validated password(s) from the same source within 24 h (sprayed success)", sprayed.len())
                }
            );
            // Per user: first and last failure.
            let mut per_user: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            for &i in &window {
                let u = ctx.sign_in_user(i).unwrap_or("");
                per_user.entry(u).and_modify(|e| e.1 = i).or_insert((i, i));
            }
            for (first, last) in per_user.values() {
                f.evidence.push(ctx.sign_in(*first, EvidenceRole::Trigger));
                f.evidence.push(ctx.sign_in(*last, EvidenceRole::Trigger));
            }
            f.evidence.extend(sprayed);
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_keeps_validated_passwords_near_the_users_own_failures() {
        let vocabulary = Vocabulary::builtin();
        let sign_in = |id: &str, time: i64, code: i32| SignIn {
            id: id.into(),
            time,
            ip: Some("203.0.113.66".into()),
            error_code: Some(code),
            ..SignIn::default()
        };
        let mut index = SprayIndex::default();
        index.add_failure(&sign_in("f", 0, 50126), Some("eve"), vocabulary);
        index.add_failure(&sign_in("x", 0, 50126), None, vocabulary);
        index.failures_done();
        for (id, time) in [
            ("early", -DAY_NS),
            ("late", 2 * DAY_NS),
            ("too-late", 2 * DAY_NS + 1),
        ] {
            index.add_sign_in(&sign_in(id, time, 0), Some("eve"), vocabulary);
        }
        // Another user's success counts as a successful user, not as sprayed.
        index.add_sign_in(&sign_in("bob", 5, 0), Some("bob"), vocabulary);
        index.add_sign_in(&sign_in("bob-again", 6, 0), Some("bob"), vocabulary);
        let ids = |first, last| -> Vec<String> {
            let targeted = BTreeSet::from(["eve"]);
            index
                .sprayed(0, "203.0.113.66", &targeted, first, last)
                .into_iter()
                .map(|e| e.record_id)
                .collect()
        };
        assert_eq!(ids(-DAY_NS, 0), ["early"]);
        assert_eq!(ids(DAY_NS, DAY_NS), ["late"]);
        // A window that would take too-late cannot hold eve's failure, and
        // the index did not keep it.
        assert_eq!(ids(DAY_NS + 1, DAY_NS + 1), ["late"]);
        assert_eq!(index.successful(0, "203.0.113.66"), 2);
        assert_eq!(index.successful(0, "198.51.100.1"), 0);
    }

    #[test]
    fn sliding_window_counts_distinct_users() {
        let rows = [
            (0, "a", 0),
            (MIN_NS, "b", 1),
            (2 * MIN_NS, "a", 2),
            (25 * MIN_NS, "c", 3),
        ];
        assert_eq!(max_distinct(&rows, 20 * MIN_NS), (2, vec![0, 1]));
        assert_eq!(max_distinct(&rows, 30 * MIN_NS).0, 3);
    }
}
