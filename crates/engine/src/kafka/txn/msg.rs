//! The transaction APIs' messages (KIP-98), carried as one `KafkaMsg::Txn` variant. A
//! transactional id is named by its index in `Cluster::txn_ids`.

use super::coordinator::TxnError;
use crate::kafka::msg::Tp;
use crate::kafka::partition::{BrokerId, Error};
use crate::time::Time;

/// TxnOffsetCommit to the group coordinator, with the consumer's group metadata (KIP-447:
/// generation, member id, group instance id) so a member that lost its partitions is fenced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnOffsetCommitRequest {
    pub txn: u8,
    pub producer: (u32, u16),
    pub group: u8,
    pub generation: u32,
    pub member: String,
    pub instance: Option<String>,
    pub offsets: Vec<(u16, u64)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnMsg {
    /// FindCoordinator with key type TRANSACTION.
    FindCoordinator {
        txn: u8,
    },
    FindCoordinatorResponse {
        txn: u8,
        result: Result<BrokerId, TxnError>,
    },
    /// With `transaction.timeout.ms`.
    InitProducerId {
        txn: u8,
        timeout: Time,
    },
    /// The producer id and epoch to write with.
    InitProducerIdResponse {
        txn: u8,
        result: Result<(u32, u16), TxnError>,
    },
    /// InitProducerId without a transactional id, from an idempotent producer (to any broker).
    IdempotentProducerId,
    IdempotentProducerIdResponse {
        result: Result<(u32, u16), TxnError>,
    },
    AddPartitionsToTxn {
        txn: u8,
        producer: (u32, u16),
        partitions: Vec<Tp>,
    },
    AddPartitionsToTxnResponse {
        txn: u8,
        result: Result<(), TxnError>,
    },
    EndTxn {
        txn: u8,
        producer: (u32, u16),
        commit: bool,
    },
    EndTxnResponse {
        txn: u8,
        result: Result<(), TxnError>,
    },
    /// KIP-98's AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction
    /// (so the coordinator writes a marker there too).
    AddOffsetsToTxn {
        txn: u8,
        producer: (u32, u16),
        group: u8,
    },
    AddOffsetsToTxnResponse {
        txn: u8,
        result: Result<(), TxnError>,
    },
    /// FindCoordinator with key type GROUP, from the transaction manager (it sends the
    /// TxnOffsetCommit to the group coordinator itself).
    FindGroupCoordinator {
        txn: u8,
        group: u8,
    },
    FindGroupCoordinatorResponse {
        txn: u8,
        result: Result<BrokerId, Error>,
    },
    /// Boxed: the largest of Kafka's messages, and a rare one (`KafkaMsg::JoinGroup`).
    TxnOffsetCommit(Box<TxnOffsetCommitRequest>),
    TxnOffsetCommitResponse {
        txn: u8,
        result: Result<Vec<(u16, u64)>, Error>,
    },
    /// From the coordinator to a partition leader: append the marker to these partitions.
    WriteTxnMarkers {
        id: u64,
        producer: (u32, u16),
        commit: bool,
        partitions: Vec<Tp>,
    },
    /// One answer per partition, once the marker is replicated (or why not).
    WriteTxnMarkersResponse {
        id: u64,
        tp: Tp,
        result: Result<(), Error>,
    },
}

impl TxnMsg {
    pub fn kind(&self) -> &'static str {
        match self {
            TxnMsg::FindCoordinator { .. } => "find-txn-coordinator",
            TxnMsg::FindCoordinatorResponse { .. } => "txn-coordinator",
            TxnMsg::InitProducerId { .. } => "init-producer-id",
            TxnMsg::InitProducerIdResponse { .. } => "producer-id",
            TxnMsg::IdempotentProducerId => "init-producer-id",
            TxnMsg::IdempotentProducerIdResponse { .. } => "producer-id",
            TxnMsg::AddPartitionsToTxn { .. } => "add-partitions-to-txn",
            TxnMsg::AddPartitionsToTxnResponse { .. } => "partitions-added",
            TxnMsg::EndTxn { .. } => "end-txn",
            TxnMsg::EndTxnResponse { .. } => "txn-ended",
            TxnMsg::AddOffsetsToTxn { .. } => "add-offsets-to-txn",
            TxnMsg::AddOffsetsToTxnResponse { .. } => "offsets-added",
            TxnMsg::FindGroupCoordinator { .. } => "find-group-coordinator",
            TxnMsg::FindGroupCoordinatorResponse { .. } => "group-coordinator",
            TxnMsg::TxnOffsetCommit(_) => "txn-offset-commit",
            TxnMsg::TxnOffsetCommitResponse { .. } => "txn-offsets-committed",
            TxnMsg::WriteTxnMarkers { .. } => "write-txn-markers",
            TxnMsg::WriteTxnMarkersResponse { .. } => "markers-written",
        }
    }
}
