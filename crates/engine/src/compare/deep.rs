//! The "deep queues" story: the same steady load on both brokers, with the resource model on,
//! and every consumer away for a while. RabbitMQ's classic queue holds what is not yet consumed
//! in the broker's memory: it grows, pages new bodies to disk past the paging ratio, and sets the
//! memory alarm that blocks the publishers; when the consumers return, each delivery of a paged
//! message reads it back from disk. Kafka's log keeps every record whether read or not: the
//! producer goes on at its pace, the consumers' lag grows, and when they return they read the
//! backlog sequentially — the part that left the page cache from disk, the recent part from
//! memory — and catch up. Unlike the sweeps of `perf`, this is one run per system, sampled every
//! `BUCKET` into a time series the page draws as charts; `tests/deep_queues.rs` checks the text
//! against it over several seeds.

use super::System;
use crate::kafka::msg::KafkaEvent;
use crate::models::Node;
use crate::rabbit::event::RabbitEvent;
use crate::rabbit::node::RabbitNode;
use crate::{EventKind, ModelEvents, NodeId, Scenario, Simulation, Time};
use serde_json::json;

/// Publishing starts, the consumers leave, they come back, the run ends.
pub const START: Time = Time::ms(500);
pub const AWAY_FROM: Time = Time::secs(1);
pub const AWAY_TO: Time = Time::secs(4);
pub const END: Time = Time::secs(7);
/// One sample per bucket.
pub const BUCKET: Time = Time::ms(100);
/// Messages per second offered, in all, and their size in bytes.
pub const RATE: u32 = 6_000;
pub const SIZE: u32 = 1000;
/// How long a consumer works on a message: four of them can take 40 000 a second.
pub const PROCESSING: Time = Time::us(100);
/// Publishers (RabbitMQ) and consumers (both).
const CLIENTS: u32 = 4;
/// RabbitMQ's memory and Kafka's page cache, scaled down from the defaults (1 GB) so that a
/// backlog of a few seconds is a deep one: the alarm at 0.4 × 10 MB, paging from half of that.
pub const RABBIT_MEMORY_MB: u32 = 10;
pub const KAFKA_PAGE_CACHE_MB: u32 = 8;

pub const TITLE: &str = "Deep queues: consumers away for 3 s";
pub const WHY: &str = "Both brokers get 6 000 messages of 1 KB a second, and four consumers that \
    can each process 10 000 a second. At 1 s every consumer goes away; at 4 s they come back. \
    RabbitMQ keeps what waits in a classic queue in the broker's memory (10 MB here, scaled down \
    so it fills in seconds): past half the memory watermark the queue pages new message bodies to \
    disk, and at its next look (once a second) the memory monitor finds the watermark (0.4 of the \
    memory) passed, sets the memory alarm and blocks every publisher (connection.blocked). \
    Publishing stops, and stays stopped after the consumers return, until they have drained the \
    queue below the watermark. Each paged message is read back from disk, a seek each, so while \
    paged messages remain the queue drains at under 10 000 a second, a quarter of what the \
    consumers could take. The publishers stop too: the broker no longer reads their connections, \
    so each one's socket buffers (about 144 KB) fill with some 140 messages within a tenth of a \
    second, and its next publish waits in the socket write, as a client's publish call blocks. \
    When the alarm clears only those few hundred messages wait to be read: the publishers resume \
    at their own pace, and what the broker takes in, once it has read the last paged messages \
    back, peaks for a tenth of a second at about twice the usual rate. What they did not publish \
    while blocked is never sent. \
    Kafka keeps every record in its log whether anyone reads it or not: the \
    producer goes on at its pace while the consumers' lag grows, and when they return they read \
    the backlog in order — the older part, no longer in the page cache (8 MB here), from disk, \
    the newer part from memory — at the 40 000 a second the consumers can process, and catch up \
    first. A queue is a buffer that costs memory while it is deep; a log is storage, and a deep \
    backlog costs only reads. The broker costs are the model's defaults (see the README), not \
    measurements.";

/// One bucket of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// The bucket's end.
    pub at: Time,
    /// Messages the broker took in (RabbitMQ: enqueued; Kafka: acknowledged to the producer), per second.
    pub published: u32,
    /// Messages consumers received, per second.
    pub consumed: u32,
    /// RabbitMQ: messages its publishers published (sent on their connections), per second.
    pub sent: u32,
    /// At the bucket's end: RabbitMQ the queue's messages (ready and unacknowledged); Kafka the
    /// records of the log that consumers have not read yet (the log end minus the next offset to
    /// read, summed over partitions).
    pub waiting: u64,
    /// RabbitMQ: messages whose bodies are paged to disk, at the bucket's end.
    pub paged: u64,
    /// RabbitMQ: the share of the bucket its publishers spent blocked, in thousandths.
    pub blocked: u32,
    /// Kafka: the share of the bucket's fetches served from disk (not the page cache), in thousandths.
    pub from_disk: u32,
}

fn names(prefix: &str) -> Vec<String> {
    super::numbered(prefix, CLIENTS)
}

/// Each consumer leaves at `AWAY_FROM` (cleanly: a Kafka member commits and leaves its group) and
/// starts again at `AWAY_TO`.
fn away(consumers: &[String]) -> Vec<serde_json::Value> {
    let leave = consumers.iter().map(|c| json!({"at": AWAY_FROM, "action": "leave", "node": c}));
    let back = consumers.iter().map(|c| json!({"at": AWAY_TO, "action": "start", "node": c}));
    leave.chain(back).collect()
}

/// The scenario each system runs, as JSON.
pub fn scenario(system: System) -> serde_json::Value {
    let consumers = names("c");
    match system {
        System::Kafka => {
            let mut faults = vec![json!({"at": START, "action": "start", "node": "p"})];
            faults.extend(away(&consumers));
            let group = |id: &String| json!({"id": id, "topic": "t", "group": "g", "processing": PROCESSING});
            json!({
                "name": "deep-queues-kafka", "until": END, "network": {"latency": "100us"},
                "faults": faults,
                "kafka": {
                    "brokers": 1, "resources": {"page_cache_mb": KAFKA_PAGE_CACHE_MB},
                    "topics": [{"name": "t", "partitions": 8, "replication_factor": 1}],
                    "offsets_topic_partitions": 1,
                    "group_initial_rebalance_delay": "50ms", "group_min_session_timeout": "100ms",
                    "groups": [{"id": "g", "session_timeout": "2s", "heartbeat_interval": "200ms"}],
                    "producers": [{"id": "p", "topic": "t", "interval": Time(1_000_000 / RATE as u64), "keys": 0,
                                   "record_size": SIZE, "linger": "5ms", "stopped": true}],
                    "consumers": consumers.iter().map(group).collect::<Vec<_>>(),
                }
            })
        }
        System::Rabbit => {
            let interval = Time(CLIENTS as u64 * 1_000_000 / RATE as u64);
            let publishers: Vec<_> = names("p")
                .iter()
                .map(|id| json!({"id": id, "routing_keys": ["q"], "interval": interval, "size": SIZE, "start": START}))
                .collect();
            let consumer = |id: &String| json!({"id": id, "queue": "q", "prefetch": 100, "processing": PROCESSING});
            json!({
                "name": "deep-queues-rabbit", "until": END, "network": {"latency": "100us"},
                "faults": away(&consumers),
                "rabbit": {
                    "resources": {"memory_mb": RABBIT_MEMORY_MB},
                    "queues": [{"name": "q"}],
                    "publishers": publishers,
                    "consumers": consumers.iter().map(consumer).collect::<Vec<_>>(),
                }
            })
        }
    }
}

/// One system's run, advanced a slice of simulated time at a time (the page does one per frame).
#[derive(Clone, Debug)]
pub struct DeepRun {
    pub system: System,
    sim: Simulation,
    pub samples: Vec<Sample>,
    /// This bucket so far.
    published: u32,
    consumed: u32,
    sent: u32,
    /// Blocked connections, since when; blocked time in this bucket (µs, over all connections).
    blocked: Vec<(NodeId, Time)>,
    blocked_us: u64,
    /// Kafka: per partition, the log end and the next offset consumers read.
    log_end: Vec<u64>,
    read_to: Vec<u64>,
    /// Kafka: the broker's fetch counters at the bucket's start (from the page cache, from disk).
    reads: (u64, u64),
}

impl DeepRun {
    pub fn new(system: System, seed: u64) -> Result<DeepRun, String> {
        let scenario = Scenario::from_json(&scenario(system).to_string())?;
        let sim = Simulation::new(&scenario, seed)?;
        Ok(DeepRun {
            system,
            sim,
            samples: Vec::new(),
            published: 0,
            consumed: 0,
            sent: 0,
            blocked: Vec::new(),
            blocked_us: 0,
            log_end: Vec::new(),
            read_to: Vec::new(),
            reads: (0, 0),
        })
    }

    pub fn done(&self) -> bool {
        self.sim.now() >= END
    }

    /// How far the run is, from 0 to 1.
    pub fn progress(&self) -> f64 {
        self.sim.now().0 as f64 / END.0 as f64
    }

    /// Runs up to `by` more simulated time (whole buckets are sampled as they end); true once over.
    pub fn advance(&mut self, by: Time) -> bool {
        let to = (self.sim.now() + by).min(END);
        while self.sim.now() < to {
            let bucket_end = Time((self.sim.now().0 / BUCKET.0 + 1) * BUCKET.0);
            let step = bucket_end.min(to);
            self.sim.run_until(step);
            self.take_events();
            if step == bucket_end {
                self.sample(bucket_end);
            }
        }
        self.done()
    }

    fn take_events(&mut self) {
        let events: Vec<_> = self.sim.drain_events().collect();
        for e in events {
            match e.kind {
                EventKind::Model(ModelEvents::Kafka(k)) => match k {
                    KafkaEvent::ProduceAcked { tp, offset, .. } => {
                        self.published += 1;
                        raise(&mut self.log_end, tp.partition as usize, offset + 1);
                    }
                    KafkaEvent::Consumed { tp, offset, .. } => {
                        self.consumed += 1;
                        raise(&mut self.read_to, tp.partition as usize, offset + 1);
                    }
                    _ => {}
                },
                EventKind::Model(ModelEvents::Rabbit(r)) => match r {
                    RabbitEvent::Enqueued { .. } => self.published += 1,
                    RabbitEvent::Consumed { .. } => self.consumed += 1,
                    RabbitEvent::Published { .. } => self.sent += 1,
                    RabbitEvent::ConnectionBlocked { client } if !self.blocked.iter().any(|(c, _)| *c == client) => {
                        self.blocked.push((client, e.at));
                    }
                    RabbitEvent::ConnectionUnblocked { client } => {
                        if let Some(i) = self.blocked.iter().position(|(c, _)| *c == client) {
                            let (_, since) = self.blocked.remove(i);
                            let from = since.max(Time(e.at.0 - e.at.0 % BUCKET.0));
                            self.blocked_us += (e.at - from).0;
                        }
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }

    fn sample(&mut self, at: Time) {
        let per_second = |n: u32| (n as u64 * 1_000_000 / BUCKET.0) as u32;
        let start = at - BUCKET;
        let still_blocked: u64 = self.blocked.iter().map(|(_, since)| (at - (*since).max(start)).0).sum();
        let mut s = Sample {
            at,
            published: per_second(self.published),
            consumed: per_second(self.consumed),
            sent: per_second(self.sent),
            blocked: ((self.blocked_us + still_blocked) * 1000 / (BUCKET.0 * CLIENTS as u64)) as u32,
            ..Sample::default()
        };
        for slot in &self.sim.world().nodes {
            match &slot.node {
                Node::Rabbit(RabbitNode::Broker(b)) => {
                    let ready: u64 = (0..b.core.names.queues.len())
                        .filter_map(|i| b.core.queue(i as u16))
                        .map(|q| q.ready() as u64)
                        .sum();
                    s.waiting = ready + b.core.unacked_total() as u64;
                    s.paged = b.res.as_ref().map_or(0, |r| r.paged_total());
                }
                Node::Kafka(crate::kafka::node::KafkaNode::Broker(b)) => {
                    let now = b.res.as_ref().map_or((0, 0), |r| (r.cache_reads, r.disk_reads));
                    let (cache, disk) = (now.0 - self.reads.0, now.1 - self.reads.1);
                    s.from_disk = (disk * 1000 / (cache + disk).max(1)) as u32;
                    self.reads = now;
                }
                _ => {}
            }
        }
        if self.system == System::Kafka {
            let read = |p: usize| self.read_to.get(p).copied().unwrap_or(0);
            s.waiting = self.log_end.iter().enumerate().map(|(p, end)| end.saturating_sub(read(p))).sum();
        }
        self.samples.push(s);
        self.published = 0;
        self.consumed = 0;
        self.sent = 0;
        self.blocked_us = 0;
    }

    /// Runs to the end.
    pub fn run(system: System, seed: u64) -> Result<DeepRun, String> {
        let mut run = DeepRun::new(system, seed)?;
        while !run.advance(Time::secs(1)) {}
        Ok(run)
    }

    /// What the run shows, in numbers the page prints under the charts.
    pub fn summary(&self) -> Summary {
        let peak = self.samples.iter().max_by_key(|s| s.waiting).copied().unwrap_or_default();
        let blocked_ms = self.samples.iter().map(|s| s.blocked as u64 * BUCKET.0 / 1000).sum::<u64>() / 1000;
        // Caught up: the first bucket after the consumers' return with (almost) nothing waiting.
        let caught_up = self.samples.iter().find(|s| s.at > AWAY_TO && s.waiting * 10 < RATE as u64).map(|s| s.at);
        let back: Vec<&Sample> =
            self.samples.iter().filter(|s| s.at > AWAY_TO && caught_up.is_none_or(|c| s.at <= c)).collect();
        let drain_rate = back.iter().map(|s| s.consumed as u64).max().unwrap_or(0);
        let first_blocked = self.samples.iter().find(|s| s.blocked > 0).map(|s| s.at - BUCKET);
        let started = self.samples.iter().filter(|s| s.at > START + BUCKET);
        let least_published = started.map(|s| s.published).min().unwrap_or(0);
        Summary {
            peak_waiting: peak.waiting,
            peak_at: peak.at,
            peak_paged: self.samples.iter().map(|s| s.paged).max().unwrap_or(0),
            blocked_ms,
            first_blocked,
            caught_up,
            drain_rate,
            from_disk_max: self.samples.iter().map(|s| s.from_disk).max().unwrap_or(0),
            least_published,
        }
    }
}

fn raise(v: &mut Vec<u64>, i: usize, to: u64) {
    if v.len() <= i {
        v.resize(i + 1, 0);
    }
    v[i] = v[i].max(to);
}

/// A run's numbers, as the page says them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The most messages waiting at a bucket's end, and when.
    pub peak_waiting: u64,
    pub peak_at: Time,
    /// RabbitMQ: the most messages paged to disk at once.
    pub peak_paged: u64,
    /// RabbitMQ: publisher-blocked time, per publisher on average (ms), and the bucket it began.
    pub blocked_ms: u64,
    pub first_blocked: Option<Time>,
    /// The first bucket after the consumers' return with under a tenth of a second's load waiting.
    pub caught_up: Option<Time>,
    /// The fastest consumption (messages/s, over a bucket) while catching up.
    pub drain_rate: u64,
    /// Kafka: the highest share of a bucket's fetches served from disk, in thousandths.
    pub from_disk_max: u32,
    /// The fewest messages published per second in a bucket once publishing was under way.
    pub least_published: u32,
}
