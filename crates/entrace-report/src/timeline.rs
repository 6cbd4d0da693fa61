//! `entrace timeline`: one user's (or everyone's) correlated timeline as an
//! aligned terminal table, CSV or Timesketch-ready JSON Lines.
//!
//! Every cell comes from evidence and may be attacker-controlled: the table
//! escapes control and bidi characters, CSV neutralises formula prefixes, and
//! JSON is escaped by serde_json.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use entrace_model::error::{Error, Result};
use entrace_model::text::{csv_safe, escape_control};
use entrace_model::time::format_timestamp;
use entrace_model::EntityKind;
use entrace_table::stage2::timeline::Timeline;
use entrace_table::stage2::timeline::TimelineRow;

/// Which rows to show.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// A UPN (any case) or an object id; `None` for every user.
    pub user: Option<String>,
    /// Only events at or after this instant (UTC ns).
    pub since: Option<i64>,
    /// Only events at or before this instant (UTC ns).
    pub until: Option<i64>,
}

/// The rows `sel` asks for, in timeline order. A UPN that several object ids
/// carry is an error listing them: the user must choose by id.
pub fn select<'a>(rows: &'a [TimelineRow], sel: &Selection) -> Result<Vec<&'a TimelineRow>> {
    let in_time = |r: &TimelineRow| {
        sel.since.is_none_or(|s| r.time >= s) && sel.until.is_none_or(|u| r.time <= u)
    };
    let Some(wanted) = sel.user.as_deref().map(|u| u.trim().to_lowercase()) else {
        return Ok(rows.iter().filter(|r| in_time(r)).collect());
    };
    let by_id = rows
        .iter()
        .any(|r| r.user_id.as_deref() == Some(wanted.as_str()));
    let matches_upn = |r: &TimelineRow| {
        r.user_principal_name.as_deref().map(str::to_lowercase) == Some(wanted.clone())
    };
    let user_ids: std::collections::BTreeSet<&str> = if by_id {
        [wanted.as_str()].into()
    } else {
        rows.iter()
            .filter(|r| matches_upn(r))
            .filter_map(|r| r.user_id.as_deref())
            .collect()
    };
    if user_ids.len() > 1 {
        return Err(Error::Usage(format!(
            "{wanted} belongs to several users; choose one by object id: {}",
            user_ids.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    let picked: Vec<&TimelineRow> = match user_ids.first() {
        Some(id) => rows
            .iter()
            .filter(|r| r.user_id.as_deref() == Some(*id))
            .collect(),
        // Only UPN-only rows carry it (e.g. a sign-in attempt on a name that does not exist).
        None => rows
            .iter()
            .filter(|r| r.user_id.is_none() && matches_upn(r))
            .collect(),
    };
    if picked.is_empty() {
        return Err(Error::Usage(format!(
            "no user {wanted} in the timeline (give a UPN or an object id; per_user.parquet lists every user)"
        )));
    }
    Ok(picked.into_iter().filter(|r| in_time(r)).collect())
}

fn entity_label(e: EntityKind) -> &'static str {
    match e {
        EntityKind::SignIn => "sign-in",
        EntityKind::DirectoryAudit => "audit",
        EntityKind::RiskDetection => "risk",
        EntityKind::RiskyUser => "risky user",
        EntityKind::RiskyUserHistory => "risk history",
    }
}

fn result_style(r: &TimelineRow) -> Style {
    let colour = match (r.entity, r.result.as_deref()) {
        (EntityKind::SignIn, Some("success")) => AnsiColor::Green,
        (EntityKind::SignIn, Some("interrupted")) => AnsiColor::Yellow,
        (EntityKind::SignIn, Some("blocked")) => {
            return Style::new().fg_color(Some(AnsiColor::Red.into())).bold()
        }
        (EntityKind::SignIn, _) => AnsiColor::Red,
        (EntityKind::DirectoryAudit, Some(r)) if r.eq_ignore_ascii_case("failure") => {
            AnsiColor::Red
        }
        (EntityKind::DirectoryAudit, _) => AnsiColor::Cyan,
        _ => AnsiColor::Magenta,
    };
    Style::new().fg_color(Some(colour.into()))
}

/// `text` escaped and cut to at most `width` terminal columns (`…` marks a cut).
fn fit(text: &str, width: usize) -> String {
    let text = escape_control(text);
    if text.width() <= width {
        return text.into_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

fn pad(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(text.width());
    format!("{text}{}", " ".repeat(fill))
}

fn links(r: &TimelineRow) -> String {
    let Some(first) = r.linked_record_ids.first() else {
        return String::new();
    };
    let basis = r.link_basis.map(|b| b.as_str()).unwrap_or("");
    let n = r.linked_record_ids.len();
    let short: String = first.chars().take(8).collect();
    match r.entity {
        // Audit ids of one flow share a prefix; the flow size says more.
        EntityKind::DirectoryAudit => format!("flow of {} ({basis})", n + 1),
        EntityKind::SignIn if n == 1 => format!("risk {short} ({basis})"),
        EntityKind::SignIn => format!("{n} risks ({basis})"),
        _ if n == 1 => format!("sign-in {short} ({basis})"),
        _ => format!("{n} sign-ins ({basis})"),
    }
}

/// Column headers and maximum widths of the terminal table.
const TABLE: [(&str, usize); 9] = [
    ("TIME (UTC)", 27),
    ("ENTITY", 12),
    ("ROLE", 7),
    ("ACTION", 64),
    ("RESULT", 11),
    ("IP", 39),
    ("WHERE", 20),
    ("APP / CLIENT", 48),
    ("LINKS", 32),
];

fn cells(r: &TimelineRow) -> [String; 9] {
    let place = [r.country.as_deref(), r.city.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let app = [r.app.as_deref(), r.client.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · ");
    let time = format_timestamp(r.time).replace('T', " ");
    [
        time.trim_end_matches('Z').to_owned(),
        entity_label(r.entity).to_owned(),
        r.role.as_str().to_owned(),
        r.action.clone(),
        r.result.clone().unwrap_or_default(),
        r.ip_address.clone().unwrap_or_default(),
        place,
        app,
        links(r),
    ]
}

/// Writes the aligned table, one block per user. Colour codes are written
/// when `colour` is set (the caller decides from the terminal and NO_COLOR).
pub fn write_table(
    rows: &[&TimelineRow],
    colour: bool,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let dim = Style::new().dimmed();
    let bold = Style::new().bold();
    let paint = |s: Style, text: &str| {
        if colour {
            format!("{s}{text}{s:#}")
        } else {
            text.to_owned()
        }
    };
    let mut start = 0;
    while start < rows.len() {
        let key = |r: &TimelineRow| match &r.user_id {
            Some(id) => (Some(id.clone()), None),
            None => (
                None,
                r.user_principal_name.as_deref().map(str::to_lowercase),
            ),
        };
        let user = key(rows[start]);
        let end = start + rows[start..].iter().take_while(|r| key(r) == user).count();
        let block = &rows[start..end];
        let name = rows[start]
            .user_principal_name
            .as_deref()
            .unwrap_or("(no UPN)");
        let id = user.0.as_deref().unwrap_or("no object id");
        writeln!(
            out,
            "{}",
            paint(
                bold,
                &format!(
                    "{} ({}): {} events",
                    fit(name, 80),
                    fit(id, 40),
                    block.len()
                )
            )
        )?;
        let all: Vec<[String; 9]> = block.iter().map(|r| cells(r)).collect();
        let widths: Vec<usize> = TABLE
            .iter()
            .enumerate()
            .map(|(i, (head, max))| {
                let widest = all
                    .iter()
                    .map(|c| fit(&c[i], *max).width())
                    .max()
                    .unwrap_or(0);
                widest.max(head.width())
            })
            .collect();
        let header: Vec<String> = TABLE
            .iter()
            .zip(&widths)
            .map(|((h, _), w)| pad(h, *w))
            .collect();
        writeln!(out, "{}", paint(dim, header.join("  ").trim_end()))?;
        for (r, c) in block.iter().zip(&all) {
            let mut line = Vec::with_capacity(9);
            for (i, ((_, max), w)) in TABLE.iter().zip(&widths).enumerate() {
                let cell = pad(&fit(&c[i], *max), *w);
                line.push(if i == 3 || i == 4 {
                    paint(result_style(r), &cell)
                } else {
                    cell
                });
            }
            writeln!(out, "{}", line.join("  ").trim_end())?;
        }
        writeln!(out)?;
        start = end;
    }
    if rows.is_empty() {
        writeln!(out, "no events in the selected range")?;
    }
    Ok(())
}

/// Every column of a row as text, in [`Timeline::COLUMNS`] order.
fn text_columns(r: &TimelineRow) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        o(&r.user_id),
        o(&r.user_principal_name),
        format_timestamp(r.time),
        r.entity.name().to_owned(),
        r.record_id.clone(),
        r.role.as_str().to_owned(),
        r.action.clone(),
        o(&r.result),
        r.error_code.map(|c| c.to_string()).unwrap_or_default(),
        o(&r.ip_address),
        o(&r.country),
        o(&r.city),
        o(&r.app),
        o(&r.client),
        o(&r.risk_level),
        o(&r.correlation_id),
        o(&r.session_key),
        r.linked_record_ids.join(";"),
        r.link_basis
            .map(|b| b.as_str().to_owned())
            .unwrap_or_default(),
        r.identity_basis.as_str().to_owned(),
        o(&r.detail),
        r.finding_ids.join(";"),
    ]
}

/// Writes CSV with a header, every timeline column, lists joined with `;`, and
/// formula-like cells neutralised.
pub fn write_csv(rows: &[&TimelineRow], out: impl Write) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(Timeline::COLUMNS.iter().map(|c| c.0))?;
    for r in rows {
        let cols = text_columns(r);
        w.write_record(cols.iter().map(|c| csv_safe(c).into_owned()))?;
    }
    w.flush()
}

fn timestamp_desc(e: EntityKind) -> &'static str {
    match e {
        EntityKind::SignIn => "Sign-in time",
        EntityKind::DirectoryAudit => "Audit activity time",
        EntityKind::RiskDetection => "Risk activity time",
        EntityKind::RiskyUser | EntityKind::RiskyUserHistory => "Risk last updated",
    }
}

/// Writes Timesketch-ready JSON Lines: `message`, `datetime` (ISO 8601 UTC),
/// `timestamp` (µs), `timestamp_desc`, then every timeline column.
pub fn write_jsonl(rows: &[&TimelineRow], mut out: impl Write) -> std::io::Result<()> {
    for r in rows {
        let mut obj = serde_json::Map::new();
        let who = r
            .user_principal_name
            .as_deref()
            .or(r.user_id.as_deref())
            .unwrap_or("(unknown user)");
        obj.insert("message".into(), format!("{who}: {}", r.action).into());
        obj.insert("datetime".into(), format_timestamp(r.time).into());
        obj.insert("timestamp".into(), r.time.div_euclid(1000).into());
        obj.insert("timestamp_desc".into(), timestamp_desc(r.entity).into());
        for ((name, _, _), value) in Timeline::COLUMNS.iter().zip(text_columns(r)) {
            let v = match *name {
                "linked_record_ids" => r.linked_record_ids.clone().into(),
                "finding_ids" => r.finding_ids.clone().into(),
                "error_code" => r.error_code.map_or(serde_json::Value::Null, Into::into),
                _ if value.is_empty() => serde_json::Value::Null,
                _ => value.into(),
            };
            obj.insert((*name).into(), v);
        }
        serde_json::to_writer(&mut out, &obj)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_cut_by_display_width_and_escaped() {
        assert_eq!(fit("ユーザ04のサインイン", 9), "ユーザ04…");
        assert_eq!(fit("a\u{1b}[31mb", 40), "a\\u{1b}[31mb");
    }
}
