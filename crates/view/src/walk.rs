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
//!
//! "Step through RabbitMQ's flow" (`Rabbit`, `RabbitKillConsumer`) follows one message the same
//! way: published to an exchange; routed through the bindings (and any exchange-to-exchange
//! binding or alternate exchange) into queues; delivered from the followed queue (one with a
//! consumer, manual acks preferred) with a delivery tag; acknowledged (or rejected); the publisher
//! confirmed. The kill variant crashes that consumer before it acks: the broker requeues the
//! message, and it is delivered again flagged redelivered (to another consumer, or to the same one
//! once the walkthrough restarts it).

use brokerlab_engine::event::{Event, EventKind};
use brokerlab_engine::kafka::msg::{KafkaEvent, Tp};
use brokerlab_engine::kafka::node::KafkaNode;
use brokerlab_engine::kafka::partition::{Acks, BrokerId};
use brokerlab_engine::node::Node;
use brokerlab_engine::rabbit::event::RabbitEvent;
use brokerlab_engine::rabbit::exchange::Hop;
use brokerlab_engine::rabbit::msg::Dest;
use brokerlab_engine::rabbit::node::RabbitNode;
use brokerlab_engine::{Command, NodeId, Time, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Normal,
    KillLeader,
    Rabbit,
    RabbitKillConsumer,
}

impl Variant {
    pub fn is_rabbit(self) -> bool {
        matches!(self, Variant::Rabbit | Variant::RabbitKillConsumer)
    }
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
    // RabbitMQ
    Published,
    Routed,
    Delivered,
    Settled,
    Confirmed,
    ConsumerKilled,
    Requeued,
    Redelivered,
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
    /// The RabbitMQ message followed.
    message: Option<Message>,
    /// RabbitMQ events that came while a step waited for the user: the broker routes, enqueues and
    /// delivers in one instant, so the next steps are often already there.
    held: Vec<Event>,
    /// How many of the scenario's scheduled faults the page held back for this walkthrough (it
    /// runs the scenario without them, so nothing but the record's own story happens; the first
    /// step says so).
    pub held_faults: usize,
}

/// The RabbitMQ message followed: its publisher's sequence number, the broker's id once it
/// arrives, the hops it took, the queue and consumer followed, the delivery tag.
#[derive(Clone, Debug, Default)]
struct Message {
    publisher: Option<NodeId>,
    seq: u64,
    m: Option<u64>,
    hops: Vec<Hop>,
    queue: Option<u16>,
    consumer: Option<NodeId>,
    tag: u64,
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
        let first = if variant.is_rabbit() { Kind::Published } else { Kind::Produced };
        Walk {
            variant,
            plan: vec![Kind::Ready, first],
            next: 0,
            record: None,
            steps: vec![],
            seen: 0,
            message: None,
            held: vec![],
            held_faults: 0,
        }
    }

    /// The sentence the first step adds when the scenario's own faults were held back.
    pub fn held_faults_text(&self) -> String {
        match self.held_faults {
            0 => String::new(),
            1 => " The scenario's scheduled fault is held back while the walkthrough runs, so only what it tells happens.".into(),
            n => format!(" The scenario's {n} scheduled faults are held back while the walkthrough runs, so only what it tells happens."),
        }
    }

    /// The rest of the plan once the record (and so its producer's `acks`) is known.
    fn plan_for(&self, acks: Acks) -> Vec<Kind> {
        use Kind::*;
        match (self.variant, acks) {
            (Variant::Rabbit, _) => vec![Routed, Delivered, Settled],
            (Variant::RabbitKillConsumer, _) => vec![Routed, Delivered, ConsumerKilled, Requeued, Redelivered, Settled],
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
        let known = self.record.is_some() || self.message.is_some();
        let total = if known { self.plan.len() } else { 2 + self.plan_for(Acks::All).len() };
        (self.steps.len().min(self.seen + 1), total)
    }

    pub fn pace(&self) -> Pace {
        if self.variant.is_rabbit() {
            return match self.expecting() {
                Some(Kind::Ready) => Pace::Skip,
                // Waiting for the next publish, or for the broker to notice the dead connection.
                Some(Kind::Published) => Pace::Fast,
                _ => Pace::Slow,
            };
        }
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
        if self.variant.is_rabbit() {
            return self.advance_rabbit(world);
        }
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
        if self.variant.is_rabbit() {
            return self.observe_rabbit(e, world);
        }
        let Some(expected) = self.expecting().filter(|_| !self.waiting()) else { return };
        // The acknowledgement floats: it may come before or after the step expected, or after
        // the one following it. So does the consumer's read: after a failover the new leader may
        // serve the copy replicated before the crash while the producer still waits to retry.
        // Each is told when it happens, so the steps stay in time order.
        let rest = self.plan.get(self.next..).unwrap_or_default();
        let mut candidates = vec![(self.next, expected)];
        if expected == Kind::Acked {
            candidates.extend(self.plan.get(self.next + 1).map(|&k| (self.next + 1, k)));
        } else if let Some(i) = rest.iter().position(|k| *k == Kind::Acked) {
            candidates.push((self.next + i, Kind::Acked));
        }
        if let Some(i) = rest.iter().position(|k| *k == Kind::Consumed).filter(|&i| i > 0) {
            candidates.push((self.next + i, Kind::Consumed));
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
                format!("Brokers registered with ZooKeeper, the controller created the topic and elected a leader per partition, and the consumers found their partitions and read. Next: follow one record.{}", self.held_faults_text()),
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
                brokerlab_engine::sort::sort(&mut nodes);
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
                let retried = self.steps.iter().any(|s| s.kind == Kind::Retried);
                let read_at = self.steps.iter().find(|s| s.kind == Kind::Consumed).map(|s| s.at);
                self.push(
                    Kind::Acked,
                    e.at,
                    format!("{} is acknowledged", name(producer)),
                    format!(
                        "The leader answers: record {seq} is at offset {offset}, {latency} after it was first sent. With acks={} the leader answers {}.{}{}",
                        acks_text(acks),
                        match acks {
                            Acks::All => "only once the HW passes the record (every in-sync replica has it)",
                            Acks::Leader => "as soon as it has appended, before followers have it: losing the leader now could lose the record",
                            Acks::None => "never: the producer does not wait",
                        },
                        if retried { copies_text(world, r.tp, producer, seq, offset) } else { String::new() },
                        match (read_at, self.variant) {
                            (Some(_), Variant::Normal) => " The consumer read it first: both this answer and the consumer's fetch wait for the HW to pass the record; once it has, which reaches its client first is down to the network.".to_string(),
                            (Some(t), _) => format!(" The consumer had already read it, at {t}, before this answer arrived."),
                            (None, _) => String::new(),
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
                    format!("The record is in b{b}'s log at offset {} but the producer has no acknowledgement. The producer's connection is reset and it will retry. The cluster notices only when b{b}'s ZooKeeper session expires.", r.offset.unwrap_or(0)),
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
                            "It is idempotent: if the new leader already has a copy (replicated before the crash), it recognises the producer id and sequence number and does not store it again."
                        } else {
                            "Without idempotence, a copy the old leader had already replicated stays in the log: the record may be stored twice."
                        }
                    ),
                    nodes,
                );
            }
            (Kind::Consumed, Some(KafkaEvent::Consumed { consumer, tp, offset, latency, .. }), Some(r))
                if tp == r.tp && Some(offset) == r.offset && is_ours(world, r, offset) =>
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
                    ) + match (self.variant, self.steps.iter().any(|s| s.kind == Kind::Acked)) {
                        (Variant::Normal, false) if producer_acks(world, r.producer) == Some(Acks::All) => {
                            " It read the record before the producer heard back: with acks=all both the producer's answer and the consumer's fetch wait for the HW to pass the record; once it has, which reaches its client first is down to the network."
                        }
                        (Variant::KillLeader, false) => {
                            " The producer has not been acknowledged yet: the new leader serves the copy a follower fetched before the crash, while the producer still waits to retry."
                        }
                        _ => "",
                    },
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
                        "{} commits {offset} for {} to the group coordinator{}, which writes it to __consumer_offsets. A committed offset is the next one to read: everything before it, offset {} included, is done. {} After a crash or a rebalance, group {} resumes from there: the record is not read again.",
                        name(consumer),
                        tp_name(tp),
                        coordinator.map_or(String::new(), |(b, _)| format!(" b{b}")),
                        r.offset.unwrap_or(0),
                        match world.kafka.as_ref().and_then(|c| c.groups.get(group as usize)).and_then(|g| g.auto_commit) {
                            Some(every) => format!("It commits on its auto-commit timer (auto.commit.interval.ms, every {every}), not once per record, so the offset covers whatever it had processed by then."),
                            None => "It commits what it has processed.".to_string(),
                        },
                        world.group_name(group)
                    ),
                    nodes,
                );
            }
            _ => {}
        }
    }
}

/// A RabbitMQ client node's publisher or consumer, for the narration.
fn rabbit_publisher(world: &World, node: NodeId) -> Option<&brokerlab_engine::rabbit::clients::Publisher> {
    match &world.nodes.get(node.index())?.node {
        Node::Rabbit(RabbitNode::Publisher(p)) => Some(p),
        _ => None,
    }
}

fn rabbit_consumer(world: &World, node: NodeId) -> Option<&brokerlab_engine::rabbit::clients::Consumer> {
    match &world.nodes.get(node.index())?.node {
        Node::Rabbit(RabbitNode::Consumer(c)) => Some(c),
        _ => None,
    }
}

/// The running consumers of `queue` (with manual acks first), other than `except`.
fn queue_consumers(world: &World, queue: u16, except: Option<NodeId>) -> Vec<NodeId> {
    let mut found: Vec<(bool, NodeId)> = (0..world.nodes.len() as u32)
        .map(NodeId)
        .filter(|&n| Some(n) != except && world.network.is_up(n))
        .filter_map(|n| rabbit_consumer(world, n).filter(|c| c.queue == queue).map(|c| (c.auto_ack, n)))
        .collect();
    brokerlab_engine::sort::sort_by_key(&mut found, |f| f.0);
    found.into_iter().map(|f| f.1).collect()
}

impl Walk {
    /// Moving past a RabbitMQ step. The kill variant crashes the consumer after the delivery, and
    /// restarts it after the requeue if no other consumer of the queue runs. The events that came
    /// while the user read are looked at: the next step may be among them (the page runs the
    /// engine in chunks, so they can be many).
    fn advance_rabbit(&mut self, world: &World) -> Option<Command> {
        let mut command = None;
        if !self.waiting() {
            let (queue, consumer) = self.message.as_ref().map_or((None, None), |m| (m.queue, m.consumer));
            match (self.expecting(), queue, consumer) {
                (Some(Kind::ConsumerKilled), _, Some(node)) => command = Some(Command::Stop { node }),
                (Some(Kind::Redelivered), Some(q), Some(node)) if queue_consumers(world, q, Some(node)).is_empty() => {
                    command = Some(Command::Start { node })
                }
                _ => {}
            }
        }
        // (They happened before the command takes effect, so they come first.)
        for e in std::mem::take(&mut self.held) {
            if self.waiting() {
                self.held.push(e);
            } else {
                self.recognise_rabbit(&e, world);
            }
        }
        command
    }

    /// While a step waits for the user, events of the same instant are held for later (the broker
    /// routes, enqueues and delivers in one step), and so is the publisher's confirm of the
    /// message; later ones are let go, as the Kafka walkthrough does: the page pauses on a step,
    /// so they only come when the engine ran ahead in a chunk, and then the message to follow is a
    /// later one (a consumer can only be killed "before it acks" at the instant it got the message).
    fn observe_rabbit(&mut self, e: &Event, world: &World) {
        if self.waiting() {
            let same_instant = self.steps.last().is_some_and(|s| s.at == e.at);
            let confirm = matches!(e.kind, EventKind::Rabbit(RabbitEvent::Confirmed { publisher, seq, .. }) if self.ours(publisher, seq));
            if (same_instant || confirm) && self.held.len() < 10_000 {
                self.held.push(*e);
            }
            return;
        }
        self.recognise_rabbit(e, world);
    }

    fn ours(&self, publisher: NodeId, seq: u64) -> bool {
        self.message.as_ref().is_some_and(|m| m.publisher == Some(publisher) && m.seq == seq)
    }

    fn ours_m(&self, m: u64) -> bool {
        self.message.as_ref().is_some_and(|x| x.m == Some(m))
    }

    /// Our message, in the queue followed (each queue it was routed to holds its own copy).
    fn ours_in(&self, m: u64, queue: u16) -> bool {
        self.message.as_ref().is_some_and(|x| x.m == Some(m) && x.queue == Some(queue))
    }

    /// Ends the walkthrough after the step just recognised (the message goes no further).
    fn finish(&mut self) {
        self.next += 1;
        self.plan.truncate(self.next);
    }

    fn recognise_rabbit(&mut self, e: &Event, world: &World) {
        let name = |n: NodeId| world.node_name(n).to_string();
        let names = brokerlab_engine::rabbit::node::names(world);
        let queue = |q: u16| names.map_or(q.to_string(), |n| n.queue(q));
        let exchange = |x: u16| names.map_or(x.to_string(), |n| n.exchange(x));
        let broker = crate::rabbit::broker(world).map(|(b, _)| b);
        let with_broker = |n: NodeId| std::iter::once(n).chain(broker).collect::<Vec<_>>();
        let expected = self.expecting();
        let r = match e.kind {
            EventKind::Rabbit(r) => r,
            EventKind::NodeStopped { node } if expected == Some(Kind::ConsumerKilled) => {
                let Some(msg) = self.message.clone().filter(|m| m.consumer == Some(node)) else { return };
                self.push(
                    Kind::ConsumerKilled,
                    e.at,
                    format!("{} crashes before it acks", name(node)),
                    format!("{} holds delivery tag {} unacknowledged. Its process dies; its TCP connection to the broker closes.", name(node), msg.tag),
                    vec![node],
                );
                self.next += 1;
                return;
            }
            _ => return,
        };
        // The publisher's confirm comes one hop after the message is enqueued: before or after
        // the delivery, so it is recognised whenever it comes.
        if let RabbitEvent::Confirmed { publisher, seq, ack, latency } = r {
            let routed = self.message.as_ref().is_some_and(|m| m.m.is_some());
            if let Some(i) = self
                .plan
                .get(self.next..)
                .unwrap_or_default()
                .iter()
                .position(|k| *k == Kind::Confirmed)
                .filter(|_| routed && self.ours(publisher, seq))
            {
                self.plan.remove(self.next + i);
                self.plan.insert(self.next, Kind::Confirmed);
                self.next += 1;
                self.push(
                    Kind::Confirmed,
                    e.at,
                    format!("{} gets its confirm", name(publisher)),
                    format!(
                        "The broker {} message {seq}, {latency} after it was published (publisher confirms: basic.{} with the channel's sequence number). {}",
                        if ack { "acknowledges" } else { "refuses" },
                        if ack { "ack" } else { "nack" },
                        if ack { "It is in every queue it was routed to (here: as soon as it is enqueued; a real broker waits for persistent messages to reach the disk), so the publisher may forget it." } else { "The publisher must decide whether to publish it again." }
                    ),
                    with_broker(publisher),
                );
            }
            return;
        }
        match (expected, r) {
            (Some(Kind::Ready), RabbitEvent::ConsumerAdded { .. }) => {
                self.push(
                    Kind::Ready,
                    e.at,
                    "The broker is ready".into(),
                    "The broker declared the exchanges, queues and bindings, and the consumers opened their channels and registered (basic.consume). Next: follow one message.".into(),
                    vec![],
                );
                self.next += 1;
            }
            (Some(Kind::Published), RabbitEvent::Published { publisher, seq, exchange: x }) => {
                let p = rabbit_publisher(world, publisher);
                let key = p
                    .filter(|p| !p.keys.is_empty())
                    .map_or(String::new(), |p| p.keys[(seq % p.keys.len() as u64) as usize].to_string());
                let confirms = p.is_some_and(|p| p.confirms);
                self.message = Some(Message { publisher: Some(publisher), seq, ..Message::default() });
                let rest = self.plan_for(Acks::All);
                self.plan.truncate(self.next + 1);
                self.plan.extend(rest);
                if confirms {
                    self.plan.push(Kind::Confirmed);
                }
                self.push(
                    Kind::Published,
                    e.at,
                    format!("{} publishes message {seq} to exchange {}", name(publisher), exchange(x)),
                    format!(
                        "basic.publish to exchange {} with routing key \"{key}\"{}. A publisher never names a queue: the exchange decides.",
                        exchange(x),
                        if confirms { ", on a channel in confirm mode" } else { "" }
                    ),
                    with_broker(publisher),
                );
                self.next += 1;
            }
            (Some(Kind::Routed), RabbitEvent::Received { m, publisher, seq, .. }) if self.ours(publisher, seq) => {
                if let Some(msg) = &mut self.message {
                    msg.m = Some(m);
                }
            }
            (Some(Kind::Routed), RabbitEvent::Routed { m, from, to, binding }) if self.ours_m(m) => {
                if let Some(msg) = &mut self.message {
                    msg.hops.push(Hop { from, to, binding });
                }
            }
            (Some(Kind::Routed), RabbitEvent::Unroutable { m, exchange: x, returned }) if self.ours_m(m) => {
                self.push(
                    Kind::Routed,
                    e.at,
                    format!("No binding of {} matches", exchange(x)),
                    format!(
                        "No queue takes the message: it is {}.",
                        if returned {
                            "returned to the publisher (basic.return), as it was published mandatory"
                        } else {
                            "dropped (publish with mandatory, or give the exchange an alternate exchange, to keep it)"
                        }
                    ),
                    broker.into_iter().collect(),
                );
                self.finish();
            }
            (Some(Kind::Routed), RabbitEvent::Enqueued { m, .. }) if self.ours_m(m) => {
                let Some(msg) = self.message.as_mut() else { return };
                let queues: Vec<u16> = msg
                    .hops
                    .iter()
                    .filter_map(|h| match h.to {
                        Dest::Queue(q) => Some(q),
                        _ => None,
                    })
                    .collect();
                // Follow a queue someone consumes from, one with manual acks if there is one.
                let mut candidates: Vec<(usize, u16)> = queues
                    .iter()
                    .map(|&q| {
                        let cs = queue_consumers(world, q, None);
                        let manual = cs.first().and_then(|&c| rabbit_consumer(world, c)).is_some_and(|c| !c.auto_ack);
                        (
                            if manual {
                                0
                            } else if cs.is_empty() {
                                2
                            } else {
                                1
                            },
                            q,
                        )
                    })
                    .collect();
                brokerlab_engine::sort::sort_by_key(&mut candidates, |c| c.0);
                let followed = candidates.first().filter(|c| c.0 < 2).map(|c| c.1);
                msg.queue = followed;
                // In the words of the routing calculator (one text for a hop, wherever shown).
                let hops: Vec<String> = match crate::rabbit::model(world) {
                    Some(m) => msg.hops.iter().map(|h| crate::rabbit::hop_text(&m, h)).collect(),
                    None => vec![],
                };
                let reached: Vec<String> = queues.iter().map(|&q| queue(q)).collect();
                let follow = match followed {
                    Some(q) => format!(" Each queue holds its own copy; we follow the one in {}.", queue(q)),
                    None => " No consumer reads these queues: the message waits there.".into(),
                };
                self.push(
                    Kind::Routed,
                    e.at,
                    format!("Routed to {}", reached.join(", ")),
                    format!("The broker routes it: {}.{follow}", hops.join("; ")),
                    broker.into_iter().collect(),
                );
                if followed.is_none() {
                    self.finish();
                } else {
                    self.next += 1;
                }
            }
            (
                Some(Kind::Delivered | Kind::Redelivered),
                RabbitEvent::Delivered { m, queue: q, consumer, tag, redelivered },
            ) if self.ours_in(m, q) => {
                if let Some(msg) = &mut self.message {
                    msg.consumer = Some(consumer);
                    msg.tag = tag;
                }
                let c = rabbit_consumer(world, consumer);
                let auto = c.is_some_and(|c| c.auto_ack);
                let window = c.map_or(String::new(), |c| match (auto, c.prefetch) {
                    (true, _) => " It consumes with automatic acks: the broker forgets the message as it sends it.".into(),
                    (false, 0) => " Its prefetch is unlimited.".into(),
                    (false, p) => format!(" It may hold at most {p} unacknowledged deliveries (prefetch); this one counts until it is acked."),
                });
                let (kind, title) = if redelivered {
                    (Kind::Redelivered, format!("Delivered again to {}, flagged redelivered", name(consumer)))
                } else {
                    (Kind::Delivered, format!("{} delivers it to {}", queue(q), name(consumer)))
                };
                self.push(
                    kind,
                    e.at,
                    title,
                    format!(
                        "basic.deliver with delivery tag {tag} on {}'s channel{}.{window}",
                        name(consumer),
                        if redelivered { ", redelivered = true: the application may have seen it before (at-least-once), so it should be idempotent" } else { "" }
                    ),
                    with_broker(consumer),
                );
                if auto && self.variant == Variant::RabbitKillConsumer && kind == Kind::Delivered {
                    // Nothing to requeue with automatic acks: what is left is its processing.
                    self.plan.truncate(self.next + 1);
                    self.plan.push(Kind::Settled);
                }
                self.next += 1;
            }
            (Some(Kind::Requeued), RabbitEvent::Requeued { m, queue: q, consumer }) if self.ours_in(m, q) => {
                let others = queue_consumers(world, q, Some(consumer));
                self.push(
                    Kind::Requeued,
                    e.at,
                    format!("The broker requeues it in {}", queue(q)),
                    format!(
                        "The broker saw {}'s connection close with delivery tag {} unacknowledged: the message goes back to its original place in {}, marked redelivered. {}",
                        name(consumer),
                        self.message.as_ref().map_or(0, |m| m.tag),
                        queue(q),
                        if others.is_empty() { format!("No other consumer reads {}: next, {} restarts and consumes again.", queue(q), name(consumer)) } else { "Another consumer of the queue will get it.".into() }
                    ),
                    broker.into_iter().collect(),
                );
                self.next += 1;
            }
            (Some(Kind::Settled), RabbitEvent::Acked { m, queue: q, consumer, tag }) if self.ours_in(m, q) => {
                self.push(
                    Kind::Settled,
                    e.at,
                    format!("{} acks it", name(consumer)),
                    format!("{} processed the message and sent basic.ack for tag {tag}: the broker deletes it from {} and the prefetch window has room again.", name(consumer), queue(q)),
                    with_broker(consumer),
                );
                self.next += 1;
            }
            (Some(Kind::Settled), RabbitEvent::DeadLettered { m, queue: q, dlx, reason, .. }) if self.ours_in(m, q) => {
                self.push(
                    Kind::Settled,
                    e.at,
                    format!("Rejected: dead-lettered to {}", exchange(dlx)),
                    format!("The consumer rejected it without requeue ({}): {} hands it to its dead-letter exchange {} with an x-death header recording why.", reason.name(), queue(q), exchange(dlx)),
                    broker.into_iter().collect(),
                );
                self.next += 1;
            }
            (Some(Kind::Settled), RabbitEvent::Discarded { m, queue: q, .. }) if self.ours_in(m, q) => {
                self.push(Kind::Settled, e.at, "Rejected: dropped".into(), format!("The consumer rejected it without requeue and {} has no dead-letter exchange: the message is gone.", queue(q)), broker.into_iter().collect());
                self.next += 1;
            }
            (Some(Kind::Settled), RabbitEvent::Requeued { m, queue: q, consumer }) if self.ours_in(m, q) => {
                self.push(
                    Kind::Settled,
                    e.at,
                    format!("{} rejects it with requeue", name(consumer)),
                    format!("Back to its place in {}: it will be delivered again, flagged redelivered.", queue(q)),
                    with_broker(consumer),
                );
                self.next += 1;
            }
            (Some(Kind::Settled), RabbitEvent::Processed { consumer, publisher, seq, .. })
                if self.ours(publisher, seq)
                    && self.message.as_ref().is_some_and(|m| m.consumer == Some(consumer))
                    && rabbit_consumer(world, consumer).is_some_and(|c| c.auto_ack) =>
            {
                self.push(Kind::Settled, e.at, format!("{} processes it", name(consumer)), "With automatic acks there is nothing to acknowledge: had the consumer crashed before processing it, the message would be lost.".into(), vec![consumer]);
                self.next += 1;
            }
            _ => {}
        }
    }
}

fn producer_idempotent(world: &World, node: NodeId) -> bool {
    matches!(&world.nodes.get(node.index()).map(|s| &s.node), Some(Node::Kafka(KafkaNode::Producer(p))) if p.settings.idempotent)
}

/// Whether a log record is `producer`'s record number `seq`. (A record's value is its producer's
/// record number; an idempotent producer's records also carry its id, node index + 1, where others
/// carry 0.)
fn is_record_of(rec: &brokerlab_engine::kafka::log::Record, producer: NodeId, seq: u64) -> bool {
    rec.value == seq && (rec.producer == 0 || rec.producer == producer.0 + 1)
}

/// Whether the leader's record at `offset` is the followed one (not another record that took its
/// offset after a failover).
fn is_ours(world: &World, r: Record, offset: u64) -> bool {
    super::kafka::leader(world, r.tp)
        .and_then(|(_, replica)| replica.log.get(offset).copied())
        .is_none_or(|rec| is_record_of(&rec, r.producer, r.seq))
}

/// After a retry: what the leader's log shows of the record `seq` (by its value) — the copy the old
/// leader had replicated, kept once; a new copy appended by the retry; or, without idempotence, two.
fn copies_text(world: &World, tp: Tp, producer: NodeId, seq: u64, acked: u64) -> String {
    let Some((b, replica)) = super::kafka::leader(world, tp) else { return String::new() };
    let copies: Vec<_> = replica.log.records().filter(|rec| is_record_of(rec, producer, seq)).collect();
    match copies.as_slice() {
        [one] if one.offset == acked && one.epoch < replica.epoch => format!(
            " A follower's fetch had carried the first copy off the old leader before it crashed: b{b} already had it at offset {acked} (leader epoch {}), so the retry was recognised and not stored again.",
            one.epoch
        ),
        [one] if one.offset == acked => format!(
            " The first copy never reached a follower before the crash, so b{b} did not have it: the retry is appended now, at offset {acked} in leader epoch {}, once.",
            one.epoch
        ),
        [_, _, ..] => format!(
            " b{b}'s log now holds it {} times (offsets {}): the retry was stored again.",
            copies.len(),
            copies.iter().map(|c| c.offset.to_string()).collect::<Vec<_>>().join(", ")
        ),
        _ => String::new(),
    }
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
    use brokerlab_engine::{Scenario, Simulation};

    /// Runs the walkthrough against the engine the way the page does: step the simulation, fold
    /// the events, and move on whenever a step is recognised (applying what the walk asks).
    fn run(variant: Variant) -> Vec<Kind> {
        run_on(Scenario::from_json(include_str!("testdata/groups.json")).unwrap(), variant)
    }

    fn run_on(s: Scenario, variant: Variant) -> Vec<Kind> {
        run_chunked(s, variant, 1)
    }

    /// As the page does it: the first step is found running the engine `chunk` entries at a
    /// time (so later events wait, held, while the user reads), then one entry at a time.
    fn run_chunked(s: Scenario, variant: Variant, chunk: u64) -> Vec<Kind> {
        let mut sim = Simulation::new(&s, 1).unwrap();
        let mut walk = Walk::new(variant);
        while !walk.waiting() {
            let before = sim.steps();
            sim.run_until_limited(Time::secs(120), chunk);
            let events: Vec<Event> = sim.drain_events().collect();
            events.iter().for_each(|e| walk.observe(e, sim.world()));
            assert!(sim.steps() > before);
        }
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
        // long-poll answer; here the producer hears back first (the order is the network's draw).
        assert_eq!(run(Variant::Normal), vec![Ready, Produced, Appended, Replicated, Acked, Consumed, Committed]);
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
                let kinds = run_on(brokerlab_engine::presets::load(slug).unwrap(), variant);
                assert_eq!(kinds.last(), Some(&Kind::Committed), "{slug} {variant:?}: {kinds:?}");
            }
        }
    }

    #[test]
    fn follows_a_rabbitmq_message_from_publish_to_ack_and_confirm() {
        use Kind::*;
        let s = brokerlab_engine::presets::load("rabbit-basic").unwrap();
        // The shop's first message: order.eu.created → billing (biller, manual acks) and audit;
        // the confirm reaches the shop after the delivery, before the biller's ack.
        assert_eq!(run_on(s.clone(), Variant::Rabbit), vec![Ready, Published, Routed, Delivered, Confirmed, Settled]);
        // Killed as soon as it has the delivery (the confirm is still on its way to the shop):
        // the biller is billing's only consumer, so the walkthrough restarts it, and the message
        // comes back redelivered.
        assert_eq!(
            run_on(s, Variant::RabbitKillConsumer),
            vec![Ready, Published, Routed, Delivered, ConsumerKilled, Confirmed, Requeued, Redelivered, Settled]
        );
    }

    #[test]
    fn the_rabbitmq_walkthrough_gets_there_when_events_come_in_chunks() {
        let s = brokerlab_engine::presets::load("rabbit-basic").unwrap();
        for variant in [Variant::Rabbit, Variant::RabbitKillConsumer] {
            for chunk in [1, 7, 500, 5_000] {
                let kinds = run_chunked(s.clone(), variant, chunk);
                assert_eq!(kinds.last(), Some(&Kind::Settled), "{variant:?}, chunks of {chunk}: {kinds:?}");
            }
        }
    }

    #[test]
    fn the_rabbitmq_narration_names_the_route_and_the_tag() {
        let s = brokerlab_engine::presets::load("rabbit-basic").unwrap();
        let mut sim = Simulation::new(&s, 1).unwrap();
        let mut walk = Walk::new(Variant::Rabbit);
        for _ in 0..4 {
            until_waiting(&mut sim, &mut walk);
            walk.advance(sim.world());
        }
        let routed = walk.steps.iter().find(|s| s.kind == Kind::Routed).unwrap();
        assert_eq!(routed.title, "Routed to billing, audit");
        assert!(routed.text.contains("orders → queue billing (binding order.#)"), "{}", routed.text);
        let delivered = walk.steps.iter().find(|s| s.kind == Kind::Delivered).unwrap();
        assert!(
            delivered.text.contains("delivery tag 1") && delivered.text.contains("at most 5 unacknowledged"),
            "{}",
            delivered.text
        );
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
