//! A RabbitMQ cluster of 3 or 5 nodes (`rabbit.cluster`): every node holds the whole topology (in
//! RabbitMQ it is replicated in the metadata store) and its own broker; clients connect to a node;
//! each quorum queue is a Raft group with a member on every node (`quorum/raft.rs`), led from the
//! node that declared it (the first), and served by its leader.
//!
//! What a node does for its quorum queues:
//! - a publish routed to a quorum queue is handed to the queue's leader as an `Enqueue` command
//!   (the node numbers it, and resends it to a new leader until it is applied: duplicates are
//!   applied once); the publisher's confirm is sent when the leader has applied it, that is once a
//!   majority has it;
//! - a consumer of a quorum queue gets its channel on the queue's leader: the node it connects to
//!   relays its frames there and the leader's frames back (RabbitMQ keeps the channel on the
//!   connection's node and sends to the queue's leader; the frames are the same);
//! - the leader replicates every change of a message (delivered, returned, settled) as a `Sync`
//!   command, so the member that takes over rebuilds the queue: what a consumer held comes back,
//!   counted and served first, as `rabbit_fifo` returns the messages of consumers that are gone;
//! - a failure detector (Ra uses `aten`): nodes ping each other every second and suspect a node not
//!   heard from for 3 s, or at once when its connection drops (an Erlang monitor's `DOWN`). A
//!   suspected leader's followers start a pre-vote.
//!
//! `cluster_partition_handling` is `ignore`, RabbitMQ's default: a node cut off from the others
//! keeps running and keeps its clients; quorum queues need no partition handler, since Raft lets
//! only a majority commit (a minority's publishers wait for confirms that do not come).

use super::broker::quorum::Handoff;
use super::msg::{AmqpError, Message, RabbitMsg};
use super::node::BrokerNode;
use super::quorum::event::QuorumEvent;
use super::quorum::raft::{Member, RaftMsg, Role, TimerLength};
use super::quorum::replica::{Applied, Cmd, Held, Replica};
use super::{Ctx, RabbitTimer};
use crate::time::Time;
use crate::NodeId;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

mod log;
use log::{applied, pump, resend};

/// `rabbit.cluster`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// 1, 3 or 5 nodes.
    pub nodes: u8,
    /// `cluster_partition_handling`: only `ignore`, RabbitMQ's default, is modelled.
    #[serde(default = "ignore")]
    pub partition_handling: String,
}

fn ignore() -> String {
    "ignore".into()
}

impl ClusterSpec {
    pub fn validate(&self) -> Result<(), String> {
        if ![1, 3, 5].contains(&self.nodes) {
            return Err(format!("rabbit.cluster.nodes: {} nodes; a cluster has 1, 3 or 5", self.nodes));
        }
        if self.partition_handling != "ignore" {
            return Err(format!(
                "rabbit.cluster.partition_handling: \"{}\": only ignore (RabbitMQ's default) is modelled",
                self.partition_handling
            ));
        }
        Ok(())
    }
}

/// How often nodes ping each other, and how long a silent node takes to be suspected.
pub const PING: Time = Time::secs(1);
pub const SUSPECT_AFTER: Time = Time::secs(3);

/// What cluster nodes say to each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterMsg {
    Ping,
    Raft {
        queue: u16,
        msg: RaftMsg<Cmd>,
    },
    /// For the leader of `queue`: append this message (numbered `token` by the sending node).
    Enqueue {
        queue: u16,
        epoch: u32,
        token: u64,
        msg: Message,
    },
    /// From the leader: the enqueue `token` was applied (`ok`: the queue took it).
    Applied {
        queue: u16,
        token: u64,
        ok: bool,
    },
    /// A client's frame, relayed by the node it is connected to.
    Relay {
        client: NodeId,
        msg: Box<RabbitMsg>,
    },
    /// A frame for a client connected to the receiving node.
    Back {
        client: NodeId,
        msg: Box<RabbitMsg>,
    },
    /// The client's connection closed.
    Gone {
        client: NodeId,
    },
}

impl ClusterMsg {
    /// The message's kind, as the page names messages in flight.
    pub fn kind(&self) -> &'static str {
        match self {
            ClusterMsg::Ping => "ping",
            ClusterMsg::Raft { msg: RaftMsg::AppendEntries { .. }, .. } => "append-entries",
            ClusterMsg::Raft { msg: RaftMsg::AppendReply { .. }, .. } => "append-reply",
            ClusterMsg::Raft { msg: RaftMsg::PreVote { .. } | RaftMsg::PreVoteResult { .. }, .. } => "pre-vote",
            ClusterMsg::Raft { .. } => "request-vote",
            ClusterMsg::Enqueue { .. } => "enqueue",
            ClusterMsg::Applied { .. } => "applied",
            ClusterMsg::Relay { .. } | ClusterMsg::Back { .. } => "relay",
            ClusterMsg::Gone { .. } => "gone",
        }
    }
}

/// One quorum queue's Raft member on this node, and what the node keeps for it.
#[derive(Clone, Debug)]
pub struct Group {
    pub queue: u16,
    pub raft: Member<Cmd>,
    pub replica: Replica,
    /// This node's broker serves the queue (its member leads and has applied its term's start).
    pub serving: bool,
    /// What the log says of the queue's messages, as this leader last proposed it.
    seen: Vec<(u64, Held)>,
    /// Enqueues sent but not yet applied: (token, message), resent to a new leader.
    unsent: Vec<(u64, Message)>,
    /// The leader this node last knew of.
    known_leader: Option<usize>,
}

/// A publish waiting for its quorum queues' commits before its confirm.
#[derive(Clone, Debug)]
struct Pending {
    client: NodeId,
    seq: u64,
    tokens: Vec<(u16, u64)>,
    ok: bool,
}

#[derive(Clone, Debug)]
pub struct ClusterNode {
    /// This node's index in `nodes`.
    pub me: usize,
    pub nodes: Rc<[NodeId]>,
    pub groups: Vec<Group>,
    /// Each consumer's queue, from the scenario.
    consumes: Rc<[(NodeId, u16)]>,
    /// Clients connected here whose channel is on another node: (client, that node).
    proxied: Vec<(NodeId, NodeId)>,
    /// Channels here of clients connected to another node: (client, that node).
    remote: Vec<(NodeId, NodeId)>,
    /// Frames of clients waiting for their queue's leader to be known.
    parked: Vec<(NodeId, RabbitMsg)>,
    pending: Vec<Pending>,
    next_token: u64,
    /// This node's run: a restart starts a new enqueuer, numbered from 1 again.
    epoch: u32,
    last_heard: Vec<Time>,
    pub suspected: Vec<bool>,
}

impl ClusterNode {
    pub fn new(me: usize, nodes: Rc<[NodeId]>, queues: &[u16], consumes: Rc<[(NodeId, u16)]>) -> ClusterNode {
        let n = nodes.len();
        let groups = queues
            .iter()
            .map(|&queue| Group {
                queue,
                raft: Member::founded(me, n, 0),
                replica: Replica::new(),
                serving: me == 0,
                seen: Vec::new(),
                unsent: Vec::new(),
                known_leader: Some(0),
            })
            .collect();
        ClusterNode {
            me,
            nodes,
            groups,
            consumes,
            proxied: Vec::new(),
            remote: Vec::new(),
            parked: Vec::new(),
            pending: Vec::new(),
            next_token: 0,
            epoch: 0,
            last_heard: vec![Time::ZERO; n],
            suspected: vec![false; n],
        }
    }

    fn index(&self, node: NodeId) -> Option<usize> {
        self.nodes.iter().position(|&n| n == node)
    }

    fn group(&self, queue: u16) -> Option<usize> {
        self.groups.iter().position(|g| g.queue == queue)
    }

    /// The node serving `queue` as this node knows it.
    pub fn leader_of(&self, queue: u16) -> Option<NodeId> {
        let g = &self.groups[self.group(queue)?];
        g.raft.leader.map(|l| self.nodes[l])
    }

    /// The node crashed: what a restarted node knows is what Ra kept on disk (term, vote, log).
    pub fn crash(&mut self) {
        let n = self.nodes.len();
        for g in &mut self.groups {
            g.raft.restart();
            g.replica = Replica::new();
            (g.serving, g.seen, g.unsent) = (false, Vec::new(), Vec::new());
        }
        (self.proxied, self.remote, self.parked, self.pending) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        self.epoch += 1;
        self.next_token = 0;
        self.suspected = vec![false; n];
    }
}

fn cl(node: &mut BrokerNode) -> &mut ClusterNode {
    node.cluster.as_mut().expect("a cluster node")
}

fn send(ctx: &mut Ctx, to: NodeId, m: ClusterMsg) {
    ctx.send(to, RabbitMsg::Cluster(Box::new(m)));
}

/// The node starts (first boot or restart): its quorum queues hold nothing until a leader serves
/// them, its election timers are armed, and it pings the others.
pub fn on_start(node: &mut BrokerNode, ctx: &mut Ctx) {
    let Some(c) = node.cluster.as_mut() else { return };
    c.last_heard = vec![ctx.now; c.nodes.len()];
    for gi in 0..c.groups.len() {
        let g = &cl(node).groups[gi];
        if !g.serving {
            let queue = g.queue;
            node.core.quorum_step_down(queue, ctx.now);
        }
        pump(node, ctx, gi);
    }
    ctx.set_timer(PING, RabbitTimer::ClusterTick);
    node.flush(ctx);
}

/// A message for a cluster node: handled here (None) or handed back for the broker (Some).
pub fn on_message(node: &mut BrokerNode, ctx: &mut Ctx, from: NodeId, msg: RabbitMsg) -> Option<RabbitMsg> {
    let Some(c) = node.cluster.as_mut() else { return Some(msg) };
    if let RabbitMsg::Cluster(m) = msg {
        let peer = c.index(from)?;
        c.last_heard[peer] = ctx.now;
        if c.suspected[peer] {
            suspect(node, ctx, peer, false);
        }
        on_cluster(node, ctx, from, *m);
        node.flush(ctx);
        return None;
    }
    if matches!(msg, RabbitMsg::Open { .. }) {
        c.pending.retain(|p| p.client != from);
        c.proxied.retain(|p| p.0 != from);
        c.parked.retain(|p| p.0 != from);
        if let Some(&(_, queue)) = c.consumes.iter().find(|(n, _)| *n == from) {
            if c.group(queue).is_some_and(|gi| !c.groups[gi].serving) {
                route(node, ctx, from, msg);
                return None;
            }
        }
        return Some(msg);
    }
    if c.proxied.iter().any(|p| p.0 == from) || c.parked.iter().any(|p| p.0 == from) {
        route(node, ctx, from, msg);
        return None;
    }
    Some(msg)
}

/// Sends a consumer's frame to its queue's leader (through the cluster, or to this node's broker
/// when it serves the queue), or parks it until a leader serves.
fn route(node: &mut BrokerNode, ctx: &mut Ctx, client: NodeId, msg: RabbitMsg) {
    let c = node.cluster.as_mut().expect("a cluster node");
    let queue = c.consumes.iter().find(|(n, _)| *n == client).map_or(0, |p| p.1);
    let here = c.group(queue).is_some_and(|gi| c.groups[gi].serving);
    let target = match c.proxied.iter().find(|p| p.0 == client) {
        Some(&(_, s)) => Some(s),
        None if c.parked.iter().any(|p| p.0 == client) => None,
        None if here => Some(ctx.me),
        None => c.leader_of(queue).filter(|&l| l != ctx.me),
    };
    match target {
        Some(s) if s == ctx.me => node.serve(ctx, client, msg),
        Some(s) => {
            if !c.proxied.iter().any(|p| p.0 == client) {
                c.proxied.push((client, s));
            }
            send(ctx, s, ClusterMsg::Relay { client, msg: Box::new(msg) });
        }
        None => c.parked.push((client, msg)),
    }
}

/// Frames parked for want of a leader go on once one serves.
fn unpark(node: &mut BrokerNode, ctx: &mut Ctx) {
    let c = node.cluster.as_mut().expect("a cluster node");
    for (client, msg) in std::mem::take(&mut c.parked) {
        route(node, ctx, client, msg);
    }
}

fn on_cluster(node: &mut BrokerNode, ctx: &mut Ctx, from: NodeId, m: ClusterMsg) {
    let c = node.cluster.as_mut().expect("a cluster node");
    match m {
        ClusterMsg::Ping => {}
        ClusterMsg::Raft { queue, msg } => {
            let (Some(gi), Some(peer)) = (c.group(queue), c.index(from)) else { return };
            c.groups[gi].raft.handle(peer, msg);
            pump(node, ctx, gi);
        }
        ClusterMsg::Enqueue { queue, epoch, token, msg } => {
            let (Some(gi), Some(origin)) = (c.group(queue), c.index(from)) else { return };
            c.groups[gi].raft.propose(Cmd::Enqueue { origin: origin as u8, epoch, token, msg });
            pump(node, ctx, gi);
        }
        ClusterMsg::Applied { queue, token, ok } => applied(node, ctx, queue, token, ok),
        ClusterMsg::Relay { client, msg } => {
            if !c.remote.iter().any(|r| r.0 == client) {
                c.remote.push((client, from));
            }
            node.serve(ctx, client, *msg);
        }
        ClusterMsg::Back { client, msg } => {
            if c.proxied.iter().any(|p| p.0 == client) {
                ctx.send(client, *msg);
            }
        }
        ClusterMsg::Gone { client } => {
            c.remote.retain(|r| r.0 != client);
            node.core.client_gone(client, ctx.now);
        }
    }
}

/// After the broker acted: its handoffs go to their queues' leaders, a serving leader appends the
/// changes it made to its queues, and its frames for relayed clients go back through their node.
pub fn after(node: &mut BrokerNode, ctx: &mut Ctx) {
    if node.cluster.is_none() {
        return;
    }
    for h in std::mem::take(&mut node.core.out.handoffs) {
        let Handoff { queue, msg, confirm, ok } = h;
        let c = cl(node);
        let Some(gi) = c.group(queue) else { continue };
        c.next_token += 1;
        let token = c.next_token;
        if let Some((client, seq)) = confirm {
            match c.pending.iter_mut().find(|p| p.client == client && p.seq == seq) {
                Some(p) => p.tokens.push((queue, token)),
                None => c.pending.push(Pending { client, seq, tokens: vec![(queue, token)], ok }),
            }
        }
        c.groups[gi].unsent.push((token, msg.clone()));
        let (me, epoch) = (c.me as u8, c.epoch);
        match c.groups[gi].raft.leader {
            Some(l) if l == c.me => {
                c.groups[gi].raft.propose(Cmd::Enqueue { origin: me, epoch, token, msg });
                pump(node, ctx, gi);
            }
            Some(l) => send(ctx, c.nodes[l], ClusterMsg::Enqueue { queue, epoch, token, msg }),
            None => {}
        }
    }
    for gi in 0..cl(node).groups.len() {
        let g = &cl(node).groups[gi];
        if !g.serving {
            continue;
        }
        let queue = g.queue;
        let live = node.core.quorum_live(queue);
        let g = &mut cl(node).groups[gi];
        let changes = Replica::diff(&g.seen, &live);
        if !changes.is_empty() {
            g.seen = live;
            g.raft.propose(Cmd::Sync(changes));
            pump(node, ctx, gi);
        }
    }
}

/// Where the broker's frame for `to` goes: straight to a client connected here, or back through
/// the node a relayed client is connected to.
pub fn deliver(node: &BrokerNode, ctx: &mut Ctx, to: NodeId, m: RabbitMsg) {
    match node.cluster.as_ref().and_then(|c| c.remote.iter().find(|r| r.0 == to)) {
        Some(&(client, via)) => send(ctx, via, ClusterMsg::Back { client, msg: Box::new(m) }),
        None => ctx.send(to, m),
    }
}

/// The failure detector changes its mind about node `peer`.
fn suspect(node: &mut BrokerNode, ctx: &mut Ctx, peer: usize, down: bool) {
    let c = node.cluster.as_mut().expect("a cluster node");
    if c.suspected[peer] == down {
        return;
    }
    c.suspected[peer] = down;
    let peer_node = c.nodes[peer];
    ctx.emit(super::event::RabbitEvent::Quorum(QuorumEvent::Suspect { node: ctx.me, peer: peer_node, down }));
    if down {
        let lost: Vec<(NodeId, u16)> = c
            .proxied
            .iter()
            .filter(|p| p.1 == peer_node)
            .map(|p| (p.0, c.consumes.iter().find(|x| x.0 == p.0).map_or(0, |x| x.1)))
            .collect();
        for (client, queue) in lost {
            ctx.emit(super::event::RabbitEvent::Quorum(QuorumEvent::Detached { client, queue }));
            let c = node.cluster.as_mut().expect("a cluster node");
            c.proxied.retain(|p| p.0 != client);
            ctx.send(client, RabbitMsg::ChannelClose(AmqpError { code: 320, text: "node of the channel gone" }));
        }
        let c = node.cluster.as_mut().expect("a cluster node");
        let gone: Vec<NodeId> = c.remote.iter().filter(|r| r.1 == peer_node).map(|r| r.0).collect();
        c.remote.retain(|r| r.1 != peer_node);
        for client in gone {
            node.core.client_gone(client, ctx.now);
        }
    }
    let c = node.cluster.as_mut().expect("a cluster node");
    for gi in 0..c.groups.len() {
        let raft = &mut node.cluster.as_mut().expect("a cluster node").groups[gi].raft;
        if down {
            raft.node_down(peer);
        } else {
            raft.node_up(peer);
        }
        pump(node, ctx, gi);
    }
}

/// Timers of a cluster node; false if the timer is not the cluster's.
pub fn on_timer(node: &mut BrokerNode, ctx: &mut Ctx, timer: RabbitTimer) -> bool {
    let Some(c) = node.cluster.as_mut() else { return false };
    match timer {
        RabbitTimer::Election { queue, gen } => {
            if let Some(gi) = c.group(queue) {
                c.groups[gi].raft.election_timeout(gen);
                pump(node, ctx, gi);
            }
        }
        RabbitTimer::ClusterTick => {
            ctx.set_timer(PING, RabbitTimer::ClusterTick);
            for (i, &n) in c.nodes.iter().enumerate() {
                if i != c.me {
                    send(ctx, n, ClusterMsg::Ping);
                }
            }
            let silent: Vec<usize> = (0..c.nodes.len())
                .filter(|&i| i != c.me && !c.suspected[i] && ctx.now.saturating_sub(c.last_heard[i]) >= SUSPECT_AFTER)
                .collect();
            for peer in silent {
                suspect(node, ctx, peer, true);
            }
            let c = node.cluster.as_mut().expect("a cluster node");
            for gi in 0..c.groups.len() {
                cl(node).groups[gi].raft.tick();
                resend(node, ctx, gi);
                pump(node, ctx, gi);
            }
        }
        _ => return false,
    }
    node.flush(ctx);
    true
}

/// A connection dropped: a node's (suspected at once) or a client's (its channel elsewhere is
/// told). False if the broker should handle it.
pub fn on_disconnect(node: &mut BrokerNode, ctx: &mut Ctx, peer: NodeId) -> bool {
    let Some(c) = node.cluster.as_mut() else { return false };
    if let Some(i) = c.index(peer) {
        suspect(node, ctx, i, true);
        node.flush(ctx);
        return true;
    }
    c.parked.retain(|p| p.0 != peer);
    c.pending.retain(|p| p.client != peer);
    if let Some(i) = c.proxied.iter().position(|p| p.0 == peer) {
        let (client, serving) = c.proxied.remove(i);
        send(ctx, serving, ClusterMsg::Gone { client });
        return true;
    }
    false
}

/// The broker nodes of the `rabbit` section: one broker, or a cluster's nodes named
/// `{broker}-1`…; and the node ids clients connect to, in turn.
pub fn brokers(
    spec: &super::config::RabbitSpec,
    topo: &Rc<super::config::Topology>,
    first: u32,
) -> (Vec<(String, super::node::RabbitNode)>, Vec<NodeId>) {
    use super::node::RabbitNode;
    let n = spec.cluster.as_ref().map_or(1, |c| c.nodes as u32);
    if n == 1 {
        let node = RabbitNode::Broker(Box::new(BrokerNode::new(topo.clone())));
        return (vec![(spec.broker.clone(), node)], vec![NodeId(first)]);
    }
    let ids: Rc<[NodeId]> = (first..first + n).map(NodeId).collect();
    let quorum: Vec<u16> =
        (0..topo.queues.len() as u16).filter(|&q| topo.queues[q as usize].args.quorum.is_some()).collect();
    let consumer0 = first + n + spec.publishers.len() as u32;
    let consumes: Rc<[(NodeId, u16)]> = spec
        .consumers
        .iter()
        .enumerate()
        .map(|(j, c)| (NodeId(consumer0 + j as u32), topo.names.queue_id(&c.queue).unwrap_or(0)))
        .collect();
    let nodes = (0..n as usize)
        .map(|i| {
            let mut b = BrokerNode::new(topo.clone());
            b.core.join_cluster(i as u64 * 1_000_000);
            b.cluster = Some(Box::new(ClusterNode::new(i, ids.clone(), &quorum, consumes.clone())));
            (format!("{}-{}", spec.broker, i + 1), RabbitNode::Broker(Box::new(b)))
        })
        .collect();
    (nodes, ids.to_vec())
}
