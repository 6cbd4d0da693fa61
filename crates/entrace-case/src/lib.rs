//! What stage 2 knows about the evidence, read once from the stage 1 tables
//! and shared by every reader of it: the records ([`load`]), who each one is
//! about ([`identity`]), how records link ([`correlate`]), what an audit
//! means ([`audit`]) and the labels of every record ([`actions`]).
//!
//! The timeline and the detections both depend on this module, and it on
//! neither: data flows one way, `case ─► detect ─► analyze ─► report`.

pub mod actions;
pub mod audit;
pub mod correlate;
pub mod identity;
pub mod load;
