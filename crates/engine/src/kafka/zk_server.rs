//! The coordinator node: serves the znode tree (`engine::coordinator::Tree`) to brokers over the
//! network, expires silent sessions on its tick, and delivers fired watches.
//!
//! Alone (`kafka.coordinators` 1, the node `zk`), one server stands for the ensemble; if it stops,
//! its tree survives (ZooKeeper keeps it on disk) and sessions resume when it restarts, with their
//! timers reset. In an ensemble of 3 or 5 (`zk1`…), each server keeps its own copy of the tree and
//! `zk_ensemble::Peer` replicates it.
//!
//! Client requests (`ZkCall` batches) take the server's time first (`zk_service`): they queue and
//! are handled one after another, each after its cost per request and per znode.

use super::msg::{KafkaEvent, KafkaMsg, ZkCall, ZkResult, ZnodePath};
use super::zk_ensemble::{Peer, Role};
use super::zk_service::{self, ZkService};
use super::{Ctx, KafkaTimer};
use crate::coordinator::{Fired, SessionId, Tree};
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;

/// Persistent nodes Kafka's brokers create at first start-up; the server starts with them.
const BASE: [&str; 5] = ["/brokers", "/brokers/ids", "/brokers/topics", "/controller_epoch", "/admin"];

#[derive(Clone, Debug)]
pub struct ZkServer {
    pub tree: Tree,
    /// Who holds each session (where to send its watches).
    pub clients: VecMap<SessionId, NodeId>,
    tick: Time,
    /// This server's part in an ensemble; `None` for the single server.
    pub ensemble: Option<Box<Peer>>,
    /// Topic names, to name partition-state znodes in events.
    topics: std::rc::Rc<Vec<String>>,
    /// Whether this server reports znode changes: the single server, or an ensemble's leader (every
    /// server applies each change; one report is enough).
    reports: bool,
    /// Requests waiting for the server's time.
    pub service: Box<ZkService>,
}

impl ZkServer {
    /// Server `id` (1…N) of an ensemble on `servers`.
    pub fn in_ensemble(tick: Time, id: u8, servers: Vec<NodeId>) -> ZkServer {
        ZkServer { ensemble: Some(Box::new(Peer::new(id, servers, tick))), ..ZkServer::new(tick) }
    }

    /// Runs `f` on this server's ensemble part, if it has one (the part is taken out meanwhile, so
    /// `f` may use the server's tree and clients).
    fn with_peer(&mut self, f: impl FnOnce(&mut Peer, &mut ZkServer)) -> bool {
        let Some(mut peer) = self.ensemble.take() else { return false };
        self.reports = peer.role == Role::Leading;
        f(&mut peer, self);
        self.ensemble = Some(peer);
        true
    }

    pub fn new(tick: Time) -> ZkServer {
        let mut tree = Tree::default();
        // The server's own session, never expiring, owns nothing ephemeral.
        let me = tree.connect(Time::MAX, Time::ZERO);
        for path in BASE {
            tree.create(me, path, if path == "/controller_epoch" { "0" } else { "" }, false).expect("base paths");
        }
        tree.take_changes();
        ZkServer {
            tree,
            clients: VecMap::new(),
            tick,
            ensemble: None,
            topics: Default::default(),
            reports: true,
            service: Box::default(),
        }
    }

    /// The topic names, so events can name the partition-state znodes.
    pub fn with_topics(mut self, topics: Vec<String>) -> ZkServer {
        self.topics = std::rc::Rc::new(topics);
        self
    }

    pub fn on_crash(&mut self) {
        self.service.clear();
        self.with_peer(|p, srv| p.on_crash(srv));
    }

    pub fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        self.with_peer(|p, srv| p.on_disconnect(srv, ctx, peer));
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        if self.with_peer(|p, srv| p.on_start(srv, ctx)) {
            return;
        }
        let now = ctx.now;
        let sessions: Vec<SessionId> = self.clients.keys().copied().collect();
        for s in sessions {
            let _ = self.tree.touch(s, now);
        }
        ctx.set_timer(self.tick, KafkaTimer::Tick);
    }

    /// After a change to the tree: reports what changed, and delivers the watches it fired.
    pub(super) fn notify(&mut self, ctx: &mut Ctx, fired: Vec<Fired>) {
        let server = ctx.me;
        for (path, change) in self.tree.take_changes() {
            // The znodes Kafka's story is about; the parents created on the way are left out.
            let path = ZnodePath::parse(&path, &self.topics);
            if self.reports && path != ZnodePath::Other {
                ctx.emit(KafkaEvent::ZnodeChanged { server, path, change });
            }
        }
        for f in fired {
            if let Some(&node) = self.clients.get(&f.session) {
                let path = ZnodePath::parse(&f.path, &self.topics);
                ctx.emit(KafkaEvent::WatchFired { server, client: node, path, kind: f.kind });
                ctx.send(node, KafkaMsg::ZkWatch { path: f.path, kind: f.kind });
            }
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: KafkaTimer) {
        if timer == KafkaTimer::Serve {
            if let Some((from, msg)) = self.service.served() {
                self.handle(ctx, from, msg);
            }
            return;
        }
        if self.with_peer(|p, srv| p.on_timer(srv, ctx)) {
            return;
        }
        let (dead, fired) = self.tree.expire(ctx.now);
        for s in dead {
            self.clients.remove(&s);
        }
        self.notify(ctx, fired);
        ctx.set_timer(self.tick, KafkaTimer::Tick);
    }

    /// A message arrives: a request batch waits for the server's time (`zk_service`), the rest is
    /// handled at once.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: KafkaMsg) {
        let KafkaMsg::ZkCall { calls, .. } = &msg else { return self.handle(ctx, from, msg) };
        let work = zk_service::cost(calls);
        let wait = self.service.admit(ctx.now, from, msg, work);
        ctx.set_timer(wait, KafkaTimer::Serve);
    }

    fn handle(&mut self, ctx: &mut Ctx, from: NodeId, msg: KafkaMsg) {
        if self.ensemble.is_some() {
            self.with_peer(|p, srv| p.on_message(srv, ctx, from, msg));
            return;
        }
        let now = ctx.now;
        match msg {
            KafkaMsg::ZkConnect { timeout } => {
                let session = self.tree.connect(timeout, now);
                self.clients.insert(session, from);
                ctx.send(from, KafkaMsg::ZkConnected { session });
            }
            KafkaMsg::ZkPing { session } if self.tree.touch(session, now).is_err() => {
                ctx.send(from, KafkaMsg::ZkExpired);
            }
            KafkaMsg::ZkCall { session, id, calls } => {
                if self.tree.touch(session, now).is_err() {
                    ctx.send(from, KafkaMsg::ZkExpired);
                    return;
                }
                let mut fired = vec![];
                let results = calls.into_iter().map(|c| self.call(session, c, &mut fired)).collect();
                ctx.send(from, KafkaMsg::ZkReply { id, results });
                self.notify(ctx, fired);
            }
            _ => {}
        }
    }

    /// Runs one call on this server's tree for `session`; watches it fires go to `fired`.
    pub(super) fn call(&mut self, session: SessionId, call: ZkCall, fired: &mut Vec<Fired>) -> ZkResult {
        let t = &mut self.tree;
        let done = |r: Result<Vec<Fired>, _>, fired: &mut Vec<Fired>| match r {
            Ok(f) => {
                fired.extend(f);
                ZkResult::Done
            }
            Err(e) => ZkResult::Err(e),
        };
        match call {
            ZkCall::Create { path, data, ephemeral } => done(t.create(session, &path, &data, ephemeral), fired),
            ZkCall::SetData { path, data, version } => match t.set_data(session, &path, &data, version) {
                Ok(f) => {
                    fired.extend(f);
                    ZkResult::Version(t.get(&path).map_or(0, |n| n.version))
                }
                Err(e) => ZkResult::Err(e),
            },
            ZkCall::GetData { path, watch } => match t.get_data(session, &path, watch) {
                Ok((data, version)) => ZkResult::Data(data, version),
                Err(e) => ZkResult::Err(e),
            },
            ZkCall::Exists { path, watch } => match t.exists(session, &path, watch) {
                Ok(b) => ZkResult::Exists(b),
                Err(e) => ZkResult::Err(e),
            },
            ZkCall::GetChildren { path, watch } => match t.get_children(session, &path, watch) {
                Ok(c) => ZkResult::Children(c),
                Err(e) => ZkResult::Err(e),
            },
            ZkCall::Multi(ops) => done(t.multi(session, ops).map_err(|(_, e)| e), fired),
        }
    }
}
