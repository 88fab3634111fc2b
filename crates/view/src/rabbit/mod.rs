//! The RabbitMQ panel's view model, pure and native-tested: publishers → exchanges → bindings →
//! queues → consumers, laid out in four columns with the live counts (ready and unacknowledged
//! messages per queue, each consumer's prefetch window), the messages an inspector lists, and the
//! routing calculator, which asks the engine's own `exchange::route` (never a copy of it).

use brokerlab_engine::models::Node;
use brokerlab_engine::rabbit::broker::{Broker, Names};
use brokerlab_engine::rabbit::exchange::Exchange;
use brokerlab_engine::rabbit::msg::{Death, Dest};
use brokerlab_engine::rabbit::node::RabbitNode;
use brokerlab_engine::rabbit::queue::{Entry, QueueDecl};
use brokerlab_engine::{NodeId, World};
use std::rc::Rc;

mod calc;
pub mod cluster;
pub mod overview;
pub mod stream_log;
pub mod strip;
mod text;
pub use calc::{binding_test, hop_text, parse_headers, route_calc, Routed};
pub use text::{binding_label, deaths_text, fit, queue_args, short};

/// The drawing's width; its height grows with the longest column.
pub const RABBIT_W: f64 = 800.0;
/// Column centres: publishers, exchanges, queues, consumers.
pub const COL_X: [f64; 4] = [70.0, 265.0, 530.0, 725.0];
pub const ROW_H: f64 = 76.0;
pub const C_ROW_H: f64 = 58.0;
/// Box sizes (width, height) per column.
pub const PUB_BOX: (f64, f64) = (110.0, 38.0);
pub const X_BOX: (f64, f64) = (120.0, 40.0);
pub const Q_BOX: (f64, f64) = (170.0, 60.0);
pub const C_BOX: (f64, f64) = (130.0, 48.0);
/// At most this many messages are drawn per stack, and listed per queue in the inspector.
pub const STACK_CAP: u32 = 20;
/// Longer binding labels are cut (the full text is the edge's tooltip).
pub const LABEL_MAX: usize = 22;

#[derive(Clone, Debug, PartialEq)]
pub struct PubBox {
    pub node: NodeId,
    pub name: String,
    pub exchange: u16,
    /// Its first routing key: the calculator starts with it.
    pub first_key: Rc<str>,
    pub unconfirmed: usize,
    pub up: bool,
    pub y: f64,
    /// For its inspector: the keys it uses in turn, what it publishes with, how often.
    pub keys: Vec<Rc<str>>,
    pub confirms: bool,
    pub persistent: bool,
    pub mandatory: bool,
    pub interval: brokerlab_engine::Time,
    pub next_seq: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct XBox {
    pub id: u16,
    pub name: String,
    pub kind: &'static str,
    pub durable: bool,
    pub alternate: Option<u16>,
    pub y: f64,
}

/// One message of a queue, ready or delivered and not yet settled.
#[derive(Clone, Debug, PartialEq)]
pub struct MsgRow {
    pub pos: u64,
    /// The delivery tag and the consumer's node, once delivered.
    pub delivery: Option<(u64, NodeId)>,
    pub redelivered: bool,
    pub publisher: NodeId,
    pub seq: u64,
    pub routing_key: Rc<str>,
    pub persistent: bool,
    pub deaths: Option<Rc<Vec<Death>>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct QBox {
    pub id: u16,
    pub name: String,
    /// False while the queue is not declared (a transient queue after a restart, before its
    /// consumer declares it again).
    pub exists: bool,
    pub decl: QueueDecl,
    pub ready: u32,
    pub unacked: u32,
    /// With resources: ready messages whose bodies are paged out to disk.
    pub paged: u32,
    pub consumers: usize,
    /// The first `STACK_CAP` messages by position (unacknowledged ones included).
    pub messages: Vec<MsgRow>,
    /// A quorum queue in a cluster: its Raft group, as the inspector lists it (`cluster::queue_rows`).
    pub raft: Vec<(&'static str, String)>,
    pub y: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CBox {
    pub node: NodeId,
    pub name: String,
    pub queue: u16,
    /// 0 = unlimited.
    pub prefetch: u16,
    pub auto_ack: bool,
    /// Holds every delivery until the learner settles it.
    pub hold: bool,
    /// Deliveries on its channel not yet settled, as the broker counts them.
    pub unacked: u32,
    pub up: bool,
    pub y: f64,
}

/// A box of the drawing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum End {
    Publisher(NodeId),
    Exchange(u16),
    Queue(u16),
    Consumer(NodeId),
}

impl From<Dest> for End {
    fn from(d: Dest) -> End {
        match d {
            Dest::Queue(q) => End::Queue(q),
            Dest::Exchange(x) => End::Exchange(x),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    Publish,
    Binding,
    Alternate,
    DeadLetter,
    Consume,
}

impl EdgeKind {
    pub fn class(self) -> &'static str {
        match self {
            EdgeKind::Publish => "rq-edge publish",
            EdgeKind::Binding => "rq-edge binding",
            EdgeKind::Alternate => "rq-edge alternate",
            EdgeKind::DeadLetter => "rq-edge dead-letter",
            EdgeKind::Consume => "rq-edge consume",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub kind: EdgeKind,
    /// The SVG path of `curve`.
    pub d: String,
    pub curve: Curve,
    /// The boxes it joins, from where a message starts to where it arrives.
    pub from: End,
    pub to: End,
    pub label: String,
    /// The full label, for the tooltip.
    pub title: String,
    pub label_at: (f64, f64),
    /// SVG `text-anchor` of the label: binding labels end just before their queue, the
    /// dead-letter label starts beside its exchange, the others are centred.
    pub anchor: &'static str,
    /// The exchange whose binding this is (for highlighting a route).
    pub exchange: Option<u16>,
    pub dest: Option<Dest>,
}

/// The exchanges as the broker has them, for the routing calculator. Compared by their
/// declarations and bindings (the engine's `Exchange` has no `PartialEq`).
#[derive(Clone, Debug, Default)]
pub struct Exchanges(pub Vec<Option<Exchange>>);

impl PartialEq for Exchanges {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self.0.iter().zip(&other.0).all(|(a, b)| match (a, b) {
                (Some(a), Some(b)) => a.decl == b.decl && a.bindings == b.bindings,
                (None, None) => true,
                _ => false,
            })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub broker: NodeId,
    pub broker_name: String,
    pub broker_up: bool,
    pub names: Names,
    pub pubs: Vec<PubBox>,
    pub xs: Vec<XBox>,
    pub qs: Vec<QBox>,
    pub cs: Vec<CBox>,
    pub edges: Vec<Edge>,
    pub height: f64,
    pub exchanges: Exchanges,
    /// Each queue as its sequence of messages, for the selected queue's strip.
    pub strips: Vec<strip::QueueStrip>,
    /// Each stream as its log, for the selected stream's panel and inspector.
    pub streams: Vec<stream_log::StreamLogView>,
}

impl Model {
    /// Where a mark about `end` goes: the top right corner of its box, if drawn.
    pub fn anchor(&self, end: End) -> Option<(f64, f64)> {
        let (col, y, (w, h)) = match end {
            End::Publisher(n) => (0, self.pubs.iter().find(|p| p.node == n)?.y, PUB_BOX),
            End::Exchange(x) => (1, self.xs.iter().find(|b| b.id == x)?.y, X_BOX),
            End::Queue(q) => (2, self.qs.iter().find(|b| b.id == q)?.y, Q_BOX),
            End::Consumer(n) => (3, self.cs.iter().find(|c| c.node == n)?.y, C_BOX),
        };
        Some((COL_X[col] + w / 2.0 - 6.0, y - h / 2.0 + 2.0))
    }
}

/// The world's RabbitMQ broker, if it has one.
/// In a cluster, the node serving the quorum queues (`cluster::panel_broker`).
pub fn broker(world: &World) -> Option<(NodeId, &Broker)> {
    cluster::panel_broker(world).map(|(id, b)| (id, &b.core))
}

/// `y` of row `i` of `n` in a drawing `height` tall: each column centred.
pub fn row_y(i: usize, n: usize, height: f64) -> f64 {
    row_y_by(i, n, height, ROW_H)
}

/// `row_y` with rows `step` apart (consumers, the smallest boxes, are packed closer).
pub fn row_y_by(i: usize, n: usize, height: f64, step: f64) -> f64 {
    (height - n as f64 * step) / 2.0 + 14.0 + step * (i as f64 + 0.5)
}

/// A cubic Bézier: start, two control points, end.
pub type Curve = [(f64, f64); 4];

/// The SVG path of a curve.
fn path_d([a, c1, c2, b]: &Curve) -> String {
    format!("M{:.1} {:.1}C{:.1} {:.1} {:.1} {:.1} {:.1} {:.1}", a.0, a.1, c1.0, c1.1, c2.0, c2.1, b.0, b.1)
}

/// The point at `t` (0 to 1) along a curve.
pub fn at(&[a, c1, c2, b]: &Curve, t: f64) -> (f64, f64) {
    let u = 1.0 - t;
    let (w0, w1, w2, w3) = (u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t);
    (w0 * a.0 + w1 * c1.0 + w2 * c2.0 + w3 * b.0, w0 * a.1 + w1 * c1.1 + w2 * c2.1 + w3 * b.1)
}

/// Left to right between two columns.
fn forward(a: (f64, f64), b: (f64, f64)) -> Curve {
    let dx = ((b.0 - a.0) / 2.0).max(20.0);
    [a, (a.0 + dx, a.1), (b.0 - dx, b.1), b]
}

/// Between two boxes of one column, looping out on its left by `out`.
fn side_loop(x: f64, ya: f64, yb: f64, out: f64) -> Curve {
    [(x, ya), (x - out, ya), (x - out, yb), (x, yb)]
}

/// The panel's model, or None when the world has no RabbitMQ broker.
pub fn model(world: &World) -> Option<Model> {
    let (bid, b) = broker(world)?;
    let names = &b.names;
    let mut pubs = Vec::new();
    let mut cs = Vec::new();
    for (i, slot) in world.nodes.iter().enumerate() {
        let node = NodeId(i as u32);
        let up = world.network.is_up(node);
        match &slot.node {
            Node::Rabbit(RabbitNode::Publisher(p)) => pubs.push(PubBox {
                node,
                name: slot.name.clone(),
                exchange: p.exchange,
                first_key: p.keys.first().cloned().unwrap_or_else(|| Rc::from("")),
                unconfirmed: p.unconfirmed(),
                up,
                y: 0.0,
                keys: p.keys.clone(),
                confirms: p.confirms,
                persistent: p.props.persistent,
                mandatory: p.mandatory,
                interval: p.interval,
                next_seq: p.next_seq,
            }),
            Node::Rabbit(RabbitNode::Consumer(c)) => cs.push(CBox {
                node,
                name: slot.name.clone(),
                queue: c.queue,
                prefetch: c.prefetch,
                auto_ack: c.auto_ack,
                hold: c.hold,
                unacked: b.unacked(node) as u32,
                up,
                y: 0.0,
            }),
            _ => {}
        }
    }
    // Exchanges worth drawing: the scenario's, and predeclared ones something uses.
    let used = |id: u16| {
        pubs.iter().any(|p| p.exchange == id)
            || (0..names.exchanges.len() as u16).any(|o| b.exchange(o).is_some_and(|x| x.decl.alternate == Some(id)))
            || (0..names.queues.len() as u16).any(|q| b.queue(q).is_some_and(|q| q.decl.args.dlx == Some(id)))
    };
    let mut xs: Vec<XBox> = (0..names.exchanges.len() as u16)
        .filter_map(|id| {
            let x = b.exchange(id)?;
            let predeclared = (id as usize) < brokerlab_engine::rabbit::exchange::PREDECLARED.len();
            if predeclared && x.bindings.is_empty() && !used(id) {
                return None;
            }
            Some(XBox {
                id,
                name: names.exchange(id),
                kind: x.decl.kind.name(),
                durable: x.decl.durable,
                alternate: x.decl.alternate,
                y: 0.0,
            })
        })
        .collect();
    // Messages per queue: ready ones and unacknowledged deliveries, by position.
    let mut qs: Vec<QBox> = (0..names.queues.len() as u16)
        .map(|id| {
            let q = b.queue(id);
            let mut messages: Vec<MsgRow> = Vec::new();
            let mut unacked = 0;
            for (node, tag, queue, e) in b.deliveries() {
                if queue == id {
                    unacked += 1;
                    messages.push(row(e, Some((tag, node))));
                }
            }
            if let Some(q) = q {
                messages.extend(q.entries().take(STACK_CAP as usize).map(|e| row(e, None)));
            }
            brokerlab_engine::sort::sort_by_key(&mut messages, |m| m.pos);
            messages.truncate(STACK_CAP as usize);
            QBox {
                id,
                name: names.queue(id),
                exists: q.is_some(),
                decl: q.map(|q| q.decl.clone()).unwrap_or_default(),
                ready: q.map_or(0, |q| q.ready()),
                unacked,
                paged: crate::resources::paged(world, id),
                consumers: q.map_or(0, |q| q.consumers.len()),
                messages,
                raft: cluster::queue_rows(world, id),
                y: 0.0,
            }
        })
        .collect();
    // Rows: publishers by their exchange, consumers by their queue, so lines cross little.
    brokerlab_engine::sort::sort_by_key(&mut pubs, |p| (xs.iter().position(|x| x.id == p.exchange), p.node));
    brokerlab_engine::sort::sort_by_key(&mut cs, |c| (c.queue, c.node));
    let rows = pubs.len().max(xs.len()).max(qs.len()).max(1);
    let height = (rows as f64 * ROW_H).max(cs.len() as f64 * C_ROW_H) + 40.0;
    let n = pubs.len();
    for (i, p) in pubs.iter_mut().enumerate() {
        p.y = row_y(i, n, height);
    }
    let n = xs.len();
    for (i, x) in xs.iter_mut().enumerate() {
        x.y = row_y(i, n, height);
    }
    let n = qs.len();
    for (i, q) in qs.iter_mut().enumerate() {
        q.y = row_y(i, n, height);
    }
    let n = cs.len();
    for (i, c) in cs.iter_mut().enumerate() {
        c.y = row_y_by(i, n, height, C_ROW_H);
    }
    let edges = edges(b, &pubs, &xs, &qs, &cs);
    let exchanges = Exchanges((0..names.exchanges.len() as u16).map(|id| b.exchange(id).cloned()).collect());
    Some(Model {
        broker: bid,
        broker_name: world.node_name(bid).to_string(),
        broker_up: world.network.is_up(bid),
        names: names.clone(),
        pubs,
        xs,
        qs,
        cs,
        edges,
        height,
        exchanges,
        strips: (0..names.queues.len() as u16).filter_map(|q| strip::queue_strip(world, q)).collect(),
        streams: (0..names.queues.len() as u16).filter_map(|q| stream_log::stream_log(world, q)).collect(),
    })
}

fn row(e: &Entry, delivery: Option<(u64, NodeId)>) -> MsgRow {
    MsgRow {
        pos: e.pos,
        delivery,
        redelivered: e.redelivered,
        publisher: e.msg.publisher,
        seq: e.msg.seq,
        routing_key: e.msg.routing_key.clone(),
        persistent: e.msg.props.persistent,
        deaths: e.msg.deaths.clone(),
    }
}

fn edges(b: &Broker, pubs: &[PubBox], xs: &[XBox], qs: &[QBox], cs: &[CBox]) -> Vec<Edge> {
    let mut out = Vec::new();
    let xy = |id: u16| xs.iter().find(|x| x.id == id).map(|x| x.y);
    let qy = |id: u16| qs.iter().find(|q| q.id == id).map(|q| q.y);
    let (xl, xr) = (COL_X[1] - X_BOX.0 / 2.0, COL_X[1] + X_BOX.0 / 2.0);
    let (ql, qr) = (COL_X[2] - Q_BOX.0 / 2.0, COL_X[2] + Q_BOX.0 / 2.0);
    let mut queue_labels: Vec<u16> = Vec::new();
    // `label_at`: None puts the label at the curve's midpoint.
    let mut push =
        |kind, (from, to): (End, End), curve: Curve, label_at: Option<(f64, f64)>, title: String, exchange, dest| {
            let anchor = match (kind, dest) {
                (EdgeKind::Binding, Some(Dest::Queue(_))) => "end",
                (EdgeKind::DeadLetter, _) => "start",
                _ => "middle",
            };
            let label_at = label_at.unwrap_or_else(|| at(&curve, 0.5));
            out.push(Edge {
                kind,
                d: path_d(&curve),
                curve,
                from,
                to,
                label: short(&title),
                title,
                label_at,
                anchor,
                exchange,
                dest,
            });
        };
    for p in pubs {
        if let Some(y) = xy(p.exchange) {
            let curve = forward((COL_X[0] + PUB_BOX.0 / 2.0, p.y), (xl, y));
            let ends = (End::Publisher(p.node), End::Exchange(p.exchange));
            push(EdgeKind::Publish, ends, curve, None, String::new(), None, Some(Dest::Exchange(p.exchange)));
        }
    }
    for x in xs {
        let Some(ex) = b.exchange(x.id) else { continue };
        let kind = ex.decl.kind;
        for bind in &ex.bindings {
            let label = binding_label(kind, &bind.key, &bind.args);
            match bind.dest {
                Dest::Queue(q) => {
                    if let Some(y) = qy(q) {
                        // The label just before the queue, one line up per earlier binding to it,
                        // so labels of bindings fanning out of one exchange never overlap.
                        let curve = forward((xr, x.y), (ql, y));
                        let k = queue_labels.iter().filter(|&&o| o == q).count();
                        queue_labels.push(q);
                        let label_at = (ql - 5.0, y - 1.0 - 12.0 * k as f64);
                        let ends = (End::Exchange(x.id), End::Queue(q));
                        push(EdgeKind::Binding, ends, curve, Some(label_at), label, Some(x.id), Some(bind.dest));
                    }
                }
                Dest::Exchange(d) => {
                    if let Some(y) = xy(d) {
                        let ends = (End::Exchange(x.id), End::Exchange(d));
                        push(
                            EdgeKind::Binding,
                            ends,
                            side_loop(xl, x.y, y, 70.0),
                            None,
                            label,
                            Some(x.id),
                            Some(bind.dest),
                        );
                    }
                }
            }
        }
        if let Some((a, y)) = x.alternate.and_then(|a| Some((a, xy(a)?))) {
            let curve = side_loop(xl, x.y - 8.0, y - 8.0, 45.0);
            let ends = (End::Exchange(x.id), End::Exchange(a));
            push(EdgeKind::Alternate, ends, curve, None, "alternate".into(), Some(x.id), Some(Dest::Exchange(a)));
        }
    }
    for q in qs {
        let Some(dlx) = q.decl.args.dlx else { continue };
        let Some(y) = xy(dlx) else { continue };
        // Back from the queue to its dead-letter exchange: below the boxes, right to left.
        let (a, z) = ((ql, q.y + Q_BOX.1 / 2.0 - 6.0), (xr, y + X_BOX.1 / 2.0 - 6.0));
        let curve = [a, (a.0 - 50.0, a.1 + 30.0), (z.0 + 50.0, z.1 + 30.0), z];
        let key = q.decl.args.dl_routing_key.as_deref().map_or(String::new(), |k| format!(" ({k})"));
        let ends = (End::Queue(q.id), End::Exchange(dlx));
        let label_at = Some((z.0 + 6.0, z.1 + 18.0));
        push(
            EdgeKind::DeadLetter,
            ends,
            curve,
            label_at,
            format!("dead-letter{key}"),
            Some(dlx),
            Some(Dest::Queue(q.id)),
        );
    }
    for c in cs {
        if let Some(y) = qy(c.queue) {
            let curve = forward((qr, y), (COL_X[3] - C_BOX.0 / 2.0, c.y));
            let ends = (End::Queue(c.queue), End::Consumer(c.node));
            push(EdgeKind::Consume, ends, curve, None, String::new(), None, Some(Dest::Queue(c.queue)));
        }
    }
    out
}

/// `(x, y, width)` of the small squares of a stack of `n` messages (at most `STACK_CAP` drawn),
/// left to right from `x0` on the line `y`.
pub fn stack(n: u32, x0: f64, y: f64) -> impl Iterator<Item = (f64, f64)> {
    (0..n.min(STACK_CAP)).map(move |i| (x0 + i as f64 * 7.0, y))
}

/// How full a consumer's prefetch window is, 0 to 1 (an unlimited window shows as full when any
/// message is outstanding).
pub fn window_fill(unacked: u32, prefetch: u16) -> f64 {
    match prefetch {
        0 if unacked > 0 => 1.0,
        0 => 0.0,
        p => (unacked as f64 / p as f64).min(1.0),
    }
}

#[cfg(test)]
mod tests;
