//! The transaction APIs' messages (KIP-98), carried as one `KafkaMsg::Txn` variant. A
//! transactional id is named by its index in `Cluster::txn_ids`.

use super::coordinator::TxnError;
use crate::kafka::msg::Tp;
use crate::kafka::partition::{BrokerId, Error};
use crate::time::Time;

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
            TxnMsg::AddPartitionsToTxn { .. } => "add-partitions-to-txn",
            TxnMsg::AddPartitionsToTxnResponse { .. } => "partitions-added",
            TxnMsg::EndTxn { .. } => "end-txn",
            TxnMsg::EndTxnResponse { .. } => "txn-ended",
            TxnMsg::WriteTxnMarkers { .. } => "write-txn-markers",
            TxnMsg::WriteTxnMarkersResponse { .. } => "markers-written",
        }
    }
}
