//! KRaft mode: the controller quorum's Raft is safe under crashes and partitions (one leader per
//! epoch, a committed record is never lost and never changes, logs agree below the high
//! watermark), and a broker cut off from the controllers is fenced within
//! `broker.session.timeout.ms` while its leaderships move. A failure prints `SEED=…`; rerun one
//! with `KRAFT_SEED=… cargo test --test kraft`.

mod common;

use brokerlab::engine::kafka::kraft::quorum_controller::QuorumController;
use brokerlab::engine::kafka::kraft::Entry;
use brokerlab::engine::kafka::msg::KafkaEvent;
use brokerlab::engine::kafka::node::KafkaNode;
use brokerlab::engine::rng::Rng;
use brokerlab::engine::{EventKind, ModelEvents, NodeId, Scenario, Simulation, Time};
use std::collections::BTreeMap;

fn seeds() -> Vec<u64> {
    match std::env::var("KRAFT_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(seed) => vec![seed],
        None => (0..30).collect(),
    }
}

/// Five controllers and three brokers under a random schedule: controllers crash and restart
/// (at most two down at a time, so a quorum can form again), links between controllers and
/// between brokers and controllers are cut and healed; everything heals after the last fault.
fn quorum_scenario(seed: u64) -> Scenario {
    quorum_scenario_with(seed, ["ctl1", "ctl2", "ctl3", "ctl4", "ctl5"], "")
}

/// The same with a mixed quorum: `ctl1`…`ctl3` are controller nodes, `b1` and `b2` brokers that
/// run the other two voters (`"combined": ["b1", "b2"]`), so a voter crash there kills a broker too.
fn mixed_quorum_scenario(seed: u64) -> Scenario {
    quorum_scenario_with(seed, ["ctl1", "ctl2", "ctl3", "b1", "b2"], r#""combined":["b1","b2"],"#)
}

fn quorum_scenario_with(seed: u64, voters: [&str; 5], combined: &str) -> Scenario {
    let mut rng = Rng::new(seed);
    let mut faults = vec![];
    let mut down: Vec<u64> = vec![];
    let mut t = 300u64;
    while t < 12_000 {
        t += rng.between(100, 900);
        let at = format!("{t}ms");
        let c = rng.between(1, 5);
        let voter = voters[c as usize - 1];
        let fault = match rng.below(6) {
            0 | 1 if down.len() < 2 && !down.contains(&c) => {
                down.push(c);
                format!(r#"{{"at":"{at}","action":"stop","node":"{voter}"}}"#)
            }
            0 | 1 if !down.is_empty() => {
                let back = voters[down.remove(rng.below(down.len() as u64) as usize) as usize - 1];
                format!(r#"{{"at":"{at}","action":"start","node":"{back}"}}"#)
            }
            2 | 3 => {
                let other = ["ctl1", "ctl2", "ctl3", "ctl4", "ctl5", "b1", "b2", "b3"][rng.below(8) as usize];
                if other == voter || !s_has(&voters, other) {
                    continue;
                }
                format!(r#"{{"at":"{at}","action":"cut","a":"{voter}","b":"{other}"}}"#)
            }
            _ => format!(r#"{{"at":"{at}","action":"heal_all"}}"#),
        };
        faults.push(fault);
    }
    let end = t + 100;
    faults.push(format!(r#"{{"at":"{end}ms","action":"heal_all"}}"#));
    for voter in voters {
        faults.push(format!(r#"{{"at":"{end}ms","action":"start","node":"{voter}"}}"#));
    }
    let json = format!(
        r#"{{"name":"kraft quorum swarm","until":"18s","kafka":{{"brokers":3,"metadata":"kraft","controllers":5,{combined}
            "broker_heartbeat_interval":"100ms","broker_session_timeout":"500ms",
            "controller_quorum_election_timeout":"200ms","controller_quorum_fetch_timeout":"400ms",
            "replica_lag_time_max":"400ms",
            "topics":[{{"name":"t","partitions":3,"replication_factor":3,"min_insync_replicas":2}}],
            "producers":[{{"id":"p","topic":"t","interval":"20ms","keys":6}}]}},"faults":[{}]}}"#,
        faults.join(",")
    );
    let s = Scenario::from_json(&json).unwrap_or_else(|e| panic!("SEED={seed}: generated scenario: {e}"));
    // KRAFT_DUMP=FILE writes the scenario, to replay it with `brokerlab run FILE --seed N --trace`.
    if let Ok(path) = std::env::var("KRAFT_DUMP") {
        std::fs::write(path, s.to_json()).unwrap();
    }
    s
}

/// Whether `name` is a node of the scenario whose voters are `voters` (and brokers b1…b3).
fn s_has(voters: &[&str; 5], name: &str) -> bool {
    voters.contains(&name) || ["b1", "b2", "b3"].contains(&name)
}

/// The Kafka events since the last drain, with their times.
fn kafka_events(sim: &mut Simulation) -> Vec<(Time, KafkaEvent)> {
    sim.drain_events()
        .filter_map(|e| match e.kind {
            EventKind::Model(ModelEvents::Kafka(k)) => Some((e.at, k)),
            _ => None,
        })
        .collect()
}

/// The controllers: nodes of their own, or in combined mode the brokers that run one.
fn controllers(sim: &Simulation) -> Vec<(NodeId, &QuorumController)> {
    common::kafka_nodes(sim, KafkaNode::quorum)
}

#[test]
fn the_quorum_keeps_raft_safety_under_crashes_and_partitions() {
    for seed in seeds() {
        raft_stays_safe(seed, &quorum_scenario(seed));
    }
}

/// The same over a mixed quorum (three controller nodes, two combined brokers): a crash of b1 or
/// b2 takes its voter and its broker down together, and the broker comes back with the voter.
#[test]
fn a_mixed_quorum_keeps_raft_safety_under_crashes_and_partitions() {
    for seed in seeds() {
        let s = mixed_quorum_scenario(seed);
        assert_eq!(s.node_names()[..5], ["ctl1", "ctl2", "ctl3", "b1", "b2"]);
        raft_stays_safe(seed, &s);
    }
}

fn raft_stays_safe(seed: u64, s: &Scenario) {
    let mut sim = Simulation::new(s, seed).unwrap();
    let mut leaders: BTreeMap<u32, NodeId> = BTreeMap::new();
    // The longest committed prefix seen anywhere: every later one must extend it.
    let mut committed: Vec<Entry> = vec![];
    let mut elections = 0;
    while sim.now() < s.until {
        sim.run_until((sim.now() + Time::ms(20)).min(s.until));
        for e in sim.drain_events() {
            if let EventKind::Model(ModelEvents::Kafka(KafkaEvent::ControllerLeader { controller, epoch })) = e.kind {
                elections += 1;
                let prev = leaders.insert(epoch, controller);
                assert!(prev.is_none_or(|p| p == controller), "SEED={seed}: two leaders in epoch {epoch}");
            }
        }
        let cs = controllers(&sim);
        for (node, c) in &cs {
            let hw = c.raft.hw as usize;
            let log = c.raft.log.entries();
            assert!(hw <= log.len(), "SEED={seed}: {node:?}'s HW {hw} is past its log end {}", log.len());
            // Logs match below the HW, and what was committed stays committed.
            let common = hw.min(committed.len());
            assert!(
                log[..common] == committed[..common],
                "SEED={seed}: {node:?}'s committed records differ from what was committed before (at {})",
                sim.now()
            );
            if hw > committed.len() {
                committed = log[..hw].to_vec();
            }
        }
        // Leader completeness: the leader of the newest epoch holds every committed record.
        let up = |n: &NodeId| sim.world().network.is_up(*n);
        if let Some((node, c)) =
            cs.iter().filter(|(n, c)| up(n) && c.raft.is_leader()).max_by_key(|(_, c)| c.raft.epoch)
        {
            let newest = cs.iter().filter(|(n, _)| up(n)).map(|(_, c)| c.raft.epoch).max().unwrap_or(0);
            if c.raft.epoch == newest {
                let log = c.raft.log.entries();
                assert!(
                    log.len() >= committed.len() && log[..committed.len()] == committed[..],
                    "SEED={seed}: leader {node:?} of epoch {newest} lacks committed records at {}",
                    sim.now()
                );
            }
        }
    }
    // Healed: one leader, every controller caught up with it, every broker unfenced.
    let cs = controllers(&sim);
    let active: Vec<_> = cs.iter().filter(|(_, c)| c.raft.is_leader()).collect();
    assert_eq!(active.len(), 1, "SEED={seed}: {} leaders after healing", active.len());
    let leader = active[0].1;
    for (node, c) in &cs {
        assert!(c.raft.hw + 5 >= leader.raft.hw, "SEED={seed}: {node:?} is behind at HW {}", c.raft.hw);
    }
    assert_eq!(leader.image.active(), vec![1, 2, 3], "SEED={seed}: brokers still fenced after healing");
    assert!(elections >= 1 && committed.len() > 10, "SEED={seed}: the quorum did little");
}

/// kafka-kraft's cluster, with b2 cut from all three controllers at 3 s (its links to the other
/// brokers and the clients stay): the active controller fences it within
/// `broker.session.timeout.ms` of its last heartbeat, and every partition it led gets a new leader.
#[test]
fn a_broker_cut_from_the_controllers_is_fenced_and_its_leaderships_move() {
    let json = include_str!("../scenarios/kafka-kraft.json")
        .replace(r#"{ "at": "3s", "action": "stop", "node": "b1" },"#, "")
        .replace(
            r#"{ "at": "9s", "action": "start", "node": "b1" }"#,
            r#"{ "at": "3s", "action": "cut", "a": "b2", "b": "ctl1" }, { "at": "3s", "action": "cut", "a": "b2", "b": "ctl2" },
               { "at": "3s", "action": "cut", "a": "b2", "b": "ctl3" }"#,
        );
    let s = Scenario::from_json(&json).unwrap();
    let session = s.kafka.as_ref().unwrap().kraft_settings().session_timeout;
    let heartbeat = s.kafka.as_ref().unwrap().kraft_settings().heartbeat_interval;
    let mut sim = Simulation::new(&s, 1).unwrap();
    sim.run_until(Time::secs(3));
    let led_by_b2 = |sim: &Simulation| -> Vec<_> {
        controllers(sim)
            .into_iter()
            .find(|(_, c)| c.raft.is_leader())
            .map(|(_, c)| c.image.partitions.values().filter(|v| v.leader == Some(2)).map(|v| v.tp).collect())
            .unwrap_or_default()
    };
    let before = led_by_b2(&sim);
    assert!(!before.is_empty(), "b2 leads something before the cut");
    sim.drain_events();
    sim.run_until(Time::secs(8));
    let events = kafka_events(&mut sim);
    let fenced_at = events
        .iter()
        .find(|(_, k)| *k == KafkaEvent::BrokerFenced { broker: 2 })
        .map(|(at, _)| *at)
        .expect("b2 is fenced");
    // Its last heartbeat left at most one interval before the cut; fencing follows the session
    // timeout, checked every controller tick (a tenth of the election timeout).
    assert!(fenced_at <= Time::secs(3) + session + Time::ms(150), "fenced at {fenced_at}");
    assert!(fenced_at >= Time::secs(3) + session - heartbeat, "fenced too early, at {fenced_at}");
    for tp in &before {
        assert!(
            events
                .iter()
                .any(|(_, k)| matches!(k, KafkaEvent::LeaderElected { tp: t, leader, .. } if t == tp && *leader != 2)),
            "{tp:?} got no new leader"
        );
    }
    assert!(led_by_b2(&sim).is_empty(), "the controller's image still has b2 leading");
}

/// Combined mode (`kafka-kraft-combined`: b1…b3 are brokers and the quorum's voters): killing b2,
/// the active controller and a partition leader, kills both roles. The two voters left elect a
/// new active controller, which fences b2 (a fresh session for every broker, then
/// `broker.session.timeout.ms`) and moves every leadership b2 had; the brokers left read that
/// from their own voters' logs.
#[test]
fn killing_the_combined_node_that_is_the_active_controller_moves_the_controller_and_its_leaderships() {
    let s = brokerlab::engine::presets::load("kafka-kraft-combined").unwrap();
    assert!(s.node_names().iter().all(|n| !n.starts_with("ctl")), "no controller nodes of their own");
    let mut sim = Simulation::new(&s, 1).unwrap();
    sim.run_until(Time::secs(3) - Time::ms(1));
    fn active(sim: &Simulation) -> Option<(NodeId, &QuorumController)> {
        controllers(sim).into_iter().find(|(n, c)| sim.world().network.is_up(*n) && c.raft.is_leader())
    }
    let (b2, before) = active(&sim).expect("an active controller");
    assert_eq!(sim.world().nodes[b2.index()].name, "b2", "the preset kills the active controller's node");
    let first_epoch = before.raft.epoch;
    let led: Vec<_> = before.image.partitions.values().filter(|v| v.leader == Some(2)).map(|v| v.tp).collect();
    assert!(!led.is_empty(), "b2 leads partitions too");
    sim.drain_events();
    sim.run_until(Time::secs(9) - Time::ms(1));
    let events = kafka_events(&mut sim);
    let new_leader = events.iter().find_map(|(at, k)| match k {
        KafkaEvent::ControllerLeader { controller, epoch } if *epoch > first_epoch => Some((*at, *controller)),
        _ => None,
    });
    let (elected_at, node) = new_leader.expect("a new active controller");
    assert_ne!(node, b2, "not the dead node");
    let fenced_at = events
        .iter()
        .find(|(_, k)| *k == KafkaEvent::BrokerFenced { broker: 2 })
        .map(|(at, _)| *at)
        .expect("b2 is fenced");
    let session = s.kafka.as_ref().unwrap().kraft_settings().session_timeout;
    assert!(fenced_at >= elected_at + session, "a new controller gives b2 a full session: fenced at {fenced_at}");
    for tp in &led {
        assert!(
            events.iter().any(|(at, k)| *at >= fenced_at
                && matches!(k, KafkaEvent::LeaderElected { tp: t, leader, .. } if t == tp && *leader != 2)),
            "{tp:?} got no new leader"
        );
    }
    // The brokers left read it from their own voters' logs: no partition led by b2 in their view.
    let (_, now) = active(&sim).expect("an active controller");
    assert!(now.image.partitions.values().all(|v| v.leader != Some(2)));
    for (n, b) in common::kafka_nodes(&sim, |k| match k {
        KafkaNode::Broker(b) if b.id != 2 => Some(&**b),
        _ => None,
    }) {
        assert!(b.quorum.is_some(), "{n:?} runs a controller too");
        let image = &b.kraft.as_ref().unwrap().image;
        assert!(image.partitions.values().all(|v| v.leader != Some(2)), "{n:?} still sees b2 leading");
        assert!(image.brokers[&2].fenced, "{n:?} sees b2 fenced");
    }
}

/// Topics are created once every broker is unfenced, so their replicas are placed over all of
/// them; a broker that never comes delays them only `broker.session.timeout.ms` from the
/// controller becoming active, and they are then placed over the others.
#[test]
fn topics_wait_for_every_broker_or_the_session_timeout() {
    let scenario = |faults: &str| {
        Scenario::from_json(&format!(
            r#"{{"name":"k","until":"8s","kafka":{{"brokers":10,"metadata":"kraft","broker_session_timeout":"2s",
                "broker_heartbeat_interval":"500ms","topics":[{{"name":"t","partitions":30,"replication_factor":3}}]}},
                "faults":[{faults}]}}"#
        ))
        .unwrap()
    };
    let placed = |s: &Scenario| {
        let mut sim = Simulation::new(s, 1).unwrap();
        sim.run_until(Time::secs(8));
        let events = kafka_events(&mut sim);
        let (_, c) = controllers(&sim).into_iter().find(|(_, c)| c.raft.is_leader()).expect("an active controller");
        let mut holders: Vec<u32> = c.image.partitions.values().flat_map(|v| v.replicas.clone()).collect();
        holders.sort();
        holders.dedup();
        let created = events.iter().find(|(_, k)| matches!(k, KafkaEvent::LeaderElected { .. })).map(|(at, _)| *at);
        (holders, created, c.image.partitions.len())
    };
    let (holders, _, partitions) = placed(&scenario(""));
    assert_eq!(partitions, 30);
    assert_eq!(holders, (1..=10).collect::<Vec<_>>(), "replicas over all ten brokers");
    let (holders, created, partitions) = placed(&scenario(r#"{"at":"1ms","action":"stop","node":"b4"}"#));
    assert_eq!(partitions, 30, "created without b4");
    assert!(!holders.contains(&4), "b4 never registered: {holders:?}");
    assert_eq!(holders.len(), 9);
    assert!(created.is_some_and(|at| at >= Time::secs(3)), "after the session timeout: {created:?}");
}

/// A mixed quorum (kafka-kraft with `"combined": ["b1"]`: controller nodes ctl1 and ctl2, and b1
/// running the third voter): killing b1 at 5 s kills its voter and its broker at once. The two
/// controller nodes keep a majority, so whichever was active stays or one of them takes over; b1
/// is fenced within `broker.session.timeout.ms` (plus a new controller's fresh session, if the
/// active one died) and its leaderships move; restarted at 12 s, b1's voter follows again and its
/// broker is unfenced.
#[test]
fn killing_the_combined_broker_of_a_mixed_quorum_kills_both_roles() {
    let json = include_str!("../scenarios/kafka-kraft.json")
        .replace(r#""controllers": 3,"#, r#""controllers": 3, "combined": ["b1"],"#)
        .replace(r#""until": "12s""#, r#""until": "20s""#)
        .replace(r#""at": "3s", "action": "stop""#, r#""at": "5s", "action": "stop""#)
        .replace(r#""at": "9s", "action": "start""#, r#""at": "12s", "action": "start""#);
    let s = Scenario::from_json(&json).unwrap();
    assert_eq!(s.node_names()[..5], ["ctl1", "ctl2", "b1", "b2", "b3"]);
    let session = s.kafka.as_ref().unwrap().kraft_settings().session_timeout;
    for seed in 1..=4 {
        let mut sim = Simulation::new(&s, seed).unwrap();
        let b1 = sim.world().node_by_name("b1").unwrap();
        let voters: Vec<NodeId> = controllers(&sim).iter().map(|(n, _)| *n).collect();
        assert_eq!(voters.len(), 3, "two controller nodes and b1's voter");
        assert!(voters.contains(&b1));
        sim.run_until(Time::secs(5) - Time::ms(1));
        fn active(sim: &Simulation) -> Option<(NodeId, &QuorumController)> {
            controllers(sim).into_iter().find(|(n, c)| sim.world().network.is_up(*n) && c.raft.is_leader())
        }
        let (was_active, before) = active(&sim).expect("an active controller");
        let led: Vec<_> = before.image.partitions.values().filter(|v| v.leader == Some(1)).map(|v| v.tp).collect();
        assert!(!led.is_empty(), "SEED={seed}: b1 leads partitions");
        sim.drain_events();
        sim.run_until(Time::secs(12) - Time::ms(1));
        let events = kafka_events(&mut sim);
        let (now_active, c) = active(&sim).expect("the two controller nodes keep a quorum");
        assert_ne!(now_active, b1, "SEED={seed}");
        assert!(!sim.world().network.is_up(b1));
        let fenced_at = events
            .iter()
            .find(|(_, k)| *k == KafkaEvent::BrokerFenced { broker: 1 })
            .map(|(at, _)| *at)
            .unwrap_or_else(|| panic!("SEED={seed}: b1 is fenced"));
        // Its broker's last heartbeat was at most one interval before the crash; a new active
        // controller first waits out the fetch timeout and gives every broker a fresh session.
        let limit = if was_active == b1 { Time::secs(5) + Time::secs(4) + session } else { Time::secs(5) + session };
        assert!(fenced_at <= limit + Time::ms(150), "SEED={seed}: b1 fenced at {fenced_at}");
        assert!(c.image.partitions.values().all(|v| v.leader != Some(1)), "SEED={seed}: b1 still leads");
        for tp in &led {
            assert!(
                events.iter().any(|(at, k)| *at >= fenced_at
                    && matches!(k, KafkaEvent::LeaderElected { tp: t, leader, .. } if t == tp && *leader != 1)),
                "SEED={seed}: {tp:?} got no new leader"
            );
        }
        // Back at 12 s: both roles return; its voter catches up and its broker is unfenced.
        sim.run_until(Time::secs(20));
        let (_, c) = active(&sim).unwrap_or_else(|| panic!("SEED={seed}: no active controller at 20 s"));
        assert_eq!(c.image.active(), vec![1, 2, 3], "SEED={seed}: b1 unfenced again");
        let b1_voter = controllers(&sim).into_iter().find(|(n, _)| *n == b1).unwrap().1;
        assert!(b1_voter.raft.hw + 5 >= c.raft.hw, "SEED={seed}: b1's voter caught up");
    }
}
