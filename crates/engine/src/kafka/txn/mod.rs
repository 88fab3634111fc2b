//! Kafka's transactions (KIP-98, exactly-once; KIP-447 for consume-transform-produce): the pure
//! pieces the broker and the clients build on.
//! - `coordinator` — one transactional id as its transaction coordinator keeps it
//!   (`TransactionMetadata` with `TransactionCoordinator`'s checks), and loading it back from
//!   `__transaction_state` after a coordinator failover.
//! - `partition` — what a partition's replicas keep of transactions (the open ones, the last
//!   stable offset, the aborted-transaction index), and the read_committed consumer's filter.
//! - `msg`, `event` — the transaction APIs' messages, and what the learner is shown.

pub mod config;
pub mod coordinator;
pub mod event;
pub mod msg;
pub mod offsets;
pub mod partition;
pub mod state_log;

use super::cluster::Topic;
use super::config::KafkaSpec;
use super::log::LogConfig;
use crate::time::Time;

/// The topic's name in Kafka.
pub const STATE_TOPIC: &str = "__transaction_state";

/// `__transaction_state` as the brokers create it (`TransactionStateManager`'s topic configs):
/// `transaction.state.log.num.partitions`, replication factor 3 and `min.insync.replicas` 2
/// (Kafka's defaults; with fewer brokers, all of them and at most that many),
/// `cleanup.policy=compact` and `segment.bytes` = `transaction.state.log.segment.bytes`; its
/// `segment.ms` is the broker's default (7 days). Compaction keeps each id's latest entry — a few
/// records here (`state_log`), one in Kafka.
pub fn state_topic(spec: &KafkaSpec) -> Topic {
    let replication_factor = spec.brokers.min(3);
    Topic {
        name: STATE_TOPIC.into(),
        partitions: spec.txn_state_partitions() as u16,
        replication_factor,
        min_insync_replicas: replication_factor.min(2),
        delete: false,
        compact: true,
        retention: None,
        retention_bytes: None,
        log: LogConfig { segment_bytes: spec.txn_state_segment_bytes(), ..LogConfig::default() },
    }
}

/// `transaction.state.log.num.partitions`: Kafka's default is 50.
pub const DEFAULT_STATE_PARTITIONS: u32 = 50;
/// `transaction.state.log.segment.bytes`: Kafka's default is 100 MiB.
pub const DEFAULT_STATE_SEGMENT_BYTES: u64 = 100 << 20;
/// `transaction.timeout.ms`, the producer's default.
pub const DEFAULT_TIMEOUT: Time = Time::secs(60);
/// `transaction.max.timeout.ms`, the broker's bound on it.
pub const MAX_TIMEOUT: Time = Time::secs(900);
/// `transaction.abort.timed.out.transaction.cleanup.interval.ms`: how often the coordinator
/// looks for transactions past their timeout.
pub const ABORT_CHECK_INTERVAL: Time = Time::secs(10);

/// The `__transaction_state` partition whose leader coordinates `transactional_id`
/// (`TransactionStateManager.partitionFor`: `Utils.abs(transactionalId.hashCode) % partitions`,
/// the same rule as a group's `__consumer_offsets` partition).
pub fn state_partition_for(transactional_id: &str, partitions: u32) -> u16 {
    super::cluster::offsets_partition_for(transactional_id, partitions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coordinator_partition_is_the_java_hash_modulo_the_partitions() {
        // "hello".hashCode() = 99162322 in Java: 99162322 % 50 = 22.
        assert_eq!(state_partition_for("hello", DEFAULT_STATE_PARTITIONS), 22);
        assert_eq!(state_partition_for("hello", 1), 0);
    }
}
