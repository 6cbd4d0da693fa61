//! Walks one parsed JSON record along an [`ObjectPlan`] and pushes exactly one
//! value (or null) into every column.
//!
//! A present-but-wrong value never silently becomes null: the cell is left null
//! and an issue naming the Graph path, what was expected and what was found is
//! recorded for the row's `ingest_issues`. Keys the plan does not know are
//! counted as schema drift (the record text in `ingest_raw` still has them).

use std::collections::BTreeMap;

use entrace_input::json::{describe, encode, is_null, node, timestamp_of, Node, Value};
use simd_json::prelude::*;

use super::column::Column;
use super::layout::ObjectPlan;
use entrace_model::text::excerpt;
use entrace_model::Kind;

/// Per-record problems and per-table drift counts collected while filling.
pub(crate) struct FillCtx<'a> {
    /// Problems of the current record, one message each.
    pub(crate) issues: Vec<String>,
    /// Unknown keys by dotted Graph path, counted over the table.
    pub(crate) drift: &'a mut BTreeMap<String, u64>,
}

impl FillCtx<'_> {
    fn issue(&mut self, path: &str, expected: &str, found: Value<'_, '_>) {
        self.issues.push(format!(
            "{path}: expected {expected}, found {}",
            describe(found)
        ));
    }
}

/// Fills the flattened `cols` of one object level from `obj` (absent = all null).
pub(crate) fn fill_object(
    plan: &ObjectPlan,
    obj: Option<Value<'_, '_>>,
    cols: &mut [(String, Column)],
    ctx: &mut FillCtx<'_>,
) {
    let mut seen: u128 = 0;
    if let Some(Node::Object(map)) = obj.map(node) {
        // Graph writes keys in the order the fields are declared: try the
        // field after the last one first, and hash only when that misses.
        let mut next = 0;
        for (key, value) in map.iter() {
            let Some(i) = plan.field_index_after(key, next) else {
                if !key.starts_with('@') {
                    *ctx.drift
                        .entry(format!("{}{key}", plan.prefix))
                        .or_default() += 1;
                }
                continue;
            };
            if seen & (1u128 << i) != 0 {
                ctx.issues.push(format!(
                    "{}: key given twice (in another letter case); first kept",
                    plan.paths[i]
                ));
                continue;
            }
            seen |= 1u128 << i;
            next = i + 1;
            let range = plan.start[i]..plan.start[i] + plan.width[i];
            fill_field(plan, i, value, &mut cols[range], ctx);
        }
    }
    for i in 0..plan.fields.len() {
        if seen & (1u128 << i) == 0 {
            for (_, col) in &mut cols[plan.start[i]..plan.start[i] + plan.width[i]] {
                col.push_null();
            }
        }
    }
}

fn fill_field(
    plan: &ObjectPlan,
    i: usize,
    value: Value<'_, '_>,
    cols: &mut [(String, Column)],
    ctx: &mut FillCtx<'_>,
) {
    let path = &plan.paths[i];
    let null = is_null(value);
    match plan.fields[i].kind {
        Kind::Object(_) => {
            let sub = plan.children[i].as_ref();
            match (node(value), sub) {
                (Node::Object(_), Some(sub)) => fill_object(sub, Some(value), cols, ctx),
                _ => {
                    if !null {
                        ctx.issue(path, "an object", value);
                    }
                    cols.iter_mut().for_each(|(_, c)| c.push_null());
                }
            }
        }
        Kind::KeyValueJsonString => {
            let [(_, text), (_, parsed)] = cols else {
                return;
            };
            fill_leaf(Kind::Str, value, text, path, ctx);
            match node(value) {
                Node::Str(s) => fill_key_values(s, parsed, path, ctx),
                _ => parsed.push_null(),
            }
        }
        Kind::ObjectList(_) => {
            let (Some(elem_plan), [(_, col)]) = (plan.children[i].as_ref(), cols) else {
                return;
            };
            fill_object_list(elem_plan, value, col, path, ctx);
        }
        kind => {
            if let [(_, col)] = cols {
                fill_leaf(kind, value, col, path, ctx);
            }
        }
    }
}

fn fill_object_list(
    plan: &ObjectPlan,
    value: Value<'_, '_>,
    col: &mut Column,
    path: &str,
    ctx: &mut FillCtx<'_>,
) {
    let Column::List(list) = col else { return };
    let Node::Array(items) = node(value) else {
        if !is_null(value) {
            ctx.issue(path, "an array of objects", value);
        }
        col.push_null();
        return;
    };
    if let Column::Struct(st) = &mut list.child {
        for item in items.iter() {
            if matches!(node(item), Node::Object(_)) {
                fill_object(plan, Some(item), &mut st.fields, ctx);
                st.close();
            } else {
                ctx.issue(&format!("{path}[]"), "an object", item);
                st.push_null();
            }
        }
    }
    list.close();
}

fn fill_key_values(text: &str, col: &mut Column, path: &str, ctx: &mut FillCtx<'_>) {
    let Column::List(list) = col else { return };
    let parsed: Result<Vec<serde_json::Map<String, serde_json::Value>>, _> =
        serde_json::from_str(text);
    let Ok(pairs) = parsed else {
        ctx.issues.push(format!(
            "{path}: expected a JSON-encoded array of {{Key, Value}} objects, found {}",
            excerpt(text.as_bytes(), 60)
        ));
        col.push_null();
        return;
    };
    if let Column::Struct(st) = &mut list.child {
        for pair in &pairs {
            let get = |k: &str| pair.get(k).or_else(|| pair.get(&k.to_ascii_lowercase()));
            for (j, name) in ["Key", "Value"].iter().enumerate() {
                if let Some((_, Column::Str(out))) = st.fields.get_mut(j) {
                    match get(name) {
                        None | Some(serde_json::Value::Null) => out.push_null(),
                        Some(serde_json::Value::String(s)) => out.push(Some(s.as_str())),
                        Some(other) => out.push(Some(other.to_string())),
                    }
                }
            }
            st.close();
        }
    }
    list.close();
}

/// Pushes one scalar or string list value, or null plus an issue when the type is wrong.
fn fill_leaf(
    kind: Kind,
    value: Value<'_, '_>,
    col: &mut Column,
    path: &str,
    ctx: &mut FillCtx<'_>,
) {
    if is_null(value) {
        col.push_null();
        return;
    }
    match push_leaf(kind, value, col) {
        Ok(()) => {}
        Err(expected) => {
            col.push_null();
            match timestamp_of(value) {
                Some(Err(why)) if matches!(kind, Kind::Timestamp) => ctx.issues.push(format!(
                    "{path}: invalid timestamp: {why}, found {}",
                    describe(value)
                )),
                _ => ctx.issue(path, expected, value),
            }
        }
    }
}

/// Pushes a converted value; on failure pushes nothing and says what was expected.
fn push_leaf(kind: Kind, value: Value<'_, '_>, col: &mut Column) -> Result<(), &'static str> {
    let is = node(value);
    match (kind, col) {
        (Kind::Str, Column::Str(out)) => match is {
            Node::Str(s) => out.push(Some(s)),
            Node::Array(_) | Node::Object(_) => return Err("a string"),
            _ => out.push(Some(encode(value))),
        },
        (Kind::Json, Column::Str(out)) => out.push(Some(encode(value))),
        (Kind::Int32, Column::I32(out)) => {
            let n = as_i64(value).and_then(|n| i32::try_from(n).ok());
            out.push(Some(n.ok_or("a 32-bit integer")?));
        }
        (Kind::Float64, Column::F64(out)) => {
            let n = match is {
                Node::Int(n) => Some(n as f64),
                Node::UInt(n) => Some(n as f64),
                Node::Float(n) => Some(n),
                Node::Str(s) => s.trim().parse().ok(),
                _ => None,
            };
            out.push(Some(n.ok_or("a number")?));
        }
        (Kind::Bool, Column::Bool(out)) => {
            let b = match is {
                Node::Bool(b) => Some(b),
                Node::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
                Node::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
                _ => None,
            };
            out.push(Some(b.ok_or("a boolean")?));
        }
        (Kind::Timestamp, Column::Time(out)) => {
            let ns = timestamp_of(value).and_then(Result::ok);
            out.push(Some(ns.ok_or("a timestamp string")?));
        }
        (Kind::StrList, Column::List(list)) => {
            let Node::Array(items) = is else {
                return Err("an array of strings");
            };
            if let Column::Str(out) = &mut list.child {
                for item in items.iter() {
                    match node(item) {
                        Node::Str(s) => out.push(Some(s)),
                        Node::Null => out.push_null(),
                        _ => out.push(Some(encode(item))),
                    }
                }
            }
            list.close();
        }
        _ => return Err("a value of the declared type"),
    }
    Ok(())
}

fn as_i64(value: Value<'_, '_>) -> Option<i64> {
    match node(value) {
        Node::Int(n) => Some(n),
        Node::UInt(n) => i64::try_from(n).ok(),
        Node::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
        Node::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}
