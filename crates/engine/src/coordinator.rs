//! The ZooKeeper-like coordinator's data model as a pure state machine: a tree of znodes
//! (persistent and ephemeral, versioned), client sessions kept alive by heartbeats and expired after
//! their timeout (taking their ephemeral znodes with them), and one-shot watches. ZooKeeper-era Kafka
//! builds its cluster on exactly these: brokers register `/brokers/ids/N` as ephemeral nodes, the
//! controller is whoever creates the ephemeral `/controller`, and a stale controller is fenced by the
//! version of `/controller_epoch` (checked inside a `multi`).
//!
//! Semantics follow ZooKeeper's: a node's parent must exist; ephemeral nodes have no children;
//! deleting a node with children fails; `set_data`/`delete`/`check` with an expected version fail
//! with `BadVersion` on mismatch; `get_data` and `exists` leave data watches (an `exists` watch on a
//! missing node fires when it is created), `get_children` leaves child watches; every watch fires
//! once. Not modelled: sequential nodes, ACLs.
//!
//! An ensemble replicates this tree: `zab` (the transaction log and the leader's quorum count) and
//! `election` (fast leader election's tally) are the pure pieces; `kafka::zk_ensemble` runs them.

use crate::time::Time;
use crate::vecmap::VecMap;
use std::collections::BTreeMap;

pub mod election;
pub mod zab;

pub type SessionId = u64;

/// A watch as a client remembers it, with what it saw when it set it: sent again when the client
/// moves to another server (ZooKeeper's `SetWatches`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientWatch {
    /// Left by `exists`: whether the node was there.
    Exists { path: String, existed: bool },
    /// Left by `get_data`: the version read.
    Data { path: String, version: u32 },
    /// Left by `get_children`: the children listed.
    Children { path: String, children: Vec<String> },
}

impl ClientWatch {
    pub fn path(&self) -> &str {
        match self {
            ClientWatch::Exists { path, .. } | ClientWatch::Data { path, .. } | ClientWatch::Children { path, .. } => {
                path
            }
        }
    }
    /// Whether a notification of `kind` on its path consumes this watch (data watches fire on
    /// creation, change and deletion; child watches on child changes and deletion).
    pub fn fired_by(&self, kind: WatchKind) -> bool {
        match self {
            ClientWatch::Children { .. } => matches!(kind, WatchKind::NodeChildrenChanged | WatchKind::NodeDeleted),
            _ => kind != WatchKind::NodeChildrenChanged,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZkError {
    NoNode,
    NodeExists,
    NotEmpty,
    BadVersion,
    NoChildrenForEphemerals,
    SessionExpired,
    BadPath,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WatchKind {
    NodeCreated,
    NodeDeleted,
    NodeDataChanged,
    NodeChildrenChanged,
}

/// A watch that fired: tell `session` that `path` changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    pub session: SessionId,
    pub path: String,
    pub kind: WatchKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Znode {
    pub data: String,
    pub version: u32,
    pub ephemeral_owner: Option<SessionId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub timeout: Time,
    pub last_heard: Time,
}

/// One operation of a `multi`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Create { path: String, data: String, ephemeral: bool },
    SetData { path: String, data: String, version: Option<u32> },
    Delete { path: String, version: Option<u32> },
    Check { path: String, version: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    nodes: BTreeMap<String, Znode>,
    sessions: VecMap<SessionId, Session>,
    next_session: SessionId,
    /// Watchers per path, each session once, in session order.
    data_watches: VecMap<String, Vec<SessionId>>,
    child_watches: VecMap<String, Vec<SessionId>>,
    /// Changes since the last `take_changes`: the path and what happened to it (created, data
    /// changed, deleted), for the server to report.
    changes: Vec<(String, WatchKind)>,
}

impl Default for Tree {
    fn default() -> Self {
        let root = Znode { data: String::new(), version: 0, ephemeral_owner: None };
        Tree {
            nodes: BTreeMap::from([("/".to_string(), root)]),
            sessions: VecMap::new(),
            next_session: 1,
            data_watches: VecMap::new(),
            child_watches: VecMap::new(),
            changes: Vec::new(),
        }
    }
}

fn parent(path: &str) -> Option<&str> {
    match path.rfind('/') {
        Some(0) if path.len() > 1 => Some("/"),
        Some(0) | None => None,
        Some(i) => Some(&path[..i]),
    }
}

fn valid(path: &str) -> Result<(), ZkError> {
    let ok = path == "/" || (path.starts_with('/') && !path.ends_with('/') && !path.contains("//") && !path.is_empty());
    if ok {
        Ok(())
    } else {
        Err(ZkError::BadPath)
    }
}

/// Leaves a watch of `session` on `path` (once: ZooKeeper keeps one per session and path).
fn add_watch(watches: &mut VecMap<String, Vec<SessionId>>, path: &str, session: SessionId) {
    let list = watches.get_or_insert_with(path.to_string(), Vec::new);
    if let Err(i) = list.binary_search(&session) {
        list.insert(i, session);
    }
}

impl Tree {
    pub fn nodes(&self) -> &BTreeMap<String, Znode> {
        &self.nodes
    }
    pub fn sessions(&self) -> &VecMap<SessionId, Session> {
        &self.sessions
    }
    pub fn get(&self, path: &str) -> Option<&Znode> {
        self.nodes.get(path)
    }

    /// Children's names, sorted.
    pub fn children(&self, path: &str) -> Vec<String> {
        let prefix = if path == "/" { "/".to_string() } else { format!("{path}/") };
        self.nodes
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter(|(p, _)| !p[prefix.len()..].contains('/') && p.len() > prefix.len())
            .map(|(p, _)| p[prefix.len()..].to_string())
            .collect()
    }

    pub fn connect(&mut self, timeout: Time, now: Time) -> SessionId {
        let id = self.next_session;
        self.next_session += 1;
        self.sessions.insert(id, Session { timeout, last_heard: now });
        id
    }

    fn live(&self, session: SessionId) -> Result<(), ZkError> {
        if self.sessions.contains_key(&session) {
            Ok(())
        } else {
            Err(ZkError::SessionExpired)
        }
    }

    /// Any request or ping from the session keeps it alive.
    pub fn touch(&mut self, session: SessionId, now: Time) -> Result<(), ZkError> {
        let s = self.sessions.get_mut(&session).ok_or(ZkError::SessionExpired)?;
        s.last_heard = now;
        Ok(())
    }

    /// The sessions not heard from within their timeout.
    pub fn overdue(&self, now: Time) -> Vec<SessionId> {
        self.sessions.iter().filter(|(_, s)| now - s.last_heard > s.timeout).map(|(&id, _)| id).collect()
    }

    /// Expires every session not heard from within its timeout: its ephemeral nodes are deleted (and
    /// their watches fire), its own watches are dropped. Returns the expired sessions and the watches.
    pub fn expire(&mut self, now: Time) -> (Vec<SessionId>, Vec<Fired>) {
        let dead = self.overdue(now);
        let mut fired = vec![];
        for &id in &dead {
            fired.extend(self.close(id));
        }
        (dead, fired)
    }

    /// Ends a session now (a clean close, or expiry).
    pub fn close(&mut self, session: SessionId) -> Vec<Fired> {
        self.sessions.remove(&session);
        let owned: Vec<String> =
            self.nodes.iter().filter(|(_, n)| n.ephemeral_owner == Some(session)).map(|(p, _)| p.clone()).collect();
        let mut fired = vec![];
        for path in owned {
            fired.extend(self.apply_delete(&path));
        }
        self.forget_watches(session);
        // A dead session gets no notifications.
        fired.retain(|f| f.session != session);
        fired
    }

    /// Drops the watches `session` left on this server (its connection here closed).
    pub fn forget_watches(&mut self, session: SessionId) {
        for watchers in self.data_watches.values_mut().chain(self.child_watches.values_mut()) {
            watchers.retain(|&s| s != session);
        }
    }

    /// Drops every watch (a restarted server has no connections, so no watchers).
    pub fn clear_watches(&mut self) {
        self.data_watches.clear();
        self.child_watches.clear();
    }

    /// Sets a moving client's watch on this server, as `SetWatches` does; if the node changed since
    /// the client saw it, the watch fires now instead. (ZooKeeper compares zxids; comparing what
    /// the client saw gives the same answer for the changes Kafka watches for.)
    pub fn restore_watch(&mut self, session: SessionId, watch: &ClientWatch) -> Option<Fired> {
        let path = watch.path();
        let node = self.nodes.get(path);
        let fire = |kind| Some(Fired { session, path: path.to_string(), kind });
        let kind = match (watch, node) {
            (ClientWatch::Exists { existed: false, .. }, Some(_)) => fire(WatchKind::NodeCreated),
            (
                ClientWatch::Exists { existed: true, .. } | ClientWatch::Data { .. } | ClientWatch::Children { .. },
                None,
            ) => fire(WatchKind::NodeDeleted),
            (ClientWatch::Data { version, .. }, Some(n)) if n.version != *version => fire(WatchKind::NodeDataChanged),
            (ClientWatch::Children { children, .. }, Some(_)) if self.children(path) != *children => {
                fire(WatchKind::NodeChildrenChanged)
            }
            _ => None,
        };
        if kind.is_none() {
            let child = matches!(watch, ClientWatch::Children { .. });
            add_watch(if child { &mut self.child_watches } else { &mut self.data_watches }, path, session);
        }
        kind
    }

    fn take_watches(&mut self, child: bool, path: &str, kind: WatchKind) -> Vec<Fired> {
        let map = if child { &mut self.child_watches } else { &mut self.data_watches };
        map.remove(path).into_iter().flatten().map(|session| Fired { session, path: path.to_string(), kind }).collect()
    }

    fn check_op(&self, op: &Op, session: SessionId, pending: &VecMap<String, Option<bool>>) -> Result<(), ZkError> {
        // `pending`: paths created (Some(ephemeral)) or deleted (None) by earlier ops of the same multi.
        let exists = |p: &str| match pending.get(p) {
            Some(Some(_)) => true,
            Some(None) => false,
            None => self.nodes.contains_key(p),
        };
        match op {
            Op::Create { path, ephemeral: _, .. } => {
                valid(path)?;
                let parent = parent(path).ok_or(ZkError::NodeExists)?;
                if exists(path) {
                    return Err(ZkError::NodeExists);
                }
                if !exists(parent) {
                    return Err(ZkError::NoNode);
                }
                let parent_ephemeral = match pending.get(parent) {
                    Some(Some(e)) => *e,
                    _ => self.nodes.get(parent).is_some_and(|n| n.ephemeral_owner.is_some()),
                };
                if parent_ephemeral {
                    return Err(ZkError::NoChildrenForEphemerals);
                }
                self.live(session)
            }
            Op::SetData { path, version, .. } | Op::Delete { path, version } => {
                valid(path)?;
                if !exists(path) {
                    return Err(ZkError::NoNode);
                }
                if let (Some(v), Some(n)) = (version, self.nodes.get(path)) {
                    if n.version != *v {
                        return Err(ZkError::BadVersion);
                    }
                }
                if matches!(op, Op::Delete { .. }) && (path == "/" || !self.children(path).is_empty()) {
                    return Err(ZkError::NotEmpty);
                }
                Ok(())
            }
            Op::Check { path, version } => match self.nodes.get(path) {
                None => Err(ZkError::NoNode),
                Some(n) if n.version != *version => Err(ZkError::BadVersion),
                Some(_) => Ok(()),
            },
        }
    }

    /// The changes made since the last call, oldest first.
    pub fn take_changes(&mut self) -> Vec<(String, WatchKind)> {
        std::mem::take(&mut self.changes)
    }

    fn apply(&mut self, op: Op, session: SessionId) -> Vec<Fired> {
        match op {
            Op::Create { path, data, ephemeral } => {
                self.changes.push((path.clone(), WatchKind::NodeCreated));
                let owner = ephemeral.then_some(session);
                self.nodes.insert(path.clone(), Znode { data, version: 0, ephemeral_owner: owner });
                let mut fired = self.take_watches(false, &path, WatchKind::NodeCreated);
                if let Some(p) = parent(&path) {
                    fired.extend(self.take_watches(true, p, WatchKind::NodeChildrenChanged));
                }
                fired
            }
            Op::SetData { path, data, .. } => {
                self.changes.push((path.clone(), WatchKind::NodeDataChanged));
                if let Some(n) = self.nodes.get_mut(&path) {
                    n.data = data;
                    n.version += 1;
                }
                self.take_watches(false, &path, WatchKind::NodeDataChanged)
            }
            Op::Delete { path, .. } => self.apply_delete(&path),
            Op::Check { .. } => vec![],
        }
    }

    fn apply_delete(&mut self, path: &str) -> Vec<Fired> {
        self.changes.push((path.to_string(), WatchKind::NodeDeleted));
        self.nodes.remove(path);
        let mut fired = self.take_watches(false, path, WatchKind::NodeDeleted);
        fired.extend(self.take_watches(true, path, WatchKind::NodeDeleted));
        if let Some(p) = parent(path) {
            fired.extend(self.take_watches(true, p, WatchKind::NodeChildrenChanged));
        }
        fired
    }

    /// Runs `ops` atomically for `session`: all succeed, or none is applied and the error says
    /// which failed (by index).
    pub fn multi(&mut self, session: SessionId, ops: Vec<Op>) -> Result<Vec<Fired>, (usize, ZkError)> {
        self.live(session).map_err(|e| (0, e))?;
        let mut pending: VecMap<String, Option<bool>> = VecMap::new();
        for (i, op) in ops.iter().enumerate() {
            self.check_op(op, session, &pending).map_err(|e| (i, e))?;
            match op {
                Op::Create { path, ephemeral, .. } => {
                    pending.insert(path.clone(), Some(*ephemeral));
                }
                Op::Delete { path, .. } => {
                    pending.insert(path.clone(), None);
                }
                _ => {}
            }
        }
        Ok(ops.into_iter().flat_map(|op| self.apply(op, session)).collect())
    }

    pub fn create(
        &mut self,
        session: SessionId,
        path: &str,
        data: &str,
        ephemeral: bool,
    ) -> Result<Vec<Fired>, ZkError> {
        let op = Op::Create { path: path.into(), data: data.into(), ephemeral };
        self.multi(session, vec![op]).map_err(|(_, e)| e)
    }

    pub fn set_data(
        &mut self,
        session: SessionId,
        path: &str,
        data: &str,
        version: Option<u32>,
    ) -> Result<Vec<Fired>, ZkError> {
        self.multi(session, vec![Op::SetData { path: path.into(), data: data.into(), version }]).map_err(|(_, e)| e)
    }

    pub fn delete(&mut self, session: SessionId, path: &str, version: Option<u32>) -> Result<Vec<Fired>, ZkError> {
        self.multi(session, vec![Op::Delete { path: path.into(), version }]).map_err(|(_, e)| e)
    }

    /// Reads a node, optionally leaving a data watch.
    pub fn get_data(&mut self, session: SessionId, path: &str, watch: bool) -> Result<(String, u32), ZkError> {
        self.live(session)?;
        let n = self.nodes.get(path).ok_or(ZkError::NoNode)?;
        let out = (n.data.clone(), n.version);
        if watch {
            add_watch(&mut self.data_watches, path, session);
        }
        Ok(out)
    }

    /// Whether a node exists; a watch set here fires on its creation, change or deletion.
    pub fn exists(&mut self, session: SessionId, path: &str, watch: bool) -> Result<bool, ZkError> {
        self.live(session)?;
        valid(path)?;
        if watch {
            add_watch(&mut self.data_watches, path, session);
        }
        Ok(self.nodes.contains_key(path))
    }

    /// Lists children, optionally leaving a child watch.
    pub fn get_children(&mut self, session: SessionId, path: &str, watch: bool) -> Result<Vec<String>, ZkError> {
        self.live(session)?;
        if !self.nodes.contains_key(path) {
            return Err(ZkError::NoNode);
        }
        if watch {
            add_watch(&mut self.child_watches, path, session);
        }
        Ok(self.children(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (Tree, SessionId, SessionId) {
        let mut t = Tree::default();
        let a = t.connect(Time::secs(18), Time::ZERO);
        let b = t.connect(Time::secs(18), Time::ZERO);
        for p in ["/brokers", "/brokers/ids"] {
            t.create(a, p, "", false).unwrap();
        }
        (t, a, b)
    }

    #[test]
    fn create_requires_parent_and_rejects_duplicates() {
        let (mut t, a, _) = tree();
        assert_eq!(t.create(a, "/x/y", "", false), Err(ZkError::NoNode));
        assert!(t.create(a, "/brokers/ids/1", "b1", true).is_ok());
        assert_eq!(t.create(a, "/brokers/ids/1", "", true), Err(ZkError::NodeExists));
        assert_eq!(t.create(a, "/brokers/ids/1/z", "", false), Err(ZkError::NoChildrenForEphemerals));
        assert_eq!(t.create(a, "bad", "", false), Err(ZkError::BadPath));
        assert_eq!(t.children("/brokers"), vec!["ids"]);
        assert_eq!(t.children("/"), vec!["brokers"]);
    }

    #[test]
    fn ephemerals_vanish_with_their_expired_session_and_watches_fire_once() {
        let (mut t, a, b) = tree();
        t.create(a, "/brokers/ids/1", "", true).unwrap();
        assert_eq!(t.get_children(b, "/brokers/ids", true).unwrap(), vec!["1"]);
        t.create(a, "/controller", "{\"brokerid\":1}", true).unwrap();
        assert!(t.exists(b, "/controller", true).unwrap());
        t.touch(b, Time::secs(10)).unwrap();
        let (dead, fired) = t.expire(Time::secs(19));
        assert_eq!(dead, vec![a], "a was last heard at 0s, timeout 18s");
        assert!(t.get("/brokers/ids/1").is_none() && t.get("/controller").is_none());
        let kinds: Vec<_> = fired.iter().map(|f| (f.path.as_str(), f.kind)).collect();
        assert_eq!(
            kinds,
            vec![("/brokers/ids", WatchKind::NodeChildrenChanged), ("/controller", WatchKind::NodeDeleted)]
        );
        assert!(fired.iter().all(|f| f.session == b));
        // One-shot: re-creating fires nothing until b watches again.
        let c = t.connect(Time::secs(18), Time::secs(19));
        assert_eq!(t.create(c, "/controller", "", true), Ok(vec![]));
        assert_eq!(t.create(a, "/x", "", false), Err(ZkError::SessionExpired));
    }

    #[test]
    fn versions_fence_stale_writers_atomically() {
        let (mut t, a, b) = tree();
        t.create(a, "/controller_epoch", "1", false).unwrap();
        t.set_data(a, "/controller_epoch", "2", Some(0)).unwrap();
        assert_eq!(t.get_data(b, "/controller_epoch", false), Ok(("2".to_string(), 1)));
        // A stale controller still thinks the epoch's version is 0: its whole multi fails.
        let stale = vec![
            Op::Check { path: "/controller_epoch".into(), version: 0 },
            Op::Create { path: "/brokers/topics".into(), data: String::new(), ephemeral: false },
        ];
        assert_eq!(t.multi(b, stale), Err((0, ZkError::BadVersion)));
        assert!(t.get("/brokers/topics").is_none(), "nothing of a failed multi is applied");
        let ok = vec![
            Op::Check { path: "/controller_epoch".into(), version: 1 },
            Op::Create { path: "/brokers/topics".into(), data: String::new(), ephemeral: false },
            Op::Create { path: "/brokers/topics/t".into(), data: "{}".into(), ephemeral: false },
        ];
        assert!(t.multi(b, ok).is_ok(), "later ops may build on earlier ones");
    }

    #[test]
    fn a_moved_watch_is_set_again_or_fires_if_its_node_changed() {
        let (mut t, a, b) = tree();
        t.create(a, "/controller", "1", true).unwrap();
        let seen_children = ClientWatch::Children { path: "/brokers".into(), children: vec!["ids".into()] };
        assert_eq!(t.restore_watch(b, &seen_children), None, "unchanged: set again");
        let fired = t.create(a, "/brokers/x", "", false).unwrap();
        assert_eq!(fired, vec![Fired { session: b, path: "/brokers".into(), kind: WatchKind::NodeChildrenChanged }]);
        let gone = ClientWatch::Exists { path: "/controller".into(), existed: true };
        t.delete(a, "/controller", None).unwrap();
        assert_eq!(t.restore_watch(b, &gone).map(|f| f.kind), Some(WatchKind::NodeDeleted));
        let missing = ClientWatch::Exists { path: "/controller".into(), existed: false };
        t.create(a, "/controller", "2", true).unwrap();
        assert_eq!(t.restore_watch(b, &missing).map(|f| f.kind), Some(WatchKind::NodeCreated));
        t.set_data(a, "/controller", "3", None).unwrap();
        let old = ClientWatch::Data { path: "/controller".into(), version: 0 };
        assert_eq!(t.restore_watch(b, &old).map(|f| f.kind), Some(WatchKind::NodeDataChanged));
    }

    #[test]
    fn data_watch_on_missing_node_fires_on_creation_and_delete_rules() {
        let (mut t, a, b) = tree();
        assert!(!t.exists(b, "/controller", true).unwrap());
        let fired = t.create(a, "/controller", "", true).unwrap();
        assert_eq!(fired, vec![Fired { session: b, path: "/controller".into(), kind: WatchKind::NodeCreated }]);
        assert_eq!(t.delete(a, "/brokers", None), Err(ZkError::NotEmpty));
        assert_eq!(t.delete(a, "/controller", Some(3)), Err(ZkError::BadVersion));
        assert!(t.delete(a, "/controller", Some(0)).is_ok());
    }
}
