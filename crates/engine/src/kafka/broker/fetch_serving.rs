//! A leader serving a follower's fetch session (which also moves its ISR state and the HW; a
//! consumer's fetch is `consumer_fetch`'s). A fetch that finds nothing to send waits in its
//! session until new data or a change of leadership completes it, or its own timer does (Kafka's
//! `DelayedFetch`), and is answered exactly once.

use super::Broker;
use crate::kafka::clients::send;
use crate::kafka::cluster::REPLICA_FETCH_WAIT_MAX;
use crate::kafka::fetch_session::{ParkedSession, SessionFetch, SessionFetchResponse};
use crate::kafka::msg::{KafkaMsg, Tp};
use crate::kafka::partition::{Error, FetchResponse};
use crate::kafka::{Ctx, KafkaTimer};
use crate::NodeId;

impl Broker {
    /// A follower's fetch: the session takes in its changes (or refuses it), then it is served.
    pub(super) fn on_replica_fetch(&mut self, ctx: &mut Ctx, from: NodeId, fetch: SessionFetch) {
        let generation = fetch.generation;
        match self.sessions.update(from, &fetch) {
            Ok(_) => self.serve_session(ctx, from, ParkedSession { id: 0, generation, full: fetch.epoch == 0 }, false),
            Err(e) => {
                let response = SessionFetchResponse { session: fetch.session, result: Err(e), generation };
                send(ctx, from, KafkaMsg::ReplicaFetchResponse(Box::new(response)));
            }
        }
    }

    /// Reads every partition of `from`'s session at its cached fetch state (which also tells
    /// each partition where the follower is: its ISR state and the HW move), and answers — a full
    /// fetch with every partition, an incremental one with those that have records, an error or a
    /// new HW — or, with no records and no error anywhere, parks the fetch up to
    /// `replica.fetch.wait.max.ms` (`replica.fetch.min.bytes` is 1). `waking`: its wait is over.
    fn serve_session(&mut self, ctx: &mut Ctx, from: NodeId, fetch: ParkedSession, waking: bool) {
        let now = ctx.now;
        let Some(follower) = self.cluster.broker_of(from) else { return };
        let Some(session) = self.sessions.get(from) else { return };
        let parts: Vec<_> = session.parts.values().map(|c| c.fetch).collect();
        let id = session.id;
        let mut answers = Vec::with_capacity(parts.len());
        for p in parts {
            let Some(r) = self.replicas.get_mut(&p.tp) else {
                answers.push((p.tp, FetchResponse::Error(Error::NotLeaderOrFollower)));
                continue;
            };
            let hw_before = r.log.hw();
            let (response, change) = r.handle_fetch(follower, p.epoch, p.offset, p.last_epoch, now);
            if let Some(change) = change {
                self.propose_isr(ctx, p.tp, change.isr);
            }
            if self.leads(p.tp) {
                self.after_leader_change(ctx, p.tp, hw_before);
            }
            answers.push((p.tp, response));
        }
        let anything =
            answers.iter().any(|(_, r)| !matches!(r, FetchResponse::Records { records, .. } if records.is_empty()));
        let park_id = if !anything && !waking { self.sessions.next_park_id() } else { 0 };
        let Some(session) = self.sessions.get_mut(from) else { return };
        if !anything && !waking {
            let parked = ParkedSession { id: park_id, ..fetch };
            session.parked = Some(parked);
            return ctx.set_timer(REPLICA_FETCH_WAIT_MAX, KafkaTimer::SessionPark { follower: from, id: parked.id });
        }
        session.parked = None;
        answers.retain(|(tp, r)| session.include(*tp, r, fetch.full));
        let response = SessionFetchResponse { session: id, result: Ok(answers), generation: fetch.generation };
        send(ctx, from, KafkaMsg::ReplicaFetchResponse(Box::new(response)));
    }

    /// A parked session fetch's wait is over, unless data or a leader change completed it already.
    pub(super) fn session_park_expired(&mut self, ctx: &mut Ctx, follower: NodeId, id: u32) {
        let parked = self.sessions.get(follower).and_then(|s| s.parked).filter(|p| p.id == id);
        if let Some(p) = parked {
            self.serve_session(ctx, follower, p, true);
        }
    }

    /// New data on `tp`: the followers' fetches parked on a session that covers it are answered.
    pub(super) fn wake_sessions(&mut self, ctx: &mut Ctx, tp: Tp) {
        for from in self.sessions.parked_on(tp) {
            if let Some(p) = self.sessions.get(from).and_then(|s| s.parked) {
                self.serve_session(ctx, from, p, true);
            }
        }
    }

    /// A change of leadership on `tp`: every fetch waiting on it is answered.
    pub(super) fn wake_all(&mut self, ctx: &mut Ctx, tp: Tp) {
        self.wake_consumers(ctx, tp);
        self.wake_sessions(ctx, tp);
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{broker, full_fetch, replies, Harness, TP};
    use super::*;
    use crate::kafka::msg::KafkaEvent;
    use crate::kafka::partition::Acks;
    use crate::NodeId;

    /// The follower fetch answers to node 2 in `sent`: per partition, the number of records
    /// (`None` for an error or truncation).
    fn session_answers(sent: &[(NodeId, KafkaMsg)]) -> Vec<Vec<(Tp, Option<usize>)>> {
        replies(sent, NodeId(2), |m| match m {
            KafkaMsg::ReplicaFetchResponse(r) => Some(
                r.result
                    .as_ref()
                    .expect("no session error")
                    .iter()
                    .map(|(tp, r)| match r {
                        FetchResponse::Records { records, .. } => (*tp, Some(records.len())),
                        _ => (*tp, None),
                    })
                    .collect(),
            ),
            _ => None,
        })
    }

    #[test]
    fn a_session_fetch_covers_every_partition_and_an_incremental_answer_only_what_is_new() {
        use crate::kafka::fetch_session::{FetchPart, SessionFetch};
        let mut h = Harness::default();
        let mut b = broker(1);
        let tp1 = Tp { topic: 0, partition: 1 };
        h.lead(&mut b, TP, 0, vec![1, 2]);
        h.lead(&mut b, tp1, 0, vec![1, 2]);
        h.produce(&mut b, TP, Acks::Leader, &[(None, 5)]);
        h.take();
        let part = |tp, offset| FetchPart { tp, epoch: 0, offset, last_epoch: None };
        let fetch = |session, epoch, parts, generation| {
            KafkaMsg::ReplicaFetch(Box::new(SessionFetch { session, epoch, parts, forget: vec![], generation }))
        };
        // A full fetch: both partitions in the answer, the empty one too.
        h.message(&mut b, NodeId(2), fetch(0, 0, vec![part(TP, 0), part(tp1, 0)], 1));
        let full = h.take();
        assert_eq!(session_answers(&full.sent), vec![vec![(TP, Some(1)), (tp1, Some(0))]]);
        let KafkaMsg::ReplicaFetchResponse(r) = &full.sent[0].1 else { panic!() };
        let id = r.session;
        // Incremental: only TP moved on; nothing new anywhere, so it waits.
        h.message(&mut b, NodeId(2), fetch(id, 1, vec![part(TP, 1)], 2));
        let waiting = h.take();
        assert!(session_answers(&waiting.sent).is_empty());
        assert!(waiting.events.contains(&KafkaEvent::HighWatermark { tp: TP, broker: 1, hw: 1 }));
        // A record on the other partition completes it, with that partition only (TP's new HW
        // was not sent yet: it comes too).
        h.produce(&mut b, tp1, Acks::Leader, &[(None, 6)]);
        assert_eq!(session_answers(&h.take().sent), vec![vec![(TP, Some(0)), (tp1, Some(1))]]);
        assert_eq!(b.sessions().parked_count(), 0);
        // A retry of an old epoch is refused as a whole: the follower starts a new session.
        h.message(&mut b, NodeId(2), fetch(id, 1, vec![], 3));
        let refused = h.take();
        let KafkaMsg::ReplicaFetchResponse(r) = &refused.sent[0].1 else { panic!() };
        assert_eq!(r.result, Err(crate::kafka::fetch_session::SessionError::InvalidEpoch));
    }

    #[test]
    fn a_parked_session_fetch_is_answered_once_by_its_timer() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1, 2]);
        h.message(&mut b, NodeId(2), full_fetch(TP, 0, None, 1));
        let parked = h.take();
        let [(wait, timer @ KafkaTimer::SessionPark { .. })] = parked.timers[..] else { panic!("{:?}", parked.timers) };
        assert_eq!(wait, REPLICA_FETCH_WAIT_MAX);
        h.timer(&mut b, timer);
        assert_eq!(session_answers(&h.take().sent), vec![vec![(TP, Some(0))]], "a full fetch's answer lists it, empty");
        h.timer(&mut b, timer);
        assert!(h.take().sent.is_empty(), "answered once");
    }
}
