//! Streams (`x-queue-type: stream`): an append-only log read by offset, as RabbitMQ 3.10 runs one
//! on a single node (`rabbit_stream_queue`, with osiris 1.3 for the log).
//!
//! - `args`  — the declaration (the arguments a stream takes and refuses, with RabbitMQ's
//!   PRECONDITION_FAILED texts) and a consumer's `x-stream-offset`;
//! - `log`   — the log itself: offsets, segments, retention by size and age, where a reader attaches;
//! - `event` — what the learner is shown of streams.
//!
//! How the broker uses it (`broker/stream.rs`): a publish appends; every consumer is a reader with
//! its own position that is sent everything from where it attached, never removing it; its prefetch
//! is its credit, and an ack only gives credit back.

pub mod args;
pub mod event;
pub mod log;

pub use args::{OffsetSpec, StreamArgs};
pub use log::{Reader, StreamLog};
