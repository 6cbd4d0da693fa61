//! `entrace generate`, then `entrace convert` on what it wrote: the counts
//! must reconcile exactly with the generator's summary, for every shape.

use std::collections::BTreeSet;
use std::path::Path;

use crate::util::{entrace, manifest, read_table, strs, Workdir};

/// The number after `label` in generate's summary.
fn count(summary: &str, label: &str) -> u64 {
    summary
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(label))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {label:?} in:\n{summary}"))
}

/// The record counts of generate's summary.
struct Counts {
    sign_ins: u64,
    audits: u64,
    detections: u64,
    risky: u64,
    duplicates: u64,
    written: u64,
}

impl Counts {
    /// The counts `summary` states; they must add up.
    fn of(summary: &str) -> Counts {
        let c = Counts {
            sign_ins: count(summary, "sign-ins"),
            audits: count(summary, "directory audits"),
            detections: count(summary, "risk detections"),
            risky: count(summary, "risky users"),
            duplicates: count(summary, "duplicates"),
            written: count(summary, "records written"),
        };
        assert_eq!(
            c.written,
            c.sign_ins + c.audits + c.detections + c.risky + c.duplicates,
            "{summary}"
        );
        c
    }

    /// Converts `dump` into `w/out` and checks the manifest reconciles with
    /// these counts exactly: every record read, written or a duplicate,
    /// none rejected, each table its count. Returns the output directory.
    fn converted(&self, w: &Workdir, dump: &Path) -> std::path::PathBuf {
        let (code, out, stderr) = w.convert("out", &[dump.to_path_buf()], &[]);
        assert_eq!(code, 0, "{stderr}");
        let m = manifest(&out);
        let totals = &m["totals"];
        assert_eq!(totals["read"], self.written);
        assert_eq!(totals["written"], self.written - self.duplicates);
        assert_eq!(totals["duplicates"], self.duplicates);
        assert_eq!(totals["rejected"], 0);
        assert_eq!(m["tables"]["signins"]["rows"], self.sign_ins);
        assert_eq!(m["tables"]["signins"]["conflicting_duplicates"], 0);
        assert_eq!(m["tables"]["directory_audits"]["rows"], self.audits);
        assert_eq!(m["tables"]["risk_detections"]["rows"], self.detections);
        assert_eq!(m["tables"]["risky_users"]["rows"], self.risky);
        assert_eq!(read_table(&out, "signins").height() as u64, self.sign_ins);
        out
    }
}

fn files_under(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy();
                out.insert(rel.replace('\\', "/"));
            }
        }
    }
    out
}

#[test]
fn generated_dump_of_every_shape_converts_and_reconciles_exactly() {
    let w = Workdir::new();
    let dump = w.out("dump");
    let o = entrace(&[
        "generate",
        dump.to_str().unwrap(),
        "--users",
        "60",
        "--days",
        "7",
        "--seed",
        "5",
        "--records-per-page",
        "20",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = String::from_utf8(o.stdout).unwrap();
    assert!(
        summary.contains("shapes compact,pretty,gzip,utf16,jsonl,array,overlap"),
        "{summary}"
    );
    let counts = Counts::of(&summary);
    assert!(counts.duplicates > 0 && counts.sign_ins > 100, "{summary}");

    // Every layout is present, and the scratch file is gone.
    let files = files_under(&dump);
    for expected in [
        "signins/page-0001.json",
        "signins/page-0002.json",
        "signins/page-0003.json.gz",
        "signins/page-0004.json",
        "signins/export.jsonl",
        "signins/export-array.json",
        "signins/rerun-0002.json",
        "identity_protection/risk_detections.json",
        "identity_protection/risky_users.json",
    ] {
        assert!(files.contains(expected), "{expected} missing: {files:?}");
    }
    assert!(!files.iter().any(|f| f.contains("scratch")), "{files:?}");
    let utf16 = std::fs::read(dump.join("signins/page-0004.json")).unwrap();
    assert_eq!(&utf16[..4], b"\xFF\xFE{\0");
    let pretty = std::fs::read_to_string(dump.join("signins/page-0002.json")).unwrap();
    assert!(pretty.starts_with("{\n  \"@odata.context\": "));

    counts.converted(&w, &dump);

    // A second run into the same, now non-empty, directory is refused.
    let again = entrace(&["generate", dump.to_str().unwrap(), "--users", "3"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("is not empty"));
}

/// The realistic profile: token refreshes outnumber interactive sign-ins many
/// times over, phones churn through IPv4 and IPv6 addresses, and the dump
/// still converts and reconciles exactly with the summary.
#[test]
fn realistic_profile_converts_and_reconciles_exactly() {
    let w = Workdir::new();
    let dump = w.out("dump");
    let o = entrace(&[
        "generate",
        dump.to_str().unwrap(),
        "--users",
        "30",
        "--days",
        "7",
        "--seed",
        "5",
        "--records-per-page",
        "300",
        "--profile",
        "realistic",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = String::from_utf8(o.stdout).unwrap();
    assert!(summary.contains(", profile realistic\n"), "{summary}");
    let counts = Counts::of(&summary);
    let non_interactive = count(&summary, "non-interactive");
    let interactive = counts.sign_ins - non_interactive;
    assert!(counts.duplicates > 0 && interactive > 50, "{summary}");
    let (lo, hi) = entrace_generate::REALISTIC_RATIO_BAND;
    let ratio = non_interactive as f64 / interactive as f64;
    assert!(lo <= ratio && ratio <= hi, "ratio {ratio:.2}: {summary}");

    let out = counts.converted(&w, &dump);

    // IPv6 and carrier CGNAT addresses made it into the table.
    let ips: BTreeSet<String> = strs(&read_table(&out, "signins"), "ip_address")
        .into_iter()
        .flatten()
        .collect();
    assert!(ips.iter().any(|ip| ip.starts_with("2001:db8:")), "no IPv6");
    assert!(ips.iter().any(|ip| ip.starts_with("198.18.")), "no CGNAT");
}

/// `--size` picks the number of users for the profile: about that many MB either way.
#[test]
fn size_holds_under_both_profiles() {
    let w = Workdir::new();
    for profile in ["default", "realistic"] {
        let dump = w.out(&format!("dump-{profile}"));
        let o = entrace(&[
            "generate",
            dump.to_str().unwrap(),
            "--size",
            "6",
            "--days",
            "7",
            "--shapes",
            "compact",
            "--profile",
            profile,
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let summary = String::from_utf8(o.stdout).unwrap();
        let bytes: u64 = files_under(&dump)
            .iter()
            .map(|f| std::fs::metadata(dump.join(f)).unwrap().len())
            .sum();
        let mb = bytes as f64 / 1e6;
        assert!(
            (4.0..=8.5).contains(&mb),
            "{profile}: {mb:.2} MB\n{summary}"
        );
    }
}
