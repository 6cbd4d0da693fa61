//! Helpers: run the binary, read tables and the manifest, load expectations.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;

/// Path of a fixture under testdata/.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// Runs `entrace` with `args`.
pub fn entrace(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_entrace"))
        .args(args)
        .output()
        .expect("run entrace")
}

/// Reports a test that cannot run because a program it drives (Chromium, a
/// Python Parquet client, a JRE) is missing: a skip on a developer's
/// machine, a failure where `ENTRACE_REQUIRE_CLIENTS` is set (`.ci/run`,
/// after `.ci/setup` installed them).
pub fn skip_without_client(why: &str) {
    if std::env::var_os("ENTRACE_REQUIRE_CLIENTS").is_some_and(|v| v != "0") {
        panic!("{why}, and ENTRACE_REQUIRE_CLIENTS is set");
    }
    eprintln!("skipped: {why}");
}

/// A temporary directory and the output directory inside it.
pub struct Workdir {
    pub dir: tempfile::TempDir,
}

impl Workdir {
    pub fn new() -> Self {
        Workdir {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Converts `inputs` into `out/<name>`; returns the exit code and the output dir.
    pub fn convert(
        &self,
        name: &str,
        inputs: &[PathBuf],
        extra: &[&str],
    ) -> (i32, PathBuf, String) {
        self.invoke("convert", name, inputs, extra)
    }

    /// Runs `entrace run` (convert + analyze) on `inputs` into `out/<name>`.
    pub fn run(&self, name: &str, inputs: &[PathBuf], extra: &[&str]) -> (i32, PathBuf, String) {
        self.invoke("run", name, inputs, extra)
    }

    fn invoke(
        &self,
        command: &str,
        name: &str,
        inputs: &[PathBuf],
        extra: &[&str],
    ) -> (i32, PathBuf, String) {
        let out = self.out(name);
        let mut args: Vec<String> = vec![command.into()];
        args.extend(inputs.iter().map(|p| p.display().to_string()));
        args.extend(["-o".into(), out.display().to_string(), "-q".into()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = entrace(&refs);
        (
            o.status.code().unwrap_or(-1),
            out,
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }
}

/// Reads `<dir>/<table>.parquet`.
pub fn read_table(dir: &Path, table: &str) -> DataFrame {
    let f = File::open(dir.join(format!("{table}.parquet"))).expect("open table");
    ParquetReader::new(f).finish().expect("read parquet")
}

/// Parses `<dir>/manifest.json`.
pub fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
        .expect("json")
}

/// testdata/expected.json, written by the fixture generator.
pub fn expected() -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(fixture("expected.json")).expect("expected.json"))
        .expect("json")
}

/// String cells of a column.
pub fn strs(df: &DataFrame, col: &str) -> Vec<Option<String>> {
    df.column(col)
        .expect(col)
        .str()
        .expect("str")
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

/// i64 cells of an integer or datetime column.
pub fn ints(df: &DataFrame, col: &str) -> Vec<Option<i64>> {
    let s = df.column(col).expect(col).as_materialized_series().clone();
    let s = s.to_physical_repr().cast(&DataType::Int64).expect("cast");
    s.i64().expect("i64").iter().collect()
}

/// Exact UTC nanoseconds of timestamp column `col`, read from its `_ns`
/// companion, after checking that `col` itself is `datetime[μs, UTC]` and
/// holds the same instants truncated to microseconds.
pub fn times(df: &DataFrame, col: &str) -> Vec<Option<i64>> {
    let dtype = df.column(col).expect(col).dtype().clone();
    assert_eq!(
        dtype,
        DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC)),
        "{col}"
    );
    let exact = ints(df, &format!("{col}_ns"));
    let micros = ints(df, col);
    let truncated: Vec<Option<i64>> = exact
        .iter()
        .map(|v| v.map(|n| n.div_euclid(1000)))
        .collect();
    assert_eq!(
        micros, truncated,
        "{col} is {col}_ns truncated to microseconds"
    );
    exact
}

/// Index of the row whose `col` equals `value`.
pub fn row_where(df: &DataFrame, col: &str, value: &str) -> usize {
    strs(df, col)
        .iter()
        .position(|v| v.as_deref() == Some(value))
        .unwrap_or_else(|| panic!("no row with {col} = {value}"))
}

/// The list<str> cell of `col` at `row`.
pub fn str_list(df: &DataFrame, col: &str, row: usize) -> Vec<String> {
    let cell = df
        .column(col)
        .expect(col)
        .list()
        .expect("list")
        .get_as_series(row)
        .expect("cell");
    cell.str()
        .expect("str")
        .iter()
        .map(|v| v.unwrap_or_default().to_string())
        .collect()
}

/// Asserts that every entity and the totals reconcile in a manifest.
pub fn assert_reconciles(m: &serde_json::Value) {
    let check = |c: &serde_json::Value, what: &str| {
        let n = |k: &str| c[k].as_u64().unwrap_or_else(|| panic!("{what}.{k}"));
        assert_eq!(
            n("read"),
            n("written") + n("duplicates") + n("rejected"),
            "{what}: {c}"
        );
    };
    check(&m["totals"], "totals");
    for (name, c) in m["entities"].as_object().expect("entities") {
        check(c, name);
    }
    for input in m["inputs"].as_array().expect("inputs") {
        check(input, "input");
    }
}

/// Runs `entrace timeline <out> <args…>`; returns exit code, stdout, stderr.
pub fn timeline(out: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["timeline", out.to_str().expect("utf-8 path")];
    all.extend_from_slice(args);
    let o = entrace(&all);
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The tables `entrace run` writes.
pub const TABLES: [&str; 11] = [
    "signins",
    "directory_audits",
    "risk_detections",
    "risky_users",
    "risky_user_history",
    "rejects",
    "sources",
    "timeline",
    "per_user",
    "findings",
    "coverage",
];
