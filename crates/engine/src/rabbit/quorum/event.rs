//! What the learner is shown of quorum queues and the cluster: a message given back to a quorum
//! queue (and where it went), a queue's new leader, a node's failure detector changing its mind.

use super::fifo::Returned;
use crate::rabbit::RabbitNames;
use crate::trace::TraceHash;
use crate::NodeId;
use std::fmt::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuorumEvent {
    /// `consumer` gave `m` back to quorum queue `queue` (its `count`th return).
    Returned { m: u64, queue: u16, consumer: NodeId, count: u32, to: Returned },
    /// `node`'s member of `queue`'s Raft group became its leader in `term`.
    Leader { queue: u16, node: NodeId, term: u64 },
    /// `node`'s failure detector now believes `peer` down (or up again).
    Suspect { node: NodeId, peer: NodeId, down: bool },
    /// `client`'s channel consuming `queue` was on a leader that is gone: it is closed.
    Detached { client: NodeId, queue: u16 },
}

impl QuorumEvent {
    pub fn encode(&self, h: &mut TraceHash) {
        match *self {
            QuorumEvent::Returned { m, queue, consumer, count, to } => {
                h.byte(1);
                h.u64(m);
                h.u64(((queue as u64) << 32) | consumer.0 as u64);
                h.u64(((count as u64) << 8) | to as u64);
            }
            QuorumEvent::Leader { queue, node, term } => {
                h.byte(2);
                h.u64(((queue as u64) << 32) | node.0 as u64);
                h.u64(term);
            }
            QuorumEvent::Suspect { node, peer, down } => {
                h.byte(3);
                h.u64(((node.0 as u64) << 32) | peer.0 as u64);
                h.byte(down as u8);
            }
            QuorumEvent::Detached { client, queue } => {
                h.byte(4);
                h.u64(((queue as u64) << 32) | client.0 as u64);
            }
        }
    }

    pub fn nodes(&self) -> [Option<NodeId>; 2] {
        match *self {
            QuorumEvent::Returned { consumer, .. } => [Some(consumer), None],
            QuorumEvent::Leader { node, .. } => [Some(node), None],
            QuorumEvent::Suspect { node, peer, .. } => [Some(node), Some(peer)],
            QuorumEvent::Detached { client, .. } => [Some(client), None],
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            QuorumEvent::Returned { .. } => "quorum-returned",
            QuorumEvent::Leader { .. } => "quorum-leader",
            QuorumEvent::Suspect { down: true, .. } => "node-down",
            QuorumEvent::Suspect { down: false, .. } => "node-up",
            QuorumEvent::Detached { .. } => "consumer-detached",
        }
    }

    pub fn describe(&self, s: &mut String, world: &dyn RabbitNames) -> std::fmt::Result {
        let q = |id: u16| crate::rabbit::node::names(world).map_or("?".to_string(), |n| n.queue(id));
        let n = |id: NodeId| world.node_name(id);
        match *self {
            QuorumEvent::Returned { m, queue, consumer, count, to } => write!(
                s,
                "m{m} given back by {} to quorum queue {} (x-delivery-count {count}){}",
                n(consumer),
                q(queue),
                match to {
                    Returned::Back => ": at the back of the queue",
                    Returned::Returns => ": with the returns, served first",
                    Returned::OverLimit => ": over x-delivery-limit",
                }
            ),
            QuorumEvent::Leader { queue, node, term } => {
                write!(s, "quorum queue {}: {} is the leader in term {term}", q(queue), n(node))
            }
            QuorumEvent::Suspect { node, peer, down } => {
                write!(s, "{} sees {} {}", n(node), n(peer), if down { "down" } else { "up again" })
            }
            QuorumEvent::Detached { client, queue } => write!(
                s,
                "{}'s channel on the old leader of quorum queue {} closed: it reopens on the new leader",
                n(client),
                q(queue)
            ),
        }
    }
}
