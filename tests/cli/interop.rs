//! Every table opens with defaults in the clients analysts use: pyarrow,
//! pandas (both dtype backends), polars, DuckDB and PySpark, the pinned
//! releases of `tests/interop/requirements.txt`, installed by `.ci/setup`.
//! `tests/interop/check.py` does the checking; it also runs the notebook
//! recipes of `docs/notebooks.md`. Here: the run it checks, and its verdict.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::*;

/// The interop virtualenv's Python: `ENTRACE_INTEROP_PYTHON`, else the one
/// `.ci/setup` makes under target/. `None` when neither exists.
fn interop_python() -> Option<PathBuf> {
    let python = std::env::var_os("ENTRACE_INTEROP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/interop-venv/bin/python")
        });
    python.is_file().then_some(python)
}

fn has_java() -> bool {
    Command::new("java")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn every_table_opens_with_defaults_in_pyarrow_pandas_polars_duckdb_and_spark() {
    let Some(python) = interop_python() else {
        skip_without_client("the Parquet clients are not installed (run .ci/setup)");
        return;
    };
    let spark = has_java();
    if !spark {
        skip_without_client("no JRE for PySpark (run .ci/setup); Spark not checked");
    }
    let w = Workdir::new();
    // The sample and the broken files: every table has rows, rejects too.
    let (code, out, stderr) = w.run("out", &[fixture("sample-evidence"), fixture("broken")], &[]);
    assert_eq!(code, 1, "{stderr}"); // 1: records were rejected
    let m = manifest(&out);
    let rows: Vec<(&str, i64)> = TABLES
        .into_iter()
        .map(|t| (t, m["tables"][t]["rows"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        rows,
        [
            ("signins", 114),
            ("directory_audits", 25),
            ("risk_detections", 3),
            ("risky_users", 3),
            ("risky_user_history", 2),
            ("rejects", 11),
            ("sources", 18),
            ("timeline", 155),
            ("per_user", 15),
            ("findings", 16),
            ("coverage", 242),
        ]
    );
    let schema = w.out("schema.json");
    let o = entrace(&["schema", "--format", "json"]);
    assert!(o.status.success());
    std::fs::write(&schema, &o.stdout).unwrap();

    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut check = Command::new(&python);
    check
        .arg(root.join("tests/interop/check.py"))
        .arg(&out)
        .arg("--schema")
        .arg(&schema)
        .arg("--recipes")
        .arg(root.join("docs/notebooks.md"))
        .arg("--workdir")
        .arg(w.out("recipes"));
    if spark {
        check.arg("--spark");
    }
    let o = check.output().expect("run check.py");
    let stdout = String::from_utf8_lossy(&o.stdout);
    println!("{stdout}");
    assert!(
        o.status.success(),
        "check.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // What was checked: 11 tables in 5 clients (6 with Spark), then the recipes.
    let clients = if spark { 6 } else { 5 };
    let table_checks = stdout
        .lines()
        .filter(|l| l.starts_with("ok ") && !l.contains("recipe"))
        .count();
    assert_eq!(table_checks, 11 * clients + 1, "{stdout}");
    assert!(
        stdout.contains(
            "by_code: [(50053, 2, '2025-03-17T15:42:12+00:00'), (50126, 5, '2025-03-17T15:41:05+00:00')]"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("ok    recipes give one answer in every client"));
}
