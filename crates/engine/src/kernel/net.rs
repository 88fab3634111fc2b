//! The simulated network: a pure router with no clock of its own. Given a sender, a receiver, the
//! current time and a random stream, it says when a message arrives or why it never will.
//!
//! What it models: per-link latency plus uniform jitter, random loss (integer parts per million),
//! cut links (both directions), isolated nodes (every link of the node cut), stopped nodes, and slow
//! links (extra one-way delay). Links are FIFO by default, like the TCP connections that Kafka and
//! AMQP run over: a message never overtakes an earlier one on the same directed link, whatever the
//! jitter drew. What it does not model: bandwidth and queueing, partial packet loss within a message.

use super::rng::Rng;
use super::time::Time;
use super::NodeId;

/// The settings of one directed link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkConfig {
    pub latency: Time,
    pub jitter: Time,
    pub loss_ppm: u32,
}

impl LinkConfig {
    /// One-way latency inside a datacentre: about half of the ~0.5 ms round trip.
    pub const DATACENTRE: LinkConfig = LinkConfig { latency: Time(250), jitter: Time(50), loss_ppm: 0 };
}

#[derive(Clone, Debug)]
struct Link {
    config: LinkConfig,
    cut: bool,
    extra_delay: Time,
    /// Latest delivery time scheduled on this link; FIFO links deliver no earlier than this.
    last_delivery: Time,
}

/// Why a message was lost. Each is shown to the learner, so each names a cause they can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The link between the two nodes is cut (a network partition).
    LinkCut,
    /// One of the two nodes is isolated from every other node.
    Isolated,
    /// The receiver is stopped (crashed) when the message arrives.
    ReceiverDown,
    /// Random loss on the link.
    Loss,
}

impl DropReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::LinkCut => "link-cut",
            DropReason::Isolated => "isolated",
            DropReason::ReceiverDown => "receiver-down",
            DropReason::Loss => "loss",
        }
    }
}

/// Per-node and per-link state. Links are stored densely (`from * n + to`): a cluster has tens of
/// nodes, so the matrix is small and a lookup is one index.
#[derive(Clone, Debug)]
pub struct Network {
    nodes: usize,
    links: Vec<Link>,
    up: Vec<bool>,
    isolated: Vec<bool>,
    fifo: bool,
    /// Pairs that have exchanged messages since either last stopped: their "TCP connection" is
    /// open, and a stopping process resets it.
    connected: Vec<bool>,
}

impl Network {
    pub fn new(nodes: usize, default: LinkConfig, fifo: bool) -> Network {
        let link = Link { config: default, cut: false, extra_delay: Time::ZERO, last_delivery: Time::ZERO };
        Network {
            nodes,
            links: vec![link; nodes * nodes],
            up: vec![true; nodes],
            isolated: vec![false; nodes],
            fifo,
            connected: vec![false; nodes * nodes],
        }
    }

    fn link(&self, from: NodeId, to: NodeId) -> &Link {
        &self.links[from.index() * self.nodes + to.index()]
    }

    fn link_mut(&mut self, from: NodeId, to: NodeId) -> &mut Link {
        &mut self.links[from.index() * self.nodes + to.index()]
    }

    /// Applies `f` to both directions of the link between `a` and `b`.
    fn both(&mut self, a: NodeId, b: NodeId, mut f: impl FnMut(&mut Link)) {
        f(self.link_mut(a, b));
        f(self.link_mut(b, a));
    }

    pub fn set_link_config(&mut self, a: NodeId, b: NodeId, config: LinkConfig) {
        self.both(a, b, |l| l.config = config);
    }

    pub fn link_config(&self, from: NodeId, to: NodeId) -> LinkConfig {
        self.link(from, to).config
    }

    pub fn is_up(&self, node: NodeId) -> bool {
        self.up[node.index()]
    }
    pub fn set_up(&mut self, node: NodeId, up: bool) {
        self.up[node.index()] = up;
    }
    pub fn is_isolated(&self, node: NodeId) -> bool {
        self.isolated[node.index()]
    }
    pub fn set_isolated(&mut self, node: NodeId, isolated: bool) {
        self.isolated[node.index()] = isolated;
    }
    pub fn is_cut(&self, a: NodeId, b: NodeId) -> bool {
        self.link(a, b).cut
    }
    pub fn set_cut(&mut self, a: NodeId, b: NodeId, cut: bool) {
        self.both(a, b, |l| l.cut = cut);
    }
    pub fn extra_delay(&self, a: NodeId, b: NodeId) -> Time {
        self.link(a, b).extra_delay
    }
    pub fn set_extra_delay(&mut self, a: NodeId, b: NodeId, extra: Time) {
        self.both(a, b, |l| l.extra_delay = extra);
    }

    /// Restores every link and node to reachable (stopped nodes stay stopped).
    pub fn heal_all(&mut self) {
        for l in &mut self.links {
            l.cut = false;
            l.extra_delay = Time::ZERO;
        }
        self.isolated.iter_mut().for_each(|i| *i = false);
    }

    /// Why a message from `from` to `to` cannot pass right now, if it cannot.
    pub fn blocked(&self, from: NodeId, to: NodeId) -> Option<DropReason> {
        if self.is_isolated(from) || self.is_isolated(to) {
            Some(DropReason::Isolated)
        } else if self.link(from, to).cut {
            Some(DropReason::LinkCut)
        } else {
            None
        }
    }

    /// Sends a message at `now`: its delivery time, or why it is lost. Draws from `rng` for loss and
    /// jitter only when the link has them, so a loss-free, jitter-free network uses no randomness.
    pub fn route(&mut self, from: NodeId, to: NodeId, now: Time, rng: &mut Rng) -> Result<Time, DropReason> {
        if let Some(reason) = self.blocked(from, to) {
            return Err(reason);
        }
        let fifo = self.fifo;
        let link = self.link_mut(from, to);
        let cfg = link.config;
        if rng_chance(rng, cfg.loss_ppm) {
            return Err(DropReason::Loss);
        }
        let jitter = if cfg.jitter.0 > 0 { Time(rng.below(cfg.jitter.0 + 1)) } else { Time::ZERO };
        let mut at = now + cfg.latency + jitter + link.extra_delay;
        if fifo && at < link.last_delivery {
            at = link.last_delivery;
        }
        link.last_delivery = at;
        let n = self.nodes;
        self.connected[from.index() * n + to.index()] = true;
        self.connected[to.index() * n + from.index()] = true;
        Ok(at)
    }

    /// `node`'s process stopped: the peers it had open connections with, whose connections are
    /// now reset. Forgets those connections.
    pub fn close_connections(&mut self, node: NodeId) -> Vec<NodeId> {
        let n = self.nodes;
        let mut peers = vec![];
        for peer in 0..n {
            let i = node.index() * n + peer;
            if self.connected[i] {
                self.connected[i] = false;
                self.connected[peer * n + node.index()] = false;
                peers.push(NodeId(peer as u32));
            }
        }
        peers
    }

    /// Checked again when a message arrives: the receiver may have stopped, or the link been cut,
    /// while it was in flight.
    pub fn deliverable(&self, from: NodeId, to: NodeId) -> Result<(), DropReason> {
        if !self.is_up(to) {
            return Err(DropReason::ReceiverDown);
        }
        match self.blocked(from, to) {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    }
}

fn rng_chance(rng: &mut Rng, ppm: u32) -> bool {
    ppm > 0 && rng.chance_ppm(ppm)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: NodeId = NodeId(0);
    const B: NodeId = NodeId(1);
    const C: NodeId = NodeId(2);

    fn net(jitter: u64) -> Network {
        Network::new(3, LinkConfig { latency: Time(100), jitter: Time(jitter), loss_ppm: 0 }, true)
    }

    #[test]
    fn latency_and_jitter_bounds() {
        let mut n = net(40);
        let mut rng = Rng::new(1);
        for i in 0..1000 {
            let now = Time(i * 1000);
            let at = n.route(A, B, now, &mut rng).unwrap();
            assert!(at >= now + Time(100) && at <= now + Time(140), "{at:?}");
        }
    }

    #[test]
    fn fifo_links_never_reorder() {
        let mut n = net(1_000);
        let mut rng = Rng::new(2);
        let mut last = Time::ZERO;
        for i in 0..1000 {
            let at = n.route(A, B, Time(i), &mut rng).unwrap();
            assert!(at >= last, "message {i} overtook an earlier one");
            last = at;
        }
    }

    #[test]
    fn cuts_isolation_and_stopped_receivers() {
        let mut n = net(0);
        let mut rng = Rng::new(3);
        n.set_cut(A, B, true);
        assert_eq!(n.route(A, B, Time(0), &mut rng), Err(DropReason::LinkCut));
        assert_eq!(n.route(B, A, Time(0), &mut rng), Err(DropReason::LinkCut));
        assert!(n.route(A, C, Time(0), &mut rng).is_ok());
        n.set_isolated(C, true);
        assert_eq!(n.route(A, C, Time(0), &mut rng), Err(DropReason::Isolated));
        n.heal_all();
        assert!(n.route(A, B, Time(0), &mut rng).is_ok());
        n.set_up(B, false);
        assert_eq!(n.deliverable(A, B), Err(DropReason::ReceiverDown));
    }

    #[test]
    fn slow_link_adds_delay_and_loss_drops() {
        let mut n = net(0);
        let mut rng = Rng::new(4);
        n.set_extra_delay(A, B, Time(5_000));
        assert_eq!(n.route(A, B, Time(0), &mut rng), Ok(Time(5_100)));
        assert_eq!(n.route(B, A, Time(0), &mut rng), Ok(Time(5_100)));
        n.set_link_config(A, C, LinkConfig { latency: Time(1), jitter: Time(0), loss_ppm: 1_000_000 });
        assert_eq!(n.route(A, C, Time(0), &mut rng), Err(DropReason::Loss));
    }
}
