//! The producer's delivery semantics over a lossy network (requests and answers delayed by TCP's
//! retransmission past `request.timeout.ms`, which closes the connection and retries them while
//! the first attempts still arrive): without idempotence, retries write records twice, the copies
//! after later records; with idempotence (the default) the leader
//! refuses out-of-sequence batches and drops duplicates, so the partition holds every record once,
//! in order. Plus batching (`linger.ms`, `batch.size`) and the sticky partitioner for null keys.

use brokerlab::engine::kafka::msg::KafkaEvent;
use brokerlab::engine::kafka::partition::Error;
use brokerlab::engine::{EventKind, ModelEvents, Scenario, Simulation, Time};
use std::collections::BTreeMap;

fn scenario(producer: &str, loss_ppm: u32, partitions: u32) -> Scenario {
    let links: Vec<String> = (1..=3).map(|b| format!(r#"{{"between":["p","b{b}"],"loss_ppm":{loss_ppm}}}"#)).collect();
    let json = format!(
        r#"{{"name":"producer","until":"20s","network":{{"latency":"250us","links":[{}]}},
            "kafka":{{"brokers":3,
            "topics":[{{"name":"t","partitions":{partitions},"replication_factor":3,"min_insync_replicas":2}}],
            "producers":[{{"id":"p","topic":"t","interval":"2ms","count":3000,{producer}}}],
            "consumers":[{{"id":"c","topic":"t"}}]}}}}"#,
        links.join(",")
    );
    Scenario::from_json(&json).unwrap_or_else(|e| panic!("{e}"))
}

/// Per partition, the values (the producer's record numbers) in log order, as the consumer read them.
fn read(s: &Scenario, seed: u64) -> BTreeMap<u16, Vec<u64>> {
    let mut sim = Simulation::new(s, seed).unwrap();
    sim.run_until(s.until);
    let mut out: BTreeMap<u16, Vec<u64>> = BTreeMap::new();
    for e in sim.drain_events() {
        if let EventKind::Model(ModelEvents::Kafka(KafkaEvent::Consumed { tp, value, .. })) = e.kind {
            out.entry(tp.partition).or_default().push(value);
        }
    }
    out
}

fn inversions(values: &[u64]) -> usize {
    values.windows(2).filter(|w| w[1] < w[0]).count()
}

fn duplicates(values: &[u64]) -> usize {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.windows(2).filter(|w| w[0] == w[1]).count()
}

const LOSSY: &str = r#""linger":"0ms","max_in_flight":5,"request_timeout":"200ms","retry_backoff":"20ms""#;

#[test]
fn without_idempotence_retries_reorder_and_duplicate() {
    let s = scenario(&format!(r#"{LOSSY},"enable_idempotence":false"#), 30_000, 1);
    let log = &read(&s, 1)[&0];
    assert!(inversions(log) > 0, "a retried record's copy lands after later ones");
    assert!(duplicates(log) > 0, "a late request or answer makes the producer write a record twice");
}

/// A request that times out closes the producer's connection to its broker (`NetworkClient`'s
/// `handleTimedOutRequests`): every other request in flight there fails with it, REQUEST_TIMED_OUT,
/// and is retried — none is left waiting for a timeout of its own.
#[test]
fn a_request_timeout_fails_every_request_in_flight_to_that_broker() {
    let s = scenario(&format!(r#"{LOSSY},"enable_idempotence":false"#), 30_000, 1);
    let mut sim = Simulation::new(&s, 1).unwrap();
    sim.run_until(s.until);
    let events: Vec<_> = sim.drain_events().collect();
    // Record number → when it was (last) sent, while no answer or failure has come back for it.
    let mut in_flight: BTreeMap<u64, Time> = BTreeMap::new();
    let (mut timeouts, mut cancelled) = (0, 0);
    for same_instant in events.chunk_by(|a, b| a.at == b.at) {
        let at = same_instant[0].at;
        let mut timed_out = 0;
        for e in same_instant {
            match e.kind {
                EventKind::Model(ModelEvents::Kafka(KafkaEvent::Produced { seq, .. })) => {
                    in_flight.insert(seq, at);
                }
                EventKind::Model(ModelEvents::Kafka(
                    KafkaEvent::ProduceAcked { seq, .. } | KafkaEvent::ProduceExpired { seq, .. },
                )) => {
                    in_flight.remove(&seq);
                }
                EventKind::Model(ModelEvents::Kafka(KafkaEvent::ProduceFailed { seq, error, .. })) => {
                    in_flight.remove(&seq);
                    timed_out += usize::from(error == Error::RequestTimedOut);
                }
                _ => {}
            }
        }
        if timed_out > 0 {
            timeouts += 1;
            cancelled += timed_out;
            let left: Vec<_> = in_flight.iter().filter(|(_, &sent)| sent < at).collect();
            assert!(left.is_empty(), "at {at}: sent before the timeout and still in flight: {left:?}");
        }
    }
    assert!(timeouts > 0, "the lossy link times some requests out");
    assert!(cancelled > timeouts, "a timeout takes the other requests in flight with it");
}

#[test]
fn idempotence_keeps_order_and_writes_each_record_once() {
    // Every seed of 1–12: the lossy link delays a request by TCP's retransmission and holds the
    // ones behind it, as a TCP connection does, so the leader never sees sequence 1 without 0
    // (before links behaved so, seed 5 dropped sequence 0 and delivered 1, which TCP cannot do).
    for seed in 1..=12 {
        let s = scenario(&format!(r#"{LOSSY},"enable_idempotence":true"#), 30_000, 1);
        let log = &read(&s, seed)[&0];
        assert_eq!(inversions(log), 0, "seed {seed}: order kept");
        assert_eq!(duplicates(log), 0, "seed {seed}: no duplicates");
        assert_eq!(log.len(), 3000, "seed {seed}: every record written");
    }
}

#[test]
fn idempotence_is_on_by_default_only_with_acks_all() {
    let p = |extra: &str| {
        let s = scenario(extra, 0, 1);
        s.kafka.unwrap().producers[0].settings()
    };
    assert!(p(r#""acks":"all""#).idempotent);
    assert!(!p(r#""acks":"1""#).idempotent);
    assert!(!p(r#""max_in_flight":6"#).idempotent);
    let bad = |extra: &str| {
        Scenario::from_json(&format!(
            r#"{{"name":"x","kafka":{{"brokers":1,"topics":[{{"name":"t","partitions":1,"replication_factor":1}}],
                "producers":[{{"id":"p","topic":"t","interval":"1ms",{extra}}}]}}}}"#
        ))
        .unwrap_err()
    };
    assert!(bad(r#""acks":"1","enable_idempotence":true"#).contains("kafka.producers[0].enable_idempotence"));
    assert!(bad(r#""max_in_flight":0"#).contains("kafka.producers[0].max_in_flight"));
    assert!(bad(r#""delivery_timeout":"1s""#).contains("kafka.producers[0].delivery_timeout"));
}

#[test]
fn linger_batches_records_and_null_keys_stick_to_a_partition() {
    // One record every 2 ms, linger 20 ms: about ten records per produce request.
    let s = scenario(r#""linger":"20ms","keys":0"#, 0, 6);
    let mut sim = Simulation::new(&s, 5).unwrap();
    sim.run_until(s.until);
    let mut requests = 0;
    let mut partitions = vec![];
    for e in sim.drain_events() {
        match e.kind {
            EventKind::Sent { info, .. } if info.kind == "produce" => requests += 1,
            EventKind::Model(ModelEvents::Kafka(KafkaEvent::Produced { tp, seq, retry: false, .. })) => {
                partitions.push((seq, tp.partition))
            }
            _ => {}
        }
    }
    // In record order: one request may carry the end of one partition's run and the start of
    // the next, in partition order.
    partitions.sort_unstable();
    let partitions: Vec<u16> = partitions.into_iter().map(|p| p.1).collect();
    assert_eq!(partitions.len(), 3000);
    let per_request = partitions.len() as f64 / requests as f64;
    assert!((9.0..=11.0).contains(&per_request), "{per_request} records per request");
    // The uniform sticky partitioner: runs of batch.size / record size = 163 records per partition.
    let mut runs = vec![1usize];
    for w in partitions.windows(2) {
        if w[0] == w[1] {
            *runs.last_mut().unwrap() += 1;
        } else {
            runs.push(1);
        }
    }
    assert!(runs[..runs.len() - 1].iter().all(|&r| r == 163), "runs of 163 records: {runs:?}");
    let used: std::collections::BTreeSet<u16> = partitions.iter().copied().collect();
    assert!(used.len() > 3, "spread over the partitions: {used:?}");
}

/// KIP-360 (Kafka 2.5+): an idempotent producer whose batches pass `delivery.timeout.ms` (here two of
/// three brokers are down for 14 s: NOT_ENOUGH_REPLICAS with min.insync.replicas 2) fails their records to the application
/// (TimeoutException: an `expired` event each, counted), bumps its producer epoch, starts its
/// sequences again at 0 and goes on. Before, the expired batches were dropped silently, their
/// sequences stayed in flight, and the leader answered OUT_OF_ORDER_SEQUENCE_NUMBER for ever.
#[test]
fn an_idempotent_producer_goes_on_after_its_batches_expire() {
    let json = r#"{"name":"expiry","until":"40s","network":{"latency":"250us"},
        "kafka":{"brokers":3,
        "topics":[{"name":"t","partitions":1,"replication_factor":3,"min_insync_replicas":2}],
        "producers":[{"id":"p","topic":"t","interval":"20ms","linger":"0ms",
                      "request_timeout":"2s","delivery_timeout":"10s"}]},
        "faults":[{"at":"1s","action":"stop","node":"b2"},{"at":"1s","action":"stop","node":"b3"},
                  {"at":"15s","action":"start","node":"b2"},{"at":"15s","action":"start","node":"b3"}]}"#;
    let s = Scenario::from_json(json).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(&s, 1).unwrap();
    sim.run_until(s.until);
    let (mut acked_late, mut out_of_order, mut expired, mut bumps) = (0, 0, 0u64, Vec::<u16>::new());
    for e in sim.drain_events() {
        let EventKind::Model(ModelEvents::Kafka(k)) = e.kind else { continue };
        match k {
            KafkaEvent::ProduceAcked { .. } if e.at >= brokerlab::engine::Time::secs(30) => acked_late += 1,
            KafkaEvent::ProduceFailed { error: Error::OutOfOrderSequence, .. } => out_of_order += 1,
            KafkaEvent::ProduceExpired { .. } => expired += 1,
            KafkaEvent::ProducerEpochBumped { epoch, .. } => bumps.push(epoch),
            _ => {}
        }
    }
    assert!(acked_late > 400, "records are acknowledged again after the cut: {acked_late}");
    assert!(out_of_order < 10, "no endless OUT_OF_ORDER_SEQUENCE_NUMBER: {out_of_order}");
    assert!(expired > 0, "the expired records are failed to the application");
    assert!(!bumps.is_empty() && bumps.windows(2).all(|w| w[1] == w[0] + 1), "epoch bumps: {bumps:?}");
    assert_eq!(sim.world().metrics.expired, expired, "and counted");
}

/// KIP-580 (Kafka 3.7+): a batch that keeps failing backs off exponentially from
/// `retry.backoff.ms` (100 ms) to `retry.backoff.max.ms` (1 s), with jitter; before, every retry
/// came 100 ms after the last.
#[test]
fn retries_back_off_exponentially_up_to_retry_backoff_max() {
    // b3 leads; once b1 and b2 are out of its ISR, acks=all is refused (NOT_ENOUGH_REPLICAS).
    let json = r#"{"name":"backoff","until":"14s","network":{"latency":"250us"},
        "kafka":{"brokers":3,"replica_lag_time_max":"1s",
        "topics":[{"name":"t","partitions":1,"replication_factor":3,"min_insync_replicas":2}],
        "producers":[{"id":"p","topic":"t","interval":"20ms","linger":"0ms","count":100,"request_timeout":"2s"}]},
        "faults":[{"at":"1s","action":"stop","node":"b1"},{"at":"1s","action":"stop","node":"b2"}]}"#;
    let s = Scenario::from_json(json).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(&s, 1).unwrap();
    sim.run_until(s.until);
    let mut retries: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for e in sim.drain_events() {
        if let EventKind::Model(ModelEvents::Kafka(KafkaEvent::Produced { seq, retry: true, .. })) = e.kind {
            retries.entry(seq).or_default().push(e.at.0);
        }
    }
    let times = retries.values().max_by_key(|t| t.len()).expect("retried records");
    let gaps: Vec<u64> = times.windows(2).map(|w| (w[1] - w[0]) / 1000).collect();
    assert!(gaps.len() >= 6, "{gaps:?}");
    assert!(gaps[0] < 300, "the first retries come soon: {gaps:?}");
    let late = &gaps[gaps.len() - 3..];
    assert!(late.iter().all(|&g| (800..=1300).contains(&g)), "then about a second apart: {gaps:?}");
}

/// A restarted idempotent producer is a new `KafkaProducer`: InitProducerId (no transactional id,
/// to any broker) gives it a fresh producer id with epoch 0, and its sequences start at 0 — which
/// the partitions accept, as they have never seen that id. Before, the restarted producer kept its
/// id and epoch, its sequence 0 came after the leader's last sequences of that id, and every batch
/// was refused OUT_OF_ORDER_SEQUENCE_NUMBER until `delivery.timeout.ms` expired it.
///
/// What Kafka's application would see of the crash: the records it had not had acknowledged are
/// gone with the process; the model's application does not write them again, so each is in the
/// log once if a leader wrote it before the crash and missing otherwise — never twice.
#[test]
fn a_restarted_idempotent_producer_gets_a_new_producer_id_and_writes_at_once() {
    let json = r#"{"name":"restart","until":"6s","network":{"latency":"250us"},
        "kafka":{"brokers":3,
        "topics":[{"name":"t","partitions":3,"replication_factor":3,"min_insync_replicas":2}],
        "producers":[{"id":"p","topic":"t","interval":"1ms","count":3000,"keys":12}],
        "consumers":[{"id":"c","topic":"t"}]},
        "faults":[{"at":"1s","action":"stop","node":"p"},{"at":"1500ms","action":"start","node":"p"}]}"#;
    let s = Scenario::from_json(json).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(&s, 1).unwrap();
    sim.run_until(s.until);
    let restart = Time::ms(1500);
    let (mut read, mut acked, mut first_after) = (BTreeMap::<u64, usize>::new(), vec![], None);
    let (mut out_of_order, mut ids, mut first_ack_after) = (0, vec![], None);
    for e in sim.drain_events() {
        let EventKind::Model(ModelEvents::Kafka(k)) = e.kind else { continue };
        match k {
            KafkaEvent::Consumed { value, .. } => *read.entry(value).or_insert(0) += 1,
            KafkaEvent::ProduceAcked { seq, .. } => {
                acked.push(seq);
                if e.at >= restart && first_ack_after.is_none() {
                    first_ack_after = Some(e.at - restart);
                }
            }
            KafkaEvent::Produced { seq, .. } if e.at >= restart => {
                first_after.get_or_insert(seq);
            }
            KafkaEvent::ProduceFailed { error: Error::OutOfOrderSequence, .. } => out_of_order += 1,
            KafkaEvent::ProducerIdAssigned { id, epoch, .. } => ids.push((e.at, id, epoch)),
            _ => {}
        }
    }
    assert_eq!(out_of_order, 0, "no OUT_OF_ORDER_SEQUENCE_NUMBER after the restart");
    assert_eq!(ids.len(), 1, "one InitProducerId answer, for the new instance: {ids:?}");
    let (at, id, epoch) = ids[0];
    assert!(at >= restart && at < restart + Time::ms(5), "asked at its start: {at}");
    assert!(id >= 100_000 && epoch == 0, "a fresh id from a broker's block, epoch 0: {id}/{epoch}");
    let wait = first_ack_after.expect("acknowledged after the restart");
    assert!(wait < Time::ms(20), "writing again at once, not after delivery.timeout.ms: {wait}");
    // Nothing twice; everything acknowledged read; the missing ones were in the crashed instance.
    assert!(read.values().all(|&n| n == 1), "a record read twice");
    assert!(acked.iter().all(|v| read.contains_key(v)), "an acknowledged record missing");
    // Records are numbered as the application makes them: those below the first one sent after
    // the restart were made by the crashed instance.
    let first_after = first_after.expect("records sent after the restart");
    let missing: Vec<u64> = (0..3000).filter(|v| !read.contains_key(v)).collect();
    assert!(
        missing.iter().all(|v| *v < first_after && !acked.contains(v)),
        "missing only records the crashed instance had not had acknowledged: {missing:?}"
    );
    assert!(read.len() > 2_400, "the rest is read: {}", read.len());
    eprintln!(
        "producer id {id} after the restart, acknowledged {wait} later; {} records lost with the crash",
        missing.len()
    );
}

/// The restarted producer's InitProducerId goes to a broker; one that is down resets the
/// connection, and the producer asks the next after `retry.backoff.ms`.
#[test]
fn a_restarted_producer_asks_another_broker_when_one_is_down() {
    let json = r#"{"name":"restart","until":"4s","network":{"latency":"250us"},
        "kafka":{"brokers":3,
        "topics":[{"name":"t","partitions":3,"replication_factor":3,"min_insync_replicas":1}],
        "producers":[{"id":"p","topic":"t","interval":"1ms","count":3000}]},
        "faults":[{"at":"900ms","action":"stop","node":"b1"},{"at":"900ms","action":"stop","node":"b2"},
                  {"at":"1s","action":"stop","node":"p"},{"at":"1500ms","action":"start","node":"p"}]}"#;
    let s = Scenario::from_json(json).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(&s, 1).unwrap();
    sim.run_until(s.until);
    let events: Vec<_> = sim.drain_events().collect();
    let world = sim.world();
    let asked: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Sent { info, to, .. } if info.kind == "init-producer-id" => {
                Some(world.node_name(*to).to_string())
            }
            _ => None,
        })
        .collect();
    let given: Vec<Time> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Model(ModelEvents::Kafka(KafkaEvent::ProducerIdAssigned { .. })) => Some(e.at),
            _ => None,
        })
        .collect();
    assert_eq!(asked.last().map(String::as_str), Some("b3"), "answered by the live broker: {asked:?}");
    assert!(asked.len() >= 2, "a dead broker was asked first: {asked:?}");
    assert_eq!(given.len(), 1);
    assert!(given[0] < Time::ms(1500) + Time::ms(500), "{}", given[0]);
}
