//! Kafka's producer (`KafkaProducer` with its `RecordAccumulator` and `Sender`), record by record:
//! - keyed records go to `toPositive(murmur2(key)) % partitions`; records without a key use the
//!   uniform sticky partitioner (KIP-794): one partition, chosen at random, until `batch.size` bytes
//!   have gone to it, then another;
//! - records collect in batches per partition (`RecordAccumulator`): a record joins the partition's
//!   last unsent batch while it has room (`batch.size`), so batches grow while sending is held up;
//!   a batch may be sent once full, once `linger.ms` has passed since its first record, or when
//!   another batch is queued behind it;
//! - one Produce request per broker carries the ready batches of several partitions (`sender`:
//!   `RecordAccumulator.ready` and `drain`), at most `max.in.flight.requests.per.connection` of
//!   them per broker at a time;
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
//! restarted one asks InitProducerId: `producer/idempotent.rs`); record size is a fixed setting.

use super::clients::{update_leaders, MetadataAsk};
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
mod sender;
mod transactional;
mod txn_offsets;
use sender::InFlight;
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
    /// Each broker's partitions in order (`partitionsForNode`), rebuilt when `leaders` changes
    /// (`None`: to rebuild), and where its next drain starts (`nodesDrainIndex`).
    by_broker: Option<VecMap<BrokerId, Vec<u16>>>,
    drain_index: VecMap<BrokerId, usize>,
    /// Batches waiting to be sent, per partition, oldest first; the last one may still grow.
    ready: VecMap<u16, VecDeque<Batch>>,
    /// Requests sent and not answered, by request id: the broker and the batches.
    inflight: VecMap<u64, InFlight>,
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
            by_broker: None,
            drain_index: VecMap::new(),
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
        self.by_broker = None;
        self.drain_index.clear();
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
                let mut go_on = false;
                for id in self.timeouts.expired(ctx, KafkaTimer::RequestTimeout) {
                    if let Some(r) = self.inflight.remove(&id) {
                        // `handleTimedOutRequests` closes the connection: the retries go on a new
                        // one, while TCP may still deliver what the old one had.
                        if let Some(node) = self.cluster.broker_node(r.to) {
                            ctx.close_connection(node);
                        }
                        for b in r.batches {
                            go_on |= self.retry_later(ctx, b, Error::RequestTimedOut);
                        }
                        go_on |= self.cancel_in_flight(ctx, r.to, Error::RequestTimedOut);
                    }
                }
                if go_on {
                    self.drain(ctx);
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
        // `KafkaProducer.doSend` wakes the Sender only when the record filled its batch or
        // started a new one: nothing else can have become sendable (and `commitTransaction`
        // wakes it: the transaction's last record may have begun its commit).
        let wake = match queue.back_mut() {
            Some(b) if b.attempts == 0 && b.records.len() < room => {
                b.records.push(rec);
                b.records.len() >= room
            }
            _ => {
                let batch = Batch { partition, created: ctx.now, records: vec![rec], base_seq: None, attempts: 0 };
                queue.push_back(batch);
                if self.settings.linger > Time::ZERO {
                    ctx.set_timer(self.settings.linger, KafkaTimer::Linger);
                }
                true
            }
        };
        if wake || self.txn.as_ref().is_some_and(|t| t.phase == TxnPhase::Committing) {
            self.drain(ctx);
        }
    }

    /// A batch failed with `error`: retried after a backoff, or given up. True if the producer
    /// should then send what it can (false when it was fenced, or gave the batch up).
    fn retry_later(&mut self, ctx: &mut Ctx, b: Batch, error: Error) -> bool {
        let tp = Tp { topic: self.topic, partition: b.partition };
        for r in &b.records {
            ctx.emit(KafkaEvent::ProduceFailed { producer: ctx.me, seq: r.seq, tp, error });
        }
        if self.txn.is_some() && error == Error::InvalidProducerEpoch {
            self.txn_abortable(ctx, AbortableCause::InvalidProducerEpoch);
            return false;
        }
        if matches!(error, Error::InvalidRecord | Error::InvalidProducerEpoch) {
            return false; // an error retrying cannot fix: given up
        }
        if ctx.now - b.created >= self.settings.delivery_timeout {
            self.expired_batch(ctx, b);
            return false;
        }
        if matches!(error, Error::NotLeaderOrFollower | Error::RequestTimedOut | Error::NetworkException) {
            if self.leaders.remove(&b.partition).is_some() {
                self.by_broker = None;
            }
            self.metadata.ask(ctx, &self.cluster);
        }
        let id = self.next_req;
        self.next_req += 1;
        let s = &self.settings;
        let wait = retry_backoff(s.retry_backoff, s.retry_backoff_max, b.attempts.saturating_sub(1), ctx.rng);
        self.backoff.insert(id, b);
        ctx.set_timer(wait, KafkaTimer::RetryBatch { id });
        true
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
        // In flight: the batch leaves its request; a request left with none is forgotten.
        for r in self.inflight.values_mut().filter(|r| r.batches.iter().any(due)) {
            let (expired, keep) = std::mem::take(&mut r.batches).into_iter().partition(|b| due(b));
            r.batches = keep;
            gone.extend::<Vec<Batch>>(expired);
        }
        let emptied: Vec<u64> = self.inflight.iter().filter(|(_, r)| r.batches.is_empty()).map(|(&id, _)| id).collect();
        for id in emptied {
            self.timeouts.remove(id);
            self.inflight.remove(&id);
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
        if self.cancel_in_flight(ctx, broker, Error::NetworkException) {
            self.drain(ctx);
        }
        self.txn_disconnected(ctx, broker);
        self.idempotent_disconnected(ctx, broker);
    }

    /// Fails every request in flight to `broker`, oldest first, as the client's `NetworkClient`
    /// does when it closes the connection: on a disconnect (NETWORK_EXCEPTION), and when one
    /// request to the broker times out (`handleTimedOutRequests` closes the connection, and
    /// `Sender` fails every request it cancels with REQUEST_TIMED_OUT).
    /// True if the producer should then send what it can.
    fn cancel_in_flight(&mut self, ctx: &mut Ctx, broker: BrokerId, error: Error) -> bool {
        let lost: Vec<u64> = self.inflight.iter().filter(|(_, r)| r.to == broker).map(|(&id, _)| id).collect();
        let mut go_on = false;
        for id in lost {
            if let Some(r) = self.inflight.remove(&id) {
                self.timeouts.remove(id);
                for b in r.batches {
                    go_on |= self.retry_later(ctx, b, error);
                }
            }
        }
        go_on
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: KafkaMsg) {
        match msg {
            KafkaMsg::MetadataResponse { states } => {
                self.metadata.done();
                update_leaders(&mut self.leaders, self.topic, &states);
                self.by_broker = None;
                let waiting = self.ready.iter().any(|(p, q)| !q.is_empty() && !self.leaders.contains_key(p));
                if waiting {
                    self.metadata.arm(ctx, self.settings.retry_backoff);
                }
                self.drain(ctx);
            }
            KafkaMsg::ProduceResponse { id, results } => self.on_produce_response(ctx, id, results),
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
