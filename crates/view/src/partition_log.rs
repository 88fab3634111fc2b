//! One Kafka partition as its replicas hold it: a strip of offsets per replica (the newest
//! `WINDOW` offsets of the partition), each record coloured by the leader epoch it was written in,
//! with the replica's log start, high watermark and log end, and the group's committed offset and
//! each consumer's position marked on the same axis. What a learner should see live: followers
//! catching up to the leader's LEO, the HW trailing until the ISR has a record, a follower's
//! records that the leader does not have (a zombie leader's writes, or an old leader's unreplicated
//! tail) flagged `diverged` until the follower truncates them away.
//!
//! Replicas of stopped brokers are shown too, greyed: their log is on disk and comes back with them.

use crate::kafka::leader;
use brokerlab_engine::kafka::msg::Tp;
use brokerlab_engine::kafka::node::KafkaNode;
use brokerlab_engine::kafka::partition::BrokerId;
use brokerlab_engine::models::Node;
use brokerlab_engine::{NodeId, Time, World};

/// Offsets shown: the newest ones, where things happen.
pub const WINDOW: u64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    pub offset: u64,
    pub epoch: u32,
    /// The current leader has no record at this offset, or one from another epoch: this replica's
    /// copy will be truncated when it next fetches from the leader.
    pub diverged: bool,
    /// When its leader appended it (its journey starts at or before).
    pub at: Time,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strip {
    pub broker: BrokerId,
    pub node: NodeId,
    pub up: bool,
    pub leader: bool,
    /// In the current leader's ISR (the leader itself included).
    pub in_isr: bool,
    pub epoch: u32,
    pub log_start: u64,
    pub hw: u64,
    pub leo: u64,
    /// The records inside the window, by offset (compaction can leave holes).
    pub cells: Vec<Cell>,
}

/// A consumer's place in the partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reader {
    pub name: String,
    /// The next offset it will fetch, if it reads the partition now.
    pub position: Option<u64>,
    /// Its group's committed offset for the partition, as the consumer last learnt it.
    pub committed: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionLog {
    pub tp: Tp,
    pub name: String,
    /// The window: offsets `from..to`.
    pub from: u64,
    pub to: u64,
    pub strips: Vec<Strip>,
    pub readers: Vec<Reader>,
}

/// Every partition of every topic, as `(tp, "orders-0")`, for the page's chooser.
pub fn partitions(world: &World) -> Vec<(Tp, String)> {
    let Some(c) = &world.shared.kafka else { return vec![] };
    c.topics
        .iter()
        .enumerate()
        .flat_map(|(t, topic)| {
            (0..topic.partitions).map(move |p| (Tp { topic: t as u16, partition: p }, format!("{}-{p}", topic.name)))
        })
        .collect()
}

pub fn partition_log(world: &World, tp: Tp) -> Option<PartitionLog> {
    let topic = world.shared.kafka.as_ref()?.topics.get(tp.topic as usize).filter(|t| tp.partition < t.partitions)?;
    let name = format!("{}-{}", topic.name, tp.partition);
    // Borrowed, not cloned: this runs on every render of the page.
    let current = leader(world, tp).map(|(b, r)| (b, &r.log, r.isr()));
    let replicas: Vec<_> = world
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, slot)| match &slot.node {
            Node::Kafka(KafkaNode::Broker(b)) => b.replicas.get(&tp).map(|r| (NodeId(i as u32), b.id, r)),
            _ => None,
        })
        .collect();
    let to = replicas.iter().map(|(_, _, r)| r.log.leo()).max().unwrap_or(0);
    let from = to.saturating_sub(WINDOW);
    let strips = replicas
        .iter()
        .map(|&(node, broker, r)| {
            let up = world.network.is_up(node);
            let leads = current.as_ref().is_some_and(|(b, _, _)| *b == broker) && up;
            // Only the window's records (`slice` seeks to `from`), not the whole log.
            let cells = r
                .log
                .slice(from, u64::MAX)
                .into_iter()
                .map(|rec| {
                    let diverged = match &current {
                        Some((_, log, _)) if !leads => log.get(rec.offset).is_none_or(|l| l.epoch != rec.epoch),
                        _ => false,
                    };
                    Cell { offset: rec.offset, epoch: rec.epoch, diverged, at: rec.timestamp }
                })
                .collect();
            Strip {
                broker,
                node,
                up,
                leader: leads,
                in_isr: current.as_ref().and_then(|(_, _, isr)| *isr).is_some_and(|isr| isr.contains(&broker)),
                epoch: r.epoch,
                log_start: r.log.log_start(),
                hw: r.log.hw(),
                leo: r.log.leo(),
                cells,
            }
        })
        .collect();
    let readers = world
        .nodes
        .iter()
        .filter_map(|slot| match &slot.node {
            Node::Kafka(k) if k.consumer().is_some_and(|c| c.topic == tp.topic) => {
                let c = k.consumer().expect("a consumer");
                let position = c.positions.get(&tp.partition).copied();
                let committed = c.member.as_ref().and_then(|m| m.committed.get(&tp.partition).copied());
                (position.is_some() || committed.is_some()).then(|| Reader {
                    name: slot.name.clone(),
                    position,
                    committed,
                })
            }
            _ => None,
        })
        .collect();
    Some(PartitionLog { tp, name, from, to, strips, readers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::{presets, Simulation, Time};

    #[test]
    fn replicas_line_up_on_one_axis_with_the_readers_marked() {
        let mut sim = Simulation::new(&presets::load("kafka-basic").unwrap(), 1).unwrap();
        sim.run_until(Time::secs(2));
        let tp = partitions(sim.world())[0].0;
        let log = partition_log(sim.world(), tp).unwrap();
        assert_eq!(log.strips.len(), 3, "replication factor 3");
        assert_eq!(log.strips.iter().filter(|s| s.leader).count(), 1);
        assert!(log.to > 0 && log.to - log.from <= WINDOW);
        for s in &log.strips {
            assert!(s.in_isr && s.up, "a healthy cluster: {s:?}");
            assert!(s.hw <= s.leo && s.leo <= log.to);
            assert!(s.cells.iter().all(|c| c.offset >= log.from && c.offset < s.leo && !c.diverged));
        }
        let reader = log.readers.first().expect("the consumer reads partition 0");
        assert!(reader.position.is_some_and(|p| p <= log.to));
    }

    /// kafka-basic stops b1 at 3 s: its replica stays, greyed, and drops out of the ISR; another
    /// broker leads. The partitions it led get a new leader in a higher epoch.
    #[test]
    fn a_stopped_broker_keeps_its_strip_out_of_the_isr() {
        let mut sim = Simulation::new(&presets::load("kafka-basic").unwrap(), 1).unwrap();
        sim.run_until(Time::secs(8));
        let b1 = sim.world().node_by_name("b1").unwrap();
        for (tp, _) in partitions(sim.world()).into_iter().filter(|(tp, _)| tp.topic == 0) {
            let log = partition_log(sim.world(), tp).unwrap();
            let s = log.strips.iter().find(|s| s.node == b1).expect("b1's replica is still drawn");
            assert!(!s.up && !s.in_isr && !s.leader, "{s:?}");
            assert_eq!(log.strips.iter().filter(|s| s.leader).count(), 1);
        }
    }

    /// A zombie leader: with acks=1, the leader of a partition is cut off from ZooKeeper and the
    /// other brokers but not from the producer. It keeps appending in its old epoch while the
    /// controller elects a new leader, which writes other records at the same offsets: the
    /// zombie's strip shows them diverged, and once the links heal it truncates them away — when
    /// its fetcher to the new leader, whose fetch in flight was lost to the cut, has given it up
    /// (`request.timeout.ms`, 30 s) and fetches again.
    #[test]
    fn a_zombie_leaders_records_are_flagged_diverged_until_truncated() {
        let json = include_str!("../../../scenarios/kafka-basic.json").replace("\"acks\": \"all\"", "\"acks\": \"1\"");
        let mut s = brokerlab_engine::Scenario::from_json(&json).unwrap();
        s.faults.clear(); // the preset's own b1 crash would muddle the story

        let mut sim = Simulation::new(&s, 1).unwrap();
        sim.run_until(Time::secs(2));
        let w = sim.world();
        let tp = partitions(w)[0].0;
        let old = partition_log(w, tp).unwrap().strips.into_iter().find(|s| s.leader).unwrap();
        let others: Vec<NodeId> =
            ["zk", "b1", "b2", "b3"].iter().map(|n| w.node_by_name(n).unwrap()).filter(|&n| n != old.node).collect();
        for &o in &others {
            sim.apply(brokerlab_engine::Command::Cut { a: old.node, b: o }).unwrap();
        }
        sim.run_until(Time::secs(6));
        let log = partition_log(sim.world(), tp).unwrap();
        let zombie = log.strips.iter().find(|s| s.node == old.node).unwrap();
        let new = log.strips.iter().find(|s| s.leader).expect("a new leader");
        assert!(new.node != old.node && new.epoch > zombie.epoch, "{new:?} vs {zombie:?}");
        assert!(zombie.cells.iter().any(|c| c.diverged), "the zombie appended what the new leader does not have");
        assert!(new.cells.iter().all(|c| !c.diverged));
        for &o in &others {
            sim.apply(brokerlab_engine::Command::Heal { a: old.node, b: o }).unwrap();
        }
        sim.run_until(Time::secs(40));
        let log = partition_log(sim.world(), tp).unwrap();
        assert!(log.strips.iter().all(|s| s.cells.iter().all(|c| !c.diverged)), "truncated away: {log:?}");
    }
}
