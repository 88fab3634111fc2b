//! Soak: every preset, played for many simulated minutes, costs the same per minute late in the run
//! as early, and keeps bounded state. Counts, not wall time, so it is deterministic and cannot flake.
//!
//! Per preset: windows of `W` simulated time; the third window is "early" (past the presets'
//! scripted faults and the cluster's start), the sixteenth "late". Between them the steps (queue
//! entries processed), the messages sent, the queue's length (timers and messages in flight) and the
//! size of the nodes' state must not grow by more than a small factor. The state is measured as the
//! length of each node printed with `{:?}`: every collection a node keeps shows up in it, so a
//! leak in any of them (a parked request, a pending map, a buffer) is caught without naming it.
//! Kafka topics get a retention of one window (`retention.ms`; `segment.ms` and the check interval a
//! quarter of it) and `__consumer_offsets` and `__transaction_state` small segments, so their logs are bounded too: the
//! presets' own 7 days and 100 MiB would keep every record of the run.
//!
//! A failure prints the preset, both windows' counts and the seed.

use brokerlab::engine::{presets, Scenario, Simulation, Time};

const SEED: u64 = 1;
const EARLY: u64 = 2;
const LATE: u64 = 15;

#[derive(Debug, Clone, Copy)]
struct Window {
    steps: u64,
    sent: u64,
    pending: usize,
    state: usize,
}

/// Kafka topics keep one window of records (segments of a quarter window, checked as often), and
/// `__consumer_offsets` and `__transaction_state` roll every 100 records, so compaction can clean them.
fn with_short_retention(mut s: Scenario, window: Time) -> Scenario {
    if let Some(k) = s.kafka.as_mut() {
        let quarter = Time((window.0 / 4).max(Time::ms(10).0));
        k.log_retention_check_interval = quarter;
        k.offsets_topic_segment_bytes = 100 * 100;
        k.transaction_state_segment_bytes = Some(100 * 100);
        for t in &mut k.topics {
            t.retention = Some(window);
            t.segment_ms = quarter;
        }
    }
    s
}

/// The simulated length of one window: a minute, or less for the benchmarks, whose traffic is
/// hundreds of times a lesson's (so the test stays at seconds of wall time).
fn window_for(slug: &str) -> Time {
    match slug {
        "bench" => Time::ms(50),
        "rabbit-bench" => Time::ms(250),
        "kafka-bench" => Time::secs(2),
        // Thousands of messages a second, and faults until 7 s: the early window (the third) starts at 8 s.
        "kafka-resources" | "rabbit-resources" => Time::secs(4),
        "kafka-large" => Time::secs(5),
        // b7 dies at 10 s and is fenced 9 s after its last heartbeat: the early window starts at 20 s.
        "kafka-large-kraft" | "kafka-large-kraft-combined" => Time::secs(10),
        _ => Time::secs(60),
    }
}

fn state_size(sim: &Simulation) -> usize {
    sim.world().nodes.iter().map(|slot| format!("{:?}", slot.node).len()).sum()
}

fn play_window(sim: &mut Simulation, until: Time) -> Window {
    let (steps, sent) = (sim.steps(), sim.world().metrics.sent);
    sim.run_until(until);
    Window {
        steps: sim.steps() - steps,
        sent: sim.world().metrics.sent - sent,
        pending: sim.pending(),
        state: state_size(sim),
    }
}

/// Plays `slug` window by window; returns the early and the late window.
fn soak(slug: &str) -> (Window, Window) {
    let w = window_for(slug);
    let scenario = with_short_retention(presets::load(slug).expect("a preset"), w);
    let mut sim = Simulation::new(&scenario, SEED).expect("presets are valid");
    let mut early = None;
    for i in 0..=LATE {
        let window = play_window(&mut sim, Time(w.0 * (i + 1)));
        if i == EARLY {
            early = Some(window);
        }
        if i == LATE {
            return (early.expect("early comes first"), window);
        }
    }
    unreachable!()
}

/// `late` may exceed `early` by a quarter, plus `slack` for small counts.
fn within(early: u64, late: u64, slack: u64) -> bool {
    late <= early + early / 4 + slack
}

#[test]
fn every_preset_costs_the_same_per_minute_late_as_early_and_keeps_bounded_state() {
    let mut failures = vec![];
    for (slug, _) in presets::PRESETS {
        // SOAK_PRESET=SLUG soaks that preset alone.
        if std::env::var("SOAK_PRESET").is_ok_and(|only| only != *slug) {
            continue;
        }
        let (early, late) = soak(slug);
        eprintln!("{slug:<18} early {early:?}\n{:<18} late  {late:?}", "");
        let ok = within(early.steps, late.steps, 100)
            && within(early.sent, late.sent, 100)
            && within(early.pending as u64, late.pending as u64, 50)
            && within(early.state as u64, late.state as u64, 2_000);
        if !ok {
            failures.push(format!("{slug}: early window {early:?}, late window {late:?} (SEED={SEED})"));
        }
    }
    assert!(failures.is_empty(), "work or state grows over a long run:\n{}", failures.join("\n"));
}
