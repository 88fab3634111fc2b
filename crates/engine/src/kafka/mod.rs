//! Kafka's client-side algorithms, exactly as Kafka computes them — the pieces the Kafka engine,
//! the page's calculators and `brokerlab partition` / `brokerlab assign` share.
//!
//! - `partitioner` — murmur2 and the built-in partitioner for keyed records.
//! - `assignor`    — consumer-group partition assignors: `assignor/mod.rs` the shared types and
//!   dispatch, `range_roundrobin`, `sticky` (with its `constrained` and `general` builders), `java`.
//! - `producer_state` — the idempotent producer's sequence state every replica keeps.
//! - `log`         — one replica's log: offsets, leader epochs, LEO, HW, epoch cache, truncation.
//! - `partition`   — one replica as a state machine: leader/follower, acks, ISR, HW, divergence.
//! - `placement`   — replica placement at topic creation, and offline leader election.
//! - `leader_balance` — preferred leader election and controlled shutdown (ZooKeeper mode's
//!   controller): which partitions move, and the settings.
//! - `config`      — the scenario's `kafka` section; `cluster` — what all Kafka nodes share.
//! - `msg`, `event` — Kafka's messages; its events (what the learner is shown: `event/mod.rs` the
//!   events, `encoding` their trace encoding for the kernel, `describe` their text).
//! - `group`       — the group coordinator's side of consumer groups.
//! - `purgatory`   — a leader's parked consumer fetches, each completed exactly once (Kafka's
//!   DelayedFetch); `fetch_session` — followers' incremental fetch sessions (KIP-227), both ends.
//! - `zk_server`, `broker`, `producer`, `consumer` (sharing `clients`), `node` — the nodes:
//!   coordinator, brokers (and the controller), producers and consumers. `broker` is one module
//!   per role: coordinator session, controller, replica manager, fetch serving, replica fetcher,
//!   group host, log cleaner. `consumer/` holds the consumer's `fetch`, `processing`,
//!   `membership` (the group protocol) and `offsets`.
//! - `kraft`       — KRaft mode: the controller quorum (Raft over `__cluster_metadata`), the
//!   active controller, and what brokers replay (the broker's side is `broker/lifecycle.rs`).
//! - `txn`         — transactions (exactly-once): the transaction coordinator's state per
//!   transactional id, and each partition's open and aborted transactions and last stable offset.
//! - `zk_ensemble` — a coordinator server in an ensemble of 3 or 5: its `election`, `zab` (sync and
//!   broadcast) and `serving` of clients, a file each;
//!   `zk_client` — a broker's side of its coordinator connection (server choice, moves, watches).

pub mod assignor;
pub mod broker;
pub mod clients;
pub mod cluster;
pub mod config;
pub mod consumer;
pub mod epoch_cache;
pub mod event;
pub mod fetch_session;
pub mod group;
pub mod kraft;
pub mod leader_balance;
pub mod log;
pub mod msg;
pub mod node;
pub mod partition;
pub mod partitioner;
pub mod placement;
pub mod processor;
pub mod producer;
pub mod producer_state;
pub mod purgatory;
pub mod rack;
pub mod request;
pub mod txn;
pub mod zk_client;
pub mod zk_ensemble;
pub mod zk_server;
pub mod zk_service;

use crate::kernel::{Model, Names};

/// What rendering a Kafka event looks up: node, topic and group names.
pub trait KafkaNames: Names {
    fn topic_name(&self, topic: u16) -> &str;
    fn group_name(&self, group: u8) -> &str;
    /// A transactional id (`transactional.id`), by its index in `Cluster::txn_ids`.
    fn txn_name(&self, txn: u8) -> &str;
}

/// The Kafka model: its nodes are `node::KafkaNode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kafka;

impl Model for Kafka {
    type Node = node::KafkaNode;
    type Msg = msg::KafkaMsg;
    type Timer = KafkaTimer;
    type Event = msg::KafkaEvent;
    type Outbox = Vec<crate::kernel::ctx::Effect<Self>>;
}

/// What a Kafka node's handlers are given.
pub type Ctx<'a> = crate::kernel::Ctx<'a, Kafka>;

/// What a Kafka node's timer is for: each role sets only its own kinds. Generations and ids
/// are full width (an older timer is recognised by comparing them, never by masking bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KafkaTimer {
    /// ZooKeeper: the server's tick (session expiry, and an ensemble's election and sync).
    Tick,
    /// KRaft: a controller's or broker's tick (elections, fetches, heartbeats, fencing).
    KraftTick,
    /// Broker: heartbeat its ZooKeeper session (a third of the session timeout), or connect again.
    Ping,
    /// Broker (with resources): the oldest waiting data request has had its CPU and disk time;
    /// ZooKeeper server: the oldest waiting request has had its service time (`zk_service`).
    Serve,
    /// Broker: check the ISR of the partitions it leads (half of `replica.lag.time.max.ms`).
    Isr,
    /// Broker: register again after a failed registration.
    Register,
    /// Broker: `log.retention.check.interval.ms` / `log.cleaner.backoff.ms`.
    Retention,
    Cleaner,
    /// Broker: an offset commit still waiting for replication gives up (`offsets.commit.timeout.ms`).
    CommitTimeout {
        tp: msg::Tp,
        request: u64,
    },
    /// Broker: acks=all produces waiting for replication past their `timeout.ms` (DelayedProduce).
    ProduceTimeout,
    /// Controller (ZooKeeper mode): LeaderAndIsr `request` of controller epoch `epoch` still
    /// unanswered after `controller.socket.timeout.ms`: send it again.
    LeaderAndIsrTimeout {
        epoch: u32,
        request: u64,
    },
    /// Controller (ZooKeeper mode): the leader imbalance check of controller epoch `epoch`.
    LeaderRebalance {
        epoch: u32,
    },
    /// Broker: ask the controller again for a controlled shutdown (attempt `attempt`).
    ControlledShutdown {
        attempt: u8,
    },
    /// Broker: parked consumer fetch `id`'s `fetch.max.wait.ms` is over.
    Park {
        id: u32,
    },
    /// Broker: the fetcher for `leader` fetches again after `replica.fetch.backoff.ms`, unless a
    /// newer fetch went out.
    FetchBackoff {
        leader: partition::BrokerId,
        generation: u64,
    },
    /// Broker: a follower's fetch session parked here (`replica.fetch.wait.max.ms`) is over.
    SessionPark {
        follower: crate::NodeId,
        id: u32,
    },
    /// Broker (replica fetches) and consumer (fetches): requests unanswered in `request.timeout.ms`.
    FetchTimeout,
    /// Group coordinator: the join phase of `group` (generation `join`) is over.
    Join {
        group: u8,
        join: u64,
    },
    /// Group coordinator: check `group`'s members' sessions.
    Session {
        group: u8,
    },
    /// Clients: the metadata request of this generation went unanswered.
    Metadata {
        generation: u64,
    },
    /// Producer: the next record is due.
    Send,
    /// Producer: `linger.ms` of a new batch is over.
    Linger,
    /// Producer: produce requests unanswered in `request.timeout.ms`.
    RequestTimeout,
    /// Producer: batch `id` has backed off (`retry.backoff.ms`).
    RetryBatch {
        id: u64,
    },
    /// Consumer: fetch `partition` again after `retry.backoff.ms` (with the other partitions its
    /// leader has for it, if no fetch to that broker is out).
    RetryPartition {
        partition: u16,
    },
    /// Consumer: take the next step of the group protocol (after a backoff).
    GroupStep,
    /// Consumer: group request number `request` went unanswered.
    GroupRequest {
        request: u64,
    },
    /// Consumer: send the heartbeat of this heartbeat generation.
    Heartbeat {
        generation: u64,
    },
    /// Consumer: `auto.commit.interval.ms`.
    AutoCommit,
    /// Consumer: the application finished processing record number `generation`.
    Processed {
        generation: u64,
    },
    /// Consumer: `max.poll.interval.ms` since poll number `generation`.
    PollTimeout {
        generation: u64,
    },
    /// Consumer: ask for the committed offsets again (they were UNSTABLE_OFFSET_COMMIT).
    RefetchOffsets,
    /// Transactional producer: the next step of its transaction manager (after a backoff, or
    /// its request number `generation` went unanswered).
    TxnStep {
        generation: u64,
    },
    /// Transaction coordinator: look for transactions past their timeout.
    TxnAbortCheck,
    /// Transaction coordinator: send the markers still unwritten again.
    TxnMarkers,
}
