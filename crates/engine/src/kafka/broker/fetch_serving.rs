//! A leader serving fetches: a follower's (which also moves its ISR state and the HW) and a
//! consumer's (which reads only below the HW). A fetch that finds nothing to send waits in the
//! purgatory (`purgatory::Purgatory`, Kafka's `DelayedFetch`) until new data, a new HW or a change
//! of leadership completes it — or its own timer does — and is answered exactly once.

use super::Broker;
use crate::kafka::clients::send;
use crate::kafka::cluster::{FETCH_MAX_WAIT, REPLICA_FETCH_WAIT_MAX};
use crate::kafka::msg::{KafkaMsg, Tp};
use crate::kafka::partition::{Error, FetchResponse};
use crate::kafka::purgatory::Parked;
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;

impl Broker {
    /// Serves a follower's or consumer's fetch now, or parks it until there is something to send
    /// (Kafka's delayed fetch: `replica.fetch.wait.max.ms` / `fetch.max.wait.ms`, 500 ms).
    /// `waking`: its wait is over, so it is answered even with nothing.
    pub(super) fn serve_fetch(&mut self, ctx: &mut Ctx, tp: Tp, p: Parked, waking: bool) {
        let now = ctx.now;
        let Some(r) = self.replicas.get_mut(&tp) else {
            return self.reply_fetch_error(ctx, tp, &p, Error::NotLeaderOrFollower);
        };
        if !r.is_leader() {
            return self.reply_fetch_error(ctx, tp, &p, Error::NotLeaderOrFollower);
        }
        match &p {
            Parked::Replica { from, follower, epoch, offset, last_epoch, generation } => {
                let hw_before = r.log.hw();
                let (response, change) = r.handle_fetch(*follower, *epoch, *offset, *last_epoch, now);
                let (from, generation) = (*from, *generation);
                let empty = matches!(&response, FetchResponse::Records { records, .. } if records.is_empty());
                if let Some(change) = change {
                    self.propose_isr(ctx, tp, change.isr);
                }
                self.after_leader_change(ctx, tp, hw_before);
                if empty && !waking {
                    self.park(ctx, tp, p.clone(), REPLICA_FETCH_WAIT_MAX);
                } else {
                    send(ctx, from, KafkaMsg::ReplicaFetchResponse { tp, response, generation });
                }
            }
            Parked::Consumer { from, offset, generation } => {
                if *offset < r.log.log_start() || *offset > r.log.leo() {
                    let (from, generation) = (*from, *generation);
                    let result = Err(Error::OffsetOutOfRange);
                    return send(ctx, from, KafkaMsg::FetchResponse { tp, result, generation });
                }
                let records = r.log.slice(*offset, r.log.hw());
                let hw = r.log.hw();
                if records.is_empty() && !waking {
                    self.park(ctx, tp, p.clone(), FETCH_MAX_WAIT);
                } else {
                    send(
                        ctx,
                        *from,
                        KafkaMsg::FetchResponse { tp, result: Ok((records, hw)), generation: *generation },
                    );
                }
            }
        }
    }

    fn reply_fetch_error(&mut self, ctx: &mut Ctx, tp: Tp, p: &Parked, e: Error) {
        match *p {
            Parked::Replica { from, generation, .. } => {
                send(ctx, from, KafkaMsg::ReplicaFetchResponse { tp, response: FetchResponse::Error(e), generation })
            }
            Parked::Consumer { from, generation, .. } => {
                send(ctx, from, KafkaMsg::FetchResponse { tp, result: Err(e), generation })
            }
        }
    }

    fn park(&mut self, ctx: &mut Ctx, tp: Tp, p: Parked, wait: Time) {
        let id = self.parked.park(tp, p);
        ctx.set_timer(wait, KafkaTimer::Park { tp, id });
    }

    /// A parked fetch's wait is over, unless data or a leader change completed it already.
    pub(super) fn park_expired(&mut self, ctx: &mut Ctx, tp: Tp, id: u32) {
        if let Some(p) = self.parked.expire(tp, id) {
            self.serve_fetch(ctx, tp, p, true);
        }
    }

    /// Completes the parked fetches on `tp` that `pick` selects (new data, a new HW, or — all of
    /// them — a change of leadership): each is answered now, and its timer will find it gone.
    pub(super) fn wake_where(&mut self, ctx: &mut Ctx, tp: Tp, pick: impl Fn(&Parked) -> bool) {
        for p in self.parked.take(tp, pick) {
            self.serve_fetch(ctx, tp, p, true);
        }
    }

    pub(super) fn wake_consumers(&mut self, ctx: &mut Ctx, tp: Tp) {
        self.wake_where(ctx, tp, |p| matches!(p, Parked::Consumer { .. }));
    }
}
