//! RabbitMQ's view on the stage and in the inspector: clients linked to their broker, and each
//! node's state in a sentence (the queues, exchanges and bindings have their own panel, `rabbit`).

use super::{Block, ModelView, WalkDoor};
use crate::i18n::{en, t, tf};
use crate::walk::Variant;
use brokerlab_engine::rabbit::node::{names, RabbitNode};
use brokerlab_engine::{NodeId, World};

pub struct Rabbit;

pub const WALKS: [WalkDoor; 2] = [
    WalkDoor {
        label: en("▶ follow a message"),
        hint: en("Follow one message from the publisher through the exchange and its bindings to a queue, a consumer's ack and the publisher's confirm"),
        variant: Variant::Rabbit,
    },
    WalkDoor {
        label: en("▶ …with its consumer killed before it acks"),
        hint: en("The same, with the consumer crashing while it holds the message unacknowledged: requeued, then redelivered"),
        variant: Variant::RabbitKillConsumer,
    },
];

impl ModelView for Rabbit {
    type Node = RabbitNode;

    /// A client holds one connection, to its broker.
    fn links(_world: &World, me: NodeId, node: &RabbitNode, out: &mut Vec<(NodeId, NodeId)>) {
        out.extend(node.broker_link().map(|b| (me, b)));
    }

    fn inspect(world: &World, _me: NodeId, node: &RabbitNode) -> Vec<Block> {
        let names = names(world);
        let x = |id: u16| names.map_or("?".to_string(), |n| n.exchange(id));
        let q = |id: u16| names.map_or("?".to_string(), |n| n.queue(id));
        let text = match node {
            RabbitNode::Broker(b) => {
                let queues: Vec<String> = (0..b.core.names.queues.len() as u16)
                    .filter_map(|id| {
                        let queue = b.core.queue(id)?;
                        Some(tf("{0}: {1} ready, {2} consumers", &[&q(id), &queue.ready(), &queue.consumers.len()]))
                    })
                    .collect();
                let text = tf(
                    "vhost /; queues: {0}",
                    &[&if queues.is_empty() { t("none").into() } else { queues.join("; ") }],
                );
                let mut blocks = vec![Block::Text { id: None, text }];
                blocks.extend(crate::rabbit::cluster::inspect(world, b));
                return blocks;
            }
            RabbitNode::Publisher(p) => tf(
                "publishes to exchange {0} every {1}{2}{3}; next seq {4}, {5} awaiting confirm",
                &[
                    &x(p.exchange),
                    &p.interval,
                    &if p.confirms { t(", with confirms") } else { "" },
                    &if p.props.persistent { t(", persistent") } else { "" },
                    &p.next_seq,
                    &p.unconfirmed(),
                ],
            ),
            RabbitNode::Consumer(c) => tf(
                "consumes from {0} with prefetch {1}{2}; {3} deliveries not yet settled",
                &[&q(c.queue), &c.prefetch, &if c.auto_ack { t(", auto-ack") } else { "" }, &c.pending()],
            ),
            RabbitNode::Script(s) => tf(
                "plays a script of {0} AMQP steps on one channel; {1} done, {2} answers from the broker so far",
                &[&s.script.steps.len(), &s.done(), &s.log.len()],
            ),
            RabbitNode::Processor(p) => tf(
                "consumes from {0} with prefetch {1}, publishes each output to exchange {2} with confirms and acks the input after the confirm (every {3}); {4} inputs not yet acked, {5} of them with their output published",
                &[&q(p.settings.input), &p.settings.prefetch, &x(p.settings.exchange), &p.settings.ack_every, &p.unacked(), &p.published_unacked()],
            ),
        };
        vec![Block::Text { id: None, text }]
    }
}
