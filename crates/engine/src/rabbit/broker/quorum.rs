//! A quorum queue's returns (`quorum/fifo.rs`): where the message goes, and the dead-lettering
//! of one returned more often than its `x-delivery-limit`.

use super::{Broker, Unacked};
use crate::rabbit::event::RabbitEvent;
use crate::rabbit::msg::{Message, Reason};
use crate::rabbit::queue::{Entry, Queue};
use crate::rabbit::quorum::event::QuorumEvent;
use crate::rabbit::quorum::fifo::Returned;
use crate::rabbit::quorum::replica::Held;
use crate::time::Time;
use crate::NodeId;

impl Broker {
    pub(super) fn quorum_return(&mut self, consumer: NodeId, u: Unacked, explicit: bool, now: Time) {
        let (m, queue, count) = (u.entry.msg.id, u.queue, u.entry.delivery_count + 1);
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return };
        let (to, dead) = match q.quorum_return(u.entry, explicit) {
            Ok(to) => (to, None),
            Err(e) => (Returned::OverLimit, Some(e.msg)),
        };
        self.emit(RabbitEvent::Quorum(QuorumEvent::Returned { m, queue, consumer, count, to }));
        if let Some(msg) = dead {
            self.leave(queue, msg, Reason::DeliveryLimit, now);
        }
    }
}

/// A message routed to a quorum queue on a cluster node: not enqueued here, but handed to the
/// queue's Raft group (`cluster.rs`); `confirm`: the publish's (client, confirm sequence), whose
/// confirm waits for the commit; `ok`: whether the publish's other queues took it.
#[derive(Clone, Debug)]
pub struct Handoff {
    pub queue: u16,
    pub msg: Message,
    pub confirm: Option<(NodeId, u64)>,
    pub ok: bool,
}

impl Broker {
    /// This broker is one node of a cluster: its quorum queues' messages go through Raft, and its
    /// message ids start at `base` (ids are unique across the cluster).
    pub fn join_cluster(&mut self, base: u64) {
        self.cluster = true;
        self.next_msg = base;
    }

    /// On a cluster node, a quorum queue's enqueue goes to its Raft group (`Handoff`).
    pub(super) fn hands_off(&self, queue: u16) -> bool {
        self.cluster && self.queue(queue).is_some_and(Queue::is_quorum)
    }

    /// The leader applies a committed enqueue: the queue takes it (or refuses it: reject-publish).
    pub fn apply_enqueue(&mut self, queue: u16, msg: Message, now: Time) -> bool {
        self.cluster = false;
        let ok = self.enqueue(queue, msg, now);
        self.cluster = true;
        ok
    }

    /// Every message `queue` still has, with where it stands (ready, or held by a consumer).
    pub fn quorum_live(&self, queue: u16) -> Vec<(u64, Held)> {
        let Some(q) = self.queue(queue) else { return Vec::new() };
        let ready = q.entries().map(|e| (e.msg.id, Held::Ready(e.delivery_count)));
        let out = self.deliveries().filter(|d| d.2 == queue).map(|d| (d.3.msg.id, Held::Out(d.3.delivery_count)));
        ready.chain(out).collect()
    }

    /// This node's member became the leader: the queue is rebuilt from the replica; messages a
    /// consumer held are returned (their consumers' channels were on the old leader).
    pub fn quorum_restore(&mut self, queue: u16, items: &[(u64, Message, Held)], now: Time) {
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return };
        q.clear();
        let mut dead = Vec::new();
        for (_, msg, held) in items {
            let (count, out) = match *held {
                Held::Ready(c) => (c, false),
                Held::Out(c) => (c, true),
                Held::Gone => continue,
            };
            let pos = q.next_pos();
            let e = Entry { pos, expires_at: None, redelivered: count > 0, msg: msg.clone(), delivery_count: count };
            if !out {
                q.insert(e);
            } else if let Err(e) = q.quorum_return(e, false) {
                dead.push(e.msg);
            }
        }
        for msg in dead {
            self.leave(queue, msg, Reason::DeliveryLimit, now);
        }
        self.dispatch(queue, now);
    }

    /// This node's member is no longer the leader: the channels consuming from `queue` close (the
    /// clients are told), and the queue keeps nothing here. Returns the clients whose channel closed.
    pub fn quorum_step_down(&mut self, queue: u16, now: Time) -> Vec<NodeId> {
        let clients: Vec<NodeId> = self
            .channels
            .iter()
            .filter(|(_, ch)| ch.consumers.iter().any(|&(_, q)| q == queue))
            .map(|(&n, _)| n)
            .collect();
        for &c in &clients {
            self.client_gone(c, now);
        }
        if let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) {
            q.clear();
        }
        clients
    }
}
