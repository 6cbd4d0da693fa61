//! entrace's table layer, and the only crate of entrace that touches Parquet:
//! records → typed Arrow columns → Parquet for stage 1 ([`rebuild`], after
//! [`dedup`] chose the rows), the tables stage 2 computes, each declared once
//! with its row type ([`stage2`]), the projected column reader stage 2
//! and the reports read tables back with ([`read`]), the loader of what stage
//! 2 knows about the evidence ([`case`]), the output directory and its
//! Parquet writer ([`output`]), and the column reference `entrace schema`
//! prints ([`schema`]).
//!
//! Every schema is declared once: stage 1's by the model's [`Field`] trees,
//! stage 2's by one `declare_table!` per table; the writer,
//! the reader and the reference are generated from those declarations, so
//! they cannot disagree. No polars type appears in this crate's public API:
//! callers hand it rows and get rows back.
//!
//! [`Field`]: entrace_model::Field
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod case;
pub(crate) mod chunk;
pub(crate) mod column;
pub(crate) mod declare;
pub mod dedup;
pub(crate) mod fill;
pub mod frame;
pub(crate) mod layout;
pub mod output;
pub mod read;
pub mod rebuild;
pub mod schema;
pub mod spill;
pub mod stage2;
pub mod texts;
