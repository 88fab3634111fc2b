//! One classic queue: its declared properties and arguments, its ready messages (one FIFO per
//! priority level), and its consumers. Pure data and small operations; the broker decides when to
//! dispatch, expire and dead-letter (`broker.rs`).
//!
//! Faithful to classic queues (`rabbit_amqqueue_process`, `rabbit_priority_queue`):
//! - every message keeps the position it was enqueued at, so a requeued message goes back to its
//!   original place (a quorum queue returns messages elsewhere: `quorum/fifo.rs`);
//! - TTL is enforced at the head only: an expired message behind a live one waits until it
//!   reaches the head;
//! - `x-max-length` / `-bytes` count ready messages only, not unacknowledged ones;
//! - a priority queue serves its highest level first, and drops (drop-head) from it first too.

use super::msg::Message;
use crate::time::Time;
use crate::NodeId;
use std::collections::VecDeque;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Overflow {
    #[default]
    DropHead,
    RejectPublish,
    RejectPublishDlx,
}

impl Overflow {
    pub fn parse(s: &str) -> Result<Overflow, String> {
        match s {
            "drop-head" => Ok(Overflow::DropHead),
            "reject-publish" => Ok(Overflow::RejectPublish),
            "reject-publish-dlx" => Ok(Overflow::RejectPublishDlx),
            _ => Err(format!("\"{s}\" is not drop-head, reject-publish or reject-publish-dlx")),
        }
    }
}

/// The `x-` arguments of a queue, parsed.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct QueueArgs {
    pub message_ttl: Option<Time>,
    pub expires: Option<Time>,
    pub max_length: Option<u32>,
    pub max_length_bytes: Option<u64>,
    pub overflow: Overflow,
    /// Exchange id of `x-dead-letter-exchange`.
    pub dlx: Option<u16>,
    pub dl_routing_key: Option<std::rc::Rc<str>>,
    pub max_priority: Option<u8>,
    pub single_active_consumer: bool,
    /// `x-queue-type: quorum` and its own arguments (`quorum::QuorumArgs`); None: a classic queue.
    pub quorum: Option<super::quorum::QuorumArgs>,
    /// `x-queue-type: stream` and its retention (`stream::StreamArgs`); None: not a stream.
    pub stream: Option<super::stream::StreamArgs>,
}

/// What a quorum queue or a stream cannot be (`rabbit_queue_type_util`'s `check_auto_delete`,
/// `check_exclusive`, `check_non_durable`, in that order), for queue `q` ("queue 'name' in vhost
/// '/'"). `Err((field, text))`: the scenario field to blame and RabbitMQ's PRECONDITION_FAILED text.
pub fn check_properties(
    q: &str,
    (durable, exclusive, auto_delete): (bool, bool, bool),
) -> Result<(), (&'static str, String)> {
    if auto_delete {
        return Err(("auto_delete", format!("invalid property 'auto-delete' for {q}")));
    }
    if exclusive {
        return Err(("exclusive", format!("invalid property 'exclusive-owner' for {q}")));
    }
    if !durable {
        return Err(("durable", format!("invalid property 'non-durable' for {q}")));
    }
    Ok(())
}

/// What queue.declare asks for; a redeclaration must ask for the same (else 406).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct QueueDecl {
    pub durable: bool,
    pub exclusive: bool,
    pub auto_delete: bool,
    pub args: QueueArgs,
}

/// A ready message and where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Enqueue order: requeues go back by it.
    pub pos: u64,
    pub expires_at: Option<Time>,
    pub redelivered: bool,
    pub msg: Message,
    /// A quorum queue's count of returns (`x-delivery-count`); 0 in classic queues.
    pub delivery_count: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QConsumer {
    pub node: NodeId,
    /// Its consumer tag, numbered within its channel.
    pub tag: u16,
    /// basic.qos prefetch_count (0 = unlimited).
    pub prefetch: u16,
    pub auto_ack: bool,
}

#[derive(Clone, Debug)]
pub struct Queue {
    pub decl: QueueDecl,
    /// The connection an exclusive queue belongs to.
    pub owner: Option<NodeId>,
    /// Ready messages, one FIFO per priority level (a single one without `x-max-priority`).
    levels: Vec<VecDeque<Entry>>,
    ready: u32,
    ready_bytes: u64,
    next_pos: u64,
    /// In registration order; with single-active-consumer the first is the active one.
    pub consumers: Vec<QConsumer>,
    /// Round-robin cursor into `consumers`.
    pub next_consumer: usize,
    /// Auto-delete queues go when their last consumer leaves, once they have had one.
    pub had_consumer: bool,
    /// The instant an armed TTL / x-expires timer is due (stale timers are recognised by it).
    pub ttl_timer: Option<Time>,
    pub expires_timer: Option<Time>,
    /// A quorum queue's own state (its returns' positions, reject-publish blocking).
    pub quorum: super::quorum::QuorumState,
    /// A stream's log and its readers (`stream/log.rs`); None for classic and quorum queues.
    pub stream: Option<super::stream::StreamLog>,
}

impl Queue {
    pub fn new(decl: QueueDecl, owner: Option<NodeId>) -> Queue {
        let levels = decl.args.max_priority.map_or(1, |p| p as usize + 1);
        let quorum = super::quorum::QuorumState::new(decl.args.quorum.is_some());
        let stream = decl.args.stream.map(super::stream::StreamLog::new);
        Queue {
            decl,
            owner,
            levels: vec![VecDeque::new(); levels],
            ready: 0,
            ready_bytes: 0,
            next_pos: 0,
            consumers: Vec::new(),
            next_consumer: 0,
            had_consumer: false,
            ttl_timer: None,
            expires_timer: None,
            quorum,
            stream,
        }
    }

    pub fn ready(&self) -> u32 {
        self.ready
    }

    pub fn is_stream(&self) -> bool {
        self.stream.is_some()
    }

    pub fn ready_bytes(&self) -> u64 {
        self.ready_bytes
    }

    /// The ready messages, highest priority level first, each level in delivery order (read-only,
    /// for the page's inspectors).
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.levels.iter().rev().flatten()
    }

    fn level(&self, priority: u8) -> usize {
        (priority as usize).min(self.levels.len() - 1)
    }

    /// `will_overflow`: would one more message of `size` bytes exceed a limit?
    pub fn would_overflow(&self, size: u32) -> bool {
        let a = &self.decl.args;
        a.max_length.is_some_and(|m| self.ready as u64 + 1 > m as u64)
            || a.max_length_bytes.is_some_and(|m| self.ready_bytes + size as u64 > m)
    }

    /// `over_max_length`: more ready messages (or bytes) than the limits allow.
    pub fn over_limit(&self) -> bool {
        let a = &self.decl.args;
        a.max_length.is_some_and(|m| self.ready > m) || a.max_length_bytes.is_some_and(|m| self.ready_bytes > m)
    }

    /// Appends a new message; its expiry is the sooner of the queue's and its own TTL.
    pub fn push(&mut self, msg: Message, now: Time) -> u32 {
        let ttl = match (self.decl.args.message_ttl, msg.props.expiration) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let pos = self.next_pos();
        self.insert(Entry { pos, expires_at: ttl.map(|t| now + t), redelivered: false, msg, delivery_count: 0 });
        self.ready
    }

    /// The position of a message put at the back now.
    pub fn next_pos(&mut self) -> u64 {
        let pos = self.next_pos + self.quorum.base();
        self.next_pos += 1;
        pos
    }

    /// Puts an entry back where its position says (a requeue, or recovery).
    pub fn insert(&mut self, e: Entry) {
        self.ready += 1;
        self.ready_bytes += e.msg.props.size as u64;
        let i = self.level(e.msg.props.priority);
        let level = &mut self.levels[i];
        // Requeues are usually of the oldest messages: search from the front.
        let at = level.partition_point(|x| x.pos < e.pos);
        level.insert(at, e);
    }

    /// Removes the head: the oldest message of the highest non-empty priority level.
    pub fn pop(&mut self) -> Option<Entry> {
        let level = self.levels.iter_mut().rev().find(|l| !l.is_empty())?;
        let e = level.pop_front()?;
        self.ready -= 1;
        self.ready_bytes -= e.msg.props.size as u64;
        Some(e)
    }

    /// Removes an expired head of any level (classic queues look at heads only).
    pub fn pop_expired(&mut self, now: Time) -> Option<Entry> {
        let i = self.levels.iter().rposition(|l| l.front().is_some_and(|e| e.expires_at.is_some_and(|t| t <= now)))?;
        let e = self.levels[i].pop_front()?;
        self.ready -= 1;
        self.ready_bytes -= e.msg.props.size as u64;
        Some(e)
    }

    /// When the next head expires, if any head has a TTL.
    pub fn next_expiry(&self) -> Option<Time> {
        self.levels.iter().filter_map(|l| l.front().and_then(|e| e.expires_at)).min()
    }

    /// Forgets every ready message (the queue is deleted); returns how many there were.
    pub fn clear(&mut self) -> u32 {
        self.levels.iter_mut().for_each(VecDeque::clear);
        (self.ready, self.ready_bytes) = (0, 0);
        std::mem::take(&mut self.ready)
    }

    /// Keeps only the messages `keep` says survive (a restart keeps persistent ones).
    pub fn retain(&mut self, keep: impl Fn(&Entry) -> bool) -> u32 {
        let before = self.ready;
        for l in &mut self.levels {
            l.retain(|e| keep(e));
        }
        self.ready = self.levels.iter().map(|l| l.len() as u32).sum();
        self.ready_bytes = self.levels.iter().flatten().map(|e| e.msg.props.size as u64).sum();
        before - self.ready
    }

    /// The consumers that may receive now: the active one only under single-active-consumer.
    pub fn eligible(&self) -> usize {
        if self.decl.args.single_active_consumer {
            self.consumers.len().min(1)
        } else {
            self.consumers.len()
        }
    }

    pub fn remove_consumer(&mut self, node: NodeId, tag: u16) -> bool {
        if let Some(log) = self.stream.as_mut() {
            log.remove_reader(node, tag);
        }
        let Some(i) = self.consumers.iter().position(|c| c.node == node && c.tag == tag) else { return false };
        self.consumers.remove(i);
        if self.next_consumer > i {
            self.next_consumer -= 1;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: u64, priority: u8) -> Message {
        let mut m = Message::sample(id, 10);
        m.props.priority = priority;
        m
    }

    #[test]
    fn requeue_returns_to_the_original_position() {
        let mut q = Queue::new(QueueDecl::default(), None);
        for i in 0..4 {
            q.push(msg(i, 0), Time::ZERO);
        }
        let a = q.pop().unwrap();
        let b = q.pop().unwrap();
        q.insert(b);
        q.insert(a);
        let order: Vec<u64> = std::iter::from_fn(|| q.pop()).map(|e| e.msg.id).collect();
        assert_eq!(order, [0, 1, 2, 3]);
    }

    #[test]
    fn priorities_serve_the_highest_level_first_and_cap_at_the_maximum() {
        let args = QueueArgs { max_priority: Some(2), ..QueueArgs::default() };
        let mut q = Queue::new(QueueDecl { args, ..QueueDecl::default() }, None);
        for (id, p) in [(0, 0), (1, 9), (2, 1), (3, 2)] {
            q.push(msg(id, p), Time::ZERO);
        }
        let order: Vec<u64> = std::iter::from_fn(|| q.pop()).map(|e| e.msg.id).collect();
        assert_eq!(order, [1, 3, 2, 0], "priority 9 counts as the maximum, 2, in arrival order");
    }

    #[test]
    fn ttl_expires_at_the_head_only() {
        let args = QueueArgs { message_ttl: Some(Time::ms(10)), ..QueueArgs::default() };
        let mut q = Queue::new(QueueDecl { args, ..QueueDecl::default() }, None);
        let mut long = msg(0, 0);
        long.props.expiration = Some(Time::ms(100));
        q.push(long, Time::ZERO); // 10 ms: the queue's TTL is shorter
        let mut short = msg(1, 0);
        short.props.expiration = Some(Time::ms(1));
        q.push(short, Time::ZERO);
        assert_eq!(q.next_expiry(), Some(Time::ms(10)));
        assert!(q.pop_expired(Time::ms(5)).is_none(), "the expired second message waits behind the head");
        assert_eq!(q.pop_expired(Time::ms(10)).unwrap().msg.id, 0);
        assert_eq!(q.pop_expired(Time::ms(10)).unwrap().msg.id, 1);
    }

    #[test]
    fn limits_count_ready_messages_and_bytes() {
        let args = QueueArgs { max_length: Some(2), max_length_bytes: Some(25), ..QueueArgs::default() };
        let mut q = Queue::new(QueueDecl { args, ..QueueDecl::default() }, None);
        q.push(msg(0, 0), Time::ZERO);
        assert!(!q.would_overflow(10));
        assert!(q.would_overflow(16), "25 bytes at most");
        q.push(msg(1, 0), Time::ZERO);
        assert!(q.would_overflow(1) && !q.over_limit());
        q.push(msg(2, 0), Time::ZERO);
        assert!(q.over_limit());
        q.pop();
        assert!(!q.over_limit(), "an unacknowledged message no longer counts");
    }
}
