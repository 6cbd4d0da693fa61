//! End-to-end tests: run the `entrace` binary on the fixtures in testdata/ and
//! read the Parquet tables and manifest back.

mod broken;
mod equivalence;
mod errors;
mod findings;
mod generate;
mod sample;
mod schema;
mod timeline;
mod util;
