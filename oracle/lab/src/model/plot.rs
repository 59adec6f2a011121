//! PNG plots (plotters, bitmap backend): training curves and the confusion matrix.
//!
//! Text needs a system sans-serif font (found through fontconfig, e.g. DejaVu). If none is found
//! the plots are drawn without any text instead of failing.

use super::metrics::Metrics;
use super::train::TrainHistory;
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

/// Training curves: train/val loss (left), val accuracy and macro-F1 (right); a dashed line
/// marks the kept (best) epoch.
pub fn plot_history(hist: &TrainHistory, title: &str, path: impl AsRef<Path>) -> anyhow::Result<()> {
    anyhow::ensure!(!hist.epochs.is_empty(), "empty history");
    let text = fonts_available();
    let root = BitMapBackend::new(path.as_ref(), (1200, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let root = if text {
        root.titled(title, ("sans-serif", 22)).map_err(err)?
    } else {
        root
    };
    let (left, right) = root.split_horizontally(600);
    let n = hist.epochs.len() as f64;
    let x_max = n.max(2.0) + 0.5;
    let best = hist.best_epoch as f64;

    let epochs = |f: fn(&super::train::EpochStats) -> f64| hist.epochs.iter().map(|e| (e.epoch as f64, f(e))).collect::<Vec<_>>();
    let losses: Vec<f64> = hist.epochs.iter().flat_map(|e| [e.train_loss, e.val_loss]).filter(|v| v.is_finite()).collect();
    let (lo, hi) = min_max(&losses);
    let pad = ((hi - lo) * 0.1).max(1e-3);
    let loss = [("train", BLUE, epochs(|e| e.train_loss)), ("val", RED, epochs(|e| e.val_loss))];
    panel(&left, "loss", "epoch", (0.5, x_max), (lo - pad, hi + pad), &loss, Some(best), SeriesLabelPosition::UpperRight, text)?;
    let vals: Vec<f64> = hist.epochs.iter().flat_map(|e| [e.val_accuracy, e.val_macro_f1]).collect();
    let (lo, hi) = min_max(&vals);
    let metrics = [("accuracy", GREEN, epochs(|e| e.val_accuracy)), ("macro-F1", MAGENTA, epochs(|e| e.val_macro_f1))];
    panel(&right, "validation", "epoch", (0.5, x_max), ((lo - 0.05).max(0.0), (hi + 0.05).min(1.0)), &metrics, Some(best), SeriesLabelPosition::LowerRight, text)?;
    root.present().map_err(err)?;
    Ok(())
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
