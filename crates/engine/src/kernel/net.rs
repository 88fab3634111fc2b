//! The simulated network: a pure router with no clock of its own. Given a sender, a receiver, the
//! current time and a random stream, it says when a message arrives or why it never will.
//!
//! What it models: per-link latency plus uniform jitter, packet loss (integer parts per million),
//! cut links (both directions), isolated nodes (every link of the node cut), stopped nodes, and slow
//! links (extra one-way delay). Links are FIFO by default, like the TCP connections that Kafka and
//! AMQP run over: a message never overtakes an earlier one on the same directed link, whatever the
//! jitter drew. What it does not model: bandwidth and queueing, partial packet loss within a message.
//!
//! Loss works as it does on a TCP connection (Linux): a lost message is not gone, it is sent again.
//! - Each transmission of a message is lost with probability `loss_ppm`. A lost one is sent again
//!   when the retransmission timer fires: RTO = SRTT + max(4·RTTVAR, `TCP_RTO_MIN` = 200 ms)
//!   (Linux `tcp_rtt_estimator` / `__tcp_set_rto`; RFC 6298 §2), which on a steady sub-millisecond
//!   link is the round trip plus 200 ms. Each further loss of it doubles the timer (RFC 6298 §5.5,
//!   exponential backoff), up to `TCP_RTO_MAX` = 120 s.
//! - Head-of-line blocking: TCP hands the receiver its bytes in order, so every later message on the
//!   same link waits for the retransmitted one and arrives with it (on a FIFO link; a link with
//!   `fifo: false` is not a TCP connection and lets later messages pass).
//! - A message is only lost when its connection breaks: after `tcp_retries2` = 15 retransmissions
//!   all lost (≈ 925 s), Linux aborts the connection (ETIMEDOUT). The message, and every message
//!   sent behind it on that link before the break, is dropped then (`DropReason::Loss`), and the
//!   sender is told its connection was reset (`on_disconnect`), as a client sees its socket fail.
//!   After the break, the next message opens a new connection.
//!
//! Simplified: no fast retransmit, SACK/RACK or tail-loss probe (Linux may repair a loss in a few
//! milliseconds when later segments follow it; the model always waits for the timer, the worst
//! case and the one a lone request meets); RTT is this link's latency plus extra delay, twice,
//! without jitter; a retransmission still arrives if its sender stopped meanwhile; a break ends
//! only the direction that lost; only the Kafka producer closes a connection on a timeout
//! (`Effect::Close`; the other clients' timeouts leave their link's queue as it is).
//! Clients time out long before a break: Kafka's `request.timeout.ms` (30 s) makes `NetworkClient`
//! close the connection itself (`handleTimedOutRequests`) and retry on a new one, which waits
//! behind nothing of the old (`Network::reconnect`), while the first attempt, still in TCP's
//! hands, may yet arrive and be written — after the retry, when the retry was quicker.

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
    /// When the connection on this link times out (a message lost on every transmission): every
    /// message sent on it before then is lost with it.
    breaks_at: Option<Time>,
}

/// `TCP_RTO_MIN` (Linux, `include/net/tcp.h`): the least retransmission timeout.
pub const TCP_RTO_MIN: Time = Time(200_000);
/// `TCP_RTO_MAX`: the retransmission timer's backoff stops doubling here.
pub const TCP_RTO_MAX: Time = Time(120_000_000);
/// `net.ipv4.tcp_retries2` (default 15): retransmissions before Linux aborts the connection.
pub const TCP_RETRIES2: u32 = 15;

/// What becomes of a message the network accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// It arrives (perhaps late, after retransmissions or behind one).
    Arrives,
    /// Every transmission of it was lost: at the arrival time its connection breaks (the sender
    /// is told), and it is dropped.
    BreaksConnection,
    /// It was sent behind a message that breaks the connection: dropped with it.
    LostWithConnection,
}

/// When a message the network accepted reaches its receiver, and whether it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transit {
    pub at: Time,
    pub fate: Fate,
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
    /// Loss on the link broke the connection: the message was sent and resent 16 times, every
    /// transmission lost (or it was queued behind one that was).
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
        let link =
            Link { config: default, cut: false, extra_delay: Time::ZERO, last_delivery: Time::ZERO, breaks_at: None };
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

    /// Sends a message at `now`: when it reaches the receiver and whether it does, or why the
    /// network refuses it. Draws from `rng` for loss and jitter only when the link has them, so a
    /// loss-free, jitter-free network uses no randomness.
    pub fn route(&mut self, from: NodeId, to: NodeId, now: Time, rng: &mut Rng) -> Result<Transit, DropReason> {
        if let Some(reason) = self.blocked(from, to) {
            return Err(reason);
        }
        let fifo = self.fifo;
        let link = self.link_mut(from, to);
        let cfg = link.config;
        let one_way = cfg.latency + link.extra_delay;
        match link.breaks_at {
            // Queued behind a message that will break the connection: lost with it.
            Some(at) if now < at => return Ok(Transit { at, fate: Fate::LostWithConnection }),
            Some(_) => link.breaks_at = None, // broken: this message opens a new connection
            None => {}
        }
        let (waited, arrives) = retransmissions(rng, cfg.loss_ppm, one_way + one_way);
        if !arrives {
            let at = now + waited;
            link.breaks_at = Some(at);
            link.last_delivery = link.last_delivery.max(at);
            return Ok(Transit { at, fate: Fate::BreaksConnection });
        }
        let jitter = if cfg.jitter.0 > 0 { Time(rng.below(cfg.jitter.0 + 1)) } else { Time::ZERO };
        let mut at = now + waited + one_way + jitter;
        if fifo && at < link.last_delivery {
            at = link.last_delivery;
        }
        link.last_delivery = at;
        let n = self.nodes;
        self.connected[from.index() * n + to.index()] = true;
        self.connected[to.index() * n + from.index()] = true;
        Ok(Transit { at, fate: Fate::Arrives })
    }

    /// `a` closed its connection to `b` and will open a new one: the new connection's messages,
    /// both ways, wait behind nothing the old one still retransmits (that still arrives, as TCP
    /// goes on sending what a closed socket had queued), nor die when the old one breaks.
    pub fn reconnect(&mut self, a: NodeId, b: NodeId) {
        self.both(a, b, |l| {
            l.last_delivery = Time::ZERO;
            l.breaks_at = None;
        });
    }

    /// The connection between `a` and `b` broke (timed out): it is no longer open.
    pub fn forget_connection(&mut self, a: NodeId, b: NodeId) {
        let n = self.nodes;
        self.connected[a.index() * n + b.index()] = false;
        self.connected[b.index() * n + a.index()] = false;
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

/// How long a message waits for its retransmissions before its last transmission leaves, and
/// whether one gets through: each lost transmission waits one RTO (`rtt` + `TCP_RTO_MIN`, doubled
/// after each loss up to `TCP_RTO_MAX`); after the original and `TCP_RETRIES2` retransmissions are
/// all lost, the connection breaks when the last timer runs out. No draw when `ppm` is 0.
fn retransmissions(rng: &mut Rng, ppm: u32, rtt: Time) -> (Time, bool) {
    let mut rto = rtt + TCP_RTO_MIN;
    let mut waited = Time::ZERO;
    for _ in 0..=TCP_RETRIES2 {
        if !rng_chance(rng, ppm) {
            return (waited, true);
        }
        waited += rto;
        rto = (rto + rto).min(TCP_RTO_MAX);
    }
    (waited, false)
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
            let at = n.route(A, B, now, &mut rng).unwrap().at;
            assert!(at >= now + Time(100) && at <= now + Time(140), "{at:?}");
        }
    }

    #[test]
    fn fifo_links_never_reorder() {
        let mut n = net(1_000);
        let mut rng = Rng::new(2);
        let mut last = Time::ZERO;
        for i in 0..1000 {
            let at = n.route(A, B, Time(i), &mut rng).unwrap().at;
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

    /// A 100 µs link without jitter that loses `ppm` of its transmissions.
    fn lossy(ppm: u32) -> LinkConfig {
        LinkConfig { latency: Time(100), jitter: Time(0), loss_ppm: ppm }
    }

    /// A network whose A → B link is `lossy(ppm)`, and a random stream.
    fn lossy_link(ppm: u32, seed: u64) -> (Network, Rng) {
        let mut n = net(0);
        n.set_link_config(A, B, lossy(ppm));
        (n, Rng::new(seed))
    }

    fn arrives(at: u64) -> Result<Transit, DropReason> {
        Ok(Transit { at: Time(at), fate: Fate::Arrives })
    }

    #[test]
    fn slow_link_adds_delay() {
        let mut n = net(0);
        let mut rng = Rng::new(4);
        n.set_extra_delay(A, B, Time(5_000));
        assert_eq!(n.route(A, B, Time(0), &mut rng), arrives(5_100));
        assert_eq!(n.route(B, A, Time(0), &mut rng), arrives(5_100));
    }

    /// A lost message is sent again after the RTO (round trip + 200 ms), and what follows it on the
    /// link waits for it: nothing arrives out of order, nothing is dropped.
    #[test]
    fn a_lost_message_is_retransmitted_and_holds_back_the_ones_behind_it() {
        let (mut n, mut rng) = lossy_link(300_000, 5);
        let (mut late, mut held, mut last) = (0, 0, Time::ZERO);
        for i in 0..2_000u64 {
            let now = Time(i * 1_000);
            let t = n.route(A, B, now, &mut rng).unwrap();
            assert_eq!(t.fate, Fate::Arrives);
            assert!(t.at >= last, "message {i} overtook an earlier one");
            let delay = t.at.0 - now.0;
            // One loss: 100 µs + RTO (200 µs + 200 ms). Two: + twice that, and so on.
            assert!(delay == 100 || delay >= 200_300 || t.at == last, "message {i}: {delay} µs");
            late += usize::from(delay >= 200_300 && t.at != last);
            held += usize::from(delay > 100 && t.at == last);
            last = t.at;
        }
        // A message a millisecond: a 200 ms stall holds back about 200 of them.
        assert!(late > 5, "retransmitted: {late}");
        assert!(held > 100 * late, "messages behind a retransmission wait for it: {held}");
        let mut rng = Rng::new(6);
        let mut twice = net(0);
        twice.set_link_config(A, C, lossy(300_000));
        let delays: Vec<u64> = (0..500)
            .map(|i| twice.route(A, C, Time(i * 10_000_000), &mut rng).unwrap().at.0 - i * 10_000_000)
            .collect();
        assert!(delays.contains(&(100 + 200_200 + 400_400)), "the second RTO is doubled: {delays:?}");
    }

    /// Certain loss: the original and 15 retransmissions are lost, the connection breaks ≈ 925 s
    /// later, and what was sent behind it meanwhile is lost with it; after the break, a new one.
    #[test]
    fn sixteen_lost_transmissions_break_the_connection() {
        let (mut n, mut rng) = lossy_link(1_000_000, 7);
        let first = n.route(A, B, Time(0), &mut rng).unwrap();
        assert_eq!(first.fate, Fate::BreaksConnection);
        // 200.2 ms doubled nine times reaches 102.5 s; the next six wait 120 s each.
        let rto = 200_200u64;
        assert_eq!(first.at, Time(rto * 1023 + 6 * 120_000_000));
        let behind = n.route(A, B, Time(1_000), &mut rng).unwrap();
        assert_eq!(behind, Transit { at: first.at, fate: Fate::LostWithConnection });
        n.set_link_config(A, B, lossy(0));
        let after = first.at + Time(1);
        assert_eq!(n.route(A, B, after, &mut rng), arrives(after.0 + 100));
    }

    /// A client that closed its connection sends on a new one: it waits behind nothing the old
    /// one still retransmits (which still arrives), in either direction.
    #[test]
    fn a_new_connection_does_not_wait_behind_the_old_ones_retransmission() {
        let (mut n, mut rng) = lossy_link(1_000_000, 9);
        let stuck = n.route(A, B, Time(0), &mut rng).unwrap();
        n.set_link_config(A, B, lossy(0));
        assert_eq!(n.route(A, B, Time(10), &mut rng).unwrap().at, stuck.at, "held behind it");
        n.reconnect(A, B);
        assert_eq!(n.route(A, B, Time(20), &mut rng), arrives(120));
        assert_eq!(n.route(B, A, Time(20), &mut rng), arrives(120));
    }

    /// A link without loss draws nothing from the random stream.
    #[test]
    fn a_loss_free_link_uses_no_randomness() {
        let mut n = net(0);
        let mut rng = Rng::new(8);
        let before = rng.clone();
        n.route(A, B, Time(0), &mut rng).unwrap();
        assert_eq!(rng, before);
    }
}
