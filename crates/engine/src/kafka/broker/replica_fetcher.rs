//! The follower side (Kafka's `ReplicaFetcherThread` / `AbstractFetcherThread`): one fetcher per
//! leader broker, with one fetch at a time covering every partition this broker follows there, in
//! an incremental fetch session (KIP-227, `fetch_session`): a full fetch first, then fetches that
//! list only the partitions whose fetch state changed. Each answer is applied partition by
//! partition, then the next fetch goes at once. A partition whose answer is an error waits
//! `replica.fetch.backoff.ms` outside the session (Kafka's delayed partitions); a fetch that fails
//! as a whole (a session error, a reset connection) backs the fetcher off as long and starts a new
//! session; one unanswered in `request.timeout.ms` is sent again as a full fetch. Each fetch
//! carries a generation, so the answer to a fetch given up on is ignored.

use super::Broker;
use crate::kafka::clients::{emit, send};
use crate::kafka::cluster::{REPLICA_FETCH_BACKOFF, REQUEST_TIMEOUT};
use crate::kafka::fetch_session::{FetchPart, FetchSessionHandler, SessionFetchResponse};
use crate::kafka::msg::{KafkaEvent, KafkaMsg, Tp};
use crate::kafka::partition::{BrokerId, FetchResponse, Role};
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;
use crate::vecmap::VecMap;

/// A follower's fetcher for one leader broker.
#[derive(Clone, Debug, Default)]
pub struct Fetcher {
    session: FetchSessionHandler,
    /// The number of the latest fetch (or backoff): older answers and timers are ignored.
    generation: u64,
    in_flight: bool,
    /// Partitions backing off after an error, until when.
    delayed: VecMap<Tp, Time>,
}

impl Broker {
    /// A partition now follows `leader`: its fetcher takes it into its next fetch, and fetches at
    /// once if it is idle.
    pub(super) fn start_fetching(&mut self, ctx: &mut Ctx, leader: BrokerId) {
        let f = self.fetchers.get_or_insert_with(leader, Fetcher::default);
        if !f.in_flight {
            self.send_fetch(ctx, leader);
        }
    }

    /// Sends the fetcher's next fetch to `leader`: every partition followed there and not backing
    /// off, as a session diff. With none to fetch the fetcher idles (until one is added, or the
    /// earliest backoff ends).
    fn send_fetch(&mut self, ctx: &mut Ctx, leader: BrokerId) {
        let now = ctx.now;
        let Some(node) = self.cluster.broker_node(leader) else { return };
        let mut want = Vec::new();
        let f = self.fetchers.get_or_insert_with(leader, Fetcher::default);
        f.delayed.retain(|_, until| *until > now);
        for (&tp, r) in self.replicas.iter() {
            if r.role == (Role::Follower { leader }) && !f.delayed.contains_key(&tp) {
                let (offset, last_epoch) = r.fetch_request();
                want.push(FetchPart { tp, epoch: r.epoch, offset, last_epoch });
            }
        }
        f.generation += 1;
        f.in_flight = false;
        if want.is_empty() {
            f.session.reset();
            if let Some(&until) = f.delayed.values().min() {
                ctx.set_timer(until - now, KafkaTimer::FetchBackoff { leader, generation: f.generation });
            }
            return;
        }
        f.in_flight = true;
        let request = f.session.build(want, f.generation);
        send(ctx, node, KafkaMsg::ReplicaFetch(Box::new(request)));
        self.fetch_timeouts.set(ctx, leader, REQUEST_TIMEOUT, KafkaTimer::FetchTimeout);
    }

    pub(super) fn on_fetch_response(&mut self, ctx: &mut Ctx, from: BrokerId, response: SessionFetchResponse) {
        let Some(f) = self.fetchers.get_mut(&from) else { return };
        if !f.in_flight || f.generation != response.generation {
            return; // an answer to a fetch we have given up on
        }
        let Ok(parts) = response.result else {
            // FETCH_SESSION_ID_NOT_FOUND / INVALID_FETCH_SESSION_EPOCH: a new session after a backoff.
            f.session.handle_response(response.session, false);
            return self.fetch_after_backoff(ctx, from);
        };
        self.fetch_timeouts.remove(from);
        for (tp, r) in parts {
            self.apply_fetched(ctx, from, tp, r);
        }
        if let Some(f) = self.fetchers.get_mut(&from) {
            f.session.handle_response(response.session, true);
        }
        self.send_fetch(ctx, from);
    }

    /// One partition's part of the leader's answer, taken only if the partition is still where
    /// the fetch found it — same leader, leader epoch and fetch offset (as `AbstractFetcherThread`
    /// checks; a new LeaderAndIsr or a truncation since makes it stale).
    fn apply_fetched(&mut self, ctx: &mut Ctx, leader: BrokerId, tp: Tp, response: FetchResponse) {
        let me = self.id;
        let Some(r) = self.replicas.get_mut(&tp) else { return };
        let (offset, last_epoch) = r.fetch_request();
        let now = FetchPart { tp, epoch: r.epoch, offset, last_epoch };
        let read_at = self.fetchers.get(&leader).and_then(|f| f.session.sent(tp));
        if r.role != (Role::Follower { leader }) || read_at != Some(&now) {
            return;
        }
        let hw_before = r.log.hw();
        let truncated = r.handle_fetch_response(&response);
        if truncated {
            let to = r.log.leo();
            emit(
                ctx,
                match response {
                    FetchResponse::OutOfRange { .. } => KafkaEvent::FetchOutOfRange { tp, broker: me, to },
                    _ => KafkaEvent::Truncated { tp, broker: me, to },
                },
            );
        }
        let hw_moved = r.log.hw() != hw_before;
        if hw_moved {
            emit(ctx, KafkaEvent::HighWatermark { tp, broker: me, hw: r.log.hw() });
        }
        // The leader may have moved (LeaderAndIsr will say): this partition backs off.
        if let FetchResponse::Error(_) = response {
            let until = ctx.now + REPLICA_FETCH_BACKOFF;
            self.fetchers.get_or_insert_with(leader, Fetcher::default).delayed.insert(tp, until);
        }
        // Consumers waiting here on their preferred read replica read up to the new HW
        // (`ReplicaFetcherThread.completeDelayedFetchRequests`).
        if hw_moved {
            self.wake_consumers(ctx, tp);
        }
    }

    /// Gives up the fetch in flight to `leader`, starts a new session and fetches again after
    /// `replica.fetch.backoff.ms`.
    fn fetch_after_backoff(&mut self, ctx: &mut Ctx, leader: BrokerId) {
        self.fetch_timeouts.remove(leader);
        let f = self.fetchers.get_or_insert_with(leader, Fetcher::default);
        f.session.reset();
        f.in_flight = false;
        f.generation += 1;
        ctx.set_timer(REPLICA_FETCH_BACKOFF, KafkaTimer::FetchBackoff { leader, generation: f.generation });
    }

    /// The connection to broker `leader` was reset: its fetcher backs off and fetches again (until
    /// the controller names new leaders).
    pub(super) fn leader_lost(&mut self, ctx: &mut Ctx, leader: BrokerId) {
        if self.fetchers.get(&leader).is_some_and(|f| f.in_flight) {
            self.fetch_after_backoff(ctx, leader);
        }
    }

    /// Backed off: fetch again if nothing newer went out.
    pub(super) fn fetch_backoff_over(&mut self, ctx: &mut Ctx, leader: BrokerId, generation: u64) {
        if self.fetchers.get(&leader).is_some_and(|f| f.generation == generation && !f.in_flight) {
            self.send_fetch(ctx, leader);
        }
    }

    /// No answer in `request.timeout.ms`: a new session, at once.
    pub(super) fn fetch_timeouts_expired(&mut self, ctx: &mut Ctx) {
        for leader in self.fetch_timeouts.expired(ctx, KafkaTimer::FetchTimeout) {
            if let Some(f) = self.fetchers.get_mut(&leader) {
                f.session.reset();
            }
            self.send_fetch(ctx, leader);
        }
    }

    /// The process died: fetchers forget their sessions and stop (the generations go on, so an
    /// answer from before is never taken for a new one).
    pub(super) fn fetchers_crash(&mut self) {
        for f in self.fetchers.values_mut() {
            f.session.reset();
            f.in_flight = false;
            f.delayed.clear();
        }
        self.fetch_timeouts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{broker, replies, Harness, TP};
    use super::*;
    use crate::kafka::fetch_session::{SessionError, SessionFetch};
    use crate::kafka::log::Record;
    use crate::kafka::partition::Error;
    use crate::NodeId;

    const LEADER: NodeId = NodeId(2);
    const TP1: Tp = Tp { topic: 0, partition: 1 };

    /// The replica fetches to the leader in `sent`.
    fn fetches(sent: &[(NodeId, KafkaMsg)]) -> Vec<SessionFetch> {
        replies(sent, LEADER, |m| match m {
            KafkaMsg::ReplicaFetch(f) => Some((**f).clone()),
            _ => None,
        })
    }

    /// A fetch as (session, epoch, [(partition, offset)], generation).
    type Shape = (u32, u32, Vec<(u16, u64)>, u64);

    fn shapes(sent: &[(NodeId, KafkaMsg)]) -> Vec<Shape> {
        let parts = |f: &SessionFetch| f.parts.iter().map(|p| (p.tp.partition, p.offset)).collect();
        fetches(sent).iter().map(|f| (f.session, f.epoch, parts(f), f.generation)).collect()
    }

    fn records(offsets: std::ops::Range<u64>, hw: u64) -> FetchResponse {
        let record = |offset| Record {
            offset,
            epoch: 0,
            key: None,
            value: offset,
            timestamp: Time::ZERO,
            producer: 0,
            producer_epoch: 0,
            seq: 0,
            batch_start: true,
            size: 100,
            kind: Default::default(),
        };
        let leader_leo = offsets.end;
        FetchResponse::Records { records: offsets.map(record).collect(), hw, leader_leo }
    }

    fn answer(parts: Vec<(Tp, FetchResponse)>, generation: u64) -> KafkaMsg {
        KafkaMsg::ReplicaFetchResponse(Box::new(SessionFetchResponse { session: 9, result: Ok(parts), generation }))
    }

    #[test]
    fn one_fetch_per_leader_covers_its_partitions_then_lists_only_what_moved() {
        let mut h = Harness::default();
        let mut b = broker(1);
        let states = vec![
            super::super::testkit::view(TP, Some(2), 0, vec![1, 2, 3]),
            super::super::testkit::view(TP1, Some(2), 0, vec![1, 2, 3]),
        ];
        h.message(&mut b, NodeId(3), KafkaMsg::LeaderAndIsr { controller_epoch: 1, request: 0, states });
        let first = h.take();
        // One full fetch for both partitions (the LeaderAndIsr is applied whole first).
        assert_eq!(shapes(&first.sent), vec![(0, 0, vec![(0, 0), (1, 0)], 1)]);
        assert_eq!(first.timers, vec![(REQUEST_TIMEOUT, KafkaTimer::FetchTimeout)]);
        h.message(&mut b, LEADER, answer(vec![(TP, records(0..3, 2))], 1));
        let second = h.take();
        // Session 9, epoch 1: only TP moved.
        assert_eq!(shapes(&second.sent), vec![(9, 1, vec![(0, 3)], 2)]);
        assert_eq!(second.events, vec![KafkaEvent::HighWatermark { tp: TP, broker: 1, hw: 2 }]);
        assert_eq!(b.replicas[&TP].log.leo(), 3);
        // An answer with nothing new for TP1: the next fetch lists only TP, which moved.
        h.message(&mut b, LEADER, answer(vec![(TP, records(3..4, 3))], 2));
        assert_eq!(shapes(&h.take().sent), vec![(9, 2, vec![(0, 4)], 3)]);
        // A new leader epoch while the fetch is out: its answer for TP is stale and ignored, and
        // the next fetch lists TP in the new epoch.
        let states = vec![super::super::testkit::view(TP, Some(2), 1, vec![1, 2, 3])];
        h.message(&mut b, NodeId(3), KafkaMsg::LeaderAndIsr { controller_epoch: 1, request: 0, states });
        assert!(fetches(&h.take().sent).is_empty(), "the fetch in flight covers it: no second fetch");
        h.message(&mut b, LEADER, answer(vec![(TP, FetchResponse::Error(Error::FencedLeaderEpoch))], 3));
        let next = fetches(&h.take().sent);
        assert_eq!(next[0].parts, vec![FetchPart { tp: TP, epoch: 1, offset: 4, last_epoch: Some(0) }]);
    }

    #[test]
    fn a_partition_in_error_backs_off_alone_and_a_late_answer_changes_nothing() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.follow(&mut b, TP, 2, 0);
        h.follow(&mut b, TP1, 2, 0);
        h.message(&mut b, LEADER, answer(vec![(TP, FetchResponse::Error(Error::NotLeaderOrFollower))], 1));
        let next = h.take();
        assert_eq!(shapes(&next.sent), vec![(9, 1, vec![(1, 0)], 2)], "TP1 goes on; TP waits");
        assert_eq!(fetches(&next.sent)[0].forget, vec![TP]);
        // A late answer to fetch 1 changes nothing.
        h.message(&mut b, LEADER, answer(vec![(TP1, records(0..3, 3))], 1));
        assert_eq!(b.replicas[&TP1].log.leo(), 0);
        // After the backoff, TP is in the fetch again.
        h.now = REPLICA_FETCH_BACKOFF;
        h.message(&mut b, LEADER, answer(vec![], 2));
        assert_eq!(shapes(&h.take().sent), vec![(9, 2, vec![(0, 0)], 3)]);
    }

    #[test]
    fn a_session_error_backs_off_and_starts_a_new_session() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.follow(&mut b, TP, 2, 0);
        let refused = SessionFetchResponse { session: 0, result: Err(SessionError::SessionIdNotFound), generation: 1 };
        h.message(&mut b, LEADER, KafkaMsg::ReplicaFetchResponse(Box::new(refused)));
        let backoff = h.take();
        assert!(backoff.sent.is_empty());
        let generation = 2;
        assert_eq!(backoff.timers, vec![(REPLICA_FETCH_BACKOFF, KafkaTimer::FetchBackoff { leader: 2, generation })]);
        // An older backoff finds a newer generation: nothing; the current one fetches, in full.
        h.timer(&mut b, KafkaTimer::FetchBackoff { leader: 2, generation: 1 });
        assert!(h.take().sent.is_empty());
        h.timer(&mut b, KafkaTimer::FetchBackoff { leader: 2, generation });
        assert_eq!(shapes(&h.take().sent), vec![(0, 0, vec![(0, 0)], 3)]);
    }

    #[test]
    fn losing_the_leaders_connection_backs_off_only_its_fetcher() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.follow(&mut b, TP, 2, 0);
        h.follow(&mut b, TP1, 3, 0);
        h.on(&mut b, |b, ctx| b.on_disconnect(ctx, LEADER));
        let e = h.take();
        assert_eq!(e.timers, vec![(REPLICA_FETCH_BACKOFF, KafkaTimer::FetchBackoff { leader: 2, generation: 2 })]);
    }

    #[test]
    fn out_of_range_below_the_leaders_log_start_empties_the_log_and_fetches_from_there() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.follow(&mut b, TP, 2, 0);
        h.message(&mut b, LEADER, answer(vec![(TP, records(0..3, 3))], 1));
        h.take();
        h.message(&mut b, LEADER, answer(vec![(TP, FetchResponse::OutOfRange { log_start: 20, leo: 25 })], 2));
        let e = h.take();
        let reset = KafkaEvent::FetchOutOfRange { tp: TP, broker: 1, to: 20 };
        assert_eq!(e.events, vec![reset, KafkaEvent::HighWatermark { tp: TP, broker: 1, hw: 20 }]);
        assert_eq!(shapes(&e.sent), vec![(9, 2, vec![(0, 20)], 3)]);
        assert_eq!((b.replicas[&TP].log.log_start(), b.replicas[&TP].log.leo()), (20, 20));
    }

    #[test]
    fn an_unanswered_fetch_is_sent_again_in_full_after_the_request_timeout() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.follow(&mut b, TP, 2, 0);
        h.message(&mut b, LEADER, answer(vec![], 1));
        h.take();
        h.now = REQUEST_TIMEOUT;
        h.timer(&mut b, KafkaTimer::FetchTimeout);
        assert_eq!(shapes(&h.take().sent), vec![(0, 0, vec![(0, 0)], 3)]);
    }
}
