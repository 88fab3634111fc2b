//! A Produce request at the leader: the batch of each partition it carries is appended in turn,
//! each as before (`replica_manager::append`: its checks, its acks, its wait for the ISR), and the
//! request is answered once, when every partition has its answer — as one `DelayedProduce`
//! covers all the partitions of a request (`ReplicaManager.appendRecords`). Each partition's
//! answer is its own: one may be refused (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, an
//! out-of-order sequence) while another is written. acks=0 is never answered.

use super::replica_manager::Waiter;
use super::Broker;
use crate::kafka::clients::send;
use crate::kafka::msg::{KafkaMsg, Tp};
use crate::kafka::partition::{Acks, Error};
use crate::kafka::request::{PendingProduce, ProduceBatch};
use crate::kafka::Ctx;
use crate::time::Time;
use crate::NodeId;

/// A Produce request's settings, shared by its batches.
pub(super) struct ProduceHeader {
    pub id: u64,
    pub acks: Acks,
    pub transactional: bool,
    pub size: u32,
    pub timeout: Time,
}

impl Broker {
    pub(super) fn on_produce(&mut self, ctx: &mut Ctx, from: NodeId, h: ProduceHeader, batches: Vec<ProduceBatch>) {
        if h.acks != Acks::None {
            self.produce_requests.insert((from, h.id), PendingProduce::new(batches.iter().map(|b| b.tp)));
        }
        for b in batches {
            let waiter = Waiter::Produce { client: from, id: h.id, timeout: h.timeout };
            self.append(ctx, b.tp, h.acks, (b.producer, h.size, h.transactional), &b.records, waiter);
        }
    }

    /// One partition of request `id` from `client` has its answer: the request is answered once
    /// it is the last.
    pub(super) fn produce_answered(
        &mut self,
        ctx: &mut Ctx,
        client: NodeId,
        id: u64,
        tp: Tp,
        result: Result<u64, Error>,
    ) {
        let Some(pending) = self.produce_requests.get_mut(&(client, id)) else { return };
        if pending.answer(tp, result) {
            let results = self.produce_requests.remove(&(client, id)).expect("just found").into_results();
            send(ctx, client, KafkaMsg::ProduceResponse { id, results });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{broker, produce_answers, Harness, CLIENT, TP};
    use super::*;
    use crate::kafka::cluster::REQUEST_TIMEOUT;
    use crate::kafka::KafkaTimer;

    const TP1: Tp = Tp { topic: 0, partition: 1 };

    fn request(acks: Acks) -> KafkaMsg {
        let batch = |tp, value| ProduceBatch { tp, producer: None, records: vec![(None, value)] };
        let batches = vec![batch(TP, 1), batch(TP1, 2)];
        KafkaMsg::Produce { id: 4, acks, batches, transactional: false, size: 100, timeout: REQUEST_TIMEOUT }
    }

    /// All the answers to the client in `sent`: each request's per-partition results.
    fn responses(sent: &[(NodeId, KafkaMsg)]) -> Vec<Vec<(Tp, Result<u64, Error>)>> {
        super::super::testkit::replies(sent, CLIENT, |m| match m {
            KafkaMsg::ProduceResponse { results, .. } => Some(results.clone()),
            _ => None,
        })
    }

    #[test]
    fn a_request_is_answered_once_with_each_partitions_own_result() {
        let mut h = Harness::default();
        let mut b = broker(1);
        // Broker 1 leads TP with a follower, and not TP1.
        h.lead(&mut b, TP, 0, vec![1, 2]);
        h.message(&mut b, CLIENT, request(Acks::All));
        assert!(responses(&h.take().sent).is_empty(), "TP waits for broker 2; TP1's refusal waits with it");
        let fetch = super::super::testkit::full_fetch(TP, 1, Some(0), 1);
        h.message(&mut b, NodeId(2), fetch);
        assert_eq!(responses(&h.take().sent), vec![vec![(TP, Ok(0)), (TP1, Err(Error::NotLeaderOrFollower))]]);
        assert!(b.produce_requests.is_empty());
    }

    #[test]
    fn partitions_still_waiting_when_the_request_times_out_are_answered_request_timed_out() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1, 2]);
        h.lead(&mut b, TP1, 0, vec![1]);
        h.message(&mut b, CLIENT, request(Acks::All));
        assert!(produce_answers(&h.take().sent).is_empty());
        h.now = REQUEST_TIMEOUT;
        h.timer(&mut b, KafkaTimer::ProduceTimeout);
        assert_eq!(responses(&h.take().sent), vec![vec![(TP, Err(Error::RequestTimedOut)), (TP1, Ok(0))]]);
    }

    #[test]
    fn acks_zero_is_appended_and_never_answered() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1]);
        h.lead(&mut b, TP1, 0, vec![1]);
        h.message(&mut b, CLIENT, request(Acks::None));
        assert!(h.take().sent.is_empty());
        assert_eq!((b.replicas[&TP].log.leo(), b.replicas[&TP1].log.leo()), (1, 1));
        assert!(b.produce_requests.is_empty());
    }
}
