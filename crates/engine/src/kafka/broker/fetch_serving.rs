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
            &Parked::Consumer { from, offset, generation, read_committed } => {
                if offset < r.log.log_start() || offset > r.log.leo() {
                    let result = Err(Error::OffsetOutOfRange);
                    return send(ctx, from, KafkaMsg::FetchResponse { tp, result, generation, aborted: vec![] });
                }
                // read_committed reads up to the last stable offset, with the aborted
                // transactions among what it reads (`UnifiedLog.read` with FetchTxnCommitted).
                let hw = r.log.hw();
                let end = if read_committed { r.last_stable_offset() } else { hw };
                let records = r.log.slice(offset, end);
                let aborted = if read_committed { r.txns.aborted_in(offset, end) } else { vec![] };
                if records.is_empty() && !waking {
                    self.park(ctx, tp, p.clone(), FETCH_MAX_WAIT);
                } else {
                    send(ctx, from, KafkaMsg::FetchResponse { tp, result: Ok((records, hw)), generation, aborted });
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
                send(ctx, from, KafkaMsg::FetchResponse { tp, result: Err(e), generation, aborted: vec![] })
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

#[cfg(test)]
mod tests {
    use super::super::testkit::{broker, replies, Harness, CLIENT, TP};
    use super::*;
    use crate::kafka::msg::KafkaEvent;
    use crate::kafka::partition::Acks;
    use crate::NodeId;

    fn consumer_fetch(offset: u64, generation: u64) -> KafkaMsg {
        KafkaMsg::Fetch { tp: TP, offset, generation, read_committed: false }
    }

    /// The consumer's fetch answers in `sent`: the values read, or the error.
    fn answers(sent: &[(NodeId, KafkaMsg)]) -> Vec<Result<Vec<u64>, Error>> {
        replies(sent, CLIENT, |m| match m {
            KafkaMsg::FetchResponse { result, .. } => {
                Some(result.clone().map(|(r, _)| r.iter().map(|r| r.value).collect()))
            }
            _ => None,
        })
    }

    /// Broker 1 leads `TP` alone, and a consumer's fetch from its empty log waits: with the
    /// timer that ends the wait.
    fn parked_consumer() -> (Harness, Broker, KafkaTimer) {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1]);
        h.message(&mut b, CLIENT, consumer_fetch(0, 1));
        let parked = h.take();
        assert!(answers(&parked.sent).is_empty(), "nothing to read: it waits");
        let [(wait, timer @ KafkaTimer::Park { .. })] = parked.timers[..] else { panic!("{:?}", parked.timers) };
        assert_eq!(wait, FETCH_MAX_WAIT);
        (h, b, timer)
    }

    #[test]
    fn a_parked_fetch_is_answered_once_by_new_data_and_not_again_by_its_timer() {
        let (mut h, mut b, timer) = parked_consumer();
        // A record (the ISR is this broker alone, so the HW passes it at once): the fetch is answered.
        h.produce(&mut b, TP, Acks::Leader, &[(None, 42)]);
        assert_eq!(answers(&h.take().sent), vec![Ok(vec![42])]);
        assert!(b.parked().is_empty());
        // Its timer finds it gone.
        h.timer(&mut b, timer);
        assert!(h.take().sent.is_empty());
    }

    #[test]
    fn a_parked_fetch_whose_wait_is_over_is_answered_empty() {
        let (mut h, mut b, timer) = parked_consumer();
        h.timer(&mut b, timer);
        assert_eq!(answers(&h.take().sent), vec![Ok(vec![])]);
    }

    #[test]
    fn a_follower_waits_for_new_data_and_a_consumer_for_the_hw() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1, 2]);
        let follower = NodeId(2);
        let fetch = |offset| KafkaMsg::ReplicaFetch { tp: TP, epoch: 0, offset, last_epoch: None, generation: 1 };
        h.message(&mut b, follower, fetch(0));
        h.message(&mut b, CLIENT, consumer_fetch(0, 1));
        assert_eq!(b.parked().len(), 2);
        h.take();
        // acks=1: appended, but not below the HW until follower 2 has it.
        h.produce(&mut b, TP, Acks::Leader, &[(None, 5)]);
        let appended = h.take();
        let to_follower = appended.sent.iter().filter(|(to, m)| {
            *to == follower && matches!(m, KafkaMsg::ReplicaFetchResponse { response: FetchResponse::Records { records, .. }, .. } if records.len() == 1)
        });
        assert_eq!(to_follower.count(), 1, "the follower gets the new record at once");
        assert!(answers(&appended.sent).is_empty(), "the consumer waits for the HW");
        // The follower's next fetch moves the HW: the consumer is answered.
        h.message(&mut b, follower, fetch(1));
        let moved = h.take();
        assert!(moved.events.contains(&KafkaEvent::HighWatermark { tp: TP, broker: 1, hw: 1 }));
        assert_eq!(answers(&moved.sent), vec![Ok(vec![5])]);
    }

    #[test]
    fn fetches_outside_the_log_or_from_a_non_leader_are_refused() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.message(&mut b, CLIENT, consumer_fetch(0, 1));
        assert_eq!(answers(&h.take().sent), vec![Err(Error::NotLeaderOrFollower)]);
        h.lead(&mut b, TP, 0, vec![1]);
        h.message(&mut b, CLIENT, consumer_fetch(3, 1));
        assert_eq!(answers(&h.take().sent), vec![Err(Error::OffsetOutOfRange)]);
    }
}
