//! Command-line definitions (clap derive only; no logic).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  entrace run testdata/sample-evidence -o out
  entrace run evidence/ -o case-042 --report html
  entrace report out --report md
  entrace timeline out --user user04@contoso.onmicrosoft.com
  entrace timeline out --since 2025-03-17 --format jsonl > timesketch.jsonl
  entrace convert evidence/tenant.zip exports/*.json.gz -o case-042 --strict
  entrace convert evidence/ -o out --no-raw --threads 4 --force
  entrace schema --format md
  entrace generate dump --size 500 --shapes compact

Exit codes: 0 complete and nothing rejected; 1 complete but some input was
rejected (see rejects.parquet); 2 fatal or usage error.";

/// Offline forensic analyzer for Microsoft Entra ID logs exported through Microsoft Graph.
///
/// Converts Graph exports (sign-ins, directory audits, Identity Protection risk
/// detections, risky users and their history) into typed, lossless Parquet
/// tables, then correlates them into per-user timelines.
#[derive(Debug, Parser)]
#[command(name = "entrace", version, after_long_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole job on the evidence: convert, then analyze.
    Run(RunArgs),
    /// Stage 1: convert Graph JSON evidence into Parquet tables.
    ///
    /// EVIDENCE is any mix of files, directories (walked recursively in sorted
    /// order) and archives (zip, gzip, zstd; detected from content). Every record
    /// ends up as a table row, a counted duplicate, or a located reject row.
    Convert(ConvertArgs),
    /// Stage 2: correlate the Parquet tables of OUT_DIR into timeline.parquet
    /// and per_user.parquet.
    ///
    /// Reads only the Parquet tables written by `convert`, never the evidence.
    /// Users are keyed by object id (UPNs are aliases); risk detections are
    /// linked to their sign-ins and audits to their flows, with the basis of
    /// every link recorded.
    Analyze(AnalyzeArgs),
    /// Show one user's correlated timeline (or everyone's) from OUT_DIR.
    ///
    /// Reads timeline.parquet (run `analyze` or `run` first). Prints an aligned
    /// table, or exports CSV (formula-safe) or Timesketch-ready JSON Lines.
    Timeline(TimelineArgs),
    /// Write report.md, report.json and report.html for an analysed OUT_DIR
    /// and print the summary.
    ///
    /// `run` and `analyze` do this already; use `report` to re-render after
    /// an upgrade or to choose other formats. Reads only OUT_DIR.
    Report(ReportCommandArgs),
    /// Print the detection catalogue: ids, names, severities, MITRE, defaults.
    Detections(DetectionsArgs),
    /// Print the column reference of every output table.
    Schema(SchemaArgs),
    /// Re-hash OUT_DIR (and the evidence, when given) against manifest.json.
    ///
    /// Checks every output file the manifest lists with a SHA-256, and reports
    /// files that are missing or not listed. With EVIDENCE (the paths given to
    /// `convert`, spelled the same way), also re-hashes every evidence file and
    /// archive member. Exit code 0 when everything matches, 1 on any mismatch,
    /// missing or extra file, 2 when OUT_DIR has no readable manifest.
    Verify(VerifyArgs),
    /// Write a synthetic tenant's Graph evidence into DIR, for benchmarks and trials.
    ///
    /// All four entities (sign-ins v1.0 and beta, directory audits, risk
    /// detections, risky users) of a benign tenant, deterministic for a seed.
    /// Pages of sign-ins and audits rotate through the chosen --shapes, the
    /// quirks real evidence has. `--profile realistic` adds the background
    /// traffic of real tenants (token refreshes, phones' IP churn). The
    /// summary on stdout gives the exact number of records written, which
    /// `entrace convert` must reconcile with.
    Generate(GenerateArgs),
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// An output directory written by `entrace convert` or `entrace run`.
    #[arg(value_name = "OUT_DIR")]
    pub out_dir: PathBuf,

    /// Evidence files and directories to re-hash, as given to `convert`.
    #[arg(value_name = "EVIDENCE")]
    pub evidence: Vec<PathBuf>,

    /// Print only the problems, not the summary.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Arguments of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory to write into (created; must be empty or absent).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Roughly this many megabytes (10^6 bytes): picks the number of users for --days.
    #[arg(long, value_name = "MB", conflicts_with = "users")]
    pub size: Option<u64>,

    /// Number of users in the tenant [default: 2000].
    #[arg(long, value_name = "N")]
    pub users: Option<usize>,

    /// Days in the export window.
    #[arg(long, value_name = "D", default_value_t = 14)]
    pub days: u32,

    /// Seed: the same options give byte-identical files.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// File layouts, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "SHAPE,...",
        default_value = "all"
    )]
    pub shapes: Vec<GenerateShape>,

    /// Records per Graph page.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub records_per_page: usize,

    /// How much background traffic: `default` (the original tenant, one
    /// egress IP per user-day) or `realistic` (every app on every device
    /// refreshes its token every 60-90 minutes, so non-interactive sign-ins
    /// outnumber interactive ones about 24 to 1, and phones move between
    /// Wi-Fi, carrier CGNAT and IPv6 addresses, about five a day). The
    /// realistic profile's figures and sources: docs/performance.md.
    #[arg(long, value_enum, value_name = "PROFILE", default_value = "default")]
    pub profile: GenerateProfile,
}

/// Profiles of `entrace generate --profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenerateProfile {
    /// The original tenant: interactive sign-ins dominate, one egress IP per user-day.
    Default,
    /// Shaped like real tenants: ~24 token refreshes per interactive sign-in, phones' IP churn.
    Realistic,
}

/// Layouts of `entrace generate --shapes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GenerateShape {
    /// Every layout below.
    All,
    /// Compact Graph pages, as the API returns them.
    Compact,
    /// Pretty-printed Graph pages.
    Pretty,
    /// Gzip-compressed compact pages (.json.gz).
    Gzip,
    /// Compact pages in UTF-16LE with a BOM (Windows PowerShell 5.1).
    Utf16,
    /// One JSON Lines file of bare records per collection.
    Jsonl,
    /// One big JSON array of bare records per collection.
    Array,
    /// Re-collected pages that repeat records across page boundaries (duplicates).
    Overlap,
}

/// Arguments of `run`: those of `convert` plus the detection settings.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Conversion arguments.
    #[command(flatten)]
    pub convert: ConvertArgs,
    /// Detection thresholds.
    #[command(flatten)]
    pub detect: DetectArgs,
    /// How stage 2 divides its work.
    #[command(flatten)]
    pub stage2: Stage2Args,
    /// Which reports to write.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// How stage 2 divides its work (`analyze` and `run`).
#[derive(Debug, Args)]
pub struct Stage2Args {
    /// About how many timeline rows stage 2 holds per user bucket (it
    /// builds and writes the timeline bucket by bucket, one per thread at
    /// a time). Smaller uses less memory; the outputs are the same.
    #[arg(
        long,
        value_name = "ROWS",
        default_value_t = entrace::analyze::DEFAULT_BUCKET_ROWS,
        value_parser = clap::value_parser!(u64).range(1..),
        help_heading = "Parallelism"
    )]
    pub bucket_rows: u64,
}

impl Stage2Args {
    /// The analysis options these arguments ask for.
    pub fn options(&self) -> entrace::analyze::Options {
        entrace::analyze::Options {
            bucket_rows: self.bucket_rows,
        }
    }
}

/// Which report files to write (`run`, `analyze`, `report`).
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Report files to write into OUT_DIR, comma-separated: md (report.md),
    /// json (report.json), html (report.html, self-contained).
    #[arg(
        long,
        value_name = "FORMATS",
        value_delimiter = ',',
        default_value = "md,json,html",
        value_parser = parse_report_format,
        help_heading = "Reports"
    )]
    pub report: Vec<entrace::report::Format>,

    /// Write no report files (the summary is still printed unless -q).
    #[arg(long, conflicts_with = "report", help_heading = "Reports")]
    pub no_report: bool,
}

impl ReportArgs {
    /// The formats to write.
    pub fn formats(&self) -> Vec<entrace::report::Format> {
        if self.no_report {
            Vec::new()
        } else {
            self.report.clone()
        }
    }
}

fn parse_report_format(s: &str) -> Result<entrace::report::Format, String> {
    entrace::report::Format::parse(s)
}

/// Arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportCommandArgs {
    /// An output directory analysed by `entrace analyze` or `entrace run`.
    #[arg(value_name = "OUT_DIR")]
    pub out_dir: PathBuf,

    /// No summary on stdout.
    #[arg(short, long)]
    pub quiet: bool,

    /// Which reports to write.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Detection threshold overrides (`analyze` and `run`).
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// TOML file of thresholds: `[ENT-005]` tables of `key = number`.
    #[arg(long, value_name = "FILE", help_heading = "Detections")]
    pub config: Option<PathBuf>,

    /// Override one threshold, e.g. `--set ENT-005.users_per_20m=8` (repeatable;
    /// applied after --config). `entrace detections` lists the keys.
    #[arg(long = "set", value_name = "ID.KEY=VALUE", help_heading = "Detections")]
    pub set: Vec<String>,
}

/// Arguments of `detections`.
#[derive(Debug, Args)]
pub struct DetectionsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = SchemaFormat::Text)]
    pub format: SchemaFormat,
}

/// `-j`, shared by every command that works in parallel: stage 1 and stage
/// 2 both run on this many threads.
#[derive(Debug, Args)]
pub struct Parallelism {
    /// Worker threads (default: one per core).
    #[arg(
        short = 'j',
        long,
        value_name = "N",
        default_value_t = 0,
        help_heading = "Parallelism"
    )]
    pub threads: usize,
}

/// Arguments of `analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// An output directory written by `entrace convert`.
    #[arg(value_name = "OUT_DIR")]
    pub out_dir: PathBuf,

    /// No summary on stdout, no progress on stderr.
    #[arg(short, long)]
    pub quiet: bool,

    /// How many threads.
    #[command(flatten)]
    pub parallel: Parallelism,

    /// Detection thresholds.
    #[command(flatten)]
    pub detect: DetectArgs,

    /// How stage 2 divides its work.
    #[command(flatten)]
    pub stage2: Stage2Args,

    /// Which reports to write.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Arguments of `timeline`.
#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// An output directory written by `entrace run` or `entrace analyze`.
    #[arg(value_name = "OUT_DIR")]
    pub out_dir: PathBuf,

    /// The user: a UPN (any case) or an object id. Default: every user.
    #[arg(short, long, value_name = "UPN|ID")]
    pub user: Option<String>,

    /// Only events at or after this time: 2025-03-17, 2025-03-17T15:00:00
    /// (UTC) or RFC 3339 with an offset.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only events at or before this time (a date alone includes the whole day).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = TimelineFormat::Table)]
    pub format: TimelineFormat,
}

/// Formats of `entrace timeline`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TimelineFormat {
    /// Aligned table, coloured on a terminal (NO_COLOR respected).
    Table,
    /// CSV with every column; cells that look like formulas are neutralised.
    Csv,
    /// JSON Lines for Timesketch (message, datetime, timestamp_desc + columns).
    Jsonl,
}

/// Arguments of `convert` and `run`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Evidence files, directories and archives (read only, never written).
    #[arg(required = true, value_name = "EVIDENCE", help_heading = "Input")]
    pub evidence: Vec<PathBuf>,

    /// Largest decompressed size of one stream (file, gzip/zstd stream or zip
    /// member) read into memory whole, e.g. 512M or 4G; larger streams are
    /// rejected as limit_exceeded. Large plain UTF-8 JSON Lines, arrays and
    /// pages are read in windows and need no limit; gzip and zstd ones are
    /// decompressed in windows and still count against it.
    #[arg(long, value_name = "SIZE", default_value = "4G", value_parser = parse_size, help_heading = "Input")]
    pub max_decompressed_size: u64,

    /// Output directory (created; must not be inside the evidence).
    #[arg(short, long, value_name = "OUT_DIR", help_heading = "Output")]
    pub output: PathBuf,

    /// Replace the output directory if it exists (only an earlier entrace output).
    #[arg(long, help_heading = "Output")]
    pub force: bool,

    /// Do not store each record's original JSON text in `ingest_raw`.
    #[arg(long, help_heading = "Output")]
    pub no_raw: bool,

    /// Stop at the first rejected record or file, with its location.
    #[arg(long, help_heading = "Input")]
    pub strict: bool,

    /// How many threads.
    #[command(flatten)]
    pub parallel: Parallelism,

    /// No progress bar and no summary (`convert` prints its summary on
    /// stderr, `run` on stdout).
    #[arg(short, long, help_heading = "Logging")]
    pub quiet: bool,
}

/// Arguments of `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = SchemaFormat::Text)]
    pub format: SchemaFormat,
}

/// Formats of `entrace schema`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SchemaFormat {
    /// Aligned text.
    Text,
    /// Markdown tables.
    Md,
    /// JSON array of columns.
    Json,
}

/// Parses `4G`, `512M`, `64K`, `1000` (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => {
                    return Err(format!(
                        "unknown size suffix in {s:?}: expected K, M, G or T"
                    ))
                }
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| {
            format!("invalid size {s:?}: expected a number with an optional K, M, G or T suffix")
        })
}
