//! Tables entrace computes, declared once. A table is a row struct whose
//! fields are its columns, in file order, each with a codec (how it is
//! written and read) and a description; [`declare_table!`] generates from
//! that one declaration the column list `entrace schema` prints, the writer
//! (rows → DataFrame) and the reader (Parquet → rows), so the three cannot
//! disagree and a column cannot be added to one and not the others.
//!
//! Codecs are marker types: [`Text`], [`Int32`], [`Int64`], [`Bool`],
//! [`Time`] (written as the timestamp pair of [`super::column`]), [`TextList`]
//! and [`Label`] (a closed set written as its name, [`OptionalLabel`] when
//! it may be null). The other codecs write a field and its `Option` alike;
//! which one is read back follows from the row's type. Labels need two
//! codecs because [`Labelled`] is the model's trait, so the compiler cannot
//! rule out an `Option` that is `Labelled` itself.

use polars_arrow::array::{MutableBooleanArray, MutablePrimitiveArray};

use super::column::{Column, TIMESTAMP_TYPE};
use super::read::Frame;
use entrace_model::error::{Error, Result};

/// What a codec writes, whatever the field's Rust type.
pub(crate) trait CodecType {
    /// The column's type, as `entrace schema` prints it.
    const TYPE: &'static str;
    /// An empty column builder.
    fn column() -> Column;
}

/// How a codec writes and reads a field of type `T`.
pub(crate) trait Codec<T>: CodecType {
    /// Appends `value` as one row.
    fn push(value: &T, column: &mut Column);
    /// Every row's value of column `name` of `frame`.
    fn read(frame: &Frame, name: &str) -> Result<Vec<T>>;
}

pub(crate) use entrace_model::Labelled;

fn missing(frame: &Frame, name: &str) -> Error {
    frame.err(name, "a null in a column that is never null")
}

fn required<T>(frame: &Frame, name: &str, values: Vec<Option<T>>) -> Result<Vec<T>> {
    values
        .into_iter()
        .map(|v| v.ok_or_else(|| missing(frame, name)))
        .collect()
}

/// UTF-8 text.
pub(crate) struct Text;

impl CodecType for Text {
    const TYPE: &'static str = "string";
    fn column() -> Column {
        Column::str()
    }
}

impl Codec<Option<String>> for Text {
    fn push(value: &Option<String>, column: &mut Column) {
        if let Column::Str(a) = column {
            a.push(value.as_deref());
        }
    }
    fn read(frame: &Frame, name: &str) -> Result<Vec<Option<String>>> {
        frame.strs(name)
    }
}

impl Codec<String> for Text {
    fn push(value: &String, column: &mut Column) {
        if let Column::Str(a) = column {
            a.push(Some(value.as_str()));
        }
    }
    fn read(frame: &Frame, name: &str) -> Result<Vec<String>> {
        required(frame, name, frame.strs(name)?)
    }
}

/// 32-bit integers.
pub(crate) struct Int32;

impl CodecType for Int32 {
    const TYPE: &'static str = "int32";
    fn column() -> Column {
        Column::I32(MutablePrimitiveArray::new())
    }
}

impl Codec<Option<i32>> for Int32 {
    fn push(value: &Option<i32>, column: &mut Column) {
        if let Column::I32(a) = column {
            a.push(*value);
        }
    }
    fn read(frame: &Frame, name: &str) -> Result<Vec<Option<i32>>> {
        frame
            .ints(name)?
            .into_iter()
            .map(|v| {
                v.map(|n| i32::try_from(n).map_err(|_| frame.err(name, "not a 32-bit integer")))
                    .transpose()
            })
            .collect()
    }
}

/// 64-bit integers (counts are written as int64 whatever their Rust type).
pub(crate) struct Int64;

impl CodecType for Int64 {
    const TYPE: &'static str = "int64";
    fn column() -> Column {
        Column::I64(MutablePrimitiveArray::new())
    }
}

impl Codec<u64> for Int64 {
    fn push(value: &u64, column: &mut Column) {
        if let Column::I64(a) = column {
            a.push(Some(i64::try_from(*value).unwrap_or(i64::MAX)));
        }
    }
    fn read(frame: &Frame, name: &str) -> Result<Vec<u64>> {
        required(frame, name, frame.ints(name)?)?
            .into_iter()
            .map(|n| u64::try_from(n).map_err(|_| frame.err(name, "a negative count")))
            .collect()
    }
}

/// Booleans.
pub(crate) struct Bool;

impl CodecType for Bool {
    const TYPE: &'static str = "bool";
    fn column() -> Column {
        Column::Bool(MutableBooleanArray::new())
    }
}

impl Codec<bool> for Bool {
    fn push(value: &bool, column: &mut Column) {
        if let Column::Bool(a) = column {
            a.push(Some(*value));
        }
    }
    fn read(frame: &Frame, name: &str) -> Result<Vec<bool>> {
        required(frame, name, frame.bools(name)?)
    }
}

/// Instants in UTC nanoseconds, written as a timestamp and its exact `_ns`
/// companion, read back from the companion.
pub(crate) struct Time;

impl CodecType for Time {
    const TYPE: &'static str = TIMESTAMP_TYPE;
    fn column() -> Column {
        Column::time()
    }
}

impl Codec<Option<i64>> for Time {
    fn push(value: &Option<i64>, column: &mut Column) {
        if let Column::Time(a) = column {
            a.push(*value);
        }
    }
    fn read(frame: &Frame, name: &str) -> Result<Vec<Option<i64>>> {
        frame.times(name)
    }
}

impl Codec<i64> for Time {
    fn push(value: &i64, column: &mut Column) {
        <Time as Codec<Option<i64>>>::push(&Some(*value), column)
    }
    fn read(frame: &Frame, name: &str) -> Result<Vec<i64>> {
        required(frame, name, frame.times(name)?)
    }
}

/// Lists of text (a row's list is never null; it may be empty).
pub(crate) struct TextList;

impl CodecType for TextList {
    const TYPE: &'static str = "list<string>";
    fn column() -> Column {
        Column::list(Column::str())
    }
}

impl Codec<Vec<String>> for TextList {
    fn push(value: &Vec<String>, column: &mut Column) {
        if let Column::List(list) = column {
            if let Column::Str(out) = &mut list.child {
                for item in value {
                    out.push(Some(item.as_str()));
                }
            }
            list.close();
        }
    }
    fn read(frame: &Frame, name: &str) -> Result<Vec<Vec<String>>> {
        frame.str_lists(name)
    }
}

/// A closed set written as its name ([`Labelled`]).
pub(crate) struct Label;

impl CodecType for Label {
    const TYPE: &'static str = "string";
    fn column() -> Column {
        Column::str()
    }
}

fn parse_label<T: Labelled>(frame: &Frame, name: &str, text: &str) -> Result<T> {
    T::ALL
        .iter()
        .copied()
        .find(|v| v.label() == text)
        .ok_or_else(|| frame.err(name, format!("unknown value {text:?}")))
}

/// A closed set written as its name, or null ([`Labelled`]).
pub(crate) struct OptionalLabel;

impl CodecType for OptionalLabel {
    const TYPE: &'static str = "string";
    fn column() -> Column {
        Column::str()
    }
}

impl<T: Labelled> Codec<Option<T>> for OptionalLabel {
    fn push(value: &Option<T>, column: &mut Column) {
        if let Column::Str(a) = column {
            a.push(value.map(T::label));
        }
    }
    fn read(frame: &Frame, name: &str) -> Result<Vec<Option<T>>> {
        frame
            .strs(name)?
            .into_iter()
            .map(|v| v.map(|t| parse_label(frame, name, &t)).transpose())
            .collect()
    }
}

impl<T: Labelled> Codec<T> for Label {
    fn push(value: &T, column: &mut Column) {
        <OptionalLabel as Codec<Option<T>>>::push(&Some(*value), column)
    }
    fn read(frame: &Frame, name: &str) -> Result<Vec<T>> {
        let labels = <OptionalLabel as Codec<Option<T>>>::read(frame, name)?;
        required(frame, name, labels)
    }
}

/// Declares a table entrace computes: `declare_table! { /// doc
/// pub Timeline: TimelineRow, "timeline" { field: Codec => "what it holds", … } }`
/// makes the unit struct `Timeline` with `TABLE` (the file's stem),
/// `FILE`, `COLUMNS` (name, type, description, in file order),
/// `frame(&[TimelineRow])` and `read(dir) -> Vec<TimelineRow>`. Every field
/// of the row struct must be listed, in the order the file has them.
macro_rules! declare_table {
    (
        $(#[$meta:meta])*
        $vis:vis $name:ident: $row:ident, $table:literal {
            $($field:ident: $codec:ty => $doc:literal),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name;

        impl $name {
            /// The table's name (its file is `<name>.parquet`).
            pub const TABLE: &'static str = $table;
            /// Its file name inside the output directory.
            pub const FILE: &'static str = concat!($table, ".parquet");
            /// (name, type, description) of every column, in file order.
            pub const COLUMNS: &'static [(&'static str, &'static str, &'static str)] = &[
                $((
                    stringify!($field),
                    <$codec as $crate::declare::CodecType>::TYPE,
                    $doc,
                )),*
            ];

            /// `rows` as the table, ready to write.
            pub fn frame(rows: &[$row]) -> entrace_model::error::Result<$crate::frame::Table> {
                use $crate::declare::{Codec, CodecType};
                let mut __b = $crate::frame::FrameBuilder::new($table, rows.len());
                $(
                    let mut __c = <$codec as CodecType>::column();
                    for __r in rows {
                        <$codec as Codec<_>>::push(&__r.$field, &mut __c);
                    }
                    __b = __b.built(stringify!($field), __c)?;
                )*
                __b.finish()
            }

            /// Writes `rows` to `path` as this table, building one row
            /// group's columns at a time (so only they sit beside the rows),
            /// and returns the file's SHA-256. The same file as writing
            /// [`Self::frame`] of all the rows.
            pub fn write(path: &std::path::Path, rows: &[$row]) -> entrace_model::error::Result<String> {
                $crate::output::parquet::write_rows(path, rows, Self::frame)
            }

            /// A writer of this table at `path` for rows that arrive in
            /// parts; [`RowsWriter::finish`](crate::output::parquet::RowsWriter::finish)
            /// gives the file [`Self::write`] makes of all the rows at once.
            pub fn writer(path: &std::path::Path) -> $crate::output::parquet::RowsWriter<$row> {
                $crate::output::parquet::RowsWriter::new(path, Self::frame)
            }

            /// The table's rows, read back from `dir`.
            pub fn read(dir: &std::path::Path) -> entrace_model::error::Result<Vec<$row>> {
                Self::rows(&$crate::read::Frame::read(dir, $table, &[$(stringify!($field)),*])?)
            }

            /// The rows whose position `keep` marks, read back from `dir`
            /// (one entry per row of the table): only they are decoded.
            pub fn read_selected(dir: &std::path::Path, keep: &[bool]) -> entrace_model::error::Result<Vec<$row>> {
                let __r = $crate::read::TableReader::open(dir, $table, &[$(stringify!($field)),*])?;
                Self::rows(&__r.read_selected(keep)?)
            }

            fn rows(__f: &$crate::read::Frame) -> entrace_model::error::Result<Vec<$row>> {
                use $crate::declare::Codec;
                $(
                    let mut $field = <$codec as Codec<_>>::read(__f, stringify!($field))?.into_iter();
                )*
                let mut __rows = Vec::with_capacity(__f.len());
                for _ in 0..__f.len() {
                    __rows.push($row {
                        $($field: $field.next().ok_or_else(|| __f.err(stringify!($field), "short column"))?),*
                    });
                }
                Ok(__rows)
            }
        }
    };
}

pub(crate) use declare_table;
