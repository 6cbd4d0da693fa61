//! Counting for the report: the most frequent values of the sign-ins, the
//! chart series, and display names, gathered row group by row group.

use std::collections::{BTreeMap, HashMap, HashSet};

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

fn user_of(s: &SignIn) -> Option<String> {
    s.user_id
        .clone()
        .or_else(|| s.upn.as_ref().map(|u| u.to_lowercase()))
}

/// One value's tally: its sign-ins, the unsuccessful ones, and the users
/// seen with it.
#[derive(Debug, Default)]
struct Tally {
    sign_ins: u64,
    unsuccessful: u64,
    users: HashSet<String>,
}

impl Tally {
    fn add(&mut self, s: &SignIn, success: bool) {
        self.sign_ins += 1;
        self.unsuccessful += u64::from(!success);
        self.users.extend(user_of(s));
    }

    fn merge(&mut self, other: Tally) {
        self.sign_ins += other.sign_ins;
        self.unsuccessful += other.unsuccessful;
        self.users.extend(other.users);
    }
}

/// What the report counts of the sign-ins: error codes, countries, IPs and
/// apps with their users, sign-ins per hour by result class, and each
/// user's latest display name. Gathered a row group at a time
/// ([`SignInStats::add`]) and merged in table order
/// ([`SignInStats::merge`]), so its memory grows with the distinct values
/// and users, never with the sign-ins.
#[derive(Debug, Default)]
pub struct SignInStats {
    codes: HashMap<i32, Tally>,
    countries: HashMap<String, Tally>,
    ips: HashMap<String, Tally>,
    apps: HashMap<String, Tally>,
    /// Sign-ins per hour since the epoch, by [`Outcome`] in declaration order.
    hours: BTreeMap<i64, [u64; 4]>,
    /// The first and the last sign-in time.
    span: Option<(i64, i64)>,
    /// Each user's display name and the time of the latest sign-in giving it.
    names: HashMap<String, (i64, String)>,
}

/// Adds `s` to the tally of `value` in `map`, unless the value is blank.
fn tally(map: &mut HashMap<String, Tally>, value: Option<&str>, s: &SignIn, success: bool) {
    if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
        match map.get_mut(v) {
            Some(t) => t.add(s, success),
            None => map.entry(v.to_string()).or_default().add(s, success),
        }
    }
}

fn merge_tallies<K: std::hash::Hash + Eq>(into: &mut HashMap<K, Tally>, from: HashMap<K, Tally>) {
    for (k, t) in from {
        into.entry(k).or_default().merge(t);
    }
}

impl SignInStats {
    /// The statistics of `sign_ins`, in table order.
    pub fn of(sign_ins: &[SignIn]) -> Self {
        let mut stats = SignInStats::default();
        sign_ins.iter().for_each(|s| stats.add(s));
        stats
    }

    /// Counts one sign-in, the next in table order.
    pub fn add(&mut self, s: &SignIn) {
        let outcome = error_codes::outcome(s.error_code.unwrap_or(0));
        let success = outcome == Outcome::Success;
        if let Some(code) = s.error_code.filter(|&c| c != 0) {
            self.codes.entry(code).or_default().add(s, success);
        }
        tally(&mut self.countries, s.country.as_deref(), s, success);
        tally(&mut self.ips, s.ip.as_deref(), s, success);
        tally(&mut self.apps, s.app.as_deref(), s, success);
        self.hours.entry(s.time.div_euclid(HOUR_NS)).or_default()[outcome as usize] += 1;
        self.span = Some(match self.span {
            None => (s.time, s.time),
            Some((lo, hi)) => (lo.min(s.time), hi.max(s.time)),
        });
        let name = s.display_name.as_ref().filter(|n| !n.trim().is_empty());
        if let (Some(key), Some(name)) = (user_of(s), name) {
            let latest = self.names.entry(key).or_insert((i64::MIN, String::new()));
            if s.time >= latest.0 {
                *latest = (s.time, name.clone());
            }
        }
    }

    /// Adds the statistics of the sign-ins that follow these in table order.
    pub fn merge(&mut self, later: SignInStats) {
        merge_tallies(&mut self.codes, later.codes);
        merge_tallies(&mut self.countries, later.countries);
        merge_tallies(&mut self.ips, later.ips);
        merge_tallies(&mut self.apps, later.apps);
        for (hour, counts) in later.hours {
            let into = self.hours.entry(hour).or_default();
            into.iter_mut().zip(counts).for_each(|(a, b)| *a += b);
        }
        self.span = match (self.span, later.span) {
            (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
            (one, other) => one.or(other),
        };
        for (key, (time, name)) in later.names {
            match self.names.get_mut(&key) {
                // The later sign-in wins a tie, as in one pass.
                Some(latest) if time >= latest.0 => *latest = (time, name),
                Some(_) => {}
                None => {
                    self.names.insert(key, (time, name));
                }
            }
        }
    }

    /// Each user's display name from their latest sign-in that has one,
    /// and its time.
    pub fn names(&self) -> impl Iterator<Item = (&String, &(i64, String))> {
        self.names.iter()
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
        for cut in [1, 7, 20, 39] {
            for second in [cut + 1, 40] {
                let mut stats = SignInStats::of(&rows[..cut]);
                stats.merge(SignInStats::of(&rows[cut..second]));
                stats.merge(SignInStats::of(&rows[second..]));
                assert_eq!(shown(&stats), whole, "cut at {cut} and {second}");
            }
        }
        // Each user's name is that of their latest sign-in, the later row
        // winning a tie: several rows share each user's latest time here.
        let mut expected: BTreeMap<String, (i64, String)> = BTreeMap::new();
        for s in &rows {
            let e = expected
                .entry(user_of(s).unwrap())
                .or_insert((i64::MIN, String::new()));
            if s.time >= e.0 {
                *e = (s.time, s.display_name.clone().unwrap());
            }
        }
        let names: BTreeMap<String, (i64, String)> = SignInStats::of(&rows)
            .names()
            .map(|(k, v)| (k.clone(), v.clone()))
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
