//! The replica manager (Kafka's `ReplicaManager`), leader side: it applies the controller's
//! LeaderAndIsr to the local replicas (`partition::Replica`, the pure state machine), appends
//! produced records as leader and answers each request now or once it is replicated, and keeps the
//! ISRs: a periodic check proposes dropping laggards, fetches propose adding followers back, and a
//! proposal counts only when the controller confirms it (AlterPartition, KIP-497).

use super::Broker;
use crate::kafka::clients::{emit, send};
use crate::kafka::msg::{BrokerSet, KafkaEvent, KafkaMsg, PartitionView, Tp};
use crate::kafka::partition::{Acks, BrokerId, Error, ProduceOutcome, Replica, Role};
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;
use crate::NodeId;

/// Who waits for an acks=all append to complete: a producer, or a member's offset commit.
#[derive(Clone, Debug)]
pub(super) enum Waiter {
    Produce {
        client: NodeId,
        id: u64,
        timeout: Time,
    },
    Commit {
        client: NodeId,
        group: u8,
        offsets: Vec<(u16, u64)>,
        /// A TxnOffsetCommit: the transactional id's index and the producer id.
        txn: Option<(u8, u32)>,
    },
    /// A transaction coordinator's write to `__transaction_state`.
    Txn {
        txn: u8,
        reply: super::txn_host::TxnReply,
    },
    /// A transaction marker the coordinator asked for (WriteTxnMarkers request `id`).
    Marker {
        client: NodeId,
        id: u64,
        producer: u32,
        commit: bool,
    },
}

impl Broker {
    /// LeaderAndIsr: this broker leads `s.tp`, follows its leader, or serves it no more. Requests
    /// and parked fetches of the previous term are answered; a new follower starts fetching once
    /// the caller has applied every state it got (`start_fetchers`).
    pub(super) fn apply_leader_and_isr(&mut self, ctx: &mut Ctx, s: PartitionView) {
        // A state older than the leader epoch it holds (a request sent again late) is ignored,
        // as `ReplicaManager.becomeLeaderOrFollower` does.
        if self.replicas.get(&s.tp).is_some_and(|r| s.leader_epoch < r.epoch) {
            return;
        }
        let now = ctx.now;
        let config = self.cluster.replica_config(s.tp);
        let me = self.id;
        let r = self.replicas.get_or_insert_with(s.tp, || Replica::new(me, s.replicas.clone(), config));
        r.assignment = s.replicas.clone();
        let tp = s.tp;
        match s.leader {
            Some(l) if l == me => {
                if !(r.is_leader() && r.epoch == s.leader_epoch) {
                    r.become_leader(s.leader_epoch, s.isr.clone(), s.partition_epoch, now);
                    self.answer_completed(ctx, tp);
                    self.wake_all(ctx, tp);
                } else {
                    // The same term with a newer partition state (`Partition.makeLeader` takes
                    // it as the committed state): it ends a wait for new metadata.
                    let hw_before = r.log.hw();
                    r.commit_isr(s.isr.clone(), s.partition_epoch);
                    self.after_leader_change(ctx, tp, hw_before);
                }
            }
            Some(l) => {
                let following = matches!(r.role, Role::Follower { leader } if leader == l) && r.epoch == s.leader_epoch;
                if !following {
                    r.become_follower(s.leader_epoch, l);
                    self.answer_completed(ctx, tp);
                    self.wake_all(ctx, tp);
                    // Its fetcher takes it once the whole request is applied (as Kafka's
                    // `makeFollowers` adds a LeaderAndIsr's partitions to the fetchers together).
                    if !self.fetchers_to_start.contains(&l) {
                        self.fetchers_to_start.push(l);
                    }
                }
            }
            None => {
                r.go_offline();
                self.answer_completed(ctx, tp);
            }
        }
        self.metadata.insert(tp, std::rc::Rc::new(s));
        self.groups_follow_leadership(ctx, tp);
        self.txns_follow_leadership(ctx, tp);
    }

    /// After a LeaderAndIsr (or the metadata replayed): the fetchers of the leaders new partitions
    /// follow take them (an idle one fetches at once).
    pub(super) fn start_fetchers(&mut self, ctx: &mut Ctx) {
        for leader in std::mem::take(&mut self.fetchers_to_start) {
            self.start_fetching(ctx, leader);
        }
    }

    /// Every half `replica.lag.time.max.ms`: each partition led here checks its followers.
    pub(super) fn check_isrs(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        let tps: Vec<Tp> = self.replicas.iter().filter(|(_, r)| r.is_leader()).map(|(&tp, _)| tp).collect();
        for tp in tps {
            let r = self.replicas.get_mut(&tp).expect("listed above");
            r.check_isr(now);
            // A proposal not yet confirmed (new, or its request lost): (re)send it, unless the
            // controller said this leader's state is stale.
            let unconfirmed = match &r.role {
                Role::Leader(l) if !l.awaiting_metadata => l.proposed.clone(),
                _ => None,
            };
            if let Some(isr) = unconfirmed {
                self.propose_isr(ctx, tp, isr);
            }
        }
        ctx.set_timer(self.cluster.replica_lag_time_max / 2, KafkaTimer::Isr);
    }

    /// Asks the controller to commit an ISR change (AlterPartition, KIP-497); the change takes
    /// effect when it answers.
    pub(super) fn propose_isr(&mut self, ctx: &mut Ctx, tp: Tp, isr: Vec<BrokerId>) {
        let ineligible = |b: &BrokerId| self.kraft.as_ref().is_some_and(|k| !k.image.is_active(*b));
        let Some(r) = self.replicas.get_mut(&tp) else { return };
        let Role::Leader(l) = &r.role else { return };
        if isr.iter().any(|b| !l.isr.contains(b) && ineligible(b)) {
            // KIP-841 (`Partition.isReplicaIsrEligible`): a KRaft leader adds no fenced broker and
            // none in controlled shutdown.
            return r.isr_refused(Error::IneligibleReplica);
        }
        let (leader_epoch, partition_epoch) = (r.epoch, l.partition_epoch);
        if let Some(node) = self.controller_node {
            send(ctx, node, KafkaMsg::AlterPartition { tp, leader_epoch, partition_epoch, isr });
        }
    }

    /// The controller's answer to this leader's AlterPartition for `leader_epoch`: the committed
    /// ISR and partition epoch, or why it refused.
    pub(super) fn isr_committed(
        &mut self,
        ctx: &mut Ctx,
        tp: Tp,
        leader_epoch: u32,
        result: Result<(Vec<BrokerId>, u32), Error>,
    ) {
        match result {
            Ok((isr, partition_epoch)) => self.take_isr(ctx, tp, leader_epoch, (isr, partition_epoch), true),
            Err(error) => {
                let Some(r) = self.replicas.get_mut(&tp).filter(|r| r.epoch == leader_epoch) else { return };
                let hw_before = r.log.hw();
                r.isr_refused(error);
                self.after_leader_change(ctx, tp, hw_before);
            }
        }
    }

    /// Makes `isr` this leader's committed ISR; `announce`: the change is the leader's own (a
    /// KRaft leader replaying one the controller made, such as a fenced follower's removal, does
    /// not announce it again).
    pub(super) fn take_isr(
        &mut self,
        ctx: &mut Ctx,
        tp: Tp,
        leader_epoch: u32,
        (isr, partition_epoch): (Vec<BrokerId>, u32),
        announce: bool,
    ) {
        let me = self.id;
        let Some(r) = self.replicas.get_mut(&tp) else { return };
        let Role::Leader(l) = &r.role else { return };
        if r.epoch != leader_epoch || partition_epoch < l.partition_epoch {
            return;
        }
        let (same, shrank) = (l.isr == isr, isr.len() < l.isr.len());
        let hw_before = r.log.hw();
        r.commit_isr(isr.clone(), partition_epoch);
        if same {
            return self.after_leader_change(ctx, tp, hw_before);
        }
        if announce {
            emit(ctx, KafkaEvent::IsrChanged { tp, leader: me, isr: BrokerSet::of(&isr), shrank });
        }
        self.after_leader_change(ctx, tp, hw_before);
    }

    /// After anything that may move a leader's HW: report it, answer produces it completes, and
    /// wake consumers waiting for it.
    pub(super) fn after_leader_change(&mut self, ctx: &mut Ctx, tp: Tp, hw_before: u64) {
        let me = self.id;
        let Some(r) = self.replicas.get(&tp) else { return };
        let hw = r.log.hw();
        self.answer_completed(ctx, tp);
        if hw != hw_before {
            emit(ctx, KafkaEvent::HighWatermark { tp, broker: me, hw });
            self.wake_consumers(ctx, tp);
        }
    }

    fn answer_completed(&mut self, ctx: &mut Ctx, tp: Tp) {
        let Some(r) = self.replicas.get_mut(&tp) else { return };
        for (req, result) in r.take_completed() {
            if let Some(w) = self.produce_waiting.remove(&(tp, req)) {
                self.produce_deadlines.remove((tp, req));
                self.answer(ctx, tp, w, result);
            }
        }
    }

    pub(super) fn answer(&mut self, ctx: &mut Ctx, tp: Tp, waiter: Waiter, result: Result<u64, Error>) {
        match waiter {
            Waiter::Produce { client, id, .. } => self.produce_answered(ctx, client, id, tp, result),
            Waiter::Commit { client, group, offsets, txn: None } => {
                self.commit_written(ctx, client, group, offsets, result)
            }
            Waiter::Commit { client, group, offsets, txn: Some(txn) } => {
                self.txn_offsets_written(ctx, client, (group, txn), offsets, result)
            }
            Waiter::Txn { txn, reply } => self.txn_written(ctx, txn, reply, result),
            Waiter::Marker { client, id, producer, commit } => {
                if result.is_ok() {
                    self.offsets_marker_written(ctx, tp, producer, commit);
                }
                let result = result.map(|_| ());
                let msg = crate::kafka::txn::msg::TxnMsg::WriteTxnMarkersResponse { id, tp, result };
                send(ctx, client, KafkaMsg::Txn(msg));
            }
        }
    }

    /// Request `req` on `tp` waits for its records to be replicated; its waiter is answered then,
    /// or REQUEST_TIMED_OUT when its time is up.
    pub(super) fn wait_for_replication(&mut self, ctx: &mut Ctx, tp: Tp, req: u64, waiter: Waiter) {
        match waiter {
            // A commit that cannot be replicated in time is answered REQUEST_TIMED_OUT (as
            // a zombie coordinator's would be: its followers fetch from a new leader).
            Waiter::Commit { .. } | Waiter::Txn { .. } => {
                ctx.set_timer(super::group_host::OFFSETS_COMMIT_TIMEOUT, KafkaTimer::CommitTimeout { tp, request: req })
            }
            Waiter::Marker { .. } => self.park_produce(ctx, tp, req, super::txn_host::MARKER_TIMEOUT),
            Waiter::Produce { timeout, .. } => self.park_produce(ctx, tp, req, timeout),
        }
        self.produce_waiting.insert((tp, req), waiter);
    }

    /// An append still waiting for replication gives up (`offsets.commit.timeout.ms`, or a
    /// produce's `timeout.ms`).
    pub(super) fn waiting_timed_out(&mut self, ctx: &mut Ctx, tp: Tp, request: u64) {
        if let Some(r) = self.replicas.get_mut(&tp) {
            r.abandon_pending(request);
        }
        if let Some(w) = self.produce_waiting.remove(&(tp, request)) {
            self.answer(ctx, tp, w, Err(Error::RequestTimedOut));
        }
    }

    /// Appends records as the partition's leader and answers `waiter` now or when replicated.
    pub(super) fn append(
        &mut self,
        ctx: &mut Ctx,
        tp: Tp,
        acks: Acks,
        (producer, size, transactional): (Option<(u32, u16, u32)>, u32, bool),
        records: &[(Option<u32>, u64)],
        waiter: Waiter,
    ) {
        let now = ctx.now;
        let me = self.id;
        let req = self.next_req;
        self.next_req += 1;
        if self.cluster.topics[tp.topic as usize].compact && records.iter().any(|(key, _)| key.is_none()) {
            // "Compacted topic cannot accept message without key"
            if acks != Acks::None {
                self.answer(ctx, tp, waiter, Err(Error::InvalidRecord));
            }
            return;
        }
        let Some(r) = self.replicas.get_mut(&tp) else {
            if acks != Acks::None {
                self.answer(ctx, tp, waiter, Err(Error::NotLeaderOrFollower));
            }
            return;
        };
        let hw_before = r.log.hw();
        let leo_before = r.log.leo();
        let outcome = r.produce_batch(req, acks, (producer, transactional), records, size, now);
        for offset in leo_before..r.log.leo() {
            emit(ctx, KafkaEvent::Appended { tp, broker: me, offset, epoch: r.epoch });
        }
        match outcome {
            ProduceOutcome::Done(result) => {
                if acks != Acks::None {
                    self.answer(ctx, tp, waiter, result);
                }
            }
            ProduceOutcome::Waiting { .. } => self.wait_for_replication(ctx, tp, req, waiter),
        }
        self.after_leader_change(ctx, tp, hw_before);
        // New data: followers waiting in a long poll get it now.
        if self.replicas.get(&tp).is_some_and(|r| r.log.leo() > leo_before) {
            self.wake_sessions(ctx, tp);
        }
    }

    /// Where a partition led here starts (`earliest`) or ends for a consumer (its HW).
    pub(super) fn list_offsets(&mut self, ctx: &mut Ctx, from: NodeId, tp: Tp, earliest: bool) {
        let result = match self.replicas.get(&tp) {
            Some(r) if r.is_leader() => Ok(if earliest { r.log.log_start() } else { r.log.hw() }),
            _ => Err(Error::NotLeaderOrFollower),
        };
        send(ctx, from, KafkaMsg::ListOffsetsResponse { tp, result });
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{broker, produce_answers, view, Harness, CLIENT, CONTROLLER, KEYED, TP};
    use super::*;

    /// Broker 1 leads `TP` with ISR [1, 2, 3] and a record neither follower has fetched for
    /// longer than replica.lag.time.max.ms: its ISR check (at 31 s) has run.
    fn lagging_followers(h: &mut Harness) -> Broker {
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1, 2, 3]);
        h.produce(&mut b, TP, Acks::Leader, &[(None, 1)]);
        h.take();
        h.now = Time::secs(31);
        h.timer(&mut b, KafkaTimer::Isr);
        b
    }

    #[test]
    fn records_a_leader_cannot_take_are_refused_unless_acks_is_zero() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.produce(&mut b, TP, Acks::Leader, &[(None, 1)]);
        assert_eq!(produce_answers(&h.take().sent), [Err(Error::NotLeaderOrFollower)], "not a replica here");
        h.lead(&mut b, KEYED, 0, vec![1]);
        h.produce(&mut b, KEYED, Acks::All, &[(Some(1), 1), (None, 2)]);
        assert_eq!(produce_answers(&h.take().sent), [Err(Error::InvalidRecord)], "a compacted topic needs keys");
        h.produce(&mut b, KEYED, Acks::None, &[(None, 2)]);
        assert!(h.take().sent.is_empty(), "acks=0 hears nothing");
        assert_eq!(b.replicas[&KEYED].log.leo(), 0, "nothing appended");
    }

    #[test]
    fn acks_all_waits_for_the_isr_and_a_new_term_fails_what_still_waits() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1, 2]);
        h.produce(&mut b, TP, Acks::All, &[(None, 1)]);
        let appended = h.take();
        assert!(produce_answers(&appended.sent).is_empty());
        assert_eq!(appended.events, [KafkaEvent::Appended { tp: TP, broker: 1, offset: 0, epoch: 0 }]);
        // Broker 2 leads now: the request is failed, not left hanging.
        let states = vec![view(TP, Some(2), 1, vec![1, 2])];
        h.message(&mut b, CONTROLLER, KafkaMsg::LeaderAndIsr { controller_epoch: 1, request: 0, states });
        assert_eq!(produce_answers(&h.take().sent), [Err(Error::NotLeaderOrFollower)]);
    }

    #[test]
    fn an_isr_shrink_is_proposed_to_the_controller_and_counts_once_confirmed() {
        let mut h = Harness::default();
        let mut b = lagging_followers(&mut h);
        let checked = h.take();
        let proposal = KafkaMsg::AlterPartition { tp: TP, leader_epoch: 0, partition_epoch: 0, isr: vec![1] };
        assert_eq!(checked.sent, [(CONTROLLER, proposal)]);
        assert_eq!(checked.timers, [(Time::secs(15), KafkaTimer::Isr)]);
        assert_eq!(b.replicas[&TP].log.hw(), 0, "until confirmed, the HW waits for the old ISR");
        // An answer for an older epoch is not this leader's.
        let answer = |leader_epoch| KafkaMsg::AlterPartitionResponse { tp: TP, leader_epoch, result: Ok((vec![1], 1)) };
        h.message(&mut b, CONTROLLER, answer(1));
        assert!(h.take().events.is_empty());
        h.message(&mut b, CONTROLLER, answer(0));
        let isr = crate::kafka::msg::BrokerSet::of(&[1]);
        let confirmed = h.take().events;
        assert_eq!(
            confirmed,
            [
                KafkaEvent::IsrChanged { tp: TP, leader: 1, isr, shrank: true },
                KafkaEvent::HighWatermark { tp: TP, broker: 1, hw: 1 }
            ]
        );
    }

    /// `Partition.handleAlterPartitionError`: a proposal refused because the leader's state is
    /// stale is not retried; the leader waits for new metadata, then proposes again from it.
    #[test]
    fn a_refused_isr_proposal_waits_for_new_metadata_before_it_is_made_again() {
        let mut h = Harness::default();
        let mut b = lagging_followers(&mut h);
        assert_eq!(h.take().sent.len(), 1, "the shrink is proposed");
        let refused =
            KafkaMsg::AlterPartitionResponse { tp: TP, leader_epoch: 0, result: Err(Error::InvalidUpdateVersion) };
        h.message(&mut b, CONTROLLER, refused);
        h.now = Time::secs(46);
        h.timer(&mut b, KafkaTimer::Isr);
        assert!(h.take().sent.is_empty(), "not sent again while its state is stale");
        assert_eq!(b.replicas[&TP].isr(), Some(&[1, 2, 3][..]), "the committed ISR stands");
        // The controller's newer state of the same term arrives: the leader proposes from it.
        let newer = PartitionView { partition_epoch: 1, ..view(TP, Some(1), 0, vec![1, 2, 3]) };
        h.message(&mut b, CONTROLLER, KafkaMsg::LeaderAndIsr { controller_epoch: 1, request: 0, states: vec![newer] });
        h.take();
        h.now = Time::secs(61);
        h.timer(&mut b, KafkaTimer::Isr);
        let again = KafkaMsg::AlterPartition { tp: TP, leader_epoch: 0, partition_epoch: 1, isr: vec![1] };
        assert_eq!(h.take().sent, [(CONTROLLER, again)]);
    }

    #[test]
    fn list_offsets_answers_from_the_leader_only() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.on(&mut b, |b, ctx| b.list_offsets(ctx, CLIENT, TP, true));
        let refused = KafkaMsg::ListOffsetsResponse { tp: TP, result: Err(Error::NotLeaderOrFollower) };
        assert_eq!(h.take().sent, [(CLIENT, refused)]);
        h.lead(&mut b, TP, 0, vec![1]);
        h.produce(&mut b, TP, Acks::Leader, &[(None, 1), (None, 2)]);
        h.take();
        h.on(&mut b, |b, ctx| b.list_offsets(ctx, CLIENT, TP, false));
        let latest = KafkaMsg::ListOffsetsResponse { tp: TP, result: Ok(2) };
        assert_eq!(h.take().sent, [(CLIENT, latest)]);
    }
}
