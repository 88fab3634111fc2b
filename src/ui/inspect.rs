//! The inspector: one node's state (its model state in a few lines or a table) and the faults to
//! inject into it.

use super::app::{App, Msg};
use crate::engine::kafka::node::KafkaNode;
use crate::engine::kafka::partition::Role;
use crate::engine::kernel::Process;
use crate::engine::models::Node;
use crate::engine::relay::RelayNode;
use crate::engine::{Command, NodeId, Time};
use crate::engine::{NodeSlot, World};
use crate::view;
use crate::view::glossary as g;
use crate::view::session::Session;
use yew::html::Scope;
use yew::prelude::*;

pub fn detail(world: &World, slot: &NodeSlot) -> Html {
    match &slot.node {
        Node::Relay(RelayNode::Producer(p)) => text(format!(
            "publishes to {} every {}; next sequence number {}",
            world.node_name(p.to),
            p.interval,
            p.next_seq
        )),
        Node::Relay(RelayNode::Broker(b)) => text(format!(
            "forwards to {} consumer(s) in turn: {}",
            b.consumers.len(),
            b.consumers.iter().map(|&c| world.node_name(c)).collect::<Vec<_>>().join(", ")
        )),
        Node::Relay(RelayNode::Consumer) => text("receives what its relay forwards".into()),
        Node::Kafka(KafkaNode::Broker(b)) => {
            let rows = b.replicas.iter().map(|(tp, r)| {
                let (role, isr) = match &r.role {
                    Role::Leader(l) => ("leader".to_string(), format!("{:?}", l.isr)),
                    Role::Follower { leader } => (format!("follows b{leader}"), String::new()),
                    Role::Offline => ("offline".to_string(), String::new()),
                };
                let name = world.shared.kafka.as_ref().map_or(String::new(), |c| c.tp_name(*tp));
                html! {
                    <tr>
                        <td>{name}</td>
                        <td class={classes!(r.is_leader().then_some("leader"))}>{role}</td>
                        <td title={g::EPOCH}>{r.epoch}</td>
                        <td title={g::LEO}>{r.log.leo()}</td>
                        <td title={g::HW}>{r.log.hw()}</td>
                        <td title={g::ISR}>{isr}</td>
                    </tr>
                }
            });
            let role = match &b.controller {
                Some(c) => format!("controller (epoch {}); sees brokers {:?}", c.epoch, c.live),
                None => "not the controller".to_string(),
            };
            let session = b.session.map_or("no ZooKeeper session".to_string(), |s| format!("session {s}"));
            html! {
                <>
                    <p class="detail">{format!("{role}; {session}")}</p>
                    <table class="kv partitions" id="broker-partitions">
                        <tr><th>{"partition"}</th><th>{"role"}</th><th title={g::EPOCH}>{"epoch"}</th><th title={g::LEO}>{"LEO"}</th><th title={g::HW}>{"HW"}</th><th title={g::ISR}>{"ISR"}</th></tr>
                        { for rows }
                    </table>
                    <details class="partition-logs">
                        <summary>{"partition logs, replica by replica"}</summary>
                        <pre id="partition-logs">{partition_logs(world, b)}</pre>
                    </details>
                </>
            }
        }
        Node::Kafka(KafkaNode::Zk(z)) => {
            let nodes: String = z
                .tree
                .nodes()
                .iter()
                .filter(|(p, _)| *p != "/")
                .map(|(p, n)| {
                    let eph = n.ephemeral_owner.map_or(String::new(), |s| format!("  (ephemeral, session {s})"));
                    format!("{p}  {}{eph}\n", n.data)
                })
                .collect();
            html! {
                <>
                    <p class="detail">{format!("{} client sessions; znodes:", z.clients.len())}</p>
                    <pre class="znodes" id="znodes">{nodes}</pre>
                </>
            }
        }
        Node::Kafka(KafkaNode::Producer(p)) => text(format!(
            "produces to {} every {} with acks={}; next record {}",
            world.topic_name(p.topic),
            p.interval,
            match p.acks {
                crate::engine::kafka::partition::Acks::None => "0",
                crate::engine::kafka::partition::Acks::Leader => "1",
                crate::engine::kafka::partition::Acks::All => "all",
            },
            p.next_seq
        )),
        Node::Kafka(KafkaNode::Consumer(_)) => consumer(world, slot),
        Node::Rabbit(n) => text(n.describe(world)),
        // Other models (RabbitMQ) have their own inspectors.
        #[allow(unreachable_patterns)]
        _ => text(format!("a {} node", slot.node.role())),
    }
}

fn consumer(world: &World, slot: &NodeSlot) -> Html {
    let Some(id) = world.node_by_name(&slot.name) else { return html! {} };
    let Some(v) = view::kafka::consumer_view(world, id) else { return html! {} };
    let group = v.group.map_or("no group: reads every partition from the start".to_string(), |gi| {
        format!(
            "group {} as {} — {}, generation {}, coordinator {}",
            world.group_name(gi),
            if v.member_id.is_empty() { "(no member id yet)" } else { v.member_id.as_str() },
            v.phase,
            v.generation.map_or("–".to_string(), |n| n.to_string()),
            v.coordinator.map_or("unknown".to_string(), |b| format!("b{b}"))
        )
    });
    let opt = |x: Option<u64>| x.map_or("–".to_string(), |v| v.to_string());
    let rows = v.rows.iter().map(|r| {
        html! {
            <tr class={classes!((!r.owned).then_some("not-owned"))}>
                <td title={if r.owned { "assigned to this consumer" } else { "not assigned to it now (its last commit shown)" }}>{format!("p{}", r.partition)}{ if r.owned { "" } else { " ✗" } }</td>
                <td title={g::POSITION}>{opt(r.position)}</td>
                <td title={g::COMMITTED}>{opt(r.committed)}</td>
                <td title={g::HW}>{opt(r.hw)}</td>
                <td class="lag" title={g::LAG}>{opt(r.lag)}</td>
            </tr>
        }
    });
    html! {
        <>
            <p class="detail" id="consumer-group">{group}</p>
            <table class="kv partitions" id="consumer-partitions">
                <tr><th>{world.topic_name(v.topic).to_string()}</th><th title={g::POSITION}>{"position"}</th><th title={g::COMMITTED}>{"committed"}</th><th title={g::HW}>{"HW"}</th><th title={g::LAG}>{"lag"}</th></tr>
                { for rows }
            </table>
        </>
    }
}

/// The tail of each of this broker's partitions (internal topics left out) on every replica:
/// `offset:epoch` per record, with the HW and the LEO marked, so divergence, truncation and the
/// HW trailing the LEO can be seen replica by replica.
fn partition_logs(world: &World, b: &crate::engine::kafka::broker::Broker) -> String {
    const TAIL: u64 = 10;
    let Some(cluster) = world.shared.kafka.as_ref() else { return String::new() };
    let mut out = String::new();
    for tp in b.replicas.keys().filter(|tp| Some(tp.topic) != cluster.offsets_topic) {
        out.push_str(&cluster.tp_name(*tp));
        out.push('\n');
        for slot in &world.nodes {
            let Node::Kafka(KafkaNode::Broker(other)) = &slot.node else { continue };
            let Some(r) = other.replicas.get(tp) else { continue };
            let (leo, hw) = (r.log.leo(), r.log.hw());
            let role = if r.is_leader() { "leader" } else { "" };
            out.push_str(&format!("  {:<4}{:<7}", slot.name, role));
            if leo > TAIL {
                out.push('…');
            }
            for rec in r.log.slice(leo.saturating_sub(TAIL), leo) {
                if rec.offset == hw {
                    out.push_str(" |HW");
                }
                out.push_str(&format!(" {}:{}", rec.offset, rec.epoch));
            }
            out.push_str(if hw == leo { " |HW=LEO " } else { " |LEO " });
            out.push_str(&format!("{leo}\n"));
        }
    }
    out
}

fn text(s: String) -> Html {
    html! { <p class="detail">{s}</p> }
}

/// The inspector: the selected node, its state, and the faults to inject into it.
pub fn panel(session: &Session, link: &Scope<App>) -> Html {
    let world = session.world();
    let Some(id) = session.selected() else {
        return html! {
            <div class="panel inspector"><h2>{"Inspector"}</h2>
            <p class="hint">{"Click a node to see it and to stop, restart or isolate it. Click a link to cut or heal it."}</p></div>
        };
    };
    let slot = &world.nodes[id.index()];
    let net = &world.network;
    let up = net.is_up(id);
    let isolated = net.is_isolated(id);
    let stop_start = if up { Command::Stop { node: id } } else { Command::Start { node: id } };
    let iso = if isolated { Command::Rejoin { node: id } } else { Command::Isolate { node: id } };
    let role = slot.node.role();
    let cmd = link.callback(Msg::Apply);
    // Role-specific faults: a member can leave its group; a broker's coordinator session can be
    // made to expire by cutting its link to the coordinator.
    let member = crate::view::kafka::consumer(world, id).is_some_and(|c| c.member.is_some());
    let zk = world.shared.kafka.as_ref().map(|c| c.zk).filter(|_| role == "broker");
    // A slow network: every link of the node gets SLOW_BY of extra one-way delay, or back to none.
    const SLOW_BY: Time = Time::ms(50);
    let others = (0..world.nodes.len() as u32).map(NodeId).filter(|&o| o != id);
    let slowed = others.clone().any(|o| net.extra_delay(id, o) > Time::ZERO);
    let extra = if slowed { Time::ZERO } else { SLOW_BY };
    let slow: Vec<Command> = others.map(|b| Command::Slow { a: id, b, extra }).collect();
    let cmds = link.callback(Msg::ApplyAll);
    html! {
        <div class="panel inspector" id="inspector">
            <h2>{format!("{} · {}", slot.name, role)}</h2>
            <table class="kv">
                <tr><td>{"state"}</td><td id="node-state">{ if !up { "stopped" } else if isolated { "isolated" } else { "running" } }</td></tr>
                <tr><td>{"incarnation"}</td><td title="Restarts so far">{slot.incarnation}</td></tr>
            </table>
            { super::inspect::detail(world, slot) }
            <div class="actions">
                <button id="node-stop-start" onclick={cmd.reform(move |_| stop_start.clone())}>
                    { if up { "Stop (crash)" } else if role == "consumer" { "Start" } else { "Restart" } }
                </button>
                if member && up {
                    <button id="node-leave" title="Close cleanly: commit, send LeaveGroup, stop" onclick={cmd.reform(move |_| Command::Leave { node: id })}>{"Leave group"}</button>
                }
                if let Some(zk) = zk {
                    if net.is_cut(id, zk) {
                        <button id="node-session" onclick={cmd.reform(move |_| Command::Heal { a: id, b: zk })}>{"Reconnect to ZooKeeper"}</button>
                    } else {
                        <button id="node-session" title={crate::view::glossary::SESSION} onclick={cmd.reform(move |_| Command::Cut { a: id, b: zk })}>{"Expire session (cut from ZooKeeper)"}</button>
                    }
                }
                <button id="node-isolate" onclick={cmd.reform(move |_| iso.clone())}>
                    { if isolated { "Rejoin network" } else { "Isolate" } }
                </button>
                <button id="node-slow" title="Add 50 ms of one-way delay to every link of this node (timeouts, lagging replicas, slow acks)"
                    onclick={cmds.reform(move |_| slow.clone())}>
                    { if slowed { "Normal network" } else { "Slow network (+50 ms)" } }
                </button>
                <button onclick={cmd.reform(|_| Command::HealAll)}>{"Heal all links"}</button>
            </div>
        </div>
    }
}
