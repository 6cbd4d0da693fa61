//! Property tests of the scanner and parser: arbitrary bytes never panic, and
//! a file scanned whole gives the same records as its parts scanned one by one.

use proptest::prelude::*;

use super::scan::{scan, Piece};
use crate::encoding::decode;

/// Spans of every piece, checked to be in bounds, ordered and disjoint.
fn spans(text: &[u8]) -> Vec<(usize, usize, bool)> {
    let s = scan(text);
    let mut last = 0;
    s.pieces
        .iter()
        .map(|p| {
            let (start, end, record) = match p {
                Piece::Record { start, end, .. } => (*start, *end, true),
                Piece::Damaged { start, end, .. } | Piece::GraphError { start, end } => {
                    (*start, *end, false)
                }
            };
            assert!(last <= start && start <= end && end <= text.len(), "{p:?}");
            last = end;
            (start, end, record)
        })
        .collect()
}

fn records(text: &[u8]) -> Vec<Vec<u8>> {
    spans(text)
        .into_iter()
        .filter(|s| s.2)
        .map(|(a, b, _)| text[a..b].to_vec())
        .collect()
}

/// A JSON record with awkward strings: quotes, brackets, backslashes,
/// newlines escaped, non-ASCII; nested one level.
fn record() -> impl Strategy<Value = String> {
    let text = || proptest::string::string_regex("[a-z\"\\\\{}\\[\\],:\n\t é😀]{0,12}").unwrap();
    (
        proptest::collection::vec(("[a-zA-Z@.]{1,8}", text()), 0..5),
        text(),
        any::<i32>(),
    )
        .prop_map(|(fields, s, n)| {
            let mut map = serde_json::Map::new();
            for (k, v) in fields {
                map.insert(k, serde_json::Value::String(v));
            }
            map.insert("id".into(), s.clone().into());
            map.insert("nested".into(), serde_json::json!({"a": [s, n], "b": {}}));
            serde_json::to_string(&serde_json::Value::Object(map)).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        spans(&bytes);
        let decoded = decode(&bytes);
        let (parsed, _) = super::parse_leaf(&decoded);
        for r in &parsed.rejects {
            let offset = r.locator.offset.unwrap_or(0);
            prop_assert!(offset <= bytes.len() as u64, "{r:?}");
        }
    }

    #[test]
    fn json_like_bytes_never_panic(parts in proptest::collection::vec(
        prop_oneof![
            Just("{".to_string()), Just("}".to_string()), Just("[".to_string()),
            Just("]".to_string()), Just("\"".to_string()), Just("\\".to_string()),
            Just(",".to_string()), Just(":".to_string()), Just("\n".to_string()),
            Just("\"value\":".to_string()), Just("\"@odata.context\":".to_string()),
            Just("\"id\":\"a\"".to_string()), Just("\\ud800".to_string()),
            Just("\"createdDateTime\":\"2025-03-17T15:42:32Z\"".to_string()),
            Just("\0".to_string()), Just("1e400".to_string()), Just(" ".to_string()),
        ],
        0..64,
    )) {
        let text = parts.concat();
        spans(text.as_bytes());
        let decoded = decode(text.as_bytes());
        super::parse_leaf(&decoded);
    }

    #[test]
    fn whole_file_and_parts_scan_to_the_same_records(
        recs in proptest::collection::vec(record(), 0..8),
        crlf in any::<bool>(),
    ) {
        let expected: Vec<Vec<u8>> = recs.iter().map(|r| r.as_bytes().to_vec()).collect();
        let nl = if crlf { "\r\n" } else { "\n" };
        // JSON Lines: the whole file, and each line on its own.
        let jsonl: String = recs.iter().map(|r| format!("{r}{nl}")).collect();
        prop_assert_eq!(records(jsonl.as_bytes()), expected.clone());
        let parts: Vec<Vec<u8>> = recs.iter().flat_map(|r| records(r.as_bytes())).collect();
        prop_assert_eq!(parts, expected.clone());
        // The same records as a pretty-printed array and as a Graph page.
        let array = format!("[{nl}  {}{nl}]{nl}", recs.join(&format!(",{nl}  ")));
        prop_assert_eq!(records(array.as_bytes()), expected.clone());
        let page = format!(
            "{{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns\",\"value\":[{}]}}",
            recs.join(",")
        );
        prop_assert_eq!(records(page.as_bytes()), expected);
    }
}
