//! `docker-compose.yml` for a scenario's Kafka cluster, in two variants:
//!
//! - **KRaft** (Kafka 4.0, the `apache/kafka` image): the scenario's ZooKeeper (1, 3 or 5 servers)
//!   becomes a quorum of as many dedicated controllers (`process.roles=controller`), the brokers
//!   `b1`…`bN` keep their ids (`node.id` 1…N). The environment follows the image's README: every
//!   `KAFKA_X_Y` is the setting `x.y` (`.` → `_`, `_` → `__`, `-` → `___`), plus `CLUSTER_ID`.
//! - **ZooKeeper** (Confluent's `cp-zookeeper` / `cp-kafka` 7.9, i.e. Kafka 3.9, the last release
//!   with ZooKeeper mode): services named as the scenario names its nodes (`zk` or `zk1`…, `b1`…),
//!   so a scenario's `stop b2` is `docker compose stop b2`.
//!
//! Both set the scenario's cluster-wide settings on every broker. Each broker listens on
//! `INTERNAL` (other brokers, containers: `bN:29092`) and `EXTERNAL` (the host: `localhost:9091+N`).

use super::{comments, ms, simulation_notes};
use brokerlab_engine::kafka::config::KafkaSpec;
use brokerlab_engine::{Scenario, Time};

pub const KAFKA_IMAGE: &str = "apache/kafka:4.0.0";
pub const CP_VERSION: &str = "7.9.0";
/// Kafka's `int` settings (segment sizes) stop here; the model allows more.
const INT_MAX: u64 = i32::MAX as u64;

/// The environment variable the images read for setting `name` (their README's rule).
pub fn env_name(name: &str) -> String {
    let upper = name.to_ascii_uppercase().replace('_', "__").replace('-', "___").replace('.', "_");
    format!("KAFKA_{upper}")
}

/// The host port of broker `b` (1-based): 9092 for b1, 9093 for b2, …
pub fn host_port(b: u32) -> u32 {
    9091 + b
}

/// `bootstrap.servers` for a client on the host.
pub fn bootstrap(kafka: &KafkaSpec) -> String {
    (1..=kafka.brokers).map(|b| format!("localhost:{}", host_port(b))).collect::<Vec<_>>().join(",")
}

/// A YAML file being written: `environment:` values are always single-quoted strings (compose
/// would read `true` or `0` as other types).
struct Yaml(String);

impl Yaml {
    fn line(&mut self, indent: usize, text: &str) {
        self.0 += &format!("{:indent$}{text}\n", "");
    }
    fn env(&mut self, key: &str, value: &str) {
        self.0 += &format!("      {key}: '{}'\n", value.replace('\'', "''"));
    }
    /// A setting by its Kafka name, with an optional comment above it.
    fn setting(&mut self, name: &str, value: impl ToString, why: Option<&str>) {
        if let Some(why) = why {
            self.0 += &format!("      # {why}\n");
        }
        self.env(&env_name(name), &value.to_string());
    }
}

/// The header: what this is, how to start it, and what the scenario has that it cannot hold.
fn header(scenario: &Scenario, what: &str, extra: &[String]) -> String {
    let mut lines = vec![
        format!("docker-compose.yml exported by brokerlab from the scenario \"{}\".", scenario.name),
        what.to_string(),
        "Start it with `docker compose up -d`; then create the topics (create-topics.sh) and run your clients with the exported .properties.".into(),
    ];
    lines.extend(extra.iter().cloned());
    lines.extend(simulation_notes(scenario));
    comments(&lines, "")
}

/// A size setting as Kafka's `int` takes it, with a note if the scenario's was larger.
fn int_bytes(bytes: u64, name: &str, notes: &mut Vec<String>) -> u64 {
    if bytes > INT_MAX {
        notes.push(format!(
            "{name}: the scenario's {bytes} bytes is more than Kafka's int allows; written as {INT_MAX}."
        ));
    }
    bytes.min(INT_MAX)
}

/// The settings every broker of the scenario shares, in either variant.
fn cluster_settings(y: &mut Yaml, kafka: &KafkaSpec, notes: &mut Vec<String>) {
    let rf = kafka.brokers.min(3);
    y.line(6, "# The scenario's cluster settings:");
    y.setting(
        "offsets.topic.replication.factor",
        rf,
        Some("__consumer_offsets gets min(3, brokers) replicas, as in the scenario"),
    );
    y.setting("offsets.topic.num.partitions", kafka.offsets_topic_partitions, None);
    let segment = int_bytes(kafka.offsets_topic_segment_bytes, "offsets.topic.segment.bytes", notes);
    y.setting("offsets.topic.segment.bytes", segment, None);
    // `__transaction_state` as the model creates it (for the scenario's transactional producers
    // and exactly-once processors; Kafka creates it on the first FindCoordinator(TRANSACTION)).
    y.setting("transaction.state.log.num.partitions", kafka.txn_state_partitions(), None);
    let segment = int_bytes(kafka.txn_state_segment_bytes(), "transaction.state.log.segment.bytes", notes);
    y.setting("transaction.state.log.segment.bytes", segment, None);
    if rf < 3 {
        y.setting(
            "transaction.state.log.replication.factor",
            rf,
            Some(if !kafka.txn_ids().is_empty() {
                "Kafka's default (3) needs 3 brokers: this lets the scenario's transactional producers run here"
            } else {
                "Kafka's default (3) needs 3 brokers; the scenario has no transactions, this only lets a transactional client run here"
            }),
        );
        y.setting("transaction.state.log.min.isr", rf.min(2), None);
    }
    y.setting("replica.lag.time.max.ms", ms(kafka.replica_lag_time_max), None);
    y.setting("unclean.leader.election.enable", kafka.unclean_leader_election, None);
    y.setting("group.initial.rebalance.delay.ms", ms(kafka.group_initial_rebalance_delay), None);
    y.setting("group.min.session.timeout.ms", ms(kafka.group_min_session_timeout), None);
    y.setting("log.retention.check.interval.ms", ms(kafka.log_retention_check_interval), None);
    y.setting("log.cleaner.backoff.ms", ms(kafka.log_cleaner_backoff), None);
    y.setting(
        "auto.create.topics.enable",
        false,
        Some("topics exist only as create-topics.sh creates them, as in the scenario"),
    );
}

/// A broker's listeners: INTERNAL for the other brokers and containers, EXTERNAL for the host.
fn listeners(y: &mut Yaml, b: u32, controller: bool) {
    y.env(&env_name("listeners"), "INTERNAL://:29092,EXTERNAL://:9092");
    y.env(&env_name("advertised.listeners"), &format!("INTERNAL://b{b}:29092,EXTERNAL://localhost:{}", host_port(b)));
    let map = "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT";
    y.env(
        &env_name("listener.security.protocol.map"),
        &if controller { format!("CONTROLLER:PLAINTEXT,{map}") } else { map.into() },
    );
    y.env(&env_name("inter.broker.listener.name"), "INTERNAL");
}

fn broker_head(y: &mut Yaml, b: u32, image: &str) {
    y.line(2, &format!("b{b}:"));
    y.line(4, &format!("image: {image}"));
    y.line(4, &format!("hostname: b{b}"));
    y.line(4, "ports:");
    y.line(6, &format!("- '{}:9092'", host_port(b)));
    y.line(4, "environment:");
}

fn depends_on(y: &mut Yaml, services: &[String]) {
    y.line(4, "depends_on:");
    for s in services {
        y.line(6, &format!("- {s}"));
    }
}

/// KRaft's cluster id: 16 bytes in URL-safe base64 without padding (22 characters), derived from
/// the scenario's name so that an export is reproducible. Any such id works; `kafka-storage.sh
/// random-uuid` makes a random one.
fn cluster_id(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut bytes = Vec::with_capacity(16);
    for round in 0..2u8 {
        for b in name.bytes().chain([round]) {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        bytes.extend(h.to_be_bytes());
    }
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| n << 8 | b as u32) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

pub fn kraft(scenario: &Scenario, kafka: &KafkaSpec) -> String {
    // A KRaft scenario's own session timeout; a ZooKeeper one's nearest equivalent.
    let session = if kafka.kraft() { kafka.kraft_settings().session_timeout } else { kafka.session_timeout() };
    let controllers: Vec<(u32, String)> =
        (1..=kafka.metadata_nodes()).map(|i| (100 + i, format!("controller-{i}"))).collect();
    let voters: Vec<String> = controllers.iter().map(|(id, name)| format!("{id}@{name}:9093")).collect();
    let voters = voters.join(",");
    let id = cluster_id(&scenario.name);
    let mut notes = Vec::new();
    let mut y = Yaml(String::new());
    y.line(0, "services:");
    for (node, name) in &controllers {
        y.line(2, &format!("{name}:"));
        y.line(4, &format!("image: {KAFKA_IMAGE}"));
        y.line(4, &format!("hostname: {name}"));
        y.line(4, "environment:");
        y.env(&env_name("node.id"), &node.to_string());
        y.env(&env_name("process.roles"), "controller");
        y.env(&env_name("listeners"), "CONTROLLER://:9093");
        y.env(&env_name("listener.security.protocol.map"), "CONTROLLER:PLAINTEXT");
        y.env(&env_name("controller.listener.names"), "CONTROLLER");
        y.env(&env_name("controller.quorum.voters"), &voters);
        y.env("CLUSTER_ID", &id);
        y.setting(
            "broker.session.timeout.ms",
            ms(session),
            Some("KRaft's nearest to the scenario's zookeeper.session.timeout.ms: how long the controllers wait for a broker's heartbeat before fencing it (a controller setting)"),
        );
    }
    let names: Vec<String> = controllers.iter().map(|(_, n)| n.clone()).collect();
    for b in 1..=kafka.brokers {
        broker_head(&mut y, b, KAFKA_IMAGE);
        y.env(&env_name("node.id"), &b.to_string());
        y.env(&env_name("process.roles"), "broker");
        listeners(&mut y, b, true);
        y.env(&env_name("controller.listener.names"), "CONTROLLER");
        y.env(&env_name("controller.quorum.voters"), &voters);
        y.env("CLUSTER_ID", &id);
        // Kafka's 2 s heartbeat would outlast a short session: keep three heartbeats per session.
        if ms(session) < 6000 {
            y.setting(
                "broker.heartbeat.interval.ms",
                (ms(session) / 3).max(1),
                Some("three heartbeats per broker session (Kafka's 2000 would outlast the scenario's short session)"),
            );
        }
        cluster_settings(&mut y, kafka, &mut notes);
        depends_on(&mut y, &names);
    }
    let what = format!(
        "A KRaft cluster ({KAFKA_IMAGE}): brokers b1…b{n} (node.id 1…{n}) and a quorum of {c} controller{s} (node.id 101…) in place of the scenario's ZooKeeper; KRaft replaced ZooKeeper in Kafka 4.0.",
        n = kafka.brokers,
        c = kafka.metadata_nodes(),
        s = if kafka.metadata_nodes() == 1 { "" } else { "s" },
    );
    let mut extra = vec![format!("Clients on the host: bootstrap.servers={}", bootstrap(kafka))];
    let combined = kafka.combined_brokers();
    if !combined.is_empty() {
        let names: Vec<String> = combined.iter().map(|b| format!("b{b}")).collect();
        let brokers = if names.len() == 1 { "broker" } else { "brokers" };
        extra.push(format!("The scenario runs {} of its {} controllers inside {brokers} {} (combined mode, process.roles=broker,controller); this file gives every controller a service of its own (process.roles=controller), the layout Kafka recommends outside development.", combined.len(), kafka.metadata_nodes(), names.join(", ")));
    } else if !kafka.kraft() {
        extra.push("The scenario models ZooKeeper-era Kafka: controller election through /controller, zombie leaders after a lost session. KRaft fences brokers through the controller quorum instead; see the ZooKeeper variant for the cluster the simulation models.".into());
    }
    extra.extend(notes);
    header(scenario, &what, &extra) + &y.0
}

/// ZooKeeper's tick: its sessions last from 2 to 20 ticks, so the scenario's session timeout must
/// fall in that range (the 2 s default covers 4 s to 40 s).
fn tick_ms(session: Time) -> u64 {
    let s = ms(session);
    if s < 4000 {
        (s / 2).max(1)
    } else if s > 40_000 {
        s.div_ceil(20)
    } else {
        2000
    }
}

pub fn zookeeper(scenario: &Scenario, kafka: &KafkaSpec) -> String {
    // A KRaft scenario gets one ZooKeeper server per controller.
    let zks: Vec<String> = match kafka.metadata_nodes() {
        1 => vec!["zk".into()],
        n => (1..=n).map(|i| format!("zk{i}")).collect(),
    };
    let ensemble = zks.len() > 1;
    let connect: Vec<String> = zks.iter().map(|z| format!("{z}:2181")).collect();
    let tick = tick_ms(kafka.session_timeout());
    let mut notes = Vec::new();
    let mut y = Yaml(String::new());
    y.line(0, "services:");
    for (i, zk) in zks.iter().enumerate() {
        y.line(2, &format!("{zk}:"));
        y.line(4, &format!("image: confluentinc/cp-zookeeper:{CP_VERSION}"));
        y.line(4, &format!("hostname: {zk}"));
        y.line(4, "environment:");
        y.env("ZOOKEEPER_CLIENT_PORT", "2181");
        if tick != 2000 {
            y.line(
                6,
                &format!(
                    "# sessions last 2 to 20 ticks: this tick admits the scenario's {} session",
                    kafka.session_timeout()
                ),
            );
        }
        y.env("ZOOKEEPER_TICK_TIME", &tick.to_string());
        if ensemble {
            y.env("ZOOKEEPER_SERVER_ID", &(i + 1).to_string());
            let servers: Vec<String> = zks.iter().map(|z| format!("{z}:2888:3888")).collect();
            y.env("ZOOKEEPER_SERVERS", &servers.join(";"));
            y.env("ZOOKEEPER_INIT_LIMIT", "5");
            y.env("ZOOKEEPER_SYNC_LIMIT", "2");
        }
    }
    let image = format!("confluentinc/cp-kafka:{CP_VERSION}");
    for b in 1..=kafka.brokers {
        broker_head(&mut y, b, &image);
        y.env(&env_name("broker.id"), &b.to_string());
        y.env(&env_name("zookeeper.connect"), &connect.join(","));
        y.setting("zookeeper.session.timeout.ms", ms(kafka.session_timeout()), None);
        listeners(&mut y, b, false);
        cluster_settings(&mut y, kafka, &mut notes);
        depends_on(&mut y, &zks);
    }
    let what = format!(
        "ZooKeeper-era Kafka, as the scenario models it: {} ZooKeeper server{} ({}) and brokers b1…b{} on Confluent Platform {CP_VERSION} (Kafka 3.9, the last release with ZooKeeper mode).",
        zks.len(),
        if ensemble { "s" } else { "" },
        zks.join(", "),
        kafka.brokers,
    );
    let mut extra = vec![format!("Clients on the host: bootstrap.servers={}", bootstrap(kafka))];
    extra.push("Services are named as the scenario's nodes: its `stop b2` is `docker compose stop b2` (a clean stop; `docker compose kill b2` is closer to a crash).".into());
    extra.extend(notes);
    header(scenario, &what, &extra) + &y.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_follow_the_images_rule() {
        assert_eq!(env_name("offsets.topic.replication.factor"), "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR");
        assert_eq!(env_name("abc-def"), "KAFKA_ABC___DEF");
        assert_eq!(env_name("abc_def"), "KAFKA_ABC__DEF");
    }

    #[test]
    fn the_cluster_id_is_a_22_character_base64_uuid() {
        let id = cluster_id("Kafka: a consumer group rebalances");
        assert_eq!(id.len(), 22, "{id}");
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{id}");
        assert_eq!(id, cluster_id("Kafka: a consumer group rebalances"));
        assert_ne!(id, cluster_id("another"));
    }

    #[test]
    fn the_tick_admits_the_session_timeout() {
        for s in [Time::ms(10), Time::secs(3), Time::secs(18), Time::secs(90)] {
            let t = tick_ms(s);
            assert!(2 * t <= ms(s) && ms(s) <= 20 * t, "{s}: tick {t}");
        }
    }
}
