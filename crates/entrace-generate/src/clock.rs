//! Calendar and clock helpers for the generator: local office time to UTC
//! (with the Japanese, US Pacific and UK rules), working days, and the three
//! timestamp spellings Graph uses.
//!
//! Invariants: every instant is UTC nanoseconds; daylight saving switches at
//! local-date granularity (the 02:00 hour of the switch day is not modelled).

use chrono::{Datelike, NaiveDate, Weekday};

use entrace_model::time::format_timestamp;

/// Nanoseconds per second.
pub(crate) const SEC: i64 = 1_000_000_000;
/// Nanoseconds per minute.
pub(crate) const MIN: i64 = 60 * SEC;
/// Nanoseconds per hour.
pub(crate) const HOUR: i64 = 60 * MIN;
/// Nanoseconds per day.
pub(crate) const DAY: i64 = 24 * HOUR;

/// The time zone of an office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone {
    /// Asia/Tokyo: UTC+9, no daylight saving.
    Japan,
    /// America/Los_Angeles: UTC-8, UTC-7 from the second Sunday of March to
    /// the first Sunday of November.
    UsPacific,
    /// Europe/London: UTC, UTC+1 from the last Sunday of March to the last
    /// Sunday of October.
    London,
}

impl Zone {
    /// Offset from UTC in seconds on a local date.
    pub(crate) fn offset_secs(self, date: NaiveDate) -> i64 {
        let y = date.year();
        let sunday = |month, n| NaiveDate::from_weekday_of_month_opt(y, month, Weekday::Sun, n);
        let last_sunday = |month| sunday(month, 5).or_else(|| sunday(month, 4));
        let within = |from: Option<NaiveDate>, to: Option<NaiveDate>| match (from, to) {
            (Some(a), Some(b)) => date >= a && date < b,
            _ => false,
        };
        match self {
            Zone::Japan => 9 * 3600,
            Zone::UsPacific if within(sunday(3, 2), sunday(11, 1)) => -7 * 3600,
            Zone::UsPacific => -8 * 3600,
            Zone::London if within(last_sunday(3), last_sunday(10)) => 3600,
            Zone::London => 0,
        }
    }

    /// The UTC instant of `local_secs` seconds after local midnight of `date`.
    pub(crate) fn to_utc(self, date: NaiveDate, local_secs: i64) -> i64 {
        (midnight_utc_secs(date) + local_secs - self.offset_secs(date)) * SEC
    }
}

/// Seconds since the epoch of 00:00 UTC on `date`.
fn midnight_utc_secs(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .map_or(0, |dt| dt.and_utc().timestamp())
}

/// The UTC calendar date of an instant.
pub(crate) fn utc_date(ns: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp(ns.div_euclid(SEC), 0)
        .map_or(NaiveDate::MIN, |dt| dt.date_naive())
}

/// `date` moved by `days` (saturating at the calendar's ends).
pub(crate) fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    let delta = chrono::Days::new(days.unsigned_abs());
    let moved = if days >= 0 {
        date.checked_add_days(delta)
    } else {
        date.checked_sub_days(delta)
    };
    moved.unwrap_or(date)
}

/// Monday to Friday.
pub(crate) fn is_working_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// `2025-03-17T17:54:30Z`: v1.0 sign-ins (whole seconds).
pub(crate) fn whole_seconds(ns: i64) -> String {
    let full = format_timestamp(ns.div_euclid(SEC) * SEC);
    format!("{}Z", full.get(..19).unwrap_or(&full))
}

/// `2025-03-17T17:56:42.6728408Z`: beta sign-ins and Identity Protection.
pub(crate) fn seven_digits(ns: i64) -> String {
    format_timestamp(ns.div_euclid(100) * 100)
}

/// `2025-03-17T16:40:04.414272Z`: directory audits (trailing zeros trimmed).
pub(crate) fn trimmed(ns: i64) -> String {
    let full = seven_digits(ns);
    let body = full.trim_end_matches('Z').trim_end_matches('0');
    format!("{}Z", body.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use entrace_model::time::parse_timestamp;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn daylight_saving_rules() {
        assert_eq!(Zone::UsPacific.offset_secs(d(2025, 3, 8)), -8 * 3600);
        assert_eq!(Zone::UsPacific.offset_secs(d(2025, 3, 9)), -7 * 3600);
        assert_eq!(Zone::UsPacific.offset_secs(d(2025, 11, 2)), -8 * 3600);
        assert_eq!(Zone::London.offset_secs(d(2025, 3, 29)), 0);
        assert_eq!(Zone::London.offset_secs(d(2025, 3, 30)), 3600);
        assert_eq!(Zone::London.offset_secs(d(2025, 10, 26)), 0);
        assert_eq!(Zone::Japan.offset_secs(d(2025, 7, 1)), 9 * 3600);
    }

    #[test]
    fn local_to_utc_and_formats() {
        let ns = Zone::Japan.to_utc(d(2025, 3, 18), 9 * 3600 + 30);
        assert_eq!(whole_seconds(ns), "2025-03-18T00:00:30Z");
        assert_eq!(utc_date(ns), d(2025, 3, 18));
        let t = parse_timestamp("2025-03-17T16:40:04.414272Z").unwrap();
        assert_eq!(trimmed(t), "2025-03-17T16:40:04.414272Z");
        assert_eq!(seven_digits(t), "2025-03-17T16:40:04.4142720Z");
        assert_eq!(trimmed(t - t % SEC), "2025-03-17T16:40:04Z");
        assert_eq!(whole_seconds(t), "2025-03-17T16:40:04Z");
        assert_eq!(add_days(d(2025, 3, 1), -1), d(2025, 2, 28));
        assert!(!is_working_day(d(2025, 3, 8)));
        assert!(is_working_day(d(2025, 3, 10)));
    }
}
