//! Kafka's client-side algorithms, exactly as Kafka computes them — the pieces the Kafka engine,
//! the page's calculators and `brokerlab partition` / `brokerlab assign` share.
//!
//! - `partitioner` — murmur2 and the built-in partitioner for keyed records.
//! - `assignor`    — consumer-group partition assignors (range, roundrobin).

pub mod assignor;
pub mod partitioner;
