//! The narrow per-row keys the converter keeps in memory for every record of
//! the dump: what de-duplication and the total sort need (id, times, content
//! hash, source, offset) and where to read the record again (stream, span,
//! line, API version). The columns are built later, from the record's text,
//! in the order of the final table (see [`super::dedup`]).
//!
//! They are the only state that grows with the dump, so they are compact: a
//! canonical lowercase GUID id is kept as 16 bytes instead of a heap string,
//! other ids share one text arena, and a missing time is a sentinel instead
//! of an `Option`. About 80 bytes a row, against 1.4 KB of JSON for a sign-in.

use std::cmp::Ordering;

/// Stands for a missing time. It sorts before every real time, as `None`
/// sorts before `Some` (no Graph timestamp parses to the year 1677).
pub const NO_TIME: i64 = i64::MIN;

/// One row's id, borrowed from [`RowKeys`]. Compares like the id's text.
#[derive(Debug, Clone, Copy)]
pub enum IdRef<'a> {
    /// A canonical lowercase GUID, as its 128 bits.
    Guid(u128),
    /// Any other id.
    Text(&'a str),
}

impl IdRef<'_> {
    fn write_guid(bits: u128, out: &mut [u8; 36]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut nibble = 0;
        for (i, byte) in out.iter_mut().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                *byte = b'-';
            } else {
                *byte = HEX[((bits >> (124 - 4 * nibble)) & 0xf) as usize];
                nibble += 1;
            }
        }
    }
}

impl Ord for IdRef<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            // Fixed width, lowercase hex and dashes at fixed places: the
            // numeric order of the bits is the text order.
            (IdRef::Guid(a), IdRef::Guid(b)) => a.cmp(b),
            (IdRef::Text(a), IdRef::Text(b)) => a.cmp(b),
            (IdRef::Guid(a), IdRef::Text(b)) => {
                let mut text = [0u8; 36];
                IdRef::write_guid(*a, &mut text);
                text.as_slice().cmp(b.as_bytes())
            }
            (IdRef::Text(_), IdRef::Guid(_)) => other.cmp(self).reverse(),
        }
    }
}

impl PartialOrd for IdRef<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for IdRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for IdRef<'_> {}

/// The bits of `id` when it is a canonical lowercase GUID.
fn guid_bits(id: &str) -> Option<u128> {
    let b = id.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut bits: u128 = 0;
    for (i, &c) in b.iter().enumerate() {
        let nibble = match (i, c) {
            (8 | 13 | 18 | 23, b'-') => continue,
            (8 | 13 | 18 | 23, _) => return None,
            (_, b'0'..=b'9') => c - b'0',
            (_, b'a'..=b'f') => c - b'a' + 10,
            _ => return None,
        };
        bits = bits << 4 | u128::from(nibble);
    }
    Some(bits)
}

/// Keys of a sequence of rows, column by column.
#[derive(Default)]
pub struct RowKeys {
    /// Per row: the GUID bits, or (start, end) in `text` for other ids.
    id: Vec<[u64; 2]>,
    /// Per row: whether the id is in `text`.
    id_is_text: Vec<bool>,
    /// Every id that is not a canonical GUID, back to back.
    text: String,
    /// Event time (or last-updated time for entities without one), ns UTC,
    /// [`NO_TIME`] when unknown.
    pub time: Vec<i64>,
    /// Last-updated time used to pick the newest duplicate, or [`NO_TIME`].
    pub updated: Vec<i64>,
    /// Hash of the parsed content (key order and formatting ignored).
    pub hash: Vec<u64>,
    /// Byte offset in the source, for the stable tiebreak.
    pub offset: Vec<u64>,
    /// The stream the row came from, numbered by the converter.
    pub stream: Vec<u32>,
    /// 1-based line of the record's first byte.
    pub line: Vec<u64>,
    /// API version of the record's page, as an index of [`API_VERSIONS`].
    api: Vec<u8>,
    /// Where the record's text is in the stream's decoded text.
    pub span: Vec<(u64, u64)>,
}

/// The API versions a page context can name; index 0 is "unknown".
const API_VERSIONS: [Option<&str>; 3] = [None, Some("v1.0"), Some("beta")];

/// One row's keys, for [`RowKeys::push`].
pub struct Key<'a> {
    /// The record's `id`.
    pub id: &'a str,
    /// Its event time, UTC nanoseconds.
    pub time: Option<i64>,
    /// Its last-updated time, for entities that have one.
    pub updated: Option<i64>,
    /// Its [`content_hash`](crate::json::content_hash).
    pub hash: u64,
    /// Byte offset of the record in the stored stream.
    pub offset: u64,
    /// The stream's number in this run.
    pub stream: u32,
    /// 1-based line of the record in the stream.
    pub line: u64,
    /// API version of the record's page, when it names one.
    pub api: Option<&'static str>,
    /// Where the record's text is in the stream's decoded text.
    pub span: (u64, u64),
}

impl RowKeys {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Appends one row.
    pub fn push(&mut self, key: Key<'_>) {
        match guid_bits(key.id) {
            Some(bits) => {
                self.id.push([(bits >> 64) as u64, bits as u64]);
                self.id_is_text.push(false);
            }
            None => {
                let start = self.text.len() as u64;
                self.text.push_str(key.id);
                self.id.push([start, self.text.len() as u64]);
                self.id_is_text.push(true);
            }
        }
        self.time.push(key.time.unwrap_or(NO_TIME));
        self.updated.push(key.updated.unwrap_or(NO_TIME));
        self.hash.push(key.hash);
        self.offset.push(key.offset);
        self.stream.push(key.stream);
        self.line.push(key.line);
        self.api
            .push(API_VERSIONS.iter().position(|v| *v == key.api).unwrap_or(0) as u8);
        self.span.push(key.span);
    }

    /// The API version of row `i`'s page.
    pub fn api(&self, i: usize) -> Option<&'static str> {
        API_VERSIONS[usize::from(self.api[i])]
    }

    /// The id of row `i`.
    pub fn id(&self, i: usize) -> IdRef<'_> {
        let [a, b] = self.id[i];
        if self.id_is_text[i] {
            IdRef::Text(&self.text[a as usize..b as usize])
        } else {
            IdRef::Guid(u128::from(a) << 64 | u128::from(b))
        }
    }

    /// Moves every row's text `bytes` further and `lines` lines down: for
    /// keys parsed from a window of a larger stream (offsets already count
    /// from the stream's start).
    pub fn shift(&mut self, bytes: u64, lines: u64) {
        self.span.iter_mut().for_each(|s| s.0 += bytes);
        self.line.iter_mut().for_each(|l| *l += lines);
    }

    /// Sets the stream of every row.
    pub fn set_stream(&mut self, stream: u32) {
        self.stream.iter_mut().for_each(|s| *s = stream);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ids: &[&str]) -> RowKeys {
        let mut k = RowKeys::default();
        for id in ids {
            k.push(Key {
                id,
                time: None,
                updated: Some(1),
                hash: 0,
                offset: 0,
                stream: 0,
                line: 1,
                api: Some("beta"),
                span: (0, 0),
            });
        }
        k
    }

    #[test]
    fn ids_compare_like_their_text() {
        let ids = [
            "0b7c1a5e-8f2d-4c3b-9a1e-5d6f7a8b9c0d",
            "0B7C1A5E-8F2D-4C3B-9A1E-5D6F7A8B9C0D",
            "0b7c1a5e-8f2d-4c3b-9a1e-5d6f7a8b9c0",
            "0b7c1a5e-8f2d-4c3b-9a1e-5d6f7a8b9c0da",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "00000000-0000-0000-0000-000000000000",
            "0b7c1a5e-8f2d-4c3b-9a1e-5d6f7a8b9c0e",
            "0b7c1a5e_8f2d-4c3b-9a1e-5d6f7a8b9c0d",
            "Directory_0b7c1a5e",
            "",
            "9",
            "a",
        ];
        let k = keys(&ids);
        assert_eq!(k.id_is_text.iter().filter(|t| !**t).count(), 4);
        for i in 0..ids.len() {
            for j in 0..ids.len() {
                assert_eq!(
                    k.id(i).cmp(&k.id(j)),
                    ids[i].cmp(ids[j]),
                    "{} vs {}",
                    ids[i],
                    ids[j]
                );
            }
        }
        let mut text = [0u8; 36];
        if let IdRef::Guid(bits) = k.id(0) {
            IdRef::write_guid(bits, &mut text);
        }
        assert_eq!(&text, ids[0].as_bytes());
    }
}
