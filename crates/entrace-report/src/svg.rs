//! Geometry of the HTML report's charts. The template draws them as inline
//! SVG from these shapes, so the report needs no script library, font or
//! network, and every label passes through the template's auto-escaping.
//!
//! Two kinds: stacked columns over time ([`stacked_columns`]) and ranked
//! horizontal bars ([`ranked_bars`]).

use serde::Serialize;

/// A chart ready to draw: a `width × height` viewBox of rectangles and labels.
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// Title shown above the chart.
    pub title: String,
    /// viewBox width.
    pub width: f64,
    /// viewBox height.
    pub height: f64,
    /// Bars or bar segments.
    pub rects: Vec<Rect>,
    /// Text labels (axes, categories, values).
    pub labels: Vec<Label>,
    /// Series names and their CSS classes, for the legend.
    pub legend: Vec<(String, String)>,
    /// Whether there is nothing to draw.
    pub empty: bool,
}

/// One rectangle.
#[derive(Debug, Clone, Serialize)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
    /// CSS class (the series).
    pub class: String,
    /// Tooltip (`<title>`).
    pub tip: String,
}

/// One text label.
#[derive(Debug, Clone, Serialize)]
pub struct Label {
    /// Anchor x.
    pub x: f64,
    /// Baseline y.
    pub y: f64,
    /// `start`, `middle` or `end`.
    pub anchor: &'static str,
    /// The text.
    pub text: String,
}

const WIDTH: f64 = 900.0;
const LEFT: f64 = 48.0;
const TOP: f64 = 12.0;
const PLOT_H: f64 = 180.0;
const BOTTOM: f64 = 36.0;

/// Rounds `max` up to a readable axis maximum (1, 2 or 5 × 10^k).
fn nice_max(max: u64) -> u64 {
    let max = max.max(1);
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step * m >= max {
                return step * m;
            }
        }
        step *= 10;
    }
}

/// Stacked columns: one column per category (`labels`), one segment per
/// series (`series`: name, CSS class, value per category).
pub fn stacked_columns(
    title: &str,
    labels: &[String],
    series: &[(&str, &str, Vec<u64>)],
    label_every: usize,
) -> Chart {
    let n = labels.len();
    let totals: Vec<u64> = (0..n)
        .map(|i| series.iter().map(|s| s.2[i]).sum())
        .collect();
    let top = nice_max(totals.iter().copied().max().unwrap_or(0));
    let plot_w = WIDTH - LEFT - 8.0;
    let slot = if n == 0 { plot_w } else { plot_w / n as f64 };
    let bar_w = (slot * 0.8).clamp(0.5, 48.0);
    let scale = PLOT_H / top as f64;
    let mut rects = Vec::new();
    for i in 0..n {
        let mut y = TOP + PLOT_H;
        for (name, class, values) in series {
            let v = values[i];
            if v == 0 {
                continue;
            }
            let h = v as f64 * scale;
            y -= h;
            rects.push(Rect {
                x: round(LEFT + i as f64 * slot + (slot - bar_w) / 2.0),
                y: round(y),
                w: round(bar_w),
                h: round(h),
                class: (*class).into(),
                tip: format!("{}: {v} {name}", labels[i]),
            });
        }
    }
    let mut text = axis(top);
    let every = label_every.max(1);
    for (i, l) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        text.push(Label {
            x: round(LEFT + i as f64 * slot + slot / 2.0),
            y: TOP + PLOT_H + 16.0,
            anchor: "middle",
            text: l.clone(),
        });
    }
    Chart {
        title: title.into(),
        width: WIDTH,
        height: TOP + PLOT_H + BOTTOM,
        empty: totals.iter().all(|&t| t == 0),
        rects,
        labels: text,
        legend: series
            .iter()
            .map(|(name, class, _)| ((*name).into(), (*class).into()))
            .collect(),
    }
}

fn axis(top: u64) -> Vec<Label> {
    [0, top / 2, top]
        .iter()
        .map(|&v| Label {
            x: LEFT - 6.0,
            y: round(TOP + PLOT_H - v as f64 * PLOT_H / top as f64 + 4.0),
            anchor: "end",
            text: v.to_string(),
        })
        .collect()
}

/// Horizontal bars, one per `(label, value)`, longest first as given.
pub fn ranked_bars(title: &str, items: &[(String, u64)], class: &str) -> Chart {
    const ROW: f64 = 22.0;
    const LABEL_W: f64 = 300.0;
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
    let bar_space = WIDTH - LABEL_W - 70.0;
    let mut rects = Vec::new();
    let mut labels = Vec::new();
    for (i, (label, v)) in items.iter().enumerate() {
        let y = TOP + i as f64 * ROW;
        let w = (*v as f64 / max as f64 * bar_space).max(1.0);
        rects.push(Rect {
            x: LABEL_W,
            y: round(y),
            w: round(w),
            h: ROW - 6.0,
            class: class.into(),
            tip: format!("{label}: {v}"),
        });
        labels.push(Label {
            x: LABEL_W - 8.0,
            y: round(y + 12.0),
            anchor: "end",
            text: shorten(label, 42),
        });
        labels.push(Label {
            x: round(LABEL_W + w + 6.0),
            y: round(y + 12.0),
            anchor: "start",
            text: v.to_string(),
        });
    }
    Chart {
        title: title.into(),
        width: WIDTH,
        height: TOP + items.len().max(1) as f64 * ROW + 8.0,
        empty: items.is_empty(),
        rects,
        labels,
        legend: Vec::new(),
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_stack_and_scale_to_a_nice_maximum() {
        let labels = vec!["a".to_string(), "b".to_string()];
        let c = stacked_columns(
            "t",
            &labels,
            &[("ok", "ok", vec![3, 0]), ("bad", "bad", vec![4, 1])],
            1,
        );
        // Max 7 → axis 10: column a is 70 % of the plot, split 3 + 4.
        assert_eq!(c.rects.len(), 3);
        assert_eq!(c.rects[0].h, 54.0);
        assert_eq!(c.rects[1].h, 72.0);
        assert_eq!(c.rects[1].y + c.rects[1].h, c.rects[0].y);
        assert_eq!(c.labels[2].text, "10");
        assert!(!c.empty);
    }

    #[test]
    fn bars_are_proportional_and_labels_shortened() {
        let c = ranked_bars("t", &[("x".repeat(50), 10), ("y".into(), 5)], "bar");
        assert_eq!(c.rects[1].w * 2.0, c.rects[0].w);
        assert_eq!(c.labels[0].text.chars().count(), 42);
        assert_eq!(nice_max(0), 1);
        assert_eq!(nice_max(11), 20);
        assert_eq!(nice_max(500), 500);
    }
}
