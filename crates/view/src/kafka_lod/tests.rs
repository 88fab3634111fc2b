use super::rates::{Class, BUCKET};
use super::*;
use brokerlab_engine::{presets, Scenario, Simulation, Time};

/// 50 brokers, clicks (960 partitions) and orders (40), RF 3, min ISR 2; b7 stops at 12 s and
/// starts at 24 s.
fn large() -> Scenario {
    Scenario::from_json(include_str!("../../../../tests/data/kafka-large.json")).unwrap()
}

/// Runs to `until`, folding every event into `rates` as the session does.
fn run(sim: &mut Simulation, rates: &mut Rates, until: Time) {
    while sim.now() < until {
        sim.run_until_limited(until, 20_000);
        for e in sim.drain_events() {
            rates.observe(e.at, &e.kind);
        }
    }
}

#[test]
fn only_large_clusters_are_aggregated() {
    for small in ["kafka-basic", "kafka-groups", "kafka-kraft", "kafka-bench", "rabbit-basic", "relay-basic"] {
        let sim = Simulation::new(&presets::load(small).unwrap(), 1).unwrap();
        assert!(!aggregates(sim.world()), "{small} is drawn broker by broker");
    }
    let sim = Simulation::new(&large(), 1).unwrap();
    assert!(aggregates(sim.world()));
    // Three brokers, but 65 partitions: aggregated; ten brokers: aggregated.
    let mut s = presets::load("kafka-basic").unwrap();
    // (Without its consumer: a consumer reads a topic of at most 64 partitions.)
    s.kafka.as_mut().unwrap().consumers.clear();
    s.kafka.as_mut().unwrap().topics[0].partitions = 65;
    assert!(aggregates(Simulation::new(&s, 1).unwrap().world()));
    s.kafka.as_mut().unwrap().topics[0].partitions = 64;
    assert!(!aggregates(Simulation::new(&s, 1).unwrap().world()));
    s.kafka.as_mut().unwrap().brokers = 10;
    assert!(aggregates(Simulation::new(&s, 1).unwrap().world()));
}

#[test]
fn a_killed_broker_turns_its_partitions_under_replicated_and_its_leaderships_move() {
    let mut sim = Simulation::new(&large(), 1).unwrap();
    let mut rates = Rates::new(sim.world());
    run(&mut sim, &mut rates, Time::secs(8));
    let healthy = picture(sim.world(), Some(&rates));
    assert_eq!(healthy.strip.len(), 1000);
    assert_eq!(healthy.strip.counts, [1000, 0, 0, 0], "every partition led and in sync");
    assert_eq!(healthy.tiles.len(), 50);
    assert_eq!(healthy.tiles.iter().map(|t| t.leaders).sum::<u32>(), 1000);
    assert_eq!(healthy.tiles.iter().map(|t| t.replicas()).sum::<u32>(), 3000);
    assert!(
        healthy.tiles.iter().all(|t| t.up && t.lagging + t.offline + t.under_replicated == 0),
        "{:?}",
        healthy.tiles
    );
    assert!(healthy.strip.moved.is_empty(), "first elections are not moves");
    let b7 = sim.world().node_by_name("b7").unwrap();
    let led_by_b7: Vec<usize> = (0..1000).filter(|&k| healthy.strip.leaders[k] == Some(7)).collect();
    assert_eq!(led_by_b7.len() as u32, healthy.tiles[6].leaders);
    let on_b7: Vec<usize> = zoom(sim.world(), b7, &healthy.strip).iter().map(|c| c.index).collect();
    let b7_replicas = healthy.tiles[6].replicas();
    assert_eq!(on_b7.len() as u32, b7_replicas);

    // b7 stops at 12 s; its ZooKeeper session expires 3 s later and the controller elects new
    // leaders and shrinks the ISRs.
    run(&mut sim, &mut rates, Time::secs(17));
    let hurt = picture(sim.world(), Some(&rates));
    let tile = &hurt.tiles[6];
    assert_eq!((tile.name.as_str(), tile.up, tile.offline, tile.leaders), ("b7", false, b7_replicas, 0));
    let n = b7_replicas as usize;
    assert_eq!(hurt.strip.counts, [1000 - n, n, 0, 0], "the partitions with a replica on b7 have ISR 2 of 3");
    for &k in &on_b7 {
        assert_eq!(hurt.strip.states[k], PartState::UnderReplicated);
        assert_ne!(hurt.strip.leaders[k], Some(7));
    }
    assert_eq!(hurt.tiles.iter().map(|t| t.under_replicated).sum::<u32>(), b7_replicas, "each counted at its leader");
    assert_eq!(hurt.tiles.iter().map(|t| t.leaders).sum::<u32>(), 1000);
    for k in &led_by_b7 {
        assert!(hurt.strip.moved.contains(k), "partition {k}'s leader moved from b7 within 3 s");
    }
    // Its zoomed replicas are all offline; a partition's detail names its leader, ISR and replicas.
    assert!(zoom(sim.world(), b7, &hurt.strip).iter().all(|c| c.role == ChipRole::Offline));
    let tp = hurt.strip.tp(led_by_b7[0]).unwrap();
    let d = detail(sim.world(), tp).unwrap();
    assert_eq!(d.state, PartState::UnderReplicated);
    assert_eq!((d.isr.len(), d.replicas.len(), d.min_isr), (2, 3, 2));
    assert!(d.replicas.contains(&7) && !d.isr.contains(&7) && d.leader.is_some_and(|l| l != 7), "{d:?}");

    // Rates: ~2 200 records/s produced (3 producers every 1.5 ms, one every 5 ms), and the
    // leaders appended as many; b7 appends nothing once stopped.
    let now = sim.now();
    let produced = rates.produced(now).unwrap();
    assert!((1_800..=2_600).contains(&produced), "{produced}");
    let written: u64 = (0..50).map(|s| rates.written(s, now).unwrap()).sum();
    assert!(written.abs_diff(produced) < 400, "{written} vs {produced}");
    assert_eq!(rates.written(6, now), Some(0));
    assert!(rates.messages(Class::Brokers, now).unwrap() > 0 && rates.messages(Class::Metadata, now).unwrap() > 0);
    let heat = rates.heat(now);
    assert_eq!(heat.len(), 50);
    assert!(heat[6][10..].iter().all(|&l| l == 0) && heat.iter().flatten().any(|&l| l == rates::HEAT_LEVELS));
}

#[test]
fn the_strip_hit_test_finds_the_cell_drawn_and_runs_cover_each_cell_once() {
    let sim = Simulation::new(&large(), 1).unwrap();
    let mut strip = picture(sim.world(), None).strip;
    // Alternate states so the runs split.
    for k in (0..strip.len()).step_by(7) {
        strip.states[k] = PartState::UnderMinIsr;
    }
    assert_eq!(strip.cols, 100);
    for k in 0..strip.len() {
        let (x, y) = strip.cell(k).unwrap();
        assert_eq!(strip.hit(x + strip.cell_w / 2.0, y + strip.cell_h / 2.0), Some(k));
        let tp = strip.tp(k).unwrap();
        assert_eq!(strip.index(tp), Some(k));
    }
    assert_eq!(strip.tp(1000), None);
    assert_eq!(strip.hit(5.0, 5.0), None, "the first topic's label row");
    assert_eq!(strip.hit(-1.0, 30.0), None);
    assert_eq!(strip.hit(5.0, strip.height() + 1.0), None);
    // orders' 40 cells fill part of one row: right of them is no partition.
    let (_, y) = strip.cell(960).unwrap();
    assert_eq!(strip.hit(995.0, y + 1.0), None);
    let runs = strip.runs();
    let cells: f64 = runs.iter().map(|r| r.w / strip.cell_w).sum();
    assert_eq!(cells.round() as usize, 1000);
    for r in &runs {
        let k = strip.hit(r.x + 1.0, r.y + 1.0).unwrap();
        let last = strip.hit(r.x + r.w - 1.0, r.y + 1.0).unwrap();
        assert!((k..=last).all(|i| strip.states[i] == r.state), "{r:?}");
    }
    // __consumer_offsets is not in the strip.
    let offsets = sim.world().shared.kafka.as_ref().unwrap().offsets_topic.unwrap();
    assert_eq!(strip.index(Tp { topic: offsets, partition: 0 }), None);
}

#[test]
fn rates_count_in_buckets_and_forget_what_is_older() {
    use brokerlab_engine::kafka::msg::KafkaEvent;
    use brokerlab_engine::{EventKind, ModelEvents};
    let sim = Simulation::new(&large(), 1).unwrap();
    let mut rates = Rates::new(sim.world());
    let appended = |broker| {
        EventKind::Model(ModelEvents::Kafka(KafkaEvent::Appended {
            tp: Tp { topic: 0, partition: 0 },
            broker,
            offset: 0,
            epoch: 0,
        }))
    };
    assert_eq!(rates.written(0, Time::ms(100)), None, "no complete bucket yet");
    for i in 0..10 {
        rates.observe(Time::ms(10 * i), &appended(1));
    }
    // One bucket of 10 records (250 ms): 40/s; two buckets later it averages over two.
    assert_eq!(rates.written(0, BUCKET), Some(40));
    assert_eq!(rates.written(0, Time(BUCKET.0 * 2)), Some(20));
    assert_eq!(rates.written(1, BUCKET), Some(0));
    // Ten seconds on, nothing of it is left.
    rates.observe(Time::secs(10), &appended(2));
    assert_eq!(rates.written(0, Time::secs(11)), Some(0));
    assert_eq!(rates.written(1, Time::ms(10_250)), Some(1));
}

#[test]
fn a_strip_partition_is_the_partition_log_menus_entry() {
    let sim = Simulation::new(&large(), 1).unwrap();
    let w = sim.world();
    let strip = Strip::new(w);
    let menu = crate::partition_log::partitions(w);
    for k in [0, 1, 959, 960, 999] {
        let tp = strip.tp(k).unwrap();
        assert_eq!(menu[log_index(w, tp).unwrap()].0, tp);
    }
    assert_eq!(log_index(w, Tp { topic: 0, partition: 960 }), None);
}

#[test]
fn the_session_folds_rates_only_for_a_large_cluster() {
    use crate::session::Session;
    let small = Session::new("kafka-basic", presets::load("kafka-basic").unwrap(), 1).unwrap();
    assert!(small.lod_rates().is_none(), "a small cluster keeps its dots");
    let mut s = Session::new("kafka-basic", large(), 1).unwrap();
    s.play_until(Time::secs(3));
    let produced = s.lod_rates().unwrap().produced(s.world().now).unwrap();
    assert!((1_800..=2_600).contains(&produced), "{produced}");
    // A seek restores a snapshot: the rates start again from it (zero before its instant).
    s.seek(Time::ms(2_500));
    let r = s.lod_rates().unwrap();
    assert!(r.produced(s.world().now).is_some());
}

/// KRaft on the large stage (`kraft::voters`, drawn as the quorum's pills and ◆ on the grid's
/// tiles): kafka-kraft-combined with 65 partitions, so that it is aggregated. The three voters are
/// brokers b1…b3, one of them active, each with its metadata log's end and HW; b2 dies at 3 s and
/// its voter is down with it, and a live voter is active again after the election.
#[test]
fn the_large_stage_shows_which_brokers_run_the_voters_and_which_one_is_active() {
    use crate::kraft::{voters, QuorumPart};
    let mut s = presets::load("kafka-kraft-combined").unwrap();
    let k = s.kafka.as_mut().unwrap();
    k.consumers.clear();
    k.topics[0].partitions = 65;
    let mut sim = Simulation::new(&s, 1).unwrap();
    assert!(aggregates(sim.world()));
    let mut rates = Rates::new(sim.world());
    run(&mut sim, &mut rates, Time::secs(3) - Time::ms(1));
    // The brokers' heartbeats and metadata reach the controllers in b1…b3: counted as metadata,
    // not as replication between brokers.
    assert!(rates.messages(Class::Metadata, sim.now()).is_some_and(|m| m > 0));
    let before = voters(sim.world());
    let names: Vec<&str> = before.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["b1", "b2", "b3"]);
    assert!(before.iter().all(|v| v.combined && v.part.is_some()), "{before:?}");
    let active: Vec<_> = before.iter().filter(|v| matches!(v.part, Some(QuorumPart::Active { .. }))).collect();
    assert_eq!(active.len(), 1, "{before:?}");
    assert!(active[0].hw > 0 && active[0].log_end >= active[0].hw);
    assert_eq!(active[0].log_label(), format!("log {} · HW {}", active[0].log_end, active[0].hw));
    sim.run_until(Time::secs(8));
    let after = voters(sim.world());
    let b2 = after.iter().find(|v| v.name == "b2").unwrap();
    assert_eq!(b2.part, None, "b2's controller died with its broker");
    assert!(b2.log_end > 0, "its log outlives the crash");
    assert_eq!(b2.log_label(), format!("log {}", b2.log_end), "no HW while it is down");
    let active: Vec<_> = after.iter().filter(|v| matches!(v.part, Some(QuorumPart::Active { .. }))).collect();
    assert_eq!(active.len(), 1, "{after:?}");
    assert_ne!(active[0].name, "b2");
    // A mixed quorum: the controller nodes first, then the broker that runs the third voter.
    let mut s = presets::load("kafka-kraft").unwrap();
    s.kafka.as_mut().unwrap().combined = brokerlab_engine::kafka::config::Combined::Brokers(vec!["b3".into()]);
    let mut sim = Simulation::new(&s, 1).unwrap();
    sim.run_until(Time::secs(2));
    let mixed: Vec<(String, bool)> = voters(sim.world()).into_iter().map(|v| (v.name, v.combined)).collect();
    assert_eq!(mixed, [("ctl1".into(), false), ("ctl2".into(), false), ("b3".into(), true)]);
}
