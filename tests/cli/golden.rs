//! Golden outputs: every table of the test corpora, cell for cell, against
//! digests kept in `testdata/golden/`. A change that alters a table's
//! schema (names and logical types), its row count or order, or any cell
//! fails here, naming the table and the column.
//!
//! When a change is meant to alter outputs, rewrite the digests with
//! `ENTRACE_UPDATE_GOLDEN=1 cargo test --test cli golden` and let the diff of
//! `testdata/golden/` show what moved. Reports and the manifest are not
//! here: they carry the run's wall-clock time (their content is tested
//! elsewhere).

use std::path::{Path, PathBuf};
use std::process::Command;

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::util::*;

/// A cell as JSON: nested lists and structs in full, timestamps as their
/// integer with the unit, so no formatting can hide a difference.
fn cell(v: AnyValue<'_>) -> serde_json::Value {
    use serde_json::{json, Value};
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => json!(b),
        AnyValue::String(s) => json!(s),
        AnyValue::StringOwned(s) => json!(s.as_str()),
        AnyValue::Int32(n) => json!(n),
        AnyValue::Int64(n) => json!(n),
        AnyValue::UInt32(n) => json!(n),
        AnyValue::UInt64(n) => json!(n),
        AnyValue::Float64(n) => json!(n.to_bits()),
        AnyValue::Datetime(n, unit, _) | AnyValue::DatetimeOwned(n, unit, _) => {
            json!([n, unit.to_string()])
        }
        AnyValue::List(s) => Value::Array(s.iter().map(cell).collect()),
        v @ AnyValue::Struct(..) => Value::Array(v._iter_struct_av().map(cell).collect()),
        AnyValue::StructOwned(payload) => {
            Value::Array(payload.0.iter().cloned().map(cell).collect())
        }
        other => json!(format!("{other:?}")),
    }
}

/// Row count and, per column in file order, its name, logical type and a
/// digest of its cells in row order.
fn digest(df: &DataFrame) -> serde_json::Value {
    let columns: Vec<serde_json::Value> = df
        .columns()
        .iter()
        .map(|c| {
            let s = c.as_materialized_series();
            let mut h = Sha256::new();
            for v in s.iter() {
                h.update(cell(v).to_string().as_bytes());
                h.update(b"\n");
            }
            let hash = hex::encode(h.finalize());
            serde_json::json!(format!("{} | {} | {}", c.name(), c.dtype(), &hash[..16]))
        })
        .collect();
    serde_json::json!({"rows": df.height(), "columns": columns})
}

/// Runs `entrace run` on `inputs` (paths relative to the repository, as
/// the tables record them) and digests every table.
fn digests(w: &Workdir, inputs: &[&str]) -> serde_json::Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = w.out("out");
    let o = Command::new(env!("CARGO_BIN_EXE_entrace"))
        .current_dir(root)
        .arg("run")
        .args(inputs)
        .args(["-o", out.to_str().unwrap(), "-q", "--force", "-j", "2"])
        .output()
        .expect("run entrace");
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let tables: serde_json::Map<String, serde_json::Value> = TABLES
        .iter()
        .map(|t| (t.to_string(), digest(&read_table(&out, t))))
        .collect();
    serde_json::json!({"inputs": inputs, "tables": tables})
}

fn golden_path(name: &str) -> PathBuf {
    fixture("golden").join(format!("{name}.json"))
}

/// Compares (or, under `ENTRACE_UPDATE_GOLDEN`, rewrites) one corpus.
fn check(name: &str, inputs: &[&str]) {
    let w = Workdir::new();
    let actual = digests(&w, inputs);
    let path = golden_path(name);
    if std::env::var_os("ENTRACE_UPDATE_GOLDEN").is_some() {
        let mut text = serde_json::to_string_pretty(&actual).unwrap();
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        return;
    }
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (ENTRACE_UPDATE_GOLDEN=1 writes it)",
                path.display()
            )
        }))
        .unwrap();
    let mut differences = Vec::new();
    for table in TABLES {
        let (a, e) = (&actual["tables"][table], &expected["tables"][table]);
        if a["rows"] != e["rows"] {
            differences.push(format!("{table}: {} rows, golden {}", a["rows"], e["rows"]));
        }
        let cols = |v: &serde_json::Value| -> Vec<(String, String)> {
            v["columns"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str()?.rsplit_once(" | "))
                .map(|(schema, hash)| (schema.to_string(), hash.to_string()))
                .collect()
        };
        let (ac, ec) = (cols(a), cols(e));
        let schema =
            |c: &[(String, String)]| -> Vec<String> { c.iter().map(|c| c.0.clone()).collect() };
        if schema(&ac) != schema(&ec) {
            differences.push(format!(
                "{table}: schema {:?}, golden {:?}",
                schema(&ac),
                schema(&ec)
            ));
            continue;
        }
        for ((column, x), (_, y)) in ac.iter().zip(&ec) {
            if x != y {
                let name = column.split(" | ").next().unwrap_or(column);
                differences.push(format!("{table}.{name}: cells differ"));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{name} differs from {}:\n  {}\n(if intended: ENTRACE_UPDATE_GOLDEN=1 cargo test --test cli golden)",
        path.display(),
        differences.join("\n  ")
    );
}

#[test]
fn sample_and_broken_evidence_give_the_golden_tables() {
    check(
        "sample-and-broken",
        &["testdata/sample-evidence", "testdata/broken"],
    );
}

#[test]
fn microsoft_samples_and_quirks_give_the_golden_tables() {
    check("graph-docs-samples", &["testdata/graph-docs-samples"]);
    check("quirks", &["testdata/quirks"]);
}
