//! A message's journey as a sequence diagram: which events of the run belong to one Kafka record
//! or one RabbitMQ message, as arrows between lifelines (its producer, the brokers, ZooKeeper
//! where it took part, its consumers), each at its simulated times.
//!
//! Nothing is kept while the run plays: a journey is scanned on demand, by replaying the run from
//! the last snapshot before the message was published (`timeline`'s snapshots and command log)
//! to the instant shown, folding only the events that concern it. The scan stops once the
//! journey has settled (acknowledged and committed, confirmed and settled) or after
//! `MAX_SCAN_STEPS` engine steps; the diagram holds at most `MAX_STEPS` steps. Every arrow is an
//! event or a network message the engine recorded: a retry, an error answer, a dropped packet, a
//! redelivery are drawn as they happened, and nothing is drawn that did not.
//!
//! `kafka.rs` and `rabbit.rs` say which events are which step; this file holds the diagram, the
//! network bookkeeping both share, and the scan.

mod kafka;
mod rabbit;
#[cfg(test)]
mod tests;

use brokerlab_engine::compare::{System, Workload};
use brokerlab_engine::kafka::msg::Tp;
use brokerlab_engine::kernel::Process;
use brokerlab_engine::{Event, EventKind, LoggedCommand, NodeId, Simulation, Time, World};

/// Engine steps one scan may replay at most (a second or so of work in the page).
pub const MAX_SCAN_STEPS: u64 = 3_000_000;
/// Steps drawn at most; a longer journey (a message redelivered again and again) says so.
pub const MAX_STEPS: usize = 120;
/// After a journey settles, the scan looks this much longer for late steps (another group's
/// read, a late confirm) before it stops.
const GRACE: Time = Time::secs(1);
const CHUNK: u64 = 5_000;

/// Which message to follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A Kafka producer's record number `seq` (any producer's when `producer` is none: the
    /// comparison has one).
    Kafka { producer: Option<NodeId>, seq: u64 },
    /// The Kafka record written at `offset` of `tp` in leader epoch `epoch` (a partition log's
    /// cell, a consumer's read): resolved to its producer and number first.
    KafkaAt { tp: Tp, offset: u64, epoch: u32 },
    /// A RabbitMQ publisher's message number `seq`.
    Rabbit { publisher: Option<NodeId>, seq: u64 },
}

/// What kind of step an arrow is, for its colour and line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// A request or answer that did what it asked.
    Ok,
    /// An error answer, a refusal, a rejection, a dead-lettering, a crash.
    Fail,
    /// A network message the network did not deliver.
    Lost,
    /// Something a node did by itself (an append, a HW move, a hop through an exchange).
    Note,
}

impl Tone {
    pub fn class(self) -> &'static str {
        match self {
            Tone::Ok => "ok",
            Tone::Fail => "fail",
            Tone::Lost => "lost",
            Tone::Note => "note",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifeline {
    pub node: NodeId,
    pub name: String,
    /// `producer`, `broker`, `ZooKeeper`, `consumer`, …
    pub role: &'static str,
}

/// One step: an arrow from lifeline `from` to `to` (the same for a note), sent at `sent`,
/// arriving at `at` (equal for a note).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub from: usize,
    pub to: usize,
    pub sent: Time,
    pub at: Time,
    pub label: String,
    pub tone: Tone,
    /// A network message still in the air at the instant shown.
    pub in_flight: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagram {
    pub title: String,
    pub lifelines: Vec<Lifeline>,
    pub steps: Vec<Step>,
    /// What the diagram leaves out or could not find, in words.
    pub remarks: Vec<String>,
}

impl Diagram {
    /// The steps' labels, in order (for tests and their messages).
    pub fn labels(&self) -> Vec<&str> {
        self.steps.iter().map(|s| s.label.as_str()).collect()
    }
    pub fn lifeline(&self, i: usize) -> &Lifeline {
        &self.lifelines[i]
    }
}

/// A step as recorded, between nodes (lifelines are chosen at the end).
#[derive(Clone, Debug)]
struct Raw {
    from: NodeId,
    to: NodeId,
    sent: Time,
    at: Time,
    label: String,
    tone: Tone,
    in_flight: bool,
}

/// A send the tracer waits for: the next network message `kind` from `from` in this instant
/// (`lane`: the partition or exchange its colour lane names, when known).
#[derive(Clone, Debug)]
struct Expect {
    at: Time,
    from: NodeId,
    kind: &'static str,
    lane: Option<u32>,
    /// Its receiver, when known, and how many sends to it of that kind in this instant come first.
    to: Option<NodeId>,
    skip: usize,
    label: String,
    tone: Tone,
}

/// The steps recorded so far and the network bookkeeping both models' tracers share.
#[derive(Clone, Debug, Default)]
struct Recorder {
    steps: Vec<Raw>,
    /// Messages drawn as arrows, still in the air: (message id, step index).
    flying: Vec<(u64, usize)>,
    /// The last message delivered: (at, from, to, sent_at, kind). A model event handled in the
    /// same instant at `to` is that message's effect.
    delivered: Option<(Time, NodeId, NodeId, Time, &'static str)>,
    expect: Vec<Expect>,
    truncated: bool,
    last: Time,
}

impl Recorder {
    fn push(&mut self, raw: Raw) -> Option<usize> {
        self.last = self.last.max(raw.at);
        if self.steps.len() >= MAX_STEPS {
            self.truncated = true;
            return None;
        }
        self.steps.push(raw);
        Some(self.steps.len() - 1)
    }

    /// An arrow for a message sent now, drawn as it flies (`network` sees it land or drop).
    #[allow(clippy::too_many_arguments)]
    fn fly(&mut self, from: NodeId, to: NodeId, sent: Time, arrives: Time, msg: u64, label: String, tone: Tone) {
        let raw = Raw { from, to, sent, at: arrives, label, tone, in_flight: true };
        if let Some(step) = self.push(raw) {
            self.flying.push((msg, step));
        }
    }

    fn note(&mut self, node: NodeId, at: Time, label: String, tone: Tone) {
        self.push(Raw { from: node, to: node, sent: at, at, label, tone, in_flight: false });
    }

    /// An arrow for a message that arrived just now (`reply` found it).
    fn arrow(&mut self, from: NodeId, to: NodeId, sent: Time, at: Time, label: String, tone: Tone) {
        self.push(Raw { from, to, sent, at, label, tone, in_flight: false });
    }

    /// The message delivered to `to` in this instant with one of `kinds`: its sender and send time.
    fn reply(&self, at: Time, to: NodeId, kinds: &[&str]) -> Option<(NodeId, Time)> {
        self.delivered.filter(|d| d.0 == at && d.2 == to && kinds.contains(&d.4)).map(|d| (d.1, d.3))
    }

    /// Draws a message sent in this instant, once it is sent.
    fn expect(&mut self, x: Expect) {
        self.expect.push(x);
    }

    /// The send of `kind` from `from` now that the tracer knows is its own (about to be seen):
    /// the expectation waits for it, whatever its lane.
    fn pin_expect(&mut self, at: Time, from: NodeId, kind: &str, to: NodeId) {
        if let Some(x) = self.expect.iter_mut().find(|x| x.at == at && x.from == from && x.kind == kind) {
            (x.lane, x.to, x.skip) = (None, Some(to), 0);
        }
    }

    /// The expected send this one is, if any.
    fn take_expect(&mut self, at: Time, from: NodeId, to: NodeId, kind: &str, lane: u32) -> Option<Expect> {
        self.expect.retain(|x| x.at == at);
        let hit = self.expect.iter_mut().position(|x| {
            let fits =
                x.from == from && x.kind == kind && x.lane.is_none_or(|l| l == lane) && x.to.is_none_or(|t| t == to);
            if fits && x.skip > 0 {
                x.skip -= 1;
                return false;
            }
            fits
        });
        hit.map(|i| self.expect.remove(i))
    }

    /// The kernel's network events: sends the tracer waits for, arrivals and drops of arrows.
    fn network(&mut self, e: &Event) {
        match e.kind {
            EventKind::Sent { from, to, msg, info, deliver_at } => {
                if let Some(x) = self.take_expect(e.at, from, to, info.kind, info.lane) {
                    self.fly(from, to, e.at, deliver_at, msg.0, x.label, x.tone);
                }
            }
            EventKind::Delivered { from, to, msg, info, sent_at } => {
                self.delivered = Some((e.at, from, to, sent_at, info.kind));
                if let Some(i) = self.flying.iter().position(|f| f.0 == msg.0) {
                    let (_, step) = self.flying.swap_remove(i);
                    self.steps[step].in_flight = false;
                    self.steps[step].at = e.at;
                }
            }
            EventKind::Dropped { from, to, msg, info, reason } => {
                if let Some(i) = self.flying.iter().position(|f| f.0 == msg.0) {
                    let (_, step) = self.flying.swap_remove(i);
                    let s = &mut self.steps[step];
                    s.in_flight = false;
                    s.tone = Tone::Lost;
                    s.at = e.at;
                    s.label = format!("{} — dropped ({})", s.label, reason.as_str());
                } else if let Some(x) = self.take_expect(e.at, from, to, info.kind, info.lane) {
                    // Lost as it was sent: no `Sent` came first.
                    let label = format!("{} — dropped ({})", x.label, reason.as_str());
                    self.arrow(from, to, e.at, e.at, label, Tone::Lost);
                }
            }
            _ => {}
        }
    }

    /// Crashes and restarts of the nodes on the diagram.
    fn node_events(&mut self, e: &Event) {
        let (node, what) = match e.kind {
            EventKind::NodeStopped { node } => (node, "stopped (crash)"),
            EventKind::NodeStarted { node } => (node, "restarted"),
            EventKind::NodeIsolated { node } => (node, "isolated from the network"),
            EventKind::NodeRejoined { node } => (node, "back on the network"),
            _ => return,
        };
        if self.steps.iter().any(|s| s.from == node || s.to == node) {
            self.note(node, e.at, what.to_string(), Tone::Fail);
        }
    }

    /// The diagram: lifelines for the nodes the steps join, producers left, consumers right.
    fn finish(self, world: &World, title: String, mut remarks: Vec<String>) -> Diagram {
        let mut nodes: Vec<NodeId> = self.steps.iter().flat_map(|s| [s.from, s.to]).collect();
        let column = |n: NodeId| match world.nodes.get(n.index()).map(|s| s.node.role()) {
            Some("producer" | "publisher") => 0,
            Some("broker") => 1,
            Some("zookeeper") => 2,
            _ => 3,
        };
        nodes.sort_by_key(|&n| (column(n), n));
        nodes.dedup();
        let lifelines: Vec<Lifeline> = nodes
            .iter()
            .map(|&n| Lifeline {
                node: n,
                name: world.node_name(n).to_string(),
                role: match world.nodes.get(n.index()).map(|s| s.node.role()) {
                    Some("zookeeper") => "ZooKeeper",
                    Some(r) => r,
                    None => "",
                },
            })
            .collect();
        let index = |n: NodeId| nodes.iter().position(|&x| x == n).unwrap_or(0);
        let mut steps: Vec<Step> = self
            .steps
            .into_iter()
            .map(|r| Step {
                from: index(r.from),
                to: index(r.to),
                sent: r.sent,
                at: r.at,
                label: r.label,
                tone: r.tone,
                in_flight: r.in_flight,
            })
            .collect();
        // In the order they began (stable: an instant keeps the engine's order).
        steps.sort_by_key(|s| s.sent);
        if self.truncated {
            remarks.push(format!("Only its first {MAX_STEPS} steps are drawn."));
        }
        Diagram { title, lifelines, steps, remarks }
    }
}

/// The message a tracer follows: its sender's number `seq` (any sender's until one sends it).
#[derive(Clone, Copy, Debug, Default)]
struct Followed {
    sender: Option<NodeId>,
    seq: u64,
}

impl Followed {
    fn is(&self, sender: NodeId, seq: u64) -> bool {
        seq == self.seq && self.sender.is_none_or(|p| p == sender)
    }
}

/// A model's tracer: folds events into steps.
trait Tracer {
    fn observe(&mut self, e: &Event, world: &World);
    /// Whether the message's first step (its publish) has been seen.
    fn started(&self) -> bool;
    /// When the journey settled, if it has (nothing more is expected but late extras).
    fn settled(&self) -> Option<Time>;
    fn finish(self: Box<Self>, world: &World, remarks: Vec<String>) -> Diagram;
}

/// The tracer of a subject named by its publisher and number (`KafkaAt` is resolved to one first).
fn tracer(subject: Subject) -> Option<Box<dyn Tracer>> {
    match subject {
        Subject::Kafka { producer, seq } => Some(Box::new(kafka::KafkaTrace::new(Followed { sender: producer, seq }))),
        Subject::Rabbit { publisher, seq } => {
            Some(Box::new(rabbit::RabbitTrace::new(Followed { sender: publisher, seq })))
        }
        Subject::KafkaAt { .. } => None,
    }
}

/// Where to scan: instants of one run, oldest first (`starts`: the timeline's snapshots, or just
/// the run's start), the learner's actions, and the instant shown.
pub struct Run<'a> {
    pub starts: Vec<&'a Simulation>,
    pub log: &'a [LoggedCommand],
    pub until: Time,
}

/// The journey of `subject`, published at or before `since` (the clicked event's instant, or the
/// record's append time), as the run recorded it up to `run.until`.
pub fn trace(run: &Run, subject: Subject, since: Time) -> Diagram {
    if run.starts.is_empty() {
        return Diagram::default();
    }
    let subject = match subject {
        Subject::KafkaAt { tp, offset, epoch } => kafka::resolve(run, tp, offset, epoch, since)
            .map(|(producer, seq)| Subject::Kafka { producer: Some(producer), seq }),
        s => Some(s),
    };
    let Some(subject) = subject else {
        let mut d = Diagram { title: "A record".into(), ..Diagram::default() };
        d.remarks.push("Its append was not found in the run up to the instant shown.".into());
        return d;
    };
    let since = since.min(run.until);
    let mut from = run.starts.iter().rposition(|s| s.now() <= since).unwrap_or(0);
    loop {
        let mut sim = (*run.starts[from]).clone();
        let Some(mut t) = tracer(subject) else { return Diagram::default() };
        let mut left = MAX_SCAN_STEPS;
        let mut remarks = Vec::new();
        loop {
            let (done, reached) = sim.run_with_log(run.log, run.until, left.min(CHUNK));
            left -= done;
            let world_events: Vec<Event> = sim.drain_events().collect();
            for e in &world_events {
                t.observe(e, sim.world());
            }
            // Started before this snapshot: scan again from an earlier one.
            if !t.started() && sim.now() > since && from > 0 {
                break;
            }
            if reached {
                break;
            }
            if t.settled().is_some_and(|s| sim.now() > s + GRACE) {
                break;
            }
            if left == 0 {
                remarks.push(format!("The scan stopped at {} (it replays at most {MAX_SCAN_STEPS} engine steps); the journey may go on after it.", sim.now()));
                break;
            }
        }
        if !t.started() && sim.now() > since && from > 0 {
            from -= 1;
            continue;
        }
        if !t.started() {
            remarks.push("Nothing of it was recorded up to the instant shown.".into());
        }
        return t.finish(sim.world(), remarks);
    }
}

/// The steps of an event's log line that a journey can start from: the message it is about, and
/// the instant it was published by (the event's own, or earlier by the latency it reports).
pub fn subject_of(e: &Event, world: &World) -> Option<(Subject, Time)> {
    use brokerlab_engine::kafka::msg::KafkaEvent as K;
    use brokerlab_engine::rabbit::event::RabbitEvent as R;
    use brokerlab_engine::ModelEvents as M;
    let EventKind::Model(m) = e.kind else { return None };
    let kafka = |producer: NodeId, seq: u64| Subject::Kafka { producer: Some(producer), seq };
    let rabbit = |publisher: NodeId, seq: u64| Subject::Rabbit { publisher: Some(publisher), seq };
    Some(match m {
        M::Kafka(K::Produced { producer, seq, .. })
        | M::Kafka(K::ProduceFailed { producer, seq, .. })
        | M::Kafka(K::ProduceExpired { producer, seq, .. }) => (kafka(producer, seq), e.at),
        M::Kafka(K::ProduceAcked { producer, seq, .. }) => (kafka(producer, seq), e.at),
        M::Kafka(K::Appended { tp, offset, epoch, .. }) => (Subject::KafkaAt { tp, offset, epoch }, e.at),
        M::Kafka(K::Consumed { tp, offset, .. }) => {
            // The record the leader holds at that offset now (the one just read).
            let (_, replica) = super::kafka::leader(world, tp)?;
            let rec = replica.log.get(offset)?;
            (Subject::KafkaAt { tp, offset, epoch: rec.epoch }, rec.timestamp)
        }
        M::Rabbit(R::Published { publisher, seq, .. })
        | M::Rabbit(R::PublishFailed { publisher, seq, .. })
        | M::Rabbit(R::Received { publisher, seq, .. })
        | M::Rabbit(R::Consumed { publisher, seq, .. })
        | M::Rabbit(R::Processed { publisher, seq, .. })
        | M::Rabbit(R::Confirmed { publisher, seq, .. })
        | M::Rabbit(R::Returned { publisher, seq }) => (rabbit(publisher, seq), e.at),
        _ => return None,
    })
}

/// An event's log line without its instant and type columns: a note's words.
fn detail(e: &Event, world: &World) -> String {
    let line = e.line(world);
    let ty = e.type_name();
    line.split_once(ty).map_or(line.clone(), |(_, rest)| rest.trim().to_string())
}

/// The number a comparison's producer gives customer `customer`'s message `number` (A1 is 0, B1
/// is 1, …: `Detector::split` inverted).
pub fn compare_seq(w: &Workload, customer: u32, number: u32) -> u64 {
    (number.saturating_sub(1) as u64) * w.customers as u64 + customer as u64
}

/// The journey of message `seq` in a comparison's lane, run with `seed` up to `until` (a lane
/// takes no actions: its run is its scenario).
pub fn compare_lane(w: &Workload, system: System, seed: u64, until: Time, seq: u64) -> Diagram {
    let scenario = match system {
        System::Kafka => w.kafka_scenario(seed),
        System::Rabbit => w.rabbit_scenario(seed),
    };
    let Ok(start) = scenario.and_then(|s| Simulation::new(&s, seed)) else { return Diagram::default() };
    // With a stage its instances publish too (their own numbering in Kafka, the input's in
    // RabbitMQ): the journey is the input record's, from the producer.
    let producer = w
        .stage
        .as_ref()
        .and_then(|_| start.world().nodes.iter().position(|n| n.name == "producer").map(|i| NodeId(i as u32)));
    let subject = match system {
        System::Kafka => Subject::Kafka { producer, seq },
        System::Rabbit => Subject::Rabbit { publisher: producer, seq },
    };
    trace(&Run { starts: vec![&start], log: &[], until }, subject, until)
}
