//! What the Kafka inspectors and charts read from the world, computed here rather than in the UI:
//! a consumer's partitions with position, committed offset and lag; a group's total lag; how many
//! partitions are under-replicated; who coordinates a group.
//!
//! Lag = the partition leader's high watermark − the consumer's position (what it could read and
//! has not yet). The leader is the live broker that leads the partition in the highest epoch.

use crate::i18n::{t, tf};
use brokerlab_engine::kafka::consumer::{Consumer, Phase};
use brokerlab_engine::kafka::msg::Tp;
use brokerlab_engine::kafka::node::KafkaNode;
use brokerlab_engine::kafka::partition::{BrokerId, Replica, Role};
use brokerlab_engine::models::Node;
use brokerlab_engine::vecmap::VecMap;
use brokerlab_engine::{NodeId, World};

/// Live brokers' replicas: `(broker id, node, replica)` for one partition.
fn replicas(world: &World, tp: Tp) -> impl Iterator<Item = (BrokerId, &Replica)> {
    world.nodes.iter().enumerate().filter_map(move |(i, slot)| match &slot.node {
        Node::Kafka(KafkaNode::Broker(b)) if world.network.is_up(NodeId(i as u32)) => {
            b.replicas.get(&tp).map(|r| (b.id, r))
        }
        _ => None,
    })
}

/// The partition's current leader replica: live, leading, in the highest epoch.
pub fn leader(world: &World, tp: Tp) -> Option<(BrokerId, &Replica)> {
    replicas(world, tp).filter(|(_, r)| r.is_leader()).max_by_key(|(_, r)| r.epoch)
}

/// Every partition's current leader replica, as `leader` finds it, in one pass over the live
/// brokers' replicas (the charts sample these for every partition: at 50 brokers and 1 000
/// partitions, `leader` per partition looked in every broker 50 000 times per sample). Sorted by
/// partition and epoch, stably, so of equal epochs the last broker wins, as `max_by_key` picks.
pub fn leaders(world: &World) -> VecMap<Tp, (BrokerId, &Replica)> {
    let mut all: Vec<(Tp, BrokerId, &Replica)> = world
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, slot)| match &slot.node {
            Node::Kafka(KafkaNode::Broker(b)) if world.network.is_up(NodeId(i as u32)) => Some(b),
            _ => None,
        })
        .flat_map(|b| b.replicas.iter().filter(|(_, r)| r.is_leader()).map(move |(tp, r)| (*tp, b.id, r)))
        .collect();
    brokerlab_engine::sort::sort_by_key(&mut all, |(tp, _, r)| (*tp, r.epoch));
    let mut out = VecMap::new();
    for (tp, b, r) in all {
        out.insert(tp, (b, r));
    }
    out
}

/// Whether the live broker at `node` believes it is the controller: `Some(true)` if its controller
/// epoch is the newest among the live brokers that believe so, `Some(false)` if a newer one exists
/// (a stale controller: cut off from ZooKeeper, it has not yet heard that it lost `/controller`).
pub fn controller_claim(world: &World, node: NodeId) -> Option<bool> {
    let epoch_of = |i: usize| match &world.nodes[i].node {
        Node::Kafka(KafkaNode::Broker(b)) if world.network.is_up(NodeId(i as u32)) => {
            b.controller.as_ref().map(|c| c.epoch)
        }
        _ => None,
    };
    let mine = epoch_of(node.index())?;
    let newest = (0..world.nodes.len()).filter_map(epoch_of).max()?;
    Some(mine == newest)
}

/// A ZooKeeper ensemble server's part, as the stage labels it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZkPart {
    /// Leading and serving, with how many servers (itself included) serve under it: its quorum.
    Leader { epoch: u32, serving: usize, of: usize },
    /// Elected, still gathering a quorum of followers before it serves.
    Establishing,
    /// Serving clients as a follower of server `leader` (1…N).
    Follower { leader: u8 },
    /// Following, not yet synchronised with its leader.
    Syncing { leader: u8 },
    /// In an election: no leader, serving nobody.
    Looking,
}

impl ZkPart {
    /// Under the server on the stage, where ensemble servers sit side by side: "leader (2 of 3)",
    /// "follower", "looking".
    pub fn short(self) -> String {
        match self {
            ZkPart::Leader { serving, of, .. } => tf("leader ({0} of {1})", &[&serving, &of]),
            ZkPart::Establishing => t("leader (forming)").into(),
            ZkPart::Follower { .. } => t("follower").into(),
            ZkPart::Syncing { .. } => t("syncing").into(),
            ZkPart::Looking => t("looking").into(),
        }
    }

    /// In full: "leader · quorum 2 of 3", "follower of zk1", "looking (no leader)".
    pub fn label(self, world: &World) -> String {
        let name = |server: u8| {
            world
                .shared
                .kafka
                .as_ref()
                .and_then(|c| c.zks.get(server as usize - 1))
                .map_or("?", |&n| world.node_name(n))
        };
        match self {
            ZkPart::Leader { serving, of, .. } => tf("leader · quorum {0} of {1}", &[&serving, &of]),
            ZkPart::Establishing => t("elected leader, gathering a quorum of followers").into(),
            ZkPart::Follower { leader } => tf("follower of {0}", &[&name(leader)]),
            ZkPart::Syncing { leader } => tf("syncing with {0}", &[&name(leader)]),
            ZkPart::Looking => t("looking (no leader)").into(),
        }
    }
}

/// The live ZooKeeper server at `node`'s part in its ensemble (`None`: not an ensemble server, or
/// down). The quorum counted is the servers serving under the same leader.
pub fn zk_part(world: &World, node: NodeId) -> Option<ZkPart> {
    use brokerlab_engine::kafka::zk_ensemble::{Peer, Role as ZkRole};
    let peer = |i: usize| -> Option<&Peer> {
        match &world.nodes.get(i)?.node {
            Node::Kafka(KafkaNode::Zk(z)) if world.network.is_up(NodeId(i as u32)) => z.ensemble.as_deref(),
            _ => None,
        }
    };
    let me = peer(node.index())?;
    Some(match me.role {
        ZkRole::Looking => ZkPart::Looking,
        ZkRole::Following { leader, serving: true, .. } => ZkPart::Follower { leader },
        ZkRole::Following { leader, .. } => ZkPart::Syncing { leader },
        ZkRole::Leading if !me.serving() => ZkPart::Establishing,
        ZkRole::Leading => {
            let of = world.shared.kafka.as_ref().map_or(0, |c| c.zks.len());
            let serving =
                (0..world.nodes.len()).filter_map(peer).filter(|p| p.serving() && p.leader() == Some(me.id)).count();
            ZkPart::Leader { epoch: me.current_epoch, serving, of }
        }
    })
}

pub fn leader_hw(world: &World, tp: Tp) -> Option<u64> {
    leader(world, tp).map(|(_, r)| r.log.hw())
}

pub fn consumer(world: &World, node: NodeId) -> Option<&Consumer> {
    match &world.nodes.get(node.index())?.node {
        Node::Kafka(k) => k.consumer(),
        _ => None,
    }
}

/// One partition as a consumer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartRow {
    pub partition: u16,
    pub owned: bool,
    pub position: Option<u64>,
    pub committed: Option<u64>,
    pub hw: Option<u64>,
    pub lag: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerView {
    pub topic: u16,
    pub group: Option<u8>,
    pub member_id: String,
    pub generation: Option<u32>,
    pub phase: &'static str,
    pub coordinator: Option<BrokerId>,
    pub rows: Vec<PartRow>,
}

pub fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::Unjoined => t("not in the group (will join)"),
        Phase::Committing => t("committing before it rejoins"),
        Phase::Joining => t("joining (JoinGroup sent)"),
        Phase::Syncing => t("waiting for its assignment (SyncGroup)"),
        Phase::Stable => t("stable member"),
        Phase::Fenced => t("fenced: another consumer joined with its group.instance.id"),
    }
}

/// A consumer's assignment, positions, committed offsets and lag, partition by partition: the
/// partitions it owns (group member) or reads (standalone), plus those with a committed offset.
pub fn consumer_view(world: &World, node: NodeId) -> Option<ConsumerView> {
    let c = consumer(world, node)?;
    let partitions = world.shared.kafka.as_ref()?.topics.get(c.topic as usize)?.partitions;
    let up = world.network.is_up(node);
    let rows = (0..partitions)
        .filter_map(|p| {
            let tp = Tp { topic: c.topic, partition: p };
            let owned = match &c.member {
                Some(m) => m.owned & (1 << p) != 0,
                None => up,
            };
            let position = c.positions.get(&p).copied();
            let committed = c.member.as_ref().and_then(|m| m.committed.get(&p).copied());
            if !owned && position.is_none() && committed.is_none() {
                return None;
            }
            let hw = leader_hw(world, tp);
            let from = if owned { position.or(committed) } else { committed };
            let lag = hw.zip(from).map(|(h, f)| h.saturating_sub(f));
            Some(PartRow { partition: p, owned, position, committed, hw, lag })
        })
        .collect();
    let m = c.member.as_ref();
    Some(ConsumerView {
        topic: c.topic,
        group: m.map(|m| m.group),
        member_id: m.map_or(String::new(), |m| m.member_id.clone()),
        generation: m.and_then(|m| m.generation),
        phase: m.map_or(t("standalone reader"), |m| if up { phase_name(m.phase) } else { t("stopped") }),
        coordinator: m.and_then(|m| m.coordinator),
        rows,
    })
}

/// The broker coordinating `group`: the current leader of its `__consumer_offsets` partition
/// (a broker cut off from the coordinator may still hold the group — a zombie — but is not it).
pub fn coordinator(world: &World, group: u8) -> Option<(BrokerId, NodeId)> {
    let c = world.shared.kafka.as_ref()?;
    let tp = Tp { topic: c.offsets_topic?, partition: c.groups.get(group as usize)?.offsets_partition };
    let (b, _) = leader(world, tp)?;
    Some((b, c.broker_node(b)?))
}

/// The group's committed offset for a partition, as its coordinator has it.
fn group_committed(world: &World, group: u8, partition: u16) -> Option<u64> {
    let (_, node) = coordinator(world, group)?;
    match &world.nodes[node.index()].node {
        Node::Kafka(KafkaNode::Broker(b)) => b.groups.get(&group)?.offsets.get(&partition).copied(),
        _ => None,
    }
}

/// A group's total lag over its topic's partitions: for each, the leader's HW minus the position
/// of the live member that owns it, or minus the group's committed offset when none does (or 0).
pub fn group_lag(world: &World, group: u8) -> Option<u64> {
    let cluster = world.shared.kafka.as_ref()?;
    let g = cluster.groups.get(group as usize)?;
    let partitions = cluster.topics.get(g.topic as usize)?.partitions;
    let members: Vec<&Consumer> = world
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| world.network.is_up(NodeId(*i as u32)))
        .filter_map(|(_, s)| match &s.node {
            Node::Kafka(k) => k.consumer().filter(|c| c.member.as_ref().is_some_and(|m| m.group == group)),
            _ => None,
        })
        .collect();
    let leaders = leaders(world);
    let mut total = 0;
    for p in 0..partitions {
        let Some((_, leader)) = leaders.get(&Tp { topic: g.topic, partition: p }) else { continue };
        let hw = leader.log.hw();
        let position = members
            .iter()
            .find(|c| c.member.as_ref().is_some_and(|m| m.owned & (1 << p) != 0))
            .and_then(|c| c.positions.get(&p).copied())
            .or_else(|| group_committed(world, group, p))
            .unwrap_or(0);
        total += hw.saturating_sub(position);
    }
    Some(total)
}

/// One replica of a user topic's partition, drawn as a chip under its broker on the stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chip {
    /// `orders-1`: the partition, for keys and tooltips.
    pub name: String,
    pub partition: u16,
    pub broker: NodeId,
    /// Its place in the broker's row of chips.
    pub slot: usize,
    pub leader: bool,
    /// In the leader's ISR (a leader always is); false for a follower that fell out of it, or
    /// for a replica of a partition with no live leader.
    pub in_sync: bool,
    pub epoch: u32,
}

/// Chips drawn per broker at most; the rest are counted (`more`).
pub const CHIPS_PER_BROKER: usize = 12;

/// The replicas of the user topics on each live broker, in partition order, and per broker how
/// many did not fit. A leadership move shows as the leader's chip changing broker, which the
/// stage animates (the chips are keyed by partition).
pub fn partition_chips(world: &World) -> (Vec<Chip>, Vec<(NodeId, usize)>) {
    let (mut chips, mut more) = (Vec::new(), Vec::new());
    let Some(c) = &world.shared.kafka else { return (chips, more) };
    let tps: Vec<Tp> = c.all_tps().into_iter().filter(|tp| !c.is_internal(tp.topic)).collect();
    let isrs: Vec<Option<(BrokerId, Vec<BrokerId>)>> = tps
        .iter()
        .map(|&tp| {
            leader(world, tp).map(|(id, r)| match &r.role {
                Role::Leader(l) => (id, l.isr.clone()),
                _ => (id, vec![]),
            })
        })
        .collect();
    for (i, slot) in world.nodes.iter().enumerate() {
        let node = NodeId(i as u32);
        let Node::Kafka(KafkaNode::Broker(b)) = &slot.node else { continue };
        if !world.network.is_up(node) {
            continue;
        }
        let mut n = 0;
        for (k, &tp) in tps.iter().enumerate() {
            let Some(r) = b.replicas.get(&tp) else { continue };
            if n == CHIPS_PER_BROKER {
                n += 1;
                continue;
            }
            let (leads, in_sync) = match &isrs[k] {
                Some((id, isr)) => (*id == b.id, isr.contains(&b.id)),
                None => (false, false),
            };
            chips.push(Chip {
                name: c.tp_name(tp),
                partition: tp.partition,
                broker: node,
                slot: n,
                leader: leads,
                in_sync,
                epoch: r.epoch,
            });
            n += 1;
        }
        if n > CHIPS_PER_BROKER {
            more.push((node, n - CHIPS_PER_BROKER));
        }
    }
    (chips, more)
}

/// Replication health over the user topics: `(under-replicated partitions, offline partitions,
/// average ISR size)`. Under-replicated: the leader's ISR is smaller than the assignment.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Replication {
    pub under_replicated: u32,
    pub offline: u32,
    pub avg_isr: f64,
}

pub fn replication(world: &World) -> Replication {
    let Some(c) = &world.shared.kafka else { return Replication::default() };
    let mut r = Replication::default();
    let (mut isr_sum, mut led) = (0usize, 0usize);
    let leaders = leaders(world);
    for tp in c.all_tps().into_iter().filter(|tp| !c.is_internal(tp.topic)) {
        match leaders.get(&tp) {
            Some((_, rep)) => {
                let isr = match &rep.role {
                    Role::Leader(l) => l.isr.len(),
                    _ => 0,
                };
                isr_sum += isr;
                led += 1;
                if isr < rep.assignment.len() {
                    r.under_replicated += 1;
                }
            }
            None => r.offline += 1,
        }
    }
    r.avg_isr = if led == 0 { 0.0 } else { isr_sum as f64 / led as f64 };
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::{presets, Scenario, Simulation, Time};

    /// `leaders` in one pass finds what `leader` finds partition by partition, through a broker
    /// killed and its partitions' leaders moved.
    #[test]
    fn leaders_in_one_pass_are_leader_per_partition() {
        let s = Scenario::from_json(include_str!("../../../tests/data/kafka-large.json")).unwrap();
        let mut sim = Simulation::new(&s, 1).unwrap();
        for until in [Time::secs(1), Time::secs(16)] {
            sim.run_until(until);
            let w = sim.world();
            let all = leaders(w);
            let c = w.shared.kafka.as_ref().unwrap();
            let mut found = 0;
            for tp in c.all_tps() {
                let one = leader(w, tp).map(|(b, r)| (b, r as *const Replica));
                assert_eq!(all.get(&tp).map(|(b, r)| (*b, *r as *const Replica)), one, "{tp:?} at {until}");
                found += one.is_some() as usize;
            }
            assert!(found >= 1000, "the partitions are led ({found})");
        }
    }

    fn groups_sim() -> Simulation {
        let s = Scenario::from_json(include_str!("testdata/groups.json")).unwrap();
        Simulation::new(&s, 1).unwrap()
    }

    #[test]
    fn of_two_brokers_that_believe_they_control_the_older_epoch_is_stale() {
        let mut sim = Simulation::new(&presets::load("kafka-basic").unwrap(), 1).unwrap();
        sim.run_until(Time::secs(2));
        let mut w = sim.world().clone();
        let claims = |w: &World| -> Vec<(u32, bool)> {
            (0..w.nodes.len() as u32).filter_map(|i| controller_claim(w, NodeId(i)).map(|c| (i, c))).collect()
        };
        let first = claims(&w);
        assert_eq!(first.len(), 1, "one controller: {first:?}");
        assert!(first[0].1);
        // Another broker still holding an older controller epoch (as one cut off from ZooKeeper
        // does until it hears of its session's expiry): it is the stale one.
        let active = first[0].0 as usize;
        let old = match &w.nodes[active].node {
            Node::Kafka(KafkaNode::Broker(b)) => b.controller.clone().unwrap(),
            _ => unreachable!(),
        };
        let other = (0..w.nodes.len())
            .find(|&i| i != active && matches!(&w.nodes[i].node, Node::Kafka(KafkaNode::Broker(_))))
            .unwrap();
        if let Node::Kafka(KafkaNode::Broker(b)) = &mut w.nodes[active].node {
            b.controller.as_mut().unwrap().epoch += 1;
        }
        if let Node::Kafka(KafkaNode::Broker(b)) = &mut w.nodes[other].node {
            b.controller = Some(old);
        }
        assert_eq!(claims(&w), {
            let mut want = vec![(active as u32, true), (other as u32, false)];
            want.sort();
            want
        });
        // A stopped broker claims nothing.
        w.network.set_up(NodeId(active as u32), false);
        assert_eq!(claims(&w), vec![(other as u32, true)]);
    }

    #[test]
    fn a_members_rows_show_position_commit_and_lag() {
        let mut sim = groups_sim();
        sim.run_until(Time::secs(4));
        let w = sim.world();
        let c1 = w.node_by_name("c1").unwrap();
        let v = consumer_view(w, c1).unwrap();
        assert_eq!(v.group, Some(0));
        assert_eq!(v.phase, "stable member");
        assert_eq!(v.generation, Some(1));
        let owned: Vec<u16> = v.rows.iter().filter(|r| r.owned).map(|r| r.partition).collect();
        assert_eq!(owned, vec![0, 1], "range: c1 gets the first two of six");
        for r in v.rows.iter().filter(|r| r.owned) {
            let (pos, hw) = (r.position.unwrap(), r.hw.unwrap());
            assert!(pos <= hw && r.lag == Some(hw - pos), "{r:?}");
            assert!(r.committed.unwrap() <= pos);
        }
        assert!(group_lag(w, 0).is_some());
        assert_eq!(coordinator(w, 0).map(|(b, _)| b), v.coordinator);
        // Not a consumer: nothing.
        assert_eq!(consumer_view(w, w.node_by_name("b1").unwrap()), None);
    }

    #[test]
    fn chips_show_leaders_and_their_move_after_a_broker_dies() {
        let mut sim = Simulation::new(&presets::load("kafka-basic").unwrap(), 1).unwrap();
        sim.run_until(Time::secs(2));
        let (chips, more) = partition_chips(sim.world());
        // 3 partitions × RF 3 on 3 brokers: 9 chips, one leader and two in-sync followers each.
        assert_eq!(chips.len(), 9);
        assert!(more.is_empty());
        for p in 0..3 {
            let of: Vec<&Chip> = chips.iter().filter(|c| c.partition == p).collect();
            assert_eq!(of.iter().filter(|c| c.leader).count(), 1, "{of:?}");
            assert!(of.iter().all(|c| c.in_sync));
        }
        let b1 = sim.world().node_by_name("b1").unwrap();
        let led_by_b1: Vec<u16> = chips.iter().filter(|c| c.leader && c.broker == b1).map(|c| c.partition).collect();
        // kafka-basic stops b1 at 3 s: its chips go, and its partitions get leaders elsewhere.
        sim.run_until(Time::secs(8));
        let (chips, _) = partition_chips(sim.world());
        assert!(chips.iter().all(|c| c.broker != b1));
        for p in led_by_b1 {
            let lead = chips.iter().find(|c| c.partition == p && c.leader).expect("a new leader");
            assert!(lead.epoch > 0);
        }
    }

    #[test]
    fn a_dead_broker_leaves_partitions_under_replicated() {
        let mut sim = Simulation::new(&presets::load("kafka-basic").unwrap(), 1).unwrap();
        sim.run_until(Time::secs(2));
        let healthy = replication(sim.world());
        assert_eq!((healthy.under_replicated, healthy.offline), (0, 0));
        assert_eq!(healthy.avg_isr, 3.0);
        // kafka-basic stops b1 at 3 s; after the session timeout and the lag time, ISRs shrink.
        sim.run_until(Time::secs(8));
        let hurt = replication(sim.world());
        assert_eq!(hurt.under_replicated, 3, "{hurt:?}");
        assert!(hurt.avg_isr < 3.0);
        let w = sim.world();
        let v = consumer_view(w, w.node_by_name("notifier").unwrap()).unwrap();
        assert_eq!(v.rows.iter().filter(|r| r.owned).count(), 3, "the group's one member owns all three");
    }

    /// kafka-zk-ensemble: zk3 leads all three; it dies at 4 s and another leads two of three; zk2
    /// dies at 9 s and zk1 is left looking; zk3 returns at 14 s and a quorum forms again.
    #[test]
    fn the_ensemble_shows_its_leader_and_quorum() {
        let mut sim = Simulation::new(&presets::load("kafka-zk-ensemble").unwrap(), 1).unwrap();
        let parts = |sim: &Simulation| -> Vec<Option<ZkPart>> {
            ["zk1", "zk2", "zk3"].iter().map(|n| zk_part(sim.world(), sim.world().node_by_name(n).unwrap())).collect()
        };
        sim.run_until(Time::secs(3));
        let p = parts(&sim);
        assert!(matches!(p[2], Some(ZkPart::Leader { serving: 3, of: 3, .. })), "{p:?}");
        assert_eq!(&p[..2], &[Some(ZkPart::Follower { leader: 3 }); 2]);
        assert_eq!(p[2].unwrap().label(sim.world()), "leader · quorum 3 of 3");
        assert_eq!(p[2].unwrap().short(), "leader (3 of 3)");
        assert_eq!(p[0].unwrap().label(sim.world()), "follower of zk3");
        sim.run_until(Time::secs(6));
        let p = parts(&sim);
        assert_eq!(p[2], None, "zk3 is down");
        assert!(matches!(p[1], Some(ZkPart::Leader { serving: 2, of: 3, .. })), "{p:?}");
        sim.run_until(Time::secs(12));
        let p = parts(&sim);
        assert_eq!(p[0], Some(ZkPart::Looking), "alone, no quorum: {p:?}");
        assert_eq!(p[0].unwrap().label(sim.world()), "looking (no leader)");
        sim.run_until(Time::secs(17));
        let p = parts(&sim);
        assert!(p.iter().flatten().any(|z| matches!(z, ZkPart::Leader { serving: 2, of: 3, .. })), "{p:?}");
        let single = Simulation::new(&presets::load("kafka-basic").unwrap(), 1).unwrap();
        assert_eq!(zk_part(single.world(), single.world().node_by_name("zk").unwrap()), None, "a single server");
    }
}
