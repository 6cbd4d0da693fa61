//! Rejects: every record or span that did not become a table row, with where
//! it is and why. They are data (rejects.parquet), never fatal errors.

use entrace_model::EntityKind;

/// Closed list of reject reasons; the snake_case name is the Parquet value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// Not valid JSON.
    InvalidJson,
    /// The input ended inside the record.
    Truncated,
    /// Bytes that are not valid UTF-8 / UTF-16.
    InvalidEncoding,
    /// `id` or the event time is absent.
    MissingRequiredField,
    /// The event time is present but unreadable.
    InvalidTimestamp,
    /// A record that is not a JSON object, or an `id` that is not a string.
    WrongType,
    /// The record is not one of the entities entrace tables.
    UnknownEntity,
    /// A Graph error response saved in place of a page.
    GraphErrorResponse,
    /// A compressed stream or archive could not be read.
    DecompressFailed,
    /// A stream grew past `--max-decompressed-size`, or a record nests deeper
    /// than 128 levels (`MAX_DEPTH` in the scanner).
    LimitExceeded,
    /// The file could not be read.
    IoError,
}

impl Reason {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::InvalidJson => "invalid_json",
            Reason::Truncated => "truncated",
            Reason::InvalidEncoding => "invalid_encoding",
            Reason::MissingRequiredField => "missing_required_field",
            Reason::InvalidTimestamp => "invalid_timestamp",
            Reason::WrongType => "wrong_type",
            Reason::UnknownEntity => "unknown_entity",
            Reason::GraphErrorResponse => "graph_error_response",
            Reason::DecompressFailed => "decompress_failed",
            Reason::LimitExceeded => "limit_exceeded",
            Reason::IoError => "io_error",
        }
    }
}

/// Where a record or span starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Locator {
    /// Byte offset in the decompressed stream, in its original encoding.
    pub offset: Option<u64>,
    /// 1-based line of that byte.
    pub line: Option<u64>,
    /// Index within the page's `value` array or the bare array.
    pub item: Option<u32>,
}

impl Locator {
    /// `value[41] (byte 18342)`, `line 17 (byte 18342)` or `byte 0`.
    pub fn describe(&self) -> String {
        let byte = self.offset.map(|o| format!("byte {o}"));
        match (self.item, self.line, byte) {
            (Some(i), _, Some(b)) => format!("value[{i}] ({b})"),
            (None, Some(l), Some(b)) => format!("line {l} ({b})"),
            (_, _, Some(b)) => b,
            _ => "whole file".to_string(),
        }
    }
}

/// One rejected record or span.
#[derive(Debug, Clone)]
pub struct Reject {
    /// Position in the stream.
    pub locator: Locator,
    /// The entity, when it could be told.
    pub entity: Option<EntityKind>,
    /// Why.
    pub reason: Reason,
    /// What was expected and what was found (lowercase, no trailing period).
    pub message: String,
    /// Up to 120 bytes of the input there, escaped.
    pub excerpt: String,
}
