//! Properties of the RabbitMQ model over many seeds (a failure prints `SEED=…`):
//! - a single consumer that never requeues receives a queue's messages in publish order;
//! - no consumer ever holds more unacknowledged messages than its prefetch;
//! - with confirms, a durable queue and persistent messages, no confirmed message is lost across
//!   broker restarts (and with transient messages one is: the property is not vacuous);
//! - every dead-lettered message carries the `x-death` history its deaths wrote.

use brokerlab::engine::models::drain_rabbit as drain;
use brokerlab::engine::models::Node;
use brokerlab::engine::rabbit::broker::Broker;
use brokerlab::engine::rabbit::event::RabbitEvent;
use brokerlab::engine::rabbit::exchange::ExchangeDecl;
use brokerlab::engine::rabbit::msg::{Dest, Props, Publish, RabbitMsg, Reason, SettleOp};
use brokerlab::engine::rabbit::node::RabbitNode;
use brokerlab::engine::rabbit::queue::{QueueArgs, QueueDecl};
use brokerlab::engine::rabbit::routing::{ExchangeType, Table};
use brokerlab::engine::rabbit::RabbitTimer;
use brokerlab::engine::rng::Rng;
use brokerlab::engine::{EventKind, NodeId, Scenario, Simulation, Time};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

#[test]
fn a_single_consumer_without_requeues_receives_in_publish_order() {
    for seed in 0..40 {
        let mut rng = Rng::new(seed);
        let publishers: Vec<String> = (0..1 + rng.below(3))
            .map(|i| {
                format!(
                    r#"{{"id":"p{i}","exchange":"x","routing_keys":["a.b","a.c"],"interval":"{}us","start":"2ms","count":60,"confirms":{}}}"#,
                    200 + rng.below(2_000),
                    rng.below(2) == 0
                )
            })
            .collect();
        let json = format!(
            r#"{{"name":"order","until":"2s","network":{{"jitter":"{}us"}},"rabbit":{{
                "exchanges":[{{"name":"x","type":"topic"}}],
                "queues":[{{"name":"q","arguments":{{"x-max-priority":{}}}}}],
                "bindings":[{{"source":"x","destination":"q","routing_key":"a.*"}}],
                "publishers":[{}],
                "consumers":[{{"id":"c","queue":"q","prefetch":{},"processing":"{}us","ack_every":1}}]}}}}"#,
            rng.below(400),
            rng.below(3),
            publishers.join(","),
            1 + rng.below(20),
            rng.below(3_000),
        );
        let scenario = Scenario::from_json(&json).unwrap_or_else(|e| panic!("SEED={seed}: {e}"));
        let mut sim = Simulation::new(&scenario, seed).unwrap();
        sim.run_until(scenario.until);
        let mut last: BTreeMap<NodeId, u64> = BTreeMap::new();
        let mut got = 0;
        for e in drain(&mut sim) {
            if let RabbitEvent::Consumed { publisher, seq, redelivered, .. } = e {
                assert!(!redelivered, "SEED={seed}: nothing was requeued");
                if let Some(&prev) = last.get(&publisher) {
                    assert!(seq > prev, "SEED={seed}: seq {seq} of {publisher:?} after {prev}");
                }
                last.insert(publisher, seq);
                got += 1;
            }
        }
        assert_eq!(got, 60 * publishers.len(), "SEED={seed}: every message arrives once");
    }
}

/// The broker node of a simulation.
fn broker(sim: &Simulation) -> &Broker {
    sim.world()
        .nodes
        .iter()
        .find_map(|s| match &s.node {
            Node::Rabbit(RabbitNode::Broker(b)) => Some(&b.core),
            _ => None,
        })
        .expect("a rabbit broker")
}

/// A scenario with `consumers` on one durable queue and random faults: consumer crashes, broker
/// restarts. `persistent` chooses the publishers' delivery mode.
fn chaos(seed: u64, persistent: bool) -> (Scenario, Vec<(String, u16)>) {
    let mut rng = Rng::new(seed);
    let mut consumers = vec![];
    let mut specs = vec![];
    for i in 0..1 + rng.below(3) {
        let prefetch = 1 + rng.below(8) as u16;
        // Rejecting every message with requeue would loop on the head forever (as it does in RabbitMQ).
        let reject_every = [0, 3, 4, 5][rng.below(4) as usize];
        let requeue = rng.below(2) == 0;
        specs.push(format!(
            r#"{{"id":"c{i}","queue":"q","prefetch":{prefetch},"processing":"{}us","reject_every":{reject_every},"requeue":{requeue}}}"#,
            rng.below(1_500)
        ));
        consumers.push((format!("c{i}"), prefetch));
    }
    let mut faults = vec![];
    let mut t = 50 + rng.below(100);
    while t < 1_500 {
        let node =
            if rng.below(3) == 0 { "rabbit".to_string() } else { format!("c{}", rng.below(consumers.len() as u64)) };
        let down = 20 + rng.below(150);
        faults.push(format!(r#"{{"at":"{t}ms","action":"stop","node":"{node}"}}"#));
        faults.push(format!(r#"{{"at":"{}ms","action":"start","node":"{node}"}}"#, t + down));
        t += down + 20 + rng.below(300);
    }
    let json = format!(
        r#"{{"name":"chaos","until":"4s","rabbit":{{"reconnect":"50ms",
            "exchanges":[{{"name":"x","type":"direct","durable":true}}],
            "queues":[{{"name":"q","durable":true}}],
            "bindings":[{{"source":"x","destination":"q","routing_key":"k"}}],
            "publishers":[{{"id":"p","exchange":"x","routing_keys":["k"],"interval":"{}us","count":400,"confirms":true,"persistent":{persistent}}}],
            "consumers":[{}]}},
            "faults":[{}]}}"#,
        500 + rng.below(3_000),
        specs.join(","),
        faults.join(",")
    );
    (Scenario::from_json(&json).unwrap_or_else(|e| panic!("SEED={seed}: {e}")), consumers)
}

#[test]
fn prefetch_is_never_exceeded() {
    for seed in 0..20 {
        let (scenario, consumers) = chaos(seed, true);
        let mut sim = Simulation::new(&scenario, seed).unwrap();
        let ids: Vec<(NodeId, u16)> =
            consumers.iter().map(|(name, p)| (sim.world().node_by_name(name).unwrap(), *p)).collect();
        while sim.step() && sim.now() < scenario.until {
            for &(id, prefetch) in &ids {
                let unacked = broker(&sim).unacked(id);
                assert!(unacked <= prefetch as usize, "SEED={seed}: {unacked} unacked > prefetch {prefetch}");
            }
            sim.drain_events().for_each(drop);
        }
    }
}

/// Confirmed (acked) and consumed `(publisher seq)` sets of a chaos run (a message its consumer
/// rejected for good counts as consumed).
fn confirmed_and_consumed(seed: u64, persistent: bool) -> (BTreeSet<u64>, BTreeSet<u64>) {
    let (scenario, _) = chaos(seed, persistent);
    let mut sim = Simulation::new(&scenario, seed).unwrap();
    sim.run_until(scenario.until);
    let (mut confirmed, mut consumed) = (BTreeSet::new(), BTreeSet::new());
    let mut seq_of = BTreeMap::new();
    for e in drain(&mut sim) {
        match e {
            RabbitEvent::Received { m, seq, .. } => {
                seq_of.insert(m, seq);
            }
            // Rejected without requeue, with no dead-letter exchange: dropped on purpose.
            RabbitEvent::Rejected { m, .. } => {
                confirmed.remove(&seq_of[&m]);
                consumed.insert(seq_of[&m]);
            }
            RabbitEvent::Confirmed { seq, ack: true, .. } => {
                confirmed.insert(seq);
            }
            RabbitEvent::Consumed { seq, .. } => {
                consumed.insert(seq);
            }
            _ => {}
        }
    }
    (confirmed, consumed)
}

#[test]
fn no_confirmed_persistent_message_is_lost_across_restarts() {
    let mut lossy_seeds = 0;
    for seed in 0..30 {
        let (confirmed, consumed) = confirmed_and_consumed(seed, true);
        assert!(confirmed.len() > 50, "SEED={seed}: the run confirmed too little to mean anything");
        let lost: Vec<&u64> = confirmed.difference(&consumed).collect();
        assert!(lost.is_empty(), "SEED={seed}: confirmed but never consumed: {lost:?}");
        let (confirmed, consumed) = confirmed_and_consumed(seed, false);
        lossy_seeds += (confirmed.difference(&consumed).count() > 0) as u32;
    }
    assert!(lossy_seeds > 0, "transient messages should be lost in some restart");
}

/// Not a check: `SEED=n cargo test --test rabbit_props replay_chaos -- --ignored --nocapture` prints
/// a chaos seed's scenario and trace, to see why a property failed.
#[test]
#[ignore]
fn replay_chaos() {
    let seed: u64 = std::env::var("SEED").unwrap().parse().unwrap();
    let (scenario, _) = chaos(seed, true);
    println!("{}", scenario.to_json());
    let mut sim = Simulation::new(&scenario, seed).unwrap();
    sim.run_until(scenario.until);
    let world = sim.world().clone();
    for e in sim.drain_events() {
        if !matches!(e.kind, EventKind::Sent { .. } | EventKind::Delivered { .. }) {
            println!("{}", e.line(&world));
        }
    }
}

/// The x-death model: per message, its deaths (queue, reason) most recent first, with count,
/// exchange and routing key at first death; and where it is now (exchange).
#[derive(Default)]
struct Deaths {
    entries: Vec<(u16, Reason, u32, u16)>,
    exchange: u16,
}

#[test]
fn every_dead_lettered_message_carries_a_correct_x_death() {
    // work (direct) -> q0 --dlx1--> q1 --dlx2--> q2 --dlx1--> q1 …: a chain with a cycle.
    let xs = ["work", "dlx1", "dlx2"];
    let names = Broker::names_with(xs.iter().map(|x| Rc::from(*x)), ["q0", "q1", "q2"].map(Rc::from).to_vec());
    let mut checked = 0;
    for seed in 0..60 {
        let mut rng = Rng::new(seed);
        let mut b = Broker::new(NodeId(0), names.clone());
        let kinds = [ExchangeType::Direct, ExchangeType::Fanout, ExchangeType::Fanout];
        for (i, kind) in kinds.iter().enumerate() {
            let decl = ExchangeDecl { kind: *kind, durable: true, auto_delete: false, alternate: None };
            b.declare_exchange(6 + i as u16, decl).unwrap();
        }
        let (p, consumers) = (NodeId(1), [NodeId(2), NodeId(3), NodeId(4)]);
        for (q, dlx) in [(0u16, 7u16), (1, 8), (2, 7)] {
            let args = QueueArgs {
                dlx: Some(dlx),
                message_ttl: (rng.below(2) == 0).then(|| Time::ms(rng.below(20))),
                max_length: (rng.below(3) == 0).then(|| 1 + rng.below(5) as u32),
                ..QueueArgs::default()
            };
            b.declare_queue(p, q, QueueDecl { durable: true, args, ..QueueDecl::default() }, Time::ZERO).unwrap();
        }
        let none = Rc::new(Table::default());
        for (src, q) in [(6, 0), (7, 1), (8, 2)] {
            b.bind(p, src, Dest::Queue(q), "k", &none).unwrap();
        }
        b.open(p, false, Time::ZERO);
        for (i, &c) in consumers.iter().enumerate() {
            b.open(c, false, Time::ZERO);
            b.consume(c, i as u16, 0, Some(1 + rng.below(4) as u16), false, Time::ZERO).unwrap();
        }
        let mut model: BTreeMap<u64, Deaths> = BTreeMap::new();
        let mut outstanding: Vec<(NodeId, u64)> = vec![];
        let mut timers: Vec<(Time, RabbitTimer)> = vec![];
        let mut now = Time::ZERO;
        for step in 0..600 {
            match rng.below(4) {
                0 => {
                    let expiration = (rng.below(3) == 0).then(|| Time::ms(rng.below(10)));
                    let props = Props { expiration, size: 1, ..Props::default() };
                    let publish = Publish {
                        seq: step,
                        exchange: 6,
                        routing_key: "k".into(),
                        props,
                        mandatory: false,
                        published_at: now,
                    };
                    b.publish(p, &publish, now).unwrap();
                }
                1 | 2 if !outstanding.is_empty() => {
                    let (c, tag) = outstanding.remove(rng.below(outstanding.len() as u64) as usize);
                    let op = match rng.below(4) {
                        0 => SettleOp::Ack,
                        1 => SettleOp::Reject { requeue: true },
                        _ => SettleOp::Reject { requeue: false },
                    };
                    b.settle(c, tag, false, op, now).unwrap();
                }
                _ => {
                    now += Time::ms(rng.below(5));
                    timers.sort();
                    while let Some(&(t, id)) = timers.first().filter(|(t, _)| *t <= now) {
                        timers.remove(0);
                        b.timer(id, t);
                    }
                }
            }
            // Fold the events into the model, then check every delivery against it.
            let mut delivered_ids = vec![];
            for e in b.out.events.drain(..) {
                match e {
                    RabbitEvent::Received { m, exchange, .. } => {
                        model.insert(m, Deaths { entries: vec![], exchange });
                    }
                    RabbitEvent::DeadLettered { m, queue, reason, dlx, count } => {
                        let d = model.get_mut(&m).expect("a received message");
                        let want = match d.entries.iter().position(|e| e.0 == queue && e.1 == reason) {
                            Some(i) => {
                                let mut e = d.entries.remove(i);
                                e.2 += 1;
                                d.entries.insert(0, e);
                                e.2
                            }
                            None => {
                                d.entries.insert(0, (queue, reason, 1, d.exchange));
                                1
                            }
                        };
                        assert_eq!(count, want, "SEED={seed}: x-death count of m{m}");
                        d.exchange = dlx;
                    }
                    RabbitEvent::Delivered { m, .. } => delivered_ids.push(m),
                    _ => {}
                }
            }
            let mut k = 0;
            for (to, msg) in b.out.sends.drain(..) {
                let RabbitMsg::Deliver(d) = msg else { continue };
                let m = delivered_ids[k];
                k += 1;
                outstanding.push((to, d.tag));
                let want = &model[&m].entries;
                let got: Vec<(u16, Reason, u32, u16)> = d
                    .deaths
                    .as_deref()
                    .map_or(vec![], |ds| ds.iter().map(|x| (x.queue, x.reason, x.count, x.exchange)).collect());
                assert_eq!(&got, want, "SEED={seed}: x-death of m{m}");
                if let Some(ds) = d.deaths.as_deref() {
                    assert!(ds.iter().all(|x| &*x.routing_key == "k" && x.time <= now), "SEED={seed}");
                    checked += 1;
                }
            }
            timers.append(&mut b.out.timers);
        }
    }
    assert!(checked > 100, "only {checked} dead letters were delivered: the test checks too little");
}
