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
//! Each stage is a crate of the workspace (see `docs/architecture.md`),
//! re-exported here under one name for the integration tests and the
//! benches; the binary in `main.rs` is a thin shell over them. The entry
//! points are [`convert::convert`], [`analyze::analyze`] and
//! [`report::write`]; the column reference is [`schema::columns`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use entrace_analyze as analyze;
pub use entrace_case as case;
pub use entrace_convert as convert;
pub use entrace_convert::bench;
pub use entrace_detect as detect;
pub use entrace_input as input;
pub use entrace_input::json;
pub use entrace_input::parse;
pub use entrace_manifest as manifest;
pub use entrace_manifest::verify;
pub use entrace_model as model;
pub use entrace_model::error;
pub use entrace_model::text;
pub use entrace_report as report;
pub use entrace_table as table;
pub use entrace_table::output;
pub use entrace_table::schema;
