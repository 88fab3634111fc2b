//! The `kafka` section of a scenario: a cluster (one coordinator node, N brokers), its topics,
//! producers and consumers, with Kafka's defaults. Validated with messages that name the field.

pub use super::kraft::roles::Combined;
pub use super::kraft::settings::MetadataMode;
use super::partition::Acks;
use crate::time::Time;
use serde::{Deserialize, Serialize};

/// The scale the issue asks the page to play: 50 brokers and 1 000 partitions of user topics
/// (`make bench`'s scale benchmark measures it).
pub const MAX_BROKERS: u32 = 50;
pub const MAX_PARTITIONS: u32 = 1_000;
/// Partitions over all user topics (`__consumer_offsets` is not counted: it has its own limit).
pub const MAX_TOTAL_PARTITIONS: u32 = 1_000;
/// The partitions of the topic a consumer reads: it keeps what it owns, resets and has to commit
/// as 64-bit sets (larger clusters are for producers and replication, see the scale benchmark).
pub const MAX_CONSUMED_PARTITIONS: u32 = 64;
/// `offsets.topic.num.partitions` (Kafka's default is 50).
pub const MAX_OFFSETS_PARTITIONS: u32 = 64;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSpec {
    /// Brokers `b1`…`bN` (ids 1…N).
    pub brokers: u32,
    /// Where the cluster keeps its metadata: "zookeeper" (the default) or "kraft" (Kafka 4's
    /// controller quorum). Each mode has settings of its own; the other mode's are refused.
    #[serde(default, skip_serializing_if = "MetadataMode::is_zookeeper")]
    pub metadata: MetadataMode,
    /// ZooKeeper mode: coordinator servers, 1 (the node `zk`, the default), or an ensemble of 3
    /// or 5 (`zk1`…). Read it through `coordinators()`.
    #[serde(default, rename = "coordinators", skip_serializing_if = "Option::is_none")]
    pub coordinators_given: Option<u32>,
    /// ZooKeeper mode: `zookeeper.session.timeout.ms` (Kafka's default 18 s). Read it through
    /// `session_timeout()`.
    #[serde(default, rename = "session_timeout", skip_serializing_if = "Option::is_none")]
    pub session_timeout_given: Option<Time>,
    /// KRaft mode: controllers in the quorum, 1, 3 (the default) or 5 (`ctl1`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controllers: Option<u32>,
    /// KRaft mode, Kafka's combined mode: `true` runs the controllers inside brokers `b1`…`bN`
    /// (`process.roles=broker,controller`) instead of as nodes of their own (`ctl1`…,
    /// `process.roles=controller`); a list (`["b1"]`) names the brokers that run one, the other
    /// voters being controller nodes (a mixed quorum, `kraft::roles`). Kafka does not recommend
    /// it for production: a controller then shares its process, and its fate, with a broker.
    #[serde(default, skip_serializing_if = "Combined::is_off")]
    pub combined: Combined,
    /// KRaft mode: `broker.heartbeat.interval.ms` (default 2 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_heartbeat_interval: Option<Time>,
    /// KRaft mode: `broker.session.timeout.ms` (default 9 s): a broker not heard from for this
    /// long is fenced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_session_timeout: Option<Time>,
    /// KRaft mode: `controller.quorum.election.timeout.ms` (default 1 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller_quorum_election_timeout: Option<Time>,
    /// KRaft mode: `controller.quorum.fetch.timeout.ms` (default 2 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller_quorum_fetch_timeout: Option<Time>,
    /// `replica.lag.time.max.ms` (default 30 s).
    #[serde(default = "default_lag")]
    pub replica_lag_time_max: Time,
    /// `unclean.leader.election.enable` (default false).
    #[serde(default)]
    pub unclean_leader_election: bool,
    /// `auto.leader.rebalance.enable` (default true), `leader.imbalance.check.interval.seconds`
    /// (default 300 s), and in ZooKeeper mode `leader.imbalance.per.broker.percentage` (default
    /// 10): see `LeaderRebalance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_leader_rebalance_enable: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_imbalance_check_interval: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_imbalance_per_broker_percentage: Option<u32>,
    /// `broker.rack` of b1…bN, one entry per broker (null: none); every broker has one or none
    /// does (`rack`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub racks: Option<Vec<Option<String>>>,
    /// `replica.selector.class`: Kafka's `RackAwareReplicaSelector` lets consumers fetch from a
    /// follower in their `client.rack` (KIP-392); unset or `LeaderSelector`: from the leader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_selector_class: Option<String>,
    pub topics: Vec<TopicSpec>,
    #[serde(default)]
    pub producers: Vec<ProducerSpec>,
    #[serde(default)]
    pub consumers: Vec<ConsumerSpec>,
    /// Consumer groups; their members are the consumers naming them.
    #[serde(default)]
    pub groups: Vec<GroupSpec>,
    /// Consume-transform-produce applications (`processor::config`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processors: Vec<super::processor::config::ProcessorSpec>,
    /// `offsets.topic.num.partitions` (default 50): `__consumer_offsets`, created when there are groups.
    #[serde(default = "fifty")]
    pub offsets_topic_partitions: u32,
    /// `transaction.state.log.num.partitions` (default 50): `__transaction_state`, created when a
    /// producer is transactional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_state_partitions: Option<u32>,
    /// `transaction.state.log.segment.bytes` (default 100 MiB): `__transaction_state`'s segments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_state_segment_bytes: Option<u64>,
    /// `offsets.topic.segment.bytes` (default 100 MiB): compaction never cleans the active segment,
    /// so this bounds how many stale commits `__consumer_offsets` keeps.
    #[serde(default = "hundred_mib")]
    pub offsets_topic_segment_bytes: u64,
    /// `group.initial.rebalance.delay.ms` (default 3 s): an empty group waits this long for more members.
    #[serde(default = "three_secs")]
    pub group_initial_rebalance_delay: Time,
    /// `group.min.session.timeout.ms` (default 6 s): the shortest session a member may ask for.
    #[serde(default = "six_secs")]
    pub group_min_session_timeout: Time,
    /// `log.retention.check.interval.ms` (default 5 min): how often brokers apply retention.
    #[serde(default = "five_mins")]
    pub log_retention_check_interval: Time,
    /// `log.cleaner.backoff.ms` (default 15 s): how often the cleaner looks for logs to compact.
    #[serde(default = "fifteen_secs")]
    pub log_cleaner_backoff: Time,
    /// Each broker's CPU, disk and page cache (`crate::resources`); without it brokers work in
    /// zero time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<crate::resources::KafkaResources>,
}

fn fifty() -> u32 {
    50
}
fn hundred_mib() -> u64 {
    100 << 20
}
fn three_secs() -> Time {
    Time::secs(3)
}
fn six_secs() -> Time {
    Time::secs(6)
}
fn five_mins() -> Time {
    Time::secs(300)
}
fn fifteen_secs() -> Time {
    Time::secs(15)
}

fn default_session_timeout() -> Time {
    Time::secs(18)
}
fn default_lag() -> Time {
    Time::secs(30)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    pub name: String,
    pub partitions: u32,
    pub replication_factor: u32,
    /// `min.insync.replicas` (default 1).
    #[serde(default = "one")]
    pub min_insync_replicas: u32,
    /// `cleanup.policy`: "delete" (default), "compact" or "compact,delete".
    #[serde(default = "delete")]
    pub cleanup_policy: String,
    /// `retention.ms` (default 7 days; null: keep forever).
    #[serde(default = "week")]
    pub retention: Option<Time>,
    /// `retention.bytes` per partition (default: no limit).
    #[serde(default)]
    pub retention_bytes: Option<u64>,
    /// `segment.bytes` (default 1 GiB).
    #[serde(default = "gib")]
    pub segment_bytes: u64,
    /// `segment.ms` (default 7 days).
    #[serde(default = "week_time")]
    pub segment_ms: Time,
    /// `min.cleanable.dirty.ratio` in percent (default 50, Kafka's 0.5).
    #[serde(default = "fifty")]
    pub min_cleanable_dirty_percent: u32,
}

fn delete() -> String {
    "delete".into()
}
fn week_time() -> Time {
    Time::secs(7 * 24 * 3600)
}
fn week() -> Option<Time> {
    Some(week_time())
}
fn gib() -> u64 {
    1 << 30
}

fn one() -> u32 {
    1
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AcksSpec {
    #[serde(rename = "0")]
    Zero,
    #[serde(rename = "1")]
    One,
    #[serde(rename = "all")]
    All,
}

impl From<AcksSpec> for Acks {
    fn from(a: AcksSpec) -> Acks {
        match a {
            AcksSpec::Zero => Acks::None,
            AcksSpec::One => Acks::Leader,
            AcksSpec::All => Acks::All,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducerSpec {
    pub id: String,
    pub topic: String,
    /// One record every `interval`.
    pub interval: Time,
    /// `acks` (default "all", Kafka's default since 3.0).
    #[serde(default = "acks_all")]
    pub acks: AcksSpec,
    /// Keys `key-0` … `key-(keys-1)` in turn (default 8); 0: records without a key (they go
    /// through the sticky partitioner).
    #[serde(default = "eight")]
    pub keys: u32,
    /// Records to send (default: forever).
    #[serde(default)]
    pub count: Option<u64>,
    /// `linger.ms` (default 5 ms, Kafka 4.0's; it was 0 before).
    #[serde(default = "five_ms")]
    pub linger: Time,
    /// `batch.size` in bytes (default 16384).
    #[serde(default = "batch_size")]
    pub batch_size: u32,
    /// The size of one record in bytes (default 100), for `batch.size`.
    #[serde(default = "hundred")]
    pub record_size: u32,
    /// `max.in.flight.requests.per.connection` (default 5).
    #[serde(default = "five")]
    pub max_in_flight: u32,
    /// `enable.idempotence` (default: on, unless acks is not "all" or more than 5 requests may be
    /// in flight, as Kafka 3.2+ decides when it is not set).
    #[serde(default)]
    pub enable_idempotence: Option<bool>,
    /// `request.timeout.ms` (default 30 s).
    #[serde(default = "thirty_secs")]
    pub request_timeout: Time,
    /// `delivery.timeout.ms` (default 120 s).
    #[serde(default = "two_mins")]
    pub delivery_timeout: Time,
    /// `retry.backoff.ms` (default 100 ms).
    #[serde(default = "hundred_ms")]
    pub retry_backoff: Time,
    /// `retry.backoff.max.ms` (default 1 s, KIP-580, Kafka 3.7+): retries back off exponentially
    /// from `retry.backoff.ms` up to this, with ±20 % jitter.
    #[serde(default = "one_sec")]
    pub retry_backoff_max: Time,
    /// Starts stopped: a `start` command (or the UI's "add") brings it in later.
    #[serde(default, skip_serializing_if = "is_false")]
    pub stopped: bool,
    /// `transactional.id`: a transactional producer (it implies idempotence); producers sharing
    /// one are instances of the same application, the newest fencing the older.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transactional_id: Option<String>,
    /// `transaction.timeout.ms` (default 60 s): the coordinator aborts a transaction open longer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_timeout: Option<Time>,
    /// Records per transaction (default 10): the application commits after that many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_records: Option<u32>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn five_ms() -> Time {
    Time::ms(5)
}
fn batch_size() -> u32 {
    16384
}
fn hundred() -> u32 {
    100
}
fn five() -> u32 {
    5
}
fn thirty_secs() -> Time {
    Time::secs(30)
}
fn two_mins() -> Time {
    Time::secs(120)
}
fn hundred_ms() -> Time {
    Time::ms(100)
}
fn one_sec() -> Time {
    Time::secs(1)
}

impl ProducerSpec {
    pub fn settings(&self) -> super::producer::Settings {
        let acks: Acks = self.acks.into();
        super::producer::Settings {
            interval: self.interval,
            acks,
            keys: self.keys,
            count: self.count,
            linger: self.linger,
            batch_records: (self.batch_size / self.record_size.max(1)).max(1),
            record_size: self.record_size,
            max_in_flight: self.max_in_flight,
            idempotent: self.enable_idempotence.unwrap_or(acks == Acks::All && self.max_in_flight <= 5),
            request_timeout: self.request_timeout,
            delivery_timeout: self.delivery_timeout,
            retry_backoff: self.retry_backoff,
            retry_backoff_max: self.retry_backoff_max,
        }
    }

    fn validate(&self, i: usize) -> Result<(), String> {
        let f = |field: &str| format!("kafka.producers[{i}].{field}");
        if self.interval < Time(1) {
            return Err(format!("{}: at least 1us", f("interval")));
        }
        if self.keys > 10_000 {
            return Err(format!("{}: from 0 (no keys) to 10000", f("keys")));
        }
        if self.count == Some(0) {
            return Err(format!("{}: at least 1 (leave it out to produce forever)", f("count")));
        }
        if self.record_size == 0 || self.record_size > 1_000_000 {
            return Err(format!("{}: from 1 to 1000000 bytes", f("record_size")));
        }
        if self.batch_size > 16_000_000 {
            return Err(format!("{}: at most 16000000 bytes", f("batch_size")));
        }
        if self.max_in_flight == 0 || self.max_in_flight > 100 {
            return Err(format!("{}: from 1 to 100", f("max_in_flight")));
        }
        if self.enable_idempotence == Some(true) {
            // KafkaProducer refuses these combinations with a ConfigException.
            if self.acks != AcksSpec::All {
                return Err(format!("{}: idempotence needs acks \"all\"", f("enable_idempotence")));
            }
            if self.max_in_flight > 5 {
                return Err(format!("{}: idempotence needs max_in_flight of at most 5", f("enable_idempotence")));
            }
        }
        if self.request_timeout < Time::ms(1) || self.retry_backoff < Time::ms(1) {
            return Err(format!("{}: request_timeout and retry_backoff must be at least 1ms", f("request_timeout")));
        }
        if self.delivery_timeout < self.linger + self.request_timeout {
            return Err(format!(
                "{}: must be at least linger + request_timeout, as Kafka requires",
                f("delivery_timeout")
            ));
        }
        Ok(())
    }
}

fn acks_all() -> AcksSpec {
    AcksSpec::All
}
fn eight() -> u32 {
    8
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerSpec {
    pub id: String,
    pub topic: String,
    /// The consumer group it joins; without one it reads every partition from the start.
    #[serde(default)]
    pub group: Option<String>,
    /// `group.instance.id`: a static member of its group (KIP-345).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_instance_id: Option<String>,
    /// Starts stopped: a `start` command (or the UI's "add consumer") brings it in later.
    #[serde(default, skip_serializing_if = "is_false")]
    pub stopped: bool,
    /// How long the application works on each record (one at a time), plus a random extra of up
    /// to `processing_jitter` (default: no time at all).
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub processing: Time,
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub processing_jitter: Time,
    /// `isolation.level`: "read_uncommitted" (default) or "read_committed".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation_level: Option<super::txn::config::IsolationLevel>,
    /// `client.rack`: with the brokers' `RackAwareReplicaSelector`, it reads from a replica in
    /// this rack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_rack: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OffsetReset {
    Earliest,
    Latest,
}

/// A consumer group and the consumer settings its members share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub id: String,
    /// `partition.assignment.strategy`: range (default), roundrobin, sticky, cooperative-sticky. The
    /// cooperative protocol (KIP-429) goes with cooperative-sticky, the eager one with the others.
    #[serde(default = "range")]
    pub assignor: String,
    /// `session.timeout.ms` (default 45 s).
    #[serde(default = "secs45")]
    pub session_timeout: Time,
    /// `heartbeat.interval.ms` (default 3 s).
    #[serde(default = "secs3")]
    pub heartbeat_interval: Time,
    /// `max.poll.interval.ms` (default 5 min): also the rebalance timeout, how long the coordinator
    /// waits for members to rejoin.
    #[serde(default = "mins5")]
    pub max_poll_interval: Time,
    /// `enable.auto.commit` (default true).
    #[serde(default = "yes")]
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms` (default 5 s).
    #[serde(default = "secs5")]
    pub auto_commit_interval: Time,
    /// `auto.offset.reset` (default latest): where a partition without a committed offset starts.
    #[serde(default = "latest")]
    pub auto_offset_reset: OffsetReset,
}

fn range() -> String {
    "range".into()
}
fn secs45() -> Time {
    Time::secs(45)
}
fn secs3() -> Time {
    Time::secs(3)
}
fn secs5() -> Time {
    Time::secs(5)
}
fn mins5() -> Time {
    Time::secs(300)
}
fn yes() -> bool {
    true
}
fn latest() -> OffsetReset {
    OffsetReset::Latest
}

pub const MAX_GROUPS: usize = 16;
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

impl KafkaSpec {
    pub fn kraft(&self) -> bool {
        self.metadata == MetadataMode::Kraft
    }

    /// ZooKeeper servers: 1 by default, none in KRaft mode.
    pub fn coordinators(&self) -> u32 {
        if self.kraft() {
            0
        } else {
            self.coordinators_given.unwrap_or(1)
        }
    }

    /// `zookeeper.session.timeout.ms` (ZooKeeper mode; 18 s by default).
    pub fn session_timeout(&self) -> Time {
        self.session_timeout_given.unwrap_or_else(default_session_timeout)
    }

    /// The nodes that hold the metadata: ZooKeeper servers, or KRaft controllers.
    pub fn metadata_nodes(&self) -> u32 {
        if self.kraft() {
            self.kraft_settings().controllers
        } else {
            self.coordinators()
        }
    }

    /// The metadata nodes that are nodes of their own (before the brokers): the voters that do
    /// not run in a broker (none in combined mode, some in a mixed quorum).
    pub fn separate_metadata_nodes(&self) -> u32 {
        self.metadata_nodes().saturating_sub(self.combined_brokers().len() as u32)
    }

    /// The node names this section adds, in order: `zk` (or `zk1`…`zkN`, or the KRaft
    /// controllers `ctl1`…`ctlN`), brokers, producers, consumers.
    pub fn node_names(&self) -> Vec<String> {
        let mut names = self.coordinator_names();
        names.extend((1..=self.brokers).map(|b| format!("b{b}")));
        names.extend(self.producers.iter().map(|p| p.id.clone()));
        names.extend(self.consumers.iter().map(|c| c.id.clone()));
        names.extend(self.processors.iter().map(|p| p.id.clone()));
        names
    }

    /// The coordinator servers' names: `zk` alone, `zk1`…`zkN` in an ensemble.
    pub fn coordinator_names(&self) -> Vec<String> {
        if self.kraft() {
            let separate = self.separate_metadata_nodes().min(5);
            return (1..=separate).map(|i| format!("ctl{i}")).collect();
        }
        match self.coordinators() {
            1 => vec!["zk".to_string()],
            n => (1..=n.min(5)).map(|i| format!("zk{i}")).collect(),
        }
    }

    /// The clients that start stopped.
    pub fn stopped_nodes(&self) -> Vec<&str> {
        let producers = self.producers.iter().filter(|p| p.stopped).map(|p| p.id.as_str());
        let consumers = self.consumers.iter().filter(|c| c.stopped).map(|c| c.id.as_str());
        let processors = self.processors.iter().filter(|p| p.stopped).map(|p| p.id.as_str());
        producers.chain(consumers).chain(processors).collect()
    }

    pub fn validate(&self) -> Result<(), String> {
        self.validate_metadata_mode()?;
        self.validate_leader_rebalance()?;
        self.resources.as_ref().map_or(Ok(()), |r| r.validate())?;
        if ![1, 3, 5].contains(&self.coordinators_given.unwrap_or(1)) {
            return Err("kafka.coordinators: must be 1, 3 or 5 (an ensemble needs an odd number of servers)".into());
        }
        if self.brokers == 0 || self.brokers > MAX_BROKERS {
            return Err(format!("kafka.brokers: must be from 1 to {MAX_BROKERS}"));
        }
        if self.session_timeout() < Time::ms(10) {
            return Err("kafka.session_timeout: at least 10ms".into());
        }
        if self.replica_lag_time_max < Time::ms(10) {
            return Err("kafka.replica_lag_time_max: at least 10ms".into());
        }
        if self.topics.is_empty() {
            return Err("kafka.topics: a cluster needs at least one topic".into());
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, t) in self.topics.iter().enumerate() {
            let f = |field: &str| format!("kafka.topics[{i}].{field}");
            if t.name.is_empty()
                || t.name.len() > 40
                || !t.name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            {
                return Err(format!("{}: 1 to 40 letters, digits, '.', '_' or '-'", f("name")));
            }
            if t.name.starts_with("__") {
                return Err(format!("{}: names starting with \"__\" are Kafka's internal topics", f("name")));
            }
            if !names.insert(t.name.as_str()) {
                return Err(format!("{}: topic \"{}\" is defined twice", f("name"), t.name));
            }
            if t.partitions == 0 || t.partitions > MAX_PARTITIONS {
                return Err(format!("{}: must be from 1 to {MAX_PARTITIONS}", f("partitions")));
            }
            if t.replication_factor == 0 || t.replication_factor > self.brokers {
                return Err(format!(
                    "{}: must be from 1 to the number of brokers ({})",
                    f("replication_factor"),
                    self.brokers
                ));
            }
            if !["delete", "compact", "compact,delete", "delete,compact"].contains(&t.cleanup_policy.as_str()) {
                return Err(format!("{}: \"delete\", \"compact\" or \"compact,delete\"", f("cleanup_policy")));
            }
            if t.segment_bytes < 100 || t.segment_bytes > 1 << 40 {
                return Err(format!("{}: from 100 bytes to 1 TiB", f("segment_bytes")));
            }
            if t.segment_ms < Time::ms(1) || t.retention.is_some_and(|r| r < Time::ms(1)) {
                return Err(format!("{}: at least 1ms", f("segment_ms and retention")));
            }
            if t.min_cleanable_dirty_percent > 100 {
                return Err(format!("{}: from 0 to 100", f("min_cleanable_dirty_percent")));
            }
            if t.min_insync_replicas == 0 || t.min_insync_replicas > t.replication_factor {
                return Err(format!(
                    "{}: must be from 1 to the replication factor ({})",
                    f("min_insync_replicas"),
                    t.replication_factor
                ));
            }
        }
        let offsets = if self.groups.is_empty() { 0 } else { self.offsets_topic_partitions };
        if !self.groups.is_empty() && (offsets == 0 || offsets > MAX_OFFSETS_PARTITIONS) {
            return Err(format!("kafka.offsets_topic_partitions: must be from 1 to {MAX_OFFSETS_PARTITIONS}"));
        }
        if self.offsets_topic_segment_bytes < 100 || self.offsets_topic_segment_bytes > 1 << 40 {
            return Err("kafka.offsets_topic_segment_bytes: from 100 bytes to 1 TiB".into());
        }
        let total: u32 = self.topics.iter().map(|t| t.partitions).sum::<u32>();
        if total > MAX_TOTAL_PARTITIONS {
            return Err(format!(
                "kafka.topics: {total} partitions in all is more than the limit of {MAX_TOTAL_PARTITIONS}"
            ));
        }
        for (i, p) in self.producers.iter().enumerate() {
            if !names.contains(p.topic.as_str()) {
                return Err(format!("kafka.producers[{i}].topic: no topic \"{}\"", p.topic));
            }
            p.validate(i)?;
        }
        self.validate_groups()?;
        super::processor::config::validate(self)?;
        super::txn::config::validate(self)?;
        super::rack::validate(self)?;
        for (i, c) in self.consumers.iter().enumerate() {
            if !names.contains(c.topic.as_str()) {
                return Err(format!("kafka.consumers[{i}].topic: no topic \"{}\"", c.topic));
            }
            let read = self.topics.iter().find(|t| t.name == c.topic).map_or(0, |t| t.partitions);
            if read > MAX_CONSUMED_PARTITIONS {
                return Err(format!(
                    "kafka.consumers[{i}].topic: \"{}\" has {read} partitions; a consumer reads a topic of at most {MAX_CONSUMED_PARTITIONS} in this model",
                    c.topic
                ));
            }
            match (&c.group_instance_id, &c.group) {
                (Some(id), _) if id.trim().is_empty() => {
                    return Err(format!("kafka.consumers[{i}].group_instance_id: must not be empty"))
                }
                (Some(_), None) => {
                    return Err(format!("kafka.consumers[{i}].group_instance_id: a static member needs a group"))
                }
                _ => {}
            }
            let Some(g) = &c.group else { continue };
            if !self.groups.iter().any(|s| &s.id == g) {
                return Err(format!("kafka.consumers[{i}].group: no group \"{g}\" in kafka.groups"));
            }
            // One topic per group: partitions are then drawn and sent as one set per member.
            if let Some(other) = self.consumers.iter().find(|o| o.group.as_ref() == Some(g) && o.topic != c.topic) {
                return Err(format!(
                    "kafka.consumers[{i}].topic: group \"{g}\" already reads \"{}\" (one topic per group in this model)",
                    other.topic
                ));
            }
        }
        Ok(())
    }
}

impl KafkaSpec {
    fn validate_groups(&self) -> Result<(), String> {
        if self.groups.len() > MAX_GROUPS {
            return Err(format!("kafka.groups: at most {MAX_GROUPS} groups"));
        }
        if self.log_retention_check_interval < Time::ms(10) || self.log_cleaner_backoff < Time::ms(10) {
            return Err("kafka.log_retention_check_interval and log_cleaner_backoff: at least 10ms".into());
        }
        if self.group_min_session_timeout < Time::ms(10) {
            return Err("kafka.group_min_session_timeout: at least 10ms".into());
        }
        if self.group_initial_rebalance_delay > Time::secs(300) {
            return Err("kafka.group_initial_rebalance_delay: at most 300s".into());
        }
        for (i, g) in self.groups.iter().enumerate() {
            let f = |field: &str| format!("kafka.groups[{i}].{field}");
            if g.id.is_empty() || g.id.len() > 40 {
                return Err(format!("{}: 1 to 40 characters", f("id")));
            }
            if self.groups[..i].iter().any(|o| o.id == g.id) {
                return Err(format!("{}: group \"{}\" is defined twice", f("id"), g.id));
            }
            super::assignor::Assignor::parse(&g.assignor).map_err(|e| format!("{}: {e}", f("assignor")))?;
            if g.session_timeout < self.group_min_session_timeout || g.session_timeout > Time::secs(1800) {
                return Err(format!(
                    "{}: from group_min_session_timeout ({}) to 30 min, as the broker requires",
                    f("session_timeout"),
                    self.group_min_session_timeout
                ));
            }
            if g.heartbeat_interval < Time::ms(1) || g.heartbeat_interval >= g.session_timeout {
                return Err(format!("{}: must be below the session timeout", f("heartbeat_interval")));
            }
            if g.max_poll_interval < Time::ms(10) {
                return Err(format!("{}: at least 10ms", f("max_poll_interval")));
            }
            if g.auto_commit_interval < Time::ms(1) {
                return Err(format!("{}: at least 1ms", f("auto_commit_interval")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::Scenario;

    fn err(kafka: &str) -> String {
        Scenario::from_json(&format!(r#"{{"name":"k","kafka":{kafka}}}"#)).expect_err("should be rejected")
    }

    #[test]
    fn bad_kafka_settings_name_the_field() {
        let topic = |rf: u32, min: u32, parts: u32| {
            format!(
                r#"{{"brokers":3,"topics":[{{"name":"t","partitions":{parts},"replication_factor":{rf},"min_insync_replicas":{min}}}]}}"#
            )
        };
        assert!(err(&topic(4, 1, 3))
            .contains("kafka.topics[0].replication_factor: must be from 1 to the number of brokers (3)"));
        assert!(err(&topic(3, 4, 3)).contains("kafka.topics[0].min_insync_replicas"));
        assert!(err(&topic(3, 2, 0)).contains("kafka.topics[0].partitions"));
        assert!(err(&topic(3, 2, -1i32 as u32)).contains("kafka.topics[0].partitions"));
        assert!(err(r#"{"brokers":0,"topics":[]}"#).contains("kafka.brokers"));
        assert!(err(r#"{"brokers":3,"coordinators":2,"topics":[]}"#).contains("kafka.coordinators: must be 1, 3 or 5"));
        assert!(err(r#"{"brokers":3,"topics":[{"name":"t","partitions":1,"replication_factor":1}],"producers":[{"id":"p","topic":"nope","interval":"1ms"}]}"#)
            .contains("kafka.producers[0].topic: no topic \"nope\""));
        assert!(err(r#"{"brokers":3,"topics":[{"name":"t","partitions":1,"replication_factor":1}],"producers":[{"id":"p","topic":"t","interval":"1ms","acks":"2"}]}"#)
            .contains("kafka.producers[0].acks"));
        assert!(err(r#"{"brokers":3,"assignor":"x","topics":[]}"#).contains("unknown field `assignor`"));
        let many: Vec<String> =
            (0..3).map(|i| format!(r#"{{"name":"t{i}","partitions":400,"replication_factor":1}}"#)).collect();
        assert!(err(&format!(r#"{{"brokers":1,"topics":[{}]}}"#, many.join(",")))
            .contains("1200 partitions in all is more than the limit of 1000"));
        assert!(err(&topic(3, 1, 1_001)).contains("kafka.topics[0].partitions: must be from 1 to 1000"));
        assert!(err(r#"{"brokers":51,"topics":[]}"#).contains("kafka.brokers: must be from 1 to 50"));
        assert!(err(r#"{"brokers":3,"topics":[{"name":"t","partitions":65,"replication_factor":1}],"consumers":[{"id":"c","topic":"t"}]}"#)
            .contains("kafka.consumers[0].topic: \"t\" has 65 partitions; a consumer reads a topic of at most 64"));
        assert!(err(r#"{"brokers":3,"topics":[{"name":"t","partitions":1,"replication_factor":1}],"consumers":[{"id":"b1","topic":"t"}]}"#)
            .contains("\"b1\" is used twice"));
    }
}
