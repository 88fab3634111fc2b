//! Kafka's transactions (KIP-98, exactly-once; KIP-447 for consume-transform-produce): the pure
//! pieces the broker and the clients build on.
//! - `coordinator` — one transactional id as its transaction coordinator keeps it
//!   (`TransactionMetadata` with `TransactionCoordinator`'s checks), and loading it back from
//!   `__transaction_state` after a coordinator failover.
//! - `partition` — what a partition's replicas keep of transactions (the open ones, the last
//!   stable offset, the aborted-transaction index), and the read_committed consumer's filter.

pub mod coordinator;
pub mod partition;

use crate::time::Time;

/// `transaction.state.log.num.partitions`: Kafka's default is 50.
pub const DEFAULT_STATE_PARTITIONS: u32 = 50;
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
