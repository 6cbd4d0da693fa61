//! Every fixture converted alone: kept records land at the offsets and lines
//! the generator recorded; every deliberate reject has the expected offset,
//! line and reason; the manifest reconciles.

use std::collections::BTreeSet;

use crate::util::*;

/// Converts every single-file unit of `folder` and compares with expected.json.
fn check_folder(folder: &str) {
    let exp = expected();
    let w = Workdir::new();
    let files: Vec<&serde_json::Value> = exp["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].as_str().unwrap().starts_with(folder))
        .collect();
    let paths: BTreeSet<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(!paths.is_empty());
    for (n, path) in paths.iter().enumerate() {
        let (code, out, stderr) = w.convert(&format!("o{n}"), &[fixture(path)], &[]);
        let mut kept = BTreeSet::new();
        let mut rejects = BTreeSet::new();
        for f in files.iter().filter(|f| f["path"] == *path) {
            for r in f["records"].as_array().unwrap() {
                let key = (
                    r["offset"].as_u64().unwrap() as i64,
                    r["line"].as_u64().unwrap() as i64,
                );
                if r["status"] == "kept" {
                    kept.insert((f["member"].as_str().map(str::to_string), key));
                } else {
                    rejects.insert((key, r["reason"].as_str().unwrap().to_string()));
                }
            }
        }
        assert_eq!(
            code,
            if rejects.is_empty() { 0 } else { 1 },
            "{path}: {stderr}"
        );
        let m = manifest(&out);
        assert_reconciles(&m);

        // Rejects: same positions and reasons. A file that could not be
        // decompressed has no position inside it (null), which the generator writes as 0/1.
        let table = read_table(&out, "rejects");
        let offsets = ints(&table, "byte_offset");
        let lines = ints(&table, "line");
        let reasons = strs(&table, "reason");
        let got: BTreeSet<((i64, i64), String)> = (0..table.height())
            .map(|i| {
                (
                    (offsets[i].unwrap_or(0), lines[i].unwrap_or(1)),
                    reasons[i].clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(got, rejects, "{path}");

        // Kept records: every one is a row at its recorded offset and line.
        let sources = read_table(&out, "sources");
        let members = strs(&sources, "member");
        let mut rows = BTreeSet::new();
        for t in [
            "signins",
            "directory_audits",
            "risk_detections",
            "risky_users",
            "risky_user_history",
        ] {
            let df = read_table(&out, t);
            let src = ints(&df, "ingest_source_id");
            let off = ints(&df, "ingest_offset");
            let line = ints(&df, "ingest_line");
            for i in 0..df.height() {
                let member = members[src[i].unwrap() as usize].clone();
                rows.insert((member, (off[i].unwrap(), line[i].unwrap())));
            }
        }
        assert_eq!(rows, kept, "{path}");
    }
}

#[test]
fn broken_fixtures_keep_good_records_and_locate_every_reject() {
    check_folder("broken/");
}

#[test]
fn quirk_fixtures_convert_without_rejects() {
    check_folder("quirks/");
}

#[test]
fn microsoft_docs_samples_are_robustness_cases() {
    check_folder("graph-docs-samples/");
}

#[test]
fn equivalence_fixtures_are_located_exactly_in_every_encoding_and_container() {
    check_folder("equivalence/");
}

#[test]
fn reject_rows_name_the_problem() {
    let w = Workdir::new();
    let (_, out, _) = w.convert("o", &[fixture("broken/truncated-page.json")], &[]);
    let r = read_table(&out, "rejects");
    assert_eq!(strs(&r, "entity")[0].as_deref(), Some("sign_in"));
    assert_eq!(ints(&r, "item")[0], Some(3));
    assert_eq!(
        strs(&r, "message")[0].as_deref(),
        Some("truncated record: expected '}' before end of input")
    );

    let (_, out, _) = w.convert("o2", &[fixture("broken/error-response.json")], &[]);
    let r = read_table(&out, "rejects");
    assert!(strs(&r, "message")[0]
        .as_deref()
        .unwrap()
        .contains("Authentication_RequestFromNonPremiumTenantOrB2CTenant"));
}

#[test]
fn unreadable_values_are_kept_as_issues_not_silently_nulled() {
    let w = Workdir::new();
    let (_, out, _) = w.convert("o", &[fixture("broken/missing-fields.json")], &[]);
    let signins = read_table(&out, "signins");
    let codes = ints(&signins, "status_error_code");
    let issues: Vec<Vec<String>> = (0..signins.height())
        .map(|i| str_list(&signins, "ingest_issues", i))
        .collect();
    let bad = issues
        .iter()
        .position(|v| !v.is_empty())
        .expect("a row with issues");
    assert_eq!(codes[bad], None);
    assert_eq!(
        issues[bad],
        ["status.errorCode: expected a 32-bit integer, found string \"abc\""]
    );
    assert_eq!(manifest(&out)["tables"]["signins"]["rows_with_issues"], 1);
}

#[test]
fn quirks_parse_to_the_right_instants() {
    let w = Workdir::new();
    let (_, out, _) = w.convert("ps", &[fixture("quirks/ps51-dates-utf16.json")], &[]);
    let risky = read_table(&out, "risky_users");
    assert_eq!(
        times(&risky, "risk_last_updated_date_time"),
        [Some(1_742_233_002_672_000_000); 2]
    );
    let sources = read_table(&out, "sources");
    assert_eq!(
        strs(&sources, "encoding")[0].as_deref(),
        Some("utf-16le-bom")
    );

    let (_, out, _) = w.convert("az", &[fixture("quirks/azure-style-offsets.jsonl")], &[]);
    let audits = read_table(&out, "directory_audits");
    assert_eq!(
        times(&audits, "activity_date_time"),
        [
            Some(1_742_229_604_414_272_000),
            Some(1_742_229_604_415_271_600)
        ]
    );

    let (_, out, _) = w.convert("pc", &[fixture("quirks/pascal-case-keys.json")], &[]);
    let audits = read_table(&out, "directory_audits");
    let targets = audits
        .column("target_resources")
        .unwrap()
        .list()
        .unwrap()
        .get_as_series(0)
        .unwrap();
    let types = targets.struct_().unwrap().field_by_name("type").unwrap();
    assert!(types.str().unwrap().iter().any(|t| t == Some("User")));
}
