//! An idempotent producer's producer id, without a transactional id. A new instance of the
//! application — a restart after a crash — is a new `KafkaProducer`: before its first batch it
//! sends InitProducerId with no transactional id to a broker (the least loaded node; any broker
//! answers), gets a fresh producer id with epoch 0 (`ProducerIdManager`, see the broker's
//! `producer_ids`) and numbers its sequences from 0. The partitions have never seen that id, so
//! its first batch, sequence 0, is accepted — where the old id at sequence 0 would be refused
//! OUT_OF_ORDER_SEQUENCE_NUMBER by a leader that remembers its later sequences. No batch is sent
//! until the id is there (`Sender` waits for `TransactionManager.hasProducerId`); a request
//! unanswered within `request.timeout.ms`, refused, or lost with its connection goes to the next
//! broker after `retry.backoff.ms`.
//!
//! The records a crashed instance had not had acknowledged are gone with its memory: the model's
//! application does not write them again (the next record number follows the last one it made),
//! so each of them is in the log once if a leader wrote it before the crash, and lost otherwise.
//!
//! Simplified (said in the docs): the first instance of a producer sends no InitProducerId; its
//! id is its node number + 1, with epoch 0.

use super::Producer;
use crate::kafka::clients::send;
use crate::kafka::msg::{KafkaEvent, KafkaMsg};
use crate::kafka::partition::BrokerId;
use crate::kafka::txn::coordinator::TxnError;
use crate::kafka::txn::msg::TxnMsg;
use crate::kafka::{Ctx, KafkaTimer};
use crate::NodeId;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdempotentId {
    /// The id a broker gave this instance (none for the first instance: its node number + 1).
    pub given: Option<u32>,
    /// Every id brokers gave its instances, oldest first (their records carry them).
    pub all_given: Vec<u32>,
    /// A restarted instance waiting for its InitProducerId answer: no batch goes meanwhile.
    pub asking: bool,
    /// The broker the request in flight went to.
    outstanding: Option<BrokerId>,
    generation: u64,
    /// Which broker the next request goes to.
    next_broker: usize,
}

impl Producer {
    /// The producer id this instance's batches carry without a transactional id.
    pub fn idempotent_id(&self, me: NodeId) -> u32 {
        self.idempotence.given.unwrap_or(me.0 + 1)
    }

    /// Whether this producer's records may carry `id`: its first instance's, or one a broker gave.
    pub fn had_producer_id(&self, me: NodeId, id: u32) -> bool {
        id == me.0 + 1 || self.idempotence.all_given.contains(&id)
    }

    /// The producer crashed: the next instance asks for a new producer id.
    pub(super) fn idempotent_restart(&mut self) {
        if self.txn.is_some() || !self.settings.idempotent {
            return;
        }
        let i = &mut self.idempotence;
        i.given = None;
        i.asking = true;
        i.outstanding = None;
        i.generation += 1; // a late answer or timer of the old instance is ignored
        self.epoch = 0;
    }

    /// Sends InitProducerId if this instance waits for an id and none is in flight.
    pub(super) fn idempotent_step(&mut self, ctx: &mut Ctx) {
        let i = &mut self.idempotence;
        if !i.asking || i.outstanding.is_some() {
            return;
        }
        let node = self.cluster.brokers[(ctx.me.index() + i.next_broker) % self.cluster.brokers.len()];
        i.generation += 1;
        i.outstanding = self.cluster.broker_of(node);
        let generation = i.generation;
        send(ctx, node, KafkaMsg::Txn(TxnMsg::IdempotentProducerId));
        ctx.set_timer(self.settings.request_timeout, KafkaTimer::TxnStep { generation });
    }

    /// Its InitProducerId answer.
    pub(super) fn on_idempotent_id(&mut self, ctx: &mut Ctx, result: Result<(u32, u16), TxnError>) {
        if self.idempotence.outstanding.is_none() {
            return; // an answer to a request given up on
        }
        match result {
            Ok((id, epoch)) => {
                let i = &mut self.idempotence;
                i.outstanding = None;
                i.asking = false;
                i.given = Some(id);
                i.all_given.push(id);
                self.epoch = epoch;
                self.sequences.clear();
                self.window.clear();
                ctx.emit(KafkaEvent::ProducerIdAssigned { producer: ctx.me, id, epoch });
                self.drain(ctx);
            }
            Err(_) => self.idempotent_retry(ctx),
        }
    }

    /// `TxnStep` without a transactional id: the backoff is over, or the request went unanswered.
    pub(super) fn idempotent_timer(&mut self, ctx: &mut Ctx, generation: u64) {
        let i = &mut self.idempotence;
        if i.generation != generation {
            return;
        }
        if i.outstanding.take().is_some() {
            i.next_broker += 1;
        }
        self.idempotent_step(ctx);
    }

    /// The connection to `broker` was reset: a request to it is lost.
    pub(super) fn idempotent_disconnected(&mut self, ctx: &mut Ctx, broker: BrokerId) {
        if self.idempotence.outstanding == Some(broker) {
            self.idempotent_retry(ctx);
        }
    }

    /// The next broker, after `retry.backoff.ms` (a new generation: a late answer is ignored).
    fn idempotent_retry(&mut self, ctx: &mut Ctx) {
        let i = &mut self.idempotence;
        i.outstanding = None;
        i.next_broker += 1;
        i.generation += 1;
        let generation = i.generation;
        ctx.set_timer(self.settings.retry_backoff, KafkaTimer::TxnStep { generation });
    }
}
