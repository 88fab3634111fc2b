//! A transactional producer's transaction manager (Kafka's `TransactionManager`): it finds the
//! coordinator of its `transactional.id` (FindCoordinator), gets its producer id and epoch
//! (InitProducerId, which fences any older instance), adds each partition to the transaction
//! before its first batch goes there (AddPartitionsToTxn), and once the application has written
//! `transaction_records` records and every batch is acknowledged, commits (EndTxn; the
//! coordinator then writes the markers). One request to the coordinator at a time, as Kafka's
//! sends them in order.
//!
//! Errors as Kafka's client (3.x, 4.0) handles them: PRODUCER_FENCED from the coordinator (on
//! AddPartitionsToTxn, EndTxn, InitProducerId) is fatal — a newer instance of the id, or the
//! coordinator's timeout, bumped the epoch — and the application closes the producer.
//! INVALID_PRODUCER_EPOCH from a partition (a marker of the newer epoch got there first) is only
//! abortable (KIP-588, Kafka 2.7+: `maybeTransitionToErrorState` makes every error but
//! PRODUCER_FENCED abortable): the application aborts, and the EndTxn of a fenced zombie is
//! answered PRODUCER_FENCED, which stops it. A batch that expires is an abortable error too: the
//! transaction is aborted, and InitProducerId bumps the epoch before the next one (KIP-360). Coordinator errors
//! (NOT_COORDINATOR, CONCURRENT_TRANSACTIONS, …) and lost answers are retried after
//! `retry.backoff.ms`, looking the coordinator up again where it moved.
//!
//! Simplified: the application blocks in `commitTransaction` (no record is written while the
//! transaction ends) and, after an abort, does not write the aborted records again; the producer
//! id comes from the coordinator without `ProducerIdManager` blocks.

use super::Producer;
use crate::kafka::clients::send;
use crate::kafka::msg::{KafkaEvent, KafkaMsg, Tp};
use crate::kafka::partition::BrokerId;
use crate::kafka::txn::config::TxnSettings;
use crate::kafka::txn::coordinator::TxnError;
use crate::kafka::txn::event::{AbortableCause, TxnEvent};
use crate::kafka::txn::msg::TxnMsg;
use crate::kafka::{Ctx, KafkaTimer};

/// What the transaction manager waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnPhase {
    /// Looking for the coordinator, or for a producer id (initTransactions).
    Initializing,
    /// Between transactions, or in one: records may be written.
    Ready,
    /// The application asked to commit: waiting for the batches, then for EndTxn.
    Committing,
    /// An abortable error: waiting for the batches in flight, then for EndTxn(abort).
    Aborting,
    /// Fenced by a newer epoch: it stops for good.
    Fenced,
}

#[derive(Clone, Debug)]
pub struct TxnClient {
    pub settings: TxnSettings,
    pub phase: TxnPhase,
    coordinator: Option<BrokerId>,
    /// The producer id and epoch the coordinator gave it.
    pub producer: Option<(u32, u16)>,
    /// Partitions added to the open transaction, and those being added.
    pub added: Vec<u16>,
    adding: Vec<u16>,
    /// The open transaction's first record and how many records it has.
    pub first: Option<u64>,
    pub records: u32,
    /// The request to the coordinator in flight (its generation), if any.
    outstanding: Option<u64>,
    /// The broker that request went to.
    outstanding_to: Option<BrokerId>,
    generation: u64,
    /// Which broker a FindCoordinator goes to next.
    next_broker: usize,
    /// Transactions committed and aborted (for the inspector).
    pub committed: u64,
    pub aborted: u64,
    /// sendOffsetsToTransaction: the consumed offsets the open transaction commits.
    pub offsets: Option<super::TxnOffsets>,
    /// How the last transaction ended (true: committed), until the application takes it.
    pub ended: Option<bool>,
}

impl TxnClient {
    pub fn new(settings: TxnSettings) -> TxnClient {
        TxnClient {
            settings,
            phase: TxnPhase::Initializing,
            coordinator: None,
            producer: None,
            added: vec![],
            adding: vec![],
            first: None,
            records: 0,
            outstanding: None,
            outstanding_to: None,
            generation: 0,
            next_broker: 0,
            committed: 0,
            aborted: 0,
            offsets: None,
            ended: None,
        }
    }

    /// The broker a lookup goes to next (round-robin).
    pub(super) fn next_broker(&mut self) -> usize {
        self.next_broker += 1;
        self.next_broker - 1
    }

    /// Whether the application may write a record now.
    pub fn accepting(&self) -> bool {
        self.phase == TxnPhase::Ready
    }

    /// Whether a batch for `partition` may be sent: the producer has its id and the partition
    /// is in the transaction.
    pub fn may_send(&self, partition: u16) -> bool {
        self.producer.is_some()
            && matches!(self.phase, TxnPhase::Ready | TxnPhase::Committing)
            && self.added.contains(&partition)
    }
}

impl Producer {
    fn txn_event(ctx: &mut Ctx, e: TxnEvent) {
        ctx.emit(KafkaEvent::Txn(e));
    }

    /// The application wrote record `seq` (inside the current transaction, begun if none is).
    pub(super) fn txn_record_written(&mut self, ctx: &mut Ctx, seq: u64) {
        let Some(t) = self.txn.as_mut() else { return };
        if t.first.is_none() {
            t.first = Some(seq);
            let (producer, txn) = (ctx.me, t.settings.txn);
            Self::txn_event(ctx, TxnEvent::Began { producer, txn, first: seq });
        }
        t.records += 1;
        // After its last record (`count`) the application commits what it has.
        let last = self.settings.count.is_some_and(|c| self.next_seq >= c);
        if t.records >= t.settings.records || last {
            t.phase = TxnPhase::Committing;
        }
    }

    /// The next request to the coordinator, if one is due and none is in flight.
    pub(super) fn txn_step(&mut self, ctx: &mut Ctx) {
        let idle = self.inflight.is_empty() && self.backoff.is_empty() && self.ready.values().all(|q| q.is_empty());
        let waiting: Vec<u16> = self.ready.iter().filter(|(_, q)| !q.is_empty()).map(|(&p, _)| p).collect();
        let Some(t) = self.txn.as_mut() else { return };
        if t.outstanding.is_some() || t.phase == TxnPhase::Fenced {
            return;
        }
        let txn = t.settings.txn;
        let Some(coordinator) = t.coordinator else {
            let n = self.cluster.brokers.len();
            let node = self.cluster.brokers[t.next_broker % n];
            t.next_broker += 1;
            return self.txn_request(ctx, node, TxnMsg::FindCoordinator { txn });
        };
        let Some(node) = self.cluster.broker_node(coordinator) else { return };
        let Some(producer) = t.producer else {
            let timeout = t.settings.timeout;
            return self.txn_request(ctx, node, TxnMsg::InitProducerId { txn, timeout });
        };
        let ending = match t.phase {
            TxnPhase::Committing if idle => Some(true),
            TxnPhase::Aborting if self.inflight.is_empty() => Some(false),
            _ => None,
        };
        let new: Vec<u16> = waiting.into_iter().filter(|p| !t.added.contains(p)).collect();
        if !new.is_empty() && matches!(t.phase, TxnPhase::Ready | TxnPhase::Committing) {
            let topic = self.topic;
            let partitions = new.iter().map(|&partition| Tp { topic, partition }).collect();
            t.adding = new;
            return self.txn_request(ctx, node, TxnMsg::AddPartitionsToTxn { txn, producer, partitions });
        }
        if t.phase == TxnPhase::Committing && t.offsets.as_ref().is_some_and(|o| o.stage != super::OffsetsStage::Done) {
            // sendOffsetsToTransaction is answered before commitTransaction sends EndTxn.
            return self.offsets_step(ctx, node, producer);
        }
        if let Some(commit) = ending {
            if t.added.is_empty() && !t.offsets.as_ref().is_some_and(|o| o.in_txn()) {
                // Nothing reached a partition: the transaction ends here, no EndTxn is needed.
                return self.txn_ended(ctx, commit);
            }
            self.txn_request(ctx, node, TxnMsg::EndTxn { txn, producer, commit });
        }
    }

    pub(super) fn txn_request(&mut self, ctx: &mut Ctx, node: crate::NodeId, msg: TxnMsg) {
        let Some(t) = self.txn.as_mut() else { return };
        t.generation += 1;
        t.outstanding = Some(t.generation);
        t.outstanding_to = self.cluster.broker_of(node);
        let generation = t.generation;
        send(ctx, node, KafkaMsg::Txn(msg));
        ctx.set_timer(self.settings.request_timeout, KafkaTimer::TxnStep { generation });
    }

    /// `TxnStep`: a backoff is over, or a request went unanswered (look the coordinator up again).
    pub(super) fn txn_timer(&mut self, ctx: &mut Ctx, generation: u64) {
        let Some(t) = self.txn.as_mut() else { return self.idempotent_timer(ctx, generation) };
        if t.generation != generation {
            return;
        }
        if t.outstanding.take().is_some() {
            t.coordinator = None;
            t.adding.clear();
            if let Some(o) = t.offsets.as_mut().filter(|o| o.stage == super::OffsetsStage::Commit) {
                o.stage = super::OffsetsStage::Find; // the group coordinator may have moved
            }
        }
        self.txn_step(ctx);
    }

    /// Try again after `retry.backoff.ms` (a new generation: a late answer is ignored).
    pub(super) fn txn_retry(&mut self, ctx: &mut Ctx, lost_coordinator: bool) {
        let Some(t) = self.txn.as_mut() else { return };
        t.generation += 1;
        t.outstanding = None;
        t.adding.clear();
        if lost_coordinator {
            t.coordinator = None;
        }
        let generation = t.generation;
        ctx.set_timer(self.settings.retry_backoff, KafkaTimer::TxnStep { generation });
    }

    /// Fenced (PRODUCER_FENCED, or an error saying its id is no longer valid): fatal; the
    /// application closes the producer, and everything unsent is dropped.
    pub(super) fn txn_fenced(&mut self, ctx: &mut Ctx, epoch: u16) {
        let Some(t) = self.txn.as_mut() else { return };
        if t.phase == TxnPhase::Fenced {
            return;
        }
        t.phase = TxnPhase::Fenced;
        t.outstanding = None;
        let (producer, txn) = (ctx.me, t.settings.txn);
        Self::txn_event(ctx, TxnEvent::Fenced { producer, txn, epoch });
        self.ready.clear();
        self.backoff.clear();
        self.inflight.clear();
        self.timeouts.clear();
    }

    /// An abortable error (a batch expired, INVALID_PRODUCER_EPOCH, or the consumed offsets
    /// refused): the application aborts the transaction (EndTxn(abort) once nothing is in flight).
    pub(super) fn txn_abortable(&mut self, ctx: &mut Ctx, cause: AbortableCause) {
        let Some(t) = self.txn.as_ref() else { return };
        if matches!(t.phase, TxnPhase::Ready | TxnPhase::Committing) {
            let (producer, txn) = (ctx.me, t.settings.txn);
            Self::txn_event(ctx, TxnEvent::Abortable { producer, txn, cause });
            self.txn_abort(ctx);
        }
    }

    /// The open transaction is to be aborted, on an abortable error or by the application's
    /// own `abortTransaction()`.
    pub(super) fn txn_abort(&mut self, ctx: &mut Ctx) {
        let Some(t) = self.txn.as_mut() else { return };
        if matches!(t.phase, TxnPhase::Ready | TxnPhase::Committing) {
            t.phase = TxnPhase::Aborting;
            // Unsent batches of the transaction fail with it.
            self.ready.clear();
            self.backoff.clear();
            self.txn_step(ctx);
        }
    }

    /// The transaction ended (EndTxn answered, or nothing to end): ready for the next one.
    fn txn_ended(&mut self, ctx: &mut Ctx, commit: bool) {
        let Some(t) = self.txn.as_mut() else { return };
        let first = t.first.take().unwrap_or(self.next_seq);
        let end = first + t.records as u64;
        let (producer, txn) = (ctx.me, t.settings.txn);
        if !t.added.is_empty() || t.records > 0 {
            Self::txn_event(ctx, TxnEvent::Ended { producer, txn, commit, first, end });
        }
        if commit {
            t.committed += 1;
        } else {
            t.aborted += 1;
            // KIP-360: after an abortable error the epoch is bumped (InitProducerId again) and
            // sequences start from 0.
            t.producer = None;
            self.sequences.clear();
            self.window.clear();
        }
        t.added.clear();
        t.records = 0;
        t.offsets = None;
        t.ended = Some(commit);
        t.phase = if t.producer.is_some() { TxnPhase::Ready } else { TxnPhase::Initializing };
        self.txn_step(ctx);
    }

    pub(super) fn on_txn_message(&mut self, ctx: &mut Ctx, msg: TxnMsg) {
        if let TxnMsg::IdempotentProducerIdResponse { result } = msg {
            return self.on_idempotent_id(ctx, result); // no transactional id: `idempotent.rs`
        }
        let Some(t) = self.txn.as_mut() else { return };
        if t.outstanding.is_none() {
            return; // an answer to a request given up on
        }
        t.outstanding = None;
        let fenced = |t: &TxnClient| t.producer.map_or(0, |p| p.1);
        match msg {
            TxnMsg::FindCoordinatorResponse { result: Ok(b), .. } => {
                t.coordinator = Some(b);
                self.txn_step(ctx);
            }
            TxnMsg::InitProducerIdResponse { result: Ok((id, epoch)), .. } => {
                t.producer = Some((id, epoch));
                t.phase = TxnPhase::Ready;
                self.epoch = epoch;
                self.sequences.clear();
                self.window.clear();
                let (producer, txn) = (ctx.me, t.settings.txn);
                Self::txn_event(ctx, TxnEvent::ProducerId { producer, txn, id, epoch });
                self.drain(ctx);
            }
            TxnMsg::AddPartitionsToTxnResponse { result: Ok(()), .. } => {
                let adding = std::mem::take(&mut t.adding);
                t.added.extend(adding);
                self.drain(ctx);
            }
            TxnMsg::EndTxnResponse { result: Ok(()), .. } => {
                let commit = t.phase == TxnPhase::Committing;
                self.txn_ended(ctx, commit);
            }
            TxnMsg::AddOffsetsToTxnResponse { result: Ok(()), .. } => self.offsets_added(ctx),
            TxnMsg::FindCoordinatorResponse { result: Err(e), .. }
            | TxnMsg::AddOffsetsToTxnResponse { result: Err(e), .. }
            | TxnMsg::InitProducerIdResponse { result: Err(e), .. }
            | TxnMsg::AddPartitionsToTxnResponse { result: Err(e), .. }
            | TxnMsg::EndTxnResponse { result: Err(e), .. } => match e {
                TxnError::ProducerFenced | TxnError::InvalidProducerIdMapping | TxnError::InvalidTxnState => {
                    let epoch = fenced(t);
                    self.txn_fenced(ctx, epoch)
                }
                TxnError::NotCoordinator | TxnError::CoordinatorNotAvailable => self.txn_retry(ctx, true),
                TxnError::ConcurrentTransactions | TxnError::InvalidTransactionTimeout => self.txn_retry(ctx, false),
            },
            other => self.on_offsets_message(ctx, other),
        }
    }

    /// The connection to `broker` was reset: a request to the coordinator there is lost.
    pub(super) fn txn_disconnected(&mut self, ctx: &mut Ctx, broker: BrokerId) {
        let Some(t) = self.txn.as_ref() else { return };
        let sent_there = t.outstanding.is_some() && t.outstanding_to == Some(broker);
        if t.outstanding.is_some() && t.coordinator == Some(broker) {
            self.txn_retry(ctx, true);
        } else if t.outstanding.is_some() && self.offsets_disconnected(broker) {
            self.txn_retry(ctx, false);
        } else if sent_there {
            // A FindCoordinator to a broker that is gone fails with the connection (as
            // `NetworkClient` fails it): ask another after `retry.backoff.ms`.
            self.txn_retry(ctx, false);
        }
    }

    /// The producer crashed: the application starts again with initTransactions.
    pub(super) fn txn_reset(&mut self) {
        if let Some(t) = self.txn.as_mut() {
            **t = TxnClient { next_broker: t.next_broker, ..TxnClient::new(t.settings) };
        }
    }
}
