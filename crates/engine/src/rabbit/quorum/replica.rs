//! A quorum queue's replicated state, as every member of its Raft group applies the committed log:
//! the messages not yet settled, in the order they were enqueued, each with its delivery count and
//! whether a consumer holds it. The leader's broker serves the queue (dispatch, prefetch, acks);
//! each change it makes to a message is appended to the log as a `Cmd::Sync`, so that a member
//! that becomes leader rebuilds the same queue from its replica (`rabbit_fifo` keeps consumers and
//! checked-out messages in its state for the same reason).

use crate::rabbit::msg::Message;

/// Where a message of the queue stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    /// Ready, returned `count` times.
    Ready(u32),
    /// Delivered to a consumer that has not settled it yet.
    Out(u32),
    /// Settled: acked, dead-lettered or dropped.
    Gone,
}

/// A command of a quorum queue's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cmd {
    /// basic.publish reached the queue through node `origin` (a member index) in its `epoch`th
    /// run, which numbered it `token` (from 1): applied once and in token order per enqueuer, as
    /// `rabbit_fifo` does with an enqueuer's sequence numbers (a resend is a duplicate, one ahead
    /// of a gap waits for it).
    Enqueue { origin: u8, epoch: u32, token: u64, msg: Message },
    /// The leader changed where messages stand.
    Sync(Vec<(u64, Held)>),
}

/// One enqueuer (a node in one of its runs): the next token it applies, and those that came early.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Enqueuer {
    origin: u8,
    epoch: u32,
    next: u64,
    early: Vec<(u64, Message)>,
}

/// What applying an Enqueue did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// Appended to the queue, with those it let through: (token, message), in order.
    Fresh(Vec<(u64, Message)>),
    /// Already applied: a resend.
    Duplicate,
    /// Ahead of a token not applied yet: held until it is.
    Early,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replica {
    /// (message id, message, where it stands), in enqueue order.
    pub messages: Vec<(u64, Message, Held)>,
    enqueuers: Vec<Enqueuer>,
}

impl Replica {
    pub fn new() -> Replica {
        Replica::default()
    }

    /// Applies a committed Enqueue.
    pub fn enqueue(&mut self, origin: u8, epoch: u32, token: u64, msg: &Message) -> Applied {
        let e = match self.enqueuers.iter().position(|e| e.origin == origin && e.epoch == epoch) {
            Some(i) => &mut self.enqueuers[i],
            None => {
                self.enqueuers.push(Enqueuer { origin, epoch, next: 1, early: Vec::new() });
                self.enqueuers.last_mut().expect("just pushed")
            }
        };
        if token < e.next || e.early.iter().any(|x| x.0 == token) {
            return Applied::Duplicate;
        }
        if token > e.next {
            e.early.push((token, msg.clone()));
            return Applied::Early;
        }
        let mut fresh = vec![(token, msg.clone())];
        e.next += 1;
        while let Some(i) = e.early.iter().position(|x| x.0 == e.next) {
            fresh.push(e.early.remove(i));
            e.next += 1;
        }
        self.messages.extend(fresh.iter().map(|(_, m)| (m.id, m.clone(), Held::Ready(0))));
        Applied::Fresh(fresh)
    }

    /// Applies a committed Sync.
    pub fn apply(&mut self, cmd: &Cmd) {
        match cmd {
            Cmd::Enqueue { origin, epoch, token, msg } => {
                self.enqueue(*origin, *epoch, *token, msg);
            }
            Cmd::Sync(changes) => {
                for &(id, held) in changes {
                    if let Some(i) = self.messages.iter().position(|m| m.0 == id) {
                        match held {
                            Held::Gone => {
                                self.messages.remove(i);
                            }
                            h => self.messages[i].2 = h,
                        }
                    }
                }
            }
        }
    }

    pub fn ready(&self) -> usize {
        self.messages.iter().filter(|m| matches!(m.2, Held::Ready(_))).count()
    }

    /// The changes from `before` (what the log says) to `now` (what the leader's broker holds):
    /// `now` lists every message the queue still has.
    pub fn diff(before: &[(u64, Held)], now: &[(u64, Held)]) -> Vec<(u64, Held)> {
        let mut out: Vec<(u64, Held)> = now.iter().filter(|m| !before.contains(m)).copied().collect();
        out.extend(before.iter().filter(|(id, _)| !now.iter().any(|n| n.0 == *id)).map(|(id, _)| (*id, Held::Gone)));
        out
    }

    pub fn state(&self) -> Vec<(u64, Held)> {
        self.messages.iter().map(|m| (m.0, m.2)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: u64) -> Message {
        Message::sample(id, 10)
    }

    #[test]
    fn a_resent_enqueue_is_applied_once_and_syncs_move_messages() {
        let mut r = Replica::new();
        assert!(matches!(r.enqueue(1, 0, 1, &msg(10)), Applied::Fresh(_)));
        assert_eq!(r.enqueue(1, 0, 1, &msg(10)), Applied::Duplicate, "a resend after a leader change");
        assert!(matches!(r.enqueue(2, 0, 1, &msg(20)), Applied::Fresh(_)));
        r.apply(&Cmd::Sync(vec![(10, Held::Out(0))]));
        assert_eq!(r.state(), [(10, Held::Out(0)), (20, Held::Ready(0))]);
        r.apply(&Cmd::Sync(vec![(10, Held::Gone)]));
        assert_eq!(r.state(), [(20, Held::Ready(0))]);
    }

    #[test]
    fn an_enqueue_ahead_of_a_gap_waits_for_it() {
        let mut r = Replica::new();
        assert_eq!(r.enqueue(1, 0, 2, &msg(2)), Applied::Early, "token 1 was lost on a cut link");
        match r.enqueue(1, 0, 1, &msg(1)) {
            Applied::Fresh(f) => assert_eq!(f.iter().map(|x| x.0).collect::<Vec<_>>(), [1, 2]),
            other => panic!("{other:?}"),
        }
        assert_eq!(r.state(), [(1, Held::Ready(0)), (2, Held::Ready(0))], "in token order");
        assert!(matches!(r.enqueue(1, 1, 1, &msg(3)), Applied::Fresh(_)), "the node's next run starts again");
    }

    #[test]
    fn the_diff_names_what_changed_and_what_is_gone() {
        let before = [(1, Held::Ready(0)), (2, Held::Out(0)), (3, Held::Ready(0))];
        let now = [(2, Held::Ready(1)), (3, Held::Ready(0))];
        assert_eq!(Replica::diff(&before, &now), [(2, Held::Ready(1)), (1, Held::Gone)]);
    }
}
