//! A consume-transform-produce client, written the way RabbitMQ applications usually write one
//! (the scenario's `rabbit.processors`): it consumes its `input` queue with manual
//! acknowledgements and a prefetch, works on each delivery in turn, publishes the transformed
//! message (the same body: the input's sequence number) to `exchange` with publisher confirms on
//! the same channel, and acknowledges an input only once its output is confirmed — with one
//! `multiple` ack per `ack_every` inputs, or sooner when it has nothing else to work on. An
//! output the broker nacks sends its input back to the queue (basic.nack with requeue).
//!
//! Nothing ties the output's publish to the input's ack: a crash (or a lost connection) after
//! the output reached the broker and before the ack did leaves the input unacknowledged, the
//! broker requeues it flagged redelivered, the processor works on it again and the output queue
//! gets it twice. That is RabbitMQ's at-least-once. The tx class makes a channel's publishes and
//! acks take effect at tx.commit (consuming itself is not transactional), but RabbitMQ's "Broker
//! Semantics" lists it as atomic neither within one queue nor across queues, "closer to providing
//! a 'batching' feature than ACID"; it is not modelled.

pub mod config;

use super::clients::Conn;
use super::event::RabbitEvent;
use super::msg::{Delivery, Props, Publish, RabbitMsg, SettleOp};
use super::{Ctx, RabbitTimer};
use crate::time::Time;
use crate::NodeId;
use std::collections::VecDeque;
use std::rc::Rc;

/// Where an input is, from its delivery to its ack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// Delivered, waiting to be worked on (or being worked on).
    Received,
    /// Its output is published: confirm number `n` of the channel.
    Published(u64),
    /// Its output is confirmed: ready to be acknowledged.
    Confirmed,
}

/// A delivery the processor holds.
#[derive(Clone, Debug)]
struct Input {
    tag: u64,
    publisher: NodeId,
    seq: u64,
    redelivered: bool,
    step: Step,
    /// When its output was published (for the confirm's latency).
    out_at: Time,
    routing_key: Rc<str>,
}

/// What a processor does with its input, set from its spec.
#[derive(Clone, Debug)]
pub struct Settings {
    pub input: u16,
    pub exchange: u16,
    /// The output's routing key (None: the input's own).
    pub routing_key: Option<Rc<str>>,
    pub props: Props,
    pub prefetch: u16,
    pub ack_every: u32,
    pub processing: Time,
    pub processing_jitter: Time,
    pub reconnect: Time,
    /// When it first connects (None: with the run).
    pub start: Option<Time>,
}

#[derive(Clone, Debug)]
pub struct Processor {
    pub broker: NodeId,
    pub settings: Settings,
    conn: Conn,
    /// Inputs held, in delivery order (the broker's tags grow).
    held: VecDeque<Input>,
    /// The input being worked on while a work timer runs.
    working: Option<u64>,
    /// The channel's publishes so far (confirm numbers start at 1 on each channel).
    published: u64,
    /// Inputs processed and acknowledged since the start (the application's counters: a crash
    /// loses them).
    pub processed: u64,
    pub acked: u64,
}

impl Processor {
    pub fn new(broker: NodeId, settings: Settings) -> Processor {
        Processor {
            broker,
            settings,
            conn: Conn::default(),
            held: VecDeque::new(),
            working: None,
            published: 0,
            processed: 0,
            acked: 0,
        }
    }

    /// The cluster's nodes, tried in turn after a connection drops.
    pub fn with_endpoints(mut self, nodes: &[NodeId]) -> Self {
        self.conn.endpoints = nodes.into();
        self
    }

    /// Inputs delivered and not yet acknowledged; of them, those whose output is published
    /// (confirmed or not).
    pub fn unacked(&self) -> usize {
        self.held.len()
    }

    pub fn published_unacked(&self) -> usize {
        self.held.iter().filter(|i| i.step != Step::Received).count()
    }

    /// Outputs published and not yet confirmed.
    pub fn unconfirmed(&self) -> usize {
        self.held.iter().filter(|i| matches!(i.step, Step::Published(_))).count()
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        match self.settings.start {
            Some(at) if at > ctx.now => {
                self.settings.start = None;
                ctx.set_timer(at - ctx.now, RabbitTimer::Reconnect { conn: self.conn.generation });
            }
            _ => self.connect(ctx),
        }
    }

    /// One channel in confirm mode, consuming its input with manual acks: pipelined, as a client
    /// sends channel.open, confirm.select, basic.qos and basic.consume.
    fn connect(&mut self, ctx: &mut Ctx) {
        self.published = 0;
        ctx.send(self.broker, RabbitMsg::Open { confirm: true });
        let s = &self.settings;
        let consume =
            RabbitMsg::Consume { queue: s.input, tag: 0, prefetch: Some(s.prefetch), auto_ack: false, offset: None };
        ctx.send(self.broker, consume);
    }

    /// The channel is gone, and with it every delivery it held (the broker requeues them) and
    /// every confirm still due.
    fn reset(&mut self) {
        self.held.clear();
        self.working = None;
        self.published = 0;
    }

    /// Its timers of an earlier connection are ignored.
    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: RabbitTimer) {
        let timer = self.conn.current(timer);
        if let Some(RabbitTimer::Reconnect { .. }) = timer {
            return self.connect(ctx);
        }
        // The work on the input it was working on is done: its output goes out, and on to the next.
        if let (Some(RabbitTimer::Work { .. }), Some(tag)) = (timer, self.working.take()) {
            self.publish(ctx, tag);
            self.work(ctx);
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: RabbitMsg) {
        match msg {
            RabbitMsg::Confirm { seq, ack } => self.confirmed(ctx, seq, ack),
            RabbitMsg::Deliver(d) => self.receive(ctx, &d),
            RabbitMsg::ChannelClose(_) => {
                self.reset();
                self.conn.lost(ctx, self.settings.reconnect);
            }
            RabbitMsg::OpenOk => self.conn.open = true,
            _ => {}
        }
    }

    fn receive(&mut self, ctx: &mut Ctx, d: &Delivery) {
        let latency = ctx.now - d.published_at;
        let (publisher, seq, redelivered) = (d.publisher, d.seq, d.redelivered);
        ctx.emit(RabbitEvent::Consumed { consumer: ctx.me, publisher, seq, redelivered, latency });
        let key = d.routing_key.clone();
        let input = Input {
            tag: d.tag,
            publisher,
            seq,
            redelivered,
            step: Step::Received,
            out_at: Time::ZERO,
            routing_key: key,
        };
        self.held.push_back(input);
        self.work(ctx);
    }

    /// Starts on the oldest input not yet worked on, if it is idle.
    fn work(&mut self, ctx: &mut Ctx) {
        if self.working.is_some() {
            return;
        }
        let Some(next) = self.held.iter().find(|i| i.step == Step::Received).map(|i| i.tag) else {
            return;
        };
        let s = &self.settings;
        if s.processing == Time::ZERO && s.processing_jitter == Time::ZERO {
            self.publish(ctx, next);
            return self.work(ctx);
        }
        self.working = Some(next);
        let work = super::clients::work_time(ctx, s.processing, s.processing_jitter);
        ctx.set_timer(work, RabbitTimer::Work { conn: self.conn.generation });
    }

    /// The work on input `tag` is done: its output goes out, awaiting its confirm.
    fn publish(&mut self, ctx: &mut Ctx, tag: u64) {
        let Some(input) = self.held.iter_mut().find(|i| i.tag == tag) else { return };
        let (publisher, seq, redelivered) = (input.publisher, input.seq, input.redelivered);
        ctx.emit(RabbitEvent::Processed { consumer: ctx.me, publisher, seq, redelivered });
        self.processed += 1;
        self.published += 1;
        input.step = Step::Published(self.published);
        input.out_at = ctx.now;
        let s = &self.settings;
        ctx.emit(RabbitEvent::Published { publisher: ctx.me, seq, exchange: s.exchange });
        let p = Publish {
            seq,
            exchange: s.exchange,
            routing_key: s.routing_key.clone().unwrap_or_else(|| input.routing_key.clone()),
            props: s.props.clone(),
            mandatory: false,
            published_at: ctx.now,
        };
        ctx.send(self.broker, RabbitMsg::Publish(Box::new(p)));
    }

    /// basic.ack / basic.nack for the channel's publishes up to `n` (RabbitMQ may confirm several
    /// at once): confirmed inputs may be acknowledged; a nacked output sends its input back.
    fn confirmed(&mut self, ctx: &mut Ctx, n: u64, ack: bool) {
        let (me, now) = (ctx.me, ctx.now);
        let mut requeue = vec![];
        for i in self.held.iter_mut() {
            if let Step::Published(c) = i.step {
                if c <= n {
                    let latency = now - i.out_at;
                    ctx.emit(RabbitEvent::Confirmed { publisher: me, seq: i.seq, ack, latency });
                    i.step = Step::Confirmed;
                    if !ack {
                        requeue.push(i.tag);
                    }
                }
            }
        }
        for tag in requeue {
            self.held.retain(|i| i.tag != tag);
            let op = SettleOp::Nack { requeue: true };
            ctx.send(self.broker, RabbitMsg::Settle { tag, multiple: false, op });
        }
        self.ack(ctx);
    }

    /// Acknowledges the oldest inputs whose outputs are confirmed, in one `multiple` ack: once
    /// there are `ack_every` of them, or when nothing else is held (the batch ends with the work).
    fn ack(&mut self, ctx: &mut Ctx) {
        let ready = self.held.iter().take_while(|i| i.step == Step::Confirmed).count();
        if ready == 0 || (ready < self.settings.ack_every as usize && ready < self.held.len()) {
            return;
        }
        let last = self.held[ready - 1].tag;
        self.held.drain(..ready);
        self.acked += ready as u64;
        ctx.send(self.broker, RabbitMsg::Settle { tag: last, multiple: ready > 1, op: SettleOp::Ack });
    }

    pub fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        if peer == self.broker {
            self.reset();
            self.conn.lost(ctx, self.settings.reconnect);
            self.broker = self.conn.next(self.broker);
        }
    }

    pub fn on_crash(&mut self) {
        self.reset();
        self.conn.open = false;
        self.conn.generation += 1;
        (self.processed, self.acked) = (0, 0);
    }
}

#[cfg(test)]
mod tests;
