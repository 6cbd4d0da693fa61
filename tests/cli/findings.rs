//! Detections end to end: the seed scenarios give exactly the expected
//! findings, with their evidence, and the timeline cites them.

use std::path::PathBuf;

use polars::prelude::DataFrame;

use crate::util::*;

fn analysed(extra: &[&str]) -> (Workdir, PathBuf) {
    let w = Workdir::new();
    let (code, out, stderr) = w.run("out", &[fixture("sample-evidence")], extra);
    assert_eq!(code, 0, "{stderr}");
    (w, out)
}

/// (detection, severity, subject UPN) of every finding, sorted.
fn findings_of(df: &DataFrame) -> Vec<(String, String, String)> {
    let (d, s, u) = (
        strs(df, "detection_id"),
        strs(df, "severity"),
        strs(df, "subject_user_principal_name"),
    );
    let mut out: Vec<_> = (0..df.height())
        .map(|i| {
            (
                d[i].clone().unwrap_or_default(),
                s[i].clone().unwrap_or_default(),
                u[i].clone().unwrap_or_default().to_lowercase(),
            )
        })
        .collect();
    out.sort();
    out
}

const USER04_BLOCKED_SIGN_IN: &str = "120f0153-a7d4-5832-99e2-1517bc7558e2";
const USER04_DETECTION: &str = "ca52474d70f9b969fee9d937e2f940814f960116526878e67444803faa3cedf3";
const USER04: &str = "04d557e9-7c2a-5fbc-8dd9-164f2e5802cc";

/// (table, record_id, role) of a finding's evidence.
fn evidence(df: &DataFrame, row: usize) -> Vec<(String, String, String)> {
    let cell = df
        .column("evidence")
        .unwrap()
        .list()
        .unwrap()
        .get_as_series(row)
        .unwrap();
    let st = cell.struct_().unwrap();
    let field = |name: &str| -> Vec<String> {
        st.field_by_name(name)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect()
    };
    let (t, id, role) = (field("table"), field("record_id"), field("role"));
    (0..t.len())
        .map(|i| (t[i].clone(), id[i].clone(), role[i].clone()))
        .collect()
}

fn row_of(df: &DataFrame, detection: &str, upn: &str) -> usize {
    let f = findings_of_rows(df);
    f.iter()
        .position(|(d, u)| d == detection && u == upn)
        .unwrap_or_else(|| panic!("no {detection} finding for {upn}"))
}

fn findings_of_rows(df: &DataFrame) -> Vec<(String, String)> {
    let (d, u) = (
        strs(df, "detection_id"),
        strs(df, "subject_user_principal_name"),
    );
    (0..df.height())
        .map(|i| {
            (
                d[i].clone().unwrap_or_default(),
                u[i].clone().unwrap_or_default().to_lowercase(),
            )
        })
        .collect()
}

fn f(d: &str, s: &str, u: &str) -> (String, String, String) {
    (d.into(), s.into(), format!("{u}@contoso.onmicrosoft.com"))
}

#[test]
fn seed_scenarios_give_exactly_the_expected_findings() {
    let (_w, out) = analysed(&[]);
    let df = read_table(&out, "findings");
    assert_eq!(
        findings_of(&df),
        [
            f("ENT-001", "low", "user01"),
            f("ENT-001", "medium", "user02"),
            f("ENT-002", "medium", "user02"),
            f("ENT-003", "medium", "user03"),
            f("ENT-004", "medium", "user04"),
            f("ENT-010", "medium", "user04"),
            f("ENT-011", "info", "daisuke.ito"),
            f("ENT-011", "medium", "emi.watanabe"),
            f("ENT-011", "medium", "user04"),
            // The Seattle trip: a new country, but too little history to judge.
            f("ENT-013", "info", "daisuke.ito"),
            f("ENT-015", "low", "user04"),
            // Global Administrator granted directly, not through PIM.
            f("ENT-016", "high", "bob.suzuki"),
            // The admin's reset of user02 after the lockout: remediation.
            f("ENT-021", "info", "user02"),
            f("ENT-022", "info", "daisuke.ito"),
            f("ENT-022", "info", "emi.watanabe"),
            f("ENT-022", "low", "user04"),
        ]
    );
    let summaries = strs(&df, "summary");

    // user01: two typos from the same browser, then the success.
    let r = row_of(&df, "ENT-001", "user01@contoso.onmicrosoft.com");
    let ev = evidence(&df, r);
    assert_eq!(ev.len(), 3);
    assert!(ev
        .iter()
        .all(|(t, _, role)| t == "signins" && role == "trigger"));
    assert!(summaries[r]
        .as_deref()
        .unwrap()
        .starts_with("2 failed sign-ins (50126 ×2) in 36 s"));

    // user02: five wrong passwords, two lockouts, success from another browser.
    let r = row_of(&df, "ENT-002", "user02@contoso.onmicrosoft.com");
    let ev = evidence(&df, r);
    let triggers = ev.iter().filter(|e| e.2 == "trigger").count();
    assert_eq!(
        (ev.len(), triggers),
        (8, 3),
        "5 context failures, 2 lockouts and the success"
    );
    let s = summaries[r].as_deref().unwrap();
    assert!(
        s.contains("5 failures came before the first lockout (tenant threshold 10)"),
        "{s}"
    );
    assert!(s.contains("a different browser"), "{s}");

    // user03: the two blocking SSPR rows of one correlationId, challenge UserSMSOtp.
    let r = row_of(&df, "ENT-003", "user03@contoso.onmicrosoft.com");
    let ev = evidence(&df, r);
    let triggers: Vec<&str> = ev
        .iter()
        .filter(|e| e.2 == "trigger")
        .map(|e| e.1.as_str())
        .collect();
    assert_eq!(triggers.len(), 2);
    assert!(triggers
        .iter()
        .all(|id| id.starts_with("SSPR_c74cf678-ea77-57d8-b0ac-c10aa9ec43ad")));
    assert!(ev.iter().all(|e| e.0 == "directory_audits"));
    assert!(summaries[r]
        .as_deref()
        .unwrap()
        .contains("challenge method UserSMSOtp"));

    // user04: the 530035 sign-in, its detection and the risky user, linked by request id.
    let r = row_of(&df, "ENT-004", "user04@contoso.onmicrosoft.com");
    let ev = evidence(&df, r);
    let has = |table: &str, id: &str, role: &str| {
        ev.iter().any(|e| e.0 == table && e.1 == id && e.2 == role)
    };
    assert!(has("signins", USER04_BLOCKED_SIGN_IN, "trigger"), "{ev:?}");
    assert!(
        has("risk_detections", USER04_DETECTION, "trigger"),
        "{ev:?}"
    );
    assert!(has("risky_users", USER04, "trigger"), "{ev:?}");
    assert_eq!(
        ev.iter().filter(|e| e.2 == "context").count(),
        3,
        "the three Tor failures"
    );
    assert_eq!(strs(&df, "join_basis")[r].as_deref(), Some("request_id"));
    assert_eq!(
        str_list(&df, "mitre", r),
        ["T1090.003", "T1078.004", "T1078"]
    );
    assert_eq!(
        strs(&df, "subject_ip")[r].as_deref(),
        Some("185.220.101.47")
    );

    // Ids are stable hashes, not random.
    let ids = strs(&df, "finding_id");
    assert!(ids.iter().all(|id| {
        let id = id.as_deref().unwrap();
        id.len() == 18 && id.starts_with("F-") && id[2..].chars().all(|c| c.is_ascii_hexdigit())
    }));
    let (_w2, again) = analysed(&[]);
    assert_eq!(strs(&read_table(&again, "findings"), "finding_id"), ids);
}

#[test]
fn findings_are_cited_in_the_timeline_and_summarised_per_user() {
    let (_w, out) = analysed(&[]);
    let df = read_table(&out, "findings");
    let tl = read_table(&out, "timeline");
    let row = row_where(&tl, "record_id", USER04_BLOCKED_SIGN_IN);
    let cited = str_list(&tl, "finding_ids", row);
    let ids = strs(&df, "finding_id");
    let detections = strs(&df, "detection_id");
    let mut cited_by: Vec<String> = cited
        .iter()
        .map(|id| {
            let i = ids.iter().position(|x| x.as_deref() == Some(id)).unwrap();
            detections[i].clone().unwrap()
        })
        .collect();
    cited_by.sort();
    assert_eq!(
        cited_by,
        ["ENT-004", "ENT-010", "ENT-011", "ENT-015", "ENT-022"]
    );

    let pu = read_table(&out, "per_user");
    let r = row_where(&pu, "user_id", USER04);
    assert_eq!(ints(&pu, "findings")[r], Some(5));
    assert_eq!(
        strs(&pu, "max_finding_severity")[r].as_deref(),
        Some("medium")
    );

    let m = manifest(&out);
    assert_eq!(m["tables"]["findings"]["rows"], 16);
    let d = &m["analysis"]["detections"];
    assert_eq!(
        d["findings_by_severity"],
        serde_json::json!({"high": 1, "info": 5, "low": 3, "medium": 7})
    );
    assert_eq!(d["thresholds"]["ENT-001"]["min_failures"], 2.0);
    assert_eq!(d["status"]["ENT-003"]["status"], "ran");
    assert_eq!(d["unrecognised_failure_texts"], serde_json::json!({}));
}

#[test]
fn thresholds_come_from_set_and_toml_and_are_recorded() {
    let w = Workdir::new();
    let toml = w.dir.path().join("entrace.toml");
    std::fs::write(&toml, "[ENT-002]\nwindow_min = 1\n").unwrap();
    let (code, out, stderr) = w.run(
        "out",
        &[fixture("sample-evidence")],
        &[
            "--config",
            toml.to_str().unwrap(),
            "--set",
            "ENT-001.min_failures=3",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let df = read_table(&out, "findings");
    let found = findings_of(&df);
    // user01 had only two failures; user02's success came 6 s after the lockout (< 1 min).
    assert!(!found.contains(&f("ENT-001", "low", "user01")), "{found:?}");
    assert!(
        found.contains(&f("ENT-002", "medium", "user02")),
        "{found:?}"
    );
    let r = row_of(&df, "ENT-001", "user02@contoso.onmicrosoft.com");
    let thresholds: serde_json::Value =
        serde_json::from_str(strs(&df, "thresholds")[r].as_deref().unwrap()).unwrap();
    assert_eq!(thresholds["min_failures"], 3.0);
    let m = manifest(&out);
    assert_eq!(
        m["analysis"]["detections"]["thresholds"]["ENT-002"]["window_min"],
        1.0
    );

    let o = entrace(&[
        "analyze",
        out.to_str().unwrap(),
        "--set",
        "ENT-001.min_fail=3",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ENT-001 has no threshold \"min_fail\"") && err.contains("min_failures"),
        "{err}"
    );
}

#[test]
fn vocabularies_come_from_the_config_and_are_recorded() {
    let w = Workdir::new();
    let (_, out, _) = w.run("default", &[fixture("sample-evidence")], &[]);
    let found = findings_of(&read_table(&out, "findings"));
    assert!(
        found.contains(&f("ENT-010", "medium", "user04")),
        "{found:?}"
    );
    let vocabulary = &manifest(&out)["analysis"]["detections"]["vocabulary"];
    assert_eq!(
        vocabulary["sign_ins"]["anonymizing_risk_types"],
        serde_json::json!(["anonymizedIPAddress", "riskyIPAddress", "nationStateIP"])
    );
    assert_eq!(
        vocabulary["privileged_roles"][0]["name"],
        "Global Administrator"
    );

    // A team that does not treat any risk type as anonymizing
    // infrastructure: the Tor sign-in of user04 raises no ENT-010, the rest
    // is unchanged.
    let toml = w.dir.path().join("entrace.toml");
    std::fs::write(
        &toml,
        "[vocabulary.sign_ins]\nanonymizing_risk_types = []\n",
    )
    .unwrap();
    let (code, out, stderr) = w.run(
        "custom",
        &[fixture("sample-evidence")],
        &["--config", toml.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stderr}");
    let custom = findings_of(&read_table(&out, "findings"));
    let without: Vec<_> = found.iter().filter(|x| x.0 != "ENT-010").cloned().collect();
    assert_eq!(custom, without);
    let vocabulary = &manifest(&out)["analysis"]["detections"]["vocabulary"];
    assert_eq!(
        vocabulary["sign_ins"]["anonymizing_risk_types"],
        serde_json::json!([])
    );
    assert_eq!(vocabulary["sign_ins"]["legacy_clients"][1], "imap4");

    std::fs::write(&toml, "[vocabulary.sign_ins]\nlegacy = []\n").unwrap();
    let o = entrace(&[
        "analyze",
        out.to_str().unwrap(),
        "--config",
        toml.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("vocabulary.sign_ins has no list \"legacy\"; it has: anonymizing_risk_types, legacy_clients, ropc_user_agents"),
        "{err}"
    );
}

#[test]
fn detections_without_their_data_say_skipped_and_why() {
    let w = Workdir::new();
    let (code, out, stderr) = w.run("out", &[fixture("equivalence/pages")], &[]);
    assert_eq!(code, 0, "{stderr}");
    let status = &manifest(&out)["analysis"]["detections"]["status"];
    assert_eq!(status["ENT-003"]["status"], "skipped");
    assert_eq!(
        status["ENT-003"]["reason"],
        "skipped: no directory audits in the evidence"
    );
    assert_eq!(
        status["ENT-011"]["reason"],
        "skipped: no riskDetections in the evidence"
    );
    assert_eq!(
        status["ENT-022"]["reason"],
        "skipped: no riskyUsers in the evidence"
    );
    assert_eq!(status["ENT-001"]["status"], "ran");
    assert!(stderr.is_empty() || !stderr.contains("error"), "{stderr}");
}

#[test]
fn docs_detection_table_is_the_catalogue() {
    let o = entrace(&["detections", "--format", "md"]);
    assert!(o.status.success());
    let generated = String::from_utf8(o.stdout).unwrap();
    let doc = std::fs::read_to_string(fixture("../docs/detections.md")).unwrap();
    let start = doc
        .find("<!-- detections:begin -->")
        .expect("docs/detections.md: begin marker")
        + "<!-- detections:begin -->".len();
    let end = doc
        .find("<!-- detections:end -->")
        .expect("docs/detections.md: end marker");
    assert_eq!(
        doc[start..end].trim(),
        generated.trim(),
        "docs/detections.md detection table is stale: paste `cargo run -q -- detections --format md` between the markers"
    );
}

/// The background tenant: 2,000 generated users over 14 days of ordinary
/// work (shared office IPs with typos, MFA prompts, flights, SSPR resets,
/// dismissed low risk). No detection may call any of it medium or high.
#[test]
fn a_quiet_tenant_of_2000_users_gives_no_medium_or_high_findings() {
    let w = Workdir::new();
    let evidence = w.dir.path().join("tenant");
    let summary =
        entrace_generate::generate(&entrace_generate::GenerateOptions::default(), &evidence)
            .expect("generate");
    assert!(summary.sign_ins > 20_000, "{summary:?}");
    let (code, out, stderr) = w.run("out", &[evidence], &[]);
    assert_eq!(code, 0, "{stderr}");
    let df = read_table(&out, "findings");
    let serious: Vec<String> = (0..df.height())
        .filter(|&i| matches!(strs(&df, "severity")[i].as_deref(), Some("medium" | "high")))
        .map(|i| {
            format!(
                "{:?}: {:?}",
                strs(&df, "detection_id")[i],
                strs(&df, "summary")[i]
            )
        })
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
    // 2,000 staff plus the tenant's admin and service accounts.
    assert!(manifest(&out)["analysis"]["users"].as_u64().unwrap() >= 2000);
}

/// JSON Lines evidence for the escalation test: `name` guesses three
/// passwords from `ip` and gets in, then makes itself Global Administrator
/// `hours_later` hours after the success.
fn guess_then_grant(
    name: &str,
    user_id: &str,
    ip: &str,
    day: u32,
    hours_later: u32,
) -> Vec<String> {
    let upn = format!("{name}@contoso.com");
    let at = |h: u32, m: u32| format!("2025-03-{:02}T{:02}:{m:02}:00Z", day + h / 24, h % 24);
    let mut lines: Vec<String> = (0..4)
        .map(|k| {
            let code = if k < 3 { 50126 } else { 0 };
            serde_json::json!({
                "id": format!("{name}-s{k}"), "createdDateTime": at(9, k),
                "userId": user_id, "userPrincipalName": upn, "ipAddress": ip,
                "clientAppUsed": "Browser", "status": {"errorCode": code},
                "location": {"countryOrRegion": "JP"}
            })
            .to_string()
        })
        .collect();
    lines.push(
        serde_json::json!({
            "id": format!("{name}-grant"), "activityDateTime": at(9 + hours_later, 3),
            "activityDisplayName": "Add member to role", "category": "RoleManagement",
            "loggedByService": "Core Directory", "result": "success",
            "correlationId": format!("{name}-corr"),
            "initiatedBy": {"user": {"id": user_id, "userPrincipalName": upn, "ipAddress": ip}},
            "targetResources": [
                {"id": user_id, "type": "User", "userPrincipalName": upn, "modifiedProperties": [
                    {"displayName": "Role.DisplayName", "oldValue": null, "newValue": "\"Global Administrator\""},
                    {"displayName": "Role.TemplateId", "oldValue": null, "newValue": "\"62e90394-69f5-4237-9190-012177145e10\""}
                ]}
            ]
        })
        .to_string(),
    );
    lines
}

#[test]
fn a_sign_in_finding_followed_by_persistence_within_a_day_is_raised() {
    let w = Workdir::new();
    let evidence = w.dir.path().join("evidence");
    std::fs::create_dir_all(&evidence).unwrap();
    let mut lines = guess_then_grant(
        "carol",
        "cccccccc-0000-0000-0000-000000000001",
        "203.0.113.77",
        10,
        2,
    );
    // Control: the same guesses, but the role comes 30 h later.
    lines.extend(guess_then_grant(
        "dave",
        "dddddddd-0000-0000-0000-000000000001",
        "203.0.113.78",
        10,
        30,
    ));
    std::fs::write(evidence.join("mixed.jsonl"), lines.join("\n")).unwrap();
    let (code, out, stderr) = w.run("out", &[evidence], &[]);
    assert_eq!(code, 0, "{stderr}");
    let df = read_table(&out, "findings");
    let got: Vec<(String, String, String)> = findings_of(&df)
        .into_iter()
        .filter(|(d, _, _)| d == "ENT-001" || d == "ENT-016")
        .collect();
    let at = |d: &str, s: &str, u: &str| (d.to_string(), s.to_string(), format!("{u}@contoso.com"));
    assert_eq!(
        got,
        [
            at("ENT-001", "low", "dave"),
            at("ENT-001", "medium", "carol"),
            at("ENT-016", "high", "carol"),
            at("ENT-016", "high", "dave"),
        ]
    );
    let summary = &strs(&df, "summary")[row_of(&df, "ENT-001", "carol@contoso.com")];
    assert!(
        summary
            .as_deref()
            .unwrap()
            .ends_with("; raised: followed within 24 h by ENT-016 for the same user"),
        "{summary:?}"
    );
}
