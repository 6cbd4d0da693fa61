//! `report.html`: one self-contained file (inline CSS, inline SVG charts, one
//! inline script, no network, fonts or CDNs) that opens from a USB stick in an
//! air-gapped lab.
//!
//! Rendered by minijinja with HTML auto-escaping on for every value: display
//! names, user agents, failure reasons and summaries are attacker-controlled.
//! As a second line of defence the page carries a Content Security Policy
//! that allows only the one script whose SHA-256 it names, so even an
//! injected `<script>` could not run.

use std::collections::BTreeMap;

use minijinja::{context, Environment};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::model::{
    DetectionRun, EvidenceRow, Report, ReportFinding, UserRisk, UserSection, ValueCount,
};
use super::svg::{self, Chart};
use entrace_model::error::{Error, Result};
use entrace_model::EntityKind;

const TEMPLATE: &str = include_str!("templates/report.html");
const CSS: &str = include_str!("templates/report.css");
const SCRIPT: &str = include_str!("templates/report.js");

#[derive(Serialize)]
struct RiskView<'a> {
    risk: &'a UserRisk,
    who: String,
    anchor: Option<String>,
}

#[derive(Serialize)]
struct FindingView<'a> {
    f: &'a ReportFinding,
    rank: u8,
    who: String,
    user_anchor: Option<String>,
    evidence: Vec<EvidenceView<'a>>,
}

#[derive(Serialize)]
struct EvidenceView<'a> {
    row: &'a EvidenceRow,
    anchor: Option<String>,
}

#[derive(Serialize)]
struct DetectionView<'a> {
    run: &'a DetectionRun,
    thresholds: String,
}

#[derive(Serialize)]
struct CoverageView {
    tables: Vec<String>,
    rows: Vec<(String, Vec<u64>)>,
}

fn who(upn: &Option<String>, id: &Option<String>, ip: Option<&String>) -> String {
    upn.as_ref()
        .or(id.as_ref())
        .or(ip)
        .cloned()
        .unwrap_or_else(|| "-".into())
}

fn user_anchor(users: &[UserSection], id: &Option<String>, upn: &Option<String>) -> Option<String> {
    users
        .iter()
        .find(|u| match id {
            Some(_) => u.user_id == *id,
            None => {
                u.user_id.is_none()
                    && u.user_principal_name.as_ref().map(|s| s.to_lowercase())
                        == upn.as_ref().map(|s| s.to_lowercase())
            }
        })
        .map(|u| u.anchor.clone())
}

/// The `CSP` source expression allowing [`SCRIPT`].
fn script_hash() -> String {
    use base64::Engine as _;
    let digest = Sha256::digest(SCRIPT.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn charts(r: &Report) -> Vec<Chart> {
    let over_time = &r.charts.sign_ins_over_time;
    let labels: Vec<String> = over_time
        .iter()
        .map(|b| {
            if r.charts.bucket == "hour" {
                format!("{} {}h", &b.start[5..10], &b.start[11..13])
            } else {
                b.start[5..10].to_string()
            }
        })
        .collect();
    let pick =
        |f: fn(&super::model::ResultBucket) -> u64| over_time.iter().map(f).collect::<Vec<u64>>();
    let every = (labels.len() / 12).max(1);
    let sign_ins = svg::stacked_columns(
        &format!("Sign-ins per {} by result", r.charts.bucket),
        &labels,
        &[
            ("success", "success", pick(|b| b.success)),
            ("interrupted", "interrupted", pick(|b| b.interrupted)),
            ("failure", "failure", pick(|b| b.failure)),
            ("blocked", "blocked", pick(|b| b.blocked)),
        ],
        every,
    );
    let codes: Vec<(String, u64)> = r
        .top
        .error_codes
        .iter()
        .map(|e| (format!("{} {}", e.code, e.label), e.sign_ins))
        .collect();
    let per_day = &r.charts.findings_per_day;
    let days: Vec<String> = per_day.iter().map(|d| d.day[5..].to_string()).collect();
    let sev =
        |f: fn(&super::model::SeverityBucket) -> u64| per_day.iter().map(f).collect::<Vec<u64>>();
    let findings = svg::stacked_columns(
        "Findings per day (by first evidence)",
        &days,
        &[
            ("info", "info", sev(|d| d.info)),
            ("low", "low", sev(|d| d.low)),
            ("medium", "medium", sev(|d| d.medium)),
            ("high", "high", sev(|d| d.high)),
        ],
        (days.len() / 12).max(1),
    );
    let countries: Vec<(String, u64)> = r
        .top
        .countries
        .iter()
        .map(|c| (c.value.clone(), c.sign_ins))
        .collect();
    vec![
        sign_ins,
        svg::ranked_bars(
            "Failed, blocked and interrupted sign-ins by error code",
            &codes,
            "failure",
        ),
        findings,
        svg::ranked_bars("Sign-ins by country", &countries, "bar"),
    ]
}

fn coverage(r: &Report) -> CoverageView {
    let tables: Vec<String> = r.evidence.tables.iter().map(|t| t.table.clone()).collect();
    let mut rows: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for c in &r.coverage {
        let i = tables.iter().position(|t| *t == c.table).unwrap_or(0);
        rows.entry(&c.day).or_insert_with(|| vec![0; tables.len()])[i] = c.records;
    }
    CoverageView {
        rows: rows.into_iter().map(|(d, v)| (d.to_string(), v)).collect(),
        tables,
    }
}

/// Renders the report as one HTML page.
pub fn render(r: &Report) -> Result<String> {
    // Where each (user, entity, record) sits in the user sections.
    let mut rows: BTreeMap<(&str, &str, &str), String> = BTreeMap::new();
    for u in &r.users {
        for (i, t) in u.timeline.iter().enumerate() {
            rows.entry((&u.anchor, &t.entity, &t.record_id))
                .or_insert_with(|| format!("{}-r{}", u.anchor, i + 1));
        }
    }
    let entity_of = |table: &str| {
        EntityKind::ALL
            .iter()
            .find(|k| k.spec().table == table)
            .map_or("", |k| k.name())
    };
    let findings: Vec<FindingView> = r
        .findings
        .iter()
        .map(|f| {
            let anchor = user_anchor(&r.users, &f.user_id, &f.user_principal_name);
            FindingView {
                f,
                rank: f.severity.rank(),
                who: who(&f.user_principal_name, &f.user_id, f.ip_address.as_ref()),
                evidence: f
                    .evidence
                    .iter()
                    .map(|e| EvidenceView {
                        row: e,
                        anchor: anchor.as_deref().and_then(|a| {
                            rows.get(&(a, entity_of(&e.table), e.record_id.as_str()))
                                .cloned()
                        }),
                    })
                    .collect(),
                user_anchor: anchor,
            }
        })
        .collect();
    let users_at_risk: Vec<RiskView> = r
        .users_at_risk
        .iter()
        .map(|u| RiskView {
            risk: u,
            who: who(&u.user_principal_name, &u.user_id, None),
            anchor: user_anchor(&r.users, &u.user_id, &u.user_principal_name),
        })
        .collect();
    let tops: Vec<(&str, &Vec<ValueCount>)> = vec![
        ("Countries", &r.top.countries),
        ("IP addresses", &r.top.ip_addresses),
        ("Applications", &r.top.apps),
    ];
    let detections: Vec<DetectionView> = r
        .detections
        .status
        .iter()
        .map(|d| DetectionView {
            run: d,
            thresholds: r.detections.thresholds_of(&d.id),
        })
        .collect();

    let mut env = Environment::new();
    // The name ends in .html, so minijinja escapes every value for HTML.
    env.add_template("report.html", TEMPLATE)
        .map_err(|e| Error::Internal(format!("report template: {e}")))?;
    let template = env
        .get_template("report.html")
        .map_err(|e| Error::Internal(format!("report template: {e}")))?;
    template
        .render(context! {
            r => r,
            findings => findings,
            users_at_risk => users_at_risk,
            charts => charts(r),
            tops => tops,
            coverage => coverage(r),
            detections => detections,
            css => CSS,
            script => SCRIPT,
            script_hash => script_hash(),
        })
        .map_err(|e| Error::Internal(format!("rendering report.html: {e:#}")))
}
