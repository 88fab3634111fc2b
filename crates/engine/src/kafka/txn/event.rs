//! What transactions show the learner (`KafkaEvent::Txn`): its trace encoding and its line in the
//! event log.

use super::coordinator::TxnState;
use crate::kafka::msg::Tp;
use crate::kafka::partition::BrokerId;
use crate::kafka::KafkaNames;
use crate::trace::TraceHash;
use crate::NodeId;
use std::fmt::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnEvent {
    /// InitProducerId answered: the transactional producer writes as `(id, epoch)`.
    ProducerId { producer: NodeId, txn: u8, id: u32, epoch: u16 },
    /// The producer began a transaction with its record `first` (beginTransaction).
    Began { producer: NodeId, txn: u8, first: u64 },
    /// EndTxn answered: the transaction of records `[first, end)` is committed (or aborted); the
    /// coordinator writes the markers.
    Ended { producer: NodeId, txn: u8, commit: bool, first: u64, end: u64 },
    /// An abortable error (`transitionToAbortableError`): the open transaction can only be
    /// aborted, and the application calls abortTransaction.
    Abortable { producer: NodeId, txn: u8, cause: AbortableCause },
    /// The coordinator answered PRODUCER_FENCED: a newer instance of its transactional id (or
    /// the coordinator's timeout) bumped the epoch. Fatal: the application closes the producer.
    Fenced { producer: NodeId, txn: u8, epoch: u16 },
    /// The transaction coordinator's transition is written in `__transaction_state`.
    State { broker: BrokerId, txn: u8, state: TxnState, epoch: u16 },
    /// The coordinator aborts a transaction open longer than `transaction.timeout.ms`.
    TimedOut { broker: BrokerId, txn: u8 },
    /// A partition leader appended a COMMIT or ABORT marker (a control record) at `offset`.
    Marker { tp: Tp, broker: BrokerId, offset: u64, commit: bool },
    /// sendOffsetsToTransaction, first half: AddOffsetsToTxn answered, the group's
    /// `__consumer_offsets` partition is in the transaction.
    OffsetsAdded { producer: NodeId, txn: u8, group: u8 },
    /// Second half: the group coordinator wrote the TxnOffsetCommit of these partitions (a 64-bit
    /// set); pending until the transaction's marker.
    OffsetsPending { producer: NodeId, txn: u8, group: u8, partitions: u64 },
    /// The group coordinator saw the transaction's marker in its `__consumer_offsets` partition:
    /// the pending offsets of these partitions are committed (or dropped, on ABORT).
    OffsetsCompleted { broker: BrokerId, group: u8, producer_id: u32, commit: bool, partitions: u64 },
}

/// The partitions of a 64-bit set, as "0, 2".
fn partition_list(mask: u64) -> String {
    let parts: Vec<String> = (0..64).filter(|p| mask & (1 << p) != 0).map(|p: u32| p.to_string()).collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// Why a transaction became abortable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbortableCause {
    /// A batch of it expired (`delivery.timeout.ms`).
    Expired,
    /// A partition refused a batch INVALID_PRODUCER_EPOCH (KIP-588: abortable, not fatal).
    InvalidProducerEpoch,
    /// The group coordinator refused the transaction's offsets (TxnOffsetCommit answered
    /// UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION or FENCED_INSTANCE_ID: CommitFailedException).
    CommitFailed,
}

/// Trace tags of transaction events (after the other Kafka events' tags).
const FIRST_TAG: u8 = 60;

impl TxnEvent {
    pub fn encode(&self, h: &mut TraceHash) {
        let node = |n: NodeId| n.0 as u64;
        match *self {
            TxnEvent::ProducerId { producer, txn, id, epoch } => {
                h.byte(FIRST_TAG);
                h.u64((node(producer) << 8) | txn as u64);
                h.u64(((id as u64) << 16) | epoch as u64);
            }
            TxnEvent::Began { producer, txn, first } => {
                h.byte(FIRST_TAG + 1);
                h.u64((node(producer) << 8) | txn as u64);
                h.u64(first);
            }
            TxnEvent::Ended { producer, txn, commit, first, end } => {
                h.byte(FIRST_TAG + 2);
                h.u64((node(producer) << 9) | ((txn as u64) << 1) | commit as u64);
                h.u64(first);
                h.u64(end);
            }
            TxnEvent::Fenced { producer, txn, epoch } => {
                h.byte(FIRST_TAG + 3);
                h.u64((node(producer) << 24) | ((txn as u64) << 16) | epoch as u64);
            }
            TxnEvent::State { broker, txn, state, epoch } => {
                h.byte(FIRST_TAG + 4);
                h.u64(((broker as u64) << 32) | ((txn as u64) << 24) | ((state as u64) << 16) | epoch as u64);
            }
            TxnEvent::TimedOut { broker, txn } => {
                h.byte(FIRST_TAG + 5);
                h.u64(((broker as u64) << 8) | txn as u64);
            }
            TxnEvent::Marker { tp, broker, offset, commit } => {
                h.byte(FIRST_TAG + 6);
                h.u64(((tp.topic as u64) << 16) | tp.partition as u64);
                h.u64(((broker as u64) << 1) | commit as u64);
                h.u64(offset);
            }
            TxnEvent::Abortable { producer, txn, cause } => {
                h.byte(FIRST_TAG + 7);
                let cause = match cause {
                    AbortableCause::InvalidProducerEpoch => 0,
                    AbortableCause::Expired => 1,
                    AbortableCause::CommitFailed => 2,
                };
                h.u64((node(producer) << 10) | ((txn as u64) << 2) | cause);
            }
            TxnEvent::OffsetsAdded { producer, txn, group } => {
                h.byte(FIRST_TAG + 8);
                h.u64((node(producer) << 16) | ((txn as u64) << 8) | group as u64);
            }
            TxnEvent::OffsetsPending { producer, txn, group, partitions } => {
                h.byte(FIRST_TAG + 9);
                h.u64((node(producer) << 16) | ((txn as u64) << 8) | group as u64);
                h.u64(partitions);
            }
            TxnEvent::OffsetsCompleted { broker, group, producer_id, commit, partitions } => {
                h.byte(FIRST_TAG + 10);
                h.u64(((broker as u64) << 41) | ((group as u64) << 33) | ((producer_id as u64) << 1) | commit as u64);
                h.u64(partitions);
            }
        }
    }

    pub fn producer(&self) -> Option<NodeId> {
        match *self {
            TxnEvent::ProducerId { producer, .. }
            | TxnEvent::Began { producer, .. }
            | TxnEvent::Ended { producer, .. }
            | TxnEvent::Abortable { producer, .. }
            | TxnEvent::Fenced { producer, .. }
            | TxnEvent::OffsetsAdded { producer, .. }
            | TxnEvent::OffsetsPending { producer, .. } => Some(producer),
            _ => None,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            TxnEvent::ProducerId { .. } => "producer-id",
            TxnEvent::Began { .. } => "txn-begin",
            TxnEvent::Ended { commit: true, .. } => "txn-commit",
            TxnEvent::Ended { commit: false, .. } => "txn-abort",
            TxnEvent::Abortable { .. } => "txn-abortable",
            TxnEvent::Fenced { .. } => "producer-fenced",
            TxnEvent::State { .. } => "txn-state",
            TxnEvent::TimedOut { .. } => "txn-timeout",
            TxnEvent::Marker { .. } => "txn-marker",
            TxnEvent::OffsetsAdded { .. } => "txn-offsets-added",
            TxnEvent::OffsetsPending { .. } => "txn-offset-commit",
            TxnEvent::OffsetsCompleted { .. } => "txn-offsets-completed",
        }
    }

    pub fn describe(&self, s: &mut String, world: &dyn KafkaNames) -> std::fmt::Result {
        let tp = |t: Tp| format!("{}-{}", world.topic_name(t.topic), t.partition);
        match *self {
            TxnEvent::ProducerId { producer, txn, id, epoch } => write!(
                s,
                "{} is transactional id {}: producer id {id}, epoch {epoch} (InitProducerId)",
                world.node_name(producer),
                world.txn_name(txn)
            ),
            TxnEvent::Began { producer, txn, first } => write!(
                s,
                "{} begins a transaction of {} at seq={first}",
                world.node_name(producer),
                world.txn_name(txn)
            ),
            TxnEvent::Ended { producer, txn, commit, first, end } => write!(
                s,
                "{} {} the transaction of {} (seq {first} to {}): the coordinator writes {} markers",
                world.node_name(producer),
                if commit { "committed" } else { "aborted" },
                world.txn_name(txn),
                end.saturating_sub(1),
                if commit { "COMMIT" } else { "ABORT" }
            ),
            TxnEvent::Abortable { producer, txn, cause } => write!(
                s,
                "{}'s transaction of {} can only be aborted now ({}): the application aborts it",
                world.node_name(producer),
                world.txn_name(txn),
                match cause {
                    AbortableCause::Expired => "a batch expired",
                    AbortableCause::InvalidProducerEpoch => "a partition answered INVALID_PRODUCER_EPOCH",
                    AbortableCause::CommitFailed => "the group coordinator refused its consumed offsets: the member is not of the group's generation",
                }
            ),
            TxnEvent::Fenced { producer, txn, epoch } => write!(
                s,
                "{} (epoch {epoch}) is fenced: transactional id {} has a newer epoch (the coordinator answered PRODUCER_FENCED); fatal, the application closes the producer",
                world.node_name(producer),
                world.txn_name(txn)
            ),
            TxnEvent::State { broker, txn, state, epoch } => {
                write!(
                    s,
                    "transaction coordinator b{broker}: {} is {} (epoch {epoch})",
                    world.txn_name(txn),
                    state.name()
                )
            }
            TxnEvent::TimedOut { broker, txn } => write!(
                s,
                "transaction coordinator b{broker} aborts {}'s transaction: transaction.timeout.ms passed",
                world.txn_name(txn)
            ),
            TxnEvent::Marker { tp: t, broker, offset, commit } => write!(
                s,
                "{} b{broker} appended a {} marker at offset {offset}",
                tp(t),
                if commit { "COMMIT" } else { "ABORT" }
            ),
            TxnEvent::OffsetsAdded { producer, txn, group } => write!(
                s,
                "{} sends its consumed offsets to the transaction of {}: group {}'s __consumer_offsets partition is in it (AddOffsetsToTxn)",
                world.node_name(producer),
                world.txn_name(txn),
                world.group_name(group)
            ),
            TxnEvent::OffsetsPending { producer, txn, group, partitions } => write!(
                s,
                "group {}'s coordinator wrote {}'s offsets of partitions {} (TxnOffsetCommit): pending until the transaction of {} ends",
                world.group_name(group),
                world.node_name(producer),
                partition_list(partitions),
                world.txn_name(txn)
            ),
            TxnEvent::OffsetsCompleted { broker, group, producer_id, commit, partitions } => {
                if commit {
                    write!(
                        s,
                        "group coordinator b{broker}: the COMMIT marker of producer id {producer_id} makes group {}'s offsets of partitions {} committed",
                        world.group_name(group),
                        partition_list(partitions)
                    )
                } else {
                    write!(
                        s,
                        "group coordinator b{broker}: the ABORT marker of producer id {producer_id} drops the offsets it held for group {}",
                        world.group_name(group)
                    )
                }
            }
        }
    }
}
