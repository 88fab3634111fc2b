//! The broker as a pure state machine: vhost `/` with its exchanges, bindings and classic queues,
//! and one channel per client connection. Methods take `now` and push what they want done into
//! `out` (events, messages to clients, timers at absolute times); `node.rs` carries that out.
//! Protocol errors are `Err(ChannelErr)` values: the node turns them into a channel error event
//! and a channel.close, as RabbitMQ closes the channel.

use super::event::{Gone, RabbitEvent};
use super::exchange::{route, Exchange, ExchangeDecl, Hop, DEFAULT, PREDECLARED};
use super::msg::*;
use super::queue::{Entry, Overflow, QConsumer, Queue, QueueDecl};
use super::routing::Table;
use super::RabbitTimer;
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;
use std::collections::VecDeque;
use std::rc::Rc;

/// A channel error: the reply code and text, and what it is about.
pub type ChannelErr = (AmqpError, Option<Dest>);

fn err(code: u16, text: &'static str, about: Option<Dest>) -> ChannelErr {
    (AmqpError { code, text }, about)
}

/// What the broker wants done, drained by its node after each call.
#[derive(Clone, Debug, Default)]
pub struct Out {
    pub events: Vec<RabbitEvent>,
    pub sends: Vec<(NodeId, RabbitMsg)>,
    /// `(when, timer id)`, absolute.
    pub timers: Vec<(Time, RabbitTimer)>,
}

/// Exchange and queue names by id. Ids are stable: the world renders events with them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Names {
    pub exchanges: Vec<Rc<str>>,
    pub queues: Vec<Rc<str>>,
}

impl Names {
    pub fn exchange(&self, id: u16) -> String {
        match self.exchanges.get(id as usize) {
            Some(n) if n.is_empty() => "(default)".into(),
            Some(n) => n.to_string(),
            None => "?".into(),
        }
    }
    pub fn queue(&self, id: u16) -> String {
        self.queues.get(id as usize).map_or("?".into(), |n| n.to_string())
    }
    pub fn exchange_id(&self, name: &str) -> Option<u16> {
        self.exchanges.iter().position(|n| **n == *name).map(|i| i as u16)
    }
    pub fn queue_id(&self, name: &str) -> Option<u16> {
        self.queues.iter().position(|n| **n == *name).map(|i| i as u16)
    }
}

#[derive(Clone, Debug)]
struct Unacked {
    tag: u64,
    queue: u16,
    entry: Entry,
}

#[derive(Clone, Debug, Default)]
struct Channel {
    confirm: bool,
    /// Publishes counted from 1 in confirm mode: the publisher's confirm sequence.
    publish_seq: u64,
    next_tag: u64,
    /// In delivery-tag order.
    unacked: VecDeque<Unacked>,
    consumer: Option<u16>,
}

/// What a restart did to a queue, reported when the node is back.
#[derive(Clone, Copy, Debug)]
struct Restarted {
    queue: u16,
    kept: u32,
    lost: u32,
    deleted: bool,
}

#[derive(Clone, Debug)]
pub struct Broker {
    pub me: NodeId,
    pub names: Names,
    exchanges: Vec<Option<Exchange>>,
    queues: Vec<Option<Queue>>,
    channels: VecMap<NodeId, Channel>,
    next_msg: u64,
    pub out: Out,
    hops: Vec<Hop>,
    restarted: Vec<Restarted>,
}

impl Broker {
    /// A fresh node: the predeclared exchanges exist (their names must be `names.exchanges[0..6]`).
    pub fn new(me: NodeId, names: Names) -> Broker {
        let mut exchanges: Vec<Option<Exchange>> = vec![None; names.exchanges.len()];
        for (i, (_, kind)) in PREDECLARED.iter().enumerate() {
            let decl = ExchangeDecl { kind: *kind, durable: true, auto_delete: false, alternate: None };
            exchanges[i] = Some(Exchange::new(decl));
        }
        let queues = vec![None; names.queues.len()];
        Broker {
            me,
            names,
            exchanges,
            queues,
            channels: VecMap::new(),
            next_msg: 0,
            out: Out::default(),
            hops: Vec::new(),
            restarted: Vec::new(),
        }
    }

    /// The names every broker starts with, then `exchanges` and `queues`.
    pub fn names_with(exchanges: impl IntoIterator<Item = Rc<str>>, queues: Vec<Rc<str>>) -> Names {
        let mut all: Vec<Rc<str>> = PREDECLARED.iter().map(|(n, _)| Rc::from(*n)).collect();
        all.extend(exchanges);
        Names { exchanges: all, queues }
    }

    pub fn queue(&self, id: u16) -> Option<&Queue> {
        self.queues.get(id as usize)?.as_ref()
    }

    pub fn exchange(&self, id: u16) -> Option<&Exchange> {
        self.exchanges.get(id as usize)?.as_ref()
    }

    pub fn has_channel(&self, client: NodeId) -> bool {
        self.channels.contains_key(&client)
    }

    /// Unacknowledged deliveries on `client`'s channel.
    pub fn unacked(&self, client: NodeId) -> usize {
        self.channels.get(&client).map_or(0, |c| c.unacked.len())
    }

    /// Every unacknowledged delivery, per channel in delivery-tag order: `(client, tag, queue,
    /// entry)`. Read-only, for the page's inspectors.
    pub fn deliveries(&self) -> impl Iterator<Item = (NodeId, u64, u16, &Entry)> + '_ {
        self.channels.iter().flat_map(|(&n, c)| c.unacked.iter().map(move |u| (n, u.tag, u.queue, &u.entry)))
    }

    fn emit(&mut self, e: RabbitEvent) {
        self.out.events.push(e);
    }

    // ---- topology ----

    pub fn declare_exchange(&mut self, id: u16, decl: ExchangeDecl) -> Result<(), ChannelErr> {
        let about = Some(Dest::Exchange(id));
        if id == DEFAULT {
            return Err(err(ACCESS_REFUSED, "operation not permitted on the default exchange", about));
        }
        match self.exchange(id) {
            Some(x) if x.decl != decl => Err(err(PRECONDITION_FAILED, "inequivalent arg for exchange", about)),
            Some(_) => Ok(()),
            None if self.names.exchange(id).starts_with("amq.") => {
                Err(err(ACCESS_REFUSED, "exchange name contains reserved prefix 'amq.*'", about))
            }
            None => {
                let durable = decl.durable;
                *self.exchanges.get_mut(id as usize).ok_or(err(NOT_FOUND, "no exchange", about))? =
                    Some(Exchange::new(decl));
                self.emit(RabbitEvent::Declared { dest: Dest::Exchange(id), durable });
                Ok(())
            }
        }
    }

    pub fn delete_exchange(&mut self, id: u16) -> Result<(), ChannelErr> {
        let about = Some(Dest::Exchange(id));
        if id == DEFAULT {
            return Err(err(ACCESS_REFUSED, "operation not permitted on the default exchange", about));
        }
        if self.names.exchange(id).starts_with("amq.") {
            return Err(err(ACCESS_REFUSED, "deletion of system exchange not allowed", about));
        }
        if let Some(slot) = self.exchanges.get_mut(id as usize) {
            *slot = None;
            self.unbind_all(Dest::Exchange(id));
        }
        Ok(())
    }

    fn unbind_all(&mut self, dest: Dest) {
        for x in self.exchanges.iter_mut().flatten() {
            x.bindings.retain(|b| b.dest != dest);
        }
    }

    pub fn declare_queue(&mut self, client: NodeId, id: u16, decl: QueueDecl, now: Time) -> Result<(), ChannelErr> {
        let about = Some(Dest::Queue(id));
        if let Some(q) = self.queue(id) {
            if q.owner.is_some_and(|o| o != client) {
                return Err(err(RESOURCE_LOCKED, "cannot obtain exclusive access to locked queue", about));
            }
            if q.decl != decl {
                return Err(err(PRECONDITION_FAILED, "inequivalent arg for queue", about));
            }
            // A redeclaration is a use: x-expires starts again.
            self.arm_expires(id, now);
            return Ok(());
        }
        if self.names.queue(id).starts_with("amq.") {
            return Err(err(ACCESS_REFUSED, "queue name contains reserved prefix 'amq.*'", about));
        }
        if decl.args.dl_routing_key.is_some() && decl.args.dlx.is_none() {
            return Err(err(PRECONDITION_FAILED, "x-dead-letter-routing-key requires x-dead-letter-exchange", about));
        }
        let owner = decl.exclusive.then_some(client);
        let durable = decl.durable;
        *self.queues.get_mut(id as usize).ok_or(err(NOT_FOUND, "no queue", about))? = Some(Queue::new(decl, owner));
        self.emit(RabbitEvent::Declared { dest: Dest::Queue(id), durable });
        self.arm_expires(id, now);
        Ok(())
    }

    /// queue.bind / exchange.bind.
    pub fn bind(
        &mut self,
        client: NodeId,
        source: u16,
        dest: Dest,
        key: &str,
        args: &Rc<Table>,
    ) -> Result<(), ChannelErr> {
        if source == DEFAULT || dest == Dest::Exchange(DEFAULT) {
            return Err(err(ACCESS_REFUSED, "operation not permitted on the default exchange", Some(dest)));
        }
        match dest {
            Dest::Queue(q) => match self.queue(q) {
                None => return Err(err(NOT_FOUND, "no queue", Some(dest))),
                Some(q) if q.owner.is_some_and(|o| o != client) => {
                    return Err(err(RESOURCE_LOCKED, "cannot obtain exclusive access to locked queue", Some(dest)))
                }
                _ => {}
            },
            Dest::Exchange(x) if self.exchange(x).is_none() => return Err(err(NOT_FOUND, "no exchange", Some(dest))),
            Dest::Exchange(_) => {}
        }
        let about = Some(Dest::Exchange(source));
        let x = self.exchanges.get_mut(source as usize).and_then(Option::as_mut);
        let x = x.ok_or(err(NOT_FOUND, "no exchange", about))?;
        match x.bind(dest, key, args) {
            Ok(true) => self.emit(RabbitEvent::Bound { source, dest }),
            Ok(false) => {}
            Err(_) => return Err(err(PRECONDITION_FAILED, "binding_invalid: bad binding key or arguments", about)),
        }
        Ok(())
    }

    // ---- channels and consumers ----

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

    fn requeue(&mut self, consumer: NodeId, mut u: Unacked) {
        let m = u.entry.msg.id;
        if let Some(q) = self.queues.get_mut(u.queue as usize).and_then(Option::as_mut) {
            u.entry.redelivered = true;
            q.insert(u.entry);
            self.emit(RabbitEvent::Requeued { m, queue: u.queue, consumer });
        }
    }

    pub fn delete_queue(&mut self, id: u16, why: Gone) {
        let Some(mut q) = self.queues.get_mut(id as usize).and_then(Option::take) else { return };
        let messages = q.clear();
        self.unbind_all(Dest::Queue(id));
        for ch in self.channels.values_mut() {
            if ch.consumer == Some(id) {
                ch.consumer = None;
            }
        }
        self.emit(RabbitEvent::QueueDeleted { queue: id, messages, why });
    }

    // ---- publishing and routing ----

    pub fn publish(&mut self, client: NodeId, p: &Publish, now: Time) -> Result<(), ChannelErr> {
        let Some(ch) = self.channels.get_mut(&client) else { return Ok(()) };
        let confirm = ch.confirm.then(|| {
            ch.publish_seq += 1;
            ch.publish_seq
        });
        if self.exchange(p.exchange).is_none() {
            return Err(err(NOT_FOUND, "no exchange", Some(Dest::Exchange(p.exchange))));
        }
        let m = self.next_msg;
        self.next_msg += 1;
        self.emit(RabbitEvent::Received { m, publisher: client, seq: p.seq, exchange: p.exchange });
        let msg = Message {
            id: m,
            publisher: client,
            seq: p.seq,
            published_at: p.published_at,
            exchange: p.exchange,
            routing_key: p.routing_key.clone(),
            props: p.props.clone(),
            deaths: None,
        };
        let queues = self.route(&msg, p.exchange);
        if queues.is_empty() {
            self.emit(RabbitEvent::Unroutable { m, exchange: p.exchange, returned: p.mandatory });
            if p.mandatory {
                self.out.sends.push((client, RabbitMsg::Return { seq: p.seq }));
            }
        }
        let mut accepted = true;
        for q in queues {
            accepted &= self.enqueue(q, msg.clone(), now);
        }
        if let Some(seq) = confirm {
            self.out.sends.push((client, RabbitMsg::Confirm { seq, ack: accepted }));
        }
        Ok(())
    }

    /// Routes `msg` from exchange `x`, emitting each hop; the queues it reaches.
    fn route(&mut self, msg: &Message, x: u16) -> Vec<u16> {
        let empty = Table::default();
        let headers = msg.props.headers.as_deref().unwrap_or(&empty);
        let (exchanges, queues, names) = (&self.exchanges, &self.queues, &self.names);
        let exchange = |id: u16| exchanges.get(id as usize).and_then(Option::as_ref);
        let queue_named = |key: &str| names.queue_id(key).filter(|&q| queues[q as usize].is_some());
        let targets = route(x, &msg.routing_key, headers, exchange, queue_named, &mut self.hops);
        for h in self.hops.drain(..) {
            self.out.events.push(RabbitEvent::Routed { m: msg.id, from: h.from, to: h.to, binding: h.binding });
        }
        targets
    }

    /// `maybe_deliver_or_enqueue`: false when the queue refused it (reject-publish).
    fn enqueue(&mut self, queue: u16, msg: Message, now: Time) -> bool {
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return true };
        let m = msg.id;
        if q.decl.args.overflow != Overflow::DropHead && q.would_overflow(msg.props.size) {
            let dlx = q.decl.args.overflow == Overflow::RejectPublishDlx;
            self.emit(RabbitEvent::PublishRejected { m, queue });
            if dlx {
                self.leave(queue, msg, Reason::Maxlen, now);
            }
            return false;
        }
        let was_empty = q.ready() == 0;
        let depth = q.push(msg, now);
        self.emit(RabbitEvent::Enqueued { m, queue, depth });
        // `attempt_delivery` comes first: a message that finds a waiting consumer goes straight to
        // it, even with a TTL of 0 or a max-length of 0.
        if was_empty {
            self.deliver_next(queue);
        }
        while let Some(e) = self.queues[queue as usize].as_mut().filter(|q| q.over_limit()).and_then(Queue::pop) {
            self.leave(queue, e.msg, Reason::Maxlen, now);
        }
        self.dispatch(queue, now);
        true
    }

    /// Expires heads, then delivers while some consumer has room; re-arms the TTL timer.
    fn dispatch(&mut self, queue: u16, now: Time) {
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
    fn deliver_next(&mut self, queue: u16) -> bool {
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return false };
        if q.ready() == 0 {
            return false;
        }
        let n = q.eligible();
        let channels = &self.channels;
        let room = |c: &QConsumer| {
            c.auto_ack
                || c.prefetch == 0
                || channels.get(&c.node).is_some_and(|ch| ch.unacked.len() < c.prefetch as usize)
        };
        let Some(i) = (0..n).map(|k| (q.next_consumer + k) % n).find(|&i| room(&q.consumers[i])) else {
            return false;
        };
        let c = q.consumers[i];
        q.next_consumer = (i + 1) % n;
        let Some(e) = q.pop() else { return false };
        let Some(ch) = self.channels.get_mut(&c.node) else { return false };
        let tag = ch.next_tag;
        ch.next_tag += 1;
        let msg = &e.msg;
        let delivery = Delivery {
            tag,
            redelivered: e.redelivered,
            queue,
            publisher: msg.publisher,
            seq: msg.seq,
            published_at: msg.published_at,
            deaths: msg.deaths.clone(),
        };
        let event = RabbitEvent::Delivered { m: msg.id, queue, consumer: c.node, tag, redelivered: e.redelivered };
        if !c.auto_ack {
            ch.unacked.push_back(Unacked { tag, queue, entry: e });
        }
        self.out.sends.push((c.node, RabbitMsg::Deliver(Box::new(delivery))));
        self.emit(event);
        true
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
        let Some(ch) = self.channels.get_mut(&client) else { return Ok(()) };
        // `collect_acks`: with `multiple`, every tag up to this one (0 = all outstanding); the tag
        // itself must be outstanding.
        let multiple = multiple && !matches!(op, SettleOp::Reject { .. });
        let taken: Vec<Unacked> = match ch.unacked.binary_search_by_key(&tag, |u| u.tag) {
            _ if multiple && tag == 0 => ch.unacked.drain(..).collect(),
            Ok(i) if multiple => ch.unacked.drain(..=i).collect(),
            Ok(i) => ch.unacked.remove(i).into_iter().collect(),
            Err(_) => return Err(err(PRECONDITION_FAILED, "unknown delivery tag", None)),
        };
        let mut touched: Vec<u16> = Vec::new();
        for u in taken {
            let (m, queue) = (u.entry.msg.id, u.queue);
            if !touched.contains(&queue) {
                touched.push(queue);
            }
            match op {
                SettleOp::Ack => self.emit(RabbitEvent::Acked { m, queue, consumer: client, tag: u.tag }),
                SettleOp::Nack { requeue: true } | SettleOp::Reject { requeue: true } => self.requeue(client, u),
                SettleOp::Nack { requeue: false } | SettleOp::Reject { requeue: false } => {
                    self.emit(RabbitEvent::Rejected { m, queue, consumer: client });
                    if self.queue(queue).is_some() {
                        self.leave(queue, u.entry.msg, Reason::Rejected, now);
                    }
                }
            }
        }
        for q in touched {
            self.dispatch(q, now);
        }
        Ok(())
    }

    // ---- dead-lettering ----

    /// A message leaves `queue` without an ack: to the queue's dead-letter exchange if it has one
    /// that exists, else it is gone.
    fn leave(&mut self, queue: u16, msg: Message, reason: Reason, now: Time) {
        let Some(q) = self.queue(queue) else { return };
        let dlx = q.decl.args.dlx.filter(|&x| self.exchange(x).is_some());
        let dl_key = q.decl.args.dl_routing_key.clone();
        match dlx {
            Some(dlx) => self.dead_letter(queue, msg, reason, dlx, dl_key, now),
            None => self.emit(RabbitEvent::Discarded { m: msg.id, queue, reason, cycle: false }),
        }
    }

    /// `rabbit_dead_letter:publish`: record the death, republish to the DLX with the queue's
    /// dead-letter routing key (or the message's own), and drop it where that would loop without a
    /// rejection in between (`mc:is_death_cycle`).
    fn dead_letter(&mut self, queue: u16, mut msg: Message, reason: Reason, dlx: u16, key: Option<Rc<str>>, now: Time) {
        let death = Death {
            queue,
            reason,
            count: 1,
            exchange: msg.exchange,
            routing_key: msg.routing_key.clone(),
            time: now,
            original_expiration: msg.props.expiration,
        };
        let count = record_death(Rc::make_mut(msg.deaths.get_or_insert_with(Default::default)), death);
        self.emit(RabbitEvent::DeadLettered { m: msg.id, queue, reason, dlx, count });
        msg.props.expiration = None;
        msg.exchange = dlx;
        if let Some(k) = key {
            msg.routing_key = k;
        }
        let targets = self.route(&msg, dlx);
        if targets.is_empty() {
            self.emit(RabbitEvent::Unroutable { m: msg.id, exchange: dlx, returned: false });
        }
        for t in targets {
            let deaths = msg.deaths.as_deref().map_or(&[][..], Vec::as_slice);
            if reason != Reason::Rejected && is_death_cycle(t, deaths) {
                self.emit(RabbitEvent::Discarded { m: msg.id, queue: t, reason, cycle: true });
            } else {
                self.enqueue(t, msg.clone(), now);
            }
        }
    }

    // ---- time ----

    pub fn timer(&mut self, timer: RabbitTimer, now: Time) {
        let (RabbitTimer::Ttl { queue } | RabbitTimer::Expires { queue }) = timer else { return };
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return };
        if let RabbitTimer::Expires { .. } = timer {
            if q.expires_timer == Some(now) && q.consumers.is_empty() {
                self.delete_queue(queue, Gone::Expires);
            }
        } else if q.ttl_timer == Some(now) {
            q.ttl_timer = None;
            self.dispatch(queue, now);
        }
    }

    /// x-expires counts from the last use: armed while the queue has no consumer.
    fn arm_expires(&mut self, queue: u16, now: Time) {
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return };
        if let (Some(after), true) = (q.decl.args.expires, q.consumers.is_empty()) {
            q.expires_timer = Some(now + after);
            self.out.timers.push((now + after, RabbitTimer::Expires { queue }));
        }
    }

    // ---- node failure ----

    /// The node stops: what is in memory is gone. Durable queues keep their persistent messages,
    /// including those delivered but not acknowledged (they come back as redelivered); transient and
    /// exclusive queues, transient exchanges and the bindings to what is gone are lost.
    pub fn crash(&mut self) {
        let mut lost = vec![0u32; self.queues.len()];
        for (_, ch) in std::mem::take(&mut self.channels).iter() {
            for u in &ch.unacked {
                match self.queues.get_mut(u.queue as usize).and_then(Option::as_mut) {
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
            let dropped = q.retain(|e| e.msg.props.persistent);
            q.consumers.clear();
            (q.next_consumer, q.ttl_timer, q.expires_timer) = (0, None, None);
            self.restarted.push(Restarted { queue, kept: q.ready(), lost: dropped + lost[i], deleted: false });
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

/// `mc:record_death`: one entry per (queue, reason), most recent first; a repeat moves to the
/// front with its count + 1. Returns the entry's count.
fn record_death(deaths: &mut Vec<Death>, death: Death) -> u32 {
    match deaths.iter().position(|d| d.queue == death.queue && d.reason == death.reason) {
        Some(i) => {
            let mut d = deaths.remove(i);
            d.count += 1;
            deaths.insert(0, d);
        }
        None => deaths.insert(0, death),
    }
    deaths[0].count
}

/// `mc:is_cycle_v2`: the target queue is already in the death history and no death since (itself
/// included) was a rejection.
pub fn is_death_cycle(target: u16, deaths: &[Death]) -> bool {
    match deaths.iter().position(|d| d.queue == target) {
        None => false,
        Some(i) => deaths[..=i].iter().all(|d| d.reason != Reason::Rejected),
    }
}

#[cfg(test)]
mod tests;
