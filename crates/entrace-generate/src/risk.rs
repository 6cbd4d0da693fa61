//! Identity Protection for the synthetic tenant: low `unfamiliarFeatures`
//! detections on a traveller's first sign-in abroad, each resolved before the
//! export (dismissed by an admin the next working morning, or remediated by
//! the MFA the user completed), and the matching riskyUsers.
//!
//! Invariants: no detection is left `atRisk`; no level above `low`; every
//! riskyUser ends with `riskLevel: none`.

use super::catalog::OFFICES;
use super::clock::{self, HOUR, MIN, SEC};
use super::records::{Geo, Location, RiskDetection, RiskyUser};
use super::rng::Rng;
use super::signin::{Place, UNFAMILIAR};
use super::tenant::{Tenant, User};

/// How and when a detection was closed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resolution {
    /// `riskState`.
    pub state: &'static str,
    /// `riskDetail`.
    pub detail: &'static str,
    /// When it was closed (UTC ns).
    pub at: i64,
    /// The admin who dismissed it (user index), if an admin did.
    pub admin: Option<usize>,
}

/// Decides how a detection raised at `detected` is closed.
pub(crate) fn resolve(rng: &mut Rng, t: &Tenant, detected: i64) -> Resolution {
    let remediated = Resolution {
        state: "remediated",
        detail: "userPassedMFADrivenByRiskBasedPolicy",
        at: detected + rng.range(20, 90) * SEC + rng.range(0, 9_999_999) * 100,
        admin: None,
    };
    if t.admins.is_empty() || rng.chance(0.3) {
        return remediated;
    }
    let admin = *rng.pick(&t.admins);
    let zone = OFFICES[t.users[admin].office].zone;
    let review = rng.range(30 * MIN, 120 * MIN) + rng.range(0, 9_999_999) * 100;
    let next_morning = (0..=t.days)
        .map(|d| t.date(d))
        .filter(|&date| clock::is_working_day(date))
        .map(|date| zone.to_utc(date, 9 * 3600) + review)
        .find(|&at| at > detected + 2 * HOUR);
    match next_morning {
        Some(at) if at < t.window.1 => Resolution {
            state: "dismissed",
            detail: "adminDismissedAllRiskForUser",
            at,
            admin: Some(admin),
        },
        _ => remediated,
    }
}

/// The realtime detection of the flagged sign-in `(id, correlationId)`.
pub(crate) fn detection<'t>(
    rng: &mut Rng,
    user: &'t User,
    place: Place<'t>,
    user_agent: &str,
    sign_in: (&str, &str),
    detected: i64,
    res: Resolution,
) -> RiskDetection<'t> {
    let o = &OFFICES[place.office];
    let info = serde_json::json!([
        {"Key": "userAgent", "Value": user_agent},
        {"Key": "mitreTechniques", "Value": "T1078"},
    ]);
    RiskDetection {
        id: rng.hex(64),
        request_id: sign_in.0.to_string(),
        correlation_id: sign_in.1.to_string(),
        risk_event_type: UNFAMILIAR,
        risk_state: res.state,
        risk_level: "low",
        risk_detail: res.detail,
        source: "IdentityProtection",
        detection_timing_type: "realtime",
        activity: "signin",
        token_issuer_type: "AzureAD",
        ip_address: place.ip,
        activity_date_time: clock::seven_digits(detected),
        detected_date_time: clock::seven_digits(detected),
        last_updated_date_time: clock::seven_digits(res.at),
        user_id: &user.id,
        user_display_name: &user.display,
        user_principal_name: &user.upn,
        additional_info: info.to_string(),
        location: Location {
            city: o.city,
            state: o.state,
            country_or_region: o.country,
            geo_coordinates: Geo {
                latitude: o.lat,
                longitude: o.lon,
            },
        },
    }
}

/// The riskyUser left after the resolution.
pub(crate) fn risky_user(user: &User, res: Resolution) -> RiskyUser<'_> {
    RiskyUser {
        id: &user.id,
        is_deleted: false,
        is_processing: false,
        risk_level: "none",
        risk_state: res.state,
        risk_detail: res.detail,
        risk_last_updated_date_time: clock::seven_digits(res.at),
        user_display_name: &user.display,
        user_principal_name: &user.upn,
    }
}
