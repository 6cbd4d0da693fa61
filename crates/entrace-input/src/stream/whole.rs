//! The one-window case: a stream read whole, through the same readers as
//! the windows ([`super::source`]), into one buffer that is decoded and
//! parsed at once. A zip inside a stream is opened in memory here (a zip
//! needs to seek), and its members are read the same way, up to
//! [`MAX_NESTING`] levels.
//!
//! Also the hashes `entrace verify` compares: every stream of an evidence
//! file hashed as the conversion hashed it, with nothing kept.

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

use super::source::{Counted, Magic, OpenFailed, Stored, Text};
use crate::container::{
    member_failed, zip_members, zip_method, Budget, Leaf, LeafBytes, Limit, LimitExceeded,
    MAX_NESTING,
};
use crate::parse::reject::Reason;
use crate::Compression;

/// Where a stream read whole sits in the evidence.
pub(super) struct At<'a> {
    /// The evidence file.
    pub(super) path: &'a str,
    /// The member path inside it, for a zip member (nested: `a.zip!b.json`).
    pub(super) member: Option<String>,
    /// Bytes as stored (file size, or compressed member size).
    pub(super) stored_size: u64,
    /// How zip stored the member; `None` for a file.
    pub(super) method: Option<Compression>,
    /// Zips the stream is inside (0 for an evidence file).
    pub(super) depth: usize,
}

/// What to keep of a stream's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// The decompressed bytes, to parse.
    Content,
    /// Only the hash and the size (`entrace verify`).
    Hash,
}

/// The evidence file `path` (not a zip: see [`super::archive`]) read whole
/// into its leaves: itself, or, when it is a zip after all, the archive and
/// its members.
pub(super) fn read_file(path: &Path, limit: u64) -> Vec<Leaf> {
    let mut out = Vec::new();
    read_file_into(path, limit, Keep::Content, &mut out);
    out
}

/// Member `member` of a zip read from disk, read whole into `out`: the
/// member, or a nested archive and its members.
pub(super) fn read_member<R: Read>(
    path: &str,
    member: String,
    file: &mut zip::read::ZipFile<'_, R>,
    budget: &mut Budget,
    out: &mut Vec<Leaf>,
) {
    let at = At {
        path,
        member: Some(member),
        stored_size: file.compressed_size(),
        method: Some(zip_method(file)),
        depth: 1,
    };
    read_stream(Stored::new(file), at, budget, Keep::Content, out);
}

fn read_file_into(path: &Path, limit: u64, keep: Keep, out: &mut Vec<Leaf>) {
    let display = path.display().to_string();
    let opened = File::open(path).and_then(|f| Ok((f.metadata()?.len(), f)));
    let (size, file) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            out.push(file_failed(&display, &e));
            return;
        }
    };
    let at = At {
        path: &display,
        member: None,
        stored_size: size,
        method: None,
        depth: 0,
    };
    read_stream(
        Stored::new(file),
        at,
        &mut Budget::new(size, limit),
        keep,
        out,
    );
}

/// The hash of a stream that failed to decompress: a file's is of its bytes
/// on disk, whatever they hold; a member's is of its content when that can
/// be read to its end within `limit` (its gzip may be what is broken), and
/// empty otherwise.
pub(super) fn failed_hash<R: Read>(stored: Stored<R>, is_member: bool, limit: &Limit) -> String {
    match is_member {
        true => stored.finish_within(limit.bytes).unwrap_or_default(),
        false => stored.finish().unwrap_or_default(),
    }
}

/// An evidence file that cannot be read at all.
fn file_failed(path: &str, e: &std::io::Error) -> Leaf {
    Leaf {
        path: path.to_string(),
        member: None,
        stored_size: 0,
        sha256: String::new(),
        compression: Compression::None,
        bytes: LeafBytes::Failed(Reason::IoError, format!("cannot read file: {e}")),
    }
}

/// Reads the stream `stored` (at `at`) to its end and appends its leaves
/// to `out`. Every byte it decompresses to counts against `budget`.
fn read_stream<R: Read>(
    stored: Stored<R>,
    at: At<'_>,
    budget: &mut Budget,
    keep: Keep,
    out: &mut Vec<Leaf>,
) {
    let is_member = at.member.is_some();
    let leaf = |compression: Compression, bytes: LeafBytes, sha256: String| Leaf {
        path: at.path.to_string(),
        member: at.member.clone(),
        stored_size: at.stored_size,
        sha256,
        compression,
        bytes,
    };
    // A stream stored plain is a file's own bytes, or as zip stored them.
    let plain = at.method.unwrap_or(Compression::None);
    let text = match Text::open(stored) {
        Ok(text) => text,
        Err(OpenFailed::Read(e)) if !is_member => return out.push(file_failed(at.path, &e)),
        Err(OpenFailed::Read(e)) => {
            let failed =
                LeafBytes::Failed(Reason::DecompressFailed, format!("cannot decompress: {e}"));
            return out.push(leaf(plain, failed, String::new()));
        }
        Err(OpenFailed::Zstd(e)) => {
            let failed = LeafBytes::Failed(Reason::DecompressFailed, format!("zstd: {e}"));
            return out.push(leaf(Compression::Zstd, failed, String::new()));
        }
    };
    let nested = text.magic() == Magic::Zip && at.depth < MAX_NESTING;
    let compression = match text.magic() {
        Magic::Gzip => Compression::Gzip,
        Magic::Zstd => Compression::Zstd,
        Magic::Zip if nested => Compression::Zip,
        Magic::Zip | Magic::Plain => plain,
    };
    // An evidence file stored plain is as large as it is on disk; what
    // anything else decompresses to is bounded by the budget.
    let plain_file = !is_member && compression.is_none();
    if plain_file {
        if let Some(message) = budget.exceeded_by(at.stored_size) {
            let sha = text.into_stored().finish().unwrap_or_default();
            return out.push(leaf(
                compression,
                LeafBytes::Failed(Reason::LimitExceeded, message),
                sha,
            ));
        }
    }
    let limit = match plain_file {
        true => Limit::none(),
        false => budget.stream_limit(),
    };
    let mut counted = Counted {
        text,
        bytes: 0,
        limit: limit.clone(),
    };
    let mut content = Vec::new();
    // A nested zip is kept even for its hash: its members are read from it.
    let read = match keep == Keep::Content || nested {
        true => counted.read_to_end(&mut content).map(drop),
        false => std::io::copy(&mut counted, &mut std::io::sink()).map(drop),
    };
    budget.spend(counted.bytes);
    let Counted { text, bytes, .. } = counted;
    if let Err(e) = read {
        let (reason, message) = match e.get_ref().and_then(|r| r.downcast_ref::<LimitExceeded>()) {
            Some(limit) => (Reason::LimitExceeded, limit.0.clone()),
            None if plain_file => (Reason::IoError, format!("cannot read file: {e}")),
            None => (Reason::DecompressFailed, format!("cannot decompress: {e}")),
        };
        let sha = failed_hash(text.into_stored(), is_member, &limit);
        return out.push(leaf(compression, LeafBytes::Failed(reason, message), sha));
    }
    let sha = match text.into_stored().finish() {
        Ok(sha) => sha,
        Err(e) if !is_member => return out.push(file_failed(at.path, &e)),
        Err(e) => {
            let failed =
                LeafBytes::Failed(Reason::DecompressFailed, format!("cannot decompress: {e}"));
            return out.push(leaf(compression, failed, String::new()));
        }
    };
    if nested {
        out.push(leaf(Compression::Zip, LeafBytes::Archive, sha));
        return read_archive(Cursor::new(content), &at, budget, keep, out);
    }
    let bytes = match keep {
        Keep::Content => LeafBytes::Data(content),
        Keep::Hash => LeafBytes::Consumed(bytes),
    };
    out.push(leaf(compression, bytes, sha));
}

/// The members of the zip `archive` (the stream at `at`, whose leaf is the
/// last of `out`), each read whole into `out` in name order.
fn read_archive<S: Read + std::io::Seek>(
    archive: S,
    at: &At<'_>,
    budget: &mut Budget,
    keep: Keep,
    out: &mut Vec<Leaf>,
) {
    let mut archive = match zip::ZipArchive::new(archive) {
        Ok(a) => a,
        Err(e) => {
            if let Some(last) = out.last_mut() {
                last.bytes = LeafBytes::Failed(
                    Reason::DecompressFailed,
                    format!("unreadable zip archive: {e}"),
                );
            }
            return;
        }
    };
    for (name, index) in zip_members(&archive) {
        let member = match &at.member {
            Some(parent) => format!("{parent}!{name}"),
            None => name,
        };
        match archive.by_index(index) {
            Ok(mut file) => {
                let inner = At {
                    path: at.path,
                    member: Some(member),
                    stored_size: file.compressed_size(),
                    method: Some(zip_method(&file)),
                    depth: at.depth + 1,
                };
                read_stream(Stored::new(&mut file), inner, budget, keep, out);
            }
            Err(e) => out.push(member_failed(at.path, member, &e)),
        }
    }
}

/// One stream of the evidence and its SHA-256, as the conversion recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHash {
    /// The evidence file.
    pub path: String,
    /// The member path, for a zip member.
    pub member: Option<String>,
    /// SHA-256 of the stream as stored (a file), or as extracted (a
    /// member); empty for a member that could not be read.
    pub sha256: String,
}

/// Every stream of the evidence file `path` (the file; for a zip, also its
/// members, nested ones included) with its hash, as `entrace convert`
/// hashed it with `--max-decompressed-size` `limit`. Nothing is kept but
/// the hashes: a zip is read from disk one member at a time.
pub fn hash_evidence(path: &Path, limit: u64) -> Vec<StreamHash> {
    let mut out = Vec::new();
    if super::magic_of_file(path) == Some(Magic::Zip) {
        hash_zip(path, limit, &mut out);
    } else {
        read_file_into(path, limit, Keep::Hash, &mut out);
    }
    out.into_iter()
        .map(|leaf| StreamHash {
            path: leaf.path,
            member: leaf.member,
            sha256: leaf.sha256,
        })
        .collect()
}

fn hash_zip(path: &Path, limit: u64, out: &mut Vec<Leaf>) {
    let display = path.display().to_string();
    let hashed = File::open(path).and_then(|f| {
        let size = f.metadata()?.len();
        let mut stored = Stored::new(f);
        std::io::copy(&mut stored, &mut std::io::sink())?;
        Ok((size, stored.finish()?))
    });
    let (size, sha256) = match hashed {
        Ok(hashed) => hashed,
        Err(e) => return out.push(file_failed(&display, &e)),
    };
    out.push(Leaf {
        path: display.clone(),
        member: None,
        stored_size: size,
        sha256,
        compression: Compression::Zip,
        bytes: LeafBytes::Archive,
    });
    let at = At {
        path: &display,
        member: None,
        stored_size: size,
        method: None,
        depth: 0,
    };
    match File::open(path) {
        Ok(f) => read_archive(
            BufReader::new(f),
            &at,
            &mut Budget::new(size, limit),
            Keep::Hash,
            out,
        ),
        Err(e) => *out = vec![file_failed(&display, &e)],
    }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::stream::window::tests_support::{gzip, zip_of};

    fn sha(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    /// Each leaf as (member, compression, stored size, hash, what it holds).
    fn leaves(out: &[Leaf]) -> Vec<(Option<String>, String, u64, String, String)> {
        out.iter()
            .map(|l| {
                let bytes = match &l.bytes {
                    LeafBytes::Data(d) => String::from_utf8_lossy(d).into_owned(),
                    LeafBytes::Archive => "archive".into(),
                    LeafBytes::Failed(r, m) => format!("{}: {m}", r.as_str()),
                    LeafBytes::Consumed(n) => format!("{n} bytes"),
                };
                (
                    l.member.clone(),
                    l.compression.name(),
                    l.stored_size,
                    l.sha256.clone(),
                    bytes,
                )
            })
            .collect()
    }

    /// `leaf` is a gzip stream that failed to decompress and kept the hash
    /// of `stored`.
    fn assert_broken_gzip(leaf: &(Option<String>, String, u64, String, String), stored: &[u8]) {
        assert_eq!((leaf.1.as_str(), leaf.3.as_str()), ("gzip", &*sha(stored)));
        assert!(
            leaf.4.starts_with("decompress_failed: cannot decompress: "),
            "{}",
            leaf.4
        );
    }

    #[test]
    fn files_are_decompressed_by_their_magic_bytes_and_hashed_as_stored() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"{\"id\":\"a\"}\n";
        let zstd = zstd::encode_all(&text[..], 1).unwrap();
        for (name, stored, compression) in [
            ("plain.txt.gz", text.to_vec(), "none"),
            ("gzip.json", gzip(text), "gzip"),
            ("zstd.bin", zstd, "zstd"),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, &stored).unwrap();
            let read = leaves(&read_file(&path, u64::MAX));
            let expected = (
                None,
                compression.to_string(),
                stored.len() as u64,
                sha(&stored),
                String::from_utf8_lossy(text).into_owned(),
            );
            assert_eq!(read, [expected], "{name}");
            let hashes = hash_evidence(&path, u64::MAX);
            assert_eq!(hashes.len(), 1);
            assert_eq!(hashes[0].sha256, sha(&stored), "{name}");
        }
    }

    #[test]
    fn unreadable_and_oversized_streams_say_why_and_files_keep_their_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("corrupt.json.gz");
        let mut stored = gzip(&[b'x'; 5000]);
        let n = stored.len();
        stored[n / 2..n - 8].fill(0xAB);
        std::fs::write(&path, &stored).unwrap();
        let read = leaves(&read_file(&path, u64::MAX));
        assert_eq!(read.len(), 1);
        assert_broken_gzip(&read[0], &stored);

        // Past --max-decompressed-size: plain files by their size, others
        // as they decompress.
        let plain = dir.path().join("big.json");
        std::fs::write(&plain, [b' '; 2000]).unwrap();
        let read = leaves(&read_file(&plain, 1000));
        assert_eq!(
            read[0].4,
            "limit_exceeded: 2000 bytes exceed the limit of 1000 bytes (--max-decompressed-size)"
        );
        assert_eq!(read[0].3, sha(&[b' '; 2000]));
        let gz = dir.path().join("big.json.gz");
        std::fs::write(&gz, gzip(&[b' '; 2000])).unwrap();
        let read = leaves(&read_file(&gz, 1000));
        assert_eq!(
            read[0].4,
            "limit_exceeded: decompressed size exceeds the limit of 1000 bytes (--max-decompressed-size)"
        );

        let missing = dir.path().join("missing.json");
        let read = leaves(&read_file(&missing, u64::MAX));
        assert_eq!(read[0].2, 0);
        assert!(read[0].4.starts_with("io_error: cannot read file: "));
    }

    #[test]
    fn zips_are_opened_as_archives_down_to_the_nesting_limit() {
        let text: &[u8] = b"{\"id\":\"a\"}\n";
        let gz = gzip(text);
        let level3 = zip_of(&[("deep.json", text)]);
        let level2 = zip_of(&[("c.zip", &level3[..]), ("z.json", text)]);
        let inner = zip_of(&[("b.zip", &level2[..]), ("y.json.gz", &gz)]);
        let outer = zip_of(&[("a.zip", &inner[..]), ("x.json", text), ("dir/", b"")]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evidence.zip");
        std::fs::write(&path, &outer).unwrap();
        let names: Vec<_> = hash_evidence(&path, u64::MAX)
            .into_iter()
            .map(|h| (h.member, h.sha256))
            .collect();
        let m = |s: &str| Some(s.to_string());
        assert_eq!(
            names,
            [
                (None, sha(&outer)),
                (m("a.zip"), sha(&inner)),
                (m("a.zip!b.zip"), sha(&level2)),
                // Three zips deep: read as it is, not opened.
                (m("a.zip!b.zip!c.zip"), sha(&level3)),
                (m("a.zip!b.zip!z.json"), sha(text)),
                (m("a.zip!y.json.gz"), sha(&gz)),
                (m("x.json"), sha(text)),
            ]
        );

        // A member read whole: a nested zip is an archive and its members;
        // a gzip member says gzip; a plain one keeps the zip method.
        let file = File::open(&path).unwrap();
        let mut archive = zip::ZipArchive::new(BufReader::new(file)).unwrap();
        let mut out = Vec::new();
        let mut budget = Budget::new(outer.len() as u64, u64::MAX);
        for (name, index) in zip_members(&archive) {
            let mut member = archive.by_index(index).unwrap();
            read_member("evidence.zip", name, &mut member, &mut budget, &mut out);
        }
        let kinds: Vec<_> = leaves(&out).into_iter().map(|l| (l.0, l.1, l.4)).collect();
        let t = String::from_utf8_lossy(text).into_owned();
        let level3_text = String::from_utf8_lossy(&level3).into_owned();
        assert_eq!(
            kinds,
            [
                (m("a.zip"), "zip".into(), "archive".into()),
                (m("a.zip!b.zip"), "zip".into(), "archive".into()),
                (m("a.zip!b.zip!c.zip"), "deflated".into(), level3_text),
                (m("a.zip!b.zip!z.json"), "deflated".into(), t.clone()),
                (m("a.zip!y.json.gz"), "gzip".into(), t.clone()),
                (m("x.json"), "deflated".into(), t),
            ]
        );
    }

    #[test]
    fn the_streams_of_one_file_share_its_ratio_budget() {
        // Each member fits the absolute limit; together they pass what the
        // archive may expand to, and the second is stopped.
        let big = vec![b' '; 600 << 10];
        let outer = zip_of(&[("a.json", &big), ("b.json", &big)]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.zip");
        std::fs::write(&path, &outer).unwrap();
        let file = File::open(&path).unwrap();
        let mut archive = zip::ZipArchive::new(BufReader::new(file)).unwrap();
        let mut out = Vec::new();
        // An archive of 1 KiB may expand to 1 MiB, the absolute limit.
        let mut budget = Budget::new(1 << 10, 1 << 20);
        for (name, index) in zip_members(&archive) {
            let mut member = archive.by_index(index).unwrap();
            read_member("bomb.zip", name, &mut member, &mut budget, &mut out);
        }
        let read = leaves(&out);
        assert_eq!(read[0].4.len(), big.len());
        assert_eq!(read[1].3, "", "a member past the limits has no hash");
        assert_eq!(
            read[1].4,
            "limit_exceeded: decompression bomb: the evidence file expands past 1048576 bytes, 1000 times its size"
        );
    }

    #[test]
    fn a_member_whose_gzip_is_broken_keeps_the_hash_of_its_content() {
        let mut broken = gzip(&[b'x'; 5000]);
        broken.truncate(broken.len() / 2);
        let outer = zip_of(&[("a.json.gz", &broken)]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evidence.zip");
        std::fs::write(&path, &outer).unwrap();
        let file = File::open(&path).unwrap();
        let mut archive = zip::ZipArchive::new(BufReader::new(file)).unwrap();
        let mut out = Vec::new();
        let mut budget = Budget::new(outer.len() as u64, u64::MAX);
        let mut member = archive.by_index(0).unwrap();
        read_member(
            "evidence.zip",
            "a.json.gz".into(),
            &mut member,
            &mut budget,
            &mut out,
        );
        let read = leaves(&out);
        assert_broken_gzip(&read[0], &broken);
        let hashes = hash_evidence(&path, u64::MAX);
        assert_eq!(hashes[1].sha256, sha(&broken));
    }
}
