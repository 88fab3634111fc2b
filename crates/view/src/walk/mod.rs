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

use crate::i18n::{t, tf};
use brokerlab_engine::kafka::msg::Tp;
use brokerlab_engine::kafka::partition::{Acks, BrokerId};
use brokerlab_engine::rabbit::exchange::Hop;
use brokerlab_engine::Event;
use brokerlab_engine::{Command, NodeId, Time, World};

mod kafka;
mod rabbit;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Normal,
    KillLeader,
    Rabbit,
    RabbitKillConsumer,
}

impl Variant {
    pub fn is_rabbit(self) -> bool {
        self.script() == Script::Rabbit
    }

    /// Whose script this walkthrough follows.
    fn script(self) -> Script {
        match self {
            Variant::Normal | Variant::KillLeader => Script::Kafka,
            Variant::Rabbit | Variant::RabbitKillConsumer => Script::Rabbit,
        }
    }
}

/// The models that have a walkthrough script (`kafka.rs`, `rabbit.rs`); the stepper hands each
/// call to the variant's script here, and nowhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Script {
    Kafka,
    Rabbit,
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
    /// The errors of the followed record's retries that failed before it was acknowledged.
    retry_failures: Vec<&'static str>,
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

impl Walk {
    pub fn new(variant: Variant) -> Walk {
        let first = match variant.script() {
            Script::Kafka => Kind::Produced,
            Script::Rabbit => Kind::Published,
        };
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
            retry_failures: Vec::new(),
        }
    }

    /// The sentence the first step adds when the scenario's own faults were held back.
    pub fn held_faults_text(&self) -> String {
        match self.held_faults {
            0 => String::new(),
            1 => t(" The scenario's scheduled fault is held back while the walkthrough runs, so only what it tells happens.").into(),
            n => tf(" The scenario's {0} scheduled faults are held back while the walkthrough runs, so only what it tells happens.", &[&n]),
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

    /// The record or message followed, once it is known, and an instant it was published by:
    /// its journey as a sequence diagram.
    pub fn subject(&self) -> Option<(crate::journey::Subject, Time)> {
        use crate::journey::Subject;
        let at = self.steps.last()?.at;
        match (&self.record, &self.message) {
            (Some(r), _) => Some((Subject::Kafka { producer: Some(r.producer), seq: r.seq }, at)),
            (None, Some(m)) if m.publisher.is_some() => {
                Some((Subject::Rabbit { publisher: m.publisher, seq: m.seq }, at))
            }
            _ => None,
        }
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
        match self.variant.script() {
            Script::Kafka => self.pace_kafka(),
            Script::Rabbit => self.pace_rabbit(),
        }
    }

    /// The user moves on from the current step. Returns a command to apply, if the walkthrough
    /// injects a fault here (the leader's crash in `KillLeader`).
    pub fn advance(&mut self, world: &World) -> Option<Command> {
        if !self.waiting() {
            return None;
        }
        self.seen += 1;
        match self.variant.script() {
            Script::Kafka => self.advance_kafka(world),
            Script::Rabbit => self.advance_rabbit(world),
        }
    }

    fn push(&mut self, kind: Kind, at: Time, title: String, text: String, nodes: Vec<NodeId>) {
        self.steps.push(Step { kind, at, title, text, nodes });
    }

    /// Folds one event in; recognises at most one step: the one it is waiting for, or the
    /// producer's acknowledgement, which races with replication and with the consumer's fetch.
    /// Nothing is recognised while a step waits for the user: the page is paused then, and a
    /// fast-forward past it must not run ahead of what is on screen.
    pub fn observe(&mut self, e: &Event, world: &World) {
        match self.variant.script() {
            Script::Kafka => self.observe_kafka(e, world),
            Script::Rabbit => self.observe_rabbit(e, world),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::{Scenario, Simulation};

    /// Runs the walkthrough against the engine the way the page does: step the simulation, fold
    /// the events, and move on whenever a step is recognised (applying what the walk asks).
    fn run(variant: Variant) -> Vec<Kind> {
        run_on(Scenario::from_json(include_str!("../testdata/groups.json")).unwrap(), variant)
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
        // long-poll answer; here the consumer reads it first (the order is the network's draw, and
        // the walkthrough says which came first).
        assert_eq!(run(Variant::Normal), vec![Ready, Produced, Appended, Replicated, Consumed, Acked, Committed]);
    }

    #[test]
    fn follows_it_through_a_leader_crash() {
        use Kind::*;
        // The killed leader was the group's coordinator too: its members find the new one within
        // a retry backoff; the consumer reads the copy replicated before the crash, here after
        // the producer's retry is acknowledged (its one fetch to the new leader's broker covers
        // all it reads there; the walkthrough says which came first).
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
        let s = Scenario::from_json(include_str!("../testdata/groups.json")).unwrap();
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
