//! The `kafka` section of a scenario: a cluster (one coordinator node, N brokers), its topics,
//! producers and consumers, with Kafka's defaults. Validated with messages that name the field.

use super::partition::Acks;
use crate::engine::time::Time;
use serde::{Deserialize, Serialize};

pub const MAX_BROKERS: u32 = 9;
pub const MAX_PARTITIONS: u32 = 64;
/// Partitions over all topics: beyond this a browser frame could not hold one controller step.
pub const MAX_TOTAL_PARTITIONS: u32 = 256;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSpec {
    /// Brokers `b1`…`bN` (ids 1…N).
    pub brokers: u32,
    /// `zookeeper.session.timeout.ms` (Kafka's default 18 s).
    #[serde(default = "default_session_timeout")]
    pub session_timeout: Time,
    /// `replica.lag.time.max.ms` (default 30 s).
    #[serde(default = "default_lag")]
    pub replica_lag_time_max: Time,
    /// `unclean.leader.election.enable` (default false).
    #[serde(default)]
    pub unclean_leader_election: bool,
    pub topics: Vec<TopicSpec>,
    #[serde(default)]
    pub producers: Vec<ProducerSpec>,
    #[serde(default)]
    pub consumers: Vec<ConsumerSpec>,
}

fn default_session_timeout() -> Time {
    Time::secs(18)
}
fn default_lag() -> Time {
    Time::secs(30)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u32,
    /// `min.insync.replicas` (default 1).
    #[serde(default = "one")]
    pub min_insync_replicas: u32,
}

fn one() -> u32 {
    1
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AcksSpec {
    #[serde(rename = "0")]
    Zero,
    #[serde(rename = "1")]
    One,
    #[serde(rename = "all")]
    All,
}

impl From<AcksSpec> for Acks {
    fn from(a: AcksSpec) -> Acks {
        match a {
            AcksSpec::Zero => Acks::None,
            AcksSpec::One => Acks::Leader,
            AcksSpec::All => Acks::All,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducerSpec {
    pub id: String,
    pub topic: String,
    /// One record every `interval`.
    pub interval: Time,
    /// `acks` (default "all", Kafka's default since 3.0).
    #[serde(default = "acks_all")]
    pub acks: AcksSpec,
    /// Keys `key-0` … `key-(keys-1)` in turn (default 8).
    #[serde(default = "eight")]
    pub keys: u32,
    /// Records to send (default: forever).
    #[serde(default)]
    pub count: Option<u64>,
}

fn acks_all() -> AcksSpec {
    AcksSpec::All
}
fn eight() -> u32 {
    8
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerSpec {
    pub id: String,
    pub topic: String,
}

impl KafkaSpec {
    /// The node names this section adds, in order: `zk`, brokers, producers, consumers.
    pub fn node_names(&self) -> Vec<String> {
        let mut names = vec!["zk".to_string()];
        names.extend((1..=self.brokers).map(|b| format!("b{b}")));
        names.extend(self.producers.iter().map(|p| p.id.clone()));
        names.extend(self.consumers.iter().map(|c| c.id.clone()));
        names
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.brokers == 0 || self.brokers > MAX_BROKERS {
            return Err(format!("kafka.brokers: must be from 1 to {MAX_BROKERS}"));
        }
        if self.session_timeout < Time::ms(10) {
            return Err("kafka.session_timeout: at least 10ms".into());
        }
        if self.replica_lag_time_max < Time::ms(10) {
            return Err("kafka.replica_lag_time_max: at least 10ms".into());
        }
        if self.topics.is_empty() {
            return Err("kafka.topics: a cluster needs at least one topic".into());
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, t) in self.topics.iter().enumerate() {
            let f = |field: &str| format!("kafka.topics[{i}].{field}");
            if t.name.is_empty()
                || t.name.len() > 40
                || !t.name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                return Err(format!("{}: 1 to 40 letters, digits, '.', '_' or '-'", f("name")));
            }
            if !names.insert(t.name.as_str()) {
                return Err(format!("{}: topic \"{}\" is defined twice", f("name"), t.name));
            }
            if t.partitions == 0 || t.partitions > MAX_PARTITIONS {
                return Err(format!("{}: must be from 1 to {MAX_PARTITIONS}", f("partitions")));
            }
            if t.replication_factor == 0 || t.replication_factor > self.brokers {
                return Err(format!(
                    "{}: must be from 1 to the number of brokers ({})",
                    f("replication_factor"),
                    self.brokers
                ));
            }
            if t.min_insync_replicas == 0 || t.min_insync_replicas > t.replication_factor {
                return Err(format!(
                    "{}: must be from 1 to the replication factor ({})",
                    f("min_insync_replicas"),
                    t.replication_factor
                ));
            }
        }
        let total: u32 = self.topics.iter().map(|t| t.partitions).sum();
        if total > MAX_TOTAL_PARTITIONS {
            return Err(format!(
                "kafka.topics: {total} partitions in all is more than the limit of {MAX_TOTAL_PARTITIONS}"
            ));
        }
        for (i, p) in self.producers.iter().enumerate() {
            if !names.contains(p.topic.as_str()) {
                return Err(format!("kafka.producers[{i}].topic: no topic \"{}\"", p.topic));
            }
            if p.interval < Time(1) {
                return Err(format!("kafka.producers[{i}].interval: at least 1us"));
            }
            if p.keys == 0 || p.keys > 10_000 {
                return Err(format!("kafka.producers[{i}].keys: must be from 1 to 10000"));
            }
            if p.count == Some(0) {
                return Err(format!("kafka.producers[{i}].count: at least 1 (leave it out to produce forever)"));
            }
        }
        for (i, c) in self.consumers.iter().enumerate() {
            if !names.contains(c.topic.as_str()) {
                return Err(format!("kafka.consumers[{i}].topic: no topic \"{}\"", c.topic));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Scenario;

    fn err(kafka: &str) -> String {
        Scenario::from_json(&format!(r#"{{"name":"k","kafka":{kafka}}}"#)).expect_err("should be rejected")
    }

    #[test]
    fn bad_kafka_settings_name_the_field() {
        let topic = |rf: u32, min: u32, parts: u32| {
            format!(
                r#"{{"brokers":3,"topics":[{{"name":"t","partitions":{parts},"replication_factor":{rf},"min_insync_replicas":{min}}}]}}"#
            )
        };
        assert!(err(&topic(4, 1, 3))
            .contains("kafka.topics[0].replication_factor: must be from 1 to the number of brokers (3)"));
        assert!(err(&topic(3, 4, 3)).contains("kafka.topics[0].min_insync_replicas"));
        assert!(err(&topic(3, 2, 0)).contains("kafka.topics[0].partitions"));
        assert!(err(&topic(3, 2, -1i32 as u32)).contains("kafka.topics[0].partitions"));
        assert!(err(r#"{"brokers":0,"topics":[]}"#).contains("kafka.brokers"));
        assert!(err(r#"{"brokers":3,"topics":[{"name":"t","partitions":1,"replication_factor":1}],"producers":[{"id":"p","topic":"nope","interval":"1ms"}]}"#)
            .contains("kafka.producers[0].topic: no topic \"nope\""));
        assert!(err(r#"{"brokers":3,"topics":[{"name":"t","partitions":1,"replication_factor":1}],"producers":[{"id":"p","topic":"t","interval":"1ms","acks":"2"}]}"#)
            .contains("kafka.producers[0].acks"));
        assert!(err(r#"{"brokers":3,"assignor":"x","topics":[]}"#).contains("unknown field `assignor`"));
        let many: Vec<String> =
            (0..5).map(|i| format!(r#"{{"name":"t{i}","partitions":64,"replication_factor":1}}"#)).collect();
        assert!(
            err(&format!(r#"{{"brokers":1,"topics":[{}]}}"#, many.join(","))).contains("more than the limit of 256")
        );
        assert!(err(r#"{"brokers":3,"topics":[{"name":"t","partitions":1,"replication_factor":1}],"consumers":[{"id":"b1","topic":"t"}]}"#)
            .contains("\"b1\" is used twice"));
    }
}
