//! What the inspector shows about one node: its model state in a few lines or a table.

use crate::engine::kafka::node::KafkaNode;
use crate::engine::kafka::partition::Role;
use crate::engine::node::Node;
use crate::engine::relay::RelayNode;
use crate::engine::{NodeSlot, World};
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
                let name = world.kafka.as_ref().map_or(String::new(), |c| c.tp_name(*tp));
                html! {
                    <tr>
                        <td>{name}</td>
                        <td class={classes!(r.is_leader().then_some("leader"))}>{role}</td>
                        <td title="leader epoch">{r.epoch}</td>
                        <td title="log end offset: the next offset to write">{r.log.leo()}</td>
                        <td title="high watermark: what consumers may read">{r.log.hw()}</td>
                        <td title="in-sync replicas (leader's committed view)">{isr}</td>
                    </tr>
                }
            });
            let role = match &b.controller {
                Some(c) => format!("controller (epoch {}); sees brokers {:?}", c.epoch, c.live),
                None => "not the controller".to_string(),
            };
            let session = b.session.map_or("no coordinator session".to_string(), |s| format!("session {s}"));
            html! {
                <>
                    <p class="detail">{format!("{role}; {session}")}</p>
                    <table class="kv partitions" id="broker-partitions">
                        <tr><th>{"partition"}</th><th>{"role"}</th><th>{"epoch"}</th><th>{"LEO"}</th><th>{"HW"}</th><th>{"ISR"}</th></tr>
                        { for rows }
                    </table>
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
        Node::Kafka(KafkaNode::Consumer(c)) => {
            text(format!("reads every partition of {}; positions {:?}", world.topic_name(c.topic), c.positions))
        }
        Node::Rabbit(n) => text(n.describe(world)),
    }
}

fn text(s: String) -> Html {
    html! { <p class="detail">{s}</p> }
}
