//! Kafka transactions end to end (KIP-98): a transactional producer commits a transaction every
//! `transaction_records` records; a read_committed consumer sees exactly the committed records,
//! once each, and never a record of an aborted transaction, while a read_uncommitted one sees those
//! too. A second instance of the same transactional id fences the first; a producer crash leaves a
//! transaction open that the restarted instance aborts; a coordinator crash does not stop the
//! transactions, its successor finishing them from the replicated `__transaction_state`.

use brokerlab::engine::kafka::msg::KafkaEvent;
use brokerlab::engine::kafka::txn::event::TxnEvent;
use brokerlab::engine::{EventKind, ModelEvents, Scenario, Simulation, Time};
use std::collections::{BTreeMap, BTreeSet};

fn scenario(producers: &str, faults: &str, until: &str) -> Scenario {
    scenario_in("", producers, faults, until)
}

/// With `mode` added to the `kafka` section (e.g. KRaft's settings).
fn scenario_in(mode: &str, producers: &str, faults: &str, until: &str) -> Scenario {
    let json = format!(
        r#"{{"name":"txn","until":"{until}","network":{{"latency":"250us"}},
            "kafka":{{{mode}"brokers":3,"transaction_state_partitions":3,
            "topics":[{{"name":"t","partitions":3,"replication_factor":3,"min_insync_replicas":2}}],
            "producers":[{producers}],
            "consumers":[{{"id":"committed","topic":"t","isolation_level":"read_committed"}},
                         {{"id":"uncommitted","topic":"t"}}]}},
            "faults":[{faults}]}}"#
    );
    Scenario::from_json(&json).unwrap_or_else(|e| panic!("{e}"))
}

const ONE: &str =
    r#"{"id":"p","topic":"t","interval":"5ms","count":300,"transactional_id":"tx","transaction_records":10}"#;

/// What a run shows: the values each consumer read, and the producers' transactions.
#[derive(Default, Debug)]
struct Seen {
    read: BTreeMap<String, Vec<(u16, u64)>>,
    committed: Vec<(String, u64, u64)>,
    aborted: Vec<(String, u64, u64)>,
    fenced: Vec<(String, Time)>,
    markers: usize,
    /// Appends of the producer's records after it was fenced, by node name.
    events: Vec<(Time, String)>,
}

fn run(s: &Scenario, seed: u64) -> Seen {
    let mut sim = Simulation::new(s, seed).unwrap();
    sim.run_until(s.until);
    let events: Vec<_> = sim.drain_events().collect();
    let world = sim.world();
    let mut seen = Seen::default();
    for e in events {
        let EventKind::Model(ModelEvents::Kafka(k)) = e.kind else { continue };
        match k {
            KafkaEvent::Consumed { consumer, tp, value, .. } => {
                seen.read.entry(world.node_name(consumer).to_string()).or_default().push((tp.partition, value));
            }
            KafkaEvent::Txn(TxnEvent::Ended { producer, commit, first, end, .. }) => {
                let who = world.node_name(producer).to_string();
                if commit { &mut seen.committed } else { &mut seen.aborted }.push((who, first, end));
            }
            KafkaEvent::Txn(TxnEvent::Fenced { producer, .. }) => {
                seen.fenced.push((world.node_name(producer).to_string(), e.at));
            }
            KafkaEvent::Txn(TxnEvent::Marker { .. }) => seen.markers += 1,
            KafkaEvent::Txn(t) => seen.events.push((e.at, format!("{t:?}"))),
            _ => {}
        }
    }
    seen
}

fn values(seen: &Seen, consumer: &str) -> Vec<u64> {
    seen.read.get(consumer).map(|r| r.iter().map(|&(_, v)| v).collect()).unwrap_or_default()
}

fn committed_values(seen: &Seen, producer: &str) -> BTreeSet<u64> {
    seen.committed.iter().filter(|(p, _, _)| p == producer).flat_map(|&(_, a, b)| a..b).collect()
}

fn assert_once(values: &[u64]) {
    let set: BTreeSet<u64> = values.iter().copied().collect();
    assert_eq!(set.len(), values.len(), "a record read twice: {values:?}");
}

#[test]
fn read_committed_sees_every_committed_transaction_once() {
    let s = scenario(ONE, "", "10s");
    let seen = run(&s, 1);
    assert_eq!(seen.committed.len(), 30, "{:?}", seen.events);
    assert!(seen.aborted.is_empty());
    assert!(seen.markers >= 30, "a COMMIT marker per partition of each transaction");
    let read = values(&seen, "committed");
    assert_once(&read);
    let set: BTreeSet<u64> = read.iter().copied().collect();
    assert_eq!(set, committed_values(&seen, "p"), "exactly the committed records");
    // Per partition, in the producer's order.
    for p in 0..3u16 {
        let part: Vec<u64> = seen.read["committed"].iter().filter(|r| r.0 == p).map(|r| r.1).collect();
        assert!(part.windows(2).all(|w| w[0] < w[1]), "partition {p} out of order: {part:?}");
    }
}

#[test]
fn a_crashed_producers_open_transaction_is_aborted_and_never_read_committed() {
    // p crashes inside a transaction and comes back 2 s later: its InitProducerId makes the
    // coordinator abort what the previous instance left open (fenced under a bumped epoch).
    let s = scenario(
        ONE,
        r#"{"at":"502ms","action":"stop","node":"p"},{"at":"2500ms","action":"start","node":"p"}"#,
        "12s",
    );
    let seen = run(&s, 3);
    let committed = committed_values(&seen, "p");
    let read = values(&seen, "committed");
    assert_once(&read);
    let set: BTreeSet<u64> = read.iter().copied().collect();
    assert_eq!(set, committed, "read_committed reads exactly what was committed");
    let uncommitted: BTreeSet<u64> = values(&seen, "uncommitted").into_iter().collect();
    let dirty: Vec<u64> = uncommitted.difference(&committed).copied().collect();
    assert!(!dirty.is_empty(), "read_uncommitted sees the aborted transaction's records");
    assert!(seen.markers > 0);
}

#[test]
fn a_second_instance_fences_the_first_whose_writes_are_never_read_committed() {
    let two = format!(
        r#"{ONE},{{"id":"p2","topic":"t","interval":"5ms","count":300,"transactional_id":"tx","transaction_records":10,"stopped":true}}"#
    );
    let s = scenario(&two, r#"{"at":"1s","action":"start","node":"p2"}"#, "10s");
    let seen = run(&s, 2);
    assert_eq!(seen.fenced.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), vec!["p"], "{:?}", seen.events);
    let fenced_at = seen.fenced[0].1;
    assert!(fenced_at > Time::secs(1));
    let after: Vec<_> = seen.committed.iter().filter(|(p, _, _)| p == "p").collect();
    assert!(after.len() < 30, "p stopped committing");
    assert!(committed_values(&seen, "p2").len() >= 100, "p2 goes on");
    // Every value read committed was committed by the instance that wrote it; values overlap
    // between p and p2 (both count from 0), so count by producer via the committed sets.
    let read = values(&seen, "committed");
    let all: usize = committed_values(&seen, "p").len() + committed_values(&seen, "p2").len();
    assert_eq!(read.len(), all, "every committed record is read once, nothing else");
}

/// The zombie as Kafka's client (KIP-588) takes its fencing: a partition's INVALID_PRODUCER_EPOCH
/// only makes its transaction abortable; the application aborts, the coordinator answers that
/// EndTxn PRODUCER_FENCED, and only that is fatal.
#[test]
fn a_zombie_aborts_and_is_fenced_by_the_coordinators_answer() {
    use brokerlab::engine::kafka::partition::Error;
    use brokerlab::engine::kafka::txn::event::AbortableCause;
    let two = format!(
        r#"{ONE},{{"id":"p2","topic":"t","interval":"5ms","count":300,"transactional_id":"tx","transaction_records":10,"stopped":true}}"#
    );
    let s = scenario(&two, r#"{"at":"1s","action":"start","node":"p2"}"#, "10s");
    let mut sim = Simulation::new(&s, 2).unwrap();
    sim.run_until(s.until);
    let events: Vec<_> = sim.drain_events().collect();
    let p = sim.world().node_by_name("p").unwrap();
    // p's story after the second instance's InitProducerId, in order.
    let mut story = vec![];
    for e in &events {
        match e.kind {
            EventKind::Model(ModelEvents::Kafka(KafkaEvent::ProduceFailed { producer, error, .. }))
                if producer == p && error == Error::InvalidProducerEpoch =>
            {
                story.push("INVALID_PRODUCER_EPOCH")
            }
            EventKind::Model(ModelEvents::Kafka(KafkaEvent::Txn(TxnEvent::Abortable { producer, cause, .. })))
                if producer == p =>
            {
                assert_eq!(cause, AbortableCause::InvalidProducerEpoch);
                story.push("abortable");
            }
            EventKind::Model(ModelEvents::Kafka(KafkaEvent::Txn(TxnEvent::Fenced { producer, .. })))
                if producer == p =>
            {
                story.push("fenced")
            }
            EventKind::Model(ModelEvents::Kafka(KafkaEvent::Produced { producer, .. }))
                if producer == p && story.last() == Some(&"fenced") =>
            {
                panic!("p wrote after it was fenced")
            }
            _ => {}
        }
    }
    story.dedup();
    assert_eq!(story, ["INVALID_PRODUCER_EPOCH", "abortable", "fenced"]);
}

#[test]
fn a_coordinator_crash_does_not_lose_a_transaction() {
    // The coordinator of "tx" is the leader of its __transaction_state partition; crash each
    // broker in turn so the coordinator moves at least once mid-transaction.
    let faults = r#"{"at":"700ms","action":"stop","node":"b1"},{"at":"3s","action":"start","node":"b1"},
        {"at":"4s","action":"stop","node":"b2"},{"at":"7s","action":"start","node":"b2"}"#;
    let s = scenario(ONE, faults, "30s");
    let seen = run(&s, 4);
    let committed = committed_values(&seen, "p");
    assert!(committed.len() >= 200, "transactions go on: {} committed {:?}", committed.len(), seen.events);
    let read = values(&seen, "committed");
    assert_once(&read);
    let set: BTreeSet<u64> = read.iter().copied().collect();
    assert_eq!(set, committed, "no committed record lost, nothing else read");
}

/// What the `kafka-transactions` preset's description says happens.
#[test]
fn the_transactions_preset_does_what_its_description_says() {
    let s = brokerlab::engine::presets::load("kafka-transactions").expect("a preset");
    let mut sim = Simulation::new(&s, s.seed).unwrap();
    sim.run_until(s.until);
    let events: Vec<_> = sim.drain_events().collect();
    let world = sim.world();
    let name = |n| world.node_name(n).to_string();
    let (mut ledger, mut audit) = (BTreeSet::new(), BTreeSet::new());
    let mut committed: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
    let mut fenced = vec![];
    let mut aborted_by_coordinator = false;
    for e in &events {
        let EventKind::Model(ModelEvents::Kafka(k)) = e.kind else { continue };
        match k {
            KafkaEvent::Consumed { consumer, value, tp, .. } => {
                let key = (tp.partition, value);
                if name(consumer) == "ledger" { &mut ledger } else { &mut audit }.insert(key);
            }
            KafkaEvent::Txn(TxnEvent::Ended { producer, commit: true, first, end, .. }) => {
                committed.entry(name(producer)).or_default().extend(first..end);
            }
            KafkaEvent::Txn(TxnEvent::Fenced { producer, .. }) => fenced.push((name(producer), e.at)),
            KafkaEvent::Txn(TxnEvent::State { state, .. }) => {
                use brokerlab::engine::kafka::txn::coordinator::TxnState;
                if state == TxnState::CompleteAbort && e.at > Time::secs(8) && e.at < Time::secs(9) {
                    aborted_by_coordinator = true;
                }
            }
            _ => {}
        }
    }
    assert!(aborted_by_coordinator, "the restarted instance's InitProducerId aborts the open transaction");
    assert_eq!(fenced.len(), 1);
    assert_eq!(fenced[0].0, "payment-service");
    assert!(fenced[0].1 >= Time::secs(14), "fenced once the second instance has its epoch");
    assert!(audit.len() > ledger.len(), "audit reads the aborted records too");
    assert!(ledger.is_subset(&audit));
    assert!(committed["payment-service-2"].len() >= 100, "the second instance goes on committing");
}

#[test]
fn transactions_work_the_same_in_kraft_mode() {
    let s = scenario_in(
        r#""metadata":"kraft","controllers":3,"#,
        ONE,
        r#"{"at":"502ms","action":"stop","node":"p"},{"at":"2500ms","action":"start","node":"p"}"#,
        "12s",
    );
    let seen = run(&s, 5);
    let committed = committed_values(&seen, "p");
    assert!(committed.len() >= 250, "{} committed", committed.len());
    let read = values(&seen, "committed");
    assert_once(&read);
    assert_eq!(read.iter().copied().collect::<BTreeSet<u64>>(), committed);
}
