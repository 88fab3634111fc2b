//! One transactional id as its transaction coordinator keeps it (Kafka's `TransactionMetadata`,
//! with the checks of `TransactionCoordinator`): producer id and epoch, the state of its current
//! transaction and the partitions in it. Every change is first prepared (the metadata then has a
//! pending transition, and a concurrent request is answered CONCURRENT_TRANSACTIONS), written to
//! the id's `__transaction_state` partition, and takes effect when that write is replicated
//! (`complete`), or is dropped if it fails (`abandon`).
//!
//! The states and their moves, as `TransactionMetadata.TxnState` allows them:
//! Empty / CompleteCommit / CompleteAbort → Ongoing (AddPartitionsToTxn) → PrepareCommit or
//! PrepareAbort (EndTxn, or the coordinator aborting a transaction past its timeout) → the
//! markers are written to every partition → CompleteCommit / CompleteAbort.
//! InitProducerId bumps the epoch, which fences an older instance of the same transactional id;
//! if that instance left a transaction open, it is aborted first (under the bumped epoch) and the
//! new instance is told CONCURRENT_TRANSACTIONS, so it asks again once the abort is complete.

use crate::kafka::msg::Tp;
use crate::time::Time;

/// The state of a transactional id's transaction (`TransactionState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnState {
    Empty,
    Ongoing,
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
}

impl TxnState {
    pub fn name(self) -> &'static str {
        match self {
            TxnState::Empty => "Empty",
            TxnState::Ongoing => "Ongoing",
            TxnState::PrepareCommit => "PrepareCommit",
            TxnState::PrepareAbort => "PrepareAbort",
            TxnState::CompleteCommit => "CompleteCommit",
            TxnState::CompleteAbort => "CompleteAbort",
        }
    }
}

/// What the coordinator answers a transactional producer with, besides success (Kafka's error
/// codes of the transaction APIs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnError {
    /// A newer instance (or the coordinator's timeout) bumped the epoch: this producer is fenced.
    ProducerFenced,
    /// A transition is under way (a write to `__transaction_state`, or markers being written).
    ConcurrentTransactions,
    /// A request that does not fit the transaction's state (EndTxn with nothing begun, or commit
    /// asked while it is aborting).
    InvalidTxnState,
    /// The producer id is not the transactional id's.
    InvalidProducerIdMapping,
    /// `transaction.timeout.ms` above the broker's `transaction.max.timeout.ms`.
    InvalidTransactionTimeout,
    /// This broker does not (or no longer) lead the id's `__transaction_state` partition.
    NotCoordinator,
    /// Its write to `__transaction_state` could not be replicated (COORDINATOR_NOT_AVAILABLE).
    CoordinatorNotAvailable,
}

/// One entry of `__transaction_state` (`TransactionLogValue`): what a new coordinator reads back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnEntry {
    pub producer_id: u32,
    pub epoch: u16,
    pub timeout: Time,
    pub state: TxnState,
    /// The partitions in the transaction, in the order they were added.
    pub partitions: Vec<Tp>,
    /// When the transaction began (its first AddPartitionsToTxn).
    pub start: Time,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnMetadata {
    pub current: TxnEntry,
    /// The transition being written to `__transaction_state`.
    pub pending: Option<TxnEntry>,
}

/// What an EndTxn asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndTxn {
    /// Write this transition (PrepareCommit / PrepareAbort), then the markers.
    Write,
    /// A retry of an EndTxn already done: answer success.
    Done,
}

impl TxnMetadata {
    /// A transactional id's first InitProducerId: a new producer id at epoch 0, Empty. The entry
    /// is pending until written.
    pub fn new(producer_id: u32, timeout: Time, now: Time) -> TxnMetadata {
        let blank = TxnEntry { producer_id, epoch: 0, timeout, state: TxnState::Empty, partitions: vec![], start: now };
        TxnMetadata { current: blank.clone(), pending: Some(blank) }
    }

    /// A new coordinator loaded the id from `__transaction_state`.
    pub fn loaded(entry: TxnEntry) -> TxnMetadata {
        TxnMetadata { current: entry, pending: None }
    }

    pub fn state(&self) -> TxnState {
        self.current.state
    }

    fn prepare(&mut self, next: TxnEntry) -> TxnEntry {
        self.pending = Some(next.clone());
        next
    }

    /// InitProducerId of a known transactional id: `Ok(entry)` is the epoch bump to write, after
    /// which the producer gets that epoch; `Err((error, abort))` refuses it, and `abort` is the
    /// PrepareAbort of the open transaction (fenced under a bumped epoch) to write first.
    pub fn init_producer_id(&mut self, timeout: Time) -> Result<TxnEntry, (TxnError, Option<TxnEntry>)> {
        if self.pending.is_some() {
            return Err((TxnError::ConcurrentTransactions, None));
        }
        let c = &self.current;
        match c.state {
            TxnState::PrepareCommit | TxnState::PrepareAbort => Err((TxnError::ConcurrentTransactions, None)),
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort => {
                let next = TxnEntry { epoch: c.epoch.wrapping_add(1), timeout, partitions: vec![], ..c.clone() };
                Ok(self.prepare(TxnEntry { state: TxnState::Empty, ..next }))
            }
            TxnState::Ongoing => {
                // `prepareFenceProducerEpoch`, then `endTransaction(ABORT)` with the bumped epoch.
                let abort = self.fence_and_abort();
                Err((TxnError::ConcurrentTransactions, Some(abort)))
            }
        }
    }

    fn fence_and_abort(&mut self) -> TxnEntry {
        let c = &self.current;
        let next = TxnEntry { epoch: c.epoch.wrapping_add(1), state: TxnState::PrepareAbort, ..c.clone() };
        self.prepare(next)
    }

    /// The producer's id and epoch as the coordinator checks them on AddPartitionsToTxn / EndTxn.
    fn check_producer(&self, producer_id: u32, epoch: u16) -> Result<(), TxnError> {
        if producer_id != self.current.producer_id {
            return Err(TxnError::InvalidProducerIdMapping);
        }
        if epoch != self.current.epoch {
            return Err(TxnError::ProducerFenced);
        }
        if self.pending.is_some() {
            return Err(TxnError::ConcurrentTransactions);
        }
        Ok(())
    }

    /// AddPartitionsToTxn: `Ok(None)` if they are all in the open transaction already (answered at
    /// once), else the Ongoing entry to write (the transaction begins now if none was open).
    pub fn add_partitions(
        &mut self,
        producer_id: u32,
        epoch: u16,
        partitions: &[Tp],
        now: Time,
    ) -> Result<Option<TxnEntry>, TxnError> {
        self.check_producer(producer_id, epoch)?;
        let c = &self.current;
        match c.state {
            TxnState::PrepareCommit | TxnState::PrepareAbort => Err(TxnError::ConcurrentTransactions),
            TxnState::Ongoing if partitions.iter().all(|p| c.partitions.contains(p)) => Ok(None),
            state => {
                let start = if state == TxnState::Ongoing { c.start } else { now };
                let mut all = c.partitions.clone();
                all.extend(partitions.iter().filter(|p| !c.partitions.contains(p)));
                let next = TxnEntry { state: TxnState::Ongoing, partitions: all, start, ..c.clone() };
                Ok(Some(self.prepare(next)))
            }
        }
    }

    /// EndTxn(commit or abort) from the producer.
    pub fn end_txn(&mut self, producer_id: u32, epoch: u16, commit: bool) -> Result<(EndTxn, TxnEntry), TxnError> {
        self.check_producer(producer_id, epoch)?;
        let c = &self.current;
        let done = |c: &TxnEntry| Ok((EndTxn::Done, c.clone()));
        match (c.state, commit) {
            (TxnState::Ongoing, _) => {
                let state = if commit { TxnState::PrepareCommit } else { TxnState::PrepareAbort };
                let next = TxnEntry { state, ..c.clone() };
                Ok((EndTxn::Write, self.prepare(next)))
            }
            (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) => done(c),
            (TxnState::PrepareCommit, true) | (TxnState::PrepareAbort, false) => Err(TxnError::ConcurrentTransactions),
            _ => Err(TxnError::InvalidTxnState),
        }
    }

    /// The coordinator's periodic check (`abortTimedOutTransactions`): an Ongoing transaction
    /// begun more than its `transaction.timeout.ms` ago is aborted under a bumped epoch, which
    /// fences the producer that left it open (KIP-360's fencing of a timed-out producer).
    pub fn time_out(&mut self, now: Time) -> Option<TxnEntry> {
        let c = &self.current;
        let late = c.state == TxnState::Ongoing && self.pending.is_none() && now >= c.start + c.timeout;
        late.then(|| self.fence_and_abort())
    }

    /// Every partition has its marker: CompleteCommit / CompleteAbort, with no partitions
    /// (`TransactionMarkerChannelManager` then writes it). `None` unless a Prepare state is current.
    pub fn markers_written(&mut self, now: Time) -> Option<TxnEntry> {
        let c = &self.current;
        let state = match c.state {
            TxnState::PrepareCommit => TxnState::CompleteCommit,
            TxnState::PrepareAbort => TxnState::CompleteAbort,
            _ => return None,
        };
        if self.pending.is_some() {
            return None;
        }
        let next = TxnEntry { state, partitions: vec![], start: now, ..c.clone() };
        Some(self.prepare(next))
    }

    /// The pending transition is replicated in `__transaction_state`: it is now the state.
    pub fn complete(&mut self) {
        if let Some(next) = self.pending.take() {
            self.current = next;
        }
    }

    /// The write of the pending transition failed: nothing changes (the client retries).
    pub fn abandon(&mut self) {
        self.pending = None;
    }

    /// What markers a coordinator must (re)send for this id: when it has loaded the id in a
    /// Prepare state, or its transition to one is complete. `(commit, partitions)`.
    pub fn markers_due(&self) -> Option<(bool, &[Tp])> {
        match self.current.state {
            TxnState::PrepareCommit => Some((true, &self.current.partitions)),
            TxnState::PrepareAbort => Some((false, &self.current.partitions)),
            _ => None,
        }
    }
}

/// Reads `__transaction_state` back (`TransactionStateManager.loadTransactionsForTxnTopicPartition`):
/// the last entry of each transactional id, in the partition's order.
pub fn load<'a>(entries: impl Iterator<Item = (&'a str, &'a TxnEntry)>) -> Vec<(String, TxnMetadata)> {
    let mut out: Vec<(String, TxnMetadata)> = vec![];
    for (id, entry) in entries {
        match out.iter_mut().find(|(known, _)| known == id) {
            Some((_, m)) => *m = TxnMetadata::loaded(entry.clone()),
            None => out.push((id.to_string(), TxnMetadata::loaded(entry.clone()))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TP: Tp = Tp { topic: 0, partition: 0 };
    const TP1: Tp = Tp { topic: 0, partition: 1 };
    const TIMEOUT: Time = Time::secs(60);

    fn ready() -> TxnMetadata {
        let mut m = TxnMetadata::new(7, TIMEOUT, Time::ZERO);
        m.complete();
        m
    }

    #[test]
    fn a_transaction_goes_through_kafkas_states_and_a_retried_end_is_answered() {
        let mut m = ready();
        assert_eq!((m.current.epoch, m.state()), (0, TxnState::Empty));
        assert_eq!(m.end_txn(7, 0, true), Err(TxnError::InvalidTxnState), "nothing begun");
        let add = m.add_partitions(7, 0, &[TP], Time::secs(1)).unwrap().unwrap();
        assert_eq!((add.state, add.start), (TxnState::Ongoing, Time::secs(1)));
        assert_eq!(m.add_partitions(7, 0, &[TP1], Time::secs(1)), Err(TxnError::ConcurrentTransactions));
        m.complete();
        assert_eq!(m.add_partitions(7, 0, &[TP], Time::secs(2)), Ok(None), "already in");
        let more = m.add_partitions(7, 0, &[TP1, TP], Time::secs(2)).unwrap().unwrap();
        assert_eq!((more.partitions, more.start), (vec![TP, TP1], Time::secs(1)));
        m.complete();
        let (what, prepare) = m.end_txn(7, 0, true).unwrap();
        assert_eq!((what, prepare.state), (EndTxn::Write, TxnState::PrepareCommit));
        assert_eq!(m.markers_written(Time::secs(3)), None, "the prepare is not written yet");
        m.complete();
        assert_eq!(m.markers_due(), Some((true, &[TP, TP1][..])));
        assert_eq!(m.end_txn(7, 0, true), Err(TxnError::ConcurrentTransactions), "markers on their way");
        assert_eq!(m.end_txn(7, 0, false), Err(TxnError::InvalidTxnState), "abort while committing");
        let done = m.markers_written(Time::secs(3)).unwrap();
        assert_eq!((done.state, done.partitions.len()), (TxnState::CompleteCommit, 0));
        m.complete();
        assert_eq!(m.end_txn(7, 0, true).map(|(w, _)| w), Ok(EndTxn::Done), "a retried commit");
    }

    #[test]
    fn a_new_instance_fences_the_old_one_and_aborts_what_it_left_open() {
        let mut m = ready();
        m.add_partitions(7, 0, &[TP], Time::ZERO).unwrap();
        m.complete();
        let (error, abort) = m.init_producer_id(TIMEOUT).unwrap_err();
        let abort = abort.expect("the open transaction is aborted first");
        assert_eq!((error, abort.state, abort.epoch), (TxnError::ConcurrentTransactions, TxnState::PrepareAbort, 1));
        m.complete();
        assert_eq!(m.end_txn(7, 0, true), Err(TxnError::ProducerFenced), "the zombie cannot commit");
        assert_eq!(m.add_partitions(7, 0, &[TP1], Time::ZERO), Err(TxnError::ProducerFenced));
        assert_eq!(m.init_producer_id(TIMEOUT), Err((TxnError::ConcurrentTransactions, None)), "markers first");
        m.markers_written(Time::ZERO).unwrap();
        m.complete();
        assert_eq!(m.state(), TxnState::CompleteAbort);
        let fresh = m.init_producer_id(TIMEOUT).unwrap();
        assert_eq!((fresh.epoch, fresh.state), (2, TxnState::Empty), "the retry bumps again");
        m.complete();
        assert_eq!(m.add_partitions(7, 1, &[TP], Time::ZERO), Err(TxnError::ProducerFenced));
        assert_eq!(m.add_partitions(8, 2, &[TP], Time::ZERO), Err(TxnError::InvalidProducerIdMapping));
    }

    #[test]
    fn an_open_transaction_past_its_timeout_is_aborted_under_a_bumped_epoch() {
        let mut m = ready();
        m.add_partitions(7, 0, &[TP], Time::secs(5)).unwrap();
        assert_eq!(m.time_out(Time::secs(100)), None, "nothing open until the add is written");
        m.complete();
        assert_eq!(m.time_out(Time::secs(64)), None, "60 s have not passed");
        let abort = m.time_out(Time::secs(65)).unwrap();
        assert_eq!((abort.state, abort.epoch), (TxnState::PrepareAbort, 1));
        m.complete();
        assert_eq!(m.end_txn(7, 0, true), Err(TxnError::ProducerFenced));
    }

    #[test]
    fn a_failed_write_changes_nothing_and_a_new_coordinator_loads_the_last_entries() {
        let mut m = ready();
        m.add_partitions(7, 0, &[TP], Time::ZERO).unwrap();
        m.abandon();
        assert_eq!(m.state(), TxnState::Empty);
        let a = TxnMetadata::new(1, TIMEOUT, Time::ZERO).current;
        let a2 = TxnEntry { state: TxnState::PrepareCommit, partitions: vec![TP], ..a.clone() };
        let b = TxnMetadata::new(2, TIMEOUT, Time::ZERO).current;
        let loaded = load([("a", &a), ("b", &b), ("a", &a2)].into_iter());
        assert_eq!(loaded.len(), 2);
        assert_eq!(loaded[0].1.markers_due(), Some((true, &[TP][..])), "the new coordinator sends the markers");
        assert_eq!(loaded[1].1.markers_due(), None);
    }
}
