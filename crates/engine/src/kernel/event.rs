//! Events: everything the engine reports to observers (UI, CLI, tests), each at a simulated instant.
//!
//! Events are small `Copy` values (node indices, times, static labels) so that emitting one costs no
//! allocation; names are looked up in the `World` only when an event is shown.

use super::net::DropReason;
use super::time::Time;
use super::trace::TraceHash;
use super::{NodeId, System, World};
use std::fmt::{Debug, Write};

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

/// What the kernel and every view need from a model's events.
pub trait ModelEvent: Clone + Copy + Debug + PartialEq + Eq {
    /// Feeds the event into the trace hash: every field, in a fixed order, after a tag byte of
    /// its own (see `model_tag` for a system of several models).
    fn encode(&self, h: &mut TraceHash);
    /// The nodes it concerns, for filtering logs by node.
    fn nodes(&self) -> [Option<NodeId>; 2];
    /// A short name of its type, e.g. `consumed`.
    fn type_name(&self) -> &'static str;
    /// What it means for a record's journey, if anything.
    fn flow(&self) -> Option<Flow> {
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event<E> {
    pub at: Time,
    pub kind: EventKind<E>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind<E> {
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
    /// An event of the model that is running.
    Model(E),
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
    /// A record was sent again (a producer's retry).
    Retried,
    /// A producer was answered with an error for a record.
    Failed,
    /// A producer gave up on a record: its delivery timeout passed before it was acknowledged.
    Expired,
    /// A partition leader was elected (`unclean`: from outside the in-sync replicas).
    Elected { unclean: bool },
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
    ConnectionReset = 14,
    /// 15 until 2026-12-03: the RabbitMQ prefix's byte, so a leave and a RabbitMQ event could
    /// feed the hash alike.
    NodeLeaving = 16,
}

/// The tag bytes a system of several models gives its models' events, by the model's place in
/// the system (`model_tag(0)` for the first): never one of the kernel's own tags.
pub const fn model_tag(place: usize) -> u8 {
    const FREE: [u8; 8] = [12, 13, 15, 17, 18, 19, 20, 21];
    FREE[place]
}

impl<E: ModelEvent> Event<E> {
    pub fn flow(&self) -> Option<Flow> {
        match self.kind {
            EventKind::Model(e) => e.flow(),
            _ => None,
        }
    }

    /// Feeds this event into the trace hash. Every field, explicitly, in a fixed order; a new
    /// variant gets a new tag byte.
    #[inline(always)]
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
            EventKind::Model(e) => e.encode(h),
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
            EventKind::Model(e) => e.nodes(),
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
            EventKind::Model(e) => e.type_name(),
        }
    }

    /// One readable, fixed-column line: time, type, then the details with node names.
    /// `       1.25ms  delivered       p1 -> b1  #12 publish`
    pub fn line<S: System<Event = E>>(&self, world: &World<S>) -> String {
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
            EventKind::Model(e) => S::describe(world, &e, &mut s),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_tags_are_distinct_and_never_a_kernel_tag() {
        use Tag::*;
        let kernel = [
            Sent,
            Delivered,
            Dropped,
            NodeStopped,
            NodeStarted,
            NodeIsolated,
            NodeRejoined,
            LinkCut,
            LinkHealed,
            LinkSlowed,
            NetworkHealed,
            ConnectionReset,
            NodeLeaving,
        ]
        .map(|t| t as u8);
        let models: Vec<u8> = (0..8).map(model_tag).collect();
        for (i, m) in models.iter().enumerate() {
            assert!(!kernel.contains(m), "model tag {m} is a kernel tag");
            assert!(!models[..i].contains(m), "model tag {m} given twice");
        }
    }
}
