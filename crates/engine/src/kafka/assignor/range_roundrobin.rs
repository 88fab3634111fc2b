//! The two assignors that need no history: `range` and `roundrobin`. Each deals the partitions
//! of the subscribed topics to the members in Kafka's member order (`assign` sorts them first).
//!
//! - `range` (`RangeAssignor`, without racks): per topic, its subscribers in member order each take
//!   a contiguous range; the first `partitions % subscribers` take one extra.
//! - `roundrobin` (`RoundRobinAssignor`): every subscribed topic's partitions, topics in name order,
//!   dealt to the members in a circle, skipping members not subscribed to the partition's topic.

use super::java::java_cmp;
use super::{subscribes, Assignment, Member, TopicPartition};
use std::collections::BTreeMap;

pub(super) fn range(topics: &BTreeMap<String, u32>, sorted: &[&Member], out: &mut Assignment) {
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

pub(super) fn round_robin(topics: &BTreeMap<String, u32>, sorted: &[&Member], out: &mut Assignment) {
    // Kafka collects the subscribed topics in a TreeSet (Java string order), then deals their
    // partitions out over a circular iterator of the sorted members.
    let mut subscribed: Vec<&str> = sorted.iter().flat_map(|m| m.topics.iter().map(String::as_str)).collect();
    crate::sort::sort_by(&mut subscribed, |a, b| java_cmp(a, b));
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
