//! The scenario's topics as `kafka-topics.sh --create` commands, and its clients as Java client
//! `.properties` files: one per producer, one per consumer group (its members share it; the
//! model's group settings are the group's, not each member's), one for consumers without a group.
//!
//! Settings are written as the scenario has them, defaults included where the lesson is about
//! them (acks, idempotence, the assignor); what the model has with no client setting (a producer's
//! pace and keys, a consumer's processing time) is said in a comment.

use super::kafka_compose::{bootstrap, host_port};
use super::{comments, ms, simulation_notes, File};
use brokerlab_engine::kafka::config::{AcksSpec, GroupSpec, KafkaSpec, OffsetReset, ProducerSpec, TopicSpec};
use brokerlab_engine::Scenario;

/// The consumer class Kafka names for each of the model's assignors.
pub fn assignor_class(assignor: &str) -> Option<&'static str> {
    Some(match assignor {
        "range" => "org.apache.kafka.clients.consumer.RangeAssignor",
        "roundrobin" => "org.apache.kafka.clients.consumer.RoundRobinAssignor",
        "sticky" => "org.apache.kafka.clients.consumer.StickyAssignor",
        "cooperative-sticky" => "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        _ => return None,
    })
}

/// One `--config name=value` per topic setting the scenario has.
fn topic_configs(t: &TopicSpec) -> Vec<(&'static str, String)> {
    let mut c = vec![
        ("min.insync.replicas", t.min_insync_replicas.to_string()),
        ("cleanup.policy", t.cleanup_policy.clone()),
        ("retention.ms", t.retention.map_or("-1".into(), |r| ms(r).to_string())),
    ];
    if let Some(b) = t.retention_bytes {
        c.push(("retention.bytes", b.to_string()));
    }
    if t.segment_bytes != 1 << 30 {
        c.push(("segment.bytes", t.segment_bytes.min(i32::MAX as u64).to_string()));
    }
    if ms(t.segment_ms) != 7 * 24 * 3600 * 1000 {
        c.push(("segment.ms", ms(t.segment_ms).to_string()));
    }
    if t.min_cleanable_dirty_percent != 50 {
        c.push(("min.cleanable.dirty.ratio", format!("{}", t.min_cleanable_dirty_percent as f64 / 100.0)));
    }
    c
}

pub fn topics(scenario: &Scenario, kafka: &KafkaSpec) -> String {
    let mut lines = vec![
        format!("The topics of the scenario \"{}\", created as Kafka's own tool does it.", scenario.name),
        "Run it where Kafka's scripts are, e.g. inside a broker: `docker compose exec -T b1 sh < create-topics.sh`".into(),
        "(apache/kafka has /opt/kafka/bin/kafka-topics.sh; Confluent's images call it kafka-topics). BOOTSTRAP=host:port reaches another cluster.".into(),
    ];
    if kafka.topics.iter().any(|t| t.segment_bytes > i32::MAX as u64) {
        lines.push("segment.bytes is a Kafka int: the scenario's larger sizes are written as 2147483647.".into());
    }
    if !kafka.groups.is_empty() {
        lines.push(format!(
            "__consumer_offsets is not created here: the brokers create it ({} partitions, offsets.topic.num.partitions) on a group's first request.",
            kafka.offsets_topic_partitions
        ));
    }
    lines.extend(simulation_notes(scenario));
    let mut out = String::from("#!/bin/sh\n") + &comments(&lines, "");
    out += "set -e\nBOOTSTRAP=${BOOTSTRAP:-b1:29092}\nKAFKA_TOPICS=${KAFKA_TOPICS:-$(command -v kafka-topics.sh || command -v kafka-topics || echo /opt/kafka/bin/kafka-topics.sh)}\n\n";
    for t in &kafka.topics {
        out += &format!(
            "\"$KAFKA_TOPICS\" --bootstrap-server \"$BOOTSTRAP\" --create --topic {} \\\n  --partitions {} --replication-factor {}",
            t.name, t.partitions, t.replication_factor
        );
        for (name, value) in topic_configs(t) {
            out += &format!(" \\\n  --config {name}={value}");
        }
        out += "\n";
    }
    out
}

/// A `.properties` file being written.
struct Props(String);

impl Props {
    fn set(&mut self, name: &str, value: impl ToString) {
        self.0 += &format!("{name}={}\n", value.to_string());
    }
    fn note(&mut self, text: &str) {
        self.0 += &format!("# {text}\n");
    }
}

fn file_head(scenario: &Scenario, kafka: &KafkaSpec, what: String, extra: &[String]) -> Props {
    let mut lines = vec![format!("{what} — exported by brokerlab from the scenario \"{}\".", scenario.name)];
    lines.extend(extra.iter().cloned());
    lines.push(format!(
        "From a container on the compose network use bootstrap.servers=b1:29092 (host ports: {}…).",
        host_port(1)
    ));
    lines.extend(simulation_notes(scenario));
    let mut p = Props(comments(&lines, ""));
    p.set("bootstrap.servers", bootstrap(kafka));
    p
}

fn producer(scenario: &Scenario, kafka: &KafkaSpec, s: &ProducerSpec) -> File {
    let keys = match s.keys {
        0 => "records without a key (the sticky partitioner picks partitions)".to_string(),
        n => format!("keys key-0 … key-{} in turn", n - 1),
    };
    let extra = vec![
        format!(
            "Your application's part, not settings: one record every {} to topic {}, {keys}, {} bytes each, {}.",
            s.interval,
            s.topic,
            s.record_size,
            s.count.map_or("forever".to_string(), |c| format!("{c} records in all"))
        ),
        format!("Use it with `kafka-console-producer.sh --topic {} --producer.config producer-{}.properties` or your KafkaProducer.", s.topic, s.id),
    ];
    let mut p = file_head(scenario, kafka, format!("Producer {}", s.id), &extra);
    p.set("client.id", &s.id);
    p.set("key.serializer", "org.apache.kafka.common.serialization.StringSerializer");
    p.set("value.serializer", "org.apache.kafka.common.serialization.StringSerializer");
    let acks = match s.acks {
        AcksSpec::Zero => "0",
        AcksSpec::One => "1",
        AcksSpec::All => "all",
    };
    p.set("acks", acks);
    let settings = s.settings();
    match s.enable_idempotence {
        Some(on) => p.set("enable.idempotence", on),
        None => {
            p.note(&format!(
                "not set in the scenario: Kafka decides, as here, {} (acks=all and at most 5 in flight turn it on)",
                if settings.idempotent { "on" } else { "off" }
            ));
            p.set("enable.idempotence", settings.idempotent);
        }
    }
    p.set("max.in.flight.requests.per.connection", s.max_in_flight);
    p.set("linger.ms", ms(s.linger));
    p.set("batch.size", s.batch_size);
    p.note("the model retries until delivery.timeout.ms, as Kafka's default retries (2147483647) does");
    p.set("retries", i32::MAX);
    p.set("retry.backoff.ms", ms(s.retry_backoff));
    p.set("retry.backoff.max.ms", ms(s.retry_backoff_max));
    p.set("request.timeout.ms", ms(s.request_timeout));
    p.set("delivery.timeout.ms", ms(s.delivery_timeout));
    if let Some(id) = &s.transactional_id {
        p.note("your application calls initTransactions, then beginTransaction and commitTransaction around each batch of records");
        p.set("transactional.id", id);
        p.set(
            "transaction.timeout.ms",
            ms(s.transaction_timeout.unwrap_or(brokerlab_engine::kafka::txn::DEFAULT_TIMEOUT)),
        );
    }
    File { name: producer_file(&s.id), mime: "text/plain", content: p.0 }
}

fn group(scenario: &Scenario, kafka: &KafkaSpec, g: &GroupSpec) -> File {
    let members: Vec<&str> =
        kafka.consumers.iter().filter(|c| c.group.as_deref() == Some(&g.id)).map(|c| c.id.as_str()).collect();
    let topic = kafka.consumers.iter().find(|c| c.group.as_deref() == Some(&g.id)).map_or("?", |c| c.topic.as_str());
    let mut extra = vec![
        format!("Consumer group {} reading topic {topic}: members {} share this file (each its own client.id).", g.id, members.join(", ")),
        format!("Use it with `kafka-console-consumer.sh --topic {topic} --consumer.config consumer-{}.properties` or your KafkaConsumer.", g.id),
    ];
    let statics: Vec<String> = kafka
        .consumers
        .iter()
        .filter(|c| c.group.as_deref() == Some(&g.id))
        .filter_map(|c| Some(format!("{}: group.instance.id={}", c.id, c.group_instance_id.as_ref()?)))
        .collect();
    if !statics.is_empty() {
        extra.push(format!(
            "Static members (KIP-345) add their own group.instance.id, one per process, never shared: {}.",
            statics.join(", ")
        ));
    }
    if let Some(c) = kafka.consumers.iter().find(|c| c.group.as_deref() == Some(&g.id) && !c.processing.is_zero()) {
        extra.push(format!(
            "Your application's part, not a setting: {} of work per record (+ up to {}), one at a time.",
            c.processing, c.processing_jitter
        ));
    }
    let mut p = file_head(scenario, kafka, format!("Consumer group {}", g.id), &extra);
    p.set("group.id", &g.id);
    p.note("the classic group protocol (JoinGroup/SyncGroup), the one the model runs; Kafka 4's `consumer` protocol (KIP-848) moves assignment to the broker");
    p.set("group.protocol", "classic");
    p.set("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    p.set("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    match assignor_class(&g.assignor) {
        Some(class) => p.set("partition.assignment.strategy", class),
        None => p.note(&format!(
            "the scenario's assignor \"{}\" has no Kafka class: partition.assignment.strategy left out",
            g.assignor
        )),
    }
    p.set("session.timeout.ms", ms(g.session_timeout));
    p.set("heartbeat.interval.ms", ms(g.heartbeat_interval));
    p.set("max.poll.interval.ms", ms(g.max_poll_interval));
    p.set("enable.auto.commit", g.enable_auto_commit);
    p.set("auto.commit.interval.ms", ms(g.auto_commit_interval));
    p.set(
        "auto.offset.reset",
        match g.auto_offset_reset {
            OffsetReset::Earliest => "earliest",
            OffsetReset::Latest => "latest",
        },
    );
    isolation(&mut p, kafka.consumers.iter().filter(|c| c.group.as_deref() == Some(&g.id)));
    File { name: group_file(&g.id), mime: "text/plain", content: p.0 }
}

/// Consumers without a group: the model gives them every partition from the start.
fn groupless(scenario: &Scenario, kafka: &KafkaSpec) -> Option<File> {
    let ids: Vec<&str> = kafka.consumers.iter().filter(|c| c.group.is_none()).map(|c| c.id.as_str()).collect();
    if ids.is_empty() {
        return None;
    }
    let extra = vec![
        format!("Consumers without a group ({}): no group.id, so nothing is committed.", ids.join(", ")),
        "The model reads every partition of the topic from the start: in your code, assign() them all and seekToBeginning(); kafka-console-consumer.sh does it with --from-beginning.".into(),
    ];
    let mut p = file_head(scenario, kafka, "Consumers without a group".into(), &extra);
    p.set("key.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    p.set("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
    p.set("enable.auto.commit", false);
    p.set("auto.offset.reset", "earliest");
    isolation(&mut p, kafka.consumers.iter().filter(|c| c.group.is_none()));
    Some(File { name: NO_GROUP_FILE.into(), mime: "text/plain", content: p.0 })
}

/// `isolation.level` for consumers that share a file: set when they all read committed, a note
/// naming those that do when only some of them do.
fn isolation<'a>(p: &mut Props, consumers: impl Iterator<Item = &'a brokerlab_engine::kafka::config::ConsumerSpec>) {
    use brokerlab_engine::kafka::txn::config::IsolationLevel;
    let (committed, rest): (Vec<_>, Vec<_>) =
        consumers.partition(|c| c.isolation_level == Some(IsolationLevel::ReadCommitted));
    match (committed.is_empty(), rest.is_empty()) {
        (true, _) => {}
        (false, true) => p.set("isolation.level", "read_committed"),
        (false, false) => {
            let ids: Vec<&str> = committed.iter().map(|c| c.id.as_str()).collect();
            p.note(&format!(
                "{} read with isolation.level=read_committed: add it to their copy of this file",
                ids.join(", ")
            ));
        }
    }
}

fn producer_file(id: &str) -> String {
    format!("producer-{id}.properties")
}
fn group_file(id: &str) -> String {
    format!("consumer-{id}.properties")
}
const NO_GROUP_FILE: &str = "consumer-no-group.properties";

/// The names of the files `properties` writes, in its order, without writing them.
pub fn property_file_names(kafka: &KafkaSpec) -> Vec<String> {
    let mut out: Vec<String> = kafka.producers.iter().map(|p| producer_file(&p.id)).collect();
    out.extend(kafka.groups.iter().map(|g| group_file(&g.id)));
    if kafka.consumers.iter().any(|c| c.group.is_none()) {
        out.push(NO_GROUP_FILE.into());
    }
    out
}

pub fn properties(scenario: &Scenario, kafka: &KafkaSpec) -> Vec<File> {
    let mut out: Vec<File> = kafka.producers.iter().map(|s| producer(scenario, kafka, s)).collect();
    out.extend(kafka.groups.iter().map(|g| group(scenario, kafka, g)));
    out.extend(groupless(scenario, kafka));
    out
}
