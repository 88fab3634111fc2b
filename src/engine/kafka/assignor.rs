//! Consumer-group partition assignors, with Kafka's results for the same members and
//! subscriptions — including Kafka's member order (`AbstractPartitionAssignor.MemberInfo`: members
//! with a `group.instance.id` first, ordered by it, then the others by member id, comparing strings
//! as Java does, by UTF-16 code units).
//!
//! - `range` (`RangeAssignor`, without racks): per topic, its subscribers in member order each take
//!   a contiguous range; the first `partitions % subscribers` take one extra.
//! - `roundrobin` (`RoundRobinAssignor`): every subscribed topic's partitions, topics in name order,
//!   dealt to the members in a circle, skipping members not subscribed to the partition's topic.
//!
//! The sticky and cooperative-sticky assignors come with the consumer-group model.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

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
}

impl Assignor {
    pub const NAMES: &'static str = "range, roundrobin";

    pub fn parse(name: &str) -> Result<Assignor, String> {
        match name {
            "range" => Ok(Assignor::Range),
            "roundrobin" => Ok(Assignor::RoundRobin),
            "sticky" | "cooperative-sticky" => {
                Err(format!("assignor `{name}` is not in this version yet (available: {})", Self::NAMES))
            }
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

/// Java's `String.compareTo`: by UTF-16 code units (differs from Rust's byte order only above U+FFFF).
fn java_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
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
    sorted.sort_by(|a, b| member_order(a, b));
    let mut out: Assignment = members.iter().map(|m| (m.id.clone(), vec![])).collect();
    match assignor {
        Assignor::Range => range(topics, &sorted, &mut out),
        Assignor::RoundRobin => round_robin(topics, &sorted, &mut out),
    }
    for parts in out.values_mut() {
        parts.sort_by(|a, b| java_cmp(&a.topic, &b.topic).then(a.partition.cmp(&b.partition)));
    }
    Ok(out)
}

fn subscribes(m: &Member, topic: &str) -> bool {
    m.topics.iter().any(|t| t == topic)
}

fn range(topics: &BTreeMap<String, u32>, sorted: &[&Member], out: &mut Assignment) {
    for (topic, &n) in topics {
        let subscribers: Vec<&&Member> = sorted.iter().filter(|m| subscribes(m, topic)).collect();
        if subscribers.is_empty() {
            continue;
        }
        let count = subscribers.len() as u32;
        let (per, extra) = (n / count, n % count);
        for (i, m) in subscribers.iter().enumerate() {
            let i = i as u32;
            let start = per * i + i.min(extra);
            let len = per + u32::from(i < extra);
            let parts = out.get_mut(&m.id).expect("every member has an entry");
            parts.extend((start..start + len).map(|p| TopicPartition::new(topic, p)));
        }
    }
}

fn round_robin(topics: &BTreeMap<String, u32>, sorted: &[&Member], out: &mut Assignment) {
    // Kafka collects the subscribed topics in a TreeSet (Java string order), then deals their
    // partitions out over a circular iterator of the sorted members.
    let mut subscribed: Vec<&str> = sorted.iter().flat_map(|m| m.topics.iter().map(String::as_str)).collect();
    subscribed.sort_by(|a, b| java_cmp(a, b));
    subscribed.dedup();
    let mut next = 0usize;
    for topic in subscribed {
        let Some(&n) = topics.get(topic) else { continue };
        for p in 0..n {
            // Someone subscribes to `topic` (it came from a subscription), so this ends.
            while !subscribes(sorted[next % sorted.len()], topic) {
                next += 1;
            }
            out.get_mut(&sorted[next % sorted.len()].id)
                .expect("every member has an entry")
                .push(TopicPartition::new(topic, p));
            next += 1;
        }
    }
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
    #[serde(default)]
    instance_id: Option<String>,
    #[serde(default)]
    owned: Vec<String>,
    #[serde(default)]
    generation: Option<i32>,
}

/// Answers one request line: `{"assignment":{"c1":["t1-0"]}}` or `{"error":"…"}`.
pub fn answer_json(line: &str) -> String {
    let result = (|| {
        let de = &mut serde_json::Deserializer::from_str(line);
        let req: Request = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let msg = e.into_inner().to_string();
            if path == "." || path == "?" {
                msg
            } else {
                format!("{path}: {msg}")
            }
        })?;
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
mod tests {
    use super::*;

    fn topics(list: &[(&str, u32)]) -> BTreeMap<String, u32> {
        list.iter().map(|(t, n)| (t.to_string(), *n)).collect()
    }

    fn show(a: &Assignment) -> String {
        a.iter()
            .map(|(m, ps)| format!("{m}:{}", ps.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(",")))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn member_order_puts_static_members_first() {
        let mut a = Member::new("zzz", &["t"]);
        a.instance_id = Some("i1".into());
        let b = Member::new("aaa", &["t"]);
        assert_eq!(member_order(&a, &b), Ordering::Less);
        assert_eq!(java_cmp("\u{FF61}", "\u{1F600}"), Ordering::Greater, "UTF-16 order, not code point order");
    }

    #[test]
    fn range_gives_extra_partitions_to_the_first_members() {
        let m = [Member::new("c1", &["t"]), Member::new("c2", &["t"]), Member::new("c3", &["t"])];
        let a = assign(Assignor::Range, &topics(&[("t", 7)]), &m).unwrap();
        assert_eq!(show(&a), "c1:t-0,t-1,t-2 c2:t-3,t-4 c3:t-5,t-6");
    }

    #[test]
    fn roundrobin_skips_members_not_subscribed() {
        let m = [Member::new("c0", &["t1"]), Member::new("c1", &["t1", "t2"]), Member::new("c2", &["t1"])];
        let a = assign(Assignor::RoundRobin, &topics(&[("t1", 3), ("t2", 2)]), &m).unwrap();
        assert_eq!(show(&a), "c0:t1-0 c1:t1-1,t2-0,t2-1 c2:t1-2");
    }

    #[test]
    fn bad_requests_are_errors() {
        assert!(answer_json(
            r#"{"assignor":"range","topics":{"t":1},"members":[{"id":"a","topics":["t"]},{"id":"a","topics":["t"]}]}"#
        )
        .contains("appears twice"));
        assert!(answer_json(r#"{"assignor":"magic","topics":{},"members":[]}"#).contains("unknown assignor `magic`"));
        assert!(
            answer_json(r#"{"assignor":"range","topics":{"t":-1},"members":[]}"#).contains("topics.t: invalid value")
        );
        assert!(answer_json(r#"{"assignor":"range","topics":{},"members":[{"id":"a","topics":[],"owned":["x"]}]}"#)
            .contains("members[0].owned"));
        assert!(answer_json("nonsense").starts_with("{\"error\""));
        assert_eq!(
            answer_json(
                r#"{"assignor":"range","topics":{"t1":3},"members":[{"id":"c1","topics":["t1"],"instance_id":null,"owned":["t1-0"],"generation":1}]}"#
            ),
            r#"{"assignment":{"c1":["t1-0","t1-1","t1-2"]}}"#
        );
    }

    #[test]
    fn topic_partition_parse() {
        assert_eq!(TopicPartition::parse("my-topic-12"), Ok(TopicPartition::new("my-topic", 12)));
        assert!(TopicPartition::parse("-1").is_err());
        assert!(TopicPartition::parse("t-x").is_err());
        assert!(TopicPartition::parse("nodash").is_err());
    }
}
