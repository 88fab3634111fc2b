//! A consume-transform-produce application (what a Kafka Streams task does, or a hand-written
//! `poll` loop): a consumer in a group reading `input` and a producer writing to `output`, in one
//! process. Each `poll()` batch is processed record by record (the transform copies each record's
//! key and value to the output topic), then committed:
//! - exactly-once (`exactly_once_v2`, KIP-98 + KIP-447): the batch is one transaction — the
//!   output records, then `sendOffsetsToTransaction(offsets, consumer.groupMetadata())`, then
//!   `commitTransaction()`; the next poll waits for it. If the transaction aborts (its
//!   TxnOffsetCommit refused because the member lost its partitions, or a record expired), the
//!   application starts again from the group's committed offsets; if its producer is fenced, it
//!   creates a new one (initTransactions) first;
//! - at-least-once (Kafka Streams' `at_least_once`): every `commit.interval.ms` (30 s by
//!   default) at the end of a poll batch, the output is flushed, then the offsets are committed
//!   with OffsetCommit; a crash processes again everything since the last commit, and writes its
//!   output twice.
//!
//! The consumer reads `read_committed` with exactly-once, so it never processes an aborted
//! record, and asks for stable offsets only (KIP-447: OffsetFetch waits while a transaction
//! holds offsets of its partitions).

pub mod config;

use self::config::ProcessorSpec;
use super::cluster::Cluster;
use std::rc::Rc;

use super::consumer::Consumer;
use super::msg::{KafkaEvent, KafkaMsg, Tp};
use super::producer::{Producer, TxnOffsets};
use super::{Ctx, KafkaTimer};
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;

/// Where the application is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Polling and processing a batch.
    Processing,
    /// The batch is done: committing the transaction (or, at-least-once, flushing the output).
    Committing,
    /// At-least-once: the OffsetCommit is in flight.
    CommittingOffsets,
}

#[derive(Clone, Debug)]
pub struct Processor {
    pub consumer: Consumer,
    pub producer: Producer,
    pub exactly_once: bool,
    pub stage: Stage,
    /// The consumed offsets of the batch being processed: partition → next offset.
    pub batch: VecMap<u16, u64>,
    /// The consumer's generation when the batch began: a batch that spans a rebalance is aborted
    /// (its partitions may have moved), as Kafka Streams aborts on `TaskMigratedException`.
    batch_generation: Option<u32>,
    /// The offsets its last committed batch committed, for the inspector.
    pub last_committed: Vec<(u16, u64)>,
    /// Records processed, output records written, and batches committed / aborted.
    pub processed: u64,
    pub batches: u64,
    pub aborted: u64,
    /// At-least-once: `commit.interval.ms`, and when it last committed.
    commit_interval: Time,
    last_commit: Time,
}

impl Processor {
    pub fn new(consumer: Consumer, producer: Producer, exactly_once: bool) -> Processor {
        Processor {
            consumer,
            producer,
            exactly_once,
            stage: Stage::Processing,
            batch: VecMap::new(),
            batch_generation: None,
            last_committed: vec![],
            processed: 0,
            batches: 0,
            aborted: 0,
            commit_interval: Time::ZERO,
            last_commit: Time::ZERO,
        }
    }

    /// The processor a scenario declares (validated).
    pub fn build(cluster: Rc<Cluster>, spec: &ProcessorSpec, input: u16, output: u16, group: u8) -> Processor {
        let consumer = Consumer::new(cluster.clone(), &spec.id, input, Some(group))
            .with_processing(spec.processing, spec.processing_jitter)
            .with_read_committed(spec.exactly_once())
            .with_app(spec.poll_records());
        let p = spec.producer_spec();
        let producer =
            Producer::new(cluster.clone(), output, p.settings()).with_txn(p.txn_settings(&cluster.txn_ids)).with_app();
        Processor { commit_interval: spec.commit_interval(), ..Processor::new(consumer, producer, spec.exactly_once()) }
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        self.last_commit = ctx.now;
        self.consumer.on_start(ctx);
        self.producer.on_start(ctx);
        self.pump(ctx);
    }

    pub fn on_crash(&mut self) {
        self.consumer.on_crash();
        // A new process is a new producer: at-least-once, a new producer id from InitProducerId.
        self.producer.on_crash();
        self.last_commit = Time::ZERO;
        self.stage = Stage::Processing;
        self.batch.clear();
        // What the application counted is gone with its memory.
        (self.processed, self.batches, self.aborted) = (0, 0, 0);
        self.last_committed.clear();
    }

    pub fn on_leave(&mut self, ctx: &mut Ctx) {
        self.consumer.on_leave(ctx);
    }

    pub fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        self.consumer.on_disconnect(ctx, peer);
        self.producer.on_disconnect(ctx, peer);
        self.pump(ctx);
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: KafkaTimer) {
        match timer {
            KafkaTimer::Send
            | KafkaTimer::Linger
            | KafkaTimer::RequestTimeout
            | KafkaTimer::RetryBatch { .. }
            | KafkaTimer::TxnStep { .. } => self.producer.on_timer(ctx, timer),
            KafkaTimer::Metadata { .. } => {
                self.consumer.on_timer(ctx, timer);
                self.producer.on_timer(ctx, timer);
            }
            _ => self.consumer.on_timer(ctx, timer),
        }
        self.pump(ctx);
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: KafkaMsg) {
        match msg {
            KafkaMsg::MetadataResponse { .. } => {
                self.consumer.on_message(ctx, msg.clone());
                self.producer.on_message(ctx, msg);
            }
            KafkaMsg::ProduceResponse { .. } | KafkaMsg::Txn(_) => self.producer.on_message(ctx, msg),
            _ => self.consumer.on_message(ctx, msg),
        }
        self.pump(ctx);
    }

    /// Moves the application on after anything its consumer or producer did.
    fn pump(&mut self, ctx: &mut Ctx) {
        // The transform: each processed record's key and value go to the output topic.
        let handed = self.consumer.app.as_mut().map(|a| std::mem::take(&mut a.handed)).unwrap_or_default();
        for (p, r) in handed {
            if self.batch.is_empty() {
                self.batch_generation = self.consumer.group_meta().map(|m| m.generation);
            }
            self.processed += 1;
            self.batch.insert(p, r.offset + 1);
            // Refused only while the transaction is aborting: the abort starts the batch again.
            self.producer.send(ctx, r.key, r.value);
        }
        if self.producer.fenced() {
            // ProducerFencedException: a new producer (initTransactions bumps the epoch), and
            // the input from the committed offsets again.
            self.producer.renew(ctx);
            self.restart_batch(ctx);
        }
        if let Some(commit) = self.producer.take_ended() {
            self.batch_done(ctx, commit);
        }
        let generation = self.consumer.group_meta().map(|m| m.generation);
        if self.exactly_once
            && self.stage == Stage::Processing
            && !self.batch.is_empty()
            && generation != self.batch_generation
        {
            // A rebalance during the batch: abort it, start again from the committed offsets.
            self.stage = Stage::Committing;
            self.producer.abort_transaction(ctx);
        }
        let ended = self.consumer.app.as_mut().is_some_and(|a| std::mem::take(&mut a.batch_ended));
        if ended && self.stage == Stage::Processing {
            if self.exactly_once {
                self.stage = Stage::Committing;
                self.commit_transaction(ctx);
            } else if ctx.now >= self.last_commit + self.commit_interval {
                self.stage = Stage::Committing;
            }
        }
        if !self.exactly_once {
            self.at_least_once_commit(ctx);
        }
        if self.producer.txn.as_ref().is_some_and(|t| t.ended.is_some()) {
            // The transaction just asked for ended at once (an abort, or a commit with nothing
            // to end). A batch that ended here keeps the consumer stopped at its poll boundary
            // until then: the next pump lets it poll again, as it would after an EndTxn answer.
            if let Some(a) = self.consumer.app.as_mut().filter(|_| ended) {
                a.hold = true;
            }
            return self.pump(ctx);
        }
        let ready = self.stage == Stage::Processing && self.producer.accepting();
        // The consumer stops at the end of each batch: the next poll goes on once ready.
        if ready && (ended || self.consumer.app.as_ref().is_some_and(|a| a.hold)) {
            self.consumer.resume(ctx);
        } else if !ready {
            if let Some(a) = &mut self.consumer.app {
                a.hold = true;
            }
        }
    }

    fn commit_transaction(&mut self, ctx: &mut Ctx) {
        let offsets: Vec<(u16, u64)> = self.batch.iter().map(|(&p, &o)| (p, o)).collect();
        let meta = self.consumer.group_meta();
        match meta {
            Some(meta) if !offsets.is_empty() && Some(meta.generation) == self.batch_generation => {
                self.producer.commit_transaction(ctx, Some(TxnOffsets::new(meta, offsets)))
            }
            // Without its consumed offsets the output must not commit: abort.
            _ if !offsets.is_empty() => self.producer.abort_transaction(ctx),
            _ => self.producer.commit_transaction(ctx, None),
        }
    }

    /// The transaction ended: on to the next poll, or (aborted) from the committed offsets again.
    fn batch_done(&mut self, ctx: &mut Ctx, commit: bool) {
        if commit {
            self.batches += 1;
            self.last_committed = self.batch.iter().map(|(&p, &o)| (p, o)).collect();
            self.announce_commit(ctx);
            self.batch.clear();
            self.batch_generation = None;
            self.stage = Stage::Processing;
        } else {
            self.aborted += 1;
            self.restart_batch(ctx);
        }
    }

    fn restart_batch(&mut self, ctx: &mut Ctx) {
        self.batch.clear();
        self.batch_generation = None;
        self.stage = Stage::Processing;
        self.consumer.rewind(ctx);
    }

    /// The group's committed offsets moved with the batch (as the consumer's commits are shown).
    fn announce_commit(&mut self, ctx: &mut Ctx) {
        self.consumer.note_committed(&self.last_committed);
        let Some(meta) = self.consumer.group_meta() else { return };
        let topic = self.consumer.topic;
        for &(partition, offset) in &self.last_committed {
            let tp = Tp { topic, partition };
            ctx.emit(KafkaEvent::Committed { group: meta.group, consumer: ctx.me, tp, offset });
        }
    }

    /// At-least-once: once the batch's output is acknowledged, OffsetCommit; the next poll once
    /// it is answered.
    fn at_least_once_commit(&mut self, ctx: &mut Ctx) {
        match self.stage {
            Stage::Committing if self.producer.flushed() => {
                self.last_commit = ctx.now;
                let mask = self.batch.keys().fold(0u64, |m, &p| m | 1 << p);
                self.last_committed = self.batch.iter().map(|(&p, &o)| (p, o)).collect();
                self.batch.clear();
                self.batches += 1;
                self.stage = if self.consumer.commit_processed(ctx, mask) {
                    Stage::CommittingOffsets
                } else {
                    Stage::Processing
                };
            }
            Stage::CommittingOffsets if !self.consumer.commit_in_flight() => self.stage = Stage::Processing,
            _ => {}
        }
    }
}
