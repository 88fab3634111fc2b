//! Consumer-group partition assignors, with Kafka's results for the same members and
//! subscriptions — including Kafka's member order (`AbstractPartitionAssignor.MemberInfo`: members
//! with a `group.instance.id` first, ordered by it, then the others by member id, comparing strings
//! as Java does, by UTF-16 code units).
//!
//! - `range` (`RangeAssignor`, without racks): per topic, its subscribers in member order each take
//!   a contiguous range; the first `partitions % subscribers` take one extra.
//! - `roundrobin` (`RoundRobinAssignor`): every subscribed topic's partitions, topics in name order,
//!   dealt to the members in a circle, skipping members not subscribed to the partition's topic.
//! - `sticky` (`StickyAssignor`) and `cooperative-sticky` (`CooperativeStickyAssignor`): a port of
//!   `AbstractStickyAssignor` (apache/kafka trunk, `clients/…/consumer/internals/`; without racks).
//!   Balance first, then keep as many owned partitions as possible. Claims on one partition by
//!   several members are settled first: the highest generation keeps it, a tie voids every claim.
//!   If every member subscribes to the same topics, `ConstrainedAssignmentBuilder`: each keeps up
//!   to its quota of its owned partitions (sorted by partition, then topic; only
//!   `total % members` may keep the larger quota), then the rest, in topic/partition order, go
//!   round-robin to the members under the smaller quota (by member id), then to those at it.
//!   Otherwise `GeneralAssignmentBuilder`: keep owned partitions still subscribed, give each
//!   unassigned one to the least-loaded subscriber, then move partitions (back to a previous owner
//!   of an older generation first) until no move improves the balance. Kafka iterates Java hash
//!   maps (of member ids, and of moved partitions) where the order decides the result, so their
//!   iteration order is reproduced: the members reach the assignor in a `HashMap` filled in
//!   JoinGroup order, i.e. the order of `members`. `owned` and `generation` are what
//!   `StickyAssignor` decodes from its user data and what `CooperativeStickyAssignor` reads from
//!   the subscription's `ownedPartitions` and `generationId`.
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

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
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

// ---- The sticky assignors: a port of Kafka's `AbstractStickyAssignor` ----

/// Java's `String.hashCode` (UTF-16 code units, wrapping): the sticky assignors' hash-map order,
/// and where a group's offsets live (`cluster::offsets_partition_for`).
pub(super) fn java_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// A `java.util.HashMap`'s key order: Kafka's sticky assignors iterate hash maps, and their output
/// depends on that order. Buckets are the spread hash masked by the table size (16, doubling past
/// a load of 3/4, or when a bucket of a table under 64 reaches 9 keys); a bucket keeps insertion
/// order, and so does Java when it splits one on resize. (Java turns a bucket of 9+ keys in a
/// table of 64+ into a tree with an order of its own: not modelled, as it takes 9 colliding keys.)
struct JavaHashSet<K> {
    table: Vec<Vec<(u32, K)>>,
    len: usize,
}

impl<K: Copy + PartialEq> JavaHashSet<K> {
    fn new() -> Self {
        JavaHashSet { table: (0..16).map(|_| Vec::new()).collect(), len: 0 }
    }

    fn slot(&self, hash: i32) -> (u32, usize) {
        let h = hash as u32 ^ (hash as u32 >> 16);
        (h, h as usize & (self.table.len() - 1))
    }

    fn insert(&mut self, hash: i32, key: K) {
        let (h, b) = self.slot(hash);
        if self.table[b].iter().any(|e| e.1 == key) {
            return;
        }
        self.table[b].push((h, key));
        if self.table[b].len() > 8 && self.table.len() < 64 {
            self.grow();
        }
        self.len += 1;
        if self.len > self.table.len() / 4 * 3 {
            self.grow();
        }
    }

    fn remove(&mut self, hash: i32, key: K) {
        let b = self.slot(hash).1;
        if let Some(i) = self.table[b].iter().position(|e| e.1 == key) {
            self.table[b].remove(i);
            self.len -= 1;
        }
    }

    fn grow(&mut self) {
        let n = self.table.len() * 2;
        let old = std::mem::replace(&mut self.table, (0..n).map(|_| Vec::new()).collect());
        for (h, k) in old.into_iter().flatten() {
            self.table[h as usize & (n - 1)].push((h, k));
        }
    }

    fn iter(&self) -> impl Iterator<Item = K> + '_ {
        self.table.iter().flatten().map(|e| e.1)
    }
}

/// The order in which a `HashMap` filled with keys of these hashes (distinct keys) iterates them.
fn java_order(hashes: impl Iterator<Item = i32>) -> Vec<usize> {
    let mut set = JavaHashSet::new();
    hashes.enumerate().for_each(|(i, h)| set.insert(h, i));
    set.iter().collect()
}

/// The partitions a sticky assignor deals: those of the subscribed topics that exist (as
/// `AbstractPartitionAssignor.assign` collects them), numbered topic by topic in Java's name order,
/// so that numeric order is Kafka's `(topic, partition)` order.
struct Parts<'a> {
    names: Vec<&'a str>,
    base: Vec<usize>,
}

impl<'a> Parts<'a> {
    fn new(topics: &'a BTreeMap<String, u32>, members: &[Member]) -> Parts<'a> {
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

    fn tp(&self, p: usize) -> TopicPartition {
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
fn sticky(cooperative: bool, parts: &Parts, members: &[Member]) -> Result<Vec<Vec<usize>>, String> {
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

/// `ConstrainedAssignmentBuilder` (all members subscribe to the same topics), without racks.
fn constrained(
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

/// `GeneralAssignmentBuilder` (subscriptions differ), without racks.
struct General<'a> {
    parts: &'a Parts<'a>,
    members: &'a [Member],
    /// topic2AllPotentialConsumers and consumer2AllPotentialTopics (Kafka keeps duplicates).
    potential: Vec<Vec<usize>>,
    topics_of: Vec<Vec<usize>>,
    /// currentAssignment; `present` is false while a member sits out the balancing as "fixed".
    assignment: Vec<Vec<usize>>,
    present: Vec<bool>,
    /// currentPartitionConsumer.
    holder: Vec<Option<usize>>,
    /// sortedCurrentSubscriptions: (number of partitions, rank of the member id in Java order).
    sorted: BTreeSet<(usize, usize)>,
    rank: Vec<usize>,
    by_rank: Vec<usize>,
    /// PartitionMovements: partition → (from, to), and (topic, from, to) → partitions (a HashSet).
    moved: BTreeMap<usize, (usize, usize)>,
    movements: BTreeMap<(usize, usize, usize), JavaHashSet<usize>>,
}

impl<'a> General<'a> {
    fn new(parts: &'a Parts<'a>, members: &'a [Member], order: &[usize], owned: Vec<Vec<usize>>) -> Self {
        let n = members.len();
        let mut potential = vec![vec![]; parts.names.len()];
        let mut topics_of = vec![vec![]; n];
        for &c in order {
            for t in members[c].topics.iter().filter_map(|t| parts.topic_index(t)) {
                potential[t].push(c);
                topics_of[c].push(t);
            }
        }
        let mut holder = vec![None; parts.total()];
        for (c, ps) in owned.iter().enumerate() {
            ps.iter().for_each(|&p| holder[p] = Some(c));
        }
        let mut by_rank: Vec<usize> = (0..n).collect();
        crate::sort::sort_by(&mut by_rank, |&a, &b| java_cmp(&members[a].id, &members[b].id));
        let mut rank = vec![0; n];
        by_rank.iter().enumerate().for_each(|(r, &c)| rank[c] = r);
        General {
            parts,
            members,
            potential,
            topics_of,
            assignment: owned,
            present: vec![true; n],
            holder,
            sorted: BTreeSet::new(),
            rank,
            by_rank,
            moved: BTreeMap::new(),
            movements: BTreeMap::new(),
        }
    }

    fn key(&self, c: usize) -> (usize, usize) {
        (self.assignment[c].len(), self.rank[c])
    }

    fn len(&self, c: usize) -> Result<usize, String> {
        match self.present[c] {
            true => Ok(self.assignment[c].len()),
            false => Err(kafka_throws("NullPointerException: a previous owner sits out the balancing")),
        }
    }

    fn max_size(&self, c: usize) -> usize {
        let topics = &self.topics_of[c];
        match topics.len() == self.parts.names.len() {
            true => self.parts.total(),
            false => topics.iter().map(|&t| self.parts.base[t + 1] - self.parts.base[t]).sum(),
        }
    }

    fn partitions_of(&self, t: usize) -> std::ops::Range<usize> {
        self.parts.base[t]..self.parts.base[t + 1]
    }

    fn build(mut self, prev: &[Option<(usize, i32)>]) -> Result<Vec<Vec<usize>>, String> {
        let mut topics: Vec<usize> = (0..self.parts.names.len()).collect();
        crate::sort::sort_by_key(&mut topics, |&t| (self.potential[t].len(), t));
        let mut all: Vec<usize> = topics.iter().flat_map(|&t| self.partitions_of(t)).collect();
        // Keep the owned partitions of topics their owner still subscribes to.
        let mut assigned = vec![false; self.parts.total()];
        let mut revocation_required = false;
        for c in 0..self.members.len() {
            let (parts, member) = (self.parts, &self.members[c]);
            self.assignment[c].retain(|&p| {
                let keep = subscribes(member, parts.names[parts.topic_of(p)]);
                revocation_required |= !keep;
                assigned[p] |= keep;
                keep
            });
            self.sorted.insert(self.key(c));
        }
        let mut unassigned: Vec<usize> = all.iter().copied().filter(|&p| !assigned[p]).collect();

        // balance()
        let initializing = self.sorted.last().is_none_or(|&(size, _)| size == 0);
        for &p in &unassigned {
            let t = self.parts.topic_of(p);
            if let Some(c) = self.first_subscriber(t) {
                self.give(p, c);
            }
        }
        let fixed_topic = |t: usize| self.potential[t].len() < 2;
        let fixed: Vec<bool> = all.iter().map(|&p| fixed_topic(self.parts.topic_of(p))).collect();
        unassigned.retain(|&p| !fixed_topic(self.parts.topic_of(p)));
        let mut i = 0;
        all.retain(|_| (!fixed[i], i += 1).0);
        let mut fixed_members = vec![];
        for c in 0..self.members.len() {
            let size = self.assignment[c].len();
            let movable =
                size < self.max_size(c) || self.assignment[c].iter().any(|&p| !fixed_topic(self.parts.topic_of(p)));
            if !movable {
                self.sorted.remove(&self.key(c));
                self.present[c] = false;
                fixed_members.push(c);
            }
        }
        let (before, holder_before) = (self.assignment.clone(), self.holder.clone());
        if !revocation_required {
            self.reassign_all(&unassigned, prev)?;
        }
        let performed = self.reassign_all(&all, prev)?;
        if !initializing && performed && self.score(&self.assignment) >= self.score(&before) {
            self.assignment = before;
            self.holder = holder_before;
        }
        Ok(self.assignment)
    }

    /// The first member, fewest partitions first, that subscribes to topic `t`.
    fn first_subscriber(&self, t: usize) -> Option<usize> {
        self.sorted.iter().map(|&(_, r)| self.by_rank[r]).find(|&c| self.topics_of[c].contains(&t))
    }

    fn give(&mut self, p: usize, c: usize) {
        self.sorted.remove(&self.key(c));
        self.assignment[c].push(p);
        self.holder[p] = Some(c);
        self.sorted.insert(self.key(c));
    }

    /// getBalanceScore: the sum of |a - b| over all pairs of members still in the balancing, in
    /// Java's wrapping int arithmetic.
    fn score(&self, assignment: &[Vec<usize>]) -> i32 {
        let mut sizes: Vec<i64> =
            (0..assignment.len()).filter(|&c| self.present[c]).map(|c| assignment[c].len() as i64).collect();
        crate::sort::sort(&mut sizes);
        // Sorted, the i-th of n sizes is the larger one in i pairs and the smaller in n - 1 - i.
        let n = sizes.len() as i64;
        let terms = sizes.iter().enumerate().map(|(i, &s)| s.wrapping_mul(2 * i as i64 + 1 - n));
        terms.fold(0i64, i64::wrapping_add) as i32
    }

    fn holder(&self, p: usize) -> Result<usize, String> {
        self.holder[p].ok_or_else(|| kafka_throws("a partition without a consumer"))
    }

    /// isBalanced
    fn balanced(&self) -> Result<bool, String> {
        let (Some(&(min, _)), Some(&(max, _))) = (self.sorted.first(), self.sorted.last()) else {
            return Err(kafka_throws("NoSuchElementException: no member to balance"));
        };
        if min + 1 >= max {
            return Ok(true);
        }
        for &(count, r) in &self.sorted {
            let c = self.by_rank[r];
            if count == self.max_size(c) {
                continue;
            }
            for &t in &self.topics_of[c] {
                for p in self.partitions_of(t) {
                    let other = self.holder(p)?;
                    if other != c && count + 1 < self.len(other)? {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }

    /// performReassignments: moves partitions, in `list` order, while that improves the balance.
    fn reassign_all(&mut self, list: &[usize], prev: &[Option<(usize, i32)>]) -> Result<bool, String> {
        let mut performed = false;
        loop {
            let mut modified = false;
            for &p in list {
                if self.balanced()? {
                    break;
                }
                let c = self.holder(p)?;
                let size = self.len(c)?;
                let target = match prev[p] {
                    Some((pc, _)) if size > self.len(pc)? + 1 => Some(pc),
                    _ => {
                        let t = self.parts.topic_of(p);
                        let mut better = None;
                        for &o in &self.potential[t] {
                            if size > self.len(o)? + 1 {
                                better = Some(self.first_subscriber(t).ok_or_else(|| kafka_throws("no consumer"))?);
                                break;
                            }
                        }
                        better
                    }
                };
                if let Some(new) = target {
                    self.reassign(p, new)?;
                    (performed, modified) = (true, true);
                }
            }
            if !modified {
                return Ok(performed);
            }
        }
    }

    /// reassignPartition: moves `p` to `new` — or, if `new` earlier gave a partition of the same
    /// topic to `p`'s original owner, moves that one back instead.
    fn reassign(&mut self, p: usize, new: usize) -> Result<(), String> {
        let t = self.parts.topic_of(p);
        let old = self.moved.get(&p).map_or(self.holder(p)?, |m| m.0);
        let p = self.movements.get(&(t, new, old)).and_then(|set| set.iter().next()).unwrap_or(p);
        let old = self.holder(p)?;
        self.sorted.remove(&self.key(old));
        self.sorted.remove(&self.key(new));
        // movePartition
        let from = match self.moved.remove(&p) {
            Some((from, to)) => {
                let set = self.movements.get_mut(&(t, from, to)).expect("a recorded movement has its set");
                set.remove(self.parts.hash(p), p);
                if set.len == 0 {
                    self.movements.remove(&(t, from, to));
                }
                from
            }
            None => old,
        };
        if from != new {
            self.moved.insert(p, (from, new));
            self.movements.entry((t, from, new)).or_insert_with(JavaHashSet::new).insert(self.parts.hash(p), p);
        }
        remove_first(&mut self.assignment[old], p);
        self.assignment[new].push(p);
        self.holder[p] = Some(new);
        self.sorted.insert(self.key(new));
        self.sorted.insert(self.key(old));
        Ok(())
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
        let same =
            ["BBBBBBBB", "AaAaAaAa", "BBBBBB", "BBBBAa", "BBAaBB", "BBAaAa", "AaBBBB", "AaBBAa", "AaAaBB", "AaAaAa"];
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
}
