//! What the RabbitMQ management UI would show for the simulated broker: the Overview page's
//! global counts, the Queues tab (Type, Features, State; Messages Ready / Unacked / Total; Message
//! rates incoming, deliver / get, ack), the Connections and Channels tabs. Columns and names as
//! the management UI (3.x) prints them. Pure: built from the world and the per-queue counts
//! `QueueRates` folds from the broker's events; the page only lays out the tables.
//!
//! The memory alarm and the connections it blocked come from the resource model when the scenario
//! has one (`rabbit.resources`); without it the broker spends no memory or disk, so no alarm can
//! fire, and the page says so. What the model has no basis for is left out, not invented: the
//! disk-free alarm, users, virtual hosts beyond `/`, IP addresses
//! (a connection is named by its client, `shop -> rabbit:5672`, where the UI shows
//! `127.0.0.1:53412 -> 127.0.0.1:5672`), flow control (every connection is `running`).

use super::broker;
use brokerlab_engine::models::{ModelEvents, Node};
use brokerlab_engine::rabbit::event::RabbitEvent;
use brokerlab_engine::rabbit::node::RabbitNode;
use brokerlab_engine::rabbit::queue::{Overflow, QueueDecl};
use brokerlab_engine::{Event, EventKind, NodeId, Time, World};
use std::collections::VecDeque;

/// The rate window: the management plugin samples every 5 s (`collect_statistics_interval`).
pub const RATE_WINDOW_S: u64 = 5;

/// Per queue, messages in (incoming), out (deliver / get) and acknowledged, in one-second
/// buckets of simulated time over the last `RATE_WINDOW_S` seconds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueRates {
    queues: Vec<VecDeque<(u64, [u32; 3])>>,
}

impl QueueRates {
    pub fn observe(&mut self, e: &Event) {
        let EventKind::Model(ModelEvents::Rabbit(r)) = e.kind else { return };
        let (queue, line) = match r {
            RabbitEvent::Enqueued { queue, .. } => (queue, 0),
            RabbitEvent::Delivered { queue, .. } | RabbitEvent::Got { queue, .. } => (queue, 1),
            RabbitEvent::Acked { queue, .. } => (queue, 2),
            _ => return,
        };
        let q = queue as usize;
        if self.queues.len() <= q {
            self.queues.resize(q + 1, VecDeque::new());
        }
        let sec = e.at.0 / 1_000_000;
        let b = &mut self.queues[q];
        while b.front().is_some_and(|(s, _)| s + RATE_WINDOW_S <= sec) {
            b.pop_front();
        }
        match b.back_mut() {
            Some((s, n)) if *s == sec => n[line] += 1,
            _ => {
                let mut n = [0; 3];
                n[line] = 1;
                b.push_back((sec, n));
            }
        }
    }

    /// Messages per second over the window ending at `now` (the current second's part included):
    /// `[incoming, deliver / get, ack]`.
    pub fn rates(&self, queue: u16, now: Time) -> [f64; 3] {
        let sec = now.0 / 1_000_000;
        let first = (sec + 1).saturating_sub(RATE_WINDOW_S);
        let span = (now.0 - first * 1_000_000) as f64 / 1e6;
        let mut sum = [0u32; 3];
        for (_, n) in self.queues.get(queue as usize).into_iter().flatten().filter(|(s, _)| *s >= first && *s <= sec) {
            for i in 0..3 {
                sum[i] += n[i];
            }
        }
        if span <= 0.0 {
            return [0.0; 3];
        }
        sum.map(|n| n as f64 / span)
    }
}

/// A rate as the management UI writes it: `0.00/s`, `4.2/s`, `120/s`.
pub fn fmt_rate(r: f64) -> String {
    if r < 1.0 {
        format!("{r:.2}/s")
    } else if r < 10.0 {
        format!("{r:.1}/s")
    } else {
        format!("{r:.0}/s")
    }
}

/// The Features column: the management UI's abbreviations of the queue's properties and `x-`
/// arguments (the full names are the cell's tooltip there, and here).
pub fn features(d: &QueueDecl) -> Vec<(&'static str, &'static str)> {
    let a = &d.args;
    let mut f = Vec::new();
    let mut add = |on: bool, short, long| {
        if on {
            f.push((short, long))
        }
    };
    add(d.durable, "D", "durable: true");
    add(d.auto_delete, "AD", "auto-delete: true");
    add(d.exclusive, "Excl", "exclusive: true");
    add(a.message_ttl.is_some(), "TTL", "x-message-ttl");
    add(a.expires.is_some(), "Exp", "x-expires");
    add(a.max_length.is_some(), "Lim", "x-max-length");
    add(a.max_length_bytes.is_some(), "Lim B", "x-max-length-bytes");
    add(a.overflow != Overflow::DropHead, "Ovfl", "x-overflow");
    add(a.dlx.is_some(), "DLX", "x-dead-letter-exchange");
    add(a.dl_routing_key.is_some(), "DLK", "x-dead-letter-routing-key");
    add(a.max_priority.is_some(), "Pri", "x-max-priority");
    add(a.single_active_consumer, "SAC", "x-single-active-consumer");
    add(a.stream.is_some_and(|s| s.max_bytes.is_some()), "Lim B", "x-max-length-bytes");
    add(a.stream.is_some_and(|s| s.max_age.is_some()), "MA", "x-max-age");
    f
}

/// A queue's type: classic, quorum or stream.
pub fn kind(d: &QueueDecl) -> &'static str {
    match (d.args.quorum.is_some(), d.args.stream.is_some()) {
        (true, _) => "quorum",
        (_, true) => "stream",
        _ => "classic",
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct QueueRow {
    pub id: u16,
    pub name: String,
    pub features: Vec<(&'static str, &'static str)>,
    /// Its type, as the management UI's Type column.
    pub kind: &'static str,
    pub ready: u32,
    pub unacked: u32,
    /// `[incoming, deliver / get, ack]` per second.
    pub rates: [f64; 3],
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChannelRow {
    /// `shop -> rabbit:5672 (1)`: its connection's name and the channel number.
    pub name: String,
    pub client: NodeId,
    /// `C`: publisher confirms on.
    pub mode: &'static str,
    pub unconfirmed: usize,
    /// basic.qos prefetch (consumers), `None` for a publisher's channel.
    pub prefetch: Option<u16>,
    pub unacked: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Overview {
    pub broker: String,
    pub broker_up: bool,
    pub queues: Vec<QueueRow>,
    /// Connections by name (one channel each in the model).
    pub connections: Vec<String>,
    pub channels: Vec<ChannelRow>,
    pub exchanges: usize,
    pub consumers: usize,
    /// With resources: memory used and the high watermark (bytes), whether the alarm is set, and
    /// the connections it blocked (`crate::resources`).
    pub memory: Option<(u64, u64, bool)>,
    pub blocked: Vec<NodeId>,
}

pub fn overview(world: &World, rates: &QueueRates) -> Option<Overview> {
    let (bid, b) = broker(world)?;
    let broker_name = world.node_name(bid).to_string();
    let up = world.network.is_up(bid);
    let unacked = |q: u16| b.deliveries().filter(|d| d.2 == q).count() as u32;
    let queues: Vec<QueueRow> = (0..b.names.queues.len() as u16)
        .filter_map(|id| {
            let q = b.queue(id)?;
            Some(QueueRow {
                id,
                name: b.names.queue(id),
                features: features(&q.decl),
                kind: kind(&q.decl),
                // The management UI counts a stream's messages as ready.
                ready: q.stream.as_ref().map_or(q.ready(), |s| s.len() as u32),
                unacked: unacked(id),
                rates: rates.rates(id, world.now),
            })
        })
        .collect();
    let mut connections = Vec::new();
    let mut channels = Vec::new();
    for (i, slot) in world.nodes.iter().enumerate() {
        let node = NodeId(i as u32);
        if !up || !world.network.is_up(node) || !b.has_channel(node) {
            continue;
        }
        let conn = format!("{} -> {broker_name}:5672", slot.name);
        let (mode, unconfirmed, prefetch) = match &slot.node {
            Node::Rabbit(RabbitNode::Publisher(p)) => (if p.confirms { "C" } else { "" }, p.unconfirmed(), None),
            Node::Rabbit(RabbitNode::Consumer(c)) => ("", 0, Some(c.prefetch)),
            // A processor consumes and publishes with confirms on its one channel.
            Node::Rabbit(RabbitNode::Processor(p)) => ("C", p.unconfirmed(), Some(p.settings.prefetch)),
            _ => continue,
        };
        channels.push(ChannelRow {
            name: format!("{conn} (1)"),
            client: node,
            mode,
            unconfirmed,
            prefetch,
            unacked: b.unacked(node),
        });
        connections.push(conn);
    }
    let exchanges = (0..b.names.exchanges.len() as u16).filter(|&x| b.exchange(x).is_some()).count();
    let consumers = (0..b.names.queues.len() as u16).filter_map(|q| b.queue(q)).map(|q| q.consumers.len()).sum();
    let res = world.nodes.get(bid.index()).and_then(|s| match &s.node {
        Node::Rabbit(RabbitNode::Broker(n)) => n.res.as_deref(),
        _ => None,
    });
    let memory = res.map(|r| (r.memory, r.cfg.watermark_bytes(), r.alarm));
    let blocked = res.map_or(Vec::new(), |r| r.blocked.clone());
    Some(Overview {
        broker: broker_name,
        broker_up: up,
        queues,
        connections,
        channels,
        exchanges,
        consumers,
        memory,
        blocked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::{presets, Simulation};

    /// rabbit-basic without its restart, for 3 s: every queue's counts are the broker's, and the
    /// rates are the events of the last five seconds over the time they cover.
    #[test]
    fn the_overview_counts_are_the_brokers_and_the_rates_its_events() {
        let mut s = presets::load("rabbit-basic").unwrap();
        s.faults.clear();
        let mut sim = Simulation::new(&s, 1).unwrap();
        let mut rates = QueueRates::default();
        let mut log = Vec::new();
        let end = Time::secs(3);
        while sim.now() < end && sim.step() {
            for e in sim.drain_events() {
                rates.observe(&e);
                log.push(e);
            }
        }
        let w = sim.world();
        let o = overview(w, &rates).unwrap();
        let (_, b) = broker(w).unwrap();
        assert_eq!(o.queues.len(), 5);
        for q in &o.queues {
            assert_eq!(q.ready, b.queue(q.id).unwrap().ready());
            assert_eq!(q.unacked as usize, b.deliveries().filter(|d| d.2 == q.id).count());
            let count = |f: &dyn Fn(&RabbitEvent) -> bool| {
                log.iter().filter(|e| matches!(e.kind, EventKind::Model(ModelEvents::Rabbit(r)) if f(&r))).count()
                    as f64
            };
            let id = q.id;
            let incoming = count(&|r| matches!(r, RabbitEvent::Enqueued { queue, .. } if *queue == id));
            let acked = count(&|r| matches!(r, RabbitEvent::Acked { queue, .. } if *queue == id));
            // Three seconds so far, all inside the window.
            assert!((q.rates[0] - incoming / 3.0).abs() < 1e-9, "{q:?}");
            assert!((q.rates[2] - acked / 3.0).abs() < 1e-9, "{q:?}");
        }
        let billing = o.queues.iter().find(|q| q.name == "billing").unwrap();
        assert_eq!(billing.features.iter().map(|f| f.0).collect::<Vec<_>>(), ["D", "DLX"]);
        assert!(billing.rates[0] > 50.0, "shop publishes every 10 ms: {billing:?}");
        // One connection and channel per client: the publisher (confirms on) and three consumers.
        assert_eq!(o.connections.len(), 4);
        let shop = o.channels.iter().find(|c| c.name == "shop -> rabbit:5672 (1)").unwrap();
        assert_eq!((shop.mode, shop.prefetch), ("C", None));
        let biller = o.channels.iter().find(|c| c.name.starts_with("biller")).unwrap();
        assert_eq!(biller.prefetch, Some(5));
        assert_eq!(o.consumers, 3);
    }

    #[test]
    fn old_seconds_leave_the_window() {
        let mut sim = Simulation::new(&presets::load("rabbit-basic").unwrap(), 1).unwrap();
        let mut rates = QueueRates::default();
        while sim.now() < Time::ms(200) && sim.step() {
            for e in sim.drain_events() {
                rates.observe(&e);
            }
        }
        assert!(rates.rates(0, Time::ms(200))[0] > 0.0);
        assert_eq!(rates.rates(0, Time::secs(6)), [0.0; 3], "nothing in the last five seconds");
        assert_eq!(fmt_rate(0.0), "0.00/s");
        assert_eq!(fmt_rate(4.25), "4.2/s");
        assert_eq!(fmt_rate(120.4), "120/s");
    }
}
