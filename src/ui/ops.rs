//! What operators see: the real tools' output for the simulated cluster, and RabbitMQ's queue as
//! its sequence of messages. Everything is built in the view crate (`view::kafka_tools`,
//! `view::rabbit::overview`, `view::rabbit::strip`); this only lays it out: monospace, selectable
//! to copy, scrolling inside its own box on a phone.

use crate::engine::World;
use crate::view::i18n::{t, tf};
use crate::view::kafka_tools;
use crate::view::rabbit::overview::{fmt_rate, Overview};
use crate::view::rabbit::strip::{QueueStrip, StripCell, STRIP_CAP};
use crate::view::rabbit::Model;
use yew::prelude::*;

/// A tool's output as a terminal shows it (its first line is the command).
pub fn terminal(id: String, text: String) -> Html {
    html! { <pre class="ops-out" {id}>{text}</pre> }
}

/// `kafka-consumer-groups.sh --describe --group G` for group `index`, under the group panel.
pub fn group_describe(world: &World, index: u8) -> Html {
    match kafka_tools::group_describe(world, index) {
        Some(d) => terminal(format!("group-describe-{index}"), d.text),
        None => html! {},
    }
}

/// `kafka-topics.sh --describe --topic T`, asked of the first live broker.
pub fn topic_describe(world: &World, topic: u16) -> Html {
    let text = kafka_tools::any_live_broker(world).and_then(|b| kafka_tools::topics_describe(world, b, Some(topic)));
    match text {
        Some(t) => terminal("topic-describe".into(), t),
        None => html! {},
    }
}

/// The management UI's Overview counts, Queues, Connections and Channels tabs, in one box.
pub fn rabbit_overview(o: &Overview) -> Html {
    if !o.broker_up {
        return html! {
            <div class="ops-mgmt" id="rabbit-overview">
                <h3>{t("Management overview")}</h3>
                <p class="hint">{tf("The broker {0} is stopped: the management UI does not answer.", &[&o.broker])}</p>
            </div>
        };
    }
    let queues = o.queues.iter().map(|q| {
        let features = q.features.iter().map(|(short, long)| html! { <abbr title={*long}>{*short}</abbr> });
        html! {
            <tr data-queue={q.name.clone()}>
                <td>{&q.name}</td><td>{q.kind}</td><td class="features">{ for features }</td><td>{"running"}</td>
                <td class="num ready">{q.ready}</td><td class="num unacked">{q.unacked}</td><td class="num total">{q.ready + q.unacked}</td>
                <td class="num">{fmt_rate(q.rates[0])}</td><td class="num">{fmt_rate(q.rates[1])}</td><td class="num">{fmt_rate(q.rates[2])}</td>
            </tr>
        }
    });
    let channels = o.channels.iter().map(|c| {
        html! {
            <tr>
                <td>{&c.name}</td><td>{c.mode}</td><td>{"running"}</td><td class="num">{c.unconfirmed}</td>
                <td class="num">{ c.prefetch.map_or(String::new(), |p| p.to_string()) }</td><td class="num">{c.unacked}</td>
            </tr>
        }
    });
    // A connection the memory alarm blocked shows as the management UI shows it: "blocked".
    let connections = o.connections.iter().zip(&o.channels).map(|(c, ch)| {
        let state = if o.blocked.contains(&ch.client) { "blocked" } else { "running" };
        html! { <tr><td>{c}</td><td>{"AMQP 0-9-1"}</td><td class={state}>{state}</td><td class="num">{"1"}</td></tr> }
    });
    let mb = |b: u64| format!("{:.1}", b as f64 / 1e6);
    let alarms = match o.memory {
        None => t("No memory or disk alarms: the model spends neither.").to_string(),
        Some((used, mark, true)) => tf(
            "Memory alarm: {0} MB used, above the {1} MB high watermark; publishing connections are blocked.",
            &[&mb(used), &mb(mark)],
        ),
        Some((used, mark, false)) => {
            tf("Memory: {0} MB used of the {1} MB high watermark, no alarm.", &[&mb(used), &mb(mark)])
        }
    };
    html! {
        <div class="ops-mgmt" id="rabbit-overview">
            <h3>{t("Management overview")}</h3>
            <p class="ops-totals">{format!(
                "Connections: {} · Channels: {} · Exchanges: {} · Queues: {} · Consumers: {}",
                o.connections.len(), o.channels.len(), o.exchanges, o.queues.len(), o.consumers
            )}</p>
            <div class="ops-scroll">
                <table class="ops-table" id="mgmt-queues">
                    <tr class="group-head"><th colspan="4">{"Overview"}</th><th colspan="3">{"Messages"}</th><th colspan="3">{"Message rates"}</th></tr>
                    <tr><th>{"Name"}</th><th>{"Type"}</th><th>{"Features"}</th><th>{"State"}</th>
                        <th>{"Ready"}</th><th>{"Unacked"}</th><th>{"Total"}</th>
                        <th>{"incoming"}</th><th>{"deliver / get"}</th><th>{"ack"}</th></tr>
                    { for queues }
                </table>
            </div>
            <div class="ops-scroll">
                <table class="ops-table" id="mgmt-connections">
                    <tr><th>{"Connection"}</th><th>{"Protocol"}</th><th>{"State"}</th><th>{"Channels"}</th></tr>
                    { for connections }
                </table>
            </div>
            <div class="ops-scroll">
                <table class="ops-table" id="mgmt-channels">
                    <tr><th>{"Channel"}</th><th title="C: confirm mode">{"Mode"}</th><th>{"State"}</th><th>{"Unconfirmed"}</th><th>{"Prefetch"}</th><th>{"Unacked"}</th></tr>
                    { for channels }
                </table>
            </div>
            <p class={classes!("hint", o.memory.is_some_and(|m| m.2).then_some("alarm"))} id="mgmt-alarms">{alarms}</p>
            <p class="hint">{t("Rates: messages per second over the last 5 s of simulated time (the management plugin samples every 5 s). Connections are named by client: the model has no IP addresses.")}</p>
        </div>
    }
}

/// The selected queue as a strip: the deliveries consumers hold, the head, the ready messages.
pub fn queue_strip(m: &Model, s: &QueueStrip) -> Html {
    let name = |n| m.pubs.iter().find(|p| p.node == n).map_or("?".to_string(), |p| p.name.clone());
    let consumer = |n| m.cs.iter().find(|c| c.node == n).map_or("?".to_string(), |c| c.name.clone());
    let cell = |c: &StripCell| {
        let mut title =
            tf("{0}#{1} · routing key {2} · position {3}", &[&name(c.publisher), &c.seq, &c.routing_key, &c.pos]);
        if let Some((n, tag)) = c.held {
            title += &tf(" · unacked: {0} holds it, delivery tag {1}", &[&consumer(n), &tag]);
        }
        if c.redelivered {
            title += t(" · redelivered");
        }
        if c.deaths > 0 {
            title += &tf(" · dead-lettered {0}×", &[&c.deaths]);
        }
        let class = classes!(
            "qs-cell",
            if c.held.is_some() { "held" } else { "ready" },
            c.redelivered.then_some("redelivered"),
            (c.deaths > 0).then_some("dead")
        );
        html! {
            <li {class} {title} data-pos={c.pos.to_string()}>
                <span class="qs-seq">{format!("{}#{}", name(c.publisher), c.seq)}</span>
                <span class="qs-by">{ match c.held { Some((n, tag)) => format!("{} t{tag}", consumer(n)), None => String::new() } }</span>
                if c.redelivered { <span class="qs-flag">{"r"}</span> }
            </li>
        }
    };
    let more = |n: u32| {
        (n as usize > STRIP_CAP).then(|| html! { <li class="qs-more">{format!("+{}", n as usize - STRIP_CAP)}</li> })
    };
    html! {
        <div class="queue-strip" id="queue-strip" data-queue={s.name.clone()}
            data-ready={s.ready_total.to_string()} data-unacked={s.unacked_total.to_string()}>
            <h3>{tf("Queue {0} as a sequence", &[&s.name])}<span class="sub">{tf(" {0} unacked · {1} ready", &[&s.unacked_total, &s.ready_total])}</span></h3>
            if !s.exists {
                <p class="hint">{t("Not declared now.")}</p>
            }
            <div class="ops-scroll">
                <ol class="qs-row">
                    { for more(s.unacked_total) }
                    { for s.unacked.iter().map(cell) }
                    <li class="qs-head" title={t("The head: the next message the queue delivers")}>{t("▼ head")}</li>
                    { for s.ready.iter().map(cell) }
                    { for more(s.ready_total) }
                </ol>
            </div>
            <p class="hint">
                <span class="qs-key held"></span>{t(" delivered, unacked (consumer and delivery tag) · ")}
                <span class="qs-key ready"></span>{t(" ready, in the order the queue delivers them · ")}
                <span class="qs-key redelivered"></span>{t(" r = redelivered · a requeued message goes back to its old place")}
            </p>
        </div>
    }
}
