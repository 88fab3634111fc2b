//! A stream's log (RabbitMQ `x-queue-type: stream`), shown when the stream is selected: its newest
//! offsets as cells on the partition log's axis (`partition_log`'s layout), shaded by segment, and
//! one row per consumer with the offset it is sent next and the ones it holds unacknowledged.
//! Everything comes from `view::rabbit::stream_log`.

use super::partition_log::{mark, ticks, x_from, CELL_W, LABEL_W, ROW_H, TOP};
use crate::view::i18n::{t, tf};
use crate::view::partition_log::WINDOW;
use crate::view::rabbit::stream_log::StreamLogView;
use crate::view::rabbit::Model;
use yew::prelude::*;

/// Segment shades, alternating (Okabe–Ito blue and sky blue).
const SEGMENTS: [&str; 2] = ["#56B4E9", "#0072B2"];

pub fn panel(m: &Model, s: &StreamLogView) -> Html {
    let name = |n| m.pubs.iter().find(|p| p.node == n).map_or("?".to_string(), |p| p.name.clone());
    let rows = 1 + s.readers.len();
    let height = TOP + rows as f64 * ROW_H + 6.0;
    let width = LABEL_W + (WINDOW + 1) as f64 * CELL_W + 16.0;
    let cells = s.cells.iter().map(|c| {
        let mut title = tf("offset {0} · {1}#{2} · segment from offset {3}", &[&c.offset, &name(c.msg.publisher), &c.msg.seq, &s.segments.get(c.segment).map_or(0, |g| g.0)]);
        if let Some((n, tag)) = c.msg.held {
            title += &tf(" · unacked: {0} holds it, delivery tag {1}", &[&m.cs.iter().find(|c| c.node == n).map_or("?", |c| c.name.as_str()), &tag]);
        }
        html! {
            <rect class={classes!("pl-cell", c.msg.held.is_some().then_some("held"))} data-offset={c.offset.to_string()}
                x={format!("{:.0}", x_from(s.from, c.offset) + 1.0)} y={format!("{:.0}", TOP + 4.0)}
                width={format!("{:.0}", CELL_W - 2.0)} height={format!("{:.0}", ROW_H - 10.0)} rx="3" fill={SEGMENTS[c.segment % 2]}>
                <title>{title}</title>
            </rect>
        }
    });
    let readers = s.readers.iter().enumerate().map(|(i, r)| {
        let y = TOP + (1 + i) as f64 * ROW_H;
        let held = r.held.iter().filter(|o| **o >= s.from).map(|&o| {
            mark((s.from, s.to), Some(o), y, ("●", "held"), tf("{0} holds offset {1} unacked", &[&r.name, &o]))
        });
        let label = tf("{0} at {1} · {2}/{3} unacked", &[&r.name, &r.next, &r.held.len(), &r.prefetch]);
        html! {
            <g class="pl-reader" data-reader={r.name.clone()} data-next={r.next.to_string()} data-held={r.held.len().to_string()}>
                <text class="pl-label" x="4" y={format!("{:.0}", y + 19.0)}>{ label }</text>
                { for held.flatten() }
                { for mark((s.from, s.to), Some(r.next), y, ("▲", "position"), tf("{0} is sent offset {1} next", &[&r.name, &r.next])) }
            </g>
        }
    });
    let end = x_from(s.from, s.to);
    html! {
        <div class="queue-strip stream-log" id="stream-log" data-queue={s.name.clone()} data-first={s.first.to_string()}
            data-next={s.next.to_string()} data-readers={s.readers.len().to_string()}>
            <h3>{tf("Stream {0} as a log", &[&s.name])}<span class="sub">{tf(" offsets {0}–{1} held · {2} segment(s)", &[&s.first, &s.last.map_or("–".to_string(), |l| l.to_string()), &s.segments.len()])}</span></h3>
            <div class="pl-scroll">
                <svg class="pl-svg" viewBox={format!("0 0 {width:.0} {height:.0}")} role="img" aria-label={tf("Stream {0}: its log and each consumer's offset", &[&s.name])}>
                    { ticks(s.from, s.to) }
                    <text class="pl-label" x="4" y={format!("{:.0}", TOP + 19.0)}>{ tf("log (first {0})", &[&s.first]) }</text>
                    { for cells }
                    <text class="pl-leo" x={format!("{:.0}", end - 2.0)} y={format!("{:.0}", TOP + 19.0)}><title>{tf("the next publish gets offset {0}", &[&s.next])}</title>{"▸"}</text>
                    { for readers }
                </svg>
            </div>
            <p class="hint">
                {tf("The newest {0} offsets, shaded by segment. A stream removes nothing when a consumer acks: each consumer reads the whole log from the offset it attached at (x-stream-offset), and an ack only lets it be sent more. ", &[&WINDOW])}
                {t("▲ the next offset a consumer is sent · ● offsets it holds unacked · ▸ the end of the log. Retention (x-max-length-bytes, x-max-age) deletes whole segments, oldest first, when a new segment opens.")}
            </p>
        </div>
    }
}
