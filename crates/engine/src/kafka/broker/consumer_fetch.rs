//! A broker serving a consumer's fetch: one request covering every partition the consumer reads
//! at this broker — as their leader, or as their preferred read replica (KIP-392; a follower
//! serves up to its own HW) — each read from its position up to the HW (or, for read_committed,
//! the last stable offset), at most `max.partition.fetch.bytes` per partition and
//! `fetch.max.bytes` in all (`ReplicaManager.readFromLog`: the first record always goes). A
//! leader that names a preferred read replica for a partition answers it with no records. A
//! fetch with no records, no error and no read replica anywhere waits in the purgatory
//! (`purgatory::Purgatory`, Kafka's `DelayedFetch`, up to `fetch.max.wait.ms`; `fetch.min.bytes`
//! is 1) until one of its partitions has records below its HW, changes leadership, or its own
//! timer ends the wait; it is answered exactly once.

use super::Broker;
use crate::kafka::clients::send;
use crate::kafka::cluster::FETCH_MAX_WAIT;
use crate::kafka::msg::{KafkaMsg, Tp};
use crate::kafka::partition::Error;
use crate::kafka::purgatory::Parked;
use crate::kafka::request::{within_bytes, FetchPart, FetchedPartition, FETCH_MAX_BYTES, MAX_PARTITION_FETCH_BYTES};
use crate::kafka::{Ctx, KafkaTimer};

/// What a partition of a consumer's fetch would get now, before anything is read.
enum Read {
    Refused(Error),
    /// The leader names a preferred read replica.
    Elsewhere(crate::kafka::partition::BrokerId),
    /// Records from the offset up to this end (the HW or the LSO), possibly none.
    Until(u64),
}

impl Broker {
    /// A consumer's fetch: answered now, or parked until there is something to send.
    pub(super) fn on_consumer_fetch(&mut self, ctx: &mut Ctx, fetch: Parked) {
        if let Some(fetch) = self.serve_fetch(ctx, fetch, false) {
            let id = self.parked.park(fetch);
            ctx.set_timer(FETCH_MAX_WAIT, KafkaTimer::Park { id });
        }
    }

    /// Answers `fetch` with every partition it reads, unless none has records, an error or a
    /// read replica and `force` is false (its wait is not over): then it is handed back,
    /// unanswered, and nothing was read.
    fn serve_fetch(&mut self, ctx: &mut Ctx, fetch: Parked, force: bool) -> Option<Parked> {
        let Parked::Consumer { from, parts, generation, read_committed, rack } = &fetch;
        let news = |b: &Broker, p: &FetchPart| match b.what_to_read(p, *read_committed, *rack, ctx.now) {
            Read::Until(end) => end > p.offset,
            _ => true,
        };
        if !force && !parts.iter().any(|p| news(self, p)) {
            return Some(fetch);
        }
        let mut room = FETCH_MAX_BYTES;
        let mut answers = Vec::with_capacity(parts.len());
        for p in parts {
            let answer = self.read_for_consumer(p, *read_committed, *rack, ctx.now, &mut room);
            answers.push(answer);
        }
        send(ctx, *from, KafkaMsg::FetchResponse { parts: answers, generation: *generation });
        None
    }

    /// Whether this broker serves `p` and how far (`Partition.fetchRecords`'s checks).
    fn what_to_read(
        &self,
        p: &FetchPart,
        read_committed: bool,
        rack: Option<crate::kafka::rack::RackId>,
        now: crate::time::Time,
    ) -> Read {
        // A follower serves a fetch sent to it as a preferred read replica (KIP-392).
        let Some(r) = self.replicas.get(&p.tp).filter(|r| r.is_leader() || (p.to_follower && r.is_follower())) else {
            return Read::Refused(Error::NotLeaderOrFollower);
        };
        if p.offset < r.log.log_start() || p.offset > r.log.leo() {
            return Read::Refused(Error::OffsetOutOfRange);
        }
        if let Some(replica) = self.preferred_read_replica(p.tp, rack, p.offset, now) {
            return Read::Elsewhere(replica);
        }
        // read_committed reads up to the last stable offset (`UnifiedLog.read` with
        // FetchTxnCommitted).
        Read::Until(if read_committed { r.last_stable_offset() } else { r.log.hw() })
    }

    /// One partition of a consumer's fetch within `room` bytes (the answer's first records may
    /// exceed the limits: while `room` is whole, none were taken yet).
    fn read_for_consumer(
        &self,
        p: &FetchPart,
        read_committed: bool,
        rack: Option<crate::kafka::rack::RackId>,
        now: crate::time::Time,
        room: &mut u64,
    ) -> FetchedPartition {
        let tp = p.tp;
        let end = match self.what_to_read(p, read_committed, rack, now) {
            Read::Refused(e) => return FetchedPartition { tp, result: Err(e), aborted: vec![], read_replica: None },
            Read::Elsewhere(b) => {
                return FetchedPartition { tp, result: Ok((vec![], 0)), aborted: vec![], read_replica: Some(b) };
            }
            Read::Until(end) => end,
        };
        let r = &self.replicas[&tp];
        let hw = r.log.hw();
        let mut records = r.log.slice(p.offset, end);
        let all = records.len();
        let first = *room == FETCH_MAX_BYTES;
        *room -= within_bytes(&mut records, MAX_PARTITION_FETCH_BYTES.min(*room), first);
        let end = match records.last() {
            Some(last) if records.len() < all => last.offset + 1,
            _ => end,
        };
        // With the aborted transactions among what it reads.
        let aborted = if read_committed { r.txns.aborted_in(p.offset, end) } else { vec![] };
        FetchedPartition { tp, result: Ok((records, hw)), aborted, read_replica: None }
    }

    /// A parked fetch's wait is over, unless data or a leader change completed it already.
    pub(super) fn park_expired(&mut self, ctx: &mut Ctx, id: u32) {
        if let Some(fetch) = self.parked.expire(id) {
            self.serve_fetch(ctx, fetch, true);
        }
    }

    /// Something changed on `tp` (a new HW, a change of leadership): the parked fetches reading
    /// it that now have something to send are answered; the others wait on.
    pub(super) fn wake_consumers(&mut self, ctx: &mut Ctx, tp: Tp) {
        for (id, fetch) in self.parked.take_covering(tp) {
            if let Some(fetch) = self.serve_fetch(ctx, fetch, false) {
                self.parked.put_back(id, fetch);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{broker, full_fetch, replies, Harness, CLIENT, TP};
    use super::*;
    use crate::kafka::msg::KafkaEvent;
    use crate::kafka::partition::Acks;
    use crate::NodeId;

    const TP1: Tp = Tp { topic: 0, partition: 1 };

    fn consumer_fetch(parts: Vec<(Tp, u64)>, generation: u64) -> KafkaMsg {
        let parts = parts.into_iter().map(|(tp, offset)| FetchPart { tp, offset, to_follower: false }).collect();
        KafkaMsg::Fetch { parts, generation, read_committed: false, rack: None }
    }

    /// One partition's answer: the values read, or the error.
    type Answer = (Tp, Result<Vec<u64>, Error>);

    /// The consumer's fetch answers in `sent`, partition by partition.
    fn answers(sent: &[(NodeId, KafkaMsg)]) -> Vec<Vec<Answer>> {
        replies(sent, CLIENT, |m| match m {
            KafkaMsg::FetchResponse { parts, .. } => Some(
                parts
                    .iter()
                    .map(|p| (p.tp, p.result.clone().map(|(r, _)| r.iter().map(|r| r.value).collect())))
                    .collect(),
            ),
            _ => None,
        })
    }

    /// Broker 1 leads `TP` and `TP1` alone, and a consumer's fetch of both from their empty logs
    /// waits: with the timer that ends the wait.
    fn parked_consumer() -> (Harness, crate::kafka::broker::Broker, KafkaTimer) {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1]);
        h.lead(&mut b, TP1, 0, vec![1]);
        h.message(&mut b, CLIENT, consumer_fetch(vec![(TP, 0), (TP1, 0)], 1));
        let parked = h.take();
        assert!(answers(&parked.sent).is_empty(), "nothing to read: it waits");
        let [(wait, timer @ KafkaTimer::Park { .. })] = parked.timers[..] else { panic!("{:?}", parked.timers) };
        assert_eq!(wait, FETCH_MAX_WAIT);
        (h, b, timer)
    }

    #[test]
    fn a_parked_fetch_is_answered_once_by_new_data_on_any_partition_and_not_again_by_its_timer() {
        let (mut h, mut b, timer) = parked_consumer();
        // A record on TP1 (the ISR is this broker alone, so the HW passes it at once): the fetch
        // is answered, with every partition it reads.
        h.produce(&mut b, TP1, Acks::Leader, &[(None, 42)]);
        assert_eq!(answers(&h.take().sent), vec![vec![(TP, Ok(vec![])), (TP1, Ok(vec![42]))]]);
        assert!(b.parked().is_empty());
        // Its timer finds it gone.
        h.timer(&mut b, timer);
        assert!(h.take().sent.is_empty());
    }

    #[test]
    fn a_parked_fetch_whose_wait_is_over_is_answered_empty() {
        let (mut h, mut b, timer) = parked_consumer();
        h.timer(&mut b, timer);
        assert_eq!(answers(&h.take().sent), vec![vec![(TP, Ok(vec![])), (TP1, Ok(vec![]))]]);
    }

    #[test]
    fn a_follower_waits_for_new_data_and_a_consumer_for_the_hw() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1, 2]);
        let follower = NodeId(2);
        h.message(&mut b, follower, full_fetch(TP, 0, None, 1));
        h.message(&mut b, CLIENT, consumer_fetch(vec![(TP, 0)], 1));
        assert_eq!((b.parked().len(), b.sessions().parked_count()), (1, 1));
        h.take();
        // acks=1: appended, but not below the HW until follower 2 has it.
        h.produce(&mut b, TP, Acks::Leader, &[(None, 5)]);
        let appended = h.take();
        assert!(
            appended.sent.iter().any(|(to, m)| *to == follower && matches!(m, KafkaMsg::ReplicaFetchResponse(_))),
            "the follower gets the new record at once"
        );
        assert!(answers(&appended.sent).is_empty(), "the consumer waits for the HW");
        // The follower's next fetch moves the HW: the consumer is answered.
        h.message(&mut b, follower, full_fetch(TP, 1, None, 2));
        let moved = h.take();
        assert!(moved.events.contains(&KafkaEvent::HighWatermark { tp: TP, broker: 1, hw: 1 }));
        assert_eq!(answers(&moved.sent), vec![vec![(TP, Ok(vec![5]))]]);
    }

    #[test]
    fn each_partition_is_answered_on_its_own_and_an_error_is_news() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1]);
        // TP1 is not led here, and TP is read from past its end: both answered at once.
        h.message(&mut b, CLIENT, consumer_fetch(vec![(TP, 3), (TP1, 0)], 1));
        let expected = vec![vec![(TP, Err(Error::OffsetOutOfRange)), (TP1, Err(Error::NotLeaderOrFollower))]];
        assert_eq!(answers(&h.take().sent), expected);
        assert!(b.parked().is_empty());
    }

    #[test]
    fn a_partition_gives_at_most_max_partition_fetch_bytes() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1]);
        // 100-byte records: 1 MiB holds 10 485 of them.
        let records: Vec<(Option<u32>, u64)> = (0..10_500).map(|v| (None, v)).collect();
        h.produce(&mut b, TP, Acks::Leader, &records);
        h.take();
        h.message(&mut b, CLIENT, consumer_fetch(vec![(TP, 0)], 1));
        let [(_, Ok(read))] = &answers(&h.take().sent)[0][..] else { panic!() };
        assert_eq!(read.len() as u64, MAX_PARTITION_FETCH_BYTES / 100);
    }

    #[test]
    fn one_fetch_reads_partitions_it_leads_and_those_it_serves_as_a_read_replica() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1]);
        h.follow(&mut b, TP1, 2, 0);
        h.produce(&mut b, TP, Acks::Leader, &[(None, 7)]);
        h.take();
        // TP from its leader; TP1 sent here as to its preferred read replica (a follower, whose
        // HW is still 0: nothing to read there yet, but no error).
        let parts = vec![
            FetchPart { tp: TP, offset: 0, to_follower: false },
            FetchPart { tp: TP1, offset: 0, to_follower: true },
        ];
        h.message(&mut b, CLIENT, KafkaMsg::Fetch { parts, generation: 1, read_committed: false, rack: None });
        assert_eq!(answers(&h.take().sent), vec![vec![(TP, Ok(vec![7])), (TP1, Ok(vec![]))]]);
        // The same follower asked as if it led TP1 refuses that partition alone.
        h.message(&mut b, CLIENT, consumer_fetch(vec![(TP, 1), (TP1, 0)], 2));
        assert_eq!(answers(&h.take().sent), vec![vec![(TP, Ok(vec![])), (TP1, Err(Error::NotLeaderOrFollower))]]);
    }
}
