//! `make bench`'s figure for the large cluster's stage (`view::kafka_lod`): what the page's view
//! models cost at 50 brokers and 1 000 partitions (RF 3), natively. The scenario
//! (`tests/data/kafka-large.json`) is played to 16 s — b7 was killed at 12 s, its partitions are
//! under-replicated and their leaders moved — folding every event into the rates as the session
//! does; then:
//! - `fold_ns_per_event`: the rates' cost per event (what every frame pays per event it folds);
//! - `picture_us`: the tiles and the strip computed from the world (what each DOM refresh pays,
//!   ten times a second while playing), with the strip's runs, the heat strips and one broker's
//!   zoomed replicas — median of 200.
//!
//! Run: `cargo run --profile native --example lod_bench` (one JSON line).

use brokerlab::engine::{Scenario, Simulation, Time};
use brokerlab::view::kafka_lod::{self, Rates};
use std::time::Instant;

fn main() {
    let scenario = Scenario::from_json(include_str!("../tests/data/kafka-large.json")).expect("the scenario is valid");
    let mut sim = Simulation::new(&scenario, 1).expect("it builds");
    let mut rates = Rates::new(sim.world());
    let (mut events, mut fold) = (0u64, 0.0f64);
    let until = Time::secs(16);
    while sim.now() < until {
        sim.run_until_limited(until, 20_000);
        let batch: Vec<_> = sim.drain_events().collect();
        let start = Instant::now();
        for e in &batch {
            rates.observe(e.at, &e.kind);
        }
        fold += start.elapsed().as_secs_f64();
        events += batch.len() as u64;
    }
    let world = sim.world();
    let b1 = world.node_by_name("b1").expect("b1");
    let mut times = Vec::new();
    let mut check = 0usize;
    for _ in 0..200 {
        let start = Instant::now();
        let picture = kafka_lod::picture(world, Some(&rates));
        let runs = picture.strip.runs();
        let heat = rates.heat(world.now);
        let zoom = kafka_lod::zoom(world, b1, &picture.strip);
        times.push(start.elapsed().as_secs_f64() * 1e6);
        check += runs.len() + heat.len() + zoom.len() + picture.strip.counts[1];
    }
    brokerlab::engine::sort::sort_by(&mut times, |a, b| a.total_cmp(b));
    let picture = kafka_lod::picture(world, Some(&rates));
    println!(
        "{{\"scenario\":\"tests/data/kafka-large.json\",\"at\":\"{}\",\"brokers\":{},\"partitions\":{},\"under_replicated\":{},\"events\":{},\"fold_ns_per_event\":{:.1},\"picture_us_median\":{:.1},\"picture_us_p95\":{:.1},\"check\":{}}}",
        world.now,
        picture.tiles.len(),
        picture.strip.len(),
        picture.strip.counts[1],
        events,
        fold * 1e9 / events as f64,
        times[times.len() / 2],
        times[times.len() * 95 / 100],
        check
    );
}
