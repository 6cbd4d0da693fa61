//! The report's view of what the evidence lacks, read from the manifest's
//! `analysis.coverage`, with the warnings people should read before they
//! trust the absence of a finding.

use std::collections::BTreeMap;

use super::model::Completeness;
use entrace_manifest::Manifest;

/// Gaps spelled out one by one before the rest are summarised.
const GAPS_LISTED: usize = 5;

/// Reads `analysis.coverage` of `manifest` and words its warnings.
pub fn completeness(manifest: &Manifest) -> Completeness {
    let Some(c) = manifest.analysis.as_ref().and_then(|a| a.coverage.clone()) else {
        return Completeness::default();
    };
    let mut out = Completeness {
        gaps: c.gaps,
        sign_in_event_types: c.sign_in_event_types,
        missing_sign_in_event_types: c.missing_sign_in_event_types,
        api_versions: c.api_versions,
        hidden_values: c.hidden_values,
        overlapping_sources: c.overlapping_sources,
        broken_next_link_chains: c.broken_next_link_chains,
        warnings: Vec::new(),
    };
    out.warnings = warnings(&out);
    out
}

fn warnings(c: &Completeness) -> Vec<String> {
    let mut w = Vec::new();
    for b in &c.broken_next_link_chains {
        w.push(format!(
            "{}: every one of its {} {} page(s) has an @odata.nextLink, so the page after {} was never saved: the export is incomplete",
            b.collection,
            b.pages,
            b.entity.as_deref().unwrap_or("unknown"),
            b.last_file
        ));
    }
    for g in c.gaps.iter().take(GAPS_LISTED) {
        w.push(format!(
            "{}: no records for {} h, {} → {}, inside the covered span (an export gap or a quiet period: check the collection)",
            g.table, g.hours, g.from, g.to
        ));
    }
    if c.gaps.len() > GAPS_LISTED {
        let hours: i64 = c.gaps[GAPS_LISTED..].iter().map(|g| g.hours).sum();
        w.push(format!(
            "… and {} more gaps ({hours} h in all): coverage.parquet lists every hour",
            c.gaps.len() - GAPS_LISTED
        ));
    }
    let has_sign_ins = c.sign_in_event_types.values().sum::<u64>() > 0;
    let missing = |t: &str| c.missing_sign_in_event_types.iter().any(|m| m == t);
    if has_sign_ins && missing("nonInteractiveUser") {
        w.push(
            "no non-interactive sign-ins: token refresh and replay activity is not in the evidence \
             (export the beta signIns endpoint filtered on signInEventTypes)"
                .into(),
        );
    }
    if has_sign_ins && missing("servicePrincipal") && missing("managedIdentity") {
        w.push(
            "no service principal or managed identity sign-ins: workload identity activity is not in the evidence"
                .into(),
        );
    }
    let hidden: u64 = c.hidden_values.values().sum();
    if hidden > 0 {
        let columns: Vec<&str> = c.hidden_values.keys().map(String::as_str).collect();
        w.push(format!(
            "{hidden} risk values are \"hidden\" ({}): the tenant lacks an Entra ID P2 licence, so risk levels are unknown",
            columns.join(", ")
        ));
    }
    if let Some(v) = c.api_versions.get("signins") {
        let beta = v.get("beta").copied().unwrap_or(0);
        if has_sign_ins && beta == 0 {
            w.push(
                "no sign-ins from the beta endpoint: beta-only fields (userAgent, autonomousSystemNumber, \
                 sessionId, authenticationProtocol) are absent, and detections that need them say so"
                    .into(),
            );
        }
    }
    if !c.overlapping_sources.is_empty() {
        let dups: u64 = c.overlapping_sources.iter().map(|o| o.duplicates).sum();
        w.push(format!(
            "{} source(s) repeat records of earlier ones ({dups} duplicates dropped): overlapping exports",
            c.overlapping_sources.len()
        ));
    }
    w
}

/// Rows per API version of every table, as `table: v1.0 104, beta 10`.
pub fn versions_line(c: &Completeness) -> Vec<String> {
    c.api_versions
        .iter()
        .map(|(t, v): (&String, &BTreeMap<String, u64>)| {
            let parts: Vec<String> = v.iter().map(|(k, n)| format!("{k} {n}")).collect();
            format!("{t}: {}", parts.join(", "))
        })
        .collect()
}
