//! The assignors against Kafka's own assignor tests: `tests/data/kafka-assignor-cases.jsonl` has
//! one line per rack-free case of Kafka's `RangeAssignorTest` and `RoundRobinAssignorTest` (test
//! name, members with their subscriptions and group.instance.ids, topics, Kafka's expected
//! assignment; `#2` marks a second step of the same test). Each case goes through the same JSON
//! entry point as `brokerlab assign`.

use brokerlab::engine::kafka::assignor::answer_json;
use serde_json::{json, Value};

#[test]
fn assignments_match_kafkas_assignor_tests() {
    let cases = include_str!("data/kafka-assignor-cases.jsonl");
    let mut checked = 0;
    for line in cases.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).unwrap();
        let request = json!({ "assignor": case["assignor"], "topics": case["topics"], "members": case["members"] });
        let answer: Value = serde_json::from_str(&answer_json(&request.to_string())).unwrap();
        assert_eq!(answer["assignment"], case["expected"], "{}: {answer}", case["test"]);
        checked += 1;
    }
    assert_eq!(checked, 37, "every case in the table ran");
}
