//! Synthetic evidence: realistic Microsoft Graph exports of a whole tenant,
//! generated deterministically (benches, scale tests, the background tenant
//! of the detection tests).
//!
//! [`generate`] writes a tenant of ordinary, benign activity: people signing
//! in from their office or home in their office's working hours, occasional
//! "Keep me signed in" and MFA interrupts, rare single typos, token refreshes,
//! a few business trips Tokyo → Seattle by plane, admins' everyday directory
//! work, successful self-service password resets, new hires registering
//! security info, and low Identity Protection detections that were dismissed
//! or remediated. It is built so that no medium or high detection fires on it.
//!
//! The [`Profile`] sets how much background traffic comes with that story.
//! [`Profile::Default`] (what the generator always wrote, byte for byte)
//! keeps it light: one or two token refreshes per user-day for about a fifth
//! of the users, and one egress IP per user per day. [`Profile::Realistic`]
//! is shaped like real tenants, where non-interactive sign-ins outnumber
//! interactive ones many times over: the same interactive sign-ins, audits
//! and risk records, plus every native app on every device refreshing its
//! access token every 60 to 90 minutes (the Microsoft identity platform's
//! access token lifetime), laptops in working hours and phones from an hour
//! before to three hours after, and phones moving between Wi-Fi (55 % of the
//! time, after Opensignal's measurements), carrier CGNAT addresses and IPv6
//! (half of the carrier attachments, after Google's and APNIC's). That gives
//! about 24 non-interactive sign-ins per interactive one (published: "often
//! 10x to 50x") and about five egress IPs per phone-user-day; the figures
//! and sources are in `profile.rs`, one constant each.
//!
//! Output layout inside the directory (Graph page envelopes, newest first):
//!
//! ```text
//! signins/page-0001.json …              v1.0 interactive sign-ins
//! signins-beta/page-0001.json …         beta non-interactive sign-ins (~20 % of users; all, realistic)
//! directory_audits/page-0001.json …     v1.0 directoryAudits
//! identity_protection/risk_detections.json
//! identity_protection/risky_users.json
//! ```
//!
//! Other [`Shape`]s rotate the pages of sign-ins and audits through pretty
//! pages, gzip, UTF-16LE with a BOM, one JSON Lines file and one JSON array
//! per collection (`export.jsonl`, `export-array.json`), and add overlapping
//! `rerun-NNNN.json` pages (duplicates).
//!
//! Memory stays small whatever the size: records are serialised to a scratch
//! file in the output directory as they are simulated ([`SCRATCH_FILE`]),
//! only a 32-byte sort key per record is kept, and pages are written one at
//! a time by reading the records back newest first.
//!
//! Invariants: the same options give byte-identical files; nothing outside
//! `[start, start + days)` is written; IPs are documentation (RFC 5737,
//! RFC 3849), shared (100.64.0.0/10, homes) or benchmarking (198.18.0.0/15,
//! carriers' CGNAT) address space, and no UPN or IP collides with the
//! fixtures in `testdata/`.
//! Not here: the CLI command (it calls [`generate`]).

mod activity;
mod admin;
mod audit;
mod catalog;
mod clock;
mod names;
mod pages;
mod plan;
mod profile;
mod records;
mod refresh;
mod risk;
mod rng;
mod shape;
mod signin;
mod spill;
mod summary;
mod tenant;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use entrace_model::error::{Error, Result};
pub use profile::{Profile, REALISTIC_RATIO_BAND};
use rng::Rng;
pub use shape::Shape;
use spill::{Coll, Spill};
pub use summary::{narrate, users_for_size};

/// Name of the scratch file kept in the output directory while generating
/// (removed before [`generate`] returns, on success or error).
pub const SCRATCH_FILE: &str = ".entrace-generate.scratch";

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of people in the tenant (admins included), e.g. 2000.
    pub users: usize,
    /// Number of days in the export window, e.g. 14.
    pub days: u32,
    /// Seed: the same options give byte-identical output.
    pub seed: u64,
    /// Start of the window (first day), UTC ns since the epoch; midnight UTC is
    /// natural, e.g. 2025-03-03T00:00:00Z.
    pub start: i64,
    /// Records per Graph page (Graph's sign-in page size is 1000).
    pub records_per_page: usize,
    /// File layouts that the pages of sign-ins and audits rotate through
    /// ([`Shape`]); compact Graph pages alone by default.
    pub shapes: Vec<Shape>,
    /// How much background traffic ([`Profile`]); [`Profile::Default`] by default.
    pub profile: Profile,
}

impl Default for GenerateOptions {
    /// 2,000 users × 14 days from Monday 2025-03-03, seed 1, 1,000 records a page.
    fn default() -> Self {
        GenerateOptions {
            users: 2000,
            days: 14,
            seed: 1,
            start: 1_740_960_000 * 1_000_000_000,
            records_per_page: 1000,
            shapes: vec![Shape::Compact],
            profile: Profile::Default,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Every file written, in writing order.
    pub files: Vec<PathBuf>,
    /// Sign-in records (v1.0 interactive plus beta non-interactive).
    pub sign_ins: u64,
    /// Of [`sign_ins`](Self::sign_ins), the beta non-interactive ones.
    pub non_interactive: u64,
    /// Directory audit records.
    pub audits: u64,
    /// Risk detection records.
    pub risk_detections: u64,
    /// Risky user records.
    pub risky_users: u64,
    /// Records written a second time by overlapping pages ([`Shape::Overlap`]).
    pub duplicates: u64,
    /// Total bytes written.
    pub bytes: u64,
}

impl GenerateSummary {
    /// Every record written, copies included: what a converter reads.
    pub fn records(&self) -> u64 {
        self.sign_ins + self.audits + self.risk_detections + self.risky_users + self.duplicates
    }
}

/// Writes a synthetic tenant's Graph evidence into `dir` (created if needed;
/// existing files of the same names are overwritten).
///
/// # Errors
/// [`Error::Usage`] when `users`, `days` or `records_per_page` is 0, and
/// [`Error::Io`] when a folder or file cannot be written.
pub fn generate(opts: &GenerateOptions, dir: &Path) -> Result<GenerateSummary> {
    if opts.users == 0 || opts.days == 0 || opts.records_per_page == 0 {
        return Err(Error::Usage(
            "generate: users, days and records per page must all be at least 1".to_string(),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "creating the output directory", e))?;
    let tenant = tenant::Tenant::build(opts);
    let spill = Spill::create(&dir.join(SCRATCH_FILE))?;
    let out = activity::simulate(&tenant, opts.seed, opts.profile, spill);
    let mut spill = out.spill.finish()?;

    let mut summary = GenerateSummary {
        sign_ins: (spill.entries(Coll::Interactive).len()
            + spill.entries(Coll::NonInteractive).len()) as u64,
        non_interactive: spill.entries(Coll::NonInteractive).len() as u64,
        audits: spill.entries(Coll::Audits).len() as u64,
        risk_detections: spill.entries(Coll::Detections).len() as u64,
        risky_users: spill.entries(Coll::RiskyUsers).len() as u64,
        ..GenerateSummary::default()
    };
    let mut rng = Rng::stream(opts.seed, 3, 0);
    let layout = pages::Layout {
        per_page: opts.records_per_page,
        shapes: &opts.shapes,
    };
    for (collection, coll) in [
        (&pages::SIGN_INS, Coll::Interactive),
        (&pages::SIGN_INS_BETA, Coll::NonInteractive),
        (&pages::DIRECTORY_AUDITS, Coll::Audits),
    ] {
        pages::write_pages(
            dir,
            collection,
            coll,
            &mut spill,
            layout,
            &mut rng,
            &mut summary,
        )?;
    }
    let ip = dir.join("identity_protection");
    pages::write_single(
        &ip.join("risk_detections.json"),
        pages::RISK_DETECTIONS,
        Coll::Detections,
        &mut spill,
        &mut summary,
    )?;
    pages::write_single(
        &ip.join("risky_users.json"),
        pages::RISKY_USERS,
        Coll::RiskyUsers,
        &mut spill,
        &mut summary,
    )?;
    Ok(summary)
}
