//! One controller's Raft, as KIP-595 has KRaft run it (`KafkaRaftClient`, `QuorumState`,
//! `LeaderState`): epochs that only go up, one vote per epoch for a candidate whose log is at
//! least as up to date, a leader that appends a LeaderChange record and tells the voters
//! (BeginQuorumEpoch), followers and observers that pull the log with Fetch (the leader checks
//! each fetch's previous epoch and answers a diverging one with where to truncate), and a high
//! watermark that a majority of voters has fetched past, counted only from the leader's own epoch.
//!
//! Timing: one tick every tenth of the election timeout checks every deadline (no timer per
//! request). A voter without a leader stands after a random election timeout (from
//! `controller.quorum.election.timeout.ms` to twice it, drawn from the run's random stream); a
//! follower that has not fetched successfully for `controller.quorum.fetch.timeout.ms` stands; a
//! leader that a majority has not fetched from for 1.5× that resigns (check-quorum). Fetches with
//! nothing new wait at the leader up to 500 ms (the fetch's max wait), and are answered as soon as
//! records are appended or the high watermark moves.

use super::metalog::MetaLog;
use super::settings::KraftSettings;
use super::{ControllerId, Entry, FetchResult, MetadataRecord, RaftMsg};
use crate::kafka::clients::{emit, send};
use crate::kafka::msg::{KafkaEvent, KafkaMsg};
use crate::kafka::Ctx;
use crate::time::Time;
use crate::NodeId;

/// How long a fetch with nothing to return waits at the leader (Kafka's 500 ms; below half the
/// fetch timeout when that is set shorter, or a follower would give up on a leader that is only
/// waiting for news).
pub const FETCH_MAX_WAIT: Time = Time::ms(500);
/// Records per fetch response (the model's stand-in for `max.bytes`).
pub const FETCH_MAX_RECORDS: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// No leader known in this epoch (after a restart, a newer epoch seen, or a resignation).
    Unattached,
    Follower {
        leader: ControllerId,
    },
    Candidate {
        votes: Vec<ControllerId>,
    },
    /// `ends[i]`: how far voter `i + 1` has fetched (its log end); `fetched[i]`: whether it has
    /// fetched since the last check-quorum; `epoch_start`: the offset of this epoch's LeaderChange.
    Leader {
        ends: Vec<u64>,
        fetched: Vec<bool>,
        epoch_start: u64,
    },
}

/// A fetch waiting at the leader for something new.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Parked {
    from: NodeId,
    offset: u64,
    since: Time,
}

#[derive(Clone, Debug)]
pub struct Raft {
    pub id: ControllerId,
    voters: Vec<NodeId>,
    settings: KraftSettings,
    /// Kept on disk (Kafka's `quorum-state` file and the log): they survive a crash.
    pub epoch: u32,
    pub voted: Option<ControllerId>,
    pub log: MetaLog,
    pub role: Role,
    pub hw: u64,
    /// The election deadline (no leader, candidate), fetch deadline (follower) or check-quorum
    /// deadline (leader).
    deadline: Time,
    /// When the follower's fetch in flight went out.
    fetch_sent: Option<Time>,
    parked: Vec<Parked>,
}

impl Raft {
    pub fn new(id: ControllerId, voters: Vec<NodeId>, settings: KraftSettings) -> Raft {
        Raft {
            id,
            voters,
            settings,
            epoch: 0,
            voted: None,
            log: MetaLog::default(),
            role: Role::Unattached,
            hw: 0,
            deadline: Time::ZERO,
            fetch_sent: None,
            parked: vec![],
        }
    }

    pub fn tick_interval(&self) -> Time {
        (self.settings.election_timeout / 10).max(Time::ms(1))
    }

    pub fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader { .. })
    }

    /// The leader this voter knows of in its epoch.
    pub fn leader(&self) -> Option<ControllerId> {
        match self.role {
            Role::Leader { .. } => Some(self.id),
            Role::Follower { leader } => Some(leader),
            _ => None,
        }
    }

    fn majority(&self) -> usize {
        self.voters.len() / 2 + 1
    }

    fn node(&self, id: ControllerId) -> NodeId {
        self.voters[id as usize - 1]
    }

    fn voter_of(&self, node: NodeId) -> Option<ControllerId> {
        self.voters.iter().position(|&n| n == node).map(|i| i as ControllerId + 1)
    }

    fn random_election_timeout(&self, ctx: &mut Ctx) -> Time {
        let t = self.settings.election_timeout.0;
        Time(t + ctx.rng.below(t.max(1)))
    }

    /// Started or restarted: no leader known until one is heard or elected.
    pub fn on_start(&mut self, ctx: &mut Ctx) {
        self.role = Role::Unattached;
        self.deadline = ctx.now + self.random_election_timeout(ctx);
    }

    /// The process died: what is in memory goes, the log, epoch and vote stay.
    pub fn on_crash(&mut self) {
        self.role = Role::Unattached;
        self.hw = 0;
        self.fetch_sent = None;
        self.parked.clear();
    }

    /// Moves to a newer epoch, with no vote cast and no leader known yet.
    fn new_epoch(&mut self, ctx: &mut Ctx, epoch: u32) {
        debug_assert!(epoch > self.epoch);
        let was_leader = self.is_leader();
        self.epoch = epoch;
        self.voted = None;
        self.role = Role::Unattached;
        self.parked.clear();
        self.deadline = ctx.now + self.random_election_timeout(ctx);
        if was_leader {
            emit(ctx, KafkaEvent::ControllerResigned { controller: ctx.me, epoch: self.epoch });
        }
    }

    fn follow(&mut self, ctx: &mut Ctx, leader: ControllerId) {
        self.role = Role::Follower { leader };
        self.deadline = ctx.now + self.settings.fetch_timeout;
        self.fetch_sent = None;
        self.parked.clear();
        self.send_fetch(ctx);
    }

    fn send_fetch(&mut self, ctx: &mut Ctx) {
        let Role::Follower { leader } = self.role else { return };
        self.fetch_sent = Some(ctx.now);
        let m = RaftMsg::Fetch { epoch: self.epoch, offset: self.log.end(), last_epoch: self.log.last_epoch() };
        send(ctx, self.node(leader), KafkaMsg::Raft(m));
    }

    /// Every tick: stand for election, resend a lost fetch, answer fetches that waited long
    /// enough, check the quorum.
    pub fn on_tick(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        let max_wait = FETCH_MAX_WAIT.min(self.settings.fetch_timeout / 2);
        match &self.role {
            Role::Unattached | Role::Candidate { .. } if now >= self.deadline => self.stand(ctx),
            Role::Follower { .. } if now >= self.deadline => self.stand(ctx),
            // `controller.quorum.request.timeout.ms` (2 s) without an answer: ask again.
            Role::Follower { .. } if self.fetch_sent.is_none_or(|at| now >= at + Time::secs(2)) => self.send_fetch(ctx),
            Role::Leader { fetched, .. } => {
                let heard = 1 + fetched.iter().enumerate().filter(|&(i, &f)| f && i + 1 != self.id as usize).count();
                let expired: Vec<Parked> = self.parked.iter().filter(|p| now >= p.since + max_wait).cloned().collect();
                self.parked.retain(|p| now < p.since + max_wait);
                for p in expired {
                    self.answer_fetch(ctx, p.from, p.offset);
                }
                if now >= self.deadline {
                    if heard >= self.majority() {
                        if let Role::Leader { fetched, .. } = &mut self.role {
                            fetched.iter_mut().for_each(|f| *f = false);
                        }
                        self.deadline = now + Time(self.settings.fetch_timeout.0 * 3 / 2);
                    } else {
                        // Check-quorum: cut off from a majority, it steps down rather than lead
                        // alone; it stands again after an election timeout.
                        emit(ctx, KafkaEvent::ControllerResigned { controller: ctx.me, epoch: self.epoch });
                        self.role = Role::Unattached;
                        self.parked.clear();
                        self.deadline = now + self.random_election_timeout(ctx);
                    }
                }
            }
            _ => {}
        }
    }

    /// Becomes a candidate of the next epoch, votes for itself and asks the others.
    fn stand(&mut self, ctx: &mut Ctx) {
        self.epoch += 1;
        self.voted = Some(self.id);
        self.role = Role::Candidate { votes: vec![self.id] };
        self.parked.clear();
        self.deadline = ctx.now + self.random_election_timeout(ctx);
        emit(ctx, KafkaEvent::ControllerCandidate { controller: ctx.me, epoch: self.epoch });
        let m = RaftMsg::Vote { epoch: self.epoch, last_epoch: self.log.last_epoch(), end_offset: self.log.end() };
        for (i, &node) in self.voters.iter().enumerate() {
            if i + 1 != self.id as usize {
                send(ctx, node, KafkaMsg::Raft(m.clone()));
            }
        }
        self.maybe_won(ctx);
    }

    fn maybe_won(&mut self, ctx: &mut Ctx) {
        let Role::Candidate { votes } = &self.role else { return };
        if votes.len() < self.majority() {
            return;
        }
        let n = self.voters.len();
        let epoch_start = self.log.end();
        self.role = Role::Leader { ends: vec![0; n], fetched: vec![false; n], epoch_start };
        self.log.append(Entry {
            epoch: self.epoch,
            record: MetadataRecord::LeaderChange { leader: self.id },
            told: None,
        });
        self.deadline = ctx.now + Time(self.settings.fetch_timeout.0 * 3 / 2);
        emit(ctx, KafkaEvent::ControllerLeader { controller: ctx.me, epoch: self.epoch });
        for (i, &node) in self.voters.iter().enumerate() {
            if i + 1 != self.id as usize {
                send(ctx, node, KafkaMsg::Raft(RaftMsg::BeginQuorumEpoch { epoch: self.epoch }));
            }
        }
        self.update_hw(ctx);
    }

    /// The leader appends a record of its epoch; returns its offset.
    pub fn append(&mut self, ctx: &mut Ctx, record: MetadataRecord, told: Option<KafkaEvent>) -> u64 {
        assert!(self.is_leader(), "only the leader appends to the metadata log");
        let offset = self.log.append(Entry { epoch: self.epoch, record, told });
        self.update_hw(ctx);
        self.wake_parked(ctx);
        offset
    }

    /// The leader's HW: the highest offset a majority of voters has, once that is in its own
    /// epoch (`LeaderState.maybeUpdateHighWatermark`). Never goes down.
    fn update_hw(&mut self, ctx: &mut Ctx) {
        let Role::Leader { ends, epoch_start, .. } = &mut self.role else { return };
        ends[self.id as usize - 1] = self.log.end();
        let mut sorted = ends.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        let candidate = sorted[self.voters.len() / 2];
        if candidate > *epoch_start && candidate > self.hw {
            self.hw = candidate;
            self.wake_parked(ctx);
        }
    }

    fn wake_parked(&mut self, ctx: &mut Ctx) {
        for p in std::mem::take(&mut self.parked) {
            self.answer_fetch(ctx, p.from, p.offset);
        }
    }

    fn answer_fetch(&mut self, ctx: &mut Ctx, to: NodeId, offset: u64) {
        let entries = self.log.read(offset, FETCH_MAX_RECORDS);
        let result = FetchResult::Records { from: offset, entries, hw: self.hw };
        send(ctx, to, KafkaMsg::Raft(RaftMsg::FetchResponse { epoch: self.epoch, leader: Some(self.id), result }));
    }

    /// A Raft message from another controller, or a broker's fetch. Returns true if the HW moved
    /// (the controller then replays or answers what committed).
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: RaftMsg) {
        let voter = self.voter_of(from);
        match msg {
            RaftMsg::Vote { epoch, last_epoch, end_offset } => {
                let Some(candidate) = voter else { return };
                if epoch > self.epoch {
                    self.new_epoch(ctx, epoch);
                }
                let up_to_date = (last_epoch, end_offset) >= (self.log.last_epoch(), self.log.end());
                let granted = epoch == self.epoch
                    && matches!(self.role, Role::Unattached | Role::Candidate { .. })
                    && self.voted.is_none_or(|v| v == candidate)
                    && up_to_date;
                if granted {
                    self.voted = Some(candidate);
                    self.deadline = ctx.now + self.random_election_timeout(ctx);
                }
                send(ctx, from, KafkaMsg::Raft(RaftMsg::VoteResponse { epoch: self.epoch, granted }));
            }
            RaftMsg::VoteResponse { epoch, granted } => {
                let Some(v) = voter else { return };
                if epoch > self.epoch {
                    return self.new_epoch(ctx, epoch);
                }
                if let Role::Candidate { votes } = &mut self.role {
                    if granted && epoch == self.epoch && !votes.contains(&v) {
                        votes.push(v);
                        self.maybe_won(ctx);
                    }
                }
            }
            RaftMsg::BeginQuorumEpoch { epoch } => {
                let Some(leader) = voter else { return };
                if epoch > self.epoch {
                    self.new_epoch(ctx, epoch);
                }
                if epoch == self.epoch && !self.is_leader() && self.leader() != Some(leader) {
                    self.follow(ctx, leader);
                }
            }
            RaftMsg::Fetch { epoch, offset, last_epoch } => self.on_fetch(ctx, from, voter, epoch, offset, last_epoch),
            RaftMsg::FetchResponse { epoch, leader, result } => self.on_fetch_response(ctx, epoch, leader, result),
        }
    }

    fn on_fetch(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        voter: Option<ControllerId>,
        epoch: u32,
        offset: u64,
        last_epoch: u32,
    ) {
        if voter.is_some() && epoch > self.epoch {
            self.new_epoch(ctx, epoch);
        }
        // Observers (brokers) fetch with the epoch they know, which may be older: they are
        // answered all the same if this is the leader.
        let stale = voter.is_some() && epoch != self.epoch;
        if !self.is_leader() || stale {
            let m = RaftMsg::FetchResponse { epoch: self.epoch, leader: self.leader(), result: FetchResult::NotLeader };
            return send(ctx, from, KafkaMsg::Raft(m));
        }
        if let Some((epoch, end_offset)) = self.log.diverging(offset, last_epoch) {
            let result = FetchResult::Diverging { epoch, end_offset };
            return send(
                ctx,
                from,
                KafkaMsg::Raft(RaftMsg::FetchResponse { epoch: self.epoch, leader: Some(self.id), result }),
            );
        }
        if let (Some(v), Role::Leader { ends, fetched, .. }) = (voter, &mut self.role) {
            // A follower's fetch offset is its log end: what it has, it acknowledges.
            ends[v as usize - 1] = offset.min(self.log.end());
            fetched[v as usize - 1] = true;
        }
        self.parked.retain(|p| p.from != from);
        let hw_before = self.hw;
        self.update_hw(ctx);
        if offset < self.log.end() || self.hw != hw_before {
            self.answer_fetch(ctx, from, offset);
        } else {
            self.parked.push(Parked { from, offset, since: ctx.now });
        }
    }

    fn on_fetch_response(&mut self, ctx: &mut Ctx, epoch: u32, leader: Option<ControllerId>, result: FetchResult) {
        if epoch > self.epoch {
            self.new_epoch(ctx, epoch);
        }
        if epoch < self.epoch || self.is_leader() {
            return;
        }
        match (leader, &self.role) {
            (Some(l), Role::Follower { leader }) if l == *leader => {}
            (Some(l), _) if l != self.id => return self.follow(ctx, l),
            _ => return,
        }
        self.fetch_sent = None;
        match result {
            FetchResult::Records { from, entries, hw } => {
                self.log.accept(from, entries);
                self.hw = self.hw.max(hw.min(self.log.end()));
                self.deadline = ctx.now + self.settings.fetch_timeout;
            }
            FetchResult::Diverging { epoch, end_offset } => {
                self.log.truncate_diverging(epoch, end_offset);
                debug_assert!(self.log.end() >= self.hw, "a follower never truncates what it knows is committed");
            }
            FetchResult::NotLeader => return,
        }
        self.send_fetch(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::Kafka;
    use crate::kernel::ctx::Effect;
    use crate::kernel::rng::Rng;

    const VOTERS: [NodeId; 3] = [NodeId(0), NodeId(1), NodeId(2)];

    fn settings() -> KraftSettings {
        KraftSettings {
            controllers: 3,
            heartbeat_interval: Time::secs(2),
            session_timeout: Time::secs(9),
            election_timeout: Time::secs(1),
            fetch_timeout: Time::secs(2),
        }
    }

    /// Runs `f` as voter `id`'s handler at `now`; returns the Raft messages it sent.
    fn run(r: &mut Raft, now: Time, f: impl FnOnce(&mut Raft, &mut Ctx)) -> Vec<(NodeId, RaftMsg)> {
        let (mut rng, mut effects): (Rng, Vec<Effect<Kafka>>) = (Rng::new(1), vec![]);
        let me = VOTERS[r.id as usize - 1];
        f(r, &mut Ctx::new(now, me, &mut rng, &mut effects));
        effects
            .into_iter()
            .filter_map(|e| match e {
                Effect::Send { to, msg: KafkaMsg::Raft(m) } => Some((to, m)),
                _ => None,
            })
            .collect()
    }

    fn with_log(id: ControllerId, epochs: &[u32]) -> Raft {
        let mut r = Raft::new(id, VOTERS.to_vec(), settings());
        for &epoch in epochs {
            r.log.append(Entry { epoch, record: MetadataRecord::Topic { topic: 0 }, told: None });
        }
        r.epoch = epochs.last().copied().unwrap_or(0);
        r
    }

    fn granted(sent: &[(NodeId, RaftMsg)]) -> bool {
        matches!(sent, [(_, RaftMsg::VoteResponse { granted: true, .. })])
    }

    #[test]
    fn one_vote_per_epoch_and_only_for_a_log_at_least_as_up_to_date() {
        let mut r = with_log(2, &[1, 1]);
        let vote = |epoch, last_epoch, end_offset| RaftMsg::Vote { epoch, last_epoch, end_offset };
        let sent = run(&mut r, Time::ZERO, |r, ctx| r.on_message(ctx, VOTERS[0], vote(2, 1, 1)));
        assert!(!granted(&sent), "a shorter log of the same last epoch is refused");
        assert_eq!(r.epoch, 2, "but its epoch is taken");
        let sent = run(&mut r, Time::ZERO, |r, ctx| r.on_message(ctx, VOTERS[2], vote(2, 1, 2)));
        assert!(granted(&sent));
        let sent = run(&mut r, Time::ZERO, |r, ctx| r.on_message(ctx, VOTERS[0], vote(2, 1, 9)));
        assert!(!granted(&sent), "one vote per epoch");
        let sent = run(&mut r, Time::ZERO, |r, ctx| r.on_message(ctx, VOTERS[0], vote(3, 2, 1)));
        assert!(granted(&sent), "a newer epoch, and a newer last epoch beats a longer log");
        assert_eq!((r.epoch, r.voted), (3, Some(1)));
    }

    #[test]
    fn the_hw_needs_a_majority_and_a_record_of_the_leaders_own_epoch() {
        // Three records of epoch 1 that voter 1 never saw committed.
        let mut r = with_log(1, &[1, 1, 1]);
        run(&mut r, Time::ZERO, |r, ctx| r.on_start(ctx));
        let votes = run(&mut r, Time::secs(3), |r, ctx| r.on_tick(ctx));
        assert_eq!(votes.len(), 2, "it asks both others: {votes:?}");
        assert_eq!(r.epoch, 2);
        let sent = run(&mut r, Time::secs(3), |r, ctx| {
            r.on_message(ctx, VOTERS[1], RaftMsg::VoteResponse { epoch: 2, granted: true })
        });
        assert!(r.is_leader(), "two of three");
        assert!(sent.iter().all(|(_, m)| matches!(m, RaftMsg::BeginQuorumEpoch { epoch: 2 })));
        assert_eq!(r.log.end(), 4, "its LeaderChange record is at offset 3");
        // Voter 2 has the epoch-1 records: a majority has offset 3, but none of epoch 2 yet.
        let fetch = |offset, last_epoch| RaftMsg::Fetch { epoch: 2, offset, last_epoch };
        run(&mut r, Time::secs(3), |r, ctx| r.on_message(ctx, VOTERS[1], fetch(3, 1)));
        assert_eq!(r.hw, 0, "records of an older epoch commit only with one of the leader's own");
        let sent = run(&mut r, Time::secs(3), |r, ctx| r.on_message(ctx, VOTERS[1], fetch(4, 2)));
        assert_eq!(r.hw, 4);
        let [(_, RaftMsg::FetchResponse { result: FetchResult::Records { from: 4, entries, hw: 4 }, .. })] = &sent[..]
        else {
            panic!("{sent:?}")
        };
        assert!(entries.is_empty());
        // A fetch that diverges is told where to truncate, and moves nothing.
        let sent = run(&mut r, Time::secs(3), |r, ctx| r.on_message(ctx, VOTERS[2], fetch(5, 1)));
        assert!(matches!(
            &sent[..],
            [(_, RaftMsg::FetchResponse { result: FetchResult::Diverging { epoch: 1, end_offset: 3 }, .. })]
        ));
        assert_eq!(r.hw, 4);
    }
}
