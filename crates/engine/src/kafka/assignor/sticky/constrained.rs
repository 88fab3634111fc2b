//! `ConstrainedAssignmentBuilder`: the sticky assignors when every member subscribes to the same
//! topics. Each member keeps up to its quota of what it owns; the rest is dealt round-robin.

use super::{kafka_throws, Built, Parts};
use crate::kafka::assignor::java::{java_cmp, java_hash, java_order};
use crate::kafka::assignor::Member;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// `ConstrainedAssignmentBuilder` (all members subscribe to the same topics), without racks.
pub(super) fn constrained(
    parts: &Parts,
    members: &[Member],
    order: &[usize],
    owned: Vec<Vec<usize>>,
    multi: &BTreeSet<usize>,
) -> Result<Built, String> {
    let (n, total) = (members.len(), parts.total());
    let (min_quota, max_quota, expected_over) = (total / n, total.div_ceil(n), total % n);
    let mut over = 0;
    let mut assignment = vec![vec![]; n];
    let mut assigned = vec![false; total];
    let (mut under, mut exact) = (vec![], VecDeque::new());
    let mut maybe_revoked = BTreeMap::new();
    // consumerToOwnedPartitions, another HashMap, filled in the order of the first.
    for c in java_order(order.iter().map(|&c| java_hash(&members[c].id))).into_iter().map(|i| order[i]) {
        let mut own = owned[c].clone();
        crate::sort::sort_by_key(&mut own, |&p| (parts.partition_of(p), p));
        own.retain(|p| !multi.contains(p));
        let keep = if own.len() < min_quota {
            under.push(c);
            own.len()
        } else if own.len() >= max_quota && over < expected_over {
            over += 1;
            if over == expected_over {
                exact.clear();
            }
            max_quota
        } else {
            if over < expected_over {
                exact.push_back(c);
            }
            min_quota
        };
        maybe_revoked.extend(own.drain(keep..).map(|p| (p, c)));
        own.iter().for_each(|&p| assigned[p] = true);
        assignment[c] = own;
    }
    let by_id = |a: &usize, b: &usize| java_cmp(&members[*a].id, &members[*b].id);
    crate::sort::sort_by(&mut under, by_id);
    crate::sort::sort_by(exact.make_contiguous(), by_id);

    // Deal the rest round-robin to the members under their minimum quota, then to those at it.
    let mut transferring = vec![];
    let mut next = 0; // the iterator over `under`
    for p in (0..total).filter(|&p| !assigned[p]) {
        let c = if next < under.len() {
            next += 1;
            under[next - 1]
        } else if !under.is_empty() {
            next = 1;
            under[0]
        } else {
            exact.pop_front().ok_or_else(|| kafka_throws("no more unfilled consumers to be assigned"))?
        };
        assignment[c].push(p);
        if maybe_revoked.get(&p).is_some_and(|&o| o != c) || multi.contains(&p) {
            transferring.push((p, c));
        }
        let count = assignment[c].len();
        if count == min_quota {
            if next == 0 || under[next - 1] != c {
                return Err(kafka_throws("iterator state"));
            }
            next -= 1;
            under.remove(next);
            exact.push_back(c);
        } else if count == max_quota {
            over += 1;
        }
    }
    if !under.is_empty() && (over != expected_over || under.iter().any(|&c| assignment[c].len() != min_quota)) {
        return Err(kafka_throws("a consumer did not reach its minimum quota"));
    }
    Ok((assignment, transferring))
}
