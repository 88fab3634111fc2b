//! Each Kafka event's one-line description, as the page's log and `brokerlab run` show it, with
//! nodes, topics and groups by name.

use super::{err_name, parts_text, KafkaEvent, PositionFrom, ReadReplicaDrop, RemoveReason};
use crate::coordinator::WatchKind;
use crate::kafka::msg::Tp;
use crate::kafka::KafkaNames;
use std::fmt::Write;

impl KafkaEvent {
    pub fn describe(&self, s: &mut String, world: &dyn KafkaNames) -> std::fmt::Result {
        let tp = |t: Tp| format!("{}-{}", world.topic_name(t.topic), t.partition);
        match *self {
            KafkaEvent::Txn(e) => e.describe(s, world),
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
                write!(s, "{} leads the ZooKeeper ensemble, epoch {epoch}", world.node_name(server))
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
            KafkaEvent::ControllerCandidate { controller, epoch } => {
                write!(s, "{} heard no leader: it stands for election in epoch {epoch}", world.node_name(controller))
            }
            KafkaEvent::ControllerLeader { controller, epoch } => {
                write!(s, "{} won the vote: active controller, epoch {epoch}", world.node_name(controller))
            }
            KafkaEvent::ControllerResigned { controller, epoch } => {
                write!(s, "{} stops leading the quorum (epoch {epoch})", world.node_name(controller))
            }
            KafkaEvent::RegisteredWithController { broker, broker_epoch } => {
                write!(s, "controller registers b{broker} (broker epoch {broker_epoch}), fenced until it catches up")
            }
            KafkaEvent::BrokerFenced { broker } => {
                write!(s, "controller fences b{broker}: no heartbeat within broker.session.timeout.ms")
            }
            KafkaEvent::BrokerInControlledShutdown { broker } => write!(
                s,
                "controller puts b{broker} in controlled shutdown: it leaves the ISRs, its leaderships go to in-sync replicas still active"
            ),
            KafkaEvent::BrokerShutdownGranted { broker } => {
                write!(s, "controller lets b{broker} shut down: it leads nothing more (fenced)")
            }
            KafkaEvent::BrokerUnfenced { broker } => {
                write!(s, "controller unfences b{broker}: caught up with the metadata log")
            }
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
            KafkaEvent::OfflineReplicasRemoved { tp: t, isr } => {
                write!(s, "{} isr {isr} (shrunk by the controller: replicas on brokers gone, fenced or stopping)", tp(t))
            }
            KafkaEvent::Appended { tp: t, broker, offset, epoch } => {
                write!(s, "{} b{broker} offset {offset} epoch {epoch}", tp(t))
            }
            KafkaEvent::HighWatermark { tp: t, broker, hw } => write!(s, "{} b{broker} hw {hw}", tp(t)),
            KafkaEvent::Truncated { tp: t, broker, to } => write!(s, "{} b{broker} truncated to {to}", tp(t)),
            KafkaEvent::FetchOutOfRange { tp: t, broker, to } => {
                write!(s, "{} b{broker} OFFSET_OUT_OF_RANGE: truncated, fetching again from {to}", tp(t))
            }
            KafkaEvent::Produced { producer, seq, tp: t, retry } => {
                write!(s, "{} seq={seq} -> {}{}", world.node_name(producer), tp(t), if retry { " (retry)" } else { "" })
            }
            KafkaEvent::ProduceAcked { producer, seq, tp: t, offset, latency } => {
                write!(s, "{} seq={seq} at {}@{offset} after {latency}", world.node_name(producer), tp(t))
            }
            KafkaEvent::ProduceExpired { producer, seq, tp: t } => write!(
                s,
                "{} seq={seq} for {} expired: delivery.timeout.ms passed (TimeoutException)",
                world.node_name(producer),
                tp(t)
            ),
            KafkaEvent::ProducerEpochBumped { producer, epoch } => write!(
                s,
                "{} bumped its producer epoch to {epoch}: sequences start again at 0 (KIP-360)",
                world.node_name(producer)
            ),
            KafkaEvent::ProducerIdAssigned { producer, id, epoch } => write!(
                s,
                "{} is a new producer instance: producer id {id}, epoch {epoch} (InitProducerId); sequences start at 0",
                world.node_name(producer)
            ),
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
            KafkaEvent::StaticMemberRejoined { group, consumer, generation } => write!(
                s,
                "static member {} rejoined {}: same assignment, still generation {generation}, no rebalance",
                world.node_name(consumer),
                world.group_name(group)
            ),
            KafkaEvent::InstanceFenced { group, consumer } => write!(
                s,
                "{} was fenced from {}: another consumer joined with its group.instance.id (FENCED_INSTANCE_ID)",
                world.node_name(consumer),
                world.group_name(group)
            ),
            KafkaEvent::SegmentsDeleted { tp: t, broker, log_start } => {
                write!(s, "{} b{broker} deleted old segments: the log now starts at {log_start}", tp(t))
            }
            KafkaEvent::Compacted { tp: t, broker, removed } => {
                write!(s, "{} b{broker} compacted away {removed} records superseded by their key", tp(t))
            }
            KafkaEvent::ReadReplicaChosen { consumer, tp: t, replica, leader } => write!(
                s,
                "{} fetches {} from follower b{replica}, in its client.rack: leader b{leader} named it the preferred read replica",
                world.node_name(consumer),
                tp(t)
            ),
            KafkaEvent::ReadReplicaDropped { consumer, tp: t, replica, why } => write!(
                s,
                "{} goes back to the leader for {}: {}",
                world.node_name(consumer),
                tp(t),
                match why {
                    ReadReplicaDrop::Error(e) => format!("follower b{replica} answered {}", err_name(e)),
                    ReadReplicaDrop::Disconnected => format!("its connection to b{replica} was lost"),
                    ReadReplicaDrop::TimedOut => format!("its fetch from b{replica} timed out"),
                }
            ),
        }
    }
}
