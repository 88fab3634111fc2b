//! RabbitMQ: the AMQP 0-9-1 model as RabbitMQ implements it (classic queues), message by message.
//!
//! - `routing`  — the exchange types' matching rules (direct, fanout, topic, headers) and binding-key
//!   validation; shared by the broker, the page's calculator and `brokerlab route`.
//! - `exchange` — exchanges, bindings, and routing through exchange-to-exchange bindings and
//!   alternate exchanges.
//! - `queue`    — one classic queue: positions, priorities, TTL at the head, length limits, consumers.
//! - `broker`   — the broker as a pure state machine, a file each under `broker/`: topology,
//!   channels, publish (confirms, returns), dispatch with prefetch and acks, dead-lettering with
//!   `x-death`, expiry (TTL, `x-expires`), restart.
//! - `msg`, `event` — what clients and broker say to each other; what the learner is shown.
//! - `config`   — the scenario's `rabbit` section, validated into a `Topology`.
//! - `clients`  — publishers and consumers; `script` — a client that plays AMQP operations at set
//!   times (`script_spec`: the scenario's `rabbit.scripts`); `processor` — a consume-transform-
//!   produce client (manual acks, confirms, ack after the confirm); `node` — the nodes as the
//!   simulation runs them.

pub mod broker;
pub mod clients;
pub mod cluster;
pub mod config;
pub mod event;
pub mod exchange;
pub mod msg;
pub mod node;
pub mod processor;
pub mod queue;
pub mod quorum;
pub mod routing;
pub mod script;
pub mod script_spec;
pub mod stream;

use crate::kernel::{Model, Names};

/// What rendering a RabbitMQ event looks up: node names and the broker (for exchange, queue and
/// binding names).
pub trait RabbitNames: Names {
    fn rabbit_broker(&self) -> Option<&node::BrokerNode>;
}

/// The RabbitMQ model: its nodes are `node::RabbitNode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rabbit;

impl Model for Rabbit {
    type Node = node::RabbitNode;
    type Msg = msg::RabbitMsg;
    type Timer = RabbitTimer;
    type Event = event::RabbitEvent;
    type Outbox = Vec<crate::kernel::ctx::Effect<Self>>;
}

/// What a RabbitMQ node's handlers are given.
pub type Ctx<'a> = crate::kernel::Ctx<'a, Rabbit>;

/// What a RabbitMQ node's timer is for. A client's timers carry its connection generation, so a
/// timer set for an earlier connection is recognised and ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RabbitTimer {
    /// Broker: the message at the head of `queue` may have expired (per-message or queue TTL).
    Ttl { queue: u16 },
    /// Broker: `queue` may have been unused for its `x-expires`.
    Expires { queue: u16 },
    /// Publisher: the next message is due.
    Publish,
    /// Client: connect again (after the connection of generation `conn` was lost).
    Reconnect { conn: u64 },
    /// Consumer: the application finished the delivery it was working on (on connection `conn`).
    Work { conn: u64 },
    /// Script: the next step is due.
    Step,
    /// Cluster node: the election timer of generation `gen` of quorum queue `queue`'s member.
    Election { queue: u16, gen: u64 },
    /// Cluster node: ping the other nodes, check who is silent, Ra's tick.
    ClusterTick,
    /// Broker (with resources): the oldest waiting request has had its CPU and disk time.
    Serve,
    /// Broker (with resources): the memory monitor looks at the memory.
    MemoryCheck,
    /// Broker (with resources): the oldest held delivery has had its CPU (and disk) time.
    Deliver,
    /// Broker (with resources): the CPU and disk have caught up; publishes held by credit flow may be read.
    Flow,
}
