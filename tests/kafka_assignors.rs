//! The assignors against Kafka's own assignor tests: `tests/data/kafka-assignor-cases.jsonl` has
//! one line per rack-free case of Kafka's `RangeAssignorTest` and `RoundRobinAssignorTest`, and of
//! `StickyAssignorTest` and `CooperativeStickyAssignorTest` (with the cases they inherit from
//! `internals/AbstractStickyAssignorTest`): test name, members with their subscriptions,
//! group.instance.ids, owned partitions and generations, topics, Kafka's expected assignment.
//! `#2`, `#3`… are the later `assign` calls of the same test, each fed what the test feeds it —
//! for `CooperativeStickyAssignorTest` that includes the follow-up rebalances its
//! `verifyValidityAndBalance` runs while partitions are being revoked (every member then owns what
//! it got, at generation 1). A name ending in ` (traced)` marks a case whose Kafka test asserts only
//! properties (balance, validity, stickiness), or not this step's whole assignment: its expected
//! assignment is what Kafka's own `StickyAssignor`/`CooperativeStickyAssignor`/
//! `AbstractStickyAssignor` classes (apache/kafka trunk, compiled as they are) returned for the
//! same members, through `AbstractPartitionAssignor.assign(Cluster, …)`. The randomised and
//! large-scale tests are left out. Each case goes through the same JSON entry point as
//! `brokerlab assign`.

use brokerlab::engine::kafka::assignor::{answer_json, assign, Assignment, Assignor, Member, TopicPartition};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

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
    assert_eq!(checked, 177, "every case in the table ran");
}

/// splitmix64: the property test's own PRNG.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    }
}

/// Every partition of a subscribed topic goes to exactly one member.
fn assert_complete(seed: u64, topics: &BTreeMap<String, u32>, a: &Assignment) {
    let mut seen = BTreeSet::new();
    for tp in a.values().flatten() {
        assert!(seen.insert(tp.clone()), "SEED={seed}: {tp} assigned twice: {a:?}");
    }
    let all: BTreeSet<TopicPartition> =
        topics.iter().flat_map(|(t, &n)| (0..n).map(move |p| TopicPartition::new(t, p))).collect();
    assert_eq!(seen, all, "SEED={seed}: not every partition assigned once");
}

/// Groups whose members all subscribe to the same topics rebalance a few times, each member owning
/// what it was given: both sticky assignors stay valid and balanced, a member keeps its owned
/// partitions up to its quota, and the cooperative one never hands a partition to a new member in
/// the rebalance in which its owner gives it up — after the follow-up rebalance it is complete.
#[test]
fn sticky_assignors_balance_and_stick_with_equal_subscriptions() {
    for seed in 0..300 {
        let mut rng = Rng(seed);
        let topics: BTreeMap<String, u32> =
            (0..1 + rng.below(4)).map(|t| (format!("t{t}"), rng.below(12) as u32)).collect();
        let names: Vec<&str> = topics.keys().map(String::as_str).collect();
        let mut members: Vec<Member> = (0..1 + rng.below(6)).map(|i| Member::new(&format!("m{i}"), &names)).collect();
        let (mut next_id, mut generation) = (members.len(), 0);
        for step in 0..5 {
            let cooperative = seed % 2 == 1;
            let kind = if cooperative { Assignor::CooperativeSticky } else { Assignor::Sticky };
            let total: usize = topics.values().map(|&n| n as usize).sum();
            let mut a = assign(kind, &topics, &members).unwrap_or_else(|e| panic!("SEED={seed}: {e}"));
            let quota = total / members.len();
            for m in &members {
                let kept = a[&m.id].iter().filter(|tp| m.owned.contains(tp)).count();
                assert!(kept >= m.owned.len().min(quota), "SEED={seed} step {step}: {} kept {kept}", m.id);
            }
            if cooperative {
                // Nothing moves directly between two members.
                for m in &members {
                    for tp in a[&m.id].iter().filter(|tp| !m.owned.contains(tp)) {
                        assert!(
                            members.iter().all(|o| !o.owned.contains(tp)),
                            "SEED={seed} step {step}: {tp} given to {} while another member owns it",
                            m.id
                        );
                    }
                }
                let revoked = members.iter().any(|m| m.owned.iter().any(|tp| !a[&m.id].contains(tp)));
                if revoked {
                    generation += 1;
                    for m in members.iter_mut() {
                        m.owned = a[&m.id].clone();
                        m.generation = Some(generation);
                    }
                    a = assign(kind, &topics, &members).unwrap_or_else(|e| panic!("SEED={seed}: {e}"));
                }
            }
            assert_complete(seed, &topics, &a);
            let sizes: Vec<usize> = a.values().map(Vec::len).collect();
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(max - min <= 1, "SEED={seed} step {step}: unbalanced {a:?}");
            // Rejoin owning what each got; some leave, some join.
            generation += 1;
            for m in members.iter_mut() {
                m.owned = a[&m.id].clone();
                m.generation = Some(generation);
            }
            if members.len() > 1 && rng.below(2) == 0 {
                members.remove(rng.below(members.len() as u64) as usize);
            }
            for _ in 0..rng.below(3) {
                members.push(Member::new(&format!("m{next_id}"), &names));
                next_id += 1;
            }
        }
    }
}
