//! The standard benchmark, one piece of code for both builds: the CLI times it natively, the
//! browser build times it in the page, one frame's chunk at a time. It advances the `bench` preset
//! in chunks of simulated time and drains the events after each chunk, as the UI does per frame.

use super::{presets, Simulation, Time};

/// The result of a run; the caller measures the wall time around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BenchRun {
    /// Queue entries processed (message deliveries, timers, commands): the kernel's unit of work.
    pub steps: u64,
    /// Events emitted to observers.
    pub events: u64,
    pub simulated: Time,
    pub trace_hash: u64,
    /// Messages sent and records published: the messages each record costs.
    pub messages: u64,
    pub records: u64,
}

/// Simulated time per chunk: about one frame's worth of work at full speed.
pub const CHUNK: Time = Time::ms(1);

pub struct Bench {
    sim: Simulation,
    target: Time,
    events: u64,
}

/// The benchmark presets: the kernel with trivial handlers, the Kafka model and the RabbitMQ model,
/// and Kafka at scale (`kafka-large`: 50 brokers, 1 000 partitions, a broker killed at 10 s), in
/// ZooKeeper mode and in KRaft mode with three controllers (`kafka-large-kraft`).
pub const PRESETS: [&str; 5] = ["bench", "kafka-bench", "rabbit-bench", "kafka-large", "kafka-large-kraft"];

/// How much simulated time a benchmark run covers by default: 2 s, and for the scale benchmarks
/// their 20 s (the broker dies at 10 s).
pub fn default_simulated(slug: &str) -> Time {
    match slug {
        "kafka-large" | "kafka-large-kraft" => Time::secs(20),
        _ => Time::secs(2),
    }
}

impl Bench {
    /// A run of benchmark preset `slug` over `simulated` time.
    pub fn new(slug: &str, simulated: Time) -> Bench {
        Bench::of(presets::load(slug).expect("a benchmark preset"), simulated)
    }

    /// The same with the brokers' resource model on (`crate::resources`, its defaults): what the
    /// model costs the engine.
    pub fn with_resources(slug: &str, simulated: Time) -> Bench {
        let mut scenario = presets::load(slug).expect("a benchmark preset");
        if let Some(k) = scenario.kafka.as_mut() {
            k.resources = Some(Default::default());
        }
        if let Some(r) = scenario.rabbit.as_mut() {
            r.resources = Some(Default::default());
        }
        Bench::of(scenario, simulated)
    }

    fn of(scenario: crate::Scenario, simulated: Time) -> Bench {
        let sim = Simulation::new(&scenario, scenario.seed).expect("the bench preset is valid");
        Bench { sim, target: simulated, events: 0 }
    }

    /// Runs one chunk. False once the target is reached.
    pub fn chunk(&mut self) -> bool {
        if self.sim.now() >= self.target {
            return false;
        }
        let until = (self.sim.now() + CHUNK).min(self.target);
        self.sim.run_until(until);
        self.events += self.sim.drain_events().len() as u64;
        true
    }

    pub fn result(&self) -> BenchRun {
        BenchRun {
            steps: self.sim.steps(),
            events: self.events,
            simulated: self.sim.now(),
            trace_hash: self.sim.trace_hash().value(),
            messages: self.sim.world().metrics.sent,
            records: self.sim.world().metrics.published,
        }
    }
}

/// Runs a whole benchmark at once.
pub fn run(slug: &str, simulated: Time) -> BenchRun {
    finish(Bench::new(slug, simulated))
}

/// Runs a whole benchmark at once with the brokers' resource model on.
pub fn run_with_resources(slug: &str, simulated: Time) -> BenchRun {
    finish(Bench::with_resources(slug, simulated))
}

fn finish(mut b: Bench) -> BenchRun {
    while b.chunk() {}
    b.result()
}

#[cfg(test)]
mod tests {
    #[test]
    fn bench_is_deterministic_and_busy() {
        let a = super::run("bench", super::Time::ms(20));
        assert_eq!(a, super::run("bench", super::Time::ms(20)));
        // 8 producers every 10 us for 20 ms, 4 queue entries per message (timer, publish, ack, deliver).
        assert!(a.steps > 50_000, "{a:?}");
    }
}
