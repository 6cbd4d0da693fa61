//! The `analysis` section of manifest.json: what stage 2 found, as counts
//! and short lists. Declared here, beside the rest of the manifest's layout,
//! so one version number ([`super::MANIFEST_VERSION`]) covers every field;
//! the analysis fills it in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use entrace_case::correlate::CorrelationReport;
use entrace_case::identity::IdentityReport;
use entrace_detect::vocabulary::Vocabulary;
use entrace_detect::DetectionStatus;

/// What stage 2 found, stored under `analysis` in manifest.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnalysisSummary {
    /// Users with a row in per_user.parquet (object ids plus UPN-only names).
    pub users: usize,
    /// Identity resolution.
    pub identity: IdentityReport,
    /// Links found between records.
    pub correlation: CorrelationReport,
    /// Sign-in sessions by the key that formed them.
    pub sessions: SessionReport,
    /// Timeline counts.
    pub timeline: TimelineReport,
    /// Sign-in error codes missing from entrace's table, with their counts
    /// (labelled "unrecognised error"; worth a look).
    pub unrecognised_error_codes: BTreeMap<i32, u64>,
    /// What the detections did.
    pub detections: DetectionsReport,
    /// What the evidence covers and lacks (written by `analyze`, after the
    /// tables: `None` from `analyze::build` alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<CoverageSummary>,
}

/// The detections part of the analysis summary.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DetectionsReport {
    /// Effective thresholds of every detection (defaults, TOML, `--set`).
    pub thresholds: serde_json::Value,
    /// The vocabularies the rules matched on (built in, or as `--config`
    /// replaced them).
    pub vocabulary: Vocabulary,
    /// Per detection: ran, partial or skipped (with why) and its finding count.
    pub status: BTreeMap<String, DetectionStatus>,
    /// Findings per severity.
    pub findings_by_severity: BTreeMap<String, usize>,
    /// Failure texts a detection needed to read but did not recognise, per
    /// error code (texts are localised and reworded over time).
    pub unrecognised_failure_texts: BTreeMap<i32, u64>,
}

/// Sessions by the key that formed them, for the manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionReport {
    /// Sessions keyed by a `sessionId`.
    pub by_session_id: u64,
    /// Sessions keyed by a `correlationId` (no `sessionId` in them).
    pub by_correlation_id: u64,
    /// Sessions formed by user + IP + client within 30 minutes.
    pub by_user_ip_client: u64,
}

impl SessionReport {
    /// Adds the sessions of another part of the sign-ins (a user bucket).
    pub fn add(&mut self, other: &SessionReport) {
        self.by_session_id += other.by_session_id;
        self.by_correlation_id += other.by_correlation_id;
        self.by_user_ip_client += other.by_user_ip_client;
    }
}

/// Counts for the manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TimelineReport {
    /// Rows written.
    pub rows: usize,
    /// Rows per entity.
    pub rows_by_entity: BTreeMap<String, usize>,
    /// Records that name no user at all (no id, no UPN), per entity.
    pub records_without_user: BTreeMap<String, usize>,
}

/// A run of empty hours inside a table's span.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Gap {
    /// Table name.
    pub table: String,
    /// First empty hour.
    pub from: String,
    /// End of the last empty hour (exclusive).
    pub to: String,
    /// Length in hours.
    pub hours: i64,
}

/// Span and emptiness of one table.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct TableSpan {
    /// Rows.
    pub records: u64,
    /// Earliest event.
    pub first: Option<String>,
    /// Latest event.
    pub last: Option<String>,
    /// Hours from the first to the last event's hour, inclusive.
    pub hours_in_span: i64,
    /// Of which without a record.
    pub empty_hours: i64,
    /// UTC days in the span.
    pub days_in_span: i64,
    /// Of which without a record.
    pub empty_days: i64,
    /// Shortest run of empty hours reported as a gap (none for risk tables).
    pub gap_threshold_hours: Option<i64>,
}

/// A source whose records were already read from an earlier one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Overlap {
    /// Evidence path.
    pub path: String,
    /// Archive member.
    pub member: Option<String>,
    /// Records read from it.
    pub read: u64,
    /// Of which duplicates of earlier records.
    pub duplicates: u64,
}

/// A collection of Graph pages whose last page still points to a next one:
/// the export stopped before the end (throttling, a timeout, a crash).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BrokenChain {
    /// The directory (or archive and folder) holding the pages.
    pub collection: String,
    /// Entity of the pages.
    pub entity: Option<String>,
    /// Page envelopes in the collection.
    pub pages: u64,
    /// The last page file, in path order.
    pub last_file: String,
}

/// The coverage summary recorded in the manifest (`analysis.coverage`).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct CoverageSummary {
    /// Per table.
    pub tables: BTreeMap<String, TableSpan>,
    /// Gaps, by table then time.
    pub gaps: Vec<Gap>,
    /// Sign-ins per event type (v1.0 rows without types count as interactiveUser).
    pub sign_in_event_types: BTreeMap<String, u64>,
    /// Event types with no sign-in at all.
    pub missing_sign_in_event_types: Vec<String>,
    /// Per table, rows per API version (`v1.0`, `beta`, `unknown`).
    pub api_versions: BTreeMap<String, BTreeMap<String, u64>>,
    /// Per `table.column`, values `hidden` (no Entra ID P2 licence).
    pub hidden_values: BTreeMap<String, u64>,
    /// Sources that repeat records of earlier ones (overlapping exports).
    pub overlapping_sources: Vec<Overlap>,
    /// Page collections whose `@odata.nextLink` chain has no end.
    pub broken_next_link_chains: Vec<BrokenChain>,
}
