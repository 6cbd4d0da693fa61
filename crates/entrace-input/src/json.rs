//! One parsed record: simd-json's tape, walked in document order without
//! building maps.
//!
//! simd-json's borrowed value turns every object of more than 32 keys (a
//! sign-in has about 60) into a hash map, hashing each key as it parses and
//! again on every lookup. The tape is the flat list of nodes the parser makes
//! anyway, so reading it costs nothing extra; objects are read by walking
//! their keys, and lookups of the few keys entrace needs by name are linear
//! over one object's keys.

use simd_json::prelude::*;
pub(crate) use simd_json::tape::{Array, Object, Value};

/// A record parsed into a tape (the nodes, borrowing strings from the
/// record's own bytes, which simd-json unescapes in place).
pub(crate) type Tape<'i> = simd_json::tape::Tape<'i>;

/// Parses `bytes` (overwritten with unescaped strings) into a tape.
pub(crate) fn parse<'i>(
    bytes: &'i mut [u8],
    buffers: &mut simd_json::Buffers,
) -> simd_json::Result<Tape<'i>> {
    simd_json::to_tape_with_buffers(bytes, buffers)
}

/// A JSON value by what it is.
pub(crate) enum Node<'t, 'i> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(&'i str),
    Array(Array<'t, 'i>),
    Object(Object<'t, 'i>),
}

/// What `v` is.
pub(crate) fn node<'t, 'i>(v: Value<'t, 'i>) -> Node<'t, 'i> {
    // One dispatch on the node's type; each accessor below then matches.
    let missing = || Node::Null;
    match v.value_type() {
        ValueType::String => str_of(v).map_or_else(missing, Node::Str),
        ValueType::Object => v.as_object().map_or_else(missing, Node::Object),
        ValueType::Array => v.as_array().map_or_else(missing, Node::Array),
        ValueType::Bool => Node::Bool(v.as_bool().unwrap_or_default()),
        ValueType::I64 => Node::Int(v.as_i64().unwrap_or_default()),
        ValueType::U64 => Node::UInt(v.as_u64().unwrap_or_default()),
        ValueType::F64 => Node::Float(v.as_f64().unwrap_or_default()),
        _ => Node::Null,
    }
}

/// `v` when it is a string, borrowed from the record's bytes (not from `v`).
pub(crate) fn str_of<'i>(v: Value<'_, 'i>) -> Option<&'i str> {
    v.into_string()
}

/// Whether `v` is `null`.
pub(crate) fn is_null(v: Value<'_, '_>) -> bool {
    v.as_null().is_some()
}

/// The value of `key` in `object`, when `v` is an object that has it.
pub(crate) fn get<'t, 'i>(v: Value<'t, 'i>, key: &str) -> Option<Value<'t, 'i>> {
    v.as_object()?.get(key)
}

/// `v` as compact JSON text.
pub(crate) fn encode(v: Value<'_, '_>) -> String {
    v.encode()
}
