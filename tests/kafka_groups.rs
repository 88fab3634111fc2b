//! Consumer groups end to end: the coordinator's state machine, rebalances after a crash, a join and
//! a clean leave, committed offsets surviving a coordinator failover, `auto.offset.reset`, and — over
//! many seeds with crashing consumers and brokers — at-least-once delivery: every acknowledged record
//! is read by the group, and each member reads its partitions in offset order.

use brokerlab::engine::kafka::msg::{GroupState, KafkaEvent, PositionFrom, RemoveReason, Tp};
use brokerlab::engine::rng::Rng;
use brokerlab::engine::{presets, Event, EventKind, ModelEvents, NodeId, Scenario, Simulation, Time};
use std::collections::{BTreeMap, BTreeSet};

fn run(scenario: &Scenario, seed: u64) -> (Simulation, Vec<Event>) {
    let mut sim = Simulation::new(scenario, seed).unwrap();
    let mut events = vec![];
    sim.run_until(scenario.until);
    events.extend(sim.drain_events());
    (sim, events)
}

fn kafka(events: &[Event]) -> impl Iterator<Item = (Time, KafkaEvent)> + '_ {
    events.iter().filter_map(|e| match e.kind {
        EventKind::Model(ModelEvents::Kafka(k)) => Some((e.at, k)),
        _ => None,
    })
}

fn node(sim: &Simulation, name: &str) -> NodeId {
    sim.world().node_by_name(name).unwrap()
}

/// Each member's partitions after each Assigned event, in time order.
fn assignments(events: &[Event]) -> Vec<(Time, NodeId, u32, u64)> {
    kafka(events)
        .filter_map(|(at, k)| match k {
            KafkaEvent::Assigned { consumer, generation, partitions, .. } => {
                Some((at, consumer, generation, partitions))
            }
            _ => None,
        })
        .collect()
}

/// Checks at-least-once: every record acknowledged before `settled` was read by some member, and
/// every member read each partition in offset order between (re)assignments. Returns duplicates.
fn check_delivery(events: &[Event], settled: Time, what: &str) -> usize {
    let mut acked = BTreeSet::new();
    let mut read: BTreeMap<(Tp, u64), usize> = BTreeMap::new();
    let mut next: BTreeMap<(NodeId, Tp), u64> = BTreeMap::new();
    for (at, k) in kafka(events) {
        match k {
            KafkaEvent::ProduceAcked { tp, offset, .. } if at < settled => {
                acked.insert((tp, offset));
            }
            KafkaEvent::PositionSet { consumer, tp, offset, .. } => {
                next.insert((consumer, tp), offset);
            }
            KafkaEvent::Consumed { consumer, tp, offset, .. } => {
                if let Some(&want) = next.get(&(consumer, tp)) {
                    assert_eq!(offset, want, "{what}: consumer {consumer:?} read {tp:?}@{offset}, expected @{want}");
                }
                next.insert((consumer, tp), offset + 1);
                *read.entry((tp, offset)).or_default() += 1;
            }
            _ => {}
        }
    }
    let missing: Vec<_> = acked.iter().filter(|r| !read.contains_key(r)).collect();
    assert!(missing.is_empty(), "{what}: acknowledged records never read: {missing:?}");
    read.values().map(|n| n - 1).sum()
}

#[test]
fn the_group_rebalances_after_a_crash_a_join_and_a_clean_leave() {
    let scenario = presets::load("kafka-groups").unwrap();
    let (sim, events) = run(&scenario, 1);
    let (n1, n2, n3, n4) = (node(&sim, "n1"), node(&sim, "n2"), node(&sim, "n3"), node(&sim, "n4"));
    let states: Vec<(Time, GroupState, u32)> = kafka(&events)
        .filter_map(|(at, k)| match k {
            KafkaEvent::GroupState { state, generation, .. } => Some((at, state, generation)),
            _ => None,
        })
        .collect();
    // Loaded Empty; the first join opens the initial delay (3 s, once extended as two more join).
    assert_eq!(states[0].1, GroupState::Empty);
    assert_eq!(states[1].1, GroupState::PreparingRebalance);
    assert_eq!(states[2].1, GroupState::CompletingRebalance);
    assert_eq!(states[2].0 - states[1].0, Time::secs(6));
    assert_eq!(states[3].1, GroupState::Stable);
    assert_eq!(states.iter().filter(|s| s.1 == GroupState::Stable).map(|s| s.2).collect::<Vec<_>>(), [1, 2, 3, 4]);

    // Range over members n1-0 < n2-0 < n3-0: two partitions each.
    let a = assignments(&events);
    let gen1: BTreeMap<NodeId, u64> = a.iter().filter(|x| x.2 == 1).map(|x| (x.1, x.3)).collect();
    assert_eq!(gen1, BTreeMap::from([(n1, 0b11), (n2, 0b1100), (n3, 0b110000)]));

    // n2 crashed at 12 s: removed one session timeout after its last heartbeat, not before.
    let removed: Vec<(Time, NodeId, RemoveReason)> = kafka(&events)
        .filter_map(|(at, k)| match k {
            KafkaEvent::MemberRemoved { consumer, reason, .. } => Some((at, consumer, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(removed[0].1, n2);
    assert_eq!(removed[0].2, RemoveReason::SessionTimeout);
    assert!(removed[0].0 > Time::secs(12) + Time::secs(10) - Time::secs(3) && removed[0].0 <= Time::secs(22));
    let gen2: BTreeMap<NodeId, u64> = a.iter().filter(|x| x.2 == 2).map(|x| (x.1, x.3)).collect();
    assert_eq!(gen2, BTreeMap::from([(n1, 0b111), (n3, 0b111000)]));
    // n4 joined at 25 s; n1 left cleanly at 35 s and was removed at once.
    let gen3: BTreeMap<NodeId, u64> = a.iter().filter(|x| x.2 == 3).map(|x| (x.1, x.3)).collect();
    assert_eq!(gen3, BTreeMap::from([(n1, 0b11), (n3, 0b1100), (n4, 0b110000)]));
    assert_eq!(removed[1].1, n1);
    assert_eq!(removed[1].2, RemoveReason::Left);
    assert!(removed[1].0 - Time::secs(35) < Time::ms(10));

    // n2's partitions were read again from its last commit: duplicates, and nothing lost.
    let duplicates = check_delivery(&events, scenario.until - Time::secs(5), "kafka-groups");
    assert!(duplicates > 0, "a crash after reading and before committing re-delivers");
}

fn scenario(body: &str) -> Scenario {
    Scenario::from_json(body).unwrap_or_else(|e| panic!("{e}\n{body}"))
}

fn group_scenario(assignor: &str, reset: &str, consumers: &str, faults: &str, until: &str) -> Scenario {
    scenario(&format!(
        r#"{{"name":"g","until":"{until}","kafka":{{"brokers":3,"offsets_topic_partitions":3,
            "session_timeout":"2s","replica_lag_time_max":"1s","group_min_session_timeout":"1s",
            "group_initial_rebalance_delay":"0ms",
            "topics":[{{"name":"t","partitions":6,"replication_factor":3,"min_insync_replicas":2}}],
            "producers":[{{"id":"p","topic":"t","interval":"20ms","keys":12}}],
            "groups":[{{"id":"g","assignor":"{assignor}","session_timeout":"2s","heartbeat_interval":"500ms",
                        "auto_commit_interval":"1s","auto_offset_reset":"{reset}"}}],
            "consumers":[{consumers}]}},"faults":[{faults}]}}"#
    ))
}

#[test]
fn latest_starts_at_the_end_and_earliest_at_the_beginning() {
    for (reset, from) in [("latest", PositionFrom::Latest), ("earliest", PositionFrom::Earliest)] {
        let s = group_scenario(
            "range",
            reset,
            r#"{"id":"c","topic":"t","group":"g","stopped":true}"#,
            r#"{"at":"3s","action":"start","node":"c"}"#,
            "6s",
        );
        let (_, events) = run(&s, 7);
        let positions: Vec<(PositionFrom, u64)> = kafka(&events)
            .filter_map(|(_, k)| match k {
                KafkaEvent::PositionSet { from, offset, .. } => Some((from, offset)),
                _ => None,
            })
            .collect();
        assert_eq!(positions.len(), 6, "{reset}: one start per partition");
        assert!(positions.iter().all(|p| p.0 == from));
        let total: u64 = positions.iter().map(|p| p.1).sum();
        if reset == "latest" {
            assert!(total > 100, "latest skips the ~150 records written before it started: {total}");
        } else {
            assert_eq!(total, 0);
        }
    }
}

#[test]
fn committed_offsets_survive_the_coordinators_crash() {
    let probe = group_scenario("range", "earliest", r#"{"id":"c1","topic":"t","group":"g"}"#, "", "1s");
    let (sim, events) = run(&probe, 3);
    let coordinator = kafka(&events)
        .find_map(|(_, k)| match k {
            KafkaEvent::GroupState { broker, .. } => Some(broker),
            _ => None,
        })
        .unwrap();
    drop(sim);
    let consumers = r#"{"id":"c1","topic":"t","group":"g"},{"id":"c2","topic":"t","group":"g"}"#;
    let faults = format!(r#"{{"at":"4s","action":"stop","node":"b{coordinator}"}}"#);
    let s = group_scenario("range", "earliest", consumers, &faults, "14s");
    let (_, events) = run(&s, 3);
    let coordinators: BTreeSet<u32> = kafka(&events)
        .filter_map(|(_, k)| match k {
            KafkaEvent::GroupState { broker, state: GroupState::Stable, .. } => Some(broker),
            _ => None,
        })
        .collect();
    assert!(coordinators.len() >= 2, "a new coordinator took the group over: {coordinators:?}");
    let from_commit = kafka(&events)
        .filter(|(at, k)| {
            *at > Time::secs(4)
                && matches!(k, KafkaEvent::PositionSet { from: PositionFrom::Committed, offset, .. } if *offset > 0)
        })
        .count();
    assert!(from_commit > 0, "after the failover members resume from the commits the new coordinator loaded");
    check_delivery(&events, Time::secs(10), "coordinator failover");
}

/// Many seeds: consumers crash, restart and leave; brokers crash (one at a time) and restart. After
/// things settle, every acknowledged record has been read (at least once), in order per member.
#[test]
fn at_least_once_under_crashes_and_rebalances() {
    let seeds: Vec<u64> = match std::env::var("GROUP_SEED") {
        Ok(s) => vec![s.parse().unwrap()],
        Err(_) => (1..=24).collect(),
    };
    for seed in seeds {
        let mut rng = Rng::new(seed);
        let assignor = ["range", "roundrobin", "sticky", "cooperative-sticky"][rng.below(4) as usize];
        let mut faults = vec![];
        let mut t = 2_000;
        let mut broker_down: Option<u64> = None;
        while t < 12_000 {
            t += rng.between(400, 1_500);
            let c = rng.between(1, 3);
            faults.push(match rng.below(6) {
                0 => format!(r#"{{"at":"{t}ms","action":"stop","node":"c{c}"}}"#),
                1 => format!(r#"{{"at":"{t}ms","action":"start","node":"c{c}"}}"#),
                2 => format!(r#"{{"at":"{t}ms","action":"leave","node":"c{c}"}}"#),
                3 if broker_down.is_none() => {
                    let b = rng.between(1, 3);
                    broker_down = Some(b);
                    format!(r#"{{"at":"{t}ms","action":"stop","node":"b{b}"}}"#)
                }
                _ => match broker_down.take() {
                    Some(b) => format!(r#"{{"at":"{t}ms","action":"start","node":"b{b}"}}"#),
                    None => continue,
                },
            });
        }
        for n in ["b1", "b2", "b3", "c1", "c2", "c3"] {
            faults.push(format!(r#"{{"at":"13s","action":"start","node":"{n}"}}"#));
        }
        // Half the seeds give the application work to do per record: commits then trail what was
        // fetched, and only what was processed may be committed.
        let work = if seed % 2 == 0 { r#","processing":"3ms","processing_jitter":"4ms""# } else { "" };
        let consumers =
            (1..=3).map(|i| format!(r#"{{"id":"c{i}","topic":"t","group":"g"{work}}}"#)).collect::<Vec<_>>();
        let s = group_scenario(assignor, "earliest", &consumers.join(","), &faults.join(","), "30s");
        let (_, events) = run(&s, seed);
        check_delivery(&events, Time::secs(12), &format!("GROUP_SEED={seed} ({assignor})"));
    }
}

/// KIP-429: with cooperative-sticky, a new member costs the others only the partitions that move to
/// it; they keep reading the rest through both rebalances. Eager: everyone revokes everything.
#[test]
fn cooperative_rebalancing_moves_only_what_must_move() {
    let consumers = (1..=3)
        .map(|i| {
            format!(r#"{{"id":"c{i}","topic":"t","group":"g"{}}}"#, if i == 3 { r#","stopped":true"# } else { "" })
        })
        .collect::<Vec<_>>()
        .join(",");
    let faults = r#"{"at":"4s","action":"start","node":"c3"}"#;
    let revoked = |assignor: &str| {
        let s = group_scenario(assignor, "earliest", &consumers, faults, "10s");
        let (sim, events) = run(&s, 2);
        let c1 = node(&sim, "c1");
        let mut revoked = 0u32;
        let mut generations = BTreeSet::new();
        for (at, k) in kafka(&events) {
            match k {
                KafkaEvent::Revoked { consumer, partitions, .. } if at > Time::secs(4) && consumer == c1 => {
                    revoked += partitions.count_ones()
                }
                KafkaEvent::Assigned { generation, .. } if at > Time::secs(4) => {
                    generations.insert(generation);
                }
                _ => {}
            }
        }
        check_delivery(&events, Time::secs(8), assignor);
        (revoked, generations.len())
    };
    let (eager_revoked, eager_rounds) = revoked("sticky");
    assert_eq!((eager_revoked, eager_rounds), (3, 1), "eager: c1 gives up all three of its partitions, one rebalance");
    let (coop_revoked, coop_rounds) = revoked("cooperative-sticky");
    assert_eq!(coop_revoked, 1, "cooperative: c1 gives up only the partition that moves to c3");
    assert_eq!(coop_rounds, 2, "cooperative: a second rebalance hands the revoked partitions over");
}

/// A member whose application spends longer than `max.poll.interval.ms` on one poll's records
/// leaves the group (the poll timeout), its partitions go to the others, and it rejoins when it
/// polls again; nothing acknowledged is lost.
#[test]
fn a_slow_member_is_dropped_by_the_poll_timeout_and_rejoins() {
    let consumers = r#"{"id":"fast","topic":"t","group":"g"},
        {"id":"slow","topic":"t","group":"g","processing":"40ms"}"#;
    let s = scenario(&format!(
        r#"{{"name":"g","until":"30s","kafka":{{"brokers":3,"offsets_topic_partitions":1,
            "group_min_session_timeout":"1s","group_initial_rebalance_delay":"0ms",
            "topics":[{{"name":"t","partitions":2,"replication_factor":3,"min_insync_replicas":2}}],
            "producers":[{{"id":"p","topic":"t","interval":"10ms","keys":12,"count":1500}}],
            "groups":[{{"id":"g","session_timeout":"2s","heartbeat_interval":"500ms","max_poll_interval":"2s",
                        "auto_commit_interval":"1s","auto_offset_reset":"earliest"}}],
            "consumers":[{consumers}]}}}}"#
    ));
    let (sim, events) = run(&s, 1);
    let slow = node(&sim, "slow");
    let timeouts: Vec<Time> = kafka(&events)
        .filter_map(|(at, k)| matches!(k, KafkaEvent::PollTimeout { consumer, .. } if consumer == slow).then_some(at))
        .collect();
    assert!(!timeouts.is_empty(), "the slow member's poll timed out");
    let left = kafka(&events).any(|(_, k)| {
        matches!(k, KafkaEvent::MemberRemoved { consumer, reason: RemoveReason::Left, .. } if consumer == slow)
    });
    assert!(left, "it left the group");
    let lost =
        kafka(&events).any(|(_, k)| matches!(k, KafkaEvent::Revoked { consumer, lost: true, .. } if consumer == slow));
    assert!(lost, "its partitions were lost, not revoked cleanly");
    check_delivery(&events, Time::secs(14), "poll timeout");
}

/// A coordinator cut off from ZooKeeper becomes a zombie: the controller moves its
/// `__consumer_offsets` leadership elsewhere, but it keeps answering heartbeats. Its members' commits
/// can no longer be replicated, time out after `offsets.commit.timeout.ms` (REQUEST_TIMED_OUT), and
/// the members go looking for the coordinator again — and find the new one.
#[test]
fn members_leave_a_zombie_coordinator_when_their_commits_time_out() {
    let consumers = r#"{"id":"c1","topic":"t","group":"g"},{"id":"c2","topic":"t","group":"g"}"#;
    // The same run up to the fault: who coordinates the group.
    let (_, events) = run(&group_scenario("range", "earliest", consumers, "", "1s"), 5);
    let zombie = kafka(&events)
        .find_map(|(_, k)| match k {
            KafkaEvent::GroupState { broker, .. } => Some(broker),
            _ => None,
        })
        .unwrap();
    let faults = format!(r#"{{"at":"4s","action":"cut","a":"b{zombie}","b":"zk"}}"#);
    let s = group_scenario("range", "earliest", consumers, &faults, "20s");
    let (_, events) = run(&s, 5);
    let moved = kafka(&events).any(|(at, k)| {
        at > Time::secs(4)
            && matches!(k, KafkaEvent::GroupState { broker, state: GroupState::Stable, .. } if broker != zombie)
    });
    assert!(moved, "the group is Stable on a new coordinator");
    let late_commits =
        kafka(&events).filter(|(at, k)| *at > Time::secs(14) && matches!(k, KafkaEvent::Committed { .. })).count();
    assert!(late_commits > 0, "commits go through again");
    check_delivery(&events, Time::secs(16), "zombie coordinator");
}

/// Auto-commit happens inside `poll()` (`maybeAutoCommitOffsetsAsync`): a member busy with a poll's
/// records commits at its next poll, right after finishing a record — never in the middle of one,
/// on a timer of its own. Here every member stays busy (a message every 1 ms, 20 ms of work each),
/// so each OffsetCommit it sends while it works leaves at the instant it finished a record.
#[test]
fn a_busy_member_auto_commits_at_its_next_poll() {
    use brokerlab::engine::compare::{presets as stories, Workload};
    let w = Workload {
        processing: Time::ms(20),
        processing_jitter: Time::ms(5),
        kafka: brokerlab::engine::compare::KafkaLane {
            auto_commit_interval: Time::ms(100),
            ..(stories::by_slug("competing-consumers").unwrap().workload)().kafka
        },
        ..(stories::by_slug("competing-consumers").unwrap().workload)()
    };
    let scenario = w.kafka_scenario(1).unwrap();
    let (sim, events) = run(&scenario, 1);
    let mut checked = 0;
    for c in ["c1", "c2", "c3"] {
        let me = node(&sim, c);
        let finished: BTreeSet<Time> = kafka(&events)
            .filter_map(|(at, k)| matches!(k, KafkaEvent::Consumed { consumer, .. } if consumer == me).then_some(at))
            .collect();
        let (Some(&first), Some(&last)) = (finished.first(), finished.last()) else { continue };
        for e in &events {
            if let EventKind::Sent { from, info, .. } = e.kind {
                if from == me && info.kind == "offset-commit" && e.at > first && e.at < last {
                    assert!(finished.contains(&e.at), "{c} committed at {} in the middle of a record", e.at);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 3, "the members committed while busy ({checked} commits)");
}
