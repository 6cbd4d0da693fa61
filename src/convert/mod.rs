//! Stage 1 driver: discover → read and parse every source in parallel → merge
//! each entity (dedup, total sort) → write Parquet tables, rejects, sources and
//! the manifest into a temporary directory → rename it into place.

mod frames;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::input::encoding::decode;
use crate::input::{discover, open_evidence, Leaf, LeafBytes};
use crate::manifest::{Counts, InputEntry, Manifest, TableEntry};

use crate::model::time::format_timestamp;
use crate::model::EntityKind;
use crate::output::OutputDir;
use crate::parse::reject::{Locator, Reason, Reject};
use crate::parse::{parse_leaf, LeafParse, UNKNOWN};
use crate::table::chunk::TableSet;

/// Default `--max-decompressed-size`: 4 GiB per stream.
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 4 << 30;

/// What `entrace convert` needs to run.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    /// Evidence files, directories and archives.
    pub evidence: Vec<PathBuf>,
    /// Output directory.
    pub out_dir: PathBuf,
    /// Replace an existing output directory.
    pub force: bool,
    /// Keep each record's original text in `ingest_raw`.
    pub keep_raw: bool,
    /// Make the first reject fatal.
    pub strict: bool,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Largest decompressed size of one stream, in bytes.
    pub max_decompressed_size: u64,
    /// Draw a progress bar on stderr when it is a terminal.
    pub progress: bool,
    /// The command line, for the manifest.
    pub arguments: Vec<String>,
}

/// What a finished conversion produced.
#[derive(Debug)]
pub struct ConvertOutcome {
    /// The manifest as written.
    pub manifest: Manifest,
    /// Where the tables are.
    pub out_dir: PathBuf,
    /// Wall-clock time taken.
    pub elapsed: Duration,
}

impl ConvertOutcome {
    /// Number of rejected records and spans.
    pub fn rejected(&self) -> u64 {
        self.manifest.totals.rejected
    }
}

/// One stream after parsing.
struct Processed {
    leaf: Leaf,
    kind: &'static str,
    encoding: Option<&'static str>,
    parse: LeafParse,
    /// Rows, one set per parsed chunk, in byte order.
    tables: Vec<TableSet>,
}

impl Processed {
    fn display(&self) -> String {
        match &self.leaf.member {
            Some(m) => format!("{}!{m}", self.leaf.path),
            None => self.leaf.path.clone(),
        }
    }
}

fn process_file(path: &Path, opts: &ConvertOptions) -> Vec<Processed> {
    open_evidence(path, opts.max_decompressed_size)
        .into_iter()
        .map(|mut leaf| {
            let bytes = std::mem::replace(&mut leaf.bytes, LeafBytes::Archive);
            let mut tables = Vec::new();
            let mut encoding = None;
            let kind = match (&bytes, &leaf.member) {
                (LeafBytes::Archive, _) => "archive",
                (_, Some(_)) => "member",
                (_, None) => "file",
            };
            let parse = match &bytes {
                LeafBytes::Data(data) => {
                    let decoded = decode(data);
                    encoding = Some(decoded.encoding.name());
                    let (parse, parts) = parse_leaf(&decoded, opts.keep_raw);
                    tables = parts;
                    parse
                }
                LeafBytes::Archive | LeafBytes::Consumed(_) => LeafParse {
                    shape: "archive",
                    ..LeafParse::default()
                },
                LeafBytes::Failed(code, message) => {
                    let mut p = LeafParse {
                        shape: "unreadable",
                        ..LeafParse::default()
                    };
                    p.read.insert(UNKNOWN, 1);
                    p.rejects.push(Reject {
                        locator: Locator::default(),
                        entity: None,
                        reason: Reason::from_code(code),
                        message: message.clone(),
                        excerpt: String::new(),
                    });
                    p
                }
            };
            leaf.bytes = match bytes {
                LeafBytes::Data(d) => LeafBytes::Consumed(d.len() as u64),
                other => other,
            };
            Processed {
                leaf,
                kind,
                encoding,
                parse,
                tables,
            }
        })
        .collect()
}

/// Converts the evidence into Parquet tables in `opts.out_dir`.
pub fn convert(opts: &ConvertOptions) -> Result<ConvertOutcome> {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let files = discover(&opts.evidence)?;
    if files.is_empty() {
        return Err(Error::Usage(
            "no evidence files found in the given paths".into(),
        ));
    }
    let out = OutputDir::prepare(&opts.out_dir, &opts.evidence, opts.force)?;
    let result = convert_into(opts, &files, &out, started_at);
    match result {
        Ok(manifest) => {
            let out_dir = out.commit()?;
            Ok(ConvertOutcome {
                manifest,
                out_dir,
                elapsed: started.elapsed(),
            })
        }
        Err(e) => {
            out.abandon();
            Err(e)
        }
    }
}

fn progress_bar(total: u64, enabled: bool) -> indicatif::ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} reading evidence [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn convert_into(
    opts: &ConvertOptions,
    files: &[PathBuf],
    out: &OutputDir,
    started_at: chrono::DateTime<chrono::Utc>,
) -> Result<Manifest> {
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .collect();
    let bar = progress_bar(sizes.iter().sum(), opts.progress);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| Error::Internal(format!("cannot start worker threads: {e}")))?;
    let processed: Vec<Processed> = pool.install(|| {
        files
            .par_iter()
            .zip(sizes.par_iter())
            .flat_map_iter(|(f, size)| {
                let leaves = process_file(f, opts);
                bar.inc(*size);
                leaves
            })
            .collect()
    });
    bar.finish_and_clear();

    if opts.strict {
        if let Some((p, r)) = processed
            .iter()
            .find_map(|p| p.parse.rejects.first().map(|r| (p, r)))
        {
            return Err(Error::Strict(format!(
                "{}: {}: {}: {}",
                p.display(),
                r.locator.describe(),
                r.reason.as_str(),
                r.message
            )));
        }
    }
    frames::write_all(opts, processed, out, started_at)
}

pub use self::frames::narrate;

/// Per-source, per-entity counts.
type SourceCounts = BTreeMap<(i32, String), Counts>;

fn entity_key(e: Option<EntityKind>) -> String {
    e.map_or(UNKNOWN, EntityKind::name).to_string()
}

fn table_entry(table: &str) -> TableEntry {
    TableEntry {
        file: format!("{table}.parquet"),
        ..TableEntry::default()
    }
}

fn time_span(span: Option<(i64, i64)>) -> (Option<String>, Option<String>) {
    span.map_or((None, None), |(a, b)| {
        (Some(format_timestamp(a)), Some(format_timestamp(b)))
    })
}

fn input_entry(id: i32, p: &Processed, counts: Counts, entity: Option<String>) -> InputEntry {
    InputEntry {
        source_id: id,
        path: p.leaf.path.clone(),
        member: p.leaf.member.clone(),
        kind: p.kind.to_string(),
        size: p.leaf.stored_size,
        decompressed_size: p.leaf.decompressed_size(),
        sha256: p.leaf.sha256.clone(),
        compression: p.leaf.compression.clone(),
        encoding: p.encoding.map(str::to_string),
        shape: Some(p.parse.shape.to_string()),
        entity,
        counts,
    }
}
