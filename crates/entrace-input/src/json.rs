//! One parsed record: simd-json's tape, walked in document order without
//! building maps.
//!
//! simd-json's borrowed value turns every object of more than 32 keys (a
//! sign-in has about 60) into a hash map, hashing each key as it parses and
//! again on every lookup. The tape is the flat list of nodes the parser makes
//! anyway, so reading it costs nothing extra; objects are read by walking
//! their keys, and lookups of the few keys entrace needs by name are linear
//! over one object's keys.

use std::hash::{BuildHasher, Hash, Hasher};

use entrace_model::text::excerpt;
use entrace_model::time::parse_timestamp;
use simd_json::prelude::*;
pub use simd_json::tape::{Array, Object, Value};

/// A record parsed into a tape (the nodes, borrowing strings from the
/// record's own bytes, which simd-json unescapes in place).
pub type Tape<'i> = simd_json::tape::Tape<'i>;

/// Parses `bytes` (overwritten with unescaped strings) into a tape.
pub fn parse<'i>(
    bytes: &'i mut [u8],
    buffers: &mut simd_json::Buffers,
) -> simd_json::Result<Tape<'i>> {
    simd_json::to_tape_with_buffers(bytes, buffers)
}

/// A JSON value by what it is.
pub enum Node<'t, 'i> {
    /// `null`, or a value that is missing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number that fits an i64.
    Int(i64),
    /// A positive number past i64.
    UInt(u64),
    /// A number with a fraction or an exponent.
    Float(f64),
    /// A string, unescaped.
    Str(&'i str),
    /// An array.
    Array(Array<'t, 'i>),
    /// An object, its keys in document order.
    Object(Object<'t, 'i>),
}

/// What `v` is.
pub fn node<'t, 'i>(v: Value<'t, 'i>) -> Node<'t, 'i> {
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
pub fn str_of<'i>(v: Value<'_, 'i>) -> Option<&'i str> {
    v.into_string()
}

/// Whether `v` is `null`.
pub fn is_null(v: Value<'_, '_>) -> bool {
    v.as_null().is_some()
}

/// The value of `key` in `object`, when `v` is an object that has it.
pub fn get<'t, 'i>(v: Value<'t, 'i>, key: &str) -> Option<Value<'t, 'i>> {
    v.as_object()?.get(key)
}

/// `v` as compact JSON text.
pub fn encode(v: Value<'_, '_>) -> String {
    v.encode()
}

/// Short description of a JSON value for messages: its type and an escaped excerpt.
pub fn describe(v: Value<'_, '_>) -> String {
    match node(v) {
        Node::Str(s) => format!("string {}", excerpt(s.as_bytes(), 60)),
        Node::Bool(b) => format!("boolean {b}"),
        Node::Null => "null".into(),
        Node::Int(_) | Node::UInt(_) | Node::Float(_) => format!("number {}", encode(v)),
        Node::Array(_) => "an array".into(),
        Node::Object(_) => "an object".into(),
    }
}

/// Reads a timestamp from a string or a Windows PowerShell 5.1 DateTime wrapper
/// object (`{"value": "/Date(…)/", "DisplayHint": 2, "DateTime": "…"}`).
/// `None` means the value is not of a timestamp shape at all.
pub fn timestamp_of(value: Value<'_, '_>) -> Option<Result<i64, String>> {
    match node(value) {
        Node::Str(s) => Some(parse_timestamp(s).map_err(|e| e.0)),
        Node::Object(map) => {
            let inner = map.get("value").or_else(|| map.get("Value"))?;
            inner.as_str().map(|s| parse_timestamp(s).map_err(|e| e.0))
        }
        _ => None,
    }
}

/// Hash of a parsed value that ignores formatting and object key order, so the
/// same record written compactly, pretty-printed or re-encoded hashes equal.
/// foldhash with a fixed seed: the same value hashes the same in every run
/// (the hash is compared, never stored), at a fraction of SipHash's cost.
pub fn content_hash(value: Value<'_, '_>) -> u64 {
    type Hasher = foldhash::quality::FoldHasher<'static>;
    const STATE: foldhash::quality::FixedState = foldhash::quality::FixedState::with_seed(0);
    fn number(h: &mut Hasher, n: f64) {
        (2u8, n.to_bits()).hash(h);
    }
    fn walk(v: Value<'_, '_>, h: &mut Hasher) {
        match node(v) {
            Node::Null => 0u8.hash(h),
            Node::Bool(b) => (1u8, b).hash(h),
            Node::Int(n) => number(h, n as f64),
            Node::UInt(n) => number(h, n as f64),
            Node::Float(n) => number(h, n),
            Node::Str(s) => (3u8, s).hash(h),
            Node::Array(a) => {
                (4u8, a.len()).hash(h);
                for item in a.iter() {
                    walk(item, h);
                }
            }
            Node::Object(o) => {
                // Order-independent: sum the hashes of the entries.
                let mut sum: u64 = 0;
                for (k, item) in o.iter() {
                    let mut eh = STATE.build_hasher();
                    k.hash(&mut eh);
                    walk(item, &mut eh);
                    sum = sum.wrapping_add(eh.finish());
                }
                (5u8, o.len(), sum).hash(h);
            }
        }
    }
    let mut h = STATE.build_hasher();
    walk(value, &mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_ignores_formatting_and_key_order() {
        let mut a = br#"{"id":"1","status":{"errorCode":50126,"x":[1,2]}}"#.to_vec();
        let mut b =
            b"{\n  \"status\": {\"x\": [1, 2], \"errorCode\": 50126},\n  \"id\": \"\\u0031\"\n}"
                .to_vec();
        let mut c = br#"{"id":"1","status":{"errorCode":50053,"x":[1,2]}}"#.to_vec();
        let hash =
            |bytes: &mut Vec<u8>| content_hash(simd_json::to_tape(bytes).unwrap().as_value());
        let (ha, hb, hc) = (hash(&mut a), hash(&mut b), hash(&mut c));
        assert_eq!(ha, hb);
        assert_ne!(ha, hc);
    }
}
