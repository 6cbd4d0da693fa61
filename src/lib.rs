//! entrace: turns exported Microsoft Entra ID logs into evidence an incident
//! responder can act on.
#![forbid(unsafe_code)]

pub mod model;
pub(crate) mod parse;
pub(crate) mod table;
pub mod text;
