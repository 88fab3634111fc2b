//! What the kernel reads of a Kafka event (`ModelEvent`): its trace encoding (a tag per variant,
//! then its fields packed into words — the golden trace hashes pin every bit of it), the nodes it
//! concerns, its type name and its flow (published, acked, consumed, …). Kept apart so that the
//! encoding can be read, and left alone, on its own.

use super::KafkaEvent;
use crate::kafka::msg::Tp;
use crate::kernel::event::{Flow, ModelEvent};
use crate::trace::TraceHash;
use crate::NodeId;

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
    FetchOutOfRange = 24,
    OfflineReplicasRemoved = 25,
    ProduceExpired = 26,
    ProducerEpochBumped = 27,
    StaticMemberRejoined = 28,
    InstanceFenced = 29,
    ControllerCandidate = 30,
    ControllerLeader = 31,
    ControllerResigned = 32,
    BrokerFenced = 33,
    BrokerUnfenced = 34,
    RegisteredWithController = 35,
    BrokerInControlledShutdown = 36,
    BrokerShutdownGranted = 37,
    ReadReplicaChosen = 38,
    ReadReplicaDropped = 39,
    ZkLeaderElected = 40,
    ZkQuorumLost = 41,
    ZkClientConnected = 42,
    ZnodeChanged = 43,
    WatchFired = 44,
    ProducerIdAssigned = 45,
}

/// The brokers of a set above 15, when it has any (see `BrokerSet::high`).
fn broker_set_high(h: &mut TraceHash, set: super::BrokerSet) {
    if set.high() != 0 {
        h.u64(set.high());
    }
}

impl ModelEvent for KafkaEvent {
    fn encode(&self, h: &mut TraceHash) {
        let tp = |h: &mut TraceHash, t: Tp| h.u64(((t.topic as u64) << 16) | t.partition as u64);
        match *self {
            KafkaEvent::Txn(e) => e.encode(h),
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
            // KRaft's quorum events: a controller and an epoch.
            KafkaEvent::ControllerCandidate { controller, epoch }
            | KafkaEvent::ControllerLeader { controller, epoch }
            | KafkaEvent::ControllerResigned { controller, epoch } => {
                h.byte(match self {
                    KafkaEvent::ControllerCandidate { .. } => KafkaTag::ControllerCandidate,
                    KafkaEvent::ControllerLeader { .. } => KafkaTag::ControllerLeader,
                    _ => KafkaTag::ControllerResigned,
                } as u8);
                h.u64(((controller.0 as u64) << 32) | epoch as u64)
            }
            KafkaEvent::RegisteredWithController { broker, broker_epoch } => {
                h.byte(KafkaTag::RegisteredWithController as u8);
                h.u32(broker);
                h.u64(broker_epoch)
            }
            // A tag and the broker.
            KafkaEvent::BrokerFenced { broker }
            | KafkaEvent::BrokerUnfenced { broker }
            | KafkaEvent::BrokerInControlledShutdown { broker }
            | KafkaEvent::BrokerShutdownGranted { broker }
            | KafkaEvent::BrokerRegistered { broker }
            | KafkaEvent::SessionExpired { broker } => {
                h.byte(match self {
                    KafkaEvent::BrokerFenced { .. } => KafkaTag::BrokerFenced,
                    KafkaEvent::BrokerUnfenced { .. } => KafkaTag::BrokerUnfenced,
                    KafkaEvent::BrokerInControlledShutdown { .. } => KafkaTag::BrokerInControlledShutdown,
                    KafkaEvent::BrokerShutdownGranted { .. } => KafkaTag::BrokerShutdownGranted,
                    KafkaEvent::BrokerRegistered { .. } => KafkaTag::BrokerRegistered,
                    _ => KafkaTag::SessionExpired,
                } as u8);
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
                h.u32(isr.low() as u32);
                broker_set_high(h, isr);
            }
            KafkaEvent::PartitionOffline { tp: t } => {
                h.byte(KafkaTag::PartitionOffline as u8);
                tp(h, t)
            }
            KafkaEvent::IsrChanged { tp: t, leader, isr, shrank } => {
                h.byte(KafkaTag::IsrChanged as u8);
                tp(h, t);
                h.u64(((leader as u64) << 32) | (isr.low() << 1) | shrank as u64);
                broker_set_high(h, isr);
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
            KafkaEvent::ProduceExpired { producer, seq, tp: t } => {
                h.byte(KafkaTag::ProduceExpired as u8);
                tp(h, t);
                h.u64(producer.0 as u64);
                h.u64(seq);
            }
            KafkaEvent::ProducerEpochBumped { producer, epoch } => {
                h.byte(KafkaTag::ProducerEpochBumped as u8);
                h.u64(((producer.0 as u64) << 16) | epoch as u64);
            }
            KafkaEvent::ProducerIdAssigned { producer, id, epoch } => {
                h.byte(KafkaTag::ProducerIdAssigned as u8);
                h.u64(((producer.0 as u64) << 16) | epoch as u64);
                h.u64(id as u64);
            }
            KafkaEvent::OfflineReplicasRemoved { tp: t, isr } => {
                h.byte(KafkaTag::OfflineReplicasRemoved as u8);
                tp(h, t);
                h.u64(isr.low());
                broker_set_high(h, isr);
            }
            KafkaEvent::FetchOutOfRange { tp: t, broker, to } => {
                h.byte(KafkaTag::FetchOutOfRange as u8);
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
            KafkaEvent::StaticMemberRejoined { group, consumer, generation } => {
                h.byte(KafkaTag::StaticMemberRejoined as u8);
                h.u64(((group as u64) << 32) | consumer.0 as u64);
                h.u32(generation);
            }
            KafkaEvent::InstanceFenced { group, consumer } => {
                h.byte(KafkaTag::InstanceFenced as u8);
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
            KafkaEvent::ReadReplicaChosen { consumer, tp: t, replica, leader } => {
                h.byte(KafkaTag::ReadReplicaChosen as u8);
                tp(h, t);
                h.u64(((consumer.0 as u64) << 32) | replica as u64);
                h.u32(leader);
            }
            KafkaEvent::ReadReplicaDropped { consumer, tp: t, replica, why } => {
                h.byte(KafkaTag::ReadReplicaDropped as u8);
                tp(h, t);
                h.u64(((consumer.0 as u64) << 32) | replica as u64);
                h.u32(match why {
                    super::ReadReplicaDrop::Error(e) => 0x100 | e as u32,
                    super::ReadReplicaDrop::Disconnected => 1,
                    super::ReadReplicaDrop::TimedOut => 2,
                });
            }
        }
    }

    fn nodes(&self) -> [Option<NodeId>; 2] {
        match *self {
            KafkaEvent::Txn(e) => [e.producer(), None],
            KafkaEvent::ZkLeaderElected { server, .. } | KafkaEvent::ZkQuorumLost { server, .. } => {
                [Some(server), None]
            }
            KafkaEvent::ZkClientConnected { client, server, .. } | KafkaEvent::WatchFired { server, client, .. } => {
                [Some(client), Some(server)]
            }
            KafkaEvent::ZnodeChanged { server, .. } => [Some(server), None],
            KafkaEvent::ControllerCandidate { controller, .. }
            | KafkaEvent::ControllerLeader { controller, .. }
            | KafkaEvent::ControllerResigned { controller, .. } => [Some(controller), None],
            KafkaEvent::Produced { producer, .. }
            | KafkaEvent::ProduceAcked { producer, .. }
            | KafkaEvent::ProduceFailed { producer, .. }
            | KafkaEvent::ProduceExpired { producer, .. }
            | KafkaEvent::ProducerEpochBumped { producer, .. }
            | KafkaEvent::ProducerIdAssigned { producer, .. } => [Some(producer), None],
            KafkaEvent::Consumed { consumer, .. }
            | KafkaEvent::MemberRemoved { consumer, .. }
            | KafkaEvent::Assigned { consumer, .. }
            | KafkaEvent::Revoked { consumer, .. }
            | KafkaEvent::Committed { consumer, .. }
            | KafkaEvent::PollTimeout { consumer, .. }
            | KafkaEvent::StaticMemberRejoined { consumer, .. }
            | KafkaEvent::InstanceFenced { consumer, .. }
            | KafkaEvent::PositionSet { consumer, .. } => [Some(consumer), None],
            KafkaEvent::ReadReplicaChosen { consumer, .. } | KafkaEvent::ReadReplicaDropped { consumer, .. } => {
                [Some(consumer), None]
            }
            _ => [None, None],
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            KafkaEvent::Txn(e) => e.type_name(),
            KafkaEvent::ZkLeaderElected { .. } => "zk-leader",
            KafkaEvent::ZnodeChanged { .. } => "znode",
            KafkaEvent::WatchFired { .. } => "watch-fired",
            KafkaEvent::ZkQuorumLost { .. } => "zk-no-quorum",
            KafkaEvent::ZkClientConnected { moved: false, .. } => "zk-session",
            KafkaEvent::ZkClientConnected { moved: true, .. } => "zk-session-moved",
            KafkaEvent::BrokerRegistered { .. } => "registered",
            KafkaEvent::ControllerCandidate { .. } => "quorum-candidate",
            KafkaEvent::ControllerLeader { .. } => "quorum-leader",
            KafkaEvent::ControllerResigned { .. } => "quorum-resigned",
            KafkaEvent::RegisteredWithController { .. } => "registered",
            KafkaEvent::BrokerFenced { .. } => "fenced",
            KafkaEvent::BrokerUnfenced { .. } => "unfenced",
            KafkaEvent::BrokerInControlledShutdown { .. } => "controlled-shutdown",
            KafkaEvent::BrokerShutdownGranted { .. } => "shutdown-granted",
            KafkaEvent::SessionExpired { .. } => "session-expired",
            KafkaEvent::ControllerElected { .. } => "controller",
            KafkaEvent::BrokerLost { .. } => "broker-lost",
            KafkaEvent::LeaderElected { .. } => "leader-elected",
            KafkaEvent::PartitionOffline { .. } => "offline",
            KafkaEvent::IsrChanged { .. } | KafkaEvent::OfflineReplicasRemoved { .. } => "isr-changed",
            KafkaEvent::Appended { .. } => "appended",
            KafkaEvent::HighWatermark { .. } => "high-watermark",
            KafkaEvent::Truncated { .. } => "truncated",
            KafkaEvent::FetchOutOfRange { .. } => "out-of-range",
            KafkaEvent::Produced { .. } => "produce",
            KafkaEvent::ProduceAcked { .. } => "produce-acked",
            KafkaEvent::ProduceFailed { .. } => "produce-failed",
            KafkaEvent::ProduceExpired { .. } => "expired",
            KafkaEvent::ProducerEpochBumped { .. } => "epoch-bumped",
            KafkaEvent::ProducerIdAssigned { .. } => "producer-id",
            KafkaEvent::Consumed { .. } => "consumed",
            KafkaEvent::GroupState { .. } => "group-state",
            KafkaEvent::MemberRemoved { .. } => "member-removed",
            KafkaEvent::Assigned { .. } => "assigned",
            KafkaEvent::Revoked { .. } => "revoked",
            KafkaEvent::Committed { .. } => "committed",
            KafkaEvent::PositionSet { .. } => "position",
            KafkaEvent::SegmentsDeleted { .. } => "retention",
            KafkaEvent::PollTimeout { .. } => "poll-timeout",
            KafkaEvent::StaticMemberRejoined { .. } => "static-rejoin",
            KafkaEvent::InstanceFenced { .. } => "instance-fenced",
            KafkaEvent::Compacted { .. } => "compacted",
            KafkaEvent::ReadReplicaChosen { .. } => "read-replica",
            KafkaEvent::ReadReplicaDropped { .. } => "read-replica-dropped",
        }
    }

    fn flow(&self) -> Option<Flow> {
        Some(match *self {
            KafkaEvent::Produced { retry: false, .. } => Flow::Published,
            KafkaEvent::Produced { retry: true, .. } => Flow::Retried,
            KafkaEvent::ProduceAcked { latency, .. } => Flow::Acked(latency),
            KafkaEvent::Consumed { latency, .. } => Flow::Consumed(latency),
            KafkaEvent::ProduceFailed { .. } => Flow::Failed,
            KafkaEvent::ProduceExpired { .. } => Flow::Expired,
            KafkaEvent::LeaderElected { unclean, .. } => Flow::Elected { unclean },
            _ => return None,
        })
    }
}
