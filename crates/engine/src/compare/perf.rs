//! The performance stories: where throughput comes from. Unlike the ordering stories (one
//! workload, two lanes), each is a sweep — the same small setup run at several settings (offered
//! load, `linger.ms`) with the brokers' resource model on (`crate::resources`, its defaults) —
//! and each run gives a point: the throughput consumers got, the end-to-end latency, and how busy
//! the broker's CPU and disk were. The page draws the points as charts; `tests/perf_stories.rs`
//! checks that every story's text is true of them.

use super::System;
use crate::kafka::msg::KafkaEvent;
use crate::models::Node;
use crate::rabbit::event::RabbitEvent;
use crate::{EventKind, ModelEvents, Scenario, Simulation, Time};
use serde_json::json;

/// Publishing starts here (a Kafka group takes a few round trips to form); measuring at
/// `MEASURE_FROM`, once the pipeline is full; the run ends at `MEASURE_TO`.
const START: Time = Time::ms(500);
const MEASURE_FROM: Time = Time::ms(700);
const MEASURE_TO: Time = Time::ms(1200);

/// Messages of 1 000 bytes, four consumers (and RabbitMQ four publishers), one broker.
const SIZE: u32 = 1000;
const CLIENTS: u32 = 4;

pub struct PerfStory {
    pub slug: &'static str,
    pub title: &'static str,
    pub why: &'static str,
    /// What the x axis is, and its values.
    pub x_label: &'static str,
    pub xs: &'static [u32],
    /// The systems it runs.
    pub systems: &'static [System],
    /// The scenario of one point, as JSON.
    pub scenario: fn(System, u32) -> serde_json::Value,
}

/// One run's result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Point {
    pub x: u32,
    /// Messages consumed per second while measured.
    pub throughput: u64,
    /// End-to-end latency (publish → consumer), mean and 99th percentile, of those messages.
    pub latency_mean: Time,
    pub latency_p99: Time,
    /// Share of the measured time the broker's CPU and disk had work, in thousandths.
    pub cpu: u32,
    pub disk: u32,
}

fn faults_starting(producers: &[String]) -> serde_json::Value {
    producers.iter().map(|p| json!({"at": START, "action": "start", "node": p})).collect()
}

fn names(prefix: &str) -> Vec<String> {
    super::numbered(prefix, CLIENTS)
}

/// Kafka: topic `t` of 8 partitions on one broker, one producer of `rate` records/s of `size`
/// bytes (`keys` keys in turn; 0: no key, the sticky partitioner), one group of `CLIENTS` consumers.
/// One producer, so a record's number names it: its end-to-end latency is from `Produced` (the
/// application's send) to `Consumed`.
fn kafka(rate: u32, size: u32, linger_ms: u32, keys: u32) -> serde_json::Value {
    let interval = Time(1_000_000 / rate.max(1) as u64);
    let consumers: Vec<_> = names("c").iter().map(|id| json!({"id": id, "topic": "t", "group": "g"})).collect();
    json!({
        "name": "perf-kafka", "until": MEASURE_TO, "network": {"latency": "100us"},
        "faults": faults_starting(&["p".to_string()]),
        "kafka": {
            "brokers": 1, "resources": {},
            "topics": [{"name": "t", "partitions": 8, "replication_factor": 1}],
            "offsets_topic_partitions": 1,
            "group_initial_rebalance_delay": "50ms", "group_min_session_timeout": "100ms",
            "groups": [{"id": "g", "session_timeout": "2s", "heartbeat_interval": "200ms"}],
            "producers": [{"id": "p", "topic": "t", "interval": interval, "keys": keys, "record_size": size,
                           "linger": Time::ms(linger_ms as u64), "stopped": true}],
            "consumers": consumers,
        }
    })
}

/// RabbitMQ: one queue, `CLIENTS` publishers sharing `rate` messages/s (transient, no
/// confirms), `CLIENTS` competing consumers with prefetch 100 and manual acks.
fn rabbit(rate: u32) -> serde_json::Value {
    let interval = Time(CLIENTS as u64 * 1_000_000 / rate.max(1) as u64);
    let publishers: Vec<_> = names("p")
        .iter()
        .map(|id| json!({"id": id, "routing_keys": ["q"], "interval": interval, "size": SIZE, "start": START}))
        .collect();
    let consumers: Vec<_> = names("c").iter().map(|id| json!({"id": id, "queue": "q", "prefetch": 100})).collect();
    json!({
        "name": "perf-rabbit", "until": MEASURE_TO, "network": {"latency": "100us"},
        "rabbit": {
            "resources": {},
            "queues": [{"name": "q"}],
            "publishers": publishers, "consumers": consumers,
        }
    })
}

fn load(system: System, rate: u32) -> serde_json::Value {
    match system {
        System::Kafka => kafka(rate, SIZE, 5, 0),
        System::Rabbit => rabbit(rate),
    }
}

fn batching(_: System, linger_ms: u32) -> serde_json::Value {
    kafka(BATCHING_RATE, 100, linger_ms, 8)
}

/// The batching story's load: records/s.
pub const BATCHING_RATE: u32 = 40_000;

pub const STORIES: &[PerfStory] = &[
    PerfStory {
        slug: "load",
        title: "Throughput as load grows",
        why: "Both brokers get the same offered load of 1 KB messages, from 5 000 to 100 000 a second, \
              with the same CPU and disk. RabbitMQ spends CPU on every message — routing, enqueueing, \
              delivering, and every ack — so at low load its latency is the lowest (a message goes \
              straight through), but its CPU is nearly full at 40 000 messages a second: past that \
              point throughput stops growing, credit flow holds the publishers back and messages \
              wait, so latency climbs from a fraction of a millisecond to hundreds. Kafka spends its \
              CPU per request, and a request carries a batch of records (linger.ms 5 here): its \
              latency starts higher — a record waits for its batch — and falls as load grows and \
              batches fill sooner, and it keeps up with every load shown, appending sequentially \
              to disk. The broker costs are the model's defaults (see the README), shaped on \
              published benchmarks, not measured here.",
        x_label: "offered load (messages/s)",
        xs: &[5_000, 10_000, 20_000, 40_000, 100_000],
        systems: &[System::Kafka, System::Rabbit],
        scenario: load,
    },
    PerfStory {
        slug: "batching",
        title: "Batching: linger.ms 0, 5 and 50",
        why: "Kafka's producer sends 40 000 records/s of 100 bytes over 8 keys to one broker. With \
              linger.ms 0 a batch leaves as soon as the connection has room, so a request carries a \
              record or two of each partition: the broker's CPU pays the per-request cost again and \
              again (over half its time here), though the load still fits, as one request carries \
              the batches of all eight partitions. linger.ms 5 lets each partition's batch collect \
              records for 5 ms: fewer, fuller requests, a tenth of the CPU. linger.ms 50 fills \
              batches further still, to batch.size: the CPU it saves is small and records wait \
              longer, so latency grows. Batching trades a little latency for a lot of CPU headroom.",
        x_label: "linger.ms",
        xs: &[0, 5, 50],
        systems: &[System::Kafka],
        scenario: batching,
    },
];

pub fn by_slug(slug: &str) -> Option<&'static PerfStory> {
    STORIES.iter().find(|s| s.slug == slug)
}

impl PerfStory {
    /// Runs one point to the end.
    pub fn run(&self, system: System, x: u32, seed: u64) -> Result<Point, String> {
        let mut run = PointRun::new(self, system, x, seed)?;
        loop {
            if let Some(p) = run.advance(Time::ms(100)) {
                return Ok(p);
            }
        }
    }
}

/// One point being run, a slice of simulated time at a time (the page advances it per frame).
#[derive(Clone, Debug)]
pub struct PointRun {
    sim: Simulation,
    x: u32,
    busy_before: (u64, u64),
    latencies: Vec<u64>,
    /// Kafka: when each record was created by the application (`send()`), by its number, as its
    /// acknowledgement says (ack time − ack latency); and the records consumed while measured.
    created: Vec<Time>,
    consumed: Vec<(u64, Time)>,
}

impl PointRun {
    pub fn new(story: &PerfStory, system: System, x: u32, seed: u64) -> Result<PointRun, String> {
        let scenario = Scenario::from_json(&(story.scenario)(system, x).to_string())?;
        let sim = Simulation::new(&scenario, seed)?;
        Ok(PointRun { sim, x, busy_before: (0, 0), latencies: Vec::new(), created: Vec::new(), consumed: Vec::new() })
    }

    /// How far the run is, from 0 to 1.
    pub fn progress(&self) -> f64 {
        self.sim.now().0 as f64 / MEASURE_TO.0 as f64
    }

    /// Runs up to `by` more simulated time; the point once the measurement is over.
    pub fn advance(&mut self, by: Time) -> Option<Point> {
        let now = self.sim.now();
        let to = if now < MEASURE_FROM { (now + by).min(MEASURE_FROM) } else { (now + by).min(MEASURE_TO) };
        self.sim.run_until(to);
        let measuring = to > MEASURE_FROM;
        for e in self.sim.drain_events() {
            let at = e.at;
            match e.kind {
                EventKind::Model(ModelEvents::Kafka(KafkaEvent::ProduceAcked { seq, latency, .. })) => {
                    if self.created.len() <= seq as usize {
                        self.created.resize(seq as usize + 1, Time::MAX);
                    }
                    self.created[seq as usize] = at - latency;
                }
                EventKind::Model(ModelEvents::Kafka(KafkaEvent::Consumed { value, .. })) if measuring => {
                    self.consumed.push((value, at));
                }
                EventKind::Model(ModelEvents::Rabbit(RabbitEvent::Consumed { latency, .. })) if measuring => {
                    self.latencies.push(latency.0);
                }
                _ => {}
            }
        }
        if to == MEASURE_FROM {
            self.busy_before = busy(&self.sim);
        }
        (to == MEASURE_TO).then(|| self.point())
    }

    fn point(&mut self) -> Point {
        let after = busy(&self.sim);
        // Kafka: a record consumed before its acknowledgement came back has no creation time yet;
        // the acknowledgements of the last milliseconds are awaited.
        self.sim.run_until(MEASURE_TO + Time::ms(50));
        for e in self.sim.drain_events() {
            if let EventKind::Model(ModelEvents::Kafka(KafkaEvent::ProduceAcked { seq, latency, .. })) = e.kind {
                if let Some(c) = self.created.get_mut(seq as usize) {
                    *c = e.at - latency;
                }
            }
        }
        let created = &self.created;
        let kafka = self
            .consumed
            .iter()
            .filter_map(|&(v, at)| created.get(v as usize).filter(|c| **c <= at).map(|c| (at - *c).0));
        self.latencies.extend(kafka);
        let latencies = &mut self.latencies;
        crate::sort::sort(latencies);
        let window = (MEASURE_TO.0 - MEASURE_FROM.0) * 1000;
        let share = |a: u64, b: u64| ((b - a) * 1000 / window).min(1000) as u32;
        let n = latencies.len();
        Point {
            x: self.x,
            throughput: n as u64 * 1_000_000 / (MEASURE_TO.0 - MEASURE_FROM.0),
            latency_mean: Time(latencies.iter().sum::<u64>() / (n as u64).max(1)),
            latency_p99: Time(latencies.get((n * 99 / 100).min(n.saturating_sub(1))).copied().unwrap_or(0)),
            cpu: share(self.busy_before.0, after.0),
            disk: share(self.busy_before.1, after.1),
        }
    }
}

/// The broker's CPU and disk work so far (ns), summed over brokers.
fn busy(sim: &Simulation) -> (u64, u64) {
    let mut total = (0, 0);
    for slot in &sim.world().nodes {
        let station = match &slot.node {
            Node::Kafka(crate::kafka::node::KafkaNode::Broker(b)) => b.res.as_ref().map(|r| r.station),
            Node::Rabbit(crate::rabbit::node::RabbitNode::Broker(b)) => b.res.as_ref().map(|r| r.station),
            _ => None,
        };
        if let Some(s) = station {
            total.0 += s.cpu.busy;
            total.1 += s.disk.busy;
        }
    }
    total
}
