//! Where throughput comes from: a broker that spends CPU, disk and memory (opt-in, the scenario's
//! `kafka.resources` / `rabbit.resources`; without it a broker works in zero time, as before).
//!
//! The model in a paragraph: each broker has one CPU and one disk, each a FIFO server in simulated
//! time. A data request (Kafka: produce, fetch, a follower's append; RabbitMQ: publish, ack, get)
//! costs CPU — a fixed cost per request plus one per record or message — and, where it touches
//! the disk, disk time: sequential bytes at the disk's bandwidth, a seek for a random read, an
//! fsync for a RabbitMQ persistent message. A request waits for the CPU to be free, then for
//! the disk, and is handled when both are done; requests are handled in the order they arrived
//! (as one connection's requests are in both brokers). Work that is only known once a request is
//! handled (RabbitMQ's deliveries and confirms, reading paged messages back, paging new ones out)
//! is charged to the servers then and delays what comes after. So under load requests queue:
//! saturation, queueing delay and backpressure come out of the model rather than being drawn.
//! Control requests (metadata, groups, the controller's and KRaft's) are served at once, as on a
//! separate control plane (KIP-291); a ZooKeeper server has its own FIFO server
//! (`kafka::zk_service`), on whether or not resources are.
//!
//! - `config` — the scenario's `resources` blocks, their defaults and checks.
//! - `kafka`  — a Kafka broker's costs: batching amortises the per-request cost; recent data is
//!   read from the page cache, old data from disk.
//! - `rabbit` — a RabbitMQ broker's costs, its memory (`vm_memory_high_watermark`, flow control
//!   that blocks publishers) and classic queues paging message bodies to disk.

pub mod config;
pub mod kafka;
pub mod rabbit;

pub use config::{KafkaResources, RabbitResources};

use crate::time::Time;

/// One resource: a FIFO server. Times are in nanoseconds so per-record costs below a microsecond
/// add up exactly; the simulation's clock is in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Server {
    /// When the work accepted so far is done (ns).
    pub free_at: u64,
    /// All the work ever accepted (ns): its growth over a window is the utilisation.
    pub busy: u64,
    /// The gauge's window: where the current one starts (ns), the work accepted in it, and the
    /// share of the previous one (thousandths).
    win_start: u64,
    win_busy: u64,
    last_share: u32,
}

/// The utilisation gauge's window: 20 ms of simulated time.
pub const WINDOW_NS: u64 = 20_000_000;

impl Server {
    /// Work of `work` ns arriving at `at` (ns): it starts once the server is free and ends at the
    /// returned instant.
    pub fn serve(&mut self, at: u64, work: u64) -> u64 {
        let w = at / WINDOW_NS * WINDOW_NS;
        if w != self.win_start {
            self.last_share = if w == self.win_start + WINDOW_NS { self.window_share() } else { 0 };
            self.win_start = w;
            self.win_busy = 0;
        }
        self.win_busy += work;
        let start = at.max(self.free_at);
        self.free_at = start + work;
        self.busy += work;
        self.free_at
    }

    fn window_share(&self) -> u32 {
        (self.win_busy * 1000 / WINDOW_NS).min(1000) as u32
    }

    /// How busy the server was over the last whole window before `now`, in thousandths: the
    /// work it accepted then over the window's length (a saturated server reads 1000).
    pub fn utilisation(&self, now: Time) -> u32 {
        let w = now.0 * 1000 / WINDOW_NS * WINDOW_NS;
        if w == self.win_start {
            self.last_share
        } else if w == self.win_start + WINDOW_NS {
            self.window_share()
        } else {
            0
        }
    }

    /// How long work arriving now would wait (the queue in front of it).
    pub fn backlog(&self, now: Time) -> Time {
        Time(self.free_at.saturating_sub(now.0 * 1000).div_ceil(1000))
    }
}

/// A broker's CPU and disk, and the order its requests complete in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Station {
    pub cpu: Server,
    pub disk: Server,
    /// When the last admitted request is done (ns): no request completes before an earlier one.
    last_done: u64,
}

/// A request's cost: CPU and disk time in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    pub cpu: u64,
    pub disk: u64,
}

impl Station {
    /// A request arriving now: it takes the CPU, then the disk, and completes after every request
    /// admitted before it. Returns the instant it is handled (rounded up to the clock's µs).
    pub fn admit(&mut self, now: Time, cost: Cost) -> Time {
        let at = now.0 * 1000;
        let cpu_done = self.cpu.serve(at, cost.cpu);
        let done = if cost.disk > 0 { self.disk.serve(cpu_done, cost.disk) } else { cpu_done };
        self.last_done = self.last_done.max(done);
        Time(self.last_done.div_ceil(1000))
    }

    /// Work found while handling a request (deliveries, paging): it occupies the servers from now
    /// and delays the requests admitted after it.
    pub fn charge(&mut self, now: Time, cost: Cost) {
        let at = now.0 * 1000;
        if cost.cpu > 0 {
            self.cpu.serve(at, cost.cpu);
        }
        if cost.disk > 0 {
            self.disk.serve(at, cost.disk);
        }
    }
}

/// Nanoseconds to move `bytes` at `mb_s` megabytes (10^6 bytes) per second.
pub fn transfer_ns(bytes: u64, mb_s: u32) -> u64 {
    (bytes * 1000).div_ceil(mb_s.max(1) as u64)
}

#[cfg(test)]
mod tests;
