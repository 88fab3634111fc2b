//! One replica of one partition as a pure state machine: leader or follower, what it does with a
//! produce, a follower's fetch, a fetch response and the passing of time. No network, no clock of
//! its own (`now` is an argument): the broker node wraps it and the simulation carries the messages.
//!
//! What it follows (Kafka 3.x/4.x, ZooKeeper-era request flow):
//! - The leader appends with its leader epoch; acks=0 and acks=1 answer at once, acks=all when the
//!   high watermark passes the request's last offset.
//! - acks=all is refused with `NotEnoughReplicas` while the ISR is smaller than
//!   `min.insync.replicas` (nothing is appended).
//! - Followers fetch from their LEO; the leader tracks each follower's LEO and "last caught-up
//!   time" exactly as `Replica.updateFetchState` does, drops a follower from the ISR when it has not
//!   caught up within `replica.lag.time.max.ms` (default 30 s), and adds it back once its LEO reaches
//!   the high watermark and the current leader epoch's start offset.
//! - HW = min LEO over the ISR, never decreasing, and it does not advance while the ISR is smaller
//!   than `min.insync.replicas` (KIP-966's rule).
//! - A follower's fetch carries the epoch of its last record; if the leader's log diverges there, the
//!   leader answers with the end offset of that epoch and the follower truncates (KIP-101 / KIP-279 /
//!   KIP-595), so followers truncate by leader epoch, never to their HW.
//! - Requests with a stale leader epoch are fenced.
//!
//! Simplifications (said in the docs and the UI): the leader applies ISR changes itself and reports
//! them (in ZooKeeper-era Kafka it writes them to ZooKeeper and notifies the controller, which the
//! broker node does with the reported change); records are one per produce entry (no batches).

use super::log::{Log, LogConfig, Record};
use super::producer_state::{ProducerStates, SeqCheck};
use super::txn::partition::PartitionTxns;
use crate::time::Time;
use crate::vecmap::VecMap;

pub type BrokerId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acks {
    /// acks=0: the producer does not wait for any answer.
    None,
    /// acks=1: the leader answers once it has appended.
    Leader,
    /// acks=all (-1): the leader answers once every in-sync replica has the records.
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub min_insync_replicas: u32,
    pub replica_lag_time_max: Time,
    pub log: LogConfig,
}

impl Default for Config {
    /// Kafka's defaults: `min.insync.replicas=1`, `replica.lag.time.max.ms=30000`.
    fn default() -> Self {
        Config { min_insync_replicas: 1, replica_lag_time_max: Time::secs(30), log: LogConfig::default() }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    NotLeaderOrFollower,
    NotEnoughReplicas,
    FencedLeaderEpoch,
    UnknownLeaderEpoch,
    /// No answer within `request.timeout.ms` (the client gives up waiting, not the broker).
    RequestTimedOut,
    /// The connection to the broker was reset (the client's view: `NetworkException`).
    NetworkException,
    /// Group errors: this broker does not coordinate the group (any more).
    NotCoordinator,
    /// The group's coordinator is not known yet (its offsets partition has no leader).
    CoordinatorNotAvailable,
    UnknownMemberId,
    IllegalGeneration,
    RebalanceInProgress,
    /// KIP-394: a new member must rejoin with the id the coordinator just gave it.
    MemberIdRequired,
    /// An idempotent producer's batch skipped a sequence number (an earlier one is being retried).
    OutOfOrderSequence,
    /// A batch from an older epoch of an idempotent producer than the partition has seen (the
    /// producer has bumped its epoch since: KIP-360).
    InvalidProducerEpoch,
    /// A fetch below the log start (deleted by retention) or past the log end.
    OffsetOutOfRange,
    /// A record Kafka refuses, e.g. one without a key for a compacted topic.
    InvalidRecord,
    /// AlterPartition: the controller knows no such partition.
    UnknownTopicOrPartition,
    /// AlterPartition: the sender is ahead of this controller (a newer one exists).
    NotController,
    /// AlterPartition: the leader's partition epoch is older than the controller's (the partition
    /// changed since the leader last heard).
    InvalidUpdateVersion,
    /// AlterPartition from a broker that does not lead the partition (KRaft's controller).
    InvalidRequest,
    /// AlterPartition adding a fenced broker to the ISR (KIP-841).
    IneligibleReplica,
    /// Another member joined with this member's `group.instance.id` (KIP-345): fatal.
    FencedInstanceId,
    /// OffsetFetch with `require_stable` (KIP-447) while a transaction holds offsets of the
    /// partition, not yet committed or aborted: ask again later.
    UnstableOffsetCommit,
}

/// What the leader tracks of a follower (`Replica`'s fetch state in Kafka).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FollowerState {
    pub leo: u64,
    pub last_caught_up: Time,
    last_fetch_time: Time,
    last_fetch_leader_leo: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaderState {
    /// In-sync replicas (including the leader), in assignment order, as the controller has
    /// committed them.
    pub isr: Vec<BrokerId>,
    /// An ISR change sent to the controller (AlterPartition) and not yet confirmed. Until it is,
    /// the HW is computed over the union of both sets (KIP-497's "maximal ISR"): a leader that
    /// cannot reach the controller cannot shrink its ISR, and so never acknowledges records that a
    /// replica the controller still counts as in sync does not have.
    pub proposed: Option<Vec<BrokerId>>,
    /// The partition epoch of the committed state this leader knows (sent with AlterPartition).
    pub partition_epoch: u32,
    /// The controller refused the proposal with FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION,
    /// UNKNOWN_TOPIC_OR_PARTITION or INVALID_REQUEST: the leader's state is out of date, so it
    /// proposes nothing more until new metadata comes (`Partition.handleAlterPartitionError`),
    /// keeping the pending (maximal) ISR for its HW meanwhile.
    pub awaiting_metadata: bool,
    pub followers: VecMap<BrokerId, FollowerState>,
    /// acks=all produces waiting for the HW: `(request id, base offset, offset after the last record)`.
    pending: Vec<(u64, u64, u64)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    Leader(LeaderState),
    Follower {
        leader: BrokerId,
    },
    /// Not serving this partition (not in the assignment's live set, or fenced).
    Offline,
}

/// The answer to a produce, now or later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProduceOutcome {
    /// Answered now: `Ok(base offset)` or an error.
    Done(Result<u64, Error>),
    /// acks=all: answered when the HW reaches the records (see `take_completed`).
    Waiting { base_offset: u64 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchResponse {
    Records {
        records: Vec<Record>,
        hw: u64,
        leader_leo: u64,
    },
    /// The follower's log diverges from the leader's: truncate to at most `end_offset` and re-fetch.
    Diverging {
        epoch: u32,
        end_offset: u64,
    },
    /// OFFSET_OUT_OF_RANGE: the fetch offset is below the leader's log start or past its end (or
    /// the leader knows nothing of the follower's last epoch). The follower asks the leader's
    /// earliest and latest offsets (ListOffsets in Kafka; carried here in the answer) and truncates.
    OutOfRange {
        log_start: u64,
        leo: u64,
    },
    Error(Error),
}

/// A proposed in-sync replica set, for the leader to send to the controller (AlterPartition).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IsrChange {
    pub isr: Vec<BrokerId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replica {
    pub broker: BrokerId,
    /// The partition's replica assignment (the leader is elected from it, in this order).
    pub assignment: Vec<BrokerId>,
    pub epoch: u32,
    pub log: Log,
    pub role: Role,
    pub config: Config,
    completed: Vec<(u64, Result<u64, Error>)>,
    pub producers: ProducerStates,
    /// Open and aborted transactions, for the last stable offset and read_committed fetches.
    pub txns: PartitionTxns,
}

impl Replica {
    pub fn new(broker: BrokerId, assignment: Vec<BrokerId>, config: Config) -> Replica {
        Replica {
            broker,
            assignment,
            epoch: 0,
            log: Log::new(config.log),
            role: Role::Offline,
            config,
            completed: vec![],
            producers: ProducerStates::default(),
            txns: PartitionTxns::default(),
        }
    }

    pub fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader(_))
    }

    pub fn is_follower(&self) -> bool {
        matches!(self.role, Role::Follower { .. })
    }

    pub fn isr(&self) -> Option<&[BrokerId]> {
        match &self.role {
            Role::Leader(l) => Some(&l.isr),
            _ => None,
        }
    }

    /// LeaderAndIsr: this replica leads `epoch` with `isr`. Pending requests of an earlier term are
    /// failed (a new leader does not answer its predecessor's produces).
    pub fn become_leader(&mut self, epoch: u32, isr: Vec<BrokerId>, partition_epoch: u32, now: Time) {
        self.fail_pending(Error::NotLeaderOrFollower);
        self.epoch = epoch;
        self.log.start_epoch(epoch);
        let leo = self.log.leo();
        let followers = self
            .assignment
            .iter()
            .filter(|&&b| b != self.broker)
            // Kafka resets follower state on becoming leader: LEO unknown (0 here), caught up "now"
            // for ISR members so they are not dropped before their first fetch.
            .map(|&b| {
                let caught = if isr.contains(&b) { now } else { Time::ZERO };
                (b, FollowerState { leo: 0, last_caught_up: caught, last_fetch_time: now, last_fetch_leader_leo: leo })
            })
            .collect();
        self.role = Role::Leader(LeaderState {
            isr: self.in_assignment_order(isr),
            proposed: None,
            partition_epoch,
            awaiting_metadata: false,
            followers,
            pending: vec![],
        });
    }

    /// LeaderAndIsr: this replica follows `leader` in `epoch`.
    pub fn become_follower(&mut self, epoch: u32, leader: BrokerId) {
        self.fail_pending(Error::NotLeaderOrFollower);
        self.epoch = epoch;
        self.role = Role::Follower { leader };
    }

    /// The replica's broker stopped: it serves nothing until told again (its log stays on disk).
    pub fn go_offline(&mut self) {
        self.fail_pending(Error::NotLeaderOrFollower);
        self.role = Role::Offline;
    }

    fn in_assignment_order(&self, mut set: Vec<BrokerId>) -> Vec<BrokerId> {
        crate::sort::sort_by_key(&mut set, |b| self.assignment.iter().position(|a| a == b).unwrap_or(usize::MAX));
        set.dedup();
        set
    }

    fn fail_pending(&mut self, error: Error) {
        if let Role::Leader(l) = &mut self.role {
            self.completed.extend(l.pending.drain(..).map(|(id, _, _)| (id, Err(error))));
        }
    }

    /// The acks=all produce `id` gave up waiting (its `timeout.ms` ran out): it will not be
    /// answered by a later HW. Returns whether it was still waiting.
    pub fn abandon_pending(&mut self, id: u64) -> bool {
        let Role::Leader(l) = &mut self.role else { return false };
        let before = l.pending.len();
        l.pending.retain(|&(p, _, _)| p != id);
        l.pending.len() < before
    }

    /// Answers for acks=all produces that completed (or failed) since the last call.
    pub fn take_completed(&mut self) -> Vec<(u64, Result<u64, Error>)> {
        std::mem::take(&mut self.completed)
    }

    /// A produce of `values` (key, value) with `acks`, as request `id`.
    pub fn produce(&mut self, id: u64, acks: Acks, values: &[(Option<u32>, u64)], now: Time) -> ProduceOutcome {
        self.produce_batch(id, acks, (None, false), values, 100, now)
    }

    /// A produce batch, from an idempotent producer if `producer` is `(producer id, epoch, first
    /// sequence)`: a batch already written is not written again (its original offset is the
    /// answer, once replicated for acks=all); one that skips a sequence, or comes from an older
    /// epoch, is refused. `transactional`: written inside the producer's transaction.
    pub fn produce_batch(
        &mut self,
        id: u64,
        acks: Acks,
        (producer, transactional): (Option<(u32, u16, u32)>, bool),
        values: &[(Option<u32>, u64)],
        size: u32,
        now: Time,
    ) -> ProduceOutcome {
        let min_isr = self.config.min_insync_replicas as usize;
        let Role::Leader(l) = &self.role else { return ProduceOutcome::Done(Err(Error::NotLeaderOrFollower)) };
        if acks == Acks::All && l.isr.len() < min_isr {
            return ProduceOutcome::Done(Err(Error::NotEnoughReplicas));
        }
        let (base, end) = match producer.map(|(p, e, seq)| self.producers.check(p, e, seq, values.len() as u32)) {
            Some(SeqCheck::OutOfOrder) => return ProduceOutcome::Done(Err(Error::OutOfOrderSequence)),
            Some(SeqCheck::InvalidEpoch) => return ProduceOutcome::Done(Err(Error::InvalidProducerEpoch)),
            Some(SeqCheck::Duplicate { first_offset, end }) => (first_offset, end),
            Some(SeqCheck::Append) | None => {
                let base = match producer {
                    Some(p) if transactional => self.log.append_txn_batch(self.epoch, values, p, size, now),
                    _ => self.log.append_batch(self.epoch, values, producer, size, now),
                };
                let end = self.log.leo();
                if producer.is_some() {
                    let written = self.log.slice(base, end);
                    self.producers.apply(&written);
                    self.txns.apply(&written);
                }
                (base, end)
            }
        };
        if acks != Acks::All {
            self.maybe_advance_hw();
            return ProduceOutcome::Done(Ok(base));
        }
        if let Role::Leader(l) = &mut self.role {
            l.pending.push((id, base, end));
        }
        // A single-replica ISR has the records already.
        self.maybe_advance_hw();
        if let Some(pos) = self.completed.iter().position(|(done, _)| *done == id) {
            let (_, result) = self.completed.remove(pos);
            return ProduceOutcome::Done(result);
        }
        ProduceOutcome::Waiting { base_offset: base }
    }

    /// WriteTxnMarkers: the leader appends the producer's COMMIT or ABORT marker (a control
    /// record), answered once replicated, as the coordinator's markers are written with acks=all.
    /// A marker of an epoch older than the producer's is refused (INVALID_PRODUCER_EPOCH).
    pub fn write_marker(&mut self, id: u64, (producer, epoch): (u32, u16), commit: bool, now: Time) -> ProduceOutcome {
        let Role::Leader(_) = &self.role else { return ProduceOutcome::Done(Err(Error::NotLeaderOrFollower)) };
        if self.producers.check(producer, epoch, 0, 1) == SeqCheck::InvalidEpoch {
            return ProduceOutcome::Done(Err(Error::InvalidProducerEpoch));
        }
        let offset = self.log.append_marker(self.epoch, (producer, epoch), commit, now);
        let written = self.log.slice(offset, offset + 1);
        self.producers.apply(&written);
        self.txns.apply(&written);
        if let Role::Leader(l) = &mut self.role {
            l.pending.push((id, offset, offset + 1));
        }
        self.maybe_advance_hw();
        match self.completed.iter().position(|(done, _)| *done == id) {
            Some(pos) => ProduceOutcome::Done(self.completed.remove(pos).1),
            None => ProduceOutcome::Waiting { base_offset: offset },
        }
    }

    /// The last stable offset: what read_committed consumers may read up to.
    pub fn last_stable_offset(&self) -> u64 {
        self.txns.last_stable_offset(self.log.hw())
    }

    /// What a follower asks for: `(fetch offset, epoch of its last record)`.
    pub fn fetch_request(&self) -> (u64, Option<u32>) {
        (self.log.leo(), self.log.last_epoch())
    }

    /// The leader handles a follower's fetch. Returns the response and any ISR change it caused.
    pub fn handle_fetch(
        &mut self,
        follower: BrokerId,
        epoch: u32,
        fetch_offset: u64,
        last_fetched_epoch: Option<u32>,
        now: Time,
    ) -> (FetchResponse, Option<IsrChange>) {
        if !self.is_leader() {
            return (FetchResponse::Error(Error::NotLeaderOrFollower), None);
        }
        if epoch < self.epoch {
            return (FetchResponse::Error(Error::FencedLeaderEpoch), None);
        }
        if epoch > self.epoch {
            return (FetchResponse::Error(Error::UnknownLeaderEpoch), None);
        }
        // `Partition.validateFetchOffsetAndMaybeGetDivergingEpoch`, then the read: an unknown last
        // epoch or an offset outside the log is out of range; otherwise, does our log agree with
        // the follower's up to its fetch offset?
        let leader_leo = self.log.leo();
        let log_start = self.log.log_start();
        let out_of_range = (FetchResponse::OutOfRange { log_start, leo: leader_leo }, None);
        if let Some(last) = last_fetched_epoch {
            let Some((e, end)) = self.log.end_offset_for_epoch(last) else { return out_of_range };
            if fetch_offset < log_start {
                return out_of_range;
            }
            if e < last || end < fetch_offset {
                return (FetchResponse::Diverging { epoch: e, end_offset: end }, None);
            }
        }
        if fetch_offset < log_start || fetch_offset > leader_leo {
            return out_of_range;
        }
        let Role::Leader(l) = &mut self.role else { unreachable!("checked above") };
        let Some(f) = l.followers.get_mut(&follower) else {
            return (FetchResponse::Error(Error::NotLeaderOrFollower), None);
        };
        // Replica.updateFetchState: caught up now if the fetch reached our LEO; caught up as of the
        // previous fetch if it reached the LEO we had then.
        if fetch_offset >= leader_leo {
            f.last_caught_up = now;
        } else if fetch_offset >= f.last_fetch_leader_leo {
            f.last_caught_up = f.last_caught_up.max(f.last_fetch_time);
        }
        f.leo = fetch_offset;
        f.last_fetch_time = now;
        f.last_fetch_leader_leo = leader_leo;
        let change = self.maybe_expand_isr(follower);
        self.maybe_advance_hw();
        let records = self.log.slice(fetch_offset, leader_leo);
        (FetchResponse::Records { records, hw: self.log.hw(), leader_leo }, change)
    }

    /// The follower applies the leader's answer. Returns true if it truncated its log.
    pub fn handle_fetch_response(&mut self, response: &FetchResponse) -> bool {
        if !matches!(self.role, Role::Follower { .. }) {
            return false;
        }
        match response {
            FetchResponse::Records { records, hw, .. } => {
                // Only what continues our log (a response to an older fetch may overlap). The
                // records are a slice of the leader's log, in offset order: a suffix, not a copy.
                let leo = self.log.leo();
                let fresh = &records[records.partition_point(|r| r.offset < leo)..];
                if fresh.first().is_none_or(|r| r.offset == leo) {
                    self.log.append_replicated(fresh);
                    self.producers.apply(fresh);
                    self.txns.apply(fresh);
                }
                self.log.set_hw((*hw).min(self.log.leo()));
                false
            }
            FetchResponse::Diverging { epoch, end_offset } => {
                // `AbstractFetcherThread.getOffsetTruncationState`: if we know the leader's epoch,
                // truncate to where it ends in the shorter of the two logs; if we only know an
                // earlier one, to where that ends here (the next fetch narrows it further); if we
                // know none, to the leader's end offset.
                let leo = self.log.leo();
                let to = match self.log.end_offset_for_epoch(*epoch) {
                    Some((ours, end)) if ours == *epoch => end.min(*end_offset),
                    Some((_, end)) => end,
                    None => *end_offset,
                };
                self.log.truncate_to(to.min(leo));
                self.producers.rebuild(self.log.records());
                self.txns.rebuild(self.log.records(), self.log.hw());
                true
            }
            FetchResponse::OutOfRange { log_start, leo: leader_leo } => {
                // `AbstractFetcherThread.fetchOffsetAndTruncate`.
                let leo = self.log.leo();
                if *leader_leo < leo {
                    if *leader_leo >= self.log.log_start() {
                        self.log.truncate_to(*leader_leo);
                    } else {
                        self.log.truncate_fully_and_start_at(*leader_leo);
                    }
                } else if *log_start > leo {
                    self.log.truncate_fully_and_start_at(*log_start);
                } else {
                    return false;
                }
                self.producers.rebuild(self.log.records());
                self.txns.rebuild(self.log.records(), self.log.hw());
                true
            }
            FetchResponse::Error(_) => false,
        }
    }

    /// The leader's periodic ISR check (`maybeShrinkIsr`): proposes dropping followers that have
    /// not caught up within `replica.lag.time.max.ms`. The change takes effect when the controller
    /// confirms it (`commit_isr`).
    pub fn check_isr(&mut self, now: Time) -> Option<IsrChange> {
        let leo = self.log.leo();
        let lag_max = self.config.replica_lag_time_max;
        let me = self.broker;
        let Role::Leader(l) = &mut self.role else { return None };
        if l.awaiting_metadata {
            return None;
        }
        let base = l.proposed.clone().unwrap_or_else(|| l.isr.clone());
        let removed: Vec<BrokerId> = base
            .iter()
            .copied()
            .filter(|&b| b != me)
            .filter(|b| l.followers.get(b).is_some_and(|f| f.leo != leo && now - f.last_caught_up > lag_max))
            .collect();
        if removed.is_empty() {
            return None;
        }
        let isr: Vec<BrokerId> = base.into_iter().filter(|b| !removed.contains(b)).collect();
        l.proposed = Some(isr.clone());
        Some(IsrChange { isr })
    }

    /// The controller confirmed an ISR (AlterPartition answered), or new metadata of the same
    /// leader epoch carries one: it becomes the committed ISR, of `partition_epoch`. A state older
    /// than the one the leader has is ignored; newer metadata ends a wait for it.
    pub fn commit_isr(&mut self, isr: Vec<BrokerId>, partition_epoch: u32) {
        let isr = self.in_assignment_order(isr);
        let Role::Leader(l) = &mut self.role else { return };
        if partition_epoch < l.partition_epoch {
            return;
        }
        if l.proposed.as_ref() == Some(&isr) || partition_epoch > l.partition_epoch {
            l.proposed = None;
            l.awaiting_metadata = false;
        }
        l.partition_epoch = partition_epoch;
        l.isr = isr;
        self.maybe_advance_hw();
    }

    /// The controller refused this leader's ISR proposal with `error`, as
    /// `Partition.handleAlterPartitionError` takes it: INELIGIBLE_REPLICA drops the proposal (the
    /// committed state is right, the change was not made); the errors that say the leader's state
    /// is stale make it wait for new metadata; others (NOT_CONTROLLER) are retried.
    pub fn isr_refused(&mut self, error: Error) {
        let Role::Leader(l) = &mut self.role else { return };
        match error {
            Error::IneligibleReplica => l.proposed = None,
            Error::FencedLeaderEpoch
            | Error::InvalidUpdateVersion
            | Error::UnknownTopicOrPartition
            | Error::InvalidRequest => l.awaiting_metadata = true,
            _ => {}
        }
        self.maybe_advance_hw();
    }

    fn maybe_expand_isr(&mut self, follower: BrokerId) -> Option<IsrChange> {
        let hw = self.log.hw();
        // Kafka also requires the follower to have reached the start of the current leader epoch.
        let epoch_start = self.log.epoch_start(self.epoch).unwrap_or(0);
        let Role::Leader(l) = &mut self.role else { return None };
        let f = l.followers.get(&follower)?;
        if l.awaiting_metadata {
            return None;
        }
        let base = l.proposed.clone().unwrap_or_else(|| l.isr.clone());
        if base.contains(&follower) || f.leo < hw || f.leo < epoch_start {
            return None;
        }
        let mut isr = base;
        isr.push(follower);
        let isr = self.in_assignment_order(isr);
        if let Role::Leader(l) = &mut self.role {
            l.proposed = Some(isr.clone());
        }
        Some(IsrChange { isr })
    }

    /// HW = min LEO over the maximal ISR (committed ∪ proposed), if the committed ISR is at least
    /// `min.insync.replicas`; then completes the acks=all requests it covers.
    fn maybe_advance_hw(&mut self) {
        let min_isr = self.config.min_insync_replicas as usize;
        let leo = self.log.leo();
        let Role::Leader(l) = &mut self.role else { return };
        if l.isr.len() < min_isr {
            return;
        }
        let maximal = l.isr.iter().chain(l.proposed.iter().flatten());
        let new_hw = maximal.filter_map(|b| l.followers.get(b).map(|f| f.leo)).fold(leo, u64::min);
        if new_hw > self.log.hw() {
            self.log.set_hw(new_hw);
        }
        let hw = self.log.hw();
        self.txns.on_high_watermark(hw);
        let (done, waiting): (Vec<_>, Vec<_>) = l.pending.drain(..).partition(|&(_, _, end)| end <= hw);
        l.pending = waiting;
        self.completed.extend(done.into_iter().map(|(id, base, _)| (id, Ok(base))));
    }
}

#[cfg(test)]
mod tests;
