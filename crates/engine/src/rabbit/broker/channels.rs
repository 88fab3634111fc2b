//! Channels and consumers: opening a channel, basic.qos, basic.consume and basic.cancel (several
//! consumers per channel), channel errors, and what happens when a channel closes or a client's
//! connection is gone (unacked messages requeued, its consumers removed, exclusive queues deleted).

use super::{err, Broker, Channel, ChannelErr, Unacked};
use crate::rabbit::event::{Gone, RabbitEvent};
use crate::rabbit::msg::*;
use crate::rabbit::queue::QConsumer;
use crate::time::Time;
use crate::NodeId;

impl Broker {
    /// connection.open + channel.open (+ confirm.select): a fresh channel. A client that opens
    /// again while the broker still holds its old channel has lost that connection: it is closed
    /// first (unacked messages requeued, exclusive queues deleted).
    pub fn open(&mut self, client: NodeId, confirm: bool, now: Time) {
        if self.has_channel(client) {
            self.client_gone(client, now);
        }
        self.channels.insert(client, Channel { confirm, next_tag: 1, ..Channel::default() });
    }

    /// basic.qos as RabbitMQ reads it: `global` false sets the prefetch of the channel's consumers
    /// started from now on (each its own limit); true sets one limit shared by all of them.
    pub fn qos(&mut self, client: NodeId, prefetch: u16, global: bool, now: Time) {
        let Some(ch) = self.channels.get_mut(&client) else { return };
        if global {
            ch.channel_prefetch = prefetch;
            // A raised limit may free room now.
            for q in ch.consumers.iter().map(|&(_, q)| q).collect::<Vec<_>>() {
                self.dispatch(q, now);
            }
        } else {
            ch.consumer_prefetch = prefetch;
        }
    }

    /// basic.consume: consumer `tag` of the channel takes from `queue`, with the channel's current
    /// per-consumer prefetch (`prefetch`: a basic.qos global=false just before). A tag in use is
    /// 530 NOT_ALLOWED, which closes the connection in RabbitMQ; here it is refused like a channel error.
    pub fn consume(
        &mut self,
        client: NodeId,
        queue: u16,
        tag: u16,
        prefetch: Option<u16>,
        auto_ack: bool,
        now: Time,
    ) -> Result<(), ChannelErr> {
        self.consume_with(client, queue, tag, (prefetch, auto_ack, None), now)
    }

    /// basic.consume with its arguments (`x-stream-offset`): a stream's consumer is checked and
    /// attached as `broker/stream.rs` says.
    pub fn consume_with(
        &mut self,
        client: NodeId,
        queue: u16,
        tag: u16,
        opts: super::stream::ConsumeOpts,
        now: Time,
    ) -> Result<(), ChannelErr> {
        let (prefetch, auto_ack, offset) = opts;
        let about = Some(Dest::Queue(queue));
        let Some(ch) = self.channels.get_mut(&client) else { return Ok(()) };
        if ch.consumers.iter().any(|&(t, _)| t == tag) {
            return Err(err(NOT_ALLOWED, "attempt to reuse consumer tag", about));
        }
        let q =
            self.queues.get_mut(queue as usize).and_then(Option::as_mut).ok_or(err(NOT_FOUND, "no queue", about))?;
        if q.owner.is_some_and(|o| o != client) {
            return Err(err(RESOURCE_LOCKED, "cannot obtain exclusive access to locked queue", about));
        }
        if let Some(p) = prefetch {
            ch.consumer_prefetch = p;
        }
        let own_prefetch = ch.consumer_prefetch;
        self.check_stream_consume(client, queue, own_prefetch, opts)?;
        let (Some(ch), Some(q)) = (self.channels.get_mut(&client), self.queues[queue as usize].as_mut()) else {
            return Ok(());
        };
        ch.consumers.push((tag, queue));
        q.consumers.push(QConsumer { node: client, tag, prefetch: ch.consumer_prefetch, auto_ack });
        q.had_consumer = true;
        q.expires_timer = None;
        let active = !q.decl.args.single_active_consumer || q.consumers.len() == 1;
        let added = *q.consumers.last().expect("just pushed");
        self.emit(RabbitEvent::ConsumerAdded { queue, consumer: client, active });
        self.stream_attach(client, added, queue, offset, now);
        self.dispatch(queue, now);
        Ok(())
    }

    /// basic.cancel: the consumer stops receiving; the deliveries it has not settled stay
    /// unacknowledged on the channel (they can still be acked, and go back only when the channel
    /// closes). An unknown tag is ignored, as RabbitMQ does.
    pub fn cancel(&mut self, client: NodeId, tag: u16, now: Time) {
        let Some(ch) = self.channels.get_mut(&client) else { return };
        let Some(i) = ch.consumers.iter().position(|&(t, _)| t == tag) else { return };
        let (_, queue) = ch.consumers.remove(i);
        let held = ch.unacked.iter().filter(|u| u.ctag == Some(tag)).count() as u32;
        self.remove_consumer(client, tag, queue, held, true, now);
    }

    /// A channel error: tell the client, close its channel (requeueing what it had not acked).
    pub fn fail(&mut self, client: NodeId, (e, about): ChannelErr, now: Time) {
        self.emit(RabbitEvent::ChannelError { client, code: e.code, text: e.text, about });
        self.out.sends.push((client, RabbitMsg::ChannelClose(e)));
        // 540 NOT_IMPLEMENTED is a connection error in RabbitMQ: the connection closes with it.
        match e.code {
            NOT_IMPLEMENTED => self.client_gone(client, now),
            _ => self.close_channel(client, now),
        }
    }

    /// The client's connection is gone: its channel closes and its exclusive queues go.
    pub fn client_gone(&mut self, client: NodeId, now: Time) {
        self.close_channel(client, now);
        for id in 0..self.queues.len() as u16 {
            if self.queue(id).is_some_and(|q| q.owner == Some(client)) {
                self.delete_queue(id, Gone::Exclusive);
            }
        }
    }

    fn close_channel(&mut self, client: NodeId, now: Time) {
        let Some(ch) = self.channels.remove(&client) else { return };
        let requeued = ch.unacked.len() as u32;
        for u in ch.unacked {
            self.requeue(client, u, false, now);
        }
        for (tag, queue) in ch.consumers {
            self.remove_consumer(client, tag, queue, requeued, false, now);
        }
    }

    /// Consumer `tag` of `client` leaves `queue` (cancelled, or its channel closed): the next
    /// single active consumer takes over, an auto-delete queue without consumers goes.
    fn remove_consumer(&mut self, client: NodeId, tag: u16, queue: u16, held: u32, cancel: bool, now: Time) {
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return };
        let was_active = q.consumers.first().is_some_and(|c| c.node == client && c.tag == tag);
        if !q.remove_consumer(client, tag) {
            return;
        }
        let next = q.consumers.first().map(|c| c.node);
        let (sac, auto_delete, empty) =
            (q.decl.args.single_active_consumer, q.decl.auto_delete, q.consumers.is_empty());
        self.emit(match cancel {
            true => RabbitEvent::Cancelled { queue, consumer: client, unacked: held },
            false => RabbitEvent::ConsumerGone { queue, consumer: client, requeued: held },
        });
        if let (true, true, Some(next)) = (sac, was_active, next) {
            self.emit(RabbitEvent::ConsumerActive { queue, consumer: next });
        }
        if auto_delete && empty {
            self.delete_queue(queue, Gone::AutoDelete);
            return;
        }
        self.arm_expires(queue, now);
        self.dispatch(queue, now);
    }

    /// `explicit`: a nack or reject with requeue (else the channel closed).
    pub(super) fn requeue(&mut self, consumer: NodeId, mut u: Unacked, explicit: bool, now: Time) {
        if self.queue(u.queue).is_some_and(|q| q.is_quorum()) {
            return self.quorum_return(consumer, u, explicit, now);
        }
        // A stream keeps every message: what a closed channel held is simply not acked.
        if self.queue(u.queue).is_some_and(|q| q.is_stream()) {
            return;
        }
        let m = u.entry.msg.id;
        if let Some(q) = self.queues.get_mut(u.queue as usize).and_then(Option::as_mut) {
            u.entry.redelivered = true;
            q.insert(u.entry);
            self.emit(RabbitEvent::Requeued { m, queue: u.queue, consumer });
        }
    }
}
