//! ZAB after an election: **sync** (the new leader picks the epoch once a quorum has sent
//! FOLLOWERINFO, sends each follower what it lacks, and is established when a quorum has logged
//! it) and **broadcast** (propose with the next zxid, commit what a quorum has logged, apply
//! committed transactions to the tree in zxid order, answering the client where it came in).

use super::{to_client, to_peer, Peer, PeerMsg, Role, TxnOp};
use crate::coordinator::zab::{quorum, zxid, Txn, Zxid};
use crate::coordinator::SessionId;
use crate::kafka::clients::emit;
use crate::kafka::msg::{KafkaEvent, KafkaMsg};
use crate::kafka::zk_server::ZkServer;
use crate::kafka::Ctx;

impl Peer {
    pub(super) fn on_follower_info(&mut self, ctx: &mut Ctx, from: u8, accepted: u32, last: Zxid) {
        if self.role != Role::Leading {
            return;
        }
        let q = quorum(self.n());
        let mine = self.accepted_epoch.max(self.current_epoch);
        let Some(l) = self.lead.as_mut() else { return };
        l.infos.insert(from, (accepted, last));
        let mut to_sync: Vec<u8> = vec![];
        match l.epoch {
            Some(e) if accepted <= e => to_sync.push(from),
            Some(_) => return,
            None if l.infos.len() + 1 >= q => {
                // ZooKeeper's getEpochToPropose: one above every epoch the quorum has accepted.
                let e = l.infos.values().map(|&(a, _)| a).fold(mine, u32::max) + 1;
                l.epoch = Some(e);
                self.accepted_epoch = e;
                to_sync.extend(l.infos.keys().copied());
            }
            None => {}
        }
        for s in to_sync {
            self.send_sync(ctx, s);
        }
    }

    fn send_sync(&mut self, ctx: &mut Ctx, to: u8) {
        let node = self.node(to);
        let (committed, log) = (self.log.committed_zxid(), &self.log);
        let Some(l) = self.lead.as_mut() else { return };
        let (Some(epoch), Some(&(_, theirs))) = (l.epoch, l.infos.get(&to)) else { return };
        let (trunc, txns) = log.diff_for(theirs);
        l.synced.insert(to, ctx.now);
        l.acks.forget(to);
        to_peer(ctx, node, PeerMsg::Sync { epoch, trunc, txns, committed });
    }

    pub(super) fn on_synced(&mut self, srv: &mut ZkServer, ctx: &mut Ctx, from: u8, zxid: Zxid) {
        let q = quorum(self.n());
        let Some(l) = self.lead.as_mut().filter(|l| l.synced.contains_key(&from)) else { return };
        l.acks.ack(from, zxid);
        if l.established {
            to_peer(ctx, self.servers[from as usize - 1], PeerMsg::UpToDate);
            let committed = self.log.committed_zxid();
            to_peer(ctx, self.servers[from as usize - 1], PeerMsg::Commit { zxid: committed });
        } else if l.acks.counted() >= q {
            self.establish(srv, ctx);
        }
    }

    /// A quorum has logged the new leader's history: commit it, serve, restart session timers.
    fn establish(&mut self, srv: &mut ZkServer, ctx: &mut Ctx) {
        let Some(l) = self.lead.as_mut() else { return };
        l.established = true;
        let epoch = l.epoch.unwrap_or(self.accepted_epoch);
        self.current_epoch = epoch;
        emit(ctx, KafkaEvent::ZkLeaderElected { server: ctx.me, epoch });
        let sessions: Vec<SessionId> = srv.tree.sessions().keys().copied().collect();
        for s in sessions {
            let _ = srv.tree.touch(s, ctx.now);
        }
        let followers: Vec<u8> = l.synced.keys().copied().collect();
        for s in followers {
            to_peer(ctx, self.node(s), PeerMsg::UpToDate);
        }
        self.try_commit(srv, ctx);
    }

    pub(super) fn propose(&mut self, srv: &mut ZkServer, ctx: &mut Ctx, op: TxnOp) {
        let Some(l) = self.lead.as_mut().filter(|l| l.established) else { return };
        l.counter += 1;
        let txn = Txn { zxid: zxid(self.current_epoch, l.counter), op };
        l.acks.ack(self.id, txn.zxid);
        let followers: Vec<u8> = l.synced.keys().copied().collect();
        for s in followers {
            to_peer(ctx, self.node(s), PeerMsg::Propose(txn.clone()));
        }
        self.log.append(txn);
        self.try_commit(srv, ctx);
    }

    pub(super) fn try_commit(&mut self, srv: &mut ZkServer, ctx: &mut Ctx) {
        let Some(l) = self.lead.as_ref().filter(|l| l.established) else { return };
        let Some(point) = l.acks.commit_point().filter(|&p| p > self.log.committed_zxid()) else { return };
        let followers: Vec<u8> = l.synced.keys().copied().collect();
        self.apply_committed(srv, ctx, point);
        for s in followers {
            to_peer(ctx, self.node(s), PeerMsg::Commit { zxid: point });
        }
    }

    pub(super) fn apply_committed(&mut self, srv: &mut ZkServer, ctx: &mut Ctx, upto: Zxid) {
        let txns = self.log.commit_to(upto).to_vec();
        for t in txns {
            self.apply(srv, ctx, t.op);
        }
    }

    /// Applies one committed transaction to this server's tree; answers the client if it came in here.
    fn apply(&mut self, srv: &mut ZkServer, ctx: &mut Ctx, op: TxnOp) {
        match op {
            TxnOp::CreateSession { timeout, origin } => {
                let session = srv.tree.connect(timeout, ctx.now);
                if origin.server != self.id {
                    return;
                }
                if let Some(client) = self.connects.remove(&origin.req) {
                    srv.clients.insert(session, client);
                    to_client(ctx, client, KafkaMsg::ZkConnected { session });
                    emit(ctx, KafkaEvent::ZkClientConnected { client, server: ctx.me, session, moved: false });
                }
            }
            TxnOp::CloseSession { session } => {
                let fired = srv.tree.close(session);
                srv.clients.remove(&session);
                self.batches.retain(|b| b.session != session);
                if let Some(l) = self.lead.as_mut() {
                    l.closing.retain(|&s| s != session);
                }
                srv.notify(ctx, fired);
            }
            TxnOp::Write { session, call, origin } => {
                let mut fired = vec![];
                let result = srv.call(session, call, &mut fired);
                srv.notify(ctx, fired);
                if origin.server != self.id {
                    return;
                }
                if let Some(b) = self.batches.iter_mut().find(|b| b.waiting == Some(origin.req)) {
                    b.results.push(result);
                    b.waiting = None;
                    self.pump(srv, ctx);
                }
            }
        }
    }

    /// Passes a write to the leader (or proposes it, when this server leads).
    pub(super) fn submit(&mut self, srv: &mut ZkServer, ctx: &mut Ctx, op: TxnOp) {
        match self.role {
            Role::Leading => self.propose(srv, ctx, op),
            Role::Following { leader, .. } => to_peer(ctx, self.node(leader), PeerMsg::Request(op)),
            Role::Looking => {}
        }
    }
}
