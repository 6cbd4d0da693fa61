//! Stage 2 end to end: `entrace run` writes timeline.parquet and
//! per_user.parquet, and `entrace timeline` shows and exports them.

use std::path::{Path, PathBuf};

use polars::prelude::DataFrame;

use crate::util::*;

const USER01: &str = "87632c3a-bfdd-59d0-8e9d-652669b1aecb";
const USER02: &str = "7de47279-6b38-5d5d-ae64-df3dc663eb08";
const USER03: &str = "b246a1e9-393b-5550-88a1-cc64eac1156a";
const USER04: &str = "04d557e9-7c2a-5fbc-8dd9-164f2e5802cc";
const USER04_BLOCKED_SIGN_IN: &str = "120f0153-a7d4-5832-99e2-1517bc7558e2";
const USER04_DETECTION: &str = "ca52474d70f9b969fee9d937e2f940814f960116526878e67444803faa3cedf3";

fn analysed() -> (Workdir, PathBuf) {
    let w = Workdir::new();
    let (code, out, stderr) = w.run("out", &[fixture("sample-evidence")], &[]);
    assert_eq!(code, 0, "{stderr}");
    (w, out)
}

/// (entity, role, action, result) of one user's rows, in file order.
fn actions_of(df: &DataFrame, user_id: &str) -> Vec<(String, String, String, String)> {
    let users = strs(df, "user_id");
    let cols: Vec<Vec<Option<String>>> = ["entity", "role", "action", "result"]
        .iter()
        .map(|c| strs(df, c))
        .collect();
    (0..df.height())
        .filter(|&i| users[i].as_deref() == Some(user_id))
        .map(|i| {
            let v = |c: usize| cols[c][i].clone().unwrap_or_default();
            (v(0), v(1), v(2), v(3))
        })
        .collect()
}

fn row(e: &str, role: &str, action: &str, result: &str) -> (String, String, String, String) {
    (e.into(), role.into(), action.into(), result.into())
}

#[test]
fn seed_users_have_exactly_the_expected_ordered_timelines() {
    let (_w, out) = analysed();
    let tl = read_table(&out, "timeline");
    let bad_password = "sign-in failed: invalid password (50126)";
    let fail = |_| row("sign_in", "subject", bad_password, "failure");

    let mut user01: Vec<_> = (0..2).map(fail).collect();
    user01.push(row(
        "sign_in",
        "subject",
        "sign-in interrupted: keep me signed in prompt (50140)",
        "interrupted",
    ));
    user01.push(row("sign_in", "subject", "signed in", "success"));
    assert_eq!(actions_of(&tl, USER01), user01);

    let mut user02: Vec<_> = (0..5).map(fail).collect();
    for _ in 0..2 {
        user02.push(row(
            "sign_in",
            "subject",
            "smart lockout (50053)",
            "blocked",
        ));
    }
    user02.push(row("sign_in", "subject", "signed in", "success"));
    user02.push(row(
        "directory_audit",
        "target",
        "password reset by admin",
        "success",
    ));
    assert_eq!(actions_of(&tl, USER02), user02);

    let step = |what: &str| {
        row(
            "directory_audit",
            "self",
            &format!("SSPR step: {what}"),
            "success",
        )
    };
    let started = || step("User started the mobile SMS verification option");
    let mut user03 = Vec::new();
    for _ in 0..2 {
        user03.push(started());
        user03.push(step("User completed the mobile SMS verification option"));
        user03.push(step("User submitted a new password"));
        user03.push(row(
            "directory_audit",
            "self",
            "password reset (SSPR)",
            "success",
        ));
    }
    user03.push(started());
    user03.push(started());
    user03.push(row(
        "directory_audit",
        "self",
        "SSPR step failed: User entered too many invalid SMS verification codes and is blocked for 24 hours",
        "failure",
    ));
    user03.push(row(
        "directory_audit",
        "self",
        "SSPR blocked for 24 h",
        "failure",
    ));
    user03.push(row("sign_in", "subject", "signed in", "success"));
    assert_eq!(actions_of(&tl, USER03), user03);

    let mut user04: Vec<_> = (0..3).map(fail).collect();
    user04.extend([
        row(
            "sign_in",
            "subject",
            "blocked by security defaults (530035)",
            "blocked",
        ),
        row(
            "risk_detection",
            "subject",
            "risk detected: anonymizedIPAddress (medium)",
            "atRisk",
        ),
        row(
            "risky_user_history",
            "subject",
            "risk history: atRisk (low) from anonymizedIPAddress",
            "atRisk",
        ),
        row("risky_user", "subject", "user risk: atRisk (low)", "atRisk"),
        row(
            "risky_user_history",
            "subject",
            "risk history: atRisk (low) from anonymizedIPAddress",
            "atRisk",
        ),
        row("directory_audit", "target", "account disabled", "success"),
    ]);
    assert_eq!(actions_of(&tl, USER04), user04);

    // Every user-related record is there: 114 sign-ins, 3 detections, 3 risky
    // users, 2 history items, and 33 audit rows (25 records, one row per user role).
    assert_eq!(tl.height(), 155);
    let m = manifest(&out);
    assert_eq!(m["tables"]["timeline"]["rows"], 155);
    assert_eq!(
        m["analysis"]["timeline"]["rows_by_entity"]["directory_audit"],
        33
    );
    assert_eq!(
        m["tables"]["timeline"]["sha256"].as_str().unwrap(),
        sha256_of(&out.join("timeline.parquet"))
    );
}

fn sha256_of(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).expect("read")))
}

#[test]
fn risk_detection_links_to_its_sign_in_with_the_basis_recorded() {
    let (_w, out) = analysed();
    let tl = read_table(&out, "timeline");
    let ids = strs(&tl, "record_id");
    let at = |id: &str| ids.iter().position(|v| v.as_deref() == Some(id)).unwrap();
    let (sign_in, detection) = (at(USER04_BLOCKED_SIGN_IN), at(USER04_DETECTION));
    assert_eq!(
        str_list(&tl, "linked_record_ids", sign_in),
        [USER04_DETECTION]
    );
    assert_eq!(
        str_list(&tl, "linked_record_ids", detection),
        [USER04_BLOCKED_SIGN_IN]
    );
    let basis = strs(&tl, "link_basis");
    assert_eq!(basis[sign_in].as_deref(), Some("request_id"));
    assert_eq!(basis[detection].as_deref(), Some("request_id"));
    // The detection joins the session of its sign-in (v1.0: keyed by correlationId).
    let sessions = strs(&tl, "session_key");
    assert_eq!(
        sessions[detection].as_deref(),
        Some("cid:1d65f202-820c-57be-ae2f-4cf3da0925bd")
    );
    assert_eq!(sessions[detection], sessions[sign_in]);
    let codes = ints(&tl, "error_code");
    assert_eq!(codes[sign_in], Some(530035));
    assert_eq!(
        strs(&tl, "ip_address")[detection].as_deref(),
        Some("185.220.101.47")
    );

    // The blocked SSPR flow: the failure step and the block share a correlationId.
    let sspr: Vec<usize> = strs(&tl, "correlation_id")
        .iter()
        .enumerate()
        .filter(|(_, c)| c.as_deref() == Some("c74cf678-ea77-57d8-b0ac-c10aa9ec43ad"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(sspr.len(), 3);
    for &i in &sspr {
        assert_eq!(str_list(&tl, "linked_record_ids", i).len(), 2);
    }

    let a = &manifest(&out)["analysis"];
    assert_eq!(a["correlation"]["detections_by_request_id"], 2);
    // emi's leakedCredentials is user-level: no sign-in to link, and counted.
    assert_eq!(a["correlation"]["detections_unlinked"], 1);
    assert_eq!(a["identity"]["ambiguous_upns"].as_array().unwrap().len(), 0);
    // The guest shows its home UPN in sign-ins and #EXT# in the directory.
    assert_eq!(
        a["identity"]["users_with_several_upns"][0]["upns"],
        serde_json::json!([
            "p.jones@fabrikam.com",
            "p.jones_fabrikam.com#ext#@contoso.onmicrosoft.com"
        ])
    );
}

#[test]
fn per_user_summarises_each_seed_user() {
    let (_w, out) = analysed();
    let pu = read_table(&out, "per_user");
    assert_eq!(pu.height(), 15);
    let r = row_where(&pu, "user_id", USER04);
    let n = |c: &str| ints(&pu, c)[r];
    assert_eq!(
        [
            "sign_ins",
            "sign_ins_success",
            "sign_ins_failure",
            "sign_ins_blocked",
            "distinct_ips"
        ]
        .map(n),
        [Some(4), Some(0), Some(3), Some(1), Some(1)]
    );
    assert_eq!(str_list(&pu, "countries", r), ["NL"]);
    assert_eq!(
        str_list(&pu, "risk_detection_types", r),
        ["anonymizedIPAddress"]
    );
    assert_eq!(strs(&pu, "risk_state")[r].as_deref(), Some("atRisk"));
    assert_eq!(strs(&pu, "risk_level")[r].as_deref(), Some("low"));
    assert_eq!(
        strs(&pu, "max_detection_level")[r].as_deref(),
        Some("medium")
    );
    assert_eq!(n("audits_as_target"), Some(1));

    let r = row_where(&pu, "user_id", USER02);
    let n = |c: &str| ints(&pu, c)[r];
    assert_eq!(
        [
            "sign_ins_success",
            "sign_ins_failure",
            "sign_ins_blocked",
            "sessions"
        ]
        .map(n),
        [Some(1), Some(5), Some(2), Some(8)]
    );
    let r = row_where(&pu, "user_id", USER03);
    assert_eq!(
        ["audits_as_actor", "audits_as_target", "sign_ins"].map(|c| ints(&pu, c)[r]),
        [Some(12), Some(12), Some(1)]
    );
}

#[test]
fn timeline_command_prints_filters_and_exports() {
    let (_w, out) = analysed();
    // Table: by UPN in any case; piped output has no colour codes.
    let (code, table, stderr) = timeline(&out, &["--user", "USER04@contoso.onmicrosoft.com"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        table.contains("blocked by security defaults (530035)"),
        "{table}"
    );
    assert!(table.contains("sign-in 120f0153 (request_id)"), "{table}");
    assert!(!table.contains('\u{1b}'), "no ANSI codes when piped");
    assert_eq!(table.lines().filter(|l| l.starts_with("2025-")).count(), 9);

    // CSV with a time window: user02 from 15:42 UTC (+09:00 offset given).
    let (code, csv, _) = timeline(
        &out,
        &[
            "--user",
            USER02,
            "--since",
            "2025-03-18T00:42:00+09:00",
            "--format",
            "csv",
        ],
    );
    assert_eq!(code, 0);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let actions: Vec<&str> = records.iter().map(|r| &r[6]).collect();
    assert_eq!(
        actions,
        [
            "sign-in failed: invalid password (50126)",
            "smart lockout (50053)",
            "smart lockout (50053)",
            "signed in",
            "password reset by admin"
        ]
    );
    assert_eq!(&records[0][2], "2025-03-17T15:42:03.0000000Z");

    // JSON Lines for Timesketch.
    let (code, jsonl, _) = timeline(
        &out,
        &[
            "--user",
            USER04,
            "--format",
            "jsonl",
            "--until",
            "2025-03-17T17:54:31Z",
        ],
    );
    assert_eq!(code, 0);
    let events: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(events.len(), 5);
    let blocked = &events[3];
    assert_eq!(blocked["datetime"], "2025-03-17T17:54:30.0000000Z");
    assert_eq!(blocked["timestamp"], 1_742_234_070_000_000_i64);
    assert_eq!(blocked["timestamp_desc"], "Sign-in time");
    assert_eq!(
        blocked["message"],
        "user04@contoso.onmicrosoft.com: blocked by security defaults (530035)"
    );
    assert_eq!(blocked["error_code"], 530035);
    assert_eq!(
        blocked["linked_record_ids"],
        serde_json::json!([USER04_DETECTION])
    );
    assert_eq!(events[4]["timestamp_desc"], "Risk activity time");

    let (code, _, stderr) = timeline(&out, &["--user", "nobody@contoso.onmicrosoft.com"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no user nobody@contoso.onmicrosoft.com"),
        "{stderr}"
    );

    // Bad bounds are usage errors (exit 2) that say what was expected,
    // whatever bytes they hold; multi-byte text once panicked here.
    for bad in ["ééééa", "2025-03-17T15:00:00+09:0é", "17/03/2025", ""] {
        for flag in ["--since", "--until"] {
            let (code, _, stderr) = timeline(&out, &[flag, bad]);
            assert_eq!(code, 2, "{flag} {bad:?}: {stderr}");
            assert!(
                stderr.contains(&format!("invalid time {bad:?}: expected 2025-03-17")),
                "{flag} {bad:?}: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
}

#[test]
fn analyze_needs_a_converted_directory_and_timeline_needs_analyze() {
    let w = Workdir::new();
    let empty = w.out("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = entrace(&["analyze", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("no manifest.json"), "{stderr}");

    let (code, out, _) = w.convert("conv", &[fixture("equivalence/pages")], &[]);
    assert_eq!(code, 0);
    let (code, _, stderr) = timeline(&out, &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("run `entrace analyze"), "{stderr}");
    let o = entrace(&["analyze", "-q", out.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(read_table(&out, "timeline").height(), 12);
    assert_eq!(manifest(&out)["tables"]["per_user"]["rows"], 2);
}

/// Hostile and ambiguous evidence written by the test itself (JSON Lines).
fn hostile_evidence(dir: &Path) -> PathBuf {
    let evidence = dir.join("evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    let lines = [
        // Two accounts that carried the same UPN (deleted and recreated).
        r#"{"id":"s-1","createdDateTime":"2025-03-17T10:00:00Z","userId":"aaaaaaaa-0000-0000-0000-000000000001","userPrincipalName":"shared@contoso.com","ipAddress":"203.0.113.1","status":{"errorCode":0}}"#,
        r#"{"id":"s-2","createdDateTime":"2025-03-17T11:00:00Z","userId":"aaaaaaaa-0000-0000-0000-000000000002","userPrincipalName":"Shared@Contoso.com","ipAddress":"203.0.113.2","status":{"errorCode":0}}"#,
        // A detection with only that UPN: ambiguous, must not be guessed.
        r#"{"id":"d-1","riskEventType":"unfamiliarFeatures","riskLevel":"low","riskState":"atRisk","activityDateTime":"2025-03-17T11:00:30Z","userPrincipalName":"SHARED@contoso.com","ipAddress":"203.0.113.9"}"#,
        // A detection with only a UPN that one account owns: joined through the map,
        // and linked to that user's sign-in from the same IP within 5 minutes.
        r#"{"id":"d-2","riskEventType":"unfamiliarFeatures","riskLevel":"low","riskState":"atRisk","activityDateTime":"2025-03-17T12:03:00Z","userPrincipalName":"ALICE@contoso.com","ipAddress":"198.51.100.5"}"#,
        r#"{"id":"s-3","createdDateTime":"2025-03-17T12:00:00Z","userId":"bbbbbbbb-0000-0000-0000-000000000001","userPrincipalName":"alice@contoso.com","ipAddress":"198.51.100.5","status":{"errorCode":0}}"#,
        // A spray attempt on a name that does not exist: formula and terminal escapes.
        r#"{"id":"s-4","createdDateTime":"2025-03-17T13:00:00Z","userId":"","userPrincipalName":"=HYPERLINK(\"http://evil.example\")@contoso.com","ipAddress":"192.0.2.66","status":{"errorCode":50034,"failureReason":"-2+3 \u001b[2J\u001b]0;owned\u0007"},"deviceDetail":{"browser":"\u202eexe.txt"}}"#,
    ];
    std::fs::write(evidence.join("mixed.jsonl"), lines.join("\n")).unwrap();
    evidence
}

#[test]
fn ambiguous_upns_are_reported_and_hostile_text_is_neutralised() {
    let w = Workdir::new();
    let evidence = hostile_evidence(w.dir.path());
    let (code, out, stderr) = w.run("out", &[evidence], &[]);
    assert_eq!(code, 0, "{stderr}");
    let a = &manifest(&out)["analysis"];
    assert_eq!(
        a["identity"]["ambiguous_upns"],
        serde_json::json!([{
            "upn": "shared@contoso.com",
            "user_ids": ["aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000002"],
            "unattributed_records": 1
        }])
    );
    assert_eq!(a["identity"]["records_joined_by_upn"], 1);
    assert_eq!(a["identity"]["records_upn_only"], 1);
    assert_eq!(a["correlation"]["detections_by_user_ip_time"], 1);

    let tl = read_table(&out, "timeline");
    let r = row_where(&tl, "record_id", "d-1");
    assert_eq!(strs(&tl, "user_id")[r], None);
    assert_eq!(
        strs(&tl, "identity_basis")[r].as_deref(),
        Some("ambiguous_upn")
    );
    let r = row_where(&tl, "record_id", "d-2");
    assert_eq!(
        strs(&tl, "user_id")[r].as_deref(),
        Some("bbbbbbbb-0000-0000-0000-000000000001")
    );
    assert_eq!(strs(&tl, "identity_basis")[r].as_deref(), Some("upn"));
    assert_eq!(str_list(&tl, "linked_record_ids", r), ["s-3"]);
    assert_eq!(strs(&tl, "link_basis")[r].as_deref(), Some("user_ip_time"));

    // Choosing the shared UPN is refused with both ids listed.
    let (code, _, stderr) = timeline(&out, &["--user", "shared@contoso.com"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("aaaaaaaa-0000-0000-0000-000000000002"),
        "{stderr}"
    );

    // CSV: formula-like cells get a leading quote.
    let (code, csv, _) = timeline(&out, &["--format", "csv"]);
    assert_eq!(code, 0);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let spray: Vec<csv::StringRecord> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[4] == "s-4")
        .collect();
    assert_eq!(
        &spray[0][1],
        "'=HYPERLINK(\"http://evil.example\")@contoso.com"
    );
    assert!(spray[0][20].starts_with("'-2+3"), "{:?}", &spray[0][20]);
    assert_eq!(&spray[0][19], "upn_only");

    // Terminal table: no raw escape or bidi characters reach the terminal.
    let (code, table, _) = timeline(
        &out,
        &["--user", "=HYPERLINK(\"http://evil.example\")@contoso.com"],
    );
    assert_eq!(code, 0);
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{202e}'),
        "{table:?}"
    );
    assert!(table.contains("\\u{202e}exe.txt"), "{table}");
    assert!(
        table.contains("sign-in failed: account does not exist (50034)"),
        "{table}"
    );
}
