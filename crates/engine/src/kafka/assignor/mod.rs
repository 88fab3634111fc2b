//! Consumer-group partition assignors, with Kafka's results for the same members and
//! subscriptions — including Kafka's member order (`AbstractPartitionAssignor.MemberInfo`: members
//! with a `group.instance.id` first, ordered by it, then the others by member id, comparing strings
//! as Java does, by UTF-16 code units).
//!
//! This module holds what every assignor shares: the types (`TopicPartition`, `Assignor`,
//! `Member`, `Assignment`), `assign` (checks the input, puts the members in Kafka's order and
//! dispatches to the assignor), and `answer_json`, the request and answer of `brokerlab assign`.
//! The assignors themselves, each in its own file:
//!
//! - `range_roundrobin` — `range` (`RangeAssignor`) and `roundrobin` (`RoundRobinAssignor`).
//! - `sticky` — `sticky` (`StickyAssignor`) and `cooperative-sticky` (`CooperativeStickyAssignor`),
//!   a port of `AbstractStickyAssignor`, with its two builders in `sticky/constrained.rs` and
//!   `sticky/general.rs`.
//! - `java` — the Java behaviour Kafka's results depend on: string order, `String.hashCode`, and
//!   a `HashMap`'s iteration order.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

pub(super) mod java;
mod range_roundrobin;
mod sticky;

use java::java_cmp;
use range_roundrobin::{range, round_robin};
use sticky::{sticky, Parts};

/// Partitions per topic a calculator accepts: enough for any real cluster, small enough to answer
/// instantly.
pub const MAX_PARTITIONS: u32 = 100_000;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: u32,
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

impl TopicPartition {
    pub fn new(topic: &str, partition: u32) -> TopicPartition {
        TopicPartition { topic: topic.to_string(), partition }
    }

    /// Parses `topic-N`; the topic may itself contain dashes (the number is after the last one).
    pub fn parse(text: &str) -> Result<TopicPartition, String> {
        let (topic, n) =
            text.rsplit_once('-').ok_or_else(|| format!("`{text}` is not topic-partition, e.g. `orders-0`"))?;
        let partition = n.parse().map_err(|_| format!("`{text}`: `{n}` is not a partition number"))?;
        if topic.is_empty() {
            return Err(format!("`{text}` has no topic name"));
        }
        Ok(TopicPartition::new(topic, partition))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assignor {
    Range,
    RoundRobin,
    Sticky,
    CooperativeSticky,
}

impl Assignor {
    pub const NAMES: &'static str = "range, roundrobin, sticky, cooperative-sticky";

    pub fn parse(name: &str) -> Result<Assignor, String> {
        match name {
            "range" => Ok(Assignor::Range),
            "roundrobin" => Ok(Assignor::RoundRobin),
            "sticky" => Ok(Assignor::Sticky),
            "cooperative-sticky" => Ok(Assignor::CooperativeSticky),
            _ => Err(format!("unknown assignor `{name}` (available: {})", Self::NAMES)),
        }
    }
}

/// A group member as the assignor sees it (its JoinGroup subscription).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub instance_id: Option<String>,
    pub topics: Vec<String>,
    /// Owned partitions and generation: used by the sticky assignors only.
    pub owned: Vec<TopicPartition>,
    pub generation: Option<i32>,
}

impl Member {
    pub fn new(id: &str, topics: &[&str]) -> Member {
        Member {
            id: id.to_string(),
            instance_id: None,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            owned: vec![],
            generation: None,
        }
    }
}

/// `MemberInfo.compareTo`: static members (with an instance id) first, by instance id; then the
/// rest by member id.
fn member_order(a: &Member, b: &Member) -> Ordering {
    match (&a.instance_id, &b.instance_id) {
        (Some(x), Some(y)) => java_cmp(x, y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => java_cmp(&a.id, &b.id),
    }
}

pub type Assignment = BTreeMap<String, Vec<TopicPartition>>;

/// Assigns `topics` (name → partition count) to `members`. Every member appears in the result, each
/// with its partitions sorted by topic, then partition. Topics nobody subscribes to are left out, and
/// a subscription to a topic that does not exist gets nothing for it, as in Kafka.
/// The sticky assignors also depend on the order of `members`: give them in JoinGroup order.
pub fn assign(assignor: Assignor, topics: &BTreeMap<String, u32>, members: &[Member]) -> Result<Assignment, String> {
    let mut ids = BTreeSet::new();
    for m in members {
        if m.id.is_empty() {
            return Err("a member has an empty id".into());
        }
        if !ids.insert(m.id.as_str()) {
            return Err(format!("member id `{}` appears twice", m.id));
        }
    }
    for (topic, &n) in topics {
        if topic.is_empty() {
            return Err("a topic has an empty name".into());
        }
        if n > MAX_PARTITIONS {
            return Err(format!(
                "topic `{topic}`: {n} partitions is more than the calculator's limit of {MAX_PARTITIONS}"
            ));
        }
    }
    let mut sorted: Vec<&Member> = members.iter().collect();
    crate::sort::sort_by(&mut sorted, |a, b| member_order(a, b));
    let mut out: Assignment = members.iter().map(|m| (m.id.clone(), vec![])).collect();
    match assignor {
        Assignor::Range => range(topics, &sorted, &mut out),
        Assignor::RoundRobin => round_robin(topics, &sorted, &mut out),
        Assignor::Sticky | Assignor::CooperativeSticky => {
            for m in members {
                for tp in &m.owned {
                    if let Some(&n) = topics.get(&tp.topic).filter(|&&n| tp.partition >= n) {
                        return Err(format!("member `{}` owns {tp}, but `{}` has {n} partitions", m.id, tp.topic));
                    }
                }
            }
            let parts = Parts::new(topics, members);
            let result = sticky(assignor == Assignor::CooperativeSticky, &parts, members)?;
            for (m, pids) in members.iter().zip(result) {
                out.insert(m.id.clone(), pids.into_iter().map(|p| parts.tp(p)).collect());
            }
        }
    }
    for parts in out.values_mut() {
        crate::sort::sort_by(parts, |a, b| java_cmp(&a.topic, &b.topic).then(a.partition.cmp(&b.partition)));
    }
    Ok(out)
}

fn subscribes(m: &Member, topic: &str) -> bool {
    m.topics.iter().any(|t| t == topic)
}

/// The JSON form `brokerlab assign` reads, one object per line.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    assignor: String,
    topics: BTreeMap<String, u32>,
    members: Vec<MemberJson>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberJson {
    id: String,
    topics: Vec<String>,
    /// `group.instance.id` (Kafka's name for it also accepted).
    #[serde(default, alias = "group_instance_id")]
    instance_id: Option<String>,
    #[serde(default)]
    owned: Vec<String>,
    #[serde(default)]
    generation: Option<i32>,
}

/// Answers one request line: `{"assignment":{"c1":["t1-0"]}}` or `{"error":"…"}`.
pub fn answer_json(line: &str) -> String {
    let result = (|| {
        let req: Request = crate::json_path::parse_json(line, "a request is a JSON object")?;
        let assignor = Assignor::parse(&req.assignor)?;
        let members = req
            .members
            .into_iter()
            .enumerate()
            .map(|(i, m)| {
                let owned = m
                    .owned
                    .iter()
                    .map(|tp| TopicPartition::parse(tp))
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("members[{i}].owned: {e}"))?;
                Ok(Member { id: m.id, instance_id: m.instance_id, topics: m.topics, owned, generation: m.generation })
            })
            .collect::<Result<Vec<_>, String>>()?;
        assign(assignor, &req.topics, &members)
    })();
    match result {
        Ok(a) => {
            let map: serde_json::Map<String, serde_json::Value> = a
                .into_iter()
                .map(|(id, parts)| (id, parts.iter().map(|p| serde_json::Value::String(p.to_string())).collect()))
                .collect();
            serde_json::json!({ "assignment": map }).to_string()
        }
        Err(e) => serde_json::json!({ "error": e }).to_string(),
    }
}

#[cfg(test)]
mod tests;
