//! `GeneralAssignmentBuilder`: the sticky assignors when subscriptions differ. Keeps what members
//! own, gives the rest to the least loaded, then moves partitions while that improves the balance
//! (Kafka's `PartitionMovements`, iterated in Java's hash order).

use super::{kafka_throws, remove_first, Parts};
use crate::kafka::assignor::java::{java_cmp, JavaHashSet};
use crate::kafka::assignor::{subscribes, Member};
use std::collections::{BTreeMap, BTreeSet};

/// `GeneralAssignmentBuilder` (subscriptions differ), without racks.
pub(super) struct General<'a> {
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
    pub(super) fn new(parts: &'a Parts<'a>, members: &'a [Member], order: &[usize], owned: Vec<Vec<usize>>) -> Self {
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

    pub(super) fn build(mut self, prev: &[Option<(usize, i32)>]) -> Result<Vec<Vec<usize>>, String> {
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
