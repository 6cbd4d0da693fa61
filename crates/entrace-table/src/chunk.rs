//! One entity's rows under construction: the Arrow column builders of every
//! typed field plus entrace's `ingest_*` columns.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use entrace_input::json::Value;
use polars::prelude::{DataFrame, IntoColumn, NamedFrom, Series};
use polars_arrow::array::{MutableBinaryViewArray, MutablePrimitiveArray};

use super::column::Column;
use super::fill::{fill_object, FillCtx};
use super::layout::{build_columns, ObjectPlan};
use entrace_model::error::{Error, Result};
use entrace_model::EntityKind;

/// The plan of every entity, built once.
pub(crate) fn plan(kind: EntityKind) -> &'static ObjectPlan {
    static PLANS: OnceLock<Vec<ObjectPlan>> = OnceLock::new();
    let plans = PLANS.get_or_init(|| {
        EntityKind::ALL
            .iter()
            .map(|k| ObjectPlan::new(k.spec().fields, ""))
            .collect()
    });
    &plans[kind.index()]
}

/// Names of the columns entrace adds to every entity table, in order.
pub const INGEST_COLUMNS: [(&str, &str, &str); 6] = [
    (
        "ingest_source_id",
        "int32",
        "Row of sources.parquet the record came from",
    ),
    (
        "ingest_offset",
        "int64",
        "Byte offset of the record in the decompressed source (original encoding)",
    ),
    ("ingest_line", "int64", "1-based line of that byte"),
    (
        "ingest_api_version",
        "string",
        "v1.0 or beta, from the page's @odata.context; null when unknown",
    ),
    (
        "ingest_issues",
        "list<string>",
        "Values present but unreadable (cell left null): path, expected, found",
    ),
    (
        "ingest_raw",
        "string",
        "The record's original JSON text (omitted with --no-raw)",
    ),
];

/// Rows of one entity from one source, under construction.
pub(crate) struct TableChunk {
    kind: EntityKind,
    cols: Vec<(String, Column)>,
    offsets: MutablePrimitiveArray<i64>,
    lines: MutablePrimitiveArray<i64>,
    api_version: MutableBinaryViewArray<str>,
    issues: Column,
    raw: Option<MutableBinaryViewArray<str>>,
    rows: usize,
    /// Unknown keys by Graph path.
    pub(crate) drift: BTreeMap<String, u64>,
    /// Rows with at least one issue.
    pub(crate) rows_with_issues: u64,
}

impl TableChunk {
    /// An empty chunk; `keep_raw` controls the `ingest_raw` column.
    pub(crate) fn new(kind: EntityKind, keep_raw: bool) -> Self {
        let mut cols = Vec::new();
        build_columns(kind.spec().fields, "", &mut cols);
        TableChunk {
            kind,
            cols,
            offsets: MutablePrimitiveArray::new(),
            lines: MutablePrimitiveArray::new(),
            api_version: MutableBinaryViewArray::new(),
            issues: Column::list(Column::str()),
            raw: keep_raw.then(MutableBinaryViewArray::new),
            rows: 0,
            drift: BTreeMap::new(),
            rows_with_issues: 0,
        }
    }

    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    /// Appends one validated record, which starts at byte `offset` (of the
    /// original stream) on `line`.
    pub(crate) fn push(
        &mut self,
        record: Value<'_, '_>,
        raw: &str,
        (offset, line): (u64, u64),
        api_version: Option<&str>,
    ) {
        let mut ctx = FillCtx {
            issues: Vec::new(),
            drift: &mut self.drift,
        };
        fill_object(plan(self.kind), Some(record), &mut self.cols, &mut ctx);
        let mut issues = ctx.issues;
        issues.sort();
        if let Column::List(list) = &mut self.issues {
            if let Column::Str(out) = &mut list.child {
                for issue in &issues {
                    out.push(Some(issue.as_str()));
                }
            }
            list.close();
        }
        if !issues.is_empty() {
            self.rows_with_issues += 1;
        }
        self.offsets.push(Some(offset as i64));
        self.lines.push(Some(line as i64));
        self.api_version.push(api_version);
        if let Some(r) = &mut self.raw {
            r.push(Some(raw));
        }
        self.rows += 1;
    }

    /// Finishes the chunk as a DataFrame whose rows came from `source_id`.
    pub(crate) fn finish(self, source_id: i32) -> Result<DataFrame> {
        let height = self.len();
        let table = self.kind.spec().table;
        let err = |e: polars::prelude::PolarsError| Error::table(table, e);
        let mut columns = Vec::with_capacity(self.cols.len() + INGEST_COLUMNS.len());
        for (name, col) in self.cols {
            columns.extend(col.into_columns(&name).map_err(err)?);
        }
        let src = Series::new("ingest_source_id".into(), vec![source_id; height]);
        columns.push(src.into_column());
        let mut push = |name: &str, col: Column| -> Result<()> {
            columns.extend(col.into_columns(name).map_err(err)?);
            Ok(())
        };
        push("ingest_offset", Column::I64(self.offsets))?;
        push("ingest_line", Column::I64(self.lines))?;
        push("ingest_api_version", Column::Str(self.api_version))?;
        push("ingest_issues", self.issues)?;
        if let Some(raw) = self.raw {
            push("ingest_raw", Column::Str(raw))?;
        }
        DataFrame::new(height, columns).map_err(err)
    }
}
