//! The relay model: the kernel's first slice, and the smallest thing worth watching. Producers
//! publish numbered messages to a relay broker, which acknowledges each one and forwards it to its
//! consumers in turn (round-robin). No storage, no retries: a message that meets a crashed broker or
//! a cut link is gone, and the counters show it. Kafka and RabbitMQ models replace it; it stays as
//! the kernel's test bed and benchmark.

use crate::kernel::event::{Flow, ModelEvent, MsgInfo};
use crate::kernel::time::Time;
use crate::kernel::trace::TraceHash;
use crate::kernel::{Built, Model, Names, NodeId, Process, Spec, System, Wire, World};
use crate::scenario::{Role, Scenario};
use crate::vecmap::VecMap;
use std::fmt::Write;

/// The relay model; run alone (`Simulation<Relay>`) it is the kernel's own test model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relay;

type Ctx<'a> = crate::kernel::Ctx<'a, Relay>;

/// The relay's only timer: a producer's next publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayTimer {
    Publish,
}

impl Model for Relay {
    type Node = RelayNode;
    type Msg = RelayMsg;
    type Timer = RelayTimer;
    type Event = RelayEvent;
    type Outbox = Vec<crate::kernel::ctx::Effect<Self>>;
}

/// The user's per-node actions: the relay has none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoAct {}

impl System for Relay {
    type Act = NoAct;
    type Shared = ();
    type Spec = Scenario;
    fn describe(world: &World<Relay>, e: &RelayEvent, out: &mut String) -> std::fmt::Result {
        e.describe(out, world)
    }
    fn act(_: &mut RelayNode, _: &mut Ctx, act: NoAct) {
        match act {}
    }
}

/// A scenario's relay nodes alone (a scenario with a Kafka or RabbitMQ section is the registry's).
impl Spec<Relay> for Scenario {
    fn validate(&self) -> Result<(), String> {
        Scenario::validate(self)?;
        if self.kafka.is_some() || self.rabbit.is_some() {
            return Err("the relay model runs only `nodes` (this scenario has a kafka or rabbit section)".into());
        }
        Ok(())
    }
    fn build(&self) -> Built<Relay> {
        let ids = self.node_ids();
        Built {
            nodes: build(self, &ids),
            shared: (),
            network: self.build_network(&ids),
            faults: self.fault_schedule(&ids, |_| unreachable!("a scenario with actions has a rabbit section")),
            stopped: vec![],
        }
    }
}

/// The scenario's `nodes`, named and in order (they come first in every run); `ids` from
/// `Scenario::node_ids`.
pub fn build(scenario: &Scenario, ids: &VecMap<String, NodeId>) -> Vec<(String, RelayNode)> {
    let id = |name: &str| *ids.get(name).expect("validated: a node of the scenario");
    let mut producers = 0;
    scenario
        .nodes
        .iter()
        .map(|spec| {
            let node = match spec.role {
                Role::Producer => {
                    producers += 1;
                    let interval = spec.interval.expect("validated: producers have an interval");
                    RelayNode::Producer(Producer {
                        to: id(spec.to.as_deref().expect("validated: producers have `to`")),
                        interval,
                        start: spec.start.unwrap_or(interval),
                        count: spec.count,
                        lane: producers - 1,
                        next_seq: 0,
                    })
                }
                Role::Relay => RelayNode::Broker(Broker {
                    consumers: scenario
                        .nodes
                        .iter()
                        .filter(|n| n.from.as_deref() == Some(spec.id()))
                        .map(|n| id(n.id()))
                        .collect(),
                    next: 0,
                }),
                Role::Consumer => RelayNode::Consumer,
            };
            (spec.id().to_string(), node)
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayMsg {
    Publish { seq: u64, produced_at: Time, lane: u32 },
    Ack { seq: u64, produced_at: Time, lane: u32 },
    Deliver { producer: NodeId, seq: u64, produced_at: Time, lane: u32 },
}

impl Wire for RelayMsg {
    fn info(&self) -> MsgInfo {
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

impl ModelEvent for RelayEvent {
    fn encode(&self, h: &mut TraceHash) {
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

    fn nodes(&self) -> [Option<NodeId>; 2] {
        match *self {
            RelayEvent::Published { producer, .. } | RelayEvent::Acked { producer, .. } => [Some(producer), None],
            RelayEvent::Consumed { consumer, producer, .. } => [Some(consumer), Some(producer)],
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            RelayEvent::Published { .. } => "published",
            RelayEvent::Acked { .. } => "acked",
            RelayEvent::Consumed { .. } => "consumed",
        }
    }

    fn flow(&self) -> Option<Flow> {
        Some(match *self {
            RelayEvent::Published { .. } => Flow::Published,
            RelayEvent::Acked { latency, .. } => Flow::Acked(latency),
            RelayEvent::Consumed { latency, .. } => Flow::Consumed(latency),
        })
    }
}

impl RelayEvent {
    pub fn describe(&self, s: &mut String, world: &dyn Names) -> std::fmt::Result {
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

impl Process<Relay> for RelayNode {
    fn role(&self) -> &'static str {
        match self {
            RelayNode::Producer(_) => "producer",
            RelayNode::Broker(_) => "relay",
            RelayNode::Consumer => "consumer",
        }
    }

    fn on_start(&mut self, ctx: &mut Ctx) {
        if let RelayNode::Producer(p) = self {
            let first = if ctx.now < p.start { p.start - ctx.now } else { p.interval };
            ctx.set_timer(first, RelayTimer::Publish);
        }
    }

    fn on_crash(&mut self) {
        if let RelayNode::Broker(b) = self {
            b.next = 0;
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx, _timer: RelayTimer) {
        let RelayNode::Producer(p) = self else { return };
        if p.count.is_some_and(|c| p.next_seq >= c) {
            return;
        }
        let seq = p.next_seq;
        p.next_seq += 1;
        ctx.emit(RelayEvent::Published { producer: ctx.me, seq });
        ctx.send(p.to, RelayMsg::Publish { seq, produced_at: ctx.now, lane: p.lane });
        if p.count.is_none_or(|c| p.next_seq < c) {
            ctx.set_timer(p.interval, RelayTimer::Publish);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: RelayMsg) {
        match (self, msg) {
            (RelayNode::Broker(b), RelayMsg::Publish { seq, produced_at, lane }) => {
                ctx.send(from, RelayMsg::Ack { seq, produced_at, lane });
                if !b.consumers.is_empty() {
                    let to = b.consumers[b.next % b.consumers.len()];
                    b.next = (b.next + 1) % b.consumers.len();
                    ctx.send(to, RelayMsg::Deliver { producer: from, seq, produced_at, lane });
                }
            }
            (RelayNode::Producer(_), RelayMsg::Ack { seq, produced_at, .. }) => {
                let latency = ctx.now - produced_at;
                ctx.emit(RelayEvent::Acked { producer: ctx.me, seq, latency });
            }
            (RelayNode::Consumer, RelayMsg::Deliver { producer, seq, produced_at, .. }) => {
                let latency = ctx.now - produced_at;
                ctx.emit(RelayEvent::Consumed { consumer: ctx.me, producer, seq, latency });
            }
            // A message a role does not handle (a scenario wiring error the validator let through
            // would be a bug; a stray message is simply ignored, as a real node would).
            _ => {}
        }
    }
}
