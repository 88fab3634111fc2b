//! Publishing: a basic.publish routed through the exchanges to its queues (each hop an event),
//! unroutable messages returned when mandatory, queue length limits (`x-overflow`), and the
//! publisher's confirm.

use super::{err, Broker, ChannelErr};
use crate::rabbit::event::RabbitEvent;
use crate::rabbit::exchange::{header_routes, route, ROUTING_HEADERS};
use crate::rabbit::msg::*;
use crate::rabbit::queue::Overflow;
use crate::rabbit::routing::Table;
use crate::time::Time;
use crate::NodeId;
use std::rc::Rc;

impl Broker {
    pub fn publish(&mut self, client: NodeId, p: &Publish, now: Time) -> Result<(), ChannelErr> {
        let Some(ch) = self.channels.get_mut(&client) else { return Ok(()) };
        let confirm = ch.confirm.then(|| {
            ch.publish_seq += 1;
            ch.publish_seq
        });
        if self.exchange(p.exchange).is_none() {
            return Err(err(NOT_FOUND, "no exchange", Some(Dest::Exchange(p.exchange))));
        }
        // `rabbit_basic:header_routes`: CC and BCC must be arrays; the message is refused otherwise.
        let headers = p.props.headers.as_deref();
        if ROUTING_HEADERS.iter().any(|h| headers.and_then(|t| t.get(h)).is_some_and(|v| v.strings().is_none())) {
            return Err(err(PRECONDITION_FAILED, "invalid message: unacceptable type in CC or BCC header", None));
        }
        let cc: Vec<Rc<str>> = headers.map(|t| header_routes(t).map(Rc::from).collect()).unwrap_or_default();
        let m = self.next_msg;
        self.next_msg += 1;
        self.emit(RabbitEvent::Received { m, publisher: client, seq: p.seq, exchange: p.exchange });
        let mut msg = Message {
            id: m,
            publisher: client,
            seq: p.seq,
            published_at: p.published_at,
            exchange: p.exchange,
            routing_key: p.routing_key.clone(),
            props: p.props.clone(),
            cc: (!cc.is_empty()).then(|| cc.into()),
            deaths: None,
        };
        let queues = self.route(&msg, p.exchange);
        // BCC is removed before the message is stored (`strip_header`): no consumer sees it.
        if let Some(h) = msg.props.headers.as_mut().filter(|h| h.get("BCC").is_some()) {
            *h = Rc::new(h.without("BCC"));
        }
        if queues.is_empty() {
            self.emit(RabbitEvent::Unroutable { m, exchange: p.exchange, returned: p.mandatory });
            if p.mandatory {
                self.out.sends.push((client, RabbitMsg::Return { seq: p.seq }));
            }
        }
        let mut accepted = true;
        let handed = self.out.handoffs.len();
        for q in queues {
            accepted &= self.enqueue(q, msg.clone(), now);
        }
        if let Some(seq) = confirm {
            // A quorum queue in a cluster confirms once its Raft group has committed the message.
            if self.out.handoffs.len() > handed {
                for h in &mut self.out.handoffs[handed..] {
                    (h.confirm, h.ok) = (Some((client, seq)), accepted);
                }
            } else {
                self.out.sends.push((client, RabbitMsg::Confirm { seq, ack: accepted }));
            }
        }
        Ok(())
    }

    /// Routes `msg` from exchange `x`, emitting each hop; the queues it reaches.
    pub(super) fn route(&mut self, msg: &Message, x: u16) -> Vec<u16> {
        let empty = Table::default();
        let headers = msg.props.headers.as_deref().unwrap_or(&empty);
        let mut keys: Vec<&str> = vec![&msg.routing_key];
        keys.extend(msg.cc.iter().flat_map(|cc| cc.iter().map(|k| &**k)));
        let (exchanges, queues, names) = (&self.exchanges, &self.queues, &self.names);
        let exchange = |id: u16| exchanges.get(id as usize).and_then(Option::as_ref);
        let queue_named = |key: &str| names.queue_id(key).filter(|&q| queues[q as usize].is_some());
        let targets = route(x, &keys, headers, exchange, queue_named, &mut self.hops);
        for h in self.hops.drain(..) {
            self.out.events.push(RabbitEvent::Routed { m: msg.id, from: h.from, to: h.to, binding: h.binding });
        }
        targets
    }

    /// `maybe_deliver_or_enqueue`: false when the queue refused it (reject-publish).
    pub(super) fn enqueue(&mut self, queue: u16, msg: Message, now: Time) -> bool {
        if self.hands_off(queue) {
            self.out.handoffs.push(super::quorum::Handoff { queue, msg, confirm: None, ok: true });
            return true;
        }
        let Some(q) = self.queues.get_mut(queue as usize).and_then(Option::as_mut) else { return true };
        if q.is_stream() {
            self.stream_append(queue, msg, now);
            return true;
        }
        let m = msg.id;
        if q.decl.args.overflow != Overflow::DropHead && q.refuses(msg.props.size) {
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
        while let Some(e) = self.queues[queue as usize].as_mut().and_then(|q| q.after_enqueue().then(|| q.pop())?) {
            self.leave(queue, e.msg, Reason::Maxlen, now);
        }
        self.dispatch(queue, now);
        true
    }
}
