//! `entrace schema`: the column reference of every table, generated from the
//! same field declarations the writer uses.

use serde::Serialize;

use crate::chunk::INGEST_COLUMNS;
use crate::column::{ns_companion, NS_DOC, NS_TYPE, TIMESTAMP_TYPE};
use crate::layout::type_name;
use crate::stage2::coverage::CoverageTable;
use crate::stage2::findings::Findings;
use crate::stage2::per_user::PerUser;
use crate::stage2::timeline::Timeline;
use entrace_model::{snake_case, EntityKind, Field, Kind};

/// One column of one table.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnDoc {
    /// Table name.
    pub table: String,
    /// Column name.
    pub column: String,
    /// Type as written to Parquet.
    #[serde(rename = "type")]
    pub dtype: String,
    /// Graph property path, or `(entrace)` for added columns.
    pub source: String,
    /// What it holds.
    pub description: String,
}

fn walk(
    table: &str,
    fields: &[Field],
    col_prefix: &str,
    path_prefix: &str,
    out: &mut Vec<ColumnDoc>,
) {
    for field in fields {
        let column = format!("{col_prefix}{}", snake_case(field.name));
        let path = format!("{path_prefix}{}", field.name);
        match field.kind {
            Kind::Object(sub) => walk(table, sub, &format!("{column}_"), &format!("{path}."), out),
            Kind::KeyValueJsonString => {
                out.push(doc(table, &column, "string", &path, field.doc));
                out.push(doc(
                    table,
                    &format!("{column}_parsed"),
                    "list<struct<key: string, value: string>>",
                    &path,
                    "The same, parsed from its JSON text",
                ));
            }
            Kind::Timestamp => {
                out.push(doc(table, &column, TIMESTAMP_TYPE, &path, field.doc));
                out.push(doc(table, &ns_companion(&column), NS_TYPE, &path, NS_DOC));
            }
            kind => out.push(doc(table, &column, &type_name(kind), &path, field.doc)),
        }
    }
}

fn doc(table: &str, column: &str, dtype: &str, source: &str, description: &str) -> ColumnDoc {
    ColumnDoc {
        table: table.into(),
        column: column.into(),
        dtype: dtype.into(),
        source: source.into(),
        description: description.into(),
    }
}

/// Every column of every table entrace writes (stage 1, then stage 2), in file order.
pub fn columns() -> Vec<ColumnDoc> {
    let mut out = Vec::new();
    for kind in EntityKind::ALL {
        let spec = kind.spec();
        walk(spec.table, spec.fields, "", "", &mut out);
        for (name, dtype, description) in INGEST_COLUMNS {
            out.push(doc(spec.table, name, dtype, "(entrace)", description));
        }
    }
    for (table, cols) in [
        ("rejects", &REJECT_COLUMNS[..]),
        ("sources", &SOURCE_COLUMNS[..]),
        ("timeline", Timeline::COLUMNS),
        ("per_user", PerUser::COLUMNS),
        ("findings", Findings::COLUMNS),
        ("coverage", CoverageTable::COLUMNS),
    ] {
        for (name, dtype, description) in cols {
            out.push(doc(table, name, dtype, "(entrace)", description));
            if *dtype == TIMESTAMP_TYPE {
                out.push(doc(
                    table,
                    &ns_companion(name),
                    NS_TYPE,
                    "(entrace)",
                    NS_DOC,
                ));
            }
        }
    }
    out
}

/// Columns of rejects.parquet.
pub const REJECT_COLUMNS: [(&str, &str, &str); 10] = [
    ("ingest_source_id", "int32", "Row of sources.parquet"),
    ("path", "string", "Evidence file"),
    ("member", "string", "Archive member, if any"),
    ("byte_offset", "int64", "Where the rejected record or span starts (decompressed stream, original encoding); null for a whole file"),
    ("line", "int64", "1-based line of that byte"),
    ("item", "int32", "Index within the page's value array or the bare array"),
    ("entity", "string", "Entity, when it could be told"),
    ("reason", "string", "invalid_json, truncated, invalid_encoding, missing_required_field, invalid_timestamp, wrong_type, unknown_entity, graph_error_response, decompress_failed, limit_exceeded, io_error"),
    ("message", "string", "What was expected and what was found"),
    ("excerpt", "string", "Up to 120 bytes of the input, escaped"),
];

/// Columns of sources.parquet.
pub const SOURCE_COLUMNS: [(&str, &str, &str); 18] = [
    ("source_id", "int32", "Stable id (sorted by path, member)"),
    ("path", "string", "Evidence file"),
    ("member", "string", "Archive member (nested: outer!inner)"),
    ("kind", "string", "file, archive or member"),
    ("size", "int64", "Bytes as stored"),
    ("decompressed_size", "int64", "Bytes after decompression"),
    (
        "sha256",
        "string",
        "SHA-256 of the file as stored; of the extracted content for members (empty for a member that cannot be extracted within the decompression limits)",
    ),
    (
        "compression",
        "string",
        "none, gzip, zstd, zip, or the zip method",
    ),
    ("encoding", "string", "utf-8, utf-8-bom, utf-16le-bom, …"),
    ("shape", "string", "graph_page, json_array, json_lines, …"),
    (
        "entity",
        "string",
        "Entity of the records, mixed when several",
    ),
    ("pages", "int64", "Graph page envelopes"),
    (
        "pages_with_next_link",
        "int64",
        "Of those, pages carrying an @odata.nextLink (a complete chain has one fewer than it has pages)",
    ),
    ("read", "int64", "Records and unreadable spans read"),
    ("written", "int64", "Rows written to the tables"),
    ("duplicates", "int64", "Copies of ids already written"),
    ("rejected", "int64", "Rows in rejects.parquet"),
    (
        "warnings",
        "list<string>",
        "Structural notes that lost nothing",
    ),
];

/// The reference as a Markdown table.
pub fn markdown() -> String {
    let mut s = String::new();
    let mut current = String::new();
    for c in columns() {
        if c.table != current {
            if !current.is_empty() {
                s.push('\n');
            }
            s.push_str(&format!("### {}.parquet\n\n| column | type | Graph source | description |\n|---|---|---|---|\n", c.table));
            current = c.table.clone();
        }
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.column,
            c.dtype,
            c.source,
            c.description.replace('|', "\\|")
        ));
    }
    s
}

/// The reference as plain text: one line per column, names aligned.
pub fn text() -> String {
    let cols = columns();
    let names: Vec<String> = cols
        .iter()
        .map(|c| format!("{}.{}", c.table, c.column))
        .collect();
    let w = names.iter().map(String::len).max().unwrap_or(10).min(48);
    cols.iter()
        .zip(&names)
        .map(|(c, name)| {
            format!(
                "{name:<w$}  {}  [{}] {}\n",
                c.dtype, c.source, c.description
            )
        })
        .collect()
}
