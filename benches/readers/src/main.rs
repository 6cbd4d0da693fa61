//! readers-bench LIB CASE FILE [--batch N] [--par auto|none|columns|rowgroups]
//!                              [--prune none|stats|rowfilter|both] [--cols a,b,c]
//!
//! LIB: polars | arrow.  CASE: whole | stream | filter | parallel | check | info.
//! Prints one `key=value` line per run (check: one line per column).

mod common;
#[cfg(feature = "ar")]
mod ar;
#[cfg(feature = "pl")]
mod pl;

use std::path::PathBuf;
use std::time::Instant;

use common::*;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

/// A `--raw` result: no columns, its row count in the sentinel.
fn raw_rows(t: &Table) -> Option<usize> {
    t.raw_rows
}

fn run() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut pos = Vec::new();
    let mut o = Opts { batch: 32 * 1024, par: "auto".into(), prune: "both".into(), raw: false, view: false };
    let mut only: Option<Vec<String>> = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--batch" => o.batch = it.next().ok_or("--batch N")?.parse()?,
            "--par" => o.par = it.next().ok_or("--par S")?,
            "--prune" => o.prune = it.next().ok_or("--prune P")?,
            "--raw" => o.raw = true,
            "--view" => o.view = true,
            "--cols" => only = Some(it.next().ok_or("--cols a,b")?.split(',').map(String::from).collect()),
            _ => pos.push(a),
        }
    }
    let [lib, case, file] = <[String; 3]>::try_from(pos)
        .map_err(|_| "usage: readers-bench LIB CASE FILE [options]")?;
    let path = PathBuf::from(file);
    let start = Instant::now();
    let mut mem = Mem::default();
    let mut sum = Summary::new();
    let mut extra = String::new();
    match (lib.as_str(), case.as_str()) {
        #[cfg(feature = "pl")]
        ("polars", "check") => return pl::check(&path, only.as_deref()),
        #[cfg(feature = "pl")]
        ("polars", "stats") => return pl::stats(&path),
        #[cfg(feature = "ar")]
        ("arrow", "check") => return ar::check(&path, only.as_deref()),
        #[cfg(feature = "ar")]
        ("arrow", "info") => return ar::info(&path),
        (_, "stream") => {
            match lib.as_str() {
                #[cfg(feature = "pl")]
                "polars" => pl::stream(&path, &o, &mut mem, &mut sum)?,
                #[cfg(feature = "ar")]
                "arrow" => ar::stream(&path, &o, &mut mem, &mut sum)?,
                _ => return Err(format!("unknown or not built: {lib}").into()),
            }
        }
        (_, "whole" | "parallel" | "filter") => {
            let t = match (lib.as_str(), case.as_str()) {
                #[cfg(feature = "pl")]
                ("polars", "whole") => pl::whole(&path, &o, &mut mem)?,
                #[cfg(feature = "pl")]
                ("polars", "parallel") => pl::parallel(&path, &o, &mut mem)?,
                #[cfg(feature = "pl")]
                ("polars", "filter") => {
                    let (t, kept) = pl::filter(&path, &o, &mut mem)?;
                    extra = format!(" row_groups_read={kept}");
                    t
                }
                #[cfg(feature = "ar")]
                ("arrow", "whole") => ar::whole(&path, &o, &mut mem)?,
                #[cfg(feature = "ar")]
                ("arrow", "parallel") => ar::parallel(&path, &o, &mut mem)?,
                #[cfg(feature = "ar")]
                ("arrow", "filter") => {
                    let (t, kept) = ar::filter(&path, &o, &mut mem)?;
                    extra = format!(" row_groups_read={kept}");
                    t
                }
                _ => return Err(format!("unknown or not built: {lib} {case}").into()),
            };
            mem.probe();
            let read = start.elapsed();
            extra.push_str(&format!(" read_ms={}", read.as_millis()));
            if let Some(n) = raw_rows(&t) {
                sum.add_rows(n);
            } else {
                sum.add(&t);
            }
            drop(t);
        }
        _ => return Err(format!("unknown case: {lib} {case}").into()),
    }
    let _ = &only;
    println!(
        "lib={lib} case={case} {} total_ms={}{extra} {}",
        sum.line(),
        start.elapsed().as_millis(),
        mem.line()
    );
    Ok(())
}
