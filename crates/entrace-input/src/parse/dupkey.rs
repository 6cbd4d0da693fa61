//! Duplicate keys in one JSON object.
//!
//! RFC 8259 leaves the meaning of a repeated key to the reader, and readers
//! disagree (first wins, last wins). simd-json keeps both copies, and once an
//! object has more than 32 keys its iteration order follows a hash with a
//! random seed, so which copy filled the typed column changed from run to run.
//! entrace therefore rejects a record with a repeated key instead of picking one.

use crate::json::{node, Node, Value};

/// Path of the first key that appears twice in one object of `value`
/// (`userPrincipalName`, `status.errorCode`, `authenticationDetails[1].method`),
/// or `None` when every object has unique keys. Keys are visited in sorted
/// order and arrays in document order, so the answer never depends on the
/// order a hash map happens to iterate in.
///
/// Recursion is bounded: the scanner never hands over a record nested deeper
/// than `scan::MAX_DEPTH`.
pub fn first_duplicate(value: Value<'_, '_>) -> Option<String> {
    let nested = |v: &Value<'_, '_>| matches!(node(*v), Node::Object(_) | Node::Array(_));
    match node(value) {
        Node::Object(map) => {
            let mut entries: Vec<(&str, Value<'_, '_>)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
                return Some(w[0].0.to_string());
            }
            entries
                .into_iter()
                .filter(|(_, v)| nested(v))
                .find_map(|(k, v)| first_duplicate(v).map(|inner| format!("{k}{}", dot(&inner))))
        }
        Node::Array(items) => items
            .iter()
            .enumerate()
            .filter(|(_, v)| nested(v))
            .find_map(|(i, v)| first_duplicate(v).map(|inner| format!("[{i}]{}", dot(&inner)))),
        _ => None,
    }
}

/// `inner` as the tail of a path: `.key` or `[n]…`.
fn dot(inner: &str) -> String {
    if inner.starts_with('[') {
        inner.to_string()
    } else {
        format!(".{inner}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dup(json: &str) -> Option<String> {
        let mut bytes = json.as_bytes().to_vec();
        let tape = simd_json::to_tape(&mut bytes).unwrap();
        first_duplicate(tape.as_value())
    }

    #[test]
    fn finds_repeated_keys_at_any_depth_with_their_path() {
        assert_eq!(dup(r#"{"id":"a","x":1}"#), None);
        assert_eq!(dup(r#"{"id":"a","id":"b"}"#).as_deref(), Some("id"));
        assert_eq!(
            dup(r#"{"status":{"errorCode":1,"errorCode":2}}"#).as_deref(),
            Some("status.errorCode")
        );
        assert_eq!(
            dup(r#"{"a":[{"m":1},{"m":1,"m":1}]}"#).as_deref(),
            Some("a[1].m")
        );
        assert_eq!(dup(r#"[[{"k":1,"k":2}]]"#).as_deref(), Some("[0][0].k"));
        // Letter case differs: not the same key.
        assert_eq!(dup(r#"{"id":"a","Id":"b"}"#), None);
    }

    #[test]
    fn large_objects_give_the_same_answer_every_time() {
        let keys: String = (0..40)
            .map(|i| format!("\"k{i}\":{{\"z\":1,\"z\":2}},"))
            .collect();
        let json = format!("{{{keys}\"id\":\"a\"}}");
        for _ in 0..20 {
            assert_eq!(dup(&json).as_deref(), Some("k0.z"));
        }
    }
}
