//! Activity profiles: how much background traffic a generated tenant has.
//!
//! [`Profile::Default`] is the generator as it always was (one or two token
//! refreshes per user-day for a fifth of the users, one egress IP per user
//! per day). [`Profile::Realistic`] is shaped like real tenants: every
//! native app on every device refreshes its access token all day, and
//! phones move between Wi-Fi, carrier CGNAT addresses and IPv6. Its figures
//! and their sources are the constants below, one place for each.
//!
//! Not here: simulating the refreshes (`refresh`).

use std::fmt;

use super::clock::MIN;

/// How much background traffic the tenant has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Profile {
    /// The generator's original tenant: interactive sign-ins dominate, one
    /// or two non-interactive sign-ins per user-day for about 20 % of the
    /// users, one egress IP per user per day.
    #[default]
    Default,
    /// Shaped like real tenants: the same interactive sign-ins, audits and
    /// risk records as [`Profile::Default`], but every user's native apps
    /// refresh their tokens on every device (non-interactive sign-ins
    /// outnumber interactive ones about 24 to 1), and phones churn through
    /// about five egress IPs a day, IPv6 among them.
    Realistic,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 2] = [Profile::Default, Profile::Realistic];

    /// The name used on the command line and in summaries.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Realistic => "realistic",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Shortest and longest access token lifetime: an app refreshes its token
/// this long after the last one. The Microsoft identity platform gives
/// access tokens a random lifetime of 60 to 90 minutes, 75 on average
/// (learn.microsoft.com/entra/identity-platform/access-tokens, "Token
/// lifetime").
pub(crate) const TOKEN_LIFETIME: (i64, i64) = (60 * MIN, 90 * MIN);

/// Share of a phone's stretches spent on Wi-Fi (the office's or home
/// egress); the rest is on the carrier. Opensignal measured 56.2 % of
/// smartphone time on Wi-Fi in the US in January 2020 and 43–54 % by US
/// carrier in Q1 2017 (opensignal.com, "Time on Wifi").
pub(crate) const WIFI_SHARE: f64 = 0.55;

/// Share of carrier attachments that reach Entra over IPv6. Google saw 50 %
/// of its users over IPv6 and APNIC Labs measured 42 % IPv6 capability
/// worldwide in April 2026 (blog.apnic.net/2026/04/28/google-hits-50-ipv6/);
/// Entra ID logs IPv6 sign-ins since April 2023 (learn.microsoft.com,
/// "IPv6 support in Microsoft Entra ID").
pub(crate) const IPV6_SHARE: f64 = 0.5;

/// Shortest and longest stretch a phone stays on one network (one Wi-Fi
/// association or one carrier attachment, which gets a new CGNAT address or
/// a new IPv6 address). An assumption: a new attachment every hour or two.
pub(crate) const STRETCH: (i64, i64) = (45 * MIN, 150 * MIN);

/// How long before the working day a phone starts refreshing (the commute)
/// and how long after it it keeps on (the commute and the evening at home).
/// An assumption: phones stay on, laptops are used in working hours.
pub(crate) const PHONE_BEFORE: i64 = 60 * MIN;
/// See [`PHONE_BEFORE`].
pub(crate) const PHONE_AFTER: i64 = 180 * MIN;

/// The band the realistic tenant's non-interactive to interactive ratio is
/// built and tested to stay in. Published: "often 10x to 50x" (Ridgeline
/// Cyber, "Volume Management", training.ridgelinecyber.com, module 4.5), and
/// 50 to 200 sign-in events per user per day in customers' tenants (Sander
/// Berkouwer, dirteam.com, 2020-06-25). What the model gives follows from
/// the figures above: 23.7 for 200 users × 14 days (seed 11).
pub const REALISTIC_RATIO_BAND: (f64, f64) = (12.0, 35.0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_default_is_default() {
        assert_eq!(Profile::default(), Profile::Default);
        let names: Vec<String> = Profile::ALL.iter().map(|p| p.to_string()).collect();
        assert_eq!(names, ["default", "realistic"]);
        const { assert!(TOKEN_LIFETIME.0 < TOKEN_LIFETIME.1 && STRETCH.0 < STRETCH.1) };
    }
}
