//! Quorum queues (`x-queue-type: quorum`): what makes them differ from classic queues, and the
//! Raft that replicates them across the cluster's nodes.
//!
//! - `args`  — the declaration: the arguments quorum queues take and refuse, with RabbitMQ's own
//!   PRECONDITION_FAILED texts;
//! - `fifo`  — `rabbit_fifo`'s behaviours a client sees (RabbitMQ 3.10, checked against Debian's
//!   broker by the differential test): where a returned message goes, `x-delivery-count`,
//!   `x-delivery-limit`, reject-publish blocking;
//! - `raft`  — one member of a queue's Raft group as Ra runs it (push-based, pre-vote);
//! - `replica` — the queue's state as every member applies the committed log;
//! - `event` — what the learner is shown of them.

pub mod args;
pub mod event;
pub mod fifo;
pub mod raft;
pub mod replica;

pub use args::QuorumArgs;
pub use fifo::QuorumState;
