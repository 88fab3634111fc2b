//! The standard benchmark, one function for both builds: the CLI times it natively, the browser
//! build times it in the page. It advances the `bench` preset in chunks of simulated time — as the
//! UI does once per frame — and drains the events each chunk, as the UI does.

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
}

/// Simulated time per chunk: one chunk is about one frame's worth of work at full speed.
pub const CHUNK: Time = Time::ms(1);

/// Runs the benchmark scenario for `simulated` time.
pub fn run(simulated: Time) -> BenchRun {
    let scenario = presets::load("bench").expect("the bench preset exists");
    let mut sim = Simulation::new(&scenario, scenario.seed).expect("the bench preset is valid");
    let mut events = 0u64;
    while sim.now() < simulated {
        let until = (sim.now() + CHUNK).min(simulated);
        sim.run_until(until);
        events += sim.drain_events().len() as u64;
    }
    BenchRun { steps: sim.steps(), events, simulated, trace_hash: sim.trace_hash().value() }
}
