//! The resource model's shapes, over several seeds (`crate::resources`): Kafka's throughput rises
//! with batch size and stays flat as retained data grows; RabbitMQ's falls as a queue grows deep
//! enough to page, and with persistent messages; publishers are blocked at the memory watermark
//! (and stop publishing once their socket buffers are full) and released below it. And a scenario without a `resources` block is untouched by it.

use brokerlab::engine::kernel::event::Flow;
use brokerlab::engine::models::Node;
use brokerlab::engine::rabbit::event::RabbitEvent;
use brokerlab::engine::rabbit::node::RabbitNode;
use brokerlab::engine::resources::rabbit::{PUBLISH_FRAMING, SOCKET_BUFFER};
use brokerlab::engine::{EventKind, ModelEvents, Scenario, Simulation, Time};

const SEEDS: [u64; 3] = [1, 2, 3];

fn sim(json: &str, seed: u64) -> Simulation {
    let s = Scenario::from_json(json).unwrap_or_else(|e| panic!("{e}\n{json}"));
    Simulation::new(&s, seed).unwrap()
}

/// Kafka: 8 producers of 100-byte records, 12 500 records/s each (100 000/s in all), on one
/// broker with `partitions` partitions.
fn kafka(partitions: u32, batch_size: u32, linger: &str, resources: &str, retention: &str) -> String {
    let producers: Vec<String> = (1..=8)
        .map(|i| {
            format!(
                r#"{{"id":"p{i}","topic":"t","interval":"80us","keys":0,"batch_size":{batch_size},"linger":"{linger}"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"name":"k","until":"3s","network":{{"latency":"50us"}},
            "kafka":{{"brokers":1,{resources}
            "topics":[{{"name":"t","partitions":{partitions},"replication_factor":1,"retention":"{retention}","segment_ms":"100ms"}}],
            "log_retention_check_interval":"100ms",
            "producers":[{}]}}}}"#,
        producers.join(",")
    )
}

/// Records acknowledged per second between `from` and `to`.
fn acked_rate(sim: &mut Simulation, from: Time, to: Time) -> u64 {
    sim.run_until(to);
    let n = sim.drain_events().filter(|e| e.at >= from && matches!(e.flow(), Some(Flow::Acked(_)))).count();
    n as u64 * 1_000_000 / (to.0 - from.0)
}

#[test]
fn kafka_throughput_rises_with_batch_size() {
    for seed in SEEDS {
        let small = acked_rate(
            &mut sim(&kafka(1, 100, "0ms", r#""resources":{},"#, "60min"), seed),
            Time::secs(1),
            Time::secs(2),
        );
        let big = acked_rate(
            &mut sim(&kafka(1, 16384, "5ms", r#""resources":{},"#, "60min"), seed),
            Time::secs(1),
            Time::secs(2),
        );
        // One partition, so a request carries one batch (a Produce request takes one batch per
        // partition): with one record per batch, 20.5 µs of CPU per record, under 50 000/s; 16 KiB
        // batches amortise the request's cost and the broker keeps up with the 100 000/s offered.
        assert!(small < 50_000, "seed {seed}: one record per request saturates the CPU: {small}/s");
        assert!(big > 95_000, "seed {seed}: batched, the broker keeps up: {big}/s");
    }
}

#[test]
fn kafka_throughput_is_flat_as_retained_data_grows() {
    for seed in SEEDS {
        let rate = |retention: &str| {
            let mut s = sim(&kafka(8, 16384, "5ms", r#""resources":{},"#, retention), seed);
            acked_rate(&mut s, Time::secs(2), Time::secs(3))
        };
        let (short, long) = (rate("200ms"), rate("60min"));
        assert!(long.abs_diff(short) * 100 <= short, "seed {seed}: 200 ms kept {short}/s, 60 min kept {long}/s");
    }
}

/// RabbitMQ: one publisher of 1 000-byte messages every 20 µs (50 000/s), `count` of them, to one
/// queue; one consumer with automatic acks starting at `consumer_at`.
fn rabbit(resources: &str, publisher: &str, count: u32, consumer_at: &str) -> String {
    format!(
        r#"{{"name":"r","until":"5s","network":{{"latency":"50us"}},
            "rabbit":{{{resources}
            "queues":[{{"name":"q","durable":true}}],
            "publishers":[{{"id":"pub","routing_keys":["q"],"interval":"20us","start":"10ms","count":{count},"size":1000{publisher}}}],
            "consumers":[{{"id":"c","queue":"q","auto_ack":true,"start":"{consumer_at}"}}]}}}}"#
    )
}

/// When the first and the last message were consumed, and how many.
fn consumed(sim: &mut Simulation, until: Time) -> (Time, Time, usize) {
    sim.run_until(until);
    let at: Vec<Time> =
        sim.drain_events().filter(|e| matches!(e.flow(), Some(Flow::Consumed(_)))).map(|e| e.at).collect();
    (at.first().copied().unwrap_or_default(), at.last().copied().unwrap_or_default(), at.len())
}

fn rate(n: usize, from: Time, to: Time) -> u64 {
    n as u64 * 1_000_000 / (to.0 - from.0).max(1)
}

#[test]
fn rabbit_throughput_falls_when_a_deep_queue_pages() {
    for seed in SEEDS {
        // 5 000 messages wait before the consumer starts. With 1 GB they all stay in memory; with
        // 8 MB (paging above 1.6 MB) most bodies go to disk and each delivery reads one back.
        let drain = |memory: u32| {
            let json = rabbit(&format!(r#""resources":{{"memory_mb":{memory}}},"#), "", 5000, "300ms");
            let mut s = sim(&json, seed);
            let (first, last, n) = consumed(&mut s, Time::secs(5));
            assert_eq!(n, 5000, "seed {seed}: everything consumed");
            let paged = paged_in(&s);
            (rate(n, first, last), paged)
        };
        let (in_memory, none) = drain(1024);
        let (paging, read_back) = drain(8);
        assert_eq!(none, 0, "seed {seed}: nothing paged with 1 GB");
        assert!(read_back > 3000, "seed {seed}: most of the deep queue was paged: {read_back}");
        assert!(paging * 3 < in_memory, "seed {seed}: paging {paging}/s vs in memory {in_memory}/s");
    }
}

fn paged_in(sim: &Simulation) -> u64 {
    sim.world()
        .nodes
        .iter()
        .find_map(|n| match &n.node {
            Node::Rabbit(RabbitNode::Broker(b)) => b.res.as_ref().map(|r| r.paged_in),
            _ => None,
        })
        .expect("a broker with resources")
}

#[test]
fn rabbit_throughput_falls_with_persistent_messages_and_confirms() {
    for seed in SEEDS {
        let run = |publisher: &str| {
            let mut s = sim(&rabbit(r#""resources":{},"#, publisher, 5000, "0ms"), seed);
            let (first, last, n) = consumed(&mut s, Time::secs(5));
            assert_eq!(n, 5000, "seed {seed}: everything consumed");
            rate(n, first, last)
        };
        let transient = run("");
        let persistent = run(r#","persistent":true,"confirms":true"#);
        // Transient: ~18 µs of CPU a message, the 50 000/s offered get through. Persistent: each
        // waits for its write and an fsync (~105 µs of disk): under 10 000/s.
        assert!(transient > 45_000, "seed {seed}: transient {transient}/s");
        assert!(persistent < 10_000, "seed {seed}: persistent + confirms {persistent}/s");
    }
}

#[test]
fn publishers_are_blocked_at_the_watermark_and_released_below_it() {
    for seed in SEEDS {
        // 4 MB of memory: the alarm at 1.6 MB, about 1 300 messages of 1 000 bytes; the monitor
        // looks every 100 ms. The consumer starts at 1 s.
        let resources = r#""resources":{"memory_mb":4,"memory_monitor_interval":"100ms"},"#;
        let mut s = sim(&rabbit(resources, "", 20_000, "1s"), seed);
        s.run_until(Time::secs(5));
        let events: Vec<_> = s.drain_events().collect();
        let rabbit_events: Vec<(Time, RabbitEvent)> = events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Model(ModelEvents::Rabbit(r)) => Some((e.at, r)),
                _ => None,
            })
            .collect();
        let at = |want: &dyn Fn(&RabbitEvent) -> bool| rabbit_events.iter().find(|(_, e)| want(e)).map(|(t, _)| *t);
        let set = at(&|e| matches!(e, RabbitEvent::MemoryAlarm { set: true, .. })).expect("the alarm is set");
        let blocked = at(&|e| matches!(e, RabbitEvent::ConnectionBlocked { .. })).expect("the publisher is blocked");
        let cleared = at(&|e| matches!(e, RabbitEvent::MemoryAlarm { set: false, .. })).expect("the alarm clears");
        let unblocked = at(&|e| matches!(e, RabbitEvent::ConnectionUnblocked { .. })).expect("and it is unblocked");
        assert!(set < Time::secs(1) && blocked == set, "seed {seed}: blocked when the alarm is set ({set})");
        assert!(cleared > Time::secs(1) && unblocked == cleared, "seed {seed}: released once the consumer drains it");
        // While blocked the broker reads nothing more from the publisher: what it receives then
        // was read before the alarm (it was waiting for the CPU).
        let published_at: std::collections::BTreeMap<u64, Time> = rabbit_events
            .iter()
            .filter_map(|(t, e)| match e {
                RabbitEvent::Published { seq, .. } => Some((*seq, *t)),
                _ => None,
            })
            .collect();
        let read_while_blocked = rabbit_events
            .iter()
            .filter(|(t, e)| *t > blocked && *t < cleared && matches!(e, RabbitEvent::Received { .. }))
            .filter(|(_, e)| matches!(e, RabbitEvent::Received { seq, .. } if published_at[seq] > blocked))
            .count();
        assert_eq!(read_while_blocked, 0, "seed {seed}: nothing sent after the block is read before the release");
        // Nor does the publisher go on publishing into its connection: once the socket buffers
        // are full (SOCKET_BUFFER bytes, ~139 messages of 1 000 bytes) its next publish waits,
        // and it publishes again once the alarm has cleared.
        let per_buffer = SOCKET_BUFFER / (1000 + PUBLISH_FRAMING);
        let sent = |from: Time, to: Time| published_at.values().filter(|t| **t > from && **t < to).count() as u64;
        let sent_blocked = sent(blocked, cleared);
        // (plus what it sent in the round trip before it learnt it: ~100 µs, 5 messages)
        assert!(sent_blocked <= per_buffer + 6, "seed {seed}: {sent_blocked} published while blocked");
        assert!(sent(cleared, Time::secs(5)) > 1000, "seed {seed}: it publishes again once unblocked");
        let consumed = events.iter().filter(|e| matches!(e.flow(), Some(Flow::Consumed(_)))).count();
        assert_eq!(consumed, 20_000, "seed {seed}: what was held is read once released, nothing lost");
    }
}

#[test]
fn a_scenario_with_resources_replays_identically() {
    let json = rabbit(r#""resources":{"memory_mb":4},"#, r#","persistent":true"#, 3000, "200ms");
    let hash = |seed| {
        let mut s = sim(&json, seed);
        s.run_until(Time::secs(2));
        s.trace_hash().value()
    };
    assert_eq!(hash(7), hash(7));
    let k = kafka(8, 1000, "1ms", r#""resources":{"page_cache_mb":1},"#, "60min");
    let khash = |seed| {
        let mut s = sim(&k, seed);
        s.run_until(Time::ms(500));
        s.trace_hash().value()
    };
    assert_eq!(khash(3), khash(3));
}

#[test]
fn bad_resources_are_refused_naming_the_field() {
    let err =
        Scenario::from_json(&rabbit(r#""resources":{"vm_memory_high_watermark":1.5},"#, "", 10, "0ms")).unwrap_err();
    assert!(err.contains("vm_memory_high_watermark"), "{err}");
    let err = Scenario::from_json(&kafka(8, 100, "0ms", r#""resources":{"disk_mb_s":0},"#, "60min")).unwrap_err();
    assert!(err.contains("kafka.resources.disk_mb_s"), "{err}");
    let err = Scenario::from_json(&kafka(8, 100, "0ms", r#""resources":{"cpu":1},"#, "60min")).unwrap_err();
    assert!(err.contains("cpu"), "{err}");
}

fn kafka_reads(sim: &Simulation) -> (u64, u64) {
    sim.world()
        .nodes
        .iter()
        .find_map(|n| match &n.node {
            Node::Kafka(brokerlab::engine::kafka::node::KafkaNode::Broker(b)) => {
                b.res.as_ref().map(|r| (r.cache_reads, r.disk_reads))
            }
            _ => None,
        })
        .expect("a broker with resources")
}

#[test]
fn kafka_reads_recent_data_from_the_page_cache_and_old_data_from_disk() {
    // 20 MB written in a second, a 4 MB page cache (2 MB a partition). A consumer reading the tail is served from
    // memory; one that starts at 1 s from offset 0 reads from disk, and catches up.
    let scenario = |late: bool| {
        format!(
            r#"{{"name":"k","until":"3s","network":{{"latency":"50us"}},
            "kafka":{{"brokers":1,"resources":{{"page_cache_mb":4}},
            "topics":[{{"name":"t","partitions":2,"replication_factor":1}}],
            "producers":[{{"id":"p","topic":"t","interval":"50us","count":20000,"record_size":1000}}],
            "consumers":[{{"id":"c","topic":"t","stopped":{late}}}]}},
            "faults":[{{"at":"1s","action":"start","node":"c"}}]}}"#
        )
    };
    for seed in SEEDS {
        let mut tail = sim(&scenario(false), seed);
        tail.run_until(Time::secs(3));
        let (cached, disk) = kafka_reads(&tail);
        assert!(cached > 0 && disk == 0, "seed {seed}: the tail is in the page cache: {cached} / {disk}");
        let mut late = sim(&scenario(true), seed);
        late.run_until(Time::secs(3));
        let (_, disk) = kafka_reads(&late);
        assert!(disk > 0, "seed {seed}: old data comes from disk");
        let consumed = late.drain_events().filter(|e| matches!(e.flow(), Some(Flow::Consumed(_)))).count();
        assert_eq!(consumed, 20_000, "seed {seed}: the late consumer catches up");
    }
}
