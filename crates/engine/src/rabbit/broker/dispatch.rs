//! Dispatch: handing a queue's head to the next consumer in turn with prefetch room (expiring
//! heads first), basic.get, and settling deliveries with basic.ack, basic.nack and basic.reject.

use super::{err, Broker, ChannelErr, Unacked};
use crate::rabbit::event::RabbitEvent;
use crate::rabbit::msg::*;
use crate::rabbit::queue::QConsumer;
use crate::rabbit::RabbitTimer;
use crate::time::Time;
use crate::NodeId;

impl Broker {
    /// Expires heads, then delivers while some consumer has room; re-arms the TTL timer.
    pub(super) fn dispatch(&mut self, queue: u16, now: Time) {
        if self.queue(queue).is_some_and(|q| q.is_stream()) {
            return self.stream_dispatch(queue);
        }
        loop {
            while let Some(e) = self.queues[queue as usize].as_mut().and_then(|q| q.pop_expired(now)) {
                self.leave(queue, e.msg, Reason::Expired, now);
            }
            if !self.deliver_next(queue) {
                break;
            }
        }
        let Some(q) = self.queues[queue as usize].as_mut() else { return };
        if let Some(t) = q.next_expiry() {
            if q.ttl_timer.is_none_or(|armed| t < armed) {
                q.ttl_timer = Some(t);
                self.out.timers.push((t, RabbitTimer::Ttl { queue }));
            }
        }
    }

    /// Hands the head to the next consumer in turn that has prefetch room. False if none can take it.
    pub(super) fn deliver_next(&mut self, queue: u16) -> bool {
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return false };
        if q.ready() == 0 {
            return false;
        }
        let n = q.eligible();
        let channels = &self.channels;
        let room = |c: &QConsumer| c.auto_ack || channels.get(&c.node).is_some_and(|ch| ch.has_room(c.tag, c.prefetch));
        let Some(i) = (0..n).map(|k| (q.next_consumer + k) % n).find(|&i| room(&q.consumers[i])) else {
            return false;
        };
        let c = q.consumers[i];
        q.next_consumer = (i + 1) % n;
        let Some(e) = q.pop() else { return false };
        let Some(ch) = self.channels.get_mut(&c.node) else { return false };
        let tag = ch.next_tag;
        ch.next_tag += 1;
        let delivery = Delivery { ctag: Some(c.tag), ..delivery(tag, queue, &e) };
        let event = RabbitEvent::Delivered { m: e.msg.id, queue, consumer: c.node, tag, redelivered: e.redelivered };
        if !c.auto_ack {
            ch.unacked.push_back(Unacked { tag, queue, ctag: Some(c.tag), entry: e });
        }
        self.out.sends.push((c.node, RabbitMsg::Deliver(Box::new(delivery))));
        self.emit(event);
        true
    }

    /// basic.get: the head (after expiring what is due), with `message_count` the messages left
    /// ready; or get-empty. Unacknowledged unless `no_ack`, counted by no prefetch. A use of the
    /// queue for `x-expires`.
    pub fn get(&mut self, client: NodeId, queue: u16, no_ack: bool, now: Time) -> Result<(), ChannelErr> {
        let about = Some(Dest::Queue(queue));
        let q = self.queue(queue).ok_or(err(NOT_FOUND, "no queue", about))?;
        if q.owner.is_some_and(|o| o != client) {
            return Err(err(RESOURCE_LOCKED, "cannot obtain exclusive access to locked queue", about));
        }
        if q.is_stream() {
            return Err(err(NOT_IMPLEMENTED, "basic.get not supported by stream queues", about));
        }
        let quorum = q.is_quorum();
        while let Some(e) = self.queues[queue as usize].as_mut().and_then(|q| q.pop_expired(now)) {
            self.leave(queue, e.msg, Reason::Expired, now);
        }
        self.arm_expires(queue, now);
        let popped = self.queues[queue as usize].as_mut().and_then(|q| q.pop().map(|e| (e, q.ready())));
        let (Some(ch), Some((e, left))) = (self.channels.get_mut(&client), popped) else {
            self.emit(RabbitEvent::GetEmpty { queue, client });
            self.out.sends.push((client, RabbitMsg::GetEmpty));
            return Ok(());
        };
        let tag = ch.next_tag;
        ch.next_tag += 1;
        let mut delivery = Delivery { message_count: Some(left), ..delivery(tag, queue, &e) };
        if quorum {
            delivery.headers = crate::rabbit::quorum::fifo::get_headers(&e);
        }
        let m = e.msg.id;
        if !no_ack {
            ch.unacked.push_back(Unacked { tag, queue, ctag: None, entry: e });
        }
        self.emit(RabbitEvent::Got { m, queue, client, tag, left });
        self.out.sends.push((client, RabbitMsg::Deliver(Box::new(delivery))));
        self.dispatch(queue, now);
        Ok(())
    }

    /// basic.ack / basic.nack / basic.reject.
    pub fn settle(
        &mut self,
        client: NodeId,
        tag: u64,
        multiple: bool,
        op: SettleOp,
        now: Time,
    ) -> Result<(), ChannelErr> {
        let Some(ch) = self.channels.get(&client) else { return Ok(()) };
        // `collect_acks`: with `multiple`, every tag up to this one (0 = all outstanding); the tag
        // itself must be outstanding.
        let multiple = multiple && !matches!(op, SettleOp::Reject { .. });
        if op != SettleOp::Ack {
            // `rabbit_stream_queue:settle/4` refuses all but complete (an ack).
            let stream = |u: &Unacked| self.queue(u.queue).is_some_and(|q| q.is_stream());
            let covered = |u: &Unacked| u.tag == tag || (multiple && (tag == 0 || u.tag < tag));
            if ch.unacked.iter().any(|u| covered(u) && stream(u)) {
                return Err(err(NOT_IMPLEMENTED, "basic.nack and basic.reject not supported by stream queues", None));
            }
        }
        let Some(ch) = self.channels.get_mut(&client) else { return Ok(()) };
        let taken: Vec<Unacked> = match ch.unacked.binary_search_by_key(&tag, |u| u.tag) {
            _ if multiple && tag == 0 => ch.unacked.drain(..).collect(),
            Ok(i) if multiple => ch.unacked.drain(..=i).collect(),
            Ok(i) => ch.unacked.remove(i).into_iter().collect(),
            Err(_) => return Err(err(PRECONDITION_FAILED, "unknown delivery tag", None)),
        };
        let freed = taken.iter().any(|u| u.ctag.is_some());
        // `foreach_per_queue`: RabbitMQ settles per (queue, consumer tag), in that order (a
        // basic.get's `none` tag first), and each queue dispatches after its part: a `multiple`
        // nack over two consumers requeues the first one's messages, delivers, then the second's.
        let mut groups: Vec<(SettleKey, Vec<Unacked>)> = Vec::new();
        for u in taken {
            match groups.iter_mut().find(|(k, _)| *k == (u.queue, u.ctag)) {
                Some((_, us)) => us.push(u),
                None => groups.push(((u.queue, u.ctag), vec![u])),
            }
        }
        crate::sort::sort_by(&mut groups, |a, b| a.0.cmp(&b.0));
        let mut touched: Vec<u16> = Vec::new();
        for ((queue, _), us) in groups {
            for u in us {
                let m = u.entry.msg.id;
                match op {
                    SettleOp::Ack => self.emit(RabbitEvent::Acked { m, queue, consumer: client, tag: u.tag }),
                    SettleOp::Nack { requeue: true } | SettleOp::Reject { requeue: true } => {
                        self.requeue(client, u, true, now)
                    }
                    SettleOp::Nack { requeue: false } | SettleOp::Reject { requeue: false } => {
                        self.emit(RabbitEvent::Rejected { m, queue, consumer: client });
                        if self.queue(queue).is_some() {
                            self.leave(queue, u.entry.msg, Reason::Rejected, now);
                        }
                    }
                }
            }
            self.dispatch(queue, now);
            touched.push(queue);
        }
        // Room freed under a global prefetch may let any of the channel's other consumers go on.
        if freed && self.channels.get(&client).is_some_and(|ch| ch.channel_prefetch > 0) {
            for (_, q) in self.channels.get(&client).map(|ch| ch.consumers.clone()).unwrap_or_default() {
                if !touched.contains(&q) {
                    touched.push(q);
                    self.dispatch(q, now);
                }
            }
        }
        Ok(())
    }
}

/// What a settle is grouped by: (queue, consumer tag; `None` for basic.get).
type SettleKey = (u16, Option<u16>);

/// What the consumer is told of entry `e` of `queue`, delivered with `tag`.
pub(super) fn delivery(tag: u64, queue: u16, e: &crate::rabbit::queue::Entry) -> Delivery {
    let msg = &e.msg;
    Delivery {
        tag,
        redelivered: e.redelivered,
        queue,
        publisher: msg.publisher,
        seq: msg.seq,
        published_at: msg.published_at,
        deaths: msg.deaths.clone(),
        ctag: None,
        message_count: None,
        exchange: msg.exchange,
        routing_key: msg.routing_key.clone(),
        headers: crate::rabbit::quorum::fifo::delivery_headers(e),
    }
}
