//! Typed column builders that fill Arrow arrays directly, one value at a time.
//!
//! A [`Column`] mirrors one Parquet column: leaves for scalars, `List` and
//! `Struct` for Graph collections and complex types inside them. Every push
//! appends exactly one row, so all columns of a table stay the same length.
//!
//! The one exception is a timestamp, which becomes two columns (or two
//! struct fields) side by side: `<name>`, `timestamp[us, UTC]`, the type every
//! Parquet reader opens with its defaults (Spark refuses nanoseconds), and
//! `<name>_ns`, int64 nanoseconds since the epoch, UTC, exact to Graph's
//! 100 ns. Ordering and dedup use the exact one. The pair is made here and
//! nowhere else.
//!
//! Not here: how JSON maps onto columns (that is `fill`).

use polars::prelude::{IntoColumn, PlSmallStr, Series};
use polars_arrow::array::{
    Array, ListArray, MutableArray, MutableBinaryViewArray, MutableBooleanArray,
    MutablePrimitiveArray, PrimitiveArray, StructArray,
};
use polars_arrow::bitmap::MutableBitmap;
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField, TimeUnit};
use polars_arrow::offset::OffsetsBuffer;

/// The Arrow type of every timestamp column: microseconds, UTC.
pub(crate) fn timestamp_dtype() -> ArrowDataType {
    ArrowDataType::Timestamp(TimeUnit::Microsecond, Some(PlSmallStr::from_static("UTC")))
}

/// Suffix of the exact companion of every timestamp column.
pub const NS_SUFFIX: &str = "_ns";

/// Type of a timestamp column, as `entrace schema` prints it.
pub const TIMESTAMP_TYPE: &str = "timestamp[us, UTC]";

/// Type of a timestamp's companion, as `entrace schema` prints it.
pub const NS_TYPE: &str = "int64";

/// Description of a timestamp's companion, as `entrace schema` prints it.
pub const NS_DOC: &str =
    "The same instant, exact: nanoseconds since 1970-01-01T00:00:00Z (the timestamp column is truncated to microseconds)";

/// Name of the exact companion of timestamp column `name`.
pub fn ns_companion(name: &str) -> String {
    format!("{name}{NS_SUFFIX}")
}

/// Microseconds of an instant in nanoseconds, truncated towards the past, so
/// the stored timestamp is never later than the event.
pub(crate) fn micros(ns: i64) -> i64 {
    ns.div_euclid(1000)
}

/// One column under construction.
pub(crate) enum Column {
    /// UTF-8 text.
    Str(MutableBinaryViewArray<str>),
    /// 32-bit integers.
    I32(MutablePrimitiveArray<i32>),
    /// 64-bit integers.
    I64(MutablePrimitiveArray<i64>),
    /// 64-bit floats.
    F64(MutablePrimitiveArray<f64>),
    /// Booleans.
    Bool(MutableBooleanArray),
    /// UTC timestamps, pushed in nanoseconds; written as a pair (see the
    /// module doc).
    Time(MutablePrimitiveArray<i64>),
    /// A list of values of the child column.
    List(Box<ListColumn>),
    /// A struct of named child columns.
    Struct(StructColumn),
}

/// Offsets, validity and child of a list column.
pub(crate) struct ListColumn {
    offsets: Vec<i64>,
    validity: MutableBitmap,
    /// Element values; push one element per list item, then call `close`.
    pub(crate) child: Column,
}

/// Named children and validity of a struct column.
pub(crate) struct StructColumn {
    /// Child columns with their names.
    pub(crate) fields: Vec<(String, Column)>,
    validity: MutableBitmap,
}

impl Column {
    /// An empty text column.
    pub(crate) fn str() -> Self {
        Column::Str(MutableBinaryViewArray::new())
    }

    /// An empty timestamp column (push UTC nanoseconds).
    pub(crate) fn time() -> Self {
        Column::Time(MutablePrimitiveArray::new())
    }

    /// An empty list column around `child` (not a timestamp: a list has one
    /// child, and a timestamp is two columns).
    pub(crate) fn list(child: Column) -> Self {
        debug_assert!(
            !matches!(child, Column::Time(_)),
            "list<timestamp> is not declared"
        );
        Column::List(Box::new(ListColumn {
            offsets: vec![0],
            validity: MutableBitmap::new(),
            child,
        }))
    }

    /// An empty struct column with these children.
    pub(crate) fn structure(fields: Vec<(String, Column)>) -> Self {
        Column::Struct(StructColumn {
            fields,
            validity: MutableBitmap::new(),
        })
    }

    /// Number of rows pushed so far.
    pub(crate) fn len(&self) -> usize {
        match self {
            Column::Str(a) => a.len(),
            Column::I32(a) => a.len(),
            Column::I64(a) | Column::Time(a) => a.len(),
            Column::F64(a) => a.len(),
            Column::Bool(a) => a.len(),
            Column::List(l) => l.offsets.len() - 1,
            Column::Struct(s) => s.validity.len(),
        }
    }

    /// Appends a null row (for a struct: null in every child too).
    pub(crate) fn push_null(&mut self) {
        match self {
            Column::Str(a) => a.push_null(),
            Column::I32(a) => a.push_null(),
            Column::I64(a) | Column::Time(a) => a.push_null(),
            Column::F64(a) => a.push_null(),
            Column::Bool(a) => a.push_null(),
            Column::List(l) => {
                let last = l.offsets.last().copied().unwrap_or(0);
                l.offsets.push(last);
                l.validity.push(false);
            }
            Column::Struct(s) => s.push_null(),
        }
    }

    /// Arrow type of the finished array (of the first array, for a timestamp).
    fn dtype(&self) -> ArrowDataType {
        match self {
            Column::Str(_) => ArrowDataType::Utf8View,
            Column::I32(_) => ArrowDataType::Int32,
            Column::I64(_) => ArrowDataType::Int64,
            Column::F64(_) => ArrowDataType::Float64,
            Column::Bool(_) => ArrowDataType::Boolean,
            Column::Time(_) => timestamp_dtype(),
            Column::List(l) => ArrowDataType::LargeList(Box::new(ArrowField::new(
                PlSmallStr::from_static("item"),
                l.child.dtype(),
                true,
            ))),
            Column::Struct(s) => ArrowDataType::Struct(
                s.fields
                    .iter()
                    .flat_map(|(n, c)| c.arrow_fields(n))
                    .collect(),
            ),
        }
    }

    /// The Arrow fields this builder becomes under `name`: one, or the
    /// timestamp pair.
    fn arrow_fields(&self, name: &str) -> Vec<ArrowField> {
        let field = |n: &str, dtype| ArrowField::new(PlSmallStr::from(n), dtype, true);
        match self {
            Column::Time(_) => vec![
                field(name, timestamp_dtype()),
                field(&ns_companion(name), ArrowDataType::Int64),
            ],
            _ => vec![field(name, self.dtype())],
        }
    }

    /// Turns the builder into its named Arrow arrays: one, or the timestamp
    /// pair.
    fn finish_named(self, name: &str) -> Vec<(PlSmallStr, Box<dyn Array>)> {
        match self {
            Column::Time(a) => {
                let ns = a.freeze();
                let us = micros_array(&ns);
                vec![
                    (PlSmallStr::from(name), us.boxed()),
                    (PlSmallStr::from(ns_companion(name)), ns.boxed()),
                ]
            }
            other => vec![(PlSmallStr::from(name), other.finish())],
        }
    }

    /// Turns the builder into an immutable Arrow array (a timestamp into its
    /// first array only: use [`Self::finish_named`]).
    fn finish(self) -> Box<dyn Array> {
        let dtype = self.dtype();
        match self {
            Column::Str(a) => a.freeze().boxed(),
            Column::I32(a) => a.freeze().boxed(),
            Column::I64(a) => a.freeze().boxed(),
            Column::F64(a) => a.freeze().boxed(),
            Column::Bool(a) => a.freeze().boxed(),
            Column::Time(a) => micros_array(&a.freeze()).boxed(),
            Column::List(l) => {
                let ListColumn {
                    offsets,
                    validity,
                    child,
                } = *l;
                // Offsets start at 0 and only grow: pushes never decrease them.
                let offsets = OffsetsBuffer::try_from(offsets).unwrap_or_default();
                ListArray::<i64>::new(dtype, offsets, child.finish(), validity.into()).boxed()
            }
            Column::Struct(s) => {
                let len = s.validity.len();
                let values = s
                    .fields
                    .into_iter()
                    .flat_map(|(n, c)| c.finish_named(&n))
                    .map(|(_, a)| a)
                    .collect();
                StructArray::new(dtype, len, values, s.validity.into()).boxed()
            }
        }
    }

    /// Finishes the column as named polars columns: one, or a timestamp and
    /// its `_ns` companion.
    pub(crate) fn into_columns(
        self,
        name: &str,
    ) -> polars::prelude::PolarsResult<Vec<polars::prelude::Column>> {
        self.finish_named(name)
            .into_iter()
            .map(|(n, a)| Ok(Series::from_arrow(n, a)?.into_column()))
            .collect()
    }
}

/// The microsecond timestamps of UTC nanoseconds `ns`.
fn micros_array(ns: &PrimitiveArray<i64>) -> PrimitiveArray<i64> {
    let values: Vec<i64> = ns.values().iter().map(|&v| micros(v)).collect();
    PrimitiveArray::new(timestamp_dtype(), values.into(), ns.validity().cloned())
}

impl ListColumn {
    /// Ends the current list row (after its elements were pushed to `child`).
    pub(crate) fn close(&mut self) {
        self.offsets.push(self.child.len() as i64);
        self.validity.push(true);
    }
}

impl StructColumn {
    /// Marks a struct row valid after each child received one value.
    pub(crate) fn close(&mut self) {
        self.validity.push(true);
    }

    /// Appends a null struct row (null in every child too).
    pub(crate) fn push_null(&mut self) {
        for (_, c) in &mut self.fields {
            c.push_null();
        }
        self.validity.push(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{DataType, TimeUnit as PlTimeUnit, TimeZone};

    #[test]
    fn list_of_struct_round_trips_through_polars() {
        let mut col = Column::list(Column::structure(vec![
            ("key".into(), Column::str()),
            ("value".into(), Column::str()),
        ]));
        let Column::List(l) = &mut col else {
            unreachable!()
        };
        if let Column::Struct(s) = &mut l.child {
            if let Column::Str(k) = &mut s.fields[0].1 {
                k.push(Some("mitreTechniques"));
            }
            if let Column::Str(v) = &mut s.fields[1].1 {
                v.push(Some("T1090.003,T1078"));
            }
            s.close();
        }
        l.close();
        col.push_null();
        let s = col
            .into_columns("additional_info_parsed")
            .unwrap()
            .remove(0);
        assert_eq!(s.len(), 2);
        assert_eq!(s.null_count(), 1);
        assert!(
            matches!(s.dtype(), DataType::List(inner) if matches!(**inner, DataType::Struct(_)))
        );
    }

    #[test]
    fn timestamps_become_utc_microseconds_with_an_exact_companion() {
        let mut col = Column::list(Column::structure(vec![("time".into(), Column::time())]));
        let mut top = Column::time();
        if let (Column::List(l), Column::Time(t)) = (&mut col, &mut top) {
            if let Column::Struct(s) = &mut l.child {
                if let Some((_, Column::Time(a))) = s.fields.get_mut(0) {
                    a.push(Some(1_742_234_202_672_840_800));
                    a.push(Some(-1));
                }
                s.close();
                s.close();
            }
            l.close();
            t.push(Some(1_742_234_202_672_840_800));
            t.push(None);
        }
        let cols = top.into_columns("t").unwrap();
        let names: Vec<&str> = cols.iter().map(|c| c.name().as_str()).collect();
        assert_eq!(names, ["t", "t_ns"]);
        assert_eq!(
            cols[0].dtype(),
            &DataType::Datetime(PlTimeUnit::Microseconds, Some(TimeZone::UTC))
        );
        let physical = cols[0].as_materialized_series().to_physical_repr();
        assert_eq!(physical.i64().unwrap().get(0), Some(1_742_234_202_672_840));
        assert_eq!(
            cols[1].i64().unwrap().get(0),
            Some(1_742_234_202_672_840_800)
        );
        assert_eq!(cols[1].i64().unwrap().get(1), None);
        let list = col.into_columns("evidence").unwrap().remove(0);
        let items = list.list().unwrap().get_as_series(0).unwrap();
        let fields = items.struct_().unwrap().fields_as_series();
        let names: Vec<&str> = fields.iter().map(|s| s.name().as_str()).collect();
        assert_eq!(names, ["time", "time_ns"]);
        // Truncated towards the past: -1 ns is in the microsecond before 0.
        let us = fields[0].to_physical_repr();
        assert_eq!(us.i64().unwrap().get(1), Some(-1));
        assert_eq!(fields[1].i64().unwrap().get(1), Some(-1));
    }
}
