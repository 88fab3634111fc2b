//! A leader's parked consumer fetches: Kafka's fetch purgatory (`DelayedFetch` in
//! `ReplicaManager`; a follower's fetch waits in its fetch session, `fetch_session`).
//!
//! A consumer's fetch that finds nothing to return waits up to `fetch.max.wait.ms` for data. Each parked fetch is completed
//! **exactly once**: by new data (or a new HW), by its own timeout, or by a change of leadership —
//! whichever comes first — and the others then find it gone. Its timer names it by id, so a timer
//! that outlives its fetch completes nothing (a timer that woke every fetch on the partition made
//! each stale timer answer the fresh fetches early, and the fetch loops multiplied over a long run).
//!
//! A fetcher has at most one fetch waiting per partition: a new fetch from the same node replaces an
//! older one it gave up on (its answer would be ignored: the fetcher has moved to a new generation).

use super::msg::Tp;
use crate::vecmap::VecMap;
use crate::NodeId;

/// A fetch waiting for data, as the leader received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parked {
    /// `read_committed`: it reads up to the last stable offset; `rack`: its `client.rack`;
    /// `to_follower`: sent to a preferred read replica.
    Consumer {
        from: NodeId,
        offset: u64,
        generation: u64,
        read_committed: bool,
        rack: Option<super::rack::RackId>,
        to_follower: bool,
    },
}

impl Parked {
    /// The node that sent the fetch (a follower broker or a consumer).
    pub fn from(&self) -> NodeId {
        match *self {
            Parked::Consumer { from, .. } => from,
        }
    }
}

/// Parked fetch ids fit in the low 24 bits of a timer word (beside the partition); they wrap,
/// and are unique among the fetches waiting at once on one partition.
pub const ID_MASK: u32 = 0xff_ffff;

#[derive(Clone, Debug)]
struct Waiting {
    id: u32,
    fetch: Parked,
}

#[derive(Clone, Debug, Default)]
pub struct Purgatory {
    next_id: u32,
    waiting: VecMap<Tp, Vec<Waiting>>,
}

impl Purgatory {
    /// Parks `fetch` on `tp` and returns its id, for the timer that expires it. A fetch from the
    /// same node already waiting on `tp` is dropped.
    pub fn park(&mut self, tp: Tp, fetch: Parked) -> u32 {
        self.next_id = (self.next_id + 1) & ID_MASK;
        let id = self.next_id;
        let list = self.waiting.get_or_insert_with(tp, Vec::new);
        list.retain(|w| w.fetch.from() != fetch.from());
        list.push(Waiting { id, fetch });
        id
    }

    /// The fetch whose timer fired, if it is still waiting (not completed earlier).
    pub fn expire(&mut self, tp: Tp, id: u32) -> Option<Parked> {
        let list = self.waiting.get_mut(&tp)?;
        let at = list.iter().position(|w| w.id == id)?;
        let w = list.remove(at);
        if list.is_empty() {
            self.waiting.remove(&tp);
        }
        Some(w.fetch)
    }

    /// Takes every fetch on `tp` that `pick` selects, in the order they were parked.
    pub fn take(&mut self, tp: Tp, pick: impl Fn(&Parked) -> bool) -> Vec<Parked> {
        let Some(list) = self.waiting.remove(&tp) else { return Vec::new() };
        let (ready, keep): (Vec<_>, Vec<_>) = list.into_iter().partition(|w| pick(&w.fetch));
        if !keep.is_empty() {
            self.waiting.insert(tp, keep);
        }
        ready.into_iter().map(|w| w.fetch).collect()
    }

    pub fn clear(&mut self) {
        self.waiting.clear();
    }

    /// How many fetches are waiting, over all partitions.
    pub fn len(&self) -> usize {
        self.waiting.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// The most fetches one node has waiting on one partition (the invariant: at most 1).
    pub fn most_per_fetcher(&self) -> usize {
        let mut most = 0;
        for list in self.waiting.values() {
            for w in list {
                most = most.max(list.iter().filter(|o| o.fetch.from() == w.fetch.from()).count());
            }
        }
        most
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TP: Tp = Tp { topic: 0, partition: 1 };

    fn consumer(from: u32, generation: u64) -> Parked {
        Parked::Consumer {
            from: NodeId(from),
            offset: 0,
            generation,
            read_committed: false,
            rack: None,
            to_follower: false,
        }
    }

    #[test]
    fn a_fetch_completes_once_by_data_or_by_its_own_timer() {
        let mut p = Purgatory::default();
        let a = p.park(TP, consumer(1, 1));
        // New data completes it...
        assert_eq!(p.take(TP, |_| true), vec![consumer(1, 1)]);
        // ...so its timer finds nothing, even though the consumer has parked a new fetch since.
        let b = p.park(TP, consumer(1, 2));
        assert_eq!(p.expire(TP, a), None);
        assert_eq!(p.len(), 1);
        // The new fetch's own timer completes it.
        assert_eq!(p.expire(TP, b), Some(consumer(1, 2)));
        assert!(p.is_empty());
    }

    #[test]
    fn a_new_fetch_from_the_same_node_replaces_the_old_one() {
        let mut p = Purgatory::default();
        p.park(TP, consumer(1, 1));
        p.park(TP, consumer(2, 1));
        p.park(TP, consumer(1, 2));
        assert_eq!(p.len(), 2);
        assert_eq!(p.most_per_fetcher(), 1);
        assert_eq!(p.take(TP, |f| f.from() == NodeId(1)), vec![consumer(1, 2)]);
        assert_eq!(p.take(TP, |_| true), vec![consumer(2, 1)]);
    }

    #[test]
    fn ids_wrap_within_the_timer_bits() {
        let mut p = Purgatory { next_id: ID_MASK - 1, ..Default::default() };
        assert_eq!(p.park(TP, consumer(1, 1)), ID_MASK);
        assert_eq!(p.park(TP, consumer(2, 1)), 0);
        assert_eq!(p.expire(TP, ID_MASK), Some(consumer(1, 1)));
    }
}
