//! Hostile input, generated at test time: decompression bombs, zip members
//! that try to escape, a 100 MB line, 100,000-deep nesting, NUL bytes, broken
//! UTF-8 and UTF-16, duplicate keys, numbers out of range and timestamps in
//! the wrong format or zone. Every case is a counted reject with its reason and
//! message, or a correct row; the run always completes and reconciles.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::util::*;

/// A sign-in line with `id` and `extra` JSON members appended.
fn signin(id: &str, extra: &str) -> String {
    format!(
        r#"{{"id":"{id}","createdDateTime":"2025-03-17T15:42:32Z","userId":"u1","userPrincipalName":"u@contoso.com"{extra}}}"#
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// (reason, message) of every reject, in byte order.
fn rejects(out: &Path) -> Vec<(String, String)> {
    let r = read_table(out, "rejects");
    let reasons = strs(&r, "reason");
    let messages = strs(&r, "message");
    (0..r.height())
        .map(|i| (reasons[i].clone().unwrap(), messages[i].clone().unwrap()))
        .collect()
}

fn pair(reason: &str, message: &str) -> (String, String) {
    (reason.to_string(), message.to_string())
}

/// Converts `inputs`, checks the manifest reconciles and returns the output
/// directory with `totals` as (read, written, duplicates, rejected).
fn convert(w: &Workdir, inputs: &[PathBuf], extra: &[&str]) -> (PathBuf, [u64; 4]) {
    let (code, out, stderr) = w.convert("out", inputs, extra);
    let m = manifest(&out);
    assert_reconciles(&m);
    let t = &m["totals"];
    let n = |k: &str| t[k].as_u64().unwrap();
    let totals = [n("read"), n("written"), n("duplicates"), n("rejected")];
    assert_eq!(code, if totals[3] > 0 { 1 } else { 0 }, "{stderr}");
    (out, totals)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn gzip_bomb_stops_at_the_absolute_limit() {
    let w = Workdir::new();
    // Multi-member gzip: a record, then 8 members of 1 MiB of spaces each.
    let mut bomb = gzip(format!("{}\n", signin("g1", "")).as_bytes());
    let mib = gzip(&vec![b' '; 1 << 20]);
    for _ in 0..8 {
        bomb.extend_from_slice(&mib);
    }
    let bomb = write(w.dir.path(), "bomb.json.gz", &bomb);
    let good = write(w.dir.path(), "good.jsonl", signin("ok", "").as_bytes());
    let (out, totals) = convert(&w, &[bomb, good], &["--max-decompressed-size", "2M"]);
    assert_eq!(totals, [2, 1, 0, 1]);
    assert_eq!(
        rejects(&out),
        [pair(
            "limit_exceeded",
            "decompressed size exceeds the limit of 2097152 bytes (--max-decompressed-size)"
        )]
    );
}

/// A zip whose `n` central directory entries all point at one deflated local
/// entry: the overlapping-member bomb. Hand-made, as no zip writer does this.
fn overlapping_zip(content: &[u8], n: usize) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(content).unwrap();
    let data = e.finish().unwrap();
    let mut crc = flate2::Crc::new();
    crc.update(content);
    let (crc, csize, usize_) = (crc.sum(), data.len() as u32, content.len() as u32);
    let name = |i: usize| format!("m{i:03}.json");
    let mut z = Vec::new();
    let common = |z: &mut Vec<u8>, name: &str| {
        z.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0x21, 0]); // version, flags, deflate, time, date
        z.extend_from_slice(&crc.to_le_bytes());
        z.extend_from_slice(&csize.to_le_bytes());
        z.extend_from_slice(&usize_.to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0, 0]); // extra length
    };
    z.extend_from_slice(b"PK\x03\x04");
    common(&mut z, &name(0));
    z.extend_from_slice(name(0).as_bytes());
    z.extend_from_slice(&data);
    let cd_start = z.len() as u32;
    for i in 0..n {
        z.extend_from_slice(b"PK\x01\x02\x14\x00");
        common(&mut z, &name(i));
        z.extend_from_slice(&[0; 14]); // comment len, disk, attributes, local header offset 0
        z.extend_from_slice(name(i).as_bytes());
    }
    let cd_len = z.len() as u32 - cd_start;
    z.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    z.extend_from_slice(&(n as u16).to_le_bytes());
    z.extend_from_slice(&(n as u16).to_le_bytes());
    z.extend_from_slice(&cd_len.to_le_bytes());
    z.extend_from_slice(&cd_start.to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    z
}

#[test]
fn zip_bomb_of_overlapping_members_stops_at_the_ratio_limit() {
    let w = Workdir::new();
    let mut content = format!("{}\n", signin("z", "")).into_bytes();
    content.resize(content.len() + (1 << 20), b' ');
    let members = 200u64;
    let zip = overlapping_zip(&content, members as usize);
    let budget = zip.len() as u64 * 1000;
    let fit = budget / content.len() as u64;
    assert!((5..50).contains(&fit), "{fit}");
    let path = write(w.dir.path(), "bomb.zip", &zip);
    let (out, totals) = convert(&w, &[path], &["--max-decompressed-size", "2M"]);
    // The members that fit the budget are read (one row, the rest duplicates
    // of it); every later member is a reject. The archive itself reads nothing.
    assert_eq!(totals, [members, 1, fit - 1, members - fit]);
    let msg = format!(
        "decompression bomb: the evidence file expands past {budget} bytes, 1000 times its size"
    );
    assert_eq!(
        rejects(&out),
        vec![pair("limit_exceeded", &msg); (members - fit) as usize]
    );
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        z.start_file(*name, opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

#[test]
fn zip_member_past_the_absolute_limit_is_rejected_alone() {
    let w = Workdir::new();
    let big = vec![b' '; 3 << 20];
    let ok = signin("ok", "");
    let zip = zip_of(&[("big.json", &big), ("ok.json", ok.as_bytes())]);
    let path = write(w.dir.path(), "e.zip", &zip);
    let (out, totals) = convert(&w, &[path], &["--max-decompressed-size", "1M"]);
    assert_eq!(totals, [2, 1, 0, 1]);
    assert_eq!(
        rejects(&out),
        [pair(
            "limit_exceeded",
            "decompressed size exceeds the limit of 1048576 bytes (--max-decompressed-size)"
        )]
    );
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn zip_members_named_to_escape_are_read_in_memory_and_never_written() {
    let w = Workdir::new();
    let names = [
        "../../escaped-1.json",
        "/tmp/escaped-2.json",
        "a/../../../escaped-3.json",
    ];
    let bodies: Vec<String> = (1..=3).map(|i| signin(&format!("s{i}"), "")).collect();
    let members: Vec<(&str, &[u8])> = names
        .iter()
        .zip(&bodies)
        .map(|(n, b)| (*n, b.as_bytes()))
        .collect();
    let evidence = w.dir.path().join("evidence");
    std::fs::create_dir(&evidence).unwrap();
    let zip = write(&evidence, "slip.zip", &zip_of(&members));
    let (out, totals) = convert(&w, std::slice::from_ref(&zip), &[]);
    assert_eq!(totals, [3, 3, 0, 0]);
    // Each member is evidence under its own name, as written in the archive.
    let sources = read_table(&out, "sources");
    let mut recorded: Vec<String> = strs(&sources, "member").into_iter().flatten().collect();
    recorded.sort();
    let mut expected: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(recorded, expected);
    // Nothing was written anywhere but OUT_DIR.
    let mut files = Vec::new();
    files_under(w.dir.path(), &mut files);
    assert!(
        files.iter().all(|f| f == &zip || f.starts_with(&out)),
        "{files:?}"
    );
    for n in 1..=3 {
        let name = format!("escaped-{n}.json");
        assert!(!Path::new("/tmp").join(&name).exists());
        assert!(!w.dir.path().parent().unwrap().join(&name).exists());
    }
}

/// A zstd frame of `prefix`, `count` × `byte` (as RLE blocks) and `suffix`:
/// 100 MB of input from a few kilobytes, without compressing anything.
fn zstd_rle(prefix: &[u8], byte: u8, count: usize, suffix: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 128 << 10;
    let header = |last: bool, kind: u32, size: usize| {
        let v = u32::from(last) | (kind << 1) | ((size as u32) << 3);
        v.to_le_bytes()[..3].to_vec()
    };
    // Magic, no checksum or content size, 128 KiB window.
    let mut z = vec![0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x38];
    z.extend(header(false, 0, prefix.len()));
    z.extend_from_slice(prefix);
    let mut left = count;
    while left > 0 {
        let n = left.min(BLOCK);
        z.extend(header(false, 1, n));
        z.push(byte);
        left -= n;
    }
    z.extend(header(true, 0, suffix.len()));
    z.extend_from_slice(suffix);
    z
}

#[test]
fn a_100_mb_line_is_one_reject_and_the_lines_around_it_are_kept() {
    let w = Workdir::new();
    let before = format!("{}\n", signin("before", ""));
    let open = r#"{"id":"big","createdDateTime":"2025-03-17T15:42:32Z","padding":""#;
    let prefix = format!("{before}{open}");
    let n = 100 << 20;
    let suffix = format!("\n{}\n", signin("after", ""));
    let path = write(
        w.dir.path(),
        "long.jsonl.zst",
        &zstd_rle(prefix.as_bytes(), b'a', n, suffix.as_bytes()),
    );
    let (out, totals) = convert(&w, &[path], &[]);
    assert_eq!(totals, [3, 2, 0, 1]);
    let newline = prefix.len() + n;
    assert_eq!(
        rejects(&out),
        [pair(
            "invalid_json",
            &format!(
                "unterminated string: expected '\"' before the end of the line (at byte {newline})"
            )
        )]
    );
    assert_eq!(
        ints(&read_table(&out, "rejects"), "byte_offset"),
        [Some(before.len() as i64)]
    );
}

#[test]
fn nesting_100000_deep_is_a_reject_and_its_neighbours_are_kept() {
    let w = Workdir::new();
    let deep = 100_000;
    let arrays = format!("{}{}", "[".repeat(deep), "]".repeat(deep));
    let objects = format!("{}1{}", "{\"a\":".repeat(deep), "}".repeat(deep));
    let page = format!(
        "{{\n  \"@odata.context\": \"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns\",\n  \"value\": [\n    {},\n    {},\n    {}\n  ]\n}}\n",
        signin("p0", ""),
        signin("p1", &format!(",\"x\":{arrays}")),
        signin("p2", "")
    );
    let lines = format!(
        "{}\n{}\n{}\n",
        signin("l0", ""),
        signin("l1", &format!(",\"x\":{objects}")),
        signin("l2", "")
    );
    let a = write(w.dir.path(), "page.json", page.as_bytes());
    let b = write(w.dir.path(), "lines.jsonl", lines.as_bytes());
    let (out, totals) = convert(&w, &[a, b], &[]);
    assert_eq!(totals, [6, 4, 0, 2]);
    // The record is level 1: the 128th bracket of its value passes the limit.
    let at_lines = lines.find("{\"a\":").unwrap() + 5 * 127;
    let at_page = page.find("[[").unwrap() + 127;
    let msg =
        |at: usize| format!("arrays and objects nested deeper than 128 levels (at byte {at})");
    let mut got = rejects(&out);
    got.sort();
    let mut want = vec![
        pair("limit_exceeded", &msg(at_lines)),
        pair("limit_exceeded", &msg(at_page)),
    ];
    want.sort();
    assert_eq!(got, want);
    let ids = strs(&read_table(&out, "signins"), "id");
    assert_eq!(ids.len(), 4);
}
