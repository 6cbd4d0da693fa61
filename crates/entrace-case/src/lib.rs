//! What stage 2 knows about the evidence, read once from the stage 1 tables
//! and shared by every reader of it: the records ([`records`]), who each one is
//! about ([`identity`]), how records link ([`correlate`]), what an audit
//! means ([`audit`]), the labels of every record ([`actions`]) and the user
//! buckets stage 2 works in ([`partition`]).
//!
//! The timeline and the detections both depend on this crate, and it on
//! neither: data flows one way, `case ─► detect ─► analyze ─► report`. It
//! has no Parquet and no polars: entrace's table layer loads the records
//! (`entrace::table::case`), and tests build them in memory.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod actions;
pub mod audit;
pub mod correlate;
pub mod identity;
pub mod partition;
pub mod records;
