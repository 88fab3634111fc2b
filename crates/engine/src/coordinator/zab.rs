//! ZooKeeper's atomic broadcast (ZAB) as two pure pieces: one server's transaction log, and the
//! leader's count of acknowledgements.
//!
//! Every write gets a zxid, `(epoch << 32) | counter`, from the leader of `epoch`; followers log
//! proposals in zxid order and acknowledge them; the leader commits what a quorum has logged, always
//! a prefix of its log, so every server applies the same transactions in the same (zxid) order.
//! Acknowledgements are cumulative here (a follower that logged zxid z has everything before it,
//! since a leader sends its proposals in order over one connection).

use crate::vecmap::VecMap;

/// A transaction id: the leader epoch in the high 32 bits, a counter within the epoch below.
pub type Zxid = u64;

pub fn zxid(epoch: u32, counter: u32) -> Zxid {
    ((epoch as u64) << 32) | counter as u64
}

pub fn epoch_of(z: Zxid) -> u32 {
    (z >> 32) as u32
}

pub fn counter_of(z: Zxid) -> u32 {
    z as u32
}

/// The smallest quorum of an ensemble of `servers`: a strict majority.
pub fn quorum(servers: usize) -> usize {
    servers / 2 + 1
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Txn<T> {
    pub zxid: Zxid,
    pub op: T,
}

/// One server's log: proposals it accepted, in zxid order; a prefix of them is committed (and
/// applied to its tree). Kept on disk in ZooKeeper, so it survives a crash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log<T> {
    entries: Vec<Txn<T>>,
    committed: usize,
}

impl<T> Default for Log<T> {
    fn default() -> Self {
        Log { entries: Vec::new(), committed: 0 }
    }
}

impl<T: Clone> Log<T> {
    pub fn entries(&self) -> &[Txn<T>] {
        &self.entries
    }
    /// The committed prefix, in zxid order.
    pub fn committed(&self) -> &[Txn<T>] {
        &self.entries[..self.committed]
    }
    pub fn last_zxid(&self) -> Zxid {
        self.entries.last().map_or(0, |t| t.zxid)
    }
    pub fn committed_zxid(&self) -> Zxid {
        self.committed().last().map_or(0, |t| t.zxid)
    }

    /// Logs a proposal. Refused (false, nothing logged) unless it comes after the last entry.
    pub fn append(&mut self, txn: Txn<T>) -> bool {
        if txn.zxid <= self.last_zxid() {
            return false;
        }
        self.entries.push(txn);
        true
    }

    /// Commits every logged entry up to `upto`; returns those newly committed, in zxid order (to
    /// apply to the tree).
    pub fn commit_to(&mut self, upto: Zxid) -> &[Txn<T>] {
        let start = self.committed;
        let end = start + self.entries[start..].iter().take_while(|t| t.zxid <= upto).count();
        self.committed = end;
        &self.entries[start..end]
    }

    /// What a follower whose log ends at `theirs` must do to match this log (ZooKeeper's
    /// TRUNC + DIFF): truncate to the returned zxid, then append the returned entries.
    pub fn diff_for(&self, theirs: Zxid) -> (Zxid, Vec<Txn<T>>) {
        let keep = self.entries.partition_point(|t| t.zxid <= theirs);
        let trunc = if keep == 0 { 0 } else { self.entries[keep - 1].zxid };
        (trunc, self.entries[keep..].to_vec())
    }

    /// Drops the entries after `zxid`. Committed entries are never dropped: false (and nothing
    /// dropped) if that would be needed, which means this log diverged from a leader's committed
    /// history, a broken invariant the caller answers by leaving the ensemble.
    pub fn truncate_to(&mut self, zxid: Zxid) -> bool {
        if zxid < self.committed_zxid() {
            return false;
        }
        let keep = self.entries.partition_point(|t| t.zxid <= zxid);
        self.entries.truncate(keep);
        true
    }
}

/// The leader's view of what each synced server has logged; the commit point is the highest zxid
/// a quorum (the leader included) has logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acks {
    servers: usize,
    logged: VecMap<u8, Zxid>,
}

impl Acks {
    pub fn new(servers: usize) -> Acks {
        Acks { servers, logged: VecMap::new() }
    }
    /// `server` has logged everything up to `zxid` (acknowledgements never go backwards).
    pub fn ack(&mut self, server: u8, zxid: Zxid) {
        let z = self.logged.get_or_insert_with(server, || 0);
        *z = (*z).max(zxid);
    }
    /// `server` left (unreachable, or re-syncing): its acknowledgements no longer count.
    pub fn forget(&mut self, server: u8) {
        self.logged.remove(&server);
    }
    pub fn counted(&self) -> usize {
        self.logged.len()
    }
    /// The highest zxid logged by a quorum, if a quorum is counted at all.
    pub fn commit_point(&self) -> Option<Zxid> {
        let q = quorum(self.servers);
        let mut zs: Vec<Zxid> = self.logged.values().copied().collect();
        if zs.len() < q {
            return None;
        }
        crate::sort::sort_by(&mut zs, |a, b| b.cmp(a));
        Some(zs[q - 1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(zxids: &[Zxid]) -> Log<&'static str> {
        let mut l = Log::default();
        for &z in zxids {
            assert!(l.append(Txn { zxid: z, op: "w" }));
        }
        l
    }

    #[test]
    fn a_write_commits_only_once_a_quorum_has_logged_it() {
        let mut acks = Acks::new(3);
        acks.ack(1, zxid(1, 1)); // the leader logs its proposal
        assert_eq!(acks.commit_point(), None, "one server of three is no quorum");
        acks.ack(2, 0);
        assert_eq!(acks.commit_point(), Some(0), "a follower that has not logged it holds it back");
        acks.ack(2, zxid(1, 1));
        assert_eq!(acks.commit_point(), Some(zxid(1, 1)));
        // Five servers: three must have it.
        let mut acks = Acks::new(5);
        for (s, z) in [(1, 3), (2, 3), (3, 1), (4, 2)] {
            acks.ack(s, zxid(1, z));
        }
        assert_eq!(acks.commit_point(), Some(zxid(1, 2)));
        acks.forget(4);
        assert_eq!(acks.commit_point(), Some(zxid(1, 1)));
    }

    #[test]
    fn commits_apply_in_zxid_order_and_never_skip() {
        let mut l = log(&[zxid(1, 1), zxid(1, 2), zxid(1, 3)]);
        assert!(!l.append(Txn { zxid: zxid(1, 2), op: "late" }), "a zxid never goes backwards");
        let applied: Vec<Zxid> = l.commit_to(zxid(1, 2)).iter().map(|t| t.zxid).collect();
        assert_eq!(applied, vec![zxid(1, 1), zxid(1, 2)]);
        assert!(l.commit_to(zxid(1, 1)).is_empty(), "nothing is applied twice");
        let applied: Vec<Zxid> = l.commit_to(zxid(9, 9)).iter().map(|t| t.zxid).collect();
        assert_eq!(applied, vec![zxid(1, 3)], "a commit beyond the log commits what is logged");
        assert_eq!(l.committed_zxid(), zxid(1, 3));
    }

    #[test]
    fn sync_truncates_an_uncommitted_tail_then_sends_the_difference() {
        // The old leader of epoch 1 logged (1,3) alone and died; the new leader of epoch 2 never had it.
        let leader = log(&[zxid(1, 1), zxid(1, 2), zxid(2, 1)]);
        let mut old = log(&[zxid(1, 1), zxid(1, 2), zxid(1, 3)]);
        old.commit_to(zxid(1, 2));
        let (trunc, missing) = leader.diff_for(old.last_zxid());
        assert_eq!(trunc, zxid(1, 2));
        assert!(old.truncate_to(trunc));
        for t in missing {
            assert!(old.append(t));
        }
        assert_eq!(old.entries(), leader.entries());
        // A committed entry is never truncated away.
        let mut l = log(&[zxid(1, 1), zxid(1, 2)]);
        l.commit_to(zxid(1, 2));
        assert!(!l.truncate_to(zxid(1, 1)));
        assert_eq!(l.last_zxid(), zxid(1, 2));
        assert_eq!(log(&[]).diff_for(0), (0, vec![]));
    }
}
