//! Writes records as Microsoft Graph collection pages, the way raw collectors
//! save them: `{"@odata.context":…,"@odata.nextLink":…,"value":[…]}`, one
//! page per file, newest first, with a nextLink on every page but the last.
//!
//! Invariants: compact JSON, UTF-8 without BOM; every collection writes at
//! least one page (an empty `value` when there is nothing), so the layout is
//! the same for every tenant size.

use std::path::Path;

use serde::Serialize;

use super::records::Timed;
use super::rng::Rng;
use super::GenerateSummary;
use crate::error::{Error, Result};

/// A paged Graph collection.
#[derive(Debug)]
pub(crate) struct Collection {
    /// Folder inside the output directory.
    pub dir: &'static str,
    /// `@odata.context`.
    pub context: &'static str,
    /// The request URL the nextLinks continue (before `$skiptoken`).
    pub next: &'static str,
}

/// v1.0 interactive sign-ins.
pub(crate) const SIGN_INS: Collection = Collection {
    dir: "signins",
    context: "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
    next: "https://graph.microsoft.com/v1.0/auditLogs/signIns?",
};

/// Beta non-interactive sign-ins.
pub(crate) const SIGN_INS_BETA: Collection = Collection {
    dir: "signins-beta",
    context: "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
    next: "https://graph.microsoft.com/beta/auditLogs/signIns?$filter=signInEventTypes/any(t:%20t%20eq%20%27nonInteractiveUser%27)&",
};

/// v1.0 directory audits.
pub(crate) const DIRECTORY_AUDITS: Collection = Collection {
    dir: "directory_audits",
    context: "https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits",
    next: "https://graph.microsoft.com/v1.0/auditLogs/directoryAudits?",
};

/// `@odata.context` of riskDetections.
pub(crate) const RISK_DETECTIONS: &str =
    "https://graph.microsoft.com/v1.0/$metadata#identityProtection/riskDetections";
/// `@odata.context` of riskyUsers.
pub(crate) const RISKY_USERS: &str =
    "https://graph.microsoft.com/v1.0/$metadata#identityProtection/riskyUsers";

fn internal(e: serde_json::Error) -> Error {
    Error::Internal(format!("generate: cannot serialise a record: {e}"))
}

/// One page as bytes.
fn page<T: Serialize>(context: &str, next: Option<&str>, items: &[Timed<T>]) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(items.len() * 1400 + 256);
    buf.extend_from_slice(b"{\"@odata.context\":");
    serde_json::to_writer(&mut buf, context).map_err(internal)?;
    if let Some(next) = next {
        buf.extend_from_slice(b",\"@odata.nextLink\":");
        serde_json::to_writer(&mut buf, next).map_err(internal)?;
    }
    buf.extend_from_slice(b",\"value\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        serde_json::to_writer(&mut buf, &item.rec).map_err(internal)?;
    }
    buf.extend_from_slice(b"]}");
    Ok(buf)
}

fn write(path: &Path, bytes: &[u8], summary: &mut GenerateSummary) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::io(path, "writing a generated page", e))?;
    summary.bytes += bytes.len() as u64;
    summary.files.push(path.to_path_buf());
    Ok(())
}

/// Writes `items` (already newest first) as `dir/<collection>/page-NNNN.json`.
pub(crate) fn write_pages<T: Serialize>(
    root: &Path,
    c: &Collection,
    items: &[Timed<T>],
    per_page: usize,
    rng: &mut Rng,
    summary: &mut GenerateSummary,
) -> Result<()> {
    let dir = root.join(c.dir);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "creating an output folder", e))?;
    let chunks: Vec<&[Timed<T>]> = if items.is_empty() {
        vec![items]
    } else {
        items.chunks(per_page).collect()
    };
    let token = rng.hex(32);
    for (i, chunk) in chunks.iter().enumerate() {
        let next =
            (i + 1 < chunks.len()).then(|| format!("{}$skiptoken={token}_{}", c.next, i + 1));
        let bytes = page(c.context, next.as_deref(), chunk)?;
        write(
            &dir.join(format!("page-{:04}.json", i + 1)),
            &bytes,
            summary,
        )?;
    }
    Ok(())
}

/// Writes `items` as one page file (Identity Protection lists are short).
pub(crate) fn write_single<T: Serialize>(
    path: &Path,
    context: &str,
    items: &[Timed<T>],
    summary: &mut GenerateSummary,
) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "creating an output folder", e))?;
    }
    write(path, &page(context, None, items)?, summary)
}
