//! coverage.parquet and the completeness warnings: what the evidence covers
//! per hour and day, its gaps, and what it cannot show.

use std::path::Path;

use polars::prelude::DataFrame;

use crate::util::*;

fn bools(df: &DataFrame, col: &str) -> Vec<Option<bool>> {
    df.column(col).unwrap().bool().unwrap().iter().collect()
}

#[test]
fn coverage_lists_every_hour_and_day_and_marks_the_gaps() {
    let w = Workdir::new();
    let (code, out, stderr) = w.run("out", &[fixture("sample-evidence")], &[]);
    assert_eq!(code, 0, "{stderr}");
    let df = read_table(&out, "coverage");
    let (table, gran, records, gap) = (
        strs(&df, "table"),
        strs(&df, "granularity"),
        ints(&df, "records"),
        bools(&df, "gap"),
    );
    let rows = |t: &str, g: &str| -> Vec<usize> {
        (0..df.height())
            .filter(|&i| table[i].as_deref() == Some(t) && gran[i].as_deref() == Some(g))
            .collect()
    };
    let hours = rows("signins", "hour");
    assert_eq!(hours.len(), 65);
    assert_eq!(hours.iter().map(|&i| records[i].unwrap()).sum::<i64>(), 114);
    assert_eq!(hours.iter().filter(|&&i| gap[i] == Some(true)).count(), 22);
    assert_eq!(hours.iter().filter(|&&i| records[i] == Some(0)).count(), 33);
    let days = rows("signins", "day");
    assert_eq!(
        days.iter()
            .map(|&i| records[i].unwrap())
            .collect::<Vec<_>>(),
        [10, 57, 47]
    );
    // Risk tables never report gaps, however sparse.
    let risk = rows("risk_detections", "hour");
    assert!(risk.iter().all(|&i| gap[i] == Some(false)));
    assert!(!risk.is_empty());

    let m = manifest(&out);
    assert_eq!(m["tables"]["coverage"]["rows"], df.height());
    let c = &m["analysis"]["coverage"];
    assert_eq!(c["tables"]["signins"]["hours_in_span"], 65);
    assert_eq!(c["tables"]["signins"]["empty_hours"], 33);
    assert_eq!(c["tables"]["signins"]["gap_threshold_hours"], 6);
    assert_eq!(
        c["tables"]["risk_detections"]["gap_threshold_hours"],
        serde_json::Value::Null
    );
}

/// Sign-ins as a collector without P2 writes them: JSON Lines (no API
/// version), interactive only, risk levels `hidden`, a day missing.
fn unlicensed(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("p1-tenant.jsonl");
    let lines: Vec<String> = ["2025-04-01T09:00:00Z", "2025-04-01T10:00:00Z", "2025-04-03T09:30:00Z"]
        .iter()
        .enumerate()
        .map(|(k, t)| {
            serde_json::json!({
                "id": format!("p1-{k}"), "createdDateTime": t,
                "userId": "aaaaaaaa-1111-0000-0000-000000000001",
                "userPrincipalName": "kenji@contoso.com", "ipAddress": "198.51.100.9",
                "status": {"errorCode": 0},
                "riskLevelDuringSignIn": "hidden", "riskLevelAggregated": "hidden", "riskDetail": "hidden"
            })
            .to_string()
        })
        .collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

#[test]
fn the_summary_warns_about_gaps_hidden_values_and_missing_sign_in_types() {
    let w = Workdir::new();
    let evidence = unlicensed(w.dir.path());
    let out = w.out("out");
    let o = entrace(&[
        "run",
        evidence.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8(o.stdout).unwrap();
    let warnings: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  warning: "))
        .collect();
    assert_eq!(
        warnings,
        [
            "signins: no records for 46 h, 2025-04-01T11:00:00.0000000Z → 2025-04-03T09:00:00.0000000Z, inside the covered span (an export gap or a quiet period: check the collection)",
            "no non-interactive sign-ins: token refresh and replay activity is not in the evidence (export the beta signIns endpoint filtered on signInEventTypes)",
            "no service principal or managed identity sign-ins: workload identity activity is not in the evidence",
            "9 risk values are \"hidden\" (signins.risk_detail, signins.risk_level_aggregated, signins.risk_level_during_sign_in): the tenant lacks an Entra ID P2 licence, so risk levels are unknown",
            "no sign-ins from the beta endpoint: beta-only fields (userAgent, autonomousSystemNumber, sessionId, authenticationProtocol) are absent, and detections that need them say so",
        ]
    );
    let m = manifest(&out);
    assert_eq!(
        m["analysis"]["coverage"]["api_versions"]["signins"],
        serde_json::json!({"unknown": 3})
    );
    let days = read_table(&out, "coverage");
    let day_gaps: Vec<Option<bool>> = (0..days.height())
        .filter(|&i| strs(&days, "granularity")[i].as_deref() == Some("day"))
        .map(|i| bools(&days, "gap")[i])
        .collect();
    assert_eq!(day_gaps, [Some(false), Some(true), Some(false)]);
}

#[test]
fn a_page_folder_whose_last_page_links_on_is_a_broken_chain() {
    let w = Workdir::new();
    let chain =
        |out: &Path| manifest(out)["analysis"]["coverage"]["broken_next_link_chains"].clone();

    // Complete: page 1 links to page 2, which has no link.
    let (code, whole, stderr) = w.run("whole", &[fixture("equivalence/pages")], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(chain(&whole), serde_json::json!([]));
    let sources = read_table(&whole, "sources");
    assert_eq!(ints(&sources, "pages"), [Some(1), Some(1)]);
    assert_eq!(ints(&sources, "pages_with_next_link"), [Some(1), Some(0)]);

    // Page 2 never saved: page 1's link points nowhere.
    let cut = w.dir.path().join("evidence/signins");
    std::fs::create_dir_all(&cut).unwrap();
    std::fs::copy(
        fixture("equivalence/pages/page-001.json"),
        cut.join("page-001.json"),
    )
    .unwrap();
    let out = w.out("cut");
    let o = entrace(&["run", cut.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let folder = cut.display().to_string();
    assert_eq!(
        chain(&out),
        serde_json::json!([{
            "collection": folder,
            "entity": "sign_in",
            "pages": 1,
            "last_file": format!("{folder}/page-001.json"),
        }])
    );
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(
        stdout.contains(&format!(
            "  warning: {folder}: every one of its 1 sign_in page(s) has an @odata.nextLink, so the page after {folder}/page-001.json was never saved: the export is incomplete"
        )),
        "{stdout}"
    );
}
