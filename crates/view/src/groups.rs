//! Consumer groups as the page shows them, folded from the engine's events alone: each group's
//! state machine (Empty → PreparingRebalance → CompletingRebalance → Stable), its generation and
//! coordinator, who owns which partitions, the partitions that moved, and every rebalance with its
//! stop-the-world gap in simulated time.
//!
//! The gap of a rebalance runs from its first `Revoked` to the last `Assigned` that gives a revoked
//! partition a consumer again. Eager protocol: every member revokes everything first, so nothing is
//! consumed during the gap. Cooperative protocol (KIP-429): members keep what they still own; only the
//! partitions that move pause, and the others `kept` being consumed throughout.
//!
//! The gap alone hides the real cost of a crash: the dead member's partitions stop being consumed
//! when its process stops, long before the rebalance starts (its session has to time out first).
//! So each rebalance also counts **partition-seconds not consumed**: for every partition that it
//! gives a consumer again, the time since that partition stopped being consumed (revoked, its
//! owner stopped, or its owner removed), summed — the same measure for eager and cooperative.

use brokerlab_engine::kafka::msg::{GroupState, KafkaEvent};
use brokerlab_engine::kafka::partition::BrokerId;
use brokerlab_engine::{Event, EventKind, ModelEvents, NodeId, Time, World};
use std::collections::VecDeque;

/// Rebalances and moves kept per group (older ones fall off).
pub const KEEP: usize = 8;

/// One partition changing hands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    pub partition: u16,
    /// Its previous owner, if it had one since the page started watching.
    pub from: Option<NodeId>,
    pub to: NodeId,
    pub generation: u32,
    pub at: Time,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rebalance {
    pub started: Time,
    pub cooperative: bool,
    /// The generation it produced (the newest one whose assignments arrived).
    pub generation: u32,
    pub first_revoke: Option<Time>,
    pub last_assigned: Option<Time>,
    /// Partitions owned when it started.
    pub owned_at_start: u64,
    /// Partitions revoked (or left without a live owner) during it.
    pub stopped: u64,
    /// Partitions revoked and not yet assigned again.
    pub paused: u64,
    /// Partition-time not consumed, in µs, of the partitions it gave a consumer again.
    pub idle: u64,
    pub done: bool,
}

impl Rebalance {
    /// The stop-the-world gap: first revoke to the last assignment that ended a pause.
    pub fn gap(&self) -> Option<Time> {
        match (self.first_revoke, self.last_assigned) {
            (Some(a), Some(b)) if b >= a => Some(Time(b.0 - a.0)),
            _ => None,
        }
    }

    /// It stopped consumption: it revoked partitions, or it gave a dead member's partitions a
    /// consumer again (a cooperative rebalance after a crash revokes nothing, and costs the most).
    pub fn costly(&self) -> bool {
        self.first_revoke.is_some() || self.idle > 0
    }

    /// Partition-seconds not consumed (see the module's note).
    pub fn partition_seconds(&self) -> f64 {
        self.idle as f64 / 1e6
    }

    /// Partitions that were owned at the start and were never stopped: consumed throughout.
    pub fn kept(&self) -> u64 {
        self.owned_at_start & !self.stopped
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    pub node: NodeId,
    pub partitions: u64,
    /// False once its process stopped (the coordinator still counts it until its session expires).
    pub alive: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupView {
    pub index: u8,
    pub partitions: u16,
    pub cooperative: bool,
    pub state: Option<GroupState>,
    pub generation: u32,
    pub coordinator: Option<BrokerId>,
    pub members: u8,
    pub owners: Vec<Owner>,
    /// Each partition's last owner, to tell where a moved partition came from.
    last_owner: Vec<Option<NodeId>>,
    /// Since when each partition has had no live consumer (`None`: consumed, or never owned yet).
    unconsumed_since: Vec<Option<Time>>,
    assigned_in_generation: u8,
    pub moves: VecDeque<Move>,
    pub rebalances: VecDeque<Rebalance>,
    /// State changes: `(at, state, generation)`, newest last.
    pub history: VecDeque<(Time, GroupState, u32)>,
}

impl GroupView {
    fn new(index: u8, partitions: u16, cooperative: bool) -> GroupView {
        GroupView {
            index,
            partitions,
            cooperative,
            state: None,
            generation: 0,
            coordinator: None,
            members: 0,
            owners: vec![],
            last_owner: vec![None; partitions as usize],
            unconsumed_since: vec![None; partitions as usize],
            assigned_in_generation: 0,
            moves: VecDeque::new(),
            rebalances: VecDeque::new(),
            history: VecDeque::new(),
        }
    }

    fn owned(&self) -> u64 {
        self.owners.iter().fold(0, |m, o| m | o.partitions)
    }

    /// The open rebalance, opening one if there is none.
    fn open(&mut self, at: Time) -> &mut Rebalance {
        if self.rebalances.back().is_none_or(|r| r.done) {
            if self.rebalances.len() == KEEP {
                self.rebalances.pop_front();
            }
            let owned = self.owned();
            self.rebalances.push_back(Rebalance {
                started: at,
                cooperative: self.cooperative,
                generation: self.generation,
                first_revoke: None,
                last_assigned: None,
                owned_at_start: owned,
                stopped: 0,
                paused: 0,
                idle: 0,
                done: false,
            });
        }
        self.rebalances.back_mut().expect("just ensured")
    }

    fn current(&mut self) -> Option<&mut Rebalance> {
        self.rebalances.back_mut().filter(|r| !r.done)
    }

    fn owner_mut(&mut self, node: NodeId) -> &mut Owner {
        let i = match self.owners.iter().position(|o| o.node == node) {
            Some(i) => i,
            None => {
                self.owners.push(Owner { node, partitions: 0, alive: true });
                self.owners.len() - 1
            }
        };
        &mut self.owners[i]
    }

    /// `partitions` stop being consumed at `at` (unless they already had).
    fn stop_consuming(&mut self, at: Time, partitions: u64) {
        for p in bits(partitions) {
            if let Some(slot) = self.unconsumed_since.get_mut(p as usize) {
                slot.get_or_insert(at);
            }
        }
    }

    /// `partitions` have a consumer again at `at`: their time without one goes to the rebalance
    /// that gave it (the open one, else the last).
    fn resume_consuming(&mut self, at: Time, partitions: u64) {
        let mut idle = 0;
        for p in bits(partitions) {
            if let Some(since) = self.unconsumed_since.get_mut(p as usize).and_then(Option::take) {
                idle += at.0.saturating_sub(since.0);
            }
        }
        if let Some(r) = self.rebalances.back_mut() {
            r.idle += idle;
        }
    }

    fn try_finish(&mut self) {
        let (stable, members, assigned) =
            (self.state == Some(GroupState::Stable), self.members, self.assigned_in_generation);
        if let Some(r) = self.current() {
            if stable && assigned >= members && r.paused == 0 {
                r.done = true;
            }
        }
    }

    fn observe(&mut self, at: Time, e: &KafkaEvent) {
        match *e {
            KafkaEvent::GroupState { broker, state, generation, members, .. } => {
                if state == GroupState::Dead {
                    // The old coordinator gave the group up; the new one announces itself.
                    if self.coordinator == Some(broker) {
                        self.coordinator = None;
                    }
                    return;
                }
                self.coordinator = Some(broker);
                if generation != self.generation {
                    self.assigned_in_generation = 0;
                }
                self.generation = generation;
                self.members = members;
                self.state = Some(state);
                if self.history.len() == 2 * KEEP {
                    self.history.pop_front();
                }
                self.history.push_back((at, state, generation));
                match state {
                    GroupState::PreparingRebalance => {
                        self.open(at);
                    }
                    GroupState::Empty => {
                        if let Some(r) = self.current() {
                            r.done = true;
                        }
                    }
                    _ => self.try_finish(),
                }
            }
            KafkaEvent::Revoked { consumer, partitions, .. } => {
                let r = self.open(at);
                r.first_revoke.get_or_insert(at);
                r.stopped |= partitions;
                r.paused |= partitions;
                self.stop_consuming(at, partitions);
                let o = self.owner_mut(consumer);
                o.partitions &= !partitions;
                for p in bits(partitions) {
                    if let Some(slot) = self.last_owner.get_mut(p as usize) {
                        *slot = Some(consumer);
                    }
                }
            }
            KafkaEvent::MemberRemoved { consumer, .. } => {
                let orphaned = self.owners.iter().find(|o| o.node == consumer).map_or(0, |o| o.partitions);
                self.owners.retain(|o| o.node != consumer);
                for p in bits(orphaned) {
                    if let Some(slot) = self.last_owner.get_mut(p as usize) {
                        *slot = Some(consumer);
                    }
                }
                let r = self.open(at);
                r.stopped |= orphaned;
                self.stop_consuming(at, orphaned);
            }
            KafkaEvent::Assigned { consumer, generation, partitions, added, .. } => {
                if generation == self.generation {
                    self.assigned_in_generation = self.assigned_in_generation.saturating_add(1);
                }
                self.resume_consuming(at, partitions);
                let o = self.owner_mut(consumer);
                o.partitions = partitions;
                o.alive = true;
                for p in bits(added) {
                    let from = self.last_owner.get(p as usize).copied().flatten();
                    if from != Some(consumer) {
                        if self.moves.len() == KEEP * 2 {
                            self.moves.pop_front();
                        }
                        self.moves.push_back(Move { partition: p, from, to: consumer, generation, at });
                    }
                    if let Some(slot) = self.last_owner.get_mut(p as usize) {
                        *slot = Some(consumer);
                    }
                }
                if let Some(r) = self.current() {
                    r.generation = generation;
                    if r.paused & partitions != 0 || r.first_revoke.is_some() {
                        r.last_assigned = Some(at);
                    }
                    r.paused &= !partitions;
                }
                self.try_finish();
            }
            _ => {}
        }
    }

    fn node_stopped(&mut self, at: Time, node: NodeId) {
        if let Some(o) = self.owners.iter_mut().find(|o| o.node == node) {
            o.alive = false;
            let partitions = o.partitions;
            self.stop_consuming(at, partitions);
        }
    }

    /// The newest rebalance that cost something (see `Rebalance::costly`).
    pub fn last_costly(&self) -> Option<&Rebalance> {
        self.rebalances.iter().rev().find(|r| r.costly())
    }

    pub fn owner_of(&self, partition: u16) -> Option<NodeId> {
        self.owners.iter().find(|o| o.partitions & (1 << partition) != 0).map(|o| o.node)
    }
}

/// Every group of the world's Kafka cluster.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Groups {
    pub groups: Vec<GroupView>,
}

impl Groups {
    pub fn new(world: &World) -> Groups {
        let Some(c) = &world.shared.kafka else { return Groups::default() };
        let groups = c
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let partitions = c.topics.get(g.topic as usize).map_or(0, |t| t.partitions);
                GroupView::new(i as u8, partitions, g.cooperative)
            })
            .collect();
        Groups { groups }
    }

    pub fn observe(&mut self, e: &Event) {
        match &e.kind {
            EventKind::Model(ModelEvents::Kafka(k)) => {
                let group = match *k {
                    KafkaEvent::GroupState { group, .. }
                    | KafkaEvent::Revoked { group, .. }
                    | KafkaEvent::MemberRemoved { group, .. }
                    | KafkaEvent::Assigned { group, .. } => group,
                    _ => return,
                };
                if let Some(g) = self.groups.get_mut(group as usize) {
                    g.observe(e.at, k);
                }
            }
            EventKind::NodeStopped { node } => self.groups.iter_mut().for_each(|g| g.node_stopped(e.at, *node)),
            _ => {}
        }
    }
}

/// The partition numbers in a bitmask, lowest first.
pub fn bits(mask: u64) -> impl Iterator<Item = u16> {
    (0..64u16).filter(move |p| mask & (1 << p) != 0)
}

/// The four states a learner follows, in the order a rebalance walks through them.
pub const STATES: [GroupState; 4] =
    [GroupState::Empty, GroupState::PreparingRebalance, GroupState::CompletingRebalance, GroupState::Stable];

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::{Command, Scenario, Simulation};

    fn ev(at: u64, k: KafkaEvent) -> Event {
        Event { at: Time(at), kind: EventKind::Model(ModelEvents::Kafka(k)) }
    }
    fn state(at: u64, state: GroupState, generation: u32, members: u8) -> Event {
        ev(at, KafkaEvent::GroupState { group: 0, broker: 2, state, generation, members })
    }
    fn assigned(at: u64, c: u32, generation: u32, partitions: u64, added: u64) -> Event {
        ev(at, KafkaEvent::Assigned { group: 0, consumer: NodeId(c), generation, partitions, added })
    }
    fn revoked(at: u64, c: u32, partitions: u64) -> Event {
        ev(at, KafkaEvent::Revoked { group: 0, consumer: NodeId(c), partitions, lost: false })
    }

    fn fold(cooperative: bool, events: &[Event]) -> GroupView {
        let mut g = Groups { groups: vec![GroupView::new(0, 6, cooperative)] };
        events.iter().for_each(|e| g.observe(e));
        g.groups.remove(0)
    }

    /// The first join, then c3 (node 9) dies: eager rebalance, everything revoked, gap measured from
    /// the first revoke to the last assignment.
    #[test]
    fn eager_rebalance_gap_runs_from_first_revoke_to_last_assignment() {
        let g = fold(
            false,
            &[
                state(10, GroupState::Empty, 0, 0),
                state(100, GroupState::PreparingRebalance, 0, 1),
                state(1_000, GroupState::CompletingRebalance, 1, 3),
                state(1_001, GroupState::Stable, 1, 3),
                assigned(1_002, 7, 1, 0b000011, 0b000011),
                assigned(1_002, 8, 1, 0b001100, 0b001100),
                assigned(1_003, 9, 1, 0b110000, 0b110000),
                Event { at: Time(6_000), kind: EventKind::NodeStopped { node: NodeId(9) } },
                ev(
                    7_600,
                    KafkaEvent::MemberRemoved {
                        group: 0,
                        consumer: NodeId(9),
                        reason: brokerlab_engine::kafka::msg::RemoveReason::SessionTimeout,
                    },
                ),
                state(7_600, GroupState::PreparingRebalance, 1, 2),
                revoked(7_603, 7, 0b000011),
                revoked(8_103, 8, 0b001100),
                state(8_104, GroupState::CompletingRebalance, 2, 2),
                state(8_105, GroupState::Stable, 2, 2),
                assigned(8_106, 7, 2, 0b000111, 0b000111),
                assigned(8_109, 8, 2, 0b111000, 0b111000),
            ],
        );
        assert_eq!(g.state, Some(GroupState::Stable));
        assert_eq!((g.generation, g.coordinator, g.members), (2, Some(2), 2));
        assert_eq!(g.rebalances.len(), 2, "the first join and the failover");
        let first = g.rebalances[0];
        assert!(first.done);
        assert_eq!(first.gap(), None, "nothing was revoked on the first join");
        let r = *g.last_costly().unwrap();
        assert!(r.done);
        assert_eq!(r.gap(), Some(Time(8_109 - 7_603)));
        assert_eq!(r.kept(), 0, "eager: every partition stopped");
        // c3's two partitions were not consumed from its stop (6 000) to their new owner (8 109);
        // the other four from their revoke to their assignment.
        let idle = 2 * (8_109 - 6_000) + 2 * (8_106 - 7_603) + (8_106 - 8_103) + (8_109 - 8_103);
        assert_eq!(r.idle, idle);
        assert_eq!(r.generation, 2);
        assert_eq!(g.owner_of(2), Some(NodeId(7)));
        assert_eq!(g.owner_of(5), Some(NodeId(8)));
        // Moves: 2 from c2 (8) to c1 (7); 4 and 5 from the removed c3 (9) to c2.
        let moved: Vec<(u16, Option<NodeId>, NodeId)> =
            g.moves.iter().filter(|m| m.generation == 2).map(|m| (m.partition, m.from, m.to)).collect();
        assert!(moved.contains(&(2, Some(NodeId(8)), NodeId(7))), "{moved:?}");
        assert!(moved.contains(&(4, Some(NodeId(9)), NodeId(8))), "{moved:?}");
        assert_eq!(g.history.back(), Some(&(Time(8_105), GroupState::Stable, 2)));
    }

    /// Cooperative: c2 joins; c1 keeps 0 and 1 and gives only 2 up; the gap is 2's pause alone and
    /// 0, 1 kept being consumed.
    #[test]
    fn cooperative_rebalance_keeps_what_does_not_move() {
        let g = fold(
            true,
            &[
                state(0, GroupState::Stable, 1, 1),
                assigned(1, 7, 1, 0b111, 0b111),
                state(100, GroupState::PreparingRebalance, 1, 2),
                state(200, GroupState::CompletingRebalance, 2, 2),
                state(201, GroupState::Stable, 2, 2),
                assigned(202, 7, 2, 0b011, 0),
                revoked(202, 7, 0b100),
                assigned(203, 8, 2, 0, 0),
                state(300, GroupState::PreparingRebalance, 2, 2),
                state(400, GroupState::CompletingRebalance, 3, 2),
                state(401, GroupState::Stable, 3, 2),
                assigned(402, 7, 3, 0b011, 0),
                assigned(405, 8, 3, 0b100, 0b100),
            ],
        );
        let r = *g.last_costly().unwrap();
        assert!(r.cooperative && r.done);
        assert_eq!(r.gap(), Some(Time(405 - 202)));
        assert_eq!(r.kept(), 0b011, "0 and 1 never stopped");
        assert_eq!(r.idle, 405 - 202, "only partition 2 waited");
        assert_eq!(r.generation, 3, "it spans both generations");
        assert_eq!(g.moves.back().map(|m| (m.partition, m.from, m.to)), Some((2, Some(NodeId(7)), NodeId(8))));
    }

    #[test]
    fn a_stopped_member_is_marked_until_removed() {
        let mut g = fold(false, &[state(0, GroupState::Stable, 1, 1), assigned(1, 7, 1, 0b1, 0b1)]);
        g.node_stopped(Time(2), NodeId(7));
        assert!(!g.owners[0].alive);
        g.observe(
            Time(5),
            &KafkaEvent::MemberRemoved {
                group: 0,
                consumer: NodeId(7),
                reason: brokerlab_engine::kafka::msg::RemoveReason::Left,
            },
        );
        assert!(g.owners.is_empty());
    }

    fn run_folding(sim: &mut Simulation, g: &mut Groups, until: Time) {
        sim.run_until(until);
        sim.drain_events().for_each(|e| g.observe(&e));
    }

    /// Against the engine, cooperative-sticky: a fourth member joins; the others keep what does
    /// not move, so some partitions keep being consumed and the gap covers only the moved ones.
    #[test]
    fn folds_a_real_cooperative_rebalance() {
        let json = include_str!("testdata/groups.json").replace("\"range\"", "\"cooperative-sticky\"");
        let mut s = Scenario::from_json(&json).unwrap();
        let mut c4 = s.kafka.as_ref().unwrap().consumers[0].clone();
        c4.id = "c4".into();
        c4.stopped = true;
        s.kafka.as_mut().unwrap().consumers.push(c4);
        let mut sim = Simulation::new(&s, 1).unwrap();
        let mut g = Groups::new(sim.world());
        assert!(g.groups[0].cooperative);
        sim.run_until(Time::secs(5));
        let c4 = sim.world().node_by_name("c4").unwrap();
        sim.apply(Command::Start { node: c4 }).unwrap();
        run_folding(&mut sim, &mut g, Time::secs(12));
        let v = &g.groups[0];
        assert_eq!((v.state, v.members), (Some(GroupState::Stable), 4));
        let r = v.last_costly().expect("a rebalance that moved partitions");
        assert!(r.done && r.cooperative);
        assert!(r.kept() != 0, "cooperative: partitions that did not move kept being consumed");
        assert!(r.stopped != 0 && bits(r.stopped).count() < 6, "only the moved ones paused: {}", r.stopped);
        assert!(v.owners.iter().find(|o| o.node == c4).is_some_and(|o| o.partitions != 0), "c4 got partitions");
    }

    /// Against the engine: a three-member group loses one member to a crash and rebalances.
    #[test]
    fn folds_a_real_rebalance() {
        let json = include_str!("testdata/groups.json");
        let s = Scenario::from_json(json).unwrap();
        let mut sim = Simulation::new(&s, 1).unwrap();
        let mut g = Groups::new(sim.world());
        run_folding(&mut sim, &mut g, Time::secs(5));
        let v = &g.groups[0];
        assert_eq!(v.state, Some(GroupState::Stable));
        assert_eq!(v.owners.iter().filter(|o| o.partitions != 0).count(), 3);
        let c3 = sim.world().node_by_name("c3").unwrap();
        sim.apply(Command::Stop { node: c3 }).unwrap();
        run_folding(&mut sim, &mut g, Time::secs(12));
        let v = &g.groups[0];
        assert_eq!((v.state, v.members), (Some(GroupState::Stable), 2));
        let r = v.last_costly().expect("a rebalance with a gap");
        assert!(r.done && !r.cooperative);
        assert!(r.gap().unwrap() > Time::ZERO && r.gap().unwrap() < Time::secs(3), "{:?}", r.gap());
        // c3's two partitions waited at least its 2 s session timeout; the gap is a small part.
        assert!(r.partition_seconds() > 4.0 && r.partition_seconds() < 8.0, "{}", r.partition_seconds());
        assert!(v.owner_of(4).is_some() && v.owner_of(4) != Some(c3));
    }

    /// A crash under cooperative-sticky: the survivors revoke nothing, so the rebalance has no
    /// gap, yet the dead member's partitions went unconsumed from the crash until its session
    /// timed out and they were reassigned: the cost is seconds, not the milliseconds of a gap.
    #[test]
    fn a_crash_costs_its_partitions_from_the_crash_whatever_the_protocol() {
        let json = include_str!("testdata/groups.json").replace("\"range\"", "\"cooperative-sticky\"");
        let s = Scenario::from_json(&json).unwrap();
        let mut sim = Simulation::new(&s, 1).unwrap();
        let mut g = Groups::new(sim.world());
        run_folding(&mut sim, &mut g, Time::secs(5));
        let c3 = sim.world().node_by_name("c3").unwrap();
        let owned = bits(g.groups[0].owners.iter().find(|o| o.node == c3).unwrap().partitions).count() as f64;
        sim.apply(Command::Stop { node: c3 }).unwrap();
        run_folding(&mut sim, &mut g, Time::secs(12));
        let r = g.groups[0].last_costly().expect("the crash's rebalance");
        assert!(r.done && r.cooperative && r.costly());
        // The session times out 2 s after c3's last heartbeat, which was at most one 500 ms
        // heartbeat interval before the crash.
        assert!(
            r.partition_seconds() >= owned * 1.5,
            "each of c3's {owned} partitions waited ≥ the 2 s session timeout less a heartbeat interval: {}",
            r.partition_seconds()
        );
        assert!(r.partition_seconds() < owned * 4.0, "{}", r.partition_seconds());
    }
}
