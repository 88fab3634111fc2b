//! The metadata log `__cluster_metadata`, as each controller and broker holds it: records at
//! offsets 0, 1, … with the leader epoch that wrote them. On disk in Kafka: it survives a crash.

use super::Entry;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetaLog {
    entries: Vec<Entry>,
}

impl MetaLog {
    /// The offset the next record gets (the log end offset).
    pub fn end(&self) -> u64 {
        self.entries.len() as u64
    }

    /// The epoch of the last record (0 for an empty log).
    pub fn last_epoch(&self) -> u32 {
        self.entries.last().map_or(0, |e| e.epoch)
    }

    pub fn get(&self, offset: u64) -> Option<&Entry> {
        self.entries.get(offset as usize)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn append(&mut self, entry: Entry) -> u64 {
        assert!(entry.epoch >= self.last_epoch(), "a log's epochs never go down");
        self.entries.push(entry);
        self.end() - 1
    }

    /// Up to `max` records from `offset`.
    pub fn read(&self, offset: u64, max: usize) -> Vec<Entry> {
        self.entries.iter().skip(offset as usize).take(max).cloned().collect()
    }

    pub fn truncate(&mut self, to: u64) {
        self.entries.truncate(to as usize);
    }

    /// KIP-595's `endOffsetForEpoch`: the largest epoch in the log not above `epoch`, and where it
    /// ends (the start of the next epoch, or the log end).
    pub fn end_for_epoch(&self, epoch: u32) -> (u32, u64) {
        let at = self.entries.partition_point(|e| e.epoch <= epoch);
        let found = if at == 0 { 0 } else { self.entries[at - 1].epoch };
        (found, at as u64)
    }

    /// The leader's check of a fetch from `offset` whose previous record has `last_epoch`:
    /// `Some((epoch, end))` if the fetcher's log diverges from this one there.
    pub fn diverging(&self, offset: u64, last_epoch: u32) -> Option<(u32, u64)> {
        if offset == 0 {
            return None;
        }
        let (epoch, end) = self.end_for_epoch(last_epoch);
        (epoch != last_epoch || end < offset).then_some((epoch, end))
    }

    /// The fetcher's side of a divergence: truncate to the leader's end of `epoch` or its own,
    /// whichever is lower (`truncateToEndOffset`).
    pub fn truncate_diverging(&mut self, epoch: u32, end_offset: u64) -> u64 {
        let (_, own_end) = self.end_for_epoch(epoch);
        let to = end_offset.min(own_end).min(self.end());
        self.truncate(to);
        to
    }

    /// Appends the records a fetch from `from` returned, if the log still ends there.
    pub fn accept(&mut self, from: u64, entries: Vec<Entry>) -> bool {
        if from != self.end() {
            return false;
        }
        for e in entries {
            self.append(e);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Entry, MetadataRecord};
    use super::*;

    fn log(epochs: &[u32]) -> MetaLog {
        let mut l = MetaLog::default();
        for &epoch in epochs {
            l.append(Entry { epoch, record: MetadataRecord::Topic { topic: 0 }, told: None });
        }
        l
    }

    #[test]
    fn divergence_is_found_by_epoch_as_kip_595_says() {
        let leader = log(&[1, 1, 2, 2, 4]);
        assert_eq!(leader.end_for_epoch(2), (2, 4));
        assert_eq!(leader.end_for_epoch(3), (2, 4), "epoch 3 is not in the log: the end of 2");
        assert_eq!(leader.end_for_epoch(0), (0, 0));
        assert_eq!(leader.diverging(0, 0), None);
        assert_eq!(leader.diverging(4, 2), None, "agrees up to offset 4");
        assert_eq!(leader.diverging(5, 4), None);
        // A follower that wrote offsets 2..5 in epoch 3 (a leader that never committed them).
        let mut follower = log(&[1, 1, 3, 3, 3]);
        let (epoch, end) = leader.diverging(follower.end(), follower.last_epoch()).unwrap();
        assert_eq!((epoch, end), (2, 4));
        assert_eq!(follower.truncate_diverging(epoch, end), 2, "its own end of epoch 2 is lower");
        assert_eq!(leader.diverging(follower.end(), follower.last_epoch()), None);
        assert!(follower.accept(2, leader.read(2, 10)));
        assert_eq!(follower, leader);
        assert!(!follower.accept(3, vec![]), "a stale answer is not appended");
    }
}
