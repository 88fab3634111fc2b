//! A RabbitMQ broker's resources. A publish costs the CPU `cpu_per_message` (routing and
//! enqueueing) and, when persistent, the disk its bytes and an fsync before it is handled — so
//! its confirm waits for the disk. Each ack costs `cpu_per_ack` before it is handled. Each
//! delivery waits for `cpu_per_delivery` before it goes out (so a deep queue drains at the CPU's
//! pace); each confirm's `cpu_per_ack` is charged as it is sent and delays what comes after.
//!
//! Memory: the messages the queues hold (ready and unacknowledged), their bodies plus
//! `MESSAGE_OVERHEAD` bytes each. Above `vm_memory_high_watermark_paging_ratio` of the watermark,
//! a classic queue pages the bodies of new messages to disk (a sequential write, unless the
//! message is persistent and already there), and every delivery from a queue holding paged
//! messages reads one back (a seek and its bytes): deep queues cost disk reads, so throughput
//! falls as queues grow. Every `memory_monitor_interval` the memory monitor compares the memory
//! with `vm_memory_high_watermark` × `memory_mb`: above it the memory alarm is set and every
//! connection that publishes is blocked (`connection.blocked`: the broker stops reading it, so
//! its publishes wait); once below, the alarm clears, the connections are unblocked and what they
//! sent meanwhile is read. A blocked connection holds at most `SOCKET_BUFFER` bytes (its TCP
//! buffers): once they are full the broker tells the client (`RabbitMsg::Window`,
//! standing for TCP's zero window) and the publisher's next publish blocks in its socket write
//! until there is room — it publishes nothing meanwhile, so after connection.unblocked only a
//! socket buffer's worth is read at once and the publisher goes on at its own pace. Credit flow: while the CPU or disk is more than `FLOW` behind, publishes
//! are not read (the connection is in `flow`), so an overloaded broker slows its publishers to its
//! own pace instead of queueing their work ahead of deliveries and acks.
//!
//! Simplified: a persistent message is written and fsynced whatever queue it reaches (RabbitMQ
//! writes it only to durable queues, and groups the fsyncs of messages arriving together: the
//! default `fsync_us` is small for that reason); the paging threshold is checked as messages
//! arrive, not by a separate process; memory is the queues' messages only (no connection,
//! channel or Erlang process memory); paged messages keep `MESSAGE_OVERHEAD` bytes in memory (the
//! queue index), which is why paging alone does not keep a growing queue below the watermark.

use super::{transfer_ns, Cost, RabbitResources, Station};
use crate::rabbit::event::RabbitEvent;
use crate::rabbit::msg::RabbitMsg;
use crate::rabbit::node::BrokerNode;
use crate::rabbit::{Ctx, RabbitTimer};
use crate::time::Time;
use crate::NodeId;
use std::collections::VecDeque;

/// Bytes of memory a message costs besides its body (its record in the queue and its index entry).
pub const MESSAGE_OVERHEAD: u64 = 200;

/// What a connection's TCP buffers hold while the broker does not read it, in bytes: Linux's
/// default receive buffer (`net.ipv4.tcp_rmem`'s default, 131 072 — the figure RabbitMQ's reader
/// sized its `buffer` from, per rabbitmq-server PR 13436) plus its default send buffer
/// (`tcp_wmem`'s, 16 384). RabbitMQ sets neither by default (`tcp_listen_options`), and
/// autotuning grows a receive buffer only as the application reads it, which a blocked connection
/// does not. Simplified: one sum for both ends, counted on the broker's side, and what the client
/// sends in the round trip before it learns the buffers are full is taken in too. Only blocked
/// connections are capped: a connection in credit flow (which RabbitMQ also stops reading) still
/// holds whatever its publisher sends, so an overloaded broker's backlog waits on its connections.
pub const SOCKET_BUFFER: u64 = 131_072 + 16_384;

/// Bytes a publish takes on the wire besides its body: the frame headers and ends of
/// basic.publish, its content header and its body frame (8 bytes each), the method's and the
/// header's fields (exchange and routing key, class, weight, body size, flags) — about 60.
pub const PUBLISH_FRAMING: u64 = 60;

#[derive(Clone, Debug)]
pub struct RabbitRes {
    pub cfg: RabbitResources,
    pub station: Station,
    /// Admitted requests not yet handled, in order (one `Serve` timer each).
    pending: VecDeque<(NodeId, RabbitMsg)>,
    /// What blocked connections sent: read once they are unblocked.
    held: VecDeque<(NodeId, RabbitMsg)>,
    /// Connections whose `SOCKET_BUFFER` is full: they were told so and publish nothing more.
    full: Vec<NodeId>,
    /// Deliveries waiting for the CPU (and disk) to have done them, with their events.
    outgoing: VecDeque<(Option<RabbitEvent>, NodeId, RabbitMsg)>,
    /// Connections that have published, and those blocked now.
    publishers: Vec<NodeId>,
    pub blocked: Vec<NodeId>,
    /// The memory alarm is set.
    pub alarm: bool,
    /// Messages of each queue whose bodies are on disk.
    pub paged: Vec<u32>,
    /// Memory in use, as of the last request handled (bytes).
    pub memory: u64,
    /// The size and persistence of the last message published (queues hold similar messages).
    msg_bytes: u32,
    persistent: bool,
    /// A `MemoryCheck` timer is set; a `Flow` timer is set.
    monitoring: bool,
    waking: bool,
    /// Messages paged out and read back, ever (for the page).
    pub paged_out: u64,
    pub paged_in: u64,
}

impl RabbitRes {
    pub fn new(cfg: RabbitResources) -> RabbitRes {
        RabbitRes {
            cfg,
            station: Station::default(),
            pending: VecDeque::new(),
            held: VecDeque::new(),
            full: Vec::new(),
            outgoing: VecDeque::new(),
            publishers: Vec::new(),
            blocked: Vec::new(),
            alarm: false,
            paged: Vec::new(),
            memory: 0,
            msg_bytes: 0,
            persistent: false,
            monitoring: false,
            waking: false,
            paged_out: 0,
            paged_in: 0,
        }
    }

    /// The process died: its queues of requests, its alarm and its connections are gone.
    pub fn crash(&mut self) {
        *self = RabbitRes::new(self.cfg.clone());
    }

    /// Requests waiting for the CPU or the disk, deliveries waiting to go out, and requests of
    /// blocked connections.
    pub fn queued(&self) -> (usize, usize, usize) {
        (self.pending.len(), self.outgoing.len(), self.held.len())
    }

    /// The bytes `from`'s publishes hold in its socket buffers (not yet read).
    fn unread(&self, from: NodeId) -> u64 {
        let wire = |m: &RabbitMsg| match m {
            RabbitMsg::Publish(p) => p.props.size as u64 + PUBLISH_FRAMING,
            _ => 0,
        };
        self.held.iter().filter(|(f, _)| *f == from).map(|(_, m)| wire(m)).sum()
    }

    /// Tells each connection whose buffers were full and now have room that it may write again.
    fn reopen(&mut self, ctx: &mut Ctx) {
        let mut i = 0;
        while i < self.full.len() {
            let c = self.full[i];
            if self.unread(c) < SOCKET_BUFFER {
                self.full.remove(i);
                ctx.send(c, RabbitMsg::Window { open: true });
            } else {
                i += 1;
            }
        }
    }

    pub fn paged_total(&self) -> u64 {
        self.paged.iter().map(|&p| p as u64).sum()
    }

    /// A data request's cost (`None`: a control request, handled at once).
    fn cost(&mut self, from: NodeId, msg: &RabbitMsg) -> Option<Cost> {
        let us = |v: u32| v as u64 * 1000;
        match msg {
            RabbitMsg::Publish(p) => {
                if !self.publishers.contains(&from) {
                    self.publishers.push(from);
                }
                self.msg_bytes = p.props.size;
                self.persistent = p.props.persistent;
                let disk = match p.props.persistent {
                    true => transfer_ns(p.props.size as u64, self.cfg.disk_mb_s) + us(self.cfg.fsync_us),
                    false => 0,
                };
                Some(Cost { cpu: us(self.cfg.cpu_per_message_us), disk })
            }
            RabbitMsg::Settle { .. } => Some(Cost { cpu: us(self.cfg.cpu_per_ack_us), disk: 0 }),
            // Its delivery is charged when it happens.
            RabbitMsg::Get { .. } => Some(Cost::default()),
            _ => None,
        }
    }

    /// How far behind the broker is: the longer of its CPU's and its disk's queues.
    fn behind(&self, now: Time) -> Time {
        self.station.cpu.backlog(now).max(self.station.disk.backlog(now))
    }

    /// Queues a data request for the CPU and disk, with a timer for when it is done.
    fn admit(&mut self, ctx: &mut Ctx, from: NodeId, msg: RabbitMsg, cost: Cost) {
        let ready = self.station.admit(ctx.now, cost);
        self.pending.push_back((from, msg));
        ctx.set_timer(ready.saturating_sub(ctx.now), RabbitTimer::Serve);
    }
}

/// The broker receives `msg`: returns it when it is to be handled now (no resources, or a control
/// request); otherwise it waits for the CPU and disk, or for its blocked connection.
pub fn on_message(node: &mut BrokerNode, ctx: &mut Ctx, from: NodeId, msg: RabbitMsg) -> Option<RabbitMsg> {
    let Some(r) = node.res.as_mut() else { return Some(msg) };
    let Some(cost) = r.cost(from, &msg) else { return Some(msg) };
    if r.alarm && matches!(msg, RabbitMsg::Publish(_)) && !r.blocked.contains(&from) {
        r.blocked.push(from);
        ctx.emit(RabbitEvent::ConnectionBlocked { client: from });
    }
    // Credit flow: a publish arriving while the CPU or the disk is more than `FLOW` behind (or
    // while others wait) is not read yet: the connection is in flow, so publishers slow to the broker's pace
    // and deliveries and acks keep their turn.
    let flow = matches!(msg, RabbitMsg::Publish(_)) && (!r.held.is_empty() || r.behind(ctx.now) >= FLOW);
    if r.blocked.contains(&from) || flow {
        r.held.push_back((from, msg));
        if r.blocked.contains(&from) && !r.full.contains(&from) && r.unread(from) >= SOCKET_BUFFER {
            r.full.push(from);
            ctx.send(from, RabbitMsg::Window { open: false });
        }
        if !r.waking {
            r.waking = true;
            ctx.set_timer(r.behind(ctx.now).max(Time(1)), RabbitTimer::Flow);
        }
        return None;
    }
    r.admit(ctx, from, msg, cost);
    None
}

/// How far behind the CPU or disk may be before publishes wait (RabbitMQ's credit flow).
pub const FLOW: Time = Time::ms(1);

/// Reads what waits in flow once the CPU and disk have caught up (not what blocked connections sent).
fn release_flow(r: &mut RabbitRes, ctx: &mut Ctx) {
    while r.behind(ctx.now) < FLOW {
        let Some(i) = r.held.iter().position(|(from, _)| !r.blocked.contains(from)) else { break };
        let (from, msg) = r.held.remove(i).expect("found");
        let cost = r.cost(from, &msg).unwrap_or_default();
        r.admit(ctx, from, msg, cost);
    }
    r.reopen(ctx);
    let waiting = r.held.iter().any(|(from, _)| !r.blocked.contains(from));
    if waiting && !r.waking {
        r.waking = true;
        ctx.set_timer(r.behind(ctx.now).max(Time(1)), RabbitTimer::Flow);
    }
}

/// The broker's resource timers: `Serve` hands the oldest waiting request to the broker;
/// `MemoryCheck` is the memory monitor's look. Returns the timer when it is another one.
pub fn on_timer(node: &mut BrokerNode, ctx: &mut Ctx, timer: RabbitTimer) -> Option<RabbitTimer> {
    match timer {
        RabbitTimer::Serve => {
            if let Some((from, msg)) = node.res.as_mut().and_then(|r| r.pending.pop_front()) {
                node.handle(ctx, from, msg);
            }
            None
        }
        RabbitTimer::MemoryCheck => {
            check_memory(node, ctx);
            None
        }
        RabbitTimer::Deliver => {
            deliver(node, ctx);
            None
        }
        RabbitTimer::Flow => {
            if let Some(r) = node.res.as_mut() {
                r.waking = false;
            }
            None
        }
        _ => Some(timer),
    }
}

/// After the broker handled something (before its effects go out): pages out what it enqueued
/// above the paging threshold, holds each delivery until the CPU (and, for a paged message, the
/// disk) has done it, charges the confirms, and updates the memory.
pub fn account(node: &mut BrokerNode, ctx: &mut Ctx) {
    let Some(r) = node.res.as_mut() else { return };
    let out = &mut node.core.out;
    let size = r.msg_bytes as u64;
    let paging = r.memory >= r.cfg.paging_bytes();
    let mut cost = Cost::default();
    let mut started_paging = Vec::new();
    for e in &out.events {
        if let (RabbitEvent::Enqueued { queue, .. }, true) = (*e, paging) {
            let q = queue as usize;
            if r.paged.len() <= q {
                r.paged.resize(q + 1, 0);
            }
            if r.paged[q] == 0 {
                started_paging.push(queue);
            }
            r.paged[q] += 1;
            r.paged_out += 1;
            if !r.persistent {
                cost.disk += transfer_ns(size, r.cfg.disk_mb_s);
            }
        }
    }
    let confirms = out.sends.iter().filter(|(_, m)| matches!(m, RabbitMsg::Confirm { .. })).count();
    cost.cpu += confirms as u64 * r.cfg.cpu_per_ack_us as u64 * 1000;
    r.station.charge(ctx.now, cost);
    if out.sends.iter().any(|(_, m)| matches!(m, RabbitMsg::Deliver(_))) {
        r.hold_deliveries(ctx, out);
    }
    if !r.held.is_empty() {
        release_flow(r, ctx);
    }
    // Messages that left a queue otherwise (expired, purged, dropped) take their paged share along.
    let (mut msgs, mut bytes) = (0u64, 0u64);
    for (i, p) in r.paged.iter_mut().enumerate() {
        *p = (*p).min(node.core.queue(i as u16).map_or(0, |q| q.ready()));
    }
    for q in (0..node.core.names.queues.len()).filter_map(|i| node.core.queue(i as u16)) {
        msgs += q.ready() as u64;
        bytes += q.ready_bytes();
    }
    let unacked = node.core.unacked_total() as u64;
    let paged = r.paged_total();
    msgs += unacked;
    bytes += unacked * size;
    r.memory = bytes.saturating_sub(paged * size) + msgs * MESSAGE_OVERHEAD;
    for queue in started_paging {
        node.core.out.events.push(RabbitEvent::Paging { queue });
    }
    if !r.monitoring {
        r.monitoring = true;
        ctx.set_timer(r.cfg.memory_monitor_interval, RabbitTimer::MemoryCheck);
    }
}

impl RabbitRes {
    /// Each delivery (with its `Delivered` or `Got` event) waits for `cpu_per_delivery` of CPU,
    /// and for a paged message also for the disk to read it back, then goes out on a `Deliver`
    /// timer: a queue drains at the broker's pace, not all at once.
    fn hold_deliveries(&mut self, ctx: &mut Ctx, out: &mut crate::rabbit::broker::Out) {
        let size = self.msg_bytes as u64;
        let sends = std::mem::take(&mut out.sends);
        for (to, m) in sends {
            let RabbitMsg::Deliver(d) = &m else {
                out.sends.push((to, m));
                continue;
            };
            let mine = |e: &RabbitEvent| match *e {
                RabbitEvent::Delivered { consumer, tag, .. } | RabbitEvent::Got { client: consumer, tag, .. } => {
                    consumer == to && tag == d.tag
                }
                _ => false,
            };
            let event = out.events.iter().position(mine).map(|i| out.events.remove(i));
            let mut cost = Cost { cpu: self.cfg.cpu_per_delivery_us as u64 * 1000, disk: 0 };
            if let Some(p) = self.paged.get_mut(d.queue as usize).filter(|p| **p > 0) {
                *p -= 1;
                self.paged_in += 1;
                cost.disk = self.cfg.disk_seek_us as u64 * 1000 + transfer_ns(size, self.cfg.disk_mb_s);
            }
            let ready = self.station.admit(ctx.now, cost);
            self.outgoing.push_back((event, to, m));
            ctx.set_timer(ready.saturating_sub(ctx.now), RabbitTimer::Deliver);
        }
    }
}

/// A held delivery's time has come: its event and the message go out.
fn deliver(node: &mut BrokerNode, ctx: &mut Ctx) {
    if let Some((event, to, m)) = node.res.as_mut().and_then(|r| r.outgoing.pop_front()) {
        if let Some(e) = event {
            ctx.emit(e);
        }
        ctx.send(to, m);
    }
}

/// The memory monitor: sets the alarm and blocks the publishing connections above the watermark,
/// clears it and unblocks them (reading what they sent meanwhile) below it.
fn check_memory(node: &mut BrokerNode, ctx: &mut Ctx) {
    let Some(r) = node.res.as_mut() else { return };
    r.monitoring = false;
    let over = r.memory >= r.cfg.watermark_bytes();
    let used_kb = (r.memory / 1000) as u32;
    let events = &mut node.core.out.events;
    if over && !r.alarm {
        r.alarm = true;
        events.push(RabbitEvent::MemoryAlarm { set: true, used_kb });
        for &p in &r.publishers {
            r.blocked.push(p);
            events.push(RabbitEvent::ConnectionBlocked { client: p });
        }
    } else if !over && r.alarm {
        r.alarm = false;
        events.push(RabbitEvent::MemoryAlarm { set: false, used_kb });
        for p in r.blocked.drain(..) {
            events.push(RabbitEvent::ConnectionUnblocked { client: p });
        }
        release_flow(r, ctx);
    }
}

/// How long a request arriving now would wait for the CPU and the disk.
pub fn backlog(r: &RabbitRes, now: Time) -> (Time, Time) {
    (r.station.cpu.backlog(now), r.station.disk.backlog(now))
}
