//! The sticky assignors, apart from the others because they are a port of Kafka's own large
//! algorithm. This file settles the members' claims, picks the builder (`sticky/constrained.rs`
//! for equal subscriptions, `sticky/general.rs` for the rest) and withholds, for
//! `cooperative-sticky`, the partitions that change owner.
//!
//! `sticky` (`StickyAssignor`) and `cooperative-sticky` (`CooperativeStickyAssignor`): a port of
//! `AbstractStickyAssignor` (apache/kafka trunk, `clients/…/consumer/internals/`; without racks).
//! Balance first, then keep as many owned partitions as possible. Claims on one partition by
//! several members are settled first: the highest generation keeps it, a tie voids every claim.
//! If every member subscribes to the same topics, `ConstrainedAssignmentBuilder`: each keeps up
//! to its quota of its owned partitions (sorted by partition, then topic; only
//! `total % members` may keep the larger quota), then the rest, in topic/partition order, go
//! round-robin to the members under the smaller quota (by member id), then to those at it.
//! Otherwise `GeneralAssignmentBuilder`: keep owned partitions still subscribed, give each
//! unassigned one to the least-loaded subscriber, then move partitions (back to a previous owner
//! of an older generation first) until no move improves the balance. Kafka iterates Java hash
//! maps (of member ids, and of moved partitions) where the order decides the result, so their
//! iteration order is reproduced: the members reach the assignor in a `HashMap` filled in
//! JoinGroup order, i.e. the order of `members`. `owned` and `generation` are what
//! `StickyAssignor` decodes from its user data and what `CooperativeStickyAssignor` reads from
//! the subscription's `ownedPartitions` and `generationId`.
//!
//! What `cooperative-sticky` returns (`CooperativeStickyAssignor.assignPartitions`): the sticky
//! assignment minus every partition that would move to a member while another member still owns it
//! (`partitionsTransferringOwnership`: partitions over an owner's quota, or claimed by several
//! members of one generation; with unequal subscriptions, those assigned to a new member and given
//! up by a previous owner). The assignor withholds them itself; the group leader's
//! `ConsumerCoordinator.onLeaderElected` only validates, for other assignors on the COOPERATIVE
//! protocol, that no owned partition moves directly (and skips that for `cooperative-sticky`). Each
//! member then, in `onJoinComplete`, revokes owned − assigned (`onPartitionsRevoked`) and requests a
//! rejoin; in that follow-up rebalance nobody owns the withheld partitions any more and they are
//! assigned. Before joining (`onJoinPrepare`) a cooperative member keeps its partitions (it revokes
//! only those of topics it no longer subscribes to) and reports them with its generation; an eager
//! (`sticky`) member revokes everything first, and its previous assignment travels in user data.
//!
//! Where this differs from Kafka: owned partitions beyond a topic's partition count are an error
//! (Kafka would hand them out); inputs on which Kafka's assignor throws (a `NullPointerException`
//! when a previous owner of an older generation sits out the balancing) are an error too; the
//! maximum generation is the members' (a Kafka leader remembers the highest it has seen across
//! rebalances); and Java's tree-shaped hash buckets (9+ keys colliding in one bucket of a table of
//! 64+, which takes crafted member ids) are ordered by insertion.

use super::java::{java_cmp, java_hash, java_order};
use super::{subscribes, Member, TopicPartition};
use std::collections::{BTreeMap, BTreeSet};

mod constrained;
mod general;

use constrained::constrained;
use general::General;

/// The partitions a sticky assignor deals: those of the subscribed topics that exist (as
/// `AbstractPartitionAssignor.assign` collects them), numbered topic by topic in Java's name order,
/// so that numeric order is Kafka's `(topic, partition)` order.
pub(super) struct Parts<'a> {
    names: Vec<&'a str>,
    base: Vec<usize>,
}

impl<'a> Parts<'a> {
    pub(super) fn new(topics: &'a BTreeMap<String, u32>, members: &[Member]) -> Parts<'a> {
        let mut names: Vec<&str> = topics
            .iter()
            .filter(|&(t, &n)| n > 0 && members.iter().any(|m| subscribes(m, t)))
            .map(|(t, _)| t.as_str())
            .collect();
        crate::sort::sort_by(&mut names, |a, b| java_cmp(a, b));
        let mut base = vec![0];
        base.extend(names.iter().scan(0, |sum, t| {
            *sum += topics[*t] as usize;
            Some(*sum)
        }));
        Parts { names, base }
    }

    fn total(&self) -> usize {
        self.base[self.names.len()]
    }

    fn topic_index(&self, name: &str) -> Option<usize> {
        self.names.binary_search_by(|t| java_cmp(t, name)).ok()
    }

    fn id(&self, tp: &TopicPartition) -> Option<usize> {
        self.topic_index(&tp.topic).map(|t| self.base[t] + tp.partition as usize)
    }

    fn topic_of(&self, p: usize) -> usize {
        self.base.partition_point(|&b| b <= p) - 1
    }

    fn partition_of(&self, p: usize) -> usize {
        p - self.base[self.topic_of(p)]
    }

    pub(super) fn tp(&self, p: usize) -> TopicPartition {
        TopicPartition::new(self.names[self.topic_of(p)], self.partition_of(p) as u32)
    }

    /// `TopicPartition.hashCode`.
    fn hash(&self, p: usize) -> i32 {
        let h = 31i32.wrapping_add(self.partition_of(p) as i32);
        h.wrapping_mul(31).wrapping_add(java_hash(self.names[self.topic_of(p)]))
    }
}

fn remove_first(list: &mut Vec<usize>, p: usize) {
    if let Some(i) = list.iter().position(|&x| x == p) {
        list.remove(i);
    }
}

fn kafka_throws(what: &str) -> String {
    format!("Kafka's sticky assignor throws on this input ({what}); no assignment")
}

/// `AbstractStickyAssignor.assignPartitions`, then (cooperative) `CooperativeStickyAssignor`'s
/// withholding of partitions that change owner. Returns each member's partitions, by index.
pub(super) fn sticky(cooperative: bool, parts: &Parts, members: &[Member]) -> Result<Vec<Vec<usize>>, String> {
    let n = members.len();
    if n == 0 {
        return Ok(vec![]);
    }
    // The group's subscriptions reach the assignor as a HashMap filled in JoinGroup order.
    let order = java_order(members.iter().map(|m| java_hash(&m.id)));
    let raw_owned: Vec<Vec<usize>> =
        members.iter().map(|m| m.owned.iter().filter_map(|tp| parts.id(tp)).collect()).collect();
    let generation = |c: usize| members[c].generation.unwrap_or(-1);

    // allSubscriptionsEqual: also settles partitions claimed by several members — the highest
    // generation keeps its claim; in a tie nobody does and the partition is "multiply owned".
    let (mut equal, mut first) = (true, BTreeSet::new());
    let (mut owned, mut claimed, mut multi) = (vec![vec![]; n], BTreeMap::new(), BTreeSet::new());
    let mut max_generation = -1;
    for &c in &order {
        let topics = &members[c].topics;
        if first.is_empty() {
            first.extend(topics.iter().map(String::as_str));
        } else if topics.len() != first.len() || !topics.iter().all(|t| first.contains(t.as_str())) {
            equal = false;
        }
        max_generation = max_generation.max(generation(c));
        for &p in &raw_owned[c] {
            match claimed.get(&p).copied() {
                None => owned[c].push(p),
                Some(o) if generation(c) > generation(o) => {
                    owned[c].push(p);
                    remove_first(&mut owned[o], p);
                }
                Some(o) if generation(c) == generation(o) => {
                    multi.insert(p);
                    remove_first(&mut owned[o], p);
                }
                Some(_) => continue,
            }
            claimed.insert(p, c);
        }
    }

    let (mut result, transferring) = if equal {
        constrained(parts, members, &order, owned, &multi)?
    } else {
        let mut prev = vec![None; parts.total()];
        for &c in &order {
            let g = match members[c].generation {
                Some(g) if g < max_generation => g,
                None if max_generation > -1 => -1,
                _ => continue,
            };
            for &p in &raw_owned[c] {
                if prev[p].is_none_or(|(_, pg)| g > pg) {
                    prev[p] = Some((c, g));
                }
            }
        }
        let result = General::new(parts, members, &order, owned).build(&prev)?;
        // CooperativeStickyAssignor.computePartitionsTransferringOwnership: added to one member
        // while another gives it up.
        let (mut added, mut revoked) = (BTreeMap::new(), BTreeSet::new());
        for c in (0..n).filter(|_| cooperative) {
            added.extend(result[c].iter().filter(|p| !raw_owned[c].contains(p)).map(|&p| (p, c)));
            revoked.extend(raw_owned[c].iter().filter(|p| !result[c].contains(p)).copied());
        }
        (result, added.into_iter().filter(|(p, _)| revoked.contains(p)).collect())
    };
    if cooperative {
        for (p, c) in transferring {
            remove_first(&mut result[c], p);
        }
    }
    Ok(result)
}

/// An assignment (partitions by member index) and the partitions transferring ownership.
type Built = (Vec<Vec<usize>>, Vec<(usize, usize)>);
