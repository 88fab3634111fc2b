//! Kafka's producer (`KafkaProducer` with its `RecordAccumulator` and `Sender`), record by record:
//! - keyed records go to `toPositive(murmur2(key)) % partitions`; records without a key use the
//!   uniform sticky partitioner (KIP-794): one partition, chosen at random, until `batch.size` bytes
//!   have gone to it, then another;
//! - records collect in batches per partition (`RecordAccumulator`): a record joins the partition's
//!   last unsent batch while it has room (`batch.size`), so batches grow while sending is held up;
//!   a batch may be sent once full, once `linger.ms` has passed since its first record, or when
//!   another batch is queued behind it;
//! - at most `max.in.flight.requests.per.connection` produce requests per broker at a time;
//! - a failed batch is retried, backing off exponentially from `retry.backoff.ms` to
//!   `retry.backoff.max.ms` with ±20 % jitter (KIP-580), at the front of its partition's queue; NOT_LEADER_OR_FOLLOWER, a timeout or a reset
//!   connection also refresh the metadata;
//! - a batch waiting, backing off or in flight `delivery.timeout.ms` after it was created expires
//!   (`RecordAccumulator.expiredBatches`, `Sender.getExpiredInflightBatches`): its records fail
//!   to the application with a TimeoutException (an `expired` event each);
//! - KIP-360 (Kafka 2.5+): when a batch that was sent with a sequence expires, the idempotent
//!   producer cannot know whether the leader wrote it; once nothing is in flight it bumps its
//!   producer epoch (`bumpIdempotentProducerEpoch`) and numbers its sequences from 0 again — the
//!   batches still to be retried first, in their order — instead of waiting for ever for an answer
//!   to a sequence no one will send;
//! - idempotence (`enable.idempotence`, default true with acks=all and ≤ 5 in flight): each batch
//!   carries the producer id and the sequence of its first record per partition, so the leader
//!   drops a retried batch it already has and refuses one that skips ahead; without it, a retry
//!   after a lost answer writes the batch twice, and a retried batch can land after a later one.
//!
//! Simplified (said in the docs): a first instance's producer id is its node number + 1 (a
//! restarted one asks InitProducerId: `producer/idempotent.rs`); one request carries one batch
//! (Kafka packs a broker's batches into one request); record size is a fixed setting.

use super::clients::{send, update_leaders, MetadataAsk};
use super::cluster::Cluster;
use super::msg::{KafkaEvent, KafkaMsg, Tp};
use super::partition::{Acks, BrokerId, Error};
use super::partitioner::partition_for_key;
use super::txn::event::AbortableCause;
use super::{Ctx, KafkaTimer};
use crate::deadlines::Deadlines;
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;
use std::collections::VecDeque;
use std::rc::Rc;

mod app;
mod idempotent;
mod transactional;
mod txn_offsets;
pub use transactional::{TxnClient, TxnPhase};
pub use txn_offsets::{GroupMeta, OffsetsStage, TxnOffsets};

/// The producer's settings, with Kafka's names and (in `config`) its defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// One record every `interval`.
    pub interval: Time,
    pub acks: Acks,
    /// Keys `key-0`…`key-(keys-1)` in turn; 0: records without a key.
    pub keys: u32,
    pub count: Option<u64>,
    pub linger: Time,
    /// `batch.size / record size`: records a batch holds.
    pub batch_records: u32,
    pub record_size: u32,
    pub max_in_flight: u32,
    pub idempotent: bool,
    pub request_timeout: Time,
    pub delivery_timeout: Time,
    pub retry_backoff: Time,
    pub retry_backoff_max: Time,
}

/// `ExponentialBackoff(retry.backoff.ms, 2, retry.backoff.max.ms, 0.2).backoff(attempts)` (KIP-580):
/// `initial × 2^attempts`, capped at `max`, times a jitter factor drawn in [0.8, 1.2) from the
/// simulation's random stream, and never above `max`. With `max` ≤ `initial`, a constant `max`.
pub fn retry_backoff(initial: Time, max: Time, attempts: u32, rng: &mut crate::kernel::rng::Rng) -> Time {
    if max <= initial {
        return max;
    }
    let term = initial.0.saturating_mul(1u64 << attempts.min(40)).min(max.0);
    let jittered = term.saturating_mul(800 + rng.below(400)) / 1000;
    Time(jittered.min(max.0))
}

#[derive(Clone, Copy, Debug)]
struct Rec {
    /// The record's number at this producer.
    seq: u64,
    /// Its value: `seq`, unless the application gave one (`app`).
    value: u64,
    key: Option<u32>,
    created: Time,
}

#[derive(Clone, Debug)]
struct Batch {
    partition: u16,
    created: Time,
    records: Vec<Rec>,
    /// Idempotence: the sequence of its first record, fixed when it is first sent.
    base_seq: Option<u32>,
    attempts: u32,
    /// The broker the current attempt went to.
    to: BrokerId,
}

#[derive(Clone, Debug)]
pub struct Producer {
    pub cluster: Rc<Cluster>,
    pub topic: u16,
    pub interval: Time,
    pub acks: Acks,
    pub keys: u32,
    pub settings: Settings,
    pub next_seq: u64,
    leaders: VecMap<u16, BrokerId>,
    /// Batches waiting to be sent, per partition, oldest first; the last one may still grow.
    ready: VecMap<u16, VecDeque<Batch>>,
    /// Batches sent and not answered, by request id.
    inflight: VecMap<u64, Batch>,
    /// `request.timeout.ms` of each request in `inflight`.
    timeouts: Deadlines<u64>,
    /// Batches backing off before a retry, by retry id.
    backoff: VecMap<u64, Batch>,
    next_req: u64,
    metadata: MetadataAsk,
    /// Idempotence: the next sequence number per partition, and the batches sent since the oldest
    /// one not yet acknowledged (`(first sequence, acknowledged)`).
    sequences: VecMap<u16, u32>,
    window: VecMap<u16, VecDeque<(u32, bool)>>,
    /// The sticky partition for records without a key, and the records sent to it so far.
    sticky: Option<(u16, u32)>,
    /// Idempotence: the producer epoch, and whether a batch with a sequence expired (KIP-360: the
    /// epoch is bumped once nothing is in flight).
    pub epoch: u16,
    bump_needed: bool,
    /// Without a transactional id: the producer id a restarted instance was given.
    pub idempotence: idempotent::IdempotentId,
    /// Records failed with a TimeoutException (`delivery.timeout.ms` passed).
    pub expired: u64,
    /// With a `transactional.id`: its transaction manager.
    pub txn: Option<Box<TxnClient>>,
    /// The application writes the records (`app`): no records of its own every `interval`.
    pub app: bool,
}

impl Producer {
    pub fn new(cluster: Rc<Cluster>, topic: u16, settings: Settings) -> Producer {
        Producer {
            cluster,
            topic,
            interval: settings.interval,
            acks: settings.acks,
            keys: settings.keys,
            settings,
            next_seq: 0,
            leaders: VecMap::new(),
            ready: VecMap::new(),
            inflight: VecMap::new(),
            timeouts: Deadlines::default(),
            backoff: VecMap::new(),
            next_req: 0,
            metadata: MetadataAsk::default(),
            sequences: VecMap::new(),
            window: VecMap::new(),
            sticky: None,
            epoch: 0,
            bump_needed: false,
            idempotence: Default::default(),
            expired: 0,
            txn: None,
            app: false,
        }
    }

    /// A transactional producer (`transactional.id`).
    pub fn with_txn(mut self, txn: Option<crate::kafka::txn::config::TxnSettings>) -> Producer {
        self.txn = txn.map(|s| Box::new(TxnClient::new(s)));
        self
    }

    /// The producer id its batches carry: the coordinator's for a transactional producer, its
    /// own (`idempotent_id`) for an idempotent one.
    fn producer_id(&self, ctx: &Ctx) -> u32 {
        self.txn.as_ref().and_then(|t| t.producer).map_or_else(|| self.idempotent_id(ctx.me), |p| p.0)
    }

    pub fn key_name(key: u32) -> String {
        format!("key-{key}")
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        let next = ctx.rng.below(self.cluster.brokers.len() as u64) as usize;
        self.metadata = MetadataAsk::starting_at(next);
        self.metadata.ask(ctx, &self.cluster);
        ctx.set_timer(self.settings.interval, KafkaTimer::Send);
        self.txn_step(ctx);
        self.idempotent_step(ctx);
    }

    /// A crashed producer loses what it had not sent or had not had acknowledged.
    pub fn on_crash(&mut self) {
        self.leaders.clear();
        self.ready.clear();
        self.inflight.clear();
        self.timeouts.clear();
        self.backoff.clear();
        self.sequences.clear();
        self.window.clear();
        self.sticky = None;
        self.bump_needed = false;
        self.txn_reset();
        self.idempotent_restart();
    }

    fn partitions(&self) -> u16 {
        self.cluster.topics[self.topic as usize].partitions
    }

    /// The partition for the next record: by key, or the sticky partition for a record without one.
    fn partition_for(&mut self, ctx: &mut Ctx, key: Option<u32>) -> u16 {
        let n = self.partitions();
        if let Some(k) = key {
            return partition_for_key(Self::key_name(k).as_bytes(), n as u32).unwrap_or(0) as u16;
        }
        match self.sticky {
            Some((p, sent)) if sent < self.settings.batch_records => {
                self.sticky = Some((p, sent + 1));
                p
            }
            previous => {
                // A new sticky partition, another than the last one (when there is a choice).
                let mut p = ctx.rng.below(n as u64) as u16;
                if n > 1 && previous.is_some_and(|(old, _)| old == p) {
                    p = (p + 1 + ctx.rng.below(n as u64 - 1) as u16) % n;
                }
                self.sticky = Some((p, 1));
                p
            }
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: KafkaTimer) {
        match timer {
            KafkaTimer::Send => {
                if self.app || self.settings.count.is_some_and(|c| self.next_seq >= c) {
                    return;
                }
                if self.txn.as_ref().is_some_and(|t| !t.accepting()) {
                    // The application waits in initTransactions / commitTransaction.
                    return ctx.set_timer(self.settings.interval, KafkaTimer::Send);
                }
                let seq = self.next_seq;
                self.next_seq += 1;
                self.txn_record_written(ctx, seq);
                let key = (self.settings.keys > 0).then(|| (seq % self.settings.keys as u64) as u32);
                let partition = self.partition_for(ctx, key);
                self.add(ctx, partition, Rec { seq, value: seq, key, created: ctx.now });
                ctx.set_timer(self.settings.interval, KafkaTimer::Send);
            }
            KafkaTimer::Linger => self.drain(ctx),
            KafkaTimer::TxnStep { generation } => self.txn_timer(ctx, generation),
            KafkaTimer::RequestTimeout => {
                for id in self.timeouts.expired(ctx, KafkaTimer::RequestTimeout) {
                    if let Some(b) = self.inflight.remove(&id) {
                        let broker = b.to;
                        // `handleTimedOutRequests` closes the connection: the retries go on a new
                        // one, while TCP may still deliver what the old one had.
                        if let Some(node) = self.cluster.broker_node(broker) {
                            ctx.close_connection(node);
                        }
                        self.failed(ctx, b, Error::RequestTimedOut);
                        self.cancel_in_flight(ctx, broker, Error::RequestTimedOut);
                    }
                }
            }
            KafkaTimer::RetryBatch { id } => {
                if let Some(b) = self.backoff.remove(&id) {
                    // Retried batches go to the front of their partition's queue; with sequence
                    // numbers, in sequence order among themselves (`insertInSequenceOrder`).
                    let queue = self.ready.get_or_insert_with(b.partition, VecDeque::new);
                    let at = match b.base_seq {
                        Some(seq) => queue.iter().position(|q| q.base_seq.is_none_or(|s| s > seq)),
                        None => Some(0),
                    };
                    queue.insert(at.unwrap_or(queue.len()), b);
                    self.drain(ctx);
                }
            }
            KafkaTimer::Metadata { generation } if self.metadata.is_live(generation) => {
                self.metadata.done();
                if self.ready.values().any(|q| !q.is_empty()) || self.leaders.is_empty() {
                    self.metadata.ask(ctx, &self.cluster);
                }
            }
            _ => {}
        }
    }

    /// Adds a record to its partition's last unsent batch if it has room, else to a new batch.
    fn add(&mut self, ctx: &mut Ctx, partition: u16, rec: Rec) {
        let room = self.settings.batch_records as usize;
        let queue = self.ready.get_or_insert_with(partition, VecDeque::new);
        match queue.back_mut() {
            Some(b) if b.attempts == 0 && b.records.len() < room => b.records.push(rec),
            _ => {
                let batch =
                    Batch { partition, created: ctx.now, records: vec![rec], base_seq: None, attempts: 0, to: 0 };
                queue.push_back(batch);
                if self.settings.linger > Time::ZERO {
                    ctx.set_timer(self.settings.linger, KafkaTimer::Linger);
                }
            }
        }
        self.drain(ctx);
    }

    /// `RecordAccumulator.ready`: a batch goes when it is a retry, full, lingered long enough, or
    /// has another batch behind it.
    fn sendable(&self, p: u16, now: Time) -> bool {
        let Some(q) = self.ready.get(&p) else { return false };
        q.front().is_some_and(|b| {
            b.attempts > 0
                || b.records.len() >= self.settings.batch_records as usize
                || now >= b.created + self.settings.linger
                || q.len() > 1
        })
    }

    fn in_flight_to(&self, broker: BrokerId) -> u32 {
        self.inflight.values().filter(|b| b.to == broker).count() as u32
    }

    /// Idempotence keeps every batch that may still be retried within the five the leader
    /// remembers: a new batch waits while `max.in.flight` batches have been sent since the oldest
    /// unacknowledged one, and a retried batch goes only when no older one is in flight (as
    /// `RecordAccumulator.drain` checks `nextBatchBySequence`). Nothing goes while an older
    /// sequence backs off: in Kafka it waits at the front of the partition's queue.
    fn in_sequence(&self, p: u16) -> bool {
        if !self.settings.idempotent {
            return true;
        }
        let Some(front) = self.ready.get(&p).and_then(|q| q.front()) else { return true };
        let older = |s: u32| front.base_seq.is_none_or(|f| s < f);
        if self.backoff.values().any(|b| b.partition == p && b.base_seq.is_some_and(older)) {
            return false;
        }
        match front.base_seq {
            None => self.window.get(&p).map_or(0, |w| w.len()) < self.settings.max_in_flight as usize,
            Some(seq) => !self.inflight.values().any(|b| b.partition == p && b.base_seq.is_some_and(|s| s < seq)),
        }
    }

    /// Sends what is ready, partition by partition, as far as leaders are known and each broker's
    /// in-flight limit allows (the `Sender` loop).
    fn drain(&mut self, ctx: &mut Ctx) {
        self.expire(ctx);
        if self.idempotence.asking {
            return self.idempotent_step(ctx); // no batch before the new instance's producer id
        }
        if self.bump_needed {
            if !self.inflight.is_empty() {
                return; // no new sequence goes out while one is unresolved
            }
            self.bump_epoch(ctx);
        }
        let partitions: Vec<u16> = self.ready.iter().filter(|(_, q)| !q.is_empty()).map(|(&p, _)| p).collect();
        let mut need_metadata = false;
        for p in partitions {
            loop {
                let Some(&leader) = self.leaders.get(&p) else {
                    need_metadata = true;
                    break;
                };
                let Some(node) = self.cluster.broker_node(leader) else { break };
                if !self.metadata.usable(node, ctx.now)
                    || self.txn.as_ref().is_some_and(|t| !t.may_send(p))
                    || self.in_flight_to(leader) >= self.settings.max_in_flight
                    || !self.sendable(p, ctx.now)
                    || !self.in_sequence(p)
                {
                    break;
                }
                let Some(batch) = self.ready.get_mut(&p).and_then(|q| q.pop_front()) else { break };
                self.send_batch(ctx, batch, leader, node);
            }
        }
        // Only partitions with batches waiting stay listed: every pass over them (this one, the
        // expiry's, the linger timer's) then costs what is waiting, not the topic's partitions.
        self.ready.retain(|_, q| !q.is_empty());
        if need_metadata {
            self.metadata.ask(ctx, &self.cluster);
        }
        self.txn_step(ctx);
    }

    fn send_batch(&mut self, ctx: &mut Ctx, mut b: Batch, leader: BrokerId, node: NodeId) {
        let tp = Tp { topic: self.topic, partition: b.partition };
        let retry = b.attempts > 0;
        b.attempts += 1;
        b.to = leader;
        if self.settings.idempotent && b.base_seq.is_none() {
            let next = self.sequences.get_or_insert_with(b.partition, || 0);
            b.base_seq = Some(*next);
            self.window.get_or_insert_with(b.partition, VecDeque::new).push_back((*next, false));
            *next = next.wrapping_add(b.records.len() as u32);
        }
        for r in &b.records {
            ctx.emit(KafkaEvent::Produced { producer: ctx.me, seq: r.seq, tp, retry });
        }
        let id = self.next_req;
        self.next_req += 1;
        let producer = b.base_seq.map(|s| (self.producer_id(ctx), self.epoch, s));
        let records = b.records.iter().map(|r| (r.key, r.value)).collect();
        let size = self.settings.record_size;
        let timeout = self.settings.request_timeout;
        let (acks, transactional) = (self.settings.acks, self.txn.is_some());
        send(ctx, node, KafkaMsg::Produce { id, tp, acks, producer, records, transactional, size, timeout });
        if self.settings.acks != Acks::None {
            self.timeouts.set(ctx, id, self.settings.request_timeout, KafkaTimer::RequestTimeout);
            self.inflight.insert(id, b);
        }
    }

    fn failed(&mut self, ctx: &mut Ctx, b: Batch, error: Error) {
        let tp = Tp { topic: self.topic, partition: b.partition };
        for r in &b.records {
            ctx.emit(KafkaEvent::ProduceFailed { producer: ctx.me, seq: r.seq, tp, error });
        }
        if self.txn.is_some() && error == Error::InvalidProducerEpoch {
            return self.txn_abortable(ctx, AbortableCause::InvalidProducerEpoch);
        }
        if matches!(error, Error::InvalidRecord | Error::InvalidProducerEpoch) {
            return; // an error retrying cannot fix: given up
        }
        if ctx.now - b.created >= self.settings.delivery_timeout {
            return self.expired_batch(ctx, b);
        }
        if matches!(error, Error::NotLeaderOrFollower | Error::RequestTimedOut | Error::NetworkException) {
            self.leaders.remove(&b.partition);
            self.metadata.ask(ctx, &self.cluster);
        }
        let id = self.next_req;
        self.next_req += 1;
        let s = &self.settings;
        let wait = retry_backoff(s.retry_backoff, s.retry_backoff_max, b.attempts.saturating_sub(1), ctx.rng);
        self.backoff.insert(id, Batch { to: 0, ..b });
        ctx.set_timer(wait, KafkaTimer::RetryBatch { id });
        self.drain(ctx);
    }

    /// Expires every batch `delivery.timeout.ms` after its creation: waiting (the oldest of each
    /// partition first, stopping at one still in time, as `RecordAccumulator.expiredBatches`),
    /// backing off, or in flight (a late answer to it is then ignored).
    fn expire(&mut self, ctx: &mut Ctx) {
        let (now, timeout) = (ctx.now, self.settings.delivery_timeout);
        let due = |b: &Batch| now - b.created >= timeout;
        let mut gone: Vec<Batch> = vec![];
        for q in self.ready.values_mut() {
            while q.front().is_some_and(due) {
                gone.extend(q.pop_front());
            }
        }
        let backing: Vec<u64> = self.backoff.iter().filter(|(_, b)| due(b)).map(|(&id, _)| id).collect();
        gone.extend(backing.into_iter().filter_map(|id| self.backoff.remove(&id)));
        let flying: Vec<u64> = self.inflight.iter().filter(|(_, b)| due(b)).map(|(&id, _)| id).collect();
        for id in flying {
            self.timeouts.remove(id);
            gone.extend(self.inflight.remove(&id));
        }
        for b in gone {
            self.expired_batch(ctx, b);
        }
    }

    /// A batch expired: its records fail to the application; if it was sent with a sequence, the
    /// epoch is to be bumped (KIP-360).
    fn expired_batch(&mut self, ctx: &mut Ctx, b: Batch) {
        let tp = Tp { topic: self.topic, partition: b.partition };
        for r in &b.records {
            ctx.emit(KafkaEvent::ProduceExpired { producer: ctx.me, seq: r.seq, tp });
        }
        self.expired += b.records.len() as u64;
        if self.txn.is_some() {
            self.txn_abortable(ctx, AbortableCause::Expired);
        } else if b.base_seq.is_some() {
            self.bump_needed = true;
        }
    }

    /// `bumpIdempotentProducerEpoch`: epoch + 1, sequences from 0 again. The batches still to be
    /// retried keep their order and take the first sequences of the new epoch.
    fn bump_epoch(&mut self, ctx: &mut Ctx) {
        self.bump_needed = false;
        self.epoch = self.epoch.wrapping_add(1);
        ctx.emit(KafkaEvent::ProducerEpochBumped { producer: ctx.me, epoch: self.epoch });
        self.sequences.clear();
        self.window.clear();
        // (partition, old sequence, where: a backoff id, or an index in the partition's queue)
        let mut numbered: Vec<(u16, u32, Result<u64, usize>)> = vec![];
        for (&p, q) in self.ready.iter() {
            let seqs = q.iter().enumerate().filter_map(|(i, b)| b.base_seq.map(|s| (p, s, Err(i))));
            numbered.extend(seqs);
        }
        numbered.extend(self.backoff.iter().filter_map(|(&id, b)| b.base_seq.map(|s| (b.partition, s, Ok(id)))));
        numbered.sort_by_key(|&(p, s, _)| (p, s));
        for (p, _, at) in numbered {
            let b = match at {
                Ok(id) => self.backoff.get_mut(&id),
                Err(i) => self.ready.get_mut(&p).and_then(|q| q.get_mut(i)),
            };
            let Some(b) = b else { continue };
            let next = self.sequences.get_or_insert_with(p, || 0);
            b.base_seq = Some(*next);
            self.window.get_or_insert_with(p, VecDeque::new).push_back((*next, false));
            *next = next.wrapping_add(b.records.len() as u32);
        }
    }

    /// The connection to a broker was reset: every request in flight to it failed.
    pub fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        if self.metadata.lost(peer, ctx.now) {
            self.metadata.ask(ctx, &self.cluster);
        }
        let Some(broker) = self.cluster.broker_of(peer) else { return };
        self.cancel_in_flight(ctx, broker, Error::NetworkException);
        self.txn_disconnected(ctx, broker);
        self.idempotent_disconnected(ctx, broker);
    }

    /// Fails every request in flight to `broker`, oldest first, as the client's `NetworkClient`
    /// does when it closes the connection: on a disconnect (NETWORK_EXCEPTION), and when one
    /// request to the broker times out (`handleTimedOutRequests` closes the connection, and
    /// `Sender` fails every request it cancels with REQUEST_TIMED_OUT).
    fn cancel_in_flight(&mut self, ctx: &mut Ctx, broker: BrokerId, error: Error) {
        let lost: Vec<u64> = self.inflight.iter().filter(|(_, b)| b.to == broker).map(|(&id, _)| id).collect();
        for id in lost {
            if let Some(b) = self.inflight.remove(&id) {
                self.timeouts.remove(id);
                self.failed(ctx, b, error);
            }
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: KafkaMsg) {
        match msg {
            KafkaMsg::MetadataResponse { states } => {
                self.metadata.done();
                update_leaders(&mut self.leaders, self.topic, &states);
                let waiting = self.ready.iter().any(|(p, q)| !q.is_empty() && !self.leaders.contains_key(p));
                if waiting {
                    self.metadata.arm(ctx, self.settings.retry_backoff);
                }
                self.drain(ctx);
            }
            KafkaMsg::ProduceResponse { id, result, .. } => {
                let Some(b) = self.inflight.remove(&id) else { return };
                self.timeouts.remove(id);
                match result {
                    Ok(base) => {
                        if let (Some(seq), Some(w)) = (b.base_seq, self.window.get_mut(&b.partition)) {
                            w.iter_mut().filter(|e| e.0 == seq).for_each(|e| e.1 = true);
                            while w.front().is_some_and(|e| e.1) {
                                w.pop_front();
                            }
                        }
                        let tp = Tp { topic: self.topic, partition: b.partition };
                        for (i, r) in b.records.iter().enumerate() {
                            ctx.emit(KafkaEvent::ProduceAcked {
                                producer: ctx.me,
                                seq: r.seq,
                                tp,
                                offset: base + i as u64,
                                latency: ctx.now - r.created,
                            });
                        }
                        self.drain(ctx);
                    }
                    Err(e) => self.failed(ctx, b, e),
                }
            }
            KafkaMsg::Txn(m) => self.on_txn_message(ctx, m),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::rng::Rng;

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_the_max() {
        let mut rng = Rng::new(7);
        let (initial, max) = (Time::ms(100), Time::secs(1));
        for attempts in 0..8 {
            let term = (100u64 << attempts).min(1000);
            for _ in 0..50 {
                let wait = retry_backoff(initial, max, attempts, &mut rng);
                assert!(wait >= Time::ms(term * 8 / 10) && wait < Time::ms(term * 12 / 10), "{attempts}: {wait}");
                assert!(wait <= max);
            }
        }
        assert_eq!(retry_backoff(Time::secs(2), max, 3, &mut rng), max, "max below initial: constant max");
    }
}
