//! A broker restart: on a crash, what survives on disk (durable queues with their persistent
//! messages, durable exchanges, the bindings between what survives); when the node is back, the
//! report of what was kept and lost.

use super::Broker;
use crate::rabbit::event::{Gone, RabbitEvent};
use crate::rabbit::msg::Dest;
use crate::time::Time;

/// What a restart did to a queue, reported when the node is back.
#[derive(Clone, Copy, Debug)]
pub(super) struct Restarted {
    queue: u16,
    kept: u32,
    lost: u32,
    deleted: bool,
}

impl Broker {
    /// The node stops: what is in memory is gone. Durable queues keep their persistent messages,
    /// including those delivered but not acknowledged (they come back as redelivered); transient and
    /// exclusive queues, transient exchanges and the bindings to what is gone are lost.
    pub fn crash(&mut self) {
        let mut lost = vec![0u32; self.queues.len()];
        for (_, ch) in std::mem::take(&mut self.channels).iter() {
            for u in &ch.unacked {
                match self.queues.get_mut(u.queue as usize).and_then(Option::as_mut) {
                    // A stream keeps every message; its readers are gone.
                    Some(q) if q.is_stream() => {}
                    // A quorum queue keeps every message (its Raft log is on disk) and returns what
                    // the dead channels held.
                    Some(q) if q.is_quorum() => {
                        if q.quorum_return(u.entry.clone(), false).is_err() {
                            lost[u.queue as usize] += 1;
                        }
                    }
                    Some(q) if q.decl.durable && u.entry.msg.props.persistent => {
                        let mut e = u.entry.clone();
                        e.redelivered = true;
                        q.insert(e);
                    }
                    _ => lost[u.queue as usize] += 1,
                }
            }
        }
        self.restarted.clear();
        for (i, slot) in self.queues.iter_mut().enumerate() {
            let Some(q) = slot else { continue };
            let queue = i as u16;
            if !q.decl.durable || q.decl.exclusive {
                self.restarted.push(Restarted { queue, kept: 0, lost: q.ready() + lost[i], deleted: true });
                *slot = None;
                continue;
            }
            let quorum = q.is_quorum();
            let dropped = q.retain(|e| quorum || e.msg.props.persistent);
            q.consumers.clear();
            (q.next_consumer, q.ttl_timer, q.expires_timer) = (0, None, None);
            let kept = match q.stream.as_mut() {
                Some(log) => {
                    log.readers.clear();
                    log.len() as u32
                }
                None => q.ready(),
            };
            self.restarted.push(Restarted { queue, kept, lost: dropped + lost[i], deleted: false });
        }
        for slot in &mut self.exchanges {
            if slot.as_ref().is_some_and(|x| !x.decl.durable) {
                *slot = None;
            }
        }
        let queue_alive: Vec<bool> = self.queues.iter().map(Option::is_some).collect();
        let exchange_alive: Vec<bool> = self.exchanges.iter().map(Option::is_some).collect();
        for x in self.exchanges.iter_mut().flatten() {
            x.bindings.retain(|b| match b.dest {
                Dest::Queue(q) => queue_alive[q as usize],
                Dest::Exchange(e) => exchange_alive[e as usize],
            });
        }
    }

    /// The node is back: report what the restart kept and lost, and restart the queues' clocks.
    pub fn recover(&mut self, now: Time) {
        for r in std::mem::take(&mut self.restarted) {
            if r.deleted {
                self.emit(RabbitEvent::QueueDeleted { queue: r.queue, messages: r.lost, why: Gone::Restart });
            } else {
                self.emit(RabbitEvent::Recovered { queue: r.queue, messages: r.kept, lost: r.lost });
                self.arm_expires(r.queue, now);
                self.dispatch(r.queue, now);
            }
        }
    }
}
