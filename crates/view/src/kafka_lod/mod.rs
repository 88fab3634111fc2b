//! The stage's level of detail for a large Kafka cluster. Up to `DETAILED_MAX_BROKERS` brokers and
//! `DETAILED_MAX_PARTITIONS` partitions of user topics the stage draws every broker with a chip per
//! replica and a dot per message (`layout`, `flights`, `kafka::partition_chips`); beyond either,
//! those would be noise, and the page draws this instead:
//!
//! - each broker as a tile with its counts — partitions it leads, replicas it follows in sync,
//!   under-replicated partitions it leads (Kafka's per-broker `UnderReplicatedPartitions`), and
//!   offline replicas (on a stopped broker, or of a partition with no leader) — and a heat strip
//!   of the records it appended as leader, per quarter second of simulated time (`rates`);
//! - every partition of the user topics in one strip coloured by its state (`PartState`), with the
//!   partitions whose leader was just re-elected marked (`strip`);
//! - traffic as rates per link class and per broker instead of dots (`rates`).
//!
//! Everything here is computed from the world (states, counts: one pass over the brokers'
//! replicas, `O(replicas)`, when the page renders) or folded from events one at a time (`rates`:
//! `O(1)` an event); nothing loops over the partitions per message or per frame.

pub mod rates;
pub mod strip;
#[cfg(test)]
mod tests;

use crate::i18n::t;
use brokerlab_engine::kafka::msg::Tp;
use brokerlab_engine::kafka::node::KafkaNode;
use brokerlab_engine::kafka::partition::{BrokerId, Role};
use brokerlab_engine::models::Node;
use brokerlab_engine::{NodeId, World};
pub use rates::Rates;
pub use strip::Strip;

/// The most brokers drawn one by one, with their replicas as chips (the stage was made for them).
pub const DETAILED_MAX_BROKERS: usize = 9;
/// The most user-topic partitions drawn as chips (64 replicas of RF 1 already fill 9 brokers'
/// rows of 12 chips with "+N more").
pub const DETAILED_MAX_PARTITIONS: usize = 64;

/// Whether the world is a Kafka cluster too large to draw broker by broker: more than 9 brokers,
/// or more than 64 partitions of user topics. Cheap (it counts topics, not partitions).
pub fn aggregates(world: &World) -> bool {
    let Some(c) = &world.shared.kafka else { return false };
    let partitions: usize = c
        .topics
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i as u16) != c.offsets_topic)
        .map(|(_, t)| t.partitions as usize)
        .sum();
    c.brokers.len() > DETAILED_MAX_BROKERS || partitions > DETAILED_MAX_PARTITIONS
}

/// A partition's state as the strip colours it, worst last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PartState {
    /// Led, and every assigned replica in the ISR.
    InSync,
    /// Led, with a smaller ISR than the assignment (a replica is down or lagging).
    UnderReplicated,
    /// Led, with fewer in-sync replicas than `min.insync.replicas`: `acks=all` writes are refused
    /// (NotEnoughReplicas); reads and `acks=0/1` go on.
    UnderMinIsr,
    /// No live leader: neither reads nor writes.
    Offline,
}

impl PartState {
    pub const ALL: [PartState; 4] =
        [PartState::InSync, PartState::UnderReplicated, PartState::UnderMinIsr, PartState::Offline];

    /// The CSS class and `data-state` value.
    pub fn class(self) -> &'static str {
        match self {
            PartState::InSync => "in-sync",
            PartState::UnderReplicated => "under-replicated",
            PartState::UnderMinIsr => "under-min-isr",
            PartState::Offline => "offline",
        }
    }

    /// In the legend and the partition's detail.
    pub fn label(self) -> &'static str {
        match self {
            PartState::InSync => t("led, all replicas in sync"),
            PartState::UnderReplicated => t("under-replicated"),
            PartState::UnderMinIsr => t("under min.insync.replicas (acks=all refused)"),
            PartState::Offline => t("offline (no leader)"),
        }
    }
}

/// One broker's tile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tile {
    pub node: NodeId,
    pub id: BrokerId,
    pub name: String,
    pub up: bool,
    /// Partitions it leads (Kafka's `LeaderCount`).
    pub leaders: u32,
    /// Replicas it follows and is in the leader's ISR.
    pub followers: u32,
    /// Replicas it follows out of the leader's ISR (lagging, or just back).
    pub lagging: u32,
    /// Partitions it leads whose ISR is smaller than their assignment (Kafka's per-broker
    /// `UnderReplicatedPartitions`).
    pub under_replicated: u32,
    /// Its replicas that serve nothing: all of them while it is stopped, else those of partitions
    /// with no leader.
    pub offline: u32,
}

impl Tile {
    pub fn replicas(&self) -> u32 {
        self.leaders + self.followers + self.lagging + self.offline
    }
}

/// One replica of the zoomed broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoomChip {
    /// The partition's place in the strip.
    pub index: usize,
    pub partition: u16,
    pub role: ChipRole,
    /// The partition's state (the strip's colour).
    pub state: PartState,
    pub epoch: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChipRole {
    Leader,
    InSync,
    Lagging,
    Offline,
}

/// The large cluster as the page draws it at one instant.
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    pub tiles: Vec<Tile>,
    pub strip: Strip,
}

/// A partition's current leader replica as the strip and tiles need it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lead<'w> {
    pub broker: BrokerId,
    pub epoch: u32,
    pub isr: &'w [BrokerId],
    /// The assignment's size.
    pub assigned: usize,
}

/// Each user partition's current leader, found in one pass over the live brokers' replicas: the
/// live replica leading in the highest epoch (as `kafka::leader`, without a search per partition).
struct Leaders<'w> {
    /// By strip index.
    of: Vec<Option<Lead<'w>>>,
}

impl<'w> Leaders<'w> {
    fn find(world: &'w World, strip: &Strip) -> Leaders<'w> {
        let mut of: Vec<Option<Lead>> = vec![None; strip.len()];
        for (i, slot) in world.nodes.iter().enumerate() {
            let Node::Kafka(KafkaNode::Broker(b)) = &slot.node else { continue };
            if !world.network.is_up(NodeId(i as u32)) {
                continue;
            }
            for (tp, r) in b.replicas.iter() {
                let (Some(k), Role::Leader(l)) = (strip.index(*tp), &r.role) else { continue };
                if of[k].is_none_or(|lead| r.epoch > lead.epoch) {
                    of[k] = Some(Lead { broker: b.id, epoch: r.epoch, isr: &l.isr[..], assigned: r.assignment.len() });
                }
            }
        }
        Leaders { of }
    }
}

/// The tiles and the strip for `world` (a Kafka cluster; empty otherwise), with the partitions
/// whose leader `rates` saw elected in the last `strip::MOVED_FOR` of simulated time marked.
pub fn picture(world: &World, rates: Option<&Rates>) -> Picture {
    let mut strip = Strip::new(world);
    let leaders = Leaders::find(world, &strip);
    strip.fill(world, &leaders.of, rates);
    let Some(c) = &world.shared.kafka else { return Picture { tiles: vec![], strip } };
    let tiles = c
        .brokers
        .iter()
        .map(|&node| {
            let up = world.network.is_up(node);
            let mut tile = Tile {
                node,
                id: c.broker_of(node).unwrap_or(0),
                name: world.node_name(node).to_string(),
                up,
                leaders: 0,
                followers: 0,
                lagging: 0,
                under_replicated: 0,
                offline: 0,
            };
            if let Node::Kafka(KafkaNode::Broker(b)) = &world.nodes[node.index()].node {
                for (tp, _) in b.replicas.iter() {
                    let Some(k) = strip.index(*tp) else { continue };
                    match (up, role_in(b.id, leaders.of[k])) {
                        (false, _) | (true, ChipRole::Offline) => tile.offline += 1,
                        (true, ChipRole::Leader) => {
                            tile.leaders += 1;
                            tile.under_replicated += (strip.states[k] != PartState::InSync) as u32;
                        }
                        (true, ChipRole::InSync) => tile.followers += 1,
                        (true, ChipRole::Lagging) => tile.lagging += 1,
                    }
                }
            }
            tile
        })
        .collect();
    Picture { tiles, strip }
}

/// A live replica's role, given its partition's leader.
fn role_in(me: BrokerId, leader: Option<Lead>) -> ChipRole {
    match leader {
        None => ChipRole::Offline,
        Some(l) if l.broker == me => ChipRole::Leader,
        Some(l) if l.isr.contains(&me) => ChipRole::InSync,
        Some(_) => ChipRole::Lagging,
    }
}

/// The replicas of the user topics on the broker at `node`, in partition order, for the zoomed
/// view (a stopped broker's replicas are all offline).
pub fn zoom(world: &World, node: NodeId, strip: &Strip) -> Vec<ZoomChip> {
    let Some(Node::Kafka(KafkaNode::Broker(b))) = world.nodes.get(node.index()).map(|s| &s.node) else {
        return vec![];
    };
    let up = world.network.is_up(node);
    let leaders = Leaders::find(world, strip);
    b.replicas
        .iter()
        .filter_map(|(tp, r)| {
            let index = strip.index(*tp)?;
            let role = if up { role_in(b.id, leaders.of[index]) } else { ChipRole::Offline };
            Some(ZoomChip { index, partition: tp.partition, role, state: strip.states[index], epoch: r.epoch })
        })
        .collect()
}

/// One partition's leader, ISR and replicas, for the strip's detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartDetail {
    pub name: String,
    pub state: PartState,
    pub leader: Option<BrokerId>,
    pub epoch: Option<u32>,
    pub isr: Vec<BrokerId>,
    /// The assignment (the controller's replica placement), preferred leader first.
    pub replicas: Vec<BrokerId>,
    pub min_isr: u32,
}

/// The partition `tp` as its current leader has it (or, with no leader, the assignment as any
/// replica knows it).
pub fn detail(world: &World, tp: Tp) -> Option<PartDetail> {
    let c = world.shared.kafka.as_ref()?;
    let topic = c.topics.get(tp.topic as usize).filter(|t| tp.partition < t.partitions)?;
    let lead = crate::kafka::leader(world, tp);
    let assignment = lead.map(|(_, r)| r.assignment.clone()).or_else(|| {
        world.nodes.iter().find_map(|s| match &s.node {
            Node::Kafka(KafkaNode::Broker(b)) => b.replicas.get(&tp).map(|r| r.assignment.clone()),
            _ => None,
        })
    })?;
    let isr = lead.and_then(|(_, r)| r.isr()).map_or(vec![], |i| i.to_vec());
    Some(PartDetail {
        name: c.tp_name(tp),
        state: state_of(lead.map(|(_, r)| (isr.len(), r.assignment.len())), topic.min_insync_replicas),
        leader: lead.map(|(b, _)| b),
        epoch: lead.map(|(_, r)| r.epoch),
        isr,
        replicas: assignment,
        min_isr: topic.min_insync_replicas,
    })
}

/// The state of a partition with `(ISR size, assignment size)` under its leader, or no leader.
fn state_of(led: Option<(usize, usize)>, min_isr: u32) -> PartState {
    match led {
        None => PartState::Offline,
        Some((isr, _)) if (isr as u32) < min_isr => PartState::UnderMinIsr,
        Some((isr, assigned)) if isr < assigned => PartState::UnderReplicated,
        Some(_) => PartState::InSync,
    }
}

/// `tp`'s place in the partition-log panel's menu (`partition_log::partitions`: every topic,
/// `__consumer_offsets` included, in topic order), which is the page's one picked partition.
pub fn log_index(world: &World, tp: Tp) -> Option<usize> {
    let c = world.shared.kafka.as_ref()?;
    let topic = c.topics.get(tp.topic as usize).filter(|t| tp.partition < t.partitions)?;
    let before: usize = c.topics[..tp.topic as usize].iter().map(|t| t.partitions as usize).sum();
    Some(before + tp.partition as usize).filter(|_| topic.partitions > 0)
}
