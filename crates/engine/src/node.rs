//! What a node sees while it handles something: the time, its own id and random stream, and an
//! outbox. Handlers never touch the network, the clock or the queue; they say what they want done
//! (`send`, `set_timer`, `emit`) and the simulation does it (the stateright / quinn-proto shape).

use super::event::{EventKind, MsgInfo};
use super::rabbit::msg::SettleOp;
use super::rabbit::node::RabbitNode;
use super::relay::{RelayMsg, RelayNode};
use super::rng::Rng;
use super::time::Time;
use super::NodeId;

/// Every message any model sends. Each model adds one variant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Relay(RelayMsg),
    Kafka(super::kafka::msg::KafkaMsg),
    Rabbit(super::rabbit::msg::RabbitMsg),
}

impl Message {
    pub fn info(&self) -> MsgInfo {
        match self {
            Message::Relay(m) => m.info(),
            Message::Kafka(m) => m.info(),
            Message::Rabbit(m) => m.info(),
        }
    }
}

/// Every kind of node. Enum dispatch, not trait objects: snapshots are a plain `Clone` and the hot
/// loop has no virtual calls.
#[derive(Clone, Debug)]
pub enum Node {
    Relay(RelayNode),
    Kafka(super::kafka::node::KafkaNode),
    Rabbit(RabbitNode),
}

impl Node {
    pub fn on_start(&mut self, ctx: &mut Ctx) {
        match self {
            Node::Relay(n) => n.on_start(ctx),
            Node::Kafka(n) => n.on_start(ctx),
            Node::Rabbit(n) => n.on_start(ctx),
        }
    }
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Message) {
        match (self, msg) {
            (Node::Relay(n), Message::Relay(m)) => n.on_message(ctx, from, m),
            (Node::Kafka(n), Message::Kafka(m)) => n.on_message(ctx, from, m),
            (Node::Rabbit(n), Message::Rabbit(m)) => n.on_message(ctx, from, m),
            // A message of another model is nonsense to this node: ignored, as a real process would.
            _ => {}
        }
    }
    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: u64) {
        match self {
            Node::Relay(n) => n.on_timer(ctx, timer),
            Node::Kafka(n) => n.on_timer(ctx, timer),
            Node::Rabbit(n) => n.on_timer(ctx, timer),
        }
    }
    /// The connection to `peer` was reset (its process is down).
    pub fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        match self {
            Node::Relay(_) => {}
            Node::Kafka(n) => n.on_disconnect(ctx, peer),
            Node::Rabbit(n) => n.on_disconnect(ctx, peer),
        }
    }
    /// A clean shutdown is starting: say goodbye (the node stops right after).
    pub fn on_leave(&mut self, ctx: &mut Ctx) {
        if let Node::Kafka(n) = self {
            n.on_leave(ctx);
        }
    }
    /// The learner settles a delivery a RabbitMQ consumer holds (`Command::Settle`).
    pub fn on_settle(&mut self, ctx: &mut Ctx, tag: u64, multiple: bool, op: SettleOp) {
        if let Node::Rabbit(RabbitNode::Consumer(c)) = self {
            c.settle_by_hand(ctx, tag, multiple, op);
        }
    }
    /// The node crashed: forget what a real process would forget.
    pub fn on_crash(&mut self) {
        match self {
            Node::Relay(n) => n.on_crash(),
            Node::Kafka(n) => n.on_crash(),
            Node::Rabbit(n) => n.on_crash(),
        }
    }
    /// A short role name for display: `producer`, `relay`, `consumer`, …
    pub fn role(&self) -> &'static str {
        match self {
            Node::Relay(n) => n.role(),
            Node::Kafka(n) => n.role(),
            Node::Rabbit(n) => n.role(),
        }
    }
}

/// What a handler asked for, carried out by the simulation in order once the handler returns.
#[derive(Clone, Debug)]
pub enum Effect {
    Send { to: NodeId, msg: Message },
    Timer { after: Time, timer: u64 },
    Emit(EventKind),
}

pub struct Ctx<'a> {
    pub now: Time,
    pub me: NodeId,
    pub rng: &'a mut Rng,
    pub(super) effects: &'a mut Vec<Effect>,
}

impl Ctx<'_> {
    pub fn send(&mut self, to: NodeId, msg: Message) {
        self.effects.push(Effect::Send { to, msg });
    }
    /// Calls `on_timer(timer)` after `after`, unless the node crashes first.
    pub fn set_timer(&mut self, after: Time, timer: u64) {
        self.effects.push(Effect::Timer { after, timer });
    }
    pub fn emit(&mut self, event: EventKind) {
        self.effects.push(Effect::Emit(event));
    }
}
