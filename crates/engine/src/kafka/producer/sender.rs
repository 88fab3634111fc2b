//! The producer's `Sender`: which brokers have something ready (`RecordAccumulator.ready`), and
//! for each that may take another request (`max.in.flight.requests.per.connection` counts
//! requests per broker connection), one Produce request carrying the first batch of each of its
//! partitions that has one (`RecordAccumulator.drainBatchesForOneNode`):
//! - a broker is ready when one of the partitions it leads has a sendable first batch (a retry,
//!   full, lingered `linger.ms`, or with another batch behind it); once it is, the first batch of
//!   every partition it leads goes along, lingered or not;
//! - at most one batch per partition per request, taken while their bytes fit in
//!   `max.request.size` (the first always goes);
//! - each broker's drain starts where its last one stopped (`nodesDrainIndex`), so no partition
//!   starves behind others that always have a batch;
//! - a partition whose batch may not go yet — outside the transaction, or a retry waiting for an
//!   older sequence (`shouldStopDrainBatchesForPartition`) — ends the drain for that broker, as
//!   in Kafka; the model's window of five batches per partition (idempotence) only skips it.
//!
//! The answer is per partition: each batch is acknowledged, retried or given up on its own, as
//! before (`Sender.handleProduceResponse` → `completeBatch` per partition).

use super::{Batch, Producer};
use crate::kafka::clients::send;
use crate::kafka::msg::{KafkaEvent, KafkaMsg, Tp};
use crate::kafka::partition::{Acks, BrokerId, Error};
use crate::kafka::request::{ProduceBatch, MAX_REQUEST_SIZE};
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;
use std::collections::VecDeque;

/// A Produce request in flight: the broker it went to and the batches it carries (those not
/// yet expired).
#[derive(Clone, Debug)]
pub(super) struct InFlight {
    pub to: BrokerId,
    pub batches: Vec<Batch>,
}

/// Why a partition's first batch does not go in this drain.
#[derive(PartialEq, Eq)]
enum Hold {
    /// It may go: take it.
    No,
    /// Skip this partition, look at the next.
    Skip,
    /// Stop draining this broker (`shouldStopDrainBatchesForPartition`).
    Stop,
}

impl Producer {
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
        self.inflight.values().filter(|r| r.to == broker).count() as u32
    }

    /// Idempotence keeps every batch that may still be retried within the five the leader
    /// remembers: a new batch waits while `max.in.flight` batches have been sent since the oldest
    /// unacknowledged one (`Skip`), and a retried batch goes only when no older one is in flight
    /// (as `RecordAccumulator.drain` checks `nextBatchBySequence`; `Stop`). Nothing goes while an
    /// older sequence backs off: in Kafka it waits at the front of the partition's queue (`Stop`).
    fn hold(&self, p: u16) -> Hold {
        if self.txn.as_ref().is_some_and(|t| !t.may_send(p)) {
            return Hold::Stop;
        }
        if !self.settings.idempotent {
            return Hold::No;
        }
        let Some(front) = self.ready.get(&p).and_then(|q| q.front()) else { return Hold::No };
        let older = |s: u32| front.base_seq.is_none_or(|f| s < f);
        if self.backoff.values().any(|b| b.partition == p && b.base_seq.is_some_and(older)) {
            return Hold::Stop;
        }
        match front.base_seq {
            None if self.window.get(&p).map_or(0, |w| w.len()) >= self.settings.max_in_flight as usize => Hold::Skip,
            None => Hold::No,
            Some(seq) => {
                let flying = self.inflight.values().flat_map(|r| r.batches.iter());
                match flying.filter(|b| b.partition == p).any(|b| b.base_seq.is_some_and(|s| s < seq)) {
                    true => Hold::Stop,
                    false => Hold::No,
                }
            }
        }
    }

    /// Each broker's partitions in order (`partitionsForNode`), rebuilt after `leaders` changed.
    fn partitions_of(&mut self, broker: BrokerId) -> &[u16] {
        let by_broker = self.by_broker.get_or_insert_with(|| {
            let mut m: VecMap<BrokerId, Vec<u16>> = VecMap::new();
            for (&p, &l) in self.leaders.iter() {
                m.get_or_insert_with(l, Vec::new).push(p);
            }
            m
        });
        by_broker.get(&broker).map_or(&[], |v| v.as_slice())
    }

    /// `RecordAccumulator.ready` for one broker: one of its partitions has a sendable batch. Reads
    /// the index in place (this runs after every request sent, on the producer's hot path).
    fn broker_ready(&mut self, broker: BrokerId, now: Time) -> bool {
        self.partitions_of(broker); // (re)builds the index
        let parts = self.by_broker.as_ref().and_then(|m| m.get(&broker)).map_or(&[][..], |v| v.as_slice());
        parts.iter().any(|&p| self.sendable(p, now))
    }

    /// Sends what is ready — per broker, as far as leaders are known and each broker's in-flight
    /// limit allows — until nothing more can go (the `Sender` loop).
    pub(super) fn drain(&mut self, ctx: &mut Ctx) {
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
        let mut need_metadata = false;
        let mut nodes: Vec<BrokerId> = vec![];
        for (&p, _) in self.ready.iter().filter(|(_, q)| !q.is_empty()) {
            match self.leaders.get(&p) {
                None => need_metadata = true,
                Some(&l) if !nodes.contains(&l) && self.sendable(p, ctx.now) => nodes.push(l),
                Some(_) => {}
            }
        }
        nodes.sort_unstable();
        for leader in nodes {
            let Some(node) = self.cluster.broker_node(leader) else { continue };
            if !self.metadata.usable(node, ctx.now) {
                continue;
            }
            // Request after request while the broker is ready and may take another.
            while self.in_flight_to(leader) < self.settings.max_in_flight {
                let batches = self.drain_broker(leader);
                if batches.is_empty() {
                    break;
                }
                self.send_request(ctx, batches, leader, node);
                if !self.broker_ready(leader, ctx.now) {
                    break;
                }
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

    /// `drainBatchesForOneNode`: the first batch of each of `leader`'s partitions, from where
    /// the last drain stopped, while they fit in `max.request.size`.
    fn drain_broker(&mut self, leader: BrokerId) -> Vec<Batch> {
        let parts = self.partitions_of(leader).to_vec();
        if parts.is_empty() {
            return vec![];
        }
        let start = self.drain_index.get(&leader).copied().unwrap_or(0) % parts.len();
        let (mut at, mut size, mut out) = (start, 0u64, Vec::new());
        loop {
            let p = parts[at];
            self.drain_index.insert(leader, at);
            at = (at + 1) % parts.len();
            if let Some(front) = self.ready.get(&p).and_then(|q| q.front()) {
                let bytes = front.records.len() as u64 * self.settings.record_size as u64;
                if size + bytes > MAX_REQUEST_SIZE && !out.is_empty() {
                    break;
                }
                match self.hold(p) {
                    Hold::Stop => break,
                    Hold::Skip => {}
                    Hold::No => {
                        out.extend(self.ready.get_mut(&p).and_then(VecDeque::pop_front));
                        size += bytes;
                    }
                }
            }
            if at == start {
                break;
            }
        }
        out
    }

    /// One Produce request to `leader` with `batches` (sequences assigned to new ones).
    fn send_request(&mut self, ctx: &mut Ctx, mut batches: Vec<Batch>, leader: BrokerId, node: NodeId) {
        let producer_id = self.producer_id(ctx);
        let mut parts = Vec::with_capacity(batches.len());
        for b in &mut batches {
            let tp = Tp { topic: self.topic, partition: b.partition };
            let retry = b.attempts > 0;
            b.attempts += 1;
            if self.settings.idempotent && b.base_seq.is_none() {
                let next = self.sequences.get_or_insert_with(b.partition, || 0);
                b.base_seq = Some(*next);
                self.window.get_or_insert_with(b.partition, VecDeque::new).push_back((*next, false));
                *next = next.wrapping_add(b.records.len() as u32);
            }
            for r in &b.records {
                ctx.emit(KafkaEvent::Produced { producer: ctx.me, seq: r.seq, tp, retry });
            }
            let producer = b.base_seq.map(|s| (producer_id, self.epoch, s));
            parts.push(ProduceBatch { tp, producer, records: b.records.iter().map(|r| (r.key, r.value)).collect() });
        }
        let id = self.next_req;
        self.next_req += 1;
        let (acks, transactional) = (self.settings.acks, self.txn.is_some());
        let (size, timeout) = (self.settings.record_size, self.settings.request_timeout);
        send(ctx, node, KafkaMsg::Produce { id, acks, batches: parts, transactional, size, timeout });
        if acks != Acks::None {
            self.timeouts.set(ctx, id, timeout, KafkaTimer::RequestTimeout);
            self.inflight.insert(id, InFlight { to: leader, batches });
        }
    }

    /// A Produce answer: each partition's batch acknowledged or failed on its own.
    pub(super) fn on_produce_response(&mut self, ctx: &mut Ctx, id: u64, results: Vec<(Tp, Result<u64, Error>)>) {
        let Some(mut r) = self.inflight.remove(&id) else { return };
        self.timeouts.remove(id);
        let mut go_on = false;
        for (tp, result) in results {
            // A batch that expired while in flight is no longer in the request: its answer is ignored.
            let Some(i) = r.batches.iter().position(|b| b.partition == tp.partition) else { continue };
            let b = r.batches.swap_remove(i);
            match result {
                Ok(base) => {
                    self.acked(ctx, b, base);
                    go_on = true;
                }
                Err(e) => go_on |= self.retry_later(ctx, b, e),
            }
        }
        if go_on {
            self.drain(ctx);
        }
    }

    /// A batch written at `base`: its records are acknowledged, its sequence leaves the window.
    fn acked(&mut self, ctx: &mut Ctx, b: Batch, base: u64) {
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
    }
}
