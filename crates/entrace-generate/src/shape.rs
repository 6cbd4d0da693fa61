//! The file layouts the generator can write, the quirks real evidence has:
//! collectors save compact or pretty-printed Graph pages, JSON Lines, one big
//! JSON array, gzip files, UTF-16LE text with a BOM (Windows PowerShell), and
//! overlapping pages when a collection run is restarted.
//!
//! Not here: writing the bytes (`pages`).

use std::fmt;

/// One way of writing a share of a paged collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    /// Graph pages as the API returns them: `page-NNNN.json`, compact JSON.
    Compact,
    /// Graph pages pretty-printed (2-space indent), as `ConvertTo-Json` or
    /// `jq .` leave them: `page-NNNN.json`.
    Pretty,
    /// Compact Graph pages compressed with gzip: `page-NNNN.json.gz`.
    Gzip,
    /// Compact Graph pages in UTF-16LE with a byte order mark, as Windows
    /// PowerShell 5.1's `Out-File` writes them: `page-NNNN.json`.
    Utf16,
    /// Bare records, one per line, appended to one `export.jsonl` per collection.
    Jsonl,
    /// Bare records in one big JSON array per collection: `export-array.json`.
    Array,
    /// Not a layout of its own: every third page boundary is also written as a
    /// re-collected page `rerun-NNNN.json` holding the second half of the page
    /// before and the first half of the next, so the dump has duplicates.
    Overlap,
}

impl Shape {
    /// Every shape, in the order pages rotate through them.
    pub const ALL: [Shape; 7] = [
        Shape::Compact,
        Shape::Pretty,
        Shape::Gzip,
        Shape::Utf16,
        Shape::Jsonl,
        Shape::Array,
        Shape::Overlap,
    ];

    /// The name used on the command line and in summaries.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Compact => "compact",
            Shape::Pretty => "pretty",
            Shape::Gzip => "gzip",
            Shape::Utf16 => "utf16",
            Shape::Jsonl => "jsonl",
            Shape::Array => "array",
            Shape::Overlap => "overlap",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The layouts that page chunks rotate through, in [`Shape::ALL`] order
/// (compact alone when none is chosen), and whether overlap pages are written.
pub(crate) fn rotation(shapes: &[Shape]) -> (Vec<Shape>, bool) {
    let kinds: Vec<Shape> = Shape::ALL
        .into_iter()
        .filter(|s| *s != Shape::Overlap && shapes.contains(s))
        .collect();
    let kinds = if kinds.is_empty() {
        vec![Shape::Compact]
    } else {
        kinds
    };
    (kinds, shapes.contains(&Shape::Overlap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_follows_the_fixed_order_and_defaults_to_compact() {
        assert_eq!(
            rotation(&[Shape::Jsonl, Shape::Overlap, Shape::Pretty]),
            (vec![Shape::Pretty, Shape::Jsonl], true)
        );
        assert_eq!(rotation(&[Shape::Overlap]), (vec![Shape::Compact], true));
        assert_eq!(rotation(&[]), (vec![Shape::Compact], false));
        assert_eq!(Shape::Utf16.to_string(), "utf16");
    }
}
