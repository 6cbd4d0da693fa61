//! End-to-end tests: run the `entrace` binary on the fixtures in testdata/ and
//! read the Parquet tables and manifest back.

mod broken;
mod browser;
mod coverage;
mod equivalence;
mod errors;
mod findings;
mod generate;
mod golden;
mod hostile;
mod hostile_values;
mod interop;
mod nothing_lost;
mod report;
mod sample;
mod schema;
mod timeline;
mod util;
mod verify;
