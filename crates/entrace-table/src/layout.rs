//! From an entity's [`Field`] tree to its column layout and key lookup tables.
//!
//! Objects are flattened into `parent_child` columns; collections of objects
//! become `list<struct>` columns whose struct is laid out the same way, so the
//! rule "objects flatten, lists stay lists" holds at every depth.
//!
//! Invariants: the columns produced by [`build_columns`] and the offsets in
//! [`ObjectPlan`] describe the same order; `fill` relies on it.

use std::collections::HashMap;

use polars_arrow::array::{MutableBooleanArray, MutablePrimitiveArray};

use super::column::{ns_companion, Column, NS_TYPE, TIMESTAMP_TYPE};
use entrace_model::{snake_case, Field, Kind};

/// Lookup and layout of one JSON object level.
pub(crate) struct ObjectPlan {
    /// The fields at this level, in column order.
    pub(crate) fields: &'static [Field],
    /// JSON key → field index. Holds the exact name and its PascalCase form
    /// (as .NET serialisers write it); any other case difference is an unknown key.
    lookup: HashMap<String, usize, foldhash::fast::FixedState>,
    /// Column offset of each field within this level's flattened columns.
    pub(crate) start: Vec<usize>,
    /// Number of flattened columns each field occupies.
    pub(crate) width: Vec<usize>,
    /// Plans of nested objects (`Object`) and list elements (`ObjectList`).
    pub(crate) children: Vec<Option<ObjectPlan>>,
    /// Dotted Graph path of each field, for issue messages and drift counts.
    pub(crate) paths: Vec<String>,
    /// Dotted Graph path of this level with a trailing `.`, empty at the top.
    pub(crate) prefix: String,
}

impl ObjectPlan {
    /// Builds the plan of `fields`, whose Graph paths start with `prefix`.
    pub(crate) fn new(fields: &'static [Field], prefix: &str) -> Self {
        let mut lookup = HashMap::with_hasher(foldhash::fast::FixedState::default());
        let mut start = Vec::with_capacity(fields.len());
        let mut width = Vec::with_capacity(fields.len());
        let mut children = Vec::with_capacity(fields.len());
        let mut paths = Vec::with_capacity(fields.len());
        let mut next = 0;
        for (i, field) in fields.iter().enumerate() {
            lookup.insert(field.name.to_string(), i);
            lookup.entry(pascal_case(field.name)).or_insert(i);
            let path = format!("{prefix}{}", field.name);
            let w = column_width(field);
            start.push(next);
            width.push(w);
            next += w;
            children.push(match field.kind {
                Kind::Object(sub) | Kind::ObjectList(sub) => {
                    Some(ObjectPlan::new(sub, &format!("{path}.")))
                }
                _ => None,
            });
            paths.push(path);
        }
        ObjectPlan {
            fields,
            lookup,
            start,
            width,
            children,
            paths,
            prefix: prefix.to_string(),
        }
    }

    /// Index of the field a JSON key belongs to.
    pub(crate) fn field_index(&self, key: &str) -> Option<usize> {
        self.lookup.get(key).copied()
    }

    /// [`Self::field_index`], trying field `guess` first.
    pub(crate) fn field_index_after(&self, key: &str, guess: usize) -> Option<usize> {
        match self.fields.get(guess) {
            Some(f) if f.name == key => Some(guess),
            _ => self.field_index(key),
        }
    }
}

fn pascal_case(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Number of flattened columns a field occupies at its level.
pub(crate) fn column_width(field: &Field) -> usize {
    match field.kind {
        Kind::Object(sub) => sub.iter().map(column_width).sum(),
        Kind::KeyValueJsonString => 2,
        _ => 1,
    }
}

/// Appends the empty columns of `fields` to `out`, names prefixed with `prefix`.
pub(crate) fn build_columns(fields: &[Field], prefix: &str, out: &mut Vec<(String, Column)>) {
    for field in fields {
        let name = format!("{prefix}{}", snake_case(field.name));
        match field.kind {
            Kind::Object(sub) => build_columns(sub, &format!("{name}_"), out),
            Kind::KeyValueJsonString => {
                out.push((format!("{name}_parsed"), key_value_list()));
                out.push((name, Column::str()));
                let n = out.len();
                out.swap(n - 2, n - 1);
            }
            kind => out.push((name, leaf_column(kind))),
        }
    }
}

/// The column of a non-object kind.
fn leaf_column(kind: Kind) -> Column {
    match kind {
        Kind::Str | Kind::Json => Column::str(),
        Kind::Int32 => Column::I32(MutablePrimitiveArray::new()),
        Kind::Float64 => Column::F64(MutablePrimitiveArray::new()),
        Kind::Bool => Column::Bool(MutableBooleanArray::new()),
        Kind::Timestamp => Column::Time(MutablePrimitiveArray::new()),
        Kind::StrList => Column::list(Column::str()),
        Kind::ObjectList(sub) => {
            let mut fields = Vec::new();
            build_columns(sub, "", &mut fields);
            Column::list(Column::structure(fields))
        }
        // Objects and key/value strings are expanded by `build_columns`.
        Kind::Object(_) | Kind::KeyValueJsonString => Column::str(),
    }
}

/// list<struct{key, value}>, the parsed form of a key/value JSON string.
pub(crate) fn key_value_list() -> Column {
    Column::list(Column::structure(vec![
        ("key".to_string(), Column::str()),
        ("value".to_string(), Column::str()),
    ]))
}

/// Human-readable type of a field's column(s), for `entrace schema`.
pub(crate) fn type_name(kind: Kind) -> String {
    match kind {
        Kind::Str => "string".into(),
        Kind::Json => "string (JSON)".into(),
        Kind::Int32 => "int32".into(),
        Kind::Float64 => "float64".into(),
        Kind::Bool => "bool".into(),
        Kind::Timestamp => TIMESTAMP_TYPE.into(),
        Kind::StrList => "list<string>".into(),
        Kind::KeyValueJsonString => "string".into(),
        Kind::ObjectList(sub) => {
            let mut cols = Vec::new();
            struct_members(sub, "", &mut cols);
            format!("list<struct<{}>>", cols.join(", "))
        }
        Kind::Object(_) => "struct".into(),
    }
}

fn struct_members(fields: &[Field], prefix: &str, out: &mut Vec<String>) {
    for field in fields {
        let name = format!("{prefix}{}", snake_case(field.name));
        match field.kind {
            Kind::Object(sub) => struct_members(sub, &format!("{name}_"), out),
            Kind::Timestamp => {
                out.push(format!("{name}: {TIMESTAMP_TYPE}"));
                out.push(format!("{}: {NS_TYPE}", ns_companion(&name)));
            }
            kind => out.push(format!("{name}: {}", type_name(kind))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entrace_model::EntityKind;

    #[test]
    fn plan_offsets_match_the_built_columns() {
        for kind in EntityKind::ALL {
            let spec = kind.spec();
            let plan = ObjectPlan::new(spec.fields, "");
            let mut cols = Vec::new();
            build_columns(spec.fields, "", &mut cols);
            let total: usize = plan.width.iter().sum();
            assert_eq!(total, cols.len(), "{kind}");
            assert!(spec.fields.len() <= 128, "fill tracks seen keys in a u128");
        }
    }

    #[test]
    fn nested_objects_flatten_with_underscores() {
        let mut cols = Vec::new();
        build_columns(EntityKind::SignIn.spec().fields, "", &mut cols);
        let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
        for expected in [
            "status_error_code",
            "location_geo_coordinates_latitude",
            "risk_event_types_v2",
            "applied_conditional_access_policies",
            "device_detail_is_compliant",
        ] {
            assert!(names.contains(&expected), "{expected}");
        }
        let plan = ObjectPlan::new(EntityKind::DirectoryAudit.spec().fields, "");
        let targets = plan.field_index("targetResources").unwrap();
        let elem = plan.children[targets].as_ref().unwrap();
        assert_eq!(elem.field_index("Type"), elem.field_index("type"));
        let signin = ObjectPlan::new(EntityKind::SignIn.spec().fields, "");
        assert!(signin.field_index("riskLevelDuringsignIn").is_none());
    }
}
