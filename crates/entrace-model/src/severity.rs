//! How urgent a finding is: the one severity scale of entrace, shared by the
//! detections that assign it and the tables and reports that show it.

use std::fmt;

/// How urgent a finding is; ordered from the least urgent. Written as its
/// lower-case name wherever it is written (findings.parquet, report.json).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Context for the timeline; no action needed on its own.
    Info,
    /// Worth a look.
    Low,
    /// Likely malicious or a real risk; investigate.
    Medium,
    /// Compromise likely; act now.
    High,
}

impl Severity {
    /// Every level, lowest first.
    pub const ALL: [Severity; 4] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
    ];

    /// The lower-case name (`info`, `low`, `medium`, `high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    /// The level named `name` (`info`, `low`, `medium`, `high`).
    pub fn parse(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// 0 for info … 3 for high.
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// One level up (high stays high).
    pub fn raised(self) -> Severity {
        match self {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium | Severity::High => Severity::High,
        }
    }
}

impl crate::Labelled for Severity {
    const ALL: &'static [Severity] = &Severity::ALL;
    fn label(self) -> &'static str {
        self.as_str()
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}
