//! A group's offsets committed inside transactions, as its coordinator keeps them
//! (`GroupMetadata.pendingTransactionalOffsetCommits`): a TxnOffsetCommit is written to the
//! group's `__consumer_offsets` partition as transactional records of the producer, and stays
//! pending — invisible to OffsetFetch, which answers UNSTABLE_OFFSET_COMMIT for its partitions
//! when asked for stable offsets (KIP-447) — until the transaction's marker lands in that
//! partition: COMMIT makes them the group's committed offsets
//! (`GroupMetadata.completePendingTxnOffsetCommit`), ABORT discards them. A new coordinator reads
//! the same from the log (`GroupMetadataManager.loadGroupsAndOffsets`).

use crate::kafka::log::{Record, RecordKind};
use crate::vecmap::VecMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TxnOffsets {
    /// Producer id → the offsets its open transaction commits, by partition of the group's topic.
    pending: VecMap<u32, VecMap<u16, u64>>,
}

impl TxnOffsets {
    /// A TxnOffsetCommit of `producer` is written (replicated): pending until its marker.
    pub fn add(&mut self, producer: u32, offsets: &[(u16, u64)]) {
        let mine = self.pending.get_or_insert_with(producer, VecMap::new);
        for &(p, o) in offsets {
            mine.insert(p, o);
        }
    }

    /// The producer's marker: the offsets to make committed (COMMIT), or none (ABORT).
    pub fn complete(&mut self, producer: u32, commit: bool) -> Vec<(u16, u64)> {
        let done = self.pending.remove(&producer).unwrap_or_default();
        if commit {
            done.iter().map(|(&p, &o)| (p, o)).collect()
        } else {
            vec![]
        }
    }

    /// Whether a transaction holds an offset of one of `partitions` (a 64-bit set).
    pub fn unstable(&self, partitions: u64) -> bool {
        self.pending.values().any(|m| m.keys().any(|&p| partitions & (1 << p) != 0))
    }

    /// The producers with offsets pending.
    pub fn producers(&self) -> impl Iterator<Item = (u32, usize)> + '_ {
        self.pending.iter().map(|(&p, m)| (p, m.len()))
    }
}

/// The partitions of `offsets` as a 64-bit set (the events' and `unstable`'s form).
pub fn partition_set(offsets: &[(u16, u64)]) -> u64 {
    offsets.iter().fold(0, |m, &(p, _)| m | 1 << (p & 63))
}

/// Reads a group's offsets back from its `__consumer_offsets` records (`key` picks the group's
/// records and gives the partition): plain commits count at once, transactional ones once their
/// producer's COMMIT marker follows; an ABORT drops them; those still open stay pending.
pub fn replay(log: &[Record], partition_of: impl Fn(u32) -> Option<u16>) -> (VecMap<u16, u64>, TxnOffsets) {
    let mut offsets = VecMap::new();
    let mut txns = TxnOffsets::default();
    for r in log {
        match r.kind {
            RecordKind::Commit | RecordKind::Abort => {
                for (p, o) in txns.complete(r.producer, r.kind == RecordKind::Commit) {
                    offsets.insert(p, o);
                }
            }
            kind => {
                let Some(p) = r.key.and_then(&partition_of) else { continue };
                if kind == RecordKind::Transactional {
                    txns.add(r.producer, &[(p, r.value)]);
                } else {
                    offsets.insert(p, r.value);
                }
            }
        }
    }
    (offsets, txns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::log::Log;
    use crate::time::Time;

    #[test]
    fn pending_offsets_count_only_after_a_commit_marker_and_block_stable_fetches() {
        let mut t = TxnOffsets::default();
        t.add(7, &[(0, 10), (2, 5)]);
        t.add(8, &[(1, 3)]);
        assert!(t.unstable(0b001) && t.unstable(0b010) && !t.unstable(0b1000));
        assert_eq!(t.complete(8, false), vec![], "aborted: nothing counts");
        assert!(!t.unstable(0b010));
        assert_eq!(t.complete(7, true), vec![(0, 10), (2, 5)]);
        assert!(!t.unstable(u64::MAX));
        assert_eq!(t.complete(7, true), vec![], "a retried marker finds nothing");
    }

    #[test]
    fn a_new_coordinator_replays_commits_markers_and_open_transactions() {
        let mut log = Log::default();
        let now = Time::ZERO;
        log.append_batch(0, &[(Some(0), 4)], None, 100, now); // plain commit p0 → 4
        log.append_txn_batch(0, &[(Some(0), 9), (Some(1), 2)], (7, 0, 0), 100, now);
        log.append_txn_batch(0, &[(Some(1), 6)], (8, 0, 0), 100, now);
        log.append_marker(0, (8, 0), false, now); // producer 8 aborts
        log.append_txn_batch(0, &[(Some(2), 1)], (9, 0, 0), 100, now); // still open
        log.append_marker(0, (7, 0), true, now); // producer 7 commits
        let (offsets, pending) = replay(&log.slice(0, log.leo()), |k| Some(k as u16));
        assert_eq!(offsets.iter().map(|(&p, &o)| (p, o)).collect::<Vec<_>>(), vec![(0, 9), (1, 2)]);
        assert_eq!(pending.producers().collect::<Vec<_>>(), vec![(9, 1)]);
        assert!(pending.unstable(0b100));
    }
}
