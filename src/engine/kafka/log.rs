//! One replica's copy of a partition: the record log with its offsets, leader epochs, log end offset
//! (LEO), high watermark (HW) and log start offset, plus the leader-epoch cache that lets replicas
//! find where their logs diverge (KIP-101, KIP-279; the divergence check rides on fetch requests since
//! KIP-595/Kafka 2.7: the follower sends the epoch of its last record, the leader answers with the
//! end offset of that epoch in its own log).

use crate::engine::time::Time;

/// One record. The key is a small id (the model's key table holds the bytes); the value is the
/// payload's id (e.g. the producer's sequence number), enough to see every loss and reordering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    pub offset: u64,
    /// The leader epoch of the leader that appended it.
    pub epoch: u32,
    pub key: Option<u32>,
    pub value: u64,
    pub timestamp: Time,
    /// The idempotent producer that wrote it (0: none) and its sequence number; `batch_start`
    /// marks the first record of a produce batch (the producer state is kept per batch).
    pub producer: u32,
    pub seq: u32,
    pub batch_start: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    /// Records from `log_start` to `leo - 1`.
    records: std::collections::VecDeque<Record>,
    log_start: u64,
    leo: u64,
    hw: u64,
    /// `(epoch, start offset)`, increasing in both: where each leader epoch's records begin.
    epochs: Vec<(u32, u64)>,
}

impl Log {
    pub fn leo(&self) -> u64 {
        self.leo
    }
    pub fn hw(&self) -> u64 {
        self.hw
    }
    pub fn log_start(&self) -> u64 {
        self.log_start
    }
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.records.iter()
    }
    pub fn get(&self, offset: u64) -> Option<&Record> {
        offset.checked_sub(self.log_start).and_then(|i| self.records.get(i as usize))
    }
    /// The epoch of the last record, if any (what a follower sends as `lastFetchedEpoch`).
    pub fn last_epoch(&self) -> Option<u32> {
        self.records.back().map(|r| r.epoch)
    }
    /// The latest epoch the cache knows (a leader's own epoch once it has started it).
    pub fn latest_epoch(&self) -> Option<u32> {
        self.epochs.last().map(|e| e.0)
    }
    pub fn epoch_cache(&self) -> &[(u32, u64)] {
        &self.epochs
    }

    /// Records in `[from, to)` (clamped to the log).
    pub fn slice(&self, from: u64, to: u64) -> Vec<Record> {
        let from = from.max(self.log_start);
        let to = to.min(self.leo);
        (from..to).filter_map(|o| self.get(o).copied()).collect()
    }

    /// A new leader epoch starts at the current LEO (Kafka's `maybeAssignEpochStartOffset` when a
    /// replica becomes leader).
    pub fn start_epoch(&mut self, epoch: u32) {
        match self.epochs.last() {
            Some(&(e, _)) if e >= epoch => {}
            _ => self.epochs.push((epoch, self.leo)),
        }
    }

    /// Leader append of one record without a producer id: assigns the next offset. Returns it.
    pub fn append(&mut self, epoch: u32, key: Option<u32>, value: u64, timestamp: Time) -> u64 {
        self.append_batch(epoch, &[(key, value)], None, timestamp)
    }

    /// Leader append of a produce batch, with the idempotent producer's `(id, first sequence)` if
    /// any. Returns the base offset.
    pub fn append_batch(
        &mut self,
        epoch: u32,
        records: &[(Option<u32>, u64)],
        producer: Option<(u32, u32)>,
        timestamp: Time,
    ) -> u64 {
        self.start_epoch(epoch);
        let base = self.leo;
        let (id, first_seq) = producer.unwrap_or((0, 0));
        for (i, &(key, value)) in records.iter().enumerate() {
            let seq = first_seq.wrapping_add(i as u32);
            let offset = self.leo;
            let batch_start = i == 0;
            self.records.push_back(Record { offset, epoch, key, value, timestamp, producer: id, seq, batch_start });
            self.leo += 1;
        }
        base
    }

    /// Follower append of records copied from the leader, offsets and epochs unchanged. Records must
    /// continue the log exactly (the fetch asked for `leo`).
    pub fn append_replicated(&mut self, records: &[Record]) {
        for r in records {
            assert_eq!(r.offset, self.leo, "replicated record {} does not follow LEO {}", r.offset, self.leo);
            self.start_epoch(r.epoch);
            self.records.push_back(*r);
            self.leo += 1;
        }
    }

    /// Moves the HW; it never passes the LEO.
    pub fn set_hw(&mut self, hw: u64) {
        self.hw = hw.min(self.leo);
    }

    /// Removes every record at or after `offset` (follower truncation after divergence).
    pub fn truncate_to(&mut self, offset: u64) {
        let offset = offset.max(self.log_start);
        while self.leo > offset {
            self.records.pop_back();
            self.leo -= 1;
        }
        self.hw = self.hw.min(self.leo);
        self.epochs.retain(|&(_, start)| start < offset);
    }

    /// `OffsetsForLeaderEpoch`: the largest epoch ≤ `epoch` this log knows and the offset where it
    /// ends (the start of the next epoch, or the LEO for the latest). `None` if `epoch` is older than
    /// anything in the cache.
    pub fn end_offset_for_epoch(&self, epoch: u32) -> Option<(u32, u64)> {
        let i = self.epochs.iter().rposition(|&(e, _)| e <= epoch)?;
        let end = self.epochs.get(i + 1).map_or(self.leo, |&(_, start)| start);
        Some((self.epochs[i].0, end))
    }

    /// Where `epoch`'s records begin, if this log has started that epoch.
    pub fn epoch_start(&self, epoch: u32) -> Option<u64> {
        self.epochs.iter().find(|&&(e, _)| e == epoch).map(|&(_, start)| start)
    }

    /// Deletes records before `offset` (retention); the log start moves up, never past the HW.
    pub fn delete_before(&mut self, offset: u64) {
        let offset = offset.min(self.hw);
        while self.log_start < offset {
            self.records.pop_front();
            self.log_start += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_with(epochs: &[(u32, u64)]) -> Log {
        // `(epoch, count)`: count records appended in each epoch.
        let mut log = Log::default();
        for &(e, n) in epochs {
            log.start_epoch(e);
            for _ in 0..n {
                let v = log.leo();
                log.append(e, None, v, Time::ZERO);
            }
        }
        log
    }

    #[test]
    fn offsets_and_epoch_cache() {
        let log = log_with(&[(0, 3), (2, 2), (5, 0)]);
        assert_eq!(log.leo(), 5);
        assert_eq!(log.epoch_cache(), &[(0, 0), (2, 3), (5, 5)]);
        assert_eq!(log.last_epoch(), Some(2));
        assert_eq!(log.latest_epoch(), Some(5));
        assert_eq!(log.end_offset_for_epoch(0), Some((0, 3)));
        assert_eq!(log.end_offset_for_epoch(1), Some((0, 3)), "epoch 1 never led: answer with epoch 0");
        assert_eq!(log.end_offset_for_epoch(2), Some((2, 5)));
        assert_eq!(log.end_offset_for_epoch(9), Some((5, 5)));
    }

    #[test]
    fn truncation_drops_records_and_epochs() {
        let mut log = log_with(&[(0, 3), (1, 3)]);
        log.set_hw(4);
        log.truncate_to(3);
        assert_eq!(log.leo(), 3);
        assert_eq!(log.hw(), 3);
        assert_eq!(log.epoch_cache(), &[(0, 0)]);
        assert_eq!(log.last_epoch(), Some(0));
    }

    #[test]
    fn retention_never_passes_the_hw() {
        let mut log = log_with(&[(0, 5)]);
        log.set_hw(2);
        log.delete_before(4);
        assert_eq!(log.log_start(), 2);
        assert_eq!(log.get(1), None);
        assert_eq!(log.get(2).map(|r| r.value), Some(2));
        assert_eq!(log.slice(0, 10).len(), 3);
    }
}
