//! A broker's side of its coordinator connection, as ZooKeeper's client library keeps it: the
//! connect string (every server of the ensemble), the one server in use, when it was last heard,
//! and — for moving to another server with the same session — the watches it holds and the
//! requests not yet answered.
//!
//! With one server (`zk`) this keeps nothing and changes nothing: the broker talks to `zk` as it
//! always did. In an ensemble the client starts at a seeded random server (ZooKeeper shuffles its
//! connect string), and moves on to the next one when its server's connection resets, when the
//! server closes it for lack of quorum, or after two thirds of the session timeout without a word
//! from it (ZooKeeper's read timeout). It re-sends its watches with the move (`SetWatches`) and its
//! unanswered requests after it (as Kafka's `KafkaZkClient` retries on connection loss).

use super::msg::{ZkCall, ZkResult};
use super::Ctx;
use crate::coordinator::{ClientWatch, WatchKind, ZkError};
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;

#[derive(Clone, Debug)]
pub struct ZkLink {
    servers: Vec<NodeId>,
    current: usize,
    /// Whether the server in use has not closed the connection.
    open: bool,
    last_heard: Time,
    watches: Vec<ClientWatch>,
    /// Requests sent and not answered, with whether they were sent again after a move.
    unanswered: VecMap<u64, (Vec<ZkCall>, bool)>,
}

impl ZkLink {
    pub fn new(servers: Vec<NodeId>) -> ZkLink {
        ZkLink { servers, current: 0, open: true, last_heard: Time::ZERO, watches: vec![], unanswered: VecMap::new() }
    }

    fn ensemble(&self) -> bool {
        self.servers.len() > 1
    }

    /// The server in use.
    pub fn server(&self) -> NodeId {
        self.servers.get(self.current).copied().unwrap_or(NodeId(0))
    }

    /// The watches held, with what was seen when each was set.
    pub fn watches(&self) -> &[ClientWatch] {
        &self.watches
    }

    /// At start-up: a seeded choice of the first server (no draw with a single server).
    pub fn choose(&mut self, ctx: &mut Ctx) {
        if self.ensemble() {
            self.current = ctx.rng.below(self.servers.len() as u64) as usize;
        }
        self.open = true;
        self.last_heard = ctx.now;
    }

    /// Gives up on the server in use and turns to the next in the connect string.
    pub fn next_server(&mut self, now: Time) {
        self.current = (self.current + 1) % self.servers.len().max(1);
        self.open = true;
        self.last_heard = now;
    }

    /// The process died: nothing of the connection is left.
    pub fn reset(&mut self) {
        self.open = true;
        self.watches.clear();
        self.unanswered.clear();
    }

    /// The session expired: its watches and requests are gone with it.
    pub fn expired(&mut self) {
        self.reset();
    }

    /// A message from `from`: true if it is the server in use (an ensemble client ignores what a
    /// server it has left still sends).
    pub fn heard(&mut self, from: NodeId, now: Time) -> bool {
        if from != self.server() {
            return false;
        }
        self.last_heard = now;
        true
    }

    /// The server in use closed the connection (it lost its quorum).
    pub fn closed(&mut self, from: NodeId) {
        if from == self.server() {
            self.open = false;
        }
    }

    /// Whether to move to another server now: an ensemble client whose server closed the
    /// connection, or has been silent for two thirds of the session timeout.
    pub fn should_move(&self, now: Time, session_timeout: Time) -> bool {
        self.ensemble() && (!self.open || now - self.last_heard > Time(session_timeout.0 / 3 * 2))
    }

    /// Whether a reset connection to `peer` was the one to the server in use (ensembles only: a
    /// single server's broker waits for it, as before).
    pub fn lost(&self, peer: NodeId) -> bool {
        self.ensemble() && peer == self.server()
    }

    /// A request went out (remembered, in an ensemble, to set watches and to send again).
    pub fn sent(&mut self, id: u64, calls: &[ZkCall]) {
        if self.ensemble() {
            self.unanswered.insert(id, (calls.to_vec(), false));
        }
    }

    /// The requests to send again after moving the session, in the order first sent.
    pub fn resend(&mut self) -> Vec<(u64, Vec<ZkCall>)> {
        self.unanswered
            .iter_mut()
            .map(|(&id, (calls, again))| {
                *again = true;
                (id, calls.clone())
            })
            .collect()
    }

    /// The answer to request `id`: records the watches it set. A create of an ephemeral node sent
    /// again that finds the node is taken as done: the first attempt made it (Kafka's
    /// `checkedEphemeralCreate` checks the owner; this model takes it on trust).
    pub fn answered(&mut self, id: u64, results: &mut [ZkResult]) {
        let Some((calls, again)) = self.unanswered.remove(&id) else { return };
        for (call, result) in calls.into_iter().zip(results.iter_mut()) {
            let watch = match (call, &*result) {
                (ZkCall::Exists { path, watch: true }, ZkResult::Exists(existed)) => {
                    ClientWatch::Exists { path, existed: *existed }
                }
                (ZkCall::GetData { path, watch: true }, ZkResult::Data(_, version)) => {
                    ClientWatch::Data { path, version: *version }
                }
                (ZkCall::GetChildren { path, watch: true }, ZkResult::Children(children)) => {
                    ClientWatch::Children { path, children: children.clone() }
                }
                (ZkCall::Create { ephemeral: true, .. }, ZkResult::Err(ZkError::NodeExists)) if again => {
                    *result = ZkResult::Done;
                    continue;
                }
                _ => continue,
            };
            let child = matches!(watch, ClientWatch::Children { .. });
            self.watches.retain(|w| w.path() != watch.path() || matches!(w, ClientWatch::Children { .. }) != child);
            self.watches.push(watch);
        }
    }

    /// A watch notification: the watches it consumed are gone (they fire once).
    pub fn fired(&mut self, path: &str, kind: WatchKind) {
        self.watches.retain(|w| w.path() != path || !w.fired_by(kind));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watches_are_remembered_with_what_was_seen_and_fire_once() {
        let mut link = ZkLink::new(vec![NodeId(0), NodeId(1), NodeId(2)]);
        let calls = vec![
            ZkCall::GetChildren { path: "/brokers/ids".into(), watch: true },
            ZkCall::Exists { path: "/controller".into(), watch: true },
            ZkCall::GetData { path: "/x".into(), watch: false },
        ];
        link.sent(7, &calls);
        let mut results =
            vec![ZkResult::Children(vec!["1".into()]), ZkResult::Exists(true), ZkResult::Data(String::new(), 3)];
        link.answered(7, &mut results);
        assert_eq!(
            link.watches(),
            &[
                ClientWatch::Children { path: "/brokers/ids".into(), children: vec!["1".into()] },
                ClientWatch::Exists { path: "/controller".into(), existed: true },
            ]
        );
        link.fired("/controller", WatchKind::NodeDeleted);
        link.fired("/brokers/ids", WatchKind::NodeDataChanged);
        assert_eq!(link.watches().len(), 1, "a data change does not consume a child watch");
    }

    #[test]
    fn a_resent_ephemeral_create_that_finds_its_node_counts_as_done() {
        let mut link = ZkLink::new(vec![NodeId(0), NodeId(1), NodeId(2)]);
        let create = ZkCall::Create { path: "/brokers/ids/1".into(), data: "b1".into(), ephemeral: true };
        link.sent(1, std::slice::from_ref(&create));
        link.sent(2, std::slice::from_ref(&create));
        assert_eq!(link.resend().len(), 2);
        let mut results = vec![ZkResult::Err(ZkError::NodeExists)];
        link.answered(1, &mut results);
        assert_eq!(results, vec![ZkResult::Done]);
        // A single server's client keeps nothing.
        let mut single = ZkLink::new(vec![NodeId(0)]);
        single.sent(1, &[create]);
        assert!(single.resend().is_empty());
        assert!(!single.lost(NodeId(0)) && !single.should_move(Time::secs(100), Time::secs(1)));
    }
}
