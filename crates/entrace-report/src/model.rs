//! The case report as data: everything `report.md`, `report.json`,
//! `report.html` and the terminal summary show, gathered once from OUT_DIR.
//!
//! `report.json` is this structure serialised. Its schema is versioned by
//! [`SCHEMA_VERSION`] and documented field by field in `docs/report-json.md`;
//! a test keeps the two equal. Add fields freely within a version, but renaming
//! or removing one, or changing a type, needs a new version.
//!
//! Times are RFC 3339 UTC strings with 100 ns precision
//! (`2025-03-17T16:40:04.4152716Z`), days are `YYYY-MM-DD` (UTC). Every string
//! that comes from evidence is raw here: the renderers escape it.

use std::collections::BTreeMap;

use serde::Serialize;

use entrace_detect::RunStatus;

pub use entrace_detect::finding::Severity;
pub use entrace_manifest::analysis::{BrokenChain, Gap, Overlap};

/// Version of the `report.json` schema.
pub const SCHEMA_VERSION: u32 = 2;

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always `entrace-report`.
    pub schema: &'static str,
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The tool that wrote the tables.
    pub tool: Tool,
    /// When the conversion ran and with which arguments.
    pub run: Run,
    /// Inputs, tables and what was rejected: the chain of custody.
    pub evidence: Evidence,
    /// Records per entity per UTC day.
    pub coverage: Vec<CoverageDay>,
    /// What the evidence cannot show: gaps, missing event types, hidden values.
    pub completeness: Completeness,
    /// Findings per severity (every level, zeros included).
    pub findings_by_severity: BTreeMap<String, u64>,
    /// The findings shown one by one, most severe first, then by time:
    /// every finding but the info-level ones of detections that raised many
    /// (those are in `finding_groups`), up to a cap (see `capped`).
    pub findings: Vec<ReportFinding>,
    /// Info-level findings of one detection, collapsed into one row when the
    /// detection raised many of them; by detection id.
    pub finding_groups: Vec<FindingGroup>,
    /// What the report leaves to the Parquet tables, and the caps it used.
    pub capped: Capped,
    /// Users ranked by their most severe finding, then finding count, then risk.
    pub users_at_risk: Vec<UserRisk>,
    /// A section per user with a finding shown in `findings`, riskiest
    /// first, up to a cap (see `capped`): the timeline around each finding.
    pub users: Vec<UserSection>,
    /// Most frequent error codes, countries, IPs and apps of the sign-ins.
    pub top: Top,
    /// Series the HTML charts draw.
    pub charts: Charts,
    /// Thresholds used and the status of every detection.
    pub detections: Detections,
}

/// Name and version of the tool.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// `entrace`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// The conversion run recorded in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// Start (UTC, seconds).
    pub started_at: Option<String>,
    /// End (UTC, seconds).
    pub finished_at: Option<String>,
    /// The full command line.
    pub arguments: Vec<String>,
}

/// Inputs and tables.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// Every input stream (file or archive member) with its SHA-256.
    pub inputs: Vec<Input>,
    /// Bytes of evidence as stored (files and archives, members not counted again).
    pub input_bytes: u64,
    /// One entry per entity table.
    pub tables: Vec<EntityTable>,
    /// Records read, written, duplicated and rejected across all entities.
    pub totals: Totals,
    /// The file rejects are in.
    pub rejects_file: String,
    /// Rejects per reason.
    pub rejects_by_reason: BTreeMap<String, u64>,
    /// Warnings the conversion recorded (schema drift, unknown files…).
    pub warnings: Vec<String>,
}

/// One input stream.
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    /// Path as given on the command line.
    pub path: String,
    /// Archive member name, when the stream is inside an archive.
    pub member: Option<String>,
    /// `file`, `archive` or `member`.
    pub kind: String,
    /// Size on disk (the archive member's compressed size for members).
    pub size: u64,
    /// SHA-256 (lower-case hex) of the file as stored; of the extracted
    /// content for archive members.
    pub sha256: String,
    /// `none`, `gzip`, `zstd`, `zip`…
    pub compression: Option<String>,
    /// Text encoding detected (`utf-8`, `utf-16le`…).
    pub encoding: Option<String>,
    /// Shape detected (`graph_page`, `json_lines`, `json_array`…).
    pub shape: Option<String>,
    /// Entity detected, when the stream held one kind.
    pub entity: Option<String>,
    /// Records read from the stream.
    pub records: u64,
}

/// One entity table.
#[derive(Debug, Clone, Serialize)]
pub struct EntityTable {
    /// Table name (`signins`, `directory_audits`…).
    pub table: String,
    /// Parquet file name.
    pub file: String,
    /// Rows written.
    pub rows: u64,
    /// Duplicate records dropped (same id).
    pub duplicates: u64,
    /// Duplicates whose content differed from the kept row.
    pub conflicting_duplicates: u64,
    /// Records rejected.
    pub rejected: u64,
    /// Earliest event time.
    pub first_time: Option<String>,
    /// Latest event time.
    pub last_time: Option<String>,
    /// SHA-256 of the Parquet file.
    pub sha256: Option<String>,
}

/// Totals over every entity.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Records read.
    pub read: u64,
    /// Rows written.
    pub written: u64,
    /// Duplicates dropped.
    pub duplicates: u64,
    /// Records rejected.
    pub rejected: u64,
}

/// What the evidence covers and lacks (from the manifest's `analysis.coverage`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Completeness {
    /// Runs of empty hours inside a table's span (coverage.parquet has every hour).
    pub gaps: Vec<Gap>,
    /// Sign-ins per event type.
    pub sign_in_event_types: BTreeMap<String, u64>,
    /// Event types with no sign-in.
    pub missing_sign_in_event_types: Vec<String>,
    /// Per table, rows per API version.
    pub api_versions: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per `table.column`, values `hidden` for lack of an Entra ID P2 licence.
    pub hidden_values: BTreeMap<String, u64>,
    /// Sources repeating records of earlier ones.
    pub overlapping_sources: Vec<Overlap>,
    /// Page folders whose last page still has an `@odata.nextLink`.
    pub broken_next_link_chains: Vec<BrokenChain>,
    /// The above as sentences for people, most important first.
    pub warnings: Vec<String>,
}

/// Records of one entity on one UTC day.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageDay {
    /// Table name.
    pub table: String,
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Rows with an event time on that day.
    pub records: u64,
}

/// A finding with its evidence rows resolved.
#[derive(Debug, Clone, Serialize)]
pub struct ReportFinding {
    /// Stable id (`F-…`).
    pub finding_id: String,
    /// `ENT-001`…
    pub detection_id: String,
    /// Detection name.
    pub name: String,
    /// `info`, `low`, `medium` or `high`.
    pub severity: Severity,
    /// MITRE ATT&CK technique ids.
    pub mitre: Vec<String>,
    /// Subject user's object id.
    pub user_id: Option<String>,
    /// Subject user's UPN.
    pub user_principal_name: Option<String>,
    /// Subject user's display name, as the evidence records it.
    pub display_name: Option<String>,
    /// IP address the finding is about.
    pub ip_address: Option<String>,
    /// Earliest evidence.
    pub first_seen: String,
    /// Latest evidence.
    pub last_seen: String,
    /// One sentence with the numbers.
    pub summary: String,
    /// How records were linked, where they were.
    pub join_basis: Option<String>,
    /// Records cited (the true count; `evidence` may be capped).
    pub evidence_count: u64,
    /// The cited records.
    pub evidence: Vec<EvidenceRow>,
}

/// Info-level findings of one detection shown as one row.
#[derive(Debug, Clone, Serialize)]
pub struct FindingGroup {
    /// `ENT-013`…
    pub detection_id: String,
    /// Detection name.
    pub name: String,
    /// Always `info`: only info-level findings are grouped.
    pub severity: Severity,
    /// Findings in the group.
    pub findings: u64,
    /// Distinct subjects (users, else IPs) they are about.
    pub subjects: u64,
    /// Earliest evidence of any of them.
    pub first_seen: String,
    /// Latest evidence of any of them.
    pub last_seen: String,
}

/// What the report does not show one by one: counts and the caps that
/// decided it. Every finding stays in `findings.parquet`, every user in
/// `per_user.parquet` and every record in `timeline.parquet`.
#[derive(Debug, Clone, Serialize)]
pub struct Capped {
    /// Findings of the run.
    pub findings_total: u64,
    /// Of which shown one by one in `findings`.
    pub findings_listed: u64,
    /// Of which collapsed into `finding_groups`.
    pub findings_grouped: u64,
    /// Of which neither: past the listing cap.
    pub findings_not_shown: u64,
    /// A detection's info-level findings are grouped when there are more
    /// than this many.
    pub group_info_over: u64,
    /// Most findings shown one by one.
    pub findings_cap: u64,
    /// Users with a finding shown in `findings`.
    pub users_with_listed_findings: u64,
    /// Of which with a section in `users`.
    pub user_sections: u64,
    /// Most user sections.
    pub user_sections_cap: u64,
}

/// One record a finding cites, described from the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceRow {
    /// Table (`signins`, `directory_audits`…).
    pub table: String,
    /// The record's id in that table.
    pub record_id: String,
    /// Event time.
    pub time: String,
    /// `trigger` or `context`.
    pub role: String,
    /// Timeline label (empty when the record is not in the timeline).
    pub action: String,
    /// Result.
    pub result: Option<String>,
    /// IP address.
    pub ip_address: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// Application or logging service.
    pub app: Option<String>,
    /// Failure reason, result reason or risk detail.
    pub detail: Option<String>,
}

/// A user in the risk ranking.
#[derive(Debug, Clone, Serialize)]
pub struct UserRisk {
    /// Object id (null for UPN-only users).
    pub user_id: Option<String>,
    /// UPN.
    pub user_principal_name: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Most severe finding.
    pub max_severity: Severity,
    /// Number of findings.
    pub findings: u64,
    /// Identity Protection risk state at export.
    pub risk_state: Option<String>,
    /// Identity Protection risk level at export.
    pub risk_level: Option<String>,
}

/// One user's section.
#[derive(Debug, Clone, Serialize)]
pub struct UserSection {
    /// Object id (null for UPN-only users).
    pub user_id: Option<String>,
    /// UPN.
    pub user_principal_name: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Anchor used by the HTML report (`user-<n>`).
    pub anchor: String,
    /// Most severe finding.
    pub max_severity: Severity,
    /// Their findings' ids, in report order.
    pub finding_ids: Vec<String>,
    /// Sign-ins in the evidence.
    pub sign_ins: u64,
    /// Of which failed.
    pub sign_ins_failure: u64,
    /// Of which blocked.
    pub sign_ins_blocked: u64,
    /// Distinct sign-in IPs.
    pub distinct_ips: u64,
    /// Sign-in countries.
    pub countries: Vec<String>,
    /// Timeline rows around the findings (see `window_minutes`).
    pub timeline: Vec<TimelineEntry>,
    /// Rows in those windows before the cap.
    pub timeline_rows_in_windows: u64,
    /// Minutes of context shown before and after each finding.
    pub window_minutes: u64,
}

/// One timeline row in a user section.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    /// Event time.
    pub time: String,
    /// Entity (`sign_in`, `directory_audit`…).
    pub entity: String,
    /// Record id.
    pub record_id: String,
    /// subject, actor, target or self.
    pub role: String,
    /// Short label.
    pub action: String,
    /// Result.
    pub result: Option<String>,
    /// Sign-in error code.
    pub error_code: Option<i32>,
    /// IP address.
    pub ip_address: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// Application or logging service.
    pub app: Option<String>,
    /// Browser / OS / client app.
    pub client: Option<String>,
    /// Failure reason, result reason or risk detail.
    pub detail: Option<String>,
    /// Findings citing this row.
    pub finding_ids: Vec<String>,
}

/// Most frequent values of the sign-ins.
#[derive(Debug, Clone, Serialize)]
pub struct Top {
    /// Non-zero error codes, most frequent first.
    pub error_codes: Vec<ErrorCodeCount>,
    /// Countries.
    pub countries: Vec<ValueCount>,
    /// IP addresses.
    pub ip_addresses: Vec<ValueCount>,
    /// Applications.
    pub apps: Vec<ValueCount>,
}

/// One error code and how often it occurs.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorCodeCount {
    /// `status.errorCode`.
    pub code: i32,
    /// Short label, `unrecognised` when not in entrace's table.
    pub label: String,
    /// What it means.
    pub meaning: String,
    /// success, interrupted, failure or blocked.
    pub class: String,
    /// Sign-ins with this code.
    pub sign_ins: u64,
    /// Distinct users.
    pub users: u64,
}

/// One value and how often it occurs in sign-ins.
#[derive(Debug, Clone, Serialize)]
pub struct ValueCount {
    /// The value (raw evidence text).
    pub value: String,
    /// Sign-ins.
    pub sign_ins: u64,
    /// Of which not successful (failure, blocked or interrupted).
    pub unsuccessful: u64,
    /// Distinct users.
    pub users: u64,
}

/// Series for the charts.
#[derive(Debug, Clone, Serialize)]
pub struct Charts {
    /// `hour` or `day`: the bucket of `sign_ins_over_time` (hours up to 7 days).
    pub bucket: String,
    /// Sign-ins per bucket by result class.
    pub sign_ins_over_time: Vec<ResultBucket>,
    /// Findings per UTC day (by first seen) by severity.
    pub findings_per_day: Vec<SeverityBucket>,
}

/// Sign-ins in one time bucket.
#[derive(Debug, Clone, Serialize)]
pub struct ResultBucket {
    /// Start of the bucket.
    pub start: String,
    /// Successful.
    pub success: u64,
    /// Interrupted.
    pub interrupted: u64,
    /// Failed.
    pub failure: u64,
    /// Blocked.
    pub blocked: u64,
}

/// Findings first seen on one day.
#[derive(Debug, Clone, Serialize)]
pub struct SeverityBucket {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// High.
    pub high: u64,
    /// Medium.
    pub medium: u64,
    /// Low.
    pub low: u64,
    /// Info.
    pub info: u64,
}

/// Detections run and their settings.
#[derive(Debug, Clone, Serialize)]
pub struct Detections {
    /// Effective thresholds per detection id.
    pub thresholds: serde_json::Value,
    /// Status of every detection, by id.
    pub status: Vec<DetectionRun>,
}

impl Detections {
    /// The thresholds of detection `id` as `key=value, …` (empty when it has none).
    pub fn thresholds_of(&self, id: &str) -> String {
        self.thresholds
            .get(id)
            .and_then(|t| t.as_object())
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    }
}

/// How one detection ran.
#[derive(Debug, Clone, Serialize)]
pub struct DetectionRun {
    /// `ENT-001`…
    pub id: String,
    /// Name.
    pub name: String,
    /// Ran, partial or skipped; `None` when the analysis has no status for
    /// it (written `not run`).
    #[serde(serialize_with = "serialize_status")]
    pub status: Option<RunStatus>,
    /// Why it was partial or skipped.
    pub reason: Option<String>,
    /// Findings it produced.
    pub findings: u64,
}

impl DetectionRun {
    /// `ran`, `partial`, `skipped` or `not run`, as every report writes it.
    pub fn status_name(&self) -> &'static str {
        self.status.map_or("not run", RunStatus::as_str)
    }
}

fn serialize_status<S: serde::Serializer>(
    status: &Option<RunStatus>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(status.map_or("not run", RunStatus::as_str))
}
