//! Retention and compaction on whole segments: old segments go (by time and by size), the active one
//! too once it has expired and is replicated; a follower back after retention starts again at the
//! leader's log start; a consumer whose position was deleted gets OFFSET_OUT_OF_RANGE and starts again where
//! `auto.offset.reset` says; a compacted topic keeps the latest record of each key, and refuses
//! records without a key.

use brokerlab::engine::kafka::msg::err_name as partition_error_name;
use brokerlab::engine::kafka::msg::{KafkaEvent, PositionFrom};
use brokerlab::engine::kafka::node::KafkaNode;
use brokerlab::engine::models::Node;
use brokerlab::engine::{Event, EventKind, ModelEvents, Scenario, Simulation};
use std::collections::BTreeMap;

fn run(json: &str, seed: u64) -> (Simulation, Vec<Event>) {
    let s = Scenario::from_json(json).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(&s, seed).unwrap();
    sim.run_until(s.until);
    let events = sim.drain_events().collect();
    (sim, events)
}

fn kafka(events: &[Event]) -> impl Iterator<Item = KafkaEvent> + '_ {
    events.iter().filter_map(|e| match e.kind {
        EventKind::Model(ModelEvents::Kafka(k)) => Some(k),
        _ => None,
    })
}

fn cluster(topic: &str, producer: &str, consumers: &str, faults: &str, until: &str) -> String {
    format!(
        r#"{{"name":"r","until":"{until}","kafka":{{"brokers":3,"log_retention_check_interval":"1s",
            "log_cleaner_backoff":"1s","offsets_topic_partitions":1,"group_initial_rebalance_delay":"0ms",
            "group_min_session_timeout":"1s",
            "topics":[{{"name":"t","partitions":1,"replication_factor":3,"min_insync_replicas":2,{topic}}}],
            "producers":[{{"id":"p","topic":"t","interval":"10ms",{producer}}}],
            "groups":[{{"id":"g","auto_offset_reset":"earliest","session_timeout":"2s","heartbeat_interval":"500ms",
                        "auto_commit_interval":"500ms"}}],
            "consumers":[{consumers}]}},"faults":[{faults}]}}"#
    )
}

#[test]
fn time_retention_deletes_old_segments_and_a_late_reader_is_reset() {
    // 100 records/s of 100 bytes, 2 KB segments (20 records), 2 s retention.
    let json = cluster(
        r#""retention":"2s","segment_bytes":2000"#,
        r#""linger":"0ms","keys":4"#,
        r#"{"id":"c","topic":"t","group":"g"}"#,
        r#"{"at":"1s","action":"stop","node":"c"},{"at":"8s","action":"start","node":"c"}"#,
        "10s",
    );
    let (sim, events) = run(&json, 1);
    for b in ["b1", "b2", "b3"] {
        let id = sim.world().node_by_name(b).unwrap();
        let Node::Kafka(KafkaNode::Broker(broker)) = &sim.world().nodes[id.index()].node else { panic!() };
        let r = broker.replicas.values().find(|r| r.log.leo() > 900).expect("the topic's replica");
        let start = r.log.log_start();
        // About 2-3 s of records are kept: retention plus the active segment plus a check interval.
        assert!((600..=800).contains(&start), "{b}: log start {start}");
        assert_eq!(start % 20, 0, "{b}: whole segments only");
    }
    assert!(kafka(&events).any(|k| matches!(k, KafkaEvent::SegmentsDeleted { .. })));
    // c committed around offset 100 before it stopped; at 8 s that is long deleted.
    let resets: Vec<u64> = kafka(&events)
        .filter_map(|k| match k {
            KafkaEvent::PositionSet { from: PositionFrom::OutOfRange, offset, .. } => Some(offset),
            _ => None,
        })
        .collect();
    assert_eq!(resets.len(), 1, "one OFFSET_OUT_OF_RANGE reset");
    assert!(resets[0] >= 500, "reset to the log start (earliest): {}", resets[0]);
}

#[test]
fn size_retention_keeps_about_retention_bytes() {
    let json = cluster(
        r#""retention":null,"retention_bytes":10000,"segment_bytes":2000"#,
        r#""linger":"0ms""#,
        r#"{"id":"c","topic":"t"}"#,
        "",
        "6s",
    );
    let (sim, _) = run(&json, 2);
    let id = sim.world().node_by_name("b1").unwrap();
    let Node::Kafka(KafkaNode::Broker(broker)) = &sim.world().nodes[id.index()].node else { panic!() };
    let r = broker.replicas.values().find(|r| r.log.leo() > 500).unwrap();
    let bytes = r.log.bytes();
    assert!((10_000..12_000).contains(&bytes), "between retention.bytes and one segment more: {bytes}");
}

#[test]
fn compaction_keeps_the_latest_value_of_each_key() {
    let json = cluster(
        r#""cleanup_policy":"compact","segment_bytes":2000"#,
        r#""linger":"0ms","keys":5,"count":550"#,
        r#"{"id":"late","topic":"t","group":"g","stopped":true}"#,
        r#"{"at":"5s","action":"start","node":"late"}"#,
        "7s",
    );
    let (sim, events) = run(&json, 3);
    assert!(kafka(&events).any(|k| matches!(k, KafkaEvent::Compacted { removed, .. } if removed > 0)));
    let id = sim.world().node_by_name("b2").unwrap();
    let Node::Kafka(KafkaNode::Broker(broker)) = &sim.world().nodes[id.index()].node else { panic!() };
    let r = broker.replicas.values().find(|r| r.log.leo() > 500).unwrap();
    let active = r.log.segments().back().unwrap().base;
    let mut seen = BTreeMap::new();
    for rec in r.log.records().filter(|x| x.offset < active.min(r.log.hw())) {
        assert!(seen.insert(rec.key, rec.offset).is_none(), "one record per key below the active segment");
    }
    // The late reader, from the beginning, ends with each key's last value.
    let mut last_value: BTreeMap<u64, u64> = BTreeMap::new();
    let mut acked: BTreeMap<u64, u64> = BTreeMap::new();
    for k in kafka(&events) {
        match k {
            KafkaEvent::Consumed { value, .. } => {
                last_value.insert(value % 5, value);
            }
            KafkaEvent::ProduceAcked { seq, .. } => {
                acked.insert(seq % 5, seq);
            }
            _ => {}
        }
    }
    assert_eq!(last_value, acked, "the late reader ends with every key's last value");
    let read: usize = kafka(&events).filter(|k| matches!(k, KafkaEvent::Consumed { .. })).count();
    assert!(read < 100, "compaction saved the late reader most of the 550 records: read {read}");
}

#[test]
fn a_compacted_topic_refuses_records_without_a_key() {
    let json = cluster(r#""cleanup_policy":"compact""#, r#""keys":0,"count":3"#, r#"{"id":"c","topic":"t"}"#, "", "1s");
    let (_, events) = run(&json, 4);
    let errors: Vec<&str> = kafka(&events)
        .filter_map(|k| match k {
            KafkaEvent::ProduceFailed { error, .. } => Some(partition_error_name(error)),
            _ => None,
        })
        .collect();
    assert_eq!(errors, ["INVALID_RECORD"; 3], "refused, and not retried");
    assert!(!kafka(&events).any(|k| matches!(k, KafkaEvent::ProduceAcked { .. })));
}

/// An idle topic does not keep its records for ever: once the active segment's newest record is
/// older than `retention.ms` (and the HW has passed it), Kafka rolls a new, empty segment and
/// deletes the old one (`UnifiedLog.deleteSegments` rolls when every segment is deletable). The
/// log starts again at its end, and a new record continues the offsets.
#[test]
fn time_retention_empties_an_idle_topic() {
    let json = cluster(
        r#""retention":"2s""#,
        r#""linger":"0ms","count":50"#,
        r#"{"id":"c","topic":"t","group":"g"}"#,
        "",
        "6s",
    );
    let (sim, _) = run(&json, 1);
    for b in ["b1", "b2", "b3"] {
        let id = sim.world().node_by_name(b).unwrap();
        let Node::Kafka(KafkaNode::Broker(broker)) = &sim.world().nodes[id.index()].node else { panic!() };
        let r = broker.replicas.values().find(|r| r.log.leo() == 50).expect("the topic's replica");
        assert_eq!(r.log.log_start(), 50, "{b}: every record is past retention");
        assert_eq!(r.log.records().count(), 0, "{b}");
        assert_eq!(r.log.segments().len(), 1, "{b}: one empty active segment");
    }
}

/// A follower that comes back after retention deleted past its log end is answered
/// OFFSET_OUT_OF_RANGE and starts again at the leader's log start, fetching at the long-poll
/// rate; before, it and its leader looped (over 100 000 fetches a minute).
#[test]
fn a_follower_back_after_retention_catches_up_without_looping() {
    let json = cluster(
        r#""retention":"5s","segment_ms":"1s""#,
        r#""linger":"0ms""#,
        "",
        r#"{"at":"2s","action":"stop","node":"b3"},{"at":"30s","action":"start","node":"b3"}"#,
        "60s",
    );
    let (sim, events) = run(&json, 1);
    let b3 = sim.world().node_by_name("b3").unwrap();
    let fetches = events
        .iter()
        .filter(|e| e.at >= brokerlab::engine::Time::secs(30))
        .filter(|e| matches!(e.kind, EventKind::Sent { from, .. } if from == b3))
        .count();
    assert!(fetches < 10_000, "b3 sent {fetches} messages in 30 s");
    assert!(kafka(&events).any(|k| matches!(k, KafkaEvent::FetchOutOfRange { broker: 3, .. })));
    let logs: Vec<(u64, u64)> = ["b1", "b2", "b3"]
        .iter()
        .map(|b| {
            let id = sim.world().node_by_name(b).unwrap();
            let Node::Kafka(KafkaNode::Broker(broker)) = &sim.world().nodes[id.index()].node else { panic!() };
            let r = broker.replicas.values().find(|r| r.log.leo() > 100).expect("the topic's replica");
            (r.log.leo(), r.log.hw())
        })
        .collect();
    assert!(logs[2].0 + 20 >= logs[0].0.max(logs[1].0), "b3 caught up: {logs:?}");
}
