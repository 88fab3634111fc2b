//! What every Kafka node of a simulation shares: the topics, the node of each broker and of the
//! coordinator, and the cluster settings. Built once from the scenario; nodes hold an `Rc` of it.

use super::config::KafkaSpec;
use super::msg::{PartitionView, Tp};
use super::partition::{BrokerId, Config};
use crate::engine::time::Time;
use crate::engine::NodeId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    pub name: String,
    pub partitions: u16,
    pub replication_factor: u32,
    pub min_insync_replicas: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub topics: Vec<Topic>,
    pub zk: NodeId,
    /// `brokers[i]` is the node of broker id `i + 1`.
    pub brokers: Vec<NodeId>,
    pub session_timeout: Time,
    pub replica_lag_time_max: Time,
    pub unclean_leader_election: bool,
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
        Cluster {
            topics: spec
                .topics
                .iter()
                .map(|t| Topic {
                    name: t.name.clone(),
                    partitions: t.partitions as u16,
                    replication_factor: t.replication_factor,
                    min_insync_replicas: t.min_insync_replicas,
                })
                .collect(),
            zk: NodeId(first_node),
            brokers: (1..=spec.brokers).map(|b| NodeId(first_node + b)).collect(),
            session_timeout: spec.session_timeout,
            replica_lag_time_max: spec.replica_lag_time_max,
            unclean_leader_election: spec.unclean_leader_election,
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
        }
    }

    pub fn tp_name(&self, tp: Tp) -> String {
        format!("{}-{}", self.topics[tp.topic as usize].name, tp.partition)
    }

    /// The znode holding a partition's state.
    pub fn state_path(&self, tp: Tp) -> String {
        format!("/brokers/topics/{}/partitions/{}/state", self.topics[tp.topic as usize].name, tp.partition)
    }
}

/// A partition's state as stored in its znode: `leader=2;epoch=3;isr=1,2;replicas=1,2,3`.
pub fn encode_state(v: &PartitionView) -> String {
    let list = |l: &[BrokerId]| l.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(",");
    format!(
        "leader={};epoch={};isr={};replicas={}",
        v.leader.map_or("-1".to_string(), |l| l.to_string()),
        v.leader_epoch,
        list(&v.isr),
        list(&v.replicas)
    )
}

pub fn decode_state(tp: Tp, text: &str) -> Option<PartitionView> {
    let mut v = PartitionView { tp, leader: None, leader_epoch: 0, isr: vec![], replicas: vec![] };
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
    fn partition_state_round_trips() {
        let tp = Tp { topic: 0, partition: 3 };
        for v in [
            PartitionView { tp, leader: Some(2), leader_epoch: 7, isr: vec![2, 3], replicas: vec![1, 2, 3] },
            PartitionView { tp, leader: None, leader_epoch: 1, isr: vec![], replicas: vec![1] },
        ] {
            assert_eq!(decode_state(tp, &encode_state(&v)), Some(v));
        }
        assert_eq!(decode_state(tp, "garbage"), None);
    }
}
