//! Dead-lettering: a message that leaves a queue without an ack (rejected, expired, over the
//! length limit) goes to the queue's dead-letter exchange with its `x-death` history, unless that
//! would loop.

use super::Broker;
use crate::rabbit::event::RabbitEvent;
use crate::rabbit::exchange::header_routes;
use crate::rabbit::msg::*;
use crate::rabbit::routing::Value;
use crate::time::Time;
use std::rc::Rc;

impl Broker {
    /// A message leaves `queue` without an ack: to the queue's dead-letter exchange if it has one
    /// that exists, else it is gone.
    pub(super) fn leave(&mut self, queue: u16, msg: Message, reason: Reason, now: Time) {
        let Some(q) = self.queue(queue) else { return };
        let dlx = q.decl.args.dlx.filter(|&x| self.exchange(x).is_some());
        let dl_key = q.decl.args.dl_routing_key.clone();
        match dlx {
            Some(dlx) => self.dead_letter(queue, msg, reason, dlx, dl_key, now),
            None => self.emit(RabbitEvent::Discarded { m: msg.id, queue, reason, cycle: false }),
        }
    }

    /// `rabbit_dead_letter:make_msg`: record the death (the first one also as the
    /// `x-first-death-reason` / `-queue` / `-exchange` headers), republish to the DLX with the
    /// queue's dead-letter routing key (which drops the `CC` header) or the message's own routing
    /// keys, and drop it where that would loop without a rejection in between (`mc:is_death_cycle`).
    fn dead_letter(&mut self, queue: u16, mut msg: Message, reason: Reason, dlx: u16, key: Option<Rc<str>>, now: Time) {
        let headers = msg.props.headers.clone().unwrap_or_default();
        // x-death's routing-keys: the publish's key, then the CC header's (BCC is gone by now).
        let cc: Vec<Rc<str>> = header_routes(&headers).map(Rc::from).collect();
        let death = Death {
            queue,
            reason,
            count: 1,
            exchange: msg.exchange,
            routing_key: msg.routing_key.clone(),
            cc: (!cc.is_empty()).then(|| cc.into()),
            time: now,
            original_expiration: msg.props.expiration,
        };
        if msg.deaths.is_none() {
            let s = |v: String| Value::Str(v.into());
            let first = headers
                .with("x-first-death-reason", s(reason.name().into()))
                .with("x-first-death-queue", s(self.names.queue(queue)))
                .with("x-first-death-exchange", s(self.names.exchanges[msg.exchange as usize].to_string()));
            msg.props.headers = Some(Rc::new(first));
        }
        let count = record_death(Rc::make_mut(msg.deaths.get_or_insert_with(Default::default)), death);
        self.emit(RabbitEvent::DeadLettered { m: msg.id, queue, reason, dlx, count });
        msg.props.expiration = None;
        msg.exchange = dlx;
        if let Some(k) = key {
            msg.routing_key = k;
            msg.cc = None;
            if let Some(h) = msg.props.headers.as_mut().filter(|h| h.get("CC").is_some()) {
                *h = Rc::new(h.without("CC"));
            }
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
pub(super) fn is_death_cycle(target: u16, deaths: &[Death]) -> bool {
    match deaths.iter().position(|d| d.queue == target) {
        None => false,
        Some(i) => deaths[..=i].iter().all(|d| d.reason != Reason::Rejected),
    }
}
