//! Operating a Kafka cluster, end to end (issue 16): static group members restarting (KIP-345),
//! leaderships going back to preferred replicas after a restart, and a broker stopped cleanly
//! (controlled shutdown) against one that crashes.

use brokerlab::engine::kafka::msg::{GroupState, KafkaEvent, RemoveReason, Tp};
use brokerlab::engine::{presets, Event, EventKind, ModelEvents, NodeId, Scenario, Simulation, Time};
use std::collections::BTreeMap;

fn run(scenario: &Scenario) -> (Simulation, Vec<Event>) {
    let mut sim = Simulation::new(scenario, scenario.seed).unwrap();
    sim.run_until(scenario.until);
    let events = sim.drain_events().collect();
    (sim, events)
}

fn kafka(events: &[Event]) -> impl Iterator<Item = (Time, KafkaEvent)> + '_ {
    events.iter().filter_map(|e| match e.kind {
        EventKind::Model(ModelEvents::Kafka(k)) => Some((e.at, k)),
        _ => None,
    })
}

/// A group's states and generations, in order (`group`: its index in the scenario).
fn states(events: &[Event], group: u8) -> Vec<(Time, GroupState, u32)> {
    kafka(events)
        .filter_map(|(at, k)| match k {
            KafkaEvent::GroupState { group: g, state, generation, .. } if g == group => Some((at, state, generation)),
            _ => None,
        })
        .collect()
}

fn assigned(events: &[Event], consumer: NodeId) -> Vec<(Time, u32, u64)> {
    kafka(events)
        .filter_map(|(at, k)| match k {
            KafkaEvent::Assigned { consumer: c, generation, partitions, .. } if c == consumer => {
                Some((at, generation, partitions))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_static_member_restarting_within_the_session_timeout_gets_its_partitions_back_without_a_rebalance() {
    let scenario = presets::load("kafka-static").unwrap();
    let (sim, events) = run(&scenario);
    let s2 = sim.world().node_by_name("s2").unwrap();
    // The static group reaches Stable in generation 1 and never changes state again.
    let static_states = states(&events, 0);
    assert_eq!(static_states.last().map(|s| (s.1, s.2)), Some((GroupState::Stable, 1)), "{static_states:?}");
    assert!(static_states.iter().all(|s| s.0 < Time::secs(10)), "no rebalance after the crash: {static_states:?}");
    // s2 rejoins at 15 s with what it had, in the same generation.
    let got = assigned(&events, s2);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!((got[1].1, got[1].2), (got[0].1, got[0].2), "same generation, same partitions");
    assert!(got[1].0 >= Time::secs(15));
    let rejoined = kafka(&events).filter(|(_, k)| matches!(k, KafkaEvent::StaticMemberRejoined { .. })).count();
    assert_eq!(rejoined, 1);
    // The dynamic group, side by side: its restarted member is a new one, and the group rebalances,
    // completing only once the dead member's session has timed out (its last heartbeat + 20 s).
    let dynamic = states(&events, 1);
    assert_eq!(dynamic.last().map(|s| (s.1, s.2)), Some((GroupState::Stable, 2)), "{dynamic:?}");
    let d2 = sim.world().node_by_name("d2").unwrap();
    let removed = kafka(&events).find_map(|(at, k)| match k {
        KafkaEvent::MemberRemoved { consumer, reason: RemoveReason::SessionTimeout, .. } if consumer == d2 => Some(at),
        _ => None,
    });
    assert!(removed.is_some_and(|at| at > Time::secs(28) && at < Time::secs(31)), "{removed:?}");
}

#[test]
fn a_static_member_away_past_the_session_timeout_is_removed_and_the_group_rebalances() {
    let mut scenario = presets::load("kafka-static").unwrap();
    // s2 comes back only after 25 s away (the session timeout is 20 s).
    let start = scenario.faults.iter_mut().find(|f| f.at == Time::secs(15) && f.command.nodes() == [&"s2".to_string()]);
    start.unwrap().at = Time::secs(35);
    scenario.until = Time::secs(45);
    let (sim, events) = run(&scenario);
    let s2 = sim.world().node_by_name("s2").unwrap();
    let removed = kafka(&events).find_map(|(at, k)| match k {
        KafkaEvent::MemberRemoved { consumer, reason: RemoveReason::SessionTimeout, .. } if consumer == s2 => Some(at),
        _ => None,
    });
    assert!(removed.is_some_and(|at| at < Time::secs(35)), "removed by its session timeout: {removed:?}");
    let generations: Vec<u32> = states(&events, 0).iter().map(|s| s.2).collect();
    assert!(
        generations.last().is_some_and(|&g| g >= 3),
        "a rebalance when it went, another when it came: {generations:?}"
    );
    assert!(kafka(&events).all(|(_, k)| !matches!(k, KafkaEvent::StaticMemberRejoined { .. })));
}

/// Three brokers, one topic whose partitions each prefer a different broker; b1 restarts.
fn restart_scenario(rebalance: bool, kraft: bool) -> Scenario {
    let session = match kraft {
        true => r#""metadata":"kraft","broker_heartbeat_interval":"500ms","broker_session_timeout":"2s""#,
        false => r#""session_timeout":"2s""#,
    };
    let json = format!(
        r#"{{"name":"preferred leaders","seed":1,"until":"30s","kafka":{{"brokers":3,{session},
            "replica_lag_time_max":"1s","leader_imbalance_check_interval":"10s","auto_leader_rebalance_enable":{rebalance},
            "topics":[{{"name":"t","partitions":3,"replication_factor":3,"min_insync_replicas":2}}],
            "producers":[{{"id":"p","topic":"t","interval":"50ms","acks":"all","keys":6}}]}},
            "faults":[{{"at":"3s","action":"stop","node":"b1"}},{{"at":"8s","action":"start","node":"b1"}}]}}"#
    );
    Scenario::from_json(&json).unwrap()
}

/// Who leads each partition at the end (the last election), and its preferred replica.
fn final_leaders(sim: &Simulation, events: &[Event]) -> BTreeMap<Tp, (u32, u32)> {
    let mut leaders = BTreeMap::new();
    for (_, k) in kafka(events) {
        if let KafkaEvent::LeaderElected { tp, leader, .. } = k {
            leaders.insert(tp, leader);
        }
    }
    let replicas = preferred(sim);
    leaders.into_iter().map(|(tp, l)| (tp, (l, replicas[&tp]))).collect()
}

/// Each partition's preferred replica, from the brokers' replicas' assignments.
fn preferred(sim: &Simulation) -> BTreeMap<Tp, u32> {
    use brokerlab::engine::kafka::node::KafkaNode;
    use brokerlab::engine::models::Node;
    let mut out = BTreeMap::new();
    for slot in &sim.world().nodes {
        if let Node::Kafka(KafkaNode::Broker(b)) = &slot.node {
            for (tp, r) in b.replicas.iter() {
                out.insert(*tp, r.assignment[0]);
            }
        }
    }
    out
}

#[test]
fn after_a_restart_and_an_imbalance_check_the_preferred_replicas_lead_again() {
    for kraft in [false, true] {
        let (sim, events) = run(&restart_scenario(true, kraft));
        let leaders = final_leaders(&sim, &events);
        assert!(leaders.values().all(|(l, p)| l == p), "every partition led by its preferred replica: {leaders:?}");
        // Without the check, what b1 led stays with the brokers that took it over.
        let (sim, events) = run(&restart_scenario(false, kraft));
        let leaders = final_leaders(&sim, &events);
        assert!(leaders.values().any(|(l, p)| l != p), "kraft {kraft}: {leaders:?}");
    }
}

/// KRaft's controller schedules the election `leader.imbalance.check.interval.seconds` after
/// the write that left a partition away from its preferred replica (b1 fenced at about 5 s), not
/// on a fixed period from its own election.
#[test]
fn a_kraft_preferred_leader_election_comes_one_interval_after_the_imbalance() {
    let (_, events) = run(&restart_scenario(true, true));
    let fenced = kafka(&events).find(|(_, k)| matches!(k, KafkaEvent::BrokerFenced { broker: 1 })).unwrap().0;
    let back: Vec<Time> = kafka(&events)
        .filter(|(t, k)| *t > fenced && matches!(k, KafkaEvent::LeaderElected { leader: 1, .. }))
        .map(|(t, _)| t)
        .collect();
    assert!(!back.is_empty());
    let (first, last) = (back[0], back[back.len() - 1]);
    // (The fencing is told once committed, a round trip after the controller wrote it.)
    let due = fenced + Time::secs(10);
    assert!(first + Time::ms(10) >= due && last < due + Time::ms(100), "{fenced} {back:?}");
}

/// For how long, in total, some partition had no live leader (its leader's process stopped, or
/// none at all), from the first election to the end.
fn leaderless_time(sim: &Simulation, events: &[Event]) -> Time {
    let brokers: BTreeMap<NodeId, u32> =
        (1..=3).map(|b| (sim.world().node_by_name(&format!("b{b}")).unwrap(), b)).collect();
    let mut down: Vec<u32> = vec![];
    let mut leaders: BTreeMap<Tp, Option<u32>> = BTreeMap::new();
    let (mut total, mut last) = (Time::ZERO, Time::ZERO);
    for e in events {
        let leaderless = leaders.values().any(|l| l.is_none_or(|b| down.contains(&b)));
        if leaderless {
            total += e.at - last;
        }
        last = e.at;
        match e.kind {
            EventKind::NodeStopped { node } => down.extend(brokers.get(&node)),
            EventKind::NodeStarted { node } => down.retain(|b| Some(b) != brokers.get(&node)),
            EventKind::Model(ModelEvents::Kafka(KafkaEvent::LeaderElected { tp, leader, .. })) => {
                leaders.insert(tp, Some(leader));
            }
            EventKind::Model(ModelEvents::Kafka(KafkaEvent::PartitionOffline { tp })) => {
                leaders.insert(tp, None);
            }
            _ => {}
        }
    }
    total
}

fn stop_scenario(action: &str, kraft: bool) -> Scenario {
    // The broker's session: ZooKeeper's, or the active controller's (heartbeats).
    // (KRaft's brokers heartbeat every 2 s: the last is unfenced, and the topic created, at 3.4 s.)
    let (session, at, until) = match kraft {
        true => (r#""metadata":"kraft","broker_session_timeout":"6s""#, "6s", "16s"),
        false => (r#""session_timeout":"6s""#, "3s", "12s"),
    };
    let json = format!(
        r#"{{"name":"stop b1","seed":1,"until":"{until}","kafka":{{"brokers":3,{session},
            "topics":[{{"name":"t","partitions":3,"replication_factor":3,"min_insync_replicas":2}}],
            "producers":[{{"id":"p","topic":"t","interval":"50ms","acks":"all","keys":6}}]}},
            "faults":[{{"at":"{at}","action":"{action}","node":"b1"}}]}}"#
    );
    Scenario::from_json(&json).unwrap()
}

#[test]
fn a_clean_stop_leaves_no_partition_without_a_leader_where_a_crash_does() {
    for kraft in [false, true] {
        let (sim, events) = run(&stop_scenario("leave", kraft));
        let b1 = sim.world().node_by_name("b1").unwrap();
        assert!(!sim.world().network.is_up(b1), "b1 stopped once its leaderships had moved (kraft: {kraft})");
        assert_eq!(leaderless_time(&sim, &events), Time::ZERO, "controlled shutdown: no offline window ({kraft})");
        let (sim, events) = run(&stop_scenario("stop", kraft));
        let window = leaderless_time(&sim, &events);
        // The crashed leader's partitions wait for its session to expire (6 s): ZooKeeper's, or
        // the controller's broker.session.timeout.ms.
        assert!(window >= Time::secs(5) && window <= Time::secs(7), "crash: {window} (kraft: {kraft})");
    }
}

/// KIP-631 in the trace: b1's heartbeat with `wantShutDown` puts it in controlled shutdown, its
/// leaderships move, and it is let go (fenced) only once it leads nothing — within a few
/// heartbeats, not the session timeout.
#[test]
fn a_kraft_broker_stops_cleanly_through_its_heartbeat() {
    let (sim, events) = run(&stop_scenario("leave", true));
    let b1 = sim.world().node_by_name("b1").unwrap();
    let at = |f: &dyn Fn(&KafkaEvent) -> bool| kafka(&events).find(|(_, k)| f(k)).map(|(t, _)| t);
    let entered =
        at(&|k| matches!(k, KafkaEvent::BrokerInControlledShutdown { broker: 1 })).expect("controlled shutdown");
    let granted = at(&|k| matches!(k, KafkaEvent::BrokerShutdownGranted { broker: 1 })).expect("shutdown granted");
    let stopped = events.iter().find(|e| matches!(e.kind, EventKind::NodeStopped { node } if node == b1)).unwrap().at;
    assert!(entered >= Time::secs(6) && entered < Time::secs(6) + Time::ms(50), "at its first heartbeat: {entered}");
    assert!(granted > entered && stopped >= granted, "{entered} {granted} {stopped}");
    assert!(stopped < Time::secs(12), "before its session would have expired: {stopped}");
    // Between the two, every partition b1 led got another leader.
    let moved = kafka(&events)
        .filter(|(t, k)| *t >= entered && *t <= granted && matches!(k, KafkaEvent::LeaderElected { .. }))
        .count();
    assert!(moved >= 1, "its leaderships moved");
    assert!(
        kafka(&events).all(|(_, k)| !matches!(k, KafkaEvent::BrokerFenced { broker: 1 })),
        "never fenced by timeout"
    );
}
