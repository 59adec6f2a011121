//! PNG plots (plotters, bitmap backend): training curves and the confusion matrix.
//!
//! Text needs a system sans-serif font (found through fontconfig, e.g. DejaVu). If none is found
//! the plots are drawn without any text instead of failing.

use super::metrics::Metrics;
use super::train::{ClassWeights, EpochStats, TrainConfig, TrainHistory};
use plotters::prelude::*;
use plotters::style::{FontFamily, FontStyle};
use std::path::Path;

/// Whether text can be rendered (a sans-serif font is available; `VERIREGIME_PLOT_NO_TEXT` set
/// forces text off).
pub fn fonts_available() -> bool {
    std::env::var_os("VERIREGIME_PLOT_NO_TEXT").is_none()
        && FontDesc::new(FontFamily::SansSerif, 12.0, FontStyle::Normal).box_size("0").is_ok()
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("plotting: {e:?}")
}

/// The file [`plot_history`] writes in a model folder.
pub const TRAINING_PNG: &str = "training.png";
/// The per-epoch history beside it (a [`TrainHistory`] as JSON), so the curves can be drawn
/// again without retraining ([`replot_model_dir`]).
pub const HISTORY_FILE: &str = "history.json";

/// What the training loss of a run is, from its configuration: with a teacher it is the
/// distillation objective, not a cross-entropy, so it is never drawn on the validation
/// cross-entropy's axis.
pub fn train_loss_name(cfg: &TrainConfig) -> String {
    let base = match (&cfg.distill, cfg.focal_gamma) {
        (Some(d), _) => format!("distillation loss ({} CE + {} T\u{b2} KL, T = {})", d.alpha, d.beta, d.temperature),
        (None, Some(g)) => format!("focal loss (gamma {g})"),
        (None, None) if cfg.label_smoothing > 0.0 => format!("cross-entropy, label smoothing {}", cfg.label_smoothing),
        (None, None) => "cross-entropy".to_string(),
    };
    let weighted = !matches!(cfg.class_weights, ClassWeights::None);
    let reg = cfg.regularizer.is_some();
    match (weighted, reg) {
        (false, false) => base,
        (true, false) => format!("{base}, class-weighted"),
        (false, true) => format!("{base} + weight penalty"),
        (true, true) => format!("{base}, class-weighted, + weight penalty"),
    }
}

/// Training curves with a generic name for the training loss; see [`plot_training`].
pub fn plot_history(hist: &TrainHistory, title: &str, path: impl AsRef<Path>) -> anyhow::Result<()> {
    plot_training(hist, title, "training loss", path)
}

/// Training curves, one quantity per axis: the training loss (`loss_name`: what the run
/// minimised, on its training subsample), the validation cross-entropy, and the validation
/// accuracy and macro-F1 (both fractions of the same windows). The kept epoch (best validation
/// macro-F1) is a dashed line with a marked point on every curve.
pub fn plot_training(hist: &TrainHistory, title: &str, loss_name: &str, path: impl AsRef<Path>) -> anyhow::Result<()> {
    anyhow::ensure!(!hist.epochs.is_empty(), "empty history");
    let text = fonts_available();
    let root = BitMapBackend::new(path.as_ref(), (1500, 540)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let best = hist.best_epoch;
    let area = if text {
        let t = format!("{title} (kept epoch {best} of {}: best validation macro-F1 {:.4})", hist.epochs.len(), hist.best_val_macro_f1);
        root.titled(&t, ("sans-serif", 22)).map_err(err)?
    } else {
        root.clone()
    };
    let (panels, key) = area.split_vertically(area.dim_in_pixel().1 as i32 - if text { 40 } else { 0 });
    let n = hist.epochs.len() as f64;
    let x = (0.5, n.max(2.0) + 0.5);
    let pts = |f: fn(&EpochStats) -> f64| hist.epochs.iter().map(|e| (e.epoch as f64, f(e))).filter(|p| p.1.is_finite()).collect::<Vec<_>>();
    let [blue, vermillion, green, purple] = [PALETTE[0], RGBColor(213, 94, 0), PALETTE[2], PALETTE[4]];
    let areas = panels.split_evenly((1, 3));
    let generic = loss_name == "training loss";
    let loss_caption = if generic { loss_name.to_string() } else { format!("training: {loss_name}") };
    let loss_caption = if loss_caption.len() > 52 { "training loss (named in the key)".to_string() } else { loss_caption };
    let specs: [(&str, &str, Vec<(&str, RGBColor, Vec<(f64, f64)>)>); 3] = [
        (loss_caption.as_str(), "loss (mean over the epoch)", vec![("training loss", blue, pts(|e| e.train_loss))]),
        ("validation cross-entropy", "cross-entropy (nats)", vec![("validation cross-entropy", vermillion, pts(|e| e.val_loss))]),
        (
            "validation accuracy and macro-F1",
            "fraction of windows / F1",
            vec![("validation accuracy", green, pts(|e| e.val_accuracy)), ("validation macro-F1", purple, pts(|e| e.val_macro_f1))],
        ),
    ];
    for (a, (caption, y_desc, series)) in areas.iter().zip(&specs) {
        let ys: Vec<f64> = series.iter().flat_map(|s| s.2.iter().map(|p| p.1)).collect();
        anyhow::ensure!(!ys.is_empty(), "{caption}: no finite values");
        let (lo, hi) = min_max(&ys);
        let pad = ((hi - lo) * 0.12).max(1e-3);
        let mut b = ChartBuilder::on(a);
        b.margin(12).margin_right(18);
        if text {
            b.caption(*caption, ("sans-serif", 17)).x_label_area_size(40).y_label_area_size(70);
        }
        let mut chart = b.build_cartesian_2d(x.0..x.1, (lo - pad)..(hi + pad)).map_err(err)?;
        let mut mesh = chart.configure_mesh();
        let xfmt = |v: &f64| format!("{v:.0}");
        let yfmt = |v: &f64| format!("{v:.3}");
        if text {
            mesh.x_desc("epoch")
                .y_desc(*y_desc)
                .x_labels((n as usize).clamp(2, 10))
                .x_label_formatter(&xfmt)
                .y_label_formatter(&yfmt)
                .label_style(("sans-serif", 13));
        } else {
            mesh.disable_x_axis().disable_y_axis();
        }
        mesh.light_line_style(BLACK.mix(0.04)).draw().map_err(err)?;
        let (y0, y1) = (lo - pad, hi + pad);
        chart.draw_series(DashedLineSeries::new(vec![(best as f64, y0), (best as f64, y1)], 6, 4, BLACK.mix(0.55).stroke_width(1))).map_err(err)?;
        for (_, colour, points) in series {
            let c = *colour;
            chart.draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2))).map_err(err)?;
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 2, c.filled()))).map_err(err)?;
            if let Some(&p) = points.iter().find(|p| p.0 as usize == best) {
                let at = chart.backend_coord(&p);
                draw_marker(&root, at, Marker::Circle, 6, c)?;
            }
        }
    }
    if text {
        let mut entries: Vec<KeyEntry> = specs.iter().flat_map(|s| s.2.iter()).map(|(label, c, _)| KeyEntry::line(label, *c)).collect();
        if !generic {
            entries[0].text = format!("training loss: {loss_name}");
        }
        entries.push(KeyEntry {
            bold: false,
            text: format!("kept epoch {best} (best validation macro-F1)"),
            line: Some((BLACK.mix(0.55).to_rgba(), 1, true)),
            marker: Some((Marker::Circle, RGBColor(120, 120, 120))),
        });
        draw_key_row(&key, &entries, 14)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// Draws `training.png` of a model folder again from its `history.json` and `card.json` (the
/// training configuration names the loss), without retraining. Fails when the folder has no
/// history (folders written before histories were kept).
pub fn replot_model_dir(dir: impl AsRef<Path>) -> anyhow::Result<std::path::PathBuf> {
    let dir = dir.as_ref();
    let hp = dir.join(HISTORY_FILE);
    let hist: TrainHistory =
        serde_json::from_str(&std::fs::read_to_string(&hp).map_err(|e| {
            anyhow::anyhow!("{}: {e} (folders trained before histories were kept have none; only retraining recovers their curves)", hp.display())
        })?)
        .map_err(|e| anyhow::anyhow!("parsing {}: {e}", hp.display()))?;
    let card = super::card::ModelCard::read(dir)?;
    let loss = card.training.as_ref().map(|t| train_loss_name(&t.config)).unwrap_or_else(|| "training loss".into());
    let out = dir.join(TRAINING_PNG);
    plot_training(&hist, &format!("{}: training curves", card.name), &loss, &out)?;
    Ok(out)
}

/// Writes `dir/history.json`.
pub fn save_history(hist: &TrainHistory, dir: impl AsRef<Path>) -> anyhow::Result<()> {
    veriregime_core::write_atomic(&dir.as_ref().join(HISTORY_FILE), (serde_json::to_string_pretty(hist)? + "\n").as_bytes())
}

/// A qualitative palette (Tableau 10): neighbouring entries differ in hue and in lightness, so
/// up to ten series stay apart.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Point shapes, so points differ by shape as well as by colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
    TriangleDown,
    Pentagon,
    Star,
    Cross,
}

/// Shapes in the order they are handed out to series ([`Marker::Star`] and [`Marker::Cross`]
/// are kept for points that stand out: a shipped model, a target).
pub const MARKERS: [Marker; 6] = [Marker::Circle, Marker::Square, Marker::Triangle, Marker::Diamond, Marker::TriangleDown, Marker::Pentagon];

/// Draws marker `m` of radius `r` centred on pixel `at` of `area` (backend coordinates when
/// `area` is the whole canvas, as [`ChartContext::backend_coord`] gives them), filled with
/// `colour` and outlined in black.
pub fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    at: (i32, i32),
    m: Marker,
    r: i32,
    colour: RGBColor,
) -> anyhow::Result<()> {
    let (x, y) = at;
    let edge = BLACK.mix(0.85).stroke_width(1);
    let poly =
        |pts: Vec<(f64, f64)>| pts.into_iter().map(|(dx, dy)| (x + (dx * r as f64).round() as i32, y + (dy * r as f64).round() as i32)).collect::<Vec<_>>();
    let shape = match m {
        Marker::Circle => {
            area.draw(&Circle::new((x, y), r, colour.filled())).map_err(err)?;
            area.draw(&Circle::new((x, y), r, edge)).map_err(err)?;
            return Ok(());
        }
        Marker::Cross => {
            let s = r - 1;
            let style = colour.stroke_width(3);
            area.draw(&PathElement::new(vec![(x - s, y - s), (x + s, y + s)], style)).map_err(err)?;
            area.draw(&PathElement::new(vec![(x - s, y + s), (x + s, y - s)], style)).map_err(err)?;
            return Ok(());
        }
        Marker::Square => poly(vec![(-0.85, -0.85), (0.85, -0.85), (0.85, 0.85), (-0.85, 0.85)]),
        Marker::Triangle => poly(vec![(0.0, -1.15), (1.0, 0.7), (-1.0, 0.7)]),
        Marker::TriangleDown => poly(vec![(0.0, 1.15), (1.0, -0.7), (-1.0, -0.7)]),
        Marker::Diamond => poly(vec![(0.0, -1.2), (1.0, 0.0), (0.0, 1.2), (-1.0, 0.0)]),
        Marker::Pentagon => poly(
            (0..5)
                .map(|k| {
                    let a = std::f64::consts::PI * (0.4 * k as f64 - 0.5);
                    (1.1 * a.cos(), 1.1 * a.sin())
                })
                .collect(),
        ),
        Marker::Star => poly(
            (0..10)
                .map(|k| {
                    let a = std::f64::consts::PI * (k as f64 / 5.0 - 0.5);
                    let rr = if k % 2 == 0 { 1.35 } else { 0.55 };
                    (rr * a.cos(), rr * a.sin())
                })
                .collect(),
        ),
    };
    area.draw(&Polygon::new(shape.clone(), colour.filled())).map_err(err)?;
    let mut outline = shape.clone();
    outline.push(shape[0]);
    area.draw(&PathElement::new(outline, edge)).map_err(err)?;
    Ok(())
}

/// One entry of a key: a line sample (colour, width, dashed) and/or a marker, then the text.
#[derive(Debug, Clone, Default)]
pub struct KeyEntry {
    pub text: String,
    pub line: Option<(RGBAColor, u32, bool)>,
    pub marker: Option<(Marker, RGBColor)>,
    /// A heading (bold, not indented); only for entries without line and marker.
    pub bold: bool,
}

impl KeyEntry {
    pub fn line(text: &str, c: RGBColor) -> KeyEntry {
        KeyEntry { text: text.into(), line: Some((c.to_rgba(), 2, false)), marker: None, bold: false }
    }
    pub fn marker(text: &str, m: Marker, c: RGBColor) -> KeyEntry {
        KeyEntry { text: text.into(), line: None, marker: Some((m, c)), bold: false }
    }
    /// A heading, in bold.
    pub fn note(text: &str) -> KeyEntry {
        KeyEntry { text: text.into(), line: None, marker: None, bold: true }
    }
    /// Plain text under the previous entry, indented like the entries' texts.
    pub fn text(text: &str) -> KeyEntry {
        KeyEntry { text: text.into(), line: None, marker: None, bold: false }
    }
}

const KEY_SYMBOL_W: i32 = 34;

fn draw_symbol<DB: DrawingBackend>(area: &DrawingArea<DB, plotters::coord::Shift>, e: &KeyEntry, (x, y): (i32, i32)) -> anyhow::Result<()> {
    if let Some((c, w, dashed)) = e.line {
        let style = ShapeStyle { color: c, filled: false, stroke_width: w };
        if dashed {
            for k in 0..3 {
                area.draw(&PathElement::new(vec![(x + 2 + k * 11, y), (x + 8 + k * 11, y)], style)).map_err(err)?;
            }
        } else {
            area.draw(&PathElement::new(vec![(x + 2, y), (x + KEY_SYMBOL_W - 4, y)], style)).map_err(err)?;
        }
    }
    if let Some((m, c)) = e.marker {
        draw_marker(area, (x + KEY_SYMBOL_W / 2 - 1, y), m, 6, c)?;
    }
    Ok(())
}

/// A key down the left edge of `area`: one entry per row, `font_px` high; headings
/// ([`KeyEntry::note`]) in bold, an empty note leaves a gap.
pub fn draw_key<DB: DrawingBackend>(area: &DrawingArea<DB, plotters::coord::Shift>, entries: &[KeyEntry], font_px: u32) -> anyhow::Result<()> {
    let row = font_px as i32 + 9;
    let mut y = 6 + row / 2;
    for e in entries {
        if e.text.is_empty() && e.line.is_none() && e.marker.is_none() {
            // A gap.
        } else if e.bold {
            let font = FontDesc::new(FontFamily::SansSerif, font_px as f64, FontStyle::Bold);
            area.draw(&Text::new(e.text.clone(), (4, y - font_px as i32 / 2 - 1), font)).map_err(err)?;
        } else {
            draw_symbol(area, e, (4, y))?;
            area.draw(&Text::new(e.text.clone(), (4 + KEY_SYMBOL_W + 4, y - font_px as i32 / 2 - 1), ("sans-serif", font_px))).map_err(err)?;
        }
        y += row;
    }
    Ok(())
}

/// A key along `area`, entries side by side, centred.
pub fn draw_key_row<DB: DrawingBackend>(area: &DrawingArea<DB, plotters::coord::Shift>, entries: &[KeyEntry], font_px: u32) -> anyhow::Result<()> {
    let font: TextStyle = ("sans-serif", font_px).into();
    let widths: Vec<i32> = entries.iter().map(|e| area.estimate_text_size(&e.text, &font).map(|s| s.0 as i32).unwrap_or(8 * e.text.len() as i32)).collect();
    let gap = 26;
    let total: i32 = widths.iter().map(|w| w + KEY_SYMBOL_W + 4).sum::<i32>() + gap * (entries.len() as i32 - 1).max(0);
    let (w, h) = area.dim_in_pixel();
    let mut x = ((w as i32 - total) / 2).max(4);
    let y = h as i32 / 2;
    for (e, tw) in entries.iter().zip(widths) {
        draw_symbol(area, e, (x, y))?;
        area.draw(&Text::new(e.text.clone(), (x + KEY_SYMBOL_W + 4, y - font_px as i32 / 2 - 1), font.clone())).map_err(err)?;
        x += KEY_SYMBOL_W + 4 + tw + gap;
    }
    Ok(())
}

/// Ticks of a log axis over `lo..hi`: 1, 2 and 5 times the powers of ten (every integer
/// multiple when fewer than three of those fall inside, every half step of the decade below
/// when still fewer), and every integer multiple for the light mesh.
pub fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let (mut bold, mut light) = (Vec::new(), Vec::new());
    for e in a..=b {
        for m in 1..10 {
            let v = m as f64 * 10f64.powi(e);
            if v >= lo && v <= hi {
                if [1, 2, 5].contains(&m) {
                    bold.push(v);
                }
                light.push(v);
            }
        }
    }
    if bold.len() < 3 {
        bold = light.clone();
    }
    if bold.len() < 3 {
        // Under half a decade: every 0.5 times the power of ten below.
        let step = |m: i32, e: i32| if e >= 1 { m as f64 * 10f64.powi(e - 1) } else { m as f64 / 10f64.powi(1 - e) };
        bold = (a..=b).flat_map(|e| (10..100).step_by(5).map(move |m| step(m, e))).filter(|v| *v >= lo && *v <= hi).collect();
        bold.dedup();
    }
    (bold, light)
}

/// Pixels every `step` along a polyline: what labels must not cover.
pub fn sample_polyline(pts: &[(i32, i32)], step: i32) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = pts.first().copied().into_iter().collect();
    for w in pts.windows(2) {
        let (dx, dy) = ((w[1].0 - w[0].0) as f64, (w[1].1 - w[0].1) as f64);
        let n = ((dx.hypot(dy) / step.max(1) as f64).ceil() as i32).max(1);
        out.extend((1..=n).map(|k| (w[0].0 + (dx * k as f64 / n as f64) as i32, w[0].1 + (dy * k as f64 / n as f64) as i32)));
    }
    out
}

/// Where to write labels next to points so that no label covers another or a point: for each
/// label in turn, the first free spot of a ring of candidates around its point (right, left,
/// above, below, the diagonals; then further out). `points` are pixel centres, `sizes` the
/// labels' pixel sizes, `r` the markers' radius, `bounds` `(x0, y0, x1, y1)` where labels may go,
/// `avoid` further pixels not to cover (lines: [`sample_polyline`]). Returns each label's
/// top-left corner and whether it sits away from its point (draw a leader line then).
pub fn place_labels(points: &[(i32, i32)], sizes: &[(u32, u32)], r: i32, bounds: (i32, i32, i32, i32), avoid: &[(i32, i32)]) -> Vec<((i32, i32), bool)> {
    type Rect = (i32, i32, i32, i32);
    let overlap = |a: &Rect, b: &Rect| (a.2.min(b.2) - a.0.max(b.0)).max(0) as i64 * (a.3.min(b.3) - a.1.max(b.1)).max(0) as i64;
    let marks: Vec<Rect> = points.iter().map(|&(x, y)| (x - r - 1, y - r - 1, x + r + 1, y + r + 1)).collect();
    let lines: Vec<Rect> = avoid.iter().map(|&(x, y)| (x - 2, y - 2, x + 2, y + 2)).collect();
    let mut placed: Vec<Rect> = Vec::new();
    let mut out = Vec::new();
    for (&(x, y), &(w, h)) in points.iter().zip(sizes) {
        let (w, h) = (w as i32 + 2, h as i32 + 2);
        let mut best: Option<(i64, Rect, bool)> = None;
        'search: for (ring, d) in [r + 3, r + 14, r + 28, r + 46, r + 70].into_iter().enumerate() {
            let cands = [
                (x + d, y - h / 2),
                (x - d - w, y - h / 2),
                (x - w / 2, y - d - h),
                (x - w / 2, y + d),
                (x + d * 3 / 4, y - d * 3 / 4 - h),
                (x + d * 3 / 4, y + d * 3 / 4),
                (x - d * 3 / 4 - w, y - d * 3 / 4 - h),
                (x - d * 3 / 4 - w, y + d * 3 / 4),
            ];
            for (cx, cy) in cands {
                let rect = (cx, cy, cx + w, cy + h);
                if rect.0 < bounds.0 || rect.1 < bounds.1 || rect.2 > bounds.2 || rect.3 > bounds.3 {
                    continue;
                }
                // Markers on the point's own spot (within 5 px: a shared label) are not in the way.
                let others = marks.iter().zip(points).filter(|(_, p)| (p.0 - x).abs() > 5 || (p.1 - y).abs() > 5).map(|(m, _)| m);
                let cost: i64 = placed.iter().chain(others).map(|o| overlap(&rect, o)).sum::<i64>() + lines.iter().map(|o| overlap(&rect, o)).sum::<i64>();
                let cost = cost * 1000 + ring as i64;
                if best.as_ref().is_none_or(|b| cost < b.0) {
                    best = Some((cost, rect, ring > 0));
                }
                if cost < 1000 {
                    break 'search;
                }
            }
        }
        let (_, rect, far) = best.unwrap_or((0, (x + r + 3, y - h / 2, x + r + 3 + w, y + h / 2), false));
        placed.push(rect);
        out.push(((rect.0 + 1, rect.1 + 1), far));
    }
    out
}

fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)))
}

/// One line of a chart: label, colour, points.
pub type Series<'a> = (&'a str, RGBColor, Vec<(f64, f64)>);

/// Line charts side by side, one per panel `(caption, series)`, sharing the x axis `x_desc`;
/// each series is drawn with its points marked.
pub fn plot_lines(title: &str, x_desc: &str, panels: &[(&str, Vec<Series>)], path: impl AsRef<Path>) -> anyhow::Result<()> {
    anyhow::ensure!(!panels.is_empty(), "nothing to plot");
    let text = fonts_available();
    let root = BitMapBackend::new(path.as_ref(), (600 * panels.len() as u32, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let root = if text { root.titled(title, ("sans-serif", 22)).map_err(err)? } else { root };
    for (area, (caption, series)) in root.split_evenly((1, panels.len())).iter().zip(panels) {
        let xs: Vec<f64> = series.iter().flat_map(|s| s.2.iter().map(|p| p.0)).collect();
        let ys: Vec<f64> = series.iter().flat_map(|s| s.2.iter().map(|p| p.1)).filter(|v| v.is_finite()).collect();
        anyhow::ensure!(!xs.is_empty(), "panel {caption} has no points");
        let ((x0, x1), (y0, y1)) = (min_max(&xs), min_max(&ys));
        let (xp, yp) = (((x1 - x0) * 0.05).max(0.5), ((y1 - y0) * 0.1).max(1e-3));
        panel(area, caption, x_desc, (x0 - xp, x1 + xp), (y0 - yp, y1 + yp), series, None, SeriesLabelPosition::LowerRight, text)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// One chart of curves with a legend and, with `mark`, a dashed vertical line there (the kept
/// epoch).
#[allow(clippy::too_many_arguments)]
fn panel(
    area: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    caption: &str,
    x_desc: &str,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    series: &[Series],
    mark: Option<f64>,
    legend: SeriesLabelPosition,
    text: bool,
) -> anyhow::Result<()> {
    let mut b = ChartBuilder::on(area);
    b.margin(15);
    if text {
        b.caption(caption, ("sans-serif", 18)).x_label_area_size(35).y_label_area_size(55);
    }
    let mut chart = b.build_cartesian_2d(x0..x1, y0..y1).map_err(err)?;
    let mut mesh = chart.configure_mesh();
    let xfmt = |v: &f64| format!("{v:.0}");
    if text {
        mesh.x_desc(x_desc).x_label_formatter(&xfmt);
    } else {
        mesh.disable_x_axis().disable_y_axis();
    }
    mesh.draw().map_err(err)?;
    for (label, color, points) in series {
        let color = *color;
        let s = chart.draw_series(LineSeries::new(points.iter().copied(), color.stroke_width(2))).map_err(err)?;
        if text {
            s.label(*label).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        if mark.is_none() {
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled()))).map_err(err)?;
        }
    }
    if let Some(m) = mark {
        chart.draw_series(DashedLineSeries::new(vec![(m, y0), (m, y1)], 6, 4, BLACK.mix(0.6).stroke_width(1))).map_err(err)?;
    }
    if text {
        chart.configure_series_labels().position(legend).border_style(BLACK).background_style(WHITE.mix(0.8)).draw().map_err(err)?;
    }
    Ok(())
}

/// Confusion matrix heat map (rows = true class, columns = predicted; colour = row share),
/// with counts and row percentages written in the cells when fonts are available.
pub fn plot_confusion(metrics: &Metrics, title: &str, path: impl AsRef<Path>) -> anyhow::Result<()> {
    let text = fonts_available();
    let names = veriregime_core::features::CLASS_NAMES;
    let root = BitMapBackend::new(path.as_ref(), (640, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let root = if text {
        root.titled(&format!("{title} (acc {:.3}, macro-F1 {:.3})", metrics.accuracy, metrics.macro_f1), ("sans-serif", 20))
            .map_err(err)?
    } else {
        root
    };
    let mut b = ChartBuilder::on(&root);
    b.margin(20);
    if text {
        b.x_label_area_size(45).y_label_area_size(70);
    }
    // Segmented axes: cell k spans [k, k+1), labels sit at the centres. The true class `t` is
    // drawn on row `2 - t` so SELL is the top row.
    let mut chart = b.build_cartesian_2d((0i32..2).into_segmented(), (0i32..2).into_segmented()).map_err(err)?;
    let name_of = |v: &SegmentValue<i32>, flip: bool| match v {
        SegmentValue::CenterOf(k) if (0..3).contains(k) => {
            names[if flip { 2 - *k as usize } else { *k as usize }].to_string()
        }
        _ => String::new(),
    };
    let xfmt = |v: &SegmentValue<i32>| name_of(v, false);
    let yfmt = |v: &SegmentValue<i32>| name_of(v, true);
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh();
    if text {
        mesh.x_labels(3)
            .y_labels(3)
            .x_label_formatter(&xfmt)
            .y_label_formatter(&yfmt)
            .x_label_style(("sans-serif", 16))
            .y_label_style(("sans-serif", 16))
            .x_desc("predicted")
            .y_desc("true");
    } else {
        mesh.disable_x_axis().disable_y_axis();
    }
    mesh.draw().map_err(err)?;
    let c = &metrics.confusion;
    for t in 0..3usize {
        let row: u64 = c[t].iter().sum();
        for p in 0..3usize {
            let share = if row > 0 { c[t][p] as f64 / row as f64 } else { 0.0 };
            // White -> dark blue.
            let colour = RGBColor(
                (255.0 * (1.0 - 0.85 * share)) as u8,
                (255.0 * (1.0 - 0.7 * share)) as u8,
                (255.0 * (1.0 - 0.35 * share)) as u8,
            );
            let (x, y) = (p as i32, 2 - t as i32);
            let cell = [(SegmentValue::Exact(x), SegmentValue::Exact(y + 1)), (SegmentValue::Exact(x + 1), SegmentValue::Exact(y))];
            chart.draw_series([Rectangle::new(cell.clone(), colour.filled())]).map_err(err)?;
            chart.draw_series([Rectangle::new(cell, BLACK.mix(0.3).stroke_width(1))]).map_err(err)?;
            if text {
                let fg = if share > 0.55 { WHITE } else { BLACK };
                let style = ("sans-serif", 20).into_font().color(&fg).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ));
                let label = format!("{} ({:.1}%)", c[t][p], 100.0 * share);
                chart
                    .draw_series([Text::new(label, (SegmentValue::CenterOf(x), SegmentValue::CenterOf(y)), style)])
                    .map_err(err)?;
            }
        }
    }
    root.present().map_err(err)?;
    Ok(())
}
