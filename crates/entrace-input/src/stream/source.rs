//! The readers under every stream, innermost first: the stream as stored
//! (an evidence file or a zip member's content), hashed as it is read; its
//! decompression, when its magic bytes say gzip or zstd ([`Magic`], the one
//! place compression is sniffed); the decompressed bytes, counted against
//! the decompression limits; and, for windows, the text they see, UTF-8
//! (transcoded from UTF-16 when it is that), copied for the second pass
//! when that cannot read the evidence in place.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, BufWriter, Chain, Cursor, Read, Write};

use sha2::{Digest, Sha256};

use crate::container::{Limit, LimitExceeded};
use crate::encoding::{
    sniff, utf16_offset, utf16_window, utf8_window, Decoded, Encoding, Utf16Stream,
};
use crate::Compression;

/// What a stream's first bytes say it is: how it is compressed, or that it
/// is a zip archive. Names and extensions are never trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Magic {
    /// gzip (`1f 8b`).
    Gzip,
    /// Zstandard (`28 b5 2f fd`).
    Zstd,
    /// A zip archive: a local file header, or the end record of an empty one.
    Zip,
    /// Anything else: read as stored.
    Plain,
}

impl Magic {
    /// The kind of the stream whose first bytes (four are enough) are `head`.
    pub fn of(head: &[u8]) -> Magic {
        match head {
            [0x1f, 0x8b, ..] => Magic::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Magic::Zstd,
            [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] => Magic::Zip,
            _ => Magic::Plain,
        }
    }
}

/// A stream as stored, with the SHA-256 of every byte read.
pub(crate) struct Stored<R> {
    inner: R,
    hasher: Sha256,
    /// Bytes read so far.
    read: u64,
}

impl<R: Read> Stored<R> {
    pub(crate) fn new(inner: R) -> Self {
        Stored {
            inner,
            hasher: Sha256::new(),
            read: 0,
        }
    }

    /// Reads the rest of the stream (a decoder may stop before its end) and
    /// returns the SHA-256 of all of it.
    pub(crate) fn finish(mut self) -> std::io::Result<String> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        Ok(hex::encode(self.hasher.finalize()))
    }

    /// [`Self::finish`] for a stream whose decompression failed, when it is
    /// at most `max` bytes long in all: a zip member's content is itself
    /// decompressed, so it is read no further than the limit allows.
    /// `None` when it is longer or cannot be read.
    pub(crate) fn finish_within(mut self, max: u64) -> Option<String> {
        let left = max.checked_sub(self.read)?;
        let rest = std::io::copy(
            &mut (&mut self).take(left.saturating_add(1)),
            &mut std::io::sink(),
        );
        match rest {
            Ok(n) if n <= left => Some(hex::encode(self.hasher.finalize())),
            _ => None,
        }
    }
}

impl<R: Read> Read for Stored<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

/// The stored stream with the bytes sniffed from its start put back.
type Head<R> = Chain<Cursor<Vec<u8>>, Stored<R>>;

/// The bytes of a stored stream: as stored (plain, or a zip to be opened
/// as an archive), or decompressed.
pub(crate) enum Text<R: Read> {
    Plain(Head<R>, Magic),
    Gzip(Box<flate2::read::MultiGzDecoder<Head<R>>>),
    Zstd(Box<zstd::stream::read::Decoder<'static, BufReader<Head<R>>>>),
}

/// Reads up to `n` bytes, fewer only at the end of `reader`.
fn read_up_to(reader: &mut impl Read, n: usize) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    reader.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Why a stream could not even be opened.
#[derive(Debug)]
pub(crate) enum OpenFailed {
    /// Its first bytes could not be read.
    Read(std::io::Error),
    /// It says zstd, and the decoder could not start.
    Zstd(std::io::Error),
}

impl std::fmt::Display for OpenFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenFailed::Read(e) | OpenFailed::Zstd(e) => e.fmt(f),
        }
    }
}

impl<R: Read> Text<R> {
    /// Decompresses `stored` when its magic bytes say gzip or zstd.
    pub(crate) fn open(mut stored: Stored<R>) -> Result<Self, OpenFailed> {
        let head = read_up_to(&mut stored, 4).map_err(OpenFailed::Read)?;
        let magic = Magic::of(&head);
        let head = Cursor::new(head).chain(stored);
        Ok(match magic {
            Magic::Gzip => Text::Gzip(Box::new(flate2::read::MultiGzDecoder::new(head))),
            Magic::Zstd => Text::Zstd(Box::new(
                zstd::stream::read::Decoder::new(head).map_err(OpenFailed::Zstd)?,
            )),
            Magic::Zip | Magic::Plain => Text::Plain(head, magic),
        })
    }

    /// What the stream's first bytes said it is.
    pub(crate) fn magic(&self) -> Magic {
        match self {
            Text::Plain(_, magic) => *magic,
            Text::Gzip(_) => Magic::Gzip,
            Text::Zstd(_) => Magic::Zstd,
        }
    }

    /// How the stream is stored, or `None` when stored plain.
    pub(crate) fn compression(&self) -> Option<Compression> {
        match self {
            Text::Plain(..) => None,
            Text::Gzip(_) => Some(Compression::Gzip),
            Text::Zstd(_) => Some(Compression::Zstd),
        }
    }

    pub(crate) fn into_stored(self) -> Stored<R> {
        let head = match self {
            Text::Plain(s, _) => s,
            Text::Gzip(d) => d.into_inner(),
            Text::Zstd(d) => d.finish().into_inner(),
        };
        head.into_inner().1
    }
}

impl<R: Read> Read for Text<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Text::Plain(r, _) => r.read(buf),
            Text::Gzip(r) => r.read(buf),
            Text::Zstd(r) => r.read(buf),
        }
    }
}

/// Writing the copy for the second pass failed (not the evidence's fault):
/// the error inside the `std::io::Error` a [`WindowText`] read returns.
#[derive(Debug)]
pub(crate) struct CopyFailed(pub(crate) std::io::Error);

impl std::fmt::Display for CopyFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for CopyFailed {}

/// Decompressed bytes, counted against a [`Limit`].
pub(crate) struct Counted<R: Read> {
    pub(crate) text: Text<R>,
    pub(crate) bytes: u64,
    pub(crate) limit: Limit,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.text.read(buf)?;
        self.bytes += n as u64;
        if self.bytes > self.limit.bytes {
            return Err(std::io::Error::other(LimitExceeded(
                self.limit.message.clone(),
            )));
        }
        Ok(n)
    }
}

/// Bytes read from the decompressed stream at a time when transcoding.
const RAW_PIECE: usize = 1 << 20;

/// The text the windows see: UTF-8 without a BOM, transcoded when the
/// stream is UTF-16, with what maps its positions back to the stream.
pub(crate) struct WindowText<R: Read> {
    counted: Counted<R>,
    encoding: Encoding,
    /// Bytes before the text (a UTF-8 BOM), when not transcoded.
    shift: u64,
    utf16: Option<Utf16Stream>,
    raw: Vec<u8>,
    /// Text decoded but not read yet, from `pos`.
    ready: Vec<u8>,
    pos: usize,
    copy: Option<BufWriter<File>>,
}

impl<R: Read> WindowText<R> {
    /// Detects the encoding of `counted` from its first bytes.
    pub(crate) fn open(mut counted: Counted<R>) -> std::io::Result<Self> {
        let head = read_up_to(&mut counted, 4)?;
        let (encoding, skip) = sniff(&head);
        let mut text = WindowText {
            counted,
            encoding,
            shift: skip as u64,
            utf16: None,
            raw: Vec::new(),
            ready: Vec::new(),
            pos: 0,
            copy: None,
        };
        match encoding {
            Encoding::Utf16Le { bom } | Encoding::Utf16Be { bom } => {
                let little = matches!(encoding, Encoding::Utf16Le { .. });
                let mut stream = Utf16Stream::new(little, bom);
                stream.push(&head[skip..], &mut text.ready);
                text.utf16 = Some(stream);
                text.shift = 0;
            }
            _ => text.ready.extend_from_slice(&head[skip..]),
        }
        Ok(text)
    }

    /// The stream's encoding.
    pub(crate) fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Whether the text is the stored stream's bytes (from the BOM on).
    pub(crate) fn is_stored_bytes(&self) -> bool {
        self.utf16.is_none() && matches!(self.counted.text, Text::Plain(..))
    }

    /// Copies every byte of text read from now on to `copy`.
    pub(crate) fn copy_to(&mut self, copy: BufWriter<File>) {
        self.copy = Some(copy);
    }

    /// The reader underneath, the copy, and the decompressed bytes read.
    pub(crate) fn into_parts(self) -> (Text<R>, Option<BufWriter<File>>, u64) {
        (self.counted.text, self.copy, self.counted.bytes)
    }

    /// How to map the window of `len` bytes whose byte `p` is byte
    /// `origin + p` of the whole text (bytes before the window's own text,
    /// such as a repeated header, map to its start). Undecodable UTF-16
    /// units before text position `until` are reported in it.
    pub(crate) fn window(&mut self, len: usize, origin: u64, until: u64) -> WindowMap {
        let Some(stream) = &mut self.utf16 else {
            return WindowMap::Shift(origin + self.shift);
        };
        let end = origin + len as u64;
        let checkpoints = stream
            .checkpoints
            .iter()
            .take_while(|(t, _)| *t <= end)
            .map(|&(t, orig)| (t.saturating_sub(origin) as usize, orig))
            .collect();
        let mut invalid = Vec::new();
        while let Some(&(t, orig)) = stream.invalid.front() {
            if t >= until {
                break;
            }
            invalid.push(orig);
            stream.invalid.pop_front();
        }
        WindowMap::Utf16 {
            encoding: self.encoding,
            checkpoints,
            invalid,
        }
    }

    /// Forgets the text before position `upto`: `buf` holds the text from
    /// position `buf_origin` to at least `upto`.
    pub(crate) fn advance(&mut self, buf: &[u8], buf_origin: u64, upto: u64) {
        let Some(stream) = &mut self.utf16 else {
            return;
        };
        let local: Vec<(usize, u64)> = stream
            .checkpoints
            .iter()
            .take_while(|(t, _)| *t <= upto)
            .filter(|(t, _)| *t >= buf_origin)
            .map(|&(t, orig)| ((t - buf_origin) as usize, orig))
            .collect();
        let orig = utf16_offset(&local, buf, (upto - buf_origin) as usize);
        drop_before(&mut stream.checkpoints, upto);
        if stream.checkpoints.front().map(|c| c.0) != Some(upto) {
            stream.checkpoints.push_front((upto, orig));
        }
    }

    /// Decodes the next piece of the stream into `ready`; false at its end.
    fn refill(&mut self) -> std::io::Result<bool> {
        self.ready.clear();
        self.pos = 0;
        let Some(stream) = &mut self.utf16 else {
            return Ok(false);
        };
        self.raw.resize(RAW_PIECE, 0);
        while self.ready.is_empty() {
            let n = self.counted.read(&mut self.raw)?;
            if n == 0 {
                stream.finish(&mut self.ready);
                return Ok(!self.ready.is_empty());
            }
            stream.push(&self.raw[..n], &mut self.ready);
        }
        Ok(true)
    }
}

/// Where the positions of one window's text are in the stored stream
/// (owned, so the window can be parsed on another thread).
pub(crate) enum WindowMap {
    /// UTF-8: stream offset = window position + this.
    Shift(u64),
    /// Transcoded from UTF-16.
    Utf16 {
        encoding: Encoding,
        checkpoints: Vec<(usize, u64)>,
        invalid: Vec<u64>,
    },
}

impl WindowMap {
    /// The decoded view of the window `text`.
    pub(crate) fn decoded(self, text: &[u8]) -> Decoded<'_> {
        match self {
            WindowMap::Shift(shift) => utf8_window(text, shift),
            WindowMap::Utf16 {
                encoding,
                checkpoints,
                invalid,
            } => utf16_window(text, encoding, checkpoints, invalid),
        }
    }
}

/// Drops the checkpoints before text position `upto`.
fn drop_before(checkpoints: &mut VecDeque<(u64, u64)>, upto: u64) {
    while checkpoints.front().is_some_and(|c| c.0 < upto) {
        checkpoints.pop_front();
    }
}

impl<R: Read> Read for WindowText<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = if self.pos < self.ready.len() {
            let n = buf.len().min(self.ready.len() - self.pos);
            buf[..n].copy_from_slice(&self.ready[self.pos..self.pos + n]);
            self.pos += n;
            n
        } else if self.utf16.is_some() {
            if !self.refill()? {
                return Ok(0);
            }
            return self.read(buf);
        } else {
            self.counted.read(buf)?
        };
        if let Some(copy) = &mut self.copy {
            copy.write_all(&buf[..n])
                .map_err(|e| std::io::Error::other(CopyFailed(e)))?;
        }
        Ok(n)
    }
}
