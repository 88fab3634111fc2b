//! ZooKeeper's fast leader election, as a pure tally: each looking server votes for the most
//! up-to-date server it has heard of — highest `(epoch, last zxid, server id)` — and broadcasts its
//! vote whenever it changes; an election round ends for a server when a quorum votes as it does.
//! Servers already following a leader answer with that leader, so a restarted server joins it.

use super::zab::{quorum, Zxid};
use crate::vecmap::VecMap;

/// A vote for `server`, which has accepted `epoch` and logged up to `zxid`. Compared field by field
/// in this order, as `FastLeaderElection.totalOrderPredicate` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Vote {
    pub epoch: u32,
    pub zxid: Zxid,
    pub server: u8,
}

/// What a looking server should do after a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard {
    /// Its vote changed (or it moved to a newer round): broadcast it.
    Changed,
    /// Nothing new.
    Same,
    /// The sender is in an older round: send it our vote so it catches up.
    Stale,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Election {
    pub round: u64,
    pub vote: Vote,
    /// The last vote of each server in this round (this server's own included).
    votes: VecMap<u8, Vote>,
}

impl Election {
    /// Starts (or restarts) looking, voting for itself.
    pub fn start(own: Vote, round: u64) -> Election {
        let mut votes = VecMap::new();
        votes.insert(own.server, own);
        Election { round, vote: own, votes }
    }

    /// A notification from a looking server `from`; `own` is this server's own credentials.
    pub fn hear(&mut self, from: u8, round: u64, vote: Vote, own: Vote) -> Heard {
        if round < self.round {
            return Heard::Stale;
        }
        let mut changed = false;
        if round > self.round {
            // A newer round: start over in it, with the better of our own and the sender's vote.
            self.round = round;
            self.votes.clear();
            self.vote = own.max(vote);
            changed = true;
        } else if vote > self.vote {
            self.vote = vote;
            changed = true;
        }
        self.votes.insert(from, vote);
        self.votes.insert(own.server, self.vote);
        if changed {
            Heard::Changed
        } else {
            Heard::Same
        }
    }

    /// The leader, once a quorum of the ensemble's `servers` votes as this server does.
    pub fn decided(&self, servers: usize) -> Option<u8> {
        let agree = self.votes.values().filter(|v| v.server == self.vote.server).count();
        (agree >= quorum(servers)).then_some(self.vote.server)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coordinator::zab::zxid;

    fn vote(server: u8, epoch: u32, counter: u32) -> Vote {
        Vote { epoch, zxid: zxid(epoch, counter), server }
    }

    /// Delivers every server's current vote to every other until nothing changes; returns what each
    /// decided.
    fn run(own: &[Vote], alive: &[bool]) -> Vec<Option<u8>> {
        let n = own.len();
        let mut e: Vec<Election> = own.iter().map(|&v| Election::start(v, 1)).collect();
        loop {
            let mut changed = false;
            for from in 0..n {
                for to in 0..n {
                    if from != to && alive[from] && alive[to] {
                        let (round, v) = (e[from].round, e[from].vote);
                        changed |= e[to].hear(own[from].server, round, v, own[to]) == Heard::Changed;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        (0..n).map(|i| if alive[i] { e[i].decided(n) } else { None }).collect()
    }

    #[test]
    fn the_most_up_to_date_server_wins() {
        // Fresh ensemble: all equal, the highest id wins (as in ZooKeeper).
        let fresh = [vote(1, 0, 0), vote(2, 0, 0), vote(3, 0, 0)];
        assert_eq!(run(&fresh, &[true; 3]), vec![Some(3); 3]);
        // zk1 logged more of epoch 2 than the others: it wins despite its lower id.
        let ahead = [vote(1, 2, 7), vote(2, 2, 5), vote(3, 2, 6)];
        assert_eq!(run(&ahead, &[true; 3]), vec![Some(1); 3]);
        // A higher epoch beats a longer log of an older one.
        let epochs = [vote(1, 1, 90), vote(2, 3, 1), vote(3, 2, 50), vote(4, 1, 2), vote(5, 2, 2)];
        assert_eq!(run(&epochs, &[true; 5]), vec![Some(2); 5]);
    }

    #[test]
    fn no_quorum_no_leader() {
        let own = [vote(1, 1, 1), vote(2, 1, 2), vote(3, 1, 3)];
        assert_eq!(run(&own, &[true, false, false]), vec![None, None, None]);
        // Two of three decide; the best server among them wins, not the dead one.
        assert_eq!(run(&own, &[true, true, false]), vec![Some(2), Some(2), None]);
    }

    #[test]
    fn older_rounds_are_answered_and_newer_ones_restart_the_tally() {
        let mut e = Election::start(vote(1, 1, 1), 4);
        assert_eq!(e.hear(2, 3, vote(2, 1, 9), vote(1, 1, 1)), Heard::Stale);
        assert_eq!(e.hear(2, 5, vote(2, 1, 0), vote(1, 1, 1)), Heard::Changed);
        assert_eq!((e.round, e.vote), (5, vote(1, 1, 1)), "a newer round keeps the better vote");
        assert_eq!(e.decided(3), None, "one vote of three for zk1 is not a quorum");
    }
}
