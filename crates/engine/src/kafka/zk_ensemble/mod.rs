//! One server of a ZooKeeper ensemble (3 or 5 servers, `zk1`…`zkN`), as ZooKeeper runs one:
//!
//! - **Election.** A server without a leader is *looking*: it votes for the most up-to-date server
//!   it has heard of (highest `(epoch, last zxid, id)`, `coordinator::election`) until a quorum
//!   agrees; a server that finds the others already following a leader joins it.
//! - **Sync.** A follower sends the new leader its accepted epoch and last zxid; once a quorum has,
//!   the leader picks the new epoch (one above any accepted) and sends each follower what it lacks
//!   (truncating what the leader never had). When a quorum has logged that history the leader is
//!   established: it commits it, tells the followers to serve, and gives every session a fresh
//!   timeout (as ZooKeeper's new leader does).
//! - **Broadcast.** Writes from any server's clients go to the leader, which proposes them with the
//!   next zxid; followers log and acknowledge; the leader commits what a quorum has logged and
//!   every server applies committed transactions to its tree in zxid order
//!   (`coordinator::zab`). The result of a write is computed where it is applied, the same on every
//!   server, and the server the client is connected to answers it.
//! - **Clients.** Reads are served from the connected server's own tree (possibly behind the
//!   leader, as in ZooKeeper), after that session's earlier writes; watches live on the connected
//!   server. Pings touch the session there; followers report touched sessions to the leader, which
//!   alone expires sessions (by proposing their close). A moving client re-sends its watches.
//! - **Quorum.** A follower that stops hearing its leader for `sync_limit`, or a leader that stops
//!   hearing a quorum, stops serving: its clients are told to go elsewhere and it looks for a
//!   leader again. Without a quorum nothing is written and no session expires.
//!
//! Simplified: one message carries NEWLEADER with its DIFF/TRUNC (no snapshots: the whole log is
//! kept); an election decides as soon as a quorum agrees (no finalize wait); a moving session is
//! checked against the new server's own tree rather than by the leader.
//!
//! In files: `election` (looking, votes, joining a leader), `zab` (sync of a new leader's
//! followers, then broadcast: propose, ack, commit, apply) and `serving` (client connections,
//! pings, and request batches: reads here, writes through the leader). This file holds the
//! server's state, the messages between servers, ticks (quorum checks, session expiry) and the
//! dispatch of messages.

use super::msg::{KafkaMsg, ZkCall, ZkResult};
use super::zk_server::ZkServer;
use super::{Ctx, KafkaTimer};
use crate::coordinator::election::{Election, Vote};
use crate::coordinator::zab::{epoch_of, quorum, zxid, Acks, Log, Txn, Zxid};
use crate::coordinator::SessionId;
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;

mod election;
mod serving;
mod zab;

/// A change to the tree, as the ensemble replicates it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnOp {
    CreateSession { timeout: Time, origin: Origin },
    CloseSession { session: SessionId },
    Write { session: SessionId, call: ZkCall, origin: Origin },
}

/// The server a request came in on, and its number there: that server answers the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub server: u8,
    pub req: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerState {
    Looking,
    Following,
    Leading,
}

/// What the servers of an ensemble say to each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerMsg {
    /// An election notification; a server that follows or leads answers a looking one with its leader.
    Vote {
        round: u64,
        vote: Vote,
        state: PeerState,
    },
    /// A follower to its new leader (FOLLOWERINFO).
    FollowerInfo {
        accepted_epoch: u32,
        last_zxid: Zxid,
    },
    /// The leader's history for a follower (NEWLEADER with TRUNC/DIFF): truncate to `trunc`, log
    /// `txns`, commit up to `committed`.
    Sync {
        epoch: u32,
        trunc: Zxid,
        txns: Vec<Txn<TxnOp>>,
        committed: Zxid,
    },
    /// The follower logged that history, up to `zxid`.
    Synced {
        zxid: Zxid,
    },
    /// The leader is established: serve clients (UPTODATE).
    UpToDate,
    Propose(Txn<TxnOp>),
    /// The follower logged everything up to `zxid`.
    Ack {
        zxid: Zxid,
    },
    Commit {
        zxid: Zxid,
    },
    /// The leader's heartbeat; answered with the sessions the follower's clients kept alive.
    Ping,
    Pong {
        sessions: Vec<SessionId>,
    },
    /// A follower passes a client's write (or new session) to the leader.
    Request(TxnOp),
}

impl PeerMsg {
    pub fn kind(&self) -> &'static str {
        match self {
            PeerMsg::Vote { .. } => "zk-vote",
            PeerMsg::FollowerInfo { .. } => "zk-follower-info",
            PeerMsg::Sync { .. } => "zk-sync",
            PeerMsg::Synced { .. } => "zk-synced",
            PeerMsg::UpToDate => "zk-uptodate",
            PeerMsg::Propose(_) => "zk-propose",
            PeerMsg::Ack { .. } => "zk-ack",
            PeerMsg::Commit { .. } => "zk-commit",
            PeerMsg::Ping => "zk-peer-ping",
            PeerMsg::Pong { .. } => "zk-peer-pong",
            PeerMsg::Request(_) => "zk-forward",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Looking,
    Following { leader: u8, serving: bool, heard: Time },
    Leading,
}

/// What a leader keeps.
#[derive(Clone, Debug)]
struct Lead {
    /// The new epoch, fixed once a quorum has sent FOLLOWERINFO.
    epoch: Option<u32>,
    /// FOLLOWERINFO received: each follower's accepted epoch and last zxid.
    infos: VecMap<u8, (u32, Zxid)>,
    /// Followers sent their history, with when each was last heard.
    synced: VecMap<u8, Time>,
    /// What each synced server (this one included) has logged.
    acks: Acks,
    established: bool,
    counter: u32,
    /// Sessions whose close is proposed.
    closing: Vec<SessionId>,
}

/// One client request batch (one `ZkCall` message), answered in one reply once all its calls are.
#[derive(Clone, Debug)]
struct Batch {
    session: SessionId,
    client: NodeId,
    id: u64,
    calls: Vec<ZkCall>,
    results: Vec<ZkResult>,
    /// The write it waits for (its request number), if any.
    waiting: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Peer {
    /// This server's id, 1…N.
    pub id: u8,
    servers: Vec<NodeId>,
    tick: Time,
    pub role: Role,
    pub accepted_epoch: u32,
    pub current_epoch: u32,
    /// The transaction log (kept on disk: it survives a crash). Its committed prefix is applied to
    /// the server's tree.
    pub log: Log<TxnOp>,
    election: Election,
    /// Non-looking servers' answers: the leader each names, with its epoch, and whether it is it.
    settled: VecMap<u8, (u8, u32, bool)>,
    lead: Option<Box<Lead>>,
    since: Time,
    next_req: u64,
    batches: Vec<Batch>,
    connects: VecMap<u64, NodeId>,
    touched: Vec<SessionId>,
}

/// ZooKeeper's `initLimit` and `syncLimit`, in ticks (its defaults are 10 and 5).
const INIT_TICKS: u64 = 10;
const SYNC_TICKS: u64 = 5;

fn to_peer(ctx: &mut Ctx, to: NodeId, m: PeerMsg) {
    ctx.send(to, KafkaMsg::ZkPeer(Box::new(m)));
}

fn to_client(ctx: &mut Ctx, to: NodeId, m: KafkaMsg) {
    ctx.send(to, m);
}

impl Peer {
    pub fn new(id: u8, servers: Vec<NodeId>, tick: Time) -> Peer {
        let own = Vote { epoch: 0, zxid: 0, server: id };
        Peer {
            id,
            servers,
            tick,
            role: Role::Looking,
            accepted_epoch: 0,
            current_epoch: 0,
            log: Log::default(),
            election: Election::start(own, 0),
            settled: VecMap::new(),
            lead: None,
            since: Time::ZERO,
            next_req: 0,
            batches: vec![],
            connects: VecMap::new(),
            touched: vec![],
        }
    }

    fn n(&self) -> usize {
        self.servers.len()
    }
    fn node(&self, server: u8) -> NodeId {
        self.servers[server as usize - 1]
    }
    fn server_of(&self, node: NodeId) -> Option<u8> {
        self.servers.iter().position(|&n| n == node).map(|i| i as u8 + 1)
    }
    fn own_vote(&self) -> Vote {
        Vote { epoch: self.current_epoch, zxid: self.log.last_zxid(), server: self.id }
    }
    fn sync_limit(&self) -> Time {
        Time(self.tick.0 * SYNC_TICKS)
    }
    /// Whether it answers clients: an established leader, or a follower told it is up to date.
    pub fn serving(&self) -> bool {
        match self.role {
            Role::Leading => self.lead.as_ref().is_some_and(|l| l.established),
            Role::Following { serving, .. } => serving,
            Role::Looking => false,
        }
    }
    pub fn leader(&self) -> Option<u8> {
        match self.role {
            Role::Leading => Some(self.id),
            Role::Following { leader, .. } => Some(leader),
            Role::Looking => None,
        }
    }

    pub fn on_start(&mut self, srv: &mut ZkServer, ctx: &mut Ctx) {
        self.look(srv, ctx);
        ctx.set_timer(self.tick, KafkaTimer::Tick);
    }

    /// The process died: the log, epochs and tree are on disk; connections, watches, and the
    /// election are gone.
    pub fn on_crash(&mut self, srv: &mut ZkServer) {
        self.role = Role::Looking;
        self.lead = None;
        self.settled.clear();
        self.batches.clear();
        self.connects.clear();
        self.touched.clear();
        srv.clients.clear();
        srv.tree.clear_watches();
    }

    pub fn on_timer(&mut self, srv: &mut ZkServer, ctx: &mut Ctx) {
        ctx.set_timer(self.tick, KafkaTimer::Tick);
        let now = ctx.now;
        match self.role {
            Role::Looking => self.broadcast_vote(ctx),
            Role::Following { serving, heard, .. } => {
                let silent = now - heard > self.sync_limit();
                let stuck = !serving && now - self.since > Time(self.tick.0 * INIT_TICKS);
                if silent || stuck {
                    self.look(srv, ctx);
                }
            }
            Role::Leading => self.leader_tick(srv, ctx),
        }
    }

    fn leader_tick(&mut self, srv: &mut ZkServer, ctx: &mut Ctx) {
        let now = ctx.now;
        let limit = self.sync_limit();
        let init = Time(self.tick.0 * INIT_TICKS);
        let q = quorum(self.n());
        let Some(l) = self.lead.as_mut() else { return };
        let gone: Vec<u8> = l.synced.iter().filter(|(_, &t)| now - t > limit).map(|(&s, _)| s).collect();
        for s in gone {
            l.synced.remove(&s);
            l.acks.forget(s);
        }
        let lost = if l.established { l.synced.len() + 1 < q } else { now - self.since > init };
        if lost {
            return self.look(srv, ctx);
        }
        for &s in l.synced.keys() {
            to_peer(ctx, self.servers[s as usize - 1], PeerMsg::Ping);
        }
        if l.established {
            for s in srv.tree.overdue(now) {
                let l = self.lead.as_mut().expect("leading");
                if !l.closing.contains(&s) {
                    l.closing.push(s);
                    self.propose(srv, ctx, TxnOp::CloseSession { session: s });
                }
            }
        }
    }

    /// A peer's connection was reset (its process died).
    pub fn on_disconnect(&mut self, srv: &mut ZkServer, ctx: &mut Ctx, peer: NodeId) {
        let Some(s) = self.server_of(peer) else { return };
        match self.role {
            Role::Following { leader, .. } if leader == s => self.look(srv, ctx),
            Role::Leading => {
                let q = quorum(self.n());
                let Some(l) = self.lead.as_mut() else { return };
                l.synced.remove(&s);
                l.acks.forget(s);
                if l.established && l.synced.len() + 1 < q {
                    self.look(srv, ctx);
                }
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, srv: &mut ZkServer, ctx: &mut Ctx, from: NodeId, msg: KafkaMsg) {
        match msg {
            KafkaMsg::ZkPeer(m) => {
                if let Some(s) = self.server_of(from) {
                    self.on_peer(srv, ctx, s, *m);
                }
            }
            m => self.on_client(srv, ctx, from, m),
        }
    }

    fn on_peer(&mut self, srv: &mut ZkServer, ctx: &mut Ctx, from: u8, msg: PeerMsg) {
        let now = ctx.now;
        if let Role::Following { leader, heard, .. } = &mut self.role {
            if *leader == from {
                *heard = now;
            }
        }
        if let (Role::Leading, Some(l)) = (self.role, self.lead.as_mut()) {
            if let Some(t) = l.synced.get_mut(&from) {
                *t = now;
            }
        }
        let from_leader = matches!(self.role, Role::Following { leader, .. } if leader == from);
        match msg {
            PeerMsg::Vote { round, vote, state } => self.on_vote(srv, ctx, from, round, vote, state),
            PeerMsg::FollowerInfo { accepted_epoch, last_zxid } => {
                self.on_follower_info(ctx, from, accepted_epoch, last_zxid)
            }
            PeerMsg::Sync { epoch, trunc, txns, committed } if from_leader => {
                if !self.log.truncate_to(trunc) {
                    // This log has committed what the leader never had: not a leader to follow.
                    return self.look(srv, ctx);
                }
                for t in txns {
                    self.log.append(t);
                }
                self.accepted_epoch = epoch;
                self.current_epoch = epoch;
                self.apply_committed(srv, ctx, committed);
                to_peer(ctx, self.node(from), PeerMsg::Synced { zxid: self.log.last_zxid() });
            }
            PeerMsg::Synced { zxid } => self.on_synced(srv, ctx, from, zxid),
            PeerMsg::UpToDate if from_leader => {
                if let Role::Following { serving, .. } = &mut self.role {
                    *serving = true;
                }
            }
            PeerMsg::Propose(txn) if from_leader => {
                let last = self.log.last_zxid();
                let expected =
                    if epoch_of(last) == self.current_epoch { last + 1 } else { zxid(self.current_epoch, 1) };
                if txn.zxid != expected {
                    // A gap (a proposal lost on the way): start over with a fresh sync.
                    return self.look(srv, ctx);
                }
                let z = txn.zxid;
                self.log.append(txn);
                to_peer(ctx, self.node(from), PeerMsg::Ack { zxid: z });
            }
            PeerMsg::Ack { zxid } => {
                let Some(l) = self.lead.as_mut().filter(|l| l.synced.contains_key(&from)) else { return };
                l.acks.ack(from, zxid);
                self.try_commit(srv, ctx);
            }
            PeerMsg::Commit { zxid } if from_leader => self.apply_committed(srv, ctx, zxid),
            PeerMsg::Ping if from_leader => {
                let sessions = std::mem::take(&mut self.touched);
                to_peer(ctx, self.node(from), PeerMsg::Pong { sessions });
            }
            PeerMsg::Pong { sessions } if self.lead.as_ref().is_some_and(|l| l.synced.contains_key(&from)) => {
                for s in sessions {
                    let _ = srv.tree.touch(s, now);
                }
            }
            PeerMsg::Request(op) if self.serving() && self.role == Role::Leading => self.propose(srv, ctx, op),
            _ => {}
        }
    }
}
