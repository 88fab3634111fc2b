//! The partition log panel (Kafka): one partition, chosen in a menu, replica by replica as strips
//! of offsets coloured by leader epoch, with each replica's HW and LEO and each consumer's position
//! and committed offset on the same axis. Everything comes from `view::partition_log`.

use crate::engine::kafka::msg::Tp;
use crate::engine::{Time, World};
use crate::view::glossary as g;
use crate::view::i18n::{t, tf};
use crate::view::journey::Subject;
use crate::view::partition_log::{partition_log, partitions, PartitionLog, Strip, WINDOW};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

pub(super) const LABEL_W: f64 = 170.0;
pub(super) const CELL_W: f64 = 27.0;
pub(super) const ROW_H: f64 = 30.0;
pub(super) const TOP: f64 = 22.0;
/// Epoch colours (Okabe–Ito, as the stage's partition colours).
const EPOCHS: [&str; 6] = ["#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#0072B2", "#D55E00"];

/// `on_choose(index into view::partition_log::partitions)`; `on_record`: a record was clicked,
/// show its journey.
pub fn panel(
    world: &World,
    chosen: Option<Tp>,
    on_choose: Callback<usize>,
    on_record: Callback<(Subject, Time)>,
) -> Html {
    let all = partitions(world);
    let Some(tp) = chosen.filter(|t| all.iter().any(|(a, _)| a == t)).or(all.first().map(|(t, _)| *t)) else {
        return html! {};
    };
    let Some(log) = partition_log(world, tp) else { return html! {} };
    let on_change =
        on_choose.reform(|e: Event| e.target_unchecked_into::<HtmlSelectElement>().value().parse().unwrap_or(0));
    html! {
        <div class="panel partition-log" id="partition-log">
            <h2>{t("Partition log")}
                <select id="log-partition" aria-label={t("Partition")} onchange={on_change}>
                    { for all.iter().enumerate().map(|(i, (t, name))| html! { <option value={i.to_string()} selected={*t == tp}>{name.clone()}</option> }) }
                </select>
            </h2>
            <div class="pl-scroll">{ strips(world, &log, &on_record) }</div>
            { super::ops::topic_describe(world, tp.topic) }
            <p class="hint">
                {tf("The newest {0} offsets; a cell is a record, coloured by the leader epoch it was written in (faded above the replica's high watermark). ", &[&WINDOW])}
                <span class="pl-key hw">{"│"}</span>{t(" high watermark · ")}
                <span class="pl-key leo">{"▸"}</span>{t(" log end · ")}
                <span class="pl-key diverged">{"▨"}</span>{t(" the leader has no such record: truncated at the next fetch · ")}
                {t("▲ a consumer's position · ◆ its group's committed offset")}
            </p>
        </div>
    }
}

fn x(log: &PartitionLog, offset: u64) -> f64 {
    x_from(log.from, offset)
}

/// Where offset `offset` starts on an axis whose first cell is offset `from` (also a stream's log).
pub(super) fn x_from(from: u64, offset: u64) -> f64 {
    LABEL_W + (offset.saturating_sub(from)) as f64 * CELL_W
}

/// Offset labels every five over `from..=to`.
pub(super) fn ticks(from: u64, to: u64) -> Html {
    let ticks = (from..=to).filter(|o| o % 5 == 0).map(|o| {
        html! { <text class="pl-tick" x={format!("{:.0}", x_from(from, o) + CELL_W / 2.0)} y="12">{o}</text> }
    });
    html! { <>{ for ticks }</> }
}

/// A reader's mark at `offset` on row `y` (if inside `from..=to`), titled `title`.
pub(super) fn mark(
    (from, to): (u64, u64),
    offset: Option<u64>,
    y: f64,
    (glyph, class): (&'static str, &'static str),
    title: String,
) -> Option<Html> {
    offset.filter(|o| *o >= from && *o <= to).map(|o| html! {
        <text class={classes!("pl-mark", class)} x={format!("{:.0}", x_from(from, o) + CELL_W / 2.0)} y={format!("{:.0}", y + 19.0)}>
            <title>{title}</title>{glyph}
        </text>
    })
}

fn strips(world: &World, log: &PartitionLog, on_record: &Callback<(Subject, Time)>) -> Html {
    let rows = log.strips.len() + log.readers.len();
    let height = TOP + rows as f64 * ROW_H + 6.0;
    let width = LABEL_W + (WINDOW + 1) as f64 * CELL_W + 16.0;
    let strips = log.strips.iter().enumerate().map(|(i, s)| strip(world, log, s, TOP + i as f64 * ROW_H, on_record));
    let readers = log.readers.iter().enumerate().map(|(i, r)| {
        let y = TOP + (log.strips.len() + i) as f64 * ROW_H;
        let mark = |offset: Option<u64>, glyph: &'static str, class: &'static str, what: &'static str| {
            let title = format!("{} {what}: {}", r.name, offset.unwrap_or(0));
            mark((log.from, log.to), offset, y, (glyph, class), title)
        };
        html! {
            <g class="pl-reader" data-reader={r.name.clone()}>
                <text class="pl-label" x="4" y={format!("{:.0}", y + 19.0)}>{ tf("{0} reads", &[&r.name]) }</text>
                { for mark(r.committed, "◆", "committed", t("committed offset (where the group resumes)")) }
                { for mark(r.position, "▲", "position", t("position (the next offset it fetches)")) }
            </g>
        }
    });
    html! {
        <svg class="pl-svg" viewBox={format!("0 0 {width:.0} {height:.0}")} role="img"
            aria-label={tf("Partition {0}: each replica's log", &[&log.name])}>
            { ticks(log.from, log.to) }
            { for strips }
            { for readers }
        </svg>
    }
}

fn strip(world: &World, log: &PartitionLog, s: &Strip, y: f64, on_record: &Callback<(Subject, Time)>) -> Html {
    let role = if !s.up {
        t("stopped")
    } else if s.leader {
        t("leader")
    } else if s.in_isr {
        t("in ISR")
    } else {
        t("out of ISR")
    };
    let cells = s.cells.iter().map(|c| {
        let colour = EPOCHS[c.epoch as usize % EPOCHS.len()];
        let class = classes!("pl-cell", (c.offset >= s.hw).then_some("above-hw"), c.diverged.then_some("diverged"));
        let record = (Subject::KafkaAt { tp: log.tp, offset: c.offset, epoch: c.epoch }, c.at);
        html! {
            <rect class={class} onclick={on_record.reform(move |_| record)} data-offset={c.offset.to_string()} x={format!("{:.0}", x(log, c.offset) + 1.0)} y={format!("{:.0}", y + 4.0)}
                width={format!("{:.0}", CELL_W - 2.0)} height={format!("{:.0}", ROW_H - 10.0)} rx="3" fill={colour}>
                <title>{tf("offset {0} · epoch {1}{2}", &[&c.offset, &c.epoch, &if c.diverged { t(" · the leader does not have it") } else { "" }])}</title>
            </rect>
        }
    });
    let hw = (s.hw >= log.from).then(|| {
        let hx = x(log, s.hw);
        html! { <line class="pl-hw" x1={format!("{hx:.0}")} x2={format!("{hx:.0}")} y1={format!("{:.0}", y + 1.0)} y2={format!("{:.0}", y + ROW_H - 3.0)}>
            <title>{tf("{0}: high watermark {1}", &[&world.node_name(s.node), &s.hw])}</title></line> }
    });
    let lx = x(log, s.leo);
    html! {
        <g class={classes!("pl-strip", (!s.up).then_some("down"), s.leader.then_some("leader"))} data-broker={world.node_name(s.node).to_string()}
            data-hw={s.hw.to_string()} data-leo={s.leo.to_string()}>
            <text class="pl-label" x="4" y={format!("{:.0}", y + 19.0)}>
                <title>{g::ISR}</title>
                { format!("{} · {role} · e{}", world.node_name(s.node), s.epoch) }
            </text>
            { for cells }
            { for hw }
            <text class="pl-leo" x={format!("{:.0}", lx - 2.0)} y={format!("{:.0}", y + 19.0)}>
                <title>{tf("{0}: log end offset {1} (log start {2})", &[&world.node_name(s.node), &s.leo, &s.log_start])}</title>{"▸"}
            </text>
        </g>
    }
}
