//! A KRaft controller node (`process.roles=controller`): a voter of the metadata quorum, with the
//! image of what is committed. When its Raft leads, it is the active controller: it registers
//! brokers, takes their heartbeats, fences those silent for `broker.session.timeout.ms`, unfences
//! those caught up with the log, creates topics, elects leaders and rules on ISR changes — each
//! decision a record it appends, and each answer and event held until that record is committed.
//!
//! The active controller applies its own records to its image as it appends them (as Kafka's
//! does); a controller that stops leading rebuilds its image from what is committed, so that what
//! its successor truncates is forgotten.

use super::image::MetadataImage;
use super::raft::Raft;
use super::replication::{
    after_unfence, has_leaderships, isr_request, leaders_imbalanced, preferred_elections, without_broker, Decision,
    IsrRuling,
};
use super::{ControllerError, ControllerId, Entry, HeartbeatReply, MetadataRecord};
use crate::kafka::clients::{emit, send};
use crate::kafka::cluster::{Cluster, Topic};
use crate::kafka::msg::{KafkaEvent, KafkaMsg, Tp};
use crate::kafka::partition::{BrokerId, Error};
use crate::kafka::{Ctx, KafkaTimer};
use crate::time::Time;
use crate::vecmap::VecMap;
use crate::NodeId;
use std::rc::Rc;

/// What waits for a record to be committed.
#[derive(Clone, Debug)]
enum Waiting {
    Reply(NodeId, KafkaMsg),
    Event(KafkaEvent),
}

/// The active controller's memory (gone when it stops leading).
#[derive(Clone, Debug)]
pub struct Active {
    pub epoch: u32,
    /// When it became active: the scenario's topics wait for every broker at most
    /// `broker.session.timeout.ms` from then (`topics_to_create`).
    since: Time,
    /// When each registered broker last heartbeat (a new active controller gives every broker a
    /// fresh session, as `BrokerHeartbeatManager` does).
    last_heartbeat: VecMap<BrokerId, Time>,
    /// How far each broker said it has replayed the log, in its last heartbeat.
    metadata_offset: VecMap<BrokerId, u64>,
    /// The brokers in controlled shutdown, and the log end once their shutdown records were
    /// written (`controlledShutdownOffset`): every active broker must have replayed that far
    /// before one of them is let go.
    shutdown_offset: VecMap<BrokerId, u64>,
    /// A preferred leader election is scheduled (`maybeScheduleNextBalancePartitionLeaders`).
    rebalance_scheduled: bool,
    /// Answers and events, by the offset that must commit first.
    waiting: Vec<(u64, Waiting)>,
}

#[derive(Clone, Debug)]
pub struct QuorumController {
    pub raft: Raft,
    pub image: MetadataImage,
    pub active: Option<Active>,
    cluster: Rc<Cluster>,
}

impl QuorumController {
    pub fn new(id: ControllerId, cluster: Rc<Cluster>) -> QuorumController {
        let k = cluster.kraft.as_ref().expect("a controller in KRaft mode");
        let raft = Raft::new(id, k.controllers.clone(), k.settings);
        QuorumController { raft, image: MetadataImage::default(), active: None, cluster }
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        self.raft.on_start(ctx);
        ctx.set_timer(self.raft.tick_interval(), KafkaTimer::KraftTick);
    }

    pub fn on_crash(&mut self) {
        self.raft.on_crash();
        self.image = MetadataImage::default();
        self.active = None;
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: KafkaTimer) {
        if let KafkaTimer::LeaderRebalance { epoch } = timer {
            return self.balance_leaders(ctx, epoch);
        }
        if timer != KafkaTimer::KraftTick {
            return;
        }
        self.raft.on_tick(ctx);
        self.settle(ctx);
        self.fence_stale_brokers(ctx);
        self.create_late_topics(ctx);
        self.settle(ctx);
        ctx.set_timer(self.raft.tick_interval(), KafkaTimer::KraftTick);
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: KafkaMsg) {
        match msg {
            KafkaMsg::Raft(m) => self.raft.on_message(ctx, from, m),
            KafkaMsg::BrokerRegistration { broker } => self.on_registration(ctx, from, broker),
            KafkaMsg::BrokerHeartbeat { broker, broker_epoch, metadata_offset, want_shut_down } => {
                self.on_heartbeat(ctx, from, (broker, broker_epoch), metadata_offset, want_shut_down)
            }
            KafkaMsg::AlterPartition { tp, leader_epoch, partition_epoch, isr } => {
                self.on_alter_partition(ctx, from, tp, (leader_epoch, partition_epoch), isr)
            }
            _ => {}
        }
        self.settle(ctx);
    }

    /// Follows what Raft did: becomes or stops being the active controller, replays what
    /// committed, and sends the answers and events waiting for it.
    fn settle(&mut self, ctx: &mut Ctx) {
        let leading = self.raft.is_leader();
        match (&self.active, leading) {
            (Some(a), true) if a.epoch == self.raft.epoch => {}
            (_, true) => self.become_active(ctx),
            (Some(_), false) => {
                self.active = None;
                // What it applied beyond the HW may be truncated by the next leader.
                if self.image.applied > self.raft.hw {
                    self.image = MetadataImage::default();
                }
            }
            (None, false) => {}
        }
        if !leading {
            while self.image.applied < self.raft.hw {
                let e = self.raft.log.get(self.image.applied).expect("below the HW").clone();
                self.image.replay(&e);
            }
        }
        self.maybe_schedule_rebalance(ctx);
        let hw = self.raft.hw;
        let Some(a) = self.active.as_mut() else { return };
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut a.waiting).into_iter().partition(|(o, _)| *o < hw);
        a.waiting = later;
        for (_, w) in due {
            match w {
                Waiting::Reply(to, m) => send(ctx, to, m),
                Waiting::Event(e) => emit(ctx, e),
            }
        }
    }

    fn become_active(&mut self, ctx: &mut Ctx) {
        // Records past what this voter knew to be committed: its predecessor may have died before
        // learning they committed, and so before telling them. This controller tells them when it
        // commits them (once more, rarely, if its predecessor had learned it a fetch earlier).
        let untold: Vec<(u64, Waiting)> = (self.raft.hw..self.raft.log.end())
            .filter_map(|o| self.raft.log.get(o).and_then(|e| e.told).map(|e| (o, Waiting::Event(e))))
            .collect();
        while self.image.applied < self.raft.log.end() {
            let e = self.raft.log.get(self.image.applied).expect("in the log").clone();
            self.image.replay(&e);
        }
        let now = ctx.now;
        let last_heartbeat = self.image.brokers.keys().map(|&b| (b, now)).collect();
        self.active = Some(Active {
            epoch: self.raft.epoch,
            since: now,
            last_heartbeat,
            metadata_offset: VecMap::new(),
            shutdown_offset: VecMap::new(),
            rebalance_scheduled: false,
            waiting: untold,
        });
        // Whatever its predecessor left undone: topics to create, partitions to lead.
        let d = after_unfence(
            &self.image,
            (self.topics_to_create(now), &self.cluster.racks),
            self.cluster.unclean_leader_election,
            ctx.rng,
        );
        self.append(ctx, d);
    }

    /// The scenario's topics, as an operator creates them once the cluster is up: when every
    /// broker is unfenced, so that their replicas are placed over all of them (Kafka places a new
    /// topic over the unfenced brokers only) — or, if some broker never comes,
    /// `broker.session.timeout.ms` after this controller became active, over those that did.
    /// Until then none (the partitions without a leader are still elected).
    fn topics_to_create(&self, now: Time) -> &[Topic] {
        let Some(a) = self.active.as_ref() else { return &[] };
        let all_up = self.image.active().len() == self.cluster.brokers.len();
        let waited = now >= a.since + self.cluster.kraft.as_ref().expect("KRaft mode").settings.session_timeout;
        if all_up || waited {
            &self.cluster.topics
        } else {
            &[]
        }
    }

    /// Every tick while some topic is not created yet: creates it once `topics_to_create` says so.
    fn create_late_topics(&mut self, ctx: &mut Ctx) {
        if self.active.is_none() || self.image.topics.len() >= self.cluster.topics.len() {
            return;
        }
        let topics = self.topics_to_create(ctx.now);
        if topics.is_empty() {
            return;
        }
        let d =
            after_unfence(&self.image, (topics, &self.cluster.racks), self.cluster.unclean_leader_election, ctx.rng);
        self.append(ctx, d);
    }

    /// After every event it handles, the active controller schedules a preferred leader election
    /// `leader.imbalance.check.interval.seconds` ahead if some partition is not led by its
    /// preferred replica and none is scheduled (`auto.leader.rebalance.enable`).
    fn maybe_schedule_rebalance(&mut self, ctx: &mut Ctx) {
        let Some(settings) = self.cluster.leader_rebalance else { return };
        let Some(a) = self.active.as_mut().filter(|a| !a.rebalance_scheduled) else { return };
        if leaders_imbalanced(&self.image) {
            a.rebalance_scheduled = true;
            ctx.set_timer(settings.interval, KafkaTimer::LeaderRebalance { epoch: a.epoch });
        }
    }

    /// `maybeBalancePartitionLeaders`, as the active controller of `epoch` scheduled it.
    fn balance_leaders(&mut self, ctx: &mut Ctx, epoch: u32) {
        let Some(a) = self.active.as_mut().filter(|a| a.epoch == epoch && a.rebalance_scheduled) else { return };
        a.rebalance_scheduled = false;
        let d = preferred_elections(&self.image);
        self.append(ctx, d);
        self.settle(ctx);
    }

    /// Appends a decision's records (applying them to the image), each event held until its
    /// record commits; returns the offset of the last record.
    fn append(&mut self, ctx: &mut Ctx, d: Decision) -> Option<u64> {
        let mut last = None;
        for (record, event) in d.records {
            let offset = self.raft.append(ctx, record.clone(), event);
            self.image.replay(&Entry { epoch: self.raft.epoch, record, told: None });
            if let (Some(e), Some(a)) = (event, self.active.as_mut()) {
                a.waiting.push((offset, Waiting::Event(e)));
            }
            last = Some(offset);
        }
        last
    }

    fn one(record: MetadataRecord, event: KafkaEvent) -> Decision {
        Decision { records: vec![(record, Some(event))] }
    }

    fn wait_then_reply(&mut self, offset: u64, to: NodeId, m: KafkaMsg) {
        if let Some(a) = self.active.as_mut() {
            a.waiting.push((offset, Waiting::Reply(to, m)));
        }
    }

    fn not_controller(&self) -> ControllerError {
        ControllerError::NotController { leader: self.raft.leader() }
    }

    fn on_registration(&mut self, ctx: &mut Ctx, from: NodeId, broker: BrokerId) {
        if self.active.is_none() {
            let m = KafkaMsg::BrokerRegistrationResponse { result: Err(self.not_controller()) };
            return send(ctx, from, m);
        }
        // A broker that registers while it is unfenced has restarted: what it led and the ISRs it
        // was in are taken from it first (Kafka's unclean-shutdown handling).
        let was_unfenced = self.image.brokers.get(&broker).is_some_and(|r| !r.fenced);
        let previous = if was_unfenced {
            without_broker(&self.image, broker, self.cluster.unclean_leader_election)
        } else {
            Decision::default()
        };
        let registered = Self::one(
            MetadataRecord::RegisterBroker { broker },
            KafkaEvent::RegisteredWithController { broker, broker_epoch: self.raft.log.end() },
        );
        let offset = self.append(ctx, registered).expect("one record");
        // The answer waits for the whole batch, and names its end: the broker acts on its
        // partitions only once it has replayed that far.
        let last = self.append(ctx, previous).unwrap_or(offset);
        if let Some(a) = self.active.as_mut() {
            a.last_heartbeat.insert(broker, ctx.now);
        }
        self.wait_then_reply(last, from, KafkaMsg::BrokerRegistrationResponse { result: Ok((offset, last)) });
    }

    /// A heartbeat, as `BrokerHeartbeatManager.calculateNextBrokerState` rules on it: a fenced
    /// broker is unfenced once it has replayed its registration; one that wants to shut down and
    /// still leads enters controlled shutdown (its leaderships and ISR places move first); one that
    /// leads nothing more, once every active broker has replayed those moves, is fenced and told
    /// it may shut down (`shouldShutDown`).
    fn on_heartbeat(&mut self, ctx: &mut Ctx, from: NodeId, id: (BrokerId, u64), metadata_offset: u64, stop: bool) {
        let (broker, broker_epoch) = id;
        let Some(a) = self.active.as_mut() else {
            return send(ctx, from, KafkaMsg::BrokerHeartbeatResponse { result: Err(self.not_controller()) });
        };
        let Some(reg) = self.image.brokers.get(&broker).copied().filter(|r| r.broker_epoch == broker_epoch) else {
            let m = KafkaMsg::BrokerHeartbeatResponse { result: Err(ControllerError::StaleBrokerEpoch) };
            return send(ctx, from, m);
        };
        a.last_heartbeat.insert(broker, ctx.now);
        a.metadata_offset.insert(broker, metadata_offset);
        let reply = |r: HeartbeatReply| KafkaMsg::BrokerHeartbeatResponse { result: Ok(r) };
        let now = HeartbeatReply {
            fenced: reg.fenced,
            in_controlled_shutdown: reg.in_controlled_shutdown,
            should_shut_down: false,
        };
        if reg.fenced {
            if stop {
                // A fenced broker may stop at once: it leads nothing and is in no ISR.
                return send(ctx, from, reply(HeartbeatReply { should_shut_down: true, ..now }));
            }
            // Unfenced once it has replayed the log up to its own registration.
            if metadata_offset > broker_epoch {
                let record = MetadataRecord::BrokerFencing { broker, broker_epoch, fenced: false };
                let offset = self.append(ctx, Self::one(record, KafkaEvent::BrokerUnfenced { broker })).expect("one");
                let topics = self.topics_to_create(ctx.now);
                let d = after_unfence(
                    &self.image,
                    (topics, &self.cluster.racks),
                    self.cluster.unclean_leader_election,
                    ctx.rng,
                );
                self.append(ctx, d);
                return self.wait_then_reply(offset, from, reply(HeartbeatReply { fenced: false, ..now }));
            }
            return send(ctx, from, reply(now));
        }
        if !stop && !reg.in_controlled_shutdown {
            return send(ctx, from, reply(now));
        }
        if !reg.in_controlled_shutdown && has_leaderships(&self.image, broker) {
            let moves = without_broker(&self.image, broker, self.cluster.unclean_leader_election);
            let record = MetadataRecord::BrokerControlledShutdown { broker, broker_epoch };
            let offset = self.append(ctx, Self::one(record, KafkaEvent::BrokerInControlledShutdown { broker }));
            let last = self.append(ctx, moves).or(offset).expect("one");
            if let Some(a) = self.active.as_mut() {
                a.shutdown_offset.insert(broker, last + 1);
            }
            let m = reply(HeartbeatReply { in_controlled_shutdown: true, ..now });
            return self.wait_then_reply(last, from, m);
        }
        let caught_up = self.active.as_ref().is_some_and(|a| {
            let lowest = self.image.active().iter().map(|b| a.metadata_offset.get(b).copied().unwrap_or(0)).min();
            a.shutdown_offset.get(&broker).is_none_or(|&o| lowest.is_none_or(|l| o <= l))
        });
        if has_leaderships(&self.image, broker) || !caught_up {
            return send(ctx, from, reply(now));
        }
        let last = self.fence(ctx, broker, broker_epoch, KafkaEvent::BrokerShutdownGranted { broker });
        let m = reply(HeartbeatReply { fenced: true, in_controlled_shutdown: false, should_shut_down: true });
        self.wait_then_reply(last, from, m);
    }

    /// Fences `broker` (`handleBrokerFenced`): the record, then its ISR places and leaderships
    /// moved; returns the offset of the last record.
    fn fence(&mut self, ctx: &mut Ctx, broker: BrokerId, broker_epoch: u64, event: KafkaEvent) -> u64 {
        let moves = without_broker(&self.image, broker, self.cluster.unclean_leader_election);
        let record = MetadataRecord::BrokerFencing { broker, broker_epoch, fenced: true };
        let offset = self.append(ctx, Self::one(record, event)).expect("one");
        if let Some(a) = self.active.as_mut() {
            a.shutdown_offset.remove(&broker);
        }
        self.append(ctx, moves).unwrap_or(offset)
    }

    /// Every tick: fences the unfenced brokers not heard from for `broker.session.timeout.ms`.
    fn fence_stale_brokers(&mut self, ctx: &mut Ctx) {
        let Some(a) = self.active.as_ref() else { return };
        let timeout = self.cluster.kraft.as_ref().expect("KRaft mode").settings.session_timeout;
        let stale: Vec<(BrokerId, u64)> = self
            .image
            .brokers
            .iter()
            .filter(|(b, r)| !r.fenced && a.last_heartbeat.get(*b).is_none_or(|&t| ctx.now >= t + timeout))
            .map(|(&b, r)| (b, r.broker_epoch))
            .collect();
        for (broker, broker_epoch) in stale {
            self.fence(ctx, broker, broker_epoch, KafkaEvent::BrokerFenced { broker });
        }
    }

    fn on_alter_partition(&mut self, ctx: &mut Ctx, from: NodeId, tp: Tp, epochs: (u32, u32), isr: Vec<BrokerId>) {
        let Some(sender) = self.cluster.broker_of(from) else { return };
        let leader_epoch = epochs.0;
        if self.active.is_none() {
            let result = Err(Error::NotController);
            return send(ctx, from, KafkaMsg::AlterPartitionResponse { tp, leader_epoch, result });
        }
        match isr_request(&self.image, sender, tp, epochs, isr) {
            IsrRuling::Refused(e) => {
                send(ctx, from, KafkaMsg::AlterPartitionResponse { tp, leader_epoch, result: Err(e) })
            }
            IsrRuling::Unchanged(isr, pe) => {
                send(ctx, from, KafkaMsg::AlterPartitionResponse { tp, leader_epoch, result: Ok((isr, pe)) })
            }
            IsrRuling::Change(v) => {
                let result = Ok((v.isr.clone(), v.partition_epoch));
                let offset = self.append(ctx, Decision { records: vec![(MetadataRecord::PartitionChange(v), None)] });
                let m = KafkaMsg::AlterPartitionResponse { tp, leader_epoch, result };
                self.wait_then_reply(offset.expect("one"), from, m);
            }
        }
    }
}
