//! The scenario's transaction settings: the producer's `transactional_id`, `transaction_timeout`
//! and `transaction_records`, the consumer's `isolation_level`, and the cluster's
//! `transaction_state_partitions` and `transaction_state_segment_bytes` — checked here, with
//! Kafka's rules.

use super::{DEFAULT_STATE_PARTITIONS, DEFAULT_STATE_SEGMENT_BYTES, DEFAULT_TIMEOUT, MAX_TIMEOUT};
use crate::kafka::config::{AcksSpec, KafkaSpec, ProducerSpec};
use crate::time::Time;
use serde::{Deserialize, Serialize};

/// The most `__transaction_state` partitions the model takes (as `__consumer_offsets`).
pub const MAX_STATE_PARTITIONS: u32 = 64;
/// Records per transaction when the scenario does not say.
pub const DEFAULT_RECORDS: u32 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IsolationLevel {
    #[default]
    ReadUncommitted,
    ReadCommitted,
}

/// What a transactional producer is given: its id's index, timeout and records per transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxnSettings {
    pub txn: u8,
    pub timeout: Time,
    pub records: u32,
}

impl ProducerSpec {
    pub fn txn_settings(&self, ids: &[String]) -> Option<TxnSettings> {
        let id = self.transactional_id.as_ref()?;
        Some(TxnSettings {
            txn: ids.iter().position(|i| i == id)? as u8,
            timeout: self.transaction_timeout.unwrap_or(DEFAULT_TIMEOUT),
            records: self.transaction_records.unwrap_or(DEFAULT_RECORDS),
        })
    }
}

impl KafkaSpec {
    /// The distinct transactional ids, in the order producers name them.
    pub fn txn_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = vec![];
        let processors = self.processors.iter().filter(|p| p.exactly_once());
        let all = self.producers.iter().filter_map(|p| p.transactional_id.clone());
        for id in all.chain(processors.filter_map(|p| p.transactional_id.clone())) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    pub fn txn_state_partitions(&self) -> u32 {
        self.transaction_state_partitions.unwrap_or(DEFAULT_STATE_PARTITIONS)
    }

    /// `transaction.state.log.segment.bytes`: compaction cleans only rolled segments.
    pub fn txn_state_segment_bytes(&self) -> u64 {
        self.transaction_state_segment_bytes.unwrap_or(DEFAULT_STATE_SEGMENT_BYTES)
    }
}

pub fn validate(spec: &KafkaSpec) -> Result<(), String> {
    let n = spec.txn_state_partitions();
    if n == 0 || n > MAX_STATE_PARTITIONS {
        return Err(format!("kafka.transaction_state_partitions: must be from 1 to {MAX_STATE_PARTITIONS}"));
    }
    if !(100..=1 << 40).contains(&spec.txn_state_segment_bytes()) {
        return Err("kafka.transaction_state_segment_bytes: from 100 bytes to 1 TiB".into());
    }
    if spec.txn_ids().len() > 200 {
        return Err("kafka.producers: at most 200 transactional ids".into());
    }
    for (i, p) in spec.producers.iter().enumerate() {
        let f = |field: &str| format!("kafka.producers[{i}].{field}");
        let Some(id) = &p.transactional_id else {
            if p.transaction_timeout.is_some() || p.transaction_records.is_some() {
                return Err(format!("{}: only for a producer with a transactional_id", f("transaction_timeout")));
            }
            continue;
        };
        if id.trim().is_empty() {
            return Err(format!("{}: must not be empty", f("transactional_id")));
        }
        // KafkaProducer: a transactional id needs idempotence (acks=all, at most 5 in flight).
        if p.enable_idempotence == Some(false) || p.acks != AcksSpec::All || p.max_in_flight > 5 {
            return Err(format!(
                "{}: a transactional producer needs idempotence (acks \"all\", max_in_flight at most 5)",
                f("transactional_id")
            ));
        }
        let timeout = p.transaction_timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout < Time::ms(1) || timeout > MAX_TIMEOUT {
            return Err(format!(
                "{}: from 1ms to 900s (the broker's transaction.max.timeout.ms)",
                f("transaction_timeout")
            ));
        }
        if p.transaction_records.is_some_and(|r| r == 0 || r > 100_000) {
            return Err(format!("{}: from 1 to 100000", f("transaction_records")));
        }
    }
    Ok(())
}
