//! The shapes of the clients' data requests, as Kafka's clients send them: a producer sends one
//! Produce request per broker carrying the ready batches of several partitions (`Sender` with
//! `RecordAccumulator.drain`), a consumer one Fetch per broker covering every partition it reads
//! there (`AbstractFetch.prepareFetchRequests`); each is answered partition by partition, and
//! each partition's answer follows the same rules as before (HW, ISR, epochs, sequences).
//!
//! The broker answers a Produce request once every partition of it has its answer, as one
//! `DelayedProduce` covers all the partitions of a request in Kafka: a partition answered at
//! once (an error, acks=1) waits in `PendingProduce` for those still replicating.

use super::log::Record;
use super::msg::Tp;
use super::partition::{BrokerId, Error};
use super::txn::partition::AbortedTxn;

/// `max.request.size` (Kafka's default, 1 MiB): a Produce request takes batches while their
/// bytes fit (the first batch always goes).
pub const MAX_REQUEST_SIZE: u64 = 1_048_576;
/// `fetch.max.bytes` (50 MiB): the records one consumer Fetch answer carries, over all its
/// partitions (the first partition's first record always goes).
pub const FETCH_MAX_BYTES: u64 = 52_428_800;
/// `max.partition.fetch.bytes` (1 MiB): the records one partition adds to a Fetch answer (its
/// first record always goes, so a record larger than the limit still makes progress).
pub const MAX_PARTITION_FETCH_BYTES: u64 = 1_048_576;

/// One partition's batch in a Produce request; `producer` is the idempotent producer's
/// `(id, epoch, first sequence)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProduceBatch {
    pub tp: Tp,
    pub producer: Option<(u32, u16, u32)>,
    pub records: Vec<(Option<u32>, u64)>,
}

/// One partition of a consumer's Fetch: from `offset`; `to_follower`: the broker is its
/// preferred read replica, not its leader, so a follower serves it (KIP-392).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchPart {
    pub tp: Tp,
    pub offset: u64,
    pub to_follower: bool,
}

/// One partition of a consumer's Fetch answer: its records below the HW (or the LSO) and the
/// HW, or an error; for read_committed, the aborted transactions among the records. With a
/// `read_replica` (the leader names a follower in the consumer's rack, the response's
/// `preferred_read_replica`) it carries no records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedPartition {
    pub tp: Tp,
    pub result: Result<(Vec<Record>, u64), Error>,
    pub aborted: Vec<AbortedTxn>,
    pub read_replica: Option<BrokerId>,
}

impl FetchedPartition {
    /// Whether the answer has something for the consumer: records, an error or a preferred read
    /// replica (a fetch with none of them anywhere waits at the leader, as
    /// `ReplicaManager.fetchMessages` answers at once only then).
    pub fn has_news(&self) -> bool {
        self.read_replica.is_some() || !matches!(&self.result, Ok((records, _)) if records.is_empty())
    }
}

/// A Produce request at the broker: each partition's answer as it comes; the request is
/// answered when the last one has come.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PendingProduce {
    results: Vec<(Tp, Option<Result<u64, Error>>)>,
}

impl PendingProduce {
    pub fn new(tps: impl Iterator<Item = Tp>) -> PendingProduce {
        PendingProduce { results: tps.map(|tp| (tp, None)).collect() }
    }

    /// `tp`'s answer; true once every partition has one.
    pub fn answer(&mut self, tp: Tp, result: Result<u64, Error>) -> bool {
        if let Some(slot) = self.results.iter_mut().find(|(t, r)| *t == tp && r.is_none()) {
            slot.1 = Some(result);
        }
        self.results.iter().all(|(_, r)| r.is_some())
    }

    /// Every partition's answer, in the request's order.
    pub fn into_results(self) -> Vec<(Tp, Result<u64, Error>)> {
        self.results.into_iter().filter_map(|(tp, r)| Some((tp, r?))).collect()
    }
}

/// Takes `records` from the front while their bytes fit in `budget` (at least one if `first`
/// may exceed it), and returns how many bytes were taken.
pub fn within_bytes(records: &mut Vec<Record>, budget: u64, at_least_one: bool) -> u64 {
    let mut used = 0u64;
    let mut keep = 0;
    for r in records.iter() {
        let size = r.size as u64;
        if used + size > budget && !(at_least_one && keep == 0) {
            break;
        }
        used += size;
        keep += 1;
    }
    records.truncate(keep);
    used
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Tp = Tp { topic: 0, partition: 0 };
    const B: Tp = Tp { topic: 0, partition: 3 };

    #[test]
    fn a_produce_request_is_answered_once_every_partition_has_its_answer() {
        let mut p = PendingProduce::new([A, B].into_iter());
        assert!(!p.answer(B, Err(Error::NotLeaderOrFollower)), "A still replicates");
        assert!(p.answer(A, Ok(7)));
        assert_eq!(p.into_results(), vec![(A, Ok(7)), (B, Err(Error::NotLeaderOrFollower))]);
    }

    fn record(offset: u64, size: u32) -> Record {
        Record {
            offset,
            epoch: 0,
            key: None,
            value: offset,
            timestamp: crate::time::Time::ZERO,
            producer: 0,
            producer_epoch: 0,
            seq: 0,
            batch_start: true,
            size,
            kind: Default::default(),
        }
    }

    #[test]
    fn records_are_taken_while_they_fit_and_the_first_one_always_when_asked() {
        let mut rs: Vec<Record> = (0..5).map(|o| record(o, 100)).collect();
        assert_eq!(within_bytes(&mut rs, 250, true), 200);
        assert_eq!(rs.len(), 2);
        let mut big = vec![record(0, 500), record(1, 10)];
        assert_eq!(within_bytes(&mut big, 100, true), 500, "a record larger than the limit still goes");
        assert_eq!(big.len(), 1);
        let mut none = vec![record(0, 500)];
        assert_eq!(within_bytes(&mut none, 100, false), 0, "unless another partition already took the room");
        assert!(none.is_empty());
    }
}
