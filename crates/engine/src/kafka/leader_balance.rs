//! Moving leaderships on purpose, as ZooKeeper mode's `KafkaController` does: back to the
//! preferred replica (auto leader rebalancing), and away from a broker that is stopping cleanly
//! (controlled shutdown). Pure functions of the controller's partition states; the broker's
//! controller role writes and announces what they change.
//!
//! - **Preferred leader election** (`auto.leader.rebalance.enable`, default true): 5 s after a
//!   controller is elected and then every `leader.imbalance.check.interval.seconds` (300 s),
//!   `checkAndTriggerAutoLeaderRebalance` groups the partitions by their preferred replica (the
//!   first of the assignment); for each broker whose share of partitions led by someone else is
//!   above `leader.imbalance.per.broker.percentage` (10 %), those whose preferred replica is alive
//!   and in the ISR get it as leader again (`PreferredReplicaPartitionLeaderElection`), leader
//!   epoch + 1. A broker that restarted thus gets its leaderships back once it has caught up.
//!   KRaft's active controller (`QuorumController.maybeBalancePartitionLeaders`) has no per-broker
//!   threshold: `leader.imbalance.check.interval.seconds` after a write leaves some partition not
//!   led by its preferred replica, every such partition whose preferred replica is active and in
//!   the ISR gets it back (`PartitionChangeBuilder`'s PREFERRED election) — the same check with a
//!   percentage of 0.
//! - **Controlled shutdown** (`doControlledShutdown`): a broker stopping cleanly asks the
//!   controller to move its leaderships first. Each partition it leads (with more than one
//!   replica) goes to the first replica of the assignment that is alive, in the ISR and not
//!   shutting down (`ControlledShutdownPartitionLeaderElection`), with the stopping broker out of
//!   the ISR; where it follows, it leaves the ISR (OfflineReplica); each change is leader epoch + 1.
//!   The answer lists the partitions it still leads (no one else could take them); the broker
//!   stops once that list is empty, or after `controlled.shutdown.max.retries` (3) attempts.

use super::msg::{BrokerSet, KafkaEvent, PartitionView, Tp};
use super::partition::BrokerId;
use crate::time::Time;
use crate::vecmap::VecMap;

/// The first imbalance check after a controller is elected (`onControllerFailover`).
pub const FIRST_CHECK: Time = Time::secs(5);
/// `controlled.shutdown.max.retries` and `controlled.shutdown.retry.backoff.ms`.
pub const SHUTDOWN_ATTEMPTS: u8 = 3;
pub const SHUTDOWN_BACKOFF: Time = Time::secs(5);

/// `leader.imbalance.check.interval.seconds` and `leader.imbalance.per.broker.percentage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaderRebalance {
    pub interval: Time,
    pub percentage: u32,
}

impl super::config::KafkaSpec {
    /// The imbalance check's settings, `None` when `auto.leader.rebalance.enable` is false. KRaft's
    /// controller ignores `leader.imbalance.per.broker.percentage`: 0 there.
    pub fn leader_rebalance(&self) -> Option<LeaderRebalance> {
        let percentage = if self.kraft() { 0 } else { self.leader_imbalance_per_broker_percentage.unwrap_or(10) };
        self.auto_leader_rebalance_enable.unwrap_or(true).then(|| LeaderRebalance {
            interval: self.leader_imbalance_check_interval.unwrap_or(Time::secs(300)),
            percentage,
        })
    }

    pub(crate) fn validate_leader_rebalance(&self) -> Result<(), String> {
        if self.leader_imbalance_check_interval.is_some_and(|t| t < Time::ms(10)) {
            return Err("kafka.leader_imbalance_check_interval: at least 10ms".into());
        }
        if self.leader_imbalance_per_broker_percentage.is_some_and(|p| p > 100) {
            return Err("kafka.leader_imbalance_per_broker_percentage: a percentage, 0 to 100".into());
        }
        Ok(())
    }
}

/// The partitions to move back to their preferred replica (`checkAndTriggerAutoLeaderRebalance`):
/// `eligible` are the live brokers not shutting down.
pub fn imbalanced(partitions: &VecMap<Tp, PartitionView>, eligible: &[BrokerId], percentage: u32) -> Vec<Tp> {
    let mut preferred: Vec<BrokerId> = partitions.values().filter_map(|v| v.replicas.first().copied()).collect();
    crate::sort::sort(&mut preferred);
    preferred.dedup();
    let mut moves = vec![];
    for b in preferred {
        let own: Vec<&PartitionView> = partitions.values().filter(|v| v.replicas.first() == Some(&b)).collect();
        let elsewhere: Vec<&&PartitionView> = own.iter().filter(|v| v.leader != Some(b)).collect();
        // imbalance ratio > percentage / 100, in integers
        if elsewhere.len() as u64 * 100 > percentage as u64 * own.len() as u64 {
            moves.extend(elsewhere.iter().filter(|v| eligible.contains(&b) && v.isr.contains(&b)).map(|v| v.tp));
        }
    }
    crate::sort::sort(&mut moves);
    moves
}

/// Makes the preferred replica `v`'s leader, in a new leader epoch; the event to tell.
pub fn elect_preferred(v: &mut PartitionView) -> KafkaEvent {
    let leader = v.replicas[0];
    v.leader = Some(leader);
    v.leader_epoch += 1;
    v.partition_epoch += 1;
    KafkaEvent::LeaderElected { tp: v.tp, leader, epoch: v.leader_epoch, isr: BrokerSet::of(&v.isr), unclean: false }
}

/// What a controlled shutdown changed: the events, the partitions changed, and those `broker`
/// still leads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShutdownMoves {
    pub events: Vec<KafkaEvent>,
    pub changed: Vec<Tp>,
    pub remaining: Vec<Tp>,
}

/// `doControlledShutdown` for `broker`, `eligible` being the live brokers not shutting down.
pub fn controlled_shutdown(
    partitions: &mut VecMap<Tp, PartitionView>,
    broker: BrokerId,
    eligible: &[BrokerId],
) -> ShutdownMoves {
    let mut out = ShutdownMoves::default();
    for (&tp, v) in partitions.iter_mut() {
        if !v.replicas.contains(&broker) || v.replicas.len() < 2 || v.leader.is_none() {
            continue;
        }
        if v.leader == Some(broker) {
            let next = v.replicas.iter().copied().find(|b| eligible.contains(b) && v.isr.contains(b));
            let Some(leader) = next else {
                out.remaining.push(tp);
                continue;
            };
            v.leader = Some(leader);
            v.isr.retain(|b| eligible.contains(b));
            v.leader_epoch += 1;
            v.partition_epoch += 1;
            out.events.push(KafkaEvent::LeaderElected {
                tp,
                leader,
                epoch: v.leader_epoch,
                isr: BrokerSet::of(&v.isr),
                unclean: false,
            });
        } else if v.isr.contains(&broker) {
            v.isr.retain(|&b| b != broker);
            v.leader_epoch += 1;
            v.partition_epoch += 1;
            out.events.push(KafkaEvent::OfflineReplicasRemoved { tp, isr: BrokerSet::of(&v.isr) });
        } else {
            continue;
        }
        out.changed.push(tp);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(partition: u16, leader: BrokerId, isr: &[BrokerId], replicas: &[BrokerId]) -> PartitionView {
        PartitionView {
            tp: Tp { topic: 0, partition },
            leader: Some(leader),
            leader_epoch: 3,
            partition_epoch: 5,
            isr: isr.to_vec(),
            replicas: replicas.to_vec(),
        }
    }

    fn map(views: Vec<PartitionView>) -> VecMap<Tp, PartitionView> {
        let mut m = VecMap::new();
        for v in views {
            m.insert(v.tp, v);
        }
        m
    }

    #[test]
    fn leadership_returns_to_a_preferred_replica_that_is_back_in_the_isr() {
        // Broker 1 prefers partitions 0 and 1; both are led by others after its restart. It is
        // back in 0's ISR, not yet in 1's.
        let m = map(vec![
            view(0, 2, &[1, 2, 3], &[1, 2, 3]),
            view(1, 3, &[2, 3], &[1, 3, 2]),
            view(2, 2, &[1, 2, 3], &[2, 3, 1]),
        ]);
        assert_eq!(imbalanced(&m, &[1, 2, 3], 10), vec![Tp { topic: 0, partition: 0 }]);
        assert!(imbalanced(&m, &[2, 3], 10).is_empty(), "a broker down or shutting down gets nothing");
        // 2 of 2 elsewhere is 100 %: above any percentage below 100.
        assert!(imbalanced(&m, &[1, 2, 3], 100).is_empty());
        let mut v = m.values().next().unwrap().clone();
        let e = elect_preferred(&mut v);
        assert_eq!((v.leader, v.leader_epoch, v.partition_epoch), (Some(1), 4, 6));
        assert!(matches!(e, KafkaEvent::LeaderElected { leader: 1, epoch: 4, unclean: false, .. }));
    }

    #[test]
    fn a_controlled_shutdown_moves_leaderships_and_leaves_the_isrs() {
        let mut m = map(vec![
            view(0, 1, &[1, 2, 3], &[1, 2, 3]),
            view(1, 2, &[2, 1], &[2, 1, 3]),
            view(2, 1, &[1], &[1, 3]),
            view(3, 1, &[1], &[1]),
        ]);
        let moves = controlled_shutdown(&mut m, 1, &[2, 3]);
        let tp = |p| Tp { topic: 0, partition: p };
        assert_eq!(moves.changed, vec![tp(0), tp(1)]);
        assert_eq!((m[&tp(0)].leader, m[&tp(0)].isr.clone(), m[&tp(0)].leader_epoch), (Some(2), vec![2, 3], 4));
        assert_eq!((m[&tp(1)].leader, m[&tp(1)].isr.clone()), (Some(2), vec![2]), "a follower leaves the ISR");
        // Partition 2's ISR has no one else; partition 3 has one replica (never acted on).
        assert_eq!(moves.remaining, vec![tp(2)]);
        assert_eq!(m[&tp(2)].leader, Some(1));
    }
}
