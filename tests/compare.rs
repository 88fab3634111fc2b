//! The side-by-side comparison's stories, checked natively: each preset's detector counts tell
//! the story its explanation promises (see `engine::compare::presets`), and a workload with a
//! seed always gives the same counts (the browser test compares against the same constants).

use brokerlab::engine::compare::detect::{Counts, Mark};
use brokerlab::engine::compare::{presets, Comparison, Workload};

mod golden {
    include!("golden/compare.rs");
}

fn run(slug: &str, seed: u64) -> Comparison {
    let w = (presets::by_slug(slug).unwrap().workload)();
    Comparison::run(&w, seed).unwrap_or_else(|e| panic!("{slug}: {e}"))
}

fn counts(c: &Comparison) -> (Counts, Counts) {
    (c.kafka.detector.counts, c.rabbit.detector.counts)
}

#[test]
fn one_consumer_both_keep_order() {
    let (k, r) = counts(&run("one-consumer", 1));
    for c in [k, r] {
        assert_eq!((c.out_of_order, c.duplicates, c.lost), (0, 0, 0), "{c:?}");
        assert_eq!(c.unique, 80);
    }
}

#[test]
fn competing_consumers_break_rabbit_order_not_kafkas() {
    for seed in 1..=4 {
        let (k, r) = counts(&run("competing-consumers", seed));
        assert!(r.out_of_order > 0, "SEED={seed}: RabbitMQ spreads a customer over consumers: {r:?}");
        assert_eq!(k.out_of_order, 0, "SEED={seed}: Kafka keeps per-key order: {k:?}");
        assert_eq!((k.lost, r.lost, k.duplicates, r.duplicates), (0, 0, 0, 0), "SEED={seed}");
    }
}

#[test]
fn a_crash_means_redelivery_out_of_order_in_rabbit_and_duplicates_in_order_in_kafka() {
    for seed in 1..=3 {
        let c = run("consumer-crash", seed);
        let (k, r) = counts(&c);
        assert!(r.redelivered > 0 && r.out_of_order > 0, "SEED={seed}: {r:?}");
        let late_redelivered =
            c.rabbit.detector.by_customer.iter().flatten().filter(|ch| ch.redelivered && ch.mark == Mark::OutOfOrder);
        assert!(late_redelivered.count() > 0, "SEED={seed}: a redelivered message lands after a later one");
        assert!(k.duplicates > 0, "SEED={seed}: Kafka re-reads from the last commit: {k:?}");
        assert_eq!(k.out_of_order, 0, "SEED={seed}: …in order: {k:?}");
        assert_eq!((k.lost, r.lost), (0, 0), "SEED={seed}");
    }
}

#[test]
/// A request timeout (100 ms) shorter than TCP's retransmission timeout (200 ms): the producer
/// retries on a new connection while the first attempt still waits in the old one, so a retry can
/// be written before an earlier batch's late first attempt, which is then written again.
fn producer_retries_reorder_kafka_without_idempotence_only() {
    let w = (presets::by_slug("producer-retries").unwrap().workload)();
    for seed in [1, 3] {
        let (k, _) = counts(&Comparison::run(&w, seed).unwrap());
        assert!(k.out_of_order > 0 && k.duplicates > 0, "SEED={seed}: {k:?}");
        assert_eq!(k.lost, 0, "SEED={seed}: {k:?}");
    }
    let mut fixed = w.clone();
    fixed.kafka.idempotence = true;
    for seed in 1..=3 {
        let (k, _) = counts(&Comparison::run(&fixed, seed).unwrap());
        assert_eq!((k.out_of_order, k.duplicates, k.lost), (0, 0, 0), "SEED={seed}: {k:?}");
    }
}

#[test]
fn single_active_consumer_or_a_queue_per_customer_restore_order_at_a_cost() {
    let shared = run("competing-consumers", 1);
    let sac = run("single-active-consumer", 1);
    let sharded = run("queue-per-customer", 1);
    for c in [&sac, &sharded] {
        assert_eq!(c.rabbit.detector.counts.out_of_order, 0);
        assert_eq!(c.rabbit.detector.counts.unique, 80);
    }
    // Single active consumer: one consumer does all the work, so it takes about twice as long.
    assert!(sac.rabbit.detector.by_consumer.iter().filter(|v| !v.is_empty()).count() == 1);
    assert!(sac.rabbit.detector.throughput() * 2 < shared.rabbit.detector.throughput());
    assert!(sharded.rabbit.detector.by_consumer.iter().all(|v| !v.is_empty()));
}

#[test]
fn throughput_rabbit_spreads_evenly_kafka_by_key() {
    let c = run("throughput", 1);
    let (k, r) = (c.kafka.detector.throughput(), c.rabbit.detector.throughput());
    assert!(r > k, "competing consumers share the load evenly: rabbit {r}/s, kafka {k}/s");
    assert_eq!(c.kafka.detector.counts.out_of_order, 0);
    assert_eq!((c.kafka.detector.counts.lost, c.rabbit.detector.counts.lost), (0, 0));
}

/// Lane trace hashes and the summary: what the browser test must reproduce.
fn fingerprint(c: &Comparison) -> String {
    format!("{:016x} {:016x}\n{}", c.kafka.trace_hash(), c.rabbit.trace_hash(), c.summary())
}

#[test]
fn same_workload_and_seed_same_counts() {
    let cases = [("competing-consumers", golden::COMPETING_SEED_1), ("consumer-crash", golden::CRASH_SEED_1)];
    let got: Vec<String> = cases.iter().map(|(slug, _)| fingerprint(&run(slug, 1))).collect();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/compare.rs");
        let text = std::fs::read_to_string(path).unwrap();
        let head = &text[..text.find("pub const").unwrap()];
        let body =
            format!("pub const COMPETING_SEED_1: &str = {:?};\npub const CRASH_SEED_1: &str = {:?};\n", got[0], got[1]);
        std::fs::write(path, format!("{head}{body}")).unwrap();
    }
    for ((slug, want), got) in cases.iter().zip(&got) {
        assert_eq!(&fingerprint(&run(slug, 1)), got, "{slug}: two runs differ");
        assert_eq!(got, want, "{slug} SEED=1 moved (UPDATE_GOLDEN=1 rewrites tests/golden/compare.rs)");
    }
}

#[test]
fn bad_workloads_name_the_field() {
    let ok = (presets::by_slug("2").unwrap().workload)().to_json();
    let cases = [
        (ok.replace("\"customers\": 4", "\"customers\": 0"), "customers: from 1 to 26"),
        (ok.replace("\"consumers\": 3", "\"consumers\": 9"), "consumers: from 1 to 8"),
        (ok.replace("\"interval\": \"1ms\"", "\"interval\": \"soon\""), "interval: `soon` is not a duration"),
        (ok.replace("\"assignor\": \"range\"", "\"assignor\": \"dice\""), "kafka.assignor"),
        (ok.replace("\"partitions\": 4", "\"partitions\": 0"), "kafka.partitions"),
        (ok.replace("\"prefetch\": 10", "\"prefetch\": -1"), "rabbit.prefetch"),
        (ok.replace("\"messages\": 20", "\"messages\": 501"), "messages: from 1 to 500"),
        (
            ok.replace("\"customers\": 4", "\"customers\": 5").replace("\"messages\": 20", "\"messages\": 500"),
            "more than 2000",
        ),
        (
            ok.replace("\"faults\": []", "\"faults\": [{\"at\":\"1s\",\"action\":\"crash\",\"consumer\":7}]"),
            "faults[0].consumer",
        ),
        (
            ok.replace("\"faults\": []", "\"faults\": [{\"at\":\"1s\",\"action\":\"boom\",\"consumer\":1}]"),
            "faults[0].action",
        ),
        (ok.replace("\"customers\": 4,", "\"customers\": 4, \"colour\": 1,"), "unknown field `colour`"),
        ("[]".to_string(), "a workload is a JSON object"),
    ];
    for (json, want) in cases {
        let got = Workload::from_json(&json).expect_err(want);
        assert!(got.contains(want), "wanted {want:?} in {got:?}");
    }
}
