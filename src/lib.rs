//! entrace: turns exported Microsoft Entra ID logs into evidence an incident
//! responder can act on.
#![forbid(unsafe_code)]

pub mod convert;
pub mod error;
pub(crate) mod input;
pub mod manifest;
pub mod model;
pub(crate) mod output;
pub mod parse;
pub mod schema;
pub(crate) mod table;
pub mod text;
