//! The live rate chart: published, consumed and dropped messages per second of simulated time,
//! drawn with plotters into a canvas. Redrawn a few times a second from a bounded series.

use crate::view::series::Series;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

/// `(label, colour)` of each line, in the series' line order.
pub const LINES: [(&str, RGBColor); 3] = [
    ("published/s", RGBColor(0, 114, 178)),
    ("consumed/s", RGBColor(0, 158, 115)),
    ("dropped/s", RGBColor(213, 94, 0)),
];

pub fn draw(canvas: HtmlCanvasElement, series: &Series) -> Result<(), String> {
    let backend = CanvasBackend::with_canvas_object(canvas).ok_or("no 2D context for the chart")?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let lines: Vec<Vec<(f64, f64)>> = (0..LINES.len())
        .map(|i| series.rates(i).into_iter().map(|(t, r)| (t.0 as f64 / 1_000.0, r)).collect())
        .collect();
    let (x0, x1) = match (lines[0].first(), lines[0].last()) {
        (Some(a), Some(b)) if b.0 > a.0 => (a.0, b.0),
        _ => (0.0, 1.0),
    };
    let y_max = lines.iter().flatten().map(|p| p.1).fold(1.0_f64, f64::max) * 1.15;
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, 0.0..y_max)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("simulated time (ms)")
        .y_labels(5)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_labels(6)
        .label_style(("sans-serif", 12))
        .light_line_style(RGBColor(235, 238, 242))
        .draw()
        .map_err(|e| e.to_string())?;
    for (points, (label, colour)) in lines.into_iter().zip(LINES) {
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
