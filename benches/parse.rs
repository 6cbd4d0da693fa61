//! Criterion benches of the parsing core, in bytes per second.
//!
//! Inputs are generated at start by `entrace_generate` (a deterministic
//! tenant: v1.0 and beta sign-ins, audits, risk detections, risky users) into
//! a temporary directory; nothing is committed. `ENTRACE_BENCH_USERS` sets the
//! tenant size (default 600 users × 14 days, about 9 MB of compact pages).
//!
//! Groups:
//! - `scan`: record-boundary scanning of Graph pages and of JSON Lines;
//! - `parse_records`: the records of those pages parsed by simd-json into
//!   its tape (what entrace does since it stopped building DOMs), into a
//!   borrowed DOM, and by serde_json into a `Value` as the baseline, on one
//!   thread;
//! - `parse_records_all_threads`: both simd-json parses on every core (the
//!   ceilings `convert` is compared with);
//! - `build_columns`: one stream through both passes of the converter in
//!   memory (keys, dedup, parse again in table order, column builders,
//!   frames), on one thread;
//! - `convert`: end to end (every column, `ingest_raw`, zstd Parquet, manifest
//!   with SHA-256) into a temporary directory, from many page files and from
//!   the same records in one large JSON Lines file.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rayon::prelude::*;

use entrace::bench::{build_columns, record_spans};
use entrace::convert::{convert, ConvertOptions, DEFAULT_MAX_DECOMPRESSED};
use entrace_generate::{generate, GenerateOptions};

/// The allocator the `entrace` binary uses, so `convert` measures the same.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The generated inputs, alive for the whole run.
struct Inputs {
    dir: tempfile::TempDir,
    /// The generated dump: compact Graph pages of every entity.
    dump: PathBuf,
    /// The sign-in pages (v1.0 and beta), as read from disk.
    pages: Vec<Vec<u8>>,
    /// Every record of `pages`, one per line.
    jsonl: Vec<u8>,
    /// A directory holding only `all.jsonl`: every record of the dump.
    one_file: PathBuf,
    /// Total bytes of the dump.
    dump_bytes: u64,
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn inputs() -> Inputs {
    let users = std::env::var("ENTRACE_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let dump = dir.path().join("dump");
    let opts = GenerateOptions {
        users,
        ..GenerateOptions::default()
    };
    let summary = generate(&opts, &dump).expect("generating the bench input");
    let mut pages = Vec::new();
    for sub in ["signins", "signins-beta"] {
        for f in files_in(&dump.join(sub)) {
            pages.push(std::fs::read(f).expect("reading a generated page"));
        }
    }
    let mut jsonl = Vec::new();
    for page in &pages {
        for span in record_spans(page) {
            jsonl.extend_from_slice(&page[span]);
            jsonl.push(b'\n');
        }
    }
    let mut all = Vec::new();
    for f in &summary.files {
        let bytes = std::fs::read(f).expect("reading a generated file");
        for span in record_spans(&bytes) {
            all.extend_from_slice(&bytes[span]);
            all.push(b'\n');
        }
    }
    let one_file = dir.path().join("one-file");
    std::fs::create_dir_all(&one_file).expect("a directory for the JSON Lines file");
    std::fs::write(one_file.join("all.jsonl"), &all).expect("writing all.jsonl");
    eprintln!(
        "bench input: {users} users × 14 days: {} files, {} bytes; sign-in pages {} bytes",
        summary.files.len(),
        summary.bytes,
        pages.iter().map(Vec::len).sum::<usize>()
    );
    Inputs {
        dir,
        dump,
        pages,
        jsonl,
        one_file,
        dump_bytes: summary.bytes,
    }
}

fn bytes_of(pages: &[Vec<u8>]) -> u64 {
    pages.iter().map(|p| p.len() as u64).sum()
}

fn scan(c: &mut Criterion, inp: &Inputs) {
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(bytes_of(&inp.pages)));
    g.bench_function("graph_pages", |b| {
        b.iter(|| {
            inp.pages
                .iter()
                .map(|p| record_spans(black_box(p)).len())
                .sum::<usize>()
        });
    });
    g.throughput(Throughput::Bytes(inp.jsonl.len() as u64));
    g.bench_function("json_lines", |b| {
        b.iter(|| record_spans(black_box(&inp.jsonl)).len());
    });
    g.finish();
}

/// Every record of the pages as its own byte string.
fn records(pages: &[Vec<u8>]) -> Vec<Vec<u8>> {
    pages
        .iter()
        .flat_map(|p| record_spans(p).into_iter().map(|s| p[s].to_vec()))
        .collect()
}

/// entrace's parse: a copy to a reused scratch buffer, simd-json into its tape.
fn simd_tape(recs: &[Vec<u8>]) -> usize {
    let mut scratch = Vec::new();
    let mut buffers = simd_json::Buffers::default();
    let mut n = 0;
    for r in recs {
        scratch.clear();
        scratch.extend_from_slice(r);
        if let Ok(t) = simd_json::to_tape_with_buffers(&mut scratch, &mut buffers) {
            n += black_box(t).0.len();
        }
    }
    n
}

/// The same into a borrowed DOM (hash maps for objects of more than 32 keys).
fn simd_borrowed(recs: &[Vec<u8>]) -> usize {
    let mut scratch = Vec::new();
    let mut buffers = simd_json::Buffers::default();
    let mut ok = 0;
    for r in recs {
        scratch.clear();
        scratch.extend_from_slice(r);
        if let Ok(v) = simd_json::to_borrowed_value_with_buffers(&mut scratch, &mut buffers) {
            black_box(&v);
            ok += 1;
        }
    }
    ok
}

fn parse_records(c: &mut Criterion, inp: &Inputs) {
    let recs = records(&inp.pages);
    let bytes: u64 = recs.iter().map(|r| r.len() as u64).sum();
    let mut g = c.benchmark_group("parse_records");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("simd_json_tape", |b| b.iter(|| simd_tape(&recs)));
    g.bench_function("simd_json_borrowed", |b| b.iter(|| simd_borrowed(&recs)));
    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            recs.iter()
                .filter(|r| serde_json::from_slice::<serde_json::Value>(r).is_ok())
                .count()
        });
    });
    g.finish();

    let mut g = c.benchmark_group("parse_records_all_threads");
    g.throughput(Throughput::Bytes(bytes));
    let per_task = recs.len().div_ceil(rayon::current_num_threads() * 8).max(1);
    g.bench_function("simd_json_tape", |b| {
        b.iter(|| recs.par_chunks(per_task).map(simd_tape).sum::<usize>());
    });
    g.bench_function("simd_json_borrowed", |b| {
        b.iter(|| recs.par_chunks(per_task).map(simd_borrowed).sum::<usize>());
    });
    g.finish();
}

fn columns(c: &mut Criterion, inp: &Inputs) {
    let mut g = c.benchmark_group("build_columns");
    g.throughput(Throughput::Bytes(bytes_of(&inp.pages)));
    g.bench_function("sign_in_pages", |b| {
        b.iter(|| {
            inp.pages
                .iter()
                .map(|p| build_columns(black_box(p), true).map_or(0, |x| x.rows))
                .sum::<usize>()
        });
    });
    g.finish();
}

fn convert_dump(c: &mut Criterion, inp: &Inputs) {
    let mut g = c.benchmark_group("convert");
    g.sample_size(10);
    let run = |evidence: &Path, out: PathBuf| {
        let opts = ConvertOptions {
            evidence: vec![evidence.to_path_buf()],
            out_dir: out,
            force: true,
            keep_raw: true,
            strict: false,
            threads: 0,
            max_decompressed_size: DEFAULT_MAX_DECOMPRESSED,
            progress: false,
            arguments: Vec::new(),
        };
        convert(&opts).map(|o| o.manifest.totals.written)
    };
    g.throughput(Throughput::Bytes(inp.dump_bytes));
    let out = inp.dir.path().join("out-pages");
    g.bench_function("many_page_files", |b| {
        b.iter(|| run(&inp.dump, out.clone()).expect("converting the dump"));
    });
    let one = inp.one_file.join("all.jsonl");
    let one_bytes = std::fs::metadata(&one).map_or(0, |m| m.len());
    g.throughput(Throughput::Bytes(one_bytes));
    let out = inp.dir.path().join("out-one");
    g.bench_function("one_jsonl_file", |b| {
        b.iter(|| run(&inp.one_file, out.clone()).expect("converting one JSON Lines file"));
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let inp = inputs();
    scan(c, &inp);
    parse_records(c, &inp);
    columns(c, &inp);
    convert_dump(c, &inp);
}

criterion_group!(parse, benches);
criterion_main!(parse);
