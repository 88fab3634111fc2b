//! One replica's copy of a partition: the record log with its offsets, leader epochs, log end offset
//! (LEO), high watermark (HW) and log start offset, plus the leader-epoch cache that lets replicas
//! find where their logs diverge (KIP-101, KIP-279; the divergence check rides on fetch requests since
//! KIP-595/Kafka 2.7: the follower sends the epoch of its last record, the leader answers with the
//! end offset of that epoch in its own log).
//!
//! The log is cut into segments as Kafka's is (a new one when the active segment would pass
//! `segment.bytes`, or `segment.ms` after its first record), because retention and compaction work
//! on whole segments and never touch the active one: time retention deletes the oldest segments
//! whose newest record is older than `retention.ms`, size retention deletes them while the rest is
//! still at least `retention.bytes`, both never past the HW; compaction keeps, below the active
//! segment and the HW, only the latest record of each key once the uncleaned part is at least
//! `min.cleanable.dirty.ratio` of it. Compaction leaves gaps in the offsets, as in Kafka.

use super::epoch_cache::EpochCache;
use crate::chunks::ChunkDeque;
use crate::time::Time;
use crate::vecmap::VecMap;
use std::collections::VecDeque;

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
    /// The producer's epoch (KIP-360 bumps it when batches expire).
    pub producer_epoch: u16,
    pub seq: u32,
    pub batch_start: bool,
    /// Its size in bytes, for `segment.bytes`, `retention.bytes` and the dirty ratio.
    pub size: u32,
    /// Plain data, data of a transaction, or a transaction marker (a control record).
    pub kind: RecordKind,
}

/// What a record is to a transaction (a batch's `isTransactional` and `isControl` attributes, and
/// a control record's type): the model keeps them per record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RecordKind {
    /// Written outside any transaction (with or without idempotence).
    #[default]
    Data,
    /// Written by a transactional producer inside a transaction: visible to read_committed
    /// consumers only once its COMMIT marker follows.
    Transactional,
    /// The COMMIT marker (a control record) the transaction coordinator had the leader write.
    Commit,
    /// The ABORT marker: the producer's records since its transaction began are never visible
    /// to read_committed consumers.
    Abort,
}

impl RecordKind {
    pub fn is_control(self) -> bool {
        matches!(self, RecordKind::Commit | RecordKind::Abort)
    }
}

/// Segment and cleaning settings (Kafka's topic configs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogConfig {
    pub segment_bytes: u64,
    pub segment_ms: Time,
    /// `min.cleanable.dirty.ratio`, in percent (default 50).
    pub min_dirty_percent: u32,
}

impl Default for LogConfig {
    /// Kafka's defaults: `segment.bytes` 1 GiB, `segment.ms` 7 days, dirty ratio 0.5.
    fn default() -> Self {
        LogConfig { segment_bytes: 1 << 30, segment_ms: Time::secs(7 * 24 * 3600), min_dirty_percent: 50 }
    }
}

/// One segment: where it begins, when its first record was written, its size and its newest record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub base: u64,
    pub first_ts: Time,
    pub bytes: u64,
    pub max_ts: Time,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    /// Records from `log_start` to `leo - 1`, in offset order (with gaps after compaction), in
    /// chunks a clone shares (a timeline snapshot copies pointers, not records: `crate::chunks`).
    records: ChunkDeque<Record>,
    /// Oldest first; the last is the active segment.
    segments: VecDeque<Segment>,
    pub config: LogConfig,
    /// Compaction: records below this offset have been cleaned.
    cleaned_to: u64,
    log_start: u64,
    leo: u64,
    hw: u64,
    /// Where each leader epoch's records begin.
    epochs: EpochCache,
}

impl Log {
    pub fn new(config: LogConfig) -> Log {
        Log { config, ..Log::default() }
    }
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
        self.records.get(self.index_of(offset)).filter(|r| r.offset == offset)
    }

    /// The index of the first record at or after `offset`. Offsets rise by one from record to
    /// record until compaction leaves gaps, so the record `offset - first offset` places along is
    /// usually the one (a fetch's offset, or the LEO: nothing to read): checked, and only when it
    /// is not, searched (two binary searches, `ChunkDeque::partition_point`).
    fn index_of(&self, offset: u64) -> usize {
        let (Some(first), Some(last)) = (self.records.front(), self.records.back()) else { return 0 };
        if offset <= first.offset {
            return 0;
        }
        if offset > last.offset {
            return self.records.len();
        }
        let guess = (offset - first.offset) as usize;
        match self.records.get(guess) {
            // Offsets are strictly increasing: every record before it is below `offset`.
            Some(r) if r.offset == offset => guess,
            _ => self.records.partition_point(|r| r.offset < offset),
        }
    }
    pub fn segments(&self) -> &VecDeque<Segment> {
        &self.segments
    }
    pub fn bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.bytes).sum()
    }
    /// The epoch of the last record, if any (what a follower sends as `lastFetchedEpoch`).
    pub fn last_epoch(&self) -> Option<u32> {
        self.records.back().map(|r| r.epoch)
    }
    /// The latest epoch the cache knows (a leader's own epoch once it has started it).
    pub fn latest_epoch(&self) -> Option<u32> {
        self.epochs.latest_epoch()
    }
    pub fn epoch_cache(&self) -> &[(u32, u64)] {
        self.epochs.entries()
    }

    /// Records in `[from, to)` (clamped to the log).
    pub fn slice(&self, from: u64, to: u64) -> Vec<Record> {
        let (i, j) = (self.index_of(from), self.index_of(to));
        let mut out = Vec::new();
        self.records.extend_range_into(i, j, &mut out);
        out
    }

    /// A new leader epoch starts at the current LEO (Kafka's `maybeAssignEpochStartOffset` when a
    /// replica becomes leader).
    pub fn start_epoch(&mut self, epoch: u32) {
        self.epochs.assign(epoch, self.leo);
    }

    /// Leader append of one record without a producer id: assigns the next offset. Returns it.
    pub fn append(&mut self, epoch: u32, key: Option<u32>, value: u64, timestamp: Time) -> u64 {
        self.append_batch(epoch, &[(key, value)], None, 100, timestamp)
    }

    /// Leader append of a produce batch, with the idempotent producer's `(id, epoch, first
    /// sequence)` if any. Returns the base offset.
    pub fn append_batch(
        &mut self,
        epoch: u32,
        records: &[(Option<u32>, u64)],
        producer: Option<(u32, u16, u32)>,
        size: u32,
        timestamp: Time,
    ) -> u64 {
        self.start_epoch(epoch);
        let base = self.leo;
        let (id, producer_epoch, first_seq) = producer.unwrap_or((0, 0, 0));
        for (i, &(key, value)) in records.iter().enumerate() {
            let seq = first_seq.wrapping_add(i as u32);
            let batch_start = i == 0;
            let offset = self.leo;
            let producer = id;
            self.push(Record {
                offset,
                epoch,
                key,
                value,
                timestamp,
                producer,
                producer_epoch,
                seq,
                batch_start,
                size,
                kind: RecordKind::Data,
            });
        }
        base
    }

    /// Leader append of a transactional producer's batch (records marked `Transactional`).
    pub fn append_txn_batch(
        &mut self,
        epoch: u32,
        records: &[(Option<u32>, u64)],
        producer: (u32, u16, u32),
        size: u32,
        timestamp: Time,
    ) -> u64 {
        let base = self.append_batch(epoch, records, Some(producer), size, timestamp);
        let i = self.index_of(base);
        self.records.for_each_from_mut(i, |r| r.kind = RecordKind::Transactional);
        base
    }

    /// Leader append of a transaction marker (WriteTxnMarkers): one control record of the
    /// producer's `(id, epoch)`, COMMIT or ABORT. Returns its offset.
    pub fn append_marker(&mut self, epoch: u32, (id, producer_epoch): (u32, u16), commit: bool, now: Time) -> u64 {
        let offset = self.append_batch(epoch, &[(None, 0)], Some((id, producer_epoch, 0)), 100, now);
        if let Some(r) = self.records.back_mut() {
            r.kind = if commit { RecordKind::Commit } else { RecordKind::Abort };
        }
        offset
    }

    /// Appends one record at its offset, rolling a new segment first if the active one is full
    /// or old (`LogSegment.shouldRoll`).
    fn push(&mut self, r: Record) {
        let c = self.config;
        let roll = match self.segments.back() {
            None => true,
            Some(s) => {
                s.bytes > 0 && (s.bytes + r.size as u64 > c.segment_bytes || r.timestamp >= s.first_ts + c.segment_ms)
            }
        };
        if roll {
            self.segments.push_back(Segment { base: r.offset, first_ts: r.timestamp, bytes: 0, max_ts: r.timestamp });
        }
        let s = self.segments.back_mut().expect("rolled above");
        if s.bytes == 0 {
            s.first_ts = r.timestamp;
        }
        s.bytes += r.size as u64;
        s.max_ts = s.max_ts.max(r.timestamp);
        self.records.push_back(r);
        self.leo = r.offset + 1;
    }

    /// Follower append of records copied from the leader, offsets and epochs unchanged. They follow
    /// the LEO (the fetch asked for it), possibly with gaps where the leader compacted.
    pub fn append_replicated(&mut self, records: &[Record]) {
        for r in records {
            if r.offset < self.leo {
                continue;
            }
            self.epochs.assign(r.epoch, r.offset);
            self.push(*r);
        }
    }

    /// Moves the HW; it never passes the LEO.
    pub fn set_hw(&mut self, hw: u64) {
        self.hw = hw.min(self.leo);
    }

    /// Removes every record at or after `offset` (follower truncation after divergence).
    pub fn truncate_to(&mut self, offset: u64) {
        let offset = offset.max(self.log_start);
        while self.records.back().is_some_and(|r| r.offset >= offset) {
            self.records.pop_back();
        }
        self.leo = self.leo.min(offset);
        self.hw = self.hw.min(self.leo);
        self.cleaned_to = self.cleaned_to.min(self.leo);
        self.epochs.truncate_from_end(offset);
        while self.segments.len() > 1 && self.segments.back().is_some_and(|s| s.base >= offset) {
            self.segments.pop_back();
        }
        self.recount();
    }

    /// `truncateFullyAndStartAt`: empties the log, which starts again (empty) at `offset` — a
    /// follower whose log ends below the leader's log start, or starts past the leader's end.
    pub fn truncate_fully_and_start_at(&mut self, offset: u64) {
        self.records.clear();
        self.segments.clear();
        self.epochs.clear();
        self.log_start = offset;
        self.leo = offset;
        self.hw = offset;
        self.cleaned_to = offset;
    }

    /// Recomputes segment sizes and newest timestamps from the records (after truncation or
    /// compaction removed some).
    fn recount(&mut self) {
        let mut i = 0;
        for s in self.segments.iter_mut() {
            s.bytes = 0;
            s.max_ts = s.first_ts;
        }
        let n = self.segments.len();
        for r in self.records.iter() {
            while i + 1 < n && r.offset >= self.segments[i + 1].base {
                i += 1;
            }
            let s = &mut self.segments[i];
            s.bytes += r.size as u64;
            s.max_ts = s.max_ts.max(r.timestamp);
        }
    }

    /// Delete retention (`UnifiedLog.deleteOldSegments`): removes the oldest segments, only below
    /// the HW, whose newest record is older than `retention` or while the log without them is
    /// still at least `retention_bytes`. The active segment too, once the HW has reached the log
    /// end (an idle topic's records expire): as `deleteSegments` does when every segment goes, a
    /// new empty segment is rolled at the log end first. An empty active segment stays. Returns
    /// whether any went.
    pub fn apply_retention(&mut self, now: Time, retention: Option<Time>, retention_bytes: Option<u64>) -> bool {
        let mut doomed = 0;
        let mut bytes = self.bytes();
        for (i, seg) in self.segments.iter().enumerate() {
            let next = self.segments.get(i + 1).map(|s| s.base);
            if next.unwrap_or(self.leo) > self.hw || (next.is_none() && seg.bytes == 0) {
                break;
            }
            let old = retention.is_some_and(|r| now > seg.max_ts + r);
            let big = retention_bytes.is_some_and(|limit| bytes.saturating_sub(limit) >= seg.bytes);
            if !old && !big {
                break;
            }
            bytes -= seg.bytes;
            doomed += 1;
        }
        if doomed == 0 {
            return false;
        }
        if doomed == self.segments.len() {
            self.segments.push_back(Segment { base: self.leo, first_ts: now, bytes: 0, max_ts: now });
        }
        self.segments.drain(..doomed);
        let start = self.segments[0].base;
        while self.records.front().is_some_and(|r| r.offset < start) {
            self.records.pop_front();
        }
        self.log_start = start;
        self.epochs.truncate_from_start(start);
        self.cleaned_to = self.cleaned_to.max(start);
        true
    }

    /// Compaction (the log cleaner): below the active segment and the HW, keeps only the latest
    /// record of each key, once the part not yet cleaned is at least the dirty ratio of that range.
    /// Returns how many records it removed.
    pub fn compact(&mut self) -> u64 {
        let end = self.segments.back().map_or(0, |s| s.base).min(self.hw);
        if end <= self.cleaned_to {
            return 0;
        }
        let bytes = |from: u64| self.slice(from, end).iter().map(|r| r.size as u64).sum::<u64>();
        let (dirty, total) = (bytes(self.cleaned_to), bytes(self.log_start));
        if dirty * 100 < total * self.config.min_dirty_percent as u64 {
            return 0;
        }
        let mut latest: VecMap<u32, u64> = VecMap::new();
        for r in self.records.iter().take_while(|r| r.offset < end) {
            if let Some(k) = r.key {
                latest.insert(k, r.offset);
            }
        }
        let before = self.records.len();
        self.records.retain(|r| r.offset >= end || r.key.is_none_or(|k| latest.get(&k) == Some(&r.offset)));
        self.cleaned_to = end;
        self.recount();
        (before - self.records.len()) as u64
    }

    /// `OffsetsForLeaderEpoch`: the largest epoch ≤ `epoch` this log knows and the offset where it
    /// ends (the start of the next epoch, or the LEO for the latest). `None` if `epoch` is older than
    /// anything in the cache.
    pub fn end_offset_for_epoch(&self, epoch: u32) -> Option<(u32, u64)> {
        self.epochs.end_offset_for(epoch, self.leo)
    }

    /// Where `epoch`'s records begin, if this log has started that epoch.
    pub fn epoch_start(&self, epoch: u32) -> Option<u64> {
        self.epochs.start_of(epoch)
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
        assert_eq!(log.end_offset_for_epoch(9), None, "newer than any cached epoch: UNDEFINED in Kafka");
    }

    /// `LeaderEpochFileCache.endOffsetFor` for an epoch older than the first cached one (retention
    /// removed its records): the requested epoch, ending where the first cached epoch starts.
    #[test]
    fn an_epoch_older_than_the_cache_ends_where_the_cache_begins() {
        let mut log = segmented(30, 5, 10);
        log.start_epoch(3);
        log.append_batch(3, &[(Some(0), 30)], None, 100, Time::secs(100));
        log.set_hw(31);
        assert!(log.apply_retention(Time::secs(100), Some(Time::ms(1)), None));
        assert_eq!(log.log_start(), 30);
        assert_eq!(log.epoch_cache(), &[(3, 30)], "retention truncated the cache from the start");
        assert_eq!(log.end_offset_for_epoch(1), Some((1, 30)));
    }

    /// `LeaderEpochFileCache.assign`: start offsets stay strictly increasing; a new epoch starting
    /// where the previous one did (it wrote nothing) replaces it.
    #[test]
    fn a_new_epoch_at_the_same_offset_replaces_the_empty_one() {
        let mut log = log_with(&[(0, 3), (1, 0), (2, 0)]);
        assert_eq!(log.epoch_cache(), &[(0, 0), (2, 3)]);
        log.start_epoch(2);
        assert_eq!(log.epoch_cache(), &[(0, 0), (2, 3)], "the same epoch again changes nothing");
        assert_eq!(log.end_offset_for_epoch(1), Some((0, 3)));
    }

    /// `truncateFromStart`: entries starting at or below the new log start go, the last of them
    /// kept and moved to the log start (exclusive: an entry starting exactly there stays as it is).
    #[test]
    fn retention_truncates_the_epoch_cache_from_the_start() {
        let mut log = Log::new(LogConfig { segment_bytes: 1000, ..LogConfig::default() });
        for (epoch, from, to) in [(0, 0, 5), (1, 5, 12), (2, 12, 25)] {
            log.start_epoch(epoch);
            for i in from..to {
                log.append_batch(epoch, &[(None, i)], None, 100, Time::ms(i));
            }
        }
        log.set_hw(25);
        assert!(log.apply_retention(Time::ms(13), Some(Time::ms(1)), None));
        assert_eq!(log.log_start(), 10);
        assert_eq!(log.epoch_cache(), &[(1, 10), (2, 12)]);
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

    /// A log of `n` records of 100 bytes, one per millisecond, keys cycling over `keys`, in
    /// segments of `per_segment` records.
    fn segmented(n: u64, keys: u32, per_segment: u64) -> Log {
        let mut log = Log::new(LogConfig { segment_bytes: per_segment * 100, ..LogConfig::default() });
        for i in 0..n {
            log.append_batch(0, &[(Some(i as u32 % keys), i)], None, 100, Time::ms(i));
        }
        log
    }

    #[test]
    fn segments_roll_at_segment_bytes() {
        let log = segmented(25, 5, 10);
        let bases: Vec<u64> = log.segments().iter().map(|s| s.base).collect();
        assert_eq!(bases, [0, 10, 20]);
        assert_eq!(log.bytes(), 2500);
    }

    #[test]
    fn retention_deletes_whole_old_segments_never_past_the_hw() {
        let mut log = segmented(25, 5, 10);
        log.set_hw(15);
        // Everything is "old": only the first segment can go, the second reaches past the HW.
        assert!(log.apply_retention(Time::secs(100), Some(Time::ms(1)), None));
        assert_eq!(log.log_start(), 10);
        assert_eq!(log.get(9), None);
        assert_eq!(log.get(10).map(|r| r.value), Some(10));
        log.set_hw(25);
        // Size: 25 records; a limit of 300 bytes keeps the active segment (500 bytes).
        assert!(log.apply_retention(Time::ZERO, None, Some(300)));
        assert_eq!(log.log_start(), 20, "the active segment stays while it is needed for the limit");
        assert!(log.apply_retention(Time::secs(100), Some(Time::ms(1)), None));
        assert_eq!(log.log_start(), 25, "an expired active segment goes too, the HW being at the end");
        assert_eq!((log.leo(), log.records().count(), log.segments().len()), (25, 0, 1));
        assert!(!log.apply_retention(Time::secs(200), Some(Time::ms(1)), None), "an empty active segment stays");
        log.append_batch(0, &[(None, 25)], None, 100, Time::secs(200));
        assert_eq!(log.slice(0, 30).iter().map(|r| r.offset).collect::<Vec<_>>(), [25]);
    }

    #[test]
    fn size_retention_keeps_at_least_retention_bytes() {
        let mut log = segmented(40, 5, 10);
        log.set_hw(40);
        // 4000 bytes, limit 1500: deleting a segment is allowed while 1500 or more would remain.
        assert!(log.apply_retention(Time::ZERO, None, Some(1500)));
        assert_eq!(log.log_start(), 20);
        assert_eq!(log.bytes(), 2000);
    }

    #[test]
    fn compaction_keeps_the_latest_record_per_key_below_the_active_segment() {
        let mut log = segmented(25, 5, 10);
        log.set_hw(25);
        let removed = log.compact();
        // Offsets 0..20 are cleanable; keys 0..4 last appear at 15..19 there.
        assert_eq!(removed, 15);
        let kept: Vec<u64> = log.records().map(|r| r.offset).collect();
        assert_eq!(kept, [15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
        assert_eq!(log.get(3), None);
        assert_eq!(log.slice(0, 17).len(), 2, "a read from a compacted range skips the gap");
        assert_eq!(log.compact(), 0, "nothing dirty left");
        assert_eq!(log.leo(), 25);
    }

    /// `get` and `slice` guess a record's place from its offset: with compaction's gaps at the
    /// front and in the middle of the log (40 keys in the first segment, 7 after it: 7..39 and
    /// 153.. are left), they answer as a scan over the records does.
    #[test]
    fn reads_find_records_across_gaps_as_a_scan_does() {
        let mut log = Log::new(LogConfig { segment_bytes: 4000, ..LogConfig::default() });
        for i in 0..200u64 {
            let key = if i < 40 { i as u32 } else { (i % 7) as u32 };
            log.append_batch(0, &[(Some(key), i)], None, 100, Time::ms(i));
        }
        log.set_hw(200);
        assert!(log.compact() > 0);
        let offsets: Vec<u64> = log.records().map(|r| r.offset).collect();
        assert!(offsets.windows(2).any(|w| w[1] > w[0] + 1), "gaps: {offsets:?}");
        for from in 0..=201 {
            assert_eq!(log.get(from).map(|r| r.offset), offsets.iter().copied().find(|&o| o == from));
            for to in [0, from, from + 1, from + 3, from + 40, 199, 200, 300] {
                let want: Vec<u64> = offsets.iter().copied().filter(|&o| o >= from && o < to).collect();
                let got: Vec<u64> = log.slice(from, to).iter().map(|r| r.offset).collect();
                assert_eq!(got, want, "slice({from}, {to})");
            }
        }
    }
}
