//! Where the converter reads a kept record's text again for its second pass.
//!
//! The first pass keeps only keys (see [`entrace_input::parse::keys`]); the second reads
//! each kept record's bytes back, in the order of the final table. A plain
//! UTF-8 evidence file is read in place (read-only, at the record's offset);
//! text that had to be decompressed or transcoded was written once to the
//! output's temporary directory by the first pass and is read from there.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::PathBuf;

use entrace_model::error::{Error, Result};

/// Spans closer than this are read with one call, the gap included.
const COALESCE_GAP: u64 = 64 << 10;
/// The most one coalesced read takes.
const COALESCE_MAX: u64 = 8 << 20;

pub use entrace_input::stream::TextSource;

/// The text sources of every stream, by stream number.
#[derive(Debug, Default)]
pub struct Texts {
    sources: Vec<TextSource>,
}

/// One span to read: (stream, start, length).
pub type SpanRequest = (u32, u64, u64);

impl Texts {
    /// Registers the next stream's source and returns its number.
    pub fn push(&mut self, source: TextSource) -> u32 {
        self.sources.push(source);
        (self.sources.len() - 1) as u32
    }

    /// The file stream `stream` is read from, for messages.
    pub fn path_of(&self, stream: u32) -> PathBuf {
        match self.sources.get(stream as usize) {
            Some(TextSource::Evidence { path, .. } | TextSource::Spilled(path)) => path.clone(),
            _ => PathBuf::from(format!("<stream {stream}>")),
        }
    }

    /// Reads every span of `wanted` into one buffer and returns it with the
    /// range of each span in it, in the order asked. Spans of one file are
    /// read in file order, and nearby spans with one call.
    pub fn read(&self, wanted: &[SpanRequest]) -> Result<(Vec<u8>, Vec<Range<usize>>)> {
        let mut order: Vec<usize> = (0..wanted.len()).collect();
        order.sort_unstable_by_key(|&i| (wanted[i].0, wanted[i].1));
        let mut buf = Vec::with_capacity(wanted.iter().map(|w| w.2 as usize).sum());
        let mut ranges = vec![0..0; wanted.len()];
        let mut at = 0;
        while at < order.len() {
            let stream = wanted[order[at]].0;
            let end = at + order[at..].partition_point(|&i| wanted[i].0 == stream);
            self.read_stream(stream, &order[at..end], wanted, &mut buf, &mut ranges)?;
            at = end;
        }
        Ok((buf, ranges))
    }

    /// Reads the spans `order` (all of `stream`, by start) into `buf`.
    fn read_stream(
        &self,
        stream: u32,
        order: &[usize],
        wanted: &[SpanRequest],
        buf: &mut Vec<u8>,
        ranges: &mut [Range<usize>],
    ) -> Result<()> {
        let source = self
            .sources
            .get(stream as usize)
            .ok_or_else(|| Error::Internal(format!("no text source for stream {stream}")))?;
        let (path, base) = match source {
            TextSource::Memory(text) => {
                for &i in order {
                    let (_, start, len) = wanted[i];
                    let span = text
                        .get(start as usize..(start + len) as usize)
                        .ok_or_else(|| Error::Internal("span outside its text".into()))?;
                    ranges[i] = buf.len()..buf.len() + span.len();
                    buf.extend_from_slice(span);
                }
                return Ok(());
            }
            TextSource::Evidence { path, base } => (path, *base),
            TextSource::Spilled(path) => (path, 0),
            TextSource::Empty => {
                return Err(Error::Internal(format!(
                    "stream {stream} has no text to read back"
                )))
            }
        };
        let mut file = File::open(path).map_err(|e| Error::io(path, "cannot reopen", e))?;
        let mut scratch = Vec::new();
        let mut at = 0;
        while at < order.len() {
            // One read from the first span to the last one close enough.
            let first = wanted[order[at]].1;
            let mut last_end = first + wanted[order[at]].2;
            let mut end = at + 1;
            while end < order.len() {
                let (_, start, len) = wanted[order[end]];
                if start > last_end + COALESCE_GAP || start + len - first > COALESCE_MAX {
                    break;
                }
                last_end = last_end.max(start + len);
                end += 1;
            }
            scratch.resize((last_end - first) as usize, 0);
            file.seek(SeekFrom::Start(base + first))
                .and_then(|_| file.read_exact(&mut scratch))
                .map_err(|e| Error::EvidenceChanged {
                    path: path.clone(),
                    message: format!(
                        "cannot read bytes {}..{} again ({e}): was the evidence changed during the conversion?",
                        base + first,
                        base + last_end
                    ),
                })?;
            for &i in &order[at..end] {
                let (_, start, len) = wanted[i];
                let from = (start - first) as usize;
                ranges[i] = buf.len()..buf.len() + len as usize;
                buf.extend_from_slice(&scratch[from..from + len as usize]);
            }
            at = end;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_come_back_in_the_order_asked_from_every_kind_of_source() {
        let dir = tempfile::tempdir().unwrap();
        let evidence = dir.path().join("e.json");
        let bytes = b"\xEF\xBB\xBF{\"a\":1}\n{\"b\":2}\n".to_vec();
        std::fs::write(&evidence, &bytes).unwrap();
        let mut texts = Texts::default();
        let plain = texts.push(
            TextSource::for_stream(Some(&evidence), &bytes, &bytes[3..], &dir.path().join("x"))
                .unwrap(),
        );
        let owned = b"{\"c\":3}".to_vec();
        let copied = texts.push(
            TextSource::for_stream(Some(&evidence), &bytes, &owned, &dir.path().join("s.txt"))
                .unwrap(),
        );
        let memory = texts.push(TextSource::Memory(b"xx{\"d\":4}".to_vec()));
        assert!(matches!(
            texts.sources[0],
            TextSource::Evidence { base: 3, .. }
        ));
        assert!(matches!(texts.sources[1], TextSource::Spilled(_)));
        let wanted = [(plain, 8, 7), (memory, 2, 7), (copied, 0, 7), (plain, 0, 7)];
        let (buf, ranges) = texts.read(&wanted).unwrap();
        let got: Vec<&[u8]> = ranges.iter().map(|r| &buf[r.clone()]).collect();
        assert_eq!(
            got,
            [&b"{\"b\":2}"[..], b"{\"d\":4}", b"{\"c\":3}", b"{\"a\":1}"]
        );
        // A span past the end of a changed file is an error naming it.
        std::fs::write(&evidence, b"short").unwrap();
        let err = texts.read(&[(plain, 8, 7)]).unwrap_err().to_string();
        assert!(
            err.contains("e.json") && err.contains("cannot read bytes 11..18 again"),
            "{err}"
        );
    }
}
