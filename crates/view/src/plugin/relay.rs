//! The relay model's view: producers, the relay broker and consumers, described in a sentence.

use super::{Block, ModelView};
use crate::i18n::{t, tf};
use brokerlab_engine::relay::RelayNode;
use brokerlab_engine::{NodeId, World};

pub struct Relay;

impl ModelView for Relay {
    type Node = RelayNode;

    fn links(_world: &World, me: NodeId, node: &RelayNode, out: &mut Vec<(NodeId, NodeId)>) {
        match node {
            RelayNode::Producer(p) => out.push((me, p.to)),
            RelayNode::Broker(b) => out.extend(b.consumers.iter().map(|&c| (me, c))),
            RelayNode::Consumer => {}
        }
    }

    fn inspect(world: &World, _me: NodeId, node: &RelayNode) -> Vec<Block> {
        let text = match node {
            RelayNode::Producer(p) => tf(
                "publishes to {0} every {1}; next sequence number {2}",
                &[&world.node_name(p.to), &p.interval, &p.next_seq],
            ),
            RelayNode::Broker(b) => tf(
                "forwards to {0} consumer(s) in turn: {1}",
                &[
                    &b.consumers.len(),
                    &(b.consumers.iter().map(|&c| world.node_name(c)).collect::<Vec<_>>().join(", ")),
                ],
            ),
            RelayNode::Consumer => t("receives what its relay forwards").into(),
        };
        vec![Block::Text { id: None, text }]
    }
}
