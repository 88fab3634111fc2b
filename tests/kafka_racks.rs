//! Rack awareness (issue 16): the `kafka-racks` preset's description, claim by claim, over
//! several seeds — rack-aware placement, consumers fetching from the replica in their rack
//! (KIP-392), and the way back to the leaders when that replica's broker dies.

use brokerlab::engine::kafka::event::ReadReplicaDrop;
use brokerlab::engine::kafka::msg::KafkaEvent;
use brokerlab::engine::kafka::node::KafkaNode;
use brokerlab::engine::{presets, EventKind, ModelEvents, NodeId, Scenario, Simulation, Time};

mod common;

/// az-a: b1 b4, az-b: b2 b5, az-c: b3 b6 (the preset's `racks`).
fn rack_of_broker(b: u32) -> usize {
    (b as usize - 1) % 3
}

/// Each consumer's bytes from its own rack and from other racks.
fn rack_bytes(sim: &Simulation) -> Vec<(NodeId, (u64, u64))> {
    common::kafka_nodes(sim, |k| match k {
        KafkaNode::Consumer(c) => Some(&**c),
        _ => None,
    })
    .into_iter()
    .map(|(id, c)| (id, c.rack_bytes()))
    .collect()
}

#[derive(Default)]
struct Seen {
    /// (time, consumer, replica, leader)
    chosen: Vec<(Time, NodeId, u32, u32)>,
    dropped: Vec<(Time, NodeId, u32, ReadReplicaDrop)>,
    leaders: Vec<(Time, u16, u32)>,
}

fn run_to(sim: &mut Simulation, until: Time, seen: &mut Seen) {
    sim.run_until(until);
    for e in sim.drain_events() {
        let EventKind::Model(ModelEvents::Kafka(k)) = e.kind else { continue };
        match k {
            KafkaEvent::ReadReplicaChosen { consumer, replica, leader, .. } => {
                seen.chosen.push((e.at, consumer, replica, leader))
            }
            KafkaEvent::ReadReplicaDropped { consumer, replica, why, .. } => {
                seen.dropped.push((e.at, consumer, replica, why))
            }
            KafkaEvent::LeaderElected { tp, leader, .. } => seen.leaders.push((e.at, tp.partition, leader)),
            _ => {}
        }
    }
}

#[test]
fn the_racks_preset_shows_what_its_description_says() {
    let base: Scenario = presets::load("kafka-racks").unwrap();
    for seed in 1..=6 {
        let mut sim = Simulation::new(&base, seed).unwrap();
        let node = |name: &str| sim.world().node_by_name(name).unwrap();
        let readers = [node("reader-a"), node("reader-b"), node("reader-c")];
        let mut seen = Seen::default();
        run_to(&mut sim, Time::secs(10) - Time::ms(1), &mut seen);

        // Every partition has one replica in each rack.
        let brokers = common::kafka_nodes(&sim, |k| match k {
            KafkaNode::Broker(b) => Some(&**b),
            _ => None,
        });
        let mut partitions = 0;
        for (tp, r) in brokers[0].1.replicas.iter().chain(brokers[1].1.replicas.iter()) {
            let mut racks: Vec<usize> = r.assignment.iter().map(|&b| rack_of_broker(b)).collect();
            racks.sort_unstable();
            assert_eq!(racks, vec![0, 1, 2], "SEED={seed}: {tp:?} on {:?}", r.assignment);
            partitions += 1;
        }
        assert!(partitions >= 3, "SEED={seed}");

        // Before 10 s: every preferred read replica is in its consumer's rack, and never for a
        // leader in that rack; each consumer is sent to a follower for the 4 partitions whose
        // leaders are elsewhere (each broker leads one); nobody reads a byte across racks.
        for (i, &reader) in readers.iter().enumerate() {
            let mine: Vec<_> = seen.chosen.iter().filter(|c| c.1 == reader).collect();
            assert!(mine.iter().all(|c| rack_of_broker(c.2) == i && rack_of_broker(c.3) != i), "SEED={seed}: {mine:?}");
            assert_eq!(mine.len(), 4, "SEED={seed}: reader {i}: {mine:?}");
        }
        for (id, (local, cross)) in rack_bytes(&sim) {
            assert!(local > 0 && cross == 0, "SEED={seed}: {id:?} read {local} bytes in its rack, {cross} across");
        }

        // b4 crashes at 10 s: reader-a drops b4 (its connection is gone); until b4's 6 s
        // ZooKeeper session expires the leaders keep naming it and reader-a reads nothing
        // across racks (it waits, trying b4 about once per reconnect backoff, not in a loop);
        // then it reads across racks.
        let a = readers[0];
        let cross_at = |sim: &Simulation| rack_bytes(sim).iter().find(|r| r.0 == a).unwrap().1 .1;
        run_to(&mut sim, Time::secs(15), &mut seen);
        assert_eq!(cross_at(&sim), 0, "SEED={seed}: b4 is still in the ISRs");
        run_to(&mut sim, Time::secs(30) - Time::ms(1), &mut seen);
        let tries = seen.chosen.iter().filter(|c| c.1 == a && c.0 > Time::secs(10)).count();
        assert!(tries < 40, "SEED={seed}: reader-a was sent to a replica {tries} times while b4 was down");
        assert!(
            seen.dropped.iter().any(|d| d.1 == a && d.2 == 4 && d.3 == ReadReplicaDrop::Disconnected),
            "SEED={seed}: {:?}",
            seen.dropped
        );
        assert!(cross_at(&sim) > 0, "SEED={seed}: reader-a read nothing across racks while b4 was down");
        for &other in &readers[1..] {
            let cross = rack_bytes(&sim).iter().find(|r| r.0 == other).unwrap().1 .1;
            assert_eq!(cross, 0, "SEED={seed}: only reader-a had to leave its rack");
        }

        // b4 restarts at 30 s and the leaders name it again; after that reader-a reads only in
        // its rack.
        run_to(&mut sim, base.until, &mut seen);
        let back: Vec<_> = seen.chosen.iter().filter(|c| c.1 == a && c.2 == 4 && c.0 > Time::secs(30)).collect();
        assert!(!back.is_empty(), "SEED={seed}: reader-a was never sent back to b4");
        let last = seen.chosen.iter().filter(|c| c.1 == a).map(|c| c.0).max().unwrap();
        assert!(last < base.until - Time::secs(5), "SEED={seed}: reader-a still moving at {last}");
        let before = cross_at(&sim);
        let mut sim2 = Simulation::new(&base, seed).unwrap();
        sim2.run_until(last + Time::ms(1));
        let _ = sim2.drain_events().count();
        assert_eq!(cross_at(&sim2), before, "SEED={seed}: reader-a read across racks after {last}");
    }
}
