//! Sign-in sessions: which sign-ins belong to one authentication session.
//!
//! Sign-ins sharing a `sessionId` (beta: one root authentication) or a
//! `correlationId` (one flow) are one session; the two keys are joined
//! transitively, so a v1.0 flow without `sessionId` still lands in the session
//! a beta record of the same flow names. Sign-ins with neither key are grouped
//! by user, IP and client, starting a new session after 30 minutes without a
//! sign-in. Each session gets a readable, deterministic key:
//! `sid:<sessionId>`, `cid:<correlationId>` or `ipc:<id of its first sign-in>`.
//!
//! A session is one user's: stage 2 finds the sessions of each user bucket
//! apart, so sign-ins of two users that share a key (which Entra does not
//! write) are two sessions, and a risk detection's row is in its linked
//! sign-in's session when that sign-in is its own user's.

use foldhash::HashMap;

use entrace_case::records::SignIn;
use entrace_manifest::analysis::SessionReport;

/// Gap after which a heuristic (user + IP + client) session ends, in ns.
pub const HEURISTIC_GAP_NS: i64 = 30 * 60 * 1_000_000_000;

/// Minimal union-find over sign-in indexes.
struct Groups(Vec<usize>);

impl Groups {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        // The smaller index is the root, so the result does not depend on order.
        if ra < rb {
            self.0[rb] = ra;
        } else if rb < ra {
            self.0[ra] = rb;
        }
    }
}

/// The session key of every sign-in. `users` are the resolved user ids and
/// `clients` the client labels, indexed like `sign_ins`.
pub fn sessions(
    sign_ins: &[SignIn],
    users: &[Option<String>],
    clients: &[String],
) -> (Vec<Option<String>>, SessionReport) {
    let mut groups = Groups((0..sign_ins.len()).collect());
    // Hash maps: nothing here depends on their order, and a tenant has
    // millions of sign-ins.
    let mut first_with: HashMap<(u8, &str), usize> = HashMap::default();
    for (i, s) in sign_ins.iter().enumerate() {
        let keys = [
            (0u8, s.session_id.as_deref()),
            (1, s.correlation_id.as_deref()),
        ];
        for (kind, key) in keys {
            if let Some(k) = key {
                let j = *first_with.entry((kind, k)).or_insert(i);
                groups.union(i, j);
            }
        }
    }
    // Per group: the smallest sessionId, else the smallest correlationId.
    let mut group_key: HashMap<usize, (Option<&str>, Option<&str>)> = HashMap::default();
    for (i, s) in sign_ins.iter().enumerate() {
        if s.session_id.is_none() && s.correlation_id.is_none() {
            continue;
        }
        let root = groups.find(i);
        let entry = group_key.entry(root).or_default();
        entry.0 = min_some(entry.0, s.session_id.as_deref());
        entry.1 = min_some(entry.1, s.correlation_id.as_deref());
    }
    let mut report = SessionReport::default();
    for (sid, _) in group_key.values() {
        if sid.is_some() {
            report.by_session_id += 1;
        } else {
            report.by_correlation_id += 1;
        }
    }
    let mut keys: Vec<Option<String>> = (0..sign_ins.len())
        .map(|i| {
            let (sid, cid) = group_key.get(&groups.find(i))?;
            Some(match (sid, cid) {
                (Some(s), _) => format!("sid:{s}"),
                (None, Some(c)) => format!("cid:{c}"),
                (None, None) => return None,
            })
        })
        .collect();

    // The rest: user + IP + client, split by 30-minute gaps.
    // (user, IP, client) → (time, sign-in id, index) of its key-less sign-ins.
    type Loose<'a> = HashMap<(&'a str, &'a str, &'a str), Vec<(i64, &'a str, usize)>>;
    let mut loose: Loose<'_> = HashMap::default();
    for (i, s) in sign_ins.iter().enumerate() {
        if keys[i].is_some() {
            continue;
        }
        let user = users[i].as_deref().or(s.upn.as_deref()).unwrap_or("");
        let ip = s.ip.as_deref().unwrap_or("");
        loose
            .entry((user, ip, clients[i].as_str()))
            .or_default()
            .push((s.time, s.id.as_str(), i));
    }
    for list in loose.values_mut() {
        list.sort_unstable();
        let mut current: Option<(i64, String)> = None;
        for &(time, id, i) in list.iter() {
            let key = match &current {
                Some((last, key)) if time - last <= HEURISTIC_GAP_NS => key.clone(),
                _ => {
                    report.by_user_ip_client += 1;
                    format!("ipc:{id}")
                }
            };
            keys[i] = Some(key.clone());
            current = Some((time, key));
        }
    }
    (keys, report)
}

fn min_some<'a>(a: Option<&'a str>, b: Option<&'a str>) -> Option<&'a str> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60 * 1_000_000_000;

    fn s(id: &str, sid: Option<&str>, cid: Option<&str>, time: i64) -> SignIn {
        SignIn {
            id: id.into(),
            session_id: sid.map(Into::into),
            correlation_id: cid.map(Into::into),
            ip: Some("192.0.2.1".into()),
            time,
            ..SignIn::default()
        }
    }

    #[test]
    fn session_ids_and_correlation_ids_join_and_gaps_split() {
        let sign_ins = vec![
            s("a", Some("sess"), Some("flow1"), 0),
            s("b", None, Some("flow1"), MIN),
            s("c", None, Some("flow2"), 2 * MIN),
            s("d", None, None, 0),
            s("e", None, None, 30 * MIN),
            s("f", None, None, 61 * MIN),
        ];
        let users = vec![Some("u".to_string()); 6];
        let clients = vec!["Edge / Windows / Browser".to_string(); 6];
        let (keys, report) = sessions(&sign_ins, &users, &clients);
        let keys: Vec<_> = keys.into_iter().map(Option::unwrap).collect();
        assert_eq!(
            keys,
            [
                "sid:sess",
                "sid:sess",
                "cid:flow2",
                "ipc:d",
                "ipc:d",
                "ipc:f"
            ]
        );
        assert_eq!(report.by_session_id, 1);
        assert_eq!(report.by_correlation_id, 1);
        assert_eq!(report.by_user_ip_client, 2);
    }
}
