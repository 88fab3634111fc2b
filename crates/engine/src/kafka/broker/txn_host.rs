//! The broker as transaction coordinator (`TransactionCoordinator`, `TransactionStateManager`,
//! `TransactionMarkerChannelManager`) and as the leader writing markers (`WriteTxnMarkers`):
//! - it coordinates the transactional ids whose `__transaction_state` partition it leads, loading
//!   their last entries from that partition's log (to its end, as Kafka reads it) when it becomes
//!   leader, and sending the markers of those it finds in PrepareCommit / PrepareAbort;
//! - each transition is written to the partition with acks=all and takes effect (and the client is
//!   answered) once replicated; a failed write changes nothing and the client is told to look for
//!   its coordinator again;
//! - once PrepareCommit / PrepareAbort is written, it sends WriteTxnMarkers to the leaders of the
//!   transaction's partitions, again to the current leader until each has answered, then writes
//!   CompleteCommit / CompleteAbort;
//! - every `transaction.abort.timed.out.transaction.cleanup.interval.ms` (10 s) it aborts, under a
//!   bumped epoch, the transactions open longer than their `transaction.timeout.ms`.

use super::replica_manager::Waiter;
use super::Broker;
use crate::kafka::clients::{emit, send};
use crate::kafka::msg::{KafkaEvent, KafkaMsg, Tp};
use crate::kafka::partition::{Acks, BrokerId, Error, ProduceOutcome};
use crate::kafka::txn::coordinator::{self, EndTxn, TxnEntry, TxnError, TxnMetadata};
use crate::kafka::txn::event::TxnEvent;
use crate::kafka::txn::msg::{TxnMsg, TxnOffsetCommitRequest};
use crate::kafka::txn::{state_log, ABORT_CHECK_INTERVAL, MAX_TIMEOUT};
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;

/// Producer ids of transactional ids start here (an idempotent producer's first instance uses its
/// node number + 1, a restarted one gets an id of a broker's block: `producer_ids`).
pub const TXN_PRODUCER_ID_BASE: u32 = 10_000;
/// Bytes of an entry's records in `__transaction_state`.
const ENTRY_RECORD_BYTES: u32 = 50;
/// How often unanswered markers are looked at (Kafka's marker channel retries after
/// `retry.backoff.ms`; a marker sent is given `request.timeout.ms` before it is sent again).
const MARKER_RETRY: Time = Time::ms(500);
pub(super) const MARKER_TIMEOUT: Time = Time::secs(30);

/// Whom a write to `__transaction_state` answers once done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TxnReply {
    None,
    Init(NodeId),
    Add(NodeId),
    End(NodeId),
    /// AddOffsetsToTxn.
    AddOffsets(NodeId),
}

/// Markers being written for one transactional id: the partitions still without theirs, and
/// where and when each was last sent.
#[derive(Clone, Debug, PartialEq, Eq)]
struct MarkerJob {
    producer: (u32, u16),
    commit: bool,
    remaining: Vec<Tp>,
    sent: VecMap<Tp, (BrokerId, Time, u64)>,
}

#[derive(Clone, Debug, Default)]
pub struct TxnHost {
    /// The transactional ids coordinated here.
    pub ids: VecMap<u8, TxnMetadata>,
    markers: VecMap<u8, MarkerJob>,
    next_id: u64,
    retry_armed: bool,
}

fn reply_error(append: Error) -> TxnError {
    match append {
        Error::NotLeaderOrFollower => TxnError::NotCoordinator,
        _ => TxnError::CoordinatorNotAvailable,
    }
}

impl Broker {
    /// At start: the periodic check for transactions past their timeout.
    pub(super) fn txn_start(&mut self, ctx: &mut Ctx) {
        if self.cluster.txn_topic.is_some() {
            ctx.set_timer(ABORT_CHECK_INTERVAL, KafkaTimer::TxnAbortCheck);
        }
    }

    pub(super) fn on_txn_msg(&mut self, ctx: &mut Ctx, from: NodeId, msg: TxnMsg) {
        let now = ctx.now;
        match msg {
            TxnMsg::FindCoordinator { txn } => {
                let leader = self.cluster.txn_tp(txn).and_then(|tp| self.metadata.get(&tp)?.leader);
                let result = leader.ok_or(TxnError::CoordinatorNotAvailable);
                send(ctx, from, KafkaMsg::Txn(TxnMsg::FindCoordinatorResponse { txn, result }));
            }
            TxnMsg::InitProducerId { txn, timeout } => {
                let answer = |e| KafkaMsg::Txn(TxnMsg::InitProducerIdResponse { txn, result: Err(e) });
                if let Err(e) = self.leads_txn(txn) {
                    return send(ctx, from, answer(e));
                }
                if timeout > MAX_TIMEOUT {
                    return send(ctx, from, answer(TxnError::InvalidTransactionTimeout));
                }
                let host = &mut self.txn_host;
                let outcome = match host.ids.get_mut(&txn) {
                    None => {
                        let m = TxnMetadata::new(TXN_PRODUCER_ID_BASE + txn as u32, timeout, now);
                        let entry = m.current.clone();
                        host.ids.insert(txn, m);
                        Ok(entry)
                    }
                    Some(m) => m.init_producer_id(timeout),
                };
                match outcome {
                    Ok(entry) => self.write_txn(ctx, txn, entry, TxnReply::Init(from)),
                    Err((e, abort)) => {
                        if let Some(abort) = abort {
                            // The older instance's open transaction is aborted first, fenced.
                            self.write_txn(ctx, txn, abort, TxnReply::None);
                        }
                        send(ctx, from, answer(e));
                    }
                }
            }
            TxnMsg::IdempotentProducerId => self.init_idempotent_producer(ctx, from),
            TxnMsg::AddPartitionsToTxn { txn, producer, partitions } => {
                let answer = |result| KafkaMsg::Txn(TxnMsg::AddPartitionsToTxnResponse { txn, result });
                self.add_to_txn(ctx, (txn, producer, &partitions), TxnReply::Add(from), answer);
            }
            TxnMsg::AddOffsetsToTxn { txn, producer, group } => {
                let answer = |result| KafkaMsg::Txn(TxnMsg::AddOffsetsToTxnResponse { txn, result });
                // `TransactionCoordinator.handleAddPartitionsToTransaction` with the group's
                // `__consumer_offsets` partition.
                let Some(tp) = self.cluster.offsets_tp(group) else {
                    return send(ctx, from, answer(Err(TxnError::InvalidTxnState)));
                };
                self.add_to_txn(ctx, (txn, producer, &[tp]), TxnReply::AddOffsets(from), answer);
            }
            TxnMsg::FindGroupCoordinator { txn, group } => {
                let leader = self.cluster.offsets_tp(group).and_then(|tp| self.metadata.get(&tp)?.leader);
                let result = leader.ok_or(Error::CoordinatorNotAvailable);
                send(ctx, from, KafkaMsg::Txn(TxnMsg::FindGroupCoordinatorResponse { txn, result }));
            }
            TxnMsg::TxnOffsetCommit(c) => {
                let TxnOffsetCommitRequest { txn, producer, group, generation, member, instance, offsets } = *c;
                let commit = super::txn_offsets::TxnCommit { txn, producer, group, offsets };
                self.txn_offset_commit(ctx, from, commit, (generation, &member, instance.as_deref()));
            }
            TxnMsg::EndTxn { txn, producer, commit } => {
                let answer = |result| KafkaMsg::Txn(TxnMsg::EndTxnResponse { txn, result });
                let m = match self.coordinates(txn) {
                    Ok(m) => m,
                    Err(e) => return send(ctx, from, answer(Err(e))),
                };
                match m.end_txn(producer.0, producer.1, commit) {
                    Ok((EndTxn::Write, entry)) => self.write_txn(ctx, txn, entry, TxnReply::End(from)),
                    Ok((EndTxn::Done, _)) => send(ctx, from, answer(Ok(()))),
                    Err(e) => send(ctx, from, answer(Err(e))),
                }
            }
            TxnMsg::WriteTxnMarkers { id, producer, commit, partitions } => {
                for tp in partitions {
                    self.write_marker(ctx, from, id, tp, producer, commit);
                }
            }
            TxnMsg::WriteTxnMarkersResponse { id, tp, result } => self.marker_answered(ctx, id, tp, result),
            _ => {}
        }
    }

    /// AddPartitionsToTxn / AddOffsetsToTxn: the partitions join the transaction (a write to
    /// `__transaction_state`, answered once replicated), or are in it already.
    fn add_to_txn(
        &mut self,
        ctx: &mut Ctx,
        (txn, producer, partitions): (u8, (u32, u16), &[Tp]),
        reply: TxnReply,
        answer: impl Fn(Result<(), TxnError>) -> KafkaMsg,
    ) {
        let (now, from) = match reply {
            TxnReply::Add(n) | TxnReply::AddOffsets(n) => (ctx.now, n),
            _ => return,
        };
        let m = match self.coordinates(txn) {
            Ok(m) => m,
            Err(e) => return send(ctx, from, answer(Err(e))),
        };
        match m.add_partitions(producer.0, producer.1, partitions, now) {
            Ok(Some(entry)) => self.write_txn(ctx, txn, entry, reply),
            Ok(None) => send(ctx, from, answer(Ok(()))),
            Err(e) => send(ctx, from, answer(Err(e))),
        }
    }

    /// Whether this broker leads `txn`'s `__transaction_state` partition.
    fn leads_txn(&self, txn: u8) -> Result<(), TxnError> {
        let tp = self.cluster.txn_tp(txn).ok_or(TxnError::NotCoordinator)?;
        match self.replicas.get(&tp) {
            Some(r) if r.is_leader() => Ok(()),
            _ => Err(TxnError::NotCoordinator),
        }
    }

    /// The metadata of `txn` if this broker coordinates it (an id it has never seen has no
    /// producer id yet: INVALID_PRODUCER_ID_MAPPING).
    fn coordinates(&mut self, txn: u8) -> Result<&mut TxnMetadata, TxnError> {
        self.leads_txn(txn)?;
        self.txn_host.ids.get_mut(&txn).ok_or(TxnError::InvalidProducerIdMapping)
    }

    /// Writes `entry` (already prepared as `txn`'s pending transition) to `__transaction_state`.
    fn write_txn(&mut self, ctx: &mut Ctx, txn: u8, entry: TxnEntry, reply: TxnReply) {
        let Some(tp) = self.cluster.txn_tp(txn) else { return };
        let records = state_log::encode(txn, &entry);
        let waiter = Waiter::Txn { txn, reply };
        self.append(ctx, tp, Acks::All, (None, ENTRY_RECORD_BYTES, false), &records, waiter);
    }

    /// A write to `__transaction_state` completed (or failed): the transition takes effect (or
    /// is dropped), the client hears, and markers go out after a Prepare state.
    pub(super) fn txn_written(&mut self, ctx: &mut Ctx, txn: u8, reply: TxnReply, result: Result<u64, Error>) {
        let me = self.id;
        let Some(m) = self.txn_host.ids.get_mut(&txn) else { return };
        let result = match result {
            Ok(_) => {
                m.complete();
                let c = &m.current;
                emit(ctx, KafkaEvent::Txn(TxnEvent::State { broker: me, txn, state: c.state, epoch: c.epoch }));
                Ok((c.producer_id, c.epoch))
            }
            Err(e) => {
                m.abandon();
                Err(reply_error(e))
            }
        };
        let answer = match reply {
            TxnReply::None => None,
            TxnReply::Init(to) => Some((to, TxnMsg::InitProducerIdResponse { txn, result })),
            TxnReply::Add(to) => Some((to, TxnMsg::AddPartitionsToTxnResponse { txn, result: result.map(|_| ()) })),
            TxnReply::End(to) => Some((to, TxnMsg::EndTxnResponse { txn, result: result.map(|_| ()) })),
            TxnReply::AddOffsets(to) => Some((to, TxnMsg::AddOffsetsToTxnResponse { txn, result: result.map(|_| ()) })),
        };
        if let Some((to, msg)) = answer {
            send(ctx, to, KafkaMsg::Txn(msg));
        }
        self.start_markers(ctx, txn);
    }

    /// If `txn` is in a Prepare state with no markers under way: send them.
    fn start_markers(&mut self, ctx: &mut Ctx, txn: u8) {
        let host = &mut self.txn_host;
        let Some(m) = host.ids.get(&txn) else { return };
        let Some((commit, partitions)) = m.markers_due() else { return };
        if host.markers.contains_key(&txn) || m.pending.is_some() {
            return;
        }
        let producer = (m.current.producer_id, m.current.epoch);
        let job = MarkerJob { producer, commit, remaining: partitions.to_vec(), sent: VecMap::new() };
        host.markers.insert(txn, job);
        self.send_markers(ctx);
    }

    /// Sends each unwritten marker to its partition's current leader, unless it was sent there
    /// less than `request.timeout.ms` ago; completes the jobs with nothing left.
    fn send_markers(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        let txns: Vec<u8> = self.txn_host.markers.keys().copied().collect();
        for txn in txns {
            let Some(job) = self.txn_host.markers.get(&txn) else { continue };
            if job.remaining.is_empty() {
                self.txn_host.markers.remove(&txn);
                self.markers_done(ctx, txn);
                continue;
            }
            let (producer, commit) = (job.producer, job.commit);
            let mut by_leader: Vec<(BrokerId, Vec<Tp>)> = vec![];
            for &tp in &job.remaining {
                let Some(leader) = self.metadata.get(&tp).and_then(|v| v.leader) else { continue };
                let fresh = job.sent.get(&tp).is_some_and(|&(to, at, _)| to == leader && now < at + MARKER_TIMEOUT);
                if fresh {
                    continue;
                }
                match by_leader.iter_mut().find(|(b, _)| *b == leader) {
                    Some((_, tps)) => tps.push(tp),
                    None => by_leader.push((leader, vec![tp])),
                }
            }
            for (leader, partitions) in by_leader {
                let Some(node) = self.cluster.broker_node(leader) else { continue };
                let id = self.txn_host.next_id;
                self.txn_host.next_id += 1;
                if let Some(job) = self.txn_host.markers.get_mut(&txn) {
                    for &tp in &partitions {
                        job.sent.insert(tp, (leader, now, id));
                    }
                }
                send(ctx, node, KafkaMsg::Txn(TxnMsg::WriteTxnMarkers { id, producer, commit, partitions }));
            }
        }
        if !self.txn_host.markers.is_empty() && !self.txn_host.retry_armed {
            self.txn_host.retry_armed = true;
            ctx.set_timer(MARKER_RETRY, KafkaTimer::TxnMarkers);
        }
    }

    /// `TxnMarkers`: send again what is unanswered.
    pub(super) fn txn_markers_timer(&mut self, ctx: &mut Ctx) {
        self.txn_host.retry_armed = false;
        self.send_markers(ctx);
    }

    fn marker_answered(&mut self, ctx: &mut Ctx, id: u64, tp: Tp, result: Result<(), Error>) {
        let found = self.txn_host.markers.iter().find(|(_, j)| j.sent.get(&tp).is_some_and(|s| s.2 == id));
        let Some((&txn, _)) = found else { return };
        let Some(job) = self.txn_host.markers.get_mut(&txn) else { return };
        match result {
            Ok(()) => job.remaining.retain(|&t| t != tp),
            Err(_) => {
                job.sent.remove(&tp); // sent again at the next retry, to the leader then known
            }
        }
        if job.remaining.is_empty() {
            self.txn_host.markers.remove(&txn);
            self.markers_done(ctx, txn);
        }
    }

    /// Every marker is written: CompleteCommit / CompleteAbort.
    fn markers_done(&mut self, ctx: &mut Ctx, txn: u8) {
        let now = ctx.now;
        let Some(entry) = self.txn_host.ids.get_mut(&txn).and_then(|m| m.markers_written(now)) else { return };
        self.write_txn(ctx, txn, entry, TxnReply::None);
    }

    /// As a partition leader: append `producer`'s marker to `tp`, answered once replicated.
    fn write_marker(&mut self, ctx: &mut Ctx, from: NodeId, id: u64, tp: Tp, producer: (u32, u16), commit: bool) {
        let (now, me) = (ctx.now, self.id);
        let req = self.next_req;
        self.next_req += 1;
        let waiter = Waiter::Marker { client: from, id, producer: producer.0, commit };
        let Some(r) = self.replicas.get_mut(&tp) else {
            return self.answer(ctx, tp, waiter, Err(Error::NotLeaderOrFollower));
        };
        let hw_before = r.log.hw();
        let leo_before = r.log.leo();
        let outcome = r.write_marker(req, producer, commit, now);
        if r.log.leo() > leo_before {
            let epoch = r.epoch;
            emit(ctx, KafkaEvent::Appended { tp, broker: me, offset: leo_before, epoch });
            emit(ctx, KafkaEvent::Txn(TxnEvent::Marker { tp, broker: me, offset: leo_before, commit }));
        }
        match outcome {
            ProduceOutcome::Done(result) => self.answer(ctx, tp, waiter, result),
            ProduceOutcome::Waiting { .. } => self.wait_for_replication(ctx, tp, req, waiter),
        }
        self.after_leader_change(ctx, tp, hw_before);
        self.wake_sessions(ctx, tp);
    }

    /// `TxnAbortCheck`: abort what is open past its timeout, fencing its producer.
    pub(super) fn txn_abort_check(&mut self, ctx: &mut Ctx) {
        let (now, me) = (ctx.now, self.id);
        let due: Vec<(u8, TxnEntry)> =
            self.txn_host.ids.iter_mut().filter_map(|(&txn, m)| m.time_out(now).map(|e| (txn, e))).collect();
        for (txn, entry) in due {
            emit(ctx, KafkaEvent::Txn(TxnEvent::TimedOut { broker: me, txn }));
            self.write_txn(ctx, txn, entry, TxnReply::None);
        }
        ctx.set_timer(ABORT_CHECK_INTERVAL, KafkaTimer::TxnAbortCheck);
    }

    /// A `__transaction_state` partition came to this broker (load its ids, and finish what they
    /// had prepared) or left it (drop them).
    pub(super) fn txns_follow_leadership(&mut self, ctx: &mut Ctx, tp: Tp) {
        if Some(tp.topic) != self.cluster.txn_topic {
            return;
        }
        let leading = self.leads(tp);
        let cluster = self.cluster.clone();
        let mine = |txn: u8| cluster.txn_tp(txn) == Some(tp);
        if !leading {
            self.txn_host.ids.retain(|&txn, _| !mine(txn));
            self.txn_host.markers.retain(|&txn, _| !mine(txn));
            return;
        }
        if self.txn_host.ids.keys().any(|&txn| mine(txn)) {
            return; // loaded already (the same leadership, a newer partition state)
        }
        let r = self.replicas.get(&tp).expect("leading it");
        let entries = state_log::decode(r.log.records());
        let loaded = coordinator::load(entries.iter().map(|(txn, e)| (cluster.txn_ids[*txn as usize].as_str(), e)));
        for (id, m) in loaded {
            let Some(txn) = cluster.txn_ids.iter().position(|i| *i == id) else { continue };
            self.txn_host.ids.insert(txn as u8, m);
            self.start_markers(ctx, txn as u8);
        }
    }
}
