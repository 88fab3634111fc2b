//! The idempotent producer's state as every replica keeps it (Kafka's `ProducerStateManager`): per
//! producer id, the last sequence number appended and the last five batches, so a retried batch
//! that was already written is answered with its original offset instead of being written twice,
//! and a batch that skips ahead (an earlier one is still being retried) is refused with
//! OUT_OF_ORDER_SEQUENCE_NUMBER so the producer resends in order. Followers rebuild it from the
//! records they copy, so a new leader knows what its predecessor wrote.
//!
//! Per producer id it also keeps the producer's epoch (`ProducerStateManager`'s `checkProducerEpoch`
//! and `checkSequence`): a batch from an older epoch is refused (INVALID_PRODUCER_EPOCH); a newer
//! epoch must start at sequence 0 and replaces the old epoch's batches, as when an idempotent
//! producer bumps its epoch after batches expired (KIP-360).
//!
//! Transaction markers (control records) carry no sequence and only raise the epoch; what a
//! partition keeps of open and aborted transactions is `txn::PartitionTxns`.
//!
//! A producer id the replica has no state for is accepted at any sequence, as Kafka's broker
//! does since 2.5 (KIP-360, KAFKA-8710: `ProducerAppendInfo.checkSequence` throws only when the epoch
//! is known; before, a non-zero first sequence was UNKNOWN_PRODUCER_ID).

use super::log::Record;
use crate::vecmap::VecMap;
use std::collections::VecDeque;

/// Kafka keeps this many batches per producer for duplicate detection
/// (`ProducerStateEntry.NUM_BATCHES_TO_RETAIN`), which is why idempotence needs
/// `max.in.flight.requests.per.connection` ≤ 5.
pub const BATCHES_KEPT: usize = 5;

/// A batch as written: sequence range and offset range `[first_offset, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Batch {
    first_seq: u32,
    last_seq: u32,
    first_offset: u64,
    end: u64,
}

/// One producer's state: its epoch and its last batches in that epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Entry {
    epoch: u16,
    batches: VecDeque<Batch>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProducerStates {
    entries: VecMap<u32, Entry>,
}

/// What to do with an incoming batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqCheck {
    Append,
    /// Already written at `[first_offset, end)`.
    Duplicate {
        first_offset: u64,
        end: u64,
    },
    OutOfOrder,
    /// From an older epoch than the producer's latest.
    InvalidEpoch,
}

impl ProducerStates {
    pub fn check(&self, producer: u32, epoch: u16, first_seq: u32, count: u32) -> SeqCheck {
        let Some(entry) = self.entries.get(&producer) else { return SeqCheck::Append };
        if epoch < entry.epoch {
            return SeqCheck::InvalidEpoch;
        }
        if epoch > entry.epoch {
            return if first_seq == 0 { SeqCheck::Append } else { SeqCheck::OutOfOrder };
        }
        let batches = &entry.batches;
        let last_seq = first_seq.wrapping_add(count.saturating_sub(1));
        if let Some(b) = batches.iter().find(|b| b.first_seq == first_seq && b.last_seq == last_seq) {
            return SeqCheck::Duplicate { first_offset: b.first_offset, end: b.end };
        }
        match batches.back() {
            Some(b) if first_seq != b.last_seq.wrapping_add(1) => SeqCheck::OutOfOrder,
            _ => SeqCheck::Append,
        }
    }

    /// The sequence a batch of `producer` at `epoch` must start with to be appended: the
    /// coordinator writes a transaction's offsets as the producer's records this way (Kafka's
    /// coordinator-origin appends carry no sequence and are only checked for their epoch).
    pub fn next_seq(&self, producer: u32, epoch: u16) -> u32 {
        match self.entries.get(&producer) {
            Some(e) if e.epoch == epoch => e.batches.back().map_or(0, |b| b.last_seq.wrapping_add(1)),
            _ => 0,
        }
    }

    /// Notes records just written (by the leader, or copied by a follower).
    pub fn apply(&mut self, records: &[Record]) {
        for r in records.iter().filter(|r| r.producer != 0) {
            if r.kind.is_control() {
                // A transaction marker carries no sequence; one of a newer epoch (the coordinator
                // bumped it to fence a producer) fences the older epoch here too
                // (`ProducerAppendInfo.appendEndTxnMarker`).
                let entry = self.entries.get_or_insert_with(r.producer, Entry::default);
                if r.producer_epoch > entry.epoch {
                    *entry = Entry { epoch: r.producer_epoch, batches: VecDeque::new() };
                }
                continue;
            }
            let entry =
                self.entries.get_or_insert_with(r.producer, || Entry { epoch: r.producer_epoch, ..Entry::default() });
            if entry.epoch != r.producer_epoch {
                *entry = Entry { epoch: r.producer_epoch, batches: VecDeque::new() };
            }
            let batches = &mut entry.batches;
            match batches.back_mut() {
                Some(b) if !r.batch_start && b.end == r.offset => {
                    b.last_seq = r.seq;
                    b.end = r.offset + 1;
                }
                _ => {
                    if batches.len() == BATCHES_KEPT {
                        batches.pop_front();
                    }
                    batches.push_back(Batch {
                        first_seq: r.seq,
                        last_seq: r.seq,
                        first_offset: r.offset,
                        end: r.offset + 1,
                    });
                }
            }
        }
    }

    /// After a truncation: the state is read again from what is left of the log.
    pub fn rebuild<'a>(&mut self, records: impl Iterator<Item = &'a Record>) {
        self.entries.clear();
        let all: Vec<Record> = records.copied().collect();
        self.apply(&all);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Time;

    fn batch(producer: u32, first_seq: u32, first_offset: u64, n: u32) -> Vec<Record> {
        (0..n)
            .map(|i| Record {
                offset: first_offset + i as u64,
                epoch: 0,
                key: None,
                value: 0,
                timestamp: Time::ZERO,
                producer,
                producer_epoch: 0,
                seq: first_seq + i,
                batch_start: i == 0,
                size: 100,
                kind: Default::default(),
            })
            .collect()
    }

    #[test]
    fn duplicates_are_found_and_gaps_refused() {
        let mut s = ProducerStates::default();
        assert_eq!(s.check(7, 0, 0, 3), SeqCheck::Append);
        s.apply(&batch(7, 0, 10, 3));
        s.apply(&batch(7, 3, 13, 2));
        assert_eq!(s.check(7, 0, 0, 3), SeqCheck::Duplicate { first_offset: 10, end: 13 });
        assert_eq!(s.check(7, 0, 3, 2), SeqCheck::Duplicate { first_offset: 13, end: 15 });
        assert_eq!(s.check(7, 0, 5, 1), SeqCheck::Append);
        assert_eq!(s.check(7, 0, 6, 1), SeqCheck::OutOfOrder, "seq 5 has not arrived yet");
        assert_eq!(s.check(8, 0, 40, 1), SeqCheck::Append, "an unknown producer is accepted");
    }

    #[test]
    fn only_five_batches_are_remembered_and_rebuild_gives_the_same_state() {
        let mut s = ProducerStates::default();
        let mut log = vec![];
        for i in 0..7 {
            let b = batch(1, i * 2, i as u64 * 2, 2);
            s.apply(&b);
            log.extend(b);
        }
        assert_eq!(s.check(1, 0, 0, 2), SeqCheck::OutOfOrder, "the first batches are forgotten");
        assert_eq!(s.check(1, 0, 4, 2), SeqCheck::Duplicate { first_offset: 4, end: 6 });
        let mut rebuilt = ProducerStates::default();
        rebuilt.rebuild(log.iter());
        assert_eq!(rebuilt, s);
    }

    #[test]
    fn a_new_epoch_starts_at_sequence_0_and_fences_the_old_one() {
        let mut s = ProducerStates::default();
        s.apply(&batch(7, 0, 0, 3));
        assert_eq!(s.check(7, 1, 5, 1), SeqCheck::OutOfOrder, "a new epoch starts at 0");
        assert_eq!(s.check(7, 1, 0, 2), SeqCheck::Append);
        let mut bumped = batch(7, 0, 3, 2);
        bumped.iter_mut().for_each(|r| r.producer_epoch = 1);
        s.apply(&bumped);
        assert_eq!(s.check(7, 0, 3, 1), SeqCheck::InvalidEpoch, "the old epoch is fenced");
        assert_eq!(s.check(7, 1, 0, 2), SeqCheck::Duplicate { first_offset: 3, end: 5 });
        assert_eq!(s.check(7, 1, 2, 1), SeqCheck::Append);
    }

    #[test]
    fn a_marker_of_a_newer_epoch_fences_the_older_one_and_keeps_no_sequence() {
        let mut s = ProducerStates::default();
        s.apply(&batch(7, 0, 0, 2));
        let mut marker = batch(7, 0, 2, 1);
        marker[0].kind = crate::kafka::log::RecordKind::Abort;
        marker[0].producer_epoch = 1;
        s.apply(&marker);
        assert_eq!(s.check(7, 0, 2, 1), SeqCheck::InvalidEpoch, "the coordinator bumped the epoch");
        assert_eq!(s.check(7, 1, 0, 1), SeqCheck::Append, "the new epoch starts at 0");
    }
}
