//! How a coordinator writes a transactional id's entry to `__transaction_state` and reads it back
//! (`TransactionLog.valueToBytes` / `readTxnRecordValue`). The model's records hold a small key and
//! a 64-bit value, so an entry is a batch of records: a header (state, epoch, producer id, how many
//! partitions), the transaction's start, its timeout, then one record per partition. Each has a key
//! of its own — the id's index and the record's slot — so that compaction (the topic is
//! `cleanup.policy=compact`, as Kafka creates it) keeps the latest entry of each id, where Kafka
//! keeps one record per id. A slot beyond the latest header's partitions, left by an older and
//! larger entry, is read as nothing.

use super::coordinator::{TxnEntry, TxnState};
use crate::kafka::log::Record;
use crate::kafka::msg::Tp;
use crate::time::Time;

const TAG_SHIFT: u32 = 62;
const HEADER: u64 = 0;
const START: u64 = 1;
const TIMEOUT: u64 = 2;
const PARTITION: u64 = 3;
const LOW: u64 = (1 << TAG_SHIFT) - 1;
/// Where the header keeps the entry's partition count.
const COUNT_SHIFT: u32 = 51;
/// Slots per id in the key: the header, start, timeout, and up to 253 partitions.
const SLOTS: u32 = 256;

fn key_of(txn: u8, slot: u32) -> Option<u32> {
    Some(txn as u32 * SLOTS + slot)
}

fn state_code(s: TxnState) -> u64 {
    s as u64
}

fn state_of(code: u64) -> Option<TxnState> {
    use TxnState::*;
    [Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort].get(code as usize).copied()
}

/// The records of one entry, as (key, value).
///
/// An entry names at most 253 partitions (the model's topics have fewer).
pub fn encode(txn: u8, e: &TxnEntry) -> Vec<(Option<u32>, u64)> {
    let n = e.partitions.len().min((SLOTS - 3) as usize);
    let header =
        ((n as u64) << COUNT_SHIFT) | (state_code(e.state) << 48) | ((e.epoch as u64) << 32) | e.producer_id as u64;
    let mut out = vec![
        (key_of(txn, 0), (HEADER << TAG_SHIFT) | header),
        (key_of(txn, 1), (START << TAG_SHIFT) | (e.start.0 & LOW)),
        (key_of(txn, 2), (TIMEOUT << TAG_SHIFT) | (e.timeout.0 & LOW)),
    ];
    let part = |(i, tp): (usize, &Tp)| {
        (key_of(txn, 3 + i as u32), (PARTITION << TAG_SHIFT) | ((tp.topic as u64) << 16) | tp.partition as u64)
    };
    out.extend(e.partitions.iter().take(n).enumerate().map(part));
    out
}

/// Every entry in a log, in order: `(transactional id index, entry)`. A record other than a
/// header belongs to the header just before it of the same id (compaction may have removed an
/// older entry's header and left some of its records: they follow no header of theirs).
pub fn decode<'a>(records: impl Iterator<Item = &'a Record>) -> Vec<(u8, TxnEntry)> {
    let mut out: Vec<(u8, TxnEntry)> = vec![];
    // The partition count of the last entry's header.
    let mut count = 0;
    for r in records {
        let Some(key) = r.key else { continue };
        let (txn, slot) = ((key / SLOTS) as u8, key % SLOTS);
        let (tag, v) = (r.value >> TAG_SHIFT, r.value & LOW);
        if tag == HEADER {
            let Some(state) = state_of((v >> 48) & 0x7) else { continue };
            let entry = TxnEntry {
                producer_id: v as u32,
                epoch: (v >> 32) as u16,
                timeout: Time::ZERO,
                state,
                partitions: vec![],
                start: Time::ZERO,
            };
            count = (v >> COUNT_SHIFT) as u32;
            out.push((txn, entry));
            continue;
        }
        let Some((_, e)) = out.last_mut().filter(|(k, _)| *k == txn) else { continue };
        match tag {
            START => e.start = Time(v),
            TIMEOUT => e.timeout = Time(v),
            _ if slot >= 3 && slot - 3 < count => {
                e.partitions.push(Tp { topic: (v >> 16) as u16, partition: v as u16 })
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::log::Log;

    #[test]
    fn entries_are_read_back_as_written() {
        let a = TxnEntry {
            producer_id: 10_003,
            epoch: 7,
            timeout: Time::secs(60),
            state: TxnState::PrepareCommit,
            partitions: vec![Tp { topic: 0, partition: 2 }, Tp { topic: 3, partition: 0 }],
            start: Time::ms(1234),
        };
        let b = TxnEntry { state: TxnState::CompleteAbort, partitions: vec![], ..a.clone() };
        let mut log = Log::default();
        log.append_batch(0, &encode(3, &a), None, 100, Time::ZERO);
        log.append_batch(0, &encode(1, &b), None, 100, Time::ZERO);
        assert_eq!(decode(log.records()), vec![(3, a), (1, b)]);
    }

    /// Compacted as Kafka compacts the topic, the log keeps the latest entry of each id, which
    /// reads back whole — even after an entry with more partitions than the latest.
    #[test]
    fn compaction_keeps_each_ids_latest_entry() {
        use crate::kafka::log::LogConfig;
        let tp = |partition| Tp { topic: 0, partition };
        let entry = |state, epoch, partitions: &[u16]| TxnEntry {
            producer_id: 10_000,
            epoch,
            timeout: Time::secs(60),
            state,
            partitions: partitions.iter().map(|&p| tp(p)).collect(),
            start: Time::ms(epoch as u64),
        };
        let mut log = Log::new(LogConfig { segment_bytes: 1_000, ..LogConfig::default() });
        let mut write = |txn, e: &TxnEntry| {
            log.append_batch(0, &encode(txn, e), None, 100, Time::ZERO);
        };
        for epoch in 0..20 {
            write(0, &entry(TxnState::Ongoing, epoch, &[0, 1, 2]));
            write(1, &entry(TxnState::PrepareCommit, epoch, &[1]));
            write(0, &entry(TxnState::CompleteCommit, epoch, &[2]));
        }
        // Filler past the last entry, so that the segments holding the entries are rolled.
        for _ in 0..20 {
            log.append(0, Some(u32::MAX), 0, Time::ZERO);
        }
        log.set_hw(log.leo());
        let before = log.records().count();
        assert!(log.compact() > 0);
        let records: Vec<_> = log.records().filter(|r| r.key != Some(u32::MAX)).collect();
        assert!(records.len() <= 3 + 3 + 3 + 1, "{} of {before} records left", records.len());
        let latest: std::collections::BTreeMap<u8, TxnEntry> = decode(log.records()).into_iter().collect();
        assert_eq!(latest[&0], entry(TxnState::CompleteCommit, 19, &[2]));
        assert_eq!(latest[&1], entry(TxnState::PrepareCommit, 19, &[1]));
    }
}
