//! The equity-curve PNG of a backtest: each strategy's equity (1 = the starting capital) over the
//! range, dates on the x axis, final returns in the legend.

use plotters::prelude::*;
use std::path::Path;

/// One curve: its label, colour, dashed or not, and `(open time ms, equity)` points.
pub struct Curve<'a> {
    pub label: String,
    pub color: RGBColor,
    pub dashed: bool,
    pub points: &'a [(i64, f64)],
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("plotting: {e:?}")
}

/// At most `n` points of a curve, evenly spaced, always with the last.
fn thin(points: &[(i64, f64)], n: usize) -> Vec<(f64, f64)> {
    let step = points.len().div_ceil(n.max(1)).max(1);
    let mut v: Vec<(f64, f64)> = points.iter().step_by(step).map(|&(t, e)| (t as f64, e)).collect();
    if let Some(&(t, e)) = points.last() {
        if v.last().map(|p| p.0) != Some(t as f64) {
            v.push((t as f64, e));
        }
    }
    v
}

/// Writes the curves to a 1200 x 600 PNG titled `title`.
pub fn plot_equity(title: &str, curves: &[Curve], path: impl AsRef<Path>) -> anyhow::Result<()> {
    anyhow::ensure!(curves.iter().any(|c| !c.points.is_empty()), "nothing to plot");
    let text = crate::model::fonts_available();
    let lines: Vec<Vec<(f64, f64)>> = curves.iter().map(|c| thin(c.points, 2400)).collect();
    let xs = lines.iter().flatten().map(|p| p.0);
    let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let ys = lines.iter().flatten().map(|p| p.1);
    let (y0, y1) = ys.fold((1.0f64, 1.0f64), |(a, b), y| (a.min(y), b.max(y)));
    let pad = ((y1 - y0) * 0.06).max(0.01);
    if let Some(dir) = path.as_ref().parent() {
        std::fs::create_dir_all(dir)?;
    }
    let root = BitMapBackend::new(path.as_ref(), (1200, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut b = ChartBuilder::on(&root);
    b.margin(18);
    if text {
        b.caption(title, ("sans-serif", 22)).x_label_area_size(40).y_label_area_size(70);
    }
    let mut chart = b.build_cartesian_2d(x0..x1.max(x0 + 1.0), (y0 - pad)..(y1 + pad)).map_err(err)?;
    let date = |v: &f64| chrono::DateTime::from_timestamp_millis(*v as i64).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default();
    let growth = |v: &f64| format!("{:+.0} %", 100.0 * (v - 1.0));
    let mut mesh = chart.configure_mesh();
    if text {
        mesh.x_labels(8).x_label_formatter(&date).y_label_formatter(&growth).x_desc("decision minute (UTC)").y_desc("equity, after costs");
    } else {
        mesh.disable_x_axis().disable_y_axis();
    }
    mesh.light_line_style(BLACK.mix(0.05)).draw().map_err(err)?;
    for (c, pts) in curves.iter().zip(&lines) {
        let color = c.color;
        let style = color.stroke_width(2);
        let s = if c.dashed {
            chart.draw_series(DashedLineSeries::new(pts.iter().copied(), 8, 5, style)).map_err(err)?
        } else {
            chart.draw_series(LineSeries::new(pts.iter().copied(), style)).map_err(err)?
        };
        if text {
            s.label(c.label.clone()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
        }
    }
    if text {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 16))
            .border_style(BLACK)
            .background_style(WHITE.mix(0.85))
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// The colours of the report's curves.
pub const POLICY: RGBColor = RGBColor(31, 119, 180);
pub const VAULT: RGBColor = RGBColor(214, 39, 40);
pub const BUY_AND_HOLD: RGBColor = RGBColor(255, 127, 14);
pub const FLAT: RGBColor = RGBColor(60, 60, 60);

/// The PNG of one backtest: the policy, buy-and-hold and always-flat (and, when given, another
/// policy's curve, e.g. the vault rule's, beside the chosen one).
pub fn plot_report(r: &super::Report, extra: Option<(&str, &super::Outcome)>, path: impl AsRef<Path>) -> anyhow::Result<()> {
    let label = |name: &str, o: &super::Outcome| format!("{name}: {:+.1} % after costs, {} trades", 100.0 * o.ret, o.trades);
    let mut curves = vec![Curve { label: label(&format!("policy {}", r.policy_name), &r.policy), color: POLICY, dashed: false, points: &r.policy.equity }];
    if let Some((name, o)) = extra {
        curves.push(Curve { label: label(name, o), color: VAULT, dashed: false, points: &o.equity });
    }
    curves.push(Curve { label: label("buy-and-hold", &r.buy_and_hold), color: BUY_AND_HOLD, dashed: false, points: &r.buy_and_hold.equity });
    curves.push(Curve { label: label("always-flat", &r.always_flat), color: FLAT, dashed: true, points: &r.always_flat.equity });
    let title = format!(
        "{} on {}, {} .. {} (fee {} + slippage {} bps per fill)",
        r.model, r.symbol, r.from, r.to, r.costs.fee_bps, r.costs.slippage_bps
    );
    plot_equity(&title, &curves, path)
}
