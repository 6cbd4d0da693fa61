//! What `entrace generate` prints, and how `--size` picks a tenant size.
//!
//! Not here: generating (`super::generate`).

use std::path::Path;

use super::{GenerateOptions, GenerateSummary, Profile, Shape};

/// Bytes of compact Graph pages per user per day of export window under
/// each profile, measured on the generator itself.
fn compact_bytes_per_user_day(profile: Profile) -> f64 {
    match profile {
        // 1,375 for 2,000 users × 14 days (seed 1), 1,447 for 5,000 users × 30 days (seed 2).
        Profile::Default => 1_400.0,
        // 50,335 for 200 users × 14 days (seed 11).
        Profile::Realistic => 50_000.0,
    }
}

/// On-disk size of each layout relative to compact pages, measured.
fn size_factor(shape: Shape) -> f64 {
    match shape {
        Shape::Compact | Shape::Jsonl | Shape::Array | Shape::Overlap => 1.0,
        Shape::Pretty => 1.6,
        Shape::Gzip => 0.1,
        Shape::Utf16 => 2.0,
    }
}

/// The number of users that gives roughly `megabytes` (10⁶ bytes) of
/// evidence over `days` with `shapes` under `profile` (at least 1).
pub fn users_for_size(megabytes: u64, days: u32, shapes: &[Shape], profile: Profile) -> usize {
    let (kinds, overlap) = super::shape::rotation(shapes);
    let mut factor = kinds.iter().map(|s| size_factor(*s)).sum::<f64>() / kinds.len() as f64;
    if overlap {
        // A rerun page of one page's worth every three pages.
        factor += 1.0 / 3.0;
    }
    let per_user = compact_bytes_per_user_day(profile) * f64::from(days.max(1)) * factor;
    ((megabytes as f64 * 1e6 / per_user).round() as usize).max(1)
}

/// The summary `entrace generate` prints on stdout: what was written and the
/// exact record counts a converter must reconcile with.
pub fn narrate(opts: &GenerateOptions, summary: &GenerateSummary, dir: &Path) -> String {
    let shapes: Vec<&str> = opts.shapes.iter().map(|s| s.name()).collect();
    let rows = [
        (
            "sign-ins",
            summary.sign_ins,
            "v1.0 interactive and beta non-interactive",
        ),
        (
            "non-interactive",
            summary.non_interactive,
            "of the sign-ins: beta token refreshes",
        ),
        ("directory audits", summary.audits, ""),
        ("risk detections", summary.risk_detections, ""),
        ("risky users", summary.risky_users, ""),
        (
            "duplicates",
            summary.duplicates,
            "copies in overlapping pages",
        ),
        (
            "records written",
            summary.records(),
            "rows + duplicates a converter must find",
        ),
    ];
    let mut out = format!(
        "wrote {} files ({:.1} MB) in {}: {} users, {} days, seed {}, shapes {}, profile {}\n",
        summary.files.len(),
        summary.bytes as f64 / 1e6,
        dir.display(),
        opts.users,
        opts.days,
        opts.seed,
        shapes.join(","),
        opts.profile
    );
    for (name, n, note) in rows {
        let line = format!("  {name:<17} {n:>10}  {note}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_scales_users_and_never_gives_zero() {
        let compact = [Shape::Compact];
        let d = Profile::Default;
        assert_eq!(users_for_size(0, 14, &compact, d), 1);
        let a = users_for_size(100, 14, &compact, d);
        let b = users_for_size(200, 14, &compact, d);
        assert!((b as i64 - 2 * a as i64).abs() <= 1, "{a} {b}");
        assert!(users_for_size(100, 28, &compact, d) < a);
        assert!(users_for_size(100, 14, &[Shape::Utf16], d) < a);
        // Unchanged for the default profile: 100 MB over 14 days is 5,102 users.
        assert_eq!(a, 5102);
        let r = users_for_size(100, 14, &compact, Profile::Realistic);
        assert!(r >= 1 && r * 10 < a, "{r} {a}");
    }

    #[test]
    fn narrate_prints_exact_counts() {
        let opts = GenerateOptions {
            shapes: vec![Shape::Compact, Shape::Overlap],
            ..GenerateOptions::default()
        };
        let summary = GenerateSummary {
            files: vec!["a".into(), "b".into()],
            sign_ins: 10,
            non_interactive: 7,
            audits: 4,
            risk_detections: 1,
            risky_users: 1,
            duplicates: 3,
            bytes: 2_500_000,
        };
        let text = narrate(&opts, &summary, Path::new("out"));
        assert_eq!(
            text,
            "wrote 2 files (2.5 MB) in out: 2000 users, 14 days, seed 1, shapes compact,overlap, profile default\n\
             \x20 sign-ins                  10  v1.0 interactive and beta non-interactive\n\
             \x20 non-interactive            7  of the sign-ins: beta token refreshes\n\
             \x20 directory audits           4\n\
             \x20 risk detections            1\n\
             \x20 risky users                1\n\
             \x20 duplicates                 3  copies in overlapping pages\n\
             \x20 records written           19  rows + duplicates a converter must find\n"
        );
    }
}
