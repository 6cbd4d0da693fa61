//! `entrace verify`: outputs and evidence re-hashed against manifest.json.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::util::*;

/// Runs `entrace verify <args…>`; returns exit code, stdout, stderr.
fn verify(args: &[&Path]) -> (i32, String, String) {
    let mut all = vec!["verify".to_string()];
    all.extend(args.iter().map(|p| p.display().to_string()));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    let o = entrace(&refs);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

/// Copies the zip and the JSON Lines fixtures into `<w>/evidence`.
fn evidence(w: &Workdir) -> (PathBuf, PathBuf, PathBuf) {
    let dir = w.dir.path().join("evidence");
    std::fs::create_dir(&dir).unwrap();
    let zip = dir.join("collection.zip");
    let jsonl = dir.join("signins.jsonl");
    std::fs::copy(fixture("equivalence/zip/collection.zip"), &zip).unwrap();
    std::fs::copy(fixture("equivalence/jsonl/signins.jsonl"), &jsonl).unwrap();
    (dir, zip, jsonl)
}

#[test]
fn untouched_output_and_evidence_verify() {
    let w = Workdir::new();
    let (dir, _, _) = evidence(&w);
    let (code, out, _) = w.run("out", std::slice::from_ref(&dir), &[]);
    assert_eq!(code, 0);
    let (code, stdout, stderr) = verify(&[&out, &dir]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    // 7 stage 1 tables + timeline, per_user, findings, coverage and the
    // three reports; the zip, its two
    // members and the JSON Lines file.
    let sha = sha256_hex(&std::fs::read(out.join("manifest.json")).unwrap());
    assert_eq!(
        stderr,
        format!("verified 14 output files and 4 evidence streams: 0 mismatched, 0 missing, 0 extra\nmanifest.json sha256 {sha}\n")
    );
}

#[test]
fn a_changed_missing_or_unlisted_output_file_fails_and_is_named() {
    let w = Workdir::new();
    let (dir, _, _) = evidence(&w);
    let (_, out, _) = w.convert("out", &[dir], &[]);
    let signins = out.join("signins.parquet");
    let expected = manifest(&out)["tables"]["signins"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    flip_byte(&signins, 100);
    let found = sha256_hex(&std::fs::read(&signins).unwrap());
    std::fs::remove_file(out.join("rejects.parquet")).unwrap();
    std::fs::write(out.join("notes.txt"), "added later").unwrap();
    let (code, stdout, stderr) = verify(&[&out]);
    assert_eq!(code, 1, "{stderr}");
    let o = out.display();
    assert_eq!(
        stdout,
        format!(
            "{o}/rejects.parquet: missing: listed in manifest.json but not found\n\
             {o}/signins.parquet: sha256 mismatch: expected {expected}, found {found}\n\
             {o}/notes.txt: extra: not listed in manifest.json\n"
        )
    );
    assert!(stderr.starts_with(
        "verified 5 output files and 0 evidence streams: 1 mismatched, 1 missing, 1 extra\n"
    ));
}

#[test]
fn a_report_listed_in_the_manifest_is_checked_too() {
    let w = Workdir::new();
    let (dir, _, _) = evidence(&w);
    let (_, out, _) = w.convert("out", &[dir], &[]);
    let report = b"# report\n";
    std::fs::write(out.join("report.md"), report).unwrap();
    let mut m = manifest(&out);
    m["reports"] = serde_json::json!({"schema_version": 1, "files": {"md": {
        "file": "report.md", "bytes": report.len(), "sha256": sha256_hex(report)
    }}});
    std::fs::write(out.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    assert_eq!(verify(&[&out]).0, 0);
    std::fs::OpenOptions::new()
        .append(true)
        .open(out.join("report.md"))
        .unwrap()
        .write_all(b"edited\n")
        .unwrap();
    let (code, stdout, _) = verify(&[&out]);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with(&format!(
            "{}: sha256 mismatch",
            out.join("report.md").display()
        )),
        "{stdout}"
    );
}

#[test]
fn tampered_missing_or_added_evidence_fails_and_is_named() {
    let w = Workdir::new();
    let (dir, zip, jsonl) = evidence(&w);
    let (_, out, _) = w.convert("out", std::slice::from_ref(&dir), &[]);
    let recorded = |name: &str| -> String {
        let m = manifest(&out);
        m["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"].as_str().unwrap().ends_with(name) && i["member"].is_null())
            .unwrap()["sha256"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (jsonl_sha, zip_sha) = (recorded("signins.jsonl"), recorded("collection.zip"));
    // One byte of the JSON Lines file; the zip replaced by one whose second
    // member differs; a file added.
    flip_byte(&jsonl, 10);
    let mut members = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    let mut first = Vec::new();
    members
        .by_name("signIns/page-001.json")
        .unwrap()
        .read_to_end(&mut first)
        .unwrap();
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    z.start_file("signIns/page-001.json", opts).unwrap();
    z.write_all(&first).unwrap();
    z.start_file("signIns/page-002.json", opts).unwrap();
    z.write_all(b"[]").unwrap();
    std::fs::write(&zip, z.finish().unwrap().into_inner()).unwrap();
    std::fs::write(dir.join("new.json"), "[]").unwrap();

    let (code, stdout, stderr) = verify(&[&out, &dir]);
    assert_eq!(code, 1, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let (z, j) = (zip.display(), jsonl.display());
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines[0].starts_with(&format!("{z}: sha256 mismatch: expected {zip_sha}, found ")));
    assert!(lines[1].starts_with(&format!(
        "{z}!signIns/page-002.json: sha256 mismatch: expected "
    )));
    assert_eq!(
        lines[2],
        format!(
            "{}: extra: not listed in manifest.json",
            dir.join("new.json").display()
        )
    );
    assert!(lines[3].starts_with(&format!(
        "{j}: sha256 mismatch: expected {jsonl_sha}, found "
    )));
    assert!(
        stderr.contains(
            "verified 7 output files and 1 evidence streams: 3 mismatched, 0 missing, 1 extra"
        ),
        "{stderr}"
    );

    std::fs::remove_file(&jsonl).unwrap();
    let (code, stdout, _) = verify(&[&out, &dir]);
    assert_eq!(code, 1);
    assert!(
        stdout.ends_with(&format!(
            "{j}: missing: listed in manifest.json inputs but not found\n"
        )),
        "{stdout}"
    );
}

#[test]
fn a_directory_without_manifest_is_a_usage_error() {
    let w = Workdir::new();
    let (code, stdout, stderr) = verify(&[w.dir.path()]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(stderr.contains("manifest.json: cannot read"), "{stderr}");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn a_manifest_of_another_version_or_shape_is_refused_with_what_to_do() {
    let w = Workdir::new();
    let (dir, _, _) = evidence(&w);
    let (_, out, _) = w.convert("out", &[dir], &[]);
    let original = manifest(&out);
    assert_eq!(original["manifest_version"], 1);
    let path = out.join("manifest.json");
    let cases = [
        (
            serde_json::json!({"manifest_version": 7}),
            "manifest_version 7, but this entrace reads version 1: convert the evidence again",
        ),
        (
            {
                let mut m = original.clone();
                m.as_object_mut().unwrap().remove("manifest_version");
                m
            },
            "no manifest_version: written by an entrace older than version 1 of the manifest",
        ),
        (
            {
                let mut m = original.clone();
                m["totals"] = serde_json::json!("many");
                m
            },
            "not an entrace manifest: invalid type: string \"many\"",
        ),
    ];
    for (m, expected) in cases {
        std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
        for args in [
            vec!["verify", out.to_str().unwrap()],
            vec!["analyze", out.to_str().unwrap()],
        ] {
            let o = entrace(&args);
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains(&format!("{}: {expected}", path.display())),
                "{args:?}: {stderr}"
            );
        }
    }
}
