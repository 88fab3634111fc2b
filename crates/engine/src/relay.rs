//! The relay model: the kernel's first slice, and the smallest thing worth watching. Producers
//! publish numbered messages to a relay broker, which acknowledges each one and forwards it to its
//! consumers in turn (round-robin). No storage, no retries: a message that meets a crashed broker or
//! a cut link is gone, and the counters show it. Kafka and RabbitMQ models replace it; it stays as
//! the kernel's test bed and benchmark.

use super::event::{EventKind, MsgInfo};
use super::node::{Ctx, Message};
use super::time::Time;
use super::trace::TraceHash;
use super::{NodeId, World};
use std::fmt::Write;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayMsg {
    Publish { seq: u64, produced_at: Time, lane: u32 },
    Ack { seq: u64, produced_at: Time, lane: u32 },
    Deliver { producer: NodeId, seq: u64, produced_at: Time, lane: u32 },
}

impl RelayMsg {
    pub fn info(&self) -> MsgInfo {
        match *self {
            RelayMsg::Publish { lane, .. } => MsgInfo { kind: "publish", lane },
            RelayMsg::Ack { lane, .. } => MsgInfo { kind: "ack", lane },
            RelayMsg::Deliver { lane, .. } => MsgInfo { kind: "deliver", lane },
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayEvent {
    /// A producer published message `seq`.
    Published { producer: NodeId, seq: u64 },
    /// The broker's acknowledgement reached the producer, `latency` after publishing.
    Acked { producer: NodeId, seq: u64, latency: Time },
    /// A consumer received the message, `latency` after it was published (end to end).
    Consumed { consumer: NodeId, producer: NodeId, seq: u64, latency: Time },
}

/// Trace tags of relay events: one number per variant, unique by construction (the compiler rejects a repeated discriminant).
#[derive(Clone, Copy)]
#[repr(u8)]
enum RelayTag {
    Published = 1,
    Acked = 2,
    Consumed = 3,
}

impl RelayEvent {
    pub fn encode(&self, h: &mut TraceHash) {
        match *self {
            RelayEvent::Published { producer, seq } => {
                h.byte(RelayTag::Published as u8);
                h.u32(producer.0);
                h.u64(seq);
            }
            RelayEvent::Acked { producer, seq, latency } => {
                h.byte(RelayTag::Acked as u8);
                h.u32(producer.0);
                h.u64(seq);
                h.u64(latency.0);
            }
            RelayEvent::Consumed { consumer, producer, seq, latency } => {
                h.byte(RelayTag::Consumed as u8);
                h.u32(consumer.0);
                h.u32(producer.0);
                h.u64(seq);
                h.u64(latency.0);
            }
        }
    }

    pub fn nodes(&self) -> [Option<NodeId>; 2] {
        match *self {
            RelayEvent::Published { producer, .. } | RelayEvent::Acked { producer, .. } => [Some(producer), None],
            RelayEvent::Consumed { consumer, producer, .. } => [Some(consumer), Some(producer)],
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            RelayEvent::Published { .. } => "published",
            RelayEvent::Acked { .. } => "acked",
            RelayEvent::Consumed { .. } => "consumed",
        }
    }

    pub fn describe(&self, s: &mut String, world: &World) -> std::fmt::Result {
        match *self {
            RelayEvent::Published { producer, seq } => write!(s, "{} seq={seq}", world.node_name(producer)),
            RelayEvent::Acked { producer, seq, latency } => {
                write!(s, "{} seq={seq} after {latency}", world.node_name(producer))
            }
            RelayEvent::Consumed { consumer, producer, seq, latency } => {
                write!(s, "{} got {} seq={seq} after {latency}", world.node_name(consumer), world.node_name(producer))
            }
        }
    }
}

#[derive(Clone, Debug)]
pub enum RelayNode {
    Producer(Producer),
    Broker(Broker),
    Consumer,
}

#[derive(Clone, Debug)]
pub struct Producer {
    pub to: NodeId,
    pub interval: Time,
    pub start: Time,
    pub count: Option<u64>,
    /// Colour lane of this producer's messages.
    pub lane: u32,
    /// Sequence numbers survive a crash, as if persisted: after a restart the producer goes on
    /// numbering where it stopped, so the gap in the consumers' sequence shows what was lost.
    pub next_seq: u64,
}

#[derive(Clone, Debug)]
pub struct Broker {
    pub consumers: Vec<NodeId>,
    /// Round-robin position; forgotten in a crash.
    pub next: usize,
}

const TIMER_PUBLISH: u64 = 0;

impl RelayNode {
    pub fn role(&self) -> &'static str {
        match self {
            RelayNode::Producer(_) => "producer",
            RelayNode::Broker(_) => "relay",
            RelayNode::Consumer => "consumer",
        }
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        if let RelayNode::Producer(p) = self {
            let first = if ctx.now < p.start { p.start - ctx.now } else { p.interval };
            ctx.set_timer(first, TIMER_PUBLISH);
        }
    }

    pub fn on_crash(&mut self) {
        if let RelayNode::Broker(b) = self {
            b.next = 0;
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, _timer: u64) {
        let RelayNode::Producer(p) = self else { return };
        if p.count.is_some_and(|c| p.next_seq >= c) {
            return;
        }
        let seq = p.next_seq;
        p.next_seq += 1;
        ctx.emit(EventKind::Relay(RelayEvent::Published { producer: ctx.me, seq }));
        ctx.send(p.to, Message::Relay(RelayMsg::Publish { seq, produced_at: ctx.now, lane: p.lane }));
        if p.count.is_none_or(|c| p.next_seq < c) {
            ctx.set_timer(p.interval, TIMER_PUBLISH);
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: RelayMsg) {
        match (self, msg) {
            (RelayNode::Broker(b), RelayMsg::Publish { seq, produced_at, lane }) => {
                ctx.send(from, Message::Relay(RelayMsg::Ack { seq, produced_at, lane }));
                if !b.consumers.is_empty() {
                    let to = b.consumers[b.next % b.consumers.len()];
                    b.next = (b.next + 1) % b.consumers.len();
                    ctx.send(to, Message::Relay(RelayMsg::Deliver { producer: from, seq, produced_at, lane }));
                }
            }
            (RelayNode::Producer(_), RelayMsg::Ack { seq, produced_at, .. }) => {
                let latency = ctx.now - produced_at;
                ctx.emit(EventKind::Relay(RelayEvent::Acked { producer: ctx.me, seq, latency }));
            }
            (RelayNode::Consumer, RelayMsg::Deliver { producer, seq, produced_at, .. }) => {
                let latency = ctx.now - produced_at;
                ctx.emit(EventKind::Relay(RelayEvent::Consumed { consumer: ctx.me, producer, seq, latency }));
            }
            // A message a role does not handle (a scenario wiring error the validator let through
            // would be a bug; a stray message is simply ignored, as a real node would).
            _ => {}
        }
    }
}
