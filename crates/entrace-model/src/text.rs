//! Making untrusted bytes safe to show: excerpts for messages and reject rows.
//!
//! Everything printed from evidence goes through here, so a user agent or a
//! display name can never move the cursor, clear the terminal or break a line.

use std::borrow::Cow;

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
            c => push_escaped(c, &mut out),
        }
    }
    out
}

/// Whether `c` could move the cursor, change colours or reorder text on a terminal.
fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

fn push_escaped(c: char, out: &mut String) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if is_dangerous(c) => out.push_str(&c.escape_unicode().to_string()),
        c => out.push(c),
    }
}

/// Escapes only what is dangerous on a terminal (control and bidi characters),
/// leaving quotes and backslashes as they are: for table cells.
pub fn escape_control(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_dangerous) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(c, &mut out);
    }
    Cow::Owned(out)
}

/// Neutralises a CSV cell that a spreadsheet would run as a formula (it begins
/// with `=`, `+`, `-`, `@`, tab or carriage return) by prefixing `'`, as OWASP
/// recommends. Other cells are returned unchanged.
pub fn csv_safe(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
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

    #[test]
    fn table_cells_keep_quotes_but_lose_control_and_bidi() {
        assert_eq!(escape_control("say \"hi\""), "say \"hi\"");
        assert_eq!(escape_control("a\u{1b}]0;x\u{7}b"), "a\\u{1b}]0;x\\u{7}b");
        assert_eq!(
            escape_control("evil\u{202E}txt.exe"),
            "evil\\u{202e}txt.exe"
        );
    }

    #[test]
    fn csv_cells_that_look_like_formulas_are_neutralised() {
        assert_eq!(
            csv_safe("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        for bad in ["+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_safe(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(csv_safe("198.51.100.23"), "198.51.100.23");
    }
}
