//! The RabbitMQ panel's inspector: a publisher's settings, an exchange's bindings, a queue's
//! arguments and messages, a consumer's deliveries with the learner's ack / nack / reject buttons.

use super::rabbit::Sel;
use crate::engine::rabbit::msg::{Dest, SettleOp};
use crate::engine::Command;
use crate::engine::NodeId;
use crate::view::i18n::{t, tf};
use crate::view::rabbit::{self as vr, Model};
use yew::prelude::*;

/// What the inspectors' buttons do: send commands; nack and reject requeue or not as `requeue` says.
pub(super) struct Actions<'a> {
    pub(super) cmd: &'a Callback<Command>,
    pub(super) requeue: UseStateHandle<bool>,
}

pub(super) fn inspector(m: &Model, sel: Option<Sel>, cmd: &Actions) -> Html {
    match sel {
        None => {
            html! { <p class="hint">{t("Click a publisher, an exchange, a queue or a consumer in the drawing to inspect it.")}</p> }
        }
        Some(Sel::Publisher(node)) => publisher(m, node, cmd),
        Some(Sel::Exchange(id)) => exchange(m, id),
        Some(Sel::Queue(id)) => queue(m, id, cmd),
        Some(Sel::Consumer(node)) => consumer(m, node, cmd),
    }
}

fn publisher(m: &Model, node: NodeId, a: &Actions) -> Html {
    let Some(p) = m.pubs.iter().find(|p| p.node == node) else { return html! {} };
    let toggle = if p.up { Command::Stop { node } } else { Command::Start { node } };
    let yes = |b: bool, what: &str| if b { what.to_string() } else { t("no").to_string() };
    html! {
        <>
            <h3>{tf("publisher {0}", &[&p.name])}</h3>
            { kv("publisher-settings", vec![
                ("exchange", m.names.exchange(p.exchange)),
                (t("routing keys, in turn"), if p.keys.is_empty() { "\"\"".to_string() } else { p.keys.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(", ") }),
                (t("one message every"), p.interval.to_string()),
                (t("publisher confirms"), yes(p.confirms, t("yes: the broker acks (or nacks) each publish"))),
                (t("persistent (delivery_mode 2)"), yes(p.persistent, t("yes: survives a broker restart in a durable queue"))),
                ("mandatory", yes(p.mandatory, t("yes: unroutable messages come back (basic.return)"))),
                (t("awaiting confirm"), p.unconfirmed.to_string()),
                (t("next message"), p.next_seq.to_string()),
                (t("state"), (if p.up { t("running") } else { t("stopped") }).into()),
            ]) }
            <p class="rq-actions">
                <button id="publisher-toggle" onclick={a.cmd.reform(move |_| toggle.clone())}
                    title={ if p.up { t("Crash it: unconfirmed publishes are in doubt (were they routed?)") } else { t("Start it again") } }>
                    { if p.up { t("Stop publisher") } else { t("Start publisher") } }
                </button>
            </p>
        </>
    }
}

fn exchange(m: &Model, id: u16) -> Html {
    let Some(x) = m.exchanges.0.get(id as usize).and_then(Option::as_ref) else {
        return html! { <p class="hint">{t("This exchange no longer exists.")}</p> };
    };
    let rows = x.bindings.iter().map(|b| {
        let dest = match b.dest {
            Dest::Queue(q) => tf("queue {0}", &[&m.names.queue(q)]),
            Dest::Exchange(d) => tf("exchange {0}", &[&m.names.exchange(d)]),
        };
        html! { <tr><td>{dest}</td><td>{vr::binding_label(x.decl.kind, &b.key, &b.args)}</td></tr> }
    });
    html! {
        <>
            <h3>{tf("exchange {0}", &[&m.names.exchange(id)])}</h3>
            <p class="detail">{format!(
                "{}{}{}",
                x.decl.kind.name(),
                if x.decl.durable { t(", durable") } else { t(", transient") },
                x.decl.alternate.map_or(String::new(), |a| format!(", alternate exchange {}", m.names.exchange(a)))
            )}</p>
            if x.bindings.is_empty() {
                <p class="hint">{ if id == 0 { t("Every queue is bound here by its name.") } else { t("No bindings.") } }</p>
            } else {
                <table class="kv rq-table" id="exchange-bindings"><tr><th>{t("destination")}</th><th>{t("binding key / arguments")}</th></tr>{ for rows }</table>
            }
        </>
    }
}

fn queue(m: &Model, id: u16, cmd: &Actions) -> Html {
    let Some(q) = m.qs.iter().find(|q| q.id == id) else { return html! {} };
    if let Some(s) = m.streams.iter().find(|s| s.queue == id) {
        return stream(m, q, s);
    }
    // A settle column only where a running consumer with manual acks holds one of these messages.
    let settles = q
        .messages
        .iter()
        .any(|r| r.delivery.is_some_and(|(_, c)| m.cs.iter().any(|c2| c2.node == c && c2.up && !c2.auto_ack)));

    let rows = q.messages.iter().map(|r| {
        let (tag, by) = match r.delivery {
            Some((t, c)) => {
                let by =
                    m.cs.iter()
                        .find(|c2| c2.node == c)
                        .map_or(crate::view::i18n::t("delivered").to_string(), |c| tf("with {0}", &[&c.name]));
                (t.to_string(), by)
            }
            None => ("–".to_string(), t("ready").to_string()),
        };
        let publisher = m.pubs.iter().find(|p| p.node == r.publisher).map_or("?", |p| p.name.as_str());
        let buttons = r.delivery.filter(|_| settles).map(|(tag, c)| settle_buttons(m, c, tag, false, cmd));
        html! {
            <tr class={classes!(r.delivery.is_some().then_some("unacked"))}>
                <td>{crate::engine::rabbit::quorum::fifo::shown_position(r.pos)}</td>
                <td>{format!("{publisher}#{}", r.seq)}</td>
                <td>{&*r.routing_key}</td>
                <td>{tag}</td>
                <td>{by}</td>
                <td>{ if r.redelivered { "yes" } else { "" } }</td>
                <td class="death">{ r.deaths.as_deref().map_or(String::new(), |d| vr::deaths_text(d, &m.names)) }</td>
                if let Some(b) = buttons { <td class="settle">{b}</td> }
            </tr>
        }
    });
    let total = q.ready + q.unacked;
    html! {
        <>
            <h3>{tf("queue {0}", &[&q.name])}</h3>
            <p class="detail">{ if q.exists {
                tf("{0} ready, {1} delivered and unacked, {2} consumer(s)", &[&q.ready, &q.unacked, &q.consumers])
            } else {
                t("not declared (a transient queue after a restart, until its consumer declares it again)").to_string()
            } }</p>
            { kv("queue-args", vr::queue_args(&q.decl, &m.names)) }
            if !q.raft.is_empty() { { kv("queue-raft", q.raft.clone()) } }
            if settles { { requeue_switch(cmd) } }
            if q.messages.is_empty() {
                <p class="hint">{t("No messages.")}</p>
            } else {
                <table class="kv rq-table" id="queue-messages">
                    <tr>
                        { for ["pos", "message", t("routing key"), "tag", "state", "redelivered", "x-death"].into_iter().map(|h| html! { <th>{h}</th> }) }
                        if settles { <th>{t("settle")}</th> }
                    </tr>
                    { for rows }
                </table>
                if total as usize > q.messages.len() {
                    <p class="hint">{tf("the first {0} of {1} by position", &[&q.messages.len(), &total])}</p>
                }
            }
        </>
    }
}

/// A stream: its offsets, segments and retention, and each consumer's place in it.
fn stream(m: &Model, q: &crate::view::rabbit::QBox, s: &crate::view::rabbit::stream_log::StreamLogView) -> Html {
    let last = s.last.map_or("–".to_string(), |l| l.to_string());
    let bytes: u64 = s.segments.iter().map(|g| g.1).sum();
    let rows = s.readers.iter().map(|r| {
        let held = match (r.held.first(), r.held.last()) {
            (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
            (Some(a), _) => a.to_string(),
            _ => "–".to_string(),
        };
        html! {
            <tr data-reader={r.name.clone()}>
                <td>{&r.name}</td><td>{r.next}</td><td>{r.next.saturating_sub(s.first)}</td>
                <td>{format!("{} / {}", r.held.len(), r.prefetch)}</td><td>{held}</td>
                <td>{s.next.saturating_sub(r.next)}</td>
            </tr>
        }
    });
    html! {
        <>
            <h3>{tf("stream {0}", &[&q.name])}</h3>
            <p class="detail" id="stream-offsets" data-first={s.first.to_string()} data-last={last.clone()}>
                {tf("first offset {0}, last offset {1}: {2} messages ({3} bytes) in {4} segment(s); the next publish gets offset {5}", &[&s.first, &last, &s.messages, &bytes, &s.segments.len(), &s.next])}
            </p>
            { kv("queue-args", vr::queue_args(&q.decl, &m.names)) }
            if s.readers.is_empty() {
                <p class="hint">{t("No consumer reads it now.")}</p>
            } else {
                <div class="ops-scroll"><table class="kv rq-table" id="stream-readers">
                    <tr>
                        { for [t("consumer"), t("next offset"), t("read since first"), t("unacked / prefetch"), t("held offsets"), t("behind the end")].into_iter().map(|h| html! { <th>{h}</th> }) }
                    </tr>
                    { for rows }
                </table></div>
            }
            <p class="hint">{t("Acks remove nothing from a stream: they give the consumer credit to be sent more. basic.get, nack and reject are refused (540, the connection closes).")}</p>
        </>
    }
}

/// A two-column table of `(name, value)` rows: one `html!` site for every such table.
fn kv(id: &'static str, rows: Vec<(&'static str, String)>) -> Html {
    html! {
        <table class="kv rq-table" {id}>
            { for rows.into_iter().map(|(k, v)| html! { <tr><td>{k}</td><td>{v}</td></tr> }) }
        </table>
    }
}

fn consumer(m: &Model, node: NodeId, cmd: &Actions) -> Html {
    let Some(c) = m.cs.iter().find(|c| c.node == node) else { return html! {} };
    let held: Vec<(u64, &vr::MsgRow)> =
        m.qs.iter()
            .flat_map(|q| q.messages.iter())
            .filter_map(|r| r.delivery.filter(|d| d.1 == node).map(|d| (d.0, r)))
            .collect();
    let tags: Vec<String> = held.iter().map(|(t, _)| t.to_string()).collect();
    let rows = held.iter().map(|(tag, r)| {
        let publisher = m.pubs.iter().find(|p| p.node == r.publisher).map_or("?", |p| p.name.as_str());
        html! {
            <tr class="unacked">
                <td>{tag}</td>
                <td>{format!("{publisher}#{}", r.seq)}</td>
                <td>{ if r.redelivered { "redelivered" } else { "" } }</td>
                <td class="settle">{ settle_buttons(m, node, *tag, true, cmd) }</td>
            </tr>
        }
    });
    let toggle = if c.up { Command::Stop { node } } else { Command::Start { node } };
    html! {
        <>
            <h3>{tf("consumer {0}", &[&c.name])}</h3>
            { kv("consumer-window", vec![
                ("queue", m.names.queue(c.queue)),
                (t("state"), (if c.up { t("running") } else { t("stopped") }).into()),
                (t("acknowledgements"), (if c.auto_ack { t("automatic (prefetch ignored)") } else if c.hold { t("manual, by you: it holds each delivery until you settle it") } else { t("manual") }).into()),
                ("prefetch", if c.prefetch == 0 { "unlimited".to_string() } else { c.prefetch.to_string() }),
                ("unacked", c.unacked.to_string()),
                (t("delivery tags"), if tags.is_empty() { "–".to_string() } else { tags.join(", ") }),
            ]) }
            if !held.is_empty() && !c.auto_ack {
                { requeue_switch(cmd) }
                <table class="kv rq-table" id="consumer-held">
                    <tr><th>{t("tag")}</th><th>{t("message")}</th><th></th><th>{t("settle")}</th></tr>
                    { for rows }
                </table>
            }
            <p class="rq-actions">
                <button id="consumer-toggle" onclick={cmd.cmd.reform(move |_| toggle.clone())}
                    title={ if c.up { t("Crash it: the broker sees the connection close and requeues its unacked messages, redelivered (flagged) to the next consumer") } else { t("Start it again: it reconnects, declares its queue and consumes") } }>
                    { if c.up { t("Kill consumer") } else { t("Restart consumer") } }
                </button>
            </p>
        </>
    }
}

/// The "requeue" switch of nack and reject, shown above tables with settle buttons.
fn requeue_switch(a: &Actions) -> Html {
    let h = a.requeue.clone();
    html! {
        <label class="rq-requeue" title={t("AMQP's requeue bit of basic.nack and basic.reject")}>
            <input type="checkbox" id="settle-requeue" checked={*a.requeue} onchange={Callback::from(move |_: Event| h.set(!*h))} />
            {t("nack / reject with requeue")}
        </label>
    }
}

/// ack / nack / reject buttons for delivery `tag` of consumer `node` (none with automatic acks:
/// there is nothing to settle). `multiple` adds "ack ≤" (basic.ack with multiple).
fn settle_buttons(m: &Model, node: NodeId, tag: u64, multiple: bool, a: &Actions) -> Html {
    let Some(c) = m.cs.iter().find(|c| c.node == node && c.up && !c.auto_ack) else { return html! {} };
    let requeue = *a.requeue;
    let outcome = if requeue {
        t("requeued: back to its place in the queue, redelivered (flagged)")
    } else if m.qs.iter().find(|q| q.id == c.queue).and_then(|q| q.decl.args.dlx).is_some() {
        t("no requeue: dead-lettered")
    } else {
        t("no requeue: dropped (the queue has no dead-letter exchange)")
    };
    let button = |label: &'static str, class: &'static str, title: String, multiple: bool, op: SettleOp| {
        let command = Command::settle(node, tag, multiple, op);
        html! { <button class={classes!("settle", class)} data-tag={tag.to_string()} {title} onclick={a.cmd.reform(move |_| command.clone())}>{label}</button> }
    };
    let back = if requeue { " ↺" } else { " ✕" };
    html! {
        <span class="settle-buttons">
            { button("ack", "ack", tf("basic.ack tag {0}: done, the broker forgets it", &[&tag]), false, SettleOp::Ack) }
            if multiple { { button(t("ack ≤"), "ack-multiple", tf("basic.ack tag {0} multiple: this and every earlier delivery it holds", &[&tag]), true, SettleOp::Ack) } }
            { button(if requeue { t("nack ↺") } else { t("nack ✕") }, "nack", tf("basic.nack tag {0}{1}: {2}", &[&tag, &back, &outcome]), false, SettleOp::Nack { requeue }) }
            if multiple { { button(if requeue { t("nack ≤ ↺") } else { t("nack ≤ ✕") }, "nack-multiple", tf("basic.nack tag {0} multiple{1}: this and every earlier delivery it holds are {2}", &[&tag, &back, &if requeue { t("requeued") } else { t("not requeued") }]), true, SettleOp::Nack { requeue }) } }
            { button(if requeue { t("reject ↺") } else { t("reject ✕") }, "reject", tf("basic.reject tag {0}{1}: {2}", &[&tag, &back, &outcome]), false, SettleOp::Reject { requeue }) }
        </span>
    }
}
