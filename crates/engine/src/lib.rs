//! The deterministic engine: pure Rust, no web dependencies, the same trace on every platform.
//!
//! Map of the code:
//! - `kernel`   — the simulation core, naming no model: `Simulation<S: System>` (clock, `(time, seq)`
//!   queue, random streams, trace, replay), `Ctx` (a handler's outbox), the network, commands,
//!   events and metrics, and the `Model` / `System` / `Process` / `Spec` traits a model implements.
//! - `models`   — the registry: the one list of models, and `Brokers`, the system of all of them
//!   that the page and the CLI run (`Simulation`, `World`, `Event`, … are its aliases).
//! - `relay`    — the first model (producers → relay broker → consumers); the kernel's test model.
//! - `kafka`    — Kafka: partitioner, assignors, replica log and replication state machine, nodes.
//! - `rabbit`   — RabbitMQ: exchange routing, queues, consumers, confirms, dead-lettering.
//! - `coordinator` — the ZooKeeper-like tree: znodes, sessions, ephemerals, one-shot watches.
//! - `scenario` — scenarios as JSON, validated with field-named errors; `scenario/fault.rs` the
//!   fault schedule's records (commands in their flat JSON form).
//! - `presets`  — the built-in scenarios (files under `scenarios/`).
//! - `bench`    — the standard benchmark run, shared by the CLI and the browser build.
//! - `compare`  — Kafka and RabbitMQ side by side on one workload; the ordering detector.
//! - `vecmap`, `chunks`, `sort`, `json_path` — small helpers (a sorted-vector map, a deque in
//!   chunks that clones share, a stable sort, JSON errors that name their path).
//!
//! Determinism rules: no `HashMap`/`HashSet` iteration, no wall clock, no unseeded randomness, no
//! floating point anywhere in the engine.

pub mod bench;
pub mod chunks;
pub mod compare;
pub mod coordinator;
pub mod json_path;
pub mod kafka;
pub mod kernel;
pub mod models;
pub mod presets;
pub mod rabbit;
pub mod relay;
pub mod resources;
pub mod scenario;
pub mod sort;
pub mod vecmap;

// The kernel's support modules by their short names (`crate::time::Time`, `crate::net::…`).
pub use kernel::{deadlines, metrics, net, queue, rng, time, trace};

pub use kernel::{NodeId, Time};
pub use models::{Command, Event, EventKind, LoggedCommand, ModelEvents, NodeSlot, Simulation, World};
pub use scenario::Scenario;
