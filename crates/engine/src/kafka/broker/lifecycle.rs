//! The broker's side of KRaft mode (Kafka's `BrokerLifecycleManager` and metadata loader): it
//! fetches `__cluster_metadata` from the quorum's leader as an observer (it never votes), registers
//! with the active controller and heartbeats it every `broker.heartbeat.interval.ms`, and replays
//! the committed records into its image — the partition records becoming its replicas' roles, as
//! LeaderAndIsr did in ZooKeeper mode. Nothing is pushed to it: what it knows, it fetched.
//!
//! It acts on partitions only once it has replayed the records its registration wrote (a restarted
//! broker's old leaderships are taken from it there), so it never leads on a stale image.
//!
//! A clean stop (`leave`) is KIP-631's controlled shutdown: a running broker heartbeats at once
//! with `wantShutDown`, again 50 ms after the first answer and then every heartbeat interval, and
//! stops when the controller answers `shouldShutDown` (it leads nothing more) — or after the
//! 5 minutes `KafkaBroker.shutdown()` waits. A broker not yet running (never unfenced) stops at once.

use super::leader_moves::Stopping;
use super::Broker;
use crate::kafka::clients::send;
use crate::kafka::kraft::image::MetadataImage;
use crate::kafka::kraft::metalog::MetaLog;
use crate::kafka::kraft::{ControllerError, ControllerId, FetchResult, MetadataRecord, RaftMsg};
use crate::kafka::msg::{KafkaMsg, Tp};
use crate::kafka::partition::Role;
use crate::kafka::{Ctx, KafkaTimer};
use crate::kernel::Leaving;
use crate::time::Time;
use crate::NodeId;

/// A request unanswered this long is sent again (`controller.quorum.request.timeout.ms`).
const REQUEST_TIMEOUT: Time = Time::secs(2);
/// How long a clean stop waits for the controller's leave (`KafkaBroker.shutdown()`'s 5 minutes).
pub const SHUTDOWN_DEADLINE: Time = Time::secs(300);
/// The heartbeat after the first answer to a controlled shutdown comes this soon
/// (`BrokerLifecycleManager`), then at the usual interval.
const SHUTDOWN_FIRST_RECHECK: Time = Time::ms(50);

#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    /// The broker's copy of the metadata log (on disk: it survives a crash).
    pub log: MetaLog,
    pub hw: u64,
    pub image: MetadataImage,
    epoch: u32,
    /// The quorum leader it knows of: the active controller.
    pub leader: Option<ControllerId>,
    /// The controller to ask while no leader is known (round-robin from a random one).
    next: usize,
    fetch_sent: Option<Time>,
    /// Its registration: broker epoch, and the offset to replay up to before acting on it.
    pub broker_epoch: Option<u64>,
    ready_at: u64,
    registration_sent: Option<Time>,
    next_heartbeat: Time,
    /// Whether its replicas follow the image yet.
    pub published: bool,
    /// RUNNING in `BrokerLifecycleManager`'s terms: a heartbeat answer has said it is unfenced.
    running: bool,
    /// A controlled shutdown was answered once (the next heartbeat then comes sooner).
    shutdown_answered: bool,
}

impl Lifecycle {
    /// Fenced as far as this broker's own image says (the page shows this).
    pub fn fenced(&self, me: u32) -> bool {
        self.image.brokers.get(&me).is_none_or(|r| self.broker_epoch != Some(r.broker_epoch) || r.fenced)
    }

    pub fn on_crash(&mut self) {
        *self = Lifecycle { log: std::mem::take(&mut self.log), epoch: self.epoch, ..Lifecycle::default() };
    }
}

impl Broker {
    fn lifecycle(&mut self) -> &mut Lifecycle {
        self.kraft.as_mut().expect("KRaft mode")
    }

    fn controller_nodes(&self) -> &[NodeId] {
        &self.cluster.kraft.as_ref().expect("KRaft mode").controllers
    }

    fn tick_interval(&self) -> Time {
        (self.cluster.kraft.as_ref().expect("KRaft mode").settings.election_timeout / 10).max(Time::ms(1))
    }

    /// The node to talk to: the known leader, or the next controller to try.
    fn quorum_target(&self) -> NodeId {
        let l = self.kraft.as_ref().expect("KRaft mode");
        let nodes = self.controller_nodes();
        match l.leader {
            Some(id) => nodes[id as usize - 1],
            None => nodes[l.next % nodes.len()],
        }
    }

    pub(super) fn kraft_start(&mut self, ctx: &mut Ctx) {
        let n = self.controller_nodes().len() as u64;
        let next = ctx.rng.below(n) as usize;
        let l = self.lifecycle();
        l.next = next;
        l.next_heartbeat = ctx.now;
        if let Some(q) = self.quorum.as_mut() {
            // Combined mode: the controller's tick is the node's (see `Broker::on_timer`).
            q.on_start(ctx);
            return self.follow_local_quorum(ctx);
        }
        self.fetch_metadata(ctx);
        ctx.set_timer(self.tick_interval(), KafkaTimer::KraftTick);
    }

    /// Combined mode: the broker reads the metadata from the log of the controller in its own
    /// process (Kafka's broker and controller share one Raft client there) — the records below
    /// that voter's high watermark, the leader it follows — where a broker of its own fetches
    /// them as an observer. Called after each of the controller's messages and ticks.
    pub(super) fn follow_local_quorum(&mut self, ctx: &mut Ctx) {
        let (Some(q), Some(l)) = (self.quorum.as_deref(), self.kraft.as_mut()) else { return };
        let (epoch, leader, hw) = (q.raft.epoch, q.raft.leader(), q.raft.hw);
        let unchanged = l.epoch == epoch && l.leader == leader && l.hw >= hw;
        if unchanged {
            return;
        }
        // Only committed records are copied, so the copy never has to be truncated.
        while l.log.end() < hw {
            let e = q.raft.log.get(l.log.end()).expect("below the voter's HW").clone();
            l.log.append(e);
        }
        l.hw = l.hw.max(hw.min(l.log.end()));
        if l.leader != leader || l.epoch != epoch {
            l.registration_sent = None;
        }
        (l.epoch, l.leader) = (epoch, leader);
        self.controller_node =
            self.kraft.as_ref().and_then(|l| l.leader).map(|id| self.controller_nodes()[id as usize - 1]);
        self.replay_metadata(ctx);
    }

    fn fetch_metadata(&mut self, ctx: &mut Ctx) {
        let to = self.quorum_target();
        let l = self.lifecycle();
        l.fetch_sent = Some(ctx.now);
        let m = RaftMsg::Fetch { epoch: l.epoch, offset: l.log.end(), last_epoch: l.log.last_epoch() };
        send(ctx, to, KafkaMsg::Raft(m));
    }

    /// Forgets the leader it knew (it went, or said it is not the leader) and tries another.
    fn leader_unknown(&mut self, leader: Option<ControllerId>) {
        let l = self.lifecycle();
        match leader {
            Some(_) => l.leader = leader,
            None => {
                l.leader = None;
                l.next += 1;
            }
        }
        l.fetch_sent = None;
        l.registration_sent = None;
        self.controller_node = None;
    }

    /// Every tick: fetch again if the last fetch went unanswered, register, heartbeat.
    pub(super) fn kraft_tick(&mut self, ctx: &mut Ctx) {
        let now = ctx.now;
        let combined = self.quorum.is_some();
        let l = self.lifecycle();
        let fetch_due = !combined && l.fetch_sent.is_none_or(|at| now >= at + REQUEST_TIMEOUT);
        if !combined && l.fetch_sent.is_some_and(|at| now >= at + REQUEST_TIMEOUT) {
            self.leader_unknown(None);
        }
        if fetch_due {
            self.fetch_metadata(ctx);
        }
        let me = self.id;
        let l = self.lifecycle();
        if l.leader.is_some() {
            match l.broker_epoch {
                None if l.registration_sent.is_none_or(|at| now >= at + REQUEST_TIMEOUT) => {
                    l.registration_sent = Some(now);
                    let to = self.quorum_target();
                    send(ctx, to, KafkaMsg::BrokerRegistration { broker: me });
                }
                Some(_) if now >= l.next_heartbeat => self.heartbeat(ctx),
                _ => {}
            }
        }
        if !combined {
            ctx.set_timer(self.tick_interval(), KafkaTimer::KraftTick);
        }
    }

    fn heartbeat(&mut self, ctx: &mut Ctx) {
        let interval = self.cluster.kraft.as_ref().expect("KRaft mode").settings.heartbeat_interval;
        let (me, want_shut_down) = (self.id, self.stopping.is_some());
        let to = self.quorum_target();
        let l = self.lifecycle();
        let Some(broker_epoch) = l.broker_epoch else { return };
        l.next_heartbeat = ctx.now + interval;
        let metadata_offset = l.image.applied;
        send(ctx, to, KafkaMsg::BrokerHeartbeat { broker: me, broker_epoch, metadata_offset, want_shut_down });
    }

    /// `leave` in KRaft mode: a running broker begins a controlled shutdown with a heartbeat now.
    pub(super) fn kraft_leave(&mut self, ctx: &mut Ctx) -> Leaving {
        let l = self.lifecycle();
        if !l.running {
            return Leaving::Now;
        }
        self.stopping = Some(Stopping { attempt: 1, done: false });
        ctx.set_timer(SHUTDOWN_DEADLINE, KafkaTimer::ControlledShutdown { attempt: 1 });
        self.heartbeat(ctx);
        Leaving::Later
    }

    /// What the quorum says to this broker.
    pub(super) fn on_quorum_msg(&mut self, ctx: &mut Ctx, from: NodeId, msg: KafkaMsg) {
        let from_id = self.controller_nodes().iter().position(|&n| n == from).map(|i| i as ControllerId + 1);
        match msg {
            KafkaMsg::Raft(RaftMsg::FetchResponse { epoch, leader, result }) => {
                let l = self.lifecycle();
                if epoch < l.epoch {
                    return;
                }
                l.epoch = epoch;
                l.fetch_sent = None;
                match result {
                    FetchResult::NotLeader => return self.leader_unknown(leader),
                    FetchResult::Records { from, entries, hw } => {
                        l.leader = leader.or(from_id);
                        l.log.accept(from, entries);
                        l.hw = l.hw.max(hw.min(l.log.end()));
                    }
                    FetchResult::Diverging { epoch, end_offset } => {
                        l.leader = leader.or(from_id);
                        l.log.truncate_diverging(epoch, end_offset);
                    }
                }
                self.controller_node =
                    self.kraft.as_ref().and_then(|l| l.leader).map(|id| self.controller_nodes()[id as usize - 1]);
                self.replay_metadata(ctx);
                self.fetch_metadata(ctx);
            }
            KafkaMsg::BrokerRegistrationResponse { result } => match result {
                Ok((broker_epoch, ready_at)) => {
                    let l = self.lifecycle();
                    l.broker_epoch = Some(broker_epoch);
                    l.ready_at = ready_at;
                    l.registration_sent = None;
                    l.next_heartbeat = ctx.now;
                    self.replay_metadata(ctx);
                }
                Err(ControllerError::NotController { leader }) => self.leader_unknown(leader),
                Err(ControllerError::StaleBrokerEpoch) => {}
            },
            KafkaMsg::BrokerHeartbeatResponse { result } => match result {
                Ok(reply) => {
                    let stopping = self.stopping.is_some();
                    let l = self.lifecycle();
                    l.running |= !reply.fenced;
                    if stopping && !reply.should_shut_down {
                        if !l.shutdown_answered {
                            l.next_heartbeat = ctx.now + SHUTDOWN_FIRST_RECHECK;
                        }
                        l.shutdown_answered = true;
                    }
                    if let Some(s) = self.stopping.as_mut() {
                        s.done |= reply.should_shut_down;
                    }
                }
                Err(ControllerError::NotController { leader }) => self.leader_unknown(leader),
                Err(ControllerError::StaleBrokerEpoch) => {
                    // Its registration was replaced: register again.
                    let l = self.lifecycle();
                    l.broker_epoch = None;
                    l.published = false;
                    l.running = false;
                }
            },
            _ => {}
        }
    }

    /// Replays the committed records it has not yet; once registered and caught up with its
    /// registration, its replicas take the roles the records give them.
    fn replay_metadata(&mut self, ctx: &mut Ctx) {
        let l = self.kraft.as_mut().expect("KRaft mode");
        let mut changed: Vec<Tp> = vec![];
        while l.image.applied < l.hw {
            let e = l.log.get(l.image.applied).expect("below the HW").clone();
            if let MetadataRecord::Partition(v) | MetadataRecord::PartitionChange(v) = &e.record {
                if !changed.contains(&v.tp) {
                    changed.push(v.tp);
                }
            }
            l.image.replay(&e);
        }
        let ready = l.broker_epoch.is_some() && l.image.applied > l.ready_at;
        if ready && !l.published {
            l.published = true;
            changed = l.image.partitions.keys().copied().collect();
        }
        let views: Vec<_> = changed.iter().filter_map(|tp| l.image.partitions.get(tp).cloned()).collect();
        let publish = l.published;
        for v in views {
            self.metadata.insert(v.tp, std::rc::Rc::new(v.clone()));
            if !publish || !v.replicas.contains(&self.id) {
                continue;
            }
            // The same leader in the same epoch: only the ISR changed (as a leader, it takes it).
            let same_term = self.replicas.get(&v.tp).is_some_and(|r| {
                r.epoch == v.leader_epoch
                    && match r.role {
                        Role::Leader(_) => v.leader == Some(self.id),
                        Role::Follower { leader } => v.leader == Some(leader),
                        Role::Offline => false,
                    }
            });
            if same_term {
                if v.leader == Some(self.id) {
                    // Its own AlterPartition is announced when answered; the controller's changes
                    // were announced by the controller.
                    self.take_isr(ctx, v.tp, v.leader_epoch, (v.isr.clone(), v.partition_epoch), false);
                }
            } else {
                self.apply_leader_and_isr(ctx, v);
            }
        }
        self.start_fetchers(ctx);
    }

    /// A controller's connection was reset: if it was the leader, look for the new one.
    pub(super) fn kraft_disconnected(&mut self, peer: NodeId) -> bool {
        let Some(l) = self.kraft.as_ref() else { return false };
        let nodes = self.controller_nodes();
        let Some(i) = nodes.iter().position(|&n| n == peer) else { return false };
        if l.leader == Some(i as ControllerId + 1) {
            self.leader_unknown(None);
        }
        true
    }
}
