//! The assignors' unit tests: member order, range and roundrobin, the sticky assignors' withholding
//! and errors, Java's hash-map order, and `brokerlab assign`'s answers to bad requests.

use super::java::{java_hash, java_order};
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
    assert!(answer_json(r#"{"assignor":"range","topics":{"t":-1},"members":[]}"#)
        .contains("topics.t: got the number -1, expected a whole number from 0 to 4294967295"));
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

/// `group_instance_id`, Kafka's name, is the same field as `instance_id`: static members come
/// first in the member order (`member_order_puts_static_members_first`).
#[test]
fn group_instance_id_is_instance_id() {
    let ask = |field: &str| {
        answer_json(&format!(
            r#"{{"assignor":"range","topics":{{"t":3}},"members":[{{"id":"a","topics":["t"]}},{{"id":"b","topics":["t"],"{field}":"i"}}]}}"#
        ))
    };
    assert_eq!(ask("group_instance_id"), ask("instance_id"));
    assert_eq!(ask("instance_id"), r#"{"assignment":{"a":["t-2"],"b":["t-0","t-1"]}}"#);
}

#[test]
fn java_hash_map_order() {
    // Printed by `new HashMap<>()` + `put` in this order + `keySet()` on OpenJDK 17.
    let order = |keys: &[&str]| -> Vec<String> {
        java_order(keys.iter().map(|k| java_hash(k))).into_iter().map(|i| keys[i].to_string()).collect()
    };
    assert_eq!(
        order(&["consumer1", "consumer2", "consumer3", "consumer4"]).join(" "),
        "consumer4 consumer3 consumer2 consumer1"
    );
    assert_eq!(order(&["BB", "Aa", "c10", "c2", "member-x", "z"]).join(" "), "BB Aa c10 z c2 member-x");
    let keys: Vec<String> = (0..14).map(|i| format!("k{i}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    assert_eq!(order(&keys).join(" "), "k0 k1 k2 k3 k4 k5 k11 k6 k10 k7 k13 k8 k12 k9");
    let same = ["BBBBBBBB", "AaAaAaAa", "BBBBBB", "BBBBAa", "BBAaBB", "BBAaAa", "AaBBBB", "AaBBAa", "AaAaBB", "AaAaAa"];
    assert_eq!(order(&same).join(" "), "BBBBBB BBBBAa BBAaBB BBAaAa AaBBBB AaBBAa AaAaBB AaAaAa BBBBBBBB AaAaAaAa");
}

fn owning(id: &str, topics: &[&str], owned: &[(&str, u32)], generation: i32) -> Member {
    let mut m = Member::new(id, topics);
    m.owned = owned.iter().map(|(t, p)| TopicPartition::new(t, *p)).collect();
    m.generation = Some(generation);
    m
}

#[test]
fn cooperative_sticky_withholds_partitions_that_change_owner() {
    let m = [owning("c1", &["t"], &[("t", 0), ("t", 1), ("t", 2)], 1), owning("c2", &["t"], &[], 1)];
    let t = topics(&[("t", 3)]);
    assert_eq!(show(&assign(Assignor::Sticky, &t, &m).unwrap()), "c1:t-0,t-1 c2:t-2");
    assert_eq!(show(&assign(Assignor::CooperativeSticky, &t, &m).unwrap()), "c1:t-0,t-1 c2:");
    // The follow-up rebalance, after c1 revoked t-2.
    let m = [owning("c1", &["t"], &[("t", 0), ("t", 1)], 2), owning("c2", &["t"], &[], 2)];
    assert_eq!(show(&assign(Assignor::CooperativeSticky, &t, &m).unwrap()), "c1:t-0,t-1 c2:t-2");
}

#[test]
fn sticky_errors_where_kafka_throws_or_input_is_impossible() {
    let t = topics(&[("t", 4), ("u", 1)]);
    let m = [owning("a", &["t"], &[("t", 9)], 1)];
    assert!(assign(Assignor::Sticky, &t, &m).unwrap_err().contains("owns t-9, but `t` has 4 partitions"));
    // `f` sits out the balancing (it has all it can get), yet it is t-0's previous owner: Kafka's
    // GeneralAssignmentBuilder dereferences its missing assignment.
    let m = [
        owning("a", &["t"], &[("t", 0), ("t", 1), ("t", 2), ("t", 3)], 2),
        owning("b", &["t"], &[], 2),
        owning("f", &["u"], &[("t", 0), ("u", 0)], 1),
    ];
    assert!(assign(Assignor::Sticky, &t, &m).unwrap_err().contains("NullPointerException"));
}

#[test]
fn topic_partition_parse() {
    assert_eq!(TopicPartition::parse("my-topic-12"), Ok(TopicPartition::new("my-topic", 12)));
    assert!(TopicPartition::parse("-1").is_err());
    assert!(TopicPartition::parse("t-x").is_err());
    assert!(TopicPartition::parse("nodash").is_err());
}
