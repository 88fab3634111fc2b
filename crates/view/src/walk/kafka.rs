//! The Kafka walkthrough's script: which event is which step of a record's journey, and what
//! to say about it.

use super::*;
use crate::i18n::{t, tf};
use brokerlab_engine::kafka::msg::{KafkaEvent, Tp};
use brokerlab_engine::kafka::node::KafkaNode;
use brokerlab_engine::kafka::partition::{Acks, BrokerId};
use brokerlab_engine::models::Node;
use brokerlab_engine::{Event, EventKind, ModelEvents};
use brokerlab_engine::{NodeId, World};

fn broker_node(world: &World, b: BrokerId) -> Option<NodeId> {
    world.shared.kafka.as_ref().and_then(|c| c.broker_node(b))
}

/// A client and the partition leader it talks to, for highlighting.
fn with_leader(world: &World, client: NodeId, leader: Option<BrokerId>) -> Vec<NodeId> {
    std::iter::once(client).chain(leader.and_then(|b| broker_node(world, b))).collect()
}

impl Walk {
    /// What became of the retries that failed before the acknowledgement, if any did.
    fn retry_failures_text(&self) -> String {
        match self.retry_failures.as_slice() {
            [] => String::new(),
            [one] => tf(" Its first retry failed ({0}); the producer backed off and sent it once more.", &[one]),
            many => tf(
                " {0} of its retries failed ({1}); the producer backed off and sent it again each time.",
                &[&many.len(), &many.join(", ")],
            ),
        }
    }
}

fn producer_acks(world: &World, node: NodeId) -> Option<Acks> {
    match &world.nodes.get(node.index())?.node {
        Node::Kafka(KafkaNode::Producer(p)) => Some(p.settings.acks),
        _ => None,
    }
}

impl Walk {
    pub(super) fn pace_kafka(&self) -> Pace {
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

    /// Moving on past the append in `KillLeader` kills the partition's leader.
    pub(super) fn advance_kafka(&mut self, world: &World) -> Option<Command> {
        if self.seen == self.steps.len() && self.expecting() == Some(Kind::LeaderKilled) {
            let leader = self.record.and_then(|r| r.leader)?;
            return broker_node(world, leader).map(|node| Command::Stop { node });
        }
        None
    }

    pub(super) fn observe_kafka(&mut self, e: &Event, world: &World) {
        // A retry of the followed record that fails (the new leader not ready yet, a request
        // timed out) is told at the acknowledgement, with its error.
        if let (EventKind::Model(ModelEvents::Kafka(KafkaEvent::ProduceFailed { producer, seq, error, .. })), Some(r)) =
            (e.kind, self.record)
        {
            let retrying = self.steps.iter().any(|s| s.kind == Kind::Retried);
            let acked = self.steps.iter().any(|s| s.kind == Kind::Acked);
            if producer == r.producer && seq == r.seq && retrying && !acked {
                self.retry_failures.push(brokerlab_engine::kafka::event::err_name(error));
            }
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
            EventKind::Model(ModelEvents::Kafka(k)) => Some(k),
            _ => None,
        };
        match (kind, k, self.record) {
            (Kind::Ready, Some(KafkaEvent::Consumed { .. }), _) => self.push(
                Kind::Ready,
                e.at,
                t("The cluster is ready").into(),
                if crate::kraft::is_kraft(world) {
                    tf("Brokers registered with the active controller, which created the topic and elected a leader per partition in the metadata log the brokers replay, and the consumers found their partitions and read. Next: follow one record.{0}", &[&self.held_faults_text()])
                } else {
                    tf("Brokers registered with ZooKeeper, the controller created the topic and elected a leader per partition, and the consumers found their partitions and read. Next: follow one record.{0}", &[&self.held_faults_text()])
                },
                vec![],
            ),
            (Kind::Produced, Some(KafkaEvent::Produced { producer, seq, tp, retry: false }), _) => {
                let c = world.shared.kafka.as_ref();
                let partitions = c.and_then(|c| c.topics.get(tp.topic as usize)).map_or(0, |t| t.partitions);
                let keys = match &world.nodes[producer.index()].node {
                    Node::Kafka(KafkaNode::Producer(p)) => p.settings.keys as u64,
                    _ => 0,
                };
                let leader = crate::kafka::leader(world, tp).map(|(b, _)| b);
                self.record = Some(Record { producer, seq, tp, leader, offset: None });
                let acks = producer_acks(world, producer).unwrap_or(Acks::All);
                let rest = self.plan_for(acks);
                self.plan.truncate(self.next + 1);
                self.plan.extend(rest);
                let nodes = with_leader(world, producer, leader);
                self.push(
                    Kind::Produced,
                    e.at,
                    tf("{0} picks partition {1} from the key", &[&name(producer), &tp.partition]),
                    tf("Record {0} {1} so it goes to {2}, whose leader is {3}. The producer sends it there with acks={4}.", &[&seq, &if keys == 0 {
                            t("has no key: the sticky partitioner keeps filling one partition's batch,").to_string()
                        } else {
                            let key = format!("key-{}", seq % keys);
                            tf("has key \"{0}\": toPositive(murmur2(\"{0}\")) % {1} = {2},", &[&key, &partitions, &tp.partition])
                        }, &tp_name(tp), &(leader.map_or(t("not known yet").to_string(), |b| format!("b{b}"))), &acks_text(acks)]),
                    nodes,
                );
            }
            (Kind::Appended, Some(KafkaEvent::Appended { tp, broker, offset, epoch }), Some(r)) if tp == r.tp => {
                self.record = Some(Record { leader: Some(broker), offset: Some(offset), ..r });
                let kill = if self.variant == Variant::KillLeader {
                    tf(" Now b{0} will be killed before the record is acknowledged.", &[&broker])
                } else {
                    String::new()
                };
                self.push(
                    Kind::Appended,
                    e.at,
                    tf("Leader b{0} appends it at offset {1}", &[&broker, &offset]),
                    tf("b{0} writes the record to its log of {1} at offset {2} in leader epoch {3}; its log end offset (LEO) is now {4}. Followers have not got it yet, so the high watermark (HW) has not moved.{5}", &[&broker, &tp_name(tp), &offset, &epoch, &(offset + 1), &kill]),
                    broker_node(world, broker).into_iter().collect(),
                );
            }
            (Kind::Replicated, Some(KafkaEvent::HighWatermark { tp, broker, hw }), Some(r))
                if tp == r.tp && Some(broker) == r.leader && r.offset.is_some_and(|o| hw > o) =>
            {
                let isr = crate::kafka::leader(world, tp).and_then(|(_, rep)| rep.isr().map(|i| i.to_vec())).unwrap_or_default();
                let mut nodes: Vec<NodeId> = isr.iter().filter_map(|&b| broker_node(world, b)).collect();
                brokerlab_engine::sort::sort(&mut nodes);
                self.push(
                    Kind::Replicated,
                    e.at,
                    tf("Followers fetched it: the HW passes offset {0}", &[&r.offset.unwrap_or(0)]),
                    tf("The in-sync replicas {0} fetched the record; the leader's high watermark moves to {1}. The record is committed: every in-sync replica has it, so it survives as long as one of them does (a new leader is elected from the ISR), and consumers may now read it.", &[&(isr.iter().map(|b| format!("b{b}")).collect::<Vec<_>>().join(", ")), &hw]),
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
                    tf("{0} is acknowledged", &[&name(producer)]),
                    tf("The leader answers: record {0} is at offset {1}, {2} after it was first sent. With acks={3} the leader answers {4}.{5}{6}", &[&seq, &offset, &latency, &acks_text(acks), &match acks {
                            Acks::All => t("only once the HW passes the record (every in-sync replica has it)"),
                            Acks::Leader => t("as soon as it has appended, before followers have it: losing the leader now could lose the record"),
                            Acks::None => t("never: the producer does not wait"),
                        }, &(if retried { copies_text(world, r.tp, producer, seq, offset) } else { String::new() } + &self.retry_failures_text()), &match (read_at, self.variant) {
                            (Some(_), Variant::Normal) => t(" The consumer read it first: both this answer and the consumer's fetch wait for the HW to pass the record; once it has, which reaches its client first is down to the network.").to_string(),
                            (Some(t), _) => tf(" The consumer had already read it, at {0}, before this answer arrived.", &[&t]),
                            (None, _) => String::new(),
                        }]),
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
                    tf("b{0}, the leader, crashes", &[&b]),
                    tf("The record is in b{0}'s log at offset {1} but the producer has no acknowledgement. The producer's connection is reset and it will retry. The cluster notices only when b{0}'s ZooKeeper session expires.", &[&b, &r.offset.unwrap_or(0)]),
                    broker_node(world, b).into_iter().collect(),
                );
            }
            (Kind::NewLeader, Some(KafkaEvent::LeaderElected { tp, leader, epoch, isr, unclean }), Some(r)) if tp == r.tp => {
                self.record = Some(Record { leader: Some(leader), ..r });
                self.push(
                    Kind::NewLeader,
                    e.at,
                    tf("The controller elects b{0} for {1}", &[&leader, &tp_name(tp)]),
                    tf("b{0}'s session expired, its /brokers/ids znode vanished and the controller chose b{1}: {2}. Leader epoch {3}, ISR {4}.", &[&r.leader.unwrap_or(0), &leader, &if unclean { t("an out-of-sync replica (unclean election: records may be lost)") } else { t("the first live replica of the ISR in assignment order") }, &epoch, &isr]),
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
                    tf("{0} retries record {1}", &[&name(producer), &seq]),
                    tf("The producer learned the new leader from metadata and sends record {0} again to {1}. {2}", &[&seq, &tp_name(tp), &if producer_idempotent(world, producer) {
                            t("It is idempotent: if the new leader already has a copy (replicated before the crash), it recognises the producer id and sequence number and does not store it again.")
                        } else {
                            t("Without idempotence, a copy the old leader had already replicated stays in the log: the record may be stored twice.")
                        }]),
                    nodes,
                );
            }
            (Kind::Consumed, Some(KafkaEvent::Consumed { consumer, tp, offset, latency, .. }), Some(r))
                if tp == r.tp && Some(offset) == r.offset && is_ours(world, r, offset) =>
            {
                let member = crate::kafka::consumer(world, consumer).and_then(|c| c.member.as_ref()).map(|m| m.group);
                if member.is_none() {
                    self.plan.retain(|k| *k != Kind::Committed);
                }
                let nodes = with_leader(world, consumer, r.leader);
                self.push(
                    Kind::Consumed,
                    e.at,
                    tf("{0} reads it", &[&name(consumer)]),
                    tf("{0} {1} fetched {2}@{3} from the leader and processed it, {4} after it was produced (end-to-end latency).{5}", &[&name(consumer), &match member {
                            Some(g) => tf("owns {0} in group {1}; it", &[&tp_name(tp), &world.group_name(g)]),
                            None => t("reads every partition itself (no group); it").to_string(),
                        }, &tp_name(tp), &offset, &latency, &if member.is_some() { t(" Next it commits its position.") } else { "" }]) + match (self.variant, self.steps.iter().any(|s| s.kind == Kind::Acked)) {
                        (Variant::Normal, false) if producer_acks(world, r.producer) == Some(Acks::All) => {
                            t(" It read the record before the producer heard back: with acks=all both the producer's answer and the consumer's fetch wait for the HW to pass the record; once it has, which reaches its client first is down to the network.")
                        }
                        (Variant::KillLeader, false) => {
                            t(" The producer has not been acknowledged yet: the new leader serves the copy a follower fetched before the crash, while the producer still waits to retry.")
                        }
                        _ => "",
                    },
                    nodes,
                );
            }
            (Kind::Committed, Some(KafkaEvent::Committed { group, consumer, tp, offset }), Some(r))
                if tp == r.tp && r.offset.is_some_and(|o| offset > o) =>
            {
                let coordinator = crate::kafka::coordinator(world, group);
                let mut nodes = vec![consumer];
                nodes.extend(coordinator.map(|(_, n)| n));
                self.push(
                    Kind::Committed,
                    e.at,
                    tf("{0} commits offset {1}", &[&name(consumer), &offset]),
                    tf("{0} commits {1} for {2} to the group coordinator{3}, which writes it to __consumer_offsets. A committed offset is the next one to read: everything before it, offset {4} included, is done. {5} After a crash or a rebalance, group {6} resumes from there: the record is not read again.", &[&name(consumer), &offset, &tp_name(tp), &(coordinator.map_or(String::new(), |(b, _)| format!(" b{b}"))), &r.offset.unwrap_or(0), &match world.shared.kafka.as_ref().and_then(|c| c.groups.get(group as usize)).and_then(|g| g.auto_commit) {
                            Some(every) => tf("It auto-commits inside poll(): at its first poll once auto.commit.interval.ms ({0}) has passed, it commits the position after every record its earlier polls returned, all processed by then; not once per record.", &[&every]),
                            None => t("It commits what it has processed.").to_string(),
                        }, &world.group_name(group)]),
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

/// Whether a log record is `producer`'s record number `seq`. (A record's value is its producer's
/// record number; an idempotent producer's records also carry its producer id — node index + 1,
/// or one a broker gave a restarted instance — where others carry 0.)
fn is_record_of(world: &World, rec: &brokerlab_engine::kafka::log::Record, producer: NodeId, seq: u64) -> bool {
    let wrote = |id| match &world.nodes.get(producer.index()).map(|s| &s.node) {
        Some(Node::Kafka(KafkaNode::Producer(p))) => p.had_producer_id(producer, id),
        _ => id == producer.0 + 1,
    };
    rec.value == seq && (rec.producer == 0 || wrote(rec.producer))
}

/// Whether the leader's record at `offset` is the followed one (not another record that took its
/// offset after a failover).
fn is_ours(world: &World, r: Record, offset: u64) -> bool {
    crate::kafka::leader(world, r.tp)
        .and_then(|(_, replica)| replica.log.get(offset).copied())
        .is_none_or(|rec| is_record_of(world, &rec, r.producer, r.seq))
}

/// After a retry: what the leader's log shows of the record `seq` (by its value) — the copy the old
/// leader had replicated, kept once; a new copy appended by the retry; or, without idempotence, two.
fn copies_text(world: &World, tp: Tp, producer: NodeId, seq: u64, acked: u64) -> String {
    let Some((b, replica)) = crate::kafka::leader(world, tp) else { return String::new() };
    let copies: Vec<_> = replica.log.records().filter(|rec| is_record_of(world, rec, producer, seq)).collect();
    match copies.as_slice() {
        [one] if one.offset == acked && one.epoch < replica.epoch => tf(" A follower's fetch had carried the first copy off the old leader before it crashed: b{0} already had it at offset {1} (leader epoch {2}), so the retry was recognised and not stored again.", &[&b, &acked, &one.epoch]),
        [one] if one.offset == acked => tf(" The first copy never reached a follower before the crash, so b{0} did not have it: the retry is appended now, at offset {1} in leader epoch {2}, once.", &[&b, &acked, &one.epoch]),
        [_, _, ..] => tf(" b{0}'s log now holds it {1} times (offsets {2}): the retry was stored again.", &[&b, &copies.len(), &(copies.iter().map(|c| c.offset.to_string()).collect::<Vec<_>>().join(", "))]),
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
