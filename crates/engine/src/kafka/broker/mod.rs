//! A Kafka broker (ZooKeeper era): it keeps a coordinator session alive, registers
//! `/brokers/ids/N`, competes for `/controller`, serves produce and fetch requests for the partitions
//! it leads, fetches as a follower for the others, shrinks and expands ISRs, and — when it is the
//! controller — creates topics, watches broker membership and elects leaders.
//!
//! ISR changes go through the controller (AlterPartition, KIP-497): the leader proposes, the
//! controller writes the new state to the coordinator and only then answers; until then the leader
//! counts the maximal ISR for its HW.
//!
//! One `Broker` plays every role, one module each; this one holds its state and hands each message
//! and timer to the role it is for:
//! - `session`         — the coordinator session: connect, move between servers, register, expire;
//!   coordinator requests and the reply plumbing.
//! - `controller`      — competing for `/controller` and, once elected, the controller: topic
//!   creation, leader election and ISR changes (`Controller`, a pure unit), written to the
//!   coordinator and sent out as LeaderAndIsr and UpdateMetadata.
//! - `replica_manager` — the leader side of the partitions: LeaderAndIsr, produce and its acks, the
//!   ISR checks and the proposals sent to the controller.
//! - `fetch_serving`   — a leader answering followers' fetch sessions and consumers' fetches,
//!   parking those with nothing to send (the purgatory).
//! - `replica_fetcher` — the follower side: one fetcher per leader broker, in a fetch session
//!   (`fetch_session`), backing off, timing out.
//! - `group_host`      — the group coordinator: hosting `group::Group`s and writing offset commits.
//! - `cleaner`         — retention and compaction of every replica's log.
//! - `controller_channel` — the controller's LeaderAndIsr requests, sent again until answered.
//! - `leader_moves`    — the controller's preferred leader elections and controlled shutdowns,
//!   and a broker's clean stop; `delayed_produce` — acks=all produces timing out.
//!
//! Simplifications, also listed in the docs: the controller sends LeaderAndIsr without waiting for its
//! coordinator write to be acknowledged (a failed write makes it resign); topics are created by the
//! controller as soon as enough brokers have registered.

mod cleaner;
mod consumer_fetch;
mod controller;
mod controller_channel;
mod delayed_produce;
mod fetch_serving;
mod group_host;
mod leader_moves;
mod lifecycle;
mod produce_request;
mod producer_ids;
mod read_replica;
mod replica_fetcher;
mod replica_manager;
mod session;
#[cfg(test)]
mod testkit;
mod txn_host;
mod txn_offsets;

pub use controller::Controller;
pub use lifecycle::Lifecycle;

use super::clients::send;
use super::cluster::Cluster;
use super::fetch_session::SessionCache;
use super::group::Group;
use super::kraft::quorum_controller::QuorumController;
use super::msg::{KafkaMsg, PartitionView, Tp};
use super::partition::{BrokerId, Replica};
use super::purgatory::{Parked, Purgatory};
use super::zk_client::ZkLink;
use super::{Ctx, KafkaTimer};
use crate::coordinator::SessionId;
use crate::deadlines::Deadlines;
use crate::vecmap::VecMap;
use crate::NodeId;
use replica_manager::Waiter;
use session::ZkPurpose;
use std::rc::Rc;

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
    /// The partitions' state as the controller last published it, each shared by `Rc`: 1 000
    /// partitions × 50 brokers are 50 000 views, which a timeline snapshot copies as pointers.
    pub metadata: VecMap<Tp, Rc<PartitionView>>,
    /// As a follower: one fetcher per leader broker.
    fetchers: VecMap<BrokerId, replica_fetcher::Fetcher>,
    /// Leaders whose fetchers take new partitions once a LeaderAndIsr is applied.
    fetchers_to_start: Vec<BrokerId>,
    /// When each replica fetch this broker sent as a follower times out, by leader.
    fetch_timeouts: Deadlines<BrokerId>,
    /// As a leader: the followers' fetch sessions (and their fetches waiting for data).
    sessions: SessionCache,
    /// Consumers' fetches waiting for data on the partitions this broker leads.
    parked: Purgatory,
    produce_waiting: VecMap<(Tp, u64), Waiter>,
    /// Produce requests (client, request id) with partitions still to answer.
    produce_requests: VecMap<(NodeId, u64), crate::kafka::request::PendingProduce>,
    /// When each parked acks=all produce gives up (its request's `timeout.ms`: DelayedProduce).
    produce_deadlines: Deadlines<(Tp, u64)>,
    next_req: u64,
    /// The consumer groups this broker coordinates (it leads their `__consumer_offsets` partition).
    pub groups: VecMap<u8, Group>,
    /// KRaft mode: the metadata log, image and registration (`None` in ZooKeeper mode).
    pub kraft: Option<Lifecycle>,
    /// KRaft's combined mode (`process.roles=broker,controller`): the controller that runs in
    /// this broker's process, a voter of the quorum. It gets the quorum's messages and timers;
    /// the broker reads the metadata from its log instead of fetching it (`follow_local_quorum`).
    /// A crash kills both.
    pub quorum: Option<Box<QuorumController>>,
    /// A clean stop (controlled shutdown) under way.
    pub stopping: Option<leader_moves::Stopping>,
    /// With a `resources` block: its CPU, disk and waiting requests (`crate::resources::kafka`).
    pub res: Option<Box<crate::resources::kafka::BrokerRes>>,
    /// The transaction coordinator's state (the ids whose `__transaction_state` partition it leads).
    pub txn_host: txn_host::TxnHost,
    /// Producer ids for idempotent producers (`ProducerIdManager`).
    pub producer_ids: producer_ids::ProducerIds,
}

impl Broker {
    pub fn new(id: BrokerId, cluster: Rc<Cluster>) -> Broker {
        let zk_link = ZkLink::new(cluster.zks.clone());
        let cluster_kraft = cluster.kraft.is_some();
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
            fetchers: VecMap::new(),
            fetchers_to_start: Vec::new(),
            fetch_timeouts: Deadlines::default(),
            sessions: SessionCache::default(),
            parked: Purgatory::default(),
            produce_waiting: VecMap::new(),
            produce_requests: VecMap::new(),
            produce_deadlines: Deadlines::default(),
            next_req: 0,
            groups: VecMap::new(),
            kraft: cluster_kraft.then(Lifecycle::default),
            quorum: None,
            stopping: None,
            res: None,
            txn_host: txn_host::TxnHost::default(),
            producer_ids: producer_ids::ProducerIds::default(),
        }
    }

    pub fn on_start(&mut self, ctx: &mut Ctx) {
        if self.kraft.is_some() {
            self.kraft_start(ctx);
        } else {
            self.zk_link.choose(ctx);
            self.connect(ctx);
            ctx.set_timer(self.cluster.session_timeout / 3, KafkaTimer::Ping);
        }
        ctx.set_timer(self.cluster.replica_lag_time_max / 2, KafkaTimer::Isr);
        ctx.set_timer(self.cluster.retention_check_interval, KafkaTimer::Retention);
        ctx.set_timer(self.cluster.cleaner_backoff, KafkaTimer::Cleaner);
        self.txn_start(ctx);
    }

    /// The consumers' fetches parked on the partitions this broker leads (for inspectors and
    /// invariants).
    pub fn parked(&self) -> &Purgatory {
        &self.parked
    }

    /// Whether this broker leads `tp` now.
    pub(super) fn leads(&self, tp: Tp) -> bool {
        self.replicas.get(&tp).is_some_and(|r| r.is_leader())
    }

    /// The followers' fetch sessions with this broker.
    pub fn sessions(&self) -> &SessionCache {
        &self.sessions
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
        self.sessions.clear();
        self.fetchers_crash();
        self.produce_waiting.clear();
        self.produce_requests.clear();
        self.produce_deadlines.clear();
        self.groups.clear();
        self.txn_host = txn_host::TxnHost::default();
        self.producer_ids.on_crash();
        self.stopping = None;
        self.res = None;
        if let Some(l) = self.kraft.as_mut() {
            l.on_crash();
        }
        if let Some(q) = self.quorum.as_mut() {
            q.on_crash();
        }
        for r in self.replicas.values_mut() {
            r.go_offline();
            r.take_completed();
        }
    }

    /// A connection was reset: the coordinator's (move to another server), or another broker's.
    pub fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        if self.kraft_disconnected(peer) {
            return;
        }
        if self.zk_link.lost(peer) {
            return self.zk_move(ctx);
        }
        if let Some(b) = self.cluster.broker_of(peer) {
            self.leader_lost(ctx, b);
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: KafkaTimer) {
        if let Some(q) = self.quorum.as_mut() {
            // Combined mode: one tick drives the controller, then the broker; the controller's
            // own timers are the preferred leader elections it schedules.
            if matches!(timer, KafkaTimer::KraftTick | KafkaTimer::LeaderRebalance { .. }) {
                q.on_timer(ctx, timer);
                self.follow_local_quorum(ctx);
                if timer != KafkaTimer::KraftTick {
                    return;
                }
            }
        }
        match timer {
            KafkaTimer::Ping => self.on_ping_timer(ctx),
            KafkaTimer::KraftTick => self.kraft_tick(ctx),
            KafkaTimer::Register => self.register(ctx),
            KafkaTimer::Isr => self.check_isrs(ctx),
            KafkaTimer::CommitTimeout { tp, request } => self.waiting_timed_out(ctx, tp, request),
            KafkaTimer::Retention => self.clean_logs(ctx, cleaner::Pass::Retention),
            KafkaTimer::Cleaner => self.clean_logs(ctx, cleaner::Pass::Compaction),
            KafkaTimer::ProduceTimeout => self.produce_timeouts_expired(ctx),
            KafkaTimer::LeaderRebalance { epoch } => self.leader_rebalance_due(ctx, epoch),
            KafkaTimer::LeaderAndIsrTimeout { epoch, request } => self.leader_and_isr_timed_out(ctx, epoch, request),
            KafkaTimer::ControlledShutdown { attempt } => self.shutdown_retry(ctx, attempt),
            KafkaTimer::Park { id } => self.park_expired(ctx, id),
            KafkaTimer::Join { group, join } => self.on_group_timer(ctx, group, Some(join)),
            KafkaTimer::Session { group } => self.on_group_timer(ctx, group, None),
            KafkaTimer::FetchBackoff { leader, generation } => self.fetch_backoff_over(ctx, leader, generation),
            KafkaTimer::SessionPark { follower, id } => self.session_park_expired(ctx, follower, id),
            KafkaTimer::FetchTimeout => self.fetch_timeouts_expired(ctx),
            KafkaTimer::TxnAbortCheck => self.txn_abort_check(ctx),
            KafkaTimer::TxnMarkers => self.txn_markers_timer(ctx),
            _ => {}
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: KafkaMsg) {
        if let Some(q) = self.quorum.as_mut() {
            // Combined mode: Raft among the voters and the brokers' requests to the controller.
            if matches!(
                msg,
                KafkaMsg::Raft(_)
                    | KafkaMsg::BrokerRegistration { .. }
                    | KafkaMsg::BrokerHeartbeat { .. }
                    | KafkaMsg::AlterPartition { .. }
            ) {
                q.on_message(ctx, from, msg);
                return self.follow_local_quorum(ctx);
            }
        }
        match msg {
            KafkaMsg::ZkConnected { .. }
            | KafkaMsg::ZkPong
            | KafkaMsg::ZkNotServing
            | KafkaMsg::ZkExpired
            | KafkaMsg::ZkReply { .. }
            | KafkaMsg::ZkWatch { .. } => self.on_coordinator_msg(ctx, from, msg),
            KafkaMsg::Raft(_)
            | KafkaMsg::BrokerRegistrationResponse { .. }
            | KafkaMsg::BrokerHeartbeatResponse { .. } => self.on_quorum_msg(ctx, from, msg),
            KafkaMsg::LeaderAndIsr { controller_epoch, request, states } => {
                // Answered whatever it holds (Kafka answers a stale controller with an error).
                send(ctx, from, KafkaMsg::LeaderAndIsrResponse { request });
                if self.heard_controller(from, controller_epoch) {
                    for s in states {
                        self.apply_leader_and_isr(ctx, s);
                    }
                    self.start_fetchers(ctx);
                }
            }
            KafkaMsg::UpdateMetadata { controller_epoch, states } => {
                if self.heard_controller(from, controller_epoch) {
                    for s in states {
                        self.metadata.insert(s.tp, Rc::new(s));
                    }
                }
            }
            KafkaMsg::AlterPartition { tp, leader_epoch, partition_epoch, isr } => {
                self.controller_alter_partition(ctx, from, tp, (leader_epoch, partition_epoch), isr)
            }
            KafkaMsg::AlterPartitionResponse { tp, leader_epoch, result } => {
                self.isr_committed(ctx, tp, leader_epoch, result)
            }
            KafkaMsg::LeaderAndIsrResponse { request } => self.leader_and_isr_answered(from, request),
            KafkaMsg::ControlledShutdown { broker } => self.controller_controlled_shutdown(ctx, from, broker),
            KafkaMsg::ControlledShutdownResponse { result } => self.shutdown_answered(result),
            KafkaMsg::ReplicaFetch(fetch) => self.on_replica_fetch(ctx, from, *fetch),
            KafkaMsg::ReplicaFetchResponse(response) => {
                let Some(leader) = self.cluster.broker_of(from) else { return };
                self.on_fetch_response(ctx, leader, *response)
            }
            KafkaMsg::Metadata => {
                let states = self.metadata.values().map(|v| PartitionView::clone(v)).collect();
                send(ctx, from, KafkaMsg::MetadataResponse { states });
            }
            KafkaMsg::Produce { id, acks, batches, transactional, size, timeout } => {
                let header = produce_request::ProduceHeader { id, acks, transactional, size, timeout };
                self.on_produce(ctx, from, header, batches)
            }
            KafkaMsg::Fetch { parts, generation, read_committed, rack } => {
                self.on_consumer_fetch(ctx, Parked::Consumer { from, parts, generation, read_committed, rack });
            }
            KafkaMsg::ListOffsets { tp, earliest } => self.list_offsets(ctx, from, tp, earliest),
            KafkaMsg::FindCoordinator { group } => self.find_coordinator(ctx, from, group),
            KafkaMsg::Txn(m) => self.on_txn_msg(ctx, from, m),
            msg => self.on_group_request(ctx, from, msg),
        }
    }

    /// A LeaderAndIsr or UpdateMetadata from `from`: false if it comes from a controller older
    /// than one already heard (a stale controller is fenced by its epoch).
    fn heard_controller(&mut self, from: NodeId, controller_epoch: u32) -> bool {
        if controller_epoch < self.controller_epoch_seen {
            return false;
        }
        self.controller_epoch_seen = controller_epoch;
        self.controller_node = Some(from);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::{broker, view, Harness, TP};
    use super::*;
    use crate::kafka::partition::Acks;

    #[test]
    fn a_stale_controller_is_fenced_by_its_epoch() {
        let mut h = Harness::default();
        let mut b = broker(2);
        let (new, old) = (NodeId(3), NodeId(1));
        let states = |leader| vec![view(TP, Some(leader), 4, vec![1, 2, 3])];
        h.message(&mut b, new, KafkaMsg::UpdateMetadata { controller_epoch: 5, states: states(1) });
        h.message(&mut b, old, KafkaMsg::UpdateMetadata { controller_epoch: 4, states: states(3) });
        h.message(&mut b, old, KafkaMsg::LeaderAndIsr { controller_epoch: 4, request: 0, states: states(2) });
        assert_eq!(b.metadata[&TP].leader, Some(1), "the older controller's metadata is ignored");
        assert!(b.replicas.get(&TP).is_none(), "and so is its LeaderAndIsr");
        assert_eq!(b.controller_node, Some(new), "ISR proposals go to the newest controller");
        // The same epoch again is the same controller: it is heard.
        h.message(&mut b, new, KafkaMsg::LeaderAndIsr { controller_epoch: 5, request: 0, states: states(2) });
        assert!(b.replicas[&TP].is_leader());
    }

    #[test]
    fn a_crash_forgets_everything_but_the_logs() {
        let mut h = Harness::default();
        let mut b = broker(1);
        h.lead(&mut b, TP, 0, vec![1]);
        h.produce(&mut b, TP, Acks::Leader, &[(None, 7)]);
        b.on_crash();
        let r = &b.replicas[&TP];
        assert!(!r.is_leader());
        assert_eq!(r.log.leo(), 1, "the log survives the crash");
        assert!(b.metadata.is_empty() && b.session.is_none() && b.controller_node.is_none());
    }
}
