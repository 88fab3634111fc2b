// Expected trace hashes, shared by the native tests (tests/determinism.rs) and the browser tests
// (tests/browser.rs): the same scenario and seed must give these on every platform.
// If an intended engine change moves them, `brokerlab run PRESET --seed N` prints the new hash;
// update them (and the golden trace, with UPDATE_GOLDEN=1) and say why in the commit.

/// `relay-basic` preset, its own seed (1), run to its `until` (100ms).
pub const RELAY_BASIC: &str = "95471acc4ffb398b";
/// `lossy-network` preset, seed 7, run to 100ms.
pub const LOSSY_NETWORK: &str = "0a2d03a85791fbe0";
/// The benchmark (`engine::bench::run`) over 20ms of simulated time.
pub const BENCH_20MS: &str = "285b927ab0918a2d";
/// `rabbit-basic` preset, seed 1, run to 1s (topic routing, dead letters, a broker restart).
pub const RABBIT_BASIC: &str = "d31fc6df427d9af0";
/// `rabbit-by-hand` preset, seed 1, run to 10s (a holding consumer, TTL into a DLX, overflow modes).
pub const RABBIT_BY_HAND: &str = "13576c300f12239c";
/// `kafka-basic` preset, seed 1, run to 12s (a broker failure, failover and rejoin; a one-member group;
/// since 2026-12-04 the new controller's leader balance check gives b1 its preferred leaderships back;
/// moved again on 2026-12-04 when ZooKeeper requests took their service time and the controller sent
/// LeaderAndIsr only once its state writes were in ZooKeeper, as Kafka's does; and again the same day
/// when followers fetched in sessions, one fetch per leader broker (KIP-227), and brokers answered
/// each LeaderAndIsr, unanswered ones being sent again, as ControllerChannelManager does; and on
/// 2026-12-05 when producers sent one Produce per broker with several partitions' batches and
/// consumers one Fetch per broker, as Kafka's clients do).
pub const KAFKA_BASIC: &str = "3b973aa03e57d7aa";
/// `kafka-groups` preset, seed 1, run to 45s (a crash, a join, and a clean leave at 35 s: the one
/// preset with a `NodeLeaving` event, whose trace tag moved from 15 to 16 on 2026-12-03; moved on
/// 2026-12-04 with ZooKeeper's request service time and LeaderAndIsr after the state writes, then with
/// the followers' fetch sessions and the answered LeaderAndIsr; on 2026-12-05 with the clients'
/// request shapes: one Produce and one consumer Fetch per broker).
pub const KAFKA_GROUPS: &str = "f8f7946024fa7502";
/// `kafka-kraft` preset, seed 1, run to 12s (kafka-basic's workload and failure in KRaft mode: a
/// controller election, registrations, b1 fenced and unfenced; since 2026-12-04 leaders propose no
/// fenced broker for their ISRs, KIP-841, and so add b1 back at their first fetch after it is unfenced;
/// moved on 2026-12-04 when followers fetched in sessions, one fetch per leader broker, KIP-227; and on
/// 2026-12-05 with one Produce and one consumer Fetch per broker).
pub const KAFKA_KRAFT: &str = "912e05fef7e6279b";
