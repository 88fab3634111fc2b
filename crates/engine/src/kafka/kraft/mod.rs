//! KRaft mode (Kafka 4): the cluster's metadata lives in `__cluster_metadata`, a log that a quorum
//! of controllers replicates with KRaft's Raft (KIP-595), instead of in ZooKeeper.
//!
//! - `settings`    — the scenario's `"metadata": "kraft"` and KRaft's settings, with their checks.
//! - `roles`       — where the voters run: controller nodes, combined brokers, or a mix.
//! - `metalog`     — the metadata log: records with the epoch that wrote them, divergence by epoch.
//! - `raft`        — one voter's Raft: epochs, Vote, BeginQuorumEpoch, pull-based Fetch from the
//!   leader, the high watermark, randomized election timeouts, check-quorum.
//! - `image`       — what the records say once replayed: brokers (registered, fenced), topics and
//!   partitions. Controllers and brokers replay the same log into one.
//! - `replication` — the active controller's decisions as records (Kafka's
//!   `ReplicationControlManager` and `ClusterControlManager`): creating topics, fencing and
//!   unfencing brokers, electing leaders, ruling on ISR changes.
//! - `quorum_controller` — the controller node: its Raft, its image, and when it leads, the active
//!   controller (broker registrations and heartbeats, fencing, AlterPartition), answering each
//!   request once its records are committed.
//!
//! The broker's side (fetching the log as an observer, registering, heartbeating, replaying the
//! records into its replicas) is `broker/lifecycle.rs`: there are no LeaderAndIsr or
//! UpdateMetadata pushes in this mode.

pub mod image;
pub mod metalog;
pub mod quorum_controller;
pub mod raft;
pub mod replication;
pub mod roles;
pub mod settings;

use super::msg::PartitionView;
use super::partition::BrokerId;

/// A controller's id in the quorum: 1…N (`ctl1`…).
pub type ControllerId = u8;

/// One record of `__cluster_metadata` (the ones this model writes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetadataRecord {
    /// KIP-595's LeaderChangeMessage: the control record a new leader appends first; the HW moves
    /// only once a record of the leader's own epoch is committed.
    LeaderChange { leader: ControllerId },
    /// RegisterBrokerRecord: a broker (re)registered; its broker epoch is this record's offset. A
    /// registration starts fenced.
    RegisterBroker { broker: BrokerId },
    /// BrokerRegistrationChangeRecord with its fenced flag: fenced (no heartbeat within
    /// `broker.session.timeout.ms`) or unfenced (caught up with the log).
    BrokerFencing { broker: BrokerId, broker_epoch: u64, fenced: bool },
    /// BrokerRegistrationChangeRecord with `inControlledShutdown`: the broker asked to stop
    /// (`wantShutDown` in its heartbeat) and still led partitions; it may lead and join ISRs no
    /// more.
    BrokerControlledShutdown { broker: BrokerId, broker_epoch: u64 },
    /// TopicRecord: topic number `topic` of the scenario exists.
    Topic { topic: u16 },
    /// PartitionRecord: a new partition's replicas, leader and ISR.
    Partition(PartitionView),
    /// PartitionChangeRecord: a partition's new leader and ISR (the model writes the whole state,
    /// where Kafka writes only the fields that change).
    PartitionChange(PartitionView),
}

/// A record with the leader epoch that wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub epoch: u32,
    pub record: MetadataRecord,
    /// What the learner is told once the record commits (an election, a fencing): the model's
    /// annotation, not part of Kafka's record. It travels with the record so that a controller
    /// taking over can tell what its predecessor committed but died before telling.
    pub told: Option<crate::kafka::msg::KafkaEvent>,
}

/// Raft between the controllers, and the brokers' metadata fetches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaftMsg {
    /// A candidate asks for a vote, with the end of its log (KIP-595's VoteRequest).
    Vote {
        epoch: u32,
        last_epoch: u32,
        end_offset: u64,
    },
    VoteResponse {
        epoch: u32,
        granted: bool,
    },
    /// The new leader tells the voters (they then fetch from it).
    BeginQuorumEpoch {
        epoch: u32,
    },
    /// A follower or an observer (a broker) asks for the log from `offset`; `last_epoch` is the
    /// epoch of its record just before it, for the leader to check they agree.
    Fetch {
        epoch: u32,
        offset: u64,
        last_epoch: u32,
    },
    FetchResponse {
        epoch: u32,
        leader: Option<ControllerId>,
        result: FetchResult,
    },
}

impl RaftMsg {
    /// The message's kind, as the page and the trace name it.
    pub fn kind(&self) -> &'static str {
        match self {
            RaftMsg::Vote { .. } => "vote",
            RaftMsg::VoteResponse { granted: true, .. } => "vote-granted",
            RaftMsg::VoteResponse { granted: false, .. } => "vote-refused",
            RaftMsg::BeginQuorumEpoch { .. } => "begin-quorum-epoch",
            RaftMsg::Fetch { .. } => "metadata-fetch",
            RaftMsg::FetchResponse { .. } => "metadata-records",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchResult {
    /// Records from offset `from` on, and the leader's high watermark.
    Records { from: u64, entries: Vec<Entry>, hw: u64 },
    /// The fetcher's log diverges from the leader's: truncate to where they agree (at most
    /// `end_offset`, the end of `epoch` in the leader's log) and fetch again.
    Diverging { epoch: u32, end_offset: u64 },
    /// Not the leader of this epoch: `leader` and `epoch` of the response say whom to ask.
    NotLeader,
}

/// The active controller's answer to a heartbeat (`BrokerHeartbeatReply`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeartbeatReply {
    pub fenced: bool,
    pub in_controlled_shutdown: bool,
    /// The broker asked to stop and leads nothing more: it may shut down.
    pub should_shut_down: bool,
}

/// The active controller's answers to brokers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControllerError {
    /// Not the active controller; `leader`, if known, is.
    NotController { leader: Option<ControllerId> },
    /// The heartbeat's broker epoch is not the broker's registration (it registered again).
    StaleBrokerEpoch,
}
