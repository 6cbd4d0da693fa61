//! The sample evidence: exact counts, exact cells of the seed scenarios,
//! duplicates, schema drift and a reconciling manifest.

use crate::util::*;

fn converted() -> (Workdir, std::path::PathBuf) {
    let w = Workdir::new();
    let (code, out, stderr) = w.convert("out", &[fixture("sample-evidence")], &[]);
    assert_eq!(code, 0, "{stderr}");
    (w, out)
}

fn user_rows(df: &polars::prelude::DataFrame, upn: &str) -> Vec<usize> {
    strs(df, "user_principal_name")
        .iter()
        .enumerate()
        .filter(|(_, v)| v.as_deref() == Some(upn))
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn sample_counts_duplicates_and_manifest_reconcile() {
    let (_w, out) = converted();
    let m = manifest(&out);
    let rows = |t: &str| m["tables"][t]["rows"].as_u64().unwrap();
    let dups = |t: &str| m["tables"][t]["duplicates"].as_u64().unwrap();
    assert_eq!(
        [
            rows("signins"),
            rows("directory_audits"),
            rows("risk_detections"),
            rows("risky_users"),
            rows("risky_user_history")
        ],
        [114, 25, 3, 3, 2]
    );
    assert_eq!([dups("signins"), dups("risk_detections")], [24, 1]);
    assert_eq!(m["tables"]["risk_detections"]["conflicting_duplicates"], 1);
    assert_eq!(m["tables"]["signins"]["conflicting_duplicates"], 0);
    assert_eq!(m["totals"]["read"], 172);
    assert_eq!(m["totals"]["rejected"], 0);
    assert_eq!(m["tables"]["rejects"]["rows"], 0);
    assert_reconciles(&m);
    // Schema drift: the unknown future property is counted, not lost.
    assert_eq!(
        m["tables"]["signins"]["schema_drift"]["someFutureProperty"],
        1
    );
    // Every input is listed with the SHA-256 the generator recorded.
    let exp = expected();
    let files = exp["files"].as_array().unwrap();
    let inputs = m["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 10);
    for input in inputs {
        let path = input["path"].as_str().unwrap();
        let rel = path.split("testdata/").nth(1).unwrap();
        let f = files.iter().find(|f| f["path"] == rel).unwrap();
        assert_eq!(input["sha256"], f["sha256"], "{rel}");
        assert_eq!(input["size"], f["bytes"], "{rel}");
    }
    // Output hashes in the manifest match the files.
    for (name, t) in m["tables"].as_object().unwrap() {
        let file = out.join(t["file"].as_str().unwrap());
        let bytes = std::fs::read(&file).unwrap();
        use sha2::Digest;
        assert_eq!(
            t["sha256"].as_str().unwrap(),
            hex::encode(sha2::Sha256::digest(&bytes)),
            "{name}"
        );
    }
}

#[test]
fn seed_scenarios_have_exact_cells() {
    let (_w, out) = converted();
    let signins = read_table(&out, "signins");
    let codes = ints(&signins, "status_error_code");
    let browsers = strs(&signins, "device_detail_browser");

    // user01: two invalid passwords, then success (and the KMSI interrupt in the same second).
    let u1 = user_rows(&signins, "user01@contoso.onmicrosoft.com");
    let u1_codes: Vec<_> = u1.iter().map(|&i| codes[i].unwrap()).collect();
    assert_eq!(&u1_codes[..2], [50126, 50126]);
    let mut last_two = u1_codes[2..].to_vec();
    last_two.sort();
    assert_eq!(last_two, [0, 50140]);

    // user02: five 50126, two smart lockouts, then success from another browser.
    let u2 = user_rows(&signins, "user02@contoso.onmicrosoft.com");
    let u2_codes: Vec<_> = u2.iter().map(|&i| codes[i].unwrap()).collect();
    assert_eq!(
        u2_codes,
        [50126, 50126, 50126, 50126, 50126, 50053, 50053, 0]
    );
    assert_eq!(
        browsers[*u2.last().unwrap()].as_deref(),
        Some("Edge 134.0.0")
    );
    assert_eq!(browsers[u2[0]].as_deref(), Some("Firefox 136.0"));

    // user04: Tor sign-in blocked by security defaults, with its risk fields.
    let tor = row_where(&signins, "id", "120f0153-a7d4-5832-99e2-1517bc7558e2");
    assert_eq!(codes[tor], Some(530035));
    assert_eq!(
        str_list(&signins, "risk_event_types_v2", tor),
        ["anonymizedIPAddress"]
    );
    assert_eq!(
        str_list(&signins, "risk_event_types", tor),
        ["anonymizedIPAddress"]
    );
    assert_eq!(strs(&signins, "risk_state")[tor].as_deref(), Some("atRisk"));
    assert_eq!(
        strs(&signins, "location_country_or_region")[tor].as_deref(),
        Some("NL")
    );
    assert_eq!(
        strs(&signins, "status_failure_reason")[tor].as_deref(),
        Some("Access has been blocked by security defaults.")
    );
    assert_eq!(
        times(&signins, "created_date_time")[tor],
        Some(1_742_234_070_000_000_000)
    );
    assert_eq!(
        strs(&signins, "ingest_api_version")[tor].as_deref(),
        Some("v1.0")
    );
    let raw = strs(&signins, "ingest_raw")[tor].clone().unwrap();
    assert!(
        raw.starts_with('{') && raw.contains("\"errorCode\": 530035"),
        "{raw}"
    );

    // Its risk detection: 7-digit times kept exactly, additionalInfo parsed.
    let det = read_table(&out, "risk_detections");
    let d = row_where(&det, "request_id", "120f0153-a7d4-5832-99e2-1517bc7558e2");
    assert_eq!(
        strs(&det, "risk_event_type")[d].as_deref(),
        Some("anonymizedIPAddress")
    );
    assert_eq!(strs(&det, "risk_level")[d].as_deref(), Some("medium"));
    assert_eq!(
        times(&det, "activity_date_time")[d],
        Some(1_742_234_070_698_262_800)
    );
    assert_eq!(
        times(&det, "last_updated_date_time")[d],
        Some(1_742_234_189_661_120_200)
    );
    let info = det
        .column("additional_info_parsed")
        .unwrap()
        .list()
        .unwrap()
        .get_as_series(d)
        .unwrap();
    let info = info.struct_().unwrap();
    let keys: Vec<_> = info
        .field_by_name("key")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect();
    let values: Vec<_> = info
        .field_by_name("value")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect();
    let mitre = keys.iter().position(|k| k == "mitreTechniques").unwrap();
    assert_eq!(values[mitre], "T1090.003,T1078");

    // The conflicting duplicate: the copy updated last (dismissed) survives.
    let dup = row_where(
        &det,
        "id",
        "01c23c1fad6e93aeb5412d1221e82fc60bd160b101590c2fe6b06d61288a9c37",
    );
    assert_eq!(strs(&det, "risk_state")[dup].as_deref(), Some("dismissed"));

    // The risky user, exact to 100 ns.
    let risky = read_table(&out, "risky_users");
    let r = row_where(&risky, "id", "04d557e9-7c2a-5fbc-8dd9-164f2e5802cc");
    assert_eq!(
        times(&risky, "risk_last_updated_date_time")[r],
        Some(1_742_234_202_672_840_800)
    );
    assert_eq!(strs(&risky, "risk_state")[r].as_deref(), Some("atRisk"));
    assert_eq!(strs(&risky, "risk_level")[r].as_deref(), Some("low"));

    // user03: SSPR blocked for 24 hours, two audit rows at 16:40:04 sharing a correlation id.
    let audits = read_table(&out, "directory_audits");
    let corr = strs(&audits, "correlation_id");
    let blocked: Vec<usize> = (0..audits.height())
        .filter(|&i| corr[i].as_deref() == Some("c74cf678-ea77-57d8-b0ac-c10aa9ec43ad"))
        .collect();
    let names = strs(&audits, "activity_display_name");
    let reasons = strs(&audits, "result_reason");
    let failed: Vec<(String, String)> = blocked
        .iter()
        .filter(|&&i| strs(&audits, "result")[i].as_deref() == Some("failure"))
        .map(|&i| (names[i].clone().unwrap(), reasons[i].clone().unwrap()))
        .collect();
    assert!(failed.contains(&(
        "Blocked from self-service password reset".into(),
        "User throttle for attempting challenge: UserSMSOtp too many times.".into()
    )));
    assert!(failed.contains(&(
        "Self-service password reset flow activity progress".into(),
        "User entered too many invalid SMS verification codes and is blocked for 24 hours".into()
    )));
    let blocked_row = row_where(
        &audits,
        "result_reason",
        "User throttle for attempting challenge: UserSMSOtp too many times.",
    );
    assert_eq!(
        times(&audits, "activity_date_time")[blocked_row],
        Some(1_742_229_604_415_271_600)
    );
    assert_eq!(
        strs(&audits, "initiated_by_user_user_principal_name")[blocked_row].as_deref(),
        Some("user03@contoso.onmicrosoft.com")
    );
}

#[test]
fn tables_are_sorted_by_time_then_id() {
    let (_w, out) = converted();
    let signins = read_table(&out, "signins");
    let times = times(&signins, "created_date_time");
    let ids = strs(&signins, "id");
    for i in 1..signins.height() {
        assert!((times[i - 1], &ids[i - 1]) < (times[i], &ids[i]), "row {i}");
    }
}

#[test]
fn no_raw_drops_only_the_raw_column() {
    let w = Workdir::new();
    let (code, out, _) = w.convert("out", &[fixture("sample-evidence")], &["--no-raw"]);
    assert_eq!(code, 0);
    let signins = read_table(&out, "signins");
    assert!(signins.column("ingest_raw").is_err());
    assert_eq!(signins.height(), 114);
}
