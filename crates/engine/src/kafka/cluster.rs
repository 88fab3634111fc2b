//! What every Kafka node of a simulation shares: the topics, the node of each broker and of the
//! coordinator, and the cluster settings. Built once from the scenario; nodes hold an `Rc` of it.

use super::assignor::java::java_hash;
use super::config::{KafkaSpec, OffsetReset, OFFSETS_TOPIC};
use super::kraft::settings::KraftSettings;
use super::log::LogConfig;
use super::msg::{PartitionView, Tp};
use super::partition::{BrokerId, Config};
use crate::time::Time;
use crate::NodeId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    pub name: String,
    pub partitions: u16,
    pub replication_factor: u32,
    pub min_insync_replicas: u32,
    /// `cleanup.policy`: delete (retention), compact, or both.
    pub delete: bool,
    pub compact: bool,
    /// `retention.ms` / `retention.bytes` (`None`: unlimited, Kafka's -1).
    pub retention: Option<Time>,
    pub retention_bytes: Option<u64>,
    pub log: LogConfig,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub topics: Vec<Topic>,
    /// The first (with one server, the only) coordinator server.
    pub zk: NodeId,
    /// Every coordinator server: the brokers' connect string.
    pub zks: Vec<NodeId>,
    /// `brokers[i]` is the node of broker id `i + 1`.
    pub brokers: Vec<NodeId>,
    pub session_timeout: Time,
    pub replica_lag_time_max: Time,
    pub unclean_leader_election: bool,
    pub groups: Vec<Group>,
    pub retention_check_interval: Time,
    pub cleaner_backoff: Time,
    /// The index of `__consumer_offsets` in `topics` (the last one), when there are groups.
    pub offsets_topic: Option<u16>,
    /// The transactional ids (`transactional.id`) of the scenario's producers, and the index of
    /// `__transaction_state` in `topics` when there are any.
    pub txn_ids: Vec<String>,
    pub txn_topic: Option<u16>,
    /// KRaft mode: the controller quorum (then `zks` is empty).
    pub kraft: Option<KraftCluster>,
    /// ZooKeeper mode, with `auto.leader.rebalance.enable`: the controller's imbalance check.
    pub leader_rebalance: Option<super::leader_balance::LeaderRebalance>,
    /// Each broker's CPU, disk and page cache, when the scenario has them.
    pub resources: Option<crate::resources::KafkaResources>,
    /// `broker.rack`, the clients' racks and the replica selector.
    pub racks: super::rack::Racks,
}

/// KRaft mode: the controllers' nodes (`controllers[i]` is controller id `i + 1`) and settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KraftCluster {
    pub controllers: Vec<NodeId>,
    pub settings: KraftSettings,
}

/// A consumer group's settings, shared by its coordinator and its members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    /// The one topic its members read (validated when the scenario is loaded).
    pub topic: u16,
    pub assignor: String,
    /// KIP-429's incremental protocol (the cooperative-sticky assignor) instead of the eager one.
    pub cooperative: bool,
    pub session_timeout: Time,
    pub heartbeat_interval: Time,
    pub rebalance_timeout: Time,
    /// `group.initial.rebalance.delay.ms`, a broker setting, kept here with the group's own.
    pub initial_delay: Time,
    pub auto_commit: Option<Time>,
    pub reset: OffsetReset,
    /// Its partition of `__consumer_offsets`: the leader of that partition is its coordinator.
    pub offsets_partition: u16,
}

/// `GroupMetadataManager.partitionFor`: `Utils.abs(groupId.hashCode) % offsets partitions`.
pub fn offsets_partition_for(group: &str, partitions: u32) -> u16 {
    let h = java_hash(group);
    let abs = if h == i32::MIN { 0 } else { h.unsigned_abs() };
    (abs % partitions.max(1)) as u16
}

/// Kafka's timing defaults the model uses.
pub const REPLICA_FETCH_WAIT_MAX: Time = Time::ms(500);
pub const FETCH_MAX_WAIT: Time = Time::ms(500);
pub const REQUEST_TIMEOUT: Time = Time::secs(30);
pub const REPLICA_FETCH_BACKOFF: Time = Time::secs(1);
pub const RETRY_BACKOFF: Time = Time::ms(100);
pub const DELIVERY_TIMEOUT: Time = Time::secs(120);

impl Cluster {
    pub fn new(spec: &KafkaSpec, first_node: u32) -> Cluster {
        let mut topics: Vec<Topic> = spec
            .topics
            .iter()
            .map(|t| Topic {
                name: t.name.clone(),
                partitions: t.partitions as u16,
                replication_factor: t.replication_factor,
                min_insync_replicas: t.min_insync_replicas,
                delete: t.cleanup_policy.contains("delete"),
                compact: t.cleanup_policy.contains("compact"),
                retention: t.retention,
                retention_bytes: t.retention_bytes,
                log: LogConfig {
                    segment_bytes: t.segment_bytes,
                    segment_ms: t.segment_ms,
                    min_dirty_percent: t.min_cleanable_dirty_percent,
                },
            })
            .collect();
        let topic_index = |name: &str| topics.iter().position(|t| t.name == name).unwrap_or(0) as u16;
        let groups = spec
            .groups
            .iter()
            .map(|g| Group {
                name: g.id.clone(),
                topic: spec
                    .consumers
                    .iter()
                    .find(|c| c.group.as_ref() == Some(&g.id))
                    .map(|c| &c.topic)
                    .or(spec.processors.iter().find(|p| p.group == g.id).map(|p| &p.input))
                    .map_or(0, |t| topic_index(t)),
                cooperative: g.assignor == "cooperative-sticky",
                assignor: g.assignor.clone(),
                session_timeout: g.session_timeout,
                heartbeat_interval: g.heartbeat_interval,
                rebalance_timeout: g.max_poll_interval,
                initial_delay: spec.group_initial_rebalance_delay,
                auto_commit: g.enable_auto_commit.then_some(g.auto_commit_interval),
                reset: g.auto_offset_reset,
                offsets_partition: offsets_partition_for(&g.id, spec.offsets_topic_partitions),
            })
            .collect::<Vec<_>>();
        let offsets_topic = (!groups.is_empty()).then(|| {
            // offsets.topic.replication.factor is 3; with fewer brokers the model uses them all
            // (Kafka would refuse to create the topic) — said in the docs.
            topics.push(Topic {
                name: OFFSETS_TOPIC.into(),
                partitions: spec.offsets_topic_partitions as u16,
                replication_factor: spec.brokers.min(3),
                min_insync_replicas: 1,
                // `__consumer_offsets` is compacted, with 100 MiB segments by default.
                delete: false,
                compact: true,
                retention: None,
                retention_bytes: None,
                log: LogConfig { segment_bytes: spec.offsets_topic_segment_bytes, ..LogConfig::default() },
            });
            topics.len() as u16 - 1
        });
        let txn_ids = spec.txn_ids();
        let txn_topic = (!txn_ids.is_empty()).then(|| {
            topics.push(crate::kafka::txn::state_topic(spec));
            topics.len() as u16 - 1
        });
        Cluster {
            topics,
            groups,
            offsets_topic,
            txn_ids,
            txn_topic,
            retention_check_interval: spec.log_retention_check_interval,
            cleaner_backoff: spec.log_cleaner_backoff,
            zk: NodeId(first_node),
            zks: (0..spec.coordinators()).map(|i| NodeId(first_node + i)).collect(),
            brokers: (1..=spec.brokers).map(|b| NodeId(first_node + spec.separate_metadata_nodes() + b - 1)).collect(),
            session_timeout: spec.session_timeout(),
            kraft: spec.kraft().then(|| KraftCluster {
                // The controller nodes, then the brokers that run a controller too (`kraft::roles`).
                controllers: (0..spec.separate_metadata_nodes())
                    .map(|i| NodeId(first_node + i))
                    .chain(
                        spec.combined_brokers()
                            .into_iter()
                            .map(|b| NodeId(first_node + spec.separate_metadata_nodes() + b - 1)),
                    )
                    .collect(),
                settings: spec.kraft_settings(),
            }),
            replica_lag_time_max: spec.replica_lag_time_max,
            unclean_leader_election: spec.unclean_leader_election,
            leader_rebalance: spec.leader_rebalance(),
            resources: spec.resources.clone(),
            racks: super::rack::Racks::new(spec),
        }
    }

    pub fn broker_node(&self, b: BrokerId) -> Option<NodeId> {
        self.brokers.get((b as usize).wrapping_sub(1)).copied()
    }

    pub fn broker_of(&self, node: NodeId) -> Option<BrokerId> {
        self.brokers.iter().position(|&n| n == node).map(|i| i as BrokerId + 1)
    }

    pub fn all_tps(&self) -> Vec<Tp> {
        self.topics
            .iter()
            .enumerate()
            .flat_map(|(t, topic)| (0..topic.partitions).map(move |p| Tp { topic: t as u16, partition: p }))
            .collect()
    }

    pub fn replica_config(&self, tp: Tp) -> Config {
        Config {
            min_insync_replicas: self.topics[tp.topic as usize].min_insync_replicas,
            replica_lag_time_max: self.replica_lag_time_max,
            log: self.topics[tp.topic as usize].log,
        }
    }

    /// The `__consumer_offsets` partition holding a group's commits.
    pub fn offsets_tp(&self, group: u8) -> Option<Tp> {
        let g = self.groups.get(group as usize)?;
        Some(Tp { topic: self.offsets_topic?, partition: g.offsets_partition })
    }

    /// The `__transaction_state` partition whose leader coordinates transactional id `txn`.
    pub fn txn_tp(&self, txn: u8) -> Option<Tp> {
        let id = self.txn_ids.get(txn as usize)?;
        let topic = self.txn_topic?;
        let partitions = self.topics[topic as usize].partitions as u32;
        Some(Tp { topic, partition: crate::kafka::txn::state_partition_for(id, partitions) })
    }

    /// `__consumer_offsets` or `__transaction_state`: the brokers' own topics.
    pub fn is_internal(&self, topic: u16) -> bool {
        Some(topic) == self.offsets_topic || Some(topic) == self.txn_topic
    }

    pub fn tp_name(&self, tp: Tp) -> String {
        format!("{}-{}", self.topics[tp.topic as usize].name, tp.partition)
    }

    /// The znode holding a partition's state.
    pub fn state_path(&self, tp: Tp) -> String {
        format!("/brokers/topics/{}/partitions/{}/state", self.topics[tp.topic as usize].name, tp.partition)
    }
}

/// A partition's state as stored in its znode: `leader=2;epoch=3;version=4;isr=1,2;replicas=1,2,3`
/// (`version`: the partition epoch, which in Kafka is the znode's own version).
pub fn encode_state(v: &PartitionView) -> String {
    let list = |l: &[BrokerId]| l.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(",");
    format!(
        "leader={};epoch={};version={};isr={};replicas={}",
        v.leader.map_or("-1".to_string(), |l| l.to_string()),
        v.leader_epoch,
        v.partition_epoch,
        list(&v.isr),
        list(&v.replicas)
    )
}

pub fn decode_state(tp: Tp, text: &str) -> Option<PartitionView> {
    let mut v = PartitionView { tp, leader: None, leader_epoch: 0, partition_epoch: 0, isr: vec![], replicas: vec![] };
    let list = |s: &str| -> Option<Vec<BrokerId>> {
        if s.is_empty() {
            Some(vec![])
        } else {
            s.split(',').map(|b| b.parse().ok()).collect()
        }
    };
    for field in text.split(';') {
        let (k, val) = field.split_once('=')?;
        match k {
            "leader" => v.leader = val.parse::<i64>().ok().filter(|&l| l >= 0).map(|l| l as BrokerId),
            "epoch" => v.leader_epoch = val.parse().ok()?,
            "version" => v.partition_epoch = val.parse().ok()?,
            "isr" => v.isr = list(val)?,
            "replicas" => v.replicas = list(val)?,
            _ => return None,
        }
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_placed_as_kafka_places_them() {
        // "hello".hashCode() = 99162322 in Java; Integer.MIN_VALUE maps to partition 0.
        assert_eq!(java_hash("hello"), 99162322);
        assert_eq!(offsets_partition_for("hello", 50), (99162322 % 50) as u16);
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
        assert_eq!(offsets_partition_for("polygenelubricants", 50), 0);
        // Negative hashes use their absolute value.
        let h = java_hash("zzzzzzzzzz");
        assert!(h < 0);
        assert_eq!(offsets_partition_for("zzzzzzzzzz", 50) as i64, (h as i64).abs() % 50);
    }

    #[test]
    fn partition_state_round_trips() {
        let tp = Tp { topic: 0, partition: 3 };
        for v in [
            PartitionView {
                tp,
                leader: Some(2),
                leader_epoch: 7,
                partition_epoch: 9,
                isr: vec![2, 3],
                replicas: vec![1, 2, 3],
            },
            PartitionView { tp, leader: None, leader_epoch: 1, partition_epoch: 1, isr: vec![], replicas: vec![1] },
        ] {
            assert_eq!(decode_state(tp, &encode_state(&v)), Some(v));
        }
        assert_eq!(decode_state(tp, "garbage"), None);
    }
}
