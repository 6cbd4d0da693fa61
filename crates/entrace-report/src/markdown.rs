//! `report.md`: the whole report as Markdown, for case files, tickets and
//! diff-friendly review.
//!
//! Evidence text is attacker-controlled and Markdown viewers render inline
//! HTML, so every evidence string goes through [`md`]: HTML-significant
//! characters become entities, Markdown punctuation is backslash-escaped,
//! and control and bidi characters are made visible.

use std::fmt::Write;

use super::model::{Report, ReportFinding, UserSection};
use entrace_model::text::escape_control;

/// Escapes evidence text for a Markdown table cell or paragraph.
pub fn md(text: &str) -> String {
    let clean = escape_control(text);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn opt(v: &Option<String>) -> String {
    v.as_deref().map(md).unwrap_or_else(|| "-".into())
}

fn row(out: &mut String, cells: &[String]) {
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

fn header(out: &mut String, names: &[&str]) {
    let _ = writeln!(out, "| {} |", names.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(names.len()));
}

/// Renders the report.
pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# entrace case report\n");
    let _ = writeln!(
        o,
        "Written by {} {} from the tables of the conversion run {} → {} (report schema {} v{}).\n",
        md(&r.tool.name),
        md(&r.tool.version),
        opt(&r.run.started_at),
        opt(&r.run.finished_at),
        r.schema,
        r.schema_version
    );
    overview(&mut o, r);
    evidence(&mut o, r);
    coverage(&mut o, r);
    completeness(&mut o, r);
    findings(&mut o, r);
    users(&mut o, r);
    top(&mut o, r);
    detections(&mut o, r);
    o
}

fn overview(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## Overview\n");
    let sev = |s: &str| r.findings_by_severity.get(s).copied().unwrap_or(0);
    let _ = writeln!(
        o,
        "- Findings: **{} high**, {} medium, {} low, {} info.",
        sev("high"),
        sev("medium"),
        sev("low"),
        sev("info")
    );
    let t = &r.evidence.totals;
    let _ = writeln!(
        o,
        "- Records: {} read, {} written, {} duplicates dropped, {} rejected (see `{}`).",
        t.read, t.written, t.duplicates, t.rejected, r.evidence.rejects_file
    );
    if !r.users_at_risk.is_empty() {
        let _ = writeln!(o, "\nUsers most at risk:\n");
        header(
            o,
            &[
                "#",
                "user",
                "display name",
                "worst",
                "findings",
                "risk state",
                "risk level",
            ],
        );
        for (i, u) in r.users_at_risk.iter().enumerate() {
            row(
                o,
                &[
                    (i + 1).to_string(),
                    opt(&u.user_principal_name),
                    opt(&u.display_name),
                    u.max_severity.to_string(),
                    u.findings.to_string(),
                    opt(&u.risk_state),
                    opt(&u.risk_level),
                ],
            );
        }
    }
    let _ = writeln!(o);
}

fn evidence(o: &mut String, r: &Report) {
    let e = &r.evidence;
    let _ = writeln!(o, "## Evidence and chain of custody\n");
    let _ = writeln!(
        o,
        "Command line: `{}`\n",
        md(&r.run.arguments.join(" ")).replace('`', "'")
    );
    let _ = writeln!(
        o,
        "{} bytes of evidence in {} inputs:\n",
        e.input_bytes,
        e.inputs.len()
    );
    header(
        o,
        &[
            "path", "member", "kind", "bytes", "SHA-256", "encoding", "shape", "entity", "records",
        ],
    );
    for i in &e.inputs {
        row(
            o,
            &[
                md(&i.path),
                opt(&i.member),
                i.kind.clone(),
                i.size.to_string(),
                format!("`{}`", i.sha256),
                opt(&i.encoding),
                opt(&i.shape),
                opt(&i.entity),
                i.records.to_string(),
            ],
        );
    }
    let _ = writeln!(o, "\nTables written:\n");
    header(
        o,
        &[
            "table",
            "rows",
            "duplicates",
            "conflicting",
            "rejected",
            "first",
            "last",
            "SHA-256",
        ],
    );
    for t in &e.tables {
        row(
            o,
            &[
                format!("`{}`", t.file),
                t.rows.to_string(),
                t.duplicates.to_string(),
                t.conflicting_duplicates.to_string(),
                t.rejected.to_string(),
                opt(&t.first_time),
                opt(&t.last_time),
                t.sha256
                    .as_deref()
                    .map(|s| format!("`{s}`"))
                    .unwrap_or_else(|| "-".into()),
            ],
        );
    }
    if e.rejects_by_reason.is_empty() {
        let _ = writeln!(o, "\nNo record was rejected.");
    } else {
        let _ = writeln!(
            o,
            "\nRejected records (every one is in `{}` with its location):\n",
            e.rejects_file
        );
        header(o, &["reason", "records"]);
        for (k, v) in &e.rejects_by_reason {
            row(o, &[md(k), v.to_string()]);
        }
    }
    for w in &e.warnings {
        let _ = writeln!(o, "\n> warning: {}", md(w));
    }
    let _ = writeln!(o);
}

fn coverage(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## Coverage per day (UTC)\n");
    let tables: Vec<&str> = r.evidence.tables.iter().map(|t| t.table.as_str()).collect();
    let mut days: Vec<&str> = r.coverage.iter().map(|c| c.day.as_str()).collect();
    days.sort();
    days.dedup();
    if days.is_empty() {
        let _ = writeln!(o, "No dated records.\n");
        return;
    }
    let mut names = vec!["day"];
    names.extend(&tables);
    header(o, &names);
    for d in days {
        let mut cells = vec![d.to_string()];
        for t in &tables {
            let n = r
                .coverage
                .iter()
                .find(|c| c.day == d && c.table == *t)
                .map_or(0, |c| c.records);
            cells.push(n.to_string());
        }
        row(o, &cells);
    }
    let _ = writeln!(o);
}

fn completeness(o: &mut String, r: &Report) {
    let c = &r.completeness;
    let _ = writeln!(o, "## Completeness\n");
    if c.warnings.is_empty() {
        let _ = writeln!(o, "Nothing to flag.\n");
    }
    for w in &c.warnings {
        let _ = writeln!(o, "- **warning:** {}", md(w));
    }
    let types: Vec<String> = c
        .sign_in_event_types
        .iter()
        .map(|(k, n)| format!("{} {n}", md(k)))
        .collect();
    let _ = writeln!(
        o,
        "\n- Sign-in event types: {}; none of: {}.",
        if types.is_empty() {
            "-".into()
        } else {
            types.join(", ")
        },
        if c.missing_sign_in_event_types.is_empty() {
            "-".into()
        } else {
            c.missing_sign_in_event_types.join(", ")
        }
    );
    let _ = writeln!(
        o,
        "- API versions: {}.",
        md(&super::completeness::versions_line(c).join("; "))
    );
    let hidden: Vec<String> = c
        .hidden_values
        .iter()
        .map(|(k, n)| format!("{} {n}", md(k)))
        .collect();
    let _ = writeln!(
        o,
        "- Values hidden for lack of a P2 licence: {}.",
        if hidden.is_empty() {
            "none".into()
        } else {
            hidden.join(", ")
        }
    );
    if !c.gaps.is_empty() {
        let _ = writeln!(o, "\nGaps (runs of empty hours inside a table's span):\n");
        header(o, &["table", "from", "to", "hours"]);
        for g in &c.gaps {
            row(
                o,
                &[
                    g.table.clone(),
                    g.from.clone(),
                    g.to.clone(),
                    g.hours.to_string(),
                ],
            );
        }
    }
    if !c.overlapping_sources.is_empty() {
        let _ = writeln!(o, "\nSources repeating earlier records:\n");
        header(o, &["path", "member", "records", "duplicates"]);
        for s in &c.overlapping_sources {
            row(
                o,
                &[
                    md(&s.path),
                    opt(&s.member),
                    s.read.to_string(),
                    s.duplicates.to_string(),
                ],
            );
        }
    }
    let _ = writeln!(o);
}

fn who(f: &ReportFinding) -> String {
    let upn = f
        .user_principal_name
        .as_deref()
        .or(f.user_id.as_deref())
        .or(f.ip_address.as_deref())
        .map(md)
        .unwrap_or_else(|| "-".into());
    match &f.display_name {
        Some(d) => format!("{upn} ({})", md(d)),
        None => upn,
    }
}

fn findings(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## Findings\n");
    if r.findings.is_empty() {
        if r.finding_groups.is_empty() {
            let _ = writeln!(o, "No findings.\n");
        } else {
            let _ = writeln!(
                o,
                "No finding is listed one by one: all are in the groups below.\n"
            );
        }
    } else {
        listed_findings(o, r);
    }
    let c = &r.capped;
    if c.findings_not_shown > 0 {
        let _ = writeln!(
            o,
            "{} more finding(s) past the first {} are not listed here: every finding is in findings.parquet.\n",
            c.findings_not_shown, c.findings_cap
        );
    }
    if !r.finding_groups.is_empty() {
        let _ = writeln!(o, "### Grouped findings\n");
        let _ = writeln!(
            o,
            "A detection that raised more than {} info-level findings has them summarised in one row ({} findings in all); each is in findings.parquet.\n",
            c.group_info_over, c.findings_grouped
        );
        header(
            o,
            &[
                "severity",
                "detection",
                "findings",
                "subjects",
                "first seen",
                "last seen",
            ],
        );
        for g in &r.finding_groups {
            row(
                o,
                &[
                    g.severity.to_string(),
                    format!("{} {}", g.detection_id, md(&g.name)),
                    g.findings.to_string(),
                    g.subjects.to_string(),
                    g.first_seen.clone(),
                    g.last_seen.clone(),
                ],
            );
        }
        let _ = writeln!(o);
    }
}

fn listed_findings(o: &mut String, r: &Report) {
    header(
        o,
        &[
            "severity",
            "finding",
            "detection",
            "user",
            "first seen",
            "summary",
        ],
    );
    for f in &r.findings {
        row(
            o,
            &[
                f.severity.to_string(),
                format!("[{}](#{})", f.finding_id, f.finding_id.to_lowercase()),
                format!("{} {}", f.detection_id, md(&f.name)),
                who(f),
                f.first_seen.clone(),
                md(&f.summary),
            ],
        );
    }
    let _ = writeln!(o);
    for f in &r.findings {
        let _ = writeln!(o, "### {}\n", f.finding_id);
        let _ = writeln!(
            o,
            "**{} {}**, {}: {}\n",
            f.detection_id,
            md(&f.name),
            f.severity,
            md(&f.summary)
        );
        let _ = writeln!(o, "- user: {}", who(f));
        if let Some(ip) = &f.ip_address {
            let _ = writeln!(o, "- IP address: {}", md(ip));
        }
        let _ = writeln!(o, "- seen: {} → {}", f.first_seen, f.last_seen);
        if !f.mitre.is_empty() {
            let _ = writeln!(o, "- MITRE ATT&CK: {}", f.mitre.join(", "));
        }
        if let Some(b) = &f.join_basis {
            let _ = writeln!(o, "- records linked by: {}", md(b));
        }
        let _ = writeln!(
            o,
            "- evidence: {} record{}{}\n",
            f.evidence_count,
            if f.evidence_count == 1 { "" } else { "s" },
            if (f.evidence.len() as u64) < f.evidence_count {
                format!(" (first {} listed)", f.evidence.len())
            } else {
                String::new()
            }
        );
        header(
            o,
            &[
                "time", "role", "table", "record", "action", "result", "IP", "country", "app",
                "detail",
            ],
        );
        for e in &f.evidence {
            row(
                o,
                &[
                    e.time.clone(),
                    e.role.clone(),
                    e.table.clone(),
                    format!("`{}`", md(&e.record_id).replace('`', "'")),
                    md(&e.action),
                    opt(&e.result),
                    opt(&e.ip_address),
                    opt(&e.country),
                    opt(&e.app),
                    opt(&e.detail),
                ],
            );
        }
        let _ = writeln!(o);
    }
}

fn user_title(u: &UserSection) -> String {
    let upn = u
        .user_principal_name
        .as_deref()
        .or(u.user_id.as_deref())
        .map(md)
        .unwrap_or_else(|| "-".into());
    match &u.display_name {
        Some(d) => format!("{upn} ({})", md(d)),
        None => upn,
    }
}

fn users(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## Users with findings\n");
    if r.users.is_empty() {
        let _ = writeln!(o, "None.\n");
        return;
    }
    let c = &r.capped;
    if c.user_sections < c.users_with_listed_findings {
        let _ = writeln!(
            o,
            "Sections for the {} riskiest of the {} users with a listed finding; every user is in per_user.parquet and every record in timeline.parquet.\n",
            c.user_sections, c.users_with_listed_findings
        );
    }
    for u in &r.users {
        let _ = writeln!(o, "### {}\n", user_title(u));
        let _ = writeln!(
            o,
            "Object id {}; worst finding {}; findings {}.\n",
            opt(&u.user_id),
            u.max_severity,
            u.finding_ids.join(", ")
        );
        let _ = writeln!(
            o,
            "Sign-ins: {} ({} failed, {} blocked) from {} IP address(es) in {}.\n",
            u.sign_ins,
            u.sign_ins_failure,
            u.sign_ins_blocked,
            u.distinct_ips,
            if u.countries.is_empty() {
                "no recorded country".to_string()
            } else {
                u.countries
                    .iter()
                    .map(|c| md(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
        let _ = writeln!(
            o,
            "Timeline within {} minutes of each finding ({} row{}{}):\n",
            u.window_minutes,
            u.timeline_rows_in_windows,
            if u.timeline_rows_in_windows == 1 {
                ""
            } else {
                "s"
            },
            if (u.timeline.len() as u64) < u.timeline_rows_in_windows {
                format!(", first {} shown", u.timeline.len())
            } else {
                String::new()
            }
        );
        header(
            o,
            &[
                "time", "entity", "role", "action", "result", "IP", "country", "app", "client",
                "detail", "findings",
            ],
        );
        for t in &u.timeline {
            row(
                o,
                &[
                    t.time.clone(),
                    t.entity.clone(),
                    t.role.clone(),
                    md(&t.action),
                    opt(&t.result),
                    opt(&t.ip_address),
                    opt(&t.country),
                    opt(&t.app),
                    opt(&t.client),
                    opt(&t.detail),
                    t.finding_ids.join(", "),
                ],
            );
        }
        let _ = writeln!(o);
    }
}

fn top(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## Sign-ins at a glance\n");
    let _ = writeln!(o, "Most frequent error codes:\n");
    header(
        o,
        &["code", "label", "class", "sign-ins", "users", "meaning"],
    );
    for e in &r.top.error_codes {
        row(
            o,
            &[
                e.code.to_string(),
                md(&e.label),
                e.class.clone(),
                e.sign_ins.to_string(),
                e.users.to_string(),
                md(&e.meaning),
            ],
        );
    }
    for (title, list) in [
        ("Countries", &r.top.countries),
        ("IP addresses", &r.top.ip_addresses),
        ("Applications", &r.top.apps),
    ] {
        let _ = writeln!(o, "\n{title}:\n");
        header(o, &["value", "sign-ins", "not successful", "users"]);
        for v in list {
            row(
                o,
                &[
                    md(&v.value),
                    v.sign_ins.to_string(),
                    v.unsuccessful.to_string(),
                    v.users.to_string(),
                ],
            );
        }
    }
    let _ = writeln!(o);
}

fn detections(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## Detections and thresholds\n");
    header(
        o,
        &[
            "detection",
            "name",
            "status",
            "findings",
            "thresholds",
            "note",
        ],
    );
    for d in &r.detections.status {
        let thresholds = r.detections.thresholds_of(&d.id);
        row(
            o,
            &[
                d.id.clone(),
                md(&d.name),
                d.status_name().to_string(),
                d.findings.to_string(),
                md(&thresholds),
                opt(&d.reason),
            ],
        );
    }
    o.push('\n');
}

#[cfg(test)]
mod tests {
    use super::md;

    #[test]
    fn evidence_text_cannot_inject_html_or_break_tables() {
        assert_eq!(
            md("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        // A newline shows as a visible \n and cannot end the table row.
        assert_eq!(md("a|b\nc"), "a\\|b\\\\nc");
        assert_eq!(md("[x](javascript:1)"), "\\[x\\](javascript:1)");
    }
}
