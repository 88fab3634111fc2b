//! RabbitMQ and Kafka side by side on the same workload: one producer publishing numbered messages
//! for K customers in turn (message `seq` is customer `seq % K`'s number `seq / K + 1` in both
//! systems), C consumers with the same processing time, the same fault script and the same seed.
//! `Workload` builds the two scenarios; a `Lane` runs one of them and feeds its processing
//! completions to a `Detector`.
//!
//! - `detect`  — processing order per customer and per consumer; out-of-order, duplicates, losses.
//! - `presets` — the stories of the comparison, each with why it turns out as it does.
//! - `perf`    — the performance stories: sweeps with the brokers' resource model on.
//! - `deep`    — the "deep queues" story: consumers away, both systems sampled over time.
//! - `failover` — "why KRaft": one failure in ZooKeeper and KRaft mode, recovery against partitions.
//! - `stage`   — "exactly-once processing": a consume-transform-produce stage between producer and reader.

pub mod deep;
pub mod detect;
pub mod failover;
pub mod perf;
pub mod presets;
pub mod stage;

use super::kafka::assignor::Assignor;
use super::kafka::msg::KafkaEvent;
use super::rabbit::event::RabbitEvent;
use super::{EventKind, ModelEvents, NodeId, Scenario, Simulation, Time};
use detect::Detector;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub const MAX_CUSTOMERS: u32 = 26;
pub const MAX_MESSAGES: u32 = 500;
pub const MAX_TOTAL: u32 = 2_000;
pub const MAX_CONSUMERS: u32 = 8;
pub const MAX_UNTIL: Time = Time::secs(120);

/// The workload both lanes run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Customers (message keys) `A`, `B`, … published in turn.
    pub customers: u32,
    /// Messages per customer, numbered 1…N.
    pub messages: u32,
    /// One message every `interval`.
    pub interval: Time,
    pub consumers: u32,
    /// How long a consumer works on one message (one at a time), plus up to `processing_jitter`.
    pub processing: Time,
    #[serde(default)]
    pub processing_jitter: Time,
    #[serde(default)]
    pub kafka: KafkaLane,
    #[serde(default)]
    pub rabbit: RabbitLane,
    /// Consumer crashes and restarts, in both lanes at the same instants.
    #[serde(default)]
    pub faults: Vec<ConsumerFault>,
    /// The longest a lane runs; it stops earlier once everything is processed and the faults are over.
    #[serde(default = "default_until")]
    pub until: Time,
    /// A consume-transform-produce stage between the producer and a reader (`stage.rs`): the
    /// consumers are then the stage's instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<stage::Stage>,
}

fn default_until() -> Time {
    Time::secs(30)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KafkaLane {
    pub partitions: u32,
    /// `enable.idempotence`.
    pub idempotence: bool,
    /// `max.in.flight.requests.per.connection`.
    pub max_in_flight: u32,
    /// `linger.ms`.
    pub linger: Time,
    /// Loss on the producer ↔ broker link, parts per million: transmissions lost and sent again by
    /// TCP about 200 ms later (`kernel/net.rs`), holding back what follows them.
    pub producer_loss_ppm: u32,
    /// The producer's `request.timeout.ms` (Kafka's default 30 s; 200 ms here unless a story sets
    /// it): a request unanswered this long closes the connection and is retried on a new one.
    pub request_timeout: Time,
    pub assignor: String,
    /// `session.timeout.ms`: how long a crashed member goes unnoticed (Kafka's default 45 s,
    /// shortened so the story fits in seconds).
    pub session_timeout: Time,
    /// `auto.commit.interval.ms` (Kafka's default 5 s).
    pub auto_commit_interval: Time,
}

impl Default for KafkaLane {
    fn default() -> Self {
        KafkaLane {
            partitions: 4,
            idempotence: true,
            max_in_flight: 5,
            linger: Time::ms(5),
            producer_loss_ppm: 0,
            request_timeout: Time::ms(200),
            assignor: "range".into(),
            session_timeout: Time::secs(2),
            auto_commit_interval: Time::secs(1),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RabbitLane {
    /// basic.qos prefetch per consumer.
    pub prefetch: u16,
    /// `x-single-active-consumer` on the shared queue.
    pub single_active_consumer: bool,
    /// One queue per consumer, customer `k` routed to queue `k % C` (with K ≤ C: one queue per
    /// customer) instead of one queue shared by competing consumers.
    pub queue_per_consumer: bool,
}

impl Default for RabbitLane {
    fn default() -> Self {
        RabbitLane { prefetch: 10, single_active_consumer: false, queue_per_consumer: false }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultAction {
    /// The process dies: nothing is committed or acknowledged any more.
    Crash,
    Restart,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerFault {
    pub at: Time,
    pub action: FaultAction,
    /// 1 for `c1`, …
    pub consumer: u32,
}

/// The two systems.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
    Kafka,
    Rabbit,
}

impl System {
    pub fn name(self) -> &'static str {
        match self {
            System::Kafka => "Kafka",
            System::Rabbit => "RabbitMQ",
        }
    }
}

/// The clients of a story, `prefix1` … `prefixN`.
fn numbered(prefix: &str, n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i}")).collect()
}

/// A customer's label: A, B, …
pub fn customer_name(k: u32) -> char {
    char::from(b'A' + (k % 26) as u8)
}

const TOPIC: &str = "orders";

/// Publishing starts after this, in both lanes, once the consumers are attached (a Kafka group
/// takes a few round trips and `group.initial.rebalance.delay.ms` to form); fault times are absolute.
pub const WARMUP: Time = Time::ms(500);

impl Workload {
    pub fn from_json(text: &str) -> Result<Workload, String> {
        let w: Workload =
            crate::scenario::parse_json(text, "a workload is a JSON object: {\"customers\": …, \"messages\": …}")?;
        w.validate()?;
        Ok(w)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a workload always serialises")
    }

    pub fn total(&self) -> u64 {
        self.customers as u64 * self.messages as u64
    }

    /// Checks the ranges, then that both scenarios build (their own checks name the field too).
    pub fn validate(&self) -> Result<(), String> {
        if self.customers == 0 || self.customers > MAX_CUSTOMERS {
            return Err(format!("customers: from 1 to {MAX_CUSTOMERS}"));
        }
        if self.messages == 0 || self.messages > MAX_MESSAGES {
            return Err(format!("messages: from 1 to {MAX_MESSAGES} per customer"));
        }
        if self.total() > MAX_TOTAL as u64 {
            return Err(format!("messages: customers × messages is {}, more than {MAX_TOTAL}", self.total()));
        }
        if self.interval < Time(100) || self.interval > Time::secs(1) {
            return Err("interval: from 100us to 1s".into());
        }
        if self.consumers == 0 || self.consumers > MAX_CONSUMERS {
            return Err(format!("consumers: from 1 to {MAX_CONSUMERS}"));
        }
        if self.processing > Time::secs(1) || self.processing_jitter > Time::secs(1) {
            return Err("processing: processing and processing_jitter at most 1s each".into());
        }
        if self.until < Time::ms(10) || self.until > MAX_UNTIL {
            return Err(format!("until: from 10ms to {MAX_UNTIL}"));
        }
        let k = &self.kafka;
        if k.partitions == 0 || k.partitions > 32 {
            return Err("kafka.partitions: from 1 to 32".into());
        }
        if k.max_in_flight == 0 || k.max_in_flight > 10 {
            return Err("kafka.max_in_flight: from 1 to 10".into());
        }
        if k.idempotence && k.max_in_flight > 5 {
            return Err("kafka.idempotence: needs max_in_flight of at most 5, as Kafka requires".into());
        }
        if k.linger > Time::secs(1) {
            return Err("kafka.linger: at most 1s".into());
        }
        if k.producer_loss_ppm > 500_000 {
            return Err("kafka.producer_loss_ppm: at most 500000 (half of all requests)".into());
        }
        if k.request_timeout < Time::ms(10) || k.request_timeout > Time::secs(30) {
            return Err("kafka.request_timeout: from 10ms to 30s".into());
        }
        Assignor::parse(&k.assignor).map_err(|e| format!("kafka.assignor: {e}"))?;
        if k.session_timeout < Time::ms(200) || k.session_timeout > Time::secs(60) {
            return Err("kafka.session_timeout: from 200ms to 60s".into());
        }
        if k.auto_commit_interval < Time::ms(10) || k.auto_commit_interval > Time::secs(60) {
            return Err("kafka.auto_commit_interval: from 10ms to 60s".into());
        }
        if self.rabbit.single_active_consumer && self.rabbit.queue_per_consumer {
            return Err("rabbit.single_active_consumer: choose it or queue_per_consumer, not both".into());
        }
        if self.faults.len() > 16 {
            return Err("faults: at most 16".into());
        }
        for (i, f) in self.faults.iter().enumerate() {
            if f.consumer == 0 || f.consumer > self.consumers {
                return Err(format!("faults[{i}].consumer: from 1 to {} (the consumers)", self.consumers));
            }
            if f.at > self.until {
                return Err(format!("faults[{i}].at: after the end of the run ({})", self.until));
            }
        }
        if let Some(stage) = &self.stage {
            stage.validate(self)?;
        }
        self.kafka_scenario(1)?;
        self.rabbit_scenario(1)?;
        Ok(())
    }

    fn consumer_names(&self) -> Vec<String> {
        numbered("c", self.consumers)
    }

    fn faults_json(&self) -> Vec<serde_json::Value> {
        let mut faults: Vec<&ConsumerFault> = self.faults.iter().collect();
        crate::sort::sort_by_key(&mut faults, |f| f.at);
        faults
            .iter()
            .map(|f| {
                let action = match f.action {
                    FaultAction::Crash => "stop",
                    FaultAction::Restart => "start",
                };
                json!({"at": f.at, "action": action, "node": format!("c{}", f.consumer)})
            })
            .collect()
    }

    fn scenario(
        &self,
        name: &str,
        seed: u64,
        section: (&str, serde_json::Value),
        links: serde_json::Value,
        extra_fault: Option<serde_json::Value>,
    ) -> Result<Scenario, String> {
        let mut faults = self.faults_json();
        faults.extend(extra_fault);
        let mut s = json!({
            "name": name,
            "seed": seed,
            "until": self.until,
            "network": {"links": links},
            "faults": faults,
        });
        s[section.0] = section.1;
        // Through the text and the one scenario parser: `from_value` would compile a second copy of
        // every scenario type's deserializer into the browser build (~100 KB).
        Scenario::from_json(&s.to_string()).map_err(|e| format!("{name}: {e}"))
    }

    /// Topic `orders` on one broker, the producer with keys `key-0`… in turn, one consumer group.
    pub fn kafka_scenario(&self, seed: u64) -> Result<Scenario, String> {
        let k = &self.kafka;
        let consumers: Vec<_> = self
            .consumer_names()
            .into_iter()
            .map(|id| {
                json!({"id": id, "topic": TOPIC, "group": "g",
                       "processing": self.processing, "processing_jitter": self.processing_jitter})
            })
            .collect();
        let mut kafka = json!({
            "brokers": 1,
            "topics": [{"name": TOPIC, "partitions": k.partitions, "replication_factor": 1}],
            "offsets_topic_partitions": 1,
            "group_initial_rebalance_delay": Time::ms(50),
            "group_min_session_timeout": Time::ms(100),
            "producers": [{
                "id": "producer", "topic": TOPIC, "interval": self.interval, "keys": self.customers, "stopped": true,
                "count": self.total(), "linger": k.linger, "max_in_flight": k.max_in_flight,
                "enable_idempotence": k.idempotence, "request_timeout": k.request_timeout,
                "retry_backoff": Time::ms(20),
            }],
            "groups": [{
                "id": "g", "assignor": k.assignor, "session_timeout": k.session_timeout,
                "heartbeat_interval": k.session_timeout / 10, "auto_commit_interval": k.auto_commit_interval,
                "auto_offset_reset": "earliest",
            }],
            "consumers": consumers,
        });
        if let Some(stage) = &self.stage {
            stage.kafka(self, &mut kafka);
        }
        let links = match k.producer_loss_ppm {
            0 => json!([]),
            ppm => json!([{"between": ["producer", "b1"], "loss_ppm": ppm}]),
        };
        let start = json!({"at": WARMUP, "action": "start", "node": "producer"});
        self.scenario("compare-kafka", seed, ("kafka", kafka), links, Some(start))
    }

    /// A direct exchange `orders` with a binding per customer key to the queue(s), the publisher
    /// with the same keys in turn, the consumers with manual acks and a prefetch.
    pub fn rabbit_scenario(&self, seed: u64) -> Result<Scenario, String> {
        let r = &self.rabbit;
        let queue =
            |k: u32| if r.queue_per_consumer { format!("orders-{}", k % self.consumers + 1) } else { "orders".into() };
        let mut queues: Vec<String> = (0..self.customers.max(self.consumers)).map(queue).collect();
        crate::sort::sort(&mut queues);
        queues.dedup();
        let sac = r.single_active_consumer.then_some(true);
        let queues_json: Vec<_> = queues
            .iter()
            .map(|q| match sac {
                Some(_) => json!({"name": q, "arguments": {"x-single-active-consumer": true}}),
                None => json!({"name": q}),
            })
            .collect();
        let keys: Vec<String> = (0..self.customers).map(|k| format!("key-{k}")).collect();
        let bindings: Vec<_> = (0..self.customers)
            .map(|k| json!({"source": TOPIC, "destination": queue(k), "routing_key": keys[k as usize]}))
            .collect();
        let consumers: Vec<_> = self
            .consumer_names()
            .into_iter()
            .enumerate()
            .map(|(i, id)| {
                json!({"id": id, "queue": queue(i as u32), "prefetch": r.prefetch,
                       "processing": self.processing, "processing_jitter": self.processing_jitter})
            })
            .collect();
        let mut rabbit = json!({
            "exchanges": [{"name": TOPIC, "type": "direct"}],
            "queues": queues_json,
            "bindings": bindings,
            "publishers": [{"id": "producer", "exchange": TOPIC, "routing_keys": keys,
                            "interval": self.interval, "count": self.total(), "start": WARMUP + self.interval}],
            "consumers": consumers,
        });
        if let Some(stage) = &self.stage {
            stage.rabbit(self, &mut rabbit);
        }
        self.scenario("compare-rabbit", seed, ("rabbit", rabbit), json!([]), None)
    }

    /// When a lane may stop early: after the last fault, plus long enough for Kafka to notice it.
    fn quiet_after(&self) -> Time {
        let last = self.faults.iter().map(|f| f.at).max().unwrap_or(Time::ZERO);
        last + self.kafka.session_timeout + self.kafka.auto_commit_interval
    }
}

/// How often a lane looks whether it is over (`Lane::advance`).
const DECIDE_EVERY: Time = Time::ms(100);

/// One system running the workload.
#[derive(Clone, Debug)]
pub struct Lane {
    pub system: System,
    sim: Simulation,
    /// Consumer index by node (`c1` → 0).
    consumers: Vec<(NodeId, u32)>,
    pub detector: Detector,
    /// Kafka: the partitions each consumer owns now (a bit each), from the group's assignments.
    pub owners: Vec<u64>,
    /// Consumers down now (crashed and not restarted), by index.
    pub down: Vec<bool>,
    /// The producer: only its records are the input.
    source: Option<NodeId>,
    /// With a stage: what it did, and the reader's reads folded into the detector.
    pub stage: Option<stage::StageWatch>,
    until: Time,
    quiet_after: Time,
    done: bool,
}

impl Lane {
    pub fn new(w: &Workload, system: System, seed: u64) -> Result<Lane, String> {
        w.validate()?;
        let scenario = match system {
            System::Kafka => w.kafka_scenario(seed)?,
            System::Rabbit => w.rabbit_scenario(seed)?,
        };
        let sim = Simulation::new(&scenario, seed)?;
        let consumers = (1..=w.consumers)
            .filter_map(|i| {
                let name = format!("c{i}");
                let pos = sim.world().nodes.iter().position(|n| n.name == name)?;
                Some((NodeId(pos as u32), i - 1))
            })
            .collect();
        let source = sim.world().nodes.iter().position(|n| n.name == "producer").map(|i| NodeId(i as u32));
        let stage = w.stage.as_ref().map(|_| stage::StageWatch::new(sim.world(), w.total()));
        Ok(Lane {
            system,
            source,
            stage,
            sim,
            consumers,
            detector: Detector::new(w.customers, w.messages, w.consumers),
            owners: vec![0; w.consumers as usize],
            down: vec![false; w.consumers as usize],
            until: w.until,
            quiet_after: w.quiet_after(),
            done: false,
        })
    }

    pub fn now(&self) -> Time {
        self.sim.now()
    }

    pub fn done(&self) -> bool {
        self.done
    }

    pub fn trace_hash(&self) -> u64 {
        self.sim.trace_hash().value()
    }

    pub fn world(&self) -> &super::World {
        self.sim.world()
    }

    /// Runs up to `to` (never past the workload's `until`), folding events into the detector.
    /// Whether everything has been processed is looked at only at multiples of `DECIDE_EVERY`,
    /// so the lane ends at the same instant, with the same trace hash, however it was advanced
    /// (the page's 25 ms frames, `run`'s 100 ms): a copied link shows the hash the page showed.
    pub fn advance(&mut self, to: Time) {
        let to = to.min(self.until);
        while !self.done && self.sim.now() < to {
            let grid = Time((self.sim.now().0 / DECIDE_EVERY.0 + 1) * DECIDE_EVERY.0);
            self.sim.run_until(grid.min(to));
            self.fold();
            let now = self.sim.now();
            if now >= self.until || (now == grid && self.detector.complete() && now >= self.quiet_after) {
                self.done = true;
                self.detector.finish();
            }
        }
    }

    /// Folds the events since the last call into the detector, the owners and who is down.
    fn fold(&mut self) {
        let consumers = &self.consumers;
        let index = |n: NodeId| consumers.iter().find(|(id, _)| *id == n).map(|&(_, i)| i);
        let d = &mut self.detector;
        let (owners, down, source) = (&mut self.owners, &mut self.down, self.source);
        let events: Vec<_> = self.sim.drain_events().collect();
        for e in events {
            if let Some(stage) = self.stage.as_mut() {
                if stage.fold(&e, self.sim.world(), index, d) {
                    continue;
                }
            }
            match e.kind {
                EventKind::Model(ModelEvents::Kafka(KafkaEvent::Assigned { consumer, partitions, .. })) => {
                    if let Some(i) = index(consumer) {
                        owners[i as usize] = partitions;
                    }
                }
                EventKind::Model(ModelEvents::Kafka(KafkaEvent::Revoked { consumer, partitions, .. })) => {
                    if let Some(i) = index(consumer) {
                        owners[i as usize] &= !partitions;
                    }
                }
                EventKind::NodeStopped { node } | EventKind::NodeStarted { node } => {
                    if let Some(i) = index(node) {
                        down[i as usize] = matches!(e.kind, EventKind::NodeStopped { .. });
                    }
                }
                EventKind::Model(ModelEvents::Kafka(KafkaEvent::Produced { producer, seq, retry: false, .. }))
                | EventKind::Model(ModelEvents::Rabbit(RabbitEvent::Published { publisher: producer, seq, .. }))
                    if Some(producer) == source =>
                {
                    d.published(e.at, seq)
                }
                EventKind::Model(ModelEvents::Kafka(KafkaEvent::Consumed { consumer, value, .. })) => {
                    if let Some(i) = index(consumer) {
                        d.processed(e.at, i, value, false);
                    }
                }
                EventKind::Model(ModelEvents::Rabbit(RabbitEvent::Processed {
                    consumer, seq, redelivered, ..
                })) => {
                    if let Some(i) = index(consumer) {
                        d.processed(e.at, i, seq, redelivered);
                    }
                }
                _ => {}
            }
        }
    }

    /// Runs to the end.
    pub fn run(&mut self) {
        while !self.done {
            let next = self.sim.now() + Time::ms(100);
            self.advance(next);
        }
    }
}

/// Both lanes.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub kafka: Lane,
    pub rabbit: Lane,
}

impl Comparison {
    pub fn new(w: &Workload, seed: u64) -> Result<Comparison, String> {
        Ok(Comparison { kafka: Lane::new(w, System::Kafka, seed)?, rabbit: Lane::new(w, System::Rabbit, seed)? })
    }

    pub fn lanes(&self) -> [&Lane; 2] {
        [&self.kafka, &self.rabbit]
    }

    pub fn advance(&mut self, to: Time) {
        self.kafka.advance(to);
        self.rabbit.advance(to);
    }

    pub fn done(&self) -> bool {
        self.kafka.done() && self.rabbit.done()
    }

    /// Runs both lanes to the end.
    pub fn run(w: &Workload, seed: u64) -> Result<Comparison, String> {
        let mut c = Comparison::new(w, seed)?;
        c.kafka.run();
        c.rabbit.run();
        Ok(c)
    }

    /// One line per lane, as the CLI prints them and the tests compare.
    pub fn summary(&self) -> String {
        self.lanes().iter().map(|l| lane_line(l) + "\n").collect()
    }
}

pub fn lane_line(l: &Lane) -> String {
    let c = l.detector.counts;
    format!(
        "{:<8} published={} processed={} out_of_order={} duplicates={} redelivered={} lost={} throughput={}/s mean_latency={} max_latency={} finished={}",
        l.system.name(),
        c.published,
        c.processed,
        c.out_of_order,
        c.duplicates,
        c.redelivered,
        c.lost,
        l.detector.throughput(),
        l.detector.latency_mean(),
        l.detector.latency_max,
        l.detector.last_processed.unwrap_or(Time::ZERO),
    )
}
