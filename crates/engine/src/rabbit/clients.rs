//! RabbitMQ's clients: a publisher (with or without confirms) and a consumer (prefetch, manual or
//! automatic acks, rejections). Each keeps one connection with one channel; when the connection or
//! channel closes they recover after `reconnect`, as client libraries' automatic recovery does.

use super::event::RabbitEvent;
use super::msg::{Delivery, Props, Publish, RabbitMsg, SettleOp};
use super::{Ctx, RabbitTimer};
use crate::time::Time;
use crate::NodeId;
use std::collections::VecDeque;
use std::rc::Rc;

fn send(ctx: &mut Ctx, to: NodeId, m: RabbitMsg) {
    ctx.send(to, m);
}

fn emit(ctx: &mut Ctx, e: RabbitEvent) {
    ctx.emit(e);
}

/// Connection state shared by both clients.
#[derive(Clone, Debug, Default)]
pub(super) struct Conn {
    pub(super) open: bool,
    pub(super) generation: u64,
    /// A cluster's nodes, which the client tries in turn when its connection drops.
    pub(super) endpoints: Rc<[NodeId]>,
}

impl Conn {
    /// The node to connect to after `broker`'s connection dropped.
    pub(super) fn next(&self, broker: NodeId) -> NodeId {
        match self.endpoints.iter().position(|&n| n == broker) {
            Some(i) => self.endpoints[(i + 1) % self.endpoints.len()],
            None => broker,
        }
    }

    /// `timer` if it belongs to the connection now (a client's timers carry its generation).
    pub(super) fn current(&self, timer: RabbitTimer) -> Option<RabbitTimer> {
        match timer {
            RabbitTimer::Reconnect { conn } | RabbitTimer::Work { conn } if conn != self.generation => None,
            t => Some(t),
        }
    }

    /// Drops the connection; a reconnect is due after `after`.
    pub(super) fn lost(&mut self, ctx: &mut Ctx, after: Time) {
        self.open = false;
        self.generation += 1;
        ctx.set_timer(after, RabbitTimer::Reconnect { conn: self.generation });
    }
}

#[derive(Clone, Debug)]
pub struct Publisher {
    pub broker: NodeId,
    pub exchange: u16,
    pub keys: Vec<Rc<str>>,
    pub props: Props,
    pub mandatory: bool,
    pub confirms: bool,
    pub interval: Time,
    pub start: Time,
    pub count: Option<u64>,
    pub reconnect: Time,
    /// Survives crashes (as if persisted), so the sequence shows what was lost.
    pub next_seq: u64,
    conn: Conn,
    /// Publishes awaiting their confirm: (confirm sequence, seq, published at).
    unconfirmed: VecDeque<(u64, u64, Time)>,
    confirm_seq: u64,
    /// The broker's socket buffers for this connection are full (it stopped reading it): the next
    /// publish blocks in its socket write, as `basicPublish` does, until there is room.
    window_closed: bool,
    /// A publish is blocked that way (its timer fired while the window was closed).
    stalled: bool,
}

impl Publisher {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        broker: NodeId,
        exchange: u16,
        keys: Vec<Rc<str>>,
        props: Props,
        mandatory: bool,
        confirms: bool,
        interval: Time,
        start: Time,
        count: Option<u64>,
        reconnect: Time,
    ) -> Publisher {
        Publisher {
            broker,
            exchange,
            keys,
            props,
            mandatory,
            confirms,
            interval,
            start,
            count,
            reconnect,
            next_seq: 0,
            conn: Conn::default(),
            unconfirmed: VecDeque::new(),
            confirm_seq: 0,
            window_closed: false,
            stalled: false,
        }
    }

    /// Publishes awaiting their confirm.
    pub fn unconfirmed(&self) -> usize {
        self.unconfirmed.len()
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        self.connect(ctx);
        let first = if ctx.now < self.start { self.start - ctx.now } else { self.interval };
        ctx.set_timer(first, RabbitTimer::Publish);
    }

    fn connect(&mut self, ctx: &mut Ctx) {
        self.confirm_seq = 0;
        send(ctx, self.broker, RabbitMsg::Open { confirm: self.confirms });
    }

    /// Everything not yet confirmed fails: the channel it went out on is gone.
    fn fail_unconfirmed(&mut self, ctx: &mut Ctx, why: &'static str) {
        for (_, seq, _) in std::mem::take(&mut self.unconfirmed) {
            emit(ctx, RabbitEvent::PublishFailed { publisher: ctx.me, seq, why });
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: RabbitTimer) {
        match timer {
            RabbitTimer::Publish => self.publish(ctx),
            RabbitTimer::Reconnect { conn } if conn == self.conn.generation => self.connect(ctx),
            _ => {}
        }
    }

    fn publish(&mut self, ctx: &mut Ctx) {
        if self.count.is_some_and(|c| self.next_seq >= c) {
            return;
        }
        if self.window_closed && self.conn.open {
            // The application's thread is stuck in the socket write: nothing more is published,
            // and the publishing timer waits with it, until the window opens.
            self.stalled = true;
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        if self.count.is_none_or(|c| self.next_seq < c) {
            ctx.set_timer(self.interval, RabbitTimer::Publish);
        }
        if !self.conn.open {
            emit(ctx, RabbitEvent::PublishFailed { publisher: ctx.me, seq, why: "no connection to the broker" });
            return;
        }
        let key = if self.keys.is_empty() {
            Rc::from("")
        } else {
            self.keys[(seq % self.keys.len() as u64) as usize].clone()
        };
        emit(ctx, RabbitEvent::Published { publisher: ctx.me, seq, exchange: self.exchange });
        if self.confirms {
            self.confirm_seq += 1;
            self.unconfirmed.push_back((self.confirm_seq, seq, ctx.now));
        }
        let p = Publish {
            seq,
            exchange: self.exchange,
            routing_key: key,
            props: self.props.clone(),
            mandatory: self.mandatory,
            published_at: ctx.now,
        };
        send(ctx, self.broker, RabbitMsg::Publish(Box::new(p)));
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: RabbitMsg) {
        match msg {
            RabbitMsg::OpenOk => self.conn.open = true,
            RabbitMsg::Confirm { seq, ack } => {
                // Confirms come in order; an individual one settles exactly its publish.
                while let Some(&(cseq, s, at)) = self.unconfirmed.front() {
                    if cseq > seq {
                        break;
                    }
                    self.unconfirmed.pop_front();
                    if cseq == seq {
                        emit(ctx, RabbitEvent::Confirmed { publisher: ctx.me, seq: s, ack, latency: ctx.now - at });
                    }
                }
            }
            RabbitMsg::Return { seq } => emit(ctx, RabbitEvent::Returned { publisher: ctx.me, seq }),
            RabbitMsg::ChannelClose(_) => {
                self.fail_unconfirmed(ctx, "channel closed by the broker");
                self.conn.lost(ctx, self.reconnect);
            }
            RabbitMsg::Window { open: false } => self.window_closed = true,
            RabbitMsg::Window { open: true } => self.window_open(ctx),
            _ => {}
        }
    }

    pub fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        if peer == self.broker {
            self.fail_unconfirmed(ctx, "connection lost before the confirm");
            self.conn.lost(ctx, self.reconnect);
            self.broker = self.conn.next(self.broker);
            // The socket is gone, and its full buffers with it: a blocked write returns.
            self.window_open(ctx);
        }
    }

    /// There is room in the socket again: the blocked publish goes out now, and the application
    /// goes on at its own pace from there.
    fn window_open(&mut self, ctx: &mut Ctx) {
        self.window_closed = false;
        if std::mem::take(&mut self.stalled) {
            self.publish(ctx);
        }
    }

    /// The cluster's nodes, tried in turn after a connection drops.
    pub fn with_endpoints(mut self, nodes: &[NodeId]) -> Self {
        self.conn.endpoints = nodes.into();
        self
    }

    pub fn on_crash(&mut self) {
        self.conn.open = false;
        self.unconfirmed.clear();
        self.window_closed = false;
        self.stalled = false;
    }
}

/// A delivery held by the consumer: its tag, and what `Processed` reports when it is settled.
#[derive(Clone, Copy, Debug)]
struct Pending {
    tag: u64,
    publisher: NodeId,
    seq: u64,
    redelivered: bool,
}

#[derive(Clone, Debug)]
pub struct Consumer {
    pub broker: NodeId,
    pub queue: u16,
    pub prefetch: u16,
    pub auto_ack: bool,
    pub processing: Time,
    /// A random extra of up to this much per message (drawn only when nonzero).
    pub processing_jitter: Time,
    pub ack_every: u32,
    pub reject_every: u32,
    pub requeue: bool,
    pub declare: bool,
    /// Holds every delivery until the learner settles it (`settle_by_hand`): no processing of its own.
    pub hold: bool,
    pub reconnect: Time,
    /// When it first connects (None: with the run).
    pub start: Option<Time>,
    /// Its `x-stream-offset`, sent with every basic.consume (a stream consumer starts there again
    /// after a reconnect: the model's application keeps no offset of its own).
    pub offset: Option<crate::rabbit::stream::OffsetSpec>,
    conn: Conn,
    /// Deliveries not yet settled, oldest first.
    pending: VecDeque<Pending>,
    /// The tag being worked on while a work timer runs; when it fires, the head is settled if it
    /// is still that delivery (the learner may have settled it by hand meanwhile).
    working: Option<u64>,
    /// Messages handled so far (for `reject_every`), and acks held back for one `multiple` ack.
    handled: u64,
    held: u32,
}

impl Consumer {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        broker: NodeId,
        queue: u16,
        prefetch: u16,
        auto_ack: bool,
        (processing, processing_jitter): (Time, Time),
        (ack_every, reject_every, requeue): (u32, u32, bool),
        (declare, hold): (bool, bool),
        reconnect: Time,
    ) -> Consumer {
        Consumer {
            broker,
            queue,
            prefetch,
            auto_ack,
            processing,
            processing_jitter,
            ack_every,
            reject_every,
            requeue,
            declare,
            hold,
            reconnect,
            start: None,
            offset: None,
            conn: Conn::default(),
            pending: VecDeque::new(),
            working: None,
            handled: 0,
            held: 0,
        }
    }

    /// Deliveries received and not yet settled.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// A consumer that connects at `start` rather than with the run.
    pub fn starting_at(mut self, start: Option<Time>) -> Consumer {
        self.start = start;
        self
    }

    /// A consumer that sends `x-stream-offset` with its basic.consume.
    pub fn reading_from(mut self, offset: Option<crate::rabbit::stream::OffsetSpec>) -> Consumer {
        self.offset = offset;
        self
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        match self.start {
            // Once, at the first start: a restarted consumer connects at once.
            Some(at) if at > ctx.now => {
                self.start = None;
                ctx.set_timer(at - ctx.now, RabbitTimer::Reconnect { conn: self.conn.generation });
            }
            _ => self.connect(ctx),
        }
    }

    /// Opens the channel, declares the queue (and its bindings) and consumes, pipelined.
    fn connect(&mut self, ctx: &mut Ctx) {
        send(ctx, self.broker, RabbitMsg::Open { confirm: false });
        if self.declare {
            send(ctx, self.broker, RabbitMsg::Declare { queue: self.queue });
        }
        send(
            ctx,
            self.broker,
            RabbitMsg::Consume {
                queue: self.queue,
                tag: 0,
                prefetch: Some(self.prefetch),
                auto_ack: self.auto_ack,
                offset: self.offset,
            },
        );
    }

    /// The channel is gone: unsettled deliveries go back to the queue on the broker's side.
    fn reset(&mut self) {
        self.pending.clear();
        (self.working, self.held) = (None, 0);
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: RabbitTimer) {
        match timer {
            RabbitTimer::Reconnect { conn } if conn == self.conn.generation => self.connect(ctx),
            RabbitTimer::Work { conn } if conn == self.conn.generation => {
                let worked = self.working.take();
                if self.pending.front().is_some_and(|p| Some(p.tag) == worked) {
                    if let Some(p) = self.pending.pop_front() {
                        self.settle(ctx, p);
                    }
                }
                self.work(ctx);
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: RabbitMsg) {
        match msg {
            RabbitMsg::OpenOk => self.conn.open = true,
            RabbitMsg::Deliver(d) => self.receive(ctx, &d),
            RabbitMsg::ChannelClose(_) => {
                self.reset();
                self.conn.lost(ctx, self.reconnect);
            }
            _ => {}
        }
    }

    fn receive(&mut self, ctx: &mut Ctx, d: &Delivery) {
        let latency = ctx.now - d.published_at;
        let e = RabbitEvent::Consumed {
            consumer: ctx.me,
            publisher: d.publisher,
            seq: d.seq,
            redelivered: d.redelivered,
            latency,
        };
        emit(ctx, e);
        let p = Pending { tag: d.tag, publisher: d.publisher, seq: d.seq, redelivered: d.redelivered };
        if self.auto_ack {
            // Nothing to settle: the message counts as processed on receipt.
            emit_processed(ctx, p);
            return;
        }
        self.pending.push_back(p);
        self.work(ctx);
    }

    /// Works on the next delivery: settles it at once, or after `processing`.
    fn work(&mut self, ctx: &mut Ctx) {
        while !self.hold && self.working.is_none() && !self.pending.is_empty() {
            if self.processing > Time::ZERO || self.processing_jitter > Time::ZERO {
                self.working = self.pending.front().map(|p| p.tag);
                let work = work_time(ctx, self.processing, self.processing_jitter);
                ctx.set_timer(work, RabbitTimer::Work { conn: self.conn.generation });
                return;
            }
            if let Some(p) = self.pending.pop_front() {
                self.settle(ctx, p);
            }
        }
    }

    /// The application is done with `p`: it says so (`Processed`), then acks or rejects it.
    fn settle(&mut self, ctx: &mut Ctx, p: Pending) {
        emit_processed(ctx, p);
        let tag = p.tag;
        self.handled += 1;
        if self.reject_every > 0 && self.handled % self.reject_every as u64 == 0 {
            let op = SettleOp::Reject { requeue: self.requeue };
            send(ctx, self.broker, RabbitMsg::Settle { tag, multiple: false, op });
            return;
        }
        self.held += 1;
        if self.held >= self.ack_every {
            let multiple = self.held > 1;
            self.held = 0;
            send(ctx, self.broker, RabbitMsg::Settle { tag, multiple, op: SettleOp::Ack });
        }
    }

    /// The application settles delivery `tag` as the learner chose (with `multiple`, every held
    /// delivery up to it too). Tags it no longer holds are ignored: acking one would be a channel
    /// error (406 unknown delivery tag), which a real application avoids by settling only what it has.
    pub fn settle_by_hand(&mut self, ctx: &mut Ctx, tag: u64, multiple: bool, op: SettleOp) {
        let multiple = multiple && !matches!(op, SettleOp::Reject { .. });
        let settled: VecDeque<Pending> = if multiple {
            let (done, kept) = self.pending.drain(..).partition(|p| p.tag <= tag);
            self.pending = kept;
            done
        } else {
            let Some(i) = self.pending.iter().position(|p| p.tag == tag) else { return };
            self.pending.remove(i).into_iter().collect()
        };
        // (Were the delivery being worked on among them, its work timer now finds it gone.)
        let Some(last) = settled.back() else { return };
        for p in &settled {
            emit_processed(ctx, *p);
        }
        send(ctx, self.broker, RabbitMsg::Settle { tag: last.tag, multiple: multiple && settled.len() > 1, op });
        self.work(ctx);
    }

    pub fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        if peer == self.broker {
            self.reset();
            self.conn.lost(ctx, self.reconnect);
            self.broker = self.conn.next(self.broker);
        }
    }

    /// The cluster's nodes, tried in turn after a connection drops.
    pub fn with_endpoints(mut self, nodes: &[NodeId]) -> Self {
        self.conn.endpoints = nodes.into();
        self
    }

    pub fn on_crash(&mut self) {
        self.reset();
        self.conn.open = false;
        self.conn.generation += 1;
    }
}

/// How long the application works on one message: `processing` plus a random extra of up to
/// `jitter`. The draw happens only with jitter, so runs without it keep their random streams.
pub(super) fn work_time(ctx: &mut Ctx, processing: Time, jitter: Time) -> Time {
    match jitter {
        Time::ZERO => processing,
        j => processing + Time(ctx.rng.below(j.0 + 1)),
    }
}

fn emit_processed(ctx: &mut Ctx, p: Pending) {
    let e = RabbitEvent::Processed { consumer: ctx.me, publisher: p.publisher, seq: p.seq, redelivered: p.redelivered };
    emit(ctx, e);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::ctx::Effect;
    use crate::kernel::rng::Rng;
    use crate::rabbit::Rabbit;

    /// Runs `f` on the publisher at `now`; returns the publishes it sent and whether it set its
    /// next publishing timer.
    fn step(p: &mut Publisher, now: Time, f: impl FnOnce(&mut Publisher, &mut Ctx)) -> (usize, bool) {
        let (mut rng, mut effects) = (Rng::new(1), Vec::<Effect<Rabbit>>::new());
        f(p, &mut Ctx::new(now, NodeId(1), &mut rng, &mut effects));
        let sent = effects.iter().filter(|e| matches!(e, Effect::Send { msg: RabbitMsg::Publish(_), .. })).count();
        let timer = effects.iter().any(|e| matches!(e, Effect::Timer { timer: RabbitTimer::Publish, .. }));
        (sent, timer)
    }

    #[test]
    fn a_publisher_whose_socket_buffers_are_full_waits_then_goes_on() {
        let ms = Time::ms;
        let mut p = Publisher::new(NodeId(0), 0, vec![], Props::default(), false, false, ms(1), ms(0), None, ms(100));
        step(&mut p, ms(0), |p, ctx| p.on_message(ctx, RabbitMsg::OpenOk));
        assert_eq!(step(&mut p, ms(1), |p, ctx| p.publish(ctx)), (1, true), "publishes at its pace");
        step(&mut p, ms(1), |p, ctx| p.on_message(ctx, RabbitMsg::Window { open: false }));
        // Its next publish blocks: nothing sent, no sequence number used, no timer (it waits).
        assert_eq!(step(&mut p, ms(2), |p, ctx| p.publish(ctx)), (0, false), "blocked in the write");
        assert_eq!(p.next_seq, 1);
        // Room again: the waiting publish goes out at once and the pace resumes.
        assert_eq!(step(&mut p, ms(9), |p, ctx| p.on_message(ctx, RabbitMsg::Window { open: true })), (1, true));
        assert_eq!(p.next_seq, 2);
        // A window that opens with nothing waiting sends nothing.
        assert_eq!(step(&mut p, ms(9), |p, ctx| p.on_message(ctx, RabbitMsg::Window { open: true })), (0, false));
    }
}
