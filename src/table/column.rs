//! Typed column builders that fill Arrow arrays directly, one value at a time.
//!
//! A [`Column`] mirrors one Parquet column: leaves for scalars, `List` and
//! `Struct` for Graph collections and complex types inside them. Every push
//! appends exactly one row, so all columns of a table stay the same length.
//!
//! Not here: how JSON maps onto columns (that is `fill`).

use polars::prelude::{PlSmallStr, Series};
use polars_arrow::array::{
    Array, ListArray, MutableArray, MutableBinaryViewArray, MutableBooleanArray,
    MutablePrimitiveArray, StructArray,
};
use polars_arrow::bitmap::MutableBitmap;
use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField, TimeUnit};
use polars_arrow::offset::OffsetsBuffer;

/// The Arrow type of every timestamp column: nanoseconds, UTC.
pub(crate) fn timestamp_dtype() -> ArrowDataType {
    ArrowDataType::Timestamp(TimeUnit::Nanosecond, Some(PlSmallStr::from_static("UTC")))
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
    /// UTC timestamps in nanoseconds.
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

    /// An empty list column around `child`.
    pub(crate) fn list(child: Column) -> Self {
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

    /// Arrow type of the finished array.
    pub(crate) fn dtype(&self) -> ArrowDataType {
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
                    .map(|(n, c)| ArrowField::new(PlSmallStr::from(n.as_str()), c.dtype(), true))
                    .collect(),
            ),
        }
    }

    /// Turns the builder into an immutable Arrow array.
    pub(crate) fn finish(self) -> Box<dyn Array> {
        let dtype = self.dtype();
        match self {
            Column::Str(a) => a.freeze().boxed(),
            Column::I32(a) => a.freeze().boxed(),
            Column::I64(a) => a.freeze().boxed(),
            Column::F64(a) => a.freeze().boxed(),
            Column::Bool(a) => a.freeze().boxed(),
            Column::Time(a) => a.to(dtype).freeze().boxed(),
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
                let values = s.fields.into_iter().map(|(_, c)| c.finish()).collect();
                StructArray::new(dtype, len, values, s.validity.into()).boxed()
            }
        }
    }

    /// Finishes the column as a named polars Series.
    pub(crate) fn into_series(self, name: &str) -> polars::prelude::PolarsResult<Series> {
        Series::from_arrow(PlSmallStr::from(name), self.finish())
    }
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
        let s = col.into_series("additional_info_parsed").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.null_count(), 1);
        assert!(
            matches!(s.dtype(), DataType::List(inner) if matches!(**inner, DataType::Struct(_)))
        );
    }

    #[test]
    fn timestamps_become_utc_datetimes() {
        let mut col = Column::Time(MutablePrimitiveArray::new());
        if let Column::Time(a) = &mut col {
            a.push(Some(1_742_234_202_672_840_800));
        }
        let s = col.into_series("t").unwrap();
        assert_eq!(
            s.dtype(),
            &DataType::Datetime(PlTimeUnit::Nanoseconds, Some(TimeZone::UTC))
        );
    }
}
