//! Building the output tables and the manifest from the parsed sources.

use std::collections::BTreeMap;

use polars::prelude::{DataFrame, IntoColumn, NamedFrom, Series};
use polars_arrow::array::MutableBinaryViewArray;

use super::{
    entity_key, input_entry, table_entry, time_span, ConvertOptions, Processed, SourceCounts,
};
use crate::error::{Error, Result};
use crate::manifest::{Counts, Manifest};
use crate::model::EntityKind;
use crate::output::OutputDir;
use crate::table::column::Column;
use crate::table::dedup::merge;

/// File names of the stage 1 side tables.
pub const REJECTS_FILE: &str = "rejects.parquet";
/// See [`REJECTS_FILE`].
pub const SOURCES_FILE: &str = "sources.parquet";

pub(super) fn write_all(
    opts: &ConvertOptions,
    mut processed: Vec<Processed>,
    out: &OutputDir,
    started_at: chrono::DateTime<chrono::Utc>,
) -> Result<Manifest> {
    let mut counts: SourceCounts = BTreeMap::new();
    let mut tables = BTreeMap::new();
    let mut warnings = Vec::new();

    for (id, p) in processed.iter().enumerate() {
        let id = id as i32;
        for (entity, n) in &p.parse.read {
            counts.entry((id, (*entity).to_string())).or_default().read += n;
        }
        for r in &p.parse.rejects {
            counts
                .entry((id, entity_key(r.entity)))
                .or_default()
                .rejected += 1;
        }
        for w in &p.parse.warnings {
            warnings.push(format!("{}: {w}", p.display()));
        }
    }

    for kind in EntityKind::ALL {
        let spec = kind.spec();
        let mut parts = Vec::new();
        let mut entry = table_entry(spec.table);
        for (id, p) in processed.iter_mut().enumerate() {
            if let Some(chunk) = p.tables.chunks[kind.index()].take() {
                for (path, n) in &chunk.drift {
                    *entry.schema_drift.entry(path.clone()).or_default() += n;
                }
                entry.rows_with_issues += chunk.rows_with_issues;
                parts.push((id as i32, chunk));
            }
        }
        let mut merged = merge(kind, parts, opts.keep_raw)?;
        for (source, n) in &merged.written {
            counts
                .entry((*source, kind.name().to_string()))
                .or_default()
                .written += n;
        }
        for (source, n) in &merged.duplicates {
            counts
                .entry((*source, kind.name().to_string()))
                .or_default()
                .duplicates += n;
        }
        entry.rows = merged.df.height() as u64;
        entry.duplicates = merged.duplicates.values().sum();
        entry.conflicting_duplicates = merged.conflicting;
        (entry.first_time, entry.last_time) = time_span(merged.span);
        entry.sha256 = out.write_parquet(&entry.file, &mut merged.df)?;
        tables.insert(spec.table.to_string(), entry);
    }

    let mut entities: BTreeMap<String, Counts> = BTreeMap::new();
    let mut per_source: BTreeMap<i32, Counts> = BTreeMap::new();
    for ((source, entity), c) in &counts {
        if !c.reconciles() {
            return Err(Error::Internal(format!(
                "counts do not reconcile for source {source}, entity {entity}: {c:?}"
            )));
        }
        *entities.entry(entity.clone()).or_default() += *c;
        *per_source.entry(*source).or_default() += *c;
    }
    for kind in EntityKind::ALL {
        if let (Some(entry), Some(c)) =
            (tables.get_mut(kind.spec().table), entities.get(kind.name()))
        {
            entry.rejected = c.rejected;
        }
    }
    let mut totals = Counts::default();
    for c in entities.values() {
        totals += *c;
    }

    let inputs: Vec<_> = processed
        .iter()
        .enumerate()
        .map(|(id, p)| {
            let id = id as i32;
            let names: Vec<&str> = p
                .parse
                .read
                .keys()
                .copied()
                .filter(|e| *e != crate::parse::UNKNOWN)
                .collect();
            let entity = match names.as_slice() {
                [] => None,
                [one] => Some((*one).to_string()),
                _ => Some("mixed".to_string()),
            };
            input_entry(
                id,
                p,
                per_source.get(&id).copied().unwrap_or_default(),
                entity,
            )
        })
        .collect();

    let mut rejects = rejects_frame(&processed)?;
    let rejects_sha = out.write_parquet(REJECTS_FILE, &mut rejects)?;
    tables.insert(
        "rejects".into(),
        crate::manifest::TableEntry {
            file: REJECTS_FILE.into(),
            rows: rejects.height() as u64,
            sha256: rejects_sha,
            ..Default::default()
        },
    );
    let mut sources = sources_frame(&processed, &inputs)?;
    let sources_sha = out.write_parquet(SOURCES_FILE, &mut sources)?;
    tables.insert(
        "sources".into(),
        crate::manifest::TableEntry {
            file: SOURCES_FILE.into(),
            rows: sources.height() as u64,
            sha256: sources_sha,
            ..Default::default()
        },
    );

    let mut rejects_by_reason = BTreeMap::new();
    for p in &processed {
        for r in &p.parse.rejects {
            *rejects_by_reason
                .entry(r.reason.as_str().to_string())
                .or_default() += 1;
        }
    }
    let manifest = Manifest {
        tool: BTreeMap::from([
            ("name", "entrace".to_string()),
            ("version", env!("CARGO_PKG_VERSION").to_string()),
        ]),
        arguments: opts.arguments.clone(),
        options: BTreeMap::from([
            ("keep_raw", serde_json::json!(opts.keep_raw)),
            ("strict", serde_json::json!(opts.strict)),
            ("threads", serde_json::json!(opts.threads)),
            (
                "max_decompressed_size",
                serde_json::json!(opts.max_decompressed_size),
            ),
        ]),
        run: BTreeMap::from([
            (
                "started_at",
                started_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
            (
                "finished_at",
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ),
        ]),
        tables,
        entities,
        totals,
        rejects_by_reason,
        inputs,
        warnings,
    };
    let json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| Error::Internal(format!("manifest: {e}")))?;
    out.write_bytes("manifest.json", &json)?;
    Ok(manifest)
}

fn str_col(
    name: &str,
    values: impl IntoIterator<Item = Option<String>>,
) -> Result<polars::prelude::Column> {
    let mut a = MutableBinaryViewArray::<str>::new();
    for v in values {
        a.push(v);
    }
    Ok(Column::Str(a)
        .into_series(name)
        .map_err(|e| Error::table(name.to_string(), e))?
        .into_column())
}

fn rejects_frame(processed: &[Processed]) -> Result<DataFrame> {
    let mut rows = Vec::new();
    for (id, p) in processed.iter().enumerate() {
        let mut sorted: Vec<_> = p.parse.rejects.iter().collect();
        sorted.sort_by_key(|r| (r.locator.offset, r.locator.item));
        rows.extend(sorted.into_iter().map(|r| (id as i32, p, r)));
    }
    let height = rows.len();
    let columns = vec![
        Series::new(
            "ingest_source_id".into(),
            rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        )
        .into_column(),
        str_col("path", rows.iter().map(|r| Some(r.1.leaf.path.clone())))?,
        str_col("member", rows.iter().map(|r| r.1.leaf.member.clone()))?,
        Series::new(
            "byte_offset".into(),
            rows.iter()
                .map(|r| r.2.locator.offset.map(|o| o as i64))
                .collect::<Vec<_>>(),
        )
        .into_column(),
        Series::new(
            "line".into(),
            rows.iter()
                .map(|r| r.2.locator.line.map(|o| o as i64))
                .collect::<Vec<_>>(),
        )
        .into_column(),
        Series::new(
            "item".into(),
            rows.iter()
                .map(|r| r.2.locator.item.map(|o| o as i32))
                .collect::<Vec<_>>(),
        )
        .into_column(),
        str_col(
            "entity",
            rows.iter()
                .map(|r| r.2.entity.map(|e| e.name().to_string())),
        )?,
        str_col(
            "reason",
            rows.iter().map(|r| Some(r.2.reason.as_str().to_string())),
        )?,
        str_col("message", rows.iter().map(|r| Some(r.2.message.clone())))?,
        str_col("excerpt", rows.iter().map(|r| Some(r.2.excerpt.clone())))?,
    ];
    DataFrame::new(height, columns).map_err(|e| Error::table("rejects", e))
}

fn sources_frame(
    processed: &[Processed],
    inputs: &[crate::manifest::InputEntry],
) -> Result<DataFrame> {
    let height = inputs.len();
    let mut warnings = Column::list(Column::str());
    if let Column::List(list) = &mut warnings {
        for p in processed {
            if let Column::Str(out) = &mut list.child {
                for w in &p.parse.warnings {
                    out.push(Some(w.as_str()));
                }
                if let crate::input::LeafBytes::Failed(_, m) = &p.leaf.bytes {
                    out.push(Some(m.as_str()));
                }
            }
            list.close();
        }
    }
    let u = |f: fn(&crate::manifest::InputEntry) -> u64| {
        inputs.iter().map(|i| f(i) as i64).collect::<Vec<_>>()
    };
    let columns = vec![
        Series::new(
            "source_id".into(),
            inputs.iter().map(|i| i.source_id).collect::<Vec<_>>(),
        )
        .into_column(),
        str_col("path", inputs.iter().map(|i| Some(i.path.clone())))?,
        str_col("member", inputs.iter().map(|i| i.member.clone()))?,
        str_col("kind", inputs.iter().map(|i| Some(i.kind.clone())))?,
        Series::new("size".into(), u(|i| i.size)).into_column(),
        Series::new(
            "decompressed_size".into(),
            inputs
                .iter()
                .map(|i| i.decompressed_size.map(|n| n as i64))
                .collect::<Vec<_>>(),
        )
        .into_column(),
        str_col(
            "sha256",
            inputs
                .iter()
                .map(|i| Some(i.sha256.clone()).filter(|s| !s.is_empty())),
        )?,
        str_col(
            "compression",
            inputs.iter().map(|i| Some(i.compression.clone())),
        )?,
        str_col("encoding", inputs.iter().map(|i| i.encoding.clone()))?,
        str_col("shape", inputs.iter().map(|i| i.shape.clone()))?,
        str_col("entity", inputs.iter().map(|i| i.entity.clone()))?,
        Series::new(
            "pages".into(),
            processed
                .iter()
                .map(|p| p.parse.pages as i64)
                .collect::<Vec<_>>(),
        )
        .into_column(),
        Series::new("read".into(), u(|i| i.counts.read)).into_column(),
        Series::new("written".into(), u(|i| i.counts.written)).into_column(),
        Series::new("duplicates".into(), u(|i| i.counts.duplicates)).into_column(),
        Series::new("rejected".into(), u(|i| i.counts.rejected)).into_column(),
        warnings
            .into_series("warnings")
            .map_err(|e| Error::table("sources", e))?
            .into_column(),
    ];
    DataFrame::new(height, columns).map_err(|e| Error::table("sources", e))
}

/// The short summary printed on stderr after a conversion.
pub fn narrate(m: &Manifest, elapsed: std::time::Duration, out_dir: &std::path::Path) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let files = m.inputs.iter().filter(|i| i.kind != "member").count();
    let bytes: u64 = m
        .inputs
        .iter()
        .filter(|i| i.kind != "member")
        .map(|i| i.size)
        .sum();
    let _ = writeln!(
        s,
        "read {} evidence files ({} streams, {bytes} bytes) in {:.2}s",
        files,
        m.inputs.len(),
        elapsed.as_secs_f64()
    );
    for kind in EntityKind::ALL {
        let table = kind.spec().table;
        if let Some(t) = m.tables.get(table) {
            let span = match (&t.first_time, &t.last_time) {
                (Some(a), Some(b)) => format!("  {a} .. {b}"),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "  {table:<20} {:>7} rows  {:>5} duplicates  {:>4} rejected{span}",
                t.rows, t.duplicates, t.rejected
            );
        }
    }
    if m.totals.rejected > 0 {
        let reasons: Vec<String> = m
            .rejects_by_reason
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        let _ = writeln!(
            s,
            "rejected {} records or spans ({}): see rejects.parquet",
            m.totals.rejected,
            reasons.join(", ")
        );
    }
    for w in m.warnings.iter().take(5) {
        let _ = writeln!(s, "warning: {}", crate::text::escape(w));
    }
    if m.warnings.len() > 5 {
        let _ = writeln!(
            s,
            "warning: … and {} more; see manifest.json",
            m.warnings.len() - 5
        );
    }
    let _ = write!(s, "wrote {}", out_dir.display());
    s
}
