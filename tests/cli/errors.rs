//! Fatal errors and the rules that protect evidence and outputs.

use crate::util::*;

#[test]
fn strict_makes_the_first_reject_fatal_with_its_location() {
    let w = Workdir::new();
    let (code, out, stderr) = w.convert(
        "o",
        &[fixture("broken/invalid-record-in-page.json")],
        &["--strict"],
    );
    assert_eq!(code, 2);
    assert!(!out.exists());
    assert!(
        stderr.contains("invalid-record-in-page.json: value[1] (byte 2041): invalid_json"),
        "{stderr}"
    );
}

#[test]
fn output_inside_evidence_or_existing_output_is_refused() {
    let w = Workdir::new();
    let evidence = w.out("evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    std::fs::copy(
        fixture("equivalence/jsonl/signins.jsonl"),
        evidence.join("s.jsonl"),
    )
    .unwrap();
    let (code, _, stderr) = w.convert("evidence/out", std::slice::from_ref(&evidence), &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("inside evidence path"), "{stderr}");

    let (code, out, _) = w.convert("out", std::slice::from_ref(&evidence), &[]);
    assert_eq!(code, 0);
    let (code, _, stderr) = w.convert("out", std::slice::from_ref(&evidence), &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("already exists (use --force"), "{stderr}");
    let (code, _, _) = w.convert("out", &[evidence], &["--force"]);
    assert_eq!(code, 0);
    assert_eq!(read_table(&out, "signins").height(), 12);
}

#[test]
fn decompression_limit_rejects_instead_of_crashing() {
    let w = Workdir::new();
    let (code, out, _) = w.convert(
        "o",
        &[fixture("equivalence/gzip")],
        &["--max-decompressed-size", "1K"],
    );
    assert_eq!(code, 1);
    let r = read_table(&out, "rejects");
    assert_eq!(strs(&r, "reason"), [Some("limit_exceeded".to_string())]);
    assert_reconciles(&manifest(&out));
}

#[test]
fn zip_members_are_read_in_place_and_named() {
    let w = Workdir::new();
    let (code, out, _) = w.convert("o", &[fixture("equivalence/zip")], &[]);
    assert_eq!(code, 0);
    let sources = read_table(&out, "sources");
    assert_eq!(
        strs(&sources, "member"),
        [
            None,
            Some("signIns/page-001.json".into()),
            Some("signIns/page-002.json".into())
        ]
    );
    assert_eq!(
        strs(&sources, "kind"),
        [
            Some("archive".into()),
            Some("member".into()),
            Some("member".into())
        ]
    );
    assert_eq!(ints(&sources, "written"), [Some(0), Some(6), Some(6)]);
}

#[test]
fn missing_evidence_is_a_usage_error() {
    let w = Workdir::new();
    let (code, _, stderr) = w.convert("o", &[w.out("nope")], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read evidence path"), "{stderr}");
}
