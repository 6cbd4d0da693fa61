//! `entrace schema` is generated from the writer's own definitions, and the
//! column reference of docs/tables.md is its Markdown output.

use crate::util::*;

#[test]
fn schema_lists_every_written_column_with_its_type() {
    let o = entrace(&["schema", "--format", "json"]);
    assert!(o.status.success());
    let cols: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cols = cols.as_array().unwrap();
    let w = Workdir::new();
    let (_, out, _) = w.run("o", &[fixture("sample-evidence")], &[]);
    for table in TABLES {
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
    // Stage 2 tables: the documented types are the written ones.
    for table in ["timeline", "per_user", "coverage"] {
        let df = read_table(&out, table);
        for c in cols.iter().filter(|c| c["table"] == table) {
            let name = c["column"].as_str().unwrap();
            let written = match df.column(name).unwrap().dtype().to_string().as_str() {
                "str" => "string".to_string(),
                "i32" => "int32".to_string(),
                "i64" => "int64".to_string(),
                "datetime[μs, UTC]" => "timestamp[us, UTC]".to_string(),
                "list[str]" => "list<string>".to_string(),
                "bool" => "bool".to_string(),
                other => other.to_string(),
            };
            assert_eq!(c["type"].as_str().unwrap(), written, "{table}.{name}");
        }
    }
    let error_code = cols
        .iter()
        .find(|c| c["column"] == "status_error_code")
        .unwrap();
    assert_eq!(error_code["type"], "int32");
    assert_eq!(error_code["source"], "status.errorCode");
}

#[test]
fn docs_column_reference_is_the_schema() {
    let o = entrace(&["schema", "--format", "md"]);
    assert!(o.status.success());
    let generated = String::from_utf8(o.stdout).unwrap();
    let doc = std::fs::read_to_string(fixture("../docs/tables.md")).unwrap();
    let start = doc
        .find("<!-- schema:begin -->")
        .expect("docs/tables.md: begin marker")
        + "<!-- schema:begin -->".len();
    let end = doc
        .find("<!-- schema:end -->")
        .expect("docs/tables.md: end marker");
    assert_eq!(
        doc[start..end].trim(),
        generated.trim(),
        "docs/tables.md column reference is stale: paste `cargo run -q -- schema --format md` between the markers"
    );
}
