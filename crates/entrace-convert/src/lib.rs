//! Stage 1 driver, in two passes over the evidence.
//!
//! 1. Discover the files; read, decode and parse every stream in parallel,
//!    keeping each record's keys (id, times, hash, where its text is) and
//!    every reject, never its columns.
//! 2. Per entity: de-duplicate and sort the keys; read the kept records'
//!    text back in table order, build their columns on every core and write
//!    the Parquet table row group by row group. Then rejects, sources and the
//!    manifest, all into a temporary directory that is renamed into place.
//!
//! Memory holds the streams being parsed in pass 1, the keys of every
//! record, and one batch of rows in pass 2: it does not grow with the
//! evidence beyond the keys (about 80 bytes a record).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bench;
mod frames;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use entrace_input::discover;
use entrace_input::stream::{read_evidence, Processed, WindowOptions};
use entrace_manifest::{ConversionCounts, Counts, InputEntry, Manifest, TableEntry};
use entrace_model::error::{Error, Result};

use entrace_input::parse::keys::RowKeys;
use entrace_input::parse::UNKNOWN;
use entrace_model::time::format_timestamp;
use entrace_model::EntityKind;
use entrace_table::output::OutputDir;
use entrace_table::texts::Texts;

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
    // First pass: workers read and parse files into keys; this thread
    // numbers the streams and files their keys by entity as they come.
    let (tx, rx) = std::sync::mpsc::sync_channel(pool.current_num_threads().max(1));
    let mut slots: Vec<Option<Vec<Processed>>> = (0..files.len()).map(|_| None).collect();
    let mut blocks: Vec<Vec<RowKeys>> = EntityKind::ALL.iter().map(|_| Vec::new()).collect();
    let mut texts = Texts::default();
    // `streams[n]` is (file, leaf) of stream number n.
    let mut streams: Vec<(usize, usize)> = Vec::new();
    let first_pass: Result<()> = std::thread::scope(|scope| {
        scope.spawn(|| {
            pool.install(|| {
                files
                    .par_iter()
                    .zip(sizes.par_iter())
                    .enumerate()
                    .for_each_with(tx, |tx, (i, (f, size))| {
                        let windows = WindowOptions::new(opts.max_decompressed_size);
                        let parsed = read_evidence(f, i, windows, &spill_dir);
                        bar.inc(*size);
                        // The receiver only hangs up after an error it reports.
                        let _ = tx.send((i, parsed));
                    })
            })
        });
        let mut result = Ok(());
        for (i, parsed) in rx {
            let parsed = match (&result, parsed) {
                (Err(_), _) => continue,
                (Ok(()), Err(e)) => {
                    result = Err(e);
                    continue;
                }
                (Ok(()), Ok(parsed)) => parsed,
            };
            let mut done = Vec::with_capacity(parsed.len());
            for (j, p) in parsed.into_iter().enumerate() {
                let stream = texts.push(p.text);
                streams.push((i, j));
                for set in p.keys {
                    for (k, mut keys) in set.into_iter().enumerate() {
                        if !keys.is_empty() {
                            keys.set_stream(stream);
                            blocks[k].push(keys);
                        }
                    }
                }
                done.push(p.stream);
            }
            slots[i] = Some(done);
        }
        result
    });
    first_pass?;
    bar.finish_and_clear();
    // Source ids follow (file, leaf) order, whatever order streams came in.
    let mut first_of_file = Vec::with_capacity(slots.len());
    let mut next = 0;
    for slot in &slots {
        first_of_file.push(next);
        next += slot.as_ref().map_or(0, Vec::len);
    }
    let sources: Vec<i32> = streams
        .iter()
        .map(|&(file, leaf)| (first_of_file[file] + leaf) as i32)
        .collect();
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
    let second = frames::SecondPass {
        blocks,
        sources: &sources,
        texts: &texts,
        pool: &pool,
    };
    let manifest = frames::write_all(opts, processed, second, out, started_at)?;
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
        conversion: Some(ConversionCounts::default()),
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
        kind: p.kind,
        size: p.leaf.stored_size,
        decompressed_size: p.leaf.decompressed_size(),
        sha256: p.leaf.sha256.clone(),
        compression: p.leaf.compression.name(),
        encoding: p.encoding.map(str::to_string),
        shape: Some(p.parse.shape.to_string()),
        entity,
        counts,
    }
}
