//! The producer as an application drives it (a processor's `send`, `flush`,
//! `sendOffsetsToTransaction` and `commitTransaction`), instead of writing its own record every
//! `interval`.

use super::{Producer, Rec, TxnOffsets, TxnPhase};
use crate::kafka::Ctx;

impl Producer {
    /// Records come from the application only.
    pub fn with_app(mut self) -> Producer {
        self.app = true;
        if let Some(t) = self.txn.as_mut() {
            // The application decides when a transaction ends.
            t.settings.records = u32::MAX;
        }
        self
    }

    /// Whether `send` would take a record now (a transactional producer has its producer id and
    /// no transaction ending).
    pub fn accepting(&self) -> bool {
        self.txn.as_ref().is_none_or(|t| t.accepting())
    }

    /// `send(record)`: false if the producer cannot take it now.
    pub fn send(&mut self, ctx: &mut Ctx, key: Option<u32>, value: u64) -> bool {
        if !self.accepting() {
            return false;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.txn_record_written(ctx, seq);
        let partition = self.partition_for(ctx, key);
        self.add(ctx, partition, Rec { seq, value, key, created: ctx.now });
        true
    }

    /// Nothing waiting, backing off or in flight: every record sent is acknowledged (or failed).
    pub fn flushed(&self) -> bool {
        self.inflight.is_empty() && self.backoff.is_empty() && self.ready.values().all(|q| q.is_empty())
    }

    /// `sendOffsetsToTransaction` (if `offsets`) and `commitTransaction`: the transaction ends once
    /// every record is acknowledged and the offsets are written; `take_ended` then says how.
    pub fn commit_transaction(&mut self, ctx: &mut Ctx, offsets: Option<TxnOffsets>) {
        let Some(t) = self.txn.as_mut() else { return };
        if t.phase != TxnPhase::Ready {
            return;
        }
        t.offsets = offsets;
        t.phase = TxnPhase::Committing;
        self.drain(ctx);
    }

    /// `abortTransaction()`: what was written in the open transaction is aborted (EndTxn(abort)
    /// once nothing is in flight).
    pub fn abort_transaction(&mut self, ctx: &mut Ctx) {
        self.txn_abort(ctx);
    }

    /// How the last transaction ended (true: committed), once.
    pub fn take_ended(&mut self) -> Option<bool> {
        self.txn.as_mut().and_then(|t| t.ended.take())
    }

    /// Whether the transaction manager is fenced (a fatal error: the application must create a
    /// new producer).
    pub fn fenced(&self) -> bool {
        self.txn.as_ref().is_some_and(|t| t.phase == TxnPhase::Fenced)
    }

    /// A new producer with the same transactional id, as an application does after a fatal
    /// error: initTransactions again (the coordinator bumps the epoch).
    pub fn renew(&mut self, ctx: &mut Ctx) {
        self.on_crash();
        self.on_start(ctx);
    }
}
