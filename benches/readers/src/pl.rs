//! The cases with polars 0.55, eager API only (no lazy, as entrace builds it).

use std::fs::File;
use std::hash::Hasher;
use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;
use polars_parquet::parquet::metadata::FileMetadata;
use polars_parquet::parquet::statistics::Statistics;
use rayon::prelude::*;

use crate::common::*;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn strategy(name: &str) -> ParallelStrategy {
    match name {
        "none" => ParallelStrategy::None,
        "columns" => ParallelStrategy::Columns,
        "rowgroups" => ParallelStrategy::RowGroups,
        _ => ParallelStrategy::Auto,
    }
}

fn wanted() -> Option<Vec<String>> {
    Some(COLS.iter().map(|c| c.to_string()).collect())
}

/// `Frame::strs` / `Frame::ints` for every column of [`COLS`].
pub fn df_to_table(df: &DataFrame) -> Res<Table> {
    let mut cols = Vec::with_capacity(COLS.len());
    for name in COLS {
        let c = df.column(name)?;
        cols.push(match c.dtype() {
            DataType::String => Col::Str(c.str()?.iter().map(|v| v.map(str::to_owned)).collect()),
            _ => {
                let s = c.as_materialized_series().to_physical_repr();
                let s = s.cast(&DataType::Int64)?;
                Col::Int(s.i64()?.iter().collect())
            }
        });
    }
    Ok(Table::new(cols))
}

fn metadata(path: &Path) -> Res<Arc<FileMetadata>> {
    let mut f = File::open(path)?;
    Ok(Arc::new(polars_parquet::parquet::read::read_metadata(&mut f)?))
}

/// First row of each row group, and its row count.
fn spans(md: &FileMetadata) -> Vec<(usize, usize)> {
    let mut off = 0;
    md.row_groups
        .iter()
        .map(|rg| {
            let s = (off, rg.num_rows());
            off += rg.num_rows();
            s
        })
        .collect()
}

/// One row group's columns, as a DataFrame: a slice of exactly that row
/// group (the eager reader has no row-group selection; a slice maps to it).
fn read_span(path: &Path, md: &Arc<FileMetadata>, span: (usize, usize), par: &str) -> Res<DataFrame> {
    let mut r = ParquetReader::new(File::open(path)?)
        .with_columns(wanted())
        .with_slice(Some(span))
        .read_parallel(strategy(par));
    r.set_metadata(md.clone());
    Ok(r.finish()?)
}

/// Case 1: the whole table, as `Frame::read` does, then into vectors.
pub fn whole(path: &Path, o: &Opts, mem: &mut Mem) -> Res<Table> {
    let df = ParquetReader::new(File::open(path)?)
        .with_columns(wanted())
        .read_parallel(strategy(&o.par))
        .finish()?;
    let t = if o.raw { Table::raw(df.height()) } else { df_to_table(&df)? };
    mem.probe();
    Ok(t)
}

/// Case 2: row group by row group, one in memory at a time.
pub fn stream(path: &Path, o: &Opts, mem: &mut Mem, sum: &mut Summary) -> Res<()> {
    let md = metadata(path)?;
    for span in spans(&md) {
        let df = read_span(path, &md, span, &o.par)?;
        if o.raw {
            sum.add_rows(df.height());
            mem.probe();
            continue;
        }
        let t = df_to_table(&df)?;
        drop(df);
        sum.add(&t);
        mem.probe();
    }
    Ok(())
}

/// Min and max of an int64 column in one row group, from the footer.
fn minmax(md: &FileMetadata, rg: usize, col: &str) -> (Option<i64>, Option<i64>) {
    let Some(mut it) = md.row_groups[rg].columns_under_root_iter(col) else {
        return (None, None);
    };
    match it.next().and_then(|c| c.statistics(md.footer_buf.as_slice())) {
        Some(Ok(Statistics::Int64(s))) => (s.min_value, s.max_value),
        _ => (None, None),
    }
}

/// Case 3: rows in the one-day window. polars' eager reader takes no
/// predicate, so: prune row groups from the footer statistics ourselves,
/// read each kept row group by slice, and filter the DataFrame.
pub fn filter(path: &Path, o: &Opts, mem: &mut Mem) -> Res<(Table, usize)> {
    let md = metadata(path)?;
    let prune = o.prune == "stats" || o.prune == "both";
    let keep: Vec<usize> = (0..md.row_groups.len())
        .filter(|&rg| {
            !prune || {
                let (lo, hi) = minmax(&md, rg, TIME_NS);
                overlaps(lo, hi)
            }
        })
        .collect();
    let spans = spans(&md);
    let mut out = Table::empty();
    for &rg in &keep {
        let df = read_span(path, &md, spans[rg], &o.par)?;
        let ns = df.column(TIME_NS)?.i64()?;
        let mask = ns.gt_eq(LO) & ns.lt(HI);
        let df = df.filter(&mask)?;
        out.append(df_to_table(&df)?);
        mem.probe();
    }
    Ok((out, keep.len()))
}

/// Case 4: row groups read in parallel by rayon, each by slice and
/// single-threaded inside, then concatenated in order.
pub fn parallel(path: &Path, o: &Opts, mem: &mut Mem) -> Res<Table> {
    let md = metadata(path)?;
    let par = if o.par == "auto" { "rowgroups" } else { o.par.as_str() };
    let parts = spans(&md)
        .into_par_iter()
        .map(|span| {
            let df = read_span(path, &md, span, par)?;
            if o.raw {
                return Ok(Table::raw(df.height()));
            }
            df_to_table(&df)
        })
        .collect::<Res<Vec<Table>>>()?;
    mem.probe();
    Ok(Table::concat(parts))
}

/// Prints the row-group statistics of the time column as polars sees them.
pub fn stats(path: &Path) -> Res<()> {
    let md = metadata(path)?;
    for rg in 0..md.row_groups.len() {
        let (lo, hi) = minmax(&md, rg, TIME_NS);
        println!("polars rg={rg} rows={} min={lo:?} max={hi:?}", md.row_groups[rg].num_rows());
    }
    Ok(())
}

// ---- correctness: a canonical digest of every cell of every column ----

fn av(h: &mut impl Hasher, v: &AnyValue) {
    match v {
        AnyValue::Null => h.write_u8(0),
        AnyValue::String(s) => text(h, s),
        AnyValue::StringOwned(s) => text(h, s.as_str()),
        AnyValue::Boolean(b) => {
            h.write_u8(4);
            h.write_u8(*b as u8)
        }
        AnyValue::Int8(x) => int(h, *x as i64),
        AnyValue::Int16(x) => int(h, *x as i64),
        AnyValue::Int32(x) => int(h, *x as i64),
        AnyValue::Int64(x) => int(h, *x),
        AnyValue::UInt8(x) => int(h, *x as i64),
        AnyValue::UInt16(x) => int(h, *x as i64),
        AnyValue::UInt32(x) => int(h, *x as i64),
        AnyValue::UInt64(x) => int(h, *x as i64),
        AnyValue::Float32(x) => float(h, *x as f64),
        AnyValue::Float64(x) => float(h, *x),
        AnyValue::Datetime(x, _, _) | AnyValue::DatetimeOwned(x, _, _) => int(h, *x),
        AnyValue::List(s) => {
            h.write_u8(5);
            h.write_usize(s.len());
            if !s.is_empty() {
                for x in s.iter() {
                    av(h, &x);
                }
            }
        }
        AnyValue::Struct(..) => {
            h.write_u8(6);
            for x in v._iter_struct_av() {
                av(h, &x);
            }
        }
        AnyValue::StructOwned(b) => {
            h.write_u8(6);
            for x in &b.0 {
                av(h, x);
            }
        }
        AnyValue::Binary(b) => bin(h, b),
        AnyValue::BinaryOwned(b) => bin(h, b),
        other => panic!("polars check: no digest for {other:?}"),
    }
}

/// Reads every column (or `only`) and prints `name dtype digest` lines.
pub fn check(path: &Path, only: Option<&[String]>) -> Res<()> {
    let mut r = ParquetReader::new(File::open(path)?);
    if let Some(c) = only {
        r = r.with_columns(Some(c.to_vec()));
    }
    let df = r.finish()?;
    println!("polars rows={}", df.height());
    for c in df.columns() {
        let s = c.as_materialized_series().rechunk();
        let mut h = hasher();
        if !s.is_empty() {
            for v in s.iter() {
                av(&mut h, &v);
            }
        }
        println!("{}\t{:016x}\tpolars:{:?}", s.name(), h.finish(), s.dtype());
    }
    Ok(())
}
