//! A finding: one detection firing on one subject over one time window, with
//! the records that prove it.

use sha2::{Digest, Sha256};

use entrace_model::EntityKind;

pub use entrace_model::Severity;

/// Why a record is in a finding's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EvidenceRole {
    /// The record is part of what made the detection fire.
    Trigger,
    /// The record explains or qualifies the finding.
    Context,
}

impl EvidenceRole {
    /// `trigger` or `context`.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceRole::Trigger => "trigger",
            EvidenceRole::Context => "context",
        }
    }
}

/// One record cited by a finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Evidence {
    /// Event time (UTC ns).
    pub time: i64,
    /// The entity (its table is `entity.spec().table`).
    pub entity: EntityKind,
    /// The record's `id`.
    pub record_id: String,
    /// Trigger or context.
    pub role: EvidenceRole,
    /// Whose record it is: its user key ([`crate::context::user_key`]), for
    /// sign-ins and risk detections. Rules that read earlier findings learn
    /// whom a finding touches from it, without the cited record at hand
    /// (stage 2 holds one user bucket of records at a time). Not written to
    /// `findings.parquet`.
    pub user: Option<String>,
    /// The record's IP address (sign-ins), for the same readers.
    pub ip: Option<String>,
}

impl Evidence {
    /// Sign-in `s` of the user with key `user`, cited as `role`.
    pub fn of_sign_in(
        s: &entrace_case::records::SignIn,
        user: Option<&str>,
        role: EvidenceRole,
    ) -> Evidence {
        Evidence {
            time: s.time,
            entity: EntityKind::SignIn,
            record_id: s.id.clone(),
            role,
            user: user.map(str::to_owned),
            ip: s.ip.clone(),
        }
    }
}

/// Most evidence rows stored per finding; `evidence_count` keeps the true count.
pub const EVIDENCE_CAP: usize = 200;

/// One finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Stable id: a hash of the detection, subject, window and first evidence.
    pub finding_id: String,
    /// `ENT-001`, …
    pub detection_id: &'static str,
    /// The detection's name.
    pub name: &'static str,
    /// Severity.
    pub severity: Severity,
    /// MITRE ATT&CK technique ids.
    pub mitre: Vec<String>,
    /// The user it is about, if any.
    pub subject_user_id: Option<String>,
    /// That user's UPN.
    pub subject_user_principal_name: Option<String>,
    /// The IP it is about, if any.
    pub subject_ip: Option<String>,
    /// Earliest evidence time.
    pub first_seen: i64,
    /// Latest evidence time.
    pub last_seen: i64,
    /// One sentence with the numbers.
    pub summary: String,
    /// Cited records, sorted by time, at most [`EVIDENCE_CAP`].
    pub evidence: Vec<Evidence>,
    /// How many records the finding really cites.
    pub evidence_count: usize,
    /// The effective thresholds of the detection, as JSON.
    pub thresholds: String,
    /// How linked records were joined (`request_id`, `correlation_id`, `user_ip_time`).
    pub join_basis: Option<String>,
}

impl Finding {
    /// Sorts and caps the evidence, sets the window and computes the id.
    pub(crate) fn seal(mut self) -> Finding {
        self.evidence.sort();
        self.evidence.dedup();
        self.evidence_count = self.evidence.len();
        if let (Some(first), Some(last)) = (self.evidence.first(), self.evidence.last()) {
            self.first_seen = first.time;
            self.last_seen = last.time;
        }
        let mut h = Sha256::new();
        for part in [
            self.detection_id,
            self.subject_user_id.as_deref().unwrap_or(""),
            self.subject_user_principal_name.as_deref().unwrap_or(""),
            self.subject_ip.as_deref().unwrap_or(""),
            &self.first_seen.to_string(),
            &self.last_seen.to_string(),
            self.evidence
                .first()
                .map(|e| e.record_id.as_str())
                .unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        self.finding_id = format!("F-{}", &hex::encode(h.finalize())[..16]);
        self.evidence.truncate(EVIDENCE_CAP);
        self
    }
}
