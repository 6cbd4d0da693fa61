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
use crate::table::spill::{spill, Run};

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
    /// Rows on disk: sorted runs per entity (by [`EntityKind::index`]).
    runs: Vec<Vec<Run>>,
    /// Unknown keys by Graph path, per entity.
    drift: Vec<BTreeMap<String, u64>>,
    /// Rows with at least one issue, per entity.
    rows_with_issues: Vec<u64>,
}

impl Processed {
    fn display(&self) -> String {
        match &self.leaf.member {
            Some(m) => format!("{}!{m}", self.leaf.path),
            None => self.leaf.path.clone(),
        }
    }
}

/// Reads and parses every stream of one evidence file: each stream with its
/// rows still in column builders (see [`spill_rows`]).
fn process_file(path: &Path, opts: &ConvertOptions) -> Vec<(Processed, Vec<TableSet>)> {
    open_evidence(path, opts.max_decompressed_size)
        .into_iter()
        .map(|mut leaf| {
            let bytes = std::mem::replace(&mut leaf.bytes, LeafBytes::Archive);
            let mut tables: Vec<TableSet> = Vec::new();
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
            let n = EntityKind::ALL.len();
            let p = Processed {
                leaf,
                kind,
                encoding,
                parse,
                runs: (0..n).map(|_| Vec::new()).collect(),
                drift: vec![BTreeMap::new(); n],
                rows_with_issues: vec![0; n],
            };
            (p, tables)
        })
        .collect()
}

/// Moves a parsed stream's rows to sorted runs in `dir`.
fn spill_rows(p: &mut Processed, tables: Vec<TableSet>, dir: &Path) -> Result<()> {
    for set in tables {
        for (k, chunk) in set.chunks.into_iter().enumerate() {
            let Some(chunk) = chunk else { continue };
            for (path, n) in &chunk.drift {
                *p.drift[k].entry(path.clone()).or_default() += n;
            }
            p.rows_with_issues[k] += chunk.rows_with_issues;
            p.runs[k].push(spill(chunk, dir)?);
        }
    }
    Ok(())
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
    let spill_dir = out.path(".spill");
    std::fs::create_dir_all(&spill_dir)
        .map_err(|e| Error::io(&spill_dir, "cannot create spill directory", e))?;
    // Workers parse files; this thread spills each file's rows as it comes.
    // Spilling calls polars, whose own thread pool must not be entered from a
    // worker of ours (rayon would steal parse jobs onto the waiting stack,
    // without bound). The bounded channel caps the parsed rows in memory.
    let (tx, rx) = std::sync::mpsc::sync_channel(pool.current_num_threads().max(1));
    let mut slots: Vec<Option<Vec<Processed>>> = (0..files.len()).map(|_| None).collect();
    let spilled: Result<()> = std::thread::scope(|scope| {
        scope.spawn(|| {
            pool.install(|| {
                files
                    .par_iter()
                    .zip(sizes.par_iter())
                    .enumerate()
                    .for_each_with(tx, |tx, (i, (f, size))| {
                        let leaves = process_file(f, opts);
                        bar.inc(*size);
                        // The receiver only hangs up after an error it reports.
                        let _ = tx.send((i, leaves));
                    })
            })
        });
        let mut result = Ok(());
        for (i, leaves) in rx {
            if result.is_err() {
                continue;
            }
            let mut done = Vec::with_capacity(leaves.len());
            for (mut p, tables) in leaves {
                if let Err(e) = spill_rows(&mut p, tables, &spill_dir) {
                    result = Err(e);
                    break;
                }
                done.push(p);
            }
            slots[i] = Some(done);
        }
        result
    });
    spilled?;
    bar.finish_and_clear();
    let processed: Vec<Processed> = slots.into_iter().flatten().flatten().collect();

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
    let manifest = frames::write_all(opts, processed, out, started_at)?;
    std::fs::remove_dir_all(&spill_dir)
        .map_err(|e| Error::io(&spill_dir, "cannot remove spill directory", e))?;
    Ok(manifest)
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
