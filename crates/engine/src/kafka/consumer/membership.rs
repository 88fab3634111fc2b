//! The group protocol's client side (`ConsumerCoordinator`): finding the coordinator, JoinGroup
//! and SyncGroup (the leader running the assignor), heartbeats, and rejoining on a rebalance —
//! eager (revoke everything first) or cooperative (KIP-429: give up only what moves).

use super::{bits, Consumer};
use crate::kafka::assignor::{self, Assignor, TopicPartition};
use crate::kafka::clients::send;
use crate::kafka::cluster::{Group, REQUEST_TIMEOUT, RETRY_BACKOFF};
use crate::kafka::msg::{JoinGroupRequest, Joined, KafkaEvent, KafkaMsg, SyncGroupRequest};
use crate::kafka::partition::{BrokerId, Error};
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;
use crate::vecmap::VecMap;
use std::collections::BTreeMap;

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
    /// FENCED_INSTANCE_ID: another consumer joined with its `group.instance.id`. Fatal, as
    /// `FencedInstanceIdException` is: it reads nothing more.
    Fenced,
}

#[derive(Clone, Debug)]
pub struct Membership {
    pub group: u8,
    /// `group.instance.id`: a static member (KIP-345), kept across restarts.
    pub instance: Option<String>,
    pub coordinator: Option<BrokerId>,
    pub member_id: String,
    pub generation: Option<u32>,
    pub phase: Phase,
    /// The partitions it owns now (a bit per partition of the group's topic).
    pub owned: u64,
    /// Its last assignment and generation, sent with JoinGroup for the sticky assignors.
    held: u64,
    pub(super) held_generation: i32,
    pub committed: VecMap<u16, u64>,
    /// The coordinator request it waits for (find, join, sync, commit-before-rejoin), by number.
    pub(super) waiting: Option<u64>,
    requests: u64,
    pub(super) commit_inflight: bool,
    heartbeat_gen: u64,
    /// The broker its FindCoordinator went to, while it waits for the answer.
    pub(super) finding_at: Option<crate::NodeId>,
}

impl Membership {
    pub(super) fn new(group: u8, instance: Option<String>) -> Membership {
        Membership {
            group,
            instance,
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
            finding_at: None,
        }
    }
}

impl Consumer {
    pub(super) fn in_phase(&self, phase: Phase) -> bool {
        self.member.as_ref().is_some_and(|m| m.phase == phase)
    }

    /// A coordinator answer came: stop waiting for it.
    pub(super) fn answered(&mut self) -> Option<&mut Membership> {
        let m = self.member.as_mut()?;
        m.waiting = None;
        m.finding_at = None;
        Some(m)
    }

    /// Sends to the coordinator, waiting for the answer up to `timeout` (then the coordinator is
    /// taken as lost).
    pub(super) fn request(&mut self, ctx: &mut Ctx, msg: KafkaMsg, timeout: Option<Time>) {
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
    pub(super) fn advance(&mut self, ctx: &mut Ctx) {
        let Some(m) = &self.member else { return };
        if m.waiting.is_some() || m.phase == Phase::Fenced {
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
            m.finding_at = Some(broker);
            ctx.set_timer(REQUEST_TIMEOUT, KafkaTimer::GroupRequest { request: m.requests });
            return send(ctx, broker, KafkaMsg::FindCoordinator { group });
        }
        if m.phase == Phase::Unjoined {
            self.join(ctx);
        }
    }

    pub(super) fn join(&mut self, ctx: &mut Ctx) {
        let Some(cfg) = self.settings().cloned() else { return };
        let m = self.member.as_mut().expect("a member");
        if m.phase == Phase::Fenced {
            return;
        }
        m.phase = Phase::Joining;
        let msg = KafkaMsg::JoinGroup(Box::new(JoinGroupRequest {
            group: m.group,
            member: m.member_id.clone(),
            instance: m.instance.clone(),
            client: self.name.clone(),
            owned: m.held,
            owned_generation: m.held_generation,
        }));
        if m.coordinator.is_none() {
            m.phase = Phase::Unjoined;
            return self.advance(ctx);
        }
        // The coordinator may hold the answer for a whole rebalance timeout (Kafka adds 5 s).
        self.request(ctx, msg, Some(cfg.rebalance_timeout + Time::secs(5)));
    }

    pub(super) fn coordinator_lost(&mut self, ctx: &mut Ctx) {
        let Some(m) = &mut self.member else { return };
        m.coordinator = None;
        m.waiting = None;
        // A commit in flight to it fails with the connection: the next one may go.
        m.commit_inflight = false;
        match m.phase {
            Phase::Joining | Phase::Syncing => m.phase = Phase::Unjoined,
            Phase::Committing => return self.rejoin_now(ctx),
            Phase::Unjoined | Phase::Stable => {}
            Phase::Fenced => return,
        }
        ctx.set_timer(RETRY_BACKOFF, KafkaTimer::GroupStep);
    }

    pub(super) fn on_joined(&mut self, ctx: &mut Ctx, result: Result<Joined, Error>, new_id: String) {
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
            Err(Error::FencedInstanceId) => self.fenced(ctx),
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
                let (group, instance) = (m.group, m.instance.clone());
                let sync = SyncGroupRequest { group, generation: j.generation, member: j.member, instance, assignment };
                let msg = KafkaMsg::SyncGroup(Box::new(sync));
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

    pub(super) fn on_synced(&mut self, ctx: &mut Ctx, result: Result<u64, Error>) {
        let cooperative = self.settings().is_some_and(|g| g.cooperative);
        let me = ctx.me;
        let m = self.member.as_mut().expect("a member");
        let assignment = match result {
            Ok(a) => a,
            Err(Error::RebalanceInProgress) => return self.prepare_rejoin(ctx),
            Err(Error::FencedInstanceId) => return self.fenced(ctx),
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
            let msg = KafkaMsg::OffsetFetch { group: m.group, partitions: added, require_stable: self.read_committed };
            self.request(ctx, msg, None);
        }
        if cooperative && revoked != 0 {
            // KIP-429: what was revoked can now go to its new owner in a second rebalance.
            self.member.as_mut().expect("a member").phase = Phase::Unjoined;
            self.join(ctx);
        }
    }

    pub(super) fn drop_partitions(&mut self, mask: u64) {
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

    pub(super) fn heartbeat(&mut self, ctx: &mut Ctx, generation: u64) {
        let Some(cfg) = self.settings().cloned() else { return };
        let Some(m) = &self.member else { return };
        if generation != m.heartbeat_gen || !matches!(m.phase, Phase::Syncing | Phase::Stable | Phase::Committing) {
            return;
        }
        let msg = KafkaMsg::Heartbeat {
            group: m.group,
            generation: m.generation.unwrap_or(0),
            member: m.member_id.clone(),
            instance: m.instance.clone(),
        };
        ctx.set_timer(cfg.heartbeat_interval, KafkaTimer::Heartbeat { generation });
        self.request(ctx, msg, None);
    }

    pub(super) fn on_heartbeat(&mut self, ctx: &mut Ctx, error: Option<Error>) {
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
            Some(Error::FencedInstanceId) => self.fenced(ctx),
            Some(_) => {}
        }
    }

    /// FENCED_INSTANCE_ID (another consumer has its `group.instance.id`): the consumer gives its
    /// partitions up without a commit and takes no further part in the group.
    pub(super) fn fenced(&mut self, ctx: &mut Ctx) {
        let me = ctx.me;
        let Some(m) = &self.member else { return };
        if m.phase == Phase::Fenced {
            return;
        }
        let (group, owned) = (m.group, m.owned);
        ctx.emit(KafkaEvent::InstanceFenced { group, consumer: me });
        if owned != 0 {
            ctx.emit(KafkaEvent::Revoked { group, consumer: me, partitions: owned, lost: true });
            self.drop_partitions(owned);
        }
        let m = self.member.as_mut().expect("a member");
        m.phase = Phase::Fenced;
        m.generation = None;
        m.waiting = None;
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
    pub(super) fn rejoin_now(&mut self, ctx: &mut Ctx) {
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
}
