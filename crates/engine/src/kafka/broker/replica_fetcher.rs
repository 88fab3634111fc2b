//! The follower side (Kafka's `ReplicaFetcherThread`): one fetch at a time per partition from its
//! leader, sent again as soon as the answer is applied; after an error or a reset connection it
//! backs off `replica.fetch.backoff.ms`, and a fetch unanswered in `request.timeout.ms` is sent
//! again. Each fetch carries a generation, so the answer to a fetch given up on is ignored.

use super::Broker;
use crate::kafka::clients::{emit, send};
use crate::kafka::cluster::{REPLICA_FETCH_BACKOFF, REQUEST_TIMEOUT};
use crate::kafka::msg::{KafkaEvent, KafkaMsg, Tp};
use crate::kafka::partition::{BrokerId, FetchResponse, Role};
use crate::kafka::{Ctx, KafkaTimer};

impl Broker {
    pub(super) fn send_fetch(&mut self, ctx: &mut Ctx, tp: Tp) {
        let Some(r) = self.replicas.get(&tp) else { return };
        let Role::Follower { leader } = r.role else { return };
        let Some(node) = self.cluster.broker_node(leader) else { return };
        let (offset, last_epoch) = r.fetch_request();
        let epoch = r.epoch;
        let generation = {
            let g = self.fetch_gen.get_or_insert_with(tp, || 0);
            *g += 1;
            *g
        };
        send(ctx, node, KafkaMsg::ReplicaFetch { tp, epoch, offset, last_epoch, generation });
        self.fetch_timeouts.set(ctx, tp, REQUEST_TIMEOUT, KafkaTimer::FetchTimeout);
    }

    pub(super) fn on_fetch_response(&mut self, ctx: &mut Ctx, tp: Tp, response: FetchResponse, generation: u64) {
        if self.fetch_gen.get(&tp) != Some(&generation) {
            return; // an answer to a fetch we have given up on
        }
        let me = self.id;
        let Some(r) = self.replicas.get_mut(&tp) else { return };
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
        if r.log.hw() != hw_before {
            emit(ctx, KafkaEvent::HighWatermark { tp, broker: me, hw: r.log.hw() });
        }
        match response {
            // The leader may have moved (LeaderAndIsr will say): back off, then fetch again.
            FetchResponse::Error(_) => self.fetch_after_backoff(ctx, tp),
            _ => {
                self.fetch_timeouts.remove(tp);
                self.send_fetch(ctx, tp)
            }
        }
    }

    /// Gives up the fetch in flight on `tp` and fetches again after `replica.fetch.backoff.ms`.
    fn fetch_after_backoff(&mut self, ctx: &mut Ctx, tp: Tp) {
        self.fetch_timeouts.remove(tp);
        let g = self.fetch_gen.get_or_insert_with(tp, || 0);
        *g += 1;
        ctx.set_timer(REPLICA_FETCH_BACKOFF, KafkaTimer::FetchBackoff { tp, generation: *g });
    }

    /// The connection to broker `leader` was reset: a follower whose leader's process died backs
    /// off and fetches again (until the controller names a new leader).
    pub(super) fn leader_lost(&mut self, ctx: &mut Ctx, leader: BrokerId) {
        let tps: Vec<Tp> =
            self.replicas.iter().filter(|(_, r)| r.role == Role::Follower { leader }).map(|(&tp, _)| tp).collect();
        for tp in tps {
            self.fetch_after_backoff(ctx, tp);
        }
    }

    /// Backed off after an error: fetch again if nothing newer went out.
    pub(super) fn fetch_backoff_over(&mut self, ctx: &mut Ctx, tp: Tp, generation: u64) {
        if self.fetch_gen.get(&tp).copied().unwrap_or(0) == generation {
            self.send_fetch(ctx, tp);
        }
    }

    /// No answer in `request.timeout.ms`: fetch again.
    pub(super) fn fetch_timeouts_expired(&mut self, ctx: &mut Ctx) {
        for tp in self.fetch_timeouts.expired(ctx, KafkaTimer::FetchTimeout) {
            self.send_fetch(ctx, tp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{broker, replies, Harness, TP};
    use super::*;
    use crate::kafka::log::Record;
    use crate::kafka::partition::Error;
    use crate::time::Time;
    use crate::NodeId;

    const LEADER: NodeId = NodeId(2);

    /// The replica fetches to the leader in `sent`: their offsets and generations.
    fn fetches(sent: &[(NodeId, KafkaMsg)]) -> Vec<(u64, u64)> {
        replies(sent, LEADER, |m| match *m {
            KafkaMsg::ReplicaFetch { offset, generation, .. } => Some((offset, generation)),
            _ => None,
        })
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

    fn answer(response: FetchResponse, generation: u64) -> KafkaMsg {
        KafkaMsg::ReplicaFetchResponse { tp: TP, response, generation }
    }

    #[test]
    fn a_follower_fetches_again_from_where_each_answer_left_it() {
        let mut h = Harness::default();
        let mut b = broker(1);
        let states = vec![super::super::testkit::view(TP, Some(2), 0, vec![1, 2, 3])];
        h.message(&mut b, NodeId(3), KafkaMsg::LeaderAndIsr { controller_epoch: 1, request: 0, states });
        let first = h.take();
        assert_eq!(fetches(&first.sent), vec![(0, 1)]);
        assert_eq!(first.timers, vec![(REQUEST_TIMEOUT, KafkaTimer::FetchTimeout)]);
        h.message(&mut b, LEADER, answer(records(0..3, 2), 1));
        let second = h.take();
        assert_eq!(fetches(&second.sent), vec![(3, 2)]);
        assert_eq!(second.events, vec![KafkaEvent::HighWatermark { tp: TP, broker: 1, hw: 2 }]);
        assert_eq!(b.replicas[&TP].log.leo(), 3);
    }

    #[test]
    fn after_an_error_it_backs_off_and_ignores_what_the_abandoned_fetch_brings() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.follow(&mut b, TP, 2, 0);
        h.message(&mut b, LEADER, answer(FetchResponse::Error(Error::NotLeaderOrFollower), 1));
        let backoff = h.take();
        assert!(backoff.sent.is_empty());
        let generation = 2;
        assert_eq!(backoff.timers, vec![(REPLICA_FETCH_BACKOFF, KafkaTimer::FetchBackoff { tp: TP, generation })]);
        // A late answer to fetch 1 changes nothing.
        h.message(&mut b, LEADER, answer(records(0..3, 3), 1));
        assert_eq!(b.replicas[&TP].log.leo(), 0);
        // An older backoff finds a newer fetch generation: nothing; the current one fetches.
        h.timer(&mut b, KafkaTimer::FetchBackoff { tp: TP, generation: 1 });
        assert!(h.take().sent.is_empty());
        h.timer(&mut b, KafkaTimer::FetchBackoff { tp: TP, generation });
        assert_eq!(fetches(&h.take().sent), vec![(0, 3)]);
    }

    #[test]
    fn losing_the_leaders_connection_backs_off_only_its_followers() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.follow(&mut b, TP, 2, 0);
        h.follow(&mut b, Tp { topic: 0, partition: 1 }, 3, 0);
        h.on(&mut b, |b, ctx| b.on_disconnect(ctx, LEADER));
        let e = h.take();
        assert_eq!(e.timers, vec![(REPLICA_FETCH_BACKOFF, KafkaTimer::FetchBackoff { tp: TP, generation: 2 })]);
    }

    #[test]
    fn out_of_range_below_the_leaders_log_start_empties_the_log_and_fetches_from_there() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.follow(&mut b, TP, 2, 0);
        h.message(&mut b, LEADER, answer(records(0..3, 3), 1));
        h.take();
        h.message(&mut b, LEADER, answer(FetchResponse::OutOfRange { log_start: 20, leo: 25 }, 2));
        let e = h.take();
        let reset = KafkaEvent::FetchOutOfRange { tp: TP, broker: 1, to: 20 };
        assert_eq!(e.events, vec![reset, KafkaEvent::HighWatermark { tp: TP, broker: 1, hw: 20 }]);
        assert_eq!(fetches(&e.sent), vec![(20, 3)]);
        assert_eq!((b.replicas[&TP].log.log_start(), b.replicas[&TP].log.leo()), (20, 20));
    }

    #[test]
    fn an_unanswered_fetch_is_sent_again_after_the_request_timeout() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.follow(&mut b, TP, 2, 0);
        h.now = REQUEST_TIMEOUT;
        h.timer(&mut b, KafkaTimer::FetchTimeout);
        assert_eq!(fetches(&h.take().sent), vec![(0, 2)]);
    }
}
