//! The registry: the one closed list of models, and the system the page, the CLI and the tests
//! run (`Brokers`). A scenario may hold relay nodes, a Kafka cluster and a RabbitMQ broker at once;
//! each model's node, message, timer and event is one variant of the enums `registry!` writes, and
//! every handler call is handed to its model through `Ctx::narrow`, so no model names another or
//! this file.
//!
//! Adding a model is a folder with a `Model` impl, one line in `registry!` below (its place fixes
//! its trace tag), its section in `Scenario`, and its view plug-in (`brokerlab_view::plugin`).

use crate::kafka::cluster::Cluster;
use crate::kafka::KafkaNames;
use crate::kernel::ctx::{Effect, Outbox};
use crate::kernel::event::{model_tag, Flow, ModelEvent, MsgInfo};
use crate::kernel::trace::TraceHash;
use crate::kernel::{self, Built, Ctx, Leaving, Model, NodeId, Process, Spec, System, Wire};
use crate::rabbit::msg::SettleOp;
pub use crate::rabbit::node::TopoAct;
use crate::rabbit::node::{BrokerNode, RabbitNode};
use crate::rabbit::RabbitNames;
use crate::scenario::Scenario;
use std::rc::Rc;

macro_rules! registry {
    ($($place:literal $name:ident($model:ty),)*) => {
        /// Every kind of node of every model. Enum dispatch, not trait objects: snapshots are a
        /// plain `Clone` and the hot loop has no virtual calls into nodes.
        #[derive(Clone, Debug)]
        pub enum Node { $($name(<$model as Model>::Node),)* }

        /// Every message any model sends.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Message { $($name(<$model as Model>::Msg),)* }

        /// Every model's timers.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Timer { $($name(<$model as Model>::Timer),)* }

        /// Every model's events.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ModelEvents { $($name(<$model as Model>::Event),)* }

        /// The system's outbox: one effect list per model. A handler call reaches one model
        /// (`Ctx::narrow` hands it its own list), so the lists never hold effects of one call
        /// for two models and draining them model by model keeps each call's order.
        #[allow(non_snake_case)]
        #[derive(Clone, Debug, Default)]
        pub struct Outboxes { $($name: Vec<Effect<$model>>,)* }

        impl Outbox<Brokers> for Outboxes {
            // A close names no model: the first model's list takes it (a call reaches one model,
            // so its effects keep their order in any one list), and the other arms are left.
            #[allow(unreachable_code)]
            fn push(&mut self, effect: Effect<Brokers>) {
                match effect {
                    Effect::Close { peer } => { $(return self.$name.push(Effect::Close { peer });)* }
                    Effect::Send { to, msg } => match msg { $(Message::$name(msg) => self.$name.push(Effect::Send { to, msg }),)* },
                    Effect::Timer { after, timer } => match timer { $(Timer::$name(timer) => self.$name.push(Effect::Timer { after, timer }),)* },
                    Effect::Emit(e) => match e { $(ModelEvents::$name(e) => self.$name.push(Effect::Emit(e)),)* },
                }
            }
            #[inline]
            fn drain_each(&mut self, mut f: impl FnMut(Effect<Brokers>)) {
                // A call reaches one model: the other lists are empty, and skipping them costs a
                // test instead of building and dropping a `Drain` each (4% of the relay bench).
                $(
                    if !self.$name.is_empty() {
                        for effect in self.$name.drain(..) {
                            f(match effect {
                                Effect::Send { to, msg } => Effect::Send { to, msg: Message::$name(msg) },
                                Effect::Timer { after, timer } => Effect::Timer { after, timer: Timer::$name(timer) },
                                Effect::Emit(e) => Effect::Emit(ModelEvents::$name(e)),
                                Effect::Close { peer } => Effect::Close { peer },
                            });
                        }
                    }
                )*
            }
        }

        $(
            impl From<<$model as Model>::Msg> for Message {
                fn from(m: <$model as Model>::Msg) -> Self { Message::$name(m) }
            }
            impl From<<$model as Model>::Timer> for Timer {
                fn from(t: <$model as Model>::Timer) -> Self { Timer::$name(t) }
            }
            impl From<<$model as Model>::Event> for ModelEvents {
                fn from(e: <$model as Model>::Event) -> Self { ModelEvents::$name(e) }
            }
        )*

        impl Wire for Message {
            fn info(&self) -> MsgInfo {
                match self { $(Message::$name(m) => m.info(),)* }
            }
        }

        impl ModelEvent for ModelEvents {
            #[inline]
            fn encode(&self, h: &mut TraceHash) {
                match self {
                    $(ModelEvents::$name(e) => {
                        h.byte(model_tag($place));
                        e.encode(h);
                    })*
                }
            }
            fn nodes(&self) -> [Option<NodeId>; 2] {
                match self { $(ModelEvents::$name(e) => e.nodes(),)* }
            }
            fn type_name(&self) -> &'static str {
                match self { $(ModelEvents::$name(e) => e.type_name(),)* }
            }
            #[inline]
            fn flow(&self) -> Option<Flow> {
                match self { $(ModelEvents::$name(e) => e.flow(),)* }
            }
        }

        impl System for Brokers {
            type Act = Act;
            type Shared = Shared;
            type Spec = Scenario;
            fn describe(world: &World, e: &ModelEvents, out: &mut String) -> std::fmt::Result {
                match e { $(ModelEvents::$name(e) => e.describe(out, world),)* }
            }
            fn act(node: &mut Node, ctx: &mut Ctx<Brokers>, act: Act) {
                match (node, act) {
                    (Node::Rabbit(n), Act::Settle { tag, multiple, op }) => {
                        ctx.narrow(|o| &mut o.Rabbit, |c| n.settle_by_hand(c, tag, multiple, op))
                    }
                    (Node::Rabbit(n), Act::Topology(t)) => ctx.narrow(|o| &mut o.Rabbit, |c| n.operate(c, t)),
                    _ => {}
                }
            }
        }

        impl Process<Brokers> for Node {
            fn role(&self) -> &'static str {
                match self { $(Node::$name(n) => n.role(),)* }
            }
            fn on_start(&mut self, ctx: &mut Ctx<Brokers>) {
                match self { $(Node::$name(n) => ctx.narrow(|o| &mut o.$name, |c| n.on_start(c)),)* }
            }
            fn on_message(&mut self, ctx: &mut Ctx<Brokers>, from: NodeId, msg: Message) {
                match (self, msg) {
                    $((Node::$name(n), Message::$name(m)) => ctx.narrow(|o| &mut o.$name, |c| n.on_message(c, from, m)),)*
                    // A message of another model is nonsense to this node: ignored, as a real
                    // process would.
                    #[allow(unreachable_patterns)]
                    _ => {}
                }
            }
            fn on_timer(&mut self, ctx: &mut Ctx<Brokers>, timer: Timer) {
                match (self, timer) {
                    $((Node::$name(n), Timer::$name(t)) => ctx.narrow(|o| &mut o.$name, |c| n.on_timer(c, t)),)*
                    // A node only ever receives the timers it set.
                    #[allow(unreachable_patterns)]
                    _ => {}
                }
            }
            fn on_disconnect(&mut self, ctx: &mut Ctx<Brokers>, peer: NodeId) {
                match self { $(Node::$name(n) => ctx.narrow(|o| &mut o.$name, |c| n.on_disconnect(c, peer)),)* }
            }
            fn on_leave(&mut self, ctx: &mut Ctx<Brokers>) -> Leaving {
                match self { $(Node::$name(n) => ctx.narrow(|o| &mut o.$name, |c| n.on_leave(c)),)* }
            }
            fn has_left(&self) -> bool {
                match self { $(Node::$name(n) => n.has_left(),)* }
            }
            fn on_crash(&mut self) {
                match self { $(Node::$name(n) => n.on_crash(),)* }
            }
        }
    };
}

/// The system of every model: what a scenario file describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Brokers;

impl Model for Brokers {
    type Node = Node;
    type Msg = Message;
    type Timer = Timer;
    type Event = ModelEvents;
    type Outbox = Outboxes;
}

// The models, in their place: the number is the model's trace tag (`model_tag`), fixed forever
// for its events' hashes.
registry! {
    0 Relay(crate::relay::Relay),
    1 Kafka(crate::kafka::Kafka),
    2 Rabbit(crate::rabbit::Rabbit),
}

/// A user's action on one node (`Command::Act`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// A RabbitMQ consumer's application settles delivery `tag` now (basic.ack, basic.nack or
    /// basic.reject; `multiple` also settles every earlier delivery it holds). The learner's own
    /// ack / nack / reject buttons; a tag the consumer no longer holds changes nothing.
    Settle { tag: u64, multiple: bool, op: SettleOp },
    /// The operator changes the RabbitMQ broker's topology now, as `rabbitmqctl` or the management
    /// UI would during a run (a fault-schedule action; the node is the broker).
    Topology(TopoAct),
}

/// What every node of a run shares.
#[derive(Clone, Debug, Default)]
pub struct Shared {
    /// The Kafka cluster's settings, when the scenario has one.
    pub kafka: Option<Rc<Cluster>>,
}

pub type Simulation = kernel::Simulation<Brokers>;
pub type World = kernel::World<Brokers>;
pub type NodeSlot = kernel::NodeSlot<Brokers>;
pub type Event = kernel::Event<ModelEvents>;
pub type EventKind = kernel::EventKind<ModelEvents>;
pub type Command<N = NodeId> = kernel::Command<N, Act>;
pub type LoggedCommand = kernel::sim::LoggedCommand<Act>;

impl Spec<Brokers> for Scenario {
    fn validate(&self) -> Result<(), String> {
        Scenario::validate(self)
    }
    fn build(&self) -> Built<Brokers> {
        let ids = self.node_ids();
        let mut nodes: Vec<(String, Node)> =
            crate::relay::build(self, &ids).into_iter().map(|(name, n)| (name, Node::Relay(n))).collect();
        let kafka = self.kafka.as_ref().map(|k| {
            let (cluster, kafka_nodes) = crate::kafka::node::build(k, nodes.len() as u32);
            nodes.extend(kafka_nodes.into_iter().map(|(name, n)| (name, Node::Kafka(n))));
            cluster
        });
        if let Some(r) = &self.rabbit {
            let rabbit_nodes = crate::rabbit::node::build(r, nodes.len() as u32);
            nodes.extend(rabbit_nodes.into_iter().map(|(name, n)| (name, Node::Rabbit(n))));
        }
        let stopped = self.kafka.iter().flat_map(|k| k.stopped_nodes()).filter_map(|n| ids.get(n).copied()).collect();
        Built {
            nodes,
            shared: Shared { kafka },
            network: self.build_network(&ids),
            faults: self.fault_schedule(&ids, |act| act),
            stopped,
        }
    }
}

impl World {
    pub fn topic_name(&self, topic: u16) -> &str {
        self.shared.kafka.as_ref().and_then(|c| c.topics.get(topic as usize)).map_or("?", |t| t.name.as_str())
    }

    pub fn group_name(&self, group: u8) -> &str {
        self.shared.kafka.as_ref().and_then(|c| c.groups.get(group as usize)).map_or("?", |g| g.name.as_str())
    }
}

impl KafkaNames for World {
    fn topic_name(&self, topic: u16) -> &str {
        World::topic_name(self, topic)
    }
    fn group_name(&self, group: u8) -> &str {
        World::group_name(self, group)
    }
    fn txn_name(&self, txn: u8) -> &str {
        self.shared.kafka.as_ref().and_then(|c| c.txn_ids.get(txn as usize)).map_or("?", |t| t.as_str())
    }
}

impl RabbitNames for World {
    fn rabbit_broker(&self) -> Option<&BrokerNode> {
        self.nodes.iter().find_map(|s| match &s.node {
            Node::Rabbit(RabbitNode::Broker(b)) => Some(&**b),
            _ => None,
        })
    }
}

/// What the broker told each RabbitMQ script (`rabbit::script`), as one JSON object keyed by the
/// script's name, in the node order.
pub fn script_observations(world: &World) -> serde_json::Value {
    let Some(names) = world.rabbit_broker().map(|b| &b.core.names) else { return serde_json::json!({}) };
    let node_name = |id: NodeId| world.node_name(id).to_string();
    let mut out = serde_json::Map::new();
    for (i, slot) in world.nodes.iter().enumerate() {
        if let Node::Rabbit(RabbitNode::Script(s)) = &slot.node {
            out.insert(slot.name.clone(), s.observations(NodeId(i as u32), names, &node_name).into());
        }
    }
    serde_json::Value::Object(out)
}

/// The RabbitMQ events emitted since the last drain, oldest first (the others are dropped): for
/// tests and tools that follow the RabbitMQ model alone.
pub fn drain_rabbit(sim: &mut Simulation) -> Vec<crate::rabbit::event::RabbitEvent> {
    sim.drain_events()
        .filter_map(|e| match e.kind {
            EventKind::Model(ModelEvents::Rabbit(r)) => Some(r),
            _ => None,
        })
        .collect()
}

impl<N> kernel::Command<N, Act> {
    /// A RabbitMQ consumer settles delivery `tag` (see `Act::Settle`).
    pub fn settle(node: N, tag: u64, multiple: bool, op: SettleOp) -> Self {
        kernel::Command::Act { node, act: Act::Settle { tag, multiple, op } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets;
    use crate::relay::Relay;

    /// What a part model asks for through a narrowed context reaches the simulation in the order
    /// asked, each wrapped in its model's variant.
    #[test]
    fn a_narrowed_context_hands_on_each_effect_in_order() {
        use crate::kernel::rng::Rng;
        use crate::relay::{RelayEvent, RelayMsg, RelayTimer};
        use crate::Time;
        let mut rng = Rng::new(7);
        let mut outbox = Outboxes::default();
        let mut ctx = Ctx::<Brokers>::new(Time::ms(3), NodeId(1), &mut rng, &mut outbox);
        let msg = RelayMsg::Ack { seq: 4, produced_at: Time::ms(1), lane: 0 };
        let event = RelayEvent::Published { producer: NodeId(1), seq: 5 };
        ctx.narrow::<Relay, _>(
            |o| &mut o.Relay,
            |c| {
                assert_eq!((c.now, c.me), (Time::ms(3), NodeId(1)));
                c.emit(event);
                c.send(NodeId(2), msg.clone());
                c.set_timer(Time::ms(9), RelayTimer::Publish);
            },
        );
        let mut effects = Vec::new();
        outbox.drain_each(|e| effects.push(e));
        assert!(outbox.Relay.is_empty(), "drained");
        match &effects[..] {
            [Effect::Emit(ModelEvents::Relay(e)), Effect::Send { to: NodeId(2), msg: Message::Relay(m) }, Effect::Timer { after, timer: Timer::Relay(RelayTimer::Publish) }] =>
            {
                assert_eq!((e, m, *after), (&event, &msg, Time::ms(9)));
            }
            other => panic!("{other:?}"),
        }
    }

    /// Every step moves a message several times (outbox, queue, handler): a large variant of any
    /// model makes all of them slower, so large rare ones travel boxed (Kafka's ZooKeeper peer
    /// messages and JoinGroup answer made it 112 bytes, 6% of the relay bench's instructions).
    #[test]
    /// Static membership's `group.instance.id` took the group requests (JoinGroup, SyncGroup,
    /// OffsetCommit) and the transactional TxnOffsetCommit to 80-88 bytes and the message to 96;
    /// those four travel boxed now, and the largest variants left are the per-batch `Produce` and
    /// `FetchResponse` (71 bytes and the tag).
    fn a_message_stays_small() {
        assert!(std::mem::size_of::<Message>() <= 72, "{} bytes", std::mem::size_of::<Message>());
    }

    /// The registry adds nothing to a model's behaviour: the relay model run alone and run inside
    /// the registry emit the same events, event for event.
    #[test]
    fn the_registry_runs_a_model_as_it_runs_alone() {
        let s = presets::load("relay-basic").unwrap();
        let mut alone = kernel::Simulation::<Relay>::new(&s, 5).unwrap();
        let mut inside = Simulation::new(&s, 5).unwrap();
        alone.run_until(s.until);
        inside.run_until(s.until);
        let a: Vec<String> = {
            let world = alone.world().clone();
            alone.drain_events().map(|e| e.line(&world)).collect()
        };
        let b: Vec<String> = {
            let world = inside.world().clone();
            inside.drain_events().map(|e| e.line(&world)).collect()
        };
        assert!(a.len() > 100, "the run does something");
        assert_eq!(a, b);
        assert_eq!(alone.steps(), inside.steps());
    }
}
