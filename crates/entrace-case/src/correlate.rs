//! Links between records, each with the basis it rests on.
//!
//! * Risk detection → sign-in, strongest key first (docs/research/graph.md §3.3):
//!   `requestId` = sign-in `id`; else `correlationId` (every sign-in of the
//!   flow); else the same user and IP within ±5 minutes (the nearest sign-in).
//!   User-level and offline detections (leaked credentials) have none of these
//!   and stay unlinked, which is counted.
//! * Directory audits sharing a `correlationId` (one SSPR flow, one admin
//!   operation written as several records) are linked to each other.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::records::Tables;

/// How long before or after a detection a sign-in from the same user and IP
/// still counts as its sign-in, in ns (±5 min).
pub const DETECTION_WINDOW_NS: i64 = 5 * 60 * 1_000_000_000;

/// Which key linked two records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkBasis {
    /// `riskDetection.requestId` equals `signIn.id`.
    RequestId,
    /// The records share a `correlationId`.
    CorrelationId,
    /// Same user and IP, times within [`DETECTION_WINDOW_NS`].
    UserIpTime,
}

impl entrace_model::Labelled for LinkBasis {
    const ALL: &'static [LinkBasis] = &[
        LinkBasis::RequestId,
        LinkBasis::CorrelationId,
        LinkBasis::UserIpTime,
    ];
    fn label(self) -> &'static str {
        self.as_str()
    }
}

impl LinkBasis {
    /// The name used in tables (`request_id`, `correlation_id`, `user_ip_time`).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkBasis::RequestId => "request_id",
            LinkBasis::CorrelationId => "correlation_id",
            LinkBasis::UserIpTime => "user_ip_time",
        }
    }
}

/// The links found, indexed like the records in [`Tables`].
#[derive(Debug, Default)]
pub struct Links {
    /// Per detection: the sign-ins it belongs to and the basis.
    pub detection_sign_ins: Vec<(Vec<usize>, Option<LinkBasis>)>,
    /// Per sign-in: the detections linked to it, with the basis.
    pub sign_in_detections: Vec<Vec<(usize, LinkBasis)>>,
    /// Per audit: the other audits sharing its correlation id.
    pub audit_peers: Vec<Vec<usize>>,
    /// Counts for the manifest.
    pub report: CorrelationReport,
}

/// What correlation found, for the manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CorrelationReport {
    /// Detections linked to their sign-in by `requestId`.
    pub detections_by_request_id: u64,
    /// Detections linked to their flow by `correlationId`.
    pub detections_by_correlation_id: u64,
    /// Detections linked by user, IP and time.
    pub detections_by_user_ip_time: u64,
    /// Detections with no sign-in in the evidence (user-level, offline, or not exported).
    pub detections_unlinked: u64,
    /// Detections whose `requestId` names a sign-in absent from the evidence.
    pub request_ids_not_in_evidence: u64,
    /// Groups of two or more audits sharing a `correlationId`.
    pub audit_correlation_groups: u64,
    /// Audits in those groups.
    pub audits_in_groups: u64,
}

/// Finds every link. `sign_in_users` and `detection_users` are the resolved
/// user ids of the records, used by the user + IP + time fallback.
pub fn correlate(
    tables: &Tables,
    sign_in_users: &[Option<String>],
    detection_users: &[Option<String>],
) -> Links {
    // The sign-ins indexed by what the detections ask for only: a tenant
    // has millions of sign-ins and a few risk detections.
    let d = &tables.detections;
    let mut by_id: HashMap<&str, usize> = d
        .iter()
        .filter_map(|d| Some((d.request_id.as_deref()?, usize::MAX)))
        .collect();
    let mut by_correlation: HashMap<&str, Vec<usize>> = d
        .iter()
        .filter_map(|d| Some((d.correlation_id.as_deref()?, Vec::new())))
        .collect();
    let mut by_user_ip: BTreeMap<(&str, &str), Vec<(i64, usize)>> = d
        .iter()
        .zip(detection_users)
        .filter_map(|(d, u)| Some(((u.as_deref()?, d.ip.as_deref()?), Vec::new())))
        .collect();
    for (i, s) in tables.sign_ins.iter().enumerate() {
        if !by_id.is_empty() {
            let id = match s.id.bytes().any(|b| b.is_ascii_uppercase()) {
                true => std::borrow::Cow::Owned(s.id.to_ascii_lowercase()),
                false => std::borrow::Cow::Borrowed(s.id.as_str()),
            };
            // The last sign-in of an id wins, as the index always had it.
            if let Some(slot) = by_id.get_mut(id.as_ref()) {
                *slot = i;
            }
        }
        if let Some(list) = s
            .correlation_id
            .as_deref()
            .and_then(|c| by_correlation.get_mut(c))
        {
            list.push(i);
        }
        if let (Some(u), Some(ip)) = (&sign_in_users[i], &s.ip) {
            if let Some(list) = by_user_ip.get_mut(&(u.as_str(), ip.as_str())) {
                list.push((s.time, i));
            }
        }
    }
    by_id.retain(|_, i| *i != usize::MAX);
    by_correlation.retain(|_, v| !v.is_empty());
    for v in by_user_ip.values_mut() {
        v.sort_unstable();
    }

    let mut report = CorrelationReport::default();
    let mut detection_sign_ins = Vec::with_capacity(tables.detections.len());
    let mut sign_in_detections = vec![Vec::new(); tables.sign_ins.len()];
    for (d_idx, d) in tables.detections.iter().enumerate() {
        let by_request = d.request_id.as_ref().and_then(|r| {
            let found = by_id.get(r.as_str()).copied();
            if found.is_none() {
                report.request_ids_not_in_evidence += 1;
            }
            found
        });
        let (sign_ins, basis) = if let Some(i) = by_request {
            report.detections_by_request_id += 1;
            (vec![i], Some(LinkBasis::RequestId))
        } else if let Some(flow) = d
            .correlation_id
            .as_deref()
            .and_then(|c| by_correlation.get(c))
        {
            report.detections_by_correlation_id += 1;
            (flow.clone(), Some(LinkBasis::CorrelationId))
        } else if let Some(i) = nearest(&by_user_ip, &detection_users[d_idx], &d.ip, d.time) {
            report.detections_by_user_ip_time += 1;
            (vec![i], Some(LinkBasis::UserIpTime))
        } else {
            report.detections_unlinked += 1;
            (Vec::new(), None)
        };
        if let Some(b) = basis {
            for &i in &sign_ins {
                sign_in_detections[i].push((d_idx, b));
            }
        }
        detection_sign_ins.push((sign_ins, basis));
    }

    let mut audit_groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, a) in tables.audits.iter().enumerate() {
        if let Some(c) = &a.correlation_id {
            audit_groups.entry(c).or_default().push(i);
        }
    }
    let mut audit_peers = vec![Vec::new(); tables.audits.len()];
    for group in audit_groups.values().filter(|g| g.len() > 1) {
        report.audit_correlation_groups += 1;
        report.audits_in_groups += group.len() as u64;
        for &i in group {
            audit_peers[i] = group.iter().copied().filter(|&j| j != i).collect();
        }
    }

    Links {
        detection_sign_ins,
        sign_in_detections,
        audit_peers,
        report,
    }
}

/// The sign-in of `user` from `ip` nearest to `time` within the window; ties
/// go to the earlier sign-in.
fn nearest(
    by_user_ip: &BTreeMap<(&str, &str), Vec<(i64, usize)>>,
    user: &Option<String>,
    ip: &Option<String>,
    time: i64,
) -> Option<usize> {
    let list = by_user_ip.get(&(user.as_deref()?, ip.as_deref()?))?;
    list.iter()
        .filter(|(t, _)| t.abs_diff(time) <= DETECTION_WINDOW_NS as u64)
        .min_by_key(|(t, _)| (t.abs_diff(time), *t))
        .map(|&(_, i)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Audit, RiskDetection, SignIn};

    const MIN: i64 = 60 * 1_000_000_000;

    fn sign_in(id: &str, corr: &str, ip: &str, time: i64) -> SignIn {
        SignIn {
            id: id.into(),
            correlation_id: Some(corr.into()),
            ip: Some(ip.into()),
            time,
            ..SignIn::default()
        }
    }

    #[test]
    fn strongest_key_wins_and_the_basis_is_recorded() {
        let tables = Tables {
            sign_ins: vec![
                sign_in("s1", "c1", "203.0.113.9", 0),
                sign_in("s2", "c1", "203.0.113.9", MIN),
                sign_in("s3", "c3", "203.0.113.9", 10 * MIN),
            ],
            detections: vec![
                RiskDetection {
                    request_id: Some("s2".into()),
                    correlation_id: Some("c1".into()),
                    ..RiskDetection::default()
                },
                RiskDetection {
                    request_id: Some("not-exported".into()),
                    correlation_id: Some("c1".into()),
                    ..RiskDetection::default()
                },
                RiskDetection {
                    ip: Some("203.0.113.9".into()),
                    time: 14 * MIN,
                    ..RiskDetection::default()
                },
                RiskDetection {
                    ip: Some("203.0.113.9".into()),
                    time: 16 * MIN - 1,
                    ..RiskDetection::default()
                },
            ],
            audits: vec![
                Audit {
                    correlation_id: Some("flow".into()),
                    ..Audit::default()
                },
                Audit::default(),
                Audit {
                    correlation_id: Some("flow".into()),
                    ..Audit::default()
                },
            ],
            ..Tables::default()
        };
        let u = Some("u".to_string());
        let links = correlate(
            &tables,
            &[u.clone(), u.clone(), u.clone()],
            &[u.clone(), u.clone(), u.clone(), None],
        );
        assert_eq!(
            links.detection_sign_ins[0],
            (vec![1], Some(LinkBasis::RequestId))
        );
        assert_eq!(
            links.detection_sign_ins[1],
            (vec![0, 1], Some(LinkBasis::CorrelationId))
        );
        assert_eq!(
            links.detection_sign_ins[2],
            (vec![2], Some(LinkBasis::UserIpTime))
        );
        // Without a resolved user the IP fallback does not apply.
        assert_eq!(links.detection_sign_ins[3], (vec![], None));
        assert_eq!(links.sign_in_detections[1].len(), 2);
        assert_eq!(links.report.request_ids_not_in_evidence, 1);
        assert_eq!(links.report.detections_unlinked, 1);
        assert_eq!(links.audit_peers, vec![vec![2], vec![], vec![0]]);
        assert_eq!(links.report.audit_correlation_groups, 1);
    }

    #[test]
    fn user_ip_window_is_five_minutes_either_side() {
        let tables = Tables {
            sign_ins: vec![sign_in("s", "c", "198.51.100.1", 0)],
            detections: vec![
                RiskDetection {
                    ip: Some("198.51.100.1".into()),
                    time: 5 * MIN,
                    ..RiskDetection::default()
                },
                RiskDetection {
                    ip: Some("198.51.100.1".into()),
                    time: -5 * MIN - 1,
                    ..RiskDetection::default()
                },
            ],
            ..Tables::default()
        };
        let u = Some("u".to_string());
        let links = correlate(&tables, std::slice::from_ref(&u), &[u.clone(), u.clone()]);
        assert_eq!(links.detection_sign_ins[0].1, Some(LinkBasis::UserIpTime));
        assert_eq!(links.detection_sign_ins[1].1, None);
    }
}
