//! The kernel: a deterministic discrete-event simulation that names no model. It owns the clock,
//! the `(time, seq)` queue, the random streams, the network and the trace; a model brings its
//! node, message, timer, event and command types through the traits below, and the kernel runs
//! its handlers and carries out what they ask (`Ctx` is their outbox: no handler does I/O).
//!
//! - `Model`   — the types a model's handlers speak (message, timer, event): what `Ctx` is typed by.
//! - `System`  — a model the kernel can run on its own: adds the node, the user's per-node
//!   actions, the state its nodes share and the scenario it is built from. The relay model is
//!   one (the kernel's own test model); `crate::models::Brokers`, the registry of every model,
//!   is the one the page and the CLI run.
//! - `Process` — a node: the handlers the kernel calls.
//! - `Spec`    — a scenario: validated, then built into nodes, network and fault schedule.
//!
//! A model that is part of a larger system (Kafka inside the registry) is written against its own
//! `Ctx<Kafka>`; the system narrows its context to the part's (`Ctx::narrow`: the part's outbox
//! inside the system's), and its outbox wraps the part's effects into the system's types as the
//! simulation takes them (`Outbox::drain_each`), so a model never names the registry.

pub mod command;
pub mod ctx;
pub mod deadlines;
pub mod event;
pub mod metrics;
pub mod net;
pub mod queue;
pub mod rng;
pub mod sim;
pub mod time;
pub mod trace;

use std::fmt::Debug;

pub use command::Command;
pub use ctx::Ctx;
pub use event::{Event, EventKind, ModelEvent, MsgInfo};
pub use sim::Simulation;
pub use time::Time;

/// A node's index in its simulation (the order of the scenario's nodes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a message is for drawing and logs (its kind and colour lane).
pub trait Wire {
    fn info(&self) -> MsgInfo;
}

/// The types a model's handlers speak.
pub trait Model: Sized + Clone + Debug + 'static {
    type Node: Process<Self>;
    type Msg: Clone + Debug + PartialEq + Eq + Wire;
    /// What a node's timer carries back to it when it fires: an enum per model, so a timer says
    /// what it is for instead of packing bits into a number.
    type Timer: Clone + Copy + Debug + PartialEq + Eq;
    type Event: ModelEvent;
    /// Where its handlers' effects wait: `Vec<Effect<Self>>` for a model, one list per part
    /// model for a system of several (see `ctx::Outbox`).
    type Outbox: ctx::Outbox<Self>;
}

/// A model the kernel can run: `Simulation<S: System>`.
pub trait System: Model {
    /// A user's action on one node (RabbitMQ: settle a delivery by hand), carried by
    /// `Command::Act` and carried out by `act`.
    type Act: Clone + Debug + PartialEq + Eq;
    /// Read-only settings every node of a run shares (Kafka: the cluster's topics and groups).
    type Shared: Clone + Debug;
    /// The scenario a run is built from.
    type Spec: Spec<Self>;
    /// The details of one of this system's events, with names looked up in `world`.
    fn describe(world: &World<Self>, event: &Self::Event, out: &mut String) -> std::fmt::Result;
    /// The user acts on `node` (it is up).
    fn act(node: &mut Self::Node, ctx: &mut Ctx<Self>, act: Self::Act);
}

/// A node of model `S`: the handlers the kernel calls, each with a `Ctx` to say what it wants done.
pub trait Process<S: Model>: Clone + Debug {
    /// A short role name for display: `producer`, `broker`, …
    fn role(&self) -> &'static str;
    fn on_start(&mut self, ctx: &mut Ctx<S>);
    fn on_message(&mut self, ctx: &mut Ctx<S>, from: NodeId, msg: S::Msg);
    fn on_timer(&mut self, ctx: &mut Ctx<S>, timer: S::Timer);
    /// The connection to `peer` was reset (its process is down).
    fn on_disconnect(&mut self, _ctx: &mut Ctx<S>, _peer: NodeId) {}
    /// A clean shutdown is starting: say goodbye. `Leaving::Now`: the node stops right after;
    /// `Leaving::Later`: it has work to finish first (a Kafka broker's controlled shutdown), and
    /// stops once `has_left` says so, checked after each of its handlers.
    fn on_leave(&mut self, _ctx: &mut Ctx<S>) -> Leaving {
        Leaving::Now
    }
    /// After `Leaving::Later`: whether its clean shutdown is done.
    fn has_left(&self) -> bool {
        true
    }
    /// The node crashed: forget what a real process would forget.
    fn on_crash(&mut self);
}

/// A scenario of system `S`: checked, then built.
pub trait Spec<S: System>: Clone + Debug {
    /// What types alone cannot check: references, ranges, uniqueness; errors name the field.
    fn validate(&self) -> Result<(), String>;
    /// The run's nodes, network and fault schedule. Only called on a spec `validate` accepted.
    fn build(&self) -> Built<S>;
}

/// What a scenario builds: named nodes in simulation order and everything around them.
pub struct Built<S: System> {
    pub nodes: Vec<(String, S::Node)>,
    pub shared: S::Shared,
    pub network: net::Network,
    /// Commands the scenario schedules, at their instants.
    pub faults: Vec<(Time, Command<NodeId, S::Act>)>,
    /// Nodes that exist but are not running at time zero.
    pub stopped: Vec<NodeId>,
}

#[derive(Clone, Debug)]
pub struct NodeSlot<S: System> {
    pub name: String,
    pub node: S::Node,
    /// Bumped at each crash: timers of an earlier incarnation never fire.
    pub incarnation: u32,
    /// Shutting down cleanly (`Leaving::Later`): it stops once its node `has_left`.
    pub leaving: bool,
}

/// What a node does when asked to shut down cleanly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaving {
    Now,
    Later,
}

/// Node names, for rendering events of any model.
pub trait Names {
    fn node_name(&self, id: NodeId) -> &str;
}

/// The read-only state of a simulation, for rendering and inspection.
#[derive(Clone, Debug)]
pub struct World<S: System> {
    pub now: Time,
    pub nodes: Vec<NodeSlot<S>>,
    pub network: net::Network,
    pub metrics: metrics::Metrics,
    pub shared: S::Shared,
}

impl<S: System> World<S> {
    pub fn node_name(&self, id: NodeId) -> &str {
        self.nodes.get(id.index()).map_or("?", |s| s.name.as_str())
    }

    pub fn node_by_name(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().position(|s| s.name == name).map(|i| NodeId(i as u32))
    }
}

impl<S: System> Names for World<S> {
    fn node_name(&self, id: NodeId) -> &str {
        World::node_name(self, id)
    }
}
