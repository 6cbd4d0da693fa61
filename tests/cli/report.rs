//! Reports end to end: the terminal summary, report.md, report.json (schema
//! pinned against docs/report-json.md) and report.html, the format flags, and
//! escaping of hostile evidence text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::util::*;

/// `entrace run` on the seed sample (plus `extra` evidence) with `args`,
/// returning the workdir, OUT_DIR and stdout.
fn run_with(extra: &[PathBuf], args: &[&str]) -> (Workdir, PathBuf, String) {
    let w = Workdir::new();
    let out = w.out("out");
    let mut argv: Vec<String> = vec![
        "run".into(),
        fixture("sample-evidence").display().to_string(),
    ];
    argv.extend(extra.iter().map(|p| p.display().to_string()));
    argv.extend(["-o".into(), out.display().to_string()]);
    argv.extend(args.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
    let o = entrace(&refs);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    (w, out, String::from_utf8(o.stdout).expect("utf-8 stdout"))
}

fn report_json(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).expect("report.json"))
        .expect("json")
}

#[test]
fn run_prints_the_summary_and_writes_three_reports_recorded_in_the_manifest() {
    let (_w, out, stdout) = run_with(&[], &[]);
    // Plain text when stdout is not a terminal.
    assert!(!stdout.contains('\u{1b}'), "{stdout}");
    for line in [
        "Evidence 10 streams, 343822 bytes of evidence, 172 records read",
        "  signins                    114         24         0  2025-03-16T00:18:13.0000000Z  2025-03-18T16:05:22.0000000Z",
        "  no records rejected",
        "Findings 1 high, 7 medium, 3 low, 5 info",
        "  1. bob.suzuki@contoso.onmicrosoft.com (Bob Suzuki): 1 finding, worst high",
        "  2. user04@contoso.onmicrosoft.com (ユーザ04): 5 findings, worst medium, Identity Protection atRisk low",
        "  … and 6 more in the reports",
    ] {
        assert!(stdout.lines().any(|l| l == line), "missing {line:?} in\n{stdout}");
    }
    let first_finding = stdout.lines().find(|l| l.starts_with("  high ")).unwrap();
    assert!(
        first_finding.starts_with("  high    ENT-016  bob.suzuki@contoso.onmicrosoft.com  "),
        "{first_finding}"
    );

    let m = manifest(&out);
    let files = &m["reports"]["files"];
    assert_eq!(m["reports"]["schema_version"], 2);
    for (key, file) in [
        ("md", "report.md"),
        ("json", "report.json"),
        ("html", "report.html"),
    ] {
        let bytes = std::fs::read(out.join(file)).unwrap();
        assert_eq!(files[key]["file"], file);
        assert_eq!(files[key]["sha256"], hex::encode(Sha256::digest(&bytes)));
        assert_eq!(files[key]["bytes"], bytes.len());
    }
}

#[test]
fn report_json_holds_the_case_in_full() {
    let (_w, out, _) = run_with(&[], &["-q"]);
    let r = report_json(&out);
    assert_eq!(r["schema"], "entrace-report");
    assert_eq!(r["schema_version"], 2);
    // A small case is shown whole: nothing grouped, nothing past a cap.
    assert_eq!(
        r["capped"],
        serde_json::json!({
            "findings_total": 16, "findings_listed": 16, "findings_grouped": 0,
            "findings_not_shown": 0, "group_info_over": 20, "findings_cap": 500,
            "users_with_listed_findings": 7, "user_sections": 7, "user_sections_cap": 100
        })
    );
    assert_eq!(r["finding_groups"], serde_json::json!([]));
    assert_eq!(r["evidence"]["inputs"].as_array().unwrap().len(), 10);
    assert_eq!(r["evidence"]["input_bytes"], 343822);
    assert_eq!(
        r["evidence"]["totals"],
        serde_json::json!({"read": 172, "written": 147, "duplicates": 25, "rejected": 0})
    );
    let m = manifest(&out);
    for input in r["evidence"]["inputs"].as_array().unwrap() {
        let listed = m["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["path"] == input["path"])
            .unwrap();
        assert_eq!(input["sha256"], listed["sha256"]);
    }
    assert_eq!(
        r["findings_by_severity"],
        serde_json::json!({"high": 1, "medium": 7, "low": 3, "info": 5})
    );

    // Findings: most severe first, then by time.
    let findings = r["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 16);
    let order: Vec<(String, String)> = findings
        .iter()
        .map(|f| {
            (
                f["severity"].as_str().unwrap().into(),
                f["detection_id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(order[0], ("high".into(), "ENT-016".into()));
    assert_eq!(order[1], ("medium".into(), "ENT-011".into()));
    assert!(order
        .iter()
        .skip(8)
        .all(|(s, _)| s != "medium" && s != "high"));

    // user03's SSPR block: both blocking rows resolved from the timeline.
    let sspr = findings
        .iter()
        .find(|f| f["detection_id"] == "ENT-003")
        .unwrap();
    assert_eq!(sspr["display_name"], "ユーザ03");
    let triggers: Vec<(&str, &str)> = sspr["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["role"] == "trigger")
        .map(|e| (e["action"].as_str().unwrap(), e["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(triggers.len(), 2, "{triggers:?}");
    assert!(
        triggers.iter().any(|(_, d)| d.contains("UserSMSOtp")),
        "{triggers:?}"
    );

    // user04's ENT-004 evidence: the blocked sign-in, the detection and the risky user.
    let tor = findings
        .iter()
        .find(|f| f["detection_id"] == "ENT-004")
        .unwrap();
    let tables: BTreeSet<&str> = tor["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["table"].as_str().unwrap())
        .collect();
    assert_eq!(
        tables,
        BTreeSet::from(["risk_detections", "risky_users", "signins"])
    );
    let blocked = tor["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["record_id"] == "120f0153-a7d4-5832-99e2-1517bc7558e2")
        .unwrap();
    assert_eq!(blocked["result"], "blocked");
    assert_eq!(blocked["ip_address"], "185.220.101.47");

    // Users: one section per user with a finding, worst first.
    let users = r["users"].as_array().unwrap();
    let names: Vec<&str> = users
        .iter()
        .map(|u| u["user_principal_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "bob.suzuki@contoso.onmicrosoft.com",
            "emi.watanabe@contoso.onmicrosoft.com",
            "user02@contoso.onmicrosoft.com",
            "user03@contoso.onmicrosoft.com",
            "user04@contoso.onmicrosoft.com",
            "user01@contoso.onmicrosoft.com",
            "daisuke.ito@contoso.onmicrosoft.com",
        ]
    );
    let user03 = &users[3];
    assert_eq!(user03["anchor"], "user-4");
    let actions: Vec<&str> = user03["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["action"].as_str().unwrap())
        .collect();
    assert!(
        actions
            .iter()
            .filter(|a| a.contains("SSPR blocked"))
            .count()
            >= 1,
        "{actions:?}"
    );
    assert_eq!(user03["window_minutes"], 60);

    // Tops and charts.
    assert_eq!(r["top"]["error_codes"][0]["code"], 50126);
    assert_eq!(r["top"]["error_codes"][0]["label"], "invalid password");
    assert_eq!(r["top"]["error_codes"][0]["sign_ins"], 18);
    assert_eq!(
        r["top"]["countries"][0],
        serde_json::json!({"value": "JP", "sign_ins": 108, "unsuccessful": 32, "users": 14})
    );
    assert_eq!(r["charts"]["bucket"], "hour");
    let per_hour: u64 = r["charts"]["sign_ins_over_time"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            ["success", "interrupted", "failure", "blocked"]
                .iter()
                .map(|k| b[k].as_u64().unwrap())
                .sum::<u64>()
        })
        .sum();
    assert_eq!(per_hour, 114);
    let coverage: u64 = r["coverage"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["table"] == "signins")
        .map(|c| c["records"].as_u64().unwrap())
        .sum();
    assert_eq!(coverage, 114);

    // Completeness: the sample's quiet stretches and its overlapping second run.
    let c = &r["completeness"];
    assert_eq!(
        c["gaps"],
        serde_json::json!([
            {"table": "signins", "from": "2025-03-16T08:00:00.0000000Z", "to": "2025-03-17T00:00:00.0000000Z", "hours": 16},
            {"table": "signins", "from": "2025-03-17T18:00:00.0000000Z", "to": "2025-03-18T00:00:00.0000000Z", "hours": 6}
        ])
    );
    assert_eq!(
        c["sign_in_event_types"],
        serde_json::json!({"interactiveUser": 104, "nonInteractiveUser": 10})
    );
    assert_eq!(
        c["missing_sign_in_event_types"],
        serde_json::json!(["servicePrincipal", "managedIdentity"])
    );
    assert_eq!(
        c["api_versions"]["signins"],
        serde_json::json!({"beta": 10, "v1.0": 104})
    );
    assert_eq!(c["overlapping_sources"].as_array().unwrap().len(), 2);
    assert_eq!(c["warnings"].as_array().unwrap().len(), 4);

    // Thresholds and the status of every detection.
    assert_eq!(
        r["detections"]["thresholds"]["ENT-001"]["min_failures"],
        2.0
    );
    let status = r["detections"]["status"].as_array().unwrap();
    assert_eq!(status.len(), 24);
    assert_eq!(
        status[2],
        serde_json::json!({"id": "ENT-003", "name": "Self-service password reset blocked for 24 h", "status": "ran", "reason": null, "findings": 1})
    );
}

/// JSON type names as docs/report-json.md writes them.
fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every path of `v` (`a.b[].c`) with the types seen there; `maps` are not
/// descended into. Records array paths seen empty.
fn walk(
    v: &Value,
    path: String,
    maps: &BTreeSet<String>,
    seen: &mut BTreeMap<String, BTreeSet<&'static str>>,
    empty: &mut BTreeSet<String>,
) {
    let t = if maps.contains(&path) {
        "map"
    } else {
        type_of(v)
    };
    if !path.is_empty() {
        seen.entry(path.clone()).or_default().insert(t);
    }
    if t == "map" {
        return;
    }
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(x, p, maps, seen, empty);
            }
        }
        Value::Array(a) => {
            if a.is_empty() {
                empty.insert(path.clone());
            }
            for x in a {
                walk(x, format!("{path}[]"), maps, seen, empty);
            }
        }
        _ => {}
    }
}

#[test]
fn report_json_matches_its_documented_schema() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report-json.md"))
            .unwrap();
    let documented: BTreeMap<String, BTreeSet<String>> = doc
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split(" | ").collect();
            let field = cells[0]
                .trim_start_matches("| ")
                .trim_matches('`')
                .to_string();
            let types = cells[1]
                .split(" or ")
                .map(|t| t.trim().to_string())
                .collect();
            (field, types)
        })
        .collect();
    assert!(documented.len() > 150, "{}", documented.len());
    let maps: BTreeSet<String> = documented
        .iter()
        .filter(|(_, t)| t.contains("map"))
        .map(|(f, _)| f.clone())
        .collect();

    let (_w, out, _) = run_with(&[], &["-q"]);
    let r = report_json(&out);
    let (mut seen, mut empty) = (BTreeMap::new(), BTreeSet::new());
    walk(&r, String::new(), &maps, &mut seen, &mut empty);
    for (path, types) in &seen {
        let doc_types = documented.get(path).unwrap_or_else(|| {
            panic!("report.json has {path}, which docs/report-json.md does not document")
        });
        for t in types {
            assert!(
                doc_types.contains(*t),
                "{path} is {t} but documented as {doc_types:?}"
            );
        }
    }
    for path in documented.keys() {
        let under_empty = empty.iter().any(|e| path.starts_with(&format!("{e}[]")));
        assert!(
            seen.contains_key(path) || under_empty,
            "docs/report-json.md documents {path}, which report.json lacks"
        );
    }
    assert_eq!(
        r["schema_version"], 2,
        "bump the version in docs/report-json.md too"
    );
    assert!(doc.starts_with("# report.json, schema version 2\n"));
}

#[test]
fn report_flags_choose_the_files_and_quiet_silences_stdout() {
    let (_w, out, stdout) = run_with(&[], &["--report", "md", "-q"]);
    assert_eq!(stdout, "");
    assert!(out.join("report.md").is_file());
    assert!(!out.join("report.json").exists() && !out.join("report.html").exists());
    assert_eq!(
        manifest(&out)["reports"]["files"]
            .as_object()
            .unwrap()
            .len(),
        1
    );

    // `entrace report` re-renders; --no-report removes reports older than the tables.
    let o = entrace(&["report", out.to_str().unwrap(), "--report", "json,html"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Findings 1 high, 7 medium, 3 low, 5 info"));
    assert!(
        !out.join("report.md").exists()
            && out.join("report.json").is_file()
            && out.join("report.html").is_file()
    );
    let o = entrace(&["analyze", out.to_str().unwrap(), "--no-report", "-q"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(no_reports_left(&out));
    assert_eq!(manifest(&out)["reports"]["files"], serde_json::json!({}));

    let o = entrace(&["report", out.to_str().unwrap(), "--report", "pdf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected md, json or html"));
}

fn no_reports_left(out: &Path) -> bool {
    ["report.md", "report.json", "report.html"]
        .iter()
        .all(|f| !out.join(f).exists())
}

#[test]
fn report_needs_an_analysed_directory() {
    let w = Workdir::new();
    let (code, out, _) = w.convert("out", &[fixture("sample-evidence")], &[]);
    assert_eq!(code, 0);
    let o = entrace(&["report", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("has no findings yet: run `entrace analyze"),
        "{err}"
    );
}

/// Evidence with a hostile display name, failure reason and UPN: two wrong
/// passwords then a success, which ENT-001 reports.
pub fn hostile_user(dir: &Path) -> PathBuf {
    let path = dir.join("hostile.jsonl");
    let line = |id: &str, t: &str, code: i32, reason: &str| {
        serde_json::json!({
            "id": id, "createdDateTime": t,
            "userId": "eeeeeeee-0000-0000-0000-000000000666",
            "userPrincipalName": "mallory@contoso.onmicrosoft.com",
            "userDisplayName": "<script>alert(1)</script>",
            "appDisplayName": "Office 365 <b>Exchange</b>",
            "ipAddress": "203.0.113.66", "clientAppUsed": "Browser",
            "status": {"errorCode": code, "failureReason": reason},
            "location": {"countryOrRegion": "JP"}
        })
        .to_string()
    };
    let lines = [
        line(
            "h-1",
            "2025-03-17T09:00:00Z",
            50126,
            "<img src=x onerror=alert(2)>",
        ),
        line(
            "h-2",
            "2025-03-17T09:00:20Z",
            50126,
            "| pipe ` backtick [link](javascript:alert(3))",
        ),
        line("h-3", "2025-03-17T09:00:40Z", 0, ""),
    ];
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

#[test]
fn hostile_text_is_escaped_in_markdown_and_html() {
    let w = Workdir::new();
    let hostile = hostile_user(w.dir.path());
    let (_w, out, stdout) = run_with(&[hostile], &[]);
    assert!(
        stdout.contains(
            "  low     ENT-001  mallory@contoso.onmicrosoft.com  2 failed sign-ins (50126 ×2) in 40 s"
        ),
        "{stdout}"
    );

    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(md.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(md.contains("\\| pipe \\` backtick \\[link\\](javascript:alert(3))"));
    for raw in ["<script>alert", "<img", "<b>"] {
        assert!(!md.contains(raw), "{raw} reached report.md");
    }

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only entrace's own script"
    );
    for raw in ["<img", "<b>Exchange"] {
        assert!(!html.contains(raw), "{raw} reached report.html");
    }
    // Self-contained: nothing is fetched.
    for external in ["http://", "https://", "src=\"//", "@import", "url("] {
        assert!(!html.contains(external), "{external} in report.html");
    }
    assert!(html.contains("Content-Security-Policy"));
}
