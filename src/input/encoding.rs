//! Text encodings: BOM sniffing, UTF-16 LE/BE → UTF-8, and the map from
//! positions in the decoded text back to bytes of the original stream.
//!
//! Offsets reported to users (`ingest_offset`, reject rows) are always bytes of
//! the decompressed stream in its *original* encoding, so they can be checked
//! with a hex editor on the extracted file.

use std::borrow::Cow;

/// The encoding a stream was read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// UTF-8 without BOM.
    Utf8,
    /// UTF-8 with BOM (Windows PowerShell 5.1 `-Encoding UTF8`).
    Utf8Bom,
    /// UTF-16 little endian (Windows PowerShell 5.1 `Out-File`, `>`).
    Utf16Le {
        /// Whether a BOM was present.
        bom: bool,
    },
    /// UTF-16 big endian.
    Utf16Be {
        /// Whether a BOM was present.
        bom: bool,
    },
}

impl Encoding {
    /// Name for the sources table.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8-bom",
            Encoding::Utf16Le { bom: true } => "utf-16le-bom",
            Encoding::Utf16Le { bom: false } => "utf-16le",
            Encoding::Utf16Be { bom: true } => "utf-16be-bom",
            Encoding::Utf16Be { bom: false } => "utf-16be",
        }
    }
}

/// Decoded text plus what is needed to map positions back.
pub(crate) struct Decoded<'a> {
    /// UTF-8 text (possibly with invalid bytes, which the parser reports).
    pub(crate) text: Cow<'a, [u8]>,
    /// The detected encoding.
    pub(crate) encoding: Encoding,
    /// Byte offsets (original stream) of UTF-16 code units that could not be decoded.
    pub(crate) invalid_units: Vec<u64>,
    map: OffsetMap,
}

enum OffsetMap {
    /// Original offset = text offset + shift (the BOM length).
    Shift(u64),
    /// Checkpoints (text offset, original offset) every few hundred characters.
    Utf16 { checkpoints: Vec<(usize, u64)> },
}

const CHECKPOINT_EVERY: usize = 256;

/// Detects the encoding of `bytes` and decodes it to UTF-8 when needed.
pub(crate) fn decode(bytes: &[u8]) -> Decoded<'_> {
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest, Encoding::Utf8Bom, 3),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false, true),
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => utf16(bytes, true, false),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => utf16(bytes, false, false),
        _ => utf8(bytes, Encoding::Utf8, 0),
    }
}

/// UTF-8 text without a BOM that starts `offset` bytes into its stream: a
/// window of a larger file, whose positions map back to the whole file.
pub(crate) fn utf8_window(text: &[u8], offset: u64) -> Decoded<'_> {
    utf8(text, Encoding::Utf8, offset)
}

fn utf8(bytes: &[u8], encoding: Encoding, shift: u64) -> Decoded<'_> {
    Decoded {
        text: Cow::Borrowed(bytes),
        encoding,
        invalid_units: Vec::new(),
        map: OffsetMap::Shift(shift),
    }
}

fn utf16(bytes: &[u8], little: bool, bom: bool) -> Decoded<'static> {
    let base: u64 = if bom { 2 } else { 0 };
    let units = bytes.chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let mut text = String::with_capacity(bytes.len() / 2 + 16);
    let mut checkpoints = vec![(0usize, base)];
    let mut invalid_units = Vec::new();
    let mut orig = base;
    for (n, decoded) in char::decode_utf16(units).enumerate() {
        if n % CHECKPOINT_EVERY == 0 && n > 0 {
            checkpoints.push((text.len(), orig));
        }
        let c = decoded.unwrap_or_else(|_| {
            invalid_units.push(orig);
            char::REPLACEMENT_CHARACTER
        });
        text.push(c);
        orig += 2 * c.len_utf16() as u64;
    }
    if bytes.len() % 2 == 1 {
        invalid_units.push(base + bytes.len() as u64 - 1);
    }
    let encoding = if little {
        Encoding::Utf16Le { bom }
    } else {
        Encoding::Utf16Be { bom }
    };
    Decoded {
        text: Cow::Owned(text.into_bytes()),
        encoding,
        invalid_units,
        map: OffsetMap::Utf16 { checkpoints },
    }
}

impl Decoded<'_> {
    /// Original stream offset of position `at` in the decoded text.
    pub(crate) fn original_offset(&self, at: usize) -> u64 {
        match &self.map {
            OffsetMap::Shift(s) => at as u64 + s,
            OffsetMap::Utf16 { checkpoints } => {
                let i = checkpoints
                    .partition_point(|(t, _)| *t <= at)
                    .saturating_sub(1);
                let (mut t, mut orig) = checkpoints.get(i).copied().unwrap_or((0, 0));
                let text = &self.text[..];
                while t < at && t < text.len() {
                    let width = utf8_width(text[t]);
                    orig += if width == 4 { 4 } else { 2 };
                    t += width;
                }
                orig
            }
        }
    }
}

fn utf8_width(first: u8) -> usize {
    match first {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le_bom(s: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn utf16_offsets_map_back_to_original_bytes() {
        let text = format!(
            "{}[{{\"n\":\"ユーザ04 😀\"}},\r\n{{\"id\":1}}]",
            "x".repeat(600)
        );
        let bytes = utf16le_bom(&text);
        let d = decode(&bytes);
        assert_eq!(d.encoding, Encoding::Utf16Le { bom: true });
        assert_eq!(&d.text[..], text.as_bytes());
        let at = text.find("{\"id\"").unwrap();
        let expected = 2 + 2 * text[..at].encode_utf16().count() as u64;
        assert_eq!(d.original_offset(at), expected);
    }

    #[test]
    fn boms_and_bomless_utf16_are_detected() {
        assert_eq!(decode(b"\xEF\xBB\xBF{}").encoding, Encoding::Utf8Bom);
        assert_eq!(decode(b"\xEF\xBB\xBF{}").original_offset(0), 3);
        assert_eq!(decode(b"{\0}\0").encoding, Encoding::Utf16Le { bom: false });
        assert_eq!(decode(b"\0{\0}").encoding, Encoding::Utf16Be { bom: false });
        let broken = decode(b"\xFF\xFE\x00\xD8{\x00");
        assert_eq!(broken.invalid_units, [2]);
    }
}
