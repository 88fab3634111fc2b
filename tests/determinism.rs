//! Determinism: same scenario + seed + commands = same trace, byte for byte; a snapshot or a replay
//! continues exactly as the original run; the golden trace pins what a run looks like.

use brokerlab::engine::{presets, Command, EventKind, LoggedCommand, ModelEvents, NodeId, Scenario, Simulation, Time};

mod golden {
    include!("golden/hashes.rs");
}

fn run(slug: &str, seed: u64) -> Simulation {
    let scenario = presets::load(slug).unwrap();
    let mut sim = Simulation::new(&scenario, seed).unwrap();
    sim.run_until(scenario.until);
    sim
}

#[test]
fn presets_match_their_golden_hashes() {
    for (slug, seed, want) in [
        ("relay-basic", 1, golden::RELAY_BASIC),
        ("lossy-network", 7, golden::LOSSY_NETWORK),
        ("kafka-basic", 1, golden::KAFKA_BASIC),
        ("kafka-groups", 1, golden::KAFKA_GROUPS),
        ("kafka-kraft", 1, golden::KAFKA_KRAFT),
        ("rabbit-basic", 1, golden::RABBIT_BASIC),
        ("rabbit-by-hand", 1, golden::RABBIT_BY_HAND),
    ] {
        let got = run(slug, seed).trace_hash().to_string();
        assert_eq!(got, want, "{slug} SEED={seed}: trace hash changed (see tests/golden/hashes.rs)");
    }
}

#[test]
fn bench_matches_its_golden_hash() {
    let got = format!("{:016x}", brokerlab::engine::bench::run("bench", Time::ms(20)).trace_hash);
    assert_eq!(got, golden::BENCH_20MS, "bench trace hash changed (see tests/golden/hashes.rs)");
}

#[test]
fn same_seed_same_hash_different_seed_different_hash() {
    for slug in ["relay-basic", "lossy-network", "kafka-basic"] {
        let a = run(slug, 11).trace_hash();
        let b = run(slug, 11).trace_hash();
        assert_eq!(a, b, "{slug} SEED=11 is not reproducible");
        let hashes: std::collections::BTreeSet<u64> = (0..8).map(|s| run(slug, s).trace_hash().value()).collect();
        assert_eq!(hashes.len(), 8, "{slug}: eight seeds should give eight different traces");
    }
}

#[test]
fn chunking_does_not_change_the_trace() {
    // The UI advances by frames of any size, the CLI by 10 ms slices: the result must not depend on it.
    let scenario = presets::load("lossy-network").unwrap();
    let mut a = Simulation::new(&scenario, 3).unwrap();
    a.run_until(scenario.until);
    let mut b = Simulation::new(&scenario, 3).unwrap();
    let mut t = Time::ZERO;
    while t < scenario.until {
        t += Time(137);
        b.run_until(t.min(scenario.until));
    }
    let mut c = Simulation::new(&scenario, 3).unwrap();
    while c.step() && c.next_due().is_some_and(|d| d <= scenario.until) {}
    c.run_until(scenario.until);
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert_eq!(a.trace_hash(), c.trace_hash());
    assert_eq!(a.steps(), b.steps());
}

/// Runs with user commands sprinkled in, as the UI would apply them.
fn run_with_commands(seed: u64) -> Simulation {
    let scenario = presets::load("relay-basic").unwrap();
    let mut sim = Simulation::new(&scenario, seed).unwrap();
    sim.run_until(Time::ms(10));
    sim.apply(Command::Cut { a: NodeId(0), b: NodeId(2) }).unwrap();
    for _ in 0..7 {
        sim.step();
    }
    sim.apply(Command::Slow { a: NodeId(2), b: NodeId(3), extra: Time::ms(3) }).unwrap();
    sim.run_until(Time::ms(20));
    sim.apply(Command::HealAll).unwrap();
    sim.apply(Command::Stop { node: NodeId(4) }).unwrap();
    sim
}

#[test]
fn kafka_snapshot_mid_failover_continues_identically() {
    let scenario = presets::load("kafka-basic").unwrap();
    let mut a = Simulation::new(&scenario, 2).unwrap();
    a.run_until(Time::ms(4_500)); // b1 is down, its session not yet expired
    let mut b = a.clone();
    a.run_until(scenario.until);
    b.run_until(scenario.until);
    assert_eq!(a.trace_hash(), b.trace_hash());
}

#[test]
fn snapshot_then_run_equals_straight_run() {
    let mut straight = run_with_commands(5);
    let mut snapshot = straight.clone();
    straight.run_until(Time::ms(100));
    snapshot.run_until(Time::ms(100));
    assert_eq!(straight.trace_hash(), snapshot.trace_hash());
}

#[test]
fn replaying_the_command_log_rebuilds_the_instant() {
    let mut original = run_with_commands(5);
    let log: Vec<LoggedCommand> = original.command_log().to_vec();
    assert_eq!(log.len(), 4);
    let scenario = presets::load("relay-basic").unwrap();
    let mut replayed = Simulation::replay(&scenario, 5, &log).unwrap();
    assert_eq!(replayed.steps(), original.steps());
    assert_eq!(replayed.now(), original.now());
    assert_eq!(replayed.trace_hash(), original.trace_hash());
    original.run_until(Time::ms(100));
    replayed.run_until(Time::ms(100));
    assert_eq!(replayed.trace_hash(), original.trace_hash());
    assert_eq!(replayed.world().metrics, original.world().metrics);
}

/// The learner's acks, nacks and rejects are commands too: a run where they were clicked replays
/// from its command log to the same trace, and on to the same end.
#[test]
fn replaying_hand_settled_rabbitmq_deliveries_rebuilds_the_instant() {
    use brokerlab::engine::rabbit::msg::SettleOp;
    let scenario = presets::load("rabbit-by-hand").unwrap();
    let mut original = Simulation::new(&scenario, 3).unwrap();
    let you = original.world().node_by_name("you").unwrap();
    let clicks = [
        (800, 1, SettleOp::Nack { requeue: true }),
        (1_300, 2, SettleOp::Reject { requeue: false }),
        (1_700, 5, SettleOp::Ack),
        (2_500, 99, SettleOp::Ack), // a tag it never had: nothing happens, but it is logged
    ];
    for (ms, tag, op) in clicks {
        original.run_until(Time::ms(ms));
        original.apply(Command::settle(you, tag, tag == 5, op)).unwrap();
    }
    original.run_until(Time::ms(2_600));
    let log: Vec<LoggedCommand> = original.command_log().to_vec();
    assert_eq!(log.len(), 4);
    let mut replayed = Simulation::replay(&scenario, 3, &log).unwrap();
    replayed.run_until(Time::ms(2_600));
    assert_eq!(replayed.trace_hash(), original.trace_hash());
    original.run_until(Time::secs(4));
    replayed.run_until(Time::secs(4));
    assert_eq!(replayed.trace_hash(), original.trace_hash());
    // And the clicks mattered: without them the run differs.
    let mut untouched = Simulation::new(&scenario, 3).unwrap();
    untouched.run_until(Time::secs(4));
    assert_ne!(untouched.trace_hash(), original.trace_hash());
}

#[test]
fn invalid_commands_are_errors_not_panics() {
    let scenario = presets::load("relay-basic").unwrap();
    let mut sim = Simulation::new(&scenario, 1).unwrap();
    assert!(sim.apply(Command::Stop { node: NodeId(99) }).unwrap_err().contains("no node"));
    assert!(sim.apply(Command::Cut { a: NodeId(1), b: NodeId(1) }).is_err());
    assert!(sim.command_log().is_empty(), "a rejected command is not logged");
}

#[test]
fn golden_trace_of_relay_basic() {
    let scenario = presets::load("relay-basic").unwrap();
    check_golden_trace(&scenario, Time::ms(12), "relay-basic.trace", |_| true, &[]);
}

#[test]
fn scenario_file_in_the_repo_is_the_preset() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/relay-basic.json")).unwrap();
    assert_eq!(Scenario::from_json(&text).unwrap(), presets::load("relay-basic").unwrap());
}

/// The four-step flow of the seed's example, at the Kafka level (network sends left out so it reads
/// as a story): the producer sends a keyed record → the partition leader appends it → followers
/// replicate and the high watermark advances → the producer is acknowledged (acks=all) → the one
/// member of the group, assigned the partitions, receives it and commits its position (written to
/// `__consumer_offsets`).
#[test]
fn golden_trace_of_the_kafka_flow() {
    let json = r#"{"name":"flow","until":"1s","kafka":{"brokers":3,
        "topics":[{"name":"orders","partitions":3,"replication_factor":3,"min_insync_replicas":2}],
        "offsets_topic_partitions":3,"group_initial_rebalance_delay":"0ms",
        "producers":[{"id":"order-service","topic":"orders","interval":"100ms","acks":"all","count":1}],
        "groups":[{"id":"notification-service","auto_commit_interval":"500ms","auto_offset_reset":"earliest"}],
        "consumers":[{"id":"notifier","topic":"orders","group":"notification-service"}]}}"#;
    let steps = ["produce ", "appended ", "high-watermark", "produce-acked", "assigned ", "consumed ", "committed "];
    let scenario = Scenario::from_json(json).unwrap();
    check_golden_trace(
        &scenario,
        scenario.until,
        "kafka-flow.trace",
        |k| matches!(k, EventKind::Model(ModelEvents::Kafka(_))),
        &steps,
    );
}

/// One message's journey through RabbitMQ (network sends left out so it reads as a story): the
/// publisher sends it with a confirm → the topic exchange routes it through the binding
/// `order.*` → it is enqueued in the durable queue → delivered to the consumer with a delivery
/// tag → confirmed to the publisher → acknowledged by the consumer after its processing time.
#[test]
fn golden_trace_of_the_rabbit_flow() {
    let json = r#"{"name":"rabbit flow","until":"50ms","rabbit":{
        "exchanges":[{"name":"orders","type":"topic","durable":true}],
        "queues":[{"name":"billing","durable":true}],
        "bindings":[{"source":"orders","destination":"billing","routing_key":"order.*"}],
        "publishers":[{"id":"shop","exchange":"orders","routing_keys":["order.created"],"interval":"10ms","count":1,
                       "confirms":true,"persistent":true}],
        "consumers":[{"id":"biller","queue":"billing","prefetch":10,"processing":"1ms"}]}}"#;
    let steps = ["publish ", "routed ", "enqueued ", "deliver ", "consumed ", "confirm ", "ack "];
    let scenario = Scenario::from_json(json).unwrap();
    check_golden_trace(
        &scenario,
        scenario.until,
        "rabbit-flow.trace",
        |k| matches!(k, EventKind::Model(ModelEvents::Rabbit(_))),
        &steps,
    );
}

/// Runs `scenario` with seed 1 to `until` and compares the lines of the events `keep` selects with
/// `tests/golden/FILE` (`UPDATE_GOLDEN=1` rewrites it); each of `steps` must appear.
fn check_golden_trace(scenario: &Scenario, until: Time, file: &str, keep: impl Fn(&EventKind) -> bool, steps: &[&str]) {
    let mut sim = Simulation::new(scenario, 1).unwrap();
    sim.run_until(until);
    let world = sim.world().clone();
    let text: String = sim.drain_events().filter(|e| keep(&e.kind)).map(|e| e.line(&world) + "\n").collect();
    let path = format!("{}/tests/golden/{file}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let want = std::fs::read_to_string(&path).expect("golden trace file (UPDATE_GOLDEN=1 writes it)");
    assert!(text == want, "trace differs from {path}; diff it with UPDATE_GOLDEN=1 and git diff");
    for step in steps {
        assert!(text.contains(step), "the flow has a `{step}` step");
    }
}
