//! What a run is made of: the messages sent by kind, the steps (queue entries: deliveries,
//! timers, resets, commands) and the records produced, to see where a change to the models'
//! request shapes moves the engine's work. `brokerlab bench` times a run; this counts it.
//!
//! Run: `cargo run --profile native --example message_mix -- [PRESET] [SECONDS]` (default
//! kafka-large to its 20 s).

use brokerlab::engine::kafka::msg::KafkaEvent;
use brokerlab::engine::{presets, EventKind, ModelEvents, Simulation, Time};
use std::collections::BTreeMap;

fn main() {
    let mut args = std::env::args().skip(1);
    let preset = args.next().unwrap_or_else(|| "kafka-large".into());
    let scenario = presets::load(&preset).expect("a preset");
    let until = args.next().map_or(Time::secs(20), |s| Time::secs(s.parse().expect("seconds")));
    let mut sim = Simulation::new(&scenario, scenario.seed).expect("presets are valid");
    let mut sent: BTreeMap<&'static str, u64> = BTreeMap::new();
    let (mut deliveries, mut records, mut resets) = (0u64, 0u64, 0u64);
    let mut next = Time::ZERO;
    while next < until {
        next = (next + Time::ms(100)).min(until);
        sim.run_until(next);
        for e in sim.drain_events() {
            match e.kind {
                EventKind::Sent { info, .. } => *sent.entry(info.kind).or_default() += 1,
                EventKind::Delivered { .. } | EventKind::Dropped { .. } => deliveries += 1,
                EventKind::ConnectionReset { .. } => resets += 1,
                EventKind::Model(ModelEvents::Kafka(KafkaEvent::Produced { retry: false, .. })) => records += 1,
                _ => {}
            }
        }
    }
    let messages: u64 = sent.values().sum();
    let steps = sim.steps();
    println!("{preset} to {until}: {steps} steps, {messages} messages sent, {records} records produced");
    println!(
        "  messages per record {:.2}; steps other than deliveries and resets (timers, commands) {}",
        messages as f64 / records.max(1) as f64,
        steps - deliveries - resets
    );
    let mut kinds: Vec<_> = sent.into_iter().collect();
    kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
    for (kind, n) in kinds {
        println!("  {kind:<20} {n:>9}  {:.3} per record", n as f64 / records.max(1) as f64);
    }
}
