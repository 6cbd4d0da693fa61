//! The readers under a windowed stream: the file as stored, hashed as it is
//! read; its decompression, when it is gzip or zstd; and the decoded text,
//! counted against the decompression limits and copied for the second pass.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};

use sha2::{Digest, Sha256};

/// The evidence file as stored, with the SHA-256 of every byte read.
pub(super) struct Stored {
    file: File,
    hasher: Sha256,
}

impl Stored {
    pub(super) fn new(file: File) -> Self {
        Stored {
            file,
            hasher: Sha256::new(),
        }
    }

    /// Reads the rest of the file (a decoder may stop before its end) and
    /// returns the SHA-256 of all of it.
    pub(super) fn finish(mut self) -> std::io::Result<String> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        Ok(hex::encode(self.hasher.finalize()))
    }
}

impl Read for Stored {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The text of a stored file: the file itself, or its decompression.
pub(super) enum Text {
    Plain(Stored),
    Gzip(Box<flate2::read::MultiGzDecoder<Stored>>),
    Zstd(Box<zstd::stream::read::Decoder<'static, BufReader<Stored>>>),
}

impl Text {
    /// `compression` of the sources table.
    pub(super) fn compression(&self) -> &'static str {
        match self {
            Text::Plain(_) => "none",
            Text::Gzip(_) => "gzip",
            Text::Zstd(_) => "zstd",
        }
    }

    pub(super) fn into_stored(self) -> Stored {
        match self {
            Text::Plain(s) => s,
            Text::Gzip(d) => d.into_inner(),
            Text::Zstd(d) => d.finish().into_inner(),
        }
    }
}

impl Read for Text {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Text::Plain(r) => r.read(buf),
            Text::Gzip(r) => r.read(buf),
            Text::Zstd(r) => r.read(buf),
        }
    }
}

/// The decoded text passed past a decompression limit.
#[derive(Debug)]
pub(super) struct LimitExceeded(pub(super) String);

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LimitExceeded {}

/// Decoded text, counted against `limit` and copied to `copy` (for text the
/// second pass cannot read in place).
pub(super) struct Counted {
    pub(super) text: Text,
    pub(super) copy: Option<BufWriter<File>>,
    pub(super) bytes: u64,
    /// Most bytes allowed, and the message when they are passed.
    pub(super) limit: (u64, String),
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.text.read(buf)?;
        self.bytes += n as u64;
        if self.bytes > self.limit.0 {
            return Err(std::io::Error::other(LimitExceeded(self.limit.1.clone())));
        }
        if let Some(copy) = &mut self.copy {
            copy.write_all(&buf[..n])?;
        }
        Ok(n)
    }
}
