//! Stage 2: per-user timelines that correlate sign-ins, directory audits and
//! Identity Protection risk, read from the stage 1 Parquet tables only.
//!
//! ```text
//! Parquet tables ─► case (load, identity, correlate) ─► user buckets (plan)
//!   ─► detect (per-user rules per bucket, tenant rules once) ─► findings ─┐
//!   ─► per bucket: session ─► timeline rows ◄── findings ─────────────────┘
//!                  ─► sorted, annotated ─► per_user
//!   ─► timeline.parquet (streamed bucket by bucket), per_user.parquet,
//!      findings.parquet, coverage.parquet, manifest.json "analysis"
//! ```
//!
//! The buckets ([`entrace_case::partition`]) are contiguous ranges of users
//! in timeline order, so their timelines written in order are the timeline.
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

use rayon::prelude::*;

use entrace_case as case;
use entrace_case::partition::{Buckets, UserKey};
use entrace_case::{correlate, identity};
use entrace_detect as detect;
use entrace_manifest::analysis::{
    AnalysisSummary, DetectionsReport, SessionReport, TimelineReport,
};
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
/// each belongs to, how they link, the findings,
/// and the counts that need the sign-ins.
struct Prepared {
    buckets: Buckets,
    /// Per bucket, its sign-ins (table positions, ascending), as the
    /// detections' partition placed them.
    bucket_sign_ins: Vec<Vec<usize>>,
    identities: identity::Identities,
    users: identity::Users,
    links: correlate::Links,
    outcome: detect::DetectOutcome,
    unrecognised_codes: BTreeMap<i32, u64>,
    unrecognised_texts: BTreeMap<i32, u64>,
}

/// The user buckets of a run: every user's records (one per sign-in, risk
/// record and history item, one per user an audit involves), cut into
/// ranges of about `options.bucket_rows`. Detections, sessions and the
/// timeline all work in these buckets.
fn plan(ctx: &detect::context::Context<'_>, options: &Options) -> Buckets {
    use detect::context::user_key;
    let t = ctx.tables;
    let u = ctx.users;
    use std::borrow::Cow;
    // The sign-ins by their users' lists (most records; keys borrowed),
    // then the few other records one by one.
    let mut by_text: foldhash::HashMap<Cow<'_, str>, u64> = ctx
        .sign_ins_by_user
        .iter()
        .map(|(key, list)| (Cow::Borrowed(key.as_str()), list.len() as u64))
        .collect();
    let mut count = |key: Option<String>| {
        if let Some(key) = key {
            *by_text.entry(Cow::Owned(key)).or_default() += 1;
        }
    };
    for d in 0..t.detections.len() {
        count(ctx.detection_user(d));
    }
    for (r, who) in t.risky_users.iter().zip(&u.risky_users) {
        count(user_key(who.as_ref(), r.upn.as_deref()));
    }
    for (h, who) in t.history.iter().zip(&u.history) {
        count(user_key(who.as_ref(), h.upn.as_deref()));
    }
    for (a, audit) in t.audits.iter().enumerate() {
        count(user_key(
            u.audit_actors[a].as_ref(),
            audit.actor_upn.as_deref(),
        ));
        for (target, who) in audit.targets.iter().zip(&u.audit_targets[a]) {
            if target.is_user() {
                count(user_key(who.as_ref(), target.upn.as_deref()));
            }
        }
    }
    // In key order, which is not the texts' order.
    let counts: BTreeMap<UserKey<'_>, u64> = by_text
        .iter()
        .map(|(k, n)| (UserKey::parse(k), *n))
        .collect();
    Buckets::plan(counts, options.bucket_rows)
}

/// Everything stage 2 derives from the records while it can still read them.
fn prepare(
    tables: &case::records::Tables,
    config: &detect::config::Config,
    options: &Options,
) -> Prepared {
    let mut identities = identity::observe_all(tables);
    let users = identity::resolve_all(tables, &mut identities);
    let ids = |v: &[Option<identity::Resolved>]| -> Vec<Option<String>> {
        v.iter()
            .map(|r| r.as_ref().and_then(|r| r.user_id.clone()))
            .collect()
    };
    let sign_in_users = ids(&users.sign_ins);
    let links = correlate::correlate(tables, &sign_in_users, &ids(&users.detections));
    drop(sign_in_users);
    let detect_ctx = detect::context::Context::new(tables, &users, &identities, &links)
        .with_vocabulary(&config.vocabulary);
    let buckets = plan(&detect_ctx, options);
    let by_bucket = detect::context::Bucket::partition(&detect_ctx, buckets.len(), |key| {
        buckets.of(&UserKey::parse(key))
    });
    let outcome = detect::run(&detect_ctx, config, &by_bucket);
    let bucket_sign_ins = by_bucket.into_iter().map(|b| b.sign_ins).collect();
    drop(detect_ctx);
    let mut unrecognised_codes = BTreeMap::new();
    for code in tables.sign_ins.iter().filter_map(|s| s.error_code) {
        if error_codes::lookup(code).is_none() {
            *unrecognised_codes.entry(code).or_default() += 1;
        }
    }
    Prepared {
        buckets,
        bucket_sign_ins,
        identities,
        users,
        links,
        outcome,
        unrecognised_codes,
        unrecognised_texts: detect::codes::unrecognised_texts(&tables.sign_ins),
    }
}

/// How stage 2 divides its work.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// About how many timeline rows one user bucket holds
    /// ([`entrace_case::partition::Buckets::plan`]): stage 2 builds,
    /// writes and drops the timeline one bucket at a time, as many buckets
    /// at once as it has threads. The outputs do not depend on it.
    pub bucket_rows: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bucket_rows: DEFAULT_BUCKET_ROWS,
        }
    }
}

/// The default [`Options::bucket_rows`]: 32,768 rows, some tens of MB of
/// timeline per bucket. Much larger buckets only cost memory: on the 1 GB
/// tenant, 32 K to 1 K rows per bucket ran as fast as one bucket of all
/// and peaked 0.4 GB lower.
pub const DEFAULT_BUCKET_ROWS: u64 = 1 << 15;

/// Runs stage 2 on loaded tables with these detection thresholds, and keeps
/// the whole timeline in memory. The sign-ins are consumed by the timeline,
/// whose rows take their text.
pub fn build(
    tables: case::records::Tables,
    config: &detect::config::Config,
    options: &Options,
) -> Result<Analysis> {
    let prepared = prepare(&tables, config, options);
    let mut timeline = Vec::new();
    let done = finish(tables, prepared, config, |rows| {
        timeline.extend(rows);
        Ok(())
    })?;
    Ok(Analysis {
        timeline,
        users: done.users,
        findings: done.findings,
        summary: done.summary,
    })
}

/// One user bucket's share of the timeline, before it is built.
#[derive(Default)]
struct Bucket {
    /// Its rows of audits and risk records.
    rows: Vec<timeline::PendingRow>,
    /// The indexes of its sign-ins in the sign-ins table, ascending.
    members: Vec<usize>,
    /// Those sign-ins, taken out of the table when the bucket's turn comes.
    sign_ins: Vec<case::records::SignIn>,
}

/// One user bucket's timeline, sorted and annotated, and its users.
struct BuiltBucket {
    rows: Vec<TimelineRow>,
    users: Vec<UserSummary>,
    report: TimelineReport,
    sessions: SessionReport,
}

/// What [`finish`] leaves once the timeline has gone to its sink.
struct Finished {
    users: Vec<UserSummary>,
    findings: Vec<detect::finding::Finding>,
    summary: AnalysisSummary,
    timeline_rows: usize,
}

/// The timeline, the per-user summaries and the summary, from what
/// [`prepare`] learnt. The timeline is built user bucket by user bucket
/// (as many at once as the pool has threads), each sorted, annotated with
/// its findings and summarised per user, and given to `sink` in timeline
/// order; the sign-ins become its rows.
fn finish(
    mut tables: case::records::Tables,
    mut p: Prepared,
    config: &detect::config::Config,
    mut sink: impl FnMut(Vec<TimelineRow>) -> Result<()>,
) -> Result<Finished> {
    let mut timeline_report = TimelineReport::default();
    let mut session_report = SessionReport::default();
    let ctx = timeline::Context {
        tables: &tables,
        identities: &p.identities,
        users: &p.users,
        links: &p.links,
    };
    let others = timeline::other_rows(&ctx, &mut timeline_report);

    // Each bucket's sign-ins as the detections had them (sign-ins with no
    // user, which have no row, in the first bucket, which counts them).
    let mut work: Vec<Bucket> = std::mem::take(&mut p.bucket_sign_ins)
        .into_iter()
        .map(|members| Bucket {
            members,
            ..Bucket::default()
        })
        .collect();
    for r in others {
        let b = p.buckets.of(&row_key(&r.0));
        work[b].rows.push(r);
    }

    let mut slots: Vec<Option<case::records::SignIn>> = std::mem::take(&mut tables.sign_ins)
        .into_iter()
        .map(Some)
        .collect();
    let ctx = timeline::Context {
        tables: &tables,
        identities: &p.identities,
        users: &p.users,
        links: &p.links,
    };
    let citations = timeline::Citations::new(&p.outcome.findings);
    let subjects = per_user::FindingsBySubject::new(&p.outcome.findings);
    let mut summaries = Vec::new();
    let mut timeline_rows = 0;
    // As many buckets at once as there are threads, written in order.
    for window in work.chunks_mut(rayon::current_num_threads().max(1)) {
        for bucket in window.iter_mut() {
            bucket.sign_ins = bucket
                .members
                .iter()
                .filter_map(|&i| slots[i].take())
                .collect();
        }
        let built: Vec<BuiltBucket> = window
            .par_iter_mut()
            .map(|bucket| {
                let (mut report, mut sessions) = Default::default();
                let rows = timeline::bucket_rows(
                    &ctx,
                    std::mem::take(&mut bucket.rows),
                    &bucket.members,
                    std::mem::take(&mut bucket.sign_ins),
                    &mut report,
                    &mut sessions,
                );
                let mut rows = timeline::sorted(rows);
                citations.annotate(&mut rows);
                let users =
                    per_user::summarise(&rows, &p.identities, &tables.detections, &subjects);
                BuiltBucket {
                    rows,
                    users,
                    report,
                    sessions,
                }
            })
            .collect();
        for b in built {
            timeline::count(&b.rows, &mut timeline_report);
            for (entity, n) in b.report.records_without_user {
                *timeline_report
                    .records_without_user
                    .entry(entity)
                    .or_default() += n;
            }
            session_report.add(&b.sessions);
            timeline_rows += b.rows.len();
            summaries.extend(b.users);
            sink(b.rows)?;
        }
    }

    Ok(Finished {
        summary: AnalysisSummary {
            users: summaries.len(),
            identity: p.identities.report(),
            correlation: p.links.report,
            sessions: session_report,
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
        users: summaries,
        findings: p.outcome.findings,
        timeline_rows,
    })
}

/// The bucket key of a timeline row: its user.
fn row_key(r: &TimelineRow) -> UserKey<'_> {
    UserKey::named(r.user_id.as_deref(), r.user_principal_name.as_deref())
}

/// Runs stage 2 on an output directory of `entrace convert`: writes
/// timeline.parquet, per_user.parquet, findings.parquet and
/// coverage.parquet and records the analysis in manifest.json. Existing
/// stage 2 files are replaced (they are derived data).
pub fn analyze(
    dir: &Path,
    config: &detect::config::Config,
    options: &Options,
) -> Result<AnalyzeOutcome> {
    let started = Instant::now();
    let mut manifest = Manifest::read(dir)?;

    let tables = entrace_table::case::load(dir)?;
    let (prepared, covered) = rayon::join(
        || prepare(&tables, config, options),
        || coverage::coverage(dir, &tables),
    );
    let covered = covered?;
    // The timeline is written bucket by bucket as it is built.
    let (mut done, timeline_sha) = replace_file(dir, Timeline::FILE, |path| {
        let mut writer = Timeline::writer(path);
        let done = finish(tables, prepared, config, |rows| writer.write(rows))?;
        Ok((done, writer.finish()?))
    })?;

    // The other three tables are independent: written on every core.
    let findings = crate::findings::records(&done.findings);
    let (per_user_sha, (findings_sha, coverage_sha)) = rayon::join(
        || replace_file(dir, PerUser::FILE, |p| PerUser::write(p, &done.users)),
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
    let (per_user_sha, findings_sha, coverage_sha) = (per_user_sha?, findings_sha?, coverage_sha?);

    let entry = |file: &str, rows: usize, sha256: String| TableEntry {
        file: file.to_string(),
        rows: rows as u64,
        conversion: None,
        sha256,
    };
    for (name, e) in [
        (
            "timeline",
            entry(Timeline::FILE, done.timeline_rows, timeline_sha),
        ),
        (
            "per_user",
            entry(PerUser::FILE, done.users.len(), per_user_sha),
        ),
        (
            "findings",
            entry(Findings::FILE, done.findings.len(), findings_sha),
        ),
        (
            "coverage",
            entry(CoverageTable::FILE, covered.buckets.len(), coverage_sha),
        ),
    ] {
        manifest.tables.insert(name.to_string(), e);
    }
    done.summary.coverage = Some(covered.summary);
    manifest.analysis = Some(done.summary.clone());
    manifest.write(dir)?;

    Ok(AnalyzeOutcome {
        out_dir: dir.to_path_buf(),
        summary: done.summary,
        elapsed: started.elapsed(),
    })
}
