//! A leader's parked consumer fetches: Kafka's fetch purgatory (`DelayedFetch` in
//! `ReplicaManager`; a follower's fetch waits in its fetch session, `fetch_session`).
//!
//! A consumer's fetch covers every partition it reads at this broker; one that finds nothing to
//! return on any of them waits up to `fetch.max.wait.ms` for data (`fetch.min.bytes` is 1). Each
//! parked fetch is completed **exactly once**: by new data (or a new HW) or a change of leadership
//! on one of its partitions, or by its own timeout — whichever comes first — and the others then
//! find it gone. Its timer names it by id, so a timer that outlives its fetch completes nothing (a
//! timer that woke every fetch on the partition made each stale timer answer the fresh fetches
//! early, and the fetch loops multiplied over a long run).
//!
//! A consumer has at most one fetch waiting here: a new fetch from the same node replaces an
//! older one it gave up on (its answer would be ignored: the consumer has moved to a new
//! generation).

use super::msg::Tp;
use super::request::FetchPart;
use crate::NodeId;

/// A fetch waiting for data, as the leader received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parked {
    /// Every partition it reads here with its position; `read_committed`: it reads up to the
    /// last stable offset; `rack`: its `client.rack`.
    Consumer {
        from: NodeId,
        parts: Vec<FetchPart>,
        generation: u64,
        read_committed: bool,
        rack: Option<super::rack::RackId>,
    },
}

impl Parked {
    /// The node that sent the fetch.
    pub fn from(&self) -> NodeId {
        match *self {
            Parked::Consumer { from, .. } => from,
        }
    }

    /// Whether it reads `tp`.
    pub fn covers(&self, tp: Tp) -> bool {
        match self {
            Parked::Consumer { parts, .. } => parts.iter().any(|p| p.tp == tp),
        }
    }
}

#[derive(Clone, Debug)]
struct Waiting {
    id: u32,
    fetch: Parked,
}

#[derive(Clone, Debug, Default)]
pub struct Purgatory {
    next_id: u32,
    /// In the order they were parked.
    waiting: Vec<Waiting>,
}

impl Purgatory {
    /// Parks `fetch` and returns its id, for the timer that expires it. A fetch from the same
    /// node already waiting is dropped.
    pub fn park(&mut self, fetch: Parked) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        let id = self.next_id;
        self.waiting.retain(|w| w.fetch.from() != fetch.from());
        self.waiting.push(Waiting { id, fetch });
        id
    }

    /// The fetch whose timer fired, if it is still waiting (not completed earlier).
    pub fn expire(&mut self, id: u32) -> Option<Parked> {
        let at = self.waiting.iter().position(|w| w.id == id)?;
        Some(self.waiting.remove(at).fetch)
    }

    /// Takes every fetch that reads `tp`, with its id, in the order they were parked (to be
    /// completed, or put back with `put_back` if there is still nothing for it).
    pub fn take_covering(&mut self, tp: Tp) -> Vec<(u32, Parked)> {
        if !self.waiting.iter().any(|w| w.fetch.covers(tp)) {
            return Vec::new();
        }
        let (ready, keep): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.waiting).into_iter().partition(|w| w.fetch.covers(tp));
        self.waiting = keep;
        ready.into_iter().map(|w| (w.id, w.fetch)).collect()
    }

    /// A fetch taken by `take_covering` that still has nothing to send waits on, under its id
    /// (its timer is still set).
    pub fn put_back(&mut self, id: u32, fetch: Parked) {
        self.waiting.push(Waiting { id, fetch });
    }

    pub fn clear(&mut self) {
        self.waiting.clear();
    }

    /// How many fetches are waiting.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// The most fetches one node has waiting (the invariant: at most 1).
    pub fn most_per_fetcher(&self) -> usize {
        let count = |from: NodeId| self.waiting.iter().filter(|o| o.fetch.from() == from).count();
        self.waiting.iter().map(|w| count(w.fetch.from())).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TP: Tp = Tp { topic: 0, partition: 1 };
    const OTHER: Tp = Tp { topic: 0, partition: 2 };

    fn part(tp: Tp) -> FetchPart {
        FetchPart { tp, offset: 0, to_follower: false }
    }

    fn consumer(from: u32, generation: u64) -> Parked {
        Parked::Consumer { from: NodeId(from), parts: vec![part(TP)], generation, read_committed: false, rack: None }
    }

    #[test]
    fn a_fetch_completes_once_by_data_or_by_its_own_timer() {
        let mut p = Purgatory::default();
        let a = p.park(consumer(1, 1));
        // New data completes it...
        assert_eq!(p.take_covering(TP), vec![(a, consumer(1, 1))]);
        // ...so its timer finds nothing, even though the consumer has parked a new fetch since.
        let b = p.park(consumer(1, 2));
        assert_eq!(p.expire(a), None);
        assert_eq!(p.len(), 1);
        // The new fetch's own timer completes it.
        assert_eq!(p.expire(b), Some(consumer(1, 2)));
        assert!(p.is_empty());
    }

    #[test]
    fn a_new_fetch_from_the_same_node_replaces_the_old_one() {
        let mut p = Purgatory::default();
        p.park(consumer(1, 1));
        p.park(consumer(2, 1));
        p.park(consumer(1, 2));
        assert_eq!(p.len(), 2);
        assert_eq!(p.most_per_fetcher(), 1);
        let taken: Vec<Parked> = p.take_covering(TP).into_iter().map(|w| w.1).collect();
        assert_eq!(taken, vec![consumer(2, 1), consumer(1, 2)]);
    }

    #[test]
    fn only_the_fetches_reading_a_partition_are_taken_for_it_and_one_put_back_keeps_its_id() {
        let mut p = Purgatory::default();
        let a = p.park(consumer(1, 1));
        let parts = vec![FetchPart { offset: 5, ..part(OTHER) }];
        let other = Parked::Consumer { from: NodeId(2), parts, generation: 1, read_committed: false, rack: None };
        p.park(other.clone());
        let taken = p.take_covering(TP);
        assert_eq!(taken, vec![(a, consumer(1, 1))]);
        assert_eq!(p.len(), 1, "the fetch of another partition waits on");
        p.put_back(a, consumer(1, 1));
        assert_eq!(p.expire(a), Some(consumer(1, 1)), "its timer still completes it");
    }
}
