//! "Step through Kafka's flow": a guided walkthrough that follows one record from the producer to
//! the consumer group's commit, recognising each step from the engine's events (never from timers):
//!
//! 1. the producer picks a partition from the key and sends the record to its leader;
//! 2. the leader appends it and assigns the offset;
//! 3. followers fetch it and the high watermark passes it (committed);
//! 4. the producer is acknowledged — when depends on `acks`;
//! 5. a consumer of the group fetches and processes it;
//! 6. it commits the offset after it.
//!
//! The `KillLeader` variant kills the leader right after step 2 and follows what happens: the
//! controller elects a new leader from the ISR, the producer (never acknowledged) retries, and the
//! record still reaches the consumer. The page pauses at each recognised step until the user moves
//! on; `pace` says how fast to play while waiting for the next one.

use crate::engine::event::{Event, EventKind};
use crate::engine::kafka::msg::{KafkaEvent, Tp};
use crate::engine::kafka::node::KafkaNode;
use crate::engine::kafka::partition::{Acks, BrokerId};
use crate::engine::node::Node;
use crate::engine::{Command, NodeId, Time, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Normal,
    KillLeader,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The cluster is up and a consumer reads: the walkthrough can pick a record.
    Ready,
    Produced,
    Appended,
    Replicated,
    Acked,
    LeaderKilled,
    NewLeader,
    Retried,
    Consumed,
    Committed,
}

/// How to play while waiting for the next step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pace {
    /// Run at once, without drawing (getting the cluster ready).
    Skip,
    /// Slow motion: messages are visible on their links.
    Slow,
    /// Real time or so: waiting for a timeout (session expiry, auto-commit).
    Fast,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub kind: Kind,
    pub at: Time,
    pub title: String,
    pub text: String,
    /// What to highlight on the stage.
    pub nodes: Vec<NodeId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Record {
    producer: NodeId,
    seq: u64,
    tp: Tp,
    leader: Option<BrokerId>,
    offset: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Walk {
    pub variant: Variant,
    plan: Vec<Kind>,
    /// Index in `plan` of the step being waited for.
    next: usize,
    record: Option<Record>,
    /// Steps recognised so far, in order.
    pub steps: Vec<Step>,
    /// How many of them the user has moved past.
    seen: usize,
    /// The record read before the walkthrough got to that step (after a failover the new leader
    /// may serve the replicated copy while the producer still waits to retry).
    early_read: Option<Event>,
}

fn broker_node(world: &World, b: BrokerId) -> Option<NodeId> {
    world.kafka.as_ref().and_then(|c| c.broker_node(b))
}

/// A client and the partition leader it talks to, for highlighting.
fn with_leader(world: &World, client: NodeId, leader: Option<BrokerId>) -> Vec<NodeId> {
    std::iter::once(client).chain(leader.and_then(|b| broker_node(world, b))).collect()
}

fn producer_acks(world: &World, node: NodeId) -> Option<Acks> {
    match &world.nodes.get(node.index())?.node {
        Node::Kafka(KafkaNode::Producer(p)) => Some(p.settings.acks),
        _ => None,
    }
}

impl Walk {
    pub fn new(variant: Variant) -> Walk {
        Walk {
            variant,
            plan: vec![Kind::Ready, Kind::Produced],
            next: 0,
            record: None,
            steps: vec![],
            seen: 0,
            early_read: None,
        }
    }

    /// The rest of the plan once the record (and so its producer's `acks`) is known.
    fn plan_for(&self, acks: Acks) -> Vec<Kind> {
        use Kind::*;
        match (self.variant, acks) {
            (Variant::KillLeader, _) => vec![Appended, LeaderKilled, NewLeader, Retried, Acked, Consumed, Committed],
            (Variant::Normal, Acks::All) => vec![Appended, Replicated, Acked, Consumed, Committed],
            (Variant::Normal, Acks::Leader) => vec![Appended, Acked, Replicated, Consumed, Committed],
            (Variant::Normal, Acks::None) => vec![Appended, Replicated, Consumed, Committed],
        }
    }

    pub fn expecting(&self) -> Option<Kind> {
        self.plan.get(self.next).copied()
    }

    /// A recognised step the user has not moved past yet: the page pauses on it.
    pub fn waiting(&self) -> bool {
        self.seen < self.steps.len()
    }

    /// The step on screen: the first one not moved past, else the last one.
    pub fn current(&self) -> Option<&Step> {
        self.steps.get(self.seen).or(self.steps.last())
    }

    pub fn done(&self) -> bool {
        self.next >= self.plan.len() && !self.waiting()
    }

    /// `(step on screen, steps in all)`, counting from 1.
    pub fn position(&self) -> (usize, usize) {
        let total = if self.record.is_some() { self.plan.len() } else { 2 + self.plan_for(Acks::All).len() };
        (self.steps.len().min(self.seen + 1), total)
    }

    pub fn pace(&self) -> Pace {
        // After the crash, timeouts set the pace: sessions expire, the group may need its
        // coordinator back before anyone reads again.
        if self.steps.iter().any(|s| s.kind == Kind::LeaderKilled) && self.expecting().is_some() {
            return Pace::Fast;
        }
        match self.expecting() {
            Some(Kind::Ready) => Pace::Skip,
            // Waiting for the next record, a session to expire, a retry backoff, an auto-commit.
            Some(Kind::Produced | Kind::NewLeader | Kind::Retried | Kind::Committed) => Pace::Fast,
            _ => Pace::Slow,
        }
    }

    /// The user moves on from the current step. Returns a command to apply, if the walkthrough
    /// injects a fault here (the leader's crash in `KillLeader`).
    pub fn advance(&mut self, world: &World) -> Option<Command> {
        if !self.waiting() {
            return None;
        }
        self.seen += 1;
        if self.seen == self.steps.len() && self.expecting() == Some(Kind::LeaderKilled) {
            let leader = self.record.and_then(|r| r.leader)?;
            return broker_node(world, leader).map(|node| Command::Stop { node });
        }
        None
    }

    fn push(&mut self, kind: Kind, at: Time, title: String, text: String, nodes: Vec<NodeId>) {
        self.steps.push(Step { kind, at, title, text, nodes });
    }

    /// Folds one event in; recognises at most one step: the one it is waiting for, or the
    /// producer's acknowledgement, which races with replication and with the consumer's fetch.
    /// Nothing is recognised while a step waits for the user: the page is paused then, and a
    /// fast-forward past it must not run ahead of what is on screen.
    pub fn observe(&mut self, e: &Event, world: &World) {
        let Some(expected) = self.expecting().filter(|_| !self.waiting()) else { return };
        if let (Some(r), EventKind::Kafka(KafkaEvent::Consumed { tp, offset, .. })) = (self.record, e.kind) {
            let later = self.plan[self.next..].iter().skip(1).any(|k| *k == Kind::Consumed);
            if later && expected != Kind::Acked && tp == r.tp && Some(offset) == r.offset && self.early_read.is_none() {
                self.early_read = Some(*e);
            }
        }
        if expected == Kind::Consumed {
            if let Some(early) = self.early_read.take() {
                self.recognise(Kind::Consumed, &early, world);
                self.next += 1;
                return;
            }
        }
        // The acknowledgement floats: it may come before or after the step expected, or after
        // the one following it.
        let mut candidates = vec![(self.next, expected)];
        if expected == Kind::Acked {
            candidates.extend(self.plan.get(self.next + 1).map(|&k| (self.next + 1, k)));
        } else if let Some(i) = self.plan[self.next..].iter().position(|k| *k == Kind::Acked) {
            candidates.push((self.next + i, Kind::Acked));
        }
        for (at, kind) in candidates {
            self.recognise(kind, e, world);
            if self.steps.len() > self.seen {
                let k = self.plan.remove(at);
                self.plan.insert(self.next, k);
                self.next += 1;
                return;
            }
        }
    }

    fn recognise(&mut self, kind: Kind, e: &Event, world: &World) {
        let name = |n: NodeId| world.node_name(n).to_string();
        let tp_name = |t: Tp| format!("{}-{}", world.topic_name(t.topic), t.partition);
        let k = match e.kind {
            EventKind::Kafka(k) => Some(k),
            _ => None,
        };
        match (kind, k, self.record) {
            (Kind::Ready, Some(KafkaEvent::Consumed { .. }), _) => self.push(
                Kind::Ready,
                e.at,
                "The cluster is ready".into(),
                "Brokers registered with the coordinator, the controller created the topic and elected a leader per partition, and the consumers found their partitions and read. Next: follow one record.".into(),
                vec![],
            ),
            (Kind::Produced, Some(KafkaEvent::Produced { producer, seq, tp, retry: false }), _) => {
                let c = world.kafka.as_ref();
                let partitions = c.and_then(|c| c.topics.get(tp.topic as usize)).map_or(0, |t| t.partitions);
                let keys = match &world.nodes[producer.index()].node {
                    Node::Kafka(KafkaNode::Producer(p)) => p.settings.keys as u64,
                    _ => 0,
                };
                let leader = super::kafka::leader(world, tp).map(|(b, _)| b);
                self.record = Some(Record { producer, seq, tp, leader, offset: None });
                let acks = producer_acks(world, producer).unwrap_or(Acks::All);
                let rest = self.plan_for(acks);
                self.plan.truncate(self.next + 1);
                self.plan.extend(rest);
                let nodes = with_leader(world, producer, leader);
                self.push(
                    Kind::Produced,
                    e.at,
                    format!("{} picks partition {} from the key", name(producer), tp.partition),
                    format!(
                        "Record {seq} {} so it goes to {}, whose leader is {}. The producer sends it there with acks={}.",
                        if keys == 0 {
                            "has no key: the sticky partitioner keeps filling one partition's batch,".to_string()
                        } else {
                            let key = format!("key-{}", seq % keys);
                            format!("has key \"{key}\": toPositive(murmur2(\"{key}\")) % {partitions} = {},", tp.partition)
                        },
                        tp_name(tp),
                        leader.map_or("not known yet".to_string(), |b| format!("b{b}")),
                        acks_text(acks)
                    ),
                    nodes,
                );
            }
            (Kind::Appended, Some(KafkaEvent::Appended { tp, broker, offset, epoch }), Some(r)) if tp == r.tp => {
                self.record = Some(Record { leader: Some(broker), offset: Some(offset), ..r });
                let kill = if self.variant == Variant::KillLeader {
                    format!(" Now b{broker} will be killed before the record is acknowledged.")
                } else {
                    String::new()
                };
                self.push(
                    Kind::Appended,
                    e.at,
                    format!("Leader b{broker} appends it at offset {offset}"),
                    format!("b{broker} writes the record to its log of {} at offset {offset} in leader epoch {epoch}; its log end offset (LEO) is now {}. Followers have not got it yet, so the high watermark (HW) has not moved.{kill}", tp_name(tp), offset + 1),
                    broker_node(world, broker).into_iter().collect(),
                );
            }
            (Kind::Replicated, Some(KafkaEvent::HighWatermark { tp, broker, hw }), Some(r))
                if tp == r.tp && Some(broker) == r.leader && r.offset.is_some_and(|o| hw > o) =>
            {
                let isr = super::kafka::leader(world, tp).and_then(|(_, rep)| rep.isr().map(|i| i.to_vec())).unwrap_or_default();
                let mut nodes: Vec<NodeId> = isr.iter().filter_map(|&b| broker_node(world, b)).collect();
                crate::engine::sort::sort(&mut nodes);
                self.push(
                    Kind::Replicated,
                    e.at,
                    format!("Followers fetched it: the HW passes offset {}", r.offset.unwrap_or(0)),
                    format!("The in-sync replicas {} fetched the record; the leader's high watermark moves to {hw}. The record is committed: it survives the loss of any replica but one, and consumers may now read it.", isr.iter().map(|b| format!("b{b}")).collect::<Vec<_>>().join(", ")),
                    nodes,
                );
            }
            (Kind::Acked, Some(KafkaEvent::ProduceAcked { producer, seq, offset, latency, .. }), Some(r))
                if producer == r.producer && seq == r.seq =>
            {
                self.record = Some(Record { offset: Some(offset), ..r });
                let acks = producer_acks(world, producer).unwrap_or(Acks::All);
                let nodes = with_leader(world, producer, r.leader);
                self.push(
                    Kind::Acked,
                    e.at,
                    format!("{} is acknowledged", name(producer)),
                    format!(
                        "The leader answers: record {seq} is at offset {offset}, {latency} after it was first sent. With acks={} the leader answers {}.",
                        acks_text(acks),
                        match acks {
                            Acks::All => "only once the HW passes the record (every in-sync replica has it)",
                            Acks::Leader => "as soon as it has appended, before followers have it: losing the leader now could lose the record",
                            Acks::None => "never: the producer does not wait",
                        }
                    ),
                    nodes,
                );
            }
            (Kind::LeaderKilled, _, Some(r))
                if matches!(e.kind, EventKind::NodeStopped { node } if Some(node) == r.leader.and_then(|b| broker_node(world, b))) =>
            {
                let b = r.leader.unwrap_or(0);
                self.push(
                    Kind::LeaderKilled,
                    e.at,
                    format!("b{b}, the leader, crashes"),
                    format!("The record is in b{b}'s log at offset {} but the producer has no acknowledgement. The producer's connection is reset and it will retry. The cluster notices only when b{b}'s coordinator session expires.", r.offset.unwrap_or(0)),
                    broker_node(world, b).into_iter().collect(),
                );
            }
            (Kind::NewLeader, Some(KafkaEvent::LeaderElected { tp, leader, epoch, isr, unclean }), Some(r)) if tp == r.tp => {
                self.record = Some(Record { leader: Some(leader), ..r });
                self.push(
                    Kind::NewLeader,
                    e.at,
                    format!("The controller elects b{leader} for {}", tp_name(tp)),
                    format!(
                        "b{}'s session expired, its /brokers/ids znode vanished and the controller chose b{leader}: {}. Leader epoch {epoch}, ISR {isr}.",
                        r.leader.unwrap_or(0),
                        if unclean { "an out-of-sync replica (unclean election: records may be lost)" } else { "the first live replica of the ISR in assignment order" }
                    ),
                    broker_node(world, leader).into_iter().collect(),
                );
            }
            (Kind::Retried, Some(KafkaEvent::Produced { producer, seq, tp, retry: true }), Some(r))
                if producer == r.producer && seq == r.seq =>
            {
                let nodes = with_leader(world, producer, r.leader);
                self.push(
                    Kind::Retried,
                    e.at,
                    format!("{} retries record {seq}", name(producer)),
                    format!(
                        "The producer learned the new leader from metadata and sends record {seq} again to {}. {}",
                        tp_name(tp),
                        if producer_idempotent(world, producer) {
                            "It is idempotent: the broker recognises the producer id and sequence number of a copy it already has and does not store it twice."
                        } else {
                            "Without idempotence, a copy the old leader had already replicated stays in the log: the record may be stored twice."
                        }
                    ),
                    nodes,
                );
            }
            (Kind::Consumed, Some(KafkaEvent::Consumed { consumer, tp, offset, latency, .. }), Some(r))
                if tp == r.tp && Some(offset) == r.offset =>
            {
                let member = super::kafka::consumer(world, consumer).and_then(|c| c.member.as_ref()).map(|m| m.group);
                if member.is_none() {
                    self.plan.retain(|k| *k != Kind::Committed);
                }
                let nodes = with_leader(world, consumer, r.leader);
                self.push(
                    Kind::Consumed,
                    e.at,
                    format!("{} reads it", name(consumer)),
                    format!(
                        "{} {} fetched {}@{offset} from the leader and processed it, {latency} after it was produced (end-to-end latency).{}",
                        name(consumer),
                        match member {
                            Some(g) => format!("owns {} in group {}; it", tp_name(tp), world.group_name(g)),
                            None => "reads every partition itself (no group); it".to_string(),
                        },
                        tp_name(tp),
                        if member.is_some() { " Next it commits its position." } else { "" }
                    ),
                    nodes,
                );
            }
            (Kind::Committed, Some(KafkaEvent::Committed { group, consumer, tp, offset }), Some(r))
                if tp == r.tp && r.offset.is_some_and(|o| offset > o) =>
            {
                let coordinator = super::kafka::coordinator(world, group);
                let mut nodes = vec![consumer];
                nodes.extend(coordinator.map(|(_, n)| n));
                self.push(
                    Kind::Committed,
                    e.at,
                    format!("{} commits offset {offset}", name(consumer)),
                    format!(
                        "{} commits {offset} for {} to the group coordinator{}, which writes it to __consumer_offsets. After a crash or a rebalance, group {} resumes from there: the record is not read again.",
                        name(consumer),
                        tp_name(tp),
                        coordinator.map_or(String::new(), |(b, _)| format!(" b{b}")),
                        world.group_name(group)
                    ),
                    nodes,
                );
            }
            _ => {}
        }
    }
}

fn producer_idempotent(world: &World, node: NodeId) -> bool {
    matches!(&world.nodes.get(node.index()).map(|s| &s.node), Some(Node::Kafka(KafkaNode::Producer(p))) if p.settings.idempotent)
}

fn acks_text(a: Acks) -> &'static str {
    match a {
        Acks::None => "0",
        Acks::Leader => "1",
        Acks::All => "all",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Scenario, Simulation};

    /// Runs the walkthrough against the engine the way the page does: step the simulation, fold
    /// the events, and move on whenever a step is recognised (applying what the walk asks).
    fn run(variant: Variant) -> Vec<Kind> {
        run_on(Scenario::from_json(include_str!("testdata/groups.json")).unwrap(), variant)
    }

    fn run_on(s: Scenario, variant: Variant) -> Vec<Kind> {
        let mut sim = Simulation::new(&s, 1).unwrap();
        let mut walk = Walk::new(variant);
        let mut steps = 0;
        while !walk.done() && steps < 2_000_000 {
            if walk.waiting() {
                if let Some(cmd) = walk.advance(sim.world()) {
                    sim.apply(cmd).unwrap();
                }
            } else if !sim.step() {
                break;
            }
            steps += 1;
            let events: Vec<Event> = sim.drain_events().collect();
            for e in &events {
                walk.observe(e, sim.world());
            }
        }
        assert!(walk.done(), "stuck expecting {:?} at {}", walk.expecting(), sim.now());
        walk.steps.iter().map(|s| s.kind).collect()
    }

    #[test]
    fn follows_one_record_from_key_to_commit() {
        use Kind::*;
        // acks=all: the ack leaves the leader when the HW passes the record, as does the consumer's
        // long-poll answer; here the consumer is nearer and reads before the producer hears back.
        assert_eq!(run(Variant::Normal), vec![Ready, Produced, Appended, Replicated, Consumed, Acked, Committed]);
    }

    #[test]
    fn follows_it_through_a_leader_crash() {
        use Kind::*;
        assert_eq!(
            run(Variant::KillLeader),
            vec![Ready, Produced, Appended, LeaderKilled, NewLeader, Retried, Acked, Consumed, Committed]
        );
    }

    /// The presets the page offers it on: idempotent producers, a group, default timeouts.
    #[test]
    fn reaches_the_end_on_the_kafka_presets() {
        for slug in ["kafka-groups", "kafka-basic"] {
            for variant in [Variant::Normal, Variant::KillLeader] {
                let kinds = run_on(crate::engine::presets::load(slug).unwrap(), variant);
                assert_eq!(kinds.last(), Some(&Kind::Committed), "{slug} {variant:?}: {kinds:?}");
            }
        }
    }

    /// Steps the simulation until the walkthrough has a step to show.
    fn until_waiting(sim: &mut Simulation, walk: &mut Walk) {
        while !walk.waiting() && sim.step() {
            let events: Vec<Event> = sim.drain_events().collect();
            events.iter().for_each(|e| walk.observe(e, sim.world()));
        }
    }

    #[test]
    fn waits_on_each_step_until_moved_past() {
        let s = Scenario::from_json(include_str!("testdata/groups.json")).unwrap();
        let mut sim = Simulation::new(&s, 1).unwrap();
        let mut walk = Walk::new(Variant::Normal);
        assert_eq!(walk.pace(), Pace::Skip);
        until_waiting(&mut sim, &mut walk);
        assert_eq!(walk.current().map(|s| s.kind), Some(Kind::Ready));
        assert_eq!(walk.pace(), Pace::Fast, "waiting for the next record");
        assert_eq!(walk.position(), (1, 7));
        assert_eq!(walk.advance(sim.world()), None);
        assert!(!walk.waiting());
        until_waiting(&mut sim, &mut walk);
        assert_eq!(walk.current().map(|s| s.kind), Some(Kind::Produced));
        assert_eq!(walk.pace(), Pace::Slow, "watching the record travel");
        assert_eq!(walk.position(), (2, 7));
    }
}
