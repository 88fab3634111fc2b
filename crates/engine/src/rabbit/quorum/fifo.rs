//! What a client sees of a quorum queue's state machine (`rabbit_fifo`, RabbitMQ 3.10.25), where it
//! differs from a classic queue:
//!
//! - **returns**: a message a consumer gives back is counted (`delivery_count` + 1) and goes
//!   - with basic.nack / basic.reject `requeue=true` and no `x-delivery-limit`: to the **back** of
//!     the queue (the leader turns the return into a `requeue` command that re-appends it:
//!     `handle_aux(leader, cast, {#return{}, …})` → `make_requeue`);
//!   - otherwise (a delivery limit is set, or the consumer's channel closed: `return_all`): to the
//!     `returns` queue, which is served **before** the other messages (`take_next_msg`), in the
//!     order they were returned;
//! - **`x-delivery-count`**: a delivery of a message with a count carries the header and is marked
//!   redelivered (`rabbit_fifo_client:transform_msgs`); a first delivery carries neither;
//! - **`x-delivery-limit`**: a return that takes the count above the limit dead-letters the message
//!   with reason `delivery_limit` (`return_one`) instead;
//! - **reject-publish**: the publish that takes the queue over its limit is accepted; the queue then
//!   blocks its publishers (`{queue_status, reject_publish}`), who are nacked until it is back at or
//!   below 80 % of the limit (`is_below_soft_limit`, `?LOW_LIMIT`); drop-head drops from the head as
//!   classic queues do;
//! - every message is kept on disk, persistent or not (it is in the Raft log).
//!
//! RabbitMQ 4.x changed some of this: the default `delivery-limit` is 20, `x-delivery-count` counts
//! only failed deliveries (a nack or reject with `requeue=true` of AMQP 0-9-1 is one) and returned
//! messages go back in the order of the queue, and quorum queues take priorities (two levels:
//! 0–4 normal, 5+ high). The model follows 3.10, the broker the differential test runs.

use crate::rabbit::queue::{Entry, Overflow, Queue};
use crate::rabbit::routing::{Table, Value};
use std::rc::Rc;

/// Message positions in a quorum queue start here; returns are numbered from 0, so every return
/// sorts (and is served) before every message.
const MESSAGES_BASE: u64 = 1 << 62;

/// A position as the page shows it: a quorum queue's messages and returns are each numbered from 0.
pub fn shown_position(pos: u64) -> u64 {
    pos % MESSAGES_BASE
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuorumState {
    quorum: bool,
    next_return: u64,
    /// reject-publish: the queue went over its limit and refuses publishes until it is below 80 %.
    pub blocked: bool,
}

/// Where a returned message went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Returned {
    /// To the back of the queue.
    Back,
    /// To the returns, served first.
    Returns,
    /// Over `x-delivery-limit`: to be dead-lettered (the entry comes back to the caller).
    OverLimit,
}

impl QuorumState {
    pub fn new(quorum: bool) -> QuorumState {
        QuorumState { quorum, ..QuorumState::default() }
    }

    /// Where message positions start: returns sort before them.
    pub fn base(&self) -> u64 {
        if self.quorum {
            MESSAGES_BASE
        } else {
            0
        }
    }
}

impl Queue {
    pub fn is_quorum(&self) -> bool {
        self.decl.args.quorum.is_some()
    }

    /// A consumer gives `e` back: `explicit` for basic.nack / basic.reject with requeue, false when
    /// its channel closed. `Err(entry)` when the delivery limit dead-letters it instead.
    pub fn quorum_return(&mut self, mut e: Entry, explicit: bool) -> Result<Returned, Box<Entry>> {
        e.delivery_count += 1;
        e.redelivered = true;
        let limit = self.decl.args.quorum.and_then(|q| q.delivery_limit);
        if limit.is_some_and(|l| e.delivery_count > l) {
            return Err(Box::new(e));
        }
        let to = if explicit && limit.is_none() {
            e.pos = self.next_pos();
            Returned::Back
        } else {
            e.pos = self.quorum.next_return;
            self.quorum.next_return += 1;
            Returned::Returns
        };
        self.insert(e);
        Ok(to)
    }

    /// Does the queue refuse a publish of `size` bytes now? A classic queue: when it would go over
    /// its limit; a quorum queue: while it is blocked.
    pub fn refuses(&mut self, size: u32) -> bool {
        if !self.is_quorum() {
            return self.would_overflow(size);
        }
        let a = &self.decl.args;
        let below = |max: Option<u64>, n: u64| max.is_none_or(|m| n * 10 <= m * 8);
        if below(a.max_length.map(u64::from), self.ready() as u64) && below(a.max_length_bytes, self.ready_bytes()) {
            self.quorum.blocked = false;
        }
        self.quorum.blocked
    }

    /// After an enqueue: a quorum queue with reject-publish over its limit blocks its publishers.
    /// True when the queue should drop from its head (drop-head over the limit).
    pub fn after_enqueue(&mut self) -> bool {
        let over = self.over_limit();
        if over && self.is_quorum() && self.decl.args.overflow == Overflow::RejectPublish {
            self.quorum.blocked = true;
            return false;
        }
        over && self.decl.args.overflow == Overflow::DropHead
    }
}

/// The headers a consumer's delivery of `e` carries: its own, plus `x-delivery-count` once it was
/// returned (`rabbit_fifo_client:transform_msgs`).
pub fn delivery_headers(e: &Entry) -> Option<Rc<Table>> {
    match e.delivery_count {
        0 => e.msg.props.headers.clone(),
        _ => get_headers(e),
    }
}

/// The headers basic.get-ok carries from a quorum queue: always `x-delivery-count`, 0 the first
/// time (`rabbit_fifo_client:dequeue`).
pub fn get_headers(e: &Entry) -> Option<Rc<Table>> {
    let with = e.msg.props.headers.as_deref().cloned().unwrap_or_default();
    Some(Rc::new(with.with("x-delivery-count", Value::Int(e.delivery_count as i64))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rabbit::msg::Message;
    use crate::rabbit::queue::{QueueArgs, QueueDecl};
    use crate::rabbit::quorum::QuorumArgs;
    use crate::Time;

    fn msg(id: u64) -> Message {
        Message::sample(id, 10)
    }

    fn queue(limit: Option<u32>, max_length: Option<u32>, overflow: Overflow) -> Queue {
        let quorum = Some(QuorumArgs { delivery_limit: limit });
        let args = QueueArgs { quorum, max_length, overflow, ..QueueArgs::default() };
        let mut q = Queue::new(QueueDecl { durable: true, args, ..QueueDecl::default() }, None);
        for i in 0..4 {
            q.push(msg(i), Time::ZERO);
        }
        q
    }

    fn order(q: &mut Queue) -> Vec<(u64, u32)> {
        std::iter::from_fn(|| q.pop()).map(|e| (e.msg.id, e.delivery_count)).collect()
    }

    #[test]
    fn a_nack_with_requeue_goes_to_the_back_without_a_delivery_limit() {
        let mut q = queue(None, None, Overflow::DropHead);
        let first = q.pop().unwrap();
        assert_eq!(q.quorum_return(first, true), Ok(Returned::Back));
        assert_eq!(order(&mut q), [(1, 0), (2, 0), (3, 0), (0, 1)]);
    }

    #[test]
    fn with_a_delivery_limit_or_a_closed_channel_returns_are_served_first() {
        let mut q = queue(Some(5), None, Overflow::DropHead);
        let (a, b) = (q.pop().unwrap(), q.pop().unwrap());
        q.quorum_return(b, true).unwrap();
        q.quorum_return(a, true).unwrap();
        assert_eq!(order(&mut q), [(1, 1), (0, 1), (2, 0), (3, 0)], "in the order they came back");
        let mut q = queue(None, None, Overflow::DropHead);
        let a = q.pop().unwrap();
        assert_eq!(q.quorum_return(a, false), Ok(Returned::Returns), "channel closed: return_all");
        assert_eq!(order(&mut q)[0], (0, 1));
    }

    #[test]
    fn the_return_past_the_delivery_limit_dead_letters() {
        let mut q = queue(Some(1), None, Overflow::DropHead);
        let e = q.pop().unwrap();
        q.quorum_return(e, true).unwrap();
        let e = q.pop().unwrap();
        assert_eq!(e.delivery_count, 1);
        let dead = q.quorum_return(e, true).expect_err("count 2 > limit 1");
        assert_eq!((dead.msg.id, dead.delivery_count), (0, 2));
    }

    #[test]
    fn reject_publish_accepts_the_publish_that_fills_the_queue_then_blocks_until_80_percent() {
        let mut q = queue(None, Some(5), Overflow::RejectPublish);
        assert!(!q.refuses(10));
        q.push(msg(4), Time::ZERO);
        assert!(!q.after_enqueue(), "at the limit: not over it");
        q.push(msg(5), Time::ZERO);
        assert!(!q.after_enqueue(), "over the limit: no drop");
        assert!(q.refuses(10), "blocked");
        q.pop();
        assert!(q.refuses(10), "5 ready > 80 % of 5");
        q.pop();
        assert!(!q.refuses(10), "4 ready <= 4: publishing again");
    }

    #[test]
    fn the_header_appears_once_the_message_was_returned() {
        let mut q = queue(None, None, Overflow::DropHead);
        let e = q.pop().unwrap();
        assert!(delivery_headers(&e).is_none());
        q.quorum_return(e, true).unwrap();
        let e = q.entries().last().unwrap().clone();
        let h = delivery_headers(&e).unwrap();
        assert_eq!(h.get("x-delivery-count"), Some(&Value::Int(1)));
    }
}
