//! How a coordinator writes a transactional id's entry to `__transaction_state` and reads it back
//! (`TransactionLog.valueToBytes` / `readTxnRecordValue`). The model's records hold a small key and
//! a 64-bit value, so an entry is a batch of records keyed by the id's index: a header (state,
//! epoch, producer id), the transaction's start, its timeout, then one record per partition.

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

fn state_code(s: TxnState) -> u64 {
    s as u64
}

fn state_of(code: u64) -> Option<TxnState> {
    use TxnState::*;
    [Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort].get(code as usize).copied()
}

/// The records of one entry, as (key, value).
pub fn encode(txn: u8, e: &TxnEntry) -> Vec<(Option<u32>, u64)> {
    let key = Some(txn as u32);
    let header = (state_code(e.state) << 48) | ((e.epoch as u64) << 32) | e.producer_id as u64;
    let mut out = vec![
        (key, (HEADER << TAG_SHIFT) | header),
        (key, (START << TAG_SHIFT) | (e.start.0 & LOW)),
        (key, (TIMEOUT << TAG_SHIFT) | (e.timeout.0 & LOW)),
    ];
    let part = |tp: &Tp| (key, (PARTITION << TAG_SHIFT) | ((tp.topic as u64) << 16) | tp.partition as u64);
    out.extend(e.partitions.iter().map(part));
    out
}

/// Every entry in a log, in order: `(transactional id index, entry)`.
pub fn decode<'a>(records: impl Iterator<Item = &'a Record>) -> Vec<(u8, TxnEntry)> {
    let mut out: Vec<(u8, TxnEntry)> = vec![];
    for r in records {
        let Some(key) = r.key else { continue };
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
            out.push((key as u8, entry));
            continue;
        }
        let Some((_, e)) = out.last_mut().filter(|(k, _)| *k as u32 == key) else { continue };
        match tag {
            START => e.start = Time(v),
            TIMEOUT => e.timeout = Time(v),
            _ => e.partitions.push(Tp { topic: (v >> 16) as u16, partition: v as u16 }),
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
}
