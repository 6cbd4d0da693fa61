//! One scenario in ten forms gives identical tables; thread count and input
//! order do not change a byte.

use polars::prelude::*;

use crate::util::*;

const VARIANTS: [&str; 10] = [
    "pages",
    "jsonl",
    "array",
    "concatenated",
    "gzip",
    "zstd",
    "zip",
    "utf16le",
    "utf16be",
    "utf8bom",
];

fn graph_columns(df: &DataFrame) -> DataFrame {
    let keep: Vec<PlSmallStr> = df
        .get_column_names()
        .into_iter()
        .filter(|n| !n.starts_with("ingest_"))
        .cloned()
        .collect();
    df.select(keep).unwrap()
}

#[test]
fn every_delivery_form_gives_the_same_table() {
    let w = Workdir::new();
    let mut reference: Option<DataFrame> = None;
    for v in VARIANTS {
        let (code, out, stderr) = w.convert(v, &[fixture(&format!("equivalence/{v}"))], &[]);
        assert_eq!(code, 0, "{v}: {stderr}");
        let df = graph_columns(&read_table(&out, "signins"));
        assert_eq!(df.height(), 12, "{v}");
        match &reference {
            None => reference = Some(df),
            Some(r) => assert!(r.equals_missing(&df), "{v} differs from pages"),
        }
    }
}

/// Every file under `dir`, recursively.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn files_of(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Stage 2's files of an OUT_DIR.
fn stage_2_files(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    ["timeline", "per_user", "findings", "coverage"]
        .iter()
        .map(|t| {
            let name = format!("{t}.parquet");
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

#[test]
fn every_delivery_form_gives_byte_identical_timelines_findings_and_coverage() {
    let w = Workdir::new();
    let (code, pages, stderr) = w.run("pages", &[fixture("equivalence/pages")], &["-j", "2"]);
    assert_eq!(code, 0, "{stderr}");
    let reference = stage_2_files(&pages);
    for v in VARIANTS.iter().skip(1) {
        let (code, out, stderr) = w.run(v, &[fixture(&format!("equivalence/{v}"))], &[]);
        assert_eq!(code, 0, "{v}: {stderr}");
        for ((name, bytes), (_, other)) in reference.iter().zip(stage_2_files(&out)) {
            assert!(*bytes == other, "{name} of {v} differs from pages");
        }
    }
}

#[test]
fn thread_count_and_input_order_do_not_change_a_byte() {
    let w = Workdir::new();
    let a = fixture("sample-evidence/signins");
    let b = fixture("sample-evidence/identity_protection");
    let c = fixture("sample-evidence/directory_audits");
    let (_, one, _) = w.run(
        "one",
        &[a.clone(), b.clone(), c.clone()],
        &["--threads", "1"],
    );
    let (_, four, _) = w.run(
        "four",
        &[c.clone(), b.clone(), a.clone()],
        &["--threads", "4"],
    );
    // Files named one by one, shuffled, on two threads.
    let mut files: Vec<std::path::PathBuf> = [a, b, c].iter().flat_map(|d| walk(d)).collect();
    files.sort();
    let mut shuffled: Vec<_> = files.iter().rev().cloned().collect();
    shuffled.rotate_left(files.len() / 3);
    assert_ne!(shuffled, files);
    let (_, two, _) = w.run("two", &shuffled, &["--threads", "2"]);
    let (x, y) = (files_of(&one), files_of(&four));
    assert_eq!(x, files_of(&two), "--threads 2 with shuffled files differs");
    // Stage 1's seven tables plus timeline, per_user, findings and coverage.
    assert_eq!(x.len(), 11);
    for ((name, bytes), (_, other)) in x.iter().zip(&y) {
        assert!(
            bytes == other,
            "{name} differs between --threads 1 and --threads 4"
        );
    }
    // report.json too, apart from the run's times and command line.
    let report = |dir: &std::path::Path| {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
        v.as_object_mut().unwrap().remove("run");
        v
    };
    assert_eq!(report(&one), report(&four));
    // Stage 2 again on its own, on three threads (`analyze -j`): the same
    // bytes as the runs that analysed on one and on four.
    let out = entrace(&["analyze", one.to_str().unwrap(), "-j", "3", "-q"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stage_2_files(&one), stage_2_files(&four));
}

/// Stage 2 works one user bucket at a time: any bucket size, on any thread
/// count, gives the same stage 2 files and the same manifest analysis as
/// the default, on a generated tenant of 60 users with the sample
/// evidence's attacks beside it.
#[test]
fn user_buckets_do_not_change_a_byte() {
    let w = Workdir::new();
    let dump = w.out("dump");
    let made = entrace(&[
        "generate",
        dump.to_str().unwrap(),
        "--users",
        "60",
        "--days",
        "7",
        "--seed",
        "11",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let inputs = [dump, fixture("sample-evidence")];
    let (code, out, stderr) = w.run("out", &inputs, &["--report", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let analysis = |dir: &std::path::Path| manifest(dir)["analysis"].clone();
    let (files, summary) = (stage_2_files(&out), analysis(&out));
    let timeline = read_table(&out, "timeline");
    let users = strs(&timeline, "user_id")
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>();
    assert!(users.len() > 60, "{} users", users.len());
    assert!(read_table(&out, "findings").height() >= 10);
    // One user per bucket, a few users per bucket, and one bucket.
    for (rows, threads) in [("1", "2"), ("700", "1"), ("1000000", "2")] {
        let o = entrace(&[
            "analyze",
            out.to_str().unwrap(),
            "--bucket-rows",
            rows,
            "-j",
            threads,
            "-q",
            "--report",
            "json",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            stage_2_files(&out) == files,
            "--bucket-rows {rows} -j {threads} changed a stage 2 file"
        );
        assert_eq!(analysis(&out), summary, "--bucket-rows {rows}");
    }
    let zero = entrace(&["analyze", out.to_str().unwrap(), "--bucket-rows", "0"]);
    assert_eq!(zero.status.code(), Some(2));
}
