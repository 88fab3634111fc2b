//! `sendOffsetsToTransaction(offsets, groupMetadata)` in the transaction manager (Kafka's
//! `TransactionManager` with `AddOffsetsToTxnHandler` and `TxnOffsetCommitHandler`): once the
//! application has asked to commit, AddOffsetsToTxn to the transaction coordinator (the group's
//! `__consumer_offsets` partition joins the transaction), then FindCoordinator for the group and
//! TxnOffsetCommit to the group coordinator with the consumer's generation, member id and
//! instance id (KIP-447); EndTxn goes only after it is answered. Errors as Kafka handles them:
//! UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and FENCED_INSTANCE_ID abort the transaction (a
//! `CommitFailedException`: the member lost its partitions); INVALID_PRODUCER_EPOCH is fatal;
//! coordinator errors look the group coordinator up again and retry.

use super::Producer;
use crate::kafka::msg::KafkaEvent;
use crate::kafka::partition::{BrokerId, Error};
use crate::kafka::txn::event::AbortableCause;
use crate::kafka::txn::event::TxnEvent;
use crate::kafka::txn::msg::{TxnMsg, TxnOffsetCommitRequest};
use crate::kafka::txn::offsets::partition_set;
use crate::kafka::Ctx;
use crate::NodeId;

/// The consumer's `groupMetadata()`: what KIP-447's fencing checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMeta {
    pub group: u8,
    pub generation: u32,
    pub member: String,
    pub instance: Option<String>,
}

/// Where sendOffsetsToTransaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OffsetsStage {
    /// AddOffsetsToTxn to send.
    Add,
    /// The group's partition is in the transaction; the group coordinator to find.
    Find,
    /// TxnOffsetCommit to send to the group coordinator.
    Commit,
    /// Written by the group coordinator: pending there until the transaction's marker.
    Done,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnOffsets {
    pub meta: GroupMeta,
    pub offsets: Vec<(u16, u64)>,
    pub stage: OffsetsStage,
    coordinator: Option<BrokerId>,
}

impl TxnOffsets {
    pub fn new(meta: GroupMeta, offsets: Vec<(u16, u64)>) -> TxnOffsets {
        TxnOffsets { meta, offsets, stage: OffsetsStage::Add, coordinator: None }
    }

    /// Whether the group's partition is in the transaction (so EndTxn is needed, and writes a
    /// marker there).
    pub fn in_txn(&self) -> bool {
        self.stage != OffsetsStage::Add
    }
}

impl Producer {
    /// The next request of sendOffsetsToTransaction (`node` is the transaction coordinator).
    pub(super) fn offsets_step(&mut self, ctx: &mut Ctx, node: NodeId, producer: (u32, u16)) {
        let Some(t) = self.txn.as_mut() else { return };
        let Some(stage) = t.offsets.as_ref().map(|o| o.stage) else { return };
        if stage == OffsetsStage::Find {
            let n = self.cluster.brokers.len();
            let to = self.cluster.brokers[t.next_broker() % n];
            let (txn, group) = (t.settings.txn, t.offsets.as_ref().map_or(0, |o| o.meta.group));
            return self.txn_request(ctx, to, TxnMsg::FindGroupCoordinator { txn, group });
        }
        let Some(o) = t.offsets.as_ref() else { return };
        let (txn, group) = (t.settings.txn, o.meta.group);
        let msg = match o.stage {
            OffsetsStage::Add => TxnMsg::AddOffsetsToTxn { txn, producer, group },
            OffsetsStage::Find => return,
            OffsetsStage::Commit => {
                let Some(to) = o.coordinator.and_then(|b| self.cluster.broker_node(b)) else { return };
                let m = o.meta.clone();
                let offsets = o.offsets.clone();
                let (generation, member, instance) = (m.generation, m.member, m.instance);
                let commit = TxnOffsetCommitRequest { txn, producer, group, generation, member, instance, offsets };
                let msg = TxnMsg::TxnOffsetCommit(Box::new(commit));
                return self.txn_request(ctx, to, msg);
            }
            OffsetsStage::Done => return,
        };
        self.txn_request(ctx, node, msg);
    }

    /// AddOffsetsToTxn answered.
    pub(super) fn offsets_added(&mut self, ctx: &mut Ctx) {
        let Some(t) = self.txn.as_mut() else { return };
        let Some(o) = t.offsets.as_mut() else { return };
        o.stage = OffsetsStage::Find;
        let (producer, txn, group) = (ctx.me, t.settings.txn, o.meta.group);
        ctx.emit(KafkaEvent::Txn(TxnEvent::OffsetsAdded { producer, txn, group }));
        self.txn_step(ctx);
    }

    /// The answers to FindCoordinator(GROUP) and TxnOffsetCommit.
    pub(super) fn on_offsets_message(&mut self, ctx: &mut Ctx, msg: TxnMsg) {
        let Some(t) = self.txn.as_mut() else { return };
        let Some(o) = t.offsets.as_mut() else { return };
        match msg {
            TxnMsg::FindGroupCoordinatorResponse { result: Ok(b), .. } if o.stage == OffsetsStage::Find => {
                o.coordinator = Some(b);
                o.stage = OffsetsStage::Commit;
                self.txn_step(ctx);
            }
            TxnMsg::FindGroupCoordinatorResponse { result: Err(_), .. } => self.txn_retry(ctx, false),
            TxnMsg::TxnOffsetCommitResponse { result: Ok(_), .. } if o.stage == OffsetsStage::Commit => {
                o.stage = OffsetsStage::Done;
                let (producer, txn, group, partitions) =
                    (ctx.me, t.settings.txn, o.meta.group, partition_set(&o.offsets));
                ctx.emit(KafkaEvent::Txn(TxnEvent::OffsetsPending { producer, txn, group, partitions }));
                self.txn_step(ctx);
            }
            TxnMsg::TxnOffsetCommitResponse { result: Err(e), .. } => match e {
                Error::UnknownMemberId | Error::IllegalGeneration | Error::FencedInstanceId => {
                    // CommitFailedException: abortable. The application aborts and starts again
                    // from the group's committed offsets.
                    t.phase = super::TxnPhase::Ready;
                    self.txn_abortable(ctx, AbortableCause::CommitFailed);
                }
                Error::InvalidProducerEpoch => self.txn_fenced(ctx, self.epoch),
                Error::NotCoordinator | Error::CoordinatorNotAvailable | Error::RequestTimedOut => {
                    o.stage = OffsetsStage::Find;
                    o.coordinator = None;
                    self.txn_retry(ctx, false);
                }
                _ => self.txn_retry(ctx, false),
            },
            _ => {}
        }
    }

    /// The connection to `broker` was reset: a TxnOffsetCommit in flight there is lost.
    pub(super) fn offsets_disconnected(&mut self, broker: BrokerId) -> bool {
        let Some(o) = self.txn.as_mut().and_then(|t| t.offsets.as_mut()) else { return false };
        if o.stage == OffsetsStage::Commit && o.coordinator == Some(broker) {
            o.stage = OffsetsStage::Find;
            o.coordinator = None;
            return true;
        }
        false
    }
}
