//! The Parquet layer: records → typed columns → Parquet (stage 1), the
//! tables entrace computes (stage 2, declared once in [`declare`]), and the
//! column reader stage 2 and the reports read them back with ([`read`]).
pub(crate) mod case;
pub(crate) mod chunk;
pub(crate) mod column;
pub(crate) mod declare;
pub(crate) mod dedup;
pub(crate) mod fill;
pub(crate) mod frame;
pub(crate) mod layout;
pub(crate) mod read;
pub(crate) mod rebuild;
pub mod stage2;
pub(crate) mod texts;
