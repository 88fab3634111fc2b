//! The scenario's choice of metadata mode and KRaft's settings, with Kafka's defaults, and the
//! check that a scenario uses only its own mode's settings.

use crate::kafka::config::KafkaSpec;
use crate::time::Time;
use serde::{Deserialize, Serialize};

/// Where a cluster keeps its metadata.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetadataMode {
    /// ZooKeeper (or an ensemble of them) and a controller elected among the brokers.
    #[default]
    Zookeeper,
    /// A quorum of controllers replicating `__cluster_metadata` with KRaft's Raft (Kafka 4).
    Kraft,
}

impl MetadataMode {
    pub fn is_zookeeper(&self) -> bool {
        *self == MetadataMode::Zookeeper
    }
}

/// KRaft's settings, with Kafka's defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KraftSettings {
    pub controllers: u32,
    /// `broker.heartbeat.interval.ms` (2 s).
    pub heartbeat_interval: Time,
    /// `broker.session.timeout.ms` (9 s).
    pub session_timeout: Time,
    /// `controller.quorum.election.timeout.ms` (1 s): a candidate waits a random time from this
    /// to twice this before it stands again (`RaftUtil`'s `randomElectionTimeoutMs`).
    pub election_timeout: Time,
    /// `controller.quorum.fetch.timeout.ms` (2 s): a follower that has not fetched from its leader
    /// for this long stands for election; a leader not fetched from by a majority for 1.5× this
    /// resigns (the check-quorum of `LeaderState`).
    pub fetch_timeout: Time,
}

/// The fields of each mode, as the user writes them, and whether the scenario set them.
fn zookeeper_fields(k: &KafkaSpec) -> [(&'static str, bool); 3] {
    [
        ("coordinators", k.coordinators_given.is_some()),
        ("session_timeout", k.session_timeout_given.is_some()),
        ("leader_imbalance_per_broker_percentage", k.leader_imbalance_per_broker_percentage.is_some()),
    ]
}

fn kraft_fields(k: &KafkaSpec) -> [(&'static str, bool); 6] {
    [
        ("controllers", k.controllers.is_some()),
        ("combined", !k.combined.is_off()),
        ("broker_heartbeat_interval", k.broker_heartbeat_interval.is_some()),
        ("broker_session_timeout", k.broker_session_timeout.is_some()),
        ("controller_quorum_election_timeout", k.controller_quorum_election_timeout.is_some()),
        ("controller_quorum_fetch_timeout", k.controller_quorum_fetch_timeout.is_some()),
    ]
}

impl KafkaSpec {
    pub fn kraft_settings(&self) -> KraftSettings {
        KraftSettings {
            controllers: self.controllers.unwrap_or(3),
            heartbeat_interval: self.broker_heartbeat_interval.unwrap_or(Time::secs(2)),
            session_timeout: self.broker_session_timeout.unwrap_or(Time::secs(9)),
            election_timeout: self.controller_quorum_election_timeout.unwrap_or(Time::secs(1)),
            fetch_timeout: self.controller_quorum_fetch_timeout.unwrap_or(Time::secs(2)),
        }
    }

    /// Each mode's settings only in that mode, and KRaft's within their ranges.
    pub(crate) fn validate_metadata_mode(&self) -> Result<(), String> {
        if !self.kraft() {
            if let Some((field, _)) = kraft_fields(self).into_iter().find(|(_, set)| *set) {
                return Err(format!(
                    "kafka.{field}: a KRaft setting, but this cluster keeps its metadata in ZooKeeper \
                     (add \"metadata\": \"kraft\" to use KRaft, or remove {field})"
                ));
            }
            return Ok(());
        }
        if let Some((field, _)) = zookeeper_fields(self).into_iter().find(|(_, set)| *set) {
            let instead = match field {
                "coordinators" => "the controller quorum is kafka.controllers",
                "leader_imbalance_per_broker_percentage" => {
                    "KRaft's controller has no per-broker threshold: it moves a partition back to its preferred \
                     replica (if that replica is unfenced and in sync) kafka.leader_imbalance_check_interval \
                     after an event left it elsewhere"
                }
                _ => "brokers heartbeat the controllers instead: kafka.broker_session_timeout",
            };
            return Err(format!(
                "kafka.{field}: a ZooKeeper setting, but this cluster runs in KRaft mode (\"metadata\": \"kraft\"): \
                 {instead}"
            ));
        }
        let s = self.kraft_settings();
        if ![1, 3, 5].contains(&s.controllers) {
            return Err(format!(
                "kafka.controllers: must be 1, 3 or 5 (a Raft quorum needs an odd number of voters), not {}",
                s.controllers
            ));
        }
        self.validate_combined()?;
        if s.heartbeat_interval < Time::ms(10) || s.heartbeat_interval >= s.session_timeout {
            return Err("kafka.broker_heartbeat_interval: at least 10ms and below broker_session_timeout".into());
        }
        if s.election_timeout < Time::ms(10) || s.fetch_timeout < Time::ms(10) {
            return Err(
                "kafka.controller_quorum_election_timeout and controller_quorum_fetch_timeout: at least 10ms".into()
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::Scenario;

    fn err(kafka: &str) -> String {
        let json = format!(
            r#"{{"name":"k","kafka":{{"brokers":3,{kafka}"topics":[{{"name":"t","partitions":1,"replication_factor":3}}]}}}}"#
        );
        Scenario::from_json(&json).expect_err("should be rejected")
    }

    #[test]
    fn each_mode_refuses_the_other_modes_settings_by_name() {
        let e = err(r#""metadata":"kraft","coordinators":3,"#);
        assert!(e.starts_with("kafka.coordinators: a ZooKeeper setting"), "{e}");
        assert!(e.contains("kafka.controllers"), "{e}");
        let e = err(r#""metadata":"kraft","session_timeout":"6s","#);
        assert!(e.starts_with("kafka.session_timeout: a ZooKeeper setting"), "{e}");
        let e = err(r#""metadata":"kraft","leader_imbalance_per_broker_percentage":20,"#);
        assert!(e.starts_with("kafka.leader_imbalance_per_broker_percentage: a ZooKeeper setting"), "{e}");
        assert!(e.contains("kafka.leader_imbalance_check_interval"), "{e}");
        // Preferred leader election itself is KRaft's too.
        let json = r#"{"name":"k","kafka":{"brokers":3,"metadata":"kraft","auto_leader_rebalance_enable":true,
            "leader_imbalance_check_interval":"30s","topics":[{"name":"t","partitions":1,"replication_factor":3}]}}"#;
        assert!(Scenario::from_json(json).is_ok());
        let e = err(r#""controllers":3,"#);
        assert!(e.starts_with("kafka.controllers: a KRaft setting"), "{e}");
        assert!(e.contains("\"metadata\": \"kraft\""), "{e}");
        let e = err(r#""metadata":"zookeeper","broker_session_timeout":"9s","#);
        assert!(e.starts_with("kafka.broker_session_timeout: a KRaft setting"), "{e}");
    }

    #[test]
    fn combined_mode_is_kraft_only_and_needs_a_broker_per_controller() {
        let e = err(r#""combined":true,"#);
        assert!(e.starts_with("kafka.combined: a KRaft setting"), "{e}");
        let e = err(r#""metadata":"kraft","controllers":5,"combined":true,"#);
        assert!(e.starts_with("kafka.combined: the 5 controllers run in brokers b1…b5"), "{e}");
        assert!(e.contains("the cluster has 3 brokers"), "{e}");
        let e = err(r#""metadata":"kraft","controllers":2,"combined":true,"#);
        assert!(e.starts_with("kafka.controllers: must be 1, 3 or 5"), "{e}");
        let json = r#"{"name":"k","kafka":{"brokers":3,"metadata":"kraft","controllers":3,"combined":true,
            "topics":[{"name":"t","partitions":1,"replication_factor":3}]}}"#;
        let s = Scenario::from_json(json).unwrap();
        assert_eq!(s.node_names(), ["b1", "b2", "b3"], "the controllers are in the brokers");
        let k = s.kafka.as_ref().unwrap();
        assert_eq!((k.metadata_nodes(), k.separate_metadata_nodes()), (3, 0));
    }

    #[test]
    fn a_quorum_has_1_3_or_5_controllers() {
        for n in [0, 2, 4, 7] {
            let e = err(&format!(r#""metadata":"kraft","controllers":{n},"#));
            assert!(e.starts_with("kafka.controllers: must be 1, 3 or 5"), "{e}");
        }
        let e = err(r#""metadata":"raft","#);
        assert!(e.contains("metadata"), "{e}");
        for n in [1, 3, 5] {
            let json = format!(
                r#"{{"name":"k","kafka":{{"brokers":3,"metadata":"kraft","controllers":{n},"topics":[{{"name":"t","partitions":1,"replication_factor":3}}]}}}}"#
            );
            let s = Scenario::from_json(&json).unwrap();
            let names = s.node_names();
            assert_eq!(names.iter().filter(|n| n.starts_with("ctl")).count(), n as usize);
        }
    }
}
