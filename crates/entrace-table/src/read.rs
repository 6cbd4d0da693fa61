//! Reading stage 1 Parquet tables back: only the columns stage 2 uses, turned
//! into plain Rust vectors so the analysis code never touches polars types.
//!
//! Errors name the file and the column, so a table written by another tool
//! (or an older entrace) fails with a message that says what is missing.

use std::fs::File;
use std::path::{Path, PathBuf};

use polars::prelude::{Column, DataFrame, DataType, ParquetReader, SerReader, Series};

use crate::column::ns_companion;
use entrace_model::error::{Error, Result};

/// Some columns of one Parquet table.
pub struct Frame {
    df: DataFrame,
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
    /// Reads `columns` of `<dir>/<table>.parquet`, and the exact `_ns`
    /// companion of each that is a timestamp.
    pub fn read(dir: &Path, table: &str, columns: &[&str]) -> Result<Frame> {
        let path = dir.join(format!("{table}.parquet"));
        let err = |e| Error::table(path.display().to_string(), e);
        let file = File::open(&path).map_err(|e| Error::io(&path, "cannot open table", e))?;
        let mut reader = ParquetReader::new(file);
        let schema = reader.schema().map_err(err)?;
        let mut wanted: Vec<String> = Vec::with_capacity(columns.len());
        for c in columns {
            wanted.push(c.to_string());
            let exact = ns_companion(c);
            if schema.contains(exact.as_str()) && !columns.contains(&exact.as_str()) {
                wanted.push(exact);
            }
        }
        let df = reader.with_columns(Some(wanted)).finish().map_err(err)?;
        Ok(Frame { df, path })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.df.height()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn column(&self, name: &str) -> Result<&Column> {
        self.df.column(name).map_err(|e| self.err(name, e))
    }

    /// An error about `column` of this table, naming the file.
    pub fn err(&self, column: &str, e: impl std::fmt::Display) -> Error {
        Error::table(format!("{}: column {column}", self.path.display()), e)
    }

    /// A text column.
    pub fn strs(&self, name: &str) -> Result<Vec<Option<String>>> {
        let ca = self.column(name)?.str().map_err(|e| self.err(name, e))?;
        Ok(ca.iter().map(|v| v.map(str::to_owned)).collect())
    }

    /// A timestamp column as UTC nanoseconds, exact: read from its `_ns`
    /// companion.
    pub fn times(&self, name: &str) -> Result<Vec<Option<i64>>> {
        self.ints(&ns_companion(name))
    }

    /// An integer, boolean-free numeric or timestamp column as i64.
    pub fn ints(&self, name: &str) -> Result<Vec<Option<i64>>> {
        let s = self
            .column(name)?
            .as_materialized_series()
            .to_physical_repr();
        let s = s.cast(&DataType::Int64).map_err(|e| self.err(name, e))?;
        let ca = s.i64().map_err(|e| self.err(name, e))?;
        Ok(ca.iter().collect())
    }

    /// A float column.
    pub fn floats(&self, name: &str) -> Result<Vec<Option<f64>>> {
        let ca = self.column(name)?.f64().map_err(|e| self.err(name, e))?;
        Ok(ca.iter().collect())
    }

    /// A boolean column.
    pub fn bools(&self, name: &str) -> Result<Vec<Option<bool>>> {
        let ca = self.column(name)?.bool().map_err(|e| self.err(name, e))?;
        Ok(ca.iter().collect())
    }

    /// A `list<string>` column; a null list reads as empty, null items are skipped.
    pub fn str_lists(&self, name: &str) -> Result<Vec<Vec<String>>> {
        let ca = self.column(name)?.list().map_err(|e| self.err(name, e))?;
        let mut out = Vec::with_capacity(ca.len());
        for cell in (0..ca.len()).map(|i| ca.get_as_series(i)) {
            let mut items = Vec::new();
            if let Some(s) = cell {
                let inner = s.str().map_err(|e| self.err(name, e))?;
                items.extend(inner.iter().flatten().map(str::to_owned));
            }
            out.push(items);
        }
        Ok(out)
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
        let ca = self.column(name)?.list().map_err(|e| self.err(name, e))?;
        let mut out = Vec::with_capacity(ca.len());
        for cell in (0..ca.len()).map(|i| ca.get_as_series(i)) {
            out.push(match cell {
                Some(s) => self.items(name, &s, fields, nested)?,
                None => Vec::new(),
            });
        }
        Ok(out)
    }

    /// One timestamp field of a `list<struct>` column, per row and item, as
    /// exact UTC nanoseconds (from the field's `_ns` companion).
    pub fn struct_list_times(&self, name: &str, field: &str) -> Result<Vec<Vec<Option<i64>>>> {
        let ca = self.column(name)?.list().map_err(|e| self.err(name, e))?;
        let mut out = Vec::with_capacity(ca.len());
        for cell in (0..ca.len()).map(|i| ca.get_as_series(i)) {
            let Some(s) = cell else {
                out.push(Vec::new());
                continue;
            };
            let st = s.struct_().map_err(|e| self.err(name, e))?;
            let values = st
                .field_by_name(&ns_companion(field))
                .map_err(|e| self.err(name, e))?
                .to_physical_repr()
                .cast(&DataType::Int64)
                .map_err(|e| self.err(name, e))?;
            let ints = values.i64().map_err(|e| self.err(name, e))?;
            out.push(ints.iter().collect());
        }
        Ok(out)
    }

    fn items(
        &self,
        name: &str,
        s: &Series,
        fields: &[&str],
        nested: Option<(&str, &[&str])>,
    ) -> Result<Vec<Item>> {
        let st = s.struct_().map_err(|e| self.err(name, e))?;
        let mut columns = Vec::with_capacity(fields.len());
        for f in fields {
            let field = st.field_by_name(f).map_err(|e| self.err(name, e))?;
            let text: Vec<Option<String>> = field
                .str()
                .map_err(|e| self.err(name, e))?
                .iter()
                .map(|v| v.map(str::to_owned))
                .collect();
            columns.push(text);
        }
        let mut nested_items: Vec<Vec<Item>> = vec![Vec::new(); s.len()];
        if let Some((nested_name, nested_fields)) = nested {
            let field = st
                .field_by_name(nested_name)
                .map_err(|e| self.err(name, e))?;
            let list = field.list().map_err(|e| self.err(name, e))?;
            for (i, cell) in (0..list.len()).map(|i| list.get_as_series(i)).enumerate() {
                if let Some(inner) = cell {
                    nested_items[i] = self.items(name, &inner, nested_fields, None)?;
                }
            }
        }
        Ok((0..s.len())
            .map(|i| Item {
                fields: columns.iter().map(|c| c[i].clone()).collect(),
                nested: std::mem::take(&mut nested_items[i]),
            })
            .collect())
    }
}
