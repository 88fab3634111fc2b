//! Kafka's producer: it partitions keyed records with Kafka's default partitioner and retries what
//! fails. (The consumer is in `consumer`; both share the metadata lookup here.)
//!
//! Simplifications, also in the docs: one record per produce request (`linger.ms=0`, no batching);
//! no idempotence (`enable.idempotence=false` behaviour: a retry after a lost answer can duplicate,
//! and retries can reorder); no limit on requests in flight.

use super::cluster::{Cluster, DELIVERY_TIMEOUT, REQUEST_TIMEOUT, RETRY_BACKOFF};
use super::msg::{KafkaEvent, KafkaMsg, PartitionView, Tp};
use super::partition::{Acks, BrokerId, Error};
use super::partitioner::partition_for_key;
use crate::engine::event::EventKind;
use crate::engine::node::{Ctx, Message};
use crate::engine::time::Time;
use crate::engine::vecmap::VecMap;
use crate::engine::NodeId;
use std::rc::Rc;

pub(super) const T_SEND: u64 = 1 << 56;
pub(super) const T_TIMEOUT: u64 = 2 << 56;
pub(super) const T_RETRY: u64 = 3 << 56;
pub(super) const T_METADATA: u64 = 4 << 56;
pub(super) const T_FETCH: u64 = 5 << 56;
pub(super) const KIND: u64 = 0xff << 56;

pub(super) fn send(ctx: &mut Ctx, to: NodeId, m: KafkaMsg) {
    ctx.send(to, Message::Kafka(m));
}

/// A client's view of metadata requests: which broker it asked, if it is waiting for one.
#[derive(Clone, Debug, Default)]
pub(super) struct MetadataAsk {
    pub(super) next: usize,
    waiting_on: Option<NodeId>,
    /// Brokers whose connection was reset, and until when to leave them alone
    /// (`reconnect.backoff.max.ms`, 1 s).
    avoid: VecMap<NodeId, Time>,
    /// Generation of the one live metadata timer; firings of older ones are ignored, so re-arming
    /// never multiplies timers.
    timer_gen: u64,
}

impl MetadataAsk {
    /// A fresh lookup that starts with the `next`-th broker (clients start at a random one).
    pub(super) fn starting_at(next: usize) -> MetadataAsk {
        MetadataAsk { next, ..MetadataAsk::default() }
    }

    /// Asks a broker (round-robin over all, as a client with every broker in `bootstrap.servers`)
    /// for metadata, unless a request is already out; if no answer comes, the timer asks the next.
    pub(super) fn ask(&mut self, ctx: &mut Ctx, cluster: &Cluster) {
        if self.waiting_on.is_some() {
            return;
        }
        let n = cluster.brokers.len();
        let pick = (0..n)
            .map(|i| cluster.brokers[(self.next + i) % n])
            .find(|b| self.avoid.get(b).is_none_or(|&t| t <= ctx.now));
        let node = pick.unwrap_or(cluster.brokers[self.next % n]);
        self.next = cluster.brokers.iter().position(|&b| b == node).unwrap_or(0) + 1;
        self.waiting_on = Some(node);
        send(ctx, node, KafkaMsg::Metadata);
        self.arm(ctx, Time::secs(1));
    }

    /// (Re)arms the metadata timer: the previous one, if any, no longer counts.
    pub(super) fn arm(&mut self, ctx: &mut Ctx, after: Time) {
        self.timer_gen += 1;
        ctx.set_timer(after, T_METADATA | (self.timer_gen & 0xff_ffff_ffff));
    }

    /// Whether a metadata timer firing is the live one.
    pub(super) fn is_live(&self, timer: u64) -> bool {
        timer & !KIND == self.timer_gen & 0xff_ffff_ffff
    }

    /// Whether a connection to `node` may be tried now (not within the reconnect backoff).
    pub(super) fn usable(&self, node: NodeId, now: Time) -> bool {
        self.avoid.get(&node).is_none_or(|&t| t <= now)
    }

    /// An answer came, or the broker asked is gone, or the wait is over.
    pub(super) fn done(&mut self) {
        self.waiting_on = None;
    }

    pub(super) fn lost(&mut self, peer: NodeId, now: Time) -> bool {
        self.avoid.insert(peer, now + Time::secs(1));
        if self.waiting_on == Some(peer) {
            self.waiting_on = None;
            return true;
        }
        false
    }
}

#[derive(Clone, Debug)]
struct InFlight {
    seq: u64,
    tp: Tp,
    key: u32,
    first_sent: Time,
    /// The broker the current attempt went to (0: not sent yet).
    to: BrokerId,
    attempts: u32,
}

#[derive(Clone, Debug)]
pub struct Producer {
    pub cluster: Rc<Cluster>,
    pub topic: u16,
    pub interval: Time,
    pub acks: Acks,
    pub keys: u32,
    pub count: Option<u64>,
    pub next_seq: u64,
    leaders: VecMap<u16, BrokerId>,
    inflight: VecMap<u64, InFlight>,
    waiting: Vec<InFlight>,
    next_req: u64,
    metadata: MetadataAsk,
}

impl Producer {
    pub fn new(
        cluster: Rc<Cluster>,
        topic: u16,
        interval: Time,
        acks: Acks,
        keys: u32,
        count: Option<u64>,
    ) -> Producer {
        Producer {
            cluster,
            topic,
            interval,
            acks,
            keys,
            count,
            next_seq: 0,
            leaders: VecMap::new(),
            inflight: VecMap::new(),
            waiting: vec![],
            next_req: 0,
            metadata: MetadataAsk::default(),
        }
    }

    pub fn key_name(key: u32) -> String {
        format!("key-{key}")
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        let next = ctx.rng.below(self.cluster.brokers.len() as u64) as usize;
        self.metadata = MetadataAsk::starting_at(next);
        self.metadata.ask(ctx, &self.cluster);
        ctx.set_timer(self.interval, T_SEND);
    }

    /// A crashed producer loses what it had not sent or had not had acknowledged.
    pub fn on_crash(&mut self) {
        self.leaders.clear();
        self.inflight.clear();
        self.waiting.clear();
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: u64) {
        match timer & KIND {
            T_SEND => {
                if self.count.is_some_and(|c| self.next_seq >= c) {
                    return;
                }
                let seq = self.next_seq;
                self.next_seq += 1;
                let key = (seq % self.keys as u64) as u32;
                let partitions = self.cluster.topics[self.topic as usize].partitions as u32;
                let p = partition_for_key(Self::key_name(key).as_bytes(), partitions).unwrap_or(0);
                let tp = Tp { topic: self.topic, partition: p as u16 };
                self.send_record(ctx, InFlight { seq, tp, key, first_sent: ctx.now, to: 0, attempts: 0 });
                ctx.set_timer(self.interval, T_SEND);
            }
            T_TIMEOUT => {
                let req = timer & !KIND;
                if let Some(f) = self.inflight.remove(&req) {
                    self.failed(ctx, f, Error::RequestTimedOut);
                }
            }
            T_RETRY => {
                let req = timer & !KIND;
                if let Some(f) = self.inflight.remove(&req) {
                    self.send_record(ctx, f);
                }
            }
            T_METADATA if self.metadata.is_live(timer) => {
                self.metadata.done();
                if !self.waiting.is_empty() || self.leaders.is_empty() {
                    self.metadata.ask(ctx, &self.cluster);
                }
            }
            _ => {}
        }
    }

    /// The connection to a broker was reset: every request in flight to it failed.
    pub fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        if self.metadata.lost(peer, ctx.now) {
            self.metadata.ask(ctx, &self.cluster);
        }
        let Some(broker) = self.cluster.broker_of(peer) else { return };
        let lost: Vec<u64> = self.inflight.iter().filter(|(_, f)| f.to == broker).map(|(&id, _)| id).collect();
        for id in lost {
            if let Some(f) = self.inflight.remove(&id) {
                self.failed(ctx, f, Error::NetworkException);
            }
        }
    }

    fn send_record(&mut self, ctx: &mut Ctx, mut f: InFlight) {
        let Some(&leader) = self.leaders.get(&f.tp.partition) else {
            // Leader unknown: hold the record until metadata arrives.
            if self.waiting.is_empty() {
                self.metadata.ask(ctx, &self.cluster);
            }
            self.waiting.push(f);
            return;
        };
        let Some(node) = self.cluster.broker_node(leader) else { return };
        if !self.metadata.usable(node, ctx.now) {
            // Its connection was just reset: retry after the backoff (with fresher metadata).
            let id = self.next_req;
            self.next_req += 1;
            self.inflight.insert(id, InFlight { to: 0, ..f });
            ctx.set_timer(RETRY_BACKOFF, T_RETRY | id);
            return;
        }
        let id = self.next_req;
        self.next_req += 1;
        let retry = f.attempts > 0;
        f.attempts += 1;
        f.to = leader;
        ctx.emit(EventKind::Kafka(KafkaEvent::Produced { producer: ctx.me, seq: f.seq, tp: f.tp, retry }));
        send(ctx, node, KafkaMsg::Produce { id, tp: f.tp, acks: self.acks, key: f.key, value: f.seq });
        if self.acks != Acks::None {
            ctx.set_timer(REQUEST_TIMEOUT, T_TIMEOUT | id);
            self.inflight.insert(id, f);
        }
    }

    fn failed(&mut self, ctx: &mut Ctx, f: InFlight, error: Error) {
        ctx.emit(EventKind::Kafka(KafkaEvent::ProduceFailed { producer: ctx.me, seq: f.seq, tp: f.tp, error }));
        if ctx.now - f.first_sent >= DELIVERY_TIMEOUT {
            return; // delivery.timeout.ms passed: the record is given up
        }
        if matches!(error, Error::NotLeaderOrFollower | Error::RequestTimedOut | Error::NetworkException) {
            self.leaders.remove(&f.tp.partition);
            self.metadata.ask(ctx, &self.cluster);
        }
        let id = self.next_req;
        self.next_req += 1;
        // Waiting for the retry, not in flight to any broker.
        self.inflight.insert(id, InFlight { to: 0, ..f });
        ctx.set_timer(RETRY_BACKOFF, T_RETRY | id);
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: KafkaMsg) {
        match msg {
            KafkaMsg::MetadataResponse { states } => {
                self.metadata.done();
                update_leaders(&mut self.leaders, self.topic, &states);
                if !self.waiting.iter().all(|f| self.leaders.contains_key(&f.tp.partition)) {
                    self.metadata.arm(ctx, RETRY_BACKOFF);
                }
                for f in std::mem::take(&mut self.waiting) {
                    self.send_record(ctx, f);
                }
            }
            KafkaMsg::ProduceResponse { id, result, .. } => {
                let Some(f) = self.inflight.remove(&id) else { return };
                match result {
                    Ok(offset) => ctx.emit(EventKind::Kafka(KafkaEvent::ProduceAcked {
                        producer: ctx.me,
                        seq: f.seq,
                        tp: f.tp,
                        offset,
                        latency: ctx.now - f.first_sent,
                    })),
                    Err(e) => self.failed(ctx, f, e),
                }
            }
            _ => {}
        }
    }
}

pub(super) fn update_leaders(leaders: &mut VecMap<u16, BrokerId>, topic: u16, states: &[PartitionView]) {
    for s in states.iter().filter(|s| s.tp.topic == topic) {
        match s.leader {
            Some(l) => leaders.insert(s.tp.partition, l),
            None => leaders.remove(&s.tp.partition),
        };
    }
}
