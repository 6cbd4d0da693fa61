//! The one Parquet writer of entrace: every table, of either stage, is
//! written here, so every file has the same portable types.
//!
//! polars' own `ParquetWriter` declares its newest Arrow types in the file's
//! `ARROW:schema` (`string_view`, `large_list<string_view>`), which pyarrow
//! honours and pandas cannot convert, and it keeps nanosecond timestamps,
//! which Spark refuses. This writer declares the portable Arrow form of each
//! column ([`CompatLevel::oldest`]: `large_string`, `large_list`) and refuses,
//! before writing a byte, any type a common reader does not open with its
//! defaults (`portable`). Timestamps arrive here already in microseconds
//! with an exact nanosecond companion (see `column`). The declared
//! types change no value of the data pages (see `TableFile::write`).
//!
//! Pages are encoded and zstd-compressed on every core, one column per task,
//! and written in column order, so a file's bytes do not depend on the number
//! of threads.

use std::path::{Path, PathBuf};

use polars::prelude::{ArrowDataType, CompatLevel, DataFrame, PolarsError, Schema, SchemaExt};
use polars_arrow::datatypes::{ArrowSchema, TimeUnit};
use polars_parquet::write::{
    array_to_columns, compress, fallible_streaming_iterator, get_dtype_encoding, to_parquet_schema,
    CompressedPage, CompressionOptions, DynIter, DynStreamingIterator, Encoding, FileWriter,
    ParquetType, StatisticsOptions, Version, WriteOptions, ZstdLevel,
};
use rayon::prelude::*;

use super::HashingSink;
use entrace_model::error::{Error, Result};

/// Rows per row group when a whole table is written at once.
pub(crate) const ROW_GROUP_ROWS: usize = 256 * 1024;

/// How every table is compressed: zstd level 1. Against polars' default
/// (level 3) it cut the 1 GB benchmark conversion by about 7 % and gave a
/// slightly smaller sign-ins table (175 MB against 179 MB), whose pages
/// are small enough that the stronger levels find little more.
fn compression() -> CompressionOptions {
    CompressionOptions::Zstd(ZstdLevel::try_new(1).ok())
}

fn options() -> WriteOptions {
    WriteOptions {
        statistics: StatisticsOptions::default(),
        version: Version::V1,
        compression: compression(),
        data_page_size: None,
    }
}

/// Whether a column of this Arrow type opens with the defaults of pandas,
/// pyarrow, polars, DuckDB and Spark; otherwise, what is wrong with it.
pub(crate) fn portable(dtype: &ArrowDataType) -> std::result::Result<(), String> {
    match dtype {
        ArrowDataType::Utf8View | ArrowDataType::BinaryView => Err(format!(
            "{dtype:?} is a view type, which pandas cannot convert"
        )),
        ArrowDataType::Timestamp(unit, zone) => match (unit, zone.as_deref()) {
            (TimeUnit::Microsecond, Some("UTC")) => Ok(()),
            _ => Err(format!(
                "{dtype:?}: timestamps must be microseconds, UTC (Spark rejects nanoseconds)"
            )),
        },
        ArrowDataType::UInt8
        | ArrowDataType::UInt16
        | ArrowDataType::UInt32
        | ArrowDataType::UInt64
        | ArrowDataType::Float16 => Err(format!("{dtype:?} is not read by Spark")),
        ArrowDataType::List(f) | ArrowDataType::LargeList(f) => portable(f.dtype()),
        ArrowDataType::Struct(fields) => fields
            .iter()
            .try_for_each(|f| portable(f.dtype()).map_err(|e| format!("field {}: {e}", f.name))),
        _ => Ok(()),
    }
}

/// The Arrow schema a table is declared with in its file, checked portable.
fn declared_schema(schema: &Schema, path: &Path) -> Result<ArrowSchema> {
    let arrow = schema.to_arrow(CompatLevel::oldest());
    for (name, field) in arrow.iter() {
        portable(field.dtype())
            .map_err(|why| Error::Internal(format!("{}: column {name}: {why}", path.display())))?;
    }
    Ok(arrow)
}

/// One Parquet file being written, row group by row group, hashed as it
/// is written.
pub(crate) struct TableFile {
    path: PathBuf,
    sink: HashingSink,
    writer: FileWriter<HashingSink>,
    leaves: Vec<ParquetType>,
    encodings: Vec<Vec<Encoding>>,
}

impl TableFile {
    /// Creates (or truncates) `path` for a table of `schema`.
    pub(crate) fn create(path: &Path, schema: &Schema) -> Result<Self> {
        let arrow = declared_schema(schema, path)?;
        let err = |e: PolarsError| Error::table(path.display().to_string(), e);
        let parquet = to_parquet_schema(&arrow).map_err(err)?;
        let leaves = parquet.fields().to_vec();
        let encodings = arrow
            .iter_values()
            .map(|f| get_dtype_encoding(f.dtype()))
            .collect();
        let sink = HashingSink::create(path)?;
        let writer = FileWriter::new_with_parquet_schema(sink.clone(), arrow, parquet, options());
        Ok(TableFile {
            path: path.to_path_buf(),
            sink,
            writer,
            leaves,
            encodings,
        })
    }

    fn err(&self, e: PolarsError) -> Error {
        Error::table(self.path.display().to_string(), e)
    }

    /// Appends `df` (of the schema the file was created with) as one row
    /// group per chunk; encodes and compresses its columns in parallel on
    /// the current rayon pool.
    ///
    /// The pages are encoded from polars' own arrays (text as views), not
    /// from copies in the declared types: the Parquet schema and every value
    /// are the same (a test checks it; only where a large column's pages
    /// are split can differ), and no string of the batch is copied first,
    /// which cost 20 % more memory and 4 % more time on 1 GB of sign-ins.
    pub(crate) fn write(&mut self, df: DataFrame) -> Result<()> {
        self.write_arrays_of(df, CompatLevel::newest())
    }

    fn write_arrays_of(&mut self, mut df: DataFrame, arrays: CompatLevel) -> Result<()> {
        // One chunk per column, in place: a copy would double the batch.
        df.rechunk_mut_par();
        for batch in df.iter_chunks(arrays, false) {
            if batch.is_empty() {
                continue;
            }
            let rows = batch.len() as u64;
            let columns: Vec<Vec<Vec<CompressedPage>>> = batch
                .columns()
                .par_iter()
                .zip(&self.leaves)
                .zip(&self.encodings)
                .map(|((array, leaf), encoding)| encode_column(array.as_ref(), leaf, encoding))
                .collect::<std::result::Result<_, PolarsError>>()
                .map_err(|e| self.err(e))?;
            let group = DynIter::new(columns.iter().flatten().map(|pages| {
                Ok(DynStreamingIterator::new(
                    fallible_streaming_iterator::convert(pages.iter().map(Ok)),
                ))
            }));
            self.writer
                .write(rows, group)
                .map_err(|e| Error::table(self.path.display().to_string(), e))?;
        }
        Ok(())
    }

    /// Writes the footer (with the declared Arrow schema) and returns the
    /// file's SHA-256.
    pub(crate) fn finish(mut self) -> Result<String> {
        self.writer.end(None).map_err(|e| self.err(e))?;
        drop(self.writer);
        self.sink.finish()
    }
}

/// The compressed pages of every leaf of one column.
fn encode_column(
    array: &dyn polars_arrow::array::Array,
    leaf: &ParquetType,
    encoding: &[Encoding],
) -> std::result::Result<Vec<Vec<CompressedPage>>, PolarsError> {
    let options = options();
    array_to_columns(array, leaf.clone(), options, encoding)?
        .into_iter()
        .map(|pages| {
            pages
                .map(|page| Ok(compress(page?, Vec::new(), options.compression)?))
                .collect()
        })
        .collect()
}

/// Writes `rows` to `path` as the table `frame` builds, one row group of
/// [`ROW_GROUP_ROWS`] rows at a time (the row groups [`write_table`] makes
/// of the whole frame), and returns the file's SHA-256.
pub(crate) fn write_rows<T>(
    path: &Path,
    rows: &[T],
    frame: impl Fn(&[T]) -> Result<crate::frame::Table>,
) -> Result<String> {
    write_rows_in(path, rows, frame, ROW_GROUP_ROWS)
}

/// [`write_rows`] with row groups of `group` rows.
pub(crate) fn write_rows_in<T>(
    path: &Path,
    rows: &[T],
    frame: impl Fn(&[T]) -> Result<crate::frame::Table>,
    group: usize,
) -> Result<String> {
    if rows.is_empty() {
        return write_table_in(path, &frame(rows)?.0, group);
    }
    let mut file: Option<TableFile> = None;
    for chunk in rows.chunks(group) {
        let df = frame(chunk)?.0;
        let out = match &mut file {
            Some(file) => file,
            None => file.insert(TableFile::create(path, df.schema())?),
        };
        out.write(df)?;
    }
    match file {
        Some(file) => file.finish(),
        None => write_table_in(path, &frame(rows)?.0, group),
    }
}

/// A table written from rows that arrive in parts (stage 2 writes the
/// timeline bucket by bucket): rows are buffered up to one row group, so
/// the file is the one a whole write (`write_rows`) makes of all the rows at once.
pub struct RowsWriter<T> {
    path: PathBuf,
    frame: fn(&[T]) -> Result<crate::frame::Table>,
    group: usize,
    pending: Vec<T>,
    file: Option<TableFile>,
    rows: usize,
}

impl<T> RowsWriter<T> {
    /// A writer of `path` for the table `frame` builds, with row groups of
    /// [`ROW_GROUP_ROWS`] rows. Nothing is created before the first group.
    pub(crate) fn new(path: &Path, frame: fn(&[T]) -> Result<crate::frame::Table>) -> Self {
        Self::with_group(path, frame, ROW_GROUP_ROWS)
    }

    /// [`RowsWriter::new`] with row groups of `group` rows.
    pub(crate) fn with_group(
        path: &Path,
        frame: fn(&[T]) -> Result<crate::frame::Table>,
        group: usize,
    ) -> Self {
        RowsWriter {
            path: path.to_path_buf(),
            frame,
            group,
            pending: Vec::new(),
            file: None,
            rows: 0,
        }
    }

    /// Appends `rows` after those written before; every full row group is
    /// written out.
    pub fn write(&mut self, rows: impl IntoIterator<Item = T>) -> Result<()> {
        for row in rows {
            self.pending.push(row);
            if self.pending.len() == self.group {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Rows appended so far.
    pub fn rows(&self) -> usize {
        self.rows + self.pending.len()
    }

    fn flush(&mut self) -> Result<()> {
        let df = (self.frame)(&self.pending)?.0;
        let file = match &mut self.file {
            Some(file) => file,
            None => self
                .file
                .insert(TableFile::create(&self.path, df.schema())?),
        };
        file.write(df)?;
        self.rows += self.pending.len();
        self.pending.clear();
        Ok(())
    }

    /// Writes the last row group and the footer; returns the file's SHA-256.
    pub fn finish(mut self) -> Result<String> {
        let Some(mut file) = self.file.take() else {
            // Fewer rows than one group (or none): the whole table at once.
            return write_table_in(&self.path, &(self.frame)(&self.pending)?.0, self.group);
        };
        if !self.pending.is_empty() {
            file.write((self.frame)(&self.pending)?.0)?;
        }
        file.finish()
    }
}

/// Writes a whole table to `path` and returns the file's SHA-256.
pub(crate) fn write_table(path: &Path, df: &DataFrame) -> Result<String> {
    write_table_in(path, df, ROW_GROUP_ROWS)
}

/// [`write_table`] with row groups of `group` rows.
pub(crate) fn write_table_in(path: &Path, df: &DataFrame, group: usize) -> Result<String> {
    let mut file = TableFile::create(path, df.schema())?;
    let height = df.height();
    let mut start = 0;
    while start < height {
        let len = group.min(height - start);
        file.write(df.slice(start as i64, len))?;
        start += len;
    }
    file.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{DataType, Field, SerReader, TimeUnit as PlTimeUnit, TimeZone};

    #[test]
    fn pages_from_views_hold_the_values_of_the_declared_types() {
        let dir = tempfile::tempdir().unwrap();
        // Sign-ins with text, lists of text, lists of structs with
        // timestamps, nulls and the raw text.
        let kind = entrace_model::EntityKind::SignIn;
        let mut chunk = crate::chunk::TableChunk::new(kind, true);
        for (i, record) in entrace_input::parse::sample_sign_ins().iter().enumerate() {
            let raw = record.to_string();
            let mut bytes = raw.clone().into_bytes();
            let tape = simd_json::to_tape(&mut bytes).unwrap();
            chunk.push(
                tape.as_value(),
                &raw,
                (i as u64 * 100, i as u64 + 1),
                Some("beta"),
            );
        }
        let df = chunk.finish(3).unwrap();
        assert!(df.height() > 10);
        let write = |name: &str, arrays: CompatLevel| {
            let path = dir.path().join(name);
            let mut file = TableFile::create(&path, df.schema()).unwrap();
            file.write_arrays_of(df.clone(), arrays).unwrap();
            file.finish().unwrap();
            path
        };
        let views = write("views.parquet", CompatLevel::newest());
        let declared = write("declared.parquet", CompatLevel::oldest());
        // Small pages: the very same bytes.
        assert!(std::fs::read(&views).unwrap() == std::fs::read(&declared).unwrap());
        let read = |p: &Path| {
            polars::prelude::ParquetReader::new(std::fs::File::open(p).unwrap())
                .finish()
                .unwrap()
        };
        assert!(read(&views).equals_missing(&df));
    }

    #[test]
    fn only_portable_types_are_declared() {
        let ok = Schema::from_iter([
            Field::new("s".into(), DataType::String),
            Field::new("l".into(), DataType::List(Box::new(DataType::String))),
            Field::new(
                "t".into(),
                DataType::Datetime(PlTimeUnit::Microseconds, Some(TimeZone::UTC)),
            ),
        ]);
        let arrow = declared_schema(&ok, Path::new("x.parquet")).unwrap();
        let types: Vec<String> = arrow
            .iter_values()
            .map(|f| format!("{:?}", f.dtype()))
            .collect();
        assert_eq!(types[0], "LargeUtf8");
        assert!(types[1].contains("LargeList") && types[1].contains("LargeUtf8"));
        assert!(types[2].contains("Microsecond"));
        let ns = Schema::from_iter([Field::new(
            "t".into(),
            DataType::Datetime(PlTimeUnit::Nanoseconds, Some(TimeZone::UTC)),
        )]);
        let err = declared_schema(&ns, Path::new("x.parquet"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("x.parquet: column t:"), "{err}");
        assert!(err.contains("Spark rejects nanoseconds"), "{err}");
    }
}
