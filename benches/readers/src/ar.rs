//! The cases with arrow-rs (`parquet` crate, `arrow` feature).

use std::fs::File;
use std::hash::Hasher;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, RecordBatchReader};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::{
    ArrowPredicateFn, ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    RowFilter,
};
use parquet::arrow::ProjectionMask;
use parquet::file::statistics::Statistics;
use rayon::prelude::*;

use crate::common::*;

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

fn metadata(path: &Path) -> Res<ArrowReaderMetadata> {
    Ok(ArrowReaderMetadata::load(&File::open(path)?, ArrowReaderOptions::new())?)
}

/// The reader metadata for the cases: with `--view`, top-level
/// large_string columns are decoded as Utf8View (no offset/value copy).
fn case_metadata(path: &Path, o: &Opts) -> Res<ArrowReaderMetadata> {
    let md = metadata(path)?;
    if !o.view {
        return Ok(md);
    }
    let fields: Vec<arrow_schema::Field> = md
        .schema()
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::LargeUtf8 | DataType::Utf8 => f.as_ref().clone().with_data_type(DataType::Utf8View),
            _ => f.as_ref().clone(),
        })
        .collect();
    let schema = std::sync::Arc::new(arrow_schema::Schema::new(fields));
    Ok(ArrowReaderMetadata::try_new(
        md.metadata().clone(),
        ArrowReaderOptions::new().with_schema(schema),
    )?)
}

fn raw_rows(batches: &[RecordBatch]) -> Table {
    Table::raw(batches.iter().map(RecordBatch::num_rows).sum())
}

fn builder(path: &Path, md: &ArrowReaderMetadata) -> Res<ParquetRecordBatchReaderBuilder<File>> {
    Ok(ParquetRecordBatchReaderBuilder::new_with_metadata(File::open(path)?, md.clone()))
}

fn mask(md: &ArrowReaderMetadata, names: &[&str]) -> ProjectionMask {
    ProjectionMask::columns(md.parquet_schema(), names.iter().copied())
}

/// One column of a batch as plain Rust values (`Frame::strs` / `ints`).
fn col(a: &ArrayRef) -> Col {
    match a.data_type() {
        DataType::Utf8 => Col::Str(a.as_string::<i32>().iter().map(|v| v.map(str::to_owned)).collect()),
        DataType::LargeUtf8 => {
            Col::Str(a.as_string::<i64>().iter().map(|v| v.map(str::to_owned)).collect())
        }
        DataType::Utf8View => Col::Str(a.as_string_view().iter().map(|v| v.map(str::to_owned)).collect()),
        DataType::Int64 => Col::Int(a.as_primitive::<Int64Type>().iter().collect()),
        DataType::Int32 => Col::Int(a.as_primitive::<Int32Type>().iter().map(|v| v.map(i64::from)).collect()),
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            Col::Int(a.as_primitive::<TimestampMicrosecondType>().iter().collect())
        }
        other => panic!("arrow: no column conversion for {other}"),
    }
}

/// Columns of [`COLS`] of several batches, appended batch by batch (as an
/// arrow-backed `Frame` would do per accessor).
fn batches_to_table(batches: &[RecordBatch]) -> Table {
    let mut cols = Vec::with_capacity(COLS.len());
    for name in COLS {
        let mut c: Option<Col> = None;
        for b in batches {
            let part = col(b.column_by_name(name).expect("projected column"));
            match &mut c {
                None => {
                    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
                    c = Some(match part {
                        Col::Str(mut v) => {
                            v.reserve(rows - v.len());
                            Col::Str(v)
                        }
                        Col::Int(mut v) => {
                            v.reserve(rows - v.len());
                            Col::Int(v)
                        }
                    });
                }
                Some(Col::Str(v)) => match part {
                    Col::Str(p) => v.extend(p),
                    _ => unreachable!(),
                },
                Some(Col::Int(v)) => match part {
                    Col::Int(p) => v.extend(p),
                    _ => unreachable!(),
                },
            }
        }
        cols.push(c.unwrap_or(Col::Str(Vec::new())));
    }
    Table::new(cols)
}

/// Case 1: the whole projected table as record batches, then into vectors.
pub fn whole(path: &Path, o: &Opts, mem: &mut Mem) -> Res<Table> {
    let md = case_metadata(path, o)?;
    let batches = builder(path, &md)?
        .with_projection(mask(&md, COLS))
        .with_batch_size(o.batch)
        .build()?
        .collect::<Result<Vec<_>, _>>()?;
    let t = if o.raw { raw_rows(&batches) } else { batches_to_table(&batches) };
    mem.probe();
    Ok(t)
}

/// Case 2: batch by batch; each batch turned into vectors, summarised, dropped.
pub fn stream(path: &Path, o: &Opts, mem: &mut Mem, sum: &mut Summary) -> Res<()> {
    let md = case_metadata(path, o)?;
    let reader = builder(path, &md)?
        .with_projection(mask(&md, COLS))
        .with_batch_size(o.batch)
        .build()?;
    for b in reader {
        let b = b?;
        if o.raw {
            sum.add_rows(b.num_rows());
            mem.probe();
            continue;
        }
        let t = batches_to_table(&[b]);
        sum.add(&t);
        mem.probe();
    }
    Ok(())
}

fn time_leaf(md: &ArrowReaderMetadata) -> usize {
    md.parquet_schema()
        .columns()
        .iter()
        .position(|c| c.path().string() == TIME_NS)
        .expect("time column")
}

fn minmax(md: &ArrowReaderMetadata, rg: usize, leaf: usize) -> (Option<i64>, Option<i64>) {
    match md.metadata().row_group(rg).column(leaf).statistics() {
        Some(Statistics::Int64(s)) => (s.min_opt().copied(), s.max_opt().copied()),
        _ => (None, None),
    }
}

fn in_window(ns: &arrow_array::Int64Array) -> BooleanArray {
    ns.iter()
        .map(|v| Some(matches!(v, Some(x) if (LO..HI).contains(&x))))
        .collect()
}

/// Case 3: rows in the one-day window: row groups pruned from footer
/// statistics (`with_row_groups`) and/or a `RowFilter` on the time column
/// (late materialisation: other columns decoded only for matching rows).
pub fn filter(path: &Path, o: &Opts, mem: &mut Mem) -> Res<(Table, usize)> {
    let md = case_metadata(path, o)?;
    let leaf = time_leaf(&md);
    let n = md.metadata().num_row_groups();
    let by_stats = o.prune == "stats" || o.prune == "both";
    let by_filter = o.prune == "rowfilter" || o.prune == "both";
    let keep: Vec<usize> = (0..n)
        .filter(|&rg| {
            !by_stats || {
                let (lo, hi) = minmax(&md, rg, leaf);
                overlaps(lo, hi)
            }
        })
        .collect();
    let kept = keep.len();
    let mut b = builder(path, &md)?
        .with_projection(mask(&md, COLS))
        .with_batch_size(o.batch)
        .with_row_groups(keep);
    if by_filter {
        let pred = ArrowPredicateFn::new(mask(&md, &[TIME_NS]), |batch: RecordBatch| {
            Ok(in_window(batch.column(0).as_primitive::<Int64Type>()))
        });
        b = b.with_row_filter(RowFilter::new(vec![Box::new(pred)]));
    }
    let mut out = Table::empty();
    for batch in b.build()? {
        let batch = batch?;
        let batch = if by_filter {
            batch
        } else {
            let keep = in_window(
                batch.column_by_name(TIME_NS).unwrap().as_primitive::<Int64Type>(),
            );
            arrow_select::filter::filter_record_batch(&batch, &keep)?
        };
        out.append(batches_to_table(&[batch]));
        mem.probe();
    }
    Ok((out, kept))
}

/// Case 4: row groups read in parallel by rayon, one reader each, then
/// concatenated in order.
pub fn parallel(path: &Path, o: &Opts, mem: &mut Mem) -> Res<Table> {
    let md = case_metadata(path, o)?;
    let n = md.metadata().num_row_groups();
    let parts = (0..n)
        .into_par_iter()
        .map(|rg| -> Res<Table> {
            let batches = builder(path, &md)?
                .with_projection(mask(&md, COLS))
                .with_batch_size(o.batch)
                .with_row_groups(vec![rg])
                .build()?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if o.raw { raw_rows(&batches) } else { batches_to_table(&batches) })
        })
        .collect::<Res<Vec<Table>>>()?;
    mem.probe();
    Ok(Table::concat(parts))
}

/// Prints the schema and the row-group statistics of the time column.
pub fn info(path: &Path) -> Res<()> {
    let md = metadata(path)?;
    let meta = md.metadata();
    println!(
        "rows={} row_groups={} created_by={:?} column_index={} offset_index={}",
        meta.file_metadata().num_rows(),
        meta.num_row_groups(),
        meta.file_metadata().created_by(),
        meta.row_group(0).columns().iter().any(|c| c.column_index_offset().is_some()),
        meta.row_group(0).columns().iter().any(|c| c.offset_index_offset().is_some()),
    );
    for f in md.schema().fields() {
        println!("  {}: {}", f.name(), f.data_type());
    }
    let leaf = time_leaf(&md);
    for rg in 0..meta.num_row_groups() {
        let (lo, hi) = minmax(&md, rg, leaf);
        let r = meta.row_group(rg);
        println!(
            "arrow rg={rg} rows={} bytes={} compressed={} min={lo:?} max={hi:?} in_window={}",
            r.num_rows(),
            r.total_byte_size(),
            r.compressed_size(),
            overlaps(lo, hi)
        );
    }
    Ok(())
}

// ---- correctness: a canonical digest of every cell of every column ----

fn cell(h: &mut impl Hasher, a: &dyn Array, i: usize) {
    if a.data_type() == &DataType::Null || a.is_null(i) {
        h.write_u8(0);
        return;
    }
    match a.data_type() {
        DataType::Utf8 => text(h, a.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => text(h, a.as_string::<i64>().value(i)),
        DataType::Utf8View => text(h, a.as_string_view().value(i)),
        DataType::Binary => bin(h, a.as_binary::<i32>().value(i)),
        DataType::LargeBinary => bin(h, a.as_binary::<i64>().value(i)),
        DataType::Boolean => {
            h.write_u8(4);
            h.write_u8(a.as_boolean().value(i) as u8)
        }
        DataType::Int8 => int(h, a.as_primitive::<Int8Type>().value(i) as i64),
        DataType::Int16 => int(h, a.as_primitive::<Int16Type>().value(i) as i64),
        DataType::Int32 => int(h, a.as_primitive::<Int32Type>().value(i) as i64),
        DataType::Int64 => int(h, a.as_primitive::<Int64Type>().value(i)),
        DataType::UInt8 => int(h, a.as_primitive::<UInt8Type>().value(i) as i64),
        DataType::UInt16 => int(h, a.as_primitive::<UInt16Type>().value(i) as i64),
        DataType::UInt32 => int(h, a.as_primitive::<UInt32Type>().value(i) as i64),
        DataType::UInt64 => int(h, a.as_primitive::<UInt64Type>().value(i) as i64),
        DataType::Float32 => float(h, a.as_primitive::<Float32Type>().value(i) as f64),
        DataType::Float64 => float(h, a.as_primitive::<Float64Type>().value(i)),
        DataType::Timestamp(TimeUnit::Second, _) => int(h, a.as_primitive::<TimestampSecondType>().value(i)),
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            int(h, a.as_primitive::<TimestampMillisecondType>().value(i))
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            int(h, a.as_primitive::<TimestampMicrosecondType>().value(i))
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            int(h, a.as_primitive::<TimestampNanosecondType>().value(i))
        }
        DataType::List(_) => list(h, &a.as_list::<i32>().value(i)),
        DataType::LargeList(_) => list(h, &a.as_list::<i64>().value(i)),
        DataType::Struct(_) => {
            h.write_u8(6);
            for c in a.as_struct().columns() {
                cell(h, c.as_ref(), i);
            }
        }
        other => panic!("arrow check: no digest for {other}"),
    }
}

fn list(h: &mut impl Hasher, items: &ArrayRef) {
    h.write_u8(5);
    h.write_usize(items.len());
    for j in 0..items.len() {
        cell(h, items.as_ref(), j);
    }
}

/// Reads every column (or `only`) and prints `name digest dtype` lines.
pub fn check(path: &Path, only: Option<&[String]>) -> Res<()> {
    let md = metadata(path)?;
    let mut b = builder(path, &md)?.with_batch_size(8192);
    if let Some(c) = only {
        let names: Vec<&str> = c.iter().map(String::as_str).collect();
        b = b.with_projection(mask(&md, &names));
    }
    let reader = b.build()?;
    let schema = reader.schema();
    let mut hs: Vec<_> = schema.fields().iter().map(|_| hasher()).collect();
    let mut rows = 0;
    for batch in reader {
        let batch = batch?;
        rows += batch.num_rows();
        for (a, h) in batch.columns().iter().zip(&mut hs) {
            for i in 0..a.len() {
                cell(h, a.as_ref(), i);
            }
        }
    }
    println!("arrow rows={rows}");
    for (f, h) in schema.fields().iter().zip(&hs) {
        println!("{}\t{:016x}\tarrow:{}", f.name(), h.finish(), f.data_type());
    }
    Ok(())
}
