//! The Parquet tables the report reads beyond what stage 2 already loads:
//! findings.parquet and per_user.parquet, plus display names from the
//! loaded sign-ins and audits.

use std::collections::BTreeMap;
use std::path::Path;

use super::model::CoverageDay;
use super::stats::day;
use crate::analyze::coverage::{CoverageTable, Granularity};
use crate::analyze::table::PerUser;
use crate::case::load::Tables;
use crate::detect::finding::Severity;
use crate::detect::table::FINDINGS_FILE;
use crate::error::{Error, Result};
use crate::table::read::Frame;

/// A row of findings.parquet.
pub(super) struct FindingRow {
    pub(super) finding_id: String,
    pub(super) detection_id: String,
    pub(super) name: String,
    pub(super) severity: Severity,
    pub(super) mitre: Vec<String>,
    pub(super) user_id: Option<String>,
    pub(super) upn: Option<String>,
    pub(super) ip: Option<String>,
    pub(super) first_seen: i64,
    pub(super) last_seen: i64,
    pub(super) summary: String,
    pub(super) join_basis: Option<String>,
    pub(super) evidence_count: u64,
    pub(super) evidence: Vec<(String, String, Option<i64>, String)>,
}

pub(super) fn read_findings(dir: &Path) -> Result<Vec<FindingRow>> {
    let f = Frame::read(
        dir,
        "findings",
        &[
            "finding_id",
            "detection_id",
            "name",
            "severity",
            "mitre",
            "subject_user_id",
            "subject_user_principal_name",
            "subject_ip",
            "first_seen",
            "last_seen",
            "summary",
            "evidence",
            "evidence_count",
            "join_basis",
        ],
    )?;
    let s = |name: &str| f.strs(name);
    let (ids, dets, names, sevs) = (
        s("finding_id")?,
        s("detection_id")?,
        s("name")?,
        s("severity")?,
    );
    let (users, upns, ips, summaries, joins) = (
        s("subject_user_id")?,
        s("subject_user_principal_name")?,
        s("subject_ip")?,
        s("summary")?,
        s("join_basis")?,
    );
    let (first, last, counts) = (
        f.times("first_seen")?,
        f.times("last_seen")?,
        f.ints("evidence_count")?,
    );
    let severities = sevs
        .iter()
        .map(|s| {
            let text = s.as_deref().unwrap_or("");
            Severity::parse(text).ok_or_else(|| {
                Error::table(
                    format!("{}: column severity", dir.join(FINDINGS_FILE).display()),
                    format!("{text:?} is not info, low, medium or high"),
                )
            })
        })
        .collect::<Result<Vec<Severity>>>()?;
    let mitre = f.str_lists("mitre")?;
    let items = f.struct_lists("evidence", &["table", "record_id", "role"], None)?;
    let times = f.struct_list_times("evidence", "time")?;
    Ok((0..f.len())
        .map(|i| FindingRow {
            finding_id: ids[i].clone().unwrap_or_default(),
            detection_id: dets[i].clone().unwrap_or_default(),
            name: names[i].clone().unwrap_or_default(),
            severity: severities[i],
            mitre: mitre[i].clone(),
            user_id: users[i].clone(),
            upn: upns[i].clone(),
            ip: ips[i].clone(),
            first_seen: first[i].unwrap_or_default(),
            last_seen: last[i].unwrap_or_default(),
            summary: summaries[i].clone().unwrap_or_default(),
            join_basis: joins[i].clone(),
            evidence_count: counts[i].unwrap_or_default().max(0) as u64,
            evidence: items[i]
                .iter()
                .zip(&times[i])
                .map(|(it, t)| {
                    let field = |k: usize| it.fields[k].clone().unwrap_or_default();
                    (field(0), field(1), *t, field(2))
                })
                .collect(),
        })
        .collect())
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
pub(super) fn display_names(t: &Tables) -> BTreeMap<String, String> {
    let mut latest: BTreeMap<String, (i64, String)> = BTreeMap::new();
    let mut put = |key: Option<String>, time: i64, name: Option<&String>| {
        if let (Some(k), Some(n)) = (key, name.filter(|n| !n.trim().is_empty())) {
            let e = latest.entry(k).or_insert((i64::MIN, String::new()));
            if time >= e.0 {
                *e = (time, n.clone());
            }
        }
    };
    for a in &t.audits {
        for target in a.targets.iter().filter(|t| t.is_user()) {
            let key = target
                .id
                .clone()
                .or_else(|| target.upn.as_ref().map(|u| u.to_lowercase()));
            put(key, i64::MIN + 1, target.display_name.as_ref());
        }
    }
    for s in &t.sign_ins {
        let key = s
            .user_id
            .clone()
            .or_else(|| s.upn.as_ref().map(|u| u.to_lowercase()));
        put(key, s.time, s.display_name.as_ref());
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
