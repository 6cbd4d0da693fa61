//! ENT-012 Impossible travel (geo-velocity).
//!
//! **What it finds.** Consecutive sign-ins of one user that validated the
//! password, from different IPs with geo coordinates, whose distance and time
//! imply a speed no traveller reaches.
//!
//! **Why it matters.** The same account used from two far-apart places at
//! once is the classic sign of a stolen password or token in use.
//!
//! **Evidence.** Both sign-ins (trigger); the summary gives the distance, the
//! time between them and the speed.
//!
//! **Thresholds.** Pairs at least `min_km` 500 apart (geo-IP is city level).
//! high above `high_kmh` 1,000 km/h (physically impossible); medium above
//! `medium_kmh` 900 km/h. Improvement on the catalogue's 500 km/h: at 500 a
//! long-haul flight is flagged (Tokyo to Seattle, 7,700 km in 10 h, is 770
//! km/h door to door); 900 km/h is an airliner's cruise, which no door-to-door
//! trip reaches. Pairs less than 60 s apart are reported as concurrent
//! distant sessions. Pairs where either side is flagged as anonymizing are
//! skipped (ENT-010 covers those).
//!
//! **False positives.** VPN egress in another country, mobile carriers whose
//! IPs geolocate to a far city; check the ASN and the client of each side.
//!
//! **References.** docs/research/detections.md ENT-012 and appendix §4.3.

use super::config::{Param, Params};
use super::context::Context;
use super::finding::{EvidenceRole, Finding, Severity};
use super::registry::{Availability, Escalation, Rule, Scope};
use super::vocabulary::Vocabulary;
use entrace_case::records::SignIn;

/// The catalogue entry.
pub static DETECTION: Rule = Rule {
    id: "ENT-012",
    escalation: Escalation::RaisedByPersistence,
    reads_findings: false,
    scope: Scope::User,
    name: "Impossible travel",
    severities: "medium–high",
    mitre: &["T1078.004"],
    finds: "Consecutive validated sign-ins of one user too far apart for the time between them",
    params: &[
        Param {
            key: "min_km",
            default: 500.0,
            doc: "Smallest distance considered, km",
        },
        Param {
            key: "medium_kmh",
            default: 900.0,
            doc: "Speed above which a pair is medium, km/h",
        },
        Param {
            key: "high_kmh",
            default: 1000.0,
            doc: "Speed above which a pair is high, km/h",
        },
    ],
    requires: |ctx| {
        if ctx.tables.sign_ins.iter().any(|s| s.latitude.is_some()) {
            Availability::Ready
        } else {
            Availability::Skipped("no sign-in has location.geoCoordinates".into())
        }
    },
    run,
};

/// Great-circle distance in km.
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

fn usable(v: &Vocabulary, s: &SignIn) -> Option<(f64, f64)> {
    let interactive = s.is_interactive != Some(false);
    let anonymizing = s.risk_event_types.iter().any(|e| v.is_anonymizing(e));
    (interactive && !anonymizing && v.is_password_validated(s.error_code) && s.ip.is_some())
        .then_some((s.latitude?, s.longitude?))
}

fn run(ctx: &Context<'_>, p: Params<'_>, _: &[Finding], out: &mut Vec<Finding>) {
    let t = &ctx.tables.sign_ins;
    for (user, list) in &ctx.sign_ins_by_user {
        let points: Vec<(usize, (f64, f64))> = list
            .iter()
            .filter_map(|&i| Some((i, usable(ctx.vocabulary, &t[i])?)))
            .collect();
        for pair in points.windows(2) {
            let ((a, pa), (b, pb)) = (pair[0], pair[1]);
            if t[a].ip == t[b].ip {
                continue;
            }
            let km = haversine_km(pa, pb);
            if km < p.get("min_km") {
                continue;
            }
            let secs = ((t[b].time - t[a].time) as f64 / 1e9).max(1.0);
            let kmh = km / (secs / 3600.0);
            let severity = if kmh > p.get("high_kmh") {
                Severity::High
            } else if kmh > p.get("medium_kmh") {
                Severity::Medium
            } else {
                continue;
            };
            let place = |s: &SignIn| {
                [s.city.as_deref(), s.country.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut f = ctx.finding(&DETECTION, severity, Some(user));
            f.subject_ip = t[b].ip.clone();
            f.summary = format!(
                "{:.0} km from {} ({}) to {} ({}) in {:.0} min: {:.0} km/h{}",
                km,
                t[a].ip.as_deref().unwrap_or("?"),
                place(&t[a]),
                t[b].ip.as_deref().unwrap_or("?"),
                place(&t[b]),
                secs / 60.0,
                kmh,
                if secs < 60.0 {
                    " (concurrent distant sessions)"
                } else {
                    ""
                }
            );
            f.evidence = vec![
                ctx.sign_in(a, EvidenceRole::Trigger),
                ctx.sign_in(b, EvidenceRole::Trigger),
            ];
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_matches_known_distances() {
        let tokyo = (35.6895, 139.6917);
        let seattle = (47.6062, -122.3321);
        let km = haversine_km(tokyo, seattle);
        assert!((7600.0..7800.0).contains(&km), "{km}");
        assert!(haversine_km(tokyo, tokyo) < 1e-6);
    }
}
