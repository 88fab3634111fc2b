//! Kafka's client-side algorithms, exactly as Kafka computes them — the pieces the Kafka engine,
//! the page's calculators and `brokerlab partition` / `brokerlab assign` share.
//!
//! - `partitioner` — murmur2 and the built-in partitioner for keyed records.
//! - `assignor`    — consumer-group partition assignors (range, roundrobin).
//! - `log`         — one replica's log: offsets, leader epochs, LEO, HW, epoch cache, truncation.
//! - `partition`   — one replica as a state machine: leader/follower, acks, ISR, HW, divergence.
//! - `placement`   — replica placement at topic creation, and offline leader election.

pub mod assignor;
pub mod log;
pub mod partition;
pub mod partitioner;
pub mod placement;
