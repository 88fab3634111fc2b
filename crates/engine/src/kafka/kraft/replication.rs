//! The active controller's decisions, as the records that carry them (Kafka's
//! `ReplicationControlManager` and `PartitionChangeBuilder`): pure functions of the image.
//!
//! - A broker fenced (or registering again after a crash) leaves every ISR it is in, unless it is
//!   the last member (Kafka keeps the last one, so that the partition can come back cleanly), and
//!   its leaderships go to the first unfenced ISR member in assignment order, the leader epoch + 1;
//!   with none, the partition goes offline (or, with unclean election, to any unfenced replica).
//! - A broker unfenced can lead the partitions left without a leader; and the topics not yet
//!   created are created once enough brokers are unfenced (their replication factor).
//! - An ISR change (AlterPartition) is the current leader's of the current epoch, and may add
//!   only unfenced brokers (KIP-841's INELIGIBLE_REPLICA). The ISR changes without a new leader
//!   epoch: only a new leader bumps it.

use super::image::MetadataImage;
use super::MetadataRecord;
use crate::kafka::cluster::Topic;
use crate::kafka::leader_balance::{elect_preferred, imbalanced};
use crate::kafka::msg::{BrokerSet, KafkaEvent, PartitionView, Tp};
use crate::kafka::partition::{BrokerId, Error};
use crate::kafka::placement::{elect_offline, place};
use crate::kafka::rack::Racks;
use crate::kernel::rng::Rng;

/// Records to append and, for each, what the learner is told once it is committed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    pub records: Vec<(MetadataRecord, Option<KafkaEvent>)>,
}

impl Decision {
    fn push(&mut self, record: MetadataRecord, event: Option<KafkaEvent>) {
        self.records.push((record, event));
    }

    fn change(&mut self, before: &PartitionView, after: PartitionView, unclean: bool) {
        let event = match after.leader {
            None if before.leader.is_some() => Some(KafkaEvent::PartitionOffline { tp: after.tp }),
            Some(leader) if before.leader != after.leader => Some(KafkaEvent::LeaderElected {
                tp: after.tp,
                leader,
                epoch: after.leader_epoch,
                isr: BrokerSet::of(&after.isr),
                unclean,
            }),
            _ if before.isr != after.isr => {
                Some(KafkaEvent::OfflineReplicasRemoved { tp: after.tp, isr: BrokerSet::of(&after.isr) })
            }
            _ => None,
        };
        if &after != before {
            // Every change of a partition's state is a new partition epoch.
            let after = PartitionView { partition_epoch: before.partition_epoch + 1, ..after };
            self.push(MetadataRecord::PartitionChange(after), event);
        }
    }
}

/// `broker` is fenced, registered again, or enters controlled shutdown
/// (`generateLeaderAndIsrUpdates` with it as `brokerToRemove`): the partition changes that take it
/// out of ISRs and leaderships, leaders chosen among the active brokers.
pub fn without_broker(image: &MetadataImage, broker: BrokerId, unclean: bool) -> Decision {
    let eligible: Vec<BrokerId> = image.active().into_iter().filter(|&b| b != broker).collect();
    let mut d = Decision::default();
    for v in image.partitions.values() {
        if !v.isr.contains(&broker) && v.leader != Some(broker) {
            continue;
        }
        let mut isr: Vec<BrokerId> = v.isr.iter().copied().filter(|&b| b != broker).collect();
        if isr.is_empty() {
            isr = v.isr.clone();
        }
        let mut next = PartitionView { isr, ..v.clone() };
        let mut was_unclean = false;
        if v.leader == Some(broker) {
            next.leader_epoch += 1;
            match elect_offline(&v.replicas, &next.isr, &eligible, unclean) {
                Some(e) => {
                    next.leader = Some(e.leader);
                    next.isr = e.isr;
                    was_unclean = e.unclean;
                }
                None => next.leader = None,
            }
        }
        d.change(v, next, was_unclean);
    }
    d
}

/// Whether `broker` leads a partition (`BrokersToIsrs.hasLeaderships`).
pub fn has_leaderships(image: &MetadataImage, broker: BrokerId) -> bool {
    image.partitions.values().any(|v| v.leader == Some(broker))
}

/// Whether some partition is not led by its preferred replica (`arePartitionLeadersImbalanced`):
/// the controller then schedules a preferred leader election.
pub fn leaders_imbalanced(image: &MetadataImage) -> bool {
    image.partitions.values().any(|v| v.leader != v.replicas.first().copied())
}

/// `maybeBalancePartitionLeaders`: each partition whose preferred replica (the first of its
/// assignment) is active and in the ISR, but does not lead, gets it as leader (leader epoch + 1).
/// KRaft has no per-broker threshold: the ZooKeeper controller's check with a percentage of 0.
pub fn preferred_elections(image: &MetadataImage) -> Decision {
    let mut d = Decision::default();
    for tp in imbalanced(&image.partitions, &image.active(), 0) {
        let v = &image.partitions[&tp];
        let mut next = v.clone();
        elect_preferred(&mut next);
        d.change(v, next, false);
    }
    d
}

/// After a broker is unfenced: leaders for the partitions without one, and the topics not yet
/// created (placed over the unfenced brokers as `AdminUtils` places replicas).
pub fn after_unfence(
    image: &MetadataImage,
    (topics, racks): (&[Topic], &Racks),
    unclean: bool,
    rng: &mut Rng,
) -> Decision {
    let live = image.active();
    let mut d = Decision::default();
    for (t, topic) in topics.iter().enumerate() {
        if image.topics.contains(&(t as u16)) || (live.len() as u32) < topic.replication_factor {
            continue;
        }
        let n = live.len();
        let (start, shift) = (rng.below(n as u64) as usize, rng.below(n as u64) as usize);
        let Ok(assignment) =
            place(topic.partitions as u32, topic.replication_factor, &live, &racks.names_of(&live), start, shift)
        else {
            continue;
        };
        d.push(MetadataRecord::Topic { topic: t as u16 }, None);
        for (p, replicas) in assignment.into_iter().enumerate() {
            let tp = Tp { topic: t as u16, partition: p as u16 };
            let view = PartitionView {
                tp,
                leader: replicas.first().copied(),
                leader_epoch: 0,
                partition_epoch: 0,
                isr: replicas.clone(),
                replicas,
            };
            let event = KafkaEvent::LeaderElected {
                tp,
                leader: view.leader.unwrap_or(0),
                epoch: 0,
                isr: BrokerSet::of(&view.isr),
                unclean: false,
            };
            d.push(MetadataRecord::Partition(view), Some(event));
        }
    }
    for v in image.partitions.values().filter(|v| v.leader.is_none()) {
        if let Some(e) = elect_offline(&v.replicas, &v.isr, &live, unclean) {
            let next =
                PartitionView { leader: Some(e.leader), leader_epoch: v.leader_epoch + 1, isr: e.isr, ..v.clone() };
            d.change(v, next, e.unclean);
        }
    }
    d
}

/// The ruling on broker `sender`'s request to make `isr` the ISR of `tp` in `leader_epoch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IsrRuling {
    /// Refused with the error `ReplicationControlManager.validateAlterPartitionData` answers.
    Refused(Error),
    /// Already the ISR: answered at once, with the current partition epoch.
    Unchanged(Vec<BrokerId>, u32),
    /// The new state, to append and answer once committed.
    Change(PartitionView),
}

/// In `validateAlterPartitionData`'s order: epochs ahead of the controller's (NOT_CONTROLLER),
/// an older leader epoch (FENCED_LEADER_EPOCH), a sender that does not lead (INVALID_REQUEST), an
/// older partition epoch (INVALID_UPDATE_VERSION), then a fenced broker or one in controlled
/// shutdown added (INELIGIBLE_REPLICA).
pub fn isr_request(
    image: &MetadataImage,
    sender: BrokerId,
    tp: Tp,
    (leader_epoch, partition_epoch): (u32, u32),
    isr: Vec<BrokerId>,
) -> IsrRuling {
    let Some(v) = image.partitions.get(&tp) else { return IsrRuling::Refused(Error::UnknownTopicOrPartition) };
    if leader_epoch > v.leader_epoch || partition_epoch > v.partition_epoch {
        return IsrRuling::Refused(Error::NotController);
    }
    if leader_epoch < v.leader_epoch {
        return IsrRuling::Refused(Error::FencedLeaderEpoch);
    }
    if v.leader != Some(sender) {
        return IsrRuling::Refused(Error::InvalidRequest);
    }
    if partition_epoch < v.partition_epoch {
        return IsrRuling::Refused(Error::InvalidUpdateVersion);
    }
    let isr: Vec<BrokerId> = isr.into_iter().filter(|b| v.replicas.contains(b)).collect();
    if isr.iter().any(|b| !v.isr.contains(b) && !image.is_active(*b)) {
        return IsrRuling::Refused(Error::IneligibleReplica);
    }
    if v.isr == isr {
        return IsrRuling::Unchanged(isr, v.partition_epoch);
    }
    IsrRuling::Change(PartitionView { isr, partition_epoch: v.partition_epoch + 1, ..v.clone() })
}

#[cfg(test)]
mod tests {
    use super::super::image::Registration;
    use super::*;

    fn image(fenced: &[BrokerId]) -> MetadataImage {
        let mut i = MetadataImage::default();
        for b in 1..=3 {
            let r = Registration { broker_epoch: b as u64, fenced: fenced.contains(&b), ..Registration::default() };
            i.brokers.insert(b, r);
        }
        let tp = Tp { topic: 0, partition: 0 };
        i.partitions.insert(
            tp,
            PartitionView {
                tp,
                leader: Some(2),
                leader_epoch: 4,
                partition_epoch: 7,
                isr: vec![2, 3, 1],
                replicas: vec![2, 3, 1],
            },
        );
        i
    }

    #[test]
    fn a_fenced_leader_hands_over_to_the_next_isr_member() {
        let d = without_broker(&image(&[]), 2, false);
        let [(MetadataRecord::PartitionChange(v), Some(KafkaEvent::LeaderElected { leader: 3, epoch: 5, .. }))] =
            &d.records[..]
        else {
            panic!("{d:?}")
        };
        assert_eq!((v.leader, v.leader_epoch, v.isr.clone()), (Some(3), 5, vec![3, 1]));
    }

    #[test]
    fn a_fenced_follower_leaves_the_isr_and_the_epoch_stays() {
        let d = without_broker(&image(&[]), 1, false);
        let [(MetadataRecord::PartitionChange(v), Some(KafkaEvent::OfflineReplicasRemoved { .. }))] = &d.records[..]
        else {
            panic!("{d:?}")
        };
        assert_eq!((v.leader, v.leader_epoch, v.isr.clone()), (Some(2), 4, vec![2, 3]));
        assert_eq!(v.partition_epoch, 8, "but the partition epoch moves");
    }

    #[test]
    fn the_last_isr_member_stays_and_the_partition_goes_offline() {
        let mut i = image(&[1, 3]);
        let tp = Tp { topic: 0, partition: 0 };
        i.partitions.get_mut(&tp).unwrap().isr = vec![2];
        let d = without_broker(&i, 2, false);
        let [(MetadataRecord::PartitionChange(v), Some(KafkaEvent::PartitionOffline { .. }))] = &d.records[..] else {
            panic!("{d:?}")
        };
        assert_eq!((v.leader, v.isr.clone()), (None, vec![2]));
        // Unfenced again, it leads again, in a new epoch.
        let mut back = i.clone();
        back.partitions.insert(tp, v.clone());
        back.brokers.get_mut(&2).unwrap().fenced = true;
        let d = after_unfence(&back, (&[], &Racks::default()), false, &mut Rng::new(1));
        assert!(d.records.is_empty(), "b2 is still fenced: {d:?}");
        back.brokers.get_mut(&2).unwrap().fenced = false;
        let d = after_unfence(&back, (&[], &Racks::default()), false, &mut Rng::new(1));
        let [(MetadataRecord::PartitionChange(v), Some(KafkaEvent::LeaderElected { .. }))] = &d.records[..] else {
            panic!("{d:?}")
        };
        assert_eq!((v.leader, v.leader_epoch), (Some(2), 6));
    }

    #[test]
    fn the_preferred_replica_leads_again_once_active_and_in_the_isr() {
        let tp = Tp { topic: 0, partition: 0 };
        let mut i = image(&[]);
        let v = i.partitions.get_mut(&tp).unwrap();
        (v.leader, v.isr) = (Some(3), vec![3, 1]);
        assert!(leaders_imbalanced(&i));
        assert!(preferred_elections(&i).records.is_empty(), "b2 is not in the ISR yet");
        i.partitions.get_mut(&tp).unwrap().isr = vec![3, 1, 2];
        i.brokers.get_mut(&2).unwrap().in_controlled_shutdown = true;
        assert!(preferred_elections(&i).records.is_empty(), "b2 is stopping");
        i.brokers.get_mut(&2).unwrap().in_controlled_shutdown = false;
        let d = preferred_elections(&i);
        let [(MetadataRecord::PartitionChange(v), Some(KafkaEvent::LeaderElected { leader: 2, epoch: 5, .. }))] =
            &d.records[..]
        else {
            panic!("{d:?}")
        };
        assert_eq!((v.leader, v.leader_epoch, v.partition_epoch, v.isr.clone()), (Some(2), 5, 8, vec![3, 1, 2]));
    }

    #[test]
    fn only_the_leader_may_change_the_isr_and_never_to_add_a_fenced_broker() {
        let tp = Tp { topic: 0, partition: 0 };
        let mut i = image(&[1]);
        i.partitions.get_mut(&tp).unwrap().isr = vec![2, 3];
        let refused = IsrRuling::Refused;
        assert_eq!(isr_request(&i, 3, tp, (4, 7), vec![3]), refused(Error::InvalidRequest));
        assert_eq!(isr_request(&i, 2, tp, (3, 7), vec![2]), refused(Error::FencedLeaderEpoch));
        assert_eq!(isr_request(&i, 2, tp, (5, 7), vec![2]), refused(Error::NotController));
        assert_eq!(isr_request(&i, 2, tp, (4, 6), vec![2]), refused(Error::InvalidUpdateVersion));
        assert_eq!(isr_request(&i, 2, tp, (4, 7), vec![2, 3, 1]), refused(Error::IneligibleReplica));
        assert_eq!(isr_request(&i, 2, tp, (4, 7), vec![2, 3]), IsrRuling::Unchanged(vec![2, 3], 7));
        let IsrRuling::Change(v) = isr_request(&i, 2, tp, (4, 7), vec![2]) else { panic!() };
        assert_eq!((v.isr, v.leader_epoch, v.partition_epoch), (vec![2], 4, 8));
    }
}
