//! What the learner is shown of Kafka (`KafkaEvent`): each event's trace encoding, the nodes it
//! concerns, its name and its one-line description.

use super::msg::Tp;
use super::partition::{BrokerId, Error};
use super::KafkaNames;
use crate::coordinator::WatchKind;
use crate::kernel::event::{Flow, ModelEvent};
use crate::time::Time;
use crate::trace::TraceHash;
use crate::NodeId;
use std::fmt::Write;

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

/// A set of broker ids as a bitmask (brokers 1..=15), so events stay `Copy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BrokerSet(pub u16);

impl BrokerSet {
    pub fn of(brokers: &[BrokerId]) -> BrokerSet {
        BrokerSet(brokers.iter().fold(0, |m, &b| m | (1 << b.min(15))))
    }
    pub fn ids(self) -> Vec<BrokerId> {
        (0..16).filter(|b| self.0 & (1 << b) != 0).collect()
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
    /// A leader appended a record.
    Appended { tp: Tp, broker: BrokerId, offset: u64, epoch: u32 },
    /// A replica's high watermark moved (what consumers may read).
    HighWatermark { tp: Tp, broker: BrokerId, hw: u64 },
    /// A follower truncated its log to where it agrees with the leader (KIP-101).
    Truncated { tp: Tp, broker: BrokerId, to: u64 },
    /// A producer sent record `seq` (key, partition) for the first time or again.
    Produced { producer: NodeId, seq: u64, tp: Tp, retry: bool },
    /// The producer got its acknowledgement: the record is at `offset`.
    ProduceAcked { producer: NodeId, seq: u64, tp: Tp, offset: u64, latency: Time },
    /// The producer got an error (it retries unless the delivery timeout has passed).
    ProduceFailed { producer: NodeId, seq: u64, tp: Tp, error: Error },
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
    /// A consumer set its position in a partition: from the group's commit or `auto.offset.reset`.
    PositionSet { consumer: NodeId, tp: Tp, offset: u64, from: PositionFrom },
    /// Retention deleted a replica's oldest segments: its log now starts at `log_start`.
    SegmentsDeleted { tp: Tp, broker: BrokerId, log_start: u64 },
    /// The log cleaner removed `removed` records superseded by later ones with the same key.
    Compacted { tp: Tp, broker: BrokerId, removed: u32 },
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
        Error::OffsetOutOfRange => "OFFSET_OUT_OF_RANGE",
        Error::InvalidRecord => "INVALID_RECORD",
    }
}

/// Trace tags of Kafka events: one number per variant, unique by construction (the compiler rejects a repeated discriminant).
#[derive(Clone, Copy)]
#[repr(u8)]
enum KafkaTag {
    BrokerRegistered = 1,
    SessionExpired = 2,
    ControllerElected = 3,
    BrokerLost = 4,
    LeaderElected = 5,
    PartitionOffline = 6,
    IsrChanged = 7,
    Appended = 8,
    HighWatermark = 9,
    Truncated = 10,
    Produced = 11,
    ProduceAcked = 12,
    ProduceFailed = 13,
    Consumed = 14,
    GroupState = 15,
    MemberRemoved = 16,
    Assigned = 17,
    Revoked = 18,
    Committed = 19,
    PositionSet = 20,
    SegmentsDeleted = 21,
    Compacted = 22,
    PollTimeout = 23,
    ZkLeaderElected = 40,
    ZkQuorumLost = 41,
    ZkClientConnected = 42,
    ZnodeChanged = 43,
    WatchFired = 44,
}

impl ModelEvent for KafkaEvent {
    fn encode(&self, h: &mut TraceHash) {
        let tp = |h: &mut TraceHash, t: Tp| h.u64(((t.topic as u64) << 16) | t.partition as u64);
        match *self {
            KafkaEvent::ZnodeChanged { server, path, change } => {
                h.byte(KafkaTag::ZnodeChanged as u8);
                h.u64(((server.0 as u64) << 8) | change as u64);
                h.u64(path.code());
            }
            KafkaEvent::WatchFired { server, client, path, kind } => {
                h.byte(KafkaTag::WatchFired as u8);
                h.u64(((server.0 as u64) << 32) | ((client.0 as u64) << 8) | kind as u64);
                h.u64(path.code());
            }
            KafkaEvent::ZkLeaderElected { server, epoch } => {
                h.byte(KafkaTag::ZkLeaderElected as u8);
                h.u64(((server.0 as u64) << 32) | epoch as u64)
            }
            KafkaEvent::ZkQuorumLost { server, was_leader } => {
                h.byte(KafkaTag::ZkQuorumLost as u8);
                h.u64(((server.0 as u64) << 1) | was_leader as u64)
            }
            KafkaEvent::ZkClientConnected { client, server, session, moved } => {
                h.byte(KafkaTag::ZkClientConnected as u8);
                h.u64(((client.0 as u64) << 32) | ((server.0 as u64) << 1) | moved as u64);
                h.u64(session)
            }
            KafkaEvent::BrokerRegistered { broker } => {
                h.byte(KafkaTag::BrokerRegistered as u8);
                h.u32(broker)
            }
            KafkaEvent::SessionExpired { broker } => {
                h.byte(KafkaTag::SessionExpired as u8);
                h.u32(broker)
            }
            KafkaEvent::ControllerElected { broker, epoch } => {
                h.byte(KafkaTag::ControllerElected as u8);
                h.u64(((broker as u64) << 32) | epoch as u64)
            }
            KafkaEvent::BrokerLost { broker } => {
                h.byte(KafkaTag::BrokerLost as u8);
                h.u32(broker)
            }
            KafkaEvent::LeaderElected { tp: t, leader, epoch, isr, unclean } => {
                h.byte(KafkaTag::LeaderElected as u8);
                tp(h, t);
                h.u64(((leader as u64) << 40) | ((epoch as u64) << 8) | unclean as u64);
                h.u32(isr.0 as u32);
            }
            KafkaEvent::PartitionOffline { tp: t } => {
                h.byte(KafkaTag::PartitionOffline as u8);
                tp(h, t)
            }
            KafkaEvent::IsrChanged { tp: t, leader, isr, shrank } => {
                h.byte(KafkaTag::IsrChanged as u8);
                tp(h, t);
                h.u64(((leader as u64) << 32) | ((isr.0 as u64) << 1) | shrank as u64);
            }
            KafkaEvent::Appended { tp: t, broker, offset, epoch } => {
                h.byte(KafkaTag::Appended as u8);
                tp(h, t);
                h.u64(((broker as u64) << 32) | epoch as u64);
                h.u64(offset);
            }
            KafkaEvent::HighWatermark { tp: t, broker, hw } => {
                h.byte(KafkaTag::HighWatermark as u8);
                tp(h, t);
                h.u32(broker);
                h.u64(hw);
            }
            KafkaEvent::Truncated { tp: t, broker, to } => {
                h.byte(KafkaTag::Truncated as u8);
                tp(h, t);
                h.u32(broker);
                h.u64(to);
            }
            KafkaEvent::Produced { producer, seq, tp: t, retry } => {
                h.byte(KafkaTag::Produced as u8);
                tp(h, t);
                h.u64(((producer.0 as u64) << 1) | retry as u64);
                h.u64(seq);
            }
            KafkaEvent::ProduceAcked { producer, seq, tp: t, offset, latency } => {
                h.byte(KafkaTag::ProduceAcked as u8);
                tp(h, t);
                h.u32(producer.0);
                h.u64(seq);
                h.u64(offset);
                h.u64(latency.0);
            }
            KafkaEvent::ProduceFailed { producer, seq, tp: t, error } => {
                h.byte(KafkaTag::ProduceFailed as u8);
                tp(h, t);
                h.u32(producer.0);
                h.u64(seq);
                h.byte(error as u8);
            }
            KafkaEvent::Consumed { consumer, tp: t, offset, value, latency } => {
                h.byte(KafkaTag::Consumed as u8);
                tp(h, t);
                h.u32(consumer.0);
                h.u64(offset);
                h.u64(value);
                h.u64(latency.0);
            }
            KafkaEvent::GroupState { group, broker, state, generation, members } => {
                h.byte(KafkaTag::GroupState as u8);
                h.u64(((group as u64) << 48) | ((broker as u64) << 32) | generation as u64);
                h.u32(((state as u32) << 8) | members as u32);
            }
            KafkaEvent::MemberRemoved { group, consumer, reason } => {
                h.byte(KafkaTag::MemberRemoved as u8);
                h.u64(((group as u64) << 40) | ((consumer.0 as u64) << 8) | reason as u64);
            }
            KafkaEvent::Assigned { group, consumer, generation, partitions, added } => {
                h.byte(KafkaTag::Assigned as u8);
                h.u64(((group as u64) << 56) | ((consumer.0 as u64) << 32) | generation as u64);
                h.u64(partitions);
                h.u64(added);
            }
            KafkaEvent::Revoked { group, consumer, partitions, lost } => {
                h.byte(KafkaTag::Revoked as u8);
                h.u64(((group as u64) << 40) | ((consumer.0 as u64) << 1) | lost as u64);
                h.u64(partitions);
            }
            KafkaEvent::Committed { group, consumer, tp: t, offset } => {
                h.byte(KafkaTag::Committed as u8);
                tp(h, t);
                h.u64(((group as u64) << 32) | consumer.0 as u64);
                h.u64(offset);
            }
            KafkaEvent::PositionSet { consumer, tp: t, offset, from } => {
                h.byte(KafkaTag::PositionSet as u8);
                tp(h, t);
                h.u64(((consumer.0 as u64) << 8) | from as u64);
                h.u64(offset);
            }
            KafkaEvent::PollTimeout { group, consumer } => {
                h.byte(KafkaTag::PollTimeout as u8);
                h.u64(((group as u64) << 32) | consumer.0 as u64);
            }
            KafkaEvent::SegmentsDeleted { tp: t, broker, log_start } => {
                h.byte(KafkaTag::SegmentsDeleted as u8);
                tp(h, t);
                h.u32(broker);
                h.u64(log_start);
            }
            KafkaEvent::Compacted { tp: t, broker, removed } => {
                h.byte(KafkaTag::Compacted as u8);
                tp(h, t);
                h.u64(((broker as u64) << 32) | removed as u64);
            }
        }
    }

    fn nodes(&self) -> [Option<NodeId>; 2] {
        match *self {
            KafkaEvent::ZkLeaderElected { server, .. } | KafkaEvent::ZkQuorumLost { server, .. } => {
                [Some(server), None]
            }
            KafkaEvent::ZkClientConnected { client, server, .. } | KafkaEvent::WatchFired { server, client, .. } => {
                [Some(client), Some(server)]
            }
            KafkaEvent::ZnodeChanged { server, .. } => [Some(server), None],
            KafkaEvent::Produced { producer, .. }
            | KafkaEvent::ProduceAcked { producer, .. }
            | KafkaEvent::ProduceFailed { producer, .. } => [Some(producer), None],
            KafkaEvent::Consumed { consumer, .. }
            | KafkaEvent::MemberRemoved { consumer, .. }
            | KafkaEvent::Assigned { consumer, .. }
            | KafkaEvent::Revoked { consumer, .. }
            | KafkaEvent::Committed { consumer, .. }
            | KafkaEvent::PollTimeout { consumer, .. }
            | KafkaEvent::PositionSet { consumer, .. } => [Some(consumer), None],
            _ => [None, None],
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            KafkaEvent::ZkLeaderElected { .. } => "zk-leader",
            KafkaEvent::ZnodeChanged { .. } => "znode",
            KafkaEvent::WatchFired { .. } => "watch-fired",
            KafkaEvent::ZkQuorumLost { .. } => "zk-no-quorum",
            KafkaEvent::ZkClientConnected { moved: false, .. } => "zk-session",
            KafkaEvent::ZkClientConnected { moved: true, .. } => "zk-session-moved",
            KafkaEvent::BrokerRegistered { .. } => "registered",
            KafkaEvent::SessionExpired { .. } => "session-expired",
            KafkaEvent::ControllerElected { .. } => "controller",
            KafkaEvent::BrokerLost { .. } => "broker-lost",
            KafkaEvent::LeaderElected { .. } => "leader-elected",
            KafkaEvent::PartitionOffline { .. } => "offline",
            KafkaEvent::IsrChanged { .. } => "isr-changed",
            KafkaEvent::Appended { .. } => "appended",
            KafkaEvent::HighWatermark { .. } => "high-watermark",
            KafkaEvent::Truncated { .. } => "truncated",
            KafkaEvent::Produced { .. } => "produce",
            KafkaEvent::ProduceAcked { .. } => "produce-acked",
            KafkaEvent::ProduceFailed { .. } => "produce-failed",
            KafkaEvent::Consumed { .. } => "consumed",
            KafkaEvent::GroupState { .. } => "group-state",
            KafkaEvent::MemberRemoved { .. } => "member-removed",
            KafkaEvent::Assigned { .. } => "assigned",
            KafkaEvent::Revoked { .. } => "revoked",
            KafkaEvent::Committed { .. } => "committed",
            KafkaEvent::PositionSet { .. } => "position",
            KafkaEvent::SegmentsDeleted { .. } => "retention",
            KafkaEvent::PollTimeout { .. } => "poll-timeout",
            KafkaEvent::Compacted { .. } => "compacted",
        }
    }

    fn flow(&self) -> Option<Flow> {
        Some(match *self {
            KafkaEvent::Produced { retry: false, .. } => Flow::Published,
            KafkaEvent::Produced { retry: true, .. } => Flow::Retried,
            KafkaEvent::ProduceAcked { latency, .. } => Flow::Acked(latency),
            KafkaEvent::Consumed { latency, .. } => Flow::Consumed(latency),
            KafkaEvent::ProduceFailed { .. } => Flow::Failed,
            KafkaEvent::LeaderElected { unclean, .. } => Flow::Elected { unclean },
            _ => return None,
        })
    }
}

impl KafkaEvent {
    pub fn describe(&self, s: &mut String, world: &dyn KafkaNames) -> std::fmt::Result {
        let tp = |t: Tp| format!("{}-{}", world.topic_name(t.topic), t.partition);
        match *self {
            KafkaEvent::ZnodeChanged { server, path, change } => write!(
                s,
                "{} {} {}",
                world.node_name(server),
                match change {
                    WatchKind::NodeCreated => "created",
                    WatchKind::NodeDeleted => "deleted",
                    _ => "changed",
                },
                path.show(world)
            ),
            KafkaEvent::WatchFired { server, client, path, kind } => write!(
                s,
                "{} fires {}'s watch on {} ({})",
                world.node_name(server),
                world.node_name(client),
                path.show(world),
                match kind {
                    WatchKind::NodeCreated => "created",
                    WatchKind::NodeDeleted => "deleted",
                    WatchKind::NodeDataChanged => "data changed",
                    WatchKind::NodeChildrenChanged => "children changed",
                }
            ),
            KafkaEvent::ZkLeaderElected { server, epoch } => {
                write!(s, "{} leads the coordinator ensemble, epoch {epoch}", world.node_name(server))
            }
            KafkaEvent::ZkQuorumLost { server, was_leader } => write!(
                s,
                "{} lost {}: it stops serving clients and looks for a leader",
                world.node_name(server),
                if was_leader { "its quorum of followers" } else { "its leader" }
            ),
            KafkaEvent::ZkClientConnected { client, server, session, moved } => write!(
                s,
                "{} {} session {session} {} {}",
                world.node_name(client),
                if moved { "moved its" } else { "opened" },
                if moved { "to" } else { "on" },
                world.node_name(server)
            ),
            KafkaEvent::BrokerRegistered { broker } => write!(s, "b{broker} registered /brokers/ids/{broker}"),
            KafkaEvent::SessionExpired { broker } => write!(s, "b{broker}'s coordinator session expired"),
            KafkaEvent::ControllerElected { broker, epoch } => write!(s, "b{broker} is controller, epoch {epoch}"),
            KafkaEvent::BrokerLost { broker } => write!(s, "controller sees b{broker} gone"),
            KafkaEvent::LeaderElected { tp: t, leader, epoch, isr, unclean } => write!(
                s,
                "{} leader b{leader} epoch {epoch} isr {isr}{}",
                tp(t),
                if unclean { " UNCLEAN: acknowledged records may be lost" } else { "" }
            ),
            KafkaEvent::PartitionOffline { tp: t } => write!(s, "{} has no eligible leader", tp(t)),
            KafkaEvent::IsrChanged { tp: t, leader, isr, shrank } => {
                write!(s, "{} isr {isr} ({} by b{leader})", tp(t), if shrank { "shrunk" } else { "expanded" })
            }
            KafkaEvent::Appended { tp: t, broker, offset, epoch } => {
                write!(s, "{} b{broker} offset {offset} epoch {epoch}", tp(t))
            }
            KafkaEvent::HighWatermark { tp: t, broker, hw } => write!(s, "{} b{broker} hw {hw}", tp(t)),
            KafkaEvent::Truncated { tp: t, broker, to } => write!(s, "{} b{broker} truncated to {to}", tp(t)),
            KafkaEvent::Produced { producer, seq, tp: t, retry } => {
                write!(s, "{} seq={seq} -> {}{}", world.node_name(producer), tp(t), if retry { " (retry)" } else { "" })
            }
            KafkaEvent::ProduceAcked { producer, seq, tp: t, offset, latency } => {
                write!(s, "{} seq={seq} at {}@{offset} after {latency}", world.node_name(producer), tp(t))
            }
            KafkaEvent::ProduceFailed { producer, seq, tp: t, error } => {
                write!(s, "{} seq={seq} {}: {}", world.node_name(producer), tp(t), err_name(error))
            }
            KafkaEvent::Consumed { consumer, tp: t, offset, value, latency } => {
                write!(s, "{} read {}@{offset} value {value} after {latency}", world.node_name(consumer), tp(t))
            }
            KafkaEvent::GroupState { group, broker, state, generation, members } => write!(
                s,
                "group {} on coordinator b{broker}: {} (generation {generation}, {members} members)",
                world.group_name(group),
                state.name()
            ),
            KafkaEvent::MemberRemoved { group, consumer, reason } => write!(
                s,
                "group {} removed {}: {}",
                world.group_name(group),
                world.node_name(consumer),
                match reason {
                    RemoveReason::SessionTimeout => "no heartbeat within session.timeout.ms",
                    RemoveReason::RebalanceTimeout => "did not rejoin within max.poll.interval.ms",
                    RemoveReason::Left => "it left the group",
                }
            ),
            KafkaEvent::Assigned { group, consumer, generation, partitions, added } => write!(
                s,
                "{} owns {} of {} in generation {generation} (new: {})",
                world.node_name(consumer),
                parts_text(partitions),
                world.group_name(group),
                parts_text(added)
            ),
            KafkaEvent::Revoked { group, consumer, partitions, lost } => write!(
                s,
                "{} {} {} of {}",
                world.node_name(consumer),
                if lost { "lost" } else { "revoked" },
                parts_text(partitions),
                world.group_name(group)
            ),
            KafkaEvent::Committed { group, consumer, tp: t, offset } => {
                write!(
                    s,
                    "{} committed {} at {offset} for {}",
                    world.node_name(consumer),
                    tp(t),
                    world.group_name(group)
                )
            }
            KafkaEvent::PositionSet { consumer, tp: t, offset, from } => write!(
                s,
                "{} starts {} at {offset} ({})",
                world.node_name(consumer),
                tp(t),
                match from {
                    PositionFrom::Committed => "the group's committed offset",
                    PositionFrom::Earliest => "no commit: auto.offset.reset=earliest",
                    PositionFrom::Latest => "no commit: auto.offset.reset=latest",
                    PositionFrom::OutOfRange => "its offset was deleted by retention: auto.offset.reset",
                }
            ),
            KafkaEvent::PollTimeout { group, consumer } => write!(
                s,
                "{} spent longer than max.poll.interval.ms on one poll's records: it leaves {}",
                world.node_name(consumer),
                world.group_name(group)
            ),
            KafkaEvent::SegmentsDeleted { tp: t, broker, log_start } => {
                write!(s, "{} b{broker} deleted old segments: the log now starts at {log_start}", tp(t))
            }
            KafkaEvent::Compacted { tp: t, broker, removed } => {
                write!(s, "{} b{broker} compacted away {removed} records superseded by their key", tp(t))
            }
        }
    }
}
