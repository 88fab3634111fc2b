//! Channels and consumers: opening a channel, basic.consume, channel errors, and what happens when
//! a channel closes or a client's connection is gone (unacked messages requeued, its consumer
//! removed, exclusive queues deleted).

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

    pub fn consume(
        &mut self,
        client: NodeId,
        queue: u16,
        prefetch: u16,
        auto_ack: bool,
        now: Time,
    ) -> Result<(), ChannelErr> {
        let about = Some(Dest::Queue(queue));
        let Some(ch) = self.channels.get_mut(&client) else { return Ok(()) };
        if ch.consumer.is_some() {
            return Ok(()); // one consumer per channel in this model
        }
        let q =
            self.queues.get_mut(queue as usize).and_then(Option::as_mut).ok_or(err(NOT_FOUND, "no queue", about))?;
        if q.owner.is_some_and(|o| o != client) {
            return Err(err(RESOURCE_LOCKED, "cannot obtain exclusive access to locked queue", about));
        }
        ch.consumer = Some(queue);
        q.consumers.push(QConsumer { node: client, prefetch, auto_ack });
        q.had_consumer = true;
        q.expires_timer = None;
        let active = !q.decl.args.single_active_consumer || q.consumers.len() == 1;
        self.emit(RabbitEvent::ConsumerAdded { queue, consumer: client, active });
        self.dispatch(queue, now);
        Ok(())
    }

    /// A channel error: tell the client, close its channel (requeueing what it had not acked).
    pub fn fail(&mut self, client: NodeId, (e, about): ChannelErr, now: Time) {
        self.emit(RabbitEvent::ChannelError { client, code: e.code, text: e.text, about });
        self.out.sends.push((client, RabbitMsg::ChannelClose(e)));
        self.close_channel(client, now);
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
            self.requeue(client, u);
        }
        let Some(queue) = ch.consumer else { return };
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return };
        let was_active = q.consumers.first().is_some_and(|c| c.node == client);
        if !q.remove_consumer(client) {
            return;
        }
        let next = q.consumers.first().map(|c| c.node);
        let (sac, auto_delete, empty) =
            (q.decl.args.single_active_consumer, q.decl.auto_delete, q.consumers.is_empty());
        self.emit(RabbitEvent::ConsumerGone { queue, consumer: client, requeued });
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

    pub(super) fn requeue(&mut self, consumer: NodeId, mut u: Unacked) {
        let m = u.entry.msg.id;
        if let Some(q) = self.queues.get_mut(u.queue as usize).and_then(Option::as_mut) {
            u.entry.redelivered = true;
            q.insert(u.entry);
            self.emit(RabbitEvent::Requeued { m, queue: u.queue, consumer });
        }
    }
}
