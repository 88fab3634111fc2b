//! Incremental fetch sessions (KIP-227), both ends: a follower sends one fetch per leader broker
//! covering every partition it follows there, and after the first (full) fetch lists only the
//! partitions whose fetch state changed.
//!
//! - `FetchSessionHandler` — the follower's side, as Kafka's `FetchSessionHandler`: it remembers
//!   what the leader's session holds and builds the next request as a diff (added or changed
//!   partitions, and those to forget); after a session error it starts again with a full fetch.
//! - `SessionCache` — the leader's side, as Kafka's `FetchSessionCache` / `FetchManager`: one
//!   session per follower, each with the partitions' cached fetch state and the high watermark
//!   last sent, so an incremental answer carries only partitions with something new.
//!
//! Simplified: a leader keeps one session per follower broker (Kafka's cache holds up to
//! `max.incremental.fetch.session.cache.slots`, 1 000, and evicts by age and size); sessions are
//! used between brokers only (consumers send full fetches, as Kafka allows).

use super::msg::Tp;
use super::partition::FetchResponse;
use crate::vecmap::VecMap;
use crate::NodeId;

/// One partition of a follower's fetch (FetchRequest's `FetchPartition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchPart {
    pub tp: Tp,
    /// The leader epoch the follower knows (`currentLeaderEpoch`).
    pub epoch: u32,
    /// Where it fetches from: its log end.
    pub offset: u64,
    /// The epoch of its last record (`lastFetchedEpoch`), for divergence checks.
    pub last_epoch: Option<u32>,
}

/// A follower's fetch to one leader broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionFetch {
    /// The session id the leader gave (0 before it gave one).
    pub session: u32,
    /// 0: a full fetch (a new session, listing every partition); then 1, 2, … (incremental).
    pub epoch: u32,
    /// Full: every partition; incremental: those added or whose fetch state changed.
    pub parts: Vec<FetchPart>,
    /// Incremental: partitions the session drops.
    pub forget: Vec<Tp>,
    /// The follower's request number with this leader; its answer echoes it.
    pub generation: u64,
}

/// A session-level error (the whole fetch fails; the follower starts a new session).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// FETCH_SESSION_ID_NOT_FOUND: the leader has no such session (it restarted, or replaced it).
    SessionIdNotFound,
    /// INVALID_FETCH_SESSION_EPOCH: the request is not the next one the session expects.
    InvalidEpoch,
}

/// The leader's answer to a `SessionFetch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionFetchResponse {
    /// The session id (to use in the next incremental fetch).
    pub session: u32,
    /// Full: every partition; incremental: those with records, a new HW or an error.
    pub result: Result<Vec<(Tp, FetchResponse)>, SessionError>,
    pub generation: u64,
}

/// The follower's side of the session with one leader (Kafka's `FetchSessionHandler`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchSessionHandler {
    session: u32,
    /// The epoch of the next request (0: a full fetch).
    epoch: u32,
    /// What the leader's session holds after the last request built.
    sent: VecMap<Tp, FetchPart>,
}

impl FetchSessionHandler {
    /// The next request for the partitions wanted now (sorted by partition). A full fetch lists
    /// them all; an incremental one lists those added or changed and forgets those gone.
    pub fn build(&mut self, want: Vec<FetchPart>, generation: u64) -> SessionFetch {
        let (parts, forget) = if self.epoch == 0 {
            (want.clone(), Vec::new())
        } else {
            let changed = want.iter().filter(|p| self.sent.get(&p.tp) != Some(p)).copied().collect();
            let gone = self.sent.keys().filter(|tp| !want.iter().any(|p| p.tp == **tp)).copied().collect();
            (changed, gone)
        };
        self.sent = VecMap::new();
        for p in want {
            self.sent.insert(p.tp, p);
        }
        SessionFetch { session: self.session, epoch: self.epoch, parts, forget, generation }
    }

    /// The leader answered: the session goes on (its id from a full fetch's answer), or, after an
    /// error, the next request is a full fetch. False on an error.
    pub fn handle_response(&mut self, session: u32, ok: bool) -> bool {
        if !ok {
            self.reset();
            return false;
        }
        if self.epoch == 0 {
            self.session = session;
        }
        self.epoch += 1;
        true
    }

    /// The request failed (no answer, a reset connection, an error): start a new session.
    pub fn reset(&mut self) {
        self.session = 0;
        self.epoch = 0;
        self.sent = VecMap::new();
    }

    /// The fetch state the session holds for `tp`: what the answer to the last request was read at.
    pub fn sent(&self, tp: Tp) -> Option<&FetchPart> {
        self.sent.get(&tp)
    }

    /// Whether the next request is a full fetch.
    pub fn full_next(&self) -> bool {
        self.epoch == 0
    }
}

/// One partition of a session as the leader caches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CachedPart {
    pub fetch: FetchPart,
    /// The high watermark last sent to the follower for it (`None`: never sent).
    pub hw_sent: Option<u64>,
}

/// A session's fetch parked at the leader, waiting for data (Kafka's `DelayedFetch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParkedSession {
    pub id: u32,
    pub generation: u64,
    pub full: bool,
}

/// A follower's session at the leader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchSession {
    pub id: u32,
    /// The epoch the next incremental request must carry.
    pub next_epoch: u32,
    pub parts: VecMap<Tp, CachedPart>,
    /// Its fetch waiting for data, if any.
    pub parked: Option<ParkedSession>,
}

impl FetchSession {
    /// Whether a response should carry `tp`: always in a full answer; in an incremental one if it
    /// brings records, an error or a new high watermark. Records the HW sent.
    pub fn include(&mut self, tp: Tp, response: &FetchResponse, full: bool) -> bool {
        let Some(c) = self.parts.get_mut(&tp) else { return false };
        let include = match response {
            FetchResponse::Records { records, hw, .. } => full || !records.is_empty() || c.hw_sent != Some(*hw),
            _ => true,
        };
        if let (true, FetchResponse::Records { hw, .. }) = (include, response) {
            c.hw_sent = Some(*hw);
        }
        include
    }
}

/// The leader's sessions, one per follower node.
#[derive(Clone, Debug, Default)]
pub struct SessionCache {
    last_id: u32,
    last_park: u32,
    sessions: VecMap<NodeId, FetchSession>,
}

impl SessionCache {
    /// Takes in a follower's fetch: a full fetch opens a new session (replacing the follower's
    /// previous one); an incremental fetch must name the follower's session and its next epoch,
    /// and updates its partitions. A fetch of the follower still parked is dropped (the follower
    /// gave up on it). Returns the session's id.
    pub fn update(&mut self, from: NodeId, req: &SessionFetch) -> Result<u32, SessionError> {
        if req.epoch == 0 {
            self.last_id = self.last_id.wrapping_add(1).max(1);
            let mut parts = VecMap::new();
            for p in &req.parts {
                parts.insert(p.tp, CachedPart { fetch: *p, hw_sent: None });
            }
            let session = FetchSession { id: self.last_id, next_epoch: 1, parts, parked: None };
            self.sessions.insert(from, session);
            return Ok(self.last_id);
        }
        let Some(s) = self.sessions.get_mut(&from).filter(|s| s.id == req.session) else {
            return Err(SessionError::SessionIdNotFound);
        };
        s.parked = None;
        if req.epoch != s.next_epoch {
            return Err(SessionError::InvalidEpoch);
        }
        s.next_epoch += 1;
        for tp in &req.forget {
            s.parts.remove(tp);
        }
        for p in &req.parts {
            let hw_sent = s.parts.get(&p.tp).and_then(|c| c.hw_sent);
            s.parts.insert(p.tp, CachedPart { fetch: *p, hw_sent });
        }
        Ok(s.id)
    }

    /// A fresh id for a parked fetch's timer (unique among this broker's parked fetches).
    pub fn next_park_id(&mut self) -> u32 {
        self.last_park = self.last_park.wrapping_add(1);
        self.last_park
    }

    pub fn get(&self, from: NodeId) -> Option<&FetchSession> {
        self.sessions.get(&from)
    }

    pub fn get_mut(&mut self, from: NodeId) -> Option<&mut FetchSession> {
        self.sessions.get_mut(&from)
    }

    /// The followers whose parked fetch covers `tp`.
    pub fn parked_on(&self, tp: Tp) -> Vec<NodeId> {
        self.sessions.iter().filter(|(_, s)| s.parked.is_some() && s.parts.contains_key(&tp)).map(|(&n, _)| n).collect()
    }

    /// How many sessions have a fetch parked.
    pub fn parked_count(&self) -> usize {
        self.sessions.values().filter(|s| s.parked.is_some()).count()
    }

    /// The process died: sessions are memory.
    pub fn clear(&mut self) {
        self.sessions = VecMap::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::log::Record;

    fn part(partition: u16, offset: u64) -> FetchPart {
        FetchPart { tp: Tp { topic: 0, partition }, epoch: 0, offset, last_epoch: None }
    }

    fn tp(partition: u16) -> Tp {
        Tp { topic: 0, partition }
    }

    #[test]
    fn a_full_fetch_first_then_only_what_changed_and_what_is_gone() {
        let mut h = FetchSessionHandler::default();
        let first = h.build(vec![part(0, 0), part(1, 0), part(2, 0)], 1);
        assert_eq!((first.session, first.epoch, first.parts.len()), (0, 0, 3));
        assert!(h.handle_response(7, true));
        // Partition 1 moved on, partition 2 went to another leader.
        let second = h.build(vec![part(0, 0), part(1, 5)], 2);
        assert_eq!((second.session, second.epoch), (7, 1));
        assert_eq!(second.parts, vec![part(1, 5)]);
        assert_eq!(second.forget, vec![tp(2)]);
        assert!(h.handle_response(7, true));
        // Nothing changed: an empty incremental fetch (it still waits for data at the leader).
        let third = h.build(vec![part(0, 0), part(1, 5)], 3);
        assert_eq!((third.epoch, third.parts.len(), third.forget.len()), (2, 0, 0));
    }

    #[test]
    fn a_session_error_makes_the_next_fetch_full() {
        let mut h = FetchSessionHandler::default();
        h.build(vec![part(0, 0)], 1);
        h.handle_response(3, true);
        h.build(vec![part(0, 4)], 2);
        assert!(!h.handle_response(3, false));
        assert!(h.full_next());
        let again = h.build(vec![part(0, 4), part(1, 0)], 3);
        assert_eq!((again.session, again.epoch, again.parts.len()), (0, 0, 2));
    }

    #[test]
    fn the_leader_keeps_the_session_and_checks_its_id_and_epoch() {
        let mut c = SessionCache::default();
        let (a, b) = (NodeId(1), NodeId(2));
        let mut h = FetchSessionHandler::default();
        let full = h.build(vec![part(0, 0), part(1, 0)], 1);
        let id = c.update(a, &full).unwrap();
        h.handle_response(id, true);
        assert_eq!(c.get(a).unwrap().parts.len(), 2);
        let next = h.build(vec![part(0, 3)], 2);
        assert_eq!(c.update(a, &next), Ok(id));
        let s = c.get(a).unwrap();
        assert_eq!(s.parts.keys().copied().collect::<Vec<_>>(), vec![tp(0)]);
        assert_eq!(s.parts.get(&tp(0)).unwrap().fetch.offset, 3);
        // The same request again (a retry) has an old epoch; another node cannot use the session.
        assert_eq!(c.update(a, &next), Err(SessionError::InvalidEpoch));
        assert_eq!(c.update(b, &next), Err(SessionError::SessionIdNotFound));
        // A restarted leader has no session.
        c.clear();
        assert_eq!(c.update(a, &h.build(vec![part(0, 3)], 3)), Err(SessionError::SessionIdNotFound));
    }

    #[test]
    fn an_incremental_answer_carries_only_records_errors_and_new_high_watermarks() {
        let mut c = SessionCache::default();
        let full = FetchSessionHandler::default().build(vec![part(0, 0), part(1, 0)], 1);
        c.update(NodeId(1), &full).unwrap();
        let s = c.get_mut(NodeId(1)).unwrap();
        let empty = |hw| FetchResponse::Records { records: vec![], hw, leader_leo: hw };
        assert!(s.include(tp(0), &empty(0), true), "a full answer carries every partition");
        assert!(!s.include(tp(0), &empty(0), false), "nothing new");
        assert!(s.include(tp(0), &empty(2), false), "a new HW");
        assert!(!s.include(tp(0), &empty(2), false));
        let record = Record {
            offset: 0,
            epoch: 0,
            key: None,
            value: 1,
            timestamp: crate::time::Time::ZERO,
            producer: 0,
            producer_epoch: 0,
            seq: 0,
            batch_start: true,
            size: 10,
            kind: Default::default(),
        };
        let data = FetchResponse::Records { records: vec![record], hw: 2, leader_leo: 3 };
        assert!(s.include(tp(0), &data, false), "records");
        let error = FetchResponse::Error(crate::kafka::partition::Error::NotLeaderOrFollower);
        assert!(s.include(tp(1), &error, false), "an error");
        assert!(!s.include(tp(5), &data, false), "not in the session");
    }
}
