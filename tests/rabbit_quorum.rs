//! Quorum queues in a RabbitMQ cluster, over many seeds of random node crashes, restarts and
//! partitions between the nodes (a failure prints `SEED=…`):
//! - no confirmed message is lost: once everything heals, every message a publisher had confirmed
//!   reaches a consumer;
//! - no message is delivered after its settlement was committed (an ack, a dead-lettering);
//! - at most one leader per term, for every queue;
//! - and the faults do cause elections (the properties are not vacuous).
//!
//! Then the preset: killing the leader's node elects another and loses no confirmed message.

use brokerlab::engine::models::drain_rabbit as drain;
use brokerlab::engine::models::Node;
use brokerlab::engine::rabbit::event::RabbitEvent;
use brokerlab::engine::rabbit::node::RabbitNode;
use brokerlab::engine::rabbit::quorum::event::QuorumEvent;
use brokerlab::engine::rabbit::quorum::raft::Role;
use brokerlab::engine::rabbit::quorum::replica::{Cmd, Held};
use brokerlab::engine::rng::Rng;
use brokerlab::engine::{NodeId, Scenario, Simulation, Time};
use std::collections::{BTreeMap, BTreeSet};

/// What the run has shown so far, checked after every step.
#[derive(Default)]
struct Watch {
    leaders: BTreeMap<(u16, u64), NodeId>,
    /// Per node, how far its committed log was read.
    scanned: BTreeMap<NodeId, u64>,
    /// Messages whose settlement is committed.
    settled: BTreeSet<u64>,
    confirmed: BTreeSet<(NodeId, u64)>,
    consumed: BTreeSet<(NodeId, u64)>,
    elections: usize,
}

impl Watch {
    fn step(&mut self, sim: &mut Simulation, seed: u64) {
        for (i, slot) in sim.world().nodes.iter().enumerate() {
            let Node::Rabbit(RabbitNode::Broker(b)) = &slot.node else { continue };
            let Some(c) = &b.cluster else { continue };
            let node = NodeId(i as u32);
            for g in &c.groups {
                if g.raft.role == Role::Leader {
                    let first = *self.leaders.entry((g.queue, g.raft.term)).or_insert(node);
                    assert_eq!(first, node, "SEED={seed}: two leaders of queue {} in term {}", g.queue, g.raft.term);
                }
                let from = self.scanned.entry(node).or_insert(0);
                for e in g.raft.log.iter().take(g.raft.commit as usize).skip(*from as usize) {
                    if let Some(Cmd::Sync(changes)) = &e.cmd {
                        self.settled.extend(changes.iter().filter(|c| c.1 == Held::Gone).map(|c| c.0));
                    }
                }
                *from = (*from).max(g.raft.commit);
            }
        }
        for e in drain(sim) {
            match e {
                RabbitEvent::Delivered { m, .. } => {
                    assert!(
                        !self.settled.contains(&m),
                        "SEED={seed}: m{m} delivered after its settlement was committed"
                    )
                }
                RabbitEvent::Confirmed { publisher, seq, ack: true, .. } => {
                    self.confirmed.insert((publisher, seq));
                }
                RabbitEvent::Consumed { publisher, seq, .. } => {
                    self.consumed.insert((publisher, seq));
                }
                RabbitEvent::Quorum(QuorumEvent::Leader { .. }) => self.elections += 1,
                _ => {}
            }
        }
    }
}

fn scenario(seed: u64, rng: &mut Rng) -> Scenario {
    let nodes = if seed % 4 == 0 { 5 } else { 3 };
    let mut faults = Vec::new();
    let mut t = 500 + rng.below(1_000);
    while t < 16_000 {
        // Node 1's member leads first: it is stopped or cut off more often, so leaders change.
        let a = if rng.below(2) == 0 { 1 } else { 1 + rng.below(nodes) };
        let b = 1 + (a + rng.below(nodes - 1)) % nodes;
        let fault = match rng.below(4) {
            0 => format!(r#"{{"at":"{t}ms","action":"stop","node":"rabbit-{a}"}}"#),
            1 => format!(r#"{{"at":"{t}ms","action":"start","node":"rabbit-{a}"}}"#),
            2 => format!(r#"{{"at":"{t}ms","action":"cut","a":"rabbit-{a}","b":"rabbit-{b}"}}"#),
            _ => format!(r#"{{"at":"{t}ms","action":"heal","a":"rabbit-{a}","b":"rabbit-{b}"}}"#),
        };
        faults.push(fault);
        t += 300 + rng.below(2_500);
    }
    faults.push(r#"{"at":"17s","action":"heal_all"}"#.into());
    faults.extend((1..=nodes).map(|n| format!(r#"{{"at":"17s","action":"start","node":"rabbit-{n}"}}"#)));
    let json = format!(
        r#"{{"name":"swarm","until":"40s","network":{{"latency":"250us","jitter":"{}us"}},"rabbit":{{
            "reconnect":"300ms","cluster":{{"nodes":{nodes}}},
            "queues":[{{"name":"q","durable":true,"arguments":{{"x-queue-type":"quorum"}}}}],
            "publishers":[
              {{"id":"p1","routing_keys":["q"],"interval":"{}ms","count":200,"confirms":true}},
              {{"id":"p2","routing_keys":["q"],"interval":"{}ms","count":200,"confirms":true}}],
            "consumers":[
              {{"id":"c1","queue":"q","prefetch":{},"processing":"{}ms"}},
              {{"id":"c2","queue":"q","prefetch":{},"processing":"{}ms","reject_every":{},"requeue":true}}]}},
          "faults":[{}]}}"#,
        rng.below(300),
        40 + rng.below(40),
        40 + rng.below(40),
        1 + rng.below(10),
        rng.below(20),
        1 + rng.below(10),
        rng.below(20),
        rng.below(7),
        faults.join(",")
    );
    Scenario::from_json(&json).unwrap_or_else(|e| panic!("SEED={seed}: {e}"))
}

#[test]
fn quorum_queues_keep_confirmed_messages_through_crashes_and_partitions() {
    let mut elections = 0;
    for seed in 0..24 {
        let mut rng = Rng::new(seed);
        let scenario = scenario(seed, &mut rng);
        let mut sim = Simulation::new(&scenario, seed).unwrap();
        let mut watch = Watch::default();
        while sim.now() < scenario.until && sim.step() {
            watch.step(&mut sim, seed);
        }
        let lost: Vec<_> = watch.confirmed.difference(&watch.consumed).collect();
        assert!(lost.is_empty(), "SEED={seed}: confirmed but never consumed: {lost:?}");
        assert!(watch.confirmed.len() > 100, "SEED={seed}: only {} confirmed", watch.confirmed.len());
        elections += watch.elections;
    }
    assert!(elections > 12, "the faults must cause elections: {elections} over all seeds");
}

#[test]
fn killing_the_leaders_node_elects_another_and_loses_no_confirmed_message() {
    let scenario = brokerlab::engine::presets::load("rabbit-quorum").unwrap();
    let mut sim = Simulation::new(&scenario, scenario.seed).unwrap();
    let mut watch = Watch::default();
    let mut leaders = Vec::new();
    while sim.now() < Time::secs(12) && sim.step() {
        let before = watch.elections;
        watch.step(&mut sim, 1);
        if watch.elections > before {
            leaders.push(watch.leaders.iter().last().map(|(k, n)| (k.1, *n)).unwrap());
        }
    }
    let killed = sim.world().node_by_name("rabbit-1").unwrap();
    assert!(!leaders.is_empty() && leaders.iter().all(|l| l.1 != killed && l.0 >= 2), "new leader: {leaders:?}");
    let lost: Vec<_> = watch.confirmed.difference(&watch.consumed).collect();
    assert!(lost.is_empty(), "confirmed but never consumed: {lost:?}");
    assert!(watch.confirmed.len() > 300);
}

/// The messages basic.get returns after the script's requeues: `(body, redelivered, x-delivery-count)`.
fn gets_after_requeues(file: &str, queue_type: &str) -> Vec<(String, bool, Option<i64>)> {
    let text = std::fs::read_to_string(format!("tests/data/amqp/{file}.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let q = &mut json["rabbit"]["queues"][0];
    q["durable"] = true.into();
    q["arguments"] = serde_json::json!({ "x-queue-type": queue_type });
    let scenario = Scenario::from_json(&json.to_string()).unwrap();
    let mut sim = Simulation::new(&scenario, 1).unwrap();
    sim.run_until(scenario.until);
    let seen = brokerlab::engine::models::script_observations(sim.world());
    seen["app"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["ev"] == "get")
        .skip(3)
        .map(|o| {
            (o["msg"].as_str().unwrap().into(), o["redelivered"] == true, o["headers"]["x-delivery-count"].as_i64())
        })
        .collect()
}

#[test]
fn requeued_messages_go_back_to_their_place_in_a_classic_queue_and_to_the_back_of_a_quorum_queue() {
    // Five messages, three taken with basic.get; the second rejected, then the first and third
    // nacked (multiple), all with requeue (the script checked against RabbitMQ 3.10).
    let m = |n: u32, r: bool, c: Option<i64>| (format!("app#{n}"), r, c);
    let classic = gets_after_requeues("requeue-original-position", "classic");
    assert_eq!(classic, [m(0, true, None), m(1, true, None), m(2, true, None), m(3, false, None), m(4, false, None)]);
    let quorum = gets_after_requeues("quorum-requeue-back", "quorum");
    assert_eq!(
        quorum,
        [m(3, false, Some(0)), m(4, false, Some(0)), m(1, true, Some(1)), m(0, true, Some(1)), m(2, true, Some(1))]
    );
}
