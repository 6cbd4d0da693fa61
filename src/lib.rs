//! entrace turns exported Microsoft Entra ID logs (Microsoft Graph sign-ins,
//! directory audits, Identity Protection risk detections, risky users and their
//! history) into evidence an incident responder can act on.
//!
//! ```text
//! evidence ─► input (walk, zip/gzip/zstd, UTF-8/16, sha256) ─► parse (scan spans,
//! simd-json, entity, identity checks) ─► table (Arrow builders, dedup, sort) ─►
//! convert (Parquet tables, rejects, sources, manifest.json)
//!
//! Parquet tables ─► case (records, identities, links, audit meaning) ─► detect
//! (findings) ─► analyze (timeline, per_user, coverage) ─► report
//! ```
//!
//! Rules that hold everywhere: nothing is lost silently (every record is a row,
//! a counted duplicate or a located reject, and the manifest reconciles);
//! tables are lossless (typed columns plus `ingest_raw`); evidence is read-only;
//! output is deterministic for any thread count or input order; time is UTC,
//! Graph's 100 ns kept exactly in the `_ns` companions; bad input never aborts the run
//! unless `--strict`; attacker-controlled text is escaped wherever it is shown.
//!
//! The library entry point is [`convert::convert`]; the column reference is
//! [`schema::columns`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod analyze;
pub mod bench;
pub use entrace_case as case;
pub mod convert;
pub use entrace_detect as detect;
pub use entrace_input as input;
pub use entrace_input::json;
pub use entrace_model::error;
pub mod manifest;
pub use entrace_input::parse;
pub use entrace_model as model;
pub use entrace_table::output;
pub mod report;
pub use entrace_model::text;
pub use entrace_table as table;
pub use entrace_table::schema;
pub mod verify;
