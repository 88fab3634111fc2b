//! Kafka's client-side algorithms, exactly as Kafka computes them — the pieces the Kafka engine,
//! the page's calculators and `brokerlab partition` / `brokerlab assign` share.
//!
//! - `partitioner` — murmur2 and the built-in partitioner for keyed records.
//! - `assignor`    — consumer-group partition assignors (range, roundrobin, sticky, cooperative-sticky).
//! - `producer_state` — the idempotent producer's sequence state every replica keeps.
//! - `log`         — one replica's log: offsets, leader epochs, LEO, HW, epoch cache, truncation.
//! - `partition`   — one replica as a state machine: leader/follower, acks, ISR, HW, divergence.
//! - `placement`   — replica placement at topic creation, and offline leader election.
//! - `config`      — the scenario's `kafka` section; `cluster` — what all Kafka nodes share.
//! - `msg`, `event` — Kafka's messages; its events (what the learner is shown).
//! - `group`       — the group coordinator's side of consumer groups.
//! - `purgatory`   — a leader's parked fetches, each completed exactly once (Kafka's DelayedFetch).
//! - `zk_server`, `broker`, `producer`, `consumer` (sharing `clients`), `node` — the nodes:
//!   coordinator, brokers (and the controller), producers and consumers.
//! - `zk_ensemble` — a coordinator server in an ensemble of 3 or 5 (election, ZAB, sessions);
//!   `zk_client` — a broker's side of its coordinator connection (server choice, moves, watches).

pub mod assignor;
pub mod broker;
pub mod clients;
pub mod cluster;
pub mod config;
pub mod consumer;
pub mod event;
pub mod group;
pub mod log;
pub mod msg;
pub mod node;
pub mod partition;
pub mod partitioner;
pub mod placement;
pub mod producer;
pub mod producer_state;
pub mod purgatory;
pub mod zk_client;
pub mod zk_ensemble;
pub mod zk_server;

use crate::kernel::{Model, Names};

/// What rendering a Kafka event looks up: node, topic and group names.
pub trait KafkaNames: Names {
    fn topic_name(&self, topic: u16) -> &str;
    fn group_name(&self, group: u8) -> &str;
}

/// The Kafka model: its nodes are `node::KafkaNode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kafka;

impl Model for Kafka {
    type Node = node::KafkaNode;
    type Msg = msg::KafkaMsg;
    type Timer = KafkaTimer;
    type Event = msg::KafkaEvent;
}

/// What a Kafka node's handlers are given.
pub type Ctx<'a> = crate::kernel::Ctx<'a, Kafka>;

/// A Kafka node's timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KafkaTimer(pub u64);

impl From<u64> for KafkaTimer {
    fn from(t: u64) -> Self {
        KafkaTimer(t)
    }
}
