//! Making untrusted bytes safe to show: excerpts for messages and reject rows.
//!
//! Everything printed from evidence goes through here, so a user agent or a
//! display name can never move the cursor, clear the terminal or break a line.

/// At most `max` bytes of `bytes`, lossily decoded, control characters and
/// quotes escaped, wrapped in double quotes; `…` marks a cut.
pub fn excerpt(bytes: &[u8], max: usize) -> String {
    let cut = bytes.len() > max;
    let mut end = bytes.len().min(max);
    // Do not cut inside a UTF-8 sequence.
    while end > 0 && end < bytes.len() && (bytes[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    let text = String::from_utf8_lossy(&bytes[..end]);
    let mut out = String::with_capacity(end + 8);
    out.push('"');
    out.push_str(&escape(&text));
    if cut {
        out.push('…');
    }
    out.push('"');
    out
}

/// Escapes control characters (C0, DEL, C1, bidi overrides), backslashes and quotes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || ('\u{202A}'..='\u{202E}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c) =>
            {
                out.push_str(&c.escape_unicode().to_string());
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_control_and_cuts_on_char_boundary() {
        assert_eq!(excerpt(b"a\x1b[2Jb\n", 100), "\"a\\u{1b}[2Jb\\n\"");
        assert_eq!(excerpt("ユーザ04".as_bytes(), 4), "\"ユ…\"");
        assert_eq!(excerpt(b"\xff\xfe", 10), "\"\u{fffd}\u{fffd}\"");
    }
}
