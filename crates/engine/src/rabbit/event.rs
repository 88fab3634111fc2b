//! What the RabbitMQ model shows the learner: one small `Copy` event per step of a message's
//! journey (publish, each exchange hop, enqueue, deliver, ack / requeue / reject, dead-letter,
//! confirm, return) and per change of the broker's topology. `m` is the broker's id of a message.

use super::exchange::NO_BINDING;
use super::msg::{code_name, Dest, Reason};
use super::RabbitNames;
use crate::kernel::event::{Flow, ModelEvent};
use crate::time::Time;
use crate::trace::TraceHash;
use crate::NodeId;
use std::fmt::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gone {
    /// A transient queue does not survive a broker restart.
    Restart,
    AutoDelete,
    /// `x-expires`: unused for that long.
    Expires,
    /// Its exclusive owner's connection closed.
    Exclusive,
    /// queue.delete.
    Deleted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RabbitEvent {
    /// An exchange (`queue: false`) or queue was declared.
    Declared {
        dest: Dest,
        durable: bool,
    },
    /// A binding was made from exchange `source`.
    Bound {
        source: u16,
        dest: Dest,
    },
    /// A binding from exchange `source` was removed (queue.unbind / exchange.unbind).
    Unbound {
        source: u16,
        dest: Dest,
    },
    /// exchange.delete.
    ExchangeDeleted {
        exchange: u16,
    },
    /// After a restart: a durable queue came back with its persistent messages.
    Recovered {
        queue: u16,
        messages: u32,
        lost: u32,
    },
    QueueDeleted {
        queue: u16,
        messages: u32,
        why: Gone,
    },
    /// A publisher sent message `seq` (Flow::Published).
    Published {
        publisher: NodeId,
        seq: u64,
        exchange: u16,
    },
    /// A publish that cannot reach the broker, or whose channel or connection closed before its confirm.
    PublishFailed {
        publisher: NodeId,
        seq: u64,
        why: &'static str,
    },
    /// The broker received message `seq` as `m`.
    Received {
        m: u64,
        publisher: NodeId,
        seq: u64,
        exchange: u16,
    },
    /// One hop: exchange `from` passed `m` on through its binding number `binding`
    /// (`exchange::NO_BINDING`: the default exchange's implicit binding, or to its alternate exchange).
    Routed {
        m: u64,
        from: u16,
        to: Dest,
        binding: u16,
    },
    /// No queue took it: returned to the publisher when mandatory, else dropped.
    Unroutable {
        m: u64,
        exchange: u16,
        returned: bool,
    },
    Enqueued {
        m: u64,
        queue: u16,
        depth: u32,
    },
    /// `x-overflow` reject-publish: the full queue refused it (nacked when confirms are on).
    PublishRejected {
        m: u64,
        queue: u16,
    },
    Delivered {
        m: u64,
        queue: u16,
        consumer: NodeId,
        tag: u64,
        redelivered: bool,
    },
    Acked {
        m: u64,
        queue: u16,
        consumer: NodeId,
        tag: u64,
    },
    /// Back in the queue at its original position, to be redelivered.
    Requeued {
        m: u64,
        queue: u16,
        consumer: NodeId,
    },
    /// Rejected or nacked without requeue.
    Rejected {
        m: u64,
        queue: u16,
        consumer: NodeId,
    },
    /// Left `queue` for its dead-letter exchange; `count` is its x-death count for (queue, reason).
    DeadLettered {
        m: u64,
        queue: u16,
        reason: Reason,
        dlx: u16,
        count: u32,
    },
    /// Left `queue` for good (no dead-letter exchange, or a dead-letter cycle).
    Discarded {
        m: u64,
        queue: u16,
        reason: Reason,
        cycle: bool,
    },
    /// A consumer received a message (Flow::Consumed).
    Consumed {
        consumer: NodeId,
        publisher: NodeId,
        seq: u64,
        redelivered: bool,
        latency: Time,
    },
    /// A consumer finished processing a message and settles it (acks or rejects it now; on receipt
    /// with automatic acks). The side-by-side comparison reads processing order from this.
    Processed {
        consumer: NodeId,
        publisher: NodeId,
        seq: u64,
        redelivered: bool,
    },
    /// The publisher's confirm arrived: ack (Flow::Acked) or nack.
    Confirmed {
        publisher: NodeId,
        seq: u64,
        ack: bool,
        latency: Time,
    },
    Returned {
        publisher: NodeId,
        seq: u64,
    },
    ConsumerAdded {
        queue: u16,
        consumer: NodeId,
        active: bool,
    },
    /// Its channel closed or connection died; `requeued` unacked messages went back.
    ConsumerGone {
        queue: u16,
        consumer: NodeId,
        requeued: u32,
    },
    /// basic.cancel: the consumer left `queue`; the `unacked` deliveries it holds stay with the channel.
    Cancelled {
        queue: u16,
        consumer: NodeId,
        unacked: u32,
    },
    /// basic.get-ok: `client` took `m` with delivery `tag`; `left` messages stay ready.
    Got {
        m: u64,
        queue: u16,
        client: NodeId,
        tag: u64,
        left: u32,
    },
    /// basic.get-empty.
    GetEmpty {
        queue: u16,
        client: NodeId,
    },
    /// Single active consumer: `consumer` took over.
    ConsumerActive {
        queue: u16,
        consumer: NodeId,
    },
    /// A channel error (the broker closes the client's channel): 403, 404, 405, 406.
    ChannelError {
        client: NodeId,
        code: u16,
        text: &'static str,
        about: Option<Dest>,
    },
    /// Quorum queues and the cluster (`quorum/event.rs`).
    Quorum(super::quorum::event::QuorumEvent),
    /// Streams (`stream/event.rs`).
    Stream(super::stream::event::StreamEvent),
    /// With resources: the memory monitor set (or cleared) the memory alarm; `used_kb` of memory.
    MemoryAlarm {
        set: bool,
        used_kb: u32,
    },
    /// connection.blocked: the broker stops reading this publishing connection (memory alarm).
    ConnectionBlocked {
        client: NodeId,
    },
    /// connection.unblocked: the alarm cleared; what it sent meanwhile is read now.
    ConnectionUnblocked {
        client: NodeId,
    },
    /// With resources: `queue` started paging message bodies to disk (memory above the paging ratio).
    Paging {
        queue: u16,
    },
}

/// Trace tags of RabbitMQ events: one number per variant, unique by construction (the compiler rejects a repeated discriminant).
#[derive(Clone, Copy)]
#[repr(u8)]
enum RabbitTag {
    Declared = 1,
    Bound = 2,
    Recovered = 3,
    QueueDeleted = 4,
    Published = 5,
    PublishFailed = 6,
    Received = 7,
    Routed = 8,
    Unroutable = 9,
    Enqueued = 10,
    PublishRejected = 11,
    Delivered = 12,
    Acked = 13,
    Requeued = 14,
    Rejected = 15,
    DeadLettered = 16,
    Discarded = 17,
    Consumed = 18,
    Confirmed = 19,
    Returned = 20,
    ConsumerAdded = 21,
    ConsumerGone = 22,
    ConsumerActive = 23,
    ChannelError = 24,
    Processed = 25,
    Cancelled = 26,
    Got = 27,
    GetEmpty = 28,
    Unbound = 29,
    ExchangeDeleted = 30,
    Quorum = 31,
    Stream = 32,
    MemoryAlarm = 33,
    ConnectionBlocked = 34,
    ConnectionUnblocked = 35,
    Paging = 36,
}

impl ModelEvent for RabbitEvent {
    fn encode(&self, h: &mut TraceHash) {
        let ids = |h: &mut TraceHash, tag: u8, m: u64, a: u32, b: u32| {
            h.byte(tag);
            h.u64(m);
            h.u64(((a as u64) << 32) | b as u64);
        };
        match *self {
            RabbitEvent::Declared { dest, durable } => {
                ids(h, RabbitTag::Declared as u8, durable as u64, dest.code(), 0)
            }
            RabbitEvent::Bound { source, dest } => ids(h, RabbitTag::Bound as u8, 0, source as u32, dest.code()),
            RabbitEvent::Unbound { source, dest } => ids(h, RabbitTag::Unbound as u8, 0, source as u32, dest.code()),
            RabbitEvent::ExchangeDeleted { exchange } => {
                ids(h, RabbitTag::ExchangeDeleted as u8, 0, exchange as u32, 0)
            }
            RabbitEvent::Recovered { queue, messages, lost } => {
                ids(h, RabbitTag::Recovered as u8, lost as u64, queue as u32, messages)
            }
            RabbitEvent::QueueDeleted { queue, messages, why } => {
                ids(h, RabbitTag::QueueDeleted as u8, why as u64, queue as u32, messages)
            }
            RabbitEvent::Published { publisher, seq, exchange } => {
                ids(h, RabbitTag::Published as u8, seq, publisher.0, exchange as u32)
            }
            RabbitEvent::PublishFailed { publisher, seq, why } => {
                ids(h, RabbitTag::PublishFailed as u8, seq, publisher.0, 0);
                h.str(why);
            }
            RabbitEvent::Received { m, publisher, seq, exchange } => {
                ids(h, RabbitTag::Received as u8, m, publisher.0, exchange as u32);
                h.u64(seq);
            }
            RabbitEvent::Routed { m, from, to, binding } => {
                ids(h, RabbitTag::Routed as u8, m, ((binding as u32) << 16) | from as u32, to.code())
            }
            RabbitEvent::Unroutable { m, exchange, returned } => {
                ids(h, RabbitTag::Unroutable as u8, m, exchange as u32, returned as u32)
            }
            RabbitEvent::Enqueued { m, queue, depth } => ids(h, RabbitTag::Enqueued as u8, m, queue as u32, depth),
            RabbitEvent::PublishRejected { m, queue } => ids(h, RabbitTag::PublishRejected as u8, m, queue as u32, 0),
            RabbitEvent::Delivered { m, queue, consumer, tag, redelivered } => {
                ids(h, RabbitTag::Delivered as u8, m, ((redelivered as u32) << 16) | queue as u32, consumer.0);
                h.u64(tag);
            }
            RabbitEvent::Acked { m, queue, consumer, tag } => {
                ids(h, RabbitTag::Acked as u8, m, queue as u32, consumer.0);
                h.u64(tag);
            }
            RabbitEvent::Requeued { m, queue, consumer } => {
                ids(h, RabbitTag::Requeued as u8, m, queue as u32, consumer.0)
            }
            RabbitEvent::Rejected { m, queue, consumer } => {
                ids(h, RabbitTag::Rejected as u8, m, queue as u32, consumer.0)
            }
            RabbitEvent::DeadLettered { m, queue, reason, dlx, count } => {
                ids(h, RabbitTag::DeadLettered as u8, m, ((reason as u32) << 16) | queue as u32, dlx as u32);
                h.u32(count);
            }
            RabbitEvent::Discarded { m, queue, reason, cycle } => {
                ids(h, RabbitTag::Discarded as u8, m, ((reason as u32) << 16) | queue as u32, cycle as u32)
            }
            RabbitEvent::Consumed { consumer, publisher, seq, redelivered, latency } => {
                ids(h, RabbitTag::Consumed as u8, seq, consumer.0, ((redelivered as u32) << 31) | publisher.0);
                h.u64(latency.0);
            }
            RabbitEvent::Processed { consumer, publisher, seq, redelivered } => {
                ids(h, RabbitTag::Processed as u8, seq, consumer.0, ((redelivered as u32) << 31) | publisher.0)
            }
            RabbitEvent::Confirmed { publisher, seq, ack, latency } => {
                ids(h, RabbitTag::Confirmed as u8, seq, publisher.0, ack as u32);
                h.u64(latency.0);
            }
            RabbitEvent::Returned { publisher, seq } => ids(h, RabbitTag::Returned as u8, seq, publisher.0, 0),
            RabbitEvent::ConsumerAdded { queue, consumer, active } => {
                ids(h, RabbitTag::ConsumerAdded as u8, active as u64, queue as u32, consumer.0)
            }
            RabbitEvent::ConsumerGone { queue, consumer, requeued } => {
                ids(h, RabbitTag::ConsumerGone as u8, requeued as u64, queue as u32, consumer.0)
            }
            RabbitEvent::ConsumerActive { queue, consumer } => {
                ids(h, RabbitTag::ConsumerActive as u8, 0, queue as u32, consumer.0)
            }
            RabbitEvent::Cancelled { queue, consumer, unacked } => {
                ids(h, RabbitTag::Cancelled as u8, unacked as u64, queue as u32, consumer.0)
            }
            RabbitEvent::Got { m, queue, client, tag, left } => {
                ids(h, RabbitTag::Got as u8, m, queue as u32, client.0);
                h.u64(tag);
                h.u32(left);
            }
            RabbitEvent::GetEmpty { queue, client } => ids(h, RabbitTag::GetEmpty as u8, 0, queue as u32, client.0),
            RabbitEvent::ChannelError { client, code, text, about } => {
                ids(h, RabbitTag::ChannelError as u8, code as u64, client.0, about.map_or(u32::MAX, Dest::code));
                h.str(text);
            }
            RabbitEvent::Quorum(q) => {
                h.byte(RabbitTag::Quorum as u8);
                q.encode(h);
            }
            RabbitEvent::Stream(e) => {
                h.byte(RabbitTag::Stream as u8);
                e.encode(h);
            }
            RabbitEvent::MemoryAlarm { set, used_kb } => ids(h, RabbitTag::MemoryAlarm as u8, set as u64, used_kb, 0),
            RabbitEvent::ConnectionBlocked { client } => ids(h, RabbitTag::ConnectionBlocked as u8, 0, client.0, 0),
            RabbitEvent::ConnectionUnblocked { client } => ids(h, RabbitTag::ConnectionUnblocked as u8, 0, client.0, 0),
            RabbitEvent::Paging { queue } => ids(h, RabbitTag::Paging as u8, 0, queue as u32, 0),
        }
    }

    fn nodes(&self) -> [Option<NodeId>; 2] {
        match *self {
            RabbitEvent::Published { publisher, .. }
            | RabbitEvent::PublishFailed { publisher, .. }
            | RabbitEvent::Received { publisher, .. }
            | RabbitEvent::Confirmed { publisher, .. }
            | RabbitEvent::Returned { publisher, .. } => [Some(publisher), None],
            RabbitEvent::Delivered { consumer, .. }
            | RabbitEvent::Acked { consumer, .. }
            | RabbitEvent::Requeued { consumer, .. }
            | RabbitEvent::Rejected { consumer, .. }
            | RabbitEvent::ConsumerAdded { consumer, .. }
            | RabbitEvent::ConsumerGone { consumer, .. }
            | RabbitEvent::ConsumerActive { consumer, .. }
            | RabbitEvent::Cancelled { consumer, .. } => [Some(consumer), None],
            RabbitEvent::Got { client, .. } | RabbitEvent::GetEmpty { client, .. } => [Some(client), None],
            RabbitEvent::Consumed { consumer, publisher, .. } | RabbitEvent::Processed { consumer, publisher, .. } => {
                [Some(consumer), Some(publisher)]
            }
            RabbitEvent::ChannelError { client, .. }
            | RabbitEvent::ConnectionBlocked { client }
            | RabbitEvent::ConnectionUnblocked { client } => [Some(client), None],
            RabbitEvent::Quorum(q) => q.nodes(),
            RabbitEvent::Stream(e) => e.nodes(),
            _ => [None, None],
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            RabbitEvent::Declared { .. } => "declared",
            RabbitEvent::Bound { .. } => "bound",
            RabbitEvent::Unbound { .. } => "unbound",
            RabbitEvent::ExchangeDeleted { .. } => "exchange-deleted",
            RabbitEvent::Recovered { .. } => "recovered",
            RabbitEvent::QueueDeleted { .. } => "queue-deleted",
            RabbitEvent::Published { .. } => "publish",
            RabbitEvent::PublishFailed { .. } => "publish-failed",
            RabbitEvent::Received { .. } => "received",
            RabbitEvent::Routed { .. } => "routed",
            RabbitEvent::Unroutable { .. } => "unroutable",
            RabbitEvent::Enqueued { .. } => "enqueued",
            RabbitEvent::PublishRejected { .. } => "queue-full",
            RabbitEvent::Delivered { .. } => "deliver",
            RabbitEvent::Acked { .. } => "ack",
            RabbitEvent::Requeued { .. } => "requeued",
            RabbitEvent::Rejected { .. } => "rejected",
            RabbitEvent::DeadLettered { .. } => "dead-lettered",
            RabbitEvent::Discarded { .. } => "discarded",
            RabbitEvent::Consumed { .. } => "consumed",
            RabbitEvent::Processed { .. } => "processed",
            RabbitEvent::Confirmed { .. } => "confirm",
            RabbitEvent::Returned { .. } => "returned",
            RabbitEvent::ConsumerAdded { .. } => "consumer-added",
            RabbitEvent::ConsumerGone { .. } => "consumer-gone",
            RabbitEvent::ConsumerActive { .. } => "consumer-active",
            RabbitEvent::Cancelled { .. } => "cancelled",
            RabbitEvent::Got { .. } => "get-ok",
            RabbitEvent::GetEmpty { .. } => "get-empty",
            RabbitEvent::ChannelError { .. } => "channel-error",
            RabbitEvent::Quorum(q) => q.type_name(),
            RabbitEvent::Stream(e) => e.type_name(),
            RabbitEvent::MemoryAlarm { .. } => "memory-alarm",
            RabbitEvent::ConnectionBlocked { .. } => "blocked",
            RabbitEvent::ConnectionUnblocked { .. } => "unblocked",
            RabbitEvent::Paging { .. } => "paging",
        }
    }

    fn flow(&self) -> Option<Flow> {
        Some(match *self {
            RabbitEvent::Published { .. } => Flow::Published,
            RabbitEvent::Confirmed { ack: true, latency, .. } => Flow::Acked(latency),
            RabbitEvent::Consumed { latency, .. } => Flow::Consumed(latency),
            _ => return None,
        })
    }
}

impl RabbitEvent {
    pub fn describe(&self, s: &mut String, world: &dyn RabbitNames) -> std::fmt::Result {
        let names = super::node::names(world);
        let x = |id: u16| names.map_or("?".to_string(), |n| n.exchange(id));
        let q = |id: u16| names.map_or("?".to_string(), |n| n.queue(id));
        let dest = |d: Dest| match d {
            Dest::Queue(id) => format!("queue {}", q(id)),
            Dest::Exchange(id) => format!("exchange {}", x(id)),
        };
        let n = |id: NodeId| world.node_name(id);
        match *self {
            RabbitEvent::Declared { dest: d, durable } => {
                write!(s, "{} ({})", dest(d), if durable { "durable" } else { "transient" })
            }
            RabbitEvent::Bound { source, dest: d } => write!(s, "exchange {} -> {}", x(source), dest(d)),
            RabbitEvent::Unbound { source, dest: d } => write!(s, "exchange {} -/-> {} (unbound)", x(source), dest(d)),
            RabbitEvent::ExchangeDeleted { exchange } => {
                write!(s, "exchange {} deleted with its bindings", x(exchange))
            }
            RabbitEvent::Recovered { queue, messages, lost } => {
                write!(s, "queue {} recovered {messages} persistent messages, lost {lost} transient", q(queue))
            }
            RabbitEvent::QueueDeleted { queue, messages, why } => write!(
                s,
                "queue {} gone with {messages} messages ({})",
                q(queue),
                match why {
                    Gone::Restart => "transient: lost in the restart",
                    Gone::AutoDelete => "auto-delete: its last consumer left",
                    Gone::Expires => "x-expires: unused",
                    Gone::Exclusive => "exclusive: its connection closed",
                    Gone::Deleted => "queue.delete",
                }
            ),
            RabbitEvent::Published { publisher, seq, exchange } => {
                write!(s, "{} seq={seq} -> exchange {}", n(publisher), x(exchange))
            }
            RabbitEvent::PublishFailed { publisher, seq, why } => write!(s, "{} seq={seq}: {why}", n(publisher)),
            RabbitEvent::Received { m, publisher, seq, exchange } => {
                write!(s, "m{m} = {} seq={seq} at exchange {}", n(publisher), x(exchange))
            }
            RabbitEvent::Routed { m, from, to, binding } => {
                let via = match (binding, to) {
                    (NO_BINDING, Dest::Exchange(_)) => " (alternate exchange)".to_string(),
                    (NO_BINDING, _) => " (by queue name)".to_string(),
                    _ => super::node::binding_key(world, from, binding)
                        .map_or(String::new(), |k| format!(" via binding \"{k}\"")),
                };
                write!(s, "m{m} exchange {} -> {}{via}", x(from), dest(to))
            }
            RabbitEvent::Unroutable { m, exchange, returned } => write!(
                s,
                "m{m} matched no binding of exchange {}{}",
                x(exchange),
                if returned { ": returned (mandatory)" } else { ": dropped" }
            ),
            RabbitEvent::Enqueued { m, queue, depth } => write!(s, "m{m} in queue {} ({depth} ready)", q(queue)),
            RabbitEvent::PublishRejected { m, queue } => {
                write!(s, "m{m} refused by full queue {} (x-overflow reject-publish)", q(queue))
            }
            RabbitEvent::Delivered { m, queue, consumer, tag, redelivered } => write!(
                s,
                "m{m} queue {} -> {} tag {tag}{}",
                q(queue),
                n(consumer),
                if redelivered { " redelivered" } else { "" }
            ),
            RabbitEvent::Acked { m, queue, consumer, tag } => {
                let stream = world.rabbit_broker().and_then(|b| b.core.queue(queue)).is_some_and(|q| q.is_stream());
                match stream {
                    true => write!(s, "m{m} acked by {} (tag {tag}): stream {} keeps it", n(consumer), q(queue)),
                    false => write!(s, "m{m} acked by {} (tag {tag}), removed from {}", n(consumer), q(queue)),
                }
            }
            RabbitEvent::Requeued { m, queue, consumer } => {
                write!(s, "m{m} back in queue {} at its position (from {})", q(queue), n(consumer))
            }
            RabbitEvent::Rejected { m, queue, consumer } => {
                write!(s, "m{m} rejected by {} without requeue, leaves {}", n(consumer), q(queue))
            }
            RabbitEvent::DeadLettered { m, queue, reason, dlx, count } => write!(
                s,
                "m{m} {} in queue {} -> dead-letter exchange {} (x-death count {count})",
                reason.name(),
                q(queue),
                x(dlx)
            ),
            RabbitEvent::Discarded { m, queue, reason, cycle } => write!(
                s,
                "m{m} {} in queue {}, discarded{}",
                reason.name(),
                q(queue),
                if cycle { " (dead-letter cycle)" } else { "" }
            ),
            RabbitEvent::Consumed { consumer, publisher, seq, redelivered, latency } => write!(
                s,
                "{} got {} seq={seq} after {latency}{}",
                n(consumer),
                n(publisher),
                if redelivered { " (redelivered)" } else { "" }
            ),
            RabbitEvent::Processed { consumer, publisher, seq, redelivered } => write!(
                s,
                "{} processed {} seq={seq}{}",
                n(consumer),
                n(publisher),
                if redelivered { " (redelivered)" } else { "" }
            ),
            RabbitEvent::Confirmed { publisher, seq, ack, latency } => {
                write!(s, "{} seq={seq} {} after {latency}", n(publisher), if ack { "ack" } else { "NACK" })
            }
            RabbitEvent::Returned { publisher, seq } => write!(s, "{} seq={seq} came back: NO_ROUTE", n(publisher)),
            RabbitEvent::ConsumerAdded { queue, consumer, active } => write!(
                s,
                "{} consumes from {}{}",
                n(consumer),
                q(queue),
                if active { "" } else { " (waiting: single active consumer)" }
            ),
            RabbitEvent::ConsumerGone { queue, consumer, requeued } => {
                write!(s, "{} left {}, {requeued} unacked requeued", n(consumer), q(queue))
            }
            RabbitEvent::ConsumerActive { queue, consumer } => {
                write!(s, "{} is now the single active consumer of {}", n(consumer), q(queue))
            }
            RabbitEvent::Cancelled { queue, consumer, unacked } => write!(
                s,
                "{} cancelled its consumer of {}; it still holds {unacked} unacked (until it acks or closes)",
                n(consumer),
                q(queue)
            ),
            RabbitEvent::Got { m, queue, client, tag, left } => {
                write!(s, "m{m} queue {} -> {} by basic.get, tag {tag}, {left} left", q(queue), n(client))
            }
            RabbitEvent::GetEmpty { queue, client } => write!(s, "{} basic.get on {}: empty", n(client), q(queue)),
            RabbitEvent::ChannelError { client, code, text, about } => write!(
                s,
                "{}'s channel closed: {code} {} - {text}{}",
                n(client),
                code_name(code),
                about.map_or(String::new(), |d| format!(" ({})", dest(d)))
            ),
            RabbitEvent::Quorum(q) => q.describe(s, world),
            RabbitEvent::Stream(e) => e.describe(s, world),
            RabbitEvent::MemoryAlarm { set: true, used_kb } => {
                write!(s, "memory alarm set: {} MB used, above vm_memory_high_watermark", used_kb / 1000)
            }
            RabbitEvent::MemoryAlarm { set: false, used_kb } => {
                write!(s, "memory alarm cleared: {} MB used, below vm_memory_high_watermark", used_kb / 1000)
            }
            RabbitEvent::ConnectionBlocked { client } => {
                write!(s, "connection.blocked: {}'s publishes wait (memory alarm)", n(client))
            }
            RabbitEvent::ConnectionUnblocked { client } => {
                write!(s, "connection.unblocked: {} publishes again", n(client))
            }
            RabbitEvent::Paging { queue } => {
                write!(s, "queue {} pages message bodies to disk (memory above the paging ratio)", q(queue))
            }
        }
    }
}
