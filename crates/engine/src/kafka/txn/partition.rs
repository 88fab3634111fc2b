//! What one replica of a partition keeps of transactions (the transactional part of Kafka's
//! `ProducerStateManager`, and the aborted-transaction index `TransactionIndex`), and what a
//! read_committed consumer does with it (`CompletedFetch`'s aborted-transaction filtering):
//! - a producer's first transactional record after none open starts its transaction at that offset
//!   (`currentTxnFirstOffset`); its COMMIT or ABORT marker ends it;
//! - the first unstable offset is the first offset of the earliest transaction still open, or of
//!   one ended by a marker not yet below the high watermark (`unreplicatedTxns`, dropped by
//!   `onHighWatermarkUpdated`); the last stable offset (LSO) is that, or the HW when it is lower
//!   (`UnifiedLog.lastStableOffset`);
//! - an ABORT marker adds `(producer id, first offset, last offset = the marker's)` to the aborted
//!   index; a read_committed fetch gets the aborted transactions that overlap what it reads, and
//!   the consumer drops those producers' records from their first offset up to their ABORT
//!   marker, and every control record.
//!
//! Followers build the same state from the records they copy; after a truncation it is read
//! again from what is left of the log (as `UnifiedLog.rebuildProducerState` does).

use crate::kafka::log::{Record, RecordKind};
use crate::vecmap::VecMap;

/// An entry of the aborted-transaction index (`AbortedTxn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AbortedTxn {
    pub producer: u32,
    pub first_offset: u64,
    /// The offset of its ABORT marker.
    pub last_offset: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartitionTxns {
    /// Open transactions: producer id → the offset of its transaction's first record.
    ongoing: VecMap<u32, u64>,
    /// Ended transactions whose marker is not yet below the HW: `(first offset, marker offset)`.
    unreplicated: Vec<(u64, u64)>,
    aborted: Vec<AbortedTxn>,
}

impl PartitionTxns {
    /// Notes records appended (by the leader, or copied by a follower), in offset order.
    pub fn apply(&mut self, records: &[Record]) {
        for r in records {
            match r.kind {
                RecordKind::Data => {}
                RecordKind::Transactional => {
                    self.ongoing.get_or_insert_with(r.producer, || r.offset);
                }
                RecordKind::Commit | RecordKind::Abort => {
                    // A marker for a producer with nothing open here still ends "its" transaction
                    // (a retried WriteTxnMarkers, or a partition added but never written to).
                    let first = self.ongoing.remove(&r.producer).unwrap_or(r.offset);
                    self.unreplicated.push((first, r.offset));
                    if r.kind == RecordKind::Abort {
                        let entry = AbortedTxn { producer: r.producer, first_offset: first, last_offset: r.offset };
                        self.aborted.push(entry);
                    }
                }
            }
        }
    }

    /// The HW moved: transactions whose marker is now below it are stable.
    pub fn on_high_watermark(&mut self, hw: u64) {
        self.unreplicated.retain(|&(_, marker)| marker >= hw);
    }

    /// `firstUnstableOffset` with the HW at `hw`: where the earliest transaction not yet settled
    /// begins (open, or ended by a marker not yet below the HW).
    pub fn first_unstable_offset(&self, hw: u64) -> Option<u64> {
        let open = self.ongoing.values().copied();
        let unreplicated = self.unreplicated.iter().filter(|&&(_, marker)| marker >= hw).map(|&(first, _)| first);
        open.chain(unreplicated).min()
    }

    /// The last stable offset: what a read_committed consumer may read up to.
    pub fn last_stable_offset(&self, hw: u64) -> u64 {
        self.first_unstable_offset(hw).map_or(hw, |first| first.min(hw))
    }

    /// The producers with a transaction open here, with its first offset.
    pub fn ongoing(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.ongoing.iter().map(|(&p, &o)| (p, o))
    }

    /// The aborted transactions that overlap `[from, to)` (`collectAbortedTxns`), by first offset.
    pub fn aborted_in(&self, from: u64, to: u64) -> Vec<AbortedTxn> {
        let mut found: Vec<AbortedTxn> =
            self.aborted.iter().filter(|a| a.last_offset >= from && a.first_offset < to).copied().collect();
        found.sort_by_key(|a| (a.first_offset, a.producer));
        found
    }

    /// Retention moved the log start: index entries wholly below it go.
    pub fn prune(&mut self, log_start: u64) {
        self.aborted.retain(|a| a.last_offset >= log_start);
    }

    /// After a truncation: read again from what is left of the log, with its HW.
    pub fn rebuild<'a>(&mut self, records: impl Iterator<Item = &'a Record>, hw: u64) {
        *self = PartitionTxns::default();
        let all: Vec<Record> = records.copied().collect();
        self.apply(&all);
        self.on_high_watermark(hw);
    }
}

/// What a read_committed consumer hands the application of records fetched with the aborted
/// transactions that overlap them (`CompletedFetch.nextFetchedRecord`): no control record, and no
/// record of a producer from the first offset of one of its aborted transactions up to its marker.
pub fn committed_records(records: &[Record], aborted: &[AbortedTxn]) -> Vec<Record> {
    let mut pending: Vec<AbortedTxn> = aborted.to_vec();
    pending.sort_by_key(|a| std::cmp::Reverse((a.first_offset, a.producer)));
    let mut aborting: Vec<u32> = vec![];
    let mut out = vec![];
    for r in records {
        while pending.last().is_some_and(|a| a.first_offset <= r.offset) {
            aborting.extend(pending.pop().map(|a| a.producer));
        }
        match r.kind {
            RecordKind::Abort => aborting.retain(|&p| p != r.producer),
            RecordKind::Commit => {}
            RecordKind::Transactional if aborting.contains(&r.producer) => {}
            RecordKind::Transactional | RecordKind::Data => out.push(*r),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::log::Log;
    use crate::time::Time;

    /// A log built by the leader's appends: `t` transactional records of a producer, `c`/`a` its
    /// COMMIT/ABORT marker, `d` a plain record.
    fn log_of(steps: &[(char, u32)]) -> Log {
        let mut log = Log::default();
        let mut seq = VecMap::<u32, u32>::new();
        for &(what, producer) in steps {
            let now = Time::ZERO;
            match what {
                't' => {
                    let s = seq.get_or_insert_with(producer, || 0);
                    log.append_txn_batch(0, &[(None, 1)], (producer, 0, *s), 100, now);
                    *s += 1;
                }
                'c' | 'a' => {
                    log.append_marker(0, (producer, 0), what == 'c', now);
                }
                _ => {
                    log.append(0, None, 9, now);
                }
            }
        }
        log
    }

    fn txns(log: &Log) -> PartitionTxns {
        let mut t = PartitionTxns::default();
        t.apply(&log.slice(0, log.leo()));
        t
    }

    #[test]
    fn the_lso_stops_at_the_earliest_open_transaction_until_its_marker_is_below_the_hw() {
        // 0 t1, 1 t2, 2 d, 3 t1, 4 c1, 5 t2
        let log = log_of(&[('t', 1), ('t', 2), ('d', 0), ('t', 1), ('c', 1), ('t', 2)]);
        let mut t = txns(&log);
        assert_eq!(t.last_stable_offset(3), 0, "producer 1's transaction opened at 0");
        assert_eq!(t.last_stable_offset(6), 1, "with its marker below the HW, producer 2's holds it");
        t.on_high_watermark(4);
        assert_eq!(t.last_stable_offset(4), 0, "its marker (4) is not yet below the HW");
        assert_eq!(t.last_stable_offset(5), 1, "now producer 2's open transaction holds it");
        t.on_high_watermark(5);
        assert_eq!(t.last_stable_offset(5), 1, "and stays so once the settled one is forgotten");
        assert_eq!(t.ongoing().collect::<Vec<_>>(), vec![(2, 1)]);
        assert_eq!(PartitionTxns::default().last_stable_offset(7), 7, "no transaction: the HW");
    }

    #[test]
    fn aborted_transactions_are_indexed_and_filtered_with_every_marker() {
        // 0 t1, 1 t2, 2 d, 3 t1, 4 a1, 5 t2, 6 c2, 7 t1, 8 c1
        let log = log_of(&[('t', 1), ('t', 2), ('d', 0), ('t', 1), ('a', 1), ('t', 2), ('c', 2), ('t', 1), ('c', 1)]);
        let mut t = txns(&log);
        t.on_high_watermark(9);
        assert_eq!(t.last_stable_offset(9), 9);
        let aborted = t.aborted_in(0, 9);
        assert_eq!(aborted, vec![AbortedTxn { producer: 1, first_offset: 0, last_offset: 4 }]);
        assert!(t.aborted_in(5, 9).is_empty(), "it ends before 5");
        let visible: Vec<u64> = committed_records(&log.slice(0, 9), &aborted).iter().map(|r| r.offset).collect();
        assert_eq!(visible, vec![1, 2, 5, 7], "producer 1's first transaction and all markers are gone");
        let from_3: Vec<u64> =
            committed_records(&log.slice(3, 9), &t.aborted_in(3, 9)).iter().map(|r| r.offset).collect();
        assert_eq!(from_3, vec![5, 7], "a fetch starting inside the aborted transaction skips the rest of it");
    }

    #[test]
    fn rebuild_after_truncation_gives_the_state_of_the_shorter_log() {
        let mut log = log_of(&[('t', 1), ('a', 1), ('t', 1), ('t', 2)]);
        let mut t = txns(&log);
        log.truncate_to(2);
        t.rebuild(log.records(), 2);
        assert_eq!(t.ongoing().count(), 0, "the transactions opened at 2 and 3 are gone");
        assert_eq!(t.last_stable_offset(2), 2);
        assert_eq!(t.aborted_in(0, 2).len(), 1);
        t.prune(2);
        assert!(t.aborted_in(0, 2).is_empty(), "retention past the marker drops the index entry");
    }
}
