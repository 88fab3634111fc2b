//! Events: everything the engine reports to observers (UI, CLI, tests), each at a simulated instant.
//!
//! Events are small `Copy` values (node indices, times, static labels) so that emitting one costs no
//! allocation; names are looked up in the `World` only when an event is shown.

use super::net::DropReason;
use super::relay::RelayEvent;
use super::time::Time;
use super::trace::TraceHash;
use super::{NodeId, World};
use std::fmt::Write;

/// Identifies one message on the wire, unique within a run (numbered in send order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MsgId(pub u64);

/// What a message is, for drawing and logs: its kind and a colour lane (e.g. the producer or
/// partition it belongs to).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsgInfo {
    pub kind: &'static str,
    pub lane: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub at: Time,
    pub kind: EventKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// `node`'s connection to `peer` was reset: the peer's process is down.
    ConnectionReset {
        node: NodeId,
        peer: NodeId,
    },
    /// A message left `from`; it will arrive at `deliver_at` unless something intervenes.
    Sent {
        from: NodeId,
        to: NodeId,
        msg: MsgId,
        info: MsgInfo,
        deliver_at: Time,
    },
    /// A message arrived and was handed to its receiver.
    Delivered {
        from: NodeId,
        to: NodeId,
        msg: MsgId,
        info: MsgInfo,
        sent_at: Time,
    },
    /// A message was lost, at send time (cut, isolated, loss) or on arrival (receiver down, cut).
    Dropped {
        from: NodeId,
        to: NodeId,
        msg: MsgId,
        info: MsgInfo,
        reason: DropReason,
    },
    NodeStopped {
        node: NodeId,
    },
    NodeStarted {
        node: NodeId,
    },
    /// A node is shutting down cleanly (its goodbyes are sent; it stops next).
    NodeLeaving {
        node: NodeId,
    },
    NodeIsolated {
        node: NodeId,
    },
    NodeRejoined {
        node: NodeId,
    },
    LinkCut {
        a: NodeId,
        b: NodeId,
    },
    LinkHealed {
        a: NodeId,
        b: NodeId,
    },
    LinkSlowed {
        a: NodeId,
        b: NodeId,
        extra: Time,
    },
    NetworkHealed,
    /// An event of the relay model.
    Relay(RelayEvent),
    /// An event of the Kafka model.
    Kafka(super::kafka::msg::KafkaEvent),
    /// An event of the RabbitMQ model.
    Rabbit(super::rabbit::event::RabbitEvent),
}

/// What an event means for a record's journey, the same in every model: counters and charts read
/// this instead of each knowing every model's events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// A record was sent for the first time.
    Published,
    /// The producer got its acknowledgement, `latency` after publishing.
    Acked(Time),
    /// A consumer received it, `latency` after publishing (end to end).
    Consumed(Time),
}

/// Trace tags of the kernel's events and of each model's events: one number per variant, unique by
/// construction (the compiler rejects a repeated discriminant).
#[derive(Clone, Copy)]
#[repr(u8)]
enum Tag {
    Sent = 1,
    Delivered = 2,
    Dropped = 3,
    NodeStopped = 4,
    NodeStarted = 5,
    NodeIsolated = 6,
    NodeRejoined = 7,
    LinkCut = 8,
    LinkHealed = 9,
    LinkSlowed = 10,
    NetworkHealed = 11,
    Relay = 12,
    Kafka = 13,
    ConnectionReset = 14,
    Rabbit = 15,
    /// 15 until 2026-12-03: the RabbitMQ prefix's byte, so a leave and a RabbitMQ event could
    /// feed the hash alike.
    NodeLeaving = 16,
}

impl Event {
    pub fn flow(&self) -> Option<Flow> {
        use super::kafka::msg::KafkaEvent;
        use super::rabbit::event::RabbitEvent as R;
        match self.kind {
            EventKind::Relay(RelayEvent::Published { .. })
            | EventKind::Kafka(KafkaEvent::Produced { retry: false, .. })
            | EventKind::Rabbit(R::Published { .. }) => Some(Flow::Published),
            EventKind::Relay(RelayEvent::Acked { latency, .. })
            | EventKind::Kafka(KafkaEvent::ProduceAcked { latency, .. })
            | EventKind::Rabbit(R::Confirmed { ack: true, latency, .. }) => Some(Flow::Acked(latency)),
            EventKind::Relay(RelayEvent::Consumed { latency, .. })
            | EventKind::Kafka(KafkaEvent::Consumed { latency, .. })
            | EventKind::Rabbit(R::Consumed { latency, .. }) => Some(Flow::Consumed(latency)),
            _ => None,
        }
    }

    /// Feeds this event into the trace hash. Every field, explicitly, in a fixed order; a new
    /// variant gets a new tag byte.
    pub fn encode(&self, h: &mut TraceHash) {
        h.u64(self.at.0);
        let msg = |h: &mut TraceHash, tag: Tag, from: NodeId, to: NodeId, m: MsgId, info: MsgInfo| {
            h.byte(tag as u8);
            h.u32(from.0);
            h.u32(to.0);
            h.u64(m.0);
            h.str(info.kind);
            h.u32(info.lane);
        };
        match self.kind {
            EventKind::Sent { from, to, msg: m, info, deliver_at } => {
                msg(h, Tag::Sent, from, to, m, info);
                h.u64(deliver_at.0);
            }
            EventKind::Delivered { from, to, msg: m, info, sent_at } => {
                msg(h, Tag::Delivered, from, to, m, info);
                h.u64(sent_at.0);
            }
            EventKind::Dropped { from, to, msg: m, info, reason } => {
                msg(h, Tag::Dropped, from, to, m, info);
                h.str(reason.as_str());
            }
            EventKind::NodeStopped { node } => node_tag(h, Tag::NodeStopped, node),
            EventKind::NodeStarted { node } => node_tag(h, Tag::NodeStarted, node),
            EventKind::NodeLeaving { node } => node_tag(h, Tag::NodeLeaving, node),
            EventKind::NodeIsolated { node } => node_tag(h, Tag::NodeIsolated, node),
            EventKind::NodeRejoined { node } => node_tag(h, Tag::NodeRejoined, node),
            EventKind::LinkCut { a, b } => pair_tag(h, Tag::LinkCut, a, b),
            EventKind::LinkHealed { a, b } => pair_tag(h, Tag::LinkHealed, a, b),
            EventKind::LinkSlowed { a, b, extra } => {
                pair_tag(h, Tag::LinkSlowed, a, b);
                h.u64(extra.0);
            }
            EventKind::NetworkHealed => h.byte(Tag::NetworkHealed as u8),
            EventKind::ConnectionReset { node, peer } => pair_tag(h, Tag::ConnectionReset, node, peer),
            EventKind::Relay(e) => {
                h.byte(Tag::Relay as u8);
                e.encode(h);
            }
            EventKind::Kafka(e) => {
                h.byte(Tag::Kafka as u8);
                e.encode(h);
            }
            EventKind::Rabbit(e) => {
                h.byte(Tag::Rabbit as u8);
                e.encode(h);
            }
        }
    }

    /// The node an event is mainly about (the receiver of a delivery, the sender of a send), for
    /// filtering logs by node.
    pub fn nodes(&self) -> [Option<NodeId>; 2] {
        match self.kind {
            EventKind::Sent { from, to, .. }
            | EventKind::Delivered { from, to, .. }
            | EventKind::Dropped { from, to, .. } => [Some(from), Some(to)],
            EventKind::NodeStopped { node }
            | EventKind::NodeStarted { node }
            | EventKind::NodeLeaving { node }
            | EventKind::NodeIsolated { node }
            | EventKind::NodeRejoined { node } => [Some(node), None],
            EventKind::LinkCut { a, b } | EventKind::LinkHealed { a, b } | EventKind::LinkSlowed { a, b, .. } => {
                [Some(a), Some(b)]
            }
            EventKind::ConnectionReset { node, peer } => [Some(node), Some(peer)],
            EventKind::NetworkHealed => [None, None],
            EventKind::Relay(e) => e.nodes(),
            EventKind::Kafka(e) => e.nodes(),
            EventKind::Rabbit(e) => e.nodes(),
        }
    }

    /// A short name of the event's type, e.g. `sent`, `node-stopped`, `consumed`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            EventKind::Sent { .. } => "sent",
            EventKind::Delivered { .. } => "delivered",
            EventKind::Dropped { .. } => "dropped",
            EventKind::NodeStopped { .. } => "node-stopped",
            EventKind::NodeStarted { .. } => "node-started",
            EventKind::NodeLeaving { .. } => "node-leaving",
            EventKind::NodeIsolated { .. } => "node-isolated",
            EventKind::NodeRejoined { .. } => "node-rejoined",
            EventKind::LinkCut { .. } => "link-cut",
            EventKind::LinkHealed { .. } => "link-healed",
            EventKind::LinkSlowed { .. } => "link-slowed",
            EventKind::NetworkHealed => "network-healed",
            EventKind::ConnectionReset { .. } => "conn-reset",
            EventKind::Relay(e) => e.type_name(),
            EventKind::Kafka(e) => e.type_name(),
            EventKind::Rabbit(e) => e.type_name(),
        }
    }

    /// One readable, fixed-column line: time, type, then the details with node names.
    /// `       1.25ms  delivered       p1 -> b1  #12 publish`
    pub fn line(&self, world: &World) -> String {
        let name = |n: NodeId| world.node_name(n);
        let mut s = format!("{:>12}  {:<14}  ", self.at.to_string(), self.type_name());
        let _ = match self.kind {
            EventKind::Sent { from, to, msg, info, deliver_at } => {
                write!(s, "{} -> {}  #{} {} (arrives {})", name(from), name(to), msg.0, info.kind, deliver_at)
            }
            EventKind::Delivered { from, to, msg, info, sent_at } => {
                write!(s, "{} -> {}  #{} {} (sent {})", name(from), name(to), msg.0, info.kind, sent_at)
            }
            EventKind::Dropped { from, to, msg, info, reason } => {
                write!(s, "{} -> {}  #{} {} ({})", name(from), name(to), msg.0, info.kind, reason.as_str())
            }
            EventKind::NodeStopped { node }
            | EventKind::NodeStarted { node }
            | EventKind::NodeIsolated { node }
            | EventKind::NodeRejoined { node } => write!(s, "{}", name(node)),
            EventKind::NodeLeaving { node } => write!(s, "{} shuts down cleanly", name(node)),
            EventKind::LinkCut { a, b } | EventKind::LinkHealed { a, b } => write!(s, "{} <-> {}", name(a), name(b)),
            EventKind::LinkSlowed { a, b, extra } => write!(s, "{} <-> {}  +{}", name(a), name(b), extra),
            EventKind::NetworkHealed => Ok(()),
            EventKind::ConnectionReset { node, peer } => {
                write!(s, "{} lost its connection to {}", name(node), name(peer))
            }
            EventKind::Relay(e) => e.describe(&mut s, world),
            EventKind::Kafka(e) => e.describe(&mut s, world),
            EventKind::Rabbit(e) => e.describe(&mut s, world),
        };
        s.truncate(s.trim_end().len());
        s
    }
}

fn node_tag(h: &mut TraceHash, tag: Tag, node: NodeId) {
    h.byte(tag as u8);
    h.u32(node.0);
}

fn pair_tag(h: &mut TraceHash, tag: Tag, a: NodeId, b: NodeId) {
    h.byte(tag as u8);
    h.u32(a.0);
    h.u32(b.0);
}
