//! A small builder for tables entrace computes (rejects, sources, timeline,
//! per_user): one call per column, in file order, each from an iterator of
//! values. Typing lives in `column::Column`, so every table writes timestamps as
//! the µs + `_ns` pair and lists as large lists.

use polars::prelude::{DataFrame, IntoColumn, NamedFrom, Series};
use polars_arrow::array::MutableBinaryViewArray;

use super::column::Column;
use entrace_model::error::{Error, Result};

/// One table in memory, built and ready to write
/// ([`crate::output::write_parquet`]); what it holds is the table layer's
/// business.
pub struct Table(pub DataFrame);

impl Table {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.0.height()
    }

    /// Number of columns.
    pub fn columns(&self) -> usize {
        self.0.width()
    }
}

/// Columns of one table under construction.
pub struct FrameBuilder {
    table: &'static str,
    height: usize,
    columns: Vec<polars::prelude::Column>,
}

impl FrameBuilder {
    /// A table of `height` rows called `table` (used in error messages).
    pub fn new(table: &'static str, height: usize) -> Self {
        FrameBuilder {
            table,
            height,
            columns: Vec::new(),
        }
    }

    fn push(&mut self, name: &str, column: Column) -> Result<()> {
        let columns = column
            .into_columns(name)
            .map_err(|e| Error::table(format!("{}.{name}", self.table), e))?;
        self.columns.extend(columns);
        Ok(())
    }

    /// A text column.
    pub fn str<S: AsRef<str>>(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = Option<S>>,
    ) -> Result<Self> {
        let mut a = MutableBinaryViewArray::<str>::new();
        for v in values {
            a.push(v.as_ref().map(AsRef::as_ref));
        }
        self.push(name, Column::Str(a))?;
        Ok(self)
    }

    /// A 32-bit integer column.
    pub fn i32(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = Option<i32>>,
    ) -> Result<Self> {
        let values: Vec<Option<i32>> = values.into_iter().collect();
        self.columns
            .push(Series::new(name.into(), values).into_column());
        Ok(self)
    }

    /// A 64-bit integer column.
    pub fn i64(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = Option<i64>>,
    ) -> Result<Self> {
        let values: Vec<Option<i64>> = values.into_iter().collect();
        self.columns
            .push(Series::new(name.into(), values).into_column());
        Ok(self)
    }

    /// A `list<string>` column.
    pub fn str_list<L, S>(mut self, name: &str, values: impl IntoIterator<Item = L>) -> Result<Self>
    where
        L: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut col = Column::list(Column::str());
        if let Column::List(list) = &mut col {
            for row in values {
                if let Column::Str(out) = &mut list.child {
                    for item in row {
                        out.push(Some(item.as_ref()));
                    }
                }
                list.close();
            }
        }
        self.push(name, col)?;
        Ok(self)
    }

    /// A column of a builder filled elsewhere ([`super::declare`]).
    pub(crate) fn built(mut self, name: &str, column: Column) -> Result<Self> {
        self.push(name, column)?;
        Ok(self)
    }

    /// The finished table.
    pub fn finish(self) -> Result<Table> {
        DataFrame::new(self.height, self.columns)
            .map(Table)
            .map_err(|e| Error::table(self.table, e))
    }
}
