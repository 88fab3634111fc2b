//! The produce purgatory (Kafka's `DelayedProduce`): an acks=all produce that the ISR has not yet
//! replicated waits at the leader until its records are below the HW, the leadership changes, or
//! its request's `timeoutMs` runs out — the producer's `request.timeout.ms` — whichever comes
//! first. A timed-out produce is answered REQUEST_TIMED_OUT (a retriable error: the producer tries
//! again) and leaves the partition's waiting list, so a HW reached later answers it no more.
//!
//! The deadlines are kept behind one timer per broker (`Deadlines`), not one per request.

use super::Broker;
use crate::kafka::msg::Tp;
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;

impl Broker {
    /// Request `req` on `tp` waits for replication up to `timeout`.
    pub(super) fn park_produce(&mut self, ctx: &mut Ctx, tp: Tp, req: u64, timeout: Time) {
        self.produce_deadlines.set(ctx, (tp, req), timeout, KafkaTimer::ProduceTimeout);
    }

    /// The deadlines timer fired: the produces still waiting past their timeout are answered
    /// REQUEST_TIMED_OUT, as `DelayedProduce.onExpiration` answers them.
    pub(super) fn produce_timeouts_expired(&mut self, ctx: &mut Ctx) {
        for (tp, req) in self.produce_deadlines.expired(ctx, KafkaTimer::ProduceTimeout) {
            self.waiting_timed_out(ctx, tp, req);
        }
    }

    /// How many acks=all produces and offset commits wait for replication (for the invariants).
    pub fn produces_waiting(&self) -> usize {
        self.produce_waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{broker, produce_answers, Harness, TP};
    use crate::kafka::cluster::REQUEST_TIMEOUT;
    use crate::kafka::partition::{Acks, Error};
    use crate::kafka::KafkaTimer;
    use crate::time::Time;

    #[test]
    fn an_acks_all_produce_the_isr_never_replicates_times_out_once() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1, 2]);
        h.produce(&mut b, TP, Acks::All, &[(None, 1)]);
        let parked = h.take();
        assert!(produce_answers(&parked.sent).is_empty(), "it waits for broker 2");
        assert_eq!(parked.timers, [(REQUEST_TIMEOUT, KafkaTimer::ProduceTimeout)], "one timer per broker");
        assert_eq!(b.produces_waiting(), 1);
        // Broker 2 never fetches: after the request's timeout the leader gives up on it.
        h.now = REQUEST_TIMEOUT;
        h.timer(&mut b, KafkaTimer::ProduceTimeout);
        assert_eq!(produce_answers(&h.take().sent), [Err(Error::RequestTimedOut)]);
        assert_eq!(b.produces_waiting(), 0, "the waiter is gone");
        // Broker 2 catches up later: the HW passes the record, but the request is not answered again.
        h.now = REQUEST_TIMEOUT + Time::secs(1);
        let fetch = super::super::testkit::full_fetch(TP, 1, Some(0), 1);
        h.message(&mut b, crate::NodeId(2), fetch);
        assert_eq!(b.replicas[&TP].log.hw(), 1);
        assert!(produce_answers(&h.take().sent).is_empty(), "answered exactly once");
    }

    #[test]
    fn a_produce_answered_in_time_leaves_no_deadline_behind() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1]);
        h.produce(&mut b, TP, Acks::All, &[(None, 1)]);
        let done = h.take();
        assert_eq!(produce_answers(&done.sent), [Ok(0)], "a one-replica ISR answers at once");
        assert!(done.timers.is_empty());
        assert!(b.produce_deadlines.is_empty());
    }
}
