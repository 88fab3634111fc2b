//! The deterministic engine: pure Rust, no web dependencies, the same trace on every platform.
//!
//! Map of the code:
//! - `time`     — `Time`, integer microseconds; parsing `"250us"`, `"1.5ms"`.
//! - `rng`      — the pinned PRNG (xoshiro256**), forked per node.
//! - `queue`    — the event queue, ordered by `(time, sequence)`.
//! - `deadlines` — a node's request timeouts behind one timer (no queue entry per request).
//! - `net`      — the network: latency, jitter, loss, cuts, isolation, slow links, FIFO links.
//! - `command`  — `Command`: user and fault-schedule actions.
//! - `coordinator` — the ZooKeeper-like tree: znodes, sessions, ephemerals, one-shot watches.
//! - `kafka`    — Kafka: partitioner, assignors, replica log and replication state machine.
//! - `rabbit`   — RabbitMQ: exchange routing, queues, consumers, confirms, dead-lettering.
//! - `event`    — `Event`: what observers see; its stable encoding and its one-line rendering.
//! - `trace`    — the FNV-1a trace hash.
//! - `node`     — `Node`, `Message` and the handler context `Ctx` (effects out, no I/O).
//! - `relay`    — the first model: producers → relay broker → consumers.
//! - `metrics`  — counters and latency histograms folded from events.
//! - `scenario` — scenarios as JSON, validated with field-named errors.
//! - `presets`  — the built-in scenarios (files under `scenarios/`).
//! - `sim`      — `Simulation`: owns clock, queue, RNG and trace; runs handlers; replays logs.
//! - `bench`    — the standard benchmark run, shared by the CLI and the browser build.
//! - `compare`  — Kafka and RabbitMQ side by side on one workload; the ordering detector.
//! - `vecmap`   — a small sorted-vector map (less code in the browser build than `BTreeMap`).
//!
//! Determinism rules: no `HashMap`/`HashSet` iteration, no wall clock, no unseeded randomness, no
//! floating point anywhere in the engine.

pub mod bench;
pub mod command;
pub mod compare;
pub mod coordinator;
pub mod deadlines;
pub mod event;
pub mod json_path;
pub mod kafka;
pub mod metrics;
pub mod net;
pub mod node;
pub mod presets;
pub mod queue;
pub mod rabbit;
pub mod relay;
pub mod rng;
pub mod scenario;
pub mod sim;
pub mod sort;
pub mod time;
pub mod trace;
pub mod vecmap;

pub use command::Command;
pub use event::{Event, EventKind};
pub use scenario::Scenario;
pub use sim::Simulation;
pub use time::Time;

/// A node's index in its simulation (the order of the scenario's `nodes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Clone, Debug)]
pub struct NodeSlot {
    pub name: String,
    pub node: node::Node,
    /// Bumped at each crash: timers of an earlier incarnation never fire.
    pub incarnation: u32,
}

/// The read-only state of a simulation, for rendering and inspection.
#[derive(Clone, Debug)]
pub struct World {
    pub now: Time,
    pub nodes: Vec<NodeSlot>,
    pub network: net::Network,
    pub metrics: metrics::Metrics,
    /// The Kafka cluster's shared settings, when the scenario has one.
    pub kafka: Option<std::rc::Rc<kafka::cluster::Cluster>>,
}

impl World {
    pub fn node_name(&self, id: NodeId) -> &str {
        self.nodes.get(id.index()).map_or("?", |s| s.name.as_str())
    }

    pub fn topic_name(&self, topic: u16) -> &str {
        self.kafka.as_ref().and_then(|c| c.topics.get(topic as usize)).map_or("?", |t| t.name.as_str())
    }

    pub fn group_name(&self, group: u8) -> &str {
        self.kafka.as_ref().and_then(|c| c.groups.get(group as usize)).map_or("?", |g| g.name.as_str())
    }

    pub fn node_by_name(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().position(|s| s.name == name).map(|i| NodeId(i as u32))
    }
}
