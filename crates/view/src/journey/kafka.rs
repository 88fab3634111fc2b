//! A Kafka record's journey: Produce → the leader's append → followers' Fetch → HW → ack →
//! consumers' Fetch → commit, with retries, error answers, drops and failovers as they happened.
//!
//! The engine's events name a record by its producer and number where the producer is concerned
//! (`Produced`, `ProduceAcked`, …) and by partition and offset where the log is (`Appended`,
//! `Consumed`); the link between them is the produce request: its batch is the records its
//! producer sent in that instant for that partition, in order, and the leader emits one `Appended`
//! per record of it, in the same order, as it handles the request.

use super::{detail, Expect, Followed, Recorder, Run, Tone, Tracer, CHUNK};
use crate::i18n::{t, tf};
use brokerlab_engine::kafka::msg::{err_name, KafkaEvent, Tp, ZnodePath, MANY_PARTITIONS};
use brokerlab_engine::kafka::partition::BrokerId;
use brokerlab_engine::{Event, EventKind, ModelEvents, NodeId, Time, World};

fn broker_node(world: &World, b: BrokerId) -> Option<NodeId> {
    world.shared.kafka.as_ref().and_then(|c| c.broker_node(b))
}

fn tp_name(world: &World, tp: Tp) -> String {
    format!("{}-{}", world.topic_name(tp.topic), tp.partition)
}

fn kafka(e: &Event) -> Option<KafkaEvent> {
    match e.kind {
        EventKind::Model(ModelEvents::Kafka(k)) => Some(k),
        _ => None,
    }
}

/// The producer of the record appended at `offset` of `tp` in `epoch`: the sender of the produce
/// request the leader was handling when it appended it. Scanned from the last start at or before
/// `since` (the record's append time) to `since`.
pub(super) fn resolve(run: &Run, tp: Tp, offset: u64, epoch: u32, since: Time) -> Option<(NodeId, u64)> {
    let from = run.starts.iter().rposition(|s| s.now() <= since).unwrap_or(0);
    let mut sim = run.starts[from].clone();
    let mut delivered: Option<(Time, NodeId, &str)> = None;
    loop {
        let (_, reached) = sim.run_with_log(run.log, since.min(run.until), CHUNK);
        let events: Vec<Event> = sim.drain_events().collect();
        for e in events {
            match e.kind {
                EventKind::Delivered { from, info, .. } => delivered = Some((e.at, from, info.kind)),
                EventKind::Model(ModelEvents::Kafka(KafkaEvent::Appended { tp: t, offset: o, epoch: ep, .. }))
                    if t == tp && o == offset && ep == epoch =>
                {
                    let producer = delivered.filter(|d| d.0 == e.at && d.2 == "produce").map(|d| d.1)?;
                    // The record's value is its producer's number for it.
                    let (_, replica) = crate::kafka::leader(sim.world(), tp)?;
                    return replica.log.get(offset).map(|r| (producer, r.value));
                }
                _ => {}
            }
        }
        if reached {
            return None;
        }
    }
}

/// A fetching client, the broker it fetches from, and the lane (`MANY_PARTITIONS`).
type FetchKey = (NodeId, NodeId, u32);

#[derive(Debug, Default)]
pub(super) struct KafkaTrace {
    rec: Recorder,
    who: Followed,
    tp: Option<Tp>,
    /// This instant's `Produced` records not yet sent: (at, producer, partition, number).
    batch: Vec<(Time, NodeId, Tp, u64)>,
    /// Our produce requests in the air: (message id, our record's place in its batch).
    requests: Vec<(u64, usize)>,
    /// A request of ours arrived now at a broker: (at, broker, our place, appends seen).
    appending: Option<(Time, NodeId, usize, usize)>,
    leader: Option<NodeId>,
    /// Where it was appended (offset, instant), newest last.
    offsets: Vec<(u64, Time)>,
    /// Followers sent it since the last append.
    replicated: Vec<NodeId>,
    hw_passed: bool,
    /// The last fetch request each client (consumer or follower) had delivered to each broker
    /// (one covers every partition it reads there): ((client, broker, lane), (sent, at)). Kept
    /// from the scan's start: a fetch waits at the leader (Kafka's purgatory) until records
    /// arrive.
    fetches: Vec<(FetchKey, (Time, Time))>,
    /// Consumers that read it and have not committed past it yet.
    readers: Vec<NodeId>,
    /// The last offset commit each reader sent: (consumer, sent, arrives, coordinator).
    commits: Vec<(NodeId, Time, Time, NodeId)>,
    acked: Option<Time>,
    given_up: Option<Time>,
    committed: Option<Time>,
    title: String,
}

impl KafkaTrace {
    pub(super) fn new(who: Followed) -> KafkaTrace {
        KafkaTrace { who, ..KafkaTrace::default() }
    }

    fn ours_tp(&self, tp: Tp) -> bool {
        self.tp == Some(tp)
    }

    /// The record's latest offset.
    fn offset(&self) -> Option<u64> {
        self.offsets.last().map(|o| o.0)
    }

    /// Before `network` sees it: a send this trace draws itself (a follower's fetch response
    /// after the append, a reader's offset commit).
    fn before_network(&mut self, e: &Event) {
        let Some(tp) = self.tp else { return };
        let (from, to, msg, info, deliver_at) = match e.kind {
            EventKind::Sent { from, to, msg, info, deliver_at } => (from, to, msg, info, deliver_at),
            // Lost as it was sent: its batch is gone all the same.
            EventKind::Dropped { from, to, msg, info, .. } if info.kind == "produce" => (from, to, msg, info, e.at),
            _ => return,
        };
        match info.kind {
            // A Produce request carries a batch of each of several partitions; the records
            // `Produced` since this producer's previous request are this one's.
            "produce" => {
                let batch: Vec<u64> = self
                    .batch
                    .iter()
                    .filter(|b| b.0 == e.at && b.1 == from && b.2.partition == tp.partition)
                    .map(|b| b.3)
                    .collect();
                self.batch.retain(|b| b.1 != from);
                let place = batch.iter().position(|&s| s == self.who.seq);
                if let Some(i) = place.filter(|_| Some(from) == self.who.sender) {
                    self.requests.push((msg.0, i));
                    // The arrow follows this request (of one partition, or several).
                    self.rec.pin_expect(e.at, from, "produce", to);
                }
            }
            // A follower's session answer brings records of this partition alone (its lane) or of
            // several; sent after the append, it carries the record (the follower fetches every
            // partition it follows there).
            "replica-records"
                if Some(from) == self.leader && (info.lane == tp.partition as u32 || info.lane == MANY_PARTITIONS) =>
            {
                let appended = self.offsets.last().is_some_and(|o| o.1 <= e.at);
                if appended && !self.replicated.contains(&to) {
                    self.replicated.push(to);
                    self.fetch_request(to, from, MANY_PARTITIONS, e.at, t("Fetch (replica)"));
                    let label = tf("Fetch response with offset {0}", &[&self.offset().unwrap_or(0)]);
                    self.rec.fly(from, to, e.at, deliver_at, msg.0, label, Tone::Ok);
                }
            }
            "offset-commit" if self.readers.contains(&from) => {
                self.commits.retain(|c| c.0 != from);
                self.commits.push((from, e.at, deliver_at, to));
            }
            _ => {}
        }
    }
}

impl Tracer for KafkaTrace {
    fn observe(&mut self, e: &Event, world: &World) {
        self.before_network(e);
        self.rec.network(e);
        self.rec.node_events(e);
        if let EventKind::Delivered { from, to, msg, info, sent_at } = e.kind {
            if let Some(i) = self.requests.iter().position(|r| r.0 == msg.0) {
                let (_, place) = self.requests.swap_remove(i);
                self.appending = Some((e.at, to, place, 0));
            } else {
                self.appending = None;
            }
            if matches!(info.kind, "fetch" | "replica-fetch") {
                // A follower's fetch covers every partition it follows at that leader, a
                // consumer's every partition it reads there.
                let key = (from, to, MANY_PARTITIONS);
                self.fetches.retain(|f| f.0 != key);
                self.fetches.push((key, (sent_at, e.at)));
            }
        }
        if let EventKind::Dropped { msg, .. } = e.kind {
            self.requests.retain(|r| r.0 != msg.0);
        }
        let Some(k) = kafka(e) else { return };
        let started = self.tp.is_some();
        match k {
            KafkaEvent::Produced { producer, seq, tp, retry } => {
                if self.batch.first().is_some_and(|b| b.0 != e.at) {
                    self.batch.clear();
                }
                self.batch.push((e.at, producer, tp, seq));
                if self.who.is(producer, seq) && self.tp.is_none_or(|t| t == tp) {
                    self.who.sender = Some(producer);
                    self.tp = Some(tp);
                    if self.title.is_empty() {
                        self.title =
                            tf("{0}'s record {1} to {2}", &[&world.node_name(producer), &seq, &(tp_name(world, tp))]);
                    }
                    let label = tf("Produce record {0}{1}", &[&seq, &if retry { t(" (retry)") } else { "" }]);
                    let lane = Some(tp.partition as u32);
                    let x = Expect {
                        at: e.at,
                        from: producer,
                        kind: "produce",
                        lane,
                        to: None,
                        skip: 0,
                        label,
                        tone: Tone::Ok,
                    };
                    self.rec.expect(x);
                }
            }
            KafkaEvent::Appended { tp, broker, offset, epoch } if self.ours_tp(tp) => {
                let Some((at, node, place, seen)) = self.appending else { return };
                if at != e.at || broker_node(world, broker) != Some(node) {
                    return;
                }
                self.appending = Some((at, node, place, seen + 1));
                if seen == place {
                    self.leader = Some(node);
                    self.offsets.push((offset, e.at));
                    self.replicated.clear();
                    self.hw_passed = false;
                    let label = tf("appends it at offset {0} (leader epoch {1})", &[&offset, &epoch]);
                    self.rec.note(node, e.at, label, Tone::Note);
                }
            }
            KafkaEvent::HighWatermark { tp, broker, hw } if self.ours_tp(tp) => {
                let Some(o) = self.offset() else { return };
                let node = broker_node(world, broker);
                if self.hw_passed || node != self.leader || hw <= o {
                    return;
                }
                let Some(leader) = node else { return };
                self.hw_passed = true;
                if let Some((f, sent)) = self.rec.reply(e.at, leader, &["replica-fetch"]) {
                    self.rec.arrow(
                        f,
                        leader,
                        sent,
                        e.at,
                        tf("Fetch (replica) from offset {0} or more", &[&hw]),
                        Tone::Ok,
                    );
                }
                self.rec.note(leader, e.at, tf("HW → {0}: offset {1} is committed", &[&hw, &o]), Tone::Note);
            }
            KafkaEvent::ProduceAcked { producer, seq, offset, latency, .. } if self.who.is(producer, seq) => {
                self.acked.get_or_insert(e.at);
                let label = tf("ack: offset {0}, {1} after the send", &[&offset, &latency]);
                match self.rec.reply(e.at, producer, &["produce-ack"]) {
                    Some((b, sent)) => self.rec.arrow(b, producer, sent, e.at, label, Tone::Ok),
                    None => self.rec.note(producer, e.at, label, Tone::Ok),
                }
            }
            KafkaEvent::ProduceFailed { producer, seq, error, .. } if self.who.is(producer, seq) => {
                let label = tf("error {0}", &[&err_name(error)]);
                match self.rec.reply(e.at, producer, &["produce-ack"]) {
                    Some((b, sent)) => self.rec.arrow(b, producer, sent, e.at, label, Tone::Fail),
                    None => self.rec.note(producer, e.at, label, Tone::Fail),
                }
            }
            KafkaEvent::ProduceExpired { producer, seq, .. } if self.who.is(producer, seq) => {
                self.given_up.get_or_insert(e.at);
                let label = t("gives up: delivery.timeout.ms passed").to_string();
                self.rec.note(producer, e.at, label, Tone::Fail);
            }
            KafkaEvent::Consumed { consumer, tp, offset, latency, .. }
                if self.ours_tp(tp) && self.offsets.iter().any(|o| o.0 == offset) =>
            {
                if let Some((b, sent)) = self.rec.reply(e.at, consumer, &["fetch-records"]) {
                    self.fetch_request(consumer, b, MANY_PARTITIONS, sent, t("Fetch"));
                    let label = tf("Fetch response: offset {0}, {1} after it was produced", &[&offset, &latency]);
                    self.rec.arrow(b, consumer, sent, e.at, label, Tone::Ok);
                } else {
                    self.rec.note(consumer, e.at, tf("reads offset {0}", &[&offset]), Tone::Ok);
                }
                if !self.readers.contains(&consumer) {
                    self.readers.push(consumer);
                }
            }
            KafkaEvent::Committed { consumer, tp, offset, .. }
                if self.ours_tp(tp)
                    && self.readers.contains(&consumer)
                    && self.offset().is_some_and(|o| offset > o) =>
            {
                self.readers.retain(|&r| r != consumer);
                self.committed.get_or_insert(e.at);
                if let Some(&(_, sent, arrives, coordinator)) = self.commits.iter().find(|c| c.0 == consumer) {
                    self.rec.arrow(consumer, coordinator, sent, arrives, tf("OffsetCommit {0}", &[&offset]), Tone::Ok);
                }
                match self.rec.reply(e.at, consumer, &["commit-reply"]) {
                    Some((b, sent)) => self.rec.arrow(b, consumer, sent, e.at, t("commit written").into(), Tone::Ok),
                    None => self.rec.note(consumer, e.at, tf("committed {0}", &[&offset]), Tone::Ok),
                }
            }
            // While it is in the air: what happens to its partition.
            KafkaEvent::LeaderElected { tp, leader, .. } if started && self.ours_tp(tp) && self.open() => {
                if let Some(node) = broker_node(world, leader) {
                    self.rec.note(node, e.at, detail(e, world), Tone::Fail);
                }
            }
            KafkaEvent::IsrChanged { tp, leader, .. } if started && self.ours_tp(tp) && self.open() => {
                if let Some(node) = broker_node(world, leader) {
                    self.rec.note(node, e.at, detail(e, world), Tone::Note);
                }
            }
            KafkaEvent::Truncated { tp, broker, to } if self.ours_tp(tp) && self.offset().is_some_and(|o| to <= o) => {
                if let Some(node) = broker_node(world, broker) {
                    self.rec.note(node, e.at, detail(e, world), Tone::Fail);
                }
            }
            KafkaEvent::ZnodeChanged { server, path: ZnodePath::PartitionState(tp), .. }
                if started && self.ours_tp(tp) && self.open() =>
            {
                self.rec.note(server, e.at, detail(e, world), Tone::Note);
            }
            KafkaEvent::SessionExpired { broker } if started && self.open() => {
                if let Some(node) = broker_node(world, broker).filter(|n| Some(*n) == self.leader) {
                    self.rec.note(node, e.at, detail(e, world), Tone::Fail);
                }
            }
            _ => {}
        }
    }

    fn started(&self) -> bool {
        self.tp.is_some()
    }

    fn settled(&self) -> Option<Time> {
        if let Some(t) = self.given_up {
            return Some(t);
        }
        Some(self.acked?.max(self.committed?))
    }

    fn finish(self: Box<Self>, world: &World, remarks: Vec<String>) -> super::Diagram {
        let title = if self.title.is_empty() { tf("Record {0}", &[&self.who.seq]) } else { self.title.clone() };
        self.rec.finish(world, title, remarks)
    }
}

impl KafkaTrace {
    /// The fetch request `client` had sent `broker` (`lane`: `MANY_PARTITIONS`, one fetch covers
    /// them all), answered at `answered`: how long it waited there for records.
    fn fetch_request(&mut self, client: NodeId, broker: NodeId, lane: u32, answered: Time, label: &str) {
        let Some(&(_, (sent, at))) = self.fetches.iter().find(|f| f.0 == (client, broker, lane)) else { return };
        let label = if answered > at {
            tf("{0}: waits {1} there for records", &[&label, &(answered - at)])
        } else {
            label.to_string()
        };
        self.rec.arrow(client, broker, sent, at, label, Tone::Ok);
    }

    /// Not yet acknowledged nor given up: a failover now is part of its story.
    fn open(&self) -> bool {
        self.acked.is_none() && self.given_up.is_none()
    }
}
