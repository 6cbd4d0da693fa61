//! What people read: renderings of the stage 2 tables.

pub mod timeline;
