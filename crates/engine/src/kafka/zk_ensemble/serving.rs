//! Serving clients: a serving server opens sessions (through the leader), takes pings and moved
//! sessions (re-sending their watches), and runs request batches in order — reads from its own
//! tree, writes through the leader, one batch of a session at a time. One without a quorum tells
//! its clients to go elsewhere.

use super::{to_client, Batch, Origin, Peer, TxnOp};
use crate::kafka::clients::emit;
use crate::kafka::msg::{KafkaEvent, KafkaMsg, ZkCall};
use crate::kafka::zk_server::ZkServer;
use crate::kafka::Ctx;
use crate::NodeId;

fn is_read(call: &ZkCall) -> bool {
    matches!(call, ZkCall::GetData { .. } | ZkCall::Exists { .. } | ZkCall::GetChildren { .. })
}

impl Peer {
    pub(super) fn on_client(&mut self, srv: &mut ZkServer, ctx: &mut Ctx, from: NodeId, msg: KafkaMsg) {
        let now = ctx.now;
        if !self.serving() {
            // As a ZooKeeper server without a quorum: it closes the connection.
            if matches!(
                msg,
                KafkaMsg::ZkConnect { .. }
                    | KafkaMsg::ZkReconnect { .. }
                    | KafkaMsg::ZkPing { .. }
                    | KafkaMsg::ZkCall { .. }
            ) {
                to_client(ctx, from, KafkaMsg::ZkNotServing);
            }
            return;
        }
        let session = match &msg {
            KafkaMsg::ZkReconnect { session, .. } | KafkaMsg::ZkPing { session } | KafkaMsg::ZkCall { session, .. } => {
                *session
            }
            KafkaMsg::ZkConnect { timeout } => {
                let req = self.next_req;
                self.next_req += 1;
                self.connects.insert(req, from);
                let origin = Origin { server: self.id, req };
                return self.submit(srv, ctx, TxnOp::CreateSession { timeout: *timeout, origin });
            }
            _ => return,
        };
        if srv.tree.touch(session, now).is_err() {
            return to_client(ctx, from, KafkaMsg::ZkExpired);
        }
        if !self.touched.contains(&session) {
            self.touched.push(session);
        }
        match msg {
            KafkaMsg::ZkReconnect { watches, .. } => {
                srv.clients.insert(session, from);
                to_client(ctx, from, KafkaMsg::ZkConnected { session });
                emit(ctx, KafkaEvent::ZkClientConnected { client: from, server: ctx.me, session, moved: true });
                let fired = watches.iter().filter_map(|w| srv.tree.restore_watch(session, w)).collect();
                srv.notify(ctx, fired);
            }
            KafkaMsg::ZkPing { .. } => to_client(ctx, from, KafkaMsg::ZkPong),
            KafkaMsg::ZkCall { id, calls, .. } => {
                self.batches.push(Batch { session, client: from, id, calls, results: vec![], waiting: None });
                self.pump(srv, ctx);
            }
            _ => {}
        }
    }

    /// Moves every batch as far as it can go: reads are served here in order, a write waits for
    /// its commit; a session's batches run one after another.
    pub(super) fn pump(&mut self, srv: &mut ZkServer, ctx: &mut Ctx) {
        let mut i = 0;
        while i < self.batches.len() {
            let session = self.batches[i].session;
            let earlier = self.batches[..i].iter().any(|b| b.session == session);
            if earlier || self.batches[i].waiting.is_some() {
                i += 1;
                continue;
            }
            while self.batches[i].results.len() < self.batches[i].calls.len() {
                let b = &mut self.batches[i];
                let call = b.calls[b.results.len()].clone();
                if is_read(&call) {
                    let mut none = vec![];
                    b.results.push(srv.call(session, call, &mut none));
                    continue;
                }
                let req = self.next_req;
                self.next_req += 1;
                self.batches[i].waiting = Some(req);
                let origin = Origin { server: self.id, req };
                self.submit(srv, ctx, TxnOp::Write { session, call, origin });
                break;
            }
            let b = &self.batches[i];
            if b.waiting.is_none() && b.results.len() == b.calls.len() {
                let b = self.batches.remove(i);
                to_client(ctx, b.client, KafkaMsg::ZkReply { id: b.id, results: b.results });
                // A later batch of the same session may run now: start over.
                i = 0;
            } else {
                i += 1;
            }
        }
    }
}
