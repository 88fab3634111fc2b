//! The RabbitMQ panel of the playground: the topology as SVG (publishers → exchanges → bindings →
//! queues with their ready and unacknowledged stacks → consumers with their prefetch windows),
//! inspectors for a clicked exchange, queue or consumer, and the routing calculator. Everything it
//! shows comes from `view::rabbit` (built from the world each frame); what it does goes out as
//! engine commands (settle a delivery, stop or start a node) through `cmd`.

use super::rabbit_inspect::{inspector, Actions};
use crate::engine::rabbit::config::RabbitSpec;
use crate::engine::rabbit::exchange::Hop;
use crate::engine::rabbit::routing::ExchangeType;
use crate::engine::Command;
use crate::engine::NodeId;
use crate::view::i18n::{t, tf};
use crate::view::rabbit::overview::Overview;
use crate::view::rabbit::{
    self as vr, Edge, EdgeKind, Model, Routed, COL_X, C_BOX, PUB_BOX, Q_BOX, RABBIT_W, STACK_CAP, X_BOX,
};
use crate::view::rabbit_flow::RouteFlow;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// What the topology editor starts from: the scenario's RabbitMQ section, the node names its
/// faults name (those clients stay), the number of runs loaded (a new run starts the editor
/// afresh), and where an edited section goes (the app restarts the run with it).
#[derive(Clone, PartialEq)]
pub struct Editing {
    pub spec: Rc<RabbitSpec>,
    pub pinned: Rc<Vec<String>>,
    pub loads: u64,
    pub on_apply: Callback<RabbitSpec>,
}

/// The panel for a world's RabbitMQ broker (`view::rabbit::model`), or nothing without one.
pub fn panel(
    model: Option<Rc<Model>>,
    overview: Option<Rc<Overview>>,
    cmd: Callback<Command>,
    editing: Option<Editing>,
    canvas: NodeRef,
) -> Html {
    match model {
        // Keyed by the topology's names: another scenario starts the panel afresh.
        Some(model) => {
            let key =
                model.names.exchanges.iter().chain(&model.names.queues).map(|s| &**s).collect::<Vec<&str>>().join("|");
            html! { <RabbitPanel {key} {model} {overview} {cmd} {editing} {canvas} /> }
        }
        None => html! {},
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Sel {
    Publisher(NodeId),
    Exchange(u16),
    Queue(u16),
    Consumer(NodeId),
}

#[derive(Properties, PartialEq)]
pub struct PanelProps {
    pub model: Rc<Model>,
    /// The management UI's view of the broker (`view::rabbit::overview`).
    pub overview: Option<Rc<Overview>>,
    pub cmd: Callback<Command>,
    pub editing: Option<Editing>,
    /// The canvas over the drawing where `draw_flow` moves the messages, every frame.
    pub canvas: NodeRef,
}

/// Draws the messages moving along their routes (`view::rabbit_flow`) on the canvas laid over
/// the drawing: every animation frame, so motion is smooth while the DOM refreshes ten times a
/// second, and it goes on while paused until each dot arrives. `model` is the one the panel was
/// last drawn from: the dots follow its edges.
pub fn draw_flow(canvas: &NodeRef, model: Option<&Model>, flow: &RouteFlow, now: f64) {
    let Some(canvas) = canvas.cast::<HtmlCanvasElement>() else { return };
    let ratio = crate::ui::dom::window().device_pixel_ratio().max(1.0);
    let (w, h) = (canvas.client_width() as f64, canvas.client_height() as f64);
    let (pw, ph) = ((w * ratio) as u32, (h * ratio) as u32);
    if canvas.width() != pw || canvas.height() != ph {
        canvas.set_width(pw);
        canvas.set_height(ph);
    }
    let Some(ctx) = canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0).ok();
    ctx.clear_rect(0.0, 0.0, pw as f64, ph as f64);
    if flow.is_empty() || w == 0.0 {
        return;
    }
    let Some(m) = model else { return };
    // The SVG scales its viewBox to the width; the canvas follows.
    let scale = w / RABBIT_W * ratio;
    ctx.set_transform(scale, 0.0, 0.0, scale, 0.0, 0.0).ok();
    for d in flow.dots(m, now) {
        ctx.set_fill_style_str(d.colour);
        ctx.begin_path();
        ctx.arc(d.x, d.y, 5.0, 0.0, std::f64::consts::TAU).ok();
        ctx.fill();
        ctx.set_stroke_style_str("#ffffff");
        ctx.set_line_width(1.5);
        ctx.stroke();
    }
    ctx.set_font("bold 16px sans-serif");
    for (x, y, colour, glyph) in flow.marks_at(m, now) {
        ctx.set_fill_style_str(colour);
        ctx.fill_text(glyph, x - 8.0, y + 14.0).ok();
    }
}

fn n(x: f64) -> String {
    format!("{x:.1}")
}

#[function_component(RabbitPanel)]
pub fn rabbit_panel(p: &PanelProps) -> Html {
    let m = &*p.model;
    // A consumer that waits for the learner's acks is inspected from the start: its deliveries
    // and their buttons are what the scenario is about.
    let held = m.cs.iter().find(|c| c.hold).map(|c| Sel::Consumer(c.node));
    let sel = use_state(move || held);
    let first_x = m.pubs.first().map(|p| p.exchange).or(m.xs.first().map(|x| x.id)).unwrap_or(0);
    // An exchange id, or an exchange type ("topic", …) to test one binding.
    let target = use_state(move || first_x.to_string());
    // The binding tester starts with the first topic binding's key.
    let first_pattern = m
        .exchanges
        .0
        .iter()
        .flatten()
        .filter(|x| x.decl.kind == ExchangeType::Topic)
        .find_map(|x| x.bindings.first())
        .map_or(String::new(), |b| b.key.to_string());
    let binding = use_state(move || first_pattern);
    // Whether nack and reject buttons requeue (AMQP's requeue bit; client libraries default to true).
    let requeue = use_state(|| true);
    let first_key = m.pubs.first().map_or(String::new(), |p| p.first_key.to_string());
    let key = use_state(move || first_key);
    let headers = use_state(String::new);
    let calc_x = target.parse::<u16>().ok();
    let routed = match calc_x {
        Some(x) => vr::route_calc(m, x, &key, &headers),
        None => Err(String::new()),
    };
    // Bindings and alternate-exchange links the calculated route takes.
    let hot = |e: &Edge| match (&routed, e.kind, e.exchange, e.dest) {
        (Ok(r), EdgeKind::Binding | EdgeKind::Alternate, Some(x), Some(d)) => {
            r.hops.iter().any(|h: &Hop| h.from == x && h.to == d)
        }
        _ => false,
    };
    let select = |s: Sel| {
        let sel = sel.clone();
        Callback::from(move |_: MouseEvent| sel.set(if *sel == Some(s) { None } else { Some(s) }))
    };

    let edges = m.edges.iter().map(|e| {
        let hot = hot(e);
        html! {
            <g class={classes!(e.kind.class(), hot.then_some("hot"))}>
                <title>{ if e.title.is_empty() { t("publishes / consumes").to_string() } else { e.title.clone() } }</title>
                // The calculated route is marked like a highlighter under the line, so the line
                // keeps its colour (and orange stays the colour of requeues).
                if hot { <path class="glow" d={e.d.clone()} /> }
                <path d={e.d.clone()} />
            </g>
        }
    });
    // Labels after every edge, so no line crosses a label.
    let labels = m.edges.iter().filter(|e| !e.label.is_empty()).map(|e| {
        let class = classes!("rq-label", e.kind.class(), hot(e).then_some("hot"));
        html! {
            <text {class} text-anchor={e.anchor} x={n(e.label_at.0)} y={n(e.label_at.1 - 4.0)}>
                <title>{&e.title}</title>{&e.label}
            </text>
        }
    });
    let pubs = m.pubs.iter().map(|p| {
        let (w, h) = PUB_BOX;
        html! {
            <g class={classes!("rq-pub", (!p.up).then_some("down"), (*sel == Some(Sel::Publisher(p.node))).then_some("selected"))}
                transform={format!("translate({},{})", n(COL_X[0]), n(p.y))} data-publisher={p.name.clone()} onclick={select(Sel::Publisher(p.node))}>
                <title>{tf("publisher {0}: {1} awaiting confirm. Click to inspect.", &[&p.name, &p.unconfirmed])}</title>
                <rect x={n(-w / 2.0)} y={n(-h / 2.0)} width={n(w)} height={n(h)} rx="18" />
                <text y="-1">{&p.name}</text>
                <text class="rq-sub" y="12">{ if p.up { tf("{0} unconfirmed", &[&p.unconfirmed]) } else { t("stopped").to_string() } }</text>
            </g>
        }
    });
    let xs = m.xs.iter().map(|x| {
        let (w, h) = X_BOX;
        let id = x.id;
        let chosen = *sel == Some(Sel::Exchange(id));
        html! {
            <g class={classes!("rq-x", chosen.then_some("selected"))} transform={format!("translate({},{})", n(COL_X[1]), n(x.y))}
                onclick={select(Sel::Exchange(id))} data-exchange={x.name.clone()}>
                <title>{tf("exchange {0} ({1}). Click to see its bindings.", &[&x.name, &x.kind])}</title>
                <rect x={n(-w / 2.0)} y={n(-h / 2.0)} width={n(w)} height={n(h)} rx="4" />
                <text y="-2">{&x.name}</text>
                <text class="rq-sub" y="12">{x.kind}</text>
            </g>
        }
    });
    let qs = m.qs.iter().map(|q| {
        let (w, h) = Q_BOX;
        let id = q.id;
        let chosen = *sel == Some(Sel::Queue(id));
        let reached = matches!(&routed, Ok(r) if r.queues.contains(&id));
        let x0 = -w / 2.0 + 8.0;
        let ready = vr::stack(q.ready, x0, 4.0).map(|(x, y)| html! { <rect class="rq-ready" x={n(x)} y={n(y)} width="5" height="7" /> });
        let unacked = vr::stack(q.unacked, x0, 14.0).map(|(x, y)| html! { <rect class="rq-unacked" x={n(x)} y={n(y)} width="5" height="7" /> });
        let more = |c: u32| (c > STACK_CAP).then_some("+");
        html! {
            <g class={classes!("rq-q", chosen.then_some("selected"), reached.then_some("routed"), (!q.exists).then_some("gone"))}
                transform={format!("translate({},{})", n(COL_X[2]), n(q.y))} onclick={select(Sel::Queue(id))}
                data-queue={q.name.clone()} data-ready={q.ready.to_string()} data-unacked={q.unacked.to_string()}>
                <title>{tf("queue {0}: {1} ready, {2} unacked, {3} consumer(s). Click to see its messages.", &[&q.name, &q.ready, &q.unacked, &q.consumers])}</title>
                <rect x={n(-w / 2.0)} y={n(-h / 2.0)} width={n(w)} height={n(h)} rx="6" />
                <text class="rq-qname" x={n(x0)} y="-13">{vr::fit(&q.name, 15)}</text>
                <text class="rq-count" x={n(w / 2.0 - 6.0)} y="-13">{ match m.streams.iter().find(|s| s.queue == id) {
                    Some(s) => tf("log {0}", &[&s.messages]),
                    None if q.exists => format!("{} | {}", q.ready, q.unacked),
                    None => t("not declared").to_string(),
                } }</text>
                { for ready }
                { for unacked }
                if let Some(s) = more(q.ready) { <text class="rq-more" x={n(w / 2.0 - 6.0)} y="11">{s}</text> }
                if let Some(s) = more(q.unacked) { <text class="rq-more" x={n(w / 2.0 - 6.0)} y="21">{s}</text> }
                if q.paged > 0 { <text class="rq-paged" x={n(x0)} y={n(h / 2.0 + 11.0)} data-paged={q.paged.to_string()}>{crate::view::resources::paged_label(q.paged)}</text> }
            </g>
        }
    });
    let cs = m.cs.iter().map(|c| {
        let (w, h) = C_BOX;
        let node = c.node;
        let chosen = *sel == Some(Sel::Consumer(node));
        let fill = vr::window_fill(c.unacked, c.prefetch);
        let bar = w - 16.0;
        let window = if c.auto_ack {
            tf("auto-ack, {0} in hand", &[&c.unacked])
        } else if c.prefetch == 0 {
            tf("{0} unacked / ∞", &[&c.unacked])
        } else {
            tf("{0} / {1} unacked", &[&c.unacked, &c.prefetch])
        };
        html! {
            <g class={classes!("rq-c", chosen.then_some("selected"), (!c.up).then_some("down"))}
                transform={format!("translate({},{})", n(COL_X[3]), n(c.y))} onclick={select(Sel::Consumer(node))}
                data-consumer={c.name.clone()} data-unacked={c.unacked.to_string()}>
                <title>{tf("consumer {0}: prefetch window {1}. Click to inspect.", &[&c.name, &window])}</title>
                <rect x={n(-w / 2.0)} y={n(-h / 2.0)} width={n(w)} height={n(h)} rx="22" />
                <text y="-8">{&c.name}</text>
                <rect class="rq-win" x={n(-bar / 2.0)} y="0" width={n(bar)} height="7" rx="3" />
                <rect class="rq-win-fill" x={n(-bar / 2.0)} y="0" width={n(bar * fill)} height="7" rx="3" />
                <text class="rq-sub" y="19">{ if c.up { window } else { t("stopped").to_string() } }</text>
            </g>
        }
    });

    let on_x = {
        let target = target.clone();
        Callback::from(move |e: Event| target.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let on_binding = {
        let binding = binding.clone();
        Callback::from(move |e: InputEvent| binding.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_key = {
        let key = key.clone();
        Callback::from(move |e: InputEvent| key.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_headers = {
        let headers = headers.clone();
        Callback::from(move |e: InputEvent| headers.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    // The calculator offers every exchange the broker has, the default one included.
    let options = (0..m.exchanges.0.len() as u16).filter(|&id| m.exchanges.0[id as usize].is_some()).map(|id| {
        html! { <option value={id.to_string()} selected={Some(id) == calc_x}>{m.names.exchange(id)}</option> }
    });
    let types = ["direct", "fanout", "topic", "headers"].into_iter().map(|t| {
        html! { <option value={t} selected={*target == t}>{tf("type {0}: test one binding", &[&t])}</option> }
    });
    let result = match (&routed, calc_x) {
        (Ok(r), _) => calc_result(m, r),
        (Err(e), Some(_)) => html! { <p class="field-error" id="route-error">{e}</p> },
        (_, None) => match vr::binding_test(&target, &binding, &key, &headers) {
            Ok(true) => {
                html! { <p class="rq-result" id="binding-result" data-matched="true"><b>{t("matches")}</b>{t(" — the binding takes the message")}</p> }
            }
            Ok(false) => {
                html! { <p class="rq-result" id="binding-result" data-matched="false"><b>{t("no match")}</b>{t(" — the binding ignores the message")}</p> }
            }
            Err(e) => html! { <p class="field-error" id="route-error">{e}</p> },
        },
    };
    let headers_type = calc_x.is_none() && *target == "headers";
    let selected_stream = match *sel {
        Some(Sel::Queue(q)) => m.streams.iter().find(|s| s.queue == q),
        _ => None,
    };
    let selected_strip = match *sel {
        Some(Sel::Queue(q)) => m.strips.iter().find(|s| s.queue == q),
        _ => None,
    };
    let broker_toggle = if m.broker_up { Command::Stop { node: m.broker } } else { Command::Start { node: m.broker } };

    html! {
        <div class="panel rabbit" id="rabbit">
            <style>{STYLE}{super::rabbit_edit::STYLE}</style>
            <h2>{"RabbitMQ"}<span class="sub">{tf("broker {0} (vhost /){1}", &[&m.broker_name, &if m.broker_up { "" } else { t(" — stopped") }])}</span>
                <button id="broker-toggle" class="rq-broker" onclick={p.cmd.reform(move |_| broker_toggle.clone())}
                    title={ if m.broker_up { t("Stop the broker node: transient queues and non-persistent messages are gone when it comes back; durable queues return with their persistent messages") } else { t("Start the broker node: it recovers durable queues and persistent messages") } }>
                    { if m.broker_up { t("Stop broker") } else { t("Start broker") } }
                </button>
            </h2>
            <div class="rq-scroll">
            <div class="rq-stage">
            <svg class="rq-svg" viewBox={format!("0 0 {RABBIT_W} {}", n(m.height))} role="img"
                aria-label={t("RabbitMQ topology: publishers, exchanges, bindings, queues, consumers")}>
                <text class="rq-col" x={n(COL_X[0])} y="14">{t("publishers")}</text>
                <text class="rq-col" x={n(COL_X[1])} y="14">{t("exchanges")}</text>
                <text class="rq-col" x={n(COL_X[2])} y="14">{t("queues (ready | unacked)")}</text>
                <text class="rq-col" x={n(COL_X[3])} y="14">{t("consumers (prefetch)")}</text>
                { for edges }
                { for labels }
                { for pubs }
                { for xs }
                { for qs }
                { for cs }
            </svg>
            <canvas ref={p.canvas.clone()} class="rq-flow" aria-hidden="true"></canvas>
            </div>
            </div>
            <div class="rq-legend">
                <span><i class="rq-ready"></i>{t("ready")}</span>
                <span><i class="rq-unacked"></i>{t("delivered, unacked")}</span>
                <span><i class="rq-line dl"></i>{t("dead-letter")}</span>
                <span><i class="rq-line ae"></i>{t("alternate exchange")}</span>
                <span><i class="rq-dot" style="background:#0072B2"></i>{t("routed")}</span>
                <span><i class="rq-dot" style="background:#009E73"></i>{t("delivered")}</span>
                <span><i class="rq-dot" style="background:#E69F00"></i>{t("requeued / redelivered")}</span>
                <span><i class="rq-dot" style="background:#D55E00"></i>{t("dead-lettered")}</span>
                <span class="hint">{tf("stacks show at most {0}; click a box to inspect it", &[&STACK_CAP])}</span>
                <span class="hint" title={t("The broker routes, enqueues and delivers in the same instant of simulated time; on screen each hop takes 450 ms so the eye can follow it. At speed only a sample of the messages is drawn; the counts are exact.")}>
                    {t("dots are paced for the eye (routing takes no simulated time)")}
                </span>
            </div>
            <div class="rq-row">
                <div class="rq-inspect" id="rabbit-inspector">{ inspector(m, *sel, &Actions { cmd: &p.cmd, requeue: requeue.clone() }) }</div>
                <div class="rq-calc" id="route-calc">
                    <h3>{t("Where would a message go?")}</h3>
                    <div class="calc-inputs">
                        <label>{t("exchange ")}<select id="route-exchange" onchange={on_x}>
                            <optgroup label={t("this broker's exchanges")}>{ for options }</optgroup>
                            <optgroup label={t("test one binding")}>{ for types }</optgroup>
                        </select></label>
                        if calc_x.is_none() {
                            <label>{ if headers_type { t("binding arguments ") } else { t("binding key ") } }
                                <input id="route-binding" value={(*binding).clone()} oninput={on_binding} size="16"
                                    placeholder={if headers_type { "{\"x-match\": \"any\", \"format\": \"pdf\"}" } else { "order.*.paid" }} /></label>
                        }
                        <label>{t("routing key ")}<input id="route-key" value={(*key).clone()} oninput={on_key} size="16" placeholder="order.eu.created" /></label>
                        <label>{t("headers ")}<input id="route-headers" value={(*headers).clone()} oninput={on_headers} size="16" placeholder="{\"format\": \"pdf\"}" /></label>
                    </div>
                    { result }
                    <p class="hint">{t("Routed by the engine's own exchange code, through exchange-to-exchange bindings and alternate exchanges, as a publish would be now.")}</p>
                </div>
            </div>
            if let Some(s) = selected_stream { { super::stream_log::panel(m, s) } }
            else if let Some(s) = selected_strip { { super::ops::queue_strip(m, s) } }
            if let Some(o) = &p.overview { { super::ops::rabbit_overview(o) } }
            if let Some(e) = p.editing.clone() {
                <super::rabbit_edit::TopologyEditor key={e.loads.to_string()} spec={e.spec} pinned={e.pinned} on_apply={e.on_apply} />
            }
        </div>
    }
}

fn calc_result(m: &Model, r: &Routed) -> Html {
    if r.queues.is_empty() {
        return html! {
            <p class="rq-result" id="route-result" data-queues="">
                <b>{t("unroutable")}</b>{t(" — no queue: dropped, or returned if published with mandatory")}
            </p>
        };
    }
    let names: Vec<String> = r.queues.iter().map(|&q| m.names.queue(q)).collect();
    html! {
        <>
            <p class="rq-result" id="route-result" data-queues={names.join(",")}>{t("reaches ")}<b>{names.join(", ")}</b></p>
            <ul class="rq-hops">{ for r.hops.iter().map(|h| html! { <li>{vr::hop_text(m, h)}</li> }) }</ul>
        </>
    }
}

const STYLE: &str = r#"
.rabbit .rq-stage { position: relative; }
/* On a phone the drawing keeps readable labels and scrolls sideways inside its panel (the page
   itself never does). */
@media (max-width: 700px) { .rabbit .rq-scroll { overflow-x: auto; } .rabbit .rq-stage { min-width: 620px; } }
.rabbit .rq-svg { width: 100%; height: auto; display: block; font-size: 12px; }
.rabbit .rq-flow { position: absolute; inset: 0; width: 100%; height: 100%; pointer-events: none; }
.rabbit .rq-col { text-anchor: middle; fill: #5b6470; font-size: 11px; text-transform: uppercase; letter-spacing: 0.5px; }
.rabbit .rq-edge path { fill: none; stroke: #8c99a6; stroke-width: 1.8; }
.rabbit .rq-edge.publish path { stroke: #0072B2; }
.rabbit .rq-edge.alternate path { stroke: #CC79A7; stroke-dasharray: 6 4; }
.rabbit .rq-edge.dead-letter path { stroke: #D55E00; stroke-dasharray: 6 4; }
.rabbit .rq-edge.consume path { stroke: #009E73; }
.rabbit .rq-edge path.glow { stroke: #F0E442; stroke-width: 10; stroke-linecap: round; stroke-dasharray: none; }
.rabbit .rq-label { font-size: 11px; fill: #1b1f24; paint-order: stroke; stroke: #fff; stroke-width: 4px; font-family: ui-monospace, Menlo, Consolas, monospace; }
.rabbit .rq-label.dead-letter { fill: #a33f00; }
.rabbit .rq-label.alternate { fill: #8a3d6e; }
.rabbit .rq-label.hot { font-weight: 700; }
.rabbit g.rq-pub rect, .rabbit g.rq-x rect, .rabbit g.rq-q > rect:first-of-type, .rabbit g.rq-c > rect:first-of-type { stroke: #5b6470; stroke-width: 1.5; }
.rabbit g.rq-pub rect { fill: #e8f1f8; }
.rabbit g.rq-x rect { fill: #fdf3e1; }
.rabbit g.rq-q > rect:first-of-type { fill: #ffffff; }
.rabbit g.rq-c > rect:first-of-type { fill: #e6f5f0; }
.rabbit g.rq-pub, .rabbit g.rq-x, .rabbit g.rq-q, .rabbit g.rq-c { cursor: pointer; }
.rabbit g text { text-anchor: middle; fill: #1b1f24; }
.rabbit g .rq-sub { font-size: 10px; fill: #5b6470; }
.rabbit g .rq-qname { text-anchor: start; font-weight: 600; }
.rabbit g .rq-count, .rabbit g .rq-more { text-anchor: end; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11px; }
.rabbit .rq-ready { fill: #56B4E9; }
.rabbit .rq-unacked { fill: #E69F00; }
.rabbit .rq-win { fill: #eef1f4; stroke: #8c99a6; stroke-width: 0.8; }
.rabbit .rq-win-fill { fill: #009E73; }
.rabbit g.selected > rect:first-of-type { stroke: #0072B2; stroke-width: 3; }
.rabbit g.rq-q.routed > rect:first-of-type { fill: #fbf6c4; stroke: #8a7a00; stroke-width: 2.5; }
.rabbit g.gone, .rabbit g.down { opacity: 0.45; }
.rabbit g.gone > rect:first-of-type { stroke-dasharray: 4 3; }
.rabbit .rq-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 0.85rem; color: #5b6470; margin: 4px 0 10px; }
.rabbit .rq-legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
.rabbit .rq-legend i.rq-ready { background: #56B4E9; }
.rabbit .rq-legend i.rq-unacked { background: #E69F00; }
.rabbit .rq-legend i.rq-line { width: 18px; height: 0; border-top: 2px dashed; vertical-align: 3px; }
.rabbit .rq-legend i.rq-dot { border-radius: 50%; }
.rabbit .rq-legend i.dl { border-color: #D55E00; }
.rabbit .rq-legend i.ae { border-color: #CC79A7; }
.rabbit .rq-row { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 14px; }
.rabbit h3 { font-size: 0.95rem; margin: 0 0 6px; }
.rabbit .rq-table { font-size: 0.85rem; }
.rabbit .rq-table th { text-align: left; font-weight: 600; color: #5b6470; padding: 2px 4px; border-bottom: 1px solid #d5dbe1; }
.rabbit .rq-table tr.unacked td { background: #fdf3e1; }
.rabbit .rq-table td.death { color: #a33f00; }
.rabbit .rq-calc .calc-inputs { display: flex; flex-direction: column; gap: 6px; }
.rabbit .rq-calc label { display: flex; justify-content: space-between; gap: 8px; align-items: center; }
.rabbit .rq-calc label > select, .rabbit .rq-calc label > input { width: 64%; min-width: 0; }
.rabbit .rq-result b { color: #0b3954; }
.rabbit button.settle { font-size: 0.75rem; padding: 1px 5px; margin: 0 2px 0 0; }
.rabbit button.settle.ack, .rabbit button.settle.ack-multiple { border-color: #009E73; }
.rabbit button.settle.nack, .rabbit button.settle.nack-multiple { border-color: #E69F00; }
.rabbit .rq-requeue { display: block; font-size: 0.85rem; margin: 4px 0; }
.rabbit button.settle.reject { border-color: #D55E00; }
.rabbit td.settle { white-space: nowrap; }
.rabbit h2 .rq-broker { float: right; font-size: 0.8rem; }
.rabbit .rq-actions { margin: 8px 0 0; display: flex; gap: 6px; flex-wrap: wrap; }
.rabbit .rq-hops { margin: 4px 0; padding-left: 18px; font-size: 0.85rem; font-family: ui-monospace, Menlo, Consolas, monospace; }
/* One column on a phone, each as wide as the panel: a wide table (a queue's messages with their
   settle buttons) scrolls inside the inspector instead of pushing the page sideways. */
@media (max-width: 900px) { .rabbit .rq-row { grid-template-columns: minmax(0, 1fr); } .rabbit .rq-inspect { overflow-x: auto; } }
"#;
