//! Stage 2: per-user timelines that correlate sign-ins, directory audits and
//! Identity Protection risk, read from the stage 1 Parquet tables only.
//!
//! ```text
//! Parquet tables ─► case (load, identity, correlate) ─► detect ─┐
//!                        └─► session ─► timeline ◄── findings ──┘ ─► per_user
//!                           ─► timeline.parquet, per_user.parquet, findings.parquet,
//!                              coverage.parquet, manifest.json "analysis"
//! ```
//!
//! What the evidence says (records, identities, links, audit meaning) is
//! [`entrace_case`]'s, which the timeline and the detections both read; this
//! module drives stage 2 and owns the timeline, the per-user summaries and
//! coverage. Everything is keyed and sorted deterministically, so the same
//! tables give byte-identical outputs. Nothing here reads JSON evidence.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod coverage;
pub mod findings;
pub mod per_user;
pub mod session;
pub mod timeline;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use entrace_case as case;
use entrace_case::{actions, correlate, identity};
use entrace_detect as detect;
use entrace_manifest::analysis::{AnalysisSummary, DetectionsReport};
use entrace_manifest::{Manifest, TableEntry};
use entrace_model::error::Result;
use entrace_model::error_codes;
use entrace_table::output::replace_file;
use entrace_table::stage2::coverage::CoverageTable;
use entrace_table::stage2::findings::Findings;
use entrace_table::stage2::per_user::{PerUser, UserSummary};
use entrace_table::stage2::timeline::{Timeline, TimelineRow};

/// The result of [`analyze`].
#[derive(Debug)]
pub struct AnalyzeOutcome {
    /// The output directory analysed.
    pub out_dir: PathBuf,
    /// The summary also written to the manifest.
    pub summary: AnalysisSummary,
    /// Wall-clock time taken.
    pub elapsed: Duration,
}

/// The timeline and the per-user summary of a set of tables, in memory.
pub struct Analysis {
    /// Sorted timeline rows.
    pub timeline: Vec<TimelineRow>,
    /// One summary per user, in timeline order.
    pub users: Vec<UserSummary>,
    /// Findings, sorted by first seen.
    pub findings: Vec<detect::finding::Finding>,
    /// Counts for the manifest.
    pub summary: AnalysisSummary,
}

/// What stage 2 learns of the records before it builds the timeline: who
/// each belongs to, how they link, the sign-ins' sessions, the findings,
/// and the counts that need the sign-ins.
struct Prepared {
    identities: identity::Identities,
    users: identity::Users,
    links: correlate::Links,
    clients: Vec<String>,
    sessions: Vec<Option<String>>,
    session_report: entrace_manifest::analysis::SessionReport,
    outcome: detect::DetectOutcome,
    unrecognised_codes: BTreeMap<i32, u64>,
    unrecognised_texts: BTreeMap<i32, u64>,
}

/// Everything stage 2 derives from the records while it can still read them.
fn prepare(tables: &case::records::Tables, config: &detect::config::Config) -> Prepared {
    let mut identities = identity::observe_all(tables);
    let users = identity::resolve_all(tables, &mut identities);
    let ids = |v: &[Option<identity::Resolved>]| -> Vec<Option<String>> {
        v.iter()
            .map(|r| r.as_ref().and_then(|r| r.user_id.clone()))
            .collect()
    };
    let sign_in_users = ids(&users.sign_ins);
    let links = correlate::correlate(tables, &sign_in_users, &ids(&users.detections));
    let clients: Vec<String> = tables.sign_ins.iter().map(actions::client).collect();
    let (sessions, session_report) = session::sessions(&tables.sign_ins, &sign_in_users, &clients);
    drop(sign_in_users);
    let detect_ctx = detect::context::Context::new(tables, &users, &identities, &links)
        .with_vocabulary(&config.vocabulary);
    let outcome = detect::run(&detect_ctx, config);
    drop(detect_ctx);
    let mut unrecognised_codes = BTreeMap::new();
    for code in tables.sign_ins.iter().filter_map(|s| s.error_code) {
        if error_codes::lookup(code).is_none() {
            *unrecognised_codes.entry(code).or_default() += 1;
        }
    }
    Prepared {
        identities,
        users,
        links,
        clients,
        sessions,
        session_report,
        outcome,
        unrecognised_codes,
        unrecognised_texts: detect::codes::unrecognised_texts(&tables.sign_ins),
    }
}

/// Runs stage 2 on loaded tables with these detection thresholds. The
/// sign-ins are consumed by the timeline, whose rows take their text.
pub fn build(tables: case::records::Tables, config: &detect::config::Config) -> Analysis {
    let prepared = prepare(&tables, config);
    finish(tables, prepared, config)
}

/// The timeline, the per-user summaries and the summary, from what
/// [`prepare`] learnt; the sign-ins become timeline rows.
fn finish(
    mut tables: case::records::Tables,
    p: Prepared,
    config: &detect::config::Config,
) -> Analysis {
    let sign_ins = std::mem::take(&mut tables.sign_ins);
    let ctx = timeline::Context {
        tables: &tables,
        identities: &p.identities,
        users: &p.users,
        links: &p.links,
        sessions: &p.sessions,
        clients: &p.clients,
    };
    let (mut rows, timeline_report) = timeline::build(&ctx, sign_ins);
    timeline::annotate(&mut rows, &p.outcome.findings);
    let summaries = per_user::summarise(
        &rows,
        &p.identities,
        &tables.detections,
        &p.outcome.findings,
    );
    Analysis {
        summary: AnalysisSummary {
            users: summaries.len(),
            identity: p.identities.report(),
            correlation: p.links.report,
            sessions: p.session_report,
            timeline: timeline_report,
            unrecognised_error_codes: p.unrecognised_codes,
            detections: DetectionsReport {
                thresholds: config.to_json(),
                vocabulary: config.vocabulary.clone(),
                findings_by_severity: p.outcome.by_severity(),
                status: p.outcome.status,
                unrecognised_failure_texts: p.unrecognised_texts,
            },
            coverage: None,
        },
        timeline: rows,
        users: summaries,
        findings: p.outcome.findings,
    }
}

/// Runs stage 2 on an output directory of `entrace convert`: writes
/// timeline.parquet and per_user.parquet and records the analysis in
/// manifest.json. Existing stage 2 files are replaced (they are derived data).
pub fn analyze(dir: &Path, config: &detect::config::Config) -> Result<AnalyzeOutcome> {
    let started = Instant::now();
    let mut manifest = Manifest::read(dir)?;

    let tables = entrace_table::case::load(dir)?;
    let (prepared, covered) = rayon::join(
        || prepare(&tables, config),
        || coverage::coverage(dir, &tables),
    );
    let covered = covered?;
    let mut analysis = finish(tables, prepared, config);

    // The four tables are independent: written on every core of the pool.
    let findings = crate::findings::records(&analysis.findings);
    let ((timeline_sha, per_user_sha), (findings_sha, coverage_sha)) = rayon::join(
        || {
            rayon::join(
                || {
                    replace_file(dir, Timeline::FILE, |p| {
                        Timeline::write(p, &analysis.timeline)
                    })
                },
                || replace_file(dir, PerUser::FILE, |p| PerUser::write(p, &analysis.users)),
            )
        },
        || {
            rayon::join(
                || replace_file(dir, Findings::FILE, |p| Findings::write(p, &findings)),
                || {
                    replace_file(dir, CoverageTable::FILE, |p| {
                        CoverageTable::write(p, &covered.buckets)
                    })
                },
            )
        },
    );
    let (timeline_sha, per_user_sha, findings_sha, coverage_sha) =
        (timeline_sha?, per_user_sha?, findings_sha?, coverage_sha?);

    let entry = |file: &str, rows: usize, sha256: String| TableEntry {
        file: file.to_string(),
        rows: rows as u64,
        conversion: None,
        sha256,
    };
    for (name, e) in [
        (
            "timeline",
            entry(Timeline::FILE, analysis.timeline.len(), timeline_sha),
        ),
        (
            "per_user",
            entry(PerUser::FILE, analysis.users.len(), per_user_sha),
        ),
        (
            "findings",
            entry(Findings::FILE, analysis.findings.len(), findings_sha),
        ),
        (
            "coverage",
            entry(CoverageTable::FILE, covered.buckets.len(), coverage_sha),
        ),
    ] {
        manifest.tables.insert(name.to_string(), e);
    }
    analysis.summary.coverage = Some(covered.summary);
    manifest.analysis = Some(analysis.summary.clone());
    manifest.write(dir)?;

    Ok(AnalyzeOutcome {
        out_dir: dir.to_path_buf(),
        summary: analysis.summary,
        elapsed: started.elapsed(),
    })
}
