//! Hostile values inside records: NUL bytes, invalid UTF-8, lone UTF-16
//! surrogates (escaped and in UTF-16 files), duplicate keys, numbers out of
//! range and timestamps in the wrong format or zone. Each line of the input
//! is one case; rejects are compared in byte order with their exact messages.

use std::path::Path;

use crate::util::*;

fn signin(id: &str, extra: &str) -> String {
    format!(r#"{{"id":"{id}","createdDateTime":"2025-03-17T15:42:32Z","userId":"u1"{extra}}}"#)
}

fn with_time(id: &str, time: &str) -> String {
    format!(r#"{{"id":"{id}","createdDateTime":{time},"userId":"u1"}}"#)
}

/// `line` with every `#` replaced by `byte`.
fn swap(line: String, byte: u8) -> Vec<u8> {
    line.bytes()
        .map(|b| if b == b'#' { byte } else { b })
        .collect()
}

/// (byte offset, reason, message) of every reject, in byte order.
fn rejects(out: &Path) -> Vec<(i64, String, String)> {
    let r = read_table(out, "rejects");
    let offsets = ints(&r, "byte_offset");
    let reasons = strs(&r, "reason");
    let messages = strs(&r, "message");
    let mut v: Vec<_> = (0..r.height())
        .map(|i| {
            (
                offsets[i].unwrap(),
                reasons[i].clone().unwrap(),
                messages[i].clone().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Converts one file; checks exit code 1 and that the manifest reconciles.
fn convert_one(w: &Workdir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = w.dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let (code, out, stderr) = w.convert("out", &[path], &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_reconciles(&manifest(&out));
    out
}

#[test]
fn nul_bytes_bad_utf8_surrogates_and_duplicate_keys() {
    let w = Workdir::new();
    let forty: String = (0..40).map(|i| format!(",\"extra{i}\":{i}")).collect();
    let lines: Vec<Vec<u8>> = vec![
        swap(signin("raw#nul", ""), 0),
        b"\0\0\0".to_vec(),
        signin("escaped-nul", r#","userDisplayName":"a\u0000b""#).into_bytes(),
        swap(signin("bad-utf8", r#","userDisplayName":"a#""#), 0xFF),
        signin("lone-high", r#","userDisplayName":"x\ud800y""#).into_bytes(),
        signin("lone-low", r#","userDisplayName":"x\udc00""#).into_bytes(),
        signin("pair", r#","userDisplayName":"\ud83d\ude00""#).into_bytes(),
        signin("dup-a", r#","id":"dup-b""#).into_bytes(),
        signin(
            "dup-nested",
            r#","status":{"errorCode":0,"errorCode":50126}"#,
        )
        .into_bytes(),
        signin(
            "dup-40",
            &format!("{forty},\"userPrincipalName\":\"a@x\",\"userPrincipalName\":\"b@x\""),
        )
        .into_bytes(),
    ];
    let mut text = Vec::new();
    let mut starts = Vec::new();
    for l in &lines {
        starts.push(text.len() as i64);
        text.extend_from_slice(l);
        text.push(b'\n');
    }
    let out = convert_one(&w, "values.jsonl", &text);
    let at = |line: usize, needle: &[u8]| {
        let l = &lines[line];
        starts[line] + l.windows(needle.len()).position(|x| x == needle).unwrap() as i64
    };
    let m = manifest(&out);
    assert_eq!(m["totals"]["read"], 10);
    assert_eq!(m["totals"]["written"], 2);
    assert_eq!(m["totals"]["rejected"], 8);
    let dup = |key: &str| {
        format!("duplicate key: \"{key}\" appears twice in one object; readers disagree which copy counts, so the record is not tabled")
    };
    let expected = vec![
        (starts[0], "invalid_json", format!("invalid JSON: control character (\\u0000-\\u001F) found while parsing a string (at byte {})", at(0, b"\0"))),
        (starts[1], "invalid_json", "expected '{' or '[' at the start of a JSON text, found byte 0x00".to_string()),
        (starts[3], "invalid_encoding", format!("invalid UTF-8: byte 0xff cannot start or continue a character (at byte {})", at(3, b"\xFF"))),
        (starts[4], "invalid_encoding", format!("lone UTF-16 surrogate: \\ud800 is not followed by a low surrogate \\udc00-\\udfff, so it names no character (at byte {})", at(4, b"\\ud800"))),
        (starts[5], "invalid_encoding", format!("lone UTF-16 surrogate: \\udc00 is a low surrogate without a high surrogate \\ud800-\\udbff before it, so it names no character (at byte {})", at(5, b"\\udc00"))),
        (starts[7], "invalid_json", dup("id")),
        (starts[8], "invalid_json", dup("status.errorCode")),
        (starts[9], "invalid_json", dup("userPrincipalName")),
    ];
    let expected: Vec<(i64, String, String)> = expected
        .into_iter()
        .map(|(o, r, m)| (o, r.to_string(), m))
        .collect();
    assert_eq!(rejects(&out), expected);
    let signins = read_table(&out, "signins");
    assert_eq!(
        strs(&signins, "user_display_name"),
        [Some("a\0b".to_string()), Some("😀".to_string())]
    );
}

#[test]
fn lone_surrogate_in_a_utf16_file_is_counted_and_the_record_kept() {
    let w = Workdir::new();
    let text = format!("{}\n", signin("u16", r#","userDisplayName":"x?y""#));
    let mut bytes = vec![0xFF, 0xFE];
    let mut unit_at = 0;
    for (i, unit) in text.encode_utf16().enumerate() {
        let unit = if unit == u16::from(b'?') {
            unit_at = 2 + 2 * i as i64;
            0xD800
        } else {
            unit
        };
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let out = convert_one(&w, "utf16.json", &bytes);
    assert_eq!(
        rejects(&out),
        [(
            unit_at,
            "invalid_encoding".to_string(),
            "invalid UTF-16 code unit (unpaired surrogate or odd length); replaced by U+FFFD in the record".to_string()
        )]
    );
    let signins = read_table(&out, "signins");
    assert_eq!(
        strs(&signins, "user_display_name"),
        [Some("x\u{FFFD}y".to_string())]
    );
}

#[test]
fn numbers_out_of_range_and_timestamps_in_wrong_formats_or_zones() {
    let w = Workdir::new();
    let lines = [
        signin("i32-over", r#","status":{"errorCode":2147483648}"#),
        signin(
            "huge-int",
            r#","status":{"errorCode":99999999999999999999999}"#,
        ),
        signin(
            "huge-exp",
            r#","location":{"geoCoordinates":{"latitude":1e400}}"#,
        ),
        with_time("tokyo", r#""2025-03-18T02:54:30.1234567+09:00""#),
        with_time("minus", r#""2025-03-17T10:54:30-07:00""#),
        with_time("dmy", r#""17/03/2025 15:42:32""#),
        with_time("no-colon", r#""2025-03-17T15:42:32+0900""#),
        with_time("no-zone", r#""2025-03-17T15:42:32""#),
        with_time("epoch", "1742233002"),
        with_time("ps-huge", r#""/Date(99999999999999999999)/""#),
        with_time("feb-30", r#""2025-02-30T00:00:00Z""#),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let start = |i: usize| lines[..i].iter().map(|l| l.len() as i64 + 1).sum::<i64>();
    let out = convert_one(&w, "numbers.jsonl", text.as_bytes());
    let rfc = "expected an RFC 3339 timestamp like 2025-03-17T17:54:30.6982628Z or /Date(ms)/";
    let bad = |i: usize, found: &str| {
        (
            start(i),
            "invalid_timestamp".to_string(),
            format!("createdDateTime: invalid timestamp: {rfc}, found string \"{found}\""),
        )
    };
    let range =
        "number out of range: entrace reads integers up to 64 bits and floats up to about 1.8e308";
    let expected = vec![
        (start(1), "invalid_json".to_string(), format!("{range} (at byte {})", start(1) + lines[1].find("999").unwrap() as i64)),
        (start(2), "invalid_json".to_string(), format!("invalid JSON: number out of range (at byte {})", start(2) + lines[2].find("}}}").unwrap() as i64 - 1)),
        bad(5, "17/03/2025 15:42:32"),
        bad(6, "2025-03-17T15:42:32+0900"),
        bad(7, "2025-03-17T15:42:32"),
        (start(8), "invalid_timestamp".to_string(), "createdDateTime: expected a timestamp string, found number 1742233002".to_string()),
        (start(9), "invalid_timestamp".to_string(), "createdDateTime: invalid timestamp: expected /Date(<milliseconds>[±hhmm])/, found string \"/Date(99999999999999999999)/\"".to_string()),
        bad(10, "2025-02-30T00:00:00Z"),
    ];
    assert_eq!(rejects(&out), expected);
    let signins = read_table(&out, "signins");
    assert_eq!(
        strs(&signins, "id"),
        [
            Some("i32-over".into()),
            Some("minus".into()),
            Some("tokyo".into())
        ]
    );
    // +09:00 and -07:00 become UTC instants, with all 7 fractional digits.
    assert_eq!(
        times(&signins, "created_date_time"),
        [
            Some(1_742_226_152_000_000_000),
            Some(1_742_234_070_000_000_000),
            Some(1_742_234_070_123_456_700)
        ]
    );
    assert_eq!(
        str_list(&signins, "ingest_issues", 0),
        ["status.errorCode: expected a 32-bit integer, found number 2147483648"]
    );
}
