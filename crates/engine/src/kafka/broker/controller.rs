//! The controller role: competing for `/controller`, and — once this broker holds it — the
//! controller itself.
//!
//! Elected (the ephemeral `/controller` created), it bumps `/controller_epoch`, reads the live
//! brokers and every partition's state, and from then on answers changes in `/brokers/ids`: it
//! creates the topics not yet created, elects a leader for each partition whose leader was lost and
//! drops lost followers from ISRs (`Controller::brokers_changed`, a pure unit); writes what changed
//! to the coordinator, every write checked against its epoch's version, so a controller superseded
//! by another fails and resigns; and tells the brokers (LeaderAndIsr to the replicas concerned,
//! UpdateMetadata to all). It also rules on leaders' ISR changes (AlterPartition,
//! `Controller::isr_request`), answering only once the change is written.

use super::session::ZkPurpose;
use super::Broker;
use crate::coordinator::{Op, ZkError};
use crate::kafka::clients::{emit, send};
use crate::kafka::cluster::{decode_state, encode_state, Cluster, Topic};
use crate::kafka::msg::{BrokerSet, KafkaEvent, KafkaMsg, PartitionView, Tp, ZkCall, ZkResult};
use crate::kafka::partition::{BrokerId, Error};
use crate::kafka::placement::{elect_offline, place};
use crate::kafka::rack::Racks;
use crate::kafka::Ctx;
use crate::kernel::rng::Rng;
use crate::vecmap::VecMap;
use crate::NodeId;

/// What the controller knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Controller {
    pub epoch: u32,
    epoch_version: u32,
    pub live: Vec<BrokerId>,
    /// Brokers in a controlled shutdown: alive, but no longer to lead or join an ISR.
    pub shutting_down: Vec<BrokerId>,
    pub partitions: VecMap<Tp, PartitionView>,
    initialised: bool,
    /// LeaderAndIsr requests not yet answered (`controller_channel.rs`).
    pub(super) channel: super::controller_channel::Channel,
}

/// What a change of the live brokers made the controller do, for the brokers to hear of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct BrokersChanged {
    /// In the order they happened: brokers lost, leaders elected, partitions gone offline.
    pub events: Vec<KafkaEvent>,
    /// Brokers that are new (all of them after an election): they hear every partition they hold.
    pub joined: Vec<BrokerId>,
    pub created: Vec<Tp>,
    /// Partitions with a new leader, a new ISR or no leader at all.
    pub changed: Vec<Tp>,
}

/// The controller's ruling on a leader's ISR change (AlterPartition).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum IsrRequest {
    /// Refused, with the error `KafkaController.processAlterPartition` answers.
    Refused(Error),
    /// Already the ISR (a retried request): answered at once with the current state.
    Unchanged(Vec<BrokerId>, u32),
    /// The partition's state with the new ISR, to be written and answered once it is.
    Write(PartitionView),
}

impl Controller {
    /// A controller just elected, whose bump of `/controller_epoch` left it at `version`: that
    /// version is its epoch, and every write it makes is checked against it.
    pub(super) fn new(version: u32) -> Controller {
        Controller {
            epoch: version,
            epoch_version: version,
            live: vec![],
            shutting_down: vec![],
            partitions: VecMap::new(),
            initialised: false,
            channel: Default::default(),
        }
    }

    /// Whether it has read every partition's state back (`initializeControllerContext` is over):
    /// only then does it act as the controller.
    pub fn initialised(&self) -> bool {
        self.initialised
    }

    /// Takes in the partition states read back at election: `results` answer reads of `tps`.
    fn load(&mut self, tps: Vec<Tp>, results: &[ZkResult]) {
        for (tp, r) in tps.into_iter().zip(results) {
            if let ZkResult::Data(text, _) = r {
                if let Some(v) = decode_state(tp, text) {
                    self.partitions.insert(tp, v);
                }
            }
        }
        self.initialised = true;
    }

    /// The live brokers are now `live` (`init`: as first read after the election). Creates the
    /// topics that have enough brokers (placement drawn from `rng`), elects a leader from the ISR
    /// (or, with `unclean`, from any live replica) for every partition whose leader is gone, and
    /// drops followers on dead brokers from the ISRs (lost now, or already dead at `init`).
    pub(super) fn brokers_changed(
        &mut self,
        live: Vec<BrokerId>,
        init: bool,
        (topics, racks): (&[Topic], &Racks),
        unclean: bool,
        rng: &mut Rng,
    ) -> BrokersChanged {
        let lost: Vec<BrokerId> = self.live.iter().copied().filter(|b| !live.contains(b)).collect();
        let joined: Vec<BrokerId> = live.iter().copied().filter(|b| !self.live.contains(b) || init).collect();
        self.live = live.clone();
        // What was queued for a broker gone is dropped with its channel (`removeBroker`).
        self.channel.forget(&lost);
        // A broker gone (or back) is no longer shutting down.
        self.shutting_down.retain(|b| !lost.contains(b) && !joined.contains(b));
        let eligible = self.eligible();
        let mut events: Vec<KafkaEvent> = lost.iter().map(|&broker| KafkaEvent::BrokerLost { broker }).collect();
        let mut changed: Vec<Tp> = vec![];
        let mut created: Vec<Tp> = vec![];
        // Topics not yet created: create once enough brokers are up (RF of them).
        for (t, topic) in topics.iter().enumerate() {
            let first = Tp { topic: t as u16, partition: 0 };
            if self.partitions.contains_key(&first) || (live.len() as u32) < topic.replication_factor {
                continue;
            }
            let n = live.len();
            let (start, shift) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
            let Ok(assignment) =
                place(topic.partitions as u32, topic.replication_factor, &live, &racks.names_of(&live), start, shift)
            else {
                continue;
            };
            for (p, replicas) in assignment.into_iter().enumerate() {
                let tp = Tp { topic: t as u16, partition: p as u16 };
                let isr: Vec<BrokerId> = replicas.iter().copied().filter(|b| live.contains(b)).collect();
                let leader = isr.first().copied();
                let view = PartitionView { tp, leader, leader_epoch: 0, partition_epoch: 0, isr, replicas };
                events.push(KafkaEvent::LeaderElected {
                    tp,
                    leader: view.leader.unwrap_or(0),
                    epoch: 0,
                    isr: BrokerSet::of(&view.isr),
                    unclean: false,
                });
                self.partitions.insert(tp, view);
                created.push(tp);
            }
        }
        for (&tp, v) in self.partitions.iter_mut() {
            if created.contains(&tp) {
                continue;
            }
            let leader_alive = v.leader.is_some_and(|l| live.contains(&l));
            if !leader_alive {
                let was_online = v.leader.is_some();
                match elect_offline(&v.replicas, &v.isr, &eligible, unclean) {
                    Some(e) => {
                        v.leader = Some(e.leader);
                        v.leader_epoch += 1;
                        v.partition_epoch += 1;
                        v.isr = e.isr;
                        events.push(KafkaEvent::LeaderElected {
                            tp,
                            leader: e.leader,
                            epoch: v.leader_epoch,
                            isr: BrokerSet::of(&v.isr),
                            unclean: e.unclean,
                        });
                        changed.push(tp);
                    }
                    None => {
                        if was_online {
                            v.leader = None;
                            v.partition_epoch += 1;
                            events.push(KafkaEvent::PartitionOffline { tp });
                            changed.push(tp);
                        }
                    }
                }
            } else if v.isr.iter().any(|b| !live.contains(b)) {
                // A follower died (`onBrokerFailure`), or was dead when this controller took over
                // (`ReplicaStateMachine.startup` moves replicas on dead brokers to OfflineReplica):
                // it leaves the ISR at once (ZooKeeper-era controllers bump the leader epoch when
                // they shrink the ISR this way).
                v.isr.retain(|b| live.contains(b));
                v.leader_epoch += 1;
                v.partition_epoch += 1;
                events.push(KafkaEvent::OfflineReplicasRemoved { tp, isr: BrokerSet::of(&v.isr) });
                changed.push(tp);
            }
        }
        BrokersChanged { events, joined, created, changed }
    }

    /// The live brokers that may lead and join ISRs: not shutting down.
    pub(super) fn eligible(&self) -> Vec<BrokerId> {
        self.live.iter().copied().filter(|b| !self.shutting_down.contains(b)).collect()
    }

    /// Fails a write if another controller has bumped the epoch since this one's election.
    fn epoch_check(&self) -> Op {
        Op::Check { path: "/controller_epoch".into(), version: self.epoch_version }
    }

    /// The coordinator writes that record `change`: the epoch check, the new topics' and
    /// partitions' znodes, and the changed partitions' states.
    pub(super) fn writes(&self, change: &BrokersChanged, cluster: &Cluster) -> Vec<Op> {
        let mut ops = vec![self.epoch_check()];
        for &tp in &change.created {
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
                data: encode_state(&self.partitions[&tp]),
                ephemeral: false,
            });
        }
        for &tp in &change.changed {
            ops.push(Op::SetData {
                path: cluster.state_path(tp),
                data: encode_state(&self.partitions[&tp]),
                version: None,
            });
        }
        ops
    }

    /// LeaderAndIsr, by live broker: changed and new partitions to their replicas, and every
    /// partition it holds to a broker that joined.
    pub(super) fn leader_and_isr(&self, change: &BrokersChanged) -> Vec<(BrokerId, Vec<PartitionView>)> {
        let concerns = |b: BrokerId, tp: &Tp| {
            change.joined.contains(&b) || change.changed.contains(tp) || change.created.contains(tp)
        };
        self.live
            .iter()
            .map(|&b| {
                let states = self.partitions.values().filter(|v| v.replicas.contains(&b) && concerns(b, &v.tp));
                (b, states.cloned().collect::<Vec<_>>())
            })
            .filter(|(_, states)| !states.is_empty())
            .collect()
    }

    /// Rules on broker `sender`'s request to make `isr` the ISR of `tp`, sent as the leader of
    /// `leader_epoch` that knew `partition_epoch`, in `KafkaController.processAlterPartition`'s
    /// order: an epoch ahead of this controller's state means a newer controller exists
    /// (NOT_CONTROLLER); an older leader epoch is fenced (FENCED_LEADER_EPOCH); the state it asks
    /// for already holds (a retry: answered with it); an older partition epoch means the state
    /// changed since the leader saw it (INVALID_UPDATE_VERSION); an ISR naming a broker that is
    /// not alive is refused (INELIGIBLE_REPLICA, KIP-841). Brokers outside the partition's
    /// replicas are left out.
    pub(super) fn isr_request(
        &self,
        sender: BrokerId,
        tp: Tp,
        (leader_epoch, partition_epoch): (u32, u32),
        isr: Vec<BrokerId>,
    ) -> IsrRequest {
        let Some(v) = self.partitions.get(&tp) else { return IsrRequest::Refused(Error::UnknownTopicOrPartition) };
        if partition_epoch > v.partition_epoch || leader_epoch > v.leader_epoch {
            return IsrRequest::Refused(Error::NotController);
        }
        if leader_epoch < v.leader_epoch || v.leader != Some(sender) {
            return IsrRequest::Refused(Error::FencedLeaderEpoch);
        }
        let isr = isr.into_iter().filter(|b| v.replicas.contains(b)).collect::<Vec<_>>();
        if v.isr == isr {
            return IsrRequest::Unchanged(isr, v.partition_epoch);
        }
        if partition_epoch < v.partition_epoch {
            return IsrRequest::Refused(Error::InvalidUpdateVersion);
        }
        if isr.iter().any(|b| !self.eligible().contains(b)) {
            return IsrRequest::Refused(Error::IneligibleReplica);
        }
        IsrRequest::Write(PartitionView { isr, partition_epoch: v.partition_epoch + 1, ..v.clone() })
    }

    /// An approved ISR is in the coordinator: it counts, unless the partition has had a new leader
    /// meanwhile. Returns whether it counts (and is to be answered).
    pub(super) fn isr_written(
        &mut self,
        tp: Tp,
        leader_epoch: u32,
        (isr, partition_epoch): (&[BrokerId], u32),
    ) -> bool {
        match self.partitions.get_mut(&tp).filter(|v| v.leader_epoch == leader_epoch) {
            Some(v) => {
                v.isr = isr.to_vec();
                v.partition_epoch = v.partition_epoch.max(partition_epoch);
                true
            }
            None => false,
        }
    }
}

/// The broker ids listed under `/brokers/ids`, in order.
fn live_brokers(ids: &[String]) -> Vec<BrokerId> {
    let mut live: Vec<BrokerId> = ids.iter().filter_map(|s| s.parse().ok()).collect();
    crate::sort::sort(&mut live);
    live
}

/// Lists the registered brokers and watches for changes.
fn brokers_call() -> ZkCall {
    ZkCall::GetChildren { path: "/brokers/ids".into(), watch: true }
}

impl Broker {
    /// Claims the controller role by creating the ephemeral `/controller`.
    pub(super) fn controller_call(&self) -> ZkCall {
        ZkCall::Create { path: "/controller".into(), data: format!("{{\"brokerid\":{}}}", self.id), ephemeral: true }
    }

    pub(super) fn register_controller(&mut self, ctx: &mut Ctx) {
        let call = self.controller_call();
        self.zk(ctx, ZkPurpose::Elect, vec![call]);
    }

    /// Watches `/controller`, to compete again when it goes.
    pub(super) fn watch_controller(&mut self, ctx: &mut Ctx) {
        self.zk(ctx, ZkPurpose::WatchController, vec![ZkCall::Exists { path: "/controller".into(), watch: true }]);
    }

    /// The controller reads the registered brokers again (their list changed).
    pub(super) fn read_brokers(&mut self, ctx: &mut Ctx) {
        self.zk(ctx, ZkPurpose::ReadBrokers { init: false }, vec![brokers_call()]);
    }

    /// The answer to a claim of `/controller`: bump the epoch if it was won, else watch the winner.
    pub(super) fn on_elected(&mut self, ctx: &mut Ctx, result: Option<ZkResult>) {
        if result == Some(ZkResult::Done) {
            let call = ZkCall::SetData { path: "/controller_epoch".into(), data: String::new(), version: None };
            self.zk(ctx, ZkPurpose::BumpEpoch, vec![call]);
        } else {
            self.watch_controller(ctx);
        }
    }

    /// The coordinator's answer to a request of the controller role.
    pub(super) fn on_controller_reply(&mut self, ctx: &mut Ctx, purpose: ZkPurpose, results: Vec<ZkResult>) {
        match purpose {
            ZkPurpose::Elect => self.on_elected(ctx, results.into_iter().next()),
            ZkPurpose::WatchController => {
                // Gone between our create and our watch: compete again.
                if results.first() == Some(&ZkResult::Exists(false)) {
                    self.register_controller(ctx);
                }
            }
            ZkPurpose::BumpEpoch => {
                let Some(ZkResult::Version(v)) = results.first() else { return };
                self.controller = Some(Controller::new(*v));
                self.controller_epoch_seen = self.controller_epoch_seen.max(*v);
                emit(ctx, KafkaEvent::ControllerElected { broker: self.id, epoch: *v });
                self.arm_leader_rebalance(ctx, crate::kafka::leader_balance::FIRST_CHECK);
                let mut calls = vec![brokers_call()];
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
                let live = live_brokers(ids);
                if init {
                    let tps = self.cluster.all_tps();
                    let Some(c) = self.controller.as_mut() else { return };
                    c.load(tps, &results[1..]);
                }
                self.controller_brokers_changed(ctx, live, init);
            }
            ZkPurpose::AlterIsr { to, tp, leader_epoch, isr, partition_epoch } => {
                if results.iter().all(|r| !matches!(r, ZkResult::Err(_))) {
                    let written = (&isr[..], partition_epoch);
                    if self.controller.as_mut().is_some_and(|c| c.isr_written(tp, leader_epoch, written)) {
                        let result = Ok((isr, partition_epoch));
                        send(ctx, to, KafkaMsg::AlterPartitionResponse { tp, leader_epoch, result });
                        self.broadcast_metadata(ctx);
                    }
                } else {
                    self.on_controller_reply(ctx, ZkPurpose::Write { notices: vec![] }, results);
                }
            }
            ZkPurpose::Write { notices } => {
                if results.iter().any(|r| matches!(r, ZkResult::Err(ZkError::BadVersion))) {
                    // Another controller bumped the epoch: we are fenced. Step down.
                    self.controller = None;
                    self.watch_controller(ctx);
                } else if !notices.is_empty() {
                    self.send_leader_and_isr(ctx, notices);
                }
            }
            // The session's own (registration): never handed here.
            ZkPurpose::RegisterAndElect | ZkPurpose::Register => {}
        }
    }

    pub(super) fn controller_brokers_changed(&mut self, ctx: &mut Ctx, live: Vec<BrokerId>, init: bool) {
        let cluster = self.cluster.clone();
        let Some(c) = self.controller.as_mut() else { return };
        let change =
            c.brokers_changed(live, init, (&cluster.topics, &cluster.racks), cluster.unclean_leader_election, ctx.rng);
        self.publish(ctx, &change, false);
    }

    /// Tells what `change` did: its events, its coordinator writes, then LeaderAndIsr to the
    /// replicas concerned and UpdateMetadata to every live broker. As `ZkPartitionStateMachine`
    /// does, the brokers hear of a new state only once it is written (`zkClient.updateLeaderAndIsr`
    /// first, then `ControllerChannelManager`'s batch), so ZooKeeper's time to write every changed
    /// partition's state is part of a failover; with `at_once` (a controlled shutdown, answered
    /// without waiting for its writes here) they hear at once.
    pub(super) fn publish(&mut self, ctx: &mut Ctx, change: &BrokersChanged, at_once: bool) {
        let cluster = self.cluster.clone();
        let Some(c) = self.controller.as_mut() else { return };
        for &e in &change.events {
            emit(ctx, e);
        }
        let (ops, notices) = (c.writes(change, &cluster), c.leader_and_isr(change));
        if ops.len() > 1 && !at_once {
            return self.zk(ctx, ZkPurpose::Write { notices }, vec![ZkCall::Multi(ops)]);
        }
        if ops.len() > 1 {
            self.zk(ctx, ZkPurpose::Write { notices: vec![] }, vec![ZkCall::Multi(ops)]);
        }
        self.send_leader_and_isr(ctx, notices);
    }

    /// LeaderAndIsr to each broker in `notices`, and UpdateMetadata to every live broker.
    fn send_leader_and_isr(&mut self, ctx: &mut Ctx, notices: Vec<(BrokerId, Vec<PartitionView>)>) {
        let Some(c) = self.controller.as_ref() else { return };
        let epoch = c.epoch;
        for (b, states) in notices {
            self.send_leader_and_isr_to(ctx, epoch, b, states);
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

    pub(super) fn controller_alter_partition(
        &mut self,
        ctx: &mut Ctx,
        from: NodeId,
        tp: Tp,
        epochs: (u32, u32),
        isr: Vec<BrokerId>,
    ) {
        let Some(sender) = self.cluster.broker_of(from) else { return };
        let leader_epoch = epochs.0;
        let Some(c) = self.controller.as_ref() else {
            // `KafkaController.tryProcessAlterPartition`: not the active controller.
            let result = Err(Error::NotController);
            return send(ctx, from, KafkaMsg::AlterPartitionResponse { tp, leader_epoch, result });
        };
        match c.isr_request(sender, tp, epochs, isr) {
            IsrRequest::Refused(e) => {
                send(ctx, from, KafkaMsg::AlterPartitionResponse { tp, leader_epoch, result: Err(e) })
            }
            IsrRequest::Unchanged(isr, pe) => {
                send(ctx, from, KafkaMsg::AlterPartitionResponse { tp, leader_epoch, result: Ok((isr, pe)) })
            }
            IsrRequest::Write(next) => {
                let path = self.cluster.state_path(tp);
                let ops = vec![c.epoch_check(), Op::SetData { path, data: encode_state(&next), version: None }];
                // The change counts (and the leader hears back) only once it is in the coordinator:
                // a controller cut off from it (a zombie) can approve nothing, so its leaders' ISRs
                // cannot shrink behind the new controller's back.
                let purpose = ZkPurpose::AlterIsr {
                    to: from,
                    tp,
                    leader_epoch,
                    isr: next.isr,
                    partition_epoch: next.partition_epoch,
                };
                self.zk(ctx, purpose, vec![ZkCall::Multi(ops)]);
            }
        }
    }
}

#[cfg(test)]
mod tests;
