//! Kafka transactions swarm: many seeds, each a random schedule of broker crashes and restarts
//! (at most one broker down at a time), crashes of the transactional producer and cuts between it
//! and every broker (long enough, its transaction times out and it comes back a fenced zombie),
//! with a read_committed consumer. After the faults end and the cluster settles:
//! - no committed record is lost: every record of a transaction whose EndTxn(commit) was answered
//!   is read by the read_committed consumer;
//! - no aborted (or never committed) record is visible to it, and none is read twice;
//! - no fenced producer's write is accepted after fencing: in every partition, the producer's
//!   records and markers never go back to an older epoch.
//!
//! A failure prints `SEED=…`; rerun one with `KAFKA_SEED=… cargo test --test kafka_txn_swarm`.

use brokerlab::engine::kafka::msg::KafkaEvent;
use brokerlab::engine::kafka::node::KafkaNode;
use brokerlab::engine::kafka::txn::coordinator::TxnState;
use brokerlab::engine::kafka::txn::event::TxnEvent;
use brokerlab::engine::rng::Rng;
use brokerlab::engine::{EventKind, ModelEvents, Scenario, Simulation};
use std::collections::BTreeSet;

mod common;

fn scenario(seed: u64) -> Scenario {
    let mut rng = Rng::new(seed);
    let mut faults = vec![];
    let mut down: Option<u64> = None;
    let mut producer_down = false;
    let mut cut_until = 0u64;
    let mut t = 300u64;
    while t < 10_000 {
        t += rng.between(200, 1_200);
        let at = format!("{t}ms");
        let fault = match rng.below(5) {
            0 if down.is_none() => {
                let b = rng.between(1, 3);
                down = Some(b);
                format!(r#"{{"at":"{at}","action":"stop","node":"b{b}"}}"#)
            }
            0 => format!(r#"{{"at":"{at}","action":"start","node":"b{}"}}"#, down.take().unwrap()),
            // (Not while it is cut off: a restarted producer is a new instance, not a zombie.)
            1 if t > cut_until => {
                producer_down = !producer_down;
                let action = if producer_down { "stop" } else { "start" };
                format!(r#"{{"at":"{at}","action":"{action}","node":"p"}}"#)
            }
            // The producer cut off from every broker for 5 to 15 s: past its
            // transaction.timeout.ms the coordinator aborts its transaction under a bumped
            // epoch, and it comes back a zombie.
            2 if t > cut_until && !producer_down => {
                cut_until = t + rng.between(5_000, 15_000);
                let cuts = (1..=3).map(|b| format!(r#"{{"at":"{at}","action":"cut","a":"p","b":"b{b}"}}"#));
                let heal = format!(r#"{{"at":"{cut_until}ms","action":"heal_all"}}"#);
                cuts.chain([heal]).collect::<Vec<_>>().join(",")
            }
            _ => continue,
        };
        faults.push(fault);
    }
    if let Some(b) = down {
        faults.push(format!(r#"{{"at":"10500ms","action":"start","node":"b{b}"}}"#));
    }
    if producer_down {
        faults.push(r#"{"at":"10500ms","action":"start","node":"p"}"#.to_string());
    }
    let records = rng.between(3, 20);
    let json = format!(
        r#"{{"name":"txn-swarm","until":"45s","network":{{"latency":"250us","jitter":"100us"}},
            "kafka":{{"brokers":3,"transaction_state_partitions":3,"session_timeout":"6s",
            "topics":[{{"name":"t","partitions":3,"replication_factor":3,"min_insync_replicas":2}}],
            "producers":[{{"id":"p","topic":"t","interval":"20ms","count":700,"transactional_id":"tx",
                "transaction_records":{records},"transaction_timeout":"3s","request_timeout":"2s",
                "delivery_timeout":"20s"}}],
            "consumers":[{{"id":"c","topic":"t","isolation_level":"read_committed"}}]}},
            "faults":[{}]}}"#,
        faults.join(",")
    );
    Scenario::from_json(&json).unwrap_or_else(|e| panic!("SEED={seed}: {e}"))
}

/// Records committed, transactions aborted, producers fenced.
fn check(seed: u64) -> Result<(usize, usize, usize), String> {
    let s = scenario(seed);
    let mut sim = Simulation::new(&s, seed).map_err(|e| e.to_string())?;
    sim.run_until(s.until);
    let mut committed: BTreeSet<u64> = BTreeSet::new();
    let mut read: Vec<u64> = vec![];
    let (mut aborted, mut fenced) = (0, 0);
    for e in sim.drain_events() {
        let EventKind::Model(ModelEvents::Kafka(k)) = e.kind else { continue };
        match k {
            KafkaEvent::Consumed { value, .. } => read.push(value),
            KafkaEvent::Txn(TxnEvent::Ended { commit: true, first, end, .. }) => committed.extend(first..end),
            // Aborted by the producer (an expired batch) or by the coordinator (a restarted
            // producer's InitProducerId, a timeout): each ends in CompleteAbort.
            KafkaEvent::Txn(TxnEvent::State { state: TxnState::CompleteAbort, .. }) => aborted += 1,
            KafkaEvent::Txn(TxnEvent::Fenced { .. }) => fenced += 1,
            _ => {}
        }
    }
    let read_set: BTreeSet<u64> = read.iter().copied().collect();
    if read_set.len() != read.len() {
        return Err("a record was read twice by the read_committed consumer".into());
    }
    if let Some(lost) = committed.difference(&read_set).next() {
        return Err(format!("committed record {lost} was never read ({} committed)", committed.len()));
    }
    if let Some(dirty) = read_set.difference(&committed).next() {
        return Err(format!("record {dirty} was read but its transaction was never committed"));
    }
    // Epochs of the transactional producer's records and markers never go back, per partition.
    for (_, node) in common::kafka_nodes(&sim, |k| match k {
        KafkaNode::Broker(b) => Some(b),
        _ => None,
    }) {
        for (tp, r) in node.replicas.iter() {
            let mut last = 0u16;
            for rec in r.log.records().filter(|rec| rec.producer >= 10_000) {
                if rec.producer_epoch < last {
                    return Err(format!(
                        "b{}: {tp:?}@{} has epoch {} after epoch {last}: a fenced write was accepted",
                        node.id, rec.offset, rec.producer_epoch
                    ));
                }
                last = rec.producer_epoch;
            }
        }
    }
    Ok((committed.len(), aborted, fenced))
}

#[test]
fn transactions_survive_broker_and_producer_crashes() {
    let seeds: Vec<u64> = match std::env::var("KAFKA_SEED") {
        Ok(s) => vec![s.parse().expect("KAFKA_SEED is a number")],
        Err(_) => (1..=40).collect(),
    };
    let (mut total, mut aborts, mut zombies) = (0, 0, 0);
    for &seed in &seeds {
        match check(seed) {
            Ok((c, a, f)) => {
                total += c;
                aborts += a;
                zombies += f;
            }
            Err(e) => panic!("SEED={seed}: {e}"),
        }
    }
    if seeds.len() > 1 {
        assert!(total > seeds.len() * 100, "transactions commit under faults: {total} records");
        assert!(aborts > 0, "some transactions were aborted (crashed producers, timeouts)");
        assert!(zombies > 0, "some producers came back fenced from a cut");
        eprintln!("{} seeds: {total} records committed, {aborts} aborted, {zombies} fenced", seeds.len());
    }
}
