//! The group coordinator's side of a consumer group (Kafka's classic `GroupCoordinator`): one
//! `Group` per group whose `__consumer_offsets` partition this broker leads.
//!
//! What it does, as Kafka does it: a new member first gets `MEMBER_ID_REQUIRED` with its id (KIP-394)
//! and rejoins with it; a join moves the group to PreparingRebalance; an empty group waits
//! `group.initial.rebalance.delay.ms` (extended while members keep arriving, up to the rebalance
//! timeout), a running group waits until every member has rejoined or the rebalance timeout
//! (`max.poll.interval.ms`) removes those that did not; then the generation goes up, the first
//! member (or the old leader) leads, every member gets its JoinGroup answer (the leader with all
//! subscriptions) and the group is CompletingRebalance; the leader's SyncGroup carries the
//! assignment, and the group is Stable. Heartbeats keep a member's session; one missing for
//! `session.timeout.ms` removes it and starts a rebalance. Heartbeats during a rebalance answer
//! REBALANCE_IN_PROGRESS, which is how members learn they must rejoin. Offset commits are checked
//! against member id and generation (a commit in PreparingRebalance with the current generation is
//! accepted, so an eager member can commit before it rejoins).
//!
//! Static members (`group.instance.id`, KIP-345) are in `group/static_members.rs`.
//!
//! Simplified (said in the docs): group metadata (members, generation) is not written to
//! `__consumer_offsets`, only offsets are, so a new coordinator after a failover starts the group
//! Empty with its committed offsets and the members rejoin.

use super::clients::send as reply;
use super::msg::{GroupState, Joined, KafkaEvent, KafkaMsg, RemoveReason};
use super::partition::{BrokerId, Error};
use super::{Ctx, KafkaTimer};
use crate::kafka::cluster::Group as Settings;
use crate::kafka::log::Record;
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;

mod static_members;

/// The `__consumer_offsets` record key of a group's commit for a partition of its topic.
pub fn offset_key(group: u8, partition: u16) -> u32 {
    ((group as u32) << 16) | partition as u32
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    /// A static member's `group.instance.id`.
    pub instance: Option<String>,
    pub node: NodeId,
    /// What it owned when it joined (cooperative protocol, sticky assignors) and in which generation.
    pub owned: u64,
    pub owned_generation: i32,
    pub assignment: u64,
    awaiting_join: bool,
    awaiting_sync: bool,
    last_heartbeat: Time,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub index: u8,
    pub broker: BrokerId,
    pub state: GroupState,
    pub generation: u32,
    pub leader: Option<String>,
    /// In the order they joined.
    pub members: Vec<Member>,
    /// Ids handed out with MEMBER_ID_REQUIRED, not yet back.
    pending: Vec<String>,
    /// Committed offsets of the group's topic, by partition.
    pub offsets: VecMap<u16, u64>,
    /// Offsets committed inside transactions still open (`txn::offsets`).
    pub txn_offsets: crate::kafka::txn::offsets::TxnOffsets,
    join_timer: u64,
    /// While the initial delay runs: its end at the latest, and whether someone joined meanwhile.
    initial: Option<(Time, bool)>,
    next_id: u32,
}

impl Group {
    /// The group as a new coordinator finds it: its committed offsets read back from the
    /// `__consumer_offsets` partition, last commit winning. The caller passes the log to its end,
    /// not its high watermark, as `GroupMetadataManager.doLoadGroupsAndOffsets` reads it
    /// (`FetchIsolation.LOG_END`): a new leader's HW may lag what the old leader had replicated
    /// and answered (a follower learns the HW a fetch later), and a COMMIT marker left out would
    /// leave its offsets pending, for the next ABORT of the same producer id to drop.
    pub fn load(index: u8, broker: BrokerId, log: &[Record]) -> Group {
        let mine = |k: u32| (k >> 16 == index as u32).then_some((k & 0xffff) as u16);
        let (offsets, txn_offsets) = crate::kafka::txn::offsets::replay(log, mine);
        Group {
            index,
            broker,
            state: GroupState::Empty,
            generation: 0,
            leader: None,
            members: vec![],
            pending: vec![],
            offsets,
            txn_offsets,
            join_timer: 0,
            initial: None,
            next_id: 0,
        }
    }

    fn emit_state(&self, ctx: &mut Ctx) {
        ctx.emit(KafkaEvent::GroupState {
            group: self.index,
            broker: self.broker,
            state: self.state,
            generation: self.generation,
            members: self.members.len().min(255) as u8,
        });
    }

    fn set_state(&mut self, ctx: &mut Ctx, state: GroupState) {
        self.state = state;
        self.emit_state(ctx);
    }

    /// Announces a freshly loaded group (or, with `Dead`, one this broker gave up).
    pub fn announce(&mut self, ctx: &mut Ctx, state: GroupState) {
        self.set_state(ctx, state);
    }

    fn find(&self, id: &str) -> Option<usize> {
        self.members.iter().position(|m| m.id == id)
    }

    fn join_reply(&self, m: &Member) -> KafkaMsg {
        let leader = self.leader.clone().unwrap_or_default();
        let members = if leader == m.id {
            self.members.iter().map(|o| (o.id.clone(), o.owned, o.owned_generation)).collect()
        } else {
            vec![]
        };
        KafkaMsg::JoinGroupResponse {
            group: self.index,
            result: Ok(Box::new(Joined { generation: self.generation, member: m.id.clone(), leader, members })),
            member: String::new(),
        }
    }

    /// JoinGroup from `member` (empty: a new member), `instance` its `group.instance.id` if it
    /// is static, `(owned, owned_generation)` what it held.
    pub fn join(
        &mut self,
        ctx: &mut Ctx,
        cfg: &Settings,
        from: NodeId,
        (member, instance): (String, Option<String>),
        client: &str,
        (owned, owned_generation): (u64, i32),
    ) {
        let index = self.index;
        let error = |ctx: &mut Ctx, e: Error, member: String| {
            reply(ctx, from, KafkaMsg::JoinGroupResponse { group: index, result: Err(e), member })
        };
        if let Some(instance) = instance {
            if member.is_empty() {
                return self.static_join(ctx, cfg, from, instance, (owned, owned_generation));
            }
            if self.fenced(Some(&instance), &member) {
                return error(ctx, Error::FencedInstanceId, String::new());
            }
        }
        if member.is_empty() {
            let id = format!("{client}-{}", self.next_id);
            self.next_id += 1;
            self.pending.push(id.clone());
            return error(ctx, Error::MemberIdRequired, id);
        }
        let now = ctx.now;
        let i = match self.find(&member) {
            Some(i) => i,
            None => {
                let Some(p) = self.pending.iter().position(|p| *p == member) else {
                    return error(ctx, Error::UnknownMemberId, String::new());
                };
                self.pending.remove(p);
                return self.add_member(ctx, cfg, from, (member, None), (owned, owned_generation));
            }
        };
        let m = &mut self.members[i];
        m.node = from;
        m.last_heartbeat = now;
        let same = m.owned == owned && m.owned_generation == owned_generation;
        match self.state {
            GroupState::PreparingRebalance => {
                let m = &mut self.members[i];
                m.awaiting_join = true;
                m.owned = owned;
                m.owned_generation = owned_generation;
                self.try_complete_join(ctx, cfg);
            }
            // A follower rejoining with what it had: it missed an answer; give it the current one.
            GroupState::CompletingRebalance | GroupState::Stable
                if same && self.leader.as_deref() != Some(self.members[i].id.as_str()) =>
            {
                let msg = self.join_reply(&self.members[i]);
                reply(ctx, from, msg);
            }
            _ => {
                let m = &mut self.members[i];
                m.awaiting_join = true;
                m.owned = owned;
                m.owned_generation = owned_generation;
                self.prepare_rebalance(ctx, cfg);
                self.try_complete_join(ctx, cfg);
            }
        }
    }

    /// A new member joins (awaiting the join phase's end), and the group rebalances.
    fn add_member(
        &mut self,
        ctx: &mut Ctx,
        cfg: &Settings,
        from: NodeId,
        (id, instance): (String, Option<String>),
        (owned, owned_generation): (u64, i32),
    ) {
        self.members.push(Member {
            id,
            instance,
            node: from,
            owned,
            owned_generation,
            assignment: 0,
            awaiting_join: true,
            awaiting_sync: false,
            last_heartbeat: ctx.now,
        });
        if self.leader.is_none() {
            self.leader = Some(self.members[self.members.len() - 1].id.clone());
        }
        if let Some((_, joined)) = &mut self.initial {
            *joined = true;
        }
        if self.state != GroupState::PreparingRebalance {
            self.prepare_rebalance(ctx, cfg);
        }
        self.try_complete_join(ctx, cfg)
    }

    fn prepare_rebalance(&mut self, ctx: &mut Ctx, cfg: &Settings) {
        if self.state == GroupState::CompletingRebalance {
            // The assignment being synced is void: members waiting for it are told to rejoin.
            for m in self.members.iter_mut().filter(|m| m.awaiting_sync) {
                m.awaiting_sync = false;
                let msg = KafkaMsg::SyncGroupResponse { group: self.index, result: Err(Error::RebalanceInProgress) };
                reply(ctx, m.node, msg);
            }
        }
        let delay = if self.state == GroupState::Empty {
            let delay = cfg.initial_delay.min(cfg.rebalance_timeout);
            self.initial = Some((ctx.now + cfg.rebalance_timeout, false));
            delay
        } else {
            self.initial = None;
            cfg.rebalance_timeout
        };
        self.set_state(ctx, GroupState::PreparingRebalance);
        self.arm_join(ctx, delay);
    }

    fn arm_join(&mut self, ctx: &mut Ctx, after: Time) {
        self.join_timer += 1;
        ctx.set_timer(after, KafkaTimer::Join { group: self.index, join: self.join_timer });
    }

    /// A rebalance that is not in its initial delay completes as soon as every member has rejoined.
    fn try_complete_join(&mut self, ctx: &mut Ctx, cfg: &Settings) {
        if self.state == GroupState::PreparingRebalance
            && self.initial.is_none()
            && self.members.iter().all(|m| m.awaiting_join)
        {
            self.complete_join(ctx, cfg);
        }
    }

    pub fn on_join_timer(&mut self, ctx: &mut Ctx, cfg: &Settings, join: u64) {
        if join != self.join_timer || self.state != GroupState::PreparingRebalance {
            return;
        }
        if let Some((until, joined)) = self.initial {
            // InitialDelayedJoin: members are still arriving; wait another delay, up to the cap.
            if joined && ctx.now < until {
                self.initial = Some((until, false));
                let again = cfg.initial_delay.min(until - ctx.now);
                return self.arm_join(ctx, again);
            }
            self.initial = None;
        }
        let late: Vec<String> = self.members.iter().filter(|m| !m.awaiting_join).map(|m| m.id.clone()).collect();
        for id in late {
            self.remove(ctx, &id, RemoveReason::RebalanceTimeout);
        }
        self.complete_join(ctx, cfg);
    }

    fn complete_join(&mut self, ctx: &mut Ctx, cfg: &Settings) {
        self.generation += 1;
        if self.members.is_empty() {
            self.leader = None;
            return self.set_state(ctx, GroupState::Empty);
        }
        if self.leader.as_ref().is_none_or(|l| self.find(l).is_none()) {
            self.leader = Some(self.members[0].id.clone());
        }
        self.set_state(ctx, GroupState::CompletingRebalance);
        let now = ctx.now;
        for i in 0..self.members.len() {
            let msg = self.join_reply(&self.members[i]);
            let m = &mut self.members[i];
            m.awaiting_join = false;
            m.last_heartbeat = now;
            reply(ctx, m.node, msg);
        }
        ctx.set_timer(cfg.session_timeout, KafkaTimer::Session { group: self.index });
    }

    pub fn sync(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        (generation, member, instance): (u32, &str, Option<&str>),
        assignment: Vec<(String, u64)>,
    ) {
        let index = self.index;
        let answer = |ctx: &mut Ctx, result| reply(ctx, from, KafkaMsg::SyncGroupResponse { group: index, result });
        if self.fenced(instance, member) {
            return answer(ctx, Err(Error::FencedInstanceId));
        }
        let Some(i) = self.find(member) else { return answer(ctx, Err(Error::UnknownMemberId)) };
        if generation != self.generation {
            return answer(ctx, Err(Error::IllegalGeneration));
        }
        match self.state {
            GroupState::PreparingRebalance => answer(ctx, Err(Error::RebalanceInProgress)),
            GroupState::CompletingRebalance => {
                let m = &mut self.members[i];
                m.awaiting_sync = true;
                m.node = from;
                m.last_heartbeat = ctx.now;
                if self.leader.as_deref() != Some(member) {
                    return;
                }
                for m in &mut self.members {
                    m.assignment = assignment.iter().find(|(id, _)| *id == m.id).map_or(0, |(_, p)| *p);
                }
                self.set_state(ctx, GroupState::Stable);
                for m in self.members.iter_mut().filter(|m| m.awaiting_sync) {
                    m.awaiting_sync = false;
                    reply(ctx, m.node, KafkaMsg::SyncGroupResponse { group: index, result: Ok(m.assignment) });
                }
            }
            GroupState::Stable => answer(ctx, Ok(self.members[i].assignment)),
            GroupState::Empty | GroupState::Dead => answer(ctx, Err(Error::UnknownMemberId)),
        }
    }

    pub fn heartbeat(
        &mut self,
        ctx: &mut Ctx,
        cfg: &Settings,
        from: NodeId,
        generation: u32,
        member: (&str, Option<&str>),
    ) {
        let (member, instance) = member;
        let error = match self.find(member) {
            _ if self.fenced(instance, member) => Some(Error::FencedInstanceId),
            None => Some(Error::UnknownMemberId),
            Some(_) if generation != self.generation => Some(Error::IllegalGeneration),
            Some(i) => {
                self.members[i].last_heartbeat = ctx.now;
                ctx.set_timer(cfg.session_timeout, KafkaTimer::Session { group: self.index });
                (self.state == GroupState::PreparingRebalance).then_some(Error::RebalanceInProgress)
            }
        };
        reply(ctx, from, KafkaMsg::HeartbeatResponse { group: self.index, error });
    }

    /// Removes members whose session ran out (members waiting for a join or sync answer are kept
    /// alive by the coordinator, as in Kafka).
    pub fn on_session_timer(&mut self, ctx: &mut Ctx, cfg: &Settings) {
        let now = ctx.now;
        let expired: Vec<String> = self
            .members
            .iter()
            .filter(|m| !m.awaiting_join && !m.awaiting_sync && m.last_heartbeat + cfg.session_timeout <= now)
            .map(|m| m.id.clone())
            .collect();
        for id in &expired {
            self.remove(ctx, id, RemoveReason::SessionTimeout);
        }
        if !expired.is_empty() {
            self.member_gone(ctx, cfg);
        }
    }

    pub fn leave(&mut self, ctx: &mut Ctx, cfg: &Settings, member: &str) {
        if self.find(member).is_some() {
            self.remove(ctx, member, RemoveReason::Left);
            self.member_gone(ctx, cfg);
        }
    }

    fn member_gone(&mut self, ctx: &mut Ctx, cfg: &Settings) {
        match self.state {
            GroupState::PreparingRebalance => self.try_complete_join(ctx, cfg),
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.prepare_rebalance(ctx, cfg);
                self.try_complete_join(ctx, cfg);
            }
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    fn remove(&mut self, ctx: &mut Ctx, id: &str, reason: RemoveReason) {
        let Some(i) = self.find(id) else { return };
        let m = self.members.remove(i);
        if self.leader.as_deref() == Some(id) {
            self.leader = self.members.first().map(|m| m.id.clone());
        }
        ctx.emit(KafkaEvent::MemberRemoved { group: self.index, consumer: m.node, reason });
    }

    /// Whether a commit from `member` of `generation` may be written.
    pub fn check_commit(&self, generation: u32, member: &str, instance: Option<&str>) -> Result<(), Error> {
        if self.fenced(instance, member) {
            return Err(Error::FencedInstanceId);
        }
        if self.find(member).is_none() {
            return Err(Error::UnknownMemberId);
        }
        if generation != self.generation {
            return Err(Error::IllegalGeneration);
        }
        if self.state == GroupState::CompletingRebalance {
            return Err(Error::RebalanceInProgress);
        }
        Ok(())
    }

    pub fn committed(&self, partitions: u64) -> Vec<(u16, Option<u64>)> {
        (0..64u16).filter(|p| partitions & (1 << p) != 0).map(|p| (p, self.offsets.get(&p).copied())).collect()
    }
}
