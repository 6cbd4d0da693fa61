//! `findings.parquet`: one row per finding, with its evidence as a list of
//! structs (table, record id, time, role).

use crate::table::column::TIMESTAMP_TYPE;
use polars::prelude::DataFrame;
use polars_arrow::array::MutableBinaryViewArray;

use super::finding::Finding;
use crate::error::{Error, Result};
use crate::table::column::Column;
use crate::table::frame::FrameBuilder;

/// File name of the findings table.
pub const FINDINGS_FILE: &str = "findings.parquet";

/// (name, type, description) of every `findings` column, in file order.
pub const FINDINGS_COLUMNS: &[(&str, &str, &str)] = &[
    (
        "finding_id",
        "string",
        "Stable id: hash of detection, subject, window and first evidence (never random)",
    ),
    (
        "detection_id",
        "string",
        "ENT-001 … (see `entrace detections`)",
    ),
    ("name", "string", "Detection name"),
    ("severity", "string", "info, low, medium or high"),
    ("mitre", "list<string>", "MITRE ATT&CK technique ids"),
    (
        "subject_user_id",
        "string",
        "User object id the finding is about",
    ),
    ("subject_user_principal_name", "string", "That user's UPN"),
    ("subject_ip", "string", "IP address the finding is about"),
    ("first_seen", TIMESTAMP_TYPE, "Earliest evidence time"),
    ("last_seen", TIMESTAMP_TYPE, "Latest evidence time"),
    (
        "summary",
        "string",
        "One sentence with the numbers (contains evidence text: escape before display)",
    ),
    (
        "evidence",
        "list<struct<table: string, record_id: string, time: timestamp[us, UTC], time_ns: int64, role: string>>",
        "Cited records (trigger or context), capped at 200",
    ),
    (
        "evidence_count",
        "int64",
        "How many records the finding cites (the true count, beyond the cap)",
    ),
    (
        "thresholds",
        "string",
        "The detection's effective thresholds, as JSON",
    ),
    (
        "join_basis",
        "string",
        "request_id, correlation_id or user_ip_time where records were linked",
    ),
];

fn evidence_column(findings: &[Finding]) -> Result<polars::prelude::Column> {
    let mut col = Column::list(Column::structure(vec![
        ("table".into(), Column::str()),
        ("record_id".into(), Column::str()),
        ("time".into(), Column::time()),
        ("role".into(), Column::str()),
    ]));
    if let Column::List(list) = &mut col {
        for f in findings {
            if let Column::Struct(st) = &mut list.child {
                for e in &f.evidence {
                    let mut push_str = |idx: usize, v: &str| {
                        if let Some((_, Column::Str(a))) = st.fields.get_mut(idx) {
                            let a: &mut MutableBinaryViewArray<str> = a;
                            a.push(Some(v));
                        }
                    };
                    push_str(0, e.entity.spec().table);
                    push_str(1, &e.record_id);
                    push_str(3, e.role.as_str());
                    if let Some((_, Column::Time(a))) = st.fields.get_mut(2) {
                        a.push(Some(e.time));
                    }
                    st.close();
                }
            }
            list.close();
        }
    }
    Ok(col
        .into_columns("evidence")
        .map_err(|e| Error::table("findings.evidence", e))?
        .remove(0))
}

/// The findings as a DataFrame (columns as in [`FINDINGS_COLUMNS`]).
pub fn findings_frame(findings: &[Finding]) -> Result<DataFrame> {
    let s = |f: fn(&Finding) -> Option<&str>| findings.iter().map(f);
    FrameBuilder::new("findings", findings.len())
        .str("finding_id", s(|f| Some(&f.finding_id)))?
        .str("detection_id", s(|f| Some(f.detection_id)))?
        .str("name", s(|f| Some(f.name)))?
        .str("severity", s(|f| Some(f.severity.as_str())))?
        .str_list("mitre", findings.iter().map(|f| &f.mitre))?
        .str("subject_user_id", s(|f| f.subject_user_id.as_deref()))?
        .str(
            "subject_user_principal_name",
            s(|f| f.subject_user_principal_name.as_deref()),
        )?
        .str("subject_ip", s(|f| f.subject_ip.as_deref()))?
        .time("first_seen", findings.iter().map(|f| Some(f.first_seen)))?
        .time("last_seen", findings.iter().map(|f| Some(f.last_seen)))?
        .str("summary", s(|f| Some(&f.summary)))?
        .column(evidence_column(findings)?)
        .i64(
            "evidence_count",
            findings.iter().map(|f| Some(f.evidence_count as i64)),
        )?
        .str("thresholds", s(|f| Some(&f.thresholds)))?
        .str("join_basis", s(|f| f.join_basis.as_deref()))?
        .finish()
}
