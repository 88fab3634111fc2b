//! A scripted client: one connection with one channel that plays its script's AMQP operations at
//! their times (`script_spec`), and writes down what the broker tells it — deliveries per consumer
//! tag, basic.get answers, confirms, returns and channel closes — in arrival order. After a channel
//! error it opens a new channel at once (as an application catching the error would) and goes on
//! with its next step; delivery tags start again from 1 on the new channel.
//!
//! `observations` renders that log as JSON objects, the same shape `tests/real_rabbitmq_amqp.py`
//! writes for a real RabbitMQ, so the two can be compared line by line.

use super::broker::Names;
use super::event::RabbitEvent;
use super::msg::{Delivery, RabbitMsg};
use super::script_spec::Script;
use super::{Ctx, RabbitTimer};
use crate::NodeId;
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::rc::Rc;

/// One thing the broker told the script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Obs {
    /// basic.deliver (with a consumer tag) or basic.get-ok (without).
    Deliver(Box<Delivery>),
    GetEmpty,
    /// The confirm of this script's publish number `seq`.
    Confirm {
        seq: u64,
        ack: bool,
    },
    Return {
        seq: u64,
    },
    /// channel.close with this reply code.
    Closed {
        code: u16,
    },
}

#[derive(Clone, Debug)]
pub struct ScriptClient {
    pub broker: NodeId,
    pub script: Script,
    next: usize,
    /// Publishes so far: the next one's `seq`.
    published: u64,
    /// Publishes on the current channel awaiting their confirm: (confirm sequence, seq).
    unconfirmed: VecDeque<(u64, u64)>,
    confirm_seq: u64,
    pub log: Vec<Obs>,
}

impl ScriptClient {
    pub fn new(broker: NodeId, script: Script) -> ScriptClient {
        ScriptClient {
            broker,
            script,
            next: 0,
            published: 0,
            unconfirmed: VecDeque::new(),
            confirm_seq: 0,
            log: Vec::new(),
        }
    }

    /// Steps played so far.
    pub fn done(&self) -> usize {
        self.next
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        self.open(ctx);
        self.arm(ctx);
    }

    fn open(&mut self, ctx: &mut Ctx) {
        (self.confirm_seq, self.unconfirmed) = (0, VecDeque::new());
        ctx.send(self.broker, RabbitMsg::Open { confirm: self.script.confirms });
    }

    /// Sets the timer for the next step, if any.
    fn arm(&mut self, ctx: &mut Ctx) {
        if let Some(s) = self.script.steps.get(self.next) {
            ctx.set_timer(s.at.saturating_sub(ctx.now), RabbitTimer::Step);
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: RabbitTimer) {
        if timer != RabbitTimer::Step {
            return;
        }
        let steps = self.script.steps.clone();
        while let Some(step) = steps.get(self.next).filter(|s| s.at <= ctx.now) {
            self.next += 1;
            let mut msg = step.msg.clone();
            if let RabbitMsg::Publish(p) = &mut msg {
                (p.seq, p.published_at) = (self.published, ctx.now);
                self.published += 1;
                ctx.emit(RabbitEvent::Published { publisher: ctx.me, seq: p.seq, exchange: p.exchange });
                if self.script.confirms {
                    self.confirm_seq += 1;
                    self.unconfirmed.push_back((self.confirm_seq, p.seq));
                }
            }
            ctx.send(self.broker, msg);
        }
        self.arm(ctx);
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: RabbitMsg) {
        let obs = match msg {
            RabbitMsg::Deliver(d) => {
                ctx.emit(RabbitEvent::Consumed {
                    consumer: ctx.me,
                    publisher: d.publisher,
                    seq: d.seq,
                    redelivered: d.redelivered,
                    latency: ctx.now - d.published_at,
                });
                Obs::Deliver(d)
            }
            RabbitMsg::GetEmpty => Obs::GetEmpty,
            RabbitMsg::Return { seq } => {
                ctx.emit(RabbitEvent::Returned { publisher: ctx.me, seq });
                Obs::Return { seq }
            }
            RabbitMsg::Confirm { seq, ack } => {
                let Some(i) = self.unconfirmed.iter().position(|&(c, _)| c == seq) else { return };
                let Some((_, s)) = self.unconfirmed.remove(i) else { return };
                ctx.emit(RabbitEvent::Confirmed { publisher: ctx.me, seq: s, ack, latency: crate::Time::ZERO });
                Obs::Confirm { seq: s, ack }
            }
            RabbitMsg::ChannelClose(e) => {
                self.log.push(Obs::Closed { code: e.code });
                self.open(ctx);
                return;
            }
            _ => return,
        };
        self.log.push(obs);
    }

    /// The broker is gone (or this node crashed): the script stops; nothing more is played.
    pub fn on_disconnect(&mut self, peer: NodeId) {
        if peer == self.broker {
            self.next = self.script.steps.len();
        }
    }

    /// What the broker told this script, one JSON object each, in arrival order. A message is
    /// named `publisher#n` (the publishing script and its publish number, from 0), as the real
    /// client's driver names its bodies.
    pub fn observations(&self, me: NodeId, names: &Names, node_name: &dyn Fn(NodeId) -> String) -> Vec<Value> {
        let msg_name = |p: NodeId, seq: u64| format!("{}#{seq}", node_name(p));
        self.log
            .iter()
            .map(|o| match o {
                Obs::Deliver(d) => delivery_json(d, names, &self.script.tags, &msg_name),
                Obs::GetEmpty => json!({"ev": "get-empty"}),
                Obs::Confirm { seq, ack } => json!({"ev": "confirm", "msg": msg_name(me, *seq), "ack": ack}),
                Obs::Return { seq } => json!({"ev": "return", "msg": msg_name(me, *seq)}),
                Obs::Closed { code } => json!({"ev": "closed", "code": code}),
            })
            .collect()
    }
}

fn delivery_json(d: &Delivery, names: &Names, tags: &[Rc<str>], msg_name: &dyn Fn(NodeId, u64) -> String) -> Value {
    let mut o = Map::new();
    let ev = if d.ctag.is_some() { "deliver" } else { "get" };
    o.insert("ev".into(), ev.into());
    if let Some(t) = d.ctag {
        o.insert("consumer".into(), tags.get(t as usize).map_or("?".into(), |t| t.to_string()).into());
    }
    o.insert("msg".into(), msg_name(d.publisher, d.seq).into());
    o.insert("tag".into(), d.tag.into());
    o.insert("redelivered".into(), d.redelivered.into());
    o.insert("exchange".into(), names.exchanges.get(d.exchange as usize).map_or("?".into(), |n| n.to_string()).into());
    o.insert("routing_key".into(), d.routing_key.to_string().into());
    if let Some(n) = d.message_count {
        o.insert("message_count".into(), n.into());
    }
    let headers: Value = d
        .headers
        .as_ref()
        .map_or(Value::Object(Map::new()), |h| serde_json::from_str(&h.to_json()).unwrap_or_default());
    o.insert("headers".into(), headers);
    if let Some(deaths) = &d.deaths {
        let list: Vec<Value> = deaths
            .iter()
            .map(|x| {
                let mut keys = vec![x.routing_key.to_string()];
                keys.extend(x.cc.iter().flat_map(|cc| cc.iter().map(|k| k.to_string())));
                let mut e = json!({
                    "count": x.count,
                    "reason": x.reason.name(),
                    "queue": names.queue(x.queue),
                    "exchange": names.exchanges.get(x.exchange as usize).map_or("?".into(), |n| n.to_string()),
                    "routing-keys": keys,
                });
                if let Some(t) = x.original_expiration {
                    e["original-expiration"] = (t.0 / 1000).to_string().into();
                }
                e
            })
            .collect();
        o.insert("x-death".into(), list.into());
    }
    Value::Object(o)
}
