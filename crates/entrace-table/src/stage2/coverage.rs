//! `coverage.parquet`: per entity table, every hour and every UTC day of its
//! span with its row count, and whether it is part of a gap.

use crate::declare::{declare_table, Bool, Int64, Label, Text, Time};
use entrace_model::Labelled;

/// How long a coverage bucket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// One hour.
    Hour,
    /// One UTC day.
    Day,
}

impl Labelled for Granularity {
    const ALL: &'static [Granularity] = &[Granularity::Hour, Granularity::Day];
    fn label(self) -> &'static str {
        match self {
            Granularity::Hour => "hour",
            Granularity::Day => "day",
        }
    }
}

/// One bucket of coverage.parquet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    /// Table name.
    pub table: String,
    /// An hour or a UTC day.
    pub granularity: Granularity,
    /// Bucket start, UTC ns.
    pub start: i64,
    /// Rows in it.
    pub records: u64,
    /// Part of a reported gap.
    pub gap: bool,
}

declare_table! {
    /// `coverage.parquet`: per entity table, every hour and every UTC day of
    /// its span with its row count, and whether it is part of a gap.
    pub CoverageTable: Bucket, "coverage" {
        table: Text => "Entity table (signins, directory_audits, …)",
        granularity: Label => "hour or day",
        start: Time => "Start of the bucket (UTC)",
        records: Int64 => "Rows whose event time falls in the bucket",
        gap: Bool => "No records, inside the table's span, in a run of empty buckets at least as long as the table's gap threshold",
    }
}
