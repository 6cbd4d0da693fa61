//! Nothing lost: every fixture of testdata/ at once (the seed sample, the ten
//! delivery forms of one scenario, broken files, collector quirks and
//! Microsoft's own examples), in one run. Every record the corpus contains
//! is accounted for exactly once: as a row, a counted duplicate or a reject.

use std::collections::{BTreeMap, BTreeSet};

use crate::util::*;

/// Table of an entity name as expected.json writes it.
fn table_of(entity: &str) -> &'static str {
    match entity {
        "signIn" => "signins",
        "directoryAudit" => "directory_audits",
        "riskDetection" => "risk_detections",
        "riskyUser" => "risky_users",
        "riskyUserHistoryItem" => "risky_user_history",
        other => panic!("unknown entity {other}"),
    }
}

#[test]
fn the_whole_corpus_in_one_run_loses_nothing() {
    let exp = expected();
    let units: Vec<std::path::PathBuf> = exp["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| fixture(u["unit"].as_str().unwrap()))
        // "graph-docs-samples/ (whole folder)" repeats files listed one by one.
        .filter(|p| p.exists())
        .collect();
    let w = Workdir::new();
    let (code, out, stderr) = w.convert("all", &units, &[]);
    assert_eq!(code, 1, "rejects are expected: {stderr}");
    let m = manifest(&out);
    assert_reconciles(&m);

    // What the corpus holds, per expected.json.
    let mut kept_ids: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut kept_records = 0u64;
    let mut reject_reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut seen_files = BTreeSet::new();
    for f in exp["files"].as_array().unwrap() {
        // A zip appears once per member.
        let key = (f["path"].as_str().unwrap(), f["member"].as_str());
        assert!(seen_files.insert(key), "{key:?} listed twice");
        for r in f["records"].as_array().unwrap() {
            if r["status"] == "kept" {
                kept_records += 1;
                kept_ids
                    .entry(table_of(r["entity"].as_str().unwrap()))
                    .or_default()
                    .insert(r["id"].as_str().unwrap().to_string());
            } else {
                *reject_reasons
                    .entry(r["reason"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
        }
    }
    let unique: u64 = kept_ids.values().map(|s| s.len() as u64).sum();

    // Rows: exactly the kept ids, each once, no other.
    for table in [
        "signins",
        "directory_audits",
        "risk_detections",
        "risky_users",
        "risky_user_history",
    ] {
        let df = read_table(&out, table);
        let ids: Vec<String> = strs(&df, "id").into_iter().map(Option::unwrap).collect();
        let distinct: BTreeSet<String> = ids.iter().cloned().collect();
        assert_eq!(ids.len(), distinct.len(), "{table} has an id twice");
        assert_eq!(
            distinct,
            kept_ids.get(table).cloned().unwrap_or_default(),
            "{table}"
        );
    }
    // Duplicates: every other copy of a kept id.
    assert_eq!(m["totals"]["written"], unique);
    assert_eq!(m["totals"]["duplicates"], kept_records - unique);
    // Rejects: one row per rejected record or unit, with its reason.
    let rejects = read_table(&out, "rejects");
    let mut got: BTreeMap<String, u64> = BTreeMap::new();
    for r in strs(&rejects, "reason") {
        *got.entry(r.unwrap()).or_default() += 1;
    }
    assert_eq!(got, reject_reasons);
    let rejected: u64 = reject_reasons.values().sum();
    assert_eq!(m["totals"]["rejected"], rejected);
    assert_eq!(m["totals"]["read"], kept_records + rejected);
}
