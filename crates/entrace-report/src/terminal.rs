//! The summary `entrace run` and `entrace analyze` print on stdout: what the
//! evidence covers, what was dropped or rejected, the findings and the users
//! most at risk, in one screen.
//!
//! Every evidence string is escaped with [`escape_control`] so a crafted UPN
//! or summary cannot move the cursor or rewrite the terminal. Colour is
//! decided by the caller (anstream: TTY and `NO_COLOR`).

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::model::Report;
use entrace_detect::RunStatus;
use entrace_model::text::escape_control;

/// Findings listed in the summary.
pub const TOP_FINDINGS: usize = 10;
/// Users listed in the summary.
pub const TOP_USERS: usize = 5;
/// Longest summary sentence shown before it is cut with `…`.
const SUMMARY_CHARS: usize = 140;

/// The colour of a severity.
pub fn severity_style(severity: &str) -> Style {
    let colour = match severity {
        "high" => return Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
        "medium" => AnsiColor::Yellow,
        "low" => AnsiColor::Cyan,
        _ => AnsiColor::BrightBlack,
    };
    Style::new().fg_color(Some(colour.into()))
}

fn cut(text: &str, max: usize) -> String {
    let clean = escape_control(text);
    if clean.chars().count() <= max {
        clean.into_owned()
    } else {
        let mut s: String = clean.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

fn paint(colour: bool, style: Style, text: &str) -> String {
    if colour {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// Writes the summary. `written` lists the report files, relative to OUT_DIR's parent as given.
pub fn write_summary(
    r: &Report,
    out_dir: &str,
    written: &[String],
    colour: bool,
    w: &mut impl Write,
) -> io::Result<()> {
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let ev = &r.evidence;
    let streams = ev.inputs.iter().filter(|i| i.kind != "archive").count();
    writeln!(
        w,
        "{} {} streams, {} bytes of evidence, {} records read",
        paint(colour, bold, "Evidence"),
        streams,
        ev.input_bytes,
        ev.totals.read
    )?;
    writeln!(
        w,
        "  {}",
        paint(
            colour,
            dim,
            &format!(
                "{:<20} {:>9} {:>10} {:>9}  {:<28}  {}",
                "table", "rows", "duplicates", "rejected", "first", "last"
            )
        )
    )?;
    for t in &ev.tables {
        writeln!(
            w,
            "  {:<20} {:>9} {:>10} {:>9}  {:<28}  {}",
            t.table,
            t.rows,
            t.duplicates,
            t.rejected,
            t.first_time.as_deref().unwrap_or("-"),
            t.last_time.as_deref().unwrap_or("-")
        )?;
    }
    if ev.totals.rejected == 0 {
        writeln!(w, "  no records rejected")?;
    } else {
        let reasons: Vec<String> = ev
            .rejects_by_reason
            .iter()
            .map(|(k, v)| format!("{} {v}", escape_control(k)))
            .collect();
        writeln!(
            w,
            "  {} records rejected ({}): see {}/{}",
            paint(
                colour,
                severity_style("medium"),
                &ev.totals.rejected.to_string()
            ),
            reasons.join(", "),
            out_dir,
            ev.rejects_file
        )?;
    }
    for warning in ev.warnings.iter().chain(&r.completeness.warnings) {
        writeln!(
            w,
            "  {} {}",
            paint(colour, severity_style("medium"), "warning:"),
            cut(warning, 220)
        )?;
    }

    writeln!(w)?;
    let counts: Vec<String> = ["high", "medium", "low", "info"]
        .iter()
        .map(|s| {
            let n = r.findings_by_severity.get(*s).copied().unwrap_or(0);
            let text = format!("{n} {s}");
            if n > 0 {
                paint(colour, severity_style(s), &text)
            } else {
                text
            }
        })
        .collect();
    writeln!(
        w,
        "{} {}",
        paint(colour, bold, "Findings"),
        counts.join(", ")
    )?;
    for f in r.findings.iter().take(TOP_FINDINGS) {
        writeln!(
            w,
            "  {}  {}  {}  {}",
            paint(
                colour,
                severity_style(f.severity.as_str()),
                &format!("{:<6}", f.severity)
            ),
            f.detection_id,
            cut(
                f.user_principal_name
                    .as_deref()
                    .or(f.ip_address.as_deref())
                    .unwrap_or("-"),
                60
            ),
            cut(&f.summary, SUMMARY_CHARS)
        )?;
    }
    if r.findings.len() > TOP_FINDINGS {
        writeln!(
            w,
            "  … and {} more in the reports",
            r.findings.len() - TOP_FINDINGS
        )?;
    }
    let skipped: Vec<&str> = r
        .detections
        .status
        .iter()
        .filter(|d| d.status == Some(RunStatus::Skipped))
        .map(|d| d.id.as_str())
        .collect();
    if !skipped.is_empty() {
        writeln!(
            w,
            "  skipped for lack of data: {} (reasons in the reports)",
            skipped.join(", ")
        )?;
    }

    if !r.users_at_risk.is_empty() {
        writeln!(w)?;
        writeln!(w, "{}", paint(colour, bold, "Users most at risk"))?;
        for (i, u) in r.users_at_risk.iter().take(TOP_USERS).enumerate() {
            let name = u
                .display_name
                .as_deref()
                .map(|d| format!(" ({})", cut(d, 40)))
                .unwrap_or_default();
            let risk = match (&u.risk_state, &u.risk_level) {
                (Some(s), Some(l)) => format!(
                    ", Identity Protection {} {}",
                    escape_control(s),
                    escape_control(l)
                ),
                _ => String::new(),
            };
            writeln!(
                w,
                "  {}. {}{}: {} finding{}, worst {}{}",
                i + 1,
                cut(
                    u.user_principal_name
                        .as_deref()
                        .or(u.user_id.as_deref())
                        .unwrap_or("-"),
                    60
                ),
                name,
                u.findings,
                if u.findings == 1 { "" } else { "s" },
                paint(
                    colour,
                    severity_style(u.max_severity.as_str()),
                    u.max_severity.as_str()
                ),
                risk
            )?;
        }
    }
    if !written.is_empty() {
        writeln!(w)?;
        writeln!(
            w,
            "{} {}",
            paint(colour, bold, "Reports"),
            written.join(", ")
        )?;
    }
    Ok(())
}
