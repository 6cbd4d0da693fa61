//! Records → typed columns → polars DataFrames.
pub(crate) mod column;
pub(crate) mod fill;
pub(crate) mod layout;
