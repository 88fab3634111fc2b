//! The RabbitMQ node kinds, dispatched as one enum (as `engine::node::Node` does for all models),
//! and the broker node: it adapts the pure `Broker` to the kernel (messages in, `Ctx` effects out)
//! and runs the setup of the scenario's topology on the node's first boot.

use super::broker::{Broker, Names};
use super::clients::{Consumer, Publisher};
use super::config::{RabbitSpec, Topology};
use super::msg::{Dest, Props, RabbitMsg, TopoOp};
use super::processor::Processor;
use super::queue::QueueDecl;
use super::script::ScriptClient;
use super::{Ctx, Rabbit, RabbitNames, RabbitTimer};
use crate::kernel::{NodeId, Process};
use std::rc::Rc;

/// The nodes of the `rabbit` section, named and in order (broker, publishers, consumers, scripts,
/// processors), numbered from `first_node`. The spec is validated.
pub fn build(spec: &RabbitSpec, first_node: u32) -> Vec<(String, RabbitNode)> {
    let broker = NodeId(first_node);
    let topo = Rc::new(spec.topology(broker).expect("validated: the rabbit section"));
    let (mut nodes, endpoints) = super::cluster::brokers(spec, &topo, first_node);
    // With a `resources` block every broker node has its own CPU, disk and memory.
    if let Some(r) = &spec.resources {
        for (_, node) in nodes.iter_mut() {
            if let RabbitNode::Broker(b) = node {
                b.res = Some(Box::new(crate::resources::rabbit::RabbitRes::new(r.clone())));
            }
        }
    }
    // Clients connect to the cluster's nodes in turn (as a load balancer would spread them).
    let mut k = 0;
    let mut next_broker = || {
        k += 1;
        endpoints[(k - 1) % endpoints.len()]
    };
    for p in &spec.publishers {
        let broker = next_broker();
        let props = Props {
            persistent: p.persistent,
            priority: p.priority.unwrap_or(0),
            expiration: p.expiration,
            headers: (!p.headers.is_empty()).then(|| Rc::new(p.headers.clone())),
            size: p.size,
        };
        let exchange = topo.names.exchange_id(&p.exchange).unwrap_or(0);
        let keys = p.routing_keys.iter().map(|k| Rc::from(k.as_str())).collect();
        let start = p.start.unwrap_or(p.interval);
        let publisher = Publisher::new(
            broker,
            exchange,
            keys,
            props,
            p.mandatory,
            p.confirms,
            p.interval,
            start,
            p.count,
            spec.reconnect,
        );
        nodes.push((p.id.clone(), RabbitNode::Publisher(Box::new(publisher.with_endpoints(&endpoints)))));
    }
    for c in &spec.consumers {
        let broker = next_broker();
        let queue = topo.names.queue_id(&c.queue).unwrap_or(0);
        let policy = (c.ack_every, c.reject_every, c.requeue);
        let work = (c.processing, c.processing_jitter);
        let flags = (c.declare, c.hold);
        let consumer = Consumer::new(broker, queue, c.prefetch, c.auto_ack, work, policy, flags, spec.reconnect);
        nodes.push((
            c.id.clone(),
            RabbitNode::Consumer(Box::new(
                consumer.starting_at(c.start).with_endpoints(&endpoints).reading_from(c.offset()),
            )),
        ));
    }
    for (s, script) in spec.scripts.iter().zip(&topo.scripts) {
        let broker = next_broker();
        nodes.push((s.id.clone(), RabbitNode::Script(Box::new(ScriptClient::new(broker, script.clone())))));
    }
    for p in &spec.processors {
        let processor = Processor::new(next_broker(), p.settings(&topo.names, spec.reconnect));
        nodes.push((p.id.clone(), RabbitNode::Processor(Box::new(processor.with_endpoints(&endpoints)))));
    }
    nodes
}

/// The exchange and queue names of the world's RabbitMQ broker, for rendering events.
pub fn names(world: &dyn RabbitNames) -> Option<&Names> {
    world.rabbit_broker().map(|b| &b.core.names)
}

/// The key of binding number `binding` of exchange `x` (headers bindings show their arguments).
pub fn binding_key(world: &dyn RabbitNames, x: u16, binding: u16) -> Option<String> {
    let b = world.rabbit_broker()?.core.exchange(x)?.bindings.get(binding as usize)?;
    Some(if b.args.is_empty() { b.key.to_string() } else { b.args.to_json() })
}

#[derive(Clone, Debug)]
pub struct BrokerNode {
    pub core: Broker,
    pub topo: Rc<Topology>,
    /// The topology is declared once, at the first boot; later boots recover what was durable.
    booted: bool,
    /// One node of a cluster of 3 or 5 (`cluster.rs`); None: a single broker.
    pub cluster: Option<Box<super::cluster::ClusterNode>>,
    /// With a `resources` block: its CPU, disk and memory (`crate::resources::rabbit`).
    pub res: Option<Box<crate::resources::rabbit::RabbitRes>>,
}

impl BrokerNode {
    pub fn new(topo: Rc<Topology>) -> BrokerNode {
        BrokerNode { core: Broker::new(topo.broker, topo.names.clone()), topo, booted: false, cluster: None, res: None }
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        if self.booted {
            self.core.recover(ctx.now);
        } else {
            self.booted = true;
            self.setup(ctx);
        }
        self.flush(ctx);
        super::cluster::on_start(self, ctx);
    }

    /// Declares the scenario's exchanges, queues (but exclusive ones: their consumer declares them)
    /// and bindings, as an operator's setup would. Validated, so nothing fails.
    fn setup(&mut self, ctx: &mut Ctx) {
        let topo = self.topo.clone();
        let me = ctx.me;
        for (id, decl) in topo.exchanges.iter().filter(|(id, _)| !topo.later.contains(&Dest::Exchange(*id))) {
            let _ = self.core.declare_exchange(*id, decl.clone());
        }
        let at_start = |id: usize, d: &QueueDecl| !d.exclusive && !topo.later.contains(&Dest::Queue(id as u16));
        for (id, decl) in topo.queues.iter().enumerate().filter(|(id, d)| at_start(*id, d)) {
            let _ = self.core.declare_queue(me, id as u16, decl.clone(), ctx.now);
        }
        // (A binding to or from what is declared later fails here, as it would on RabbitMQ.)
        for b in &topo.bindings {
            let _ = self.core.bind(me, b.source, b.dest, &b.key, &b.args);
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: RabbitMsg) {
        if let Some(msg) = super::cluster::on_message(self, ctx, from, msg) {
            self.serve(ctx, from, msg);
        }
    }

    /// A client's frame, from the client or relayed by the node it is connected to; with
    /// resources it waits for its CPU and disk time first.
    pub fn serve(&mut self, ctx: &mut Ctx, from: NodeId, msg: RabbitMsg) {
        if let Some(msg) = crate::resources::rabbit::on_message(self, ctx, from, msg) {
            self.handle(ctx, from, msg);
        }
    }

    /// Handles a message now (with resources: once its CPU and disk time is over).
    pub(crate) fn handle(&mut self, ctx: &mut Ctx, from: NodeId, msg: RabbitMsg) {
        let now = ctx.now;
        if let RabbitMsg::Open { confirm } = msg {
            self.core.open(from, confirm, now);
            ctx.send(from, RabbitMsg::OpenOk);
            self.flush(ctx);
            return;
        }
        // After a channel error the broker ignores the channel until it is opened again.
        if !self.core.has_channel(from) {
            return;
        }
        let result = match msg {
            RabbitMsg::Declare { queue } => self.declare(from, queue, now),
            RabbitMsg::Qos { prefetch, global } => {
                self.core.qos(from, prefetch, global, now);
                Ok(())
            }
            RabbitMsg::Consume { queue, tag, prefetch, auto_ack, offset } => {
                self.core.consume_with(from, queue, tag, (prefetch, auto_ack, offset), now)
            }
            RabbitMsg::Cancel { tag } => {
                self.core.cancel(from, tag, now);
                Ok(())
            }
            RabbitMsg::Get { queue, no_ack } => self.core.get(from, queue, no_ack, now),
            RabbitMsg::Topo(op) => self.topology(from, &op, now),
            RabbitMsg::Publish(p) => self.core.publish(from, &p, now),
            RabbitMsg::Settle { tag, multiple, op } => self.core.settle(from, tag, multiple, op, now),
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.core.fail(from, e, now);
        }
        self.flush(ctx);
    }

    /// queue.declare with the scenario's arguments, then queue.bind for each of its bindings.
    fn declare(&mut self, client: NodeId, queue: u16, now: crate::Time) -> Result<(), super::broker::ChannelErr> {
        let topo = self.topo.clone();
        let decl = topo.queues.get(queue as usize).cloned().unwrap_or_default();
        self.core.declare_queue(client, queue, decl, now)?;
        for b in topo.bindings.iter().filter(|b| b.dest == Dest::Queue(queue)) {
            self.core.bind(client, b.source, b.dest, &b.key, &b.args)?;
        }
        Ok(())
    }

    /// A declaration, binding or deletion a client sends during the run; declarations are the
    /// scenario's (validated: a declared name is in it).
    fn topology(&mut self, client: NodeId, op: &TopoOp, now: crate::Time) -> Result<(), super::broker::ChannelErr> {
        let topo = self.topo.clone();
        match op {
            TopoOp::DeclareExchange(x) => {
                let decl = topo.exchanges.iter().find(|(id, _)| id == x).map(|(_, d)| d.clone());
                let decl = decl.expect("validated: a declared exchange is in rabbit.exchanges");
                self.core.declare_exchange(*x, decl)
            }
            TopoOp::DeclareQueue(q) => {
                let decl =
                    topo.queues.get(*q as usize).cloned().expect("validated: a declared queue is in rabbit.queues");
                self.core.declare_queue(client, *q, decl, now)
            }
            TopoOp::Bind { source, dest, key, args } => self.core.bind(client, *source, *dest, key, args),
            TopoOp::Unbind { source, dest, key, args } => self.core.unbind(*source, *dest, key, args),
            TopoOp::DeleteExchange(x) => self.core.delete_exchange(*x),
            TopoOp::DeleteQueue(q) => {
                self.core.delete_queue(*q, super::event::Gone::Deleted);
                Ok(())
            }
        }
    }

    /// An operator's change of topology: carried out as the broker's own client would send it; a
    /// refusal (404, 403, 406) is shown as an error of the broker's own channel.
    pub fn operate(&mut self, ctx: &mut Ctx, t: TopoAct) {
        let topo = self.topo.clone();
        let binding = |i: u16, unbind: bool| {
            topo.bindings.get(i as usize).map(|b| {
                let (source, dest, key, args) = (b.source, b.dest, b.key.clone(), b.args.clone());
                match unbind {
                    false => TopoOp::Bind { source, dest, key, args },
                    true => TopoOp::Unbind { source, dest, key, args },
                }
            })
        };
        let op = match t {
            TopoAct::Bind(i) => binding(i, false),
            TopoAct::Unbind(i) => binding(i, true),
            TopoAct::DeclareQueue(q) => Some(TopoOp::DeclareQueue(q)),
            TopoAct::DeleteQueue(q) => Some(TopoOp::DeleteQueue(q)),
            TopoAct::DeclareExchange(x) => Some(TopoOp::DeclareExchange(x)),
            TopoAct::DeleteExchange(x) => Some(TopoOp::DeleteExchange(x)),
        };
        let me = ctx.me;
        if let Some(Err((e, about))) = op.map(|op| self.topology(me, &op, ctx.now)) {
            let error = super::event::RabbitEvent::ChannelError { client: me, code: e.code, text: e.text, about };
            self.core.out.events.push(error);
        }
        self.flush(ctx);
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: RabbitTimer) {
        if super::cluster::on_timer(self, ctx, timer) {
            return;
        }
        if let Some(timer) = crate::resources::rabbit::on_timer(self, ctx, timer) {
            self.core.timer(timer, ctx.now);
        }
        self.flush(ctx);
    }

    pub fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        if super::cluster::on_disconnect(self, ctx, peer) {
            return;
        }
        self.core.client_gone(peer, ctx.now);
        self.flush(ctx);
    }

    pub fn on_crash(&mut self) {
        self.core.crash();
        self.core.out = Default::default();
        if let Some(r) = self.res.as_mut() {
            r.crash();
        }
        if let Some(c) = self.cluster.as_mut() {
            c.crash();
        }
    }

    /// Carries out what the broker asked for, in order: events, then messages, then timers.
    pub(crate) fn flush(&mut self, ctx: &mut Ctx) {
        crate::resources::rabbit::account(self, ctx);
        if self.cluster.is_some() {
            super::cluster::after(self, ctx);
            for e in std::mem::take(&mut self.core.out.events) {
                ctx.emit(e);
            }
            for (to, m) in std::mem::take(&mut self.core.out.sends) {
                super::cluster::deliver(self, ctx, to, m);
            }
        }
        let out = &mut self.core.out;
        for e in out.events.drain(..) {
            ctx.emit(e);
        }
        for (to, m) in out.sends.drain(..) {
            ctx.send(to, m);
        }
        for (at, id) in out.timers.drain(..) {
            ctx.set_timer(at.saturating_sub(ctx.now), id);
        }
    }
}

/// An operator's change of topology during the run (a fault-schedule action): a binding of
/// `rabbit.bindings` by its index, made or removed; a queue or exchange by its id, declared as the
/// scenario describes it, or deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopoAct {
    Bind(u16),
    Unbind(u16),
    DeclareQueue(u16),
    DeleteQueue(u16),
    DeclareExchange(u16),
    DeleteExchange(u16),
}

impl TopoAct {
    /// The same action on `target` (a fault names its queue or exchange; the id is found later).
    pub fn on(self, target: u16) -> TopoAct {
        match self {
            TopoAct::Bind(_) => TopoAct::Bind(target),
            TopoAct::Unbind(_) => TopoAct::Unbind(target),
            TopoAct::DeclareQueue(_) => TopoAct::DeclareQueue(target),
            TopoAct::DeleteQueue(_) => TopoAct::DeleteQueue(target),
            TopoAct::DeclareExchange(_) => TopoAct::DeclareExchange(target),
            TopoAct::DeleteExchange(_) => TopoAct::DeleteExchange(target),
        }
    }

    /// (a number for the action, its target): how a link writes it.
    pub fn code(self) -> (u64, u16) {
        match self {
            TopoAct::Bind(t) => (0, t),
            TopoAct::Unbind(t) => (1, t),
            TopoAct::DeclareQueue(t) => (2, t),
            TopoAct::DeleteQueue(t) => (3, t),
            TopoAct::DeclareExchange(t) => (4, t),
            TopoAct::DeleteExchange(t) => (5, t),
        }
    }

    pub fn from_code(code: u64, target: u16) -> Option<TopoAct> {
        let all = [TopoAct::Bind, TopoAct::Unbind, TopoAct::DeclareQueue, TopoAct::DeleteQueue];
        let more = [TopoAct::DeclareExchange, TopoAct::DeleteExchange];
        all.iter().chain(&more).nth(code as usize).map(|f| f(target))
    }
}

#[derive(Clone, Debug)]
pub enum RabbitNode {
    Broker(Box<BrokerNode>),
    Publisher(Box<Publisher>),
    Consumer(Box<Consumer>),
    Script(Box<ScriptClient>),
    Processor(Box<Processor>),
}

impl RabbitNode {
    /// The learner settles a delivery this consumer holds (a consumer whose deliveries wait for
    /// the learner); any other node ignores it.
    pub fn settle_by_hand(&mut self, ctx: &mut Ctx, tag: u64, multiple: bool, op: super::msg::SettleOp) {
        if let RabbitNode::Consumer(c) = self {
            c.settle_by_hand(ctx, tag, multiple, op);
        }
    }

    /// The operator changes the broker's topology (only the broker acts on it).
    pub fn operate(&mut self, ctx: &mut Ctx, t: TopoAct) {
        if let RabbitNode::Broker(b) = self {
            b.operate(ctx, t);
        }
    }

    /// The broker a client is connected to (None for the broker itself), for drawing links.
    pub fn broker_link(&self) -> Option<NodeId> {
        match self {
            RabbitNode::Broker(_) => None,
            RabbitNode::Publisher(p) => Some(p.broker),
            RabbitNode::Consumer(c) => Some(c.broker),
            RabbitNode::Script(s) => Some(s.broker),
            RabbitNode::Processor(p) => Some(p.broker),
        }
    }
}

impl Process<Rabbit> for RabbitNode {
    fn role(&self) -> &'static str {
        match self {
            RabbitNode::Broker(_) => "broker",
            RabbitNode::Publisher(_) => "publisher",
            RabbitNode::Consumer(_) => "consumer",
            RabbitNode::Script(_) => "script",
            RabbitNode::Processor(_) => "processor",
        }
    }
    fn on_start(&mut self, ctx: &mut Ctx) {
        match self {
            RabbitNode::Broker(n) => n.on_start(ctx),
            RabbitNode::Publisher(n) => n.on_start(ctx),
            RabbitNode::Consumer(n) => n.on_start(ctx),
            RabbitNode::Script(n) => n.on_start(ctx),
            RabbitNode::Processor(n) => n.on_start(ctx),
        }
    }
    fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: RabbitMsg) {
        match self {
            RabbitNode::Broker(n) => n.on_message(ctx, from, msg),
            RabbitNode::Publisher(n) => n.on_message(ctx, msg),
            RabbitNode::Consumer(n) => n.on_message(ctx, msg),
            RabbitNode::Script(n) => n.on_message(ctx, msg),
            RabbitNode::Processor(n) => n.on_message(ctx, msg),
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx, timer: RabbitTimer) {
        match self {
            RabbitNode::Broker(n) => n.on_timer(ctx, timer),
            RabbitNode::Publisher(n) => n.on_timer(ctx, timer),
            RabbitNode::Consumer(n) => n.on_timer(ctx, timer),
            RabbitNode::Script(n) => n.on_timer(ctx, timer),
            RabbitNode::Processor(n) => n.on_timer(ctx, timer),
        }
    }
    fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        match self {
            RabbitNode::Broker(n) => n.on_disconnect(ctx, peer),
            RabbitNode::Publisher(n) => n.on_disconnect(ctx, peer),
            RabbitNode::Consumer(n) => n.on_disconnect(ctx, peer),
            RabbitNode::Script(n) => n.on_disconnect(peer),
            RabbitNode::Processor(n) => n.on_disconnect(ctx, peer),
        }
    }
    fn on_crash(&mut self) {
        match self {
            RabbitNode::Broker(n) => n.on_crash(),
            RabbitNode::Publisher(n) => n.on_crash(),
            RabbitNode::Consumer(n) => n.on_crash(),
            RabbitNode::Script(n) => n.on_disconnect(n.broker),
            RabbitNode::Processor(n) => n.on_crash(),
        }
    }
}
