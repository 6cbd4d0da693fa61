//! The realistic profile's token refreshes ([`Profile::Realistic`]): every
//! native app on every device of a user refreshes its access token all day
//! long, the laptop's from the day's place, the phone's from whichever
//! network the phone is on.
//!
//! The model, with its figures in `profile`:
//! - laptop apps (desktop apps in the user's list) refresh from the start
//!   of the working day to its end, from the day's place;
//! - phone apps (Teams and, when the user has it, Outlook Mobile) refresh
//!   from an hour before the working day to three hours after it;
//! - each app refreshes every 60 to 90 minutes (its access token lifetime);
//! - the phone's day is cut into stretches of 45 to 150 minutes; each is on
//!   Wi-Fi (the day's place in working hours, home outside them) with
//!   probability [`WIFI_SHARE`], else a new carrier attachment: a CGNAT
//!   IPv4 address of the user's carrier, or an IPv6 address of it with
//!   probability [`IPV6_SHARE`].
//!
//! Invariants: travellers' phones stay on the day's place within the day's
//! plan (so the 29 hours between cities hold), and so do phones on a day
//! that starts afresh (a password reset or a first registration: nothing
//! before the first sign-in); carrier addresses geolocate to the user's
//! office city; nothing here is kept or dropped (the caller keeps what is
//! inside the window).
//!
//! [`Profile::Realistic`]: super::Profile::Realistic

use super::catalog::{carrier_ipv4, carrier_ipv6, AppKind, APPS, TEAMS};
use super::plan::Plan;
use super::profile::{IPV6_SHARE, PHONE_AFTER, PHONE_BEFORE, STRETCH, TOKEN_LIFETIME, WIFI_SHARE};
use super::rng::Rng;
use super::tenant::User;

/// The network a refresh goes out through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Net {
    /// The day's place (the office's egress, or home on a day at home).
    Place,
    /// Home broadband Wi-Fi, before and after the working day.
    Home,
    /// One carrier attachment: its egress address.
    Carrier(String),
}

/// One token refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refresh {
    /// UTC ns, on a 100 ns tick.
    pub at: i64,
    /// Index in `APPS`.
    pub app: usize,
    /// On the phone (else on the laptop).
    pub phone: bool,
    /// Where it goes out from.
    pub net: Net,
}

/// How one user's day of refreshes is bounded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Day {
    /// The user's carrier, an index in `CARRIERS`.
    pub carrier: usize,
    /// When the laptop starts refreshing: the start of the plan, or the
    /// first sign-in on a day that starts afresh.
    pub start: i64,
    /// The phone changes networks and stays on outside the working day
    /// (false for travellers and days that start afresh).
    pub roams: bool,
}

/// A time on the 100 ns tick uniformly in `lo..=hi`.
fn tick(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    rng.range(lo / 100, hi / 100) * 100
}

/// The refresh times of one app over `[from, to)`: a first one within a
/// token lifetime of `from`, then one per token lifetime.
fn times(rng: &mut Rng, from: i64, to: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut at = from + tick(rng, 0, TOKEN_LIFETIME.1);
    while at < to {
        out.push(at);
        at += tick(rng, TOKEN_LIFETIME.0, TOKEN_LIFETIME.1);
    }
    out
}

/// The phone's networks over `span`: (start of stretch, network), in order.
fn stretches(rng: &mut Rng, plan: &Plan<'_>, d: Day, span: (i64, i64)) -> Vec<(i64, Net)> {
    let mut out = Vec::new();
    let mut at = span.0;
    while at < span.1 {
        let net = if !d.roams {
            Net::Place
        } else if rng.chance(WIFI_SHARE) {
            if (plan.lo..plan.hi).contains(&at) {
                Net::Place
            } else {
                Net::Home
            }
        } else if rng.chance(IPV6_SHARE) {
            let mut g = || rng.next_u64() as u16;
            let subnet = g();
            Net::Carrier(carrier_ipv6(d.carrier, subnet, [g(), g(), g(), g()]))
        } else {
            Net::Carrier(carrier_ipv4(d.carrier, rng.next_u64() as u32))
        };
        out.push((at, net));
        at += tick(rng, STRETCH.0, STRETCH.1);
    }
    out
}

/// Every refresh of `user`'s apps on the day of `plan`, in generation order
/// (laptop apps, then phone apps).
pub(crate) fn day(rng: &mut Rng, user: &User, plan: &Plan<'_>, d: Day) -> Vec<Refresh> {
    let mut out = Vec::new();
    for &app in &user.apps {
        if APPS[app].kind == AppKind::Desktop {
            for at in times(rng, d.start, plan.hi) {
                out.push(Refresh {
                    at,
                    app,
                    phone: false,
                    net: Net::Place,
                });
            }
        }
    }
    if user.phone.is_none() {
        return out;
    }
    let span = if d.roams {
        (plan.lo - PHONE_BEFORE, plan.hi + PHONE_AFTER)
    } else {
        (d.start, plan.hi)
    };
    let nets = stretches(rng, plan, d, span);
    let phone_apps = std::iter::once(TEAMS).chain(
        user.apps
            .iter()
            .copied()
            .filter(|&a| APPS[a].kind == AppKind::Mobile),
    );
    for app in phone_apps {
        for at in times(rng, span.0, span.1) {
            let k = nets.partition_point(|(from, _)| *from <= at);
            let net = k.checked_sub(1).map_or(Net::Place, |i| nets[i].1.clone());
            out.push(Refresh {
                at,
                app,
                phone: true,
                net,
            });
        }
    }
    out
}
