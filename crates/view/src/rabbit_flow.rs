//! Messages moving through the RabbitMQ drawing along the route they actually take: publisher →
//! exchange, each exchange hop (bindings, exchange-to-exchange bindings, alternate exchanges),
//! queue → consumer, back to the queue after a requeue, queue → dead-letter exchange and on. One
//! engine event is one hop; the broker routes in zero simulated time, so hops are paced on the
//! page's clock instead (`HOP_MS` each), and a message's next hop starts where and when its
//! previous one arrives: a fan-out leaves an exchange as several dots at once. Where a message
//! ends (unroutable, refused by a full queue, discarded, acked, or a publish that failed) a
//! short-lived mark shows it.
//!
//! Pure and native-tested; `ui::rabbit` draws `dots` and `marks` over the topology.

use super::rabbit::{at, EdgeKind, End, Model};
use brokerlab_engine::rabbit::event::RabbitEvent;
use brokerlab_engine::rabbit::exchange::NO_BINDING;
use brokerlab_engine::rabbit::msg::Dest;

/// How long one hop takes on screen.
pub const HOP_MS: f64 = 450.0;
/// How long an end mark stays.
pub const MARK_MS: f64 = 900.0;
/// Hops animated at once at most: beyond this new ones are skipped (the counts and stacks still
/// show every message; at speed the dots are a sample).
pub const MAX_HOPS: usize = 150;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HopKind {
    Publish,
    Route,
    Alternate,
    DeadLetter,
    Deliver,
    /// Redelivery: a delivery of a message flagged redelivered.
    Redeliver,
    /// Back from the consumer to its queue (nack / reject with requeue, or the consumer gone).
    Requeue,
    /// basic.return: back to the publisher.
    Return,
}

impl HopKind {
    /// The colour of its dot: the colour of the edge it runs along (the panel's legend), a
    /// redelivery or requeue in orange.
    pub fn colour(self) -> &'static str {
        match self {
            HopKind::Publish | HopKind::Route => "#0072B2",
            HopKind::Alternate | HopKind::Return => "#CC79A7",
            HopKind::DeadLetter => "#D55E00",
            HopKind::Deliver => "#009E73",
            HopKind::Redeliver | HopKind::Requeue => "#E69F00",
        }
    }

    /// The kind of drawn edge the hop runs along, and whether it runs against the edge's direction.
    fn edge(self) -> (EdgeKind, bool) {
        match self {
            HopKind::Publish => (EdgeKind::Publish, false),
            HopKind::Return => (EdgeKind::Publish, true),
            HopKind::Route => (EdgeKind::Binding, false),
            HopKind::Alternate => (EdgeKind::Alternate, false),
            HopKind::DeadLetter => (EdgeKind::DeadLetter, false),
            HopKind::Deliver | HopKind::Redeliver => (EdgeKind::Consume, false),
            HopKind::Requeue => (EdgeKind::Consume, true),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// No binding took it (dropped, or returned when mandatory).
    Unroutable,
    /// A full queue refused it (`reject-publish`).
    Refused,
    /// Dropped for good (no dead-letter exchange, or a dead-letter cycle).
    Discarded,
    /// A publish that failed (no broker to take it, or no confirm before the channel closed).
    Failed,
    Acked,
}

impl MarkKind {
    pub fn colour(self) -> &'static str {
        match self {
            MarkKind::Unroutable | MarkKind::Refused | MarkKind::Discarded | MarkKind::Failed => "#D55E00",
            MarkKind::Acked => "#009E73",
        }
    }
    pub fn glyph(self) -> &'static str {
        match self {
            MarkKind::Acked => "✓",
            _ => "✕",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hop {
    pub m: u64,
    pub from: End,
    pub to: End,
    pub kind: HopKind,
    pub start_ms: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mark {
    pub at: End,
    pub kind: MarkKind,
    pub start_ms: f64,
}

/// A dot to draw: where, and its colour.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dot {
    pub x: f64,
    pub y: f64,
    pub colour: &'static str,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RouteFlow {
    pub hops: Vec<Hop>,
    pub marks: Vec<Mark>,
    /// When message `m`'s dot reaches a box (page ms): its next hop from there starts then.
    arrivals: Vec<(u64, End, f64)>,
    /// The publisher of each message the broker received lately (for a return).
    received: std::collections::VecDeque<(u64, End)>,
}

impl RouteFlow {
    pub fn clear(&mut self) {
        *self = RouteFlow::default();
    }

    /// When `m` is (or will be) at `end`: its pending arrival there, else now.
    fn ready_at(&self, m: u64, end: End, now: f64) -> f64 {
        self.arrivals.iter().rev().find(|a| a.0 == m && a.1 == end).map_or(now, |a| a.2.max(now))
    }

    fn hop(&mut self, m: u64, from: End, to: End, kind: HopKind, now: f64) {
        if self.hops.len() >= MAX_HOPS {
            return;
        }
        let start_ms = self.ready_at(m, from, now);
        self.hops.push(Hop { m, from, to, kind, start_ms });
        self.arrivals.push((m, to, start_ms + HOP_MS));
    }

    fn mark(&mut self, m: Option<u64>, at: End, kind: MarkKind, now: f64) {
        if self.marks.len() >= MAX_HOPS {
            return;
        }
        let start_ms = m.map_or(now, |m| self.ready_at(m, at, now));
        self.marks.push(Mark { at, kind, start_ms });
    }

    /// Folds one engine event in at page time `now` (ms).
    pub fn observe(&mut self, e: &RabbitEvent, now: f64) {
        match *e {
            RabbitEvent::Received { m, publisher, exchange, .. } => {
                // At speed most messages are not animated: nothing to remember for them.
                if self.hops.len() >= MAX_HOPS {
                    return;
                }
                let p = End::Publisher(publisher);
                if self.received.len() >= MAX_HOPS {
                    self.received.pop_front();
                }
                self.received.push_back((m, p));
                self.hop(m, p, End::Exchange(exchange), HopKind::Publish, now);
            }
            RabbitEvent::Routed { m, from, to, binding } => {
                // Without a binding number the hop is the default exchange's implicit binding, or
                // (to an exchange) the way to the alternate exchange.
                let kind = match (binding, to) {
                    (NO_BINDING, Dest::Exchange(_)) => HopKind::Alternate,
                    _ => HopKind::Route,
                };
                self.hop(m, End::Exchange(from), to.into(), kind, now);
            }
            RabbitEvent::Delivered { m, queue, consumer, redelivered, .. } => {
                let kind = if redelivered { HopKind::Redeliver } else { HopKind::Deliver };
                self.hop(m, End::Queue(queue), End::Consumer(consumer), kind, now);
            }
            RabbitEvent::Requeued { m, queue, consumer } => {
                self.hop(m, End::Consumer(consumer), End::Queue(queue), HopKind::Requeue, now);
            }
            RabbitEvent::DeadLettered { m, queue, dlx, .. } => {
                self.hop(m, End::Queue(queue), End::Exchange(dlx), HopKind::DeadLetter, now);
            }
            RabbitEvent::Acked { m, consumer, .. } => self.mark(Some(m), End::Consumer(consumer), MarkKind::Acked, now),
            RabbitEvent::Unroutable { m, exchange, returned } => {
                let x = End::Exchange(exchange);
                match self.received.iter().find(|r| r.0 == m).map(|r| r.1) {
                    Some(p) if returned => self.hop(m, x, p, HopKind::Return, now),
                    _ => self.mark(Some(m), x, MarkKind::Unroutable, now),
                }
            }
            RabbitEvent::PublishRejected { m, queue } => self.mark(Some(m), End::Queue(queue), MarkKind::Refused, now),
            // The broker is down, or the channel closed before the confirm: lost at the publisher.
            RabbitEvent::PublishFailed { publisher, .. } => {
                self.mark(None, End::Publisher(publisher), MarkKind::Failed, now)
            }
            RabbitEvent::Discarded { m, queue, .. } => self.mark(Some(m), End::Queue(queue), MarkKind::Discarded, now),
            _ => {}
        }
    }

    /// Forgets hops and marks that are over by `now`.
    pub fn expire(&mut self, now: f64) {
        self.hops.retain(|h| h.start_ms + HOP_MS > now);
        self.marks.retain(|k| k.start_ms + MARK_MS > now);
        self.arrivals.retain(|a| a.2 > now);
    }

    pub fn is_empty(&self) -> bool {
        self.hops.is_empty() && self.marks.is_empty()
    }

    /// The dots at `now`: each started hop at its place along its edge of `model` (a hop whose
    /// boxes are not drawn, or not joined by such an edge, is not shown).
    pub fn dots(&self, model: &Model, now: f64) -> Vec<Dot> {
        self.hops
            .iter()
            .filter(|h| h.start_ms <= now)
            .filter_map(|h| {
                let (kind, back) = h.kind.edge();
                let (from, to) = if back { (h.to, h.from) } else { (h.from, h.to) };
                let edge = model.edges.iter().find(|e| e.kind == kind && e.from == from && e.to == to)?;
                let t = ease(((now - h.start_ms) / HOP_MS).clamp(0.0, 1.0));
                let (x, y) = at(&edge.curve, if back { 1.0 - t } else { t });
                Some(Dot { x, y, colour: h.kind.colour() })
            })
            .collect()
    }

    /// The marks showing at `now`, where their box is: `(x, y, colour, glyph)`.
    pub fn marks_at(&self, model: &Model, now: f64) -> Vec<(f64, f64, &'static str, &'static str)> {
        self.marks
            .iter()
            .filter(|k| k.start_ms <= now)
            .filter_map(|k| {
                let (x, y) = model.anchor(k.at)?;
                Some((x, y, k.kind.colour(), k.kind.glyph()))
            })
            .collect()
    }
}

/// Slow in, slow out: the eye follows a dot that accelerates and settles.
fn ease(t: f64) -> f64 {
    t * t * (3.0 - 2.0 * t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rabbit::model;
    use brokerlab_engine::models::drain_rabbit as drain;
    use brokerlab_engine::presets;
    use brokerlab_engine::{Simulation, Time};

    #[test]
    fn a_message_is_followed_hop_by_hop_along_its_route() {
        let mut sim = Simulation::new(&presets::load("rabbit-basic").unwrap(), 1).unwrap();
        sim.run_until(Time::ms(60));
        let m = model(sim.world()).unwrap();
        let mut flow = RouteFlow::default();
        for e in drain(&mut sim) {
            flow.observe(&e, 0.0);
        }
        // The shop's first message (refund.eu is the third key): publisher → orders → billing and
        // audit at once, then to the consumers; each next hop starts when the last one arrives.
        let first: Vec<&Hop> = flow.hops.iter().filter(|h| h.m == flow.hops[0].m).collect();
        let kinds: Vec<HopKind> = first.iter().map(|h| h.kind).collect();
        assert_eq!(&kinds[..3], &[HopKind::Publish, HopKind::Route, HopKind::Route], "{first:?}");
        assert_eq!(first[0].start_ms, 0.0);
        assert_eq!(first[1].start_ms, HOP_MS);
        assert_eq!(first[2].start_ms, HOP_MS, "a fan-out leaves the exchange at once");
        let deliver = first.iter().find(|h| h.kind == HopKind::Deliver).unwrap();
        assert_eq!(deliver.start_ms, 2.0 * HOP_MS);
        // refund.eu matches no binding: orders → unrouted (alternate) → lost-and-found.
        let refund = flow.hops.iter().find(|h| h.kind == HopKind::Alternate).expect("an alternate hop");
        let after = flow.hops.iter().find(|h| h.m == refund.m && h.from == refund.to).unwrap();
        assert_eq!(after.start_ms, refund.start_ms + HOP_MS);
        // Every hop has an edge to run along, and its dot sits on it.
        let dots = flow.dots(&m, HOP_MS * 1.5);
        assert_eq!(dots.len(), flow.hops.iter().filter(|h| h.start_ms <= HOP_MS * 1.5).count());
        assert!(dots.iter().all(|d| d.x > 0.0 && d.x < crate::rabbit::RABBIT_W && d.y > 0.0 && d.y < m.height));
        flow.expire(100_000.0);
        assert!(flow.is_empty());
    }

    #[test]
    fn requeues_go_back_and_dead_letters_go_to_their_exchange() {
        let mut sim = Simulation::new(&presets::load("rabbit-by-hand").unwrap(), 1).unwrap();
        sim.run_until(Time::ms(900));
        drain(&mut sim);
        let you = brokerlab_engine::NodeId(sim.world().nodes.iter().position(|n| n.name == "you").unwrap() as u32);
        use brokerlab_engine::rabbit::msg::SettleOp;
        sim.apply(brokerlab_engine::Command::settle(you, 1, false, SettleOp::Nack { requeue: true })).unwrap();
        sim.apply(brokerlab_engine::Command::settle(you, 2, false, SettleOp::Reject { requeue: false })).unwrap();
        sim.run_until(Time::ms(1_000));
        let mut flow = RouteFlow::default();
        for e in drain(&mut sim) {
            flow.observe(&e, 10.0);
        }
        let kinds: Vec<HopKind> = flow.hops.iter().map(|h| h.kind).collect();
        assert!(kinds.contains(&HopKind::Requeue) && kinds.contains(&HopKind::Redeliver), "{kinds:?}");
        let dl = flow.hops.iter().find(|h| h.kind == HopKind::DeadLetter).expect("the rejected message");
        // ... and from the dead-letter exchange on to dead-letters, after it arrives there.
        let on = flow.hops.iter().find(|h| h.m == dl.m && h.from == dl.to).unwrap();
        assert_eq!(on.start_ms, dl.start_ms + HOP_MS);
        let m = model(sim.world()).unwrap();
        assert_eq!(flow.dots(&m, 10.0 + HOP_MS / 2.0).len(), flow.hops.iter().filter(|h| h.start_ms == 10.0).count());
    }

    #[test]
    fn publishes_to_a_stopped_broker_are_marked_lost_at_their_publisher() {
        // rabbit-basic stops the broker from 300 to 400 ms: the shop's publishes fail.
        let mut sim = Simulation::new(&presets::load("rabbit-basic").unwrap(), 1).unwrap();
        sim.run_until(Time::ms(330));
        drain(&mut sim);
        sim.run_until(Time::ms(380));
        let mut flow = RouteFlow::default();
        for e in drain(&mut sim) {
            flow.observe(&e, 0.0);
        }
        let m = model(sim.world()).unwrap();
        let marks = flow.marks_at(&m, 1.0);
        assert!(!marks.is_empty() && marks.iter().all(|k| k.3 == "✕"), "{marks:?}");
        let shop = m.pubs.iter().find(|p| p.name == "shop").unwrap();
        assert_eq!(m.anchor(End::Publisher(shop.node)).map(|a| a.1), Some(marks[0].1));
    }

    #[test]
    fn at_most_max_hops_are_animated() {
        let mut flow = RouteFlow::default();
        for m in 0..(MAX_HOPS as u64 * 2) {
            let e = RabbitEvent::Received { m, publisher: brokerlab_engine::NodeId(1), seq: m, exchange: 0 };
            flow.observe(&e, 0.0);
        }
        assert_eq!(flow.hops.len(), MAX_HOPS);
    }
}
