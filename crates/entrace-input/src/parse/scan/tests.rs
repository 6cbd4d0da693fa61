use super::*;

fn records(s: &Scan, text: &str) -> Vec<String> {
    s.pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Record { start, end, .. } => Some(text[*start..*end].to_string()),
            _ => None,
        })
        .collect()
}

fn damaged(s: &Scan) -> Vec<(usize, Damage)> {
    s.pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Damaged { start, damage, .. } => Some((*start, *damage)),
            _ => None,
        })
        .collect()
}

#[test]
fn graph_page_with_context_after_value() {
    let text = r#"{"@odata.nextLink":"https://x/?$skiptoken=a\"b","value":[{"id":"a","s":"}]"},{"id":"b"}],"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns"}"#;
    let s = scan(text.as_bytes());
    assert_eq!(
        records(&s, text),
        [r#"{"id":"a","s":"}]"}"#, r#"{"id":"b"}"#]
    );
    assert_eq!(s.pages.len(), 1);
    assert_eq!(
        s.pages[0].context.as_deref(),
        Some("https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns")
    );
    assert_eq!(
        s.pages[0].next_link.as_deref(),
        Some("https://x/?$skiptoken=a\"b")
    );
    assert_eq!(s.shape(), "graph_page");
}

#[test]
fn json_lines_arrays_and_concatenation() {
    let jsonl = "{\"id\":1}\n{\"id\":2}\r\n\n{\"id\":3}\n";
    let s = scan(jsonl.as_bytes());
    assert_eq!(records(&s, jsonl).len(), 3);
    assert_eq!(s.shape(), "json_lines");

    let two_arrays = "[\n  {\"id\":1},\n  {\"id\":2}\n]\n[\n  {\"id\":3}\n]\n";
    let s = scan(two_arrays.as_bytes());
    assert_eq!(
        records(&s, two_arrays),
        ["{\"id\":1}", "{\"id\":2}", "{\"id\":3}"]
    );
    assert_eq!(s.shape(), "json_arrays_concatenated");
    assert!(damaged(&s).is_empty());
}

#[test]
fn truncated_page_keeps_the_records_before_the_cut() {
    let text = "{\"value\": [\n    {\"id\": \"1\"},\n    {\"id\": \"2\"},\n    {\"id\": \"3\", \"x\": {\"y\"";
    let s = scan(text.as_bytes());
    assert_eq!(records(&s, text).len(), 2);
    let start = text.find("{\"id\": \"3\"").unwrap();
    assert_eq!(damaged(&s), [(start, Damage::Truncated)]);
}

#[test]
fn unterminated_json_line_resyncs_on_the_next_line() {
    let text = "{\"id\":\"1\"}\n{\"id\":\"2\",\"t\":\"2025-03-\n{\"id\":\"3\"}\nnot json at all\n{\"id\":\"4\"}\n";
    let s = scan(text.as_bytes());
    assert_eq!(
        records(&s, text),
        ["{\"id\":\"1\"}", "{\"id\":\"3\"}", "{\"id\":\"4\"}"]
    );
    let bad_line = text.find("{\"id\":\"2\"").unwrap();
    let junk = text.find("not json").unwrap();
    assert_eq!(
        damaged(&s),
        [(bad_line, Damage::InvalidJson), (junk, Damage::InvalidJson)]
    );
}

#[test]
fn mismatched_bracket_in_a_pretty_page_resyncs_to_the_next_sibling() {
    let text = "{\n  \"value\": [\n    {\n      \"id\": \"1\"\n    },\n    {\n      \"id\": \"2\", \"a\": [}\n    },\n    {\n      \"id\": \"3\"\n    }\n  ]\n}\n";
    let s = scan(text.as_bytes());
    let recs = records(&s, text);
    assert_eq!(recs.len(), 2, "{recs:?}");
    assert!(recs[1].contains("\"3\""));
    assert_eq!(damaged(&s).len(), 1);
    // Leftover closers of the abandoned envelope are not reported as damage.
    assert_eq!(s.pieces.len(), 3);
}

#[test]
fn garbage_is_one_damaged_span_and_error_envelopes_are_recognised() {
    let text = "\u{1}\u{2}PK garbage\nmore garbage\n";
    let s = scan(text.as_bytes());
    assert_eq!(damaged(&s), [(0, Damage::InvalidJson)]);
    let err = r#"{"error":{"code":"Authentication_RequestFromNonPremiumTenantOrB2CTenant","message":"x"}}"#;
    let s = scan(err.as_bytes());
    assert!(matches!(s.pieces[..], [Piece::GraphError { start: 0, .. }]));
    assert_eq!(s.shape(), "graph_error");
}

#[test]
fn invalid_grammar_inside_a_balanced_record_is_left_to_the_parser() {
    let text = r#"[{"id":"1","isInteractive": tru,"a":[1,]},{"id":"2"}]"#;
    let s = scan(text.as_bytes());
    assert_eq!(records(&s, text).len(), 2);
    assert!(damaged(&s).is_empty());
}

#[test]
fn arbitrary_bytes_never_panic_and_spans_are_ordered() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for len in 0..400 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let alphabet = b"{}[]\",:\\\n ab1";
                alphabet[(seed % alphabet.len() as u64) as usize]
            })
            .collect();
        let s = scan(&bytes);
        let mut last = 0;
        for p in &s.pieces {
            let (start, end) = match p {
                Piece::Record { start, end, .. }
                | Piece::Damaged { start, end, .. }
                | Piece::GraphError { start, end } => (*start, *end),
            };
            assert!(
                start >= last && end >= start && end <= bytes.len(),
                "{bytes:?}"
            );
            last = end;
        }
    }
}

#[test]
fn nesting_past_max_depth_is_damage_and_the_next_record_survives() {
    // The record's own brace is level 1.
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
    let text = format!("{{\"id\":1,\"x\":{deep}}}\n{{\"id\":2,\"x\":{ok}}}\n");
    let s = scan(text.as_bytes());
    assert_eq!(damaged(&s), [(0, Damage::TooDeep)]);
    assert_eq!(records(&s, &text), [format!("{{\"id\":2,\"x\":{ok}}}")]);
    let Piece::Damaged {
        message, end, at, ..
    } = &s.pieces[0]
    else {
        panic!("{:?}", s.pieces[0]);
    };
    assert_eq!(message, "arrays and objects nested deeper than 128 levels");
    assert_eq!(*at, Some(12 + MAX_DEPTH - 1));
    assert_eq!(*end, text.find('\n').unwrap());
}

#[test]
fn a_cut_json_line_never_swallows_the_records_after_it() {
    // The cut value continues into the next line, which parses as its value.
    let text = "{\"id\":\"a\",\"t\":\n{\"id\":\"b\"}\n{\"id\":\"c\"}\n";
    let s = scan(text.as_bytes());
    assert_eq!(records(&s, text), ["{\"id\":\"b\"}", "{\"id\":\"c\"}"]);
    assert_eq!(damaged(&s), [(0, Damage::InvalidJson)]);

    // An array opened and never closed used to run to the end of the input.
    let text = "{\"id\":\"a\",\"l\":[\n{\"id\":\"b\"}\n{\"id\":\"c\"}\n";
    let s = scan(text.as_bytes());
    assert_eq!(records(&s, text), ["{\"id\":\"b\"}", "{\"id\":\"c\"}"]);
    assert_eq!(damaged(&s), [(0, Damage::Truncated)]);
}
