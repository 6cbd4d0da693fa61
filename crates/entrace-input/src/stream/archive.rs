//! The first pass over a zip evidence file, one member at a time, so an
//! evidence archive never sits in memory whole, nor do its members
//! together.
//!
//! The archive is read from disk through its central directory. Members are
//! taken in name order: a large one (by its declared size) is decompressed
//! and read in windows like a large file ([`super::window`]); the others are
//! read whole ([`super::whole`]) and parsed in parallel in batches of about
//! [`BATCH_BYTES`]. A zip nested in a member is opened in memory. The
//! decompression limits hold for every stream of the archive, windowed or
//! not: `--max-decompressed-size` per stream, and
//! [`crate::container::MAX_RATIO`] times the archive's size for all its
//! streams together.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use rayon::prelude::*;

use super::source::{Stored, Text};
use super::window::{self, Stream, WindowOptions};
use super::{parse_whole, whole, Parsed};
use crate::container::{member_failed, zip_members, zip_method, Budget};
use crate::parse::reject::Reason;
use crate::{Compression, Leaf, LeafBytes};
use entrace_model::error::Result;

/// Decompressed bytes of small members gathered before they are parsed
/// together.
const BATCH_BYTES: u64 = 64 << 20;

/// Members read whole and waiting to be parsed.
struct Batch<'a> {
    path: &'a Path,
    file: usize,
    spill: &'a Path,
    leaves: Vec<Leaf>,
    bytes: u64,
}

impl Batch<'_> {
    fn push(&mut self, leaves: Vec<Leaf>, out: &mut Vec<Parsed>) -> Result<()> {
        self.bytes += leaves
            .iter()
            .filter_map(Leaf::decompressed_size)
            .sum::<u64>();
        self.leaves.extend(leaves);
        if self.bytes >= BATCH_BYTES {
            self.flush(out)?;
        }
        Ok(())
    }

    /// Parses the waiting members on every core, appending them to `out`.
    fn flush(&mut self, out: &mut Vec<Parsed>) -> Result<()> {
        let first = out.len();
        let parsed: Vec<Parsed> = std::mem::take(&mut self.leaves)
            .into_par_iter()
            .enumerate()
            .map(|(i, leaf)| parse_whole(self.path, self.file, first + i, leaf, self.spill))
            .collect::<Result<_>>()?;
        out.extend(parsed);
        self.bytes = 0;
        Ok(())
    }
}

/// The first pass over the zip archive `path` (evidence file number `file`):
/// the archive's stream, then its members'. Text goes to `spill`.
pub(super) fn process_zip(
    path: &Path,
    file: usize,
    opts: WindowOptions,
    spill: &Path,
) -> Result<Vec<Parsed>> {
    let display = path.display().to_string();
    let mut leaf = Leaf {
        path: display.clone(),
        member: None,
        stored_size: 0,
        sha256: String::new(),
        compression: Compression::Zip,
        bytes: LeafBytes::Archive,
    };
    let opened = File::open(path)
        .and_then(|f| {
            leaf.stored_size = f.metadata()?.len();
            let mut stored = Stored::new(f);
            std::io::copy(&mut stored, &mut std::io::sink())?;
            leaf.sha256 = stored.finish()?;
            File::open(path)
        })
        .map_err(|e| (Reason::IoError, format!("cannot read file: {e}")))
        .and_then(|f| {
            zip::ZipArchive::new(BufReader::new(f)).map_err(|e| {
                (
                    Reason::DecompressFailed,
                    format!("unreadable zip archive: {e}"),
                )
            })
        });
    let mut archive = match opened {
        Ok(a) => a,
        Err((code, message)) => {
            leaf.bytes = LeafBytes::Failed(code, message);
            return Ok(vec![parse_whole(path, file, 0, leaf, spill)?]);
        }
    };
    let mut budget = Budget::new(leaf.stored_size, opts.limit);
    let mut out = vec![parse_whole(path, file, 0, leaf, spill)?];
    let mut batch = Batch {
        path,
        file,
        spill,
        leaves: Vec::new(),
        bytes: 0,
    };
    for (name, index) in zip_members(&archive) {
        let windowed = match archive.by_index(index) {
            Ok(mut member) if member.size() >= opts.min / 8 => {
                batch.flush(&mut out)?;
                let leaf = Leaf {
                    path: display.clone(),
                    member: Some(name.clone()),
                    stored_size: member.compressed_size(),
                    sha256: String::new(),
                    compression: zip_method(&member),
                    bytes: LeafBytes::Consumed(0),
                };
                let stream = Stream {
                    leaf,
                    in_place: None,
                    limit: budget.stream_limit(),
                };
                let copy = spill.join(format!("{file}-{}.txt", out.len()));
                match Text::open(Stored::new(&mut member)) {
                    Ok(text) => window::window_stream(text, stream, opts.window, &copy)?,
                    Err(_) => None,
                }
            }
            _ => None,
        };
        if let Some(parsed) = windowed {
            budget.spend(parsed.stream.leaf.decompressed_size().unwrap_or(0));
            out.push(parsed);
            continue;
        }
        // Small, or not one that windows can cut: read it whole.
        let mut leaves = Vec::new();
        match archive.by_index(index) {
            Ok(mut member) => {
                whole::read_member(&display, name, &mut member, &mut budget, &mut leaves)
            }
            Err(e) => leaves.push(member_failed(&display, name, &e)),
        }
        batch.push(leaves, &mut out)?;
    }
    batch.flush(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::stream::window::tests_support::{
        crlf_pretty_array, rows, utf16le_bom, zip_of, WINDOWED,
    };

    /// What the first pass says of each stream, but where its text went.
    fn summary(parsed: &[Parsed]) -> Vec<String> {
        parsed
            .iter()
            .map(|p| {
                let (s, l) = (&p.stream, &p.stream.leaf);
                let mut rejects: Vec<String> =
                    s.parse.rejects.iter().map(|r| format!("{r:?}")).collect();
                rejects.sort();
                format!(
                    "{} {:?} {} {} {} {} {:?} {:?} {} {:?} {:?} {:?} {} {:?}",
                    l.path,
                    l.member,
                    s.kind.as_str(),
                    l.compression.name(),
                    l.stored_size,
                    l.sha256,
                    l.decompressed_size(),
                    s.encoding,
                    s.parse.shape,
                    s.parse.read,
                    rejects,
                    s.parse.warnings,
                    s.parse.pages,
                    rows(&p.keys),
                )
            })
            .collect()
    }

    #[test]
    fn large_members_are_read_in_windows_and_give_what_reading_them_whole_gives() {
        let records = crate::parse::sample_sign_ins();
        let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
        let jsonl = lines.join("\n") + "\n";
        let array = crlf_pretty_array(&records);
        let page = format!(
            "{{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns\",\"value\":[{}]}}",
            lines.join(",")
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(page.as_bytes()).unwrap();
        let damaged = format!("{}{{\"id\": \"cut\", \"createdDateTime\": \n", jsonl);
        let inner = zip_of(&[("x.jsonl", jsonl.clone().into_bytes())]);
        let archive = zip_of(&[
            ("a/signins.jsonl", jsonl.clone().into_bytes()),
            ("b/powershell.json", utf16le_bom(&array)),
            ("c/page.json.gz", gz.finish().unwrap()),
            ("d/small.json", lines[0].clone().into_bytes()),
            ("e/inner.zip", inner),
            ("f/damaged.jsonl", damaged.into_bytes()),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evidence.zip");
        std::fs::write(&path, &archive).unwrap();
        assert_eq!(
            super::super::magic_of_file(&path),
            Some(super::super::Magic::Zip)
        );

        let whole_opts = WindowOptions {
            min: u64::MAX,
            window: 3000,
            limit: u64::MAX,
        };
        let spill = dir.path().join("spill-whole");
        std::fs::create_dir(&spill).unwrap();
        let whole = process_zip(&path, 0, whole_opts, &spill).unwrap();
        assert_eq!(whole.len(), 8, "{:#?}", summary(&whole));
        let spill = dir.path().join("spill-windows");
        std::fs::create_dir(&spill).unwrap();
        let opts = WindowOptions {
            min: 16_000,
            ..whole_opts
        };
        let before = WINDOWED.with(|n| n.get());
        let windowed = process_zip(&path, 0, opts, &spill).unwrap();
        assert_eq!(summary(&windowed), summary(&whole));
        // Four members were large enough and could be cut; the nested zip
        // could not, and the small member was not offered.
        assert_eq!(WINDOWED.with(|n| n.get()) - before, 4);
        // Every stream with records has its text copied for the second
        // pass: the four members read in windows (1, 2, 3, 7), the small
        // one (4) and the nested zip's member (6).
        let mut copies: Vec<String> = std::fs::read_dir(&spill)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        copies.sort();
        assert_eq!(
            copies,
            ["0-1.txt", "0-2.txt", "0-3.txt", "0-4.txt", "0-6.txt", "0-7.txt"]
        );
        let encodings: Vec<_> = windowed.iter().map(|p| p.stream.encoding).collect();
        assert_eq!(encodings[2], Some("utf-16le-bom"));
    }
}
