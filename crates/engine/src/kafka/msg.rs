//! What Kafka's nodes say to each other (`KafkaMsg`). What the learner is shown (`KafkaEvent`)
//! is in `event`, re-exported here because messages and events share its small types.

use super::fetch_session::{SessionFetch, SessionFetchResponse};
use super::partition::{Acks, BrokerId, Error, FetchResponse};
use super::request::{FetchPart, FetchedPartition, ProduceBatch};
use crate::coordinator::{ClientWatch, Op, SessionId, WatchKind, ZkError};
use crate::kernel::event::MsgInfo;
use crate::kernel::Wire;
use crate::time::Time;

pub use super::event::*;

/// A topic-partition: topic index in the scenario, partition number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tp {
    pub topic: u16,
    pub partition: u16,
}

/// A partition's state as the controller publishes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionView {
    pub tp: Tp,
    pub leader: Option<BrokerId>,
    pub leader_epoch: u32,
    /// Bumped by every change of the partition's state (the state znode's version in ZooKeeper
    /// mode, PartitionRecord's `partitionEpoch` in KRaft): a leader's AlterPartition names the one
    /// it saw, and a stale one is refused (INVALID_UPDATE_VERSION).
    pub partition_epoch: u32,
    pub isr: Vec<BrokerId>,
    pub replicas: Vec<BrokerId>,
}

/// One request to the coordinator; a batch of them travels in one message, as Kafka's ZooKeeper
/// client pipelines its async requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZkCall {
    Create { path: String, data: String, ephemeral: bool },
    SetData { path: String, data: String, version: Option<u32> },
    GetData { path: String, watch: bool },
    Exists { path: String, watch: bool },
    GetChildren { path: String, watch: bool },
    Multi(Vec<Op>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZkResult {
    Done,
    /// The node's version after a `SetData`.
    Version(u32),
    Data(String, u32),
    Exists(bool),
    Children(Vec<String>),
    Err(ZkError),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KafkaMsg {
    ZkConnect {
        timeout: Time,
    },
    ZkConnected {
        session: SessionId,
    },
    ZkPing {
        session: SessionId,
    },
    ZkCall {
        session: SessionId,
        id: u64,
        calls: Vec<ZkCall>,
    },
    ZkReply {
        id: u64,
        results: Vec<ZkResult>,
    },
    ZkWatch {
        path: String,
        kind: WatchKind,
    },
    /// The coordinator no longer knows the session (it expired).
    ZkExpired,
    /// A client moving its session to another server of the ensemble, with the watches it holds.
    ZkReconnect {
        session: SessionId,
        watches: Vec<ClientWatch>,
    },
    /// An ensemble server's answer to a ping (the client knows its server is alive).
    ZkPong,
    /// An ensemble server without a quorum closes the connection: try another server.
    ZkNotServing,
    /// Between the servers of an ensemble: election, sync, proposals, commits.
    ZkPeer(Box<super::zk_ensemble::PeerMsg>),
    /// KRaft: Raft between controllers, and brokers fetching the metadata log.
    Raft(super::kraft::RaftMsg),
    /// KRaft: a broker registers with the active controller (BrokerRegistrationRequest).
    BrokerRegistration {
        broker: BrokerId,
    },
    /// Its broker epoch, and the offset to replay up to before it acts on its partitions.
    BrokerRegistrationResponse {
        result: Result<(u64, u64), super::kraft::ControllerError>,
    },
    /// KRaft: every `broker.heartbeat.interval.ms`, with how far it has replayed the log, and
    /// `wantShutDown` once it is stopping cleanly (KIP-631's controlled shutdown).
    BrokerHeartbeat {
        broker: BrokerId,
        broker_epoch: u64,
        metadata_offset: u64,
        want_shut_down: bool,
    },
    BrokerHeartbeatResponse {
        result: Result<super::kraft::HeartbeatReply, super::kraft::ControllerError>,
    },
    /// The controller's request number `request`, answered by LeaderAndIsrResponse (the
    /// controller sends it again until answered: `ControllerChannelManager`).
    LeaderAndIsr {
        controller_epoch: u32,
        request: u64,
        states: Vec<PartitionView>,
    },
    LeaderAndIsrResponse {
        request: u64,
    },
    UpdateMetadata {
        controller_epoch: u32,
        states: Vec<PartitionView>,
    },
    AlterPartition {
        tp: Tp,
        leader_epoch: u32,
        partition_epoch: u32,
        isr: Vec<BrokerId>,
    },
    /// The ISR and partition epoch the controller committed for the leader of `leader_epoch`, or
    /// why it refused (FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, NOT_CONTROLLER, …).
    AlterPartitionResponse {
        tp: Tp,
        leader_epoch: u32,
        result: Result<(Vec<BrokerId>, u32), Error>,
    },
    /// A broker stopping cleanly asks the controller to move its leaderships first
    /// (ControlledShutdownRequest).
    ControlledShutdown {
        broker: BrokerId,
    },
    /// The partitions it still leads (none: it may stop), or NOT_CONTROLLER.
    ControlledShutdownResponse {
        result: Result<Vec<Tp>, Error>,
    },
    /// A follower's fetch to one leader broker, for every partition it follows there (an
    /// incremental fetch session, KIP-227: `fetch_session`).
    ReplicaFetch(Box<SessionFetch>),
    ReplicaFetchResponse(Box<SessionFetchResponse>),
    Metadata,
    MetadataResponse {
        states: Vec<PartitionView>,
    },
    /// A producer's request to one broker: a batch of each of several partitions (`request`).
    Produce {
        id: u64,
        acks: Acks,
        batches: Vec<ProduceBatch>,
        /// Written inside the producer's transaction.
        transactional: bool,
        /// Bytes per record.
        size: u32,
        /// `timeoutMs`: how long an acks=all request may wait for replication (the producer's
        /// `request.timeout.ms`).
        timeout: Time,
    },
    /// Each partition's answer: its base offset, or an error.
    ProduceResponse {
        id: u64,
        results: Vec<(Tp, Result<u64, Error>)>,
    },
    /// A consumer's fetch from one broker: every partition it reads there (as their leader or
    /// their preferred read replica), each from its position.
    Fetch {
        parts: Vec<FetchPart>,
        generation: u64,
        /// `isolation.level=read_committed`: read up to the last stable offset.
        read_committed: bool,
        /// The consumer's `client.rack` (the request's `rack_id`, Fetch v11+).
        rack: Option<super::rack::RackId>,
    },
    /// Each partition's answer: records, an error, or a preferred read replica (KIP-392).
    FetchResponse {
        parts: Vec<FetchedPartition>,
        generation: u64,
    },
    /// Where a partition starts (`earliest`: log start) or ends (`latest`: the HW) for a consumer.
    ListOffsets {
        tp: Tp,
        earliest: bool,
    },
    ListOffsetsResponse {
        tp: Tp,
        result: Result<u64, Error>,
    },
    FindCoordinator {
        group: u8,
    },
    FindCoordinatorResponse {
        group: u8,
        result: Result<BrokerId, Error>,
    },
    /// The group requests travel boxed (they are rare, and each of them is larger than any
    /// message sent per record: every message moved through the kernel's queue is the size of
    /// the largest variant).
    JoinGroup(Box<JoinGroupRequest>),
    JoinGroupResponse {
        group: u8,
        result: Result<Box<Joined>, Error>,
        /// With `MemberIdRequired`: the id to rejoin with.
        member: String,
    },
    SyncGroup(Box<SyncGroupRequest>),
    SyncGroupResponse {
        group: u8,
        result: Result<u64, Error>,
    },
    Heartbeat {
        group: u8,
        generation: u32,
        member: String,
        instance: Option<String>,
    },
    HeartbeatResponse {
        group: u8,
        error: Option<Error>,
    },
    LeaveGroup {
        group: u8,
        member: String,
    },
    OffsetCommit(Box<OffsetCommitRequest>),
    OffsetCommitResponse {
        group: u8,
        result: Result<Vec<(u16, u64)>, Error>,
    },
    OffsetFetch {
        group: u8,
        partitions: u64,
        /// KIP-447: a read_committed consumer asks for stable offsets only.
        require_stable: bool,
    },
    OffsetFetchResponse {
        group: u8,
        result: Result<Vec<(u16, Option<u64>)>, Error>,
    },
    /// The transaction APIs (`txn::msg`).
    Txn(super::txn::msg::TxnMsg),
}

/// The lane of a message about several partitions: `MANY_PARTITIONS`.
pub const MANY_PARTITIONS: u32 = 105;

/// A request about these partitions: the lane of its one partition if it lists one, else
/// `MANY_PARTITIONS`.
pub fn fetch_lane<'a>(mut tps: impl Iterator<Item = &'a Tp>) -> u32 {
    match (tps.next(), tps.next()) {
        (Some(tp), None) => tp.partition as u32,
        _ => MANY_PARTITIONS,
    }
}

/// A fetch session's answer: the lane of the one partition it brings records of, else (records
/// of several, or none) `MANY_PARTITIONS`.
fn records_lane(r: &SessionFetchResponse) -> u32 {
    let Ok(parts) = &r.result else { return MANY_PARTITIONS };
    let with_records =
        parts.iter().filter(|(_, r)| matches!(r, FetchResponse::Records { records, .. } if !records.is_empty()));
    fetch_lane(with_records.map(|(tp, _)| tp))
}

/// A JoinGroup request. `owned`/`owned_generation`: the partitions the member held, as the
/// sticky assignors' subscription carries them (a bit per partition of the group's topic).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinGroupRequest {
    pub group: u8,
    pub member: String,
    /// `group.instance.id` of a static member (KIP-345).
    pub instance: Option<String>,
    pub client: String,
    pub owned: u64,
    pub owned_generation: i32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncGroupRequest {
    pub group: u8,
    pub generation: u32,
    pub member: String,
    pub instance: Option<String>,
    /// From the leader: every member's partitions.
    pub assignment: Vec<(String, u64)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OffsetCommitRequest {
    pub group: u8,
    pub generation: u32,
    pub member: String,
    pub instance: Option<String>,
    pub offsets: Vec<(u16, u64)>,
}

/// A successful JoinGroup answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Joined {
    pub generation: u32,
    pub member: String,
    pub leader: String,
    /// For the leader only: every member with the partitions it owned and their generation.
    pub members: Vec<(String, u64, i32)>,
}

impl Wire for KafkaMsg {
    /// Kind and colour lane (the partition, where there is one) for drawing and logs.
    fn info(&self) -> MsgInfo {
        let lane = |tp: &Tp| tp.partition as u32;
        let (kind, lane) = match self {
            KafkaMsg::ZkConnect { .. } => ("zk-connect", 100),
            KafkaMsg::ZkConnected { .. } => ("zk-connected", 100),
            KafkaMsg::ZkPing { .. } => ("zk-ping", 100),
            KafkaMsg::ZkCall { .. } => ("zk-request", 100),
            KafkaMsg::ZkReply { .. } => ("zk-reply", 100),
            KafkaMsg::ZkWatch { .. } => ("zk-watch", 100),
            KafkaMsg::ZkExpired => ("zk-expired", 100),
            KafkaMsg::ZkReconnect { .. } => ("zk-reconnect", 100),
            KafkaMsg::ZkPong => ("zk-pong", 100),
            KafkaMsg::ZkNotServing => ("zk-not-serving", 100),
            KafkaMsg::ZkPeer(m) => (m.kind(), 103),
            KafkaMsg::Raft(m) => (m.kind(), 104),
            KafkaMsg::BrokerRegistration { .. } => ("broker-registration", 104),
            KafkaMsg::BrokerRegistrationResponse { .. } => ("registered", 104),
            KafkaMsg::BrokerHeartbeat { .. } => ("broker-heartbeat", 104),
            KafkaMsg::BrokerHeartbeatResponse { .. } => ("heartbeat-ack", 104),
            KafkaMsg::LeaderAndIsr { .. } => ("leader-and-isr", 101),
            KafkaMsg::LeaderAndIsrResponse { .. } => ("leader-and-isr-ok", 101),
            KafkaMsg::UpdateMetadata { .. } => ("update-metadata", 101),
            KafkaMsg::AlterPartition { tp, .. } => ("alter-partition", lane(tp)),
            KafkaMsg::AlterPartitionResponse { tp, .. } => ("isr-committed", lane(tp)),
            KafkaMsg::ControlledShutdown { .. } => ("controlled-shutdown", 101),
            KafkaMsg::ControlledShutdownResponse { .. } => ("shutdown-ok", 101),
            KafkaMsg::ReplicaFetch(f) => ("replica-fetch", fetch_lane(f.parts.iter().map(|p| &p.tp))),
            KafkaMsg::ReplicaFetchResponse(r) => ("replica-records", records_lane(r)),
            KafkaMsg::Metadata => ("metadata", 101),
            KafkaMsg::MetadataResponse { .. } => ("metadata-reply", 101),
            KafkaMsg::Produce { batches, .. } => ("produce", fetch_lane(batches.iter().map(|b| &b.tp))),
            KafkaMsg::ProduceResponse { results, .. } => ("produce-ack", fetch_lane(results.iter().map(|r| &r.0))),
            KafkaMsg::Fetch { parts, .. } => ("fetch", fetch_lane(parts.iter().map(|p| &p.tp))),
            KafkaMsg::FetchResponse { parts, .. } => {
                let with_records = parts.iter().filter(|p| matches!(&p.result, Ok((r, _)) if !r.is_empty()));
                ("fetch-records", fetch_lane(with_records.map(|p| &p.tp)))
            }
            KafkaMsg::ListOffsets { tp, .. } => ("list-offsets", lane(tp)),
            KafkaMsg::ListOffsetsResponse { tp, .. } => ("offsets", lane(tp)),
            KafkaMsg::FindCoordinator { .. } => ("find-coordinator", 102),
            KafkaMsg::FindCoordinatorResponse { .. } => ("coordinator", 102),
            KafkaMsg::JoinGroup(_) => ("join-group", 102),
            KafkaMsg::JoinGroupResponse { .. } => ("joined", 102),
            KafkaMsg::SyncGroup(_) => ("sync-group", 102),
            KafkaMsg::SyncGroupResponse { .. } => ("assignment", 102),
            KafkaMsg::Heartbeat { .. } => ("heartbeat", 102),
            KafkaMsg::HeartbeatResponse { .. } => ("heartbeat-reply", 102),
            KafkaMsg::LeaveGroup { .. } => ("leave-group", 102),
            KafkaMsg::OffsetCommit(_) => ("offset-commit", 102),
            KafkaMsg::OffsetCommitResponse { .. } => ("commit-reply", 102),
            KafkaMsg::OffsetFetch { .. } => ("offset-fetch", 102),
            KafkaMsg::OffsetFetchResponse { .. } => ("committed-offsets", 102),
            KafkaMsg::Txn(m) => (m.kind(), 105),
        };
        MsgInfo { kind, lane }
    }
}
