//! The leader-epoch cache (Kafka's `LeaderEpochFileCache`): where each leader epoch's records
//! begin in one replica's log, `(epoch, start offset)`, both strictly increasing. Replicas use it
//! to find where their logs diverge (KIP-101, KIP-279): a follower sends the epoch of its last
//! record, the leader answers with the end offset of that epoch in its own log (`end_offset_for`).
//!
//! What it follows of Kafka's class:
//! - `assign` keeps the entries monotonic: a new entry first removes every entry whose epoch or
//!   start offset is not below its own, so an epoch that wrote nothing is replaced by the next one
//!   starting at the same offset; the latest epoch again, at the same or a later offset, is no change;
//! - `end_offset_for`: the latest epoch ends at the LEO; an epoch newer than any cached one is
//!   undefined (`None`); an epoch older than the first cached one (its records deleted) ends where
//!   the first cached epoch starts; otherwise the largest cached epoch ≤ the one asked for, ending
//!   where the next cached epoch starts;
//! - `truncate_from_start` (the log start advanced): entries starting at or below the new log
//!   start go, the last of them kept with its start moved to the log start;
//! - `truncate_from_end` (a follower truncated): entries starting at or after the offset go.

/// `(epoch, start offset)` entries, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochCache {
    entries: Vec<(u32, u64)>,
}

impl EpochCache {
    pub fn entries(&self) -> &[(u32, u64)] {
        &self.entries
    }

    pub fn latest_epoch(&self) -> Option<u32> {
        self.entries.last().map(|e| e.0)
    }

    /// `assign(epoch, startOffset)`.
    pub fn assign(&mut self, epoch: u32, start: u64) {
        let needed = self.entries.last().is_none_or(|&(e, s)| e != epoch || start < s);
        if !needed {
            return;
        }
        while self.entries.last().is_some_and(|&(e, s)| e >= epoch || s >= start) {
            self.entries.pop();
        }
        self.entries.push((epoch, start));
    }

    /// `endOffsetFor(requestedEpoch, logEndOffset)`: `None` where Kafka answers UNDEFINED.
    pub fn end_offset_for(&self, epoch: u32, leo: u64) -> Option<(u32, u64)> {
        if self.latest_epoch() == Some(epoch) {
            return Some((epoch, leo));
        }
        let higher = self.entries.iter().find(|&&(e, _)| e > epoch)?;
        match self.entries.iter().rfind(|&&(e, _)| e <= epoch) {
            None => Some((epoch, higher.1)),
            Some(&(floor, _)) => Some((floor, higher.1)),
        }
    }

    /// Where `epoch`'s records begin, if this cache has it.
    pub fn start_of(&self, epoch: u32) -> Option<u64> {
        self.entries.iter().find(|&&(e, _)| e == epoch).map(|&(_, start)| start)
    }

    /// `truncateFromStart(startOffset)`.
    pub fn truncate_from_start(&mut self, start: u64) {
        let removed = self.entries.iter().take_while(|&&(_, s)| s <= start).count();
        if removed > 0 {
            let (epoch, _) = self.entries[removed - 1];
            self.entries.drain(..removed);
            self.entries.insert(0, (epoch, start));
        }
    }

    /// `truncateFromEnd(endOffset)`.
    pub fn truncate_from_end(&mut self, end: u64) {
        self.entries.retain(|&(_, start)| start < end);
    }

    /// `clearAndFlush`: the log was emptied to start again elsewhere.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}
