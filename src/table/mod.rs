//! Records → typed columns → polars DataFrames.
pub(crate) mod chunk;
pub(crate) mod column;
pub(crate) mod dedup;
pub(crate) mod fill;
pub(crate) mod frame;
pub(crate) mod keys;
pub(crate) mod layout;
pub(crate) mod rebuild;
pub(crate) mod texts;
