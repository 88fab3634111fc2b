//! A Kafka broker's resources. A produce request costs the CPU `cpu_per_request` plus
//! `cpu_per_record` per record — so a batch of 100 records pays the request's cost once, which is
//! where batching (`linger.ms`, `batch.size`) gets its throughput — and the disk its bytes at the
//! sequential bandwidth (an append; Kafka leaves the flush to the OS, no fsync per write). A
//! follower's append of what it fetched costs the same. A fetch (a consumer's or a follower's)
//! costs the CPU per request and per record it returns; the records come from the page cache when
//! they are among the newest `page_cache / replicas on the broker` bytes of their partition, else
//! from disk: a seek and the bytes at the sequential bandwidth. Retained data costs disk space,
//! not throughput: a fetch of the tail never reads it.
//!
//! Simplified: the page cache is shared evenly by the broker's replicas (the OS keeps the most
//! recently written pages of the whole broker); records a parked fetch returns later are not
//! charged (the fetch paid for what was there when it arrived); one CPU and one disk per broker
//! (a real broker has `num.network.threads` and `num.io.threads` over several cores).

use super::{transfer_ns, Cost, KafkaResources, Station};
use crate::kafka::broker::Broker;
use crate::kafka::msg::{KafkaMsg, Tp};
use crate::kafka::partition::FetchResponse;
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;
use crate::NodeId;
use std::collections::VecDeque;

/// One broker's CPU and disk, and the data requests waiting for them.
#[derive(Clone, Debug, Default)]
pub struct BrokerRes {
    pub station: Station,
    /// Admitted requests not yet handled, in the order they will be (one `Serve` timer each).
    pending: VecDeque<(NodeId, KafkaMsg)>,
    /// Fetches served from the page cache, and from disk (counted for the page).
    pub cache_reads: u64,
    pub disk_reads: u64,
}

impl BrokerRes {
    /// Requests waiting for the CPU or the disk.
    pub fn queued(&self) -> usize {
        self.pending.len()
    }
}

/// A broker receives `msg`: a data request waits for its CPU and disk time (and is handled when
/// its `Serve` timer fires); anything else, or any message when the scenario has no resources, is
/// handled at once.
pub fn on_message(b: &mut Broker, ctx: &mut Ctx, from: NodeId, msg: KafkaMsg) {
    let Some(cfg) = b.cluster.resources.clone() else { return b.on_message(ctx, from, msg) };
    let Some(cost) = cost(b, &cfg, &msg) else { return b.on_message(ctx, from, msg) };
    let res = b.res.get_or_insert_with(Box::default);
    match &cost {
        (_, Some(true)) => res.cache_reads += 1,
        (_, Some(false)) => res.disk_reads += 1,
        _ => {}
    }
    let ready = res.station.admit(ctx.now, cost.0);
    res.pending.push_back((from, msg));
    ctx.set_timer(ready.saturating_sub(ctx.now), KafkaTimer::Serve);
}

/// A broker's timer: `Serve` hands the oldest waiting request to the broker.
pub fn on_timer(b: &mut Broker, ctx: &mut Ctx, timer: KafkaTimer) {
    if timer != KafkaTimer::Serve {
        return b.on_timer(ctx, timer);
    }
    if let Some((from, msg)) = b.res.as_mut().and_then(|r| r.pending.pop_front()) {
        b.on_message(ctx, from, msg);
    }
}

/// What a data request costs; `None` for control requests. The second part says, for a fetch
/// that returns records, whether they came from the page cache.
fn cost(b: &Broker, cfg: &KafkaResources, msg: &KafkaMsg) -> Option<(Cost, Option<bool>)> {
    let per_request = cfg.cpu_per_request_us as u64 * 1000;
    let cpu = |records: u64| per_request + records * cfg.cpu_per_record_ns as u64;
    let append = |records: u64, bytes: u64| Cost { cpu: cpu(records), disk: transfer_ns(bytes, cfg.disk_mb_s) };
    match msg {
        KafkaMsg::Produce { batches, size, .. } => {
            let records: u64 = batches.iter().map(|b| b.records.len() as u64).sum();
            Some((append(records, records * *size as u64), None))
        }
        KafkaMsg::ReplicaFetchResponse(response) => {
            let parts = response.result.as_ref().ok()?;
            let records = || {
                parts.iter().filter_map(|(_, r)| match r {
                    FetchResponse::Records { records, .. } => Some(records),
                    _ => None,
                })
            };
            let count = records().map(|r| r.len() as u64).sum();
            let bytes = records().flatten().map(|r| r.size as u64).sum();
            Some((append(count, bytes), None))
        }
        // A consumer's fetch reads each of its partitions.
        KafkaMsg::Fetch { parts, .. } => {
            let reads = parts.iter().map(|p| read(b, cfg, p.tp, p.offset, true));
            Some(read_cost(reads.collect(), cpu))
        }
        // A follower's session fetch reads each partition it lists (the others are at their
        // log end, where nothing is read until new data arrives).
        KafkaMsg::ReplicaFetch(fetch) => {
            let reads = fetch.parts.iter().map(|p| read(b, cfg, p.tp, p.offset, false));
            Some(read_cost(reads.collect(), cpu))
        }
        _ => None,
    }
}

/// What a fetch's reads cost together, and whether the page cache had all they read.
fn read_cost(reads: Vec<(u64, u64, Option<bool>)>, cpu: impl Fn(u64) -> u64) -> (Cost, Option<bool>) {
    let records = reads.iter().map(|r| r.0).sum();
    let disk = reads.iter().map(|r| r.1).sum();
    let cached = reads.iter().filter_map(|r| r.2).reduce(|a, b| a && b);
    (Cost { cpu: cpu(records), disk }, cached)
}

/// What reading `tp` from `offset` costs: records, disk time, and whether the page cache had them
/// (`None`: nothing to read).
fn read(b: &Broker, cfg: &KafkaResources, tp: Tp, offset: u64, consumer: bool) -> (u64, u64, Option<bool>) {
    let Some(r) = b.replicas.get(&tp) else { return (0, 0, None) };
    let end = if consumer { r.log.hw() } else { r.log.leo() };
    let records = end.saturating_sub(offset);
    if records == 0 {
        return (0, 0, None);
    }
    let held = r.log.leo().saturating_sub(r.log.log_start()).max(1);
    let record_bytes = r.log.bytes() / held;
    let behind = r.log.leo().saturating_sub(offset) * record_bytes;
    let share = cfg.page_cache_bytes() / b.replicas.len().max(1) as u64;
    let cached = behind <= share;
    let disk = match cached {
        true => 0,
        false => cfg.disk_seek_us as u64 * 1000 + transfer_ns(records * record_bytes, cfg.disk_mb_s),
    };
    (records, disk, Some(cached))
}

/// The page cache's fill: bytes of the broker's logs it holds (all of them, up to its size).
pub fn page_cache_used(b: &Broker, cfg: &KafkaResources) -> u64 {
    let logs: u64 = b.replicas.values().map(|r| r.log.bytes()).sum();
    logs.min(cfg.page_cache_bytes())
}

/// How long a request arriving now would wait for the CPU and the disk.
pub fn backlog(b: &Broker, now: Time) -> (Time, Time) {
    b.res.as_ref().map_or((Time::ZERO, Time::ZERO), |r| (r.station.cpu.backlog(now), r.station.disk.backlog(now)))
}
