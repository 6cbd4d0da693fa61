//! report.html in a real browser: headless Chromium (Debian's `chromium`,
//! which `.ci/setup` installs) loads the seed report with a hostile user
//! added, and the test checks the console, the findings table, that the
//! hostile display name is text and not markup, and takes a screenshot.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::report::hostile_user;
use crate::util::*;

/// Chromium's path. `None`, with the reason printed, when it is not
/// installed (`.ci/setup` installs it; `.ci/run` requires it).
fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        skip_without_client(
            "chromium is not installed (run .ci/setup); the HTML report was not rendered",
        );
    }
    found
}

/// Runs headless Chromium on `page` with `extra` flags; returns stdout and
/// the console messages it logged (errors, warnings and logs alike).
fn headless(chrome: &Path, page: &Path, profile: &Path, extra: &[&str]) -> (String, Vec<String>) {
    let url = format!("file://{}", page.display());
    let o = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(&url)
        .output()
        .expect("run chromium");
    assert!(
        o.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let console = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    (String::from_utf8_lossy(&o.stdout).into_owned(), console)
}

/// Values of `attr="…"` in `html`, in order.
fn attr_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!("{attr}=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

#[test]
fn report_html_renders_in_chromium_without_errors_and_hostile_names_stay_text() {
    let Some(chrome) = chromium() else {
        return;
    };
    let w = Workdir::new();
    let hostile = hostile_user(w.dir.path());
    let out = w.out("out");
    let o = entrace(&[
        "run",
        fixture("sample-evidence").to_str().unwrap(),
        hostile.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let profile = w.dir.path().join("chromium-profile");

    // The console check can fail: a page with an error is caught.
    let bad = w.dir.path().join("bad.html");
    std::fs::write(
        &bad,
        "<!doctype html><p>x</p><script>notDefined();</script>",
    )
    .unwrap();
    let (_, console) = headless(&chrome, &bad, &profile, &["--dump-dom"]);
    assert!(
        console
            .iter()
            .any(|l| l.contains("notDefined is not defined")),
        "{console:?}"
    );

    let page = out.join("report.html");
    let (dom, console) = headless(&chrome, &page, &profile, &["--dump-dom"]);
    assert!(console.is_empty(), "console messages: {console:#?}");

    // The page's own script ran (CSP allowed it): it made headers focusable.
    assert!(dom.contains("<th data-type=\"number\" tabindex=\"0\">severity</th>"));

    // One findings row per finding, in report order.
    let findings = read_table(&out, "findings");
    let mut expected: Vec<String> = strs(&findings, "finding_id")
        .into_iter()
        .flatten()
        .collect();
    let mut rows = attr_values(&dom, "data-finding-id");
    assert_eq!(rows.len(), 17);
    rows.sort();
    expected.sort();
    assert_eq!(rows, expected);
    let detections = attr_values(&dom, "data-detection");
    assert_eq!(detections[0], "ENT-016");
    assert_eq!(
        detections.iter().filter(|d| *d == "ENT-001").count(),
        3,
        "{detections:?}"
    );

    // The hostile display name is text in the DOM, never an element.
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!dom.contains("<script>alert(1)"));
    assert_eq!(
        dom.matches("<script").count(),
        1,
        "only entrace's own script"
    );
    assert!(!dom.contains("<img"));

    let shot = w.dir.path().join("report.png");
    headless(
        &chrome,
        &page,
        &profile,
        &[
            "--window-size=1400,2400",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000);
    eprintln!("screenshot: {}", shot.display());
}
