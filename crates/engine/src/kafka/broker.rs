//! A Kafka broker (ZooKeeper era): it keeps a coordinator session alive, registers
//! `/brokers/ids/N`, competes for `/controller`, serves produce and fetch requests for the partitions
//! it leads, fetches as a follower for the others, shrinks and expands ISRs, and — when it is the
//! controller — creates topics, watches broker membership and elects leaders.
//!
//! ISR changes go through the controller (AlterPartition, KIP-497): the leader proposes, the
//! controller writes the new state to the coordinator and only then answers; until then the leader
//! counts the maximal ISR for its HW.
//!
//! Simplifications, also listed in the docs: one fetch per partition (Kafka batches a broker pair's
//! partitions in one fetch session); the controller sends LeaderAndIsr without waiting for its
//! coordinator write to be acknowledged (a failed write makes it resign); topics are created by the
//! controller as soon as enough brokers have registered; no preferred-leader rebalancing, no
//! controlled shutdown.

use super::clients::{emit, send};
use super::cluster::{
    decode_state, encode_state, Cluster, FETCH_MAX_WAIT, REPLICA_FETCH_BACKOFF, REPLICA_FETCH_WAIT_MAX, REQUEST_TIMEOUT,
};
use super::group::{offset_key, Group};
use super::msg::{BrokerSet, GroupState, KafkaEvent, KafkaMsg, PartitionView, Tp, ZkCall, ZkResult};
use super::partition::{Acks, BrokerId, Error, FetchResponse, ProduceOutcome, Replica, Role};
use super::placement::{assign_replicas, elect_offline};
use super::purgatory::{Parked, Purgatory};
use super::zk_client::ZkLink;
use super::{Ctx, KafkaTimer};
use crate::coordinator::{Op, SessionId, WatchKind, ZkError};
use crate::deadlines::Deadlines;
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;
use std::rc::Rc;

/// Why a coordinator request was sent, so the reply can be acted on.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ZkPurpose {
    RegisterAndElect,
    Register,
    Elect,
    BumpEpoch,
    ReadBrokers {
        init: bool,
    },
    WatchController,
    /// A state write; a `BadVersion` means another controller has taken over.
    Write,
    /// An ISR change a leader asked for (AlterPartition): answered once it is written.
    AlterIsr {
        to: NodeId,
        tp: Tp,
        leader_epoch: u32,
        isr: Vec<BrokerId>,
    },
}

/// The size of an offset commit record in `__consumer_offsets` (key: group, topic, partition;
/// value: offset, metadata, timestamps), roughly as Kafka writes it.
const OFFSET_RECORD_BYTES: u32 = 100;

/// Who waits for an acks=all append to complete: a producer, or a member's offset commit.
#[derive(Clone, Debug)]
enum Waiter {
    Produce { client: NodeId, id: u64 },
    Commit { client: NodeId, group: u8, offsets: Vec<(u16, u64)> },
}

/// What the controller knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Controller {
    pub epoch: u32,
    epoch_version: u32,
    pub live: Vec<BrokerId>,
    pub partitions: VecMap<Tp, PartitionView>,
    initialised: bool,
}

#[derive(Clone, Debug)]
pub struct Broker {
    pub id: BrokerId,
    pub cluster: Rc<Cluster>,
    pub session: Option<SessionId>,
    connecting: bool,
    zk_next: u64,
    zk_pending: VecMap<u64, ZkPurpose>,
    /// The coordinator connection: which server, and what to carry over when moving to another.
    pub zk_link: ZkLink,
    pub controller: Option<Controller>,
    controller_epoch_seen: u32,
    controller_node: Option<NodeId>,
    pub replicas: VecMap<Tp, Replica>,
    pub metadata: VecMap<Tp, PartitionView>,
    fetch_gen: VecMap<Tp, u64>,
    /// When each replica fetch this broker sent as a follower times out.
    fetch_timeouts: Deadlines<Tp>,
    /// Fetches waiting for data on the partitions this broker leads.
    parked: Purgatory,
    produce_waiting: VecMap<(Tp, u64), Waiter>,
    next_req: u64,
    /// The consumer groups this broker coordinates (it leads their `__consumer_offsets` partition).
    pub groups: VecMap<u8, Group>,
}

/// `offsets.commit.timeout.ms`: how long an offset commit may wait for its replication.
const OFFSETS_COMMIT_TIMEOUT: Time = Time::secs(5);

impl Broker {
    pub fn new(id: BrokerId, cluster: Rc<Cluster>) -> Broker {
        let zk_link = ZkLink::new(cluster.zks.clone());
        Broker {
            id,
            cluster,
            session: None,
            connecting: false,
            zk_next: 0,
            zk_pending: VecMap::new(),
            zk_link,
            controller: None,
            controller_epoch_seen: 0,
            controller_node: None,
            replicas: VecMap::new(),
            metadata: VecMap::new(),
            fetch_gen: VecMap::new(),
            fetch_timeouts: Deadlines::default(),
            parked: Purgatory::default(),
            produce_waiting: VecMap::new(),
            next_req: 0,
            groups: VecMap::new(),
        }
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        self.zk_link.choose(ctx);
        self.connect(ctx);
        ctx.set_timer(self.cluster.session_timeout / 3, KafkaTimer::Ping);
        ctx.set_timer(self.cluster.replica_lag_time_max / 2, KafkaTimer::Isr);
        ctx.set_timer(self.cluster.retention_check_interval, KafkaTimer::Retention);
        ctx.set_timer(self.cluster.cleaner_backoff, KafkaTimer::Cleaner);
    }

    /// The fetches parked on the partitions this broker leads (for inspectors and invariants).
    pub fn parked(&self) -> &Purgatory {
        &self.parked
    }

    /// The process died: memory is gone, the logs on disk stay.
    pub fn on_crash(&mut self) {
        self.session = None;
        self.connecting = false;
        self.zk_pending.clear();
        self.zk_link.reset();
        self.controller = None;
        self.controller_node = None;
        self.metadata.clear();
        self.parked.clear();
        self.fetch_timeouts.clear();
        self.produce_waiting.clear();
        self.groups.clear();
        for r in self.replicas.values_mut() {
            r.go_offline();
            r.take_completed();
        }
    }

    /// A connection was reset: a follower whose leader's process died backs off and fetches again
    /// (until the controller names a new leader).
    pub fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        if self.zk_link.lost(peer) {
            return self.zk_move(ctx);
        }
        let Some(b) = self.cluster.broker_of(peer) else { return };
        let tps: Vec<Tp> =
            self.replicas.iter().filter(|(_, r)| r.role == Role::Follower { leader: b }).map(|(&tp, _)| tp).collect();
        for tp in tps {
            self.fetch_after_backoff(ctx, tp);
        }
    }

    fn connect(&mut self, ctx: &mut Ctx) {
        self.connecting = true;
        send(ctx, self.zk_link.server(), KafkaMsg::ZkConnect { timeout: self.cluster.session_timeout });
    }

    /// Ensembles: leaves the coordinator server in use for the next one, taking the session along.
    fn zk_move(&mut self, ctx: &mut Ctx) {
        self.zk_link.next_server(ctx.now);
        match self.session {
            Some(session) => {
                let watches = self.zk_link.watches().to_vec();
                send(ctx, self.zk_link.server(), KafkaMsg::ZkReconnect { session, watches });
            }
            None => self.connect(ctx),
        }
    }

    fn zk(&mut self, ctx: &mut Ctx, purpose: ZkPurpose, calls: Vec<ZkCall>) {
        let Some(session) = self.session else { return };
        let id = self.zk_next;
        self.zk_next += 1;
        self.zk_pending.insert(id, purpose);
        self.zk_link.sent(id, &calls);
        send(ctx, self.zk_link.server(), KafkaMsg::ZkCall { session, id, calls });
    }

    /// Creates this broker's ephemeral registration, `/brokers/ids/N`.
    fn register_call(&self) -> ZkCall {
        let id = self.id;
        ZkCall::Create { path: format!("/brokers/ids/{id}"), data: format!("b{id}"), ephemeral: true }
    }

    /// Claims the controller role by creating the ephemeral `/controller`.
    fn controller_call(&self) -> ZkCall {
        ZkCall::Create { path: "/controller".into(), data: format!("{{\"brokerid\":{}}}", self.id), ephemeral: true }
    }

    fn register_and_elect(&mut self, ctx: &mut Ctx) {
        let calls = vec![self.register_call(), self.controller_call()];
        self.zk(ctx, ZkPurpose::RegisterAndElect, calls);
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: KafkaTimer) {
        match timer {
            KafkaTimer::Ping => {
                match self.session {
                    Some(_) if self.zk_link.should_move(ctx.now, self.cluster.session_timeout) => self.zk_move(ctx),
                    Some(session) => send(ctx, self.zk_link.server(), KafkaMsg::ZkPing { session }),
                    // No answer to the last connect (the coordinator was unreachable): try again,
                    // at the next server of an ensemble.
                    None => {
                        self.zk_link.next_server(ctx.now);
                        self.connect(ctx)
                    }
                }
                ctx.set_timer(self.cluster.session_timeout / 3, KafkaTimer::Ping);
            }
            KafkaTimer::Register => {
                let call = self.register_call();
                self.zk(ctx, ZkPurpose::Register, vec![call]);
            }
            KafkaTimer::Isr => {
                let now = ctx.now;
                let tps: Vec<Tp> = self.replicas.iter().filter(|(_, r)| r.is_leader()).map(|(&tp, _)| tp).collect();
                for tp in tps {
                    let r = self.replicas.get_mut(&tp).expect("listed above");
                    r.check_isr(now);
                    // A proposal not yet confirmed (new, or its request lost): (re)send it.
                    if let Role::Leader(l) = &r.role {
                        if let Some(isr) = l.proposed.clone() {
                            self.propose_isr(ctx, tp, isr);
                        }
                    }
                }
                ctx.set_timer(self.cluster.replica_lag_time_max / 2, KafkaTimer::Isr);
            }
            KafkaTimer::CommitTimeout { tp, request } => {
                if let Some(w) = self.produce_waiting.remove(&(tp, request)) {
                    self.answer(ctx, tp, w, Err(Error::RequestTimedOut));
                }
            }
            KafkaTimer::Retention | KafkaTimer::Cleaner => {
                let compact = timer == KafkaTimer::Cleaner;
                self.clean_logs(ctx, compact);
                let every = if compact { self.cluster.cleaner_backoff } else { self.cluster.retention_check_interval };
                ctx.set_timer(every, timer);
            }
            KafkaTimer::Park { tp, id } => {
                // This fetch's wait is over, unless data or a leader change completed it already.
                if let Some(p) = self.parked.expire(tp, id) {
                    self.serve_fetch(ctx, tp, p, true);
                }
            }
            KafkaTimer::Join { group: index, .. } | KafkaTimer::Session { group: index } => {
                let cluster = self.cluster.clone();
                let (Some(g), Some(cfg)) = (self.groups.get_mut(&index), cluster.groups.get(index as usize)) else {
                    return;
                };
                match timer {
                    KafkaTimer::Join { join, .. } => g.on_join_timer(ctx, cfg, join),
                    _ => g.on_session_timer(ctx, cfg),
                }
            }
            // Backed off after an error: fetch again if nothing newer went out.
            KafkaTimer::FetchBackoff { tp, generation }
                if self.fetch_gen.get(&tp).copied().unwrap_or(0) == generation =>
            {
                self.send_fetch(ctx, tp);
            }
            KafkaTimer::FetchTimeout => {
                // No answer in `request.timeout.ms`: fetch again.
                for tp in self.fetch_timeouts.expired(ctx, KafkaTimer::FetchTimeout) {
                    self.send_fetch(ctx, tp);
                }
            }
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: KafkaMsg) {
        match msg {
            KafkaMsg::ZkConnected { session } if self.zk_link.heard(from, ctx.now) => {
                let moved = self.session == Some(session);
                self.session = Some(session);
                self.connecting = false;
                if moved {
                    // The session moved to another server: send again what was not answered.
                    for (id, calls) in self.zk_link.resend() {
                        send(ctx, self.zk_link.server(), KafkaMsg::ZkCall { session, id, calls });
                    }
                } else {
                    self.register_and_elect(ctx);
                }
            }
            KafkaMsg::ZkPong => {
                self.zk_link.heard(from, ctx.now);
            }
            KafkaMsg::ZkNotServing => self.zk_link.closed(from),
            KafkaMsg::ZkExpired if self.zk_link.heard(from, ctx.now) => {
                self.zk_link.expired();
                if self.session.is_some() {
                    emit(ctx, KafkaEvent::SessionExpired { broker: self.id });
                }
                // Fenced: no longer registered, no longer controller. Reconnect and register again.
                self.session = None;
                self.controller = None;
                self.zk_pending.clear();
                if !self.connecting {
                    self.connect(ctx);
                }
            }
            KafkaMsg::ZkReply { id, mut results } if self.zk_link.heard(from, ctx.now) => {
                self.zk_link.answered(id, &mut results);
                if let Some(purpose) = self.zk_pending.remove(&id) {
                    self.on_zk_reply(ctx, purpose, results);
                }
            }
            KafkaMsg::ZkWatch { path, kind } if self.zk_link.heard(from, ctx.now) => {
                self.zk_link.fired(&path, kind);
                self.on_watch(ctx, &path, kind)
            }
            KafkaMsg::LeaderAndIsr { controller_epoch, states } => {
                if controller_epoch < self.controller_epoch_seen {
                    return; // a stale controller is fenced by its epoch
                }
                self.controller_epoch_seen = controller_epoch;
                self.controller_node = Some(from);
                for s in states {
                    self.apply_leader_and_isr(ctx, s);
                }
            }
            KafkaMsg::UpdateMetadata { controller_epoch, states } => {
                if controller_epoch < self.controller_epoch_seen {
                    return;
                }
                self.controller_epoch_seen = controller_epoch;
                self.controller_node = Some(from);
                for s in states {
                    self.metadata.insert(s.tp, s);
                }
            }
            KafkaMsg::AlterPartition { tp, leader_epoch, isr } => {
                self.controller_alter_partition(ctx, from, tp, leader_epoch, isr)
            }
            KafkaMsg::AlterPartitionResponse { tp, leader_epoch, isr } => {
                let me = self.id;
                let Some(r) = self.replicas.get_mut(&tp) else { return };
                let Role::Leader(l) = &r.role else { return };
                if r.epoch != leader_epoch || l.isr == isr {
                    return;
                }
                let shrank = isr.len() < l.isr.len();
                let hw_before = r.log.hw();
                r.commit_isr(isr.clone());
                emit(ctx, KafkaEvent::IsrChanged { tp, leader: me, isr: BrokerSet::of(&isr), shrank });
                self.after_leader_change(ctx, tp, hw_before);
            }
            KafkaMsg::ReplicaFetch { tp, epoch, offset, last_epoch, generation } => {
                let Some(follower) = self.cluster.broker_of(from) else { return };
                let p = Parked::Replica { from, follower, epoch, offset, last_epoch, generation };
                self.serve_fetch(ctx, tp, p, false);
            }
            KafkaMsg::ReplicaFetchResponse { tp, response, generation } => {
                self.on_fetch_response(ctx, tp, response, generation)
            }
            KafkaMsg::Metadata => {
                let states = self.metadata.values().cloned().collect();
                send(ctx, from, KafkaMsg::MetadataResponse { states });
            }
            KafkaMsg::Produce { id, tp, acks, producer, records, size } => {
                self.append(ctx, tp, acks, (producer, size), &records, Waiter::Produce { client: from, id })
            }
            KafkaMsg::Fetch { tp, offset, generation } => {
                self.serve_fetch(ctx, tp, Parked::Consumer { from, offset, generation }, false);
            }
            KafkaMsg::ListOffsets { tp, earliest } => {
                let result = match self.replicas.get(&tp) {
                    Some(r) if r.is_leader() => Ok(if earliest { r.log.log_start() } else { r.log.hw() }),
                    _ => Err(Error::NotLeaderOrFollower),
                };
                send(ctx, from, KafkaMsg::ListOffsetsResponse { tp, result });
            }
            KafkaMsg::FindCoordinator { group } => {
                let leader = self.cluster.offsets_tp(group).and_then(|tp| self.metadata.get(&tp)?.leader);
                let result = leader.ok_or(Error::CoordinatorNotAvailable);
                send(ctx, from, KafkaMsg::FindCoordinatorResponse { group, result });
            }
            msg => self.on_group_request(ctx, from, msg),
        }
    }

    // ----- retention and compaction -----

    /// Every replica, leader or follower, applies its topic's cleanup policy to its own log.
    fn clean_logs(&mut self, ctx: &mut Ctx, compact: bool) {
        let (now, me) = (ctx.now, self.id);
        for (&tp, r) in self.replicas.iter_mut() {
            let topic = &self.cluster.topics[tp.topic as usize];
            if compact && topic.compact {
                let removed = r.log.compact();
                if removed > 0 {
                    emit(ctx, KafkaEvent::Compacted { tp, broker: me, removed: removed.min(u32::MAX as u64) as u32 });
                }
            } else if !compact && topic.delete && r.log.apply_retention(now, topic.retention, topic.retention_bytes) {
                emit(ctx, KafkaEvent::SegmentsDeleted { tp, broker: me, log_start: r.log.log_start() });
            }
        }
    }

    // ----- group coordinator -----

    fn on_group_request(&mut self, ctx: &mut Ctx, from: NodeId, msg: KafkaMsg) {
        let cluster = self.cluster.clone();
        let index = match &msg {
            KafkaMsg::JoinGroup { group, .. }
            | KafkaMsg::SyncGroup { group, .. }
            | KafkaMsg::Heartbeat { group, .. }
            | KafkaMsg::LeaveGroup { group, .. }
            | KafkaMsg::OffsetCommit { group, .. }
            | KafkaMsg::OffsetFetch { group, .. } => *group,
            _ => return,
        };
        let (Some(g), Some(cfg)) = (self.groups.get_mut(&index), cluster.groups.get(index as usize)) else {
            let e = Error::NotCoordinator;
            let answer = match msg {
                KafkaMsg::JoinGroup { .. } => {
                    KafkaMsg::JoinGroupResponse { group: index, result: Err(e), member: String::new() }
                }
                KafkaMsg::SyncGroup { .. } => KafkaMsg::SyncGroupResponse { group: index, result: Err(e) },
                KafkaMsg::Heartbeat { .. } => KafkaMsg::HeartbeatResponse { group: index, error: Some(e) },
                KafkaMsg::OffsetCommit { .. } => KafkaMsg::OffsetCommitResponse { group: index, result: Err(e) },
                KafkaMsg::OffsetFetch { .. } => KafkaMsg::OffsetFetchResponse { group: index, result: Err(e) },
                _ => return,
            };
            return send(ctx, from, answer);
        };
        match msg {
            KafkaMsg::JoinGroup { member, client, owned, owned_generation, .. } => {
                g.join(ctx, cfg, from, member, &client, owned, owned_generation)
            }
            KafkaMsg::SyncGroup { generation, member, assignment, .. } => {
                g.sync(ctx, from, generation, &member, assignment)
            }
            KafkaMsg::Heartbeat { generation, member, .. } => g.heartbeat(ctx, cfg, from, generation, &member),
            KafkaMsg::LeaveGroup { member, .. } => g.leave(ctx, cfg, &member),
            KafkaMsg::OffsetFetch { partitions, .. } => {
                let result = Ok(g.committed(partitions));
                send(ctx, from, KafkaMsg::OffsetFetchResponse { group: index, result });
            }
            KafkaMsg::OffsetCommit { generation, member, offsets, .. } => {
                if let Err(e) = g.check_commit(generation, &member) {
                    return send(ctx, from, KafkaMsg::OffsetCommitResponse { group: index, result: Err(e) });
                }
                self.append_commit(ctx, from, index, offsets);
            }
            _ => {}
        }
    }

    /// Writes a commit to the group's `__consumer_offsets` partition with acks=all; the member is
    /// answered (and the offsets count as committed) once the write is replicated.
    fn append_commit(&mut self, ctx: &mut Ctx, client: NodeId, group: u8, offsets: Vec<(u16, u64)>) {
        let Some(tp) = self.cluster.offsets_tp(group) else { return };
        let records: Vec<(Option<u32>, u64)> = offsets.iter().map(|&(p, o)| (Some(offset_key(group, p)), o)).collect();
        let waiter = Waiter::Commit { client, group, offsets };
        self.append(ctx, tp, Acks::All, (None, OFFSET_RECORD_BYTES), &records, waiter);
    }

    /// A group's offsets partition came to this broker (load the group) or left it (drop it).
    fn groups_follow_leadership(&mut self, ctx: &mut Ctx, tp: Tp) {
        if Some(tp.topic) != self.cluster.offsets_topic {
            return;
        }
        let leading = self.replicas.get(&tp).is_some_and(|r| r.is_leader());
        let cluster = self.cluster.clone();
        for (i, cfg) in cluster.groups.iter().enumerate().filter(|(_, g)| g.offsets_partition == tp.partition) {
            let index = i as u8;
            match (leading, self.groups.contains_key(&index)) {
                (true, false) => {
                    let r = self.replicas.get(&tp).expect("leading it");
                    let mut g = Group::load(index, self.id, &r.log.slice(r.log.log_start(), r.log.hw()));
                    g.announce(ctx, GroupState::Empty);
                    self.groups.insert(index, g);
                    let _ = cfg;
                }
                (false, true) => {
                    if let Some(mut g) = self.groups.remove(&index) {
                        g.announce(ctx, GroupState::Dead);
                    }
                }
                _ => {}
            }
        }
    }

    // ----- coordinator replies and watches -----

    fn on_zk_reply(&mut self, ctx: &mut Ctx, purpose: ZkPurpose, results: Vec<ZkResult>) {
        match purpose {
            ZkPurpose::RegisterAndElect => {
                let mut it = results.into_iter();
                self.on_registered(ctx, it.next());
                self.on_elected(ctx, it.next());
            }
            ZkPurpose::Register => self.on_registered(ctx, results.into_iter().next()),
            ZkPurpose::Elect => self.on_elected(ctx, results.into_iter().next()),
            ZkPurpose::WatchController => {
                // Gone between our create and our watch: compete again.
                if results.first() == Some(&ZkResult::Exists(false)) {
                    self.register_controller(ctx);
                }
            }
            ZkPurpose::BumpEpoch => {
                let Some(ZkResult::Version(v)) = results.first() else { return };
                self.controller = Some(Controller {
                    epoch: *v,
                    epoch_version: *v,
                    live: vec![],
                    partitions: VecMap::new(),
                    initialised: false,
                });
                self.controller_epoch_seen = self.controller_epoch_seen.max(*v);
                emit(ctx, KafkaEvent::ControllerElected { broker: self.id, epoch: *v });
                let mut calls = vec![ZkCall::GetChildren { path: "/brokers/ids".into(), watch: true }];
                calls.extend(
                    self.cluster
                        .all_tps()
                        .into_iter()
                        .map(|tp| ZkCall::GetData { path: self.cluster.state_path(tp), watch: false }),
                );
                self.zk(ctx, ZkPurpose::ReadBrokers { init: true }, calls);
            }
            ZkPurpose::ReadBrokers { init } => {
                let Some(ZkResult::Children(ids)) = results.first() else { return };
                let live: Vec<BrokerId> = {
                    let mut l: Vec<BrokerId> = ids.iter().filter_map(|s| s.parse().ok()).collect();
                    crate::sort::sort(&mut l);
                    l
                };
                if init {
                    let tps = self.cluster.all_tps();
                    let Some(c) = self.controller.as_mut() else { return };
                    for (tp, r) in tps.into_iter().zip(&results[1..]) {
                        if let ZkResult::Data(text, _) = r {
                            if let Some(v) = decode_state(tp, text) {
                                c.partitions.insert(tp, v);
                            }
                        }
                    }
                    c.initialised = true;
                }
                self.controller_brokers_changed(ctx, live, init);
            }
            ZkPurpose::AlterIsr { to, tp, leader_epoch, isr } => {
                if results.iter().all(|r| !matches!(r, ZkResult::Err(_))) {
                    let current = self.controller.as_mut().and_then(|c| c.partitions.get_mut(&tp));
                    if let Some(v) = current.filter(|v| v.leader_epoch == leader_epoch) {
                        v.isr = isr.clone();
                        send(ctx, to, KafkaMsg::AlterPartitionResponse { tp, leader_epoch, isr });
                        self.broadcast_metadata(ctx);
                    }
                } else {
                    self.on_zk_reply(ctx, ZkPurpose::Write, results);
                }
            }
            ZkPurpose::Write => {
                if results.iter().any(|r| matches!(r, ZkResult::Err(ZkError::BadVersion))) {
                    // Another controller bumped the epoch: we are fenced. Step down.
                    self.controller = None;
                    self.zk(
                        ctx,
                        ZkPurpose::WatchController,
                        vec![ZkCall::Exists { path: "/controller".into(), watch: true }],
                    );
                }
            }
        }
    }

    fn register_controller(&mut self, ctx: &mut Ctx) {
        let call = self.controller_call();
        self.zk(ctx, ZkPurpose::Elect, vec![call]);
    }

    fn on_registered(&mut self, ctx: &mut Ctx, result: Option<ZkResult>) {
        match result {
            Some(ZkResult::Done) => emit(ctx, KafkaEvent::BrokerRegistered { broker: self.id }),
            // Our previous session's node is still there until that session expires: retry.
            _ => ctx.set_timer(self.cluster.session_timeout / 3, KafkaTimer::Register),
        }
    }

    fn on_elected(&mut self, ctx: &mut Ctx, result: Option<ZkResult>) {
        if result == Some(ZkResult::Done) {
            let call = ZkCall::SetData { path: "/controller_epoch".into(), data: String::new(), version: None };
            self.zk(ctx, ZkPurpose::BumpEpoch, vec![call]);
        } else {
            self.zk(ctx, ZkPurpose::WatchController, vec![ZkCall::Exists { path: "/controller".into(), watch: true }]);
        }
    }

    fn on_watch(&mut self, ctx: &mut Ctx, path: &str, kind: WatchKind) {
        match (path, kind) {
            ("/controller", WatchKind::NodeDeleted) if self.session.is_some() => self.register_controller(ctx),
            ("/controller", _) => self.zk(
                ctx,
                ZkPurpose::WatchController,
                vec![ZkCall::Exists { path: "/controller".into(), watch: true }],
            ),
            ("/brokers/ids", WatchKind::NodeChildrenChanged) if self.controller.is_some() => self.zk(
                ctx,
                ZkPurpose::ReadBrokers { init: false },
                vec![ZkCall::GetChildren { path: "/brokers/ids".into(), watch: true }],
            ),
            _ => {}
        }
    }

    // ----- the controller -----

    fn controller_brokers_changed(&mut self, ctx: &mut Ctx, live: Vec<BrokerId>, init: bool) {
        let unclean = self.cluster.unclean_leader_election;
        let cluster = self.cluster.clone();
        let Some(c) = self.controller.as_mut() else { return };
        let lost: Vec<BrokerId> = c.live.iter().copied().filter(|b| !live.contains(b)).collect();
        let joined: Vec<BrokerId> = live.iter().copied().filter(|b| !c.live.contains(b) || init).collect();
        c.live = live.clone();
        for &b in &lost {
            emit(ctx, KafkaEvent::BrokerLost { broker: b });
        }
        let mut changed: Vec<Tp> = vec![];
        let mut created: Vec<Tp> = vec![];
        // Topics not yet created: create once enough brokers are up (RF of them).
        for (t, topic) in cluster.topics.iter().enumerate() {
            let first = Tp { topic: t as u16, partition: 0 };
            if c.partitions.contains_key(&first) || (live.len() as u32) < topic.replication_factor {
                continue;
            }
            let n = live.len();
            let (start, shift) = (ctx.rng.below(n as u64) as usize, ctx.rng.below(n as u64) as usize);
            let Ok(assignment) =
                assign_replicas(topic.partitions as u32, topic.replication_factor, &live, start, shift)
            else {
                continue;
            };
            for (p, replicas) in assignment.into_iter().enumerate() {
                let tp = Tp { topic: t as u16, partition: p as u16 };
                let isr: Vec<BrokerId> = replicas.iter().copied().filter(|b| live.contains(b)).collect();
                let view = PartitionView { tp, leader: isr.first().copied(), leader_epoch: 0, isr, replicas };
                emit(
                    ctx,
                    KafkaEvent::LeaderElected {
                        tp,
                        leader: view.leader.unwrap_or(0),
                        epoch: 0,
                        isr: BrokerSet::of(&view.isr),
                        unclean: false,
                    },
                );
                c.partitions.insert(tp, view);
                created.push(tp);
            }
        }
        for (&tp, v) in c.partitions.iter_mut() {
            if created.contains(&tp) {
                continue;
            }
            let leader_alive = v.leader.is_some_and(|l| live.contains(&l));
            if !leader_alive {
                let was_online = v.leader.is_some();
                match elect_offline(&v.replicas, &v.isr, &live, unclean) {
                    Some(e) => {
                        v.leader = Some(e.leader);
                        v.leader_epoch += 1;
                        v.isr = e.isr;
                        emit(
                            ctx,
                            KafkaEvent::LeaderElected {
                                tp,
                                leader: e.leader,
                                epoch: v.leader_epoch,
                                isr: BrokerSet::of(&v.isr),
                                unclean: e.unclean,
                            },
                        );
                        changed.push(tp);
                    }
                    None => {
                        if was_online {
                            v.leader = None;
                            emit(ctx, KafkaEvent::PartitionOffline { tp });
                            changed.push(tp);
                        }
                    }
                }
            } else if v.isr.iter().any(|b| lost.contains(b)) {
                // A follower died: it leaves the ISR at once (ZooKeeper-era controllers bump the
                // leader epoch when they shrink the ISR this way).
                v.isr.retain(|b| !lost.contains(b));
                v.leader_epoch += 1;
                changed.push(tp);
            }
        }
        let epoch = c.epoch;
        let mut ops = vec![Op::Check { path: "/controller_epoch".into(), version: c.epoch_version }];
        for &tp in &created {
            let topic = &cluster.topics[tp.topic as usize].name;
            if tp.partition == 0 {
                for path in [format!("/brokers/topics/{topic}"), format!("/brokers/topics/{topic}/partitions")] {
                    ops.push(Op::Create { path, data: String::new(), ephemeral: false });
                }
            }
            ops.push(Op::Create {
                path: format!("/brokers/topics/{topic}/partitions/{}", tp.partition),
                data: String::new(),
                ephemeral: false,
            });
            ops.push(Op::Create {
                path: cluster.state_path(tp),
                data: encode_state(&c.partitions[&tp]),
                ephemeral: false,
            });
        }
        for &tp in &changed {
            ops.push(Op::SetData {
                path: cluster.state_path(tp),
                data: encode_state(&c.partitions[&tp]),
                version: None,
            });
        }
        let partitions = c.partitions.clone();
        if ops.len() > 1 {
            self.zk(ctx, ZkPurpose::Write, vec![ZkCall::Multi(ops)]);
        }
        // LeaderAndIsr: changed and new partitions to their live replicas, everything to new brokers.
        for &b in &live {
            let states: Vec<PartitionView> = partitions
                .values()
                .filter(|v| v.replicas.contains(&b))
                .filter(|v| joined.contains(&b) || changed.contains(&v.tp) || created.contains(&v.tp))
                .cloned()
                .collect();
            if let (false, Some(node)) = (states.is_empty(), cluster.broker_node(b)) {
                send(ctx, node, KafkaMsg::LeaderAndIsr { controller_epoch: epoch, states });
            }
        }
        self.broadcast_metadata(ctx);
    }

    fn broadcast_metadata(&mut self, ctx: &mut Ctx) {
        let Some(c) = &self.controller else { return };
        let states: Vec<PartitionView> = c.partitions.values().cloned().collect();
        for &b in &c.live {
            if let Some(node) = self.cluster.broker_node(b) {
                send(ctx, node, KafkaMsg::UpdateMetadata { controller_epoch: c.epoch, states: states.clone() });
            }
        }
    }

    fn controller_alter_partition(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        tp: Tp,
        leader_epoch: u32,
        isr: Vec<BrokerId>,
    ) {
        let Some(sender) = self.cluster.broker_of(from) else { return };
        let path = self.cluster.state_path(tp);
        let Some(c) = self.controller.as_mut() else { return };
        let Some(v) = c.partitions.get_mut(&tp) else { return };
        // Only the current leader of the current epoch may change the ISR (Kafka answers others
        // FENCED_LEADER_EPOCH; they learn the truth from LeaderAndIsr).
        if v.leader != Some(sender) || v.leader_epoch != leader_epoch {
            return;
        }
        let isr = isr.into_iter().filter(|b| v.replicas.contains(b)).collect::<Vec<_>>();
        if v.isr == isr {
            return send(ctx, from, KafkaMsg::AlterPartitionResponse { tp, leader_epoch, isr });
        }
        let next = PartitionView { isr: isr.clone(), ..v.clone() };
        let ops = vec![
            Op::Check { path: "/controller_epoch".into(), version: c.epoch_version },
            Op::SetData { path, data: encode_state(&next), version: None },
        ];
        // The change counts (and the leader hears back) only once it is in the coordinator: a
        // controller cut off from it (a zombie) can approve nothing, so its leaders' ISRs cannot
        // shrink behind the new controller's back.
        let purpose = ZkPurpose::AlterIsr { to: from, tp, leader_epoch, isr };
        self.zk(ctx, purpose, vec![ZkCall::Multi(ops)]);
    }

    // ----- replicas -----

    fn apply_leader_and_isr(&mut self, ctx: &mut Ctx, s: PartitionView) {
        let now = ctx.now;
        let config = self.cluster.replica_config(s.tp);
        let me = self.id;
        let r = self.replicas.get_or_insert_with(s.tp, || Replica::new(me, s.replicas.clone(), config));
        r.assignment = s.replicas.clone();
        let tp = s.tp;
        match s.leader {
            Some(l) if l == me => {
                if !(r.is_leader() && r.epoch == s.leader_epoch) {
                    r.become_leader(s.leader_epoch, s.isr.clone(), now);
                    self.answer_completed(ctx, tp);
                    self.wake_where(ctx, tp, |_| true);
                }
            }
            Some(l) => {
                let following = matches!(r.role, Role::Follower { leader } if leader == l) && r.epoch == s.leader_epoch;
                if !following {
                    r.become_follower(s.leader_epoch, l);
                    self.answer_completed(ctx, tp);
                    self.wake_where(ctx, tp, |_| true);
                    self.send_fetch(ctx, tp);
                }
            }
            None => {
                r.go_offline();
                self.answer_completed(ctx, tp);
            }
        }
        self.metadata.insert(tp, s);
        self.groups_follow_leadership(ctx, tp);
    }

    fn send_fetch(&mut self, ctx: &mut Ctx, tp: Tp) {
        let Some(r) = self.replicas.get(&tp) else { return };
        let Role::Follower { leader } = r.role else { return };
        let Some(node) = self.cluster.broker_node(leader) else { return };
        let (offset, last_epoch) = r.fetch_request();
        let epoch = r.epoch;
        let generation = {
            let g = self.fetch_gen.get_or_insert_with(tp, || 0);
            *g += 1;
            *g
        };
        send(ctx, node, KafkaMsg::ReplicaFetch { tp, epoch, offset, last_epoch, generation });
        self.fetch_timeouts.set(ctx, tp, REQUEST_TIMEOUT, KafkaTimer::FetchTimeout);
    }

    fn on_fetch_response(&mut self, ctx: &mut Ctx, tp: Tp, response: FetchResponse, generation: u64) {
        if self.fetch_gen.get(&tp) != Some(&generation) {
            return; // an answer to a fetch we have given up on
        }
        let me = self.id;
        let Some(r) = self.replicas.get_mut(&tp) else { return };
        let hw_before = r.log.hw();
        let truncated = r.handle_fetch_response(&response);
        if truncated {
            emit(ctx, KafkaEvent::Truncated { tp, broker: me, to: r.log.leo() });
        }
        if r.log.hw() != hw_before {
            emit(ctx, KafkaEvent::HighWatermark { tp, broker: me, hw: r.log.hw() });
        }
        match response {
            // The leader may have moved (LeaderAndIsr will say): back off, then fetch again.
            FetchResponse::Error(_) => self.fetch_after_backoff(ctx, tp),
            _ => {
                self.fetch_timeouts.remove(tp);
                self.send_fetch(ctx, tp)
            }
        }
    }

    /// Gives up the fetch in flight on `tp` and fetches again after `replica.fetch.backoff.ms`.
    fn fetch_after_backoff(&mut self, ctx: &mut Ctx, tp: Tp) {
        self.fetch_timeouts.remove(tp);
        let g = self.fetch_gen.get_or_insert_with(tp, || 0);
        *g += 1;
        ctx.set_timer(REPLICA_FETCH_BACKOFF, KafkaTimer::FetchBackoff { tp, generation: *g });
    }

    /// Serves a follower's or consumer's fetch now, or parks it until there is something to send
    /// (Kafka's delayed fetch: `replica.fetch.wait.max.ms` / `fetch.max.wait.ms`, 500 ms).
    fn serve_fetch(&mut self, ctx: &mut Ctx, tp: Tp, p: Parked, waking: bool) {
        let now = ctx.now;
        let Some(r) = self.replicas.get_mut(&tp) else {
            return self.reply_fetch_error(ctx, tp, &p, Error::NotLeaderOrFollower);
        };
        if !r.is_leader() {
            return self.reply_fetch_error(ctx, tp, &p, Error::NotLeaderOrFollower);
        }
        match &p {
            Parked::Replica { from, follower, epoch, offset, last_epoch, generation } => {
                let hw_before = r.log.hw();
                let (response, change) = r.handle_fetch(*follower, *epoch, *offset, *last_epoch, now);
                let (from, generation) = (*from, *generation);
                let empty = matches!(&response, FetchResponse::Records { records, .. } if records.is_empty());
                if let Some(change) = change {
                    self.propose_isr(ctx, tp, change.isr);
                }
                self.after_leader_change(ctx, tp, hw_before);
                if empty && !waking {
                    self.park(ctx, tp, p.clone(), REPLICA_FETCH_WAIT_MAX);
                } else {
                    send(ctx, from, KafkaMsg::ReplicaFetchResponse { tp, response, generation });
                }
            }
            Parked::Consumer { from, offset, generation } => {
                if *offset < r.log.log_start() || *offset > r.log.leo() {
                    let (from, generation) = (*from, *generation);
                    let result = Err(Error::OffsetOutOfRange);
                    return send(ctx, from, KafkaMsg::FetchResponse { tp, result, generation });
                }
                let records = r.log.slice(*offset, r.log.hw());
                let hw = r.log.hw();
                if records.is_empty() && !waking {
                    self.park(ctx, tp, p.clone(), FETCH_MAX_WAIT);
                } else {
                    send(
                        ctx,
                        *from,
                        KafkaMsg::FetchResponse { tp, result: Ok((records, hw)), generation: *generation },
                    );
                }
            }
        }
    }

    fn reply_fetch_error(&mut self, ctx: &mut Ctx, tp: Tp, p: &Parked, e: Error) {
        match *p {
            Parked::Replica { from, generation, .. } => {
                send(ctx, from, KafkaMsg::ReplicaFetchResponse { tp, response: FetchResponse::Error(e), generation })
            }
            Parked::Consumer { from, generation, .. } => {
                send(ctx, from, KafkaMsg::FetchResponse { tp, result: Err(e), generation })
            }
        }
    }

    fn park(&mut self, ctx: &mut Ctx, tp: Tp, p: Parked, wait: Time) {
        let id = self.parked.park(tp, p);
        ctx.set_timer(wait, KafkaTimer::Park { tp, id });
    }

    /// Completes the parked fetches on `tp` that `pick` selects (new data, a new HW, or — all of
    /// them — a change of leadership): each is answered now, and its timer will find it gone.
    fn wake_where(&mut self, ctx: &mut Ctx, tp: Tp, pick: impl Fn(&Parked) -> bool) {
        for p in self.parked.take(tp, pick) {
            self.serve_fetch(ctx, tp, p, true);
        }
    }

    /// Asks the controller to commit an ISR change (AlterPartition, KIP-497); the change takes
    /// effect when it answers.
    fn propose_isr(&mut self, ctx: &mut Ctx, tp: Tp, isr: Vec<BrokerId>) {
        let epoch = self.replicas.get(&tp).map_or(0, |r| r.epoch);
        if let Some(node) = self.controller_node {
            send(ctx, node, KafkaMsg::AlterPartition { tp, leader_epoch: epoch, isr });
        }
    }

    /// After anything that may move a leader's HW: report it, answer produces it completes, and
    /// wake consumers waiting for it.
    fn after_leader_change(&mut self, ctx: &mut Ctx, tp: Tp, hw_before: u64) {
        let me = self.id;
        let Some(r) = self.replicas.get(&tp) else { return };
        let hw = r.log.hw();
        self.answer_completed(ctx, tp);
        if hw != hw_before {
            emit(ctx, KafkaEvent::HighWatermark { tp, broker: me, hw });
            self.wake_consumers(ctx, tp);
        }
    }

    fn wake_consumers(&mut self, ctx: &mut Ctx, tp: Tp) {
        self.wake_where(ctx, tp, |p| matches!(p, Parked::Consumer { .. }));
    }

    fn answer_completed(&mut self, ctx: &mut Ctx, tp: Tp) {
        let Some(r) = self.replicas.get_mut(&tp) else { return };
        for (req, result) in r.take_completed() {
            if let Some(w) = self.produce_waiting.remove(&(tp, req)) {
                self.answer(ctx, tp, w, result);
            }
        }
    }

    fn answer(&mut self, ctx: &mut Ctx, tp: Tp, waiter: Waiter, result: Result<u64, Error>) {
        match waiter {
            Waiter::Produce { client, id } => send(ctx, client, KafkaMsg::ProduceResponse { id, tp, result }),
            Waiter::Commit { client, group, offsets } => {
                let result = match result {
                    Ok(_) => {
                        if let Some(g) = self.groups.get_mut(&group) {
                            for &(p, o) in &offsets {
                                g.offsets.insert(p, o);
                            }
                        }
                        Ok(offsets)
                    }
                    // As GroupMetadataManager maps append errors for its members.
                    Err(Error::NotEnoughReplicas) => Err(Error::CoordinatorNotAvailable),
                    Err(Error::RequestTimedOut) => Err(Error::RequestTimedOut),
                    Err(_) => Err(Error::NotCoordinator),
                };
                send(ctx, client, KafkaMsg::OffsetCommitResponse { group, result });
            }
        }
    }

    /// Appends records as the partition's leader and answers `waiter` now or when replicated.
    fn append(
        &mut self,
        ctx: &mut Ctx,
        tp: Tp,
        acks: Acks,
        (producer, size): (Option<(u32, u32)>, u32),
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
        let outcome = r.produce_batch(req, acks, producer, records, size, now);
        for offset in leo_before..r.log.leo() {
            emit(ctx, KafkaEvent::Appended { tp, broker: me, offset, epoch: r.epoch });
        }
        match outcome {
            ProduceOutcome::Done(result) => {
                if acks != Acks::None {
                    self.answer(ctx, tp, waiter, result);
                }
            }
            ProduceOutcome::Waiting { .. } => {
                if matches!(waiter, Waiter::Commit { .. }) {
                    // A commit that cannot be replicated in time is answered REQUEST_TIMED_OUT (as
                    // a zombie coordinator's would be: its followers fetch from a new leader).
                    ctx.set_timer(OFFSETS_COMMIT_TIMEOUT, KafkaTimer::CommitTimeout { tp, request: req });
                }
                self.produce_waiting.insert((tp, req), waiter);
            }
        }
        self.after_leader_change(ctx, tp, hw_before);
        // New data: followers waiting in a long poll get it now.
        if self.replicas.get(&tp).is_some_and(|r| r.log.leo() > leo_before) {
            self.wake_where(ctx, tp, |p| matches!(p, Parked::Replica { .. }));
        }
    }
}
