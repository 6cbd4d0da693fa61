//! From decoded text to records: structural scan, then simd-json per record.
pub(crate) mod scan;
