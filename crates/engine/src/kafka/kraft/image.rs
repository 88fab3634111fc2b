//! The metadata image: what the records of `__cluster_metadata` say once replayed in order —
//! Kafka's `MetadataImage` (`ClusterImage`, `TopicsImage`). Controllers and brokers build theirs
//! from the same log.

use super::{Entry, MetadataRecord};
use crate::kafka::msg::{PartitionView, Tp};
use crate::kafka::partition::BrokerId;
use crate::vecmap::VecMap;

/// A broker as registered: its broker epoch (the offset of its RegisterBrokerRecord), whether it
/// is fenced, and whether it is in controlled shutdown (KIP-631: it leads nothing and joins no ISR
/// while its leaderships move away).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Registration {
    pub broker_epoch: u64,
    pub fenced: bool,
    pub in_controlled_shutdown: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetadataImage {
    pub brokers: VecMap<BrokerId, Registration>,
    pub topics: Vec<u16>,
    pub partitions: VecMap<Tp, PartitionView>,
    /// Records replayed: the image is the log's first `applied` records.
    pub applied: u64,
}

impl MetadataImage {
    /// Replays the record at offset `self.applied`.
    pub fn replay(&mut self, entry: &Entry) {
        let offset = self.applied;
        self.applied += 1;
        match &entry.record {
            MetadataRecord::LeaderChange { .. } => {}
            MetadataRecord::RegisterBroker { broker } => {
                let r = Registration { broker_epoch: offset, fenced: true, in_controlled_shutdown: false };
                self.brokers.insert(*broker, r);
            }
            MetadataRecord::BrokerFencing { broker, broker_epoch, fenced } => {
                if let Some(r) = self.brokers.get_mut(broker).filter(|r| r.broker_epoch == *broker_epoch) {
                    r.fenced = *fenced;
                }
            }
            MetadataRecord::BrokerControlledShutdown { broker, broker_epoch } => {
                if let Some(r) = self.brokers.get_mut(broker).filter(|r| r.broker_epoch == *broker_epoch) {
                    r.in_controlled_shutdown = true;
                }
            }
            MetadataRecord::Topic { topic } => {
                if !self.topics.contains(topic) {
                    self.topics.push(*topic);
                }
            }
            MetadataRecord::Partition(v) | MetadataRecord::PartitionChange(v) => {
                self.partitions.insert(v.tp, v.clone());
            }
        }
    }

    /// The brokers that may lead and join ISRs — registered, not fenced and not in controlled
    /// shutdown (`ClusterControlManager.isActive`) — in id order.
    pub fn active(&self) -> Vec<BrokerId> {
        self.brokers.iter().filter(|(_, r)| r.is_active()).map(|(&b, _)| b).collect()
    }

    pub fn is_active(&self, broker: BrokerId) -> bool {
        self.brokers.get(&broker).is_some_and(Registration::is_active)
    }
}

impl Registration {
    pub fn is_active(&self) -> bool {
        !self.fenced && !self.in_controlled_shutdown
    }
}
