//! The broker as group coordinator of transactional offset commits (KIP-98, KIP-447):
//! - TxnOffsetCommit is checked like an OffsetCommit (the member's generation and id, its
//!   `group.instance.id`: a member that lost its partitions in a rebalance is refused, which
//!   aborts its transaction), then written to the group's `__consumer_offsets` partition as the
//!   producer's transactional records with acks=all (`GroupMetadataManager.storeOffsets` with a
//!   producer id and epoch: a fenced epoch is refused there); once replicated the offsets are
//!   pending in the group and the producer hears;
//! - when the transaction's COMMIT or ABORT marker is replicated in that partition
//!   (`KafkaApis.handleWriteTxnMarkersRequest` → `GroupCoordinator.onTransactionCompleted`), the
//!   pending offsets become the group's committed offsets, or are dropped.

use super::replica_manager::Waiter;
use super::Broker;
use crate::kafka::clients::{emit, send};
use crate::kafka::group::offset_key;
use crate::kafka::msg::{KafkaEvent, KafkaMsg, Tp};
use crate::kafka::partition::{Acks, Error};
use crate::kafka::txn::event::TxnEvent;
use crate::kafka::txn::msg::TxnMsg;
use crate::kafka::txn::offsets::partition_set;
use crate::kafka::Ctx;
use crate::NodeId;

/// The size of one offset record in `__consumer_offsets` (as `group_host` writes them).
const OFFSET_RECORD_BYTES: u32 = 100;

/// What a TxnOffsetCommit asks to commit.
pub(crate) struct TxnCommit {
    pub txn: u8,
    pub producer: (u32, u16),
    pub group: u8,
    pub offsets: Vec<(u16, u64)>,
}

impl Broker {
    pub(super) fn txn_offset_commit(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        c: TxnCommit,
        (generation, member, instance): (u32, &str, Option<&str>),
    ) {
        let answer = |result| KafkaMsg::Txn(TxnMsg::TxnOffsetCommitResponse { txn: c.txn, result });
        let Some(g) = self.groups.get(&c.group) else { return send(ctx, from, answer(Err(Error::NotCoordinator))) };
        if let Err(e) = g.check_commit(generation, member, instance) {
            return send(ctx, from, answer(Err(e)));
        }
        let Some(tp) = self.cluster.offsets_tp(c.group) else { return };
        let (pid, epoch) = c.producer;
        let seq = self.replicas.get(&tp).map_or(0, |r| r.producers.next_seq(pid, epoch));
        let records: Vec<(Option<u32>, u64)> =
            c.offsets.iter().map(|&(p, o)| (Some(offset_key(c.group, p)), o)).collect();
        let waiter = Waiter::Commit { client: from, group: c.group, offsets: c.offsets, txn: Some((c.txn, pid)) };
        self.append(ctx, tp, Acks::All, (Some((pid, epoch, seq)), OFFSET_RECORD_BYTES, true), &records, waiter);
    }

    /// A TxnOffsetCommit's append completed (or failed): the offsets are pending in the group
    /// until the transaction's marker, and the producer hears.
    pub(super) fn txn_offsets_written(
        &mut self,
        ctx: &mut Ctx,
        client: NodeId,
        (group, (txn, producer)): (u8, (u8, u32)),
        offsets: Vec<(u16, u64)>,
        append: Result<u64, Error>,
    ) {
        let result = match append {
            Ok(_) => match self.groups.get_mut(&group) {
                Some(g) => {
                    g.txn_offsets.add(producer, &offsets);
                    Ok(offsets)
                }
                None => Err(Error::NotCoordinator),
            },
            Err(Error::InvalidProducerEpoch) => Err(Error::InvalidProducerEpoch),
            Err(Error::NotEnoughReplicas) => Err(Error::CoordinatorNotAvailable),
            Err(Error::RequestTimedOut) => Err(Error::RequestTimedOut),
            Err(_) => Err(Error::NotCoordinator),
        };
        send(ctx, client, KafkaMsg::Txn(TxnMsg::TxnOffsetCommitResponse { txn, result }));
    }

    /// A marker of `producer` is replicated in `tp`: if it is a `__consumer_offsets` partition,
    /// the groups it holds complete that producer's pending offsets.
    pub(super) fn offsets_marker_written(&mut self, ctx: &mut Ctx, tp: Tp, producer: u32, commit: bool) {
        if Some(tp.topic) != self.cluster.offsets_topic {
            return;
        }
        let me = self.id;
        let cluster = self.cluster.clone();
        for (&group, g) in self.groups.iter_mut() {
            if cluster.offsets_tp(group) != Some(tp) {
                continue;
            }
            let had = g.txn_offsets.producers().any(|(p, _)| p == producer);
            let done = g.txn_offsets.complete(producer, commit);
            for &(p, o) in &done {
                g.offsets.insert(p, o);
            }
            if had {
                let partitions = partition_set(&done);
                let e = TxnEvent::OffsetsCompleted { broker: me, group, producer_id: producer, commit, partitions };
                emit(ctx, KafkaEvent::Txn(e));
            }
        }
    }
}
