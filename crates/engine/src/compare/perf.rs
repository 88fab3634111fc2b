//! The performance stories: where throughput comes from. Unlike the ordering stories (one
//! workload, two lanes), each is a sweep — the same small setup run at several settings (offered
//! load, `linger.ms`) with the brokers' resource model on (`crate::resources`, its defaults) —
//! and each run gives a point: the throughput consumers got, the end-to-end latency, and how busy
//! the broker's CPU and disk were. The page draws the points as charts; `tests/perf_stories.rs`
//! checks that every story's text is true of them.

use super::System;
use crate::kernel::event::Flow;
use crate::models::Node;
use crate::{Scenario, Simulation, Time};
use serde_json::json;

/// Publishing starts here (a Kafka group takes a few round trips to form); measuring at
/// `MEASURE_FROM`, once the pipeline is full; the run ends at `MEASURE_TO`.
const START: Time = Time::ms(500);
const MEASURE_FROM: Time = Time::ms(700);
const MEASURE_TO: Time = Time::ms(1200);

/// Messages of 1 000 bytes, four producers and four consumers, one broker.
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
    (1..=CLIENTS).map(|i| format!("{prefix}{i}")).collect()
}

/// Kafka: topic `t` of 8 partitions on one broker, `CLIENTS` producers sharing `rate` records/s
/// (records without a key: the sticky partitioner), one group of `CLIENTS` consumers.
fn kafka(rate: u32, linger_ms: u32) -> serde_json::Value {
    let interval = Time(CLIENTS as u64 * 1_000_000 / rate.max(1) as u64);
    let producers: Vec<_> = names("p")
        .iter()
        .map(|id| {
            json!({"id": id, "topic": "t", "interval": interval, "keys": 0, "record_size": SIZE,
                         "linger": Time::ms(linger_ms as u64), "stopped": true})
        })
        .collect();
    let consumers: Vec<_> = names("c").iter().map(|id| json!({"id": id, "topic": "t", "group": "g"})).collect();
    json!({
        "name": "perf-kafka", "until": MEASURE_TO, "network": {"latency": "100us"},
        "faults": faults_starting(&names("p")),
        "kafka": {
            "brokers": 1, "resources": {},
            "topics": [{"name": "t", "partitions": 8, "replication_factor": 1}],
            "offsets_topic_partitions": 1,
            "group_initial_rebalance_delay": "50ms", "group_min_session_timeout": "100ms",
            "groups": [{"id": "g", "session_timeout": "2s", "heartbeat_interval": "200ms"}],
            "producers": producers, "consumers": consumers,
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
        System::Kafka => kafka(rate, 5),
        System::Rabbit => rabbit(rate),
    }
}

fn batching(_: System, linger_ms: u32) -> serde_json::Value {
    kafka(BATCHING_RATE, linger_ms)
}

/// The batching story's load: records/s.
pub const BATCHING_RATE: u32 = 40_000;

pub const STORIES: &[PerfStory] = &[
    PerfStory {
        slug: "load",
        title: "Throughput as load grows",
        why: "Both brokers get the same offered load of 1 KB messages, from 5 000 to 160 000 a second, \
              with the same CPU and disk. RabbitMQ spends CPU on every message — routing, enqueueing, \
              delivering, and every ack — so at low load its latency is the lowest (a message goes \
              straight through), but its CPU is full at a few tens of thousands of messages a second: \
              past that point throughput stops growing and messages wait in the queue, so latency \
              climbs steeply. Kafka spends its CPU per request, and a request carries a batch of \
              records (linger.ms 5 here): its latency starts higher (the batch waits to fill) but it \
              keeps up with every load shown, appending sequentially to disk. The broker costs are \
              the model's defaults (see the README), shaped on published benchmarks, not measured \
              here.",
        x_label: "offered load (messages/s)",
        xs: &[5_000, 20_000, 40_000, 80_000, 160_000],
        systems: &[System::Kafka, System::Rabbit],
        scenario: load,
    },
    PerfStory {
        slug: "batching",
        title: "Batching: linger.ms 0, 5 and 50",
        why: "Kafka's producer at 40 000 records/s on one broker. With linger.ms 0 a batch goes out as soon \
              as the connection has room, so requests carry few records and the broker's CPU pays the \
              per-request cost again and again. linger.ms 5 lets each partition's batch collect \
              records for 5 ms: fewer, fuller requests, a fraction of the CPU, for a few more \
              milliseconds of latency. linger.ms 50 fills batches further still, to batch.size, and \
              the records wait longer for it: latency grows while the CPU saved is small. Batching \
              trades latency for throughput headroom.",
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
    /// Runs one point.
    pub fn run(&self, system: System, x: u32, seed: u64) -> Result<Point, String> {
        let scenario = Scenario::from_json(&(self.scenario)(system, x).to_string())?;
        let mut sim = Simulation::new(&scenario, seed)?;
        sim.run_until(MEASURE_FROM);
        sim.drain_events();
        let busy_before = busy(&sim);
        sim.run_until(MEASURE_TO);
        let mut latencies: Vec<u64> = sim
            .drain_events()
            .filter_map(|e| match e.flow() {
                Some(Flow::Consumed(l)) => Some(l.0),
                _ => None,
            })
            .collect();
        let busy_after = busy(&sim);
        crate::sort::sort(&mut latencies);
        let window = (MEASURE_TO.0 - MEASURE_FROM.0) * 1000;
        let share = |a: u64, b: u64| ((b - a) * 1000 / window).min(1000) as u32;
        let n = latencies.len() as u64;
        Ok(Point {
            x,
            throughput: n * 1_000_000 / (MEASURE_TO.0 - MEASURE_FROM.0),
            latency_mean: Time(latencies.iter().sum::<u64>() / n.max(1)),
            latency_p99: Time(
                latencies
                    .get((latencies.len() * 99 / 100).min(latencies.len().saturating_sub(1)))
                    .copied()
                    .unwrap_or(0),
            ),
            cpu: share(busy_before.0, busy_after.0),
            disk: share(busy_before.1, busy_after.1),
        })
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
