//! What the learner is shown of Kafka (`KafkaEvent`): each event's trace encoding, the nodes it
//! concerns, its name and its one-line description.
//!
//! This file holds the events and the types they carry; `event/encoding.rs` is what the kernel
//! reads of an event (`ModelEvent`: the trace encoding every golden hash pins, the nodes, the
//! type name, the flow), and `event/describe.rs` the one-line description the learner reads.

use super::msg::Tp;
use super::partition::{BrokerId, Error};
use super::KafkaNames;
use crate::coordinator::WatchKind;
use crate::time::Time;
use crate::NodeId;

mod describe;
mod encoding;

/// A znode, named compactly so events stay `Copy`: the paths Kafka uses, and "another".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZnodePath {
    /// `/brokers/ids/N`
    Broker(BrokerId),
    /// `/brokers/ids` (the controller watches its children)
    BrokerIds,
    /// `/controller`
    Controller,
    /// `/controller_epoch`
    ControllerEpoch,
    /// `/brokers/topics/T/partitions/P/state`
    PartitionState(Tp),
    Other,
}

impl ZnodePath {
    pub fn parse(path: &str, topics: &[String]) -> ZnodePath {
        if let Some(id) = path.strip_prefix("/brokers/ids/") {
            return id.parse().map_or(ZnodePath::Other, ZnodePath::Broker);
        }
        match path {
            "/controller" => return ZnodePath::Controller,
            "/brokers/ids" => return ZnodePath::BrokerIds,
            "/controller_epoch" => return ZnodePath::ControllerEpoch,
            _ => {}
        }
        let parts: Vec<&str> = path.split('/').collect();
        if let ["", "brokers", "topics", t, "partitions", p, "state"] = parts[..] {
            if let (Some(topic), Ok(partition)) = (topics.iter().position(|n| n == t), p.parse()) {
                return ZnodePath::PartitionState(Tp { topic: topic as u16, partition });
            }
        }
        ZnodePath::Other
    }

    fn show(self, world: &dyn KafkaNames) -> String {
        match self {
            ZnodePath::Broker(b) => format!("/brokers/ids/{b}"),
            ZnodePath::Controller => "/controller".into(),
            ZnodePath::BrokerIds => "/brokers/ids".into(),
            ZnodePath::ControllerEpoch => "/controller_epoch".into(),
            ZnodePath::PartitionState(t) => {
                format!("/brokers/topics/{}/partitions/{}/state", world.topic_name(t.topic), t.partition)
            }
            ZnodePath::Other => "a znode".into(),
        }
    }

    fn code(self) -> u64 {
        match self {
            ZnodePath::Broker(b) => 1 << 40 | b as u64,
            ZnodePath::Controller => 2 << 40,
            ZnodePath::ControllerEpoch => 3 << 40,
            ZnodePath::PartitionState(t) => 4 << 40 | (t.topic as u64) << 16 | t.partition as u64,
            ZnodePath::Other => 5 << 40,
            ZnodePath::BrokerIds => 6 << 40,
        }
    }
}

/// A set of broker ids as a bitmask (brokers 1..=63; the scenario allows 50), so events stay
/// `Copy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BrokerSet(pub u64);

impl BrokerSet {
    pub fn of(brokers: &[BrokerId]) -> BrokerSet {
        BrokerSet(brokers.iter().fold(0, |m, &b| m | (1 << b.min(63))))
    }
    pub fn ids(self) -> Vec<BrokerId> {
        (0..64).filter(|b| self.0 & (1 << b) != 0).collect()
    }
    /// Brokers 0..=15, as the trace encoded a set when it held only those.
    pub(crate) fn low(self) -> u64 {
        self.0 & 0xffff
    }
    /// Brokers 16..=63 (shifted down), hashed only when there are any, so that the traces of
    /// clusters of up to 15 brokers keep their hashes.
    pub(crate) fn high(self) -> u64 {
        self.0 >> 16
    }
}

impl std::fmt::Display for BrokerSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<String> = self.ids().iter().map(|b| b.to_string()).collect();
        write!(f, "[{}]", ids.join(","))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KafkaEvent {
    /// A coordinator server applied a change to a znode (`NodeCreated`, `NodeDataChanged` or
    /// `NodeDeleted`).
    ZnodeChanged { server: NodeId, path: ZnodePath, change: WatchKind },
    /// A one-shot watch fired: the server tells `client` that `path` changed.
    WatchFired { server: NodeId, client: NodeId, path: ZnodePath, kind: WatchKind },
    /// A coordinator server leads the ensemble: a quorum has its history (ZooKeeper's epoch).
    ZkLeaderElected { server: NodeId, epoch: u32 },
    /// A coordinator server lost its quorum (a leader, its followers; a follower, its leader): it
    /// stops serving clients.
    ZkQuorumLost { server: NodeId, was_leader: bool },
    /// A client opened a session on a server (`moved`: it brought an existing session over).
    ZkClientConnected { client: NodeId, server: NodeId, session: u64, moved: bool },
    /// A broker registered `/brokers/ids/N`.
    BrokerRegistered { broker: BrokerId },
    /// KRaft: a broker's registration is committed to the metadata log, fenced until it catches
    /// up; its broker epoch is the record's offset.
    RegisteredWithController { broker: BrokerId, broker_epoch: u64 },
    /// KRaft: a controller's election timeout passed without a leader: it stands in `epoch`.
    ControllerCandidate { controller: NodeId, epoch: u32 },
    /// KRaft: a majority voted for the controller: it leads the quorum (the active controller).
    ControllerLeader { controller: NodeId, epoch: u32 },
    /// KRaft: a leader learned of a newer epoch, or lost touch with a majority (check-quorum).
    ControllerResigned { controller: NodeId, epoch: u32 },
    /// KRaft: the active controller fenced a broker (no heartbeat within
    /// `broker.session.timeout.ms`): it leads nothing and is in no ISR.
    BrokerFenced { broker: BrokerId },
    /// KRaft: a registered broker caught up with the metadata log: it may lead and join ISRs.
    BrokerUnfenced { broker: BrokerId },
    /// KRaft: a broker stopping cleanly (`wantShutDown` in its heartbeat) still led partitions:
    /// the active controller put it in controlled shutdown and moved its leaderships and ISR
    /// places to active brokers.
    BrokerInControlledShutdown { broker: BrokerId },
    /// KRaft: a broker stopping cleanly leads nothing more (and every active broker has replayed
    /// the moves): the controller fences it and answers `shouldShutDown`.
    BrokerShutdownGranted { broker: BrokerId },
    /// A broker learned its coordinator session expired: it is fenced until it registers again.
    SessionExpired { broker: BrokerId },
    /// A broker created `/controller` and became the controller of `epoch`.
    ControllerElected { broker: BrokerId, epoch: u32 },
    /// A controller saw a broker leave (its ephemeral znode was deleted).
    BrokerLost { broker: BrokerId },
    /// The controller chose a partition leader (at creation or after a failure).
    LeaderElected { tp: Tp, leader: BrokerId, epoch: u32, isr: BrokerSet, unclean: bool },
    /// No live replica in the ISR (and no unclean election): the partition is unavailable.
    PartitionOffline { tp: Tp },
    /// The leader changed the in-sync replica set.
    IsrChanged { tp: Tp, leader: BrokerId, isr: BrokerSet, shrank: bool },
    /// The controller took replicas on dead brokers out of a partition's ISR (its leader lives):
    /// `onBrokerFailure`, or a new controller's `ReplicaStateMachine.startup`.
    OfflineReplicasRemoved { tp: Tp, isr: BrokerSet },
    /// A leader appended a record.
    Appended { tp: Tp, broker: BrokerId, offset: u64, epoch: u32 },
    /// A replica's high watermark moved (what consumers may read).
    HighWatermark { tp: Tp, broker: BrokerId, hw: u64 },
    /// A follower truncated its log to where it agrees with the leader (KIP-101).
    Truncated { tp: Tp, broker: BrokerId, to: u64 },
    /// A follower's fetch fell outside the leader's log (OFFSET_OUT_OF_RANGE): it truncated (to
    /// the leader's end, or fully) and fetches again from `to` (the leader's log start when its
    /// log ended below it, as after retention while it was down).
    FetchOutOfRange { tp: Tp, broker: BrokerId, to: u64 },
    /// A producer sent record `seq` (key, partition) for the first time or again.
    Produced { producer: NodeId, seq: u64, tp: Tp, retry: bool },
    /// The producer got its acknowledgement: the record is at `offset`.
    ProduceAcked { producer: NodeId, seq: u64, tp: Tp, offset: u64, latency: Time },
    /// The producer got an error (it retries unless the delivery timeout has passed).
    ProduceFailed { producer: NodeId, seq: u64, tp: Tp, error: Error },
    /// `delivery.timeout.ms` passed before the record was acknowledged: the producer gave up on it
    /// and failed it to the application (a TimeoutException).
    ProduceExpired { producer: NodeId, seq: u64, tp: Tp },
    /// An idempotent producer bumped its epoch after a batch with a sequence expired (KIP-360):
    /// sequences start again at 0, and the partitions fence its older epoch.
    ProducerEpochBumped { producer: NodeId, epoch: u16 },
    /// A restarted idempotent producer got a new producer id from a broker (InitProducerId
    /// without a transactional id): its sequences start at 0.
    ProducerIdAssigned { producer: NodeId, id: u32, epoch: u16 },
    /// A consumer read a record.
    Consumed { consumer: NodeId, tp: Tp, offset: u64, value: u64, latency: Time },
    /// A group coordinator moved the group to `state` (with `members` members).
    GroupState { group: u8, broker: BrokerId, state: GroupState, generation: u32, members: u8 },
    /// The coordinator removed a member.
    MemberRemoved { group: u8, consumer: NodeId, reason: RemoveReason },
    /// A member got its partitions for `generation` (`added`: those new to it).
    Assigned { group: u8, consumer: NodeId, generation: u32, partitions: u64, added: u64 },
    /// A member gave partitions up (`lost`: taken away without a chance to commit).
    Revoked { group: u8, consumer: NodeId, partitions: u64, lost: bool },
    /// A member's offset commit was written (replicated in `__consumer_offsets`).
    Committed { group: u8, consumer: NodeId, tp: Tp, offset: u64 },
    /// A member spent longer than `max.poll.interval.ms` on one poll's records: it leaves the group.
    PollTimeout { group: u8, consumer: NodeId },
    /// A static member (`group.instance.id`, KIP-345) joined again under a new member id while
    /// the group was Stable: it takes its old place and assignment in `generation`, no rebalance.
    StaticMemberRejoined { group: u8, consumer: NodeId, generation: u32 },
    /// A consumer heard FENCED_INSTANCE_ID: another consumer joined with its `group.instance.id`.
    /// The error is fatal: it stops reading.
    InstanceFenced { group: u8, consumer: NodeId },
    /// A consumer set its position in a partition: from the group's commit or `auto.offset.reset`.
    PositionSet { consumer: NodeId, tp: Tp, offset: u64, from: PositionFrom },
    /// Retention deleted a replica's oldest segments: its log now starts at `log_start`.
    SegmentsDeleted { tp: Tp, broker: BrokerId, log_start: u64 },
    /// The log cleaner removed `removed` records superseded by later ones with the same key.
    Compacted { tp: Tp, broker: BrokerId, removed: u32 },
    /// The leader `leader` answered a consumer's fetch with a preferred read replica in the
    /// consumer's rack (KIP-392): it fetches from `replica` now.
    ReadReplicaChosen { consumer: NodeId, tp: Tp, replica: BrokerId, leader: BrokerId },
    /// The consumer stops fetching from its preferred read replica and goes back to the leader.
    ReadReplicaDropped { consumer: NodeId, tp: Tp, replica: BrokerId, why: ReadReplicaDrop },
    /// Transactions (exactly-once): `crate::kafka::txn::event`.
    Txn(crate::kafka::txn::event::TxnEvent),
}

/// The classic group coordinator's states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    /// The coordinator moved away: this broker no longer holds the group.
    Dead,
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoveReason {
    /// No heartbeat within `session.timeout.ms`.
    SessionTimeout,
    /// It did not rejoin within the rebalance timeout (`max.poll.interval.ms`).
    RebalanceTimeout,
    /// It sent LeaveGroup.
    Left,
}

/// Why a consumer left its preferred read replica (the consumer's `Fetcher` clears it on each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadReplicaDrop {
    /// The replica answered with this error (OFFSET_OUT_OF_RANGE: it lacks the offset yet).
    Error(Error),
    /// The connection to it was lost.
    Disconnected,
    /// Its fetch got no answer within `request.timeout.ms`.
    TimedOut,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PositionFrom {
    Committed,
    Earliest,
    Latest,
    /// Its position was deleted by retention (OFFSET_OUT_OF_RANGE): reset by `auto.offset.reset`.
    OutOfRange,
}

/// The partitions in a set (bit i = partition i), for logs: `[0,3,5]`.
pub fn parts_text(mask: u64) -> String {
    let list: Vec<String> = (0..64).filter(|p| mask & (1 << p) != 0).map(|p| p.to_string()).collect();
    format!("[{}]", list.join(","))
}

pub fn err_name(e: Error) -> &'static str {
    match e {
        Error::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
        Error::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
        Error::FencedLeaderEpoch => "FENCED_LEADER_EPOCH",
        Error::UnknownLeaderEpoch => "UNKNOWN_LEADER_EPOCH",
        Error::RequestTimedOut => "REQUEST_TIMED_OUT",
        Error::NetworkException => "NETWORK_EXCEPTION",
        Error::NotCoordinator => "NOT_COORDINATOR",
        Error::CoordinatorNotAvailable => "COORDINATOR_NOT_AVAILABLE",
        Error::UnknownMemberId => "UNKNOWN_MEMBER_ID",
        Error::IllegalGeneration => "ILLEGAL_GENERATION",
        Error::RebalanceInProgress => "REBALANCE_IN_PROGRESS",
        Error::MemberIdRequired => "MEMBER_ID_REQUIRED",
        Error::OutOfOrderSequence => "OUT_OF_ORDER_SEQUENCE_NUMBER",
        Error::InvalidProducerEpoch => "INVALID_PRODUCER_EPOCH",
        Error::OffsetOutOfRange => "OFFSET_OUT_OF_RANGE",
        Error::InvalidRecord => "INVALID_RECORD",
        Error::UnknownTopicOrPartition => "UNKNOWN_TOPIC_OR_PARTITION",
        Error::NotController => "NOT_CONTROLLER",
        Error::InvalidUpdateVersion => "INVALID_UPDATE_VERSION",
        Error::InvalidRequest => "INVALID_REQUEST",
        Error::IneligibleReplica => "INELIGIBLE_REPLICA",
        Error::FencedInstanceId => "FENCED_INSTANCE_ID",
        Error::UnstableOffsetCommit => "UNSTABLE_OFFSET_COMMIT",
    }
}

#[cfg(test)]
mod tests {
    use super::BrokerSet;

    /// A 50-broker cluster's ISRs name brokers above 15 (they were clamped to 15 when the set was
    /// 16 bits wide, so the event log said "isr [15]" for [17, 33]).
    #[test]
    fn a_broker_set_holds_every_broker_of_a_large_cluster() {
        let set = BrokerSet::of(&[3, 17, 50]);
        assert_eq!(set.ids(), vec![3, 17, 50]);
        assert_eq!(set.to_string(), "[3,17,50]");
        assert_eq!((set.low(), set.high()), (1 << 3, (1 << 1) | (1 << 34)));
    }
}
