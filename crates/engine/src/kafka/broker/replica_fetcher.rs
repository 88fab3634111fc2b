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
            emit(ctx, KafkaEvent::Truncated { tp, broker: me, to: r.log.leo() });
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
