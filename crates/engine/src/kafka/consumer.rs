//! Kafka's consumer: standalone (every partition of its topic, from the start) or a member of a
//! consumer group, with the classic protocol's client side (`ConsumerCoordinator`):
//! FindCoordinator → JoinGroup (rejoining once with the id from MEMBER_ID_REQUIRED) → the leader runs
//! the assignor → SyncGroup → heartbeats every `heartbeat.interval.ms`; positions from the group's
//! committed offsets (OffsetFetch) or, without one, from `auto.offset.reset` (ListOffsets); long-poll
//! fetches for the partitions it owns; auto-commit every `auto.commit.interval.ms` and before every
//! rejoin. Eager protocol: every partition is revoked before rejoining. Cooperative protocol
//! (KIP-429): it keeps fetching what it owns while rejoining, gives up only what the new assignment
//! takes away, and then rejoins once more so those partitions can move.
//!
//! The application processes fetched records one at a time (`processing`, with jitter); one
//! `poll()` hands it up to `max.poll.records` (500); a member that spends longer than
//! `max.poll.interval.ms` on one poll's records leaves its group (the heartbeat thread's poll
//! timeout) and rejoins at its next poll, its partitions lost.
//!
//! Simplified (said in the docs): no static membership.

use super::assignor::{self, Assignor, TopicPartition};
use super::clients::{send, update_leaders, MetadataAsk};
use super::cluster::{Cluster, Group, FETCH_MAX_WAIT, REQUEST_TIMEOUT, RETRY_BACKOFF};
use super::config::OffsetReset;
use super::msg::{Joined, KafkaEvent, KafkaMsg, PositionFrom, Tp};
use super::partition::{BrokerId, Error};
use super::{Ctx, KafkaTimer};
use crate::deadlines::Deadlines;
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;
use std::collections::BTreeMap;
use std::rc::Rc;

/// `max.poll.records`: what one `poll()` hands the application at most.
const MAX_POLL_RECORDS: u32 = 500;

/// Where a member is in the group protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Not a member of the current generation: it will (re)join.
    Unjoined,
    /// Eager rejoin: committing its positions before it gives its partitions up.
    Committing,
    Joining,
    Syncing,
    Stable,
}

#[derive(Clone, Debug)]
pub struct Membership {
    pub group: u8,
    pub coordinator: Option<BrokerId>,
    pub member_id: String,
    pub generation: Option<u32>,
    pub phase: Phase,
    /// The partitions it owns now (a bit per partition of the group's topic).
    pub owned: u64,
    /// Its last assignment and generation, sent with JoinGroup for the sticky assignors.
    held: u64,
    held_generation: i32,
    pub committed: VecMap<u16, u64>,
    /// The coordinator request it waits for (find, join, sync, commit-before-rejoin), by number.
    waiting: Option<u64>,
    requests: u64,
    commit_inflight: bool,
    heartbeat_gen: u64,
}

impl Membership {
    fn new(group: u8) -> Membership {
        Membership {
            group,
            coordinator: None,
            member_id: String::new(),
            generation: None,
            phase: Phase::Unjoined,
            owned: 0,
            held: 0,
            held_generation: -1,
            committed: VecMap::new(),
            waiting: None,
            requests: 0,
            commit_inflight: false,
            heartbeat_gen: 0,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Consumer {
    pub cluster: Rc<Cluster>,
    pub name: String,
    pub topic: u16,
    /// Next offset to fetch, per partition it reads.
    pub positions: VecMap<u16, u64>,
    /// Next offset to process (what a commit records): behind `positions` by what is fetched and
    /// not yet processed.
    pub processed: VecMap<u16, u64>,
    /// How long the application works on one record: a base and a random extra up to `jitter`.
    processing: (Time, Time),
    /// Fetched records waiting to be processed, in arrival order (one thread processes them).
    backlog: std::collections::VecDeque<(u16, super::log::Record)>,
    busy: bool,
    process_gen: u64,
    /// Records left of the application's current `poll()` batch, and that poll's number.
    poll_left: u32,
    poll_gen: u64,
    /// It took longer than `max.poll.interval.ms` between polls and left its group; it rejoins at
    /// its next poll.
    poll_expired: bool,
    leaders: VecMap<u16, BrokerId>,
    /// Fetches in flight: partition → (generation, broker asked).
    fetching: VecMap<u16, (u64, BrokerId)>,
    /// When each fetch in `fetching` times out (`request.timeout.ms` beyond its long poll).
    fetch_timeouts: Deadlines<u16>,
    next_gen: u64,
    metadata: MetadataAsk,
    pub member: Option<Membership>,
    /// Partitions whose start comes from `auto.offset.reset` (no commit, or their position was
    /// deleted by retention — those are in `out_of_range` too).
    resetting: u64,
    out_of_range: u64,
}

fn bits(mask: u64) -> impl Iterator<Item = u16> {
    (0..64u16).filter(move |p| mask & (1 << p) != 0)
}

impl Consumer {
    pub fn new(cluster: Rc<Cluster>, name: &str, topic: u16, group: Option<u8>) -> Consumer {
        Consumer {
            cluster,
            name: name.to_string(),
            topic,
            positions: VecMap::new(),
            processed: VecMap::new(),
            processing: (Time::ZERO, Time::ZERO),
            backlog: Default::default(),
            busy: false,
            process_gen: 0,
            poll_left: 0,
            poll_gen: 0,
            poll_expired: false,
            leaders: VecMap::new(),
            fetching: VecMap::new(),
            fetch_timeouts: Deadlines::default(),
            next_gen: 0,
            metadata: MetadataAsk::default(),
            member: group.map(Membership::new),
            resetting: 0,
            out_of_range: 0,
        }
    }

    /// Per-record processing time (`base` plus up to `jitter` more, drawn per record).
    pub fn with_processing(mut self, base: Time, jitter: Time) -> Consumer {
        self.processing = (base, jitter);
        self
    }

    fn set_position(&mut self, p: u16, offset: u64) {
        self.positions.insert(p, offset);
        self.processed.insert(p, offset);
    }

    fn settings(&self) -> Option<&Group> {
        self.member.as_ref().and_then(|m| self.cluster.groups.get(m.group as usize))
    }

    fn partitions(&self) -> u16 {
        self.cluster.topics[self.topic as usize].partitions
    }

    /// Whether it reads `p` now: a standalone consumer reads all, a member what it owns.
    fn reads(&self, p: u16) -> bool {
        self.member.as_ref().is_none_or(|m| m.owned & (1 << p) != 0)
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        let next = ctx.rng.below(self.cluster.brokers.len() as u64) as usize;
        self.metadata = MetadataAsk::starting_at(next);
        self.metadata.ask(ctx, &self.cluster);
        if let Some(cfg) = self.settings() {
            if let Some(every) = cfg.auto_commit {
                ctx.set_timer(every, KafkaTimer::AutoCommit);
            }
            self.advance(ctx);
        }
    }

    /// Memory is gone: a restarted member joins as a new member (its old one lives on at the
    /// coordinator until its session times out) and starts from the group's committed offsets.
    pub fn on_crash(&mut self) {
        self.positions.clear();
        self.processed.clear();
        self.backlog.clear();
        self.busy = false;
        self.process_gen += 1;
        (self.poll_left, self.poll_expired) = (0, false);
        self.leaders.clear();
        self.fetching.clear();
        self.fetch_timeouts.clear();
        self.resetting = 0;
        self.out_of_range = 0;
        if let Some(m) = &mut self.member {
            *m = Membership::new(m.group);
        }
    }

    /// `close()`: with auto-commit, commit what it read; give its partitions up; leave the group,
    /// so the coordinator rebalances at once instead of after a session timeout.
    pub fn on_leave(&mut self, ctx: &mut Ctx) {
        let auto = self.settings().is_some_and(|g| g.auto_commit.is_some());
        let me = ctx.me;
        let Some(m) = &self.member else { return };
        if m.generation.is_none() {
            return;
        }
        if auto {
            self.commit(ctx, false);
        }
        let Some(m) = &self.member else { return };
        if m.owned != 0 {
            ctx.emit(KafkaEvent::Revoked { group: m.group, consumer: me, partitions: m.owned, lost: false });
        }
        let msg = KafkaMsg::LeaveGroup { group: m.group, member: m.member_id.clone() };
        self.request(ctx, msg, None);
    }

    /// The connection to a broker was reset: fetches to it failed; find the leaders again. If it
    /// was the group coordinator, find the coordinator again.
    pub fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        self.metadata.lost(peer, ctx.now);
        let Some(broker) = self.cluster.broker_of(peer) else { return };
        let lost: Vec<u16> = self.fetching.iter().filter(|(_, &(_, b))| b == broker).map(|(&p, _)| p).collect();
        for p in lost {
            self.fetch_done(p);
            ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RetryPartition { partition: p });
        }
        self.leaders.retain(|_, l| *l != broker);
        self.metadata.ask(ctx, &self.cluster);
        if self.member.as_ref().is_some_and(|m| m.coordinator == Some(broker)) {
            self.coordinator_lost(ctx);
        }
    }

    // ----- reading -----

    fn fetch(&mut self, ctx: &mut Ctx, partition: u16) {
        // A partition with records still waiting to be processed is not fetched (as Kafka's
        // fetcher skips partitions with buffered data).
        if !self.reads(partition)
            || self.fetching.contains_key(&partition)
            || self.backlog.iter().any(|b| b.0 == partition)
        {
            return;
        }
        let Some(&leader) = self.leaders.get(&partition) else { return };
        let Some(node) = self.cluster.broker_node(leader) else { return };
        if !self.metadata.usable(node, ctx.now) {
            // Its connection was just reset: wait out the reconnect backoff, then look again.
            ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RetryPartition { partition });
            return;
        }
        let tp = Tp { topic: self.topic, partition };
        let offset = match (&self.member, self.positions.get(&partition)) {
            (_, Some(&o)) => o,
            // Position unknown: ask the leader where the log starts or ends, if that is the reset
            // policy's job for this partition (else a member's committed offset is on its way).
            _ if self.resetting & (1 << partition) != 0 => {
                let earliest = self.settings().is_none_or(|g| g.reset == OffsetReset::Earliest);
                return send(ctx, node, KafkaMsg::ListOffsets { tp, earliest });
            }
            (None, None) => {
                self.set_position(partition, 0);
                0
            }
            (Some(_), None) => return,
        };
        let generation = self.next_gen;
        self.next_gen += 1;
        self.fetching.insert(partition, (generation, leader));
        send(ctx, node, KafkaMsg::Fetch { tp, offset, generation });
        self.fetch_timeouts.set(ctx, partition, REQUEST_TIMEOUT + FETCH_MAX_WAIT, KafkaTimer::FetchTimeout);
    }

    /// The fetch of `partition` was answered or given up.
    fn fetch_done(&mut self, partition: u16) {
        self.fetching.remove(&partition);
        self.fetch_timeouts.remove(partition);
    }

    fn fetch_all(&mut self, ctx: &mut Ctx) {
        let idle: Vec<u16> = self.leaders.keys().copied().filter(|p| !self.fetching.contains_key(p)).collect();
        for p in idle {
            self.fetch(ctx, p);
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: KafkaTimer) {
        match timer {
            KafkaTimer::FetchTimeout => {
                // A fetch timed out: the leader may have moved.
                for partition in self.fetch_timeouts.expired(ctx, KafkaTimer::FetchTimeout) {
                    if self.fetching.remove(&partition).is_some() {
                        self.metadata.ask(ctx, &self.cluster);
                    }
                }
            }
            KafkaTimer::Metadata { generation } if self.metadata.is_live(generation) => {
                self.metadata.done();
                if (0..self.partitions()).any(|p| self.reads(p) && !self.fetching.contains_key(&p)) {
                    self.metadata.ask(ctx, &self.cluster);
                }
            }
            KafkaTimer::RetryPartition { partition } => {
                if self.leaders.contains_key(&partition) {
                    self.fetch(ctx, partition);
                } else if self.reads(partition) {
                    self.metadata.ask(ctx, &self.cluster);
                    ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RetryPartition { partition });
                }
            }
            KafkaTimer::GroupStep => self.advance(ctx),
            KafkaTimer::GroupRequest { request } => {
                if let Some(m) = &mut self.member {
                    if m.waiting == Some(request) {
                        m.waiting = None;
                        self.coordinator_lost(ctx);
                    }
                }
            }
            KafkaTimer::Heartbeat { generation } => self.heartbeat(ctx, generation),
            KafkaTimer::Processed { generation } => self.on_processed(ctx, generation),
            KafkaTimer::PollTimeout { generation } => self.on_poll_timer(ctx, generation),
            KafkaTimer::AutoCommit => {
                if let Some(every) = self.settings().and_then(|g| g.auto_commit) {
                    ctx.set_timer(every, KafkaTimer::AutoCommit);
                    if self.member.as_ref().is_some_and(|m| m.phase == Phase::Stable && !m.commit_inflight) {
                        self.commit(ctx, false);
                    }
                }
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, msg: KafkaMsg) {
        match msg {
            KafkaMsg::MetadataResponse { states } => {
                self.metadata.done();
                update_leaders(&mut self.leaders, self.topic, &states);
                // Partitions without a known leader yet (topic not created, election under way):
                // look again after `retry.backoff.ms`.
                if self.leaders.len() < self.partitions() as usize {
                    self.metadata.arm(ctx, RETRY_BACKOFF);
                }
                self.fetch_all(ctx);
            }
            KafkaMsg::FetchResponse { tp, result, generation } => {
                if self.fetching.get(&tp.partition).map(|f| f.0) != Some(generation) {
                    return;
                }
                self.fetch_done(tp.partition);
                match result {
                    // Records for a partition it no longer owns are dropped, unread.
                    Ok((records, _hw)) if self.reads(tp.partition) => {
                        let Some(&start) = self.positions.get(&tp.partition) else { return };
                        let instant = self.processing == (Time::ZERO, Time::ZERO);
                        // Offsets may have gaps where the log was compacted.
                        for r in records.into_iter().skip_while(|r| r.offset < start) {
                            self.positions.insert(tp.partition, r.offset + 1);
                            if instant {
                                self.processed_one(ctx, tp.partition, r);
                            } else {
                                self.backlog.push_back((tp.partition, r));
                            }
                        }
                        if !self.busy {
                            self.process_next(ctx);
                        }
                        self.fetch(ctx, tp.partition);
                    }
                    Ok(_) => {}
                    Err(Error::OffsetOutOfRange) => {
                        // Retention deleted its position: start again where auto.offset.reset says.
                        self.positions.remove(&tp.partition);
                        self.resetting |= 1 << tp.partition;
                        self.out_of_range |= 1 << tp.partition;
                        self.fetch(ctx, tp.partition);
                    }
                    Err(_) => {
                        self.leaders.remove(&tp.partition);
                        self.metadata.ask(ctx, &self.cluster);
                        ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RetryPartition { partition: tp.partition });
                    }
                }
            }
            KafkaMsg::ListOffsetsResponse { tp, result } => self.on_list_offsets(ctx, tp, result),
            KafkaMsg::FindCoordinatorResponse { result, .. } => {
                let Some(m) = self.answered() else { return };
                match result {
                    Ok(b) => {
                        m.coordinator = Some(b);
                        self.advance(ctx);
                    }
                    Err(_) => ctx.set_timer(RETRY_BACKOFF, KafkaTimer::GroupStep),
                }
            }
            // Answers to a request it has given up on (phase moved on) are ignored.
            KafkaMsg::JoinGroupResponse { result, member, .. } if self.in_phase(Phase::Joining) => {
                self.answered();
                self.on_joined(ctx, result, member);
            }
            KafkaMsg::SyncGroupResponse { result, .. } if self.in_phase(Phase::Syncing) => {
                self.answered();
                self.on_synced(ctx, result);
            }
            KafkaMsg::HeartbeatResponse { error, .. } => self.on_heartbeat(ctx, error),
            KafkaMsg::OffsetCommitResponse { result, .. } => self.on_committed(ctx, result),
            KafkaMsg::OffsetFetchResponse { result, .. } => self.on_offsets(ctx, result),
            _ => {}
        }
    }

    // ----- processing -----

    /// The application is done with a record: it counts as consumed, and as committable.
    fn processed_one(&mut self, ctx: &mut Ctx, partition: u16, r: super::log::Record) {
        let tp = Tp { topic: self.topic, partition };
        let latency = ctx.now - r.timestamp;
        ctx.emit(KafkaEvent::Consumed { consumer: ctx.me, tp, offset: r.offset, value: r.value, latency });
        self.processed.insert(partition, r.offset + 1);
    }

    /// Starts on the next fetched record, if any. Taking the first record of a new batch is a
    /// `poll()`: the poll timer (`max.poll.interval.ms`) starts again, and a member that left
    /// because it expired rejoins now.
    fn process_next(&mut self, ctx: &mut Ctx) {
        if self.poll_left == 0 {
            if self.poll_expired {
                self.rejoin_after_poll_timeout(ctx);
            }
            if self.backlog.is_empty() {
                return;
            }
            self.poll_left = (self.backlog.len() as u32).min(MAX_POLL_RECORDS);
            self.poll_gen += 1;
            if let Some(limit) = self.settings().map(|g| g.rebalance_timeout) {
                ctx.set_timer(limit, KafkaTimer::PollTimeout { generation: self.poll_gen });
            }
        }
        if self.backlog.is_empty() {
            return;
        }
        self.poll_left -= 1;
        let (base, jitter) = self.processing;
        let extra = if jitter > Time::ZERO { Time(ctx.rng.below(jitter.0 + 1)) } else { Time::ZERO };
        self.busy = true;
        ctx.set_timer(base + extra, KafkaTimer::Processed { generation: self.process_gen });
    }

    /// The poll timer ran out while the application was still on the same batch: the heartbeat
    /// thread leaves the group ("consumer poll timeout has expired"), and the member forgets its
    /// id and generation; its partitions are lost (its commits would be refused).
    fn on_poll_timer(&mut self, ctx: &mut Ctx, generation: u64) {
        let same_poll = generation == self.poll_gen;
        let Some(m) = &mut self.member else { return };
        if !same_poll || !(self.busy || self.poll_left > 0) || m.generation.is_none() {
            return;
        }
        ctx.emit(KafkaEvent::PollTimeout { group: m.group, consumer: ctx.me });
        let msg = KafkaMsg::LeaveGroup { group: m.group, member: m.member_id.clone() };
        self.request(ctx, msg, None);
        let m = self.member.as_mut().expect("a member");
        m.generation = None;
        m.held_generation = -1;
        m.member_id.clear();
        m.phase = Phase::Unjoined;
        m.waiting = None;
        self.poll_expired = true;
    }

    fn rejoin_after_poll_timeout(&mut self, ctx: &mut Ctx) {
        self.poll_expired = false;
        let me = ctx.me;
        let Some(m) = &self.member else { return };
        if m.owned != 0 {
            let (group, owned) = (m.group, m.owned);
            ctx.emit(KafkaEvent::Revoked { group, consumer: me, partitions: owned, lost: true });
            self.drop_partitions(owned);
        }
        self.join(ctx);
    }

    fn on_processed(&mut self, ctx: &mut Ctx, generation: u64) {
        if generation != self.process_gen {
            return;
        }
        self.busy = false;
        if let Some((p, r)) = self.backlog.pop_front() {
            self.processed_one(ctx, p, r);
            if !self.backlog.iter().any(|b| b.0 == p) {
                self.fetch(ctx, p);
            }
        }
        self.process_next(ctx);
    }

    // ----- the group protocol -----

    fn in_phase(&self, phase: Phase) -> bool {
        self.member.as_ref().is_some_and(|m| m.phase == phase)
    }

    /// A coordinator answer came: stop waiting for it.
    fn answered(&mut self) -> Option<&mut Membership> {
        let m = self.member.as_mut()?;
        m.waiting = None;
        Some(m)
    }

    /// Sends to the coordinator, waiting for the answer up to `timeout` (then the coordinator is
    /// taken as lost).
    fn request(&mut self, ctx: &mut Ctx, msg: KafkaMsg, timeout: Option<Time>) {
        let Some(m) = &mut self.member else { return };
        let Some(node) = m.coordinator.and_then(|b| self.cluster.broker_node(b)) else { return };
        if let Some(t) = timeout {
            m.requests += 1;
            m.waiting = Some(m.requests);
            ctx.set_timer(t, KafkaTimer::GroupRequest { request: m.requests });
        }
        send(ctx, node, msg);
    }

    /// Takes the next step of the protocol, if one is due.
    fn advance(&mut self, ctx: &mut Ctx) {
        let Some(m) = &self.member else { return };
        if m.waiting.is_some() {
            return;
        }
        if m.coordinator.is_none() {
            // FindCoordinator goes to any broker; the next one each time.
            let n = self.cluster.brokers.len();
            let broker = self.cluster.brokers[self.metadata.next % n];
            self.metadata.next += 1;
            let group = m.group;
            let m = self.member.as_mut().expect("checked");
            m.requests += 1;
            m.waiting = Some(m.requests);
            ctx.set_timer(REQUEST_TIMEOUT, KafkaTimer::GroupRequest { request: m.requests });
            return send(ctx, broker, KafkaMsg::FindCoordinator { group });
        }
        if m.phase == Phase::Unjoined {
            self.join(ctx);
        }
    }

    fn join(&mut self, ctx: &mut Ctx) {
        let Some(cfg) = self.settings().cloned() else { return };
        let m = self.member.as_mut().expect("a member");
        m.phase = Phase::Joining;
        let msg = KafkaMsg::JoinGroup {
            group: m.group,
            member: m.member_id.clone(),
            client: self.name.clone(),
            owned: m.held,
            owned_generation: m.held_generation,
        };
        if m.coordinator.is_none() {
            m.phase = Phase::Unjoined;
            return self.advance(ctx);
        }
        // The coordinator may hold the answer for a whole rebalance timeout (Kafka adds 5 s).
        self.request(ctx, msg, Some(cfg.rebalance_timeout + Time::secs(5)));
    }

    fn coordinator_lost(&mut self, ctx: &mut Ctx) {
        let Some(m) = &mut self.member else { return };
        m.coordinator = None;
        m.waiting = None;
        match m.phase {
            Phase::Joining | Phase::Syncing => m.phase = Phase::Unjoined,
            Phase::Committing => return self.rejoin_now(ctx),
            Phase::Unjoined | Phase::Stable => {}
        }
        ctx.set_timer(RETRY_BACKOFF, KafkaTimer::GroupStep);
    }

    fn on_joined(&mut self, ctx: &mut Ctx, result: Result<Joined, Error>, new_id: String) {
        let Some(cfg) = self.settings().cloned() else { return };
        let m = self.member.as_mut().expect("a member");
        match result {
            Err(Error::MemberIdRequired) => {
                m.member_id = new_id;
                self.join(ctx);
            }
            Err(Error::UnknownMemberId) => {
                m.member_id.clear();
                self.join(ctx);
            }
            Err(Error::NotCoordinator | Error::CoordinatorNotAvailable) => self.coordinator_lost(ctx),
            Err(_) => {
                m.phase = Phase::Unjoined;
                ctx.set_timer(RETRY_BACKOFF, KafkaTimer::GroupStep);
            }
            Ok(j) => {
                m.generation = Some(j.generation);
                m.member_id = j.member.clone();
                m.phase = Phase::Syncing;
                let assignment = if j.leader == j.member { self.assign(&cfg, &j.members) } else { vec![] };
                let m = self.member.as_mut().expect("a member");
                let msg =
                    KafkaMsg::SyncGroup { group: m.group, generation: j.generation, member: j.member, assignment };
                m.heartbeat_gen += 1;
                ctx.set_timer(cfg.heartbeat_interval, KafkaTimer::Heartbeat { generation: m.heartbeat_gen });
                self.request(ctx, msg, Some(REQUEST_TIMEOUT));
            }
        }
    }

    /// The leader's job: run the group's assignor over every member's subscription.
    fn assign(&self, cfg: &Group, members: &[(String, u64, i32)]) -> Vec<(String, u64)> {
        let topic = &self.cluster.topics[self.topic as usize].name;
        let topics = BTreeMap::from([(topic.clone(), self.partitions() as u32)]);
        let subscriptions: Vec<assignor::Member> = members
            .iter()
            .map(|(id, owned, generation)| assignor::Member {
                id: id.clone(),
                instance_id: None,
                topics: vec![topic.clone()],
                owned: bits(*owned).map(|p| TopicPartition::new(topic, p as u32)).collect(),
                generation: (*generation >= 0).then_some(*generation),
            })
            .collect();
        let Ok(kind) = Assignor::parse(&cfg.assignor) else { return vec![] };
        let Ok(result) = assignor::assign(kind, &topics, &subscriptions) else { return vec![] };
        result.into_iter().map(|(id, tps)| (id, tps.iter().fold(0u64, |m, tp| m | 1 << tp.partition))).collect()
    }

    fn on_synced(&mut self, ctx: &mut Ctx, result: Result<u64, Error>) {
        let cooperative = self.settings().is_some_and(|g| g.cooperative);
        let me = ctx.me;
        let m = self.member.as_mut().expect("a member");
        let assignment = match result {
            Ok(a) => a,
            Err(Error::RebalanceInProgress) => return self.prepare_rejoin(ctx),
            Err(e @ (Error::UnknownMemberId | Error::IllegalGeneration)) => return self.reset(ctx, e),
            Err(_) => return self.coordinator_lost(ctx),
        };
        m.phase = Phase::Stable;
        let generation = m.generation.unwrap_or(0);
        let revoked = m.owned & !assignment;
        let added = assignment & !m.owned;
        m.held = assignment;
        m.held_generation = generation as i32;
        if revoked != 0 {
            // Only the cooperative protocol gets here with partitions still owned.
            ctx.emit(KafkaEvent::Revoked { group: m.group, consumer: me, partitions: revoked, lost: false });
        }
        ctx.emit(KafkaEvent::Assigned { group: m.group, consumer: me, generation, partitions: assignment, added });
        if revoked != 0 {
            self.commit_partitions(ctx, revoked);
            self.drop_partitions(revoked);
        }
        let m = self.member.as_mut().expect("a member");
        m.owned = assignment;
        if added != 0 {
            let msg = KafkaMsg::OffsetFetch { group: m.group, partitions: added };
            self.request(ctx, msg, None);
        }
        if cooperative && revoked != 0 {
            // KIP-429: what was revoked can now go to its new owner in a second rebalance.
            self.member.as_mut().expect("a member").phase = Phase::Unjoined;
            self.join(ctx);
        }
    }

    fn drop_partitions(&mut self, mask: u64) {
        for p in bits(mask) {
            self.positions.remove(&p);
            self.processed.remove(&p);
            self.fetch_done(p);
        }
        // Records of those partitions not yet processed are dropped; if the one in hand is one of
        // them, its processing is abandoned.
        if self.busy && self.backlog.front().is_some_and(|b| mask & (1 << b.0) != 0) {
            self.busy = false;
            self.process_gen += 1;
        }
        self.backlog.retain(|b| mask & (1 << b.0) == 0);
        self.poll_left = self.poll_left.min(self.backlog.len() as u32);
        self.resetting &= !mask;
        self.out_of_range &= !mask;
        if let Some(m) = &mut self.member {
            m.owned &= !mask;
        }
    }

    fn heartbeat(&mut self, ctx: &mut Ctx, generation: u64) {
        let Some(cfg) = self.settings().cloned() else { return };
        let Some(m) = &self.member else { return };
        if generation != m.heartbeat_gen || !matches!(m.phase, Phase::Syncing | Phase::Stable | Phase::Committing) {
            return;
        }
        let msg =
            KafkaMsg::Heartbeat { group: m.group, generation: m.generation.unwrap_or(0), member: m.member_id.clone() };
        ctx.set_timer(cfg.heartbeat_interval, KafkaTimer::Heartbeat { generation });
        self.request(ctx, msg, None);
    }

    fn on_heartbeat(&mut self, ctx: &mut Ctx, error: Option<Error>) {
        let Some(m) = &self.member else { return };
        match error {
            None => {}
            Some(Error::RebalanceInProgress) if m.phase == Phase::Stable => self.prepare_rejoin(ctx),
            Some(e @ (Error::UnknownMemberId | Error::IllegalGeneration))
                if matches!(m.phase, Phase::Stable | Phase::Syncing) =>
            {
                self.reset(ctx, e)
            }
            Some(Error::NotCoordinator | Error::CoordinatorNotAvailable) => self.coordinator_lost(ctx),
            Some(_) => {}
        }
    }

    /// The group is rebalancing: commit (with auto-commit on) before rejoining, as
    /// `ConsumerCoordinator.onJoinPrepare` does.
    fn prepare_rejoin(&mut self, ctx: &mut Ctx) {
        let auto = self.settings().is_some_and(|g| g.auto_commit.is_some());
        let m = self.member.as_mut().expect("a member");
        if auto && m.owned != 0 && m.coordinator.is_some() {
            m.phase = Phase::Committing;
            let owned = m.owned;
            if self.commit_partitions(ctx, owned) {
                return;
            }
        }
        self.rejoin_now(ctx);
    }

    /// Rejoins: the eager protocol first revokes everything it owns.
    fn rejoin_now(&mut self, ctx: &mut Ctx) {
        let cooperative = self.settings().is_some_and(|g| g.cooperative);
        let me = ctx.me;
        let m = self.member.as_mut().expect("a member");
        if !cooperative && m.owned != 0 {
            let (group, owned) = (m.group, m.owned);
            ctx.emit(KafkaEvent::Revoked { group, consumer: me, partitions: owned, lost: false });
            self.drop_partitions(owned);
        }
        self.member.as_mut().expect("a member").phase = Phase::Unjoined;
        self.join(ctx);
    }

    /// The coordinator no longer knows this member or generation: its partitions are lost (no
    /// commit), and it joins again (as a new member after UNKNOWN_MEMBER_ID).
    fn reset(&mut self, ctx: &mut Ctx, error: Error) {
        let me = ctx.me;
        let m = self.member.as_mut().expect("a member");
        if m.owned != 0 {
            let (group, owned) = (m.group, m.owned);
            ctx.emit(KafkaEvent::Revoked { group, consumer: me, partitions: owned, lost: true });
            self.drop_partitions(owned);
        }
        let m = self.member.as_mut().expect("a member");
        m.generation = None;
        m.held_generation = -1;
        if error == Error::UnknownMemberId {
            m.member_id.clear();
        }
        m.phase = Phase::Unjoined;
        self.join(ctx);
    }

    // ----- offsets -----

    /// Commits the positions it has moved since the last commit (`all`: even unchanged ones).
    fn commit(&mut self, ctx: &mut Ctx, all: bool) {
        let Some(m) = &self.member else { return };
        let mask = if all { m.owned } else { m.owned & self.moved() };
        if mask != 0 {
            self.commit_partitions(ctx, mask);
        }
    }

    fn moved(&self) -> u64 {
        let Some(m) = &self.member else { return 0 };
        self.processed.iter().filter(|(p, o)| m.committed.get(p) != Some(o)).fold(0, |acc, (p, _)| acc | 1 << p)
    }

    /// Sends an OffsetCommit of `mask`'s positions; false if there was nothing to send.
    fn commit_partitions(&mut self, ctx: &mut Ctx, mask: u64) -> bool {
        let offsets: Vec<(u16, u64)> = bits(mask).filter_map(|p| Some((p, *self.processed.get(&p)?))).collect();
        let Some(m) = &mut self.member else { return false };
        if offsets.is_empty() || m.generation.is_none() || m.coordinator.is_none() {
            return false;
        }
        m.commit_inflight = true;
        let msg = KafkaMsg::OffsetCommit {
            group: m.group,
            generation: m.generation.unwrap_or(0),
            member: m.member_id.clone(),
            offsets,
        };
        let wait = (m.phase == Phase::Committing).then_some(REQUEST_TIMEOUT);
        self.request(ctx, msg, wait);
        true
    }

    fn on_committed(&mut self, ctx: &mut Ctx, result: Result<Vec<(u16, u64)>, Error>) {
        let me = ctx.me;
        let topic = self.topic;
        let Some(m) = &mut self.member else { return };
        m.commit_inflight = false;
        match result {
            Ok(offsets) => {
                for (partition, offset) in offsets {
                    m.committed.insert(partition, offset);
                    let tp = Tp { topic, partition };
                    ctx.emit(KafkaEvent::Committed { group: m.group, consumer: me, tp, offset });
                }
            }
            // ConsumerCoordinator marks the coordinator unknown on these and finds it again.
            Err(Error::NotCoordinator | Error::CoordinatorNotAvailable | Error::RequestTimedOut) => {
                if m.phase != Phase::Committing {
                    return self.coordinator_lost(ctx);
                }
            }
            Err(_) => {}
        }
        let m = self.member.as_mut().expect("a member");
        if m.phase == Phase::Committing {
            m.waiting = None;
            self.rejoin_now(ctx);
        }
    }

    fn on_offsets(&mut self, ctx: &mut Ctx, result: Result<Vec<(u16, Option<u64>)>, Error>) {
        let me = ctx.me;
        let topic = self.topic;
        let Ok(list) = result else {
            // Its coordinator moved: fetch the offsets from the next one once it has rejoined.
            return self.coordinator_lost(ctx);
        };
        for (p, committed) in list {
            if !self.reads(p) || self.positions.contains_key(&p) {
                continue;
            }
            let tp = Tp { topic, partition: p };
            match committed {
                Some(offset) => {
                    self.set_position(p, offset);
                    let from = PositionFrom::Committed;
                    ctx.emit(KafkaEvent::PositionSet { consumer: me, tp, offset, from });
                    if let Some(m) = &mut self.member {
                        m.committed.insert(p, offset);
                    }
                }
                None => self.resetting |= 1 << p,
            }
            self.fetch(ctx, p);
        }
        if self.leaders.len() < self.partitions() as usize {
            self.metadata.ask(ctx, &self.cluster);
        }
    }

    fn on_list_offsets(&mut self, ctx: &mut Ctx, tp: Tp, result: Result<u64, Error>) {
        let p = tp.partition;
        if self.resetting & (1 << p) == 0 || !self.reads(p) {
            return;
        }
        match result {
            Ok(offset) => {
                self.resetting &= !(1 << p);
                self.set_position(p, offset);
                let from = if self.out_of_range & (1 << p) != 0 {
                    PositionFrom::OutOfRange
                } else if self.settings().is_none_or(|g| g.reset == OffsetReset::Earliest) {
                    PositionFrom::Earliest
                } else {
                    PositionFrom::Latest
                };
                self.out_of_range &= !(1 << p);
                ctx.emit(KafkaEvent::PositionSet { consumer: ctx.me, tp, offset, from });
                self.fetch(ctx, p);
            }
            Err(_) => {
                self.leaders.remove(&p);
                self.metadata.ask(ctx, &self.cluster);
                ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RetryPartition { partition: p });
            }
        }
    }
}
