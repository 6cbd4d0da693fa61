//! `findings.parquet`: one row per finding, with its evidence as a list of
//! structs (table, record id, time, role), declared once ([`Findings`]).

use crate::column::Column;
use crate::declare::{declare_table, Codec, CodecType, Int64, Label, Text, TextList, Time};
use crate::read::Frame;
use entrace_model::error::Result;
use entrace_model::Severity;

/// One row of findings.parquet: an `entrace_detect::finding::Finding` as written and read back.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRecord {
    /// See `entrace_detect::finding::Finding::finding_id`.
    pub finding_id: String,
    /// The rule's id.
    pub detection_id: String,
    /// The rule's name.
    pub name: String,
    /// How urgent.
    pub severity: Severity,
    /// MITRE ATT&CK technique ids.
    pub mitre: Vec<String>,
    /// The user it is about.
    pub subject_user_id: Option<String>,
    /// That user's UPN.
    pub subject_user_principal_name: Option<String>,
    /// The IP address it is about.
    pub subject_ip: Option<String>,
    /// Earliest evidence, UTC ns.
    pub first_seen: i64,
    /// Latest evidence, UTC ns.
    pub last_seen: i64,
    /// One sentence with the numbers.
    pub summary: String,
    /// The records cited, capped at `entrace_detect::finding::EVIDENCE_CAP`.
    pub evidence: Vec<EvidenceItem>,
    /// How many records it cites.
    pub evidence_count: u64,
    /// Effective thresholds, as JSON.
    pub thresholds: String,
    /// How records were linked, where they were.
    pub join_basis: Option<String>,
}

/// One cited record of a finding, as findings.parquet holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceItem {
    /// The entity table it is in.
    pub table: String,
    /// Its `id`.
    pub record_id: String,
    /// Its event time, UTC ns.
    pub time: i64,
    /// `trigger` or `context`.
    pub role: String,
}

/// The evidence list column: list<struct<table, record_id, time (the
/// timestamp pair), role>>.
pub(crate) struct EvidenceList;

impl CodecType for EvidenceList {
    const TYPE: &'static str =
        "list<struct<table: string, record_id: string, time: timestamp[us, UTC], time_ns: int64, role: string>>";
    fn column() -> Column {
        Column::list(Column::structure(vec![
            ("table".into(), Column::str()),
            ("record_id".into(), Column::str()),
            ("time".into(), Column::time()),
            ("role".into(), Column::str()),
        ]))
    }
}

impl Codec<Vec<EvidenceItem>> for EvidenceList {
    fn push(value: &Vec<EvidenceItem>, column: &mut Column) {
        let Column::List(list) = column else { return };
        if let Column::Struct(st) = &mut list.child {
            for e in value {
                for (i, text) in [(0, &e.table), (1, &e.record_id), (3, &e.role)] {
                    if let Some((_, Column::Str(a))) = st.fields.get_mut(i) {
                        a.push(Some(text.as_str()));
                    }
                }
                if let Some((_, Column::Time(a))) = st.fields.get_mut(2) {
                    a.push(Some(e.time));
                }
                st.close();
            }
        }
        list.close();
    }

    fn read(frame: &Frame, name: &str) -> Result<Vec<Vec<EvidenceItem>>> {
        let items = frame.struct_lists(name, &["table", "record_id", "role"], None)?;
        let times = frame.struct_list_times(name, "time")?;
        items
            .into_iter()
            .zip(times)
            .map(|(items, times)| {
                items
                    .into_iter()
                    .zip(times)
                    .map(|(item, time)| {
                        let mut text = item.fields.into_iter();
                        let mut next = || text.next().flatten().unwrap_or_default();
                        Ok(EvidenceItem {
                            table: next(),
                            record_id: next(),
                            role: next(),
                            time: time.ok_or_else(|| frame.err(name, "evidence without a time"))?,
                        })
                    })
                    .collect()
            })
            .collect()
    }
}

declare_table! {
    /// `findings.parquet`: one row per finding, with its evidence.
    pub Findings: FindingRecord, "findings" {
        finding_id: Text => "Stable id: hash of detection, subject, window and first evidence (never random)",
        detection_id: Text => "ENT-001 … (see `entrace detections`)",
        name: Text => "Detection name",
        severity: Label => "info, low, medium or high",
        mitre: TextList => "MITRE ATT&CK technique ids",
        subject_user_id: Text => "User object id the finding is about",
        subject_user_principal_name: Text => "That user's UPN",
        subject_ip: Text => "IP address the finding is about",
        first_seen: Time => "Earliest evidence time",
        last_seen: Time => "Latest evidence time",
        summary: Text => "One sentence with the numbers (contains evidence text: escape before display)",
        evidence: EvidenceList => "Cited records (trigger or context), capped at 200",
        evidence_count: Int64 => "How many records the finding cites (the true count, beyond the cap)",
        thresholds: Text => "The detection's effective thresholds, as JSON",
        join_basis: Text => "request_id, correlation_id or user_ip_time where records were linked",
    }
}
