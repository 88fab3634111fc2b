//! The live charts: lines against simulated time, drawn with plotters into a canvas. Redrawn a few
//! times a second from bounded series (`view::series`); one function draws every chart.

use crate::engine::World;
use crate::view::i18n::t;
use crate::view::plugin::Family;
use crate::view::series::Meters;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;
use yew::{html, Html, NodeRef};

/// Okabe–Ito colours, distinguishable with every common colour-vision deficiency.
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
pub const GREEN: RGBColor = RGBColor(0, 158, 115);
pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
pub const SKY: RGBColor = RGBColor(86, 180, 233);

#[derive(Clone)]
pub struct Line {
    pub label: String,
    pub colour: RGBColor,
    /// `(simulated ms, value)`.
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

impl Line {
    pub fn new(label: impl Into<String>, colour: RGBColor, points: Vec<(f64, f64)>) -> Line {
        Line { label: label.into(), colour, points, dashed: false }
    }
}

/// Draws `lines` over simulated time `x` (ms), the same span for every chart so they line up.
pub fn draw(canvas: HtmlCanvasElement, x: (f64, f64), y_desc: &str, lines: &[Line]) -> Result<(), String> {
    draw_xy(canvas, x, t("simulated time (ms)"), y_desc, lines, false)
}

/// Draws `lines` over `x`, whatever it measures (`x_desc`); with `log_y` the y axis is in powers
/// of ten (for values spread over decades, such as latencies from 0.3 ms to 300 ms).
pub fn draw_xy(
    canvas: HtmlCanvasElement,
    x: (f64, f64),
    x_desc: &str,
    y_desc: &str,
    lines: &[Line],
    log_y: bool,
) -> Result<(), String> {
    let logged: Vec<Line>;
    let lines = match log_y {
        false => lines,
        true => {
            let log = |p: &(f64, f64)| (p.0, p.1.max(0.01).log10());
            logged = lines.iter().map(|l| Line { points: l.points.iter().map(log).collect(), ..l.clone() }).collect();
            &logged
        }
    };
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or(t("no 2D context for the chart"))?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (x0, x1) = if x.1 > x.0 { x } else { (0.0, 1.0) };
    let y_max = lines.iter().flat_map(|l| &l.points).map(|p| p.1).fold(1.0_f64, f64::max) * 1.15;
    let y_min = match log_y {
        true => lines.iter().flat_map(|l| &l.points).map(|p| p.1.floor()).fold(0.0_f64, f64::min),
        false => 0.0,
    };
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .margin_right(20)
        .x_label_area_size(36)
        .y_label_area_size(52)
        .build_cartesian_2d(x0..x1, y_min..y_max)
        .map_err(|e| e.to_string())?;
    let y_label = |v: &f64| match log_y {
        true => short(10f64.powf(*v), if *v >= 0.0 { 0 } else { 1 }),
        false => short(*v, if *v >= 10.0 { 0 } else { 1 }),
    };
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .y_labels(5)
        .y_label_formatter(&y_label)
        .x_labels(5)
        .x_label_formatter(&|v| short(*v, 0))
        .label_style(("sans-serif", 13))
        .light_line_style(RGBColor(235, 238, 242))
        .draw()
        .map_err(|e| e.to_string())?;
    for l in lines {
        let colour = l.colour;
        let style = colour.stroke_width(if l.dashed { 1 } else { 2 });
        chart
            .draw_series(LineSeries::new(l.points.iter().copied().filter(|p| p.0 >= x0 && p.0 <= x1), style))
            .map_err(|e| e.to_string())?
            .label(l.label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(3)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// An axis label: thousands from 10 000 up as "40k", so six-digit values fit the axis.
fn short(v: f64, decimals: usize) -> String {
    match v.abs() >= 10_000.0 {
        true => format!("{:.0}k", v / 1000.0),
        false => format!("{v:.decimals$}"),
    }
}

/// The chart panels the scenario's system has (`view::plugin::Family::charts`).
pub fn panels(world: &World, canvases: &[NodeRef; 4]) -> Vec<Html> {
    Family::of(world)
        .charts()
        .iter()
        .zip(canvases)
        .enumerate()
        .map(|(i, (c, canvas))| {
            html! {
                <div class="panel chart-panel">
                    <h2 title={t(c.tip)}>{t(c.title)}</h2>
                    <canvas ref={canvas.clone()} id={if i == 0 { "chart".to_string() } else { format!("chart-{i}") }} width="560" height="230"></canvas>
                </div>
            }
        })
        .collect()
}

/// Draws every chart the scenario has from the session's series, on the canvases `panels` made.
pub fn draw_all(m: &Meters, world: &World, canvases: &[NodeRef; 4]) -> Result<(), String> {
    const PALETTE: [RGBColor; 6] = [BLUE, GREEN, VERMILLION, ORANGE, PURPLE, SKY];
    let charts: Vec<(&str, Vec<Line>)> = Family::of(world)
        .charts()
        .iter()
        .map(|c| {
            let lines =
                c.lines(m, world).into_iter().map(|l| Line::new(l.label, PALETTE[l.colour], l.points)).collect();
            (t(c.y), lines)
        })
        .collect();
    // Every chart spans the throughput chart's complete buckets, so they line up.
    let rates = &charts[0].1[0].points;
    let x = (rates.first().map_or(0.0, |p| p.0), rates.last().map_or(1.0, |p| p.0));
    for (i, (y, lines)) in charts.iter().enumerate() {
        if let Some(canvas) = canvases[i].cast::<HtmlCanvasElement>() {
            draw(canvas, x, y, lines)?;
        }
    }
    Ok(())
}
