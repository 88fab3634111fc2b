//! The presets with the resource model on (`kafka-resources`, `rabbit-resources`) do what their
//! descriptions say, over several seeds.

use brokerlab::engine::kafka::msg::KafkaEvent;
use brokerlab::engine::models::Node;
use brokerlab::engine::rabbit::event::RabbitEvent;
use brokerlab::engine::{presets, EventKind, ModelEvents, Simulation, Time};

fn run(slug: &str, seed: u64) -> (Simulation, Vec<(Time, ModelEvents)>) {
    let scenario = presets::load(slug).unwrap();
    let mut sim = Simulation::new(&scenario, seed).unwrap();
    sim.run_until(scenario.until);
    let events = sim
        .drain_events()
        .filter_map(|e| match e.kind {
            EventKind::Model(m) => Some((e.at, m)),
            _ => None,
        })
        .collect();
    (sim, events)
}

#[test]
fn rabbit_resources_pages_sets_the_alarm_and_releases_it_after_the_consumers_return() {
    for seed in [1, 2, 3] {
        let (_, events) = run("rabbit-resources", seed);
        let rabbit: Vec<(Time, RabbitEvent)> = events
            .into_iter()
            .filter_map(|(t, e)| match e {
                ModelEvents::Rabbit(r) => Some((t, r)),
                _ => None,
            })
            .collect();
        let first = |f: &dyn Fn(&RabbitEvent) -> bool| rabbit.iter().find(|(_, e)| f(e)).map(|(t, _)| *t);
        let paging = first(&|e| matches!(e, RabbitEvent::Paging { .. })).expect("q pages");
        let alarm = first(&|e| matches!(e, RabbitEvent::MemoryAlarm { set: true, .. })).expect("the alarm");
        let cleared = first(&|e| matches!(e, RabbitEvent::MemoryAlarm { set: false, .. })).expect("cleared");
        let blocked = rabbit.iter().filter(|(_, e)| matches!(e, RabbitEvent::ConnectionBlocked { .. })).count();
        eprintln!("SEED={seed} paging {paging} alarm {alarm} cleared {cleared} blocked {blocked}");
        assert!(
            paging > Time::secs(2) && paging < alarm,
            "SEED={seed}: pages after the consumers left, before the alarm"
        );
        assert!(alarm < Time::secs(6), "SEED={seed}: the alarm while the consumers are away");
        assert!(cleared > Time::secs(6), "SEED={seed}: cleared once they have drained q");
        assert_eq!(blocked, 2, "SEED={seed}: both publishers blocked");
        // "once a connection's socket buffers (about 144 KB) are full its publisher's next publish
        // waits, so they publish nothing more until they are unblocked": 2 500 a second each fill
        // them in under 60 ms.
        let published = |from: Time, to: Time| {
            let p = |e: &RabbitEvent| matches!(e, RabbitEvent::Published { .. });
            rabbit.iter().filter(|(t, e)| *t > from && *t < to && p(e)).count()
        };
        let unblocked = first(&|e| matches!(e, RabbitEvent::ConnectionUnblocked { .. })).expect("unblocked");
        assert_eq!(published(alarm + Time::ms(100), unblocked), 0, "SEED={seed}: nothing published while blocked");
        assert!(published(unblocked, unblocked + Time::secs(1)) > 4000, "SEED={seed}: then both go on");
    }
}

#[test]
fn kafka_resources_reads_the_backlog_partly_from_disk_and_catches_up() {
    for seed in [1, 2, 3] {
        let (sim, events) = run("kafka-resources", seed);
        let (mut cache, mut disk) = (0, 0);
        for slot in &sim.world().nodes {
            if let Node::Kafka(brokerlab::engine::kafka::node::KafkaNode::Broker(b)) = &slot.node {
                let r = b.res.as_ref().expect("resources");
                cache += r.cache_reads;
                disk += r.disk_reads;
            }
        }
        let acked = events.iter().filter(|(_, e)| matches!(e, ModelEvents::Kafka(KafkaEvent::ProduceAcked { .. })));
        let produced = acked.count();
        let per_second = |sec: u64, consumed: bool| {
            let of = |e: &ModelEvents| match e {
                ModelEvents::Kafka(KafkaEvent::Consumed { .. }) => consumed,
                ModelEvents::Kafka(KafkaEvent::ProduceAcked { .. }) => !consumed,
                _ => false,
            };
            events.iter().filter(|(t, e)| t.0 / 1_000_000 == sec && of(e)).count()
        };
        eprintln!("SEED={seed} cache {cache} disk {disk} produced {produced}");
        assert!(disk > 0 && cache > 0, "SEED={seed}: old records from disk, the rest from the page cache");
        assert!(
            (2..6).all(|s| per_second(s, true) == 0 && per_second(s, false) >= 1900),
            "SEED={seed}: nobody reads, p goes on"
        );
        assert!(per_second(6, true) > 3 * per_second(6, false), "SEED={seed}: the backlog is read at once");
        assert!((8..12).all(|s| per_second(s, true).abs_diff(per_second(s, false)) < 100), "SEED={seed}: caught up");
    }
}
