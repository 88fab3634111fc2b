//! Swarm tests: many seeds, each a random topology, network and fault schedule; the kernel's
//! invariants are checked after every step. A failure prints `SEED=…`: rerun that seed alone with
//! `SWARM_SEED=… cargo test --test swarm`.

use brokerlab::engine::kernel::event::MsgId;
use brokerlab::engine::relay::RelayEvent;
use brokerlab::engine::rng::Rng;
use brokerlab::engine::scenario::{Fault, NetworkSpec, NodeSpec, Role};
use brokerlab::engine::Command;
use brokerlab::engine::{presets, EventKind, ModelEvents, NodeId, Scenario, Simulation, Time};
use std::collections::BTreeMap;

fn node(role: Role, id: String) -> NodeSpec {
    NodeSpec { role, id, to: None, interval: None, start: None, count: None, from: None }
}

/// A random but valid scenario.
fn random_scenario(rng: &mut Rng) -> Scenario {
    let relays = rng.between(1, 3);
    let mut nodes: Vec<NodeSpec> = (0..relays).map(|i| node(Role::Relay, format!("b{i}"))).collect();
    for i in 0..rng.between(1, 4) {
        let mut p = node(Role::Producer, format!("p{i}"));
        p.to = Some(format!("b{}", rng.below(relays)));
        p.interval = Some(Time(rng.between(100, 3_000)));
        p.start = Some(Time(rng.below(2_000)));
        p.count = (rng.below(2) == 0).then(|| rng.between(1, 40));
        nodes.push(p);
    }
    for i in 0..rng.between(0, 3) {
        let mut c = node(Role::Consumer, format!("c{i}"));
        c.from = Some(format!("b{}", rng.below(relays)));
        nodes.push(c);
    }
    let names: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
    let pick = |rng: &mut Rng| names[rng.below(names.len() as u64) as usize].clone();
    let pair = |rng: &mut Rng| loop {
        let (a, b) = (pick(rng), pick(rng));
        if a != b {
            return (a, b);
        }
    };
    let faults = (0..rng.below(8))
        .map(|_| {
            let command = match rng.below(8) {
                0 => Command::Stop { node: pick(rng) },
                1 => Command::Start { node: pick(rng) },
                2 => Command::Isolate { node: pick(rng) },
                3 => Command::Rejoin { node: pick(rng) },
                4 if names.len() > 1 => {
                    let (a, b) = pair(rng);
                    Command::Cut { a, b }
                }
                5 if names.len() > 1 => {
                    let (a, b) = pair(rng);
                    Command::Heal { a, b }
                }
                6 if names.len() > 1 => {
                    let (a, b) = pair(rng);
                    Command::Slow { a, b, extra: Time(rng.below(5_000)) }
                }
                _ => Command::HealAll,
            };
            Fault { at: Time(rng.below(50_000)), command, target: None }
        })
        .collect();
    let network = NetworkSpec {
        latency: Time(rng.between(50, 500)),
        jitter: Time(rng.below(300)),
        loss_ppm: [0, 0, 10_000, 50_000][rng.below(4) as usize],
        fifo: true,
        links: vec![],
    };
    Scenario {
        name: "swarm".into(),
        description: String::new(),
        seed: 0,
        until: Time::ms(60),
        network,
        nodes,
        kafka: None,
        rabbit: None,
        faults,
    }
}

/// What the checker remembers about the run so far.
#[derive(Default)]
struct Checker {
    last_time: Time,
    in_flight: BTreeMap<MsgId, (NodeId, NodeId, Time)>,
    resolved: BTreeMap<MsgId, ()>,
    last_on_link: BTreeMap<(NodeId, NodeId), MsgId>,
    down: BTreeMap<NodeId, bool>,
    last_seq: BTreeMap<(NodeId, NodeId), u64>,
}

impl Checker {
    fn check(&mut self, e: &brokerlab::engine::Event) -> Result<(), String> {
        if e.at < self.last_time {
            return Err(format!("time went backwards: {} after {}", e.at, self.last_time));
        }
        self.last_time = e.at;
        let is_down = |c: &Checker, n: NodeId| c.down.get(&n).copied().unwrap_or(false);
        match e.kind {
            EventKind::Sent { from, to, msg, deliver_at, .. } => {
                if deliver_at < e.at {
                    return Err(format!("{msg:?} arrives before it is sent"));
                }
                if is_down(self, from) {
                    return Err(format!("stopped node {from:?} sent {msg:?}"));
                }
                if self.in_flight.insert(msg, (from, to, deliver_at)).is_some() || self.resolved.contains_key(&msg) {
                    return Err(format!("{msg:?} sent twice"));
                }
            }
            EventKind::Delivered { from, to, msg, .. } | EventKind::Dropped { from, to, msg, .. } => {
                let delivered = matches!(e.kind, EventKind::Delivered { .. });
                match self.in_flight.remove(&msg) {
                    Some((f, t, at)) => {
                        if (f, t) != (from, to) || at != e.at {
                            return Err(format!("{msg:?} resolved off its route or schedule"));
                        }
                    }
                    // Dropped at send time: never was in flight, and must be its first mention.
                    None if !delivered && !self.resolved.contains_key(&msg) => {}
                    None => return Err(format!("{msg:?} delivered without being sent, or twice")),
                }
                self.resolved.insert(msg, ());
                if delivered {
                    if is_down(self, to) {
                        return Err(format!("{msg:?} delivered to stopped node {to:?}"));
                    }
                    if let Some(prev) = self.last_on_link.insert((from, to), msg) {
                        if prev > msg {
                            return Err(format!("{msg:?} overtook {prev:?} on FIFO link {from:?}->{to:?}"));
                        }
                    }
                }
            }
            EventKind::NodeStopped { node } => {
                self.down.insert(node, true);
            }
            EventKind::NodeStarted { node } => {
                self.down.insert(node, false);
            }
            EventKind::Model(ModelEvents::Relay(RelayEvent::Published { producer, .. })) if is_down(self, producer) => {
                return Err(format!("stopped producer {producer:?} published"));
            }
            EventKind::Model(ModelEvents::Relay(RelayEvent::Consumed { consumer, producer, seq, .. })) => {
                if let Some(prev) = self.last_seq.insert((consumer, producer), seq) {
                    if seq <= prev {
                        return Err(format!("{consumer:?} got seq {seq} of {producer:?} after {prev}: order broken"));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn check_seed(seed: u64) {
    let mut rng = Rng::new(seed);
    let scenario = random_scenario(&mut rng);
    let mut sim = Simulation::new(&scenario, seed).unwrap_or_else(|e| panic!("SEED={seed}: generated {e}"));
    let mut checker = Checker::default();
    while sim.next_due().is_some_and(|t| t <= scenario.until) {
        sim.step();
        for e in sim.drain_events() {
            if let Err(why) = checker.check(&e) {
                panic!("SEED={seed}: {why}\nscenario: {}", scenario.to_json());
            }
        }
    }
    let m = &sim.world().metrics;
    assert!(m.consumed <= m.published, "SEED={seed}: consumed more than was published");
    assert!(m.acked <= m.published, "SEED={seed}: acked more than was published");
}

#[test]
fn kernel_invariants_hold_for_many_seeds() {
    if let Some(seed) = std::env::var("SWARM_SEED").ok().and_then(|s| s.parse().ok()) {
        return check_seed(seed);
    }
    for seed in 0..300 {
        check_seed(seed);
    }
}

#[test]
fn mangled_scenarios_never_panic() {
    // Bad input is an error value: random edits of a valid file either parse (and then run) or say
    // what is wrong, and never panic.
    let base = presets::by_slug("relay-basic").unwrap().as_bytes().to_vec();
    let alphabet = b"{}[]\":,0123456789-.abcdefmsu \\";
    let mut rng = Rng::new(99);
    let mut parsed = 0;
    for _ in 0..3_000 {
        let mut text = base.clone();
        for _ in 0..rng.between(1, 4) {
            let i = rng.below(text.len() as u64) as usize;
            match rng.below(3) {
                0 => text[i] = alphabet[rng.below(alphabet.len() as u64) as usize],
                1 => {
                    text.remove(i);
                }
                _ => text.insert(i, alphabet[rng.below(alphabet.len() as u64) as usize]),
            }
        }
        let Ok(text) = String::from_utf8(text) else { continue };
        match Scenario::from_json(&text) {
            Ok(s) => {
                parsed += 1;
                let mut sim = Simulation::new(&s, 1).expect("a validated scenario always builds");
                sim.run_until(Time::ms(5));
            }
            Err(e) => assert!(!e.is_empty()),
        }
    }
    assert!(parsed > 0, "some edits (inside strings, durations) should still parse");
}
