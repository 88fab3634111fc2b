//! A message's journey as a sequence diagram (SVG): lifelines across, one step per row down, each
//! with its simulated time. Rendering only: which steps there are is `view::journey`.

use crate::view::i18n::{t, tf};
use crate::view::journey::{Diagram, Step};
use yew::prelude::*;

const TIME_W: f64 = 84.0;
const COL_W: f64 = 132.0;
const HEAD_H: f64 = 44.0;
const ROW_H: f64 = 40.0;
/// A label character's width, about (12 px sans-serif), to keep labels off the time column.
const CHAR_W: f64 = 6.6;
/// Room on the right for a note's words on the last lifeline.
const SPARE_W: f64 = 150.0;

fn centre(i: usize) -> f64 {
    TIME_W + COL_W * (i as f64 + 0.5)
}

/// The journeys on show in a box over the page (two side by side for a comparison's violation),
/// each under its caption; `on_close` closes it.
pub fn overlay(diagrams: &[(String, Diagram)], on_close: Callback<()>) -> Html {
    let close = on_close.reform(|_: MouseEvent| ());
    let keep = Callback::from(|e: MouseEvent| e.stop_propagation());
    html! {
        <div class="overlay journey-overlay" onclick={close.clone()}>
            <div class="panel journey" id="journey" role="dialog" aria-label={t("A message's journey")} onclick={keep}>
                <button class="journey-close" onclick={close} title={t("Close (Esc)")}>{"✕"}</button>
                <div class={classes!("journey-pair", (diagrams.len() > 1).then_some("two"))}>
                    { for diagrams.iter().map(|(caption, d)| one(caption, d)) }
                </div>
                <p class="hint">{t("Each arrow is a network message or event the engine recorded, at its simulated time (left: when it was sent; under the arrow: when it arrived). Red: an error answer, a refusal, a crash, a redelivery; dashed with ✕: dropped by the network. Requests that carried other records and heartbeats are left out.")}</p>
            </div>
        </div>
    }
}

fn one(caption: &str, d: &Diagram) -> Html {
    html! {
        <section class="journey-one">
            <h2>{ if caption.is_empty() { d.title.clone() } else { format!("{caption}: {}", d.title) } }</h2>
            { for d.remarks.iter().map(|r| html! { <p class="journey-remark">{r}</p> }) }
            <div class="journey-scroll">{ svg(d) }</div>
        </section>
    }
}

fn svg(d: &Diagram) -> Html {
    let n = d.lifelines.len().max(1);
    let width = TIME_W + COL_W * n as f64 + SPARE_W;
    let height = HEAD_H + ROW_H * (d.steps.len() as f64 + 0.5);
    let heads = d.lifelines.iter().enumerate().map(|(i, l)| {
        let x = centre(i);
        html! {
            <g class={classes!("jl", l.role.to_lowercase())}>
                <text class="jl-name" x={format!("{x:.0}")} y="16">{ &l.name }</text>
                <text class="jl-role" x={format!("{x:.0}")} y="31">{ super::stage::role_name(l.role) }</text>
                <line x1={format!("{x:.0}")} x2={format!("{x:.0}")} y1="38" y2={format!("{height:.0}")} />
            </g>
        }
    });
    let rows = d.steps.iter().enumerate().map(|(i, s)| row(s, HEAD_H + ROW_H * (i as f64 + 0.7)));
    html! {
        <svg class="journey-svg" width={format!("{width:.0}")} height={format!("{height:.0}")}
            viewBox={format!("0 0 {width:.0} {height:.0}")} role="img" aria-label={d.title.clone()}>
            <defs>
                <marker id="jh-ok" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" /></marker>
                <marker id="jh-fail" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" /></marker>
            </defs>
            { for heads }
            { for rows }
        </svg>
    }
}

fn row(s: &Step, y: f64) -> Html {
    let tone = s.tone.class();
    let when = html! { <text class="js-time" x="4" y={format!("{:.0}", y + 4.0)}>{ s.sent.to_string() }</text> };
    let (x1, x2) = (centre(s.from), centre(s.to));
    if s.from == s.to {
        return html! {
            <g class={classes!("js", "js-note", tone)}>
                { when }
                <rect x={format!("{:.0}", x1 - 5.0)} y={format!("{:.0}", y - 5.0)} width="10" height="10" rx="2" />
                <text class="js-label" x={format!("{:.0}", x1 + 10.0)} y={format!("{:.0}", y + 4.0)}>{ &s.label }</text>
            </g>
        };
    }
    let dir = if x2 > x1 { 1.0 } else { -1.0 };
    // Centred over the arrow, but never over the time column (a label wider than its arrow).
    let half = s.label.chars().count() as f64 * CHAR_W / 2.0;
    let mid = ((x1 + x2) / 2.0).max(TIME_W + half);
    let end = x2 - dir * 4.0;
    let arrived = if s.in_flight {
        t("in flight").to_string()
    } else if s.at > s.sent {
        format!("→ {}", s.at)
    } else {
        String::new()
    };
    let lost = (s.tone == crate::view::journey::Tone::Lost).then(|| {
        html! { <text class="js-x" x={format!("{end:.0}")} y={format!("{:.0}", y + 5.0)}>{"✕"}</text> }
    });
    let head = match s.tone {
        crate::view::journey::Tone::Lost => None,
        crate::view::journey::Tone::Fail => Some("url(#jh-fail)"),
        _ => Some("url(#jh-ok)"),
    };
    html! {
        <g class={classes!("js", "js-arrow", tone)}>
            <title>{ tf("{0}: sent {1}{2}", &[&s.label, &s.sent, &if arrived.is_empty() { String::new() } else { format!(", {arrived}") }]) }</title>
            { when }
            <line x1={format!("{x1:.0}")} x2={format!("{end:.0}")} y1={format!("{y:.0}")} y2={format!("{y:.0}")} marker-end={head} />
            { for lost }
            <text class="js-label" x={format!("{mid:.0}")} y={format!("{:.0}", y - 5.0)}>{ &s.label }</text>
            <text class="js-arrived" x={format!("{:.0}", (x1 + x2) / 2.0)} y={format!("{:.0}", y + 13.0)}>{ arrived }</text>
        </g>
    }
}
