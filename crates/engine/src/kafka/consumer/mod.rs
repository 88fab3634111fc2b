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
//!
//! The consumer's parts, each in its own file: `fetch` (long-poll fetches of the partitions it
//! reads, one per broker), `processing` (the application's thread: one record at a time, `poll()` batches and
//! `max.poll.interval.ms`), `membership` (the group protocol's client side: coordinator, join,
//! sync, heartbeats, rebalances) and `offsets` (commits, the group's committed offsets, and
//! `auto.offset.reset`). This file holds the consumer's state, its lifecycle, and the dispatch of
//! timers and messages.

use super::clients::{update_leaders, MetadataAsk};
use super::cluster::{Cluster, Group, RETRY_BACKOFF};
use super::msg::{KafkaEvent, KafkaMsg};
use super::partition::BrokerId;
use super::{Ctx, KafkaTimer};
use crate::deadlines::Deadlines;
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;
use std::rc::Rc;

mod app;
mod fetch;
mod membership;
mod offsets;
mod processing;
mod read_replica;

pub use app::AppLink;
pub use membership::{Membership, Phase};

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
    /// `auto.commit.interval.ms` passed while the application was working through a poll's
    /// records: the commit waits for its next `poll()`, where KafkaConsumer auto-commits.
    auto_commit_due: bool,
    leaders: VecMap<u16, BrokerId>,
    /// Fetches in flight, one per broker: broker → (generation, the partitions it carries).
    fetching: VecMap<BrokerId, (u64, Vec<u16>)>,
    /// `fetching` by partition: the broker whose fetch in flight carries it.
    carried: VecMap<u16, BrokerId>,
    /// The partitions each broker leads, from `leaders` (`None` after a change: built again
    /// when a fetch is next put together).
    by_leader: Option<VecMap<BrokerId, Vec<u16>>>,
    /// When each fetch in `fetching` times out (`request.timeout.ms` beyond its long poll).
    fetch_timeouts: Deadlines<BrokerId>,
    next_gen: u64,
    metadata: MetadataAsk,
    pub member: Option<Membership>,
    /// Partitions whose start comes from `auto.offset.reset` (no commit, or their position was
    /// deleted by retention — those are in `out_of_range` too).
    resetting: u64,
    out_of_range: u64,
    /// `isolation.level=read_committed`: it reads up to the last stable offset and skips aborted
    /// transactions.
    pub read_committed: bool,
    /// `client.rack`.
    pub rack: Option<super::rack::RackId>,
    /// Preferred read replicas (KIP-392): partition → (replica, until when).
    read_replicas: VecMap<u16, (BrokerId, Time)>,
    /// Bytes fetched from brokers in its rack, and from other racks.
    rack_bytes: (u64, u64),
    /// Inside a processor: the application takes the records and decides when the next poll is.
    pub app: Option<AppLink>,
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
            auto_commit_due: false,
            leaders: VecMap::new(),
            fetching: VecMap::new(),
            carried: VecMap::new(),
            by_leader: None,
            fetch_timeouts: Deadlines::default(),
            next_gen: 0,
            metadata: MetadataAsk::default(),
            member: group.map(|g| Membership::new(g, None)),
            resetting: 0,
            out_of_range: 0,
            read_committed: false,
            rack: None,
            read_replicas: VecMap::new(),
            rack_bytes: (0, 0),
            app: None,
        }
    }

    /// A static member (KIP-345) with this `group.instance.id`.
    pub fn with_instance(mut self, instance: Option<String>) -> Consumer {
        if let Some(m) = &mut self.member {
            m.instance = instance;
        }
        self
    }

    /// `isolation.level=read_committed`.
    pub fn with_read_committed(mut self, read_committed: bool) -> Consumer {
        self.read_committed = read_committed;
        self
    }

    /// `client.rack`, by name.
    pub fn with_rack(mut self, rack: Option<&str>) -> Consumer {
        self.rack = rack.and_then(|name| self.cluster.racks.id(name));
        self
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
        (self.poll_left, self.poll_expired, self.auto_commit_due) = (0, false, false);
        self.leaders.clear();
        self.by_leader = None;
        self.fetching.clear();
        self.carried.clear();
        self.fetch_timeouts.clear();
        self.read_replicas.clear();
        self.resetting = 0;
        self.out_of_range = 0;
        if let Some(a) = &mut self.app {
            *a = AppLink::new(a.max_poll);
        }
        if let Some(m) = &mut self.member {
            *m = Membership::new(m.group, m.instance.take());
        }
    }

    /// `close()`: with auto-commit, commit what it read; give its partitions up; leave the group,
    /// so the coordinator rebalances at once instead of after a session timeout — unless it is a
    /// static member, which never sends LeaveGroup (KIP-345: only its session timeout removes it,
    /// so a restart within it moves no partition).
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
        if m.instance.is_none() {
            let msg = KafkaMsg::LeaveGroup { group: m.group, member: m.member_id.clone() };
            self.request(ctx, msg, None);
        }
    }

    /// The connection to a broker was reset: fetches to it failed; find the leaders again. If it
    /// was the group coordinator, find the coordinator again.
    pub fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        self.metadata.lost(peer, ctx.now);
        let Some(broker) = self.cluster.broker_of(peer) else { return };
        for p in self.fetch_over(broker).unwrap_or_default() {
            ctx.set_timer(RETRY_BACKOFF, KafkaTimer::RetryPartition { partition: p });
        }
        self.leaders.retain(|_, l| *l != broker);
        self.by_leader = None;
        self.drop_read_replicas_on(ctx, broker);
        self.metadata.ask(ctx, &self.cluster);
        if self.member.as_ref().is_some_and(|m| m.coordinator == Some(broker)) {
            self.coordinator_lost(ctx);
        }
        // Its FindCoordinator went to that broker: the request failed with the connection (as
        // `NetworkClient` fails it); ask another broker after `retry.backoff.ms`, not after the
        // 30 s request timeout.
        if let Some(m) = self.member.as_mut().filter(|m| m.coordinator.is_none() && m.finding_at == Some(peer)) {
            m.waiting = None;
            m.finding_at = None;
            ctx.set_timer(RETRY_BACKOFF, KafkaTimer::GroupStep);
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: KafkaTimer) {
        match timer {
            KafkaTimer::FetchTimeout => {
                // A fetch timed out: the leader may have moved.
                for broker in self.fetch_timeouts.expired(ctx, KafkaTimer::FetchTimeout) {
                    if let Some(parts) = self.fetch_over(broker) {
                        for p in parts {
                            self.drop_read_replica(ctx, p, crate::kafka::event::ReadReplicaDrop::TimedOut);
                        }
                        self.metadata.ask(ctx, &self.cluster);
                    }
                }
            }
            KafkaTimer::Metadata { generation } if self.metadata.is_live(generation) => {
                self.metadata.done();
                if (0..self.partitions()).any(|p| self.reads(p) && !self.in_fetch(p)) {
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
            KafkaTimer::RefetchOffsets => self.refetch_offsets(ctx),
            // KafkaConsumer auto-commits inside poll() once the interval has passed: at once when
            // the application is waiting in poll(), else at its next poll, after the records the
            // last one returned (`maybeAutoCommitOffsetsAsync`).
            KafkaTimer::AutoCommit if self.busy => self.auto_commit_due = true,
            KafkaTimer::AutoCommit => self.auto_commit(ctx),
            _ => {}
        }
    }
    pub fn on_message(&mut self, ctx: &mut Ctx, msg: KafkaMsg) {
        match msg {
            KafkaMsg::MetadataResponse { states } => {
                self.metadata.done();
                update_leaders(&mut self.leaders, self.topic, &states);
                self.by_leader = None;
                // Partitions without a known leader yet (topic not created, election under way):
                // look again after `retry.backoff.ms`.
                if self.leaders.len() < self.partitions() as usize {
                    self.metadata.arm(ctx, RETRY_BACKOFF);
                }
                self.fetch_all(ctx);
            }
            KafkaMsg::FetchResponse { parts, generation } => self.on_fetch_response(ctx, parts, generation),
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
                self.on_joined(ctx, result.map(|joined| *joined), member);
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
}
