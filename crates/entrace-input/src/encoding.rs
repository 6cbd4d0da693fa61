//! Text encodings: BOM sniffing, UTF-16 LE/BE → UTF-8, and the map from
//! positions in the decoded text back to bytes of the original stream.
//!
//! Offsets reported to users (`ingest_offset`, reject rows) are always bytes of
//! the decompressed stream in its *original* encoding, so they can be checked
//! with a hex editor on the extracted file.

use std::borrow::Cow;

/// The encoding a stream was read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
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
    pub fn name(self) -> &'static str {
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
pub struct Decoded<'a> {
    /// UTF-8 text (possibly with invalid bytes, which the parser reports).
    pub text: Cow<'a, [u8]>,
    /// The detected encoding.
    pub encoding: Encoding,
    /// Byte offsets (original stream) of UTF-16 code units that could not be decoded.
    pub invalid_units: Vec<u64>,
    map: OffsetMap,
}

enum OffsetMap {
    /// Original offset = text offset + shift (the BOM length).
    Shift(u64),
    /// Checkpoints (text offset, original offset) every few hundred characters.
    Utf16 { checkpoints: Vec<(usize, u64)> },
}

const CHECKPOINT_EVERY: usize = 256;

/// The encoding of a stream that starts with `head` (its first four bytes
/// are enough), and the length of its BOM.
pub fn sniff(head: &[u8]) -> (Encoding, usize) {
    match head {
        [0xEF, 0xBB, 0xBF, ..] => (Encoding::Utf8Bom, 3),
        [0xFF, 0xFE, ..] => (Encoding::Utf16Le { bom: true }, 2),
        [0xFE, 0xFF, ..] => (Encoding::Utf16Be { bom: true }, 2),
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => (Encoding::Utf16Le { bom: false }, 0),
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => (Encoding::Utf16Be { bom: false }, 0),
        _ => (Encoding::Utf8, 0),
    }
}

/// Detects the encoding of `bytes` and decodes it to UTF-8 when needed.
pub fn decode(bytes: &[u8]) -> Decoded<'_> {
    let (encoding, bom) = sniff(bytes);
    let text = &bytes[bom..];
    match encoding {
        Encoding::Utf16Le { bom } => utf16(text, true, bom),
        Encoding::Utf16Be { bom } => utf16(text, false, bom),
        utf8_encoding => utf8(text, utf8_encoding, bom as u64),
    }
}

/// UTF-8 text without a BOM that starts `offset` bytes into its stream: a
/// window of a larger file, whose positions map back to the whole file.
pub fn utf8_window(text: &[u8], offset: u64) -> Decoded<'_> {
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
    let mut stream = Utf16Stream::new(little, bom);
    let mut text = Vec::with_capacity(bytes.len() / 2 + 16);
    stream.push(bytes, &mut text);
    stream.finish(&mut text);
    Decoded {
        text: Cow::Owned(text),
        encoding: stream.encoding(),
        invalid_units: stream.invalid.iter().map(|&(_, orig)| orig).collect(),
        map: OffsetMap::Utf16 {
            checkpoints: stream
                .checkpoints
                .iter()
                .map(|&(t, orig)| (t as usize, orig))
                .collect(),
        },
    }
}

/// UTF-16 transcoded to UTF-8 piece by piece, as it is read, remembering
/// where the text came from: a checkpoint (text position, original offset)
/// every [`CHECKPOINT_EVERY`] characters, and every code unit that could
/// not be decoded. Positions count from the start of the stream's text.
pub struct Utf16Stream {
    little: bool,
    bom: bool,
    /// The odd byte of a code unit split between two pieces.
    carry: Option<u8>,
    /// A high surrogate waiting for its low half, and its offset.
    high: Option<(u16, u64)>,
    /// Original offset of the next code unit.
    orig: u64,
    /// UTF-8 bytes and characters written so far.
    text_len: u64,
    chars: u64,
    /// (text position, original offset), in order.
    pub checkpoints: std::collections::VecDeque<(u64, u64)>,
    /// (text position of the U+FFFD written, original offset), in order.
    pub invalid: std::collections::VecDeque<(u64, u64)>,
}

impl Utf16Stream {
    /// A stream of UTF-16 (`little` endian or big) whose first unit comes
    /// after a two-byte BOM when `bom`.
    pub fn new(little: bool, bom: bool) -> Self {
        let base = if bom { 2 } else { 0 };
        Utf16Stream {
            little,
            bom,
            carry: None,
            high: None,
            orig: base,
            text_len: 0,
            chars: 0,
            checkpoints: [(0, base)].into(),
            invalid: Default::default(),
        }
    }

    /// The encoding being decoded.
    pub fn encoding(&self) -> Encoding {
        match self.little {
            true => Encoding::Utf16Le { bom: self.bom },
            false => Encoding::Utf16Be { bom: self.bom },
        }
    }

    /// Decodes the next `bytes` of the stream, appending UTF-8 to `out`.
    pub fn push(&mut self, mut bytes: &[u8], out: &mut Vec<u8>) {
        if let Some(first) = self.carry.take() {
            match bytes.split_first() {
                Some((&second, rest)) => {
                    self.unit([first, second], out);
                    bytes = rest;
                }
                None => {
                    self.carry = Some(first);
                    return;
                }
            }
        }
        out.reserve(bytes.len() / 2);
        let mut at = 0;
        while at + 1 < bytes.len() {
            let ascii = self.ascii_run(&bytes[at..], out);
            at += 2 * ascii;
            if ascii == 0 {
                self.unit([bytes[at], bytes[at + 1]], out);
                at += 2;
            }
        }
        self.carry = bytes.get(at).copied();
    }

    /// Writes the ASCII characters at the start of `bytes`, four code units
    /// at a time, and returns how many it wrote (text is mostly ASCII, and
    /// this is several times faster than one unit at a time).
    fn ascii_run(&mut self, bytes: &[u8], out: &mut Vec<u8>) -> usize {
        // In each 16-bit unit, the high byte must be zero and the low one
        // below 0x80.
        let mask: u64 = if self.little {
            0xFF80_FF80_FF80_FF80
        } else {
            0x80FF_80FF_80FF_80FF
        };
        let low = usize::from(!self.little);
        let every = CHECKPOINT_EVERY as u64;
        let mut n = 0;
        while self.high.is_none() {
            let Some(chunk) = bytes.get(2 * n..2 * n + 8) else {
                break;
            };
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            // Only the first of the four may start a checkpoint.
            let phase = self.chars % every;
            if word & mask != 0 || phase > every - 4 {
                break;
            }
            if phase == 0 && self.chars > 0 {
                self.checkpoints.push_back((self.text_len, self.orig));
            }
            out.extend_from_slice(&[chunk[low], chunk[low + 2], chunk[low + 4], chunk[low + 6]]);
            self.chars += 4;
            self.text_len += 4;
            self.orig += 8;
            n += 4;
        }
        n
    }

    /// Ends the stream: a lone high surrogate or odd byte left over is
    /// invalid.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if let Some((_, at)) = self.high.take() {
            self.replacement(at, out);
        }
        if self.carry.take().is_some() {
            // Counted, as the whole-stream decoder does, but not written.
            self.invalid.push_back((self.text_len, self.orig));
        }
    }

    fn unit(&mut self, pair: [u8; 2], out: &mut Vec<u8>) {
        let unit = match self.little {
            true => u16::from_le_bytes(pair),
            false => u16::from_be_bytes(pair),
        };
        let at = self.orig;
        self.orig += 2;
        if let Some((high, high_at)) = self.high.take() {
            if (0xDC00..=0xDFFF).contains(&unit) {
                let c = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00);
                self.char(
                    char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER),
                    high_at,
                    out,
                );
                return;
            }
            self.replacement(high_at, out);
        }
        match unit {
            0xD800..=0xDBFF => self.high = Some((unit, at)),
            0xDC00..=0xDFFF => self.replacement(at, out),
            _ => self.char(char::from_u32(u32::from(unit)).unwrap_or_default(), at, out),
        }
    }

    fn replacement(&mut self, at: u64, out: &mut Vec<u8>) {
        self.invalid.push_back((self.text_len, at));
        self.char(char::REPLACEMENT_CHARACTER, at, out);
    }

    /// Writes `c`, which starts at original offset `at`.
    fn char(&mut self, c: char, at: u64, out: &mut Vec<u8>) {
        if self.chars.is_multiple_of(CHECKPOINT_EVERY as u64) && self.chars > 0 {
            self.checkpoints.push_back((self.text_len, at));
        }
        self.chars += 1;
        let mut utf8 = [0u8; 4];
        let s = c.encode_utf8(&mut utf8);
        out.extend_from_slice(s.as_bytes());
        self.text_len += s.len() as u64;
    }
}

/// A window of UTF-8 text transcoded from UTF-16 by a [`Utf16Stream`]:
/// `checkpoints` map positions of `text` to bytes of the stream (the first
/// at or before every position asked), and `invalid_units` are the
/// undecodable code units inside it.
pub fn utf16_window(
    text: &[u8],
    encoding: Encoding,
    checkpoints: Vec<(usize, u64)>,
    invalid_units: Vec<u64>,
) -> Decoded<'_> {
    Decoded {
        text: Cow::Borrowed(text),
        encoding,
        invalid_units,
        map: OffsetMap::Utf16 { checkpoints },
    }
}

/// The original offset of position `at` of `text`, walking from the last
/// of `checkpoints` at or before it.
pub fn utf16_offset(checkpoints: &[(usize, u64)], text: &[u8], at: usize) -> u64 {
    let i = checkpoints
        .partition_point(|(t, _)| *t <= at)
        .saturating_sub(1);
    let (mut t, mut orig) = checkpoints.get(i).copied().unwrap_or((0, 0));
    while t < at && t < text.len() {
        let width = utf8_width(text[t]);
        orig += if width == 4 { 4 } else { 2 };
        t += width;
    }
    orig
}

impl Decoded<'_> {
    /// Original stream offset of position `at` in the decoded text.
    pub fn original_offset(&self, at: usize) -> u64 {
        match &self.map {
            OffsetMap::Shift(s) => at as u64 + s,
            OffsetMap::Utf16 { checkpoints } => utf16_offset(checkpoints, &self.text, at),
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

    #[test]
    fn utf16_decoded_piece_by_piece_matches_the_standard_library() {
        // Long ASCII runs (the four-unit fast path, across checkpoints),
        // surrogate pairs, a lone high and a lone low surrogate, a high one
        // at the end and an odd byte, in both byte orders, cut at many
        // piece sizes.
        let mut units: Vec<u16> = "{\"n\":\"ユーザ 😀\"}".encode_utf16().collect();
        units.extend([0xD800, 0x41, 0xDC00, 0x42]);
        for i in 0..40 {
            units.extend("x".repeat(37 + i).encode_utf16());
            units.extend("é😀".encode_utf16());
        }
        units.push(0xD83D);
        let expected: String = char::decode_utf16(units.iter().copied())
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect();
        // Original offset of each character boundary of `expected`.
        let mut offsets = vec![(0usize, 2u64)];
        let (mut t, mut o) = (0, 2);
        for c in expected.chars() {
            t += c.len_utf8();
            o += 2 * c.len_utf16() as u64;
            offsets.push((t, o));
        }
        for little in [true, false] {
            let mut bytes = if little {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            };
            for u in &units {
                bytes.extend(if little {
                    u.to_le_bytes()
                } else {
                    u.to_be_bytes()
                });
            }
            bytes.push(0x20);
            let whole = decode(&bytes);
            assert_eq!(&whole.text[..], expected.as_bytes());
            assert_eq!(whole.invalid_units.len(), 4);
            for piece in [1, 2, 3, 7, 8, 9, 512] {
                let mut stream = Utf16Stream::new(little, true);
                let mut text = Vec::new();
                for chunk in bytes[2..].chunks(piece) {
                    stream.push(chunk, &mut text);
                }
                stream.finish(&mut text);
                assert_eq!(&text[..], expected.as_bytes(), "{piece}");
                let invalid: Vec<u64> = stream.invalid.iter().map(|i| i.1).collect();
                assert_eq!(invalid, whole.invalid_units);
                assert_eq!(invalid[..2], [2 + 2 * 14, 2 + 2 * 16]);
                let checkpoints: Vec<(usize, u64)> = stream
                    .checkpoints
                    .iter()
                    .map(|&(t, o)| (t as usize, o))
                    .collect();
                assert!(checkpoints.len() > 5);
                for &(at, orig) in &offsets {
                    assert_eq!(utf16_offset(&checkpoints, &text, at), orig, "{piece} {at}");
                    assert_eq!(whole.original_offset(at), orig, "{at}");
                }
            }
        }
    }
}
