//! Streams in a running scenario (`rabbit-stream`): consumers at different offsets each read the
//! whole log from where they attached, acks remove nothing, retention moves the first offset on by
//! whole segments, and the log survives a broker restart.

use brokerlab::engine::models::drain_rabbit as drain;
use brokerlab::engine::presets;
use brokerlab::engine::rabbit::event::RabbitEvent;
use brokerlab::engine::rabbit::node::names;
use brokerlab::engine::rabbit::stream::event::StreamEvent;
use brokerlab::engine::scenario::Scenario;
use brokerlab::engine::{NodeId, Simulation, Time};

fn node(sim: &Simulation, name: &str) -> NodeId {
    NodeId(sim.world().nodes.iter().position(|n| n.name == name).expect(name) as u32)
}

/// The publisher's sequence numbers consumed by `consumer`, in order.
fn consumed(events: &[RabbitEvent], consumer: NodeId) -> Vec<u64> {
    let seqs = events.iter().filter_map(|e| match *e {
        RabbitEvent::Consumed { consumer: c, seq, .. } if c == consumer => Some(seq),
        _ => None,
    });
    seqs.collect()
}

fn attached(events: &[RabbitEvent], consumer: NodeId) -> Vec<u64> {
    let at = events.iter().filter_map(|e| match *e {
        RabbitEvent::Stream(StreamEvent::Attached { consumer: c, offset, .. }) if c == consumer => Some(offset),
        _ => None,
    });
    at.collect()
}

#[test]
fn consumers_at_first_and_next_read_the_same_log_at_their_own_pace() {
    let scenario = presets::load("rabbit-stream").unwrap();
    let mut sim = Simulation::new(&scenario, 1).unwrap();
    let (replay, live, audit) = (node(&sim, "replay"), node(&sim, "live"), node(&sim, "audit"));
    sim.run_until(Time::secs(3));
    let ev = drain(&mut sim);
    let (r, l, a) = (consumed(&ev, replay), consumed(&ev, live), consumed(&ev, audit));
    assert_eq!(r[..5], [0, 1, 2, 3, 4], "first: from offset 0");
    assert!(r.windows(2).all(|w| w[1] == w[0] + 1), "in log order, none skipped");
    assert!(l.windows(2).all(|w| w[1] == w[0] + 1));
    assert_eq!(attached(&ev, live), [0], "next on an empty log");
    // audit joins at 1.5 s from `first`: by then retention has moved the first offset on.
    let from = attached(&ev, audit);
    assert_eq!(from.len(), 1);
    assert!(from[0] > 0 && from[0] % 20 == 0, "a segment boundary: {from:?}");
    assert_eq!(a[0], from[0], "audit's first message is the first one held");
    assert!(a.len() > 80, "audit catches up with the log: {}", a.len());
    let truncations = ev.iter().filter(|e| matches!(e, RabbitEvent::Stream(StreamEvent::Truncated { .. }))).count();
    assert!(truncations >= 5, "a segment opens every 20 messages: {truncations}");
    // Everyone's acks removed nothing: the log holds the retained window.
    let q = names(sim.world()).unwrap().queue_id("events").unwrap();
    let held = ev.iter().rev().find_map(|e| match *e {
        RabbitEvent::Enqueued { queue, depth, .. } if queue == q => Some(depth),
        _ => None,
    });
    assert!(held.is_some_and(|d| (40..=80).contains(&d)), "{held:?}");
}

#[test]
fn the_log_survives_a_restart_and_a_consumer_from_first_reads_it_again() {
    let json = presets::by_slug("rabbit-stream").unwrap().replace(
        "\"until\": \"4s\",",
        "\"until\": \"4s\", \"faults\": [{\"at\": \"500ms\", \"action\": \"stop\", \"node\": \"rabbit\"}, \
         {\"at\": \"600ms\", \"action\": \"start\", \"node\": \"rabbit\"}],",
    );
    let scenario = Scenario::from_json(&json).unwrap();
    let mut sim = Simulation::new(&scenario, 1).unwrap();
    let replay = node(&sim, "replay");
    sim.run_until(Time::secs(1));
    let ev = drain(&mut sim);
    assert!(ev.iter().any(|e| matches!(e, RabbitEvent::Recovered { messages, lost: 0, .. } if *messages > 20)));
    let r = consumed(&ev, replay);
    let again = r.iter().skip(1).position(|&s| s == 0).expect("read from 0 again after the restart");
    assert!(again > 20, "{r:?}");
}

#[test]
fn bad_stream_declarations_and_consumers_name_the_field() {
    let base = presets::by_slug("rabbit-stream").unwrap();
    for (from, to, want) in [
        (
            "\"durable\": true,",
            "\"durable\": false,",
            "rabbit.queues[0].durable: PRECONDITION_FAILED - invalid property 'non-durable'",
        ),
        (
            "\"x-max-length-bytes\": 6000",
            "\"x-max-length\": 6",
            "invalid arg 'x-max-length' for queue 'events' in vhost '/' of queue type rabbit_stream_queue",
        ),
        ("\"x-max-length-bytes\": 6000", "\"x-max-age\": \"soon\"", "x-max-age: \"soon\" is not an age"),
        (
            "\"x-stream-max-segment-size-bytes\": 2000",
            "\"x-stream-max-segment-size-bytes\": 4000000000",
            "Exceeded max value",
        ),
        (
            "\"prefetch\": 10, \"processing\": \"2ms\"",
            "\"processing\": \"2ms\"",
            "rabbit.consumers[1].prefetch: a stream consumer needs one",
        ),
        (
            "\"x-stream-offset\": \"next\"",
            "\"x-stream-offset\": \"tomorrow\"",
            "rabbit.consumers[1].arguments.x-stream-offset: \"tomorrow\" is not first",
        ),
    ] {
        assert!(base.contains(from), "{from}");
        let err = Scenario::from_json(&base.replacen(from, to, 1)).unwrap_err().to_string();
        assert!(err.contains(want), "{to}: {err}");
    }
}
