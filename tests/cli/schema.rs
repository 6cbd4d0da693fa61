//! `entrace schema` is generated from the writer's own definitions.

use crate::util::*;

#[test]
fn schema_lists_every_written_column_with_its_type() {
    let o = entrace(&["schema", "--format", "json"]);
    assert!(o.status.success());
    let cols: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cols = cols.as_array().unwrap();
    let w = Workdir::new();
    let (_, out, _) = w.convert("o", &[fixture("sample-evidence")], &[]);
    for table in [
        "signins",
        "directory_audits",
        "risk_detections",
        "risky_users",
        "risky_user_history",
        "rejects",
        "sources",
    ] {
        let df = read_table(&out, table);
        let documented: Vec<&str> = cols
            .iter()
            .filter(|c| c["table"] == table)
            .map(|c| c["column"].as_str().unwrap())
            .collect();
        let written: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(documented, written, "{table}");
    }
    let error_code = cols
        .iter()
        .find(|c| c["column"] == "status_error_code")
        .unwrap();
    assert_eq!(error_code["type"], "int32");
    assert_eq!(error_code["source"], "status.errorCode");
}
