//! Reading Parquet tables back: only the columns a step uses, turned into
//! plain Rust vectors so the analysis code never touches Arrow types.
//!
//! [`TableReader`] opens one table for projected reads: the columns asked
//! for (and the exact `_ns` companion of each that is a timestamp), read
//! whole ([`TableReader::read`]) or one row group at a time
//! ([`TableReader::read_row_group`]), so a step can bound its memory by the
//! row group and spread row groups over cores. Row groups can be skipped by
//! the footer's statistics of a timestamp column
//! ([`TableReader::row_groups_overlapping`]). [`Frame`] is what a read
//! returns.
//!
//! The reader is arrow-rs's (the `parquet` crate), chosen by measurement
//! over polars' (`docs/performance.md`, "Stage 2 readers"): even on speed
//! and memory, and the only one of the two whose public API streams by row
//! group and prunes by statistics. It reads any Parquet file, not only
//! entrace's: text may be `string`, `large_string` or `string_view`, lists
//! `list` or `large_list`, integers of any width. Errors name the file and
//! the column, so a table written by another tool (or an older entrace)
//! fails with a message that says what is missing or what type it has.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Int16Type, Int32Type, Int64Type, Int8Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, BooleanArray, RecordBatch, StructArray};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder, RowSelection,
};
use parquet::arrow::ProjectionMask;
use parquet::file::statistics::Statistics;

use crate::column::ns_companion;
use entrace_model::error::{Error, Result};

/// One table opened for projected reads.
pub struct TableReader {
    path: PathBuf,
    metadata: ArrowReaderMetadata,
    /// Root fields read: the columns asked for and their `_ns` companions.
    roots: Vec<usize>,
}

impl TableReader {
    /// Opens `<dir>/<table>.parquet` to read `columns`, and the exact `_ns`
    /// companion of each that is a timestamp. A column the table lacks is an
    /// error naming the file and the column.
    pub fn open(dir: &Path, table: &str, columns: &[&str]) -> Result<TableReader> {
        let path = dir.join(format!("{table}.parquet"));
        let file = File::open(&path).map_err(|e| Error::io(&path, "cannot open table", e))?;
        let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
            .map_err(|e| Error::table(path.display().to_string(), e))?;
        let schema = metadata.schema();
        let mut roots = Vec::with_capacity(columns.len() * 2);
        for c in columns {
            let (i, _) = schema.column_with_name(c).ok_or_else(|| {
                Error::table(
                    format!("{}: column {c}", path.display()),
                    "not in the table",
                )
            })?;
            roots.push(i);
            let exact = ns_companion(c);
            if let Some((i, _)) = schema.column_with_name(&exact) {
                roots.push(i);
            }
        }
        roots.sort_unstable();
        roots.dedup();
        Ok(TableReader {
            path,
            metadata,
            roots,
        })
    }

    /// The table's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Rows in the table.
    pub fn rows(&self) -> usize {
        usize::try_from(self.metadata.metadata().file_metadata().num_rows()).unwrap_or(0)
    }

    /// Row groups in the table.
    pub fn row_group_count(&self) -> usize {
        self.metadata.metadata().num_row_groups()
    }

    /// The position of the first row of each row group, in the table.
    pub fn row_group_starts(&self) -> Vec<u64> {
        let groups = self.metadata.metadata().row_groups();
        groups
            .iter()
            .scan(0u64, |next, g| {
                let start = *next;
                *next += u64::try_from(g.num_rows()).unwrap_or(0);
                Some(start)
            })
            .collect()
    }

    /// The row groups whose `_ns` companion of timestamp column `time` may
    /// hold a value in `[from, to)` (UTC ns), by the footer's statistics. A
    /// row group without statistics, or a table without the column, is kept.
    pub fn row_groups_overlapping(&self, time: &str, from: i64, to: i64) -> Vec<usize> {
        let exact = ns_companion(time);
        let leaf = self
            .metadata
            .parquet_schema()
            .columns()
            .iter()
            .position(|c| c.path().string() == exact);
        (0..self.row_group_count())
            .filter(|&rg| {
                let Some(leaf) = leaf else { return true };
                match self
                    .metadata
                    .metadata()
                    .row_group(rg)
                    .column(leaf)
                    .statistics()
                {
                    Some(Statistics::Int64(s)) => {
                        let below = s.max_opt().is_some_and(|&max| max < from);
                        let above = s.min_opt().is_some_and(|&min| min >= to);
                        !(below || above)
                    }
                    _ => true,
                }
            })
            .collect()
    }

    /// Every row of the projected columns.
    pub fn read(&self) -> Result<Frame> {
        self.read_groups((0..self.row_group_count()).collect())
    }

    /// The rows of row group `group`.
    pub fn read_row_group(&self, group: usize) -> Result<Frame> {
        self.read_groups(vec![group])
    }

    /// The rows whose position `keep` marks, in table order: only they are
    /// decoded (`keep` has one entry per row of the table).
    pub fn read_selected(&self, keep: &[bool]) -> Result<Frame> {
        if keep.len() != self.rows() {
            return Err(Error::table(
                self.path.display().to_string(),
                format!(
                    "a selection of {} rows for a table of {}",
                    keep.len(),
                    self.rows()
                ),
            ));
        }
        let selection = RowSelection::from_filters(&[BooleanArray::from(keep.to_vec())]);
        self.read_with((0..self.row_group_count()).collect(), Some(selection))
    }

    /// The rows of row groups `groups`, in that order.
    pub fn read_groups(&self, groups: Vec<usize>) -> Result<Frame> {
        self.read_with(groups, None)
    }

    fn read_with(&self, groups: Vec<usize>, selection: Option<RowSelection>) -> Result<Frame> {
        let err =
            |e: parquet::errors::ParquetError| Error::table(self.path.display().to_string(), e);
        let file =
            File::open(&self.path).map_err(|e| Error::io(&self.path, "cannot open table", e))?;
        let rows: usize = groups
            .iter()
            .map(|&g| {
                usize::try_from(self.metadata.metadata().row_group(g).num_rows()).unwrap_or(0)
            })
            .sum();
        let mask = ProjectionMask::roots(self.metadata.parquet_schema(), self.roots.clone());
        let mut builder =
            ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.metadata.clone())
                .with_projection(mask)
                .with_row_groups(groups)
                .with_batch_size(rows.max(1));
        if let Some(selection) = selection {
            builder = builder.with_row_selection(selection);
        }
        let reader = builder.build().map_err(err)?;
        let batches = reader
            .collect::<std::result::Result<Vec<RecordBatch>, _>>()
            .map_err(|e| Error::table(self.path.display().to_string(), e))?;
        Ok(Frame {
            rows: batches.iter().map(RecordBatch::num_rows).sum(),
            batches,
            path: self.path.clone(),
        })
    }
}

/// Some columns of some rows of one Parquet table.
pub struct Frame {
    batches: Vec<RecordBatch>,
    rows: usize,
    path: PathBuf,
}

/// One struct item of a `list<struct>` cell: its fields by name (text fields
/// only, in the order asked for) and, for one nested `list<struct>` field, its items.
#[derive(Debug, Clone, Default)]
pub struct Item {
    /// The requested text fields, `None` when null.
    pub fields: Vec<Option<String>>,
    /// Items of the nested list field, if one was asked for.
    pub nested: Vec<Item>,
}

impl Frame {
    /// Reads `columns` of `<dir>/<table>.parquet` whole, and the exact `_ns`
    /// companion of each that is a timestamp (see [`TableReader`]).
    pub fn read(dir: &Path, table: &str, columns: &[&str]) -> Result<Frame> {
        TableReader::open(dir, table, columns)?.read()
    }

    /// The frame of `batches` (all of one schema) that came from `path`.
    pub(crate) fn of_batches(batches: Vec<RecordBatch>, path: PathBuf) -> Frame {
        Frame {
            rows: batches.iter().map(RecordBatch::num_rows).sum(),
            batches,
            path,
        }
    }

    /// The rows as one record batch (the reader gives a row group as one).
    pub(crate) fn batch(&self) -> Result<RecordBatch> {
        match self.batches.as_slice() {
            [one] => Ok(one.clone()),
            _ => {
                let schema = match self.batches.first() {
                    Some(b) => b.schema(),
                    None => {
                        return Ok(RecordBatch::new_empty(std::sync::Arc::new(
                            arrow_schema::Schema::empty(),
                        )))
                    }
                };
                arrow_select::concat::concat_batches(&schema, &self.batches)
                    .map_err(|e| Error::table(self.path.display().to_string(), e))
            }
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the frame has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Whether column `name` was read (is in the projection).
    pub fn holds(&self, name: &str) -> bool {
        !self.batches.is_empty()
            && self
                .batches
                .iter()
                .all(|b| b.column_by_name(name).is_some())
    }

    /// An error about `column` of this table, naming the file.
    pub fn err(&self, column: &str, e: impl std::fmt::Display) -> Error {
        Error::table(format!("{}: column {column}", self.path.display()), e)
    }

    /// Column `name` of every batch.
    fn columns(&self, name: &str) -> Result<Vec<&ArrayRef>> {
        self.batches
            .iter()
            .map(|b| {
                b.column_by_name(name)
                    .ok_or_else(|| self.err(name, "not read (not in the projection)"))
            })
            .collect()
    }

    /// Each batch's column `name` turned into values by `each`, concatenated.
    fn collect<T>(
        &self,
        name: &str,
        mut each: impl FnMut(&dyn Array, &mut Vec<T>) -> std::result::Result<(), String>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::with_capacity(self.rows);
        for a in self.columns(name)? {
            each(a.as_ref(), &mut out).map_err(|e| self.err(name, e))?;
        }
        Ok(out)
    }

    /// A text column.
    pub fn strs(&self, name: &str) -> Result<Vec<Option<String>>> {
        self.collect(name, |a, out| {
            push_texts(a, &mut |v| out.push(v.map(str::to_owned)))
        })
    }

    /// A text column borrowed from the frame, no value copied: for reads
    /// that only look at the text.
    pub fn str_views(&self, name: &str) -> Result<Vec<Option<&str>>> {
        let mut out = Vec::with_capacity(self.rows);
        for a in self.columns(name)? {
            out.extend(texts(a.as_ref()).map_err(|e| self.err(name, e))?);
        }
        Ok(out)
    }

    /// A timestamp column as UTC nanoseconds, exact: read from its `_ns`
    /// companion.
    pub fn times(&self, name: &str) -> Result<Vec<Option<i64>>> {
        self.ints(&ns_companion(name))
    }

    /// An integer or timestamp column as i64 (a timestamp as its stored
    /// count of its unit).
    pub fn ints(&self, name: &str) -> Result<Vec<Option<i64>>> {
        self.collect(name, |a, out| push_ints(a, out))
    }

    /// A float column.
    pub fn floats(&self, name: &str) -> Result<Vec<Option<f64>>> {
        self.collect(name, |a, out| match a.data_type() {
            DataType::Float64 => {
                out.extend(a.as_primitive::<arrow_array::types::Float64Type>().iter());
                Ok(())
            }
            DataType::Float32 => {
                out.extend(
                    a.as_primitive::<arrow_array::types::Float32Type>()
                        .iter()
                        .map(|v| v.map(f64::from)),
                );
                Ok(())
            }
            other => Err(format!("expected a float column, found {other}")),
        })
    }

    /// A boolean column.
    pub fn bools(&self, name: &str) -> Result<Vec<Option<bool>>> {
        self.collect(name, |a, out| match a.as_boolean_opt() {
            Some(b) => {
                out.extend(b.iter());
                Ok(())
            }
            None => Err(format!(
                "expected a boolean column, found {}",
                a.data_type()
            )),
        })
    }

    /// A `list<string>` column; a null list reads as empty, null items are skipped.
    pub fn str_lists(&self, name: &str) -> Result<Vec<Vec<String>>> {
        self.collect(name, |a, out| {
            for_each_list(a, &mut |cell| {
                let mut items = Vec::new();
                if let Some(values) = cell {
                    push_texts(values.as_ref(), &mut |v| {
                        if let Some(v) = v {
                            items.push(v.to_owned());
                        }
                    })?;
                }
                out.push(items);
                Ok(())
            })
        })
    }

    /// A `list<struct>` column: per row, the items with the text `fields` asked
    /// for and, when `nested` is given, the items of that nested `list<struct>`
    /// field with its own text fields.
    pub fn struct_lists(
        &self,
        name: &str,
        fields: &[&str],
        nested: Option<(&str, &[&str])>,
    ) -> Result<Vec<Vec<Item>>> {
        self.collect(name, |a, out| {
            for_each_list(a, &mut |cell| {
                out.push(match cell {
                    Some(values) => items(values.as_ref(), fields, nested)?,
                    None => Vec::new(),
                });
                Ok(())
            })
        })
    }

    /// One timestamp field of a `list<struct>` column, per row and item, as
    /// exact UTC nanoseconds (from the field's `_ns` companion).
    pub fn struct_list_times(&self, name: &str, field: &str) -> Result<Vec<Vec<Option<i64>>>> {
        let exact = ns_companion(field);
        self.collect(name, |a, out| {
            for_each_list(a, &mut |cell| {
                let mut times = Vec::new();
                if let Some(values) = cell {
                    let st = as_struct(values.as_ref())?;
                    push_ints(field_of(st, &exact)?.as_ref(), &mut times)?;
                    // A null item has a null time, whatever its children hold.
                    for (i, t) in times.iter_mut().enumerate() {
                        if st.is_null(i) {
                            *t = None;
                        }
                    }
                }
                out.push(times);
                Ok(())
            })
        })
    }
}

type Step<'a> = &'a mut dyn FnMut(Option<&str>);

/// The values of a text array of any of Arrow's three string layouts,
/// borrowed from it.
fn texts(
    a: &dyn Array,
) -> std::result::Result<Box<dyn Iterator<Item = Option<&str>> + '_>, String> {
    if let Some(s) = a.as_string_opt::<i64>() {
        Ok(Box::new(s.iter()))
    } else if let Some(s) = a.as_string_opt::<i32>() {
        Ok(Box::new(s.iter()))
    } else if let Some(s) = a.as_string_view_opt() {
        Ok(Box::new(s.iter()))
    } else if matches!(a.data_type(), DataType::Null) {
        Ok(Box::new((0..a.len()).map(|_| None)))
    } else {
        Err(format!("expected a text column, found {}", a.data_type()))
    }
}

/// Calls `each` with every value of a text array ([`texts`]).
fn push_texts(a: &dyn Array, each: Step<'_>) -> std::result::Result<(), String> {
    texts(a)?.for_each(each);
    Ok(())
}

/// Appends every value of an integer or timestamp array as i64.
fn push_ints(a: &dyn Array, out: &mut Vec<Option<i64>>) -> std::result::Result<(), String> {
    macro_rules! widen {
        ($t:ty) => {
            out.extend(a.as_primitive::<$t>().iter().map(|v| v.map(i64::from)))
        };
    }
    match a.data_type() {
        DataType::Int64 => out.extend(a.as_primitive::<Int64Type>().iter()),
        DataType::Int32 => widen!(Int32Type),
        DataType::Int16 => widen!(Int16Type),
        DataType::Int8 => widen!(Int8Type),
        DataType::UInt32 => widen!(UInt32Type),
        DataType::UInt16 => widen!(UInt16Type),
        DataType::UInt8 => widen!(UInt8Type),
        DataType::Timestamp(TimeUnit::Second, _) => {
            out.extend(a.as_primitive::<TimestampSecondType>().iter())
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            out.extend(a.as_primitive::<TimestampMillisecondType>().iter())
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            out.extend(a.as_primitive::<TimestampMicrosecondType>().iter())
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            out.extend(a.as_primitive::<TimestampNanosecondType>().iter())
        }
        DataType::Null => out.extend((0..a.len()).map(|_| None)),
        other => return Err(format!("expected an integer column, found {other}")),
    }
    Ok(())
}

/// Calls `each` with every cell of a list array (`list` or `large_list`):
/// the cell's values, or `None` when the cell is null.
fn for_each_list(
    a: &dyn Array,
    each: &mut dyn FnMut(Option<ArrayRef>) -> std::result::Result<(), String>,
) -> std::result::Result<(), String> {
    if let Some(l) = a.as_list_opt::<i64>() {
        for i in 0..l.len() {
            each(l.is_valid(i).then(|| l.value(i)))?;
        }
    } else if let Some(l) = a.as_list_opt::<i32>() {
        for i in 0..l.len() {
            each(l.is_valid(i).then(|| l.value(i)))?;
        }
    } else if matches!(a.data_type(), DataType::Null) {
        for _ in 0..a.len() {
            each(None)?;
        }
    } else {
        return Err(format!("expected a list column, found {}", a.data_type()));
    }
    Ok(())
}

fn as_struct(a: &dyn Array) -> std::result::Result<&StructArray, String> {
    a.as_struct_opt().ok_or_else(|| {
        format!(
            "expected a list of structs, found items of {}",
            a.data_type()
        )
    })
}

fn field_of<'a>(st: &'a StructArray, name: &str) -> std::result::Result<&'a ArrayRef, String> {
    st.column_by_name(name)
        .ok_or_else(|| format!("no struct field {name}"))
}

/// The items of one `list<struct>` cell: the text `fields` of each and, when
/// `nested` is given, the items of that nested `list<struct>` field.
fn items(
    values: &dyn Array,
    fields: &[&str],
    nested: Option<(&str, &[&str])>,
) -> std::result::Result<Vec<Item>, String> {
    let st = as_struct(values)?;
    let mut out: Vec<Item> = (0..st.len())
        .map(|_| Item {
            fields: Vec::with_capacity(fields.len()),
            nested: Vec::new(),
        })
        .collect();
    for f in fields {
        let mut row = 0;
        // A null item has null fields, whatever its children hold.
        push_texts(field_of(st, f)?.as_ref(), &mut |v| {
            let v = v.filter(|_| st.is_valid(row));
            out[row].fields.push(v.map(str::to_owned));
            row += 1;
        })?;
    }
    if let Some((nested_name, nested_fields)) = nested {
        let mut row = 0;
        for_each_list(field_of(st, nested_name)?.as_ref(), &mut |cell| {
            if let Some(inner) = cell.filter(|_| st.is_valid(row)) {
                out[row].nested = items(inner.as_ref(), nested_fields, None)?;
            }
            row += 1;
            Ok(())
        })?;
    }
    Ok(out)
}
