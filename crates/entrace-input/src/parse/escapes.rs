//! `\uXXXX` escapes that name half of a UTF-16 surrogate pair.
//!
//! A high surrogate escape (`\ud800`) must be followed at once by a low one
//! (`\udc00`–`\udfff`), and a low one must follow a high one. Alone they name
//! no character. simd-json turns a lone high surrogate into a NUL byte without
//! a word (`"a\ud800b"` became `"a\0b"`), which would change an id silently, so
//! entrace finds them before parsing and rejects the record.

/// The first lone surrogate escape in `span`: its byte index and a message.
/// Backslashes only occur inside strings in JSON, so no string state is needed;
/// a JSON syntax error elsewhere is left to the parser.
pub fn lone_surrogate(span: &[u8]) -> Option<(usize, String)> {
    let mut from = 0;
    while let Some(k) = memchr::memchr(b'\\', span.get(from..)?) {
        let at = from + k;
        if span.get(at + 1) != Some(&b'u') {
            from = at + 2;
            continue;
        }
        let Some(unit) = hex4(span, at + 2) else {
            from = at + 2;
            continue;
        };
        from = at + 6;
        match unit {
            0xD800..=0xDBFF => {
                let low = (span.get(at + 6..at + 8) == Some(b"\\u"))
                    .then(|| hex4(span, at + 8))
                    .flatten();
                if matches!(low, Some(0xDC00..=0xDFFF)) {
                    from = at + 12;
                } else {
                    return Some((at, format!("lone UTF-16 surrogate: \\u{unit:04x} is not followed by a low surrogate \\udc00-\\udfff, so it names no character")));
                }
            }
            0xDC00..=0xDFFF => {
                return Some((at, format!("lone UTF-16 surrogate: \\u{unit:04x} is a low surrogate without a high surrogate \\ud800-\\udbff before it, so it names no character")));
            }
            _ => {}
        }
    }
    None
}

fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let digits = b.get(at..at + 4)?;
    digits.iter().try_fold(0u32, |acc, d| {
        char::from(*d).to_digit(16).map(|v| acc * 16 + v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_pass_and_lone_halves_are_found() {
        assert_eq!(
            lone_surrogate(br#"{"n":"\ud83d\ude00 \u00e9 \\ud800"}"#),
            None
        );
        let (at, msg) = lone_surrogate(br#"{"id":"a\ud800b"}"#).unwrap();
        assert_eq!(at, 8);
        assert!(
            msg.starts_with("lone UTF-16 surrogate: \\ud800 is not followed"),
            "{msg}"
        );
        let (at, msg) = lone_surrogate(br#"{"id":"\uDC00"}"#).unwrap();
        assert_eq!(at, 7);
        assert!(msg.contains("\\udc00 is a low surrogate"), "{msg}");
        assert_eq!(lone_surrogate(br#"{"id":"\ud800\u0041"}"#).unwrap().0, 7);
        assert_eq!(lone_surrogate(b"\\u12"), None);
    }
}
