//! The "exactly-once processing" story: a consume-transform-produce stage between the producer
//! and a reader. With a `stage` in the workload, the workload's consumers `c1`… are the stage's
//! instances: each reads the input (`orders`), works on every record for `processing`, and
//! writes it to the output (`orders-out`), where one reader reads it. The faults crash and
//! restart the stage's instances. The detector folds the reader's reads of the output: input
//! records (published), output records read, duplicates in the output, records lost.
//!
//! - Kafka: `kafka.processors` (KIP-98 + KIP-447): a transaction per poll batch of `batch`
//!   records, committed with its consumed offsets (sendOffsetsToTransaction); the reader is
//!   `read_committed`. With `"guarantee": "at_least_once"` the processors flush their output
//!   and commit their offsets every `kafka.auto_commit_interval` instead (Kafka Streams'
//!   commit.interval.ms).
//! - RabbitMQ: `rabbit.processors`: manual acks (prefetch `rabbit.prefetch`), publisher
//!   confirms, the inputs acked with one `multiple` ack per `batch` once their outputs are
//!   confirmed. The output goes through the default exchange to queue `orders-out`.

use super::detect::Detector;
use super::{numbered, Workload, TOPIC};
use crate::kafka::msg::{KafkaEvent, Tp};
use crate::kafka::node::KafkaNode;
use crate::kafka::processor::config::Guarantee;
use crate::kafka::txn::coordinator::TxnState;
use crate::kafka::txn::event::TxnEvent;
use crate::models::Node;
use crate::rabbit::event::RabbitEvent;
use crate::{Event, EventKind, ModelEvents, NodeId, World};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The output topic / queue, and the reader of it.
pub const OUTPUT: &str = "orders-out";
pub const READER: &str = "reader";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// Kafka's `processing.guarantee`: "exactly_once_v2" (the default) or "at_least_once". The
    /// RabbitMQ stage has no such setting: it always acks an input after its output's confirm.
    #[serde(default)]
    pub guarantee: Guarantee,
    /// Records per batch: a Kafka processor's poll (`max.poll.records`, one transaction each),
    /// a RabbitMQ processor's ack (one `multiple` ack once their outputs are confirmed).
    pub batch: u32,
}

impl Stage {
    pub fn validate(&self, w: &Workload) -> Result<(), String> {
        let prefetch = w.rabbit.prefetch as u32;
        if self.batch == 0 || self.batch > prefetch.min(500) {
            return Err(format!("stage.batch: from 1 to rabbit.prefetch ({prefetch}), at most 500"));
        }
        if w.rabbit.single_active_consumer || w.rabbit.queue_per_consumer {
            return Err("stage: the stage's instances share one input queue (leave rabbit.single_active_consumer \
                        and rabbit.queue_per_consumer off)"
                .into());
        }
        Ok(())
    }

    /// The Kafka section's stage: the output topic, the processors `c1`… in group `g`, the
    /// read_committed reader in its own group.
    pub fn kafka(&self, w: &Workload, kafka: &mut serde_json::Value) {
        let k = &w.kafka;
        let eos = self.guarantee == Guarantee::ExactlyOnceV2;
        let processors: Vec<_> = numbered("c", w.consumers)
            .into_iter()
            .map(|id| {
                let mut p = json!({"id": id, "input": TOPIC, "output": OUTPUT, "group": "g",
                    "processing": w.processing, "processing_jitter": w.processing_jitter, "poll_records": self.batch});
                if eos {
                    p["transactional_id"] = json!(format!("{id}-tx"));
                } else {
                    p["guarantee"] = json!("at_least_once");
                    p["commit_interval"] = json!(k.auto_commit_interval);
                }
                p
            })
            .collect();
        let topics = kafka["topics"].as_array_mut().expect("the topics");
        topics.push(json!({"name": OUTPUT, "partitions": k.partitions, "replication_factor": 1}));
        kafka["groups"][0]["enable_auto_commit"] = json!(false);
        let reader = json!({"id": "readers", "session_timeout": k.session_timeout,
            "heartbeat_interval": k.session_timeout / 10, "auto_offset_reset": "earliest"});
        kafka["groups"].as_array_mut().expect("the groups").push(reader);
        kafka["processors"] = json!(processors);
        kafka["consumers"] =
            json!([{"id": READER, "topic": OUTPUT, "group": "readers", "isolation_level": "read_committed"}]);
        kafka["transaction_state_partitions"] = json!(1);
    }

    /// The RabbitMQ section's stage: queue `orders-out`, the processors `c1`… on queue
    /// `orders`, the reader of `orders-out`.
    pub fn rabbit(&self, w: &Workload, rabbit: &mut serde_json::Value) {
        let processors: Vec<_> = numbered("c", w.consumers)
            .into_iter()
            .map(|id| {
                json!({"id": id, "input": TOPIC, "routing_key": OUTPUT, "prefetch": w.rabbit.prefetch,
                       "ack_every": self.batch, "processing": w.processing, "processing_jitter": w.processing_jitter})
            })
            .collect();
        rabbit["queues"].as_array_mut().expect("the queues").push(json!({"name": OUTPUT}));
        rabbit["processors"] = json!(processors);
        rabbit["consumers"] = json!([{"id": READER, "queue": OUTPUT, "prefetch": w.rabbit.prefetch}]);
    }
}

/// What the stage did, from the trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StageCounts {
    /// Input records the stage's instances processed, and of them those processed again.
    pub processed: u64,
    pub reprocessed: u64,
    /// RabbitMQ: input records delivered to the stage again (the redelivered flag).
    pub redelivered: u64,
    /// Kafka: the stage's transactions committed and aborted (by the transaction coordinator).
    pub committed: u64,
    pub aborted: u64,
}

/// Folds a stage lane's events: the reader's reads into the detector, the stage's own work into
/// its counts.
#[derive(Clone, Debug)]
pub struct StageWatch {
    reader: Option<NodeId>,
    /// Per input record: whether the stage has processed it.
    seen: Vec<bool>,
    /// Kafka: transactional producer ids, by stage instance index.
    producer_ids: Vec<(u32, u32)>,
    pub counts: StageCounts,
}

impl StageWatch {
    pub fn new(world: &World, total: u64) -> StageWatch {
        let reader = world.nodes.iter().position(|n| n.name == READER).map(|i| NodeId(i as u32));
        StageWatch { reader, seen: vec![false; total as usize], producer_ids: vec![], counts: StageCounts::default() }
    }

    fn stage_processed(&mut self, seq: u64) {
        let Some(seen) = self.seen.get_mut(seq as usize) else { return };
        self.counts.processed += 1;
        self.counts.reprocessed += *seen as u64;
        *seen = true;
    }

    /// Takes `e` if it is the stage's or the reader's; `index` gives a stage instance's index.
    pub fn fold(&mut self, e: &Event, world: &World, index: impl Fn(NodeId) -> Option<u32>, d: &mut Detector) -> bool {
        let EventKind::Model(m) = &e.kind else { return false };
        match *m {
            ModelEvents::Kafka(KafkaEvent::Consumed { consumer, tp, offset, value, .. }) => {
                if Some(consumer) == self.reader {
                    let writer = self.writer(world, tp, offset, &index).unwrap_or(0);
                    d.processed(e.at, writer, value, false);
                } else if index(consumer).is_some() {
                    self.stage_processed(value);
                }
                true
            }
            ModelEvents::Kafka(KafkaEvent::Txn(TxnEvent::ProducerId { producer, id, .. })) => {
                if let Some(i) = index(producer) {
                    self.producer_ids.push((id, i));
                }
                false
            }
            // The coordinator's view: a transaction the crash left open is aborted by it, not by
            // its producer.
            ModelEvents::Kafka(KafkaEvent::Txn(TxnEvent::State { state, .. })) => {
                match state {
                    TxnState::CompleteCommit => self.counts.committed += 1,
                    TxnState::CompleteAbort => self.counts.aborted += 1,
                    _ => {}
                }
                false
            }
            ModelEvents::Rabbit(RabbitEvent::Processed { consumer, publisher, seq, redelivered }) => {
                if Some(consumer) == self.reader {
                    d.processed(e.at, index(publisher).unwrap_or(0), seq, false);
                } else if index(consumer).is_some() {
                    self.stage_processed(seq);
                    self.counts.redelivered += redelivered as u64;
                    // The detector's "redelivered": here the stage's inputs, the reader's never are.
                    d.counts.redelivered += redelivered as u64;
                }
                true
            }
            _ => false,
        }
    }

    /// The stage instance that wrote output record `offset` of `tp`: by the producer id in the
    /// log (a transactional producer's from InitProducerId, an idempotent one's its node + 1).
    fn writer(&self, world: &World, tp: Tp, offset: u64, index: &impl Fn(NodeId) -> Option<u32>) -> Option<u32> {
        let record = world.nodes.iter().find_map(|slot| match &slot.node {
            Node::Kafka(KafkaNode::Broker(b)) => b.replicas.get(&tp).and_then(|r| r.log.get(offset)),
            _ => None,
        })?;
        let id = record.producer;
        let txn = self.producer_ids.iter().rev().find(|(p, _)| *p == id).map(|&(_, i)| i);
        txn.or_else(|| index(NodeId(id.checked_sub(1)?)))
    }
}
