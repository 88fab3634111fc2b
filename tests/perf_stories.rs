//! The performance stories (`engine::compare::perf`): what each story's text says is checked
//! against the points its runs give, over several seeds.

use brokerlab::engine::compare::perf::{by_slug, Point, BATCHING_RATE};
use brokerlab::engine::compare::System;
use brokerlab::engine::Time;

fn points(slug: &str, system: System, seed: u64) -> Vec<Point> {
    let story = by_slug(slug).unwrap();
    story.xs.iter().map(|&x| story.run(system, x, seed).unwrap_or_else(|e| panic!("{slug} {x}: {e}"))).collect()
}

fn show(seed: u64, points: &[Point]) {
    for p in points {
        eprintln!(
            "SEED={seed} x={} throughput={} mean={} p99={} cpu={} disk={}",
            p.x, p.throughput, p.latency_mean, p.latency_p99, p.cpu, p.disk
        );
    }
}

#[test]
fn throughput_as_load_grows() {
    for seed in [1, 2] {
        let k = points("load", System::Kafka, seed);
        let r = points("load", System::Rabbit, seed);
        show(seed, &k);
        show(seed, &r);
        // "at low load its latency is the lowest … Kafka's latency starts higher"
        assert!(r[0].latency_mean < k[0].latency_mean, "SEED={seed}: at 5 000/s RabbitMQ is faster end to end");
        // "its CPU is nearly full at 40 000 messages a second: past that point throughput stops
        // growing … latency climbs from a fraction of a millisecond to hundreds"
        let at = |x: u32| r.iter().find(|p| p.x == x).unwrap();
        assert!(at(40_000).cpu >= 900, "SEED={seed}: {:?}", at(40_000));
        let last = r.last().unwrap();
        assert!(last.throughput < 50_000 && last.cpu >= 990, "SEED={seed}: throughput stops growing: {last:?}");
        assert!(r[0].latency_mean < Time::ms(1), "SEED={seed}");
        assert!(last.latency_mean > Time::ms(100), "SEED={seed}: latency climbs: {last:?}");
        // "falls as load grows and batches fill sooner, and it keeps up with every load shown"
        assert!(k.last().unwrap().latency_mean < k[0].latency_mean, "SEED={seed}");
        for p in &k {
            assert!(p.throughput >= p.x as u64 * 97 / 100, "SEED={seed}: Kafka keeps up at {}: {p:?}", p.x);
            assert!(p.cpu < 900, "SEED={seed}: Kafka's CPU is not full at {}: {p:?}", p.x);
        }
    }
}

#[test]
fn batching_trades_latency_for_cpu() {
    for seed in [1, 2] {
        let k = points("batching", System::Kafka, seed);
        show(seed, &k);
        let (l0, l5, l50) = (&k[0], &k[1], &k[2]);
        let rate = BATCHING_RATE as u64;
        // "the broker's CPU pays the per-request cost again and again (over half its time here),
        // though the load still fits"
        assert!(l0.cpu > 500, "SEED={seed}: {l0:?}");
        assert!(l0.throughput >= rate * 95 / 100, "SEED={seed}: the load fits: {l0:?}");
        // "fewer, fuller requests, a tenth of the CPU"
        assert!(l5.cpu * 8 < l0.cpu, "SEED={seed}: {l5:?}");
        assert!(l5.throughput >= rate * 97 / 100, "SEED={seed}: {l5:?}");
        // "the CPU it saves is small and records wait longer, so latency grows"
        assert!(l5.cpu - l50.cpu < (l0.cpu - l5.cpu) / 5, "SEED={seed}: {l50:?}");
        assert!(l50.latency_mean > l5.latency_mean + Time::ms(2), "SEED={seed}: {l50:?}");
        assert!(l50.throughput >= rate * 95 / 100, "SEED={seed}: {l50:?}");
    }
}
