//! Tests of the generator: determinism, counts, page shapes, and the benign
//! properties the detection tests rely on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::*;
use entrace_model::time::parse_timestamp;

const HOUR_NS: i64 = 3_600_000_000_000;

fn opts(users: usize, days: u32, seed: u64) -> GenerateOptions {
    GenerateOptions {
        users,
        days,
        seed,
        ..GenerateOptions::default()
    }
}

/// Every file's bytes, keyed by path relative to `root`.
fn snapshot(root: &Path, summary: &GenerateSummary) -> BTreeMap<String, Vec<u8>> {
    summary
        .files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            (rel, std::fs::read(f).unwrap())
        })
        .collect()
}

/// Records of one collection, in file order, with the page checks applied.
fn read_collection(root: &Path, rel_files: &[String], context: &str) -> Vec<Value> {
    let mut records = Vec::new();
    for (i, rel) in rel_files.iter().enumerate() {
        let page: Value = serde_json::from_slice(&std::fs::read(root.join(rel)).unwrap()).unwrap();
        assert_eq!(page["@odata.context"], context, "{rel}");
        let has_next = page.get("@odata.nextLink").is_some();
        assert_eq!(has_next, i + 1 < rel_files.len(), "nextLink on {rel}");
        records.extend(page["value"].as_array().unwrap().iter().cloned());
    }
    records
}

fn time(rec: &Value, key: &str) -> i64 {
    parse_timestamp(rec[key].as_str().unwrap()).unwrap()
}

/// The v1.0 and the beta sign-ins a generated tenant in `root` holds.
fn sign_in_collections(summary: &GenerateSummary, root: &Path) -> (Vec<Value>, Vec<Value>) {
    let v1 = read_collection(
        root,
        &files_under(summary, root, "signins"),
        "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
    );
    let beta = read_collection(
        root,
        &files_under(summary, root, "signins-beta"),
        "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
    );
    (v1, beta)
}

fn files_under(summary: &GenerateSummary, root: &Path, dir: &str) -> Vec<String> {
    let mut v: Vec<String> = summary
        .files
        .iter()
        .map(|f| {
            f.strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .filter(|f| f.starts_with(&format!("{dir}/")))
        .collect();
    v.sort();
    v
}

fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[test]
fn same_seed_gives_identical_bytes() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let o = GenerateOptions {
        records_per_page: 500,
        ..opts(300, 14, 7)
    };
    let sa = generate(&o, a.path()).unwrap();
    let sb = generate(&o, b.path()).unwrap();
    assert_eq!(snapshot(a.path(), &sa), snapshot(b.path(), &sb));
    assert_eq!(
        (sa.sign_ins, sa.audits, sa.bytes),
        (sb.sign_ins, sb.audits, sb.bytes)
    );
    let sc = generate(&GenerateOptions { seed: 8, ..o }, c.path()).unwrap();
    assert_ne!(snapshot(a.path(), &sa), snapshot(c.path(), &sc));
}

#[test]
fn rejects_empty_options_and_handles_tiny_tenants() {
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        opts(0, 14, 1),
        opts(10, 0, 1),
        GenerateOptions {
            records_per_page: 0,
            ..opts(10, 1, 1)
        },
    ] {
        assert!(matches!(generate(&bad, dir.path()), Err(Error::Usage(_))));
    }
    for (users, days) in [(1, 1), (3, 2), (25, 5), (60, 9)] {
        let s = generate(&opts(users, days, 3), dir.path()).unwrap();
        assert_eq!(
            s.files.len(),
            5,
            "{users} users, {days} days: one page per collection"
        );
        assert!(s.sign_ins > 0 || days < 3);
    }
}

/// The background tenant of the detection tests: counts, shapes and the
/// benign properties (no spray, no brute force, no impossible travel, no risk).
#[test]
fn background_tenant_is_consistent_and_benign() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let o = opts(2000, 14, 1);
    let s = generate(&o, root).unwrap();
    let on_disk: u64 = s
        .files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    assert_eq!(on_disk, s.bytes);
    assert!(s.bytes < 40_000_000, "{} bytes", s.bytes);

    let (v1, beta) = sign_in_collections(&s, root);
    let audits = read_collection(
        root,
        &files_under(&s, root, "directory_audits"),
        "https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits",
    );
    let dets = read_collection(
        root,
        &["identity_protection/risk_detections.json".into()],
        "https://graph.microsoft.com/v1.0/$metadata#identityProtection/riskDetections",
    );
    let risky = read_collection(
        root,
        &["identity_protection/risky_users.json".into()],
        "https://graph.microsoft.com/v1.0/$metadata#identityProtection/riskyUsers",
    );
    assert_eq!((v1.len() + beta.len()) as u64, s.sign_ins);
    assert_eq!(audits.len() as u64, s.audits);
    assert_eq!(dets.len() as u64, s.risk_detections);
    assert_eq!(risky.len() as u64, s.risky_users);
    assert_eq!(
        files_under(&s, root, "signins").len(),
        v1.len().div_ceil(1000)
    );
    eprintln!(
        "users=2000 days=14 seed=1: sign-ins {} (v1.0 {}, beta {}), audits {}, detections {}, risky users {}, bytes {}",
        s.sign_ins, v1.len(), beta.len(), s.audits, s.risk_detections, s.risky_users, s.bytes
    );

    // Newest first, inside the window, ids unique, times in the right spelling.
    let (lo, hi) = (o.start, o.start + 14 * 24 * HOUR_NS);
    for (recs, key) in [
        (&v1, "createdDateTime"),
        (&beta, "createdDateTime"),
        (&audits, "activityDateTime"),
    ] {
        let times: Vec<i64> = recs.iter().map(|r| time(r, key)).collect();
        assert!(
            times.windows(2).all(|w| w[0] >= w[1]),
            "{key} not newest first"
        );
        assert!(times.iter().all(|&t| lo <= t && t < hi));
        let ids: BTreeSet<&str> = recs.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), recs.len());
    }
    assert!(v1
        .iter()
        .all(|r| r["createdDateTime"].as_str().unwrap().len() == 20));
    assert!(beta
        .iter()
        .all(|r| r["createdDateTime"].as_str().unwrap().len() == 28));
    assert!(beta
        .iter()
        .all(|r| r["isInteractive"] == false && r["signInEventTypes"][0] == "nonInteractiveUser"));
    assert!(v1
        .iter()
        .all(|r| r["isInteractive"] == true && r.get("userAgent").is_none()));

    // UPNs: unique per user id, the fixture names never used, ~20 % of users in beta.
    let mut upn_of: BTreeMap<&str, &str> = BTreeMap::new();
    for r in v1.iter().chain(&beta) {
        let (id, upn) = (
            r["userId"].as_str().unwrap(),
            r["userPrincipalName"].as_str().unwrap(),
        );
        assert_eq!(*upn_of.entry(id).or_insert(upn), upn);
        assert!(
            upn.ends_with("@contoso.onmicrosoft.com")
                && upn.split('@').next().unwrap().contains('.')
        );
    }
    let upns: BTreeSet<&str> = upn_of.values().copied().collect();
    assert_eq!(upns.len(), upn_of.len(), "a UPN shared by two user ids");
    assert!(upn_of.len() >= 1990, "{} active users", upn_of.len());
    assert!(!upns.contains("alice.tanaka@contoso.onmicrosoft.com"));
    let beta_users: BTreeSet<&str> = beta.iter().map(|r| r["userId"].as_str().unwrap()).collect();
    assert!(
        (300..=500).contains(&beta_users.len()),
        "{} beta users",
        beta_users.len()
    );

    // Only benign status codes; at most one typo between successes; few typing users per IP.
    let mut by_user: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for r in v1.iter().chain(&beta) {
        by_user
            .entry(r["userId"].as_str().unwrap())
            .or_default()
            .push(r);
        let code = r["status"]["errorCode"].as_u64().unwrap();
        assert!(
            [0, 50126, 50140, 50074, 50076].contains(&code),
            "code {code}"
        );
        assert!(["Browser", "Mobile Apps and Desktop clients"]
            .contains(&r["clientAppUsed"].as_str().unwrap()));
        assert!(["none", "low"].contains(&r["riskLevelDuringSignIn"].as_str().unwrap()));
        assert_ne!(r["riskState"], "atRisk");
    }
    let mut typists: BTreeMap<(&str, i64), BTreeSet<&str>> = BTreeMap::new();
    for r in v1.iter().filter(|r| r["status"]["errorCode"] == 50126) {
        let day = time(r, "createdDateTime").div_euclid(24 * HOUR_NS);
        typists
            .entry((r["ipAddress"].as_str().unwrap(), day))
            .or_default()
            .insert(r["userId"].as_str().unwrap());
    }
    assert!(!typists.is_empty(), "some benign typos are expected");
    assert!(
        typists.values().all(|u| u.len() <= 3),
        "too many typing users on one IP in a day"
    );
    let mut travellers = 0;
    for recs in by_user.values_mut() {
        recs.sort_by_key(|r| time(r, "createdDateTime"));
        let mut failures = 0;
        for r in recs.iter() {
            match r["status"]["errorCode"].as_u64().unwrap() {
                0 => failures = 0,
                50126 => failures += 1,
                _ => {}
            }
            assert!(failures <= 1, "two password failures before a success");
        }
        // No pair of consecutive sign-ins implies a speed above 500 km/h (well under 800).
        let geo = |r: &Value| {
            (
                r["location"]["geoCoordinates"]["latitude"]
                    .as_f64()
                    .unwrap(),
                r["location"]["geoCoordinates"]["longitude"]
                    .as_f64()
                    .unwrap(),
            )
        };
        for w in recs.windows(2) {
            let km = haversine_km(geo(w[0]), geo(w[1]));
            let hours = (time(w[1], "createdDateTime") - time(w[0], "createdDateTime")) as f64
                / HOUR_NS as f64;
            assert!(
                km < 100.0 || km / hours < 500.0,
                "{km:.0} km in {hours:.1} h"
            );
        }
        let countries: BTreeSet<&str> = recs
            .iter()
            .map(|r| r["location"]["countryOrRegion"].as_str().unwrap())
            .collect();
        if countries.len() > 1 {
            assert_eq!(countries, BTreeSet::from(["JP", "US"]));
            travellers += 1;
        }
    }
    assert!((10..=30).contains(&travellers), "{travellers} travellers");

    // Identity Protection: low, closed, linked to a flagged sign-in.
    let sign_in_ids: BTreeSet<&str> = v1.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(!dets.is_empty() && dets.len() == risky.len());
    for d in &dets {
        assert_eq!(d["riskLevel"], "low");
        assert!(["dismissed", "remediated"].contains(&d["riskState"].as_str().unwrap()));
        assert!(sign_in_ids.contains(d["requestId"].as_str().unwrap()));
        assert!(time(d, "lastUpdatedDateTime") > time(d, "detectedDateTime"));
    }
    assert!(risky
        .iter()
        .all(|r| r["riskLevel"] == "none" && r["riskState"] != "atRisk"));

    // Directory audits: only benign activities, all successful.
    let allowed = [
        "Update user",
        "Add member to group",
        "Change user license",
        "Add user",
        "Invite external user",
        "Self-service password reset flow activity progress",
        "Reset password (self-service)",
        "User registered security info",
        "DismissUser",
    ];
    for a in &audits {
        assert!(
            allowed.contains(&a["activityDisplayName"].as_str().unwrap()),
            "{}",
            a["activityDisplayName"]
        );
        assert_eq!(a["result"], "success");
    }
    let resets = audits
        .iter()
        .filter(|a| a["activityDisplayName"] == "Reset password (self-service)")
        .count();
    let registrations = audits
        .iter()
        .filter(|a| a["activityDisplayName"] == "User registered security info")
        .count();
    assert!(
        resets >= 3 && registrations >= 2,
        "{resets} resets, {registrations} registrations"
    );
}

/// The ids of every record in one generated file, whatever its shape.
fn ids_in(path: &Path) -> Vec<String> {
    use std::io::Read;
    let raw = std::fs::read(path).unwrap();
    let text = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_string(&mut s)
            .unwrap();
        s
    } else if raw.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = raw[2..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).unwrap()
    } else {
        String::from_utf8(raw).unwrap()
    };
    let records: Vec<Value> = if path.extension().is_some_and(|e| e == "jsonl") {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    } else {
        match serde_json::from_str::<Value>(&text).unwrap() {
            Value::Array(items) => items,
            page => page["value"].as_array().unwrap().clone(),
        }
    };
    records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_shape_holds_the_same_records_plus_the_counted_duplicates() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let o = GenerateOptions {
        records_per_page: 20,
        ..opts(60, 7, 5)
    };
    let compact = generate(&o, a.path()).unwrap();
    let all = generate(
        &GenerateOptions {
            shapes: Shape::ALL.to_vec(),
            ..o
        },
        b.path(),
    )
    .unwrap();
    assert_eq!(
        (compact.sign_ins, compact.audits, compact.duplicates),
        (all.sign_ins, all.audits, 0)
    );
    assert!(all.duplicates > 0);

    let count = |s: &GenerateSummary| {
        let mut ids: BTreeMap<String, u64> = BTreeMap::new();
        for f in &s.files {
            for id in ids_in(f) {
                *ids.entry(id).or_default() += 1;
            }
        }
        ids
    };
    let (want, got) = (count(&compact), count(&all));
    assert!(want.values().all(|&n| n == 1));
    assert_eq!(want.len() as u64, compact.records());
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    assert_eq!(got.values().sum::<u64>(), all.records());
    assert_eq!(
        got.values().filter(|&&n| n == 2).count() as u64,
        all.duplicates
    );
    let on_disk: u64 = all
        .files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    assert_eq!(on_disk, all.bytes);
    assert!(!b.path().join(SCRATCH_FILE).exists());
}

/// FNV-1a (64-bit) over every file's relative path, a NUL and its bytes, in path order.
fn digest(files: &BTreeMap<String, Vec<u8>>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (rel, bytes) in files {
        for &b in rel.as_bytes().iter().chain([0u8].iter()).chain(bytes) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn realistic(users: usize, days: u32, seed: u64) -> GenerateOptions {
    GenerateOptions {
        profile: Profile::Realistic,
        ..opts(users, days, seed)
    }
}

/// The default profile writes exactly what the generator wrote before
/// profiles existed (digest taken from the release build of aa87abf with
/// `--users 60 --days 7 --seed 5 --shapes compact`).
#[test]
fn default_profile_output_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let s = generate(&opts(60, 7, 5), dir.path()).unwrap();
    assert_eq!((s.sign_ins, s.audits, s.bytes), (409, 15, 607_393));
    assert_eq!(digest(&snapshot(dir.path(), &s)), 0x9085_3fe6_e59c_f003);
}

/// The realistic profile adds background traffic only: the interactive
/// sign-ins, audits and risk records are byte for byte the default's.
#[test]
fn realistic_profile_keeps_the_default_foreground() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let d = generate(&opts(300, 14, 7), a.path()).unwrap();
    let r = generate(&realistic(300, 14, 7), b.path()).unwrap();
    let (da, rb) = (snapshot(a.path(), &d), snapshot(b.path(), &r));
    // Path -> digest of the file, beta sign-ins left out.
    let keep = |m: &BTreeMap<String, Vec<u8>>| -> BTreeMap<String, u64> {
        m.iter()
            .filter(|(k, _)| !k.starts_with("signins-beta"))
            .map(|(k, v)| (k.clone(), digest(&BTreeMap::from([(k.clone(), v.clone())]))))
            .collect()
    };
    assert!(!keep(&da).is_empty());
    assert_eq!(keep(&da), keep(&rb));
    assert_eq!(
        d.sign_ins - d.non_interactive,
        r.sign_ins - r.non_interactive
    );
    assert_eq!((d.audits, d.risk_detections), (r.audits, r.risk_detections));
    assert!(r.non_interactive > 10 * d.non_interactive);
}

#[test]
fn realistic_profile_is_deterministic() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let o = realistic(40, 5, 3);
    let sa = generate(&o, a.path()).unwrap();
    let sb = generate(&o, b.path()).unwrap();
    assert_eq!(snapshot(a.path(), &sa), snapshot(b.path(), &sb));
    let sc = generate(&GenerateOptions { seed: 4, ..o }, c.path()).unwrap();
    assert_ne!(snapshot(a.path(), &sa), snapshot(c.path(), &sc));
}

/// Non-interactive sign-ins outnumber interactive ones by the documented
/// factor; every app refreshes once per token lifetime; phones churn
/// through several Wi-Fi, CGNAT and IPv6 addresses a day; laptops keep one.
#[test]
fn realistic_profile_has_the_documented_volume_and_ip_churn() {
    use std::net::{IpAddr, Ipv4Addr};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let o = realistic(200, 14, 11);
    let s = generate(&o, root).unwrap();
    let (v1, beta) = sign_in_collections(&s, root);
    assert_eq!(beta.len() as u64, s.non_interactive);
    assert_eq!((v1.len() + beta.len()) as u64, s.sign_ins);
    let ratio = beta.len() as f64 / v1.len() as f64;
    let (lo, hi) = REALISTIC_RATIO_BAND;
    eprintln!(
        "realistic 200 users × 14 days, seed 11: {} interactive, {} non-interactive (ratio {ratio:.1}), {} bytes",
        v1.len(),
        beta.len(),
        s.bytes
    );
    assert!(
        lo <= ratio && ratio <= hi,
        "ratio {ratio:.2} outside {lo}–{hi}"
    );

    let (start, end) = (o.start, o.start + 14 * 24 * HOUR_NS);
    let str_of = |r: &Value, k: &str| r[k].as_str().unwrap().to_string();
    let mut per_app: BTreeMap<(String, String, String), Vec<i64>> = BTreeMap::new();
    // (user, UTC day, phone?) -> distinct IPs.
    let mut ips: BTreeMap<(String, i64, bool), BTreeSet<String>> = BTreeMap::new();
    let carrier_asns = [9605, 2516, 17676, 21928, 6167, 20057, 12576, 25135, 35228];
    for r in &beta {
        let at = time(r, "createdDateTime");
        assert!(start <= at && at < end);
        let os = r["deviceDetail"]["operatingSystem"].as_str().unwrap();
        let phone = matches!(os, "Ios" | "Android");
        let ip = str_of(r, "ipAddress");
        match ip.parse::<IpAddr>().unwrap() {
            IpAddr::V6(v6) => {
                assert!(phone, "{ip} on a laptop");
                assert_eq!(v6.to_string(), ip, "not canonical");
                assert_eq!(&v6.segments()[..2], &[0x2001, 0xdb8], "{ip}");
                assert!(carrier_asns.contains(&r["autonomousSystemNumber"].as_u64().unwrap()));
            }
            IpAddr::V4(v4) => {
                let cgnat = (v4 & Ipv4Addr::new(255, 254, 0, 0)) == Ipv4Addr::new(198, 18, 0, 0);
                assert!(!cgnat || phone, "{ip} on a laptop");
            }
        }
        let user = str_of(r, "userId");
        per_app
            .entry((
                user.clone(),
                str_of(r, "appId"),
                str_of(&r["deviceDetail"], "deviceId"),
            ))
            .or_default()
            .push(at);
        ips.entry((user, at.div_euclid(24 * HOUR_NS), phone))
            .or_default()
            .insert(ip);
    }
    // One refresh per token lifetime (60–90 minutes), per app and device.
    let min_gap = 60 * 60 * 1_000_000_000;
    for times in per_app.values_mut() {
        times.sort_unstable();
        assert!(
            times.windows(2).all(|w| w[1] - w[0] >= min_gap),
            "{times:?}"
        );
    }
    // Laptops: one IP a UTC day at most two (the office day straddles no
    // UTC midnight in Japan, but may in London and Seattle). Phones: several.
    let laptop_days: Vec<usize> = ips
        .iter()
        .filter(|((_, _, phone), _)| !phone)
        .map(|(_, set)| set.len())
        .collect();
    assert!(laptop_days.iter().all(|&n| n <= 2), "{laptop_days:?}");
    let phone_days: Vec<&BTreeSet<String>> = ips
        .iter()
        .filter(|((_, _, phone), _)| *phone)
        .map(|(_, set)| set)
        .collect();
    assert!(phone_days.len() > 500, "{} phone-days", phone_days.len());
    let mean = phone_days.iter().map(|s| s.len()).sum::<usize>() as f64 / phone_days.len() as f64;
    let with_v6 = phone_days
        .iter()
        .filter(|s| s.iter().any(|ip| ip.contains(':')))
        .count() as f64
        / phone_days.len() as f64;
    let several =
        phone_days.iter().filter(|s| s.len() >= 3).count() as f64 / phone_days.len() as f64;
    eprintln!(
        "phone-days {}: mean {mean:.2} IPs, {with_v6:.2} with IPv6, {several:.2} with 3 or more",
        phone_days.len()
    );
    assert!(
        (3.0..=9.0).contains(&mean),
        "mean {mean:.2} IPs per phone-day"
    );
    assert!(with_v6 > 0.6, "{with_v6:.2} of phone-days with IPv6");
    assert!(several > 0.6, "{several:.2} of phone-days with 3+ IPs");
}
