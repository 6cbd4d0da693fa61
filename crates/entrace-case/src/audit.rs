//! What a directory audit means, read once for every reader: the timeline's
//! labels and the audit detections (ENT-016…021) compare activity names and
//! read modified properties through here, so a label and a finding never
//! read the same row differently.
//!
//! Activity names are display strings whose case, spacing and dashes vary
//! between services ("Update application – Certificates and secrets
//! management" with an en dash in real data, a hyphen in the docs), so they
//! are compared after [`activity_key`]. Modified-property values are the
//! JSON-encoded strings Graph writes (`"\"Global Administrator\""`,
//! `["a","b"]`), decoded by [`values`].

use crate::records::{Audit, Target};

/// An activity name lower-cased, trimmed, with every dash (U+2010…U+2015)
/// made '-' and runs of white space made one space.
pub fn activity_key(activity: &str) -> String {
    activity
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| match c {
            '\u{2010}'..='\u{2015}' => '-',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
}

/// The activity of an audit as an [`activity_key`].
pub fn activity(a: &Audit) -> String {
    activity_key(a.activity.as_deref().unwrap_or(""))
}

/// Whether an audit's result is success (`success` in any case, or the `0`
/// one Azure Monitor sample writes).
pub fn succeeded(a: &Audit) -> bool {
    a.result
        .as_deref()
        .map(str::trim)
        .is_some_and(|r| r.eq_ignore_ascii_case("success") || r == "0")
}

/// The strings in a modified-property value: a JSON string gives itself, an
/// array its elements (non-strings as JSON), `null` and `[]` nothing; a value
/// that is not JSON is kept as it is, quotes trimmed.
pub fn values(raw: &str) -> Vec<String> {
    fn flatten(v: serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Null => {}
            serde_json::Value::String(s) => out.push(s),
            serde_json::Value::Array(items) => {
                for item in items {
                    flatten(item, out);
                }
            }
            other => out.push(other.to_string()),
        }
    }
    let raw = raw.trim();
    if raw.is_empty() {
        return Vec::new();
    }
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(v) => {
            let mut out = Vec::new();
            flatten(v, &mut out);
            out
        }
        Err(_) => vec![raw.trim_matches('"').to_owned()],
    }
}

/// The raw (old, new) values of the modified property `name` (any case).
pub fn property<'t>(t: &'t Target, name: &str) -> Option<(Option<&'t str>, Option<&'t str>)> {
    t.modified.iter().find_map(|(n, old, new)| {
        n.as_deref()
            .is_some_and(|n| n.trim().eq_ignore_ascii_case(name))
            .then_some((old.as_deref(), new.as_deref()))
    })
}

/// The first decoded new value of property `name` on any target, else the
/// first old one (removals have only an old value).
pub fn property_text(a: &Audit, name: &str) -> Option<String> {
    a.targets.iter().find_map(|t| target_property(t, name))
}

/// The first decoded value of property `name` on `target`: the new value,
/// else the old one (removals only have an old value).
pub fn target_property(target: &Target, name: &str) -> Option<String> {
    let (old, new) = property(target, name)?;
    let first = |raw: Option<&str>| {
        raw.map(values)
            .and_then(|v| v.into_iter().find(|s| !s.trim().is_empty()))
    };
    first(new).or_else(|| first(old))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_keys_ignore_case_dashes_and_spacing() {
        assert_eq!(
            activity_key("Update application \u{2013} Certificates and  secrets management "),
            "update application - certificates and secrets management"
        );
        assert_eq!(activity_key("Add Member To Role"), "add member to role");
    }

    #[test]
    fn values_decode_graph_json_strings() {
        assert_eq!(values("\"Global Administrator\""), ["Global Administrator"]);
        assert_eq!(values("\"Tokyo \\\"HQ\\\"\""), ["Tokyo \"HQ\""]);
        assert_eq!(values("[\"a\",\"b\"]"), ["a", "b"]);
        assert_eq!(values("[true]"), ["true"]);
        assert!(values("[]").is_empty());
        assert!(values("null").is_empty());
        assert_eq!(values("True"), ["True"]);
    }
}
