//! Plans a user's day: whether they sign in at all, from which office or
//! from home, in which hours, and how many interactive flows.
//!
//! Invariants: one place per user per day; working hours 08:00–19:00 local
//! (weekends 10:00–21:00 from home, rarely); a traveller's day of departure
//! ends at 11:30 in Tokyo, the last day abroad at 10:30 in Seattle, and the
//! day of landing back home has no sign-ins, so consecutive sign-ins in the
//! two cities are at least 29 hours apart (7,700 km: under 270 km/h).

use super::catalog::{OFFICES, SEATTLE};
use super::clock;
use super::rng::Rng;
use super::signin::Place;
use super::tenant::{Role, Tenant, Trip};

/// One day's plan for one user.
pub(crate) struct Plan<'t> {
    /// Local date index.
    pub day: i64,
    /// Monday to Friday.
    pub working: bool,
    /// At the Seattle office on a trip.
    pub abroad: bool,
    /// Where every sign-in of the day comes from.
    pub place: Place<'t>,
    /// Start of the activity window, UTC ns.
    pub lo: i64,
    /// End of the activity window, UTC ns.
    pub hi: i64,
    /// Number of interactive sign-in flows.
    pub flows: usize,
}

/// Where a traveller is on a local date index: (office, first hour, last hour, abroad),
/// or `None` on the day they land back home.
fn trip_day(trip: Trip, home: usize, day: i64) -> Option<(usize, i64, i64, bool)> {
    let (h, full) = (3600, 19 * 3600);
    if day < trip.depart || day > trip.back + 1 {
        Some((home, 8 * h, full, false))
    } else if day == trip.depart {
        Some((home, 8 * h, 11 * h + 1800, false))
    } else if day < trip.back {
        Some((SEATTLE, 8 * h, full, true))
    } else if day == trip.back {
        Some((SEATTLE, 8 * h, 10 * h + 1800, true))
    } else {
        None
    }
}

fn flows_per_day(rng: &mut Rng) -> usize {
    match rng.unit() {
        x if x < 0.95 => 1,
        x if x < 0.99 => 2,
        _ => rng.range(3, 6) as usize,
    }
}

/// The plan of user `u` for local date index `day`, or `None` for a day without sign-ins.
pub(crate) fn plan<'t>(t: &'t Tenant, u: usize, rng: &mut Rng, day: i64) -> Option<Plan<'t>> {
    let user = &t.users[u];
    if !t.exists_on(u, day) {
        return None;
    }
    let date = t.date(day);
    let working = clock::is_working_day(date);
    let (office, mut lo, mut hi, abroad) = match user.role {
        Role::Traveller(trip) => trip_day(trip, user.office, day)?,
        _ => (user.office, 8 * 3600, 19 * 3600, false),
    };
    let travel_day = hi < 19 * 3600;
    let (flows, at_home) = if working {
        let home = !abroad && !travel_day && !matches!(user.role, Role::Admin) && rng.chance(0.2);
        (flows_per_day(rng), home)
    } else if !abroad && !travel_day && rng.chance(0.04) {
        (lo, hi) = (10 * 3600, 21 * 3600);
        (1, true)
    } else {
        return None;
    };
    let place = if at_home {
        Place {
            ip: &user.home_ip,
            office: user.office,
            asn: user.home_asn,
        }
    } else {
        let o = &OFFICES[office];
        Place {
            ip: o.ips[user.office_ip % o.ips.len()],
            office,
            asn: o.asn,
        }
    };
    let zone = OFFICES[office].zone;
    Some(Plan {
        day,
        working,
        abroad,
        place,
        lo: zone.to_utc(date, lo),
        hi: zone.to_utc(date, hi),
        flows,
    })
}
