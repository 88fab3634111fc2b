//! The scenario's `kafka.processors`: consume-transform-produce applications (a Kafka Streams
//! task, or a hand-written loop of `poll` → `send` → `sendOffsetsToTransaction` →
//! `commitTransaction`), checked here with messages that name the field.

use crate::kafka::config::{KafkaSpec, ProducerSpec};
use crate::kafka::txn::config::{IsolationLevel, DEFAULT_RECORDS};
use crate::time::Time;
use serde::{Deserialize, Serialize};

/// `processing.guarantee`, with Kafka Streams' names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Guarantee {
    /// One transaction per poll: the output records and the consumed offsets commit together
    /// (KIP-447's `sendOffsetsToTransaction` with the consumer's group metadata).
    #[default]
    ExactlyOnceV2,
    /// No transactions: the output is flushed, then the offsets are committed (OffsetCommit). A
    /// crash between the two processes the same input again.
    AtLeastOnce,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessorSpec {
    pub id: String,
    /// The topic it consumes, as a member of `group`.
    pub input: String,
    /// The topic it writes the transformed records to.
    pub output: String,
    pub group: String,
    /// `processing.guarantee` (default "exactly_once_v2").
    #[serde(default)]
    pub guarantee: Guarantee,
    /// `transactional.id` of its producer: required with exactly_once_v2, one per instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transactional_id: Option<String>,
    /// `isolation.level` of its consumer: exactly_once_v2 needs "read_committed" (the default then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation_level: Option<IsolationLevel>,
    /// How long the application works on each record, plus up to `processing_jitter` more.
    #[serde(default = "one_ms")]
    pub processing: Time,
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub processing_jitter: Time,
    /// Records per transaction at most (`max.poll.records` of its consumer, default 10 here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_records: Option<u32>,
    /// at_least_once: `commit.interval.ms` (Kafka Streams' default for it, 30 s): how often the
    /// output is flushed and the offsets committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_interval: Option<Time>,
    /// `transaction.timeout.ms` (default 60 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_timeout: Option<Time>,
    /// Starts stopped: a `start` command brings it in later.
    #[serde(default, skip_serializing_if = "is_false")]
    pub stopped: bool,
}

fn one_ms() -> Time {
    Time::ms(1)
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl ProcessorSpec {
    pub fn exactly_once(&self) -> bool {
        self.guarantee == Guarantee::ExactlyOnceV2
    }

    /// How often an at-least-once processor commits (exactly-once commits every poll batch).
    pub fn commit_interval(&self) -> Time {
        self.commit_interval.unwrap_or(Time::secs(30))
    }

    pub fn poll_records(&self) -> u32 {
        self.poll_records.unwrap_or(DEFAULT_RECORDS)
    }

    /// Its producer as a producer spec: Kafka's defaults, the output topic, no records of its own
    /// (the application writes them), transactional with exactly_once_v2.
    pub fn producer_spec(&self) -> ProducerSpec {
        let json = format!(r#"{{"id":"{}","topic":"{}","interval":"1s"}}"#, self.id, self.output);
        let mut p: ProducerSpec = serde_json::from_str(&json).expect("a producer with defaults");
        if self.exactly_once() {
            p.transactional_id = self.transactional_id.clone();
            p.transaction_timeout = self.transaction_timeout;
        }
        p
    }
}

pub fn validate(spec: &KafkaSpec) -> Result<(), String> {
    if spec.processors.len() > 50 {
        return Err("kafka.processors: at most 50".into());
    }
    let topic = |name: &str| spec.topics.iter().find(|t| t.name == name);
    for (i, p) in spec.processors.iter().enumerate() {
        let f = |field: &str| format!("kafka.processors[{i}].{field}");
        let Some(input) = topic(&p.input) else {
            return Err(format!("{}: no topic \"{}\"", f("input"), p.input));
        };
        if input.partitions > crate::kafka::config::MAX_CONSUMED_PARTITIONS {
            return Err(format!("{}: a processor reads a topic of at most 64 partitions", f("input")));
        }
        if topic(&p.output).is_none() {
            return Err(format!("{}: no topic \"{}\" (the output topic must exist)", f("output"), p.output));
        }
        if p.output == p.input {
            return Err(format!("{}: must differ from the input topic", f("output")));
        }
        let Some(g) = spec.groups.iter().find(|g| g.id == p.group) else {
            return Err(format!("{}: no group \"{}\" in kafka.groups", f("group"), p.group));
        };
        if g.enable_auto_commit {
            return Err(format!(
                "{}: group \"{}\" must set enable_auto_commit to false (a processor commits its offsets itself)",
                f("group"),
                p.group
            ));
        }
        let others = spec.consumers.iter().filter_map(|c| Some((c.group.as_ref()?, &c.topic)));
        let others = others.chain(spec.processors.iter().map(|o| (&o.group, &o.input)));
        if let Some((_, t)) = others.into_iter().find(|(og, t)| **og == p.group && **t != p.input) {
            return Err(format!(
                "{}: group \"{}\" already reads \"{t}\" (one topic per group in this model)",
                f("group"),
                p.group
            ));
        }
        if p.processing > Time::secs(60) || p.processing_jitter > Time::secs(60) {
            return Err(format!("{}: at most 60s", f("processing")));
        }
        if p.poll_records.is_some_and(|n| n == 0 || n > 500) {
            return Err(format!("{}: from 1 to 500", f("poll_records")));
        }
        if p.commit_interval.is_some_and(|c| c < Time::ms(1) || c > Time::secs(3600)) {
            return Err(format!("{}: from 1ms to 1h", f("commit_interval")));
        }
        if !p.exactly_once() {
            if p.transactional_id.is_some() || p.transaction_timeout.is_some() {
                return Err(format!("{}: only with guarantee \"exactly_once_v2\"", f("transactional_id")));
            }
            continue;
        }
        if p.commit_interval.is_some() {
            return Err(format!(
                "{}: only with guarantee \"at_least_once\" (exactly_once_v2 commits every poll batch here)",
                f("commit_interval")
            ));
        }
        match &p.transactional_id {
            None => {
                return Err(format!(
                    "{}: a processor with guarantee \"exactly_once_v2\" needs a transactional id",
                    f("transactional_id")
                ))
            }
            Some(id) if id.trim().is_empty() => return Err(format!("{}: must not be empty", f("transactional_id"))),
            Some(id) => {
                let shared = spec.producers.iter().filter_map(|o| o.transactional_id.as_ref()).any(|o| o == id)
                    || spec.processors[..i].iter().any(|o| o.transactional_id.as_ref() == Some(id));
                if shared {
                    return Err(format!(
                        "{}: \"{id}\" is used by another client (one per instance)",
                        f("transactional_id")
                    ));
                }
            }
        }
        if p.isolation_level == Some(IsolationLevel::ReadUncommitted) {
            return Err(format!(
                "{}: exactly_once_v2 reads its input with \"read_committed\" (an aborted record must not be processed)",
                f("isolation_level")
            ));
        }
        let timeout = p.transaction_timeout.unwrap_or(crate::kafka::txn::DEFAULT_TIMEOUT);
        if timeout < Time::ms(1) || timeout > crate::kafka::txn::MAX_TIMEOUT {
            return Err(format!(
                "{}: from 1ms to 900s (the broker's transaction.max.timeout.ms)",
                f("transaction_timeout")
            ));
        }
    }
    Ok(())
}
