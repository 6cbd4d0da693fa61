//! Evidence discovery and reading: directories, archives, compression, text
//! encodings and hashes. Produces byte streams ready for the parser.
//!
//! Invariants: evidence is only ever opened for reading; every file and archive
//! member found is reported, readable or not. Not here: JSON of any kind.

pub(crate) mod container;
pub(crate) mod encoding;
pub(crate) mod walk;

pub(crate) use container::{open_evidence, Leaf, LeafBytes};
pub(crate) use walk::discover;
