//! `entrace detections`: the catalogue as an aligned table, Markdown (the
//! detection table of docs/detections.md is this output; a test keeps them
//! equal) or JSON.

use serde::Serialize;

use super::registry::REGISTRY;

/// One detection as listed.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// `ENT-001`, …
    pub id: &'static str,
    /// Name.
    pub name: &'static str,
    /// Severities it can give.
    pub severities: &'static str,
    /// MITRE ATT&CK technique ids.
    pub mitre: Vec<&'static str>,
    /// What it finds.
    pub finds: &'static str,
    /// Default thresholds: key, value, meaning.
    pub defaults: Vec<(&'static str, f64, &'static str)>,
}

/// Every detection, sorted by id.
pub fn entries() -> Vec<Entry> {
    let mut out: Vec<Entry> = REGISTRY
        .iter()
        .map(|d| Entry {
            id: d.id,
            name: d.name,
            severities: d.severities,
            mitre: d.mitre.to_vec(),
            finds: d.finds,
            defaults: d.params.iter().map(|p| (p.key, p.default, p.doc)).collect(),
        })
        .collect();
    out.sort_by_key(|e| e.id);
    out
}

fn defaults(e: &Entry) -> String {
    if e.defaults.is_empty() {
        return "–".into();
    }
    e.defaults
        .iter()
        .map(|(k, v, _)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn mitre(e: &Entry) -> String {
    if e.mitre.is_empty() {
        "per risk type".into()
    } else {
        e.mitre.join(", ")
    }
}

/// The catalogue as a Markdown table.
pub fn markdown() -> String {
    let mut s = String::from(
        "| id | name | severity | MITRE ATT&CK | defaults | finds |\n|---|---|---|---|---|---|\n",
    );
    for e in entries() {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            e.id,
            e.name,
            e.severities,
            mitre(&e),
            defaults(&e),
            e.finds
        ));
    }
    s
}

/// The catalogue as aligned text.
pub fn text() -> String {
    let rows: Vec<[String; 5]> = entries()
        .iter()
        .map(|e| {
            [
                e.id.into(),
                e.name.into(),
                e.severities.into(),
                mitre(e),
                defaults(e),
            ]
        })
        .collect();
    let head = ["ID", "NAME", "SEVERITY", "MITRE", "DEFAULTS"];
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([head[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..5).map(width).collect();
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut s = line(head.to_vec());
    s.push('\n');
    for r in &rows {
        s.push_str(&line(r.iter().map(String::as_str).collect()));
        s.push('\n');
    }
    s
}
