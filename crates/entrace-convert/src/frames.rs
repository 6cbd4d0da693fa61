//! Building the output tables and the manifest from the parsed sources.

use std::collections::BTreeMap;

use super::{
    entity_key, input_entry, table_entry, time_span, ConvertOptions, Processed, SourceCounts,
};
use entrace_input::parse::keys::RowKeys;
use entrace_input::StreamKind;
use entrace_manifest::{
    ConversionCounts, Counts, Manifest, RunOptions, RunTimes, TableEntry, Tool, MANIFEST_VERSION,
};
use entrace_model::error::{Error, Result};
use entrace_model::EntityKind;
use entrace_table::dedup::plan;
use entrace_table::frame::{FrameBuilder, Table};
use entrace_table::output::OutputDir;
use entrace_table::rebuild::Rebuild;
use entrace_table::texts::Texts;

/// File names of the stage 1 side tables.
pub const REJECTS_FILE: &str = "rejects.parquet";
/// See [`REJECTS_FILE`].
pub const SOURCES_FILE: &str = "sources.parquet";

/// What the second pass needs: the key blocks by entity, the source id of
/// every stream number, where the texts are, and the worker threads.
pub(super) struct SecondPass<'a> {
    pub(super) blocks: Vec<Vec<RowKeys>>,
    pub(super) sources: &'a [i32],
    pub(super) texts: &'a Texts,
    pub(super) pool: &'a rayon::ThreadPool,
}

pub(super) fn write_all(
    opts: &ConvertOptions,
    processed: Vec<Processed>,
    second: SecondPass<'_>,
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
        let mut entry = table_entry(spec.table);
        let path = out.path(&entry.file);
        let blocks = &second.blocks[kind.index()];
        let merged = plan(blocks, second.sources);
        let rebuild = Rebuild {
            kind,
            blocks,
            sources: second.sources,
            texts: second.texts,
            keep_raw: opts.keep_raw,
        };
        let table = rebuild.write(&merged.kept, second.pool, &path)?;
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
        entry.rows = merged.kept.len() as u64;
        let (first_time, last_time) = time_span(merged.span);
        entry.conversion = Some(ConversionCounts {
            duplicates: merged.duplicates.values().sum(),
            conflicting_duplicates: merged.conflicting,
            rejected: 0,
            rows_with_issues: table.rows_with_issues,
            schema_drift: table.drift,
            first_time,
            last_time,
        });
        entry.sha256 = table.sha256;
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
        if let (Some(conversion), Some(c)) = (
            tables
                .get_mut(kind.spec().table)
                .and_then(|t: &mut TableEntry| t.conversion.as_mut()),
            entities.get(kind.name()),
        ) {
            conversion.rejected = c.rejected;
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
                .filter(|e| *e != entrace_input::parse::UNKNOWN)
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

    let rejects = rejects_frame(&processed)?;
    let rejects_sha = out.write_parquet(REJECTS_FILE, &rejects)?;
    tables.insert(
        "rejects".into(),
        entrace_manifest::TableEntry {
            file: REJECTS_FILE.into(),
            rows: rejects.rows() as u64,
            conversion: Some(ConversionCounts::default()),
            sha256: rejects_sha,
        },
    );
    let sources = sources_frame(&processed, &inputs)?;
    let sources_sha = out.write_parquet(SOURCES_FILE, &sources)?;
    tables.insert(
        "sources".into(),
        entrace_manifest::TableEntry {
            file: SOURCES_FILE.into(),
            rows: sources.rows() as u64,
            conversion: Some(ConversionCounts::default()),
            sha256: sources_sha,
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
    let seconds =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let manifest = Manifest {
        manifest_version: MANIFEST_VERSION,
        tool: Tool::this(),
        arguments: opts.arguments.clone(),
        options: RunOptions {
            keep_raw: opts.keep_raw,
            strict: opts.strict,
            threads: opts.threads,
            max_decompressed_size: opts.max_decompressed_size,
        },
        run: RunTimes {
            started_at: seconds(started_at),
            finished_at: seconds(chrono::Utc::now()),
        },
        tables,
        entities,
        totals,
        rejects_by_reason,
        inputs,
        warnings,
        analysis: None,
        reports: None,
    };
    out.write_bytes(entrace_manifest::MANIFEST_FILE, &manifest.to_json()?)?;
    Ok(manifest)
}

fn rejects_frame(processed: &[Processed]) -> Result<Table> {
    let mut rows = Vec::new();
    for (id, p) in processed.iter().enumerate() {
        let mut sorted: Vec<_> = p.parse.rejects.iter().collect();
        sorted.sort_by_key(|r| (r.locator.offset, r.locator.item));
        rows.extend(sorted.into_iter().map(|r| (id as i32, p, r)));
    }
    FrameBuilder::new("rejects", rows.len())
        .i32("ingest_source_id", rows.iter().map(|r| Some(r.0)))?
        .str("path", rows.iter().map(|r| Some(&r.1.leaf.path)))?
        .str("member", rows.iter().map(|r| r.1.leaf.member.as_ref()))?
        .i64(
            "byte_offset",
            rows.iter().map(|r| r.2.locator.offset.map(|o| o as i64)),
        )?
        .i64(
            "line",
            rows.iter().map(|r| r.2.locator.line.map(|o| o as i64)),
        )?
        .i32(
            "item",
            rows.iter().map(|r| r.2.locator.item.map(|o| o as i32)),
        )?
        .str("entity", rows.iter().map(|r| r.2.entity.map(|e| e.name())))?
        .str("reason", rows.iter().map(|r| Some(r.2.reason.as_str())))?
        .str("message", rows.iter().map(|r| Some(&r.2.message)))?
        .str("excerpt", rows.iter().map(|r| Some(&r.2.excerpt)))?
        .finish()
}

fn sources_frame(
    processed: &[Processed],
    inputs: &[entrace_manifest::InputEntry],
) -> Result<Table> {
    let warnings = processed.iter().map(|p| {
        let mut w: Vec<&str> = p.parse.warnings.iter().map(String::as_str).collect();
        if let entrace_input::LeafBytes::Failed(_, m) = &p.leaf.bytes {
            w.push(m.as_str());
        }
        w
    });
    let u =
        |f: fn(&entrace_manifest::InputEntry) -> u64| inputs.iter().map(move |i| Some(f(i) as i64));
    FrameBuilder::new("sources", inputs.len())
        .i32("source_id", inputs.iter().map(|i| Some(i.source_id)))?
        .str("path", inputs.iter().map(|i| Some(&i.path)))?
        .str("member", inputs.iter().map(|i| i.member.as_ref()))?
        .str("kind", inputs.iter().map(|i| Some(i.kind.as_str())))?
        .i64("size", u(|i| i.size))?
        .i64(
            "decompressed_size",
            inputs.iter().map(|i| i.decompressed_size.map(|n| n as i64)),
        )?
        .str(
            "sha256",
            inputs
                .iter()
                .map(|i| Some(&i.sha256).filter(|s| !s.is_empty())),
        )?
        .str("compression", inputs.iter().map(|i| Some(&i.compression)))?
        .str("encoding", inputs.iter().map(|i| i.encoding.as_ref()))?
        .str("shape", inputs.iter().map(|i| i.shape.as_ref()))?
        .str("entity", inputs.iter().map(|i| i.entity.as_ref()))?
        .i64(
            "pages",
            processed.iter().map(|p| Some(p.parse.pages as i64)),
        )?
        .i64(
            "pages_with_next_link",
            processed
                .iter()
                .map(|p| Some(p.parse.pages_with_next_link as i64)),
        )?
        .i64("read", u(|i| i.counts.read))?
        .i64("written", u(|i| i.counts.written))?
        .i64("duplicates", u(|i| i.counts.duplicates))?
        .i64("rejected", u(|i| i.counts.rejected))?
        .str_list("warnings", warnings)?
        .finish()
}

/// The short summary printed on stderr after a conversion.
pub fn narrate(m: &Manifest, elapsed: std::time::Duration, out_dir: &std::path::Path) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let files = m
        .inputs
        .iter()
        .filter(|i| i.kind != StreamKind::Member)
        .count();
    let bytes: u64 = m
        .inputs
        .iter()
        .filter(|i| i.kind != StreamKind::Member)
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
            let c = t.conversion.clone().unwrap_or_default();
            let span = match (&c.first_time, &c.last_time) {
                (Some(a), Some(b)) => format!("  {a} .. {b}"),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "  {table:<20} {:>7} rows  {:>5} duplicates  {:>4} rejected{span}",
                t.rows, c.duplicates, c.rejected
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
        let _ = writeln!(s, "warning: {}", entrace_model::text::escape(w));
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
