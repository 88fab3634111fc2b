//! The broker's `ProducerIdManager`: producer ids for idempotent producers. InitProducerId
//! without a transactional id may go to any broker (`TransactionCoordinator.handleInitProducerId`
//! with a null id answers `producerIdManager.generateProducerId()` and epoch 0, writing nothing);
//! the broker hands out the ids of a block of 1 000 it holds (`ProducerIdsBlock`) and takes the
//! next block when that one is used up. A restarted broker takes a new block: the ids of its
//! old block are never handed out again.
//!
//! Simplified (said in the docs): Kafka takes each block from ZooKeeper
//! (`/latest_producer_id_block`, ZooKeeper mode) or from the controller (AllocateProducerIds,
//! KRaft), the next one cluster-wide, with a round trip; here broker `b`'s `k`-th block is the
//! `(k × brokers + b − 1)`-th, taken with no request, and the count of blocks it took outlives its
//! crash as the cluster's record of them does. Transactional ids keep their fixed producer ids
//! (`txn_host::TXN_PRODUCER_ID_BASE`), below these blocks.

use super::Broker;
use crate::kafka::clients::send;
use crate::kafka::msg::KafkaMsg;
use crate::kafka::partition::BrokerId;
use crate::kafka::txn::msg::TxnMsg;
use crate::kafka::Ctx;
use crate::NodeId;

/// Ids in a block (`ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`).
pub const BLOCK_SIZE: u32 = 1_000;
/// The first id of the first block (above the transactional ids' fixed ones).
pub const FIRST_ID: u32 = 100_000;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProducerIds {
    /// Blocks this broker has taken, over its restarts.
    blocks_taken: u32,
    /// The block in hand: the next id and the end of the block.
    current: Option<(u32, u32)>,
}

impl ProducerIds {
    /// `generateProducerId`: the next id of the block in hand, taking a new block first if none
    /// is in hand or it is used up.
    pub fn generate(&mut self, broker: BrokerId, brokers: u32) -> u32 {
        let (next, end) = match self.current {
            Some((next, end)) if next < end => (next, end),
            _ => {
                let block = self.blocks_taken * brokers + broker.saturating_sub(1);
                self.blocks_taken += 1;
                let start = FIRST_ID + block * BLOCK_SIZE;
                (start, start + BLOCK_SIZE)
            }
        };
        self.current = Some((next + 1, end));
        next
    }

    /// The process died: the block in hand is lost with its memory.
    pub fn on_crash(&mut self) {
        self.current = None;
    }
}

impl Broker {
    /// InitProducerId from an idempotent producer: a new producer id, epoch 0.
    pub(super) fn init_idempotent_producer(&mut self, ctx: &mut Ctx, from: NodeId) {
        let id = self.producer_ids.generate(self.id, self.cluster.brokers.len() as u32);
        send(ctx, from, KafkaMsg::Txn(TxnMsg::IdempotentProducerIdResponse { result: Ok((id, 0)) }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_across_brokers_blocks_and_restarts() {
        let (mut b1, mut b2) = (ProducerIds::default(), ProducerIds::default());
        assert_eq!(b1.generate(1, 3), FIRST_ID);
        assert_eq!(b1.generate(1, 3), FIRST_ID + 1);
        assert_eq!(b2.generate(2, 3), FIRST_ID + BLOCK_SIZE, "broker 2's first block is the second");
        // A restarted broker takes a new block: broker 1's second is the fourth of the cluster.
        b1.on_crash();
        assert_eq!(b1.generate(1, 3), FIRST_ID + 3 * BLOCK_SIZE);
        // A used-up block is followed by the broker's next one.
        let mut seen = vec![];
        for _ in 0..2 * BLOCK_SIZE {
            seen.push(b2.generate(2, 3));
        }
        assert_eq!(seen[BLOCK_SIZE as usize - 2], FIRST_ID + 2 * BLOCK_SIZE - 1);
        assert_eq!(seen[BLOCK_SIZE as usize - 1], FIRST_ID + 4 * BLOCK_SIZE);
        let mut all = seen.clone();
        all.extend([FIRST_ID, FIRST_ID + 1, FIRST_ID + 3 * BLOCK_SIZE]);
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), seen.len() + 3, "no id handed out twice");
    }
}
