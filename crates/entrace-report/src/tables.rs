//! The Parquet tables the report reads beyond what stage 2 already loads:
//! findings.parquet and per_user.parquet, plus display names from the
//! sign-ins' statistics and the audits.

use std::collections::BTreeMap;
use std::path::Path;

use super::model::CoverageDay;
use super::stats::day;
use super::stats::SignInStats;
use entrace_case::records::Audit;
use entrace_model::error::Result;
use entrace_table::stage2::coverage::{CoverageTable, Granularity};
use entrace_table::stage2::findings::{FindingRecord, Findings};
use entrace_table::stage2::per_user::PerUser;

/// The findings of `dir` (findings.parquet), as written.
pub(super) fn read_findings(dir: &Path) -> Result<Vec<FindingRecord>> {
    Findings::read(dir)
}

/// A row of per_user.parquet (the columns the report shows).
pub(super) struct Person {
    pub(super) user_id: Option<String>,
    pub(super) upn: Option<String>,
    pub(super) sign_ins: u64,
    pub(super) failure: u64,
    pub(super) blocked: u64,
    pub(super) distinct_ips: u64,
    pub(super) countries: Vec<String>,
    pub(super) risk_state: Option<String>,
    pub(super) risk_level: Option<String>,
}

pub(super) fn read_people(dir: &Path) -> Result<Vec<Person>> {
    Ok(PerUser::read(dir)?
        .into_iter()
        .map(|u| Person {
            user_id: u.user_id,
            upn: u.user_principal_name,
            sign_ins: u.sign_ins,
            failure: u.sign_ins_failure,
            blocked: u.sign_ins_blocked,
            distinct_ips: u.distinct_ips,
            countries: u.countries,
            risk_state: u.risk_state,
            risk_level: u.risk_level,
        })
        .collect())
}

/// Display names by user key (object id, else lower-case UPN): the latest
/// non-empty `userDisplayName` of a sign-in, else of an audit's `User` target.
pub(super) fn display_names(audits: &[Audit], sign_ins: &SignInStats) -> BTreeMap<String, String> {
    let mut latest: BTreeMap<String, (i64, String)> = BTreeMap::new();
    let mut put = |key: Option<String>, time: i64, name: Option<&String>| {
        if let (Some(k), Some(n)) = (key, name.filter(|n| !n.trim().is_empty())) {
            let e = latest.entry(k).or_insert((i64::MIN, String::new()));
            if time >= e.0 {
                *e = (time, n.clone());
            }
        }
    };
    for a in audits {
        for target in a.targets.iter().filter(|t| t.is_user()) {
            let key = target
                .id
                .clone()
                .or_else(|| target.upn.as_ref().map(|u| u.to_lowercase()));
            put(key, i64::MIN + 1, target.display_name.as_ref());
        }
    }
    for (key, time, name) in sign_ins.names() {
        put(Some(key.clone()), time, Some(name));
    }
    latest.into_iter().map(|(k, (_, n))| (k, n)).collect()
}

/// The days of coverage.parquet that have records, in its order (table, then
/// day): the counts stage 2 already made, not counted again.
pub(super) fn read_coverage_days(dir: &Path) -> Result<Vec<CoverageDay>> {
    Ok(CoverageTable::read(dir)?
        .into_iter()
        .filter(|b| b.granularity == Granularity::Day && b.records > 0)
        .map(|b| CoverageDay {
            table: b.table,
            day: day(b.start),
            records: b.records,
        })
        .collect())
}
