//! Counting for the report: the most frequent values of the sign-ins, the
//! chart series, and display names, gathered row group by row group on
//! every core.

use std::collections::hash_map::Entry;
use std::collections::BTreeMap;

use foldhash::{HashMap, HashSet};

use super::model::{ErrorCodeCount, ReportFinding, ResultBucket, SeverityBucket, Top, ValueCount};
use entrace_case::records::SignIn;
use entrace_model::error_codes::{self, Outcome};
use entrace_model::time::{format_timestamp, parse_timestamp};

const HOUR_NS: i64 = 3600 * 1_000_000_000;
const DAY_NS: i64 = 24 * HOUR_NS;
/// Spans up to this long are charted per hour, longer ones per day.
const HOURLY_UP_TO: i64 = 7 * DAY_NS;

/// `YYYY-MM-DD` of a UTC instant.
pub fn day(ns: i64) -> String {
    format_timestamp(ns.div_euclid(DAY_NS) * DAY_NS)[..10].to_string()
}

/// The key a sign-in's user is counted by: the object id, else the
/// lower-cased UPN.
fn user_of(s: &SignIn) -> Option<std::borrow::Cow<'_, str>> {
    match (&s.user_id, &s.upn) {
        (Some(id), _) => Some(id.as_str().into()),
        (None, Some(upn)) => Some(upn.to_lowercase().into()),
        (None, None) => None,
    }
}

/// A user, by their number in [`SignInStats::users`].
type UserNo = u32;

/// One value's tally: its sign-ins, the unsuccessful ones, and the users
/// seen with it.
#[derive(Debug, Default)]
struct Tally {
    sign_ins: u64,
    unsuccessful: u64,
    users: HashSet<UserNo>,
}

impl Tally {
    fn add(&mut self, user: Option<UserNo>, success: bool) {
        self.sign_ins += 1;
        self.unsuccessful += u64::from(!success);
        self.users.extend(user);
    }

    /// Adds `other`, whose users are numbered `renumber[n]` here.
    fn merge(&mut self, other: Tally, renumber: &[UserNo]) {
        self.sign_ins += other.sign_ins;
        self.unsuccessful += other.unsuccessful;
        self.users
            .extend(other.users.into_iter().map(|u| renumber[u as usize]));
    }
}

/// What the report counts of the sign-ins: error codes, countries, IPs and
/// apps with their users, sign-ins per hour by result class, and each
/// user's latest display name. Gathered a row group at a time
/// ([`SignInStats::add`]) and merged in any order ([`SignInStats::merge`]),
/// so its memory grows with the distinct values and users, never with the
/// sign-ins.
#[derive(Debug, Default)]
pub struct SignInStats {
    /// Every user seen, each once, by number.
    users: Vec<String>,
    numbers: HashMap<String, UserNo>,
    codes: HashMap<i32, Tally>,
    countries: HashMap<String, Tally>,
    ips: HashMap<String, Tally>,
    apps: HashMap<String, Tally>,
    /// Sign-ins per hour since the epoch, by [`Outcome`] in declaration order.
    hours: BTreeMap<i64, [u64; 4]>,
    /// The first and the last sign-in time.
    span: Option<(i64, i64)>,
    /// Each user's display name, from their latest sign-in that has one:
    /// its time and table position (the later row wins a tie), and the name.
    names: HashMap<UserNo, (i64, u64, String)>,
}

/// Adds a sign-in to the tally of `value` in `map`, unless the value is blank.
fn tally(
    map: &mut HashMap<String, Tally>,
    value: Option<&str>,
    user: Option<UserNo>,
    success: bool,
) {
    if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
        match map.get_mut(v) {
            Some(t) => t.add(user, success),
            None => map.entry(v.to_string()).or_default().add(user, success),
        }
    }
}

fn merge_tallies<K: std::hash::Hash + Eq>(
    into: &mut HashMap<K, Tally>,
    from: HashMap<K, Tally>,
    renumber: &[UserNo],
) {
    for (k, t) in from {
        into.entry(k).or_default().merge(t, renumber);
    }
}

impl SignInStats {
    /// The statistics of `sign_ins`, the rows of a table from its first.
    pub fn of(sign_ins: &[SignIn]) -> Self {
        let mut stats = SignInStats::default();
        stats.add_rows(0, sign_ins);
        stats
    }

    /// Counts `sign_ins`, the rows of the table from position `first` on.
    pub fn add_rows(&mut self, first: u64, sign_ins: &[SignIn]) {
        for (row, s) in (first..).zip(sign_ins) {
            self.add(s, row);
        }
    }

    /// The number of user `key`, given one when first seen.
    fn number(&mut self, key: &str) -> UserNo {
        if let Some(&n) = self.numbers.get(key) {
            return n;
        }
        let n = self.users.len() as UserNo;
        self.users.push(key.to_string());
        self.numbers.insert(key.to_string(), n);
        n
    }

    /// Counts one sign-in, row `row` of the table.
    pub fn add(&mut self, s: &SignIn, row: u64) {
        let outcome = error_codes::outcome(s.error_code.unwrap_or(0));
        let success = outcome == Outcome::Success;
        let user = user_of(s).map(|key| self.number(&key));
        if let Some(code) = s.error_code.filter(|&c| c != 0) {
            self.codes.entry(code).or_default().add(user, success);
        }
        tally(&mut self.countries, s.country.as_deref(), user, success);
        tally(&mut self.ips, s.ip.as_deref(), user, success);
        tally(&mut self.apps, s.app.as_deref(), user, success);
        self.hours.entry(s.time.div_euclid(HOUR_NS)).or_default()[outcome as usize] += 1;
        self.span = Some(match self.span {
            None => (s.time, s.time),
            Some((lo, hi)) => (lo.min(s.time), hi.max(s.time)),
        });
        let name = s.display_name.as_ref().filter(|n| !n.trim().is_empty());
        if let (Some(user), Some(name)) = (user, name) {
            let latest = self
                .names
                .entry(user)
                .or_insert((i64::MIN, 0, String::new()));
            if (s.time, row) >= (latest.0, latest.1) {
                (latest.0, latest.1) = (s.time, row);
                if latest.2 != *name {
                    latest.2.clone_from(name);
                }
            }
        }
    }

    /// Adds the statistics of other sign-ins of the same table.
    pub fn merge(&mut self, mut later: SignInStats) {
        // The smaller into the larger: fewer users to renumber.
        if later.users.len() > self.users.len() {
            std::mem::swap(self, &mut later);
        }
        let renumber: Vec<UserNo> = later.users.iter().map(|u| self.number(u)).collect();
        merge_tallies(&mut self.codes, later.codes, &renumber);
        merge_tallies(&mut self.countries, later.countries, &renumber);
        merge_tallies(&mut self.ips, later.ips, &renumber);
        merge_tallies(&mut self.apps, later.apps, &renumber);
        for (hour, counts) in later.hours {
            let into = self.hours.entry(hour).or_default();
            into.iter_mut().zip(counts).for_each(|(a, b)| *a += b);
        }
        self.span = match (self.span, later.span) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (one, other) => one.or(other),
        };
        for (user, latest) in later.names {
            match self.names.entry(renumber[user as usize]) {
                Entry::Occupied(mut e) if (latest.0, latest.1) > (e.get().0, e.get().1) => {
                    *e.get_mut() = latest;
                }
                Entry::Occupied(_) => {}
                Entry::Vacant(e) => {
                    e.insert(latest);
                }
            }
        }
    }

    /// Each user's display name from their latest sign-in that has one
    /// (the later row of a tie), and that sign-in's time.
    pub fn names(&self) -> impl Iterator<Item = (&String, i64, &String)> {
        self.names
            .iter()
            .map(|(&user, (time, _, name))| (&self.users[user as usize], *time, name))
    }

    /// The `n` most frequent error codes, countries, IPs and apps.
    pub fn top(&self, n: usize) -> Top {
        let mut error_codes: Vec<ErrorCodeCount> = self
            .codes
            .iter()
            .map(|(&code, t)| {
                let known = error_codes::lookup(code);
                ErrorCodeCount {
                    code,
                    label: known.map_or("unrecognised", |k| k.label).into(),
                    meaning: known.map_or("", |k| k.meaning).into(),
                    class: error_codes::outcome(code).as_str().into(),
                    sign_ins: t.sign_ins,
                    users: t.users.len() as u64,
                }
            })
            .collect();
        error_codes.sort_by(|a, b| b.sign_ins.cmp(&a.sign_ins).then(a.code.cmp(&b.code)));
        error_codes.truncate(n);
        Top {
            error_codes,
            countries: ranked(&self.countries, n),
            ip_addresses: ranked(&self.ips, n),
            apps: ranked(&self.apps, n),
        }
    }

    /// Sign-ins per hour (spans up to 7 days) or per day, by result class,
    /// with every bucket between the first and the last sign-in present.
    pub fn over_time(&self) -> (&'static str, Vec<ResultBucket>) {
        let Some((first, last)) = self.span else {
            return ("hour", Vec::new());
        };
        let (name, width) = if last - first <= HOURLY_UP_TO {
            ("hour", HOUR_NS)
        } else {
            ("day", DAY_NS)
        };
        let (lo, hi) = (first.div_euclid(width), last.div_euclid(width));
        let mut buckets: Vec<ResultBucket> = (lo..=hi)
            .map(|b| ResultBucket {
                start: format_timestamp(b * width),
                success: 0,
                interrupted: 0,
                failure: 0,
                blocked: 0,
            })
            .collect();
        for (&hour, counts) in &self.hours {
            let b = &mut buckets[((hour * HOUR_NS).div_euclid(width) - lo) as usize];
            b.success += counts[Outcome::Success as usize];
            b.interrupted += counts[Outcome::Interrupted as usize];
            b.failure += counts[Outcome::Failure as usize];
            b.blocked += counts[Outcome::Blocked as usize];
        }
        (name, buckets)
    }
}

/// The `n` most frequent values of `counts`, ties by value.
fn ranked(counts: &HashMap<String, Tally>, n: usize) -> Vec<ValueCount> {
    let mut out: Vec<ValueCount> = counts
        .iter()
        .map(|(v, t)| ValueCount {
            value: v.clone(),
            sign_ins: t.sign_ins,
            unsuccessful: t.unsuccessful,
            users: t.users.len() as u64,
        })
        .collect();
    out.sort_by(|a, b| {
        b.sign_ins
            .cmp(&a.sign_ins)
            .then_with(|| a.value.cmp(&b.value))
    });
    out.truncate(n);
    out
}

/// Findings per UTC day of their first evidence, every day between the
/// first and the last present.
pub fn findings_per_day(findings: &[ReportFinding]) -> Vec<SeverityBucket> {
    let days: Vec<(i64, &str)> = findings
        .iter()
        .filter_map(|f| {
            Some((
                parse_timestamp(&f.first_seen).ok()?.div_euclid(DAY_NS),
                f.severity.as_str(),
            ))
        })
        .collect();
    let (Some(lo), Some(hi)) = (
        days.iter().map(|d| d.0).min(),
        days.iter().map(|d| d.0).max(),
    ) else {
        return Vec::new();
    };
    let mut out: Vec<SeverityBucket> = (lo..=hi)
        .map(|d| SeverityBucket {
            day: day(d * DAY_NS),
            high: 0,
            medium: 0,
            low: 0,
            info: 0,
        })
        .collect();
    for (d, sev) in days {
        let b = &mut out[(d - lo) as usize];
        match sev {
            "high" => b.high += 1,
            "medium" => b.medium += 1,
            "low" => b.low += 1,
            _ => b.info += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn si(time: i64, code: i32, country: &str) -> SignIn {
        SignIn {
            id: format!("s{time}"),
            time,
            user_id: Some(format!("u{}", time % 3)),
            error_code: Some(code),
            country: Some(country.into()),
            ..SignIn::default()
        }
    }

    #[test]
    fn buckets_are_contiguous_and_classified() {
        let rows = [
            si(0, 0, "JP"),
            si(3 * HOUR_NS + 5, 50126, "JP"),
            si(3 * HOUR_NS + 9, 50053, "US"),
        ];
        let (bucket, series) = SignInStats::of(&rows).over_time();
        assert_eq!(bucket, "hour");
        assert_eq!(series.len(), 4);
        assert_eq!(
            (series[0].success, series[3].failure, series[3].blocked),
            (1, 1, 1)
        );
        assert_eq!(series[1].start, "1970-01-01T01:00:00.0000000Z");

        let rows = [si(0, 0, "JP"), si(8 * DAY_NS, 0, "JP")];
        let (bucket, series) = SignInStats::of(&rows).over_time();
        assert_eq!((bucket, series.len()), ("day", 9));
    }

    #[test]
    fn top_lists_rank_by_count_then_value() {
        let rows = [
            si(1, 50126, "US"),
            si(2, 50126, "JP"),
            si(3, 0, "JP"),
            si(4, 99999, "FR"),
        ];
        let t = SignInStats::of(&rows).top(2);
        assert_eq!(
            t.countries
                .iter()
                .map(|c| (c.value.as_str(), c.sign_ins, c.unsuccessful))
                .collect::<Vec<_>>(),
            [("JP", 2, 1), ("FR", 1, 1)]
        );
        assert_eq!(t.error_codes[0].code, 50126);
        assert_eq!(t.error_codes[0].sign_ins, 2);
        assert_eq!(t.error_codes[1].label, "unrecognised");
    }

    /// Everything the report shows of the statistics, comparable.
    fn shown(stats: &SignInStats) -> String {
        let mut names: Vec<_> = stats.names().collect();
        names.sort();
        format!("{:?} {:?} {:?}", stats.top(10), stats.over_time(), names)
    }

    #[test]
    fn row_groups_merged_in_order_give_what_one_pass_gives() {
        let mut rows = Vec::new();
        for i in 0..40i64 {
            let mut s = si(
                (i % 7) * 5 * HOUR_NS + i,
                [0, 50126, 50053, 530035][i as usize % 4],
                ["JP", "US", " ", "FR"][i as usize % 4],
            );
            s.ip = Some(format!("203.0.113.{}", i % 5));
            s.app = (i % 3 != 0).then(|| "Office 365".to_string());
            // Names of one user at equal times: the later row must win.
            s.display_name = Some(format!("name {i}"));
            s.time -= s.time % (2 * HOUR_NS);
            rows.push(s);
        }
        let whole = shown(&SignInStats::of(&rows));
        let part = |from: usize, to: usize| {
            let mut stats = SignInStats::default();
            stats.add_rows(from as u64, &rows[from..to]);
            stats
        };
        for cut in [1, 7, 20, 39] {
            for second in [cut + 1, 40] {
                // In order, and last part first.
                let mut stats = part(0, cut);
                stats.merge(part(cut, second));
                stats.merge(part(second, 40));
                assert_eq!(shown(&stats), whole, "cut at {cut} and {second}");
                let mut stats = part(second, 40);
                stats.merge(part(0, cut));
                stats.merge(part(cut, second));
                assert_eq!(shown(&stats), whole, "{second} first, then {cut}");
            }
        }
        // Each user's name is that of their latest sign-in, the later row
        // winning a tie: several rows share each user's latest time here.
        let mut expected: BTreeMap<String, (i64, String)> = BTreeMap::new();
        for s in &rows {
            let e = expected
                .entry(user_of(s).unwrap().into_owned())
                .or_insert((i64::MIN, String::new()));
            if s.time >= e.0 {
                *e = (s.time, s.display_name.clone().unwrap());
            }
        }
        let names: BTreeMap<String, (i64, String)> = SignInStats::of(&rows)
            .names()
            .map(|(k, time, name)| (k.clone(), (time, name.clone())))
            .collect();
        assert_eq!(names, expected);
        let latest = rows.iter().map(|s| s.time).max().unwrap();
        let tied = |u: &str| {
            rows.iter()
                .filter(|s| s.time == latest && user_of(s).as_deref() == Some(u))
                .count()
        };
        assert!(["u0", "u1", "u2"].iter().any(|u| tied(u) > 1));
    }
}
