//! Where a new topic's replicas go, and who leads a partition after a failure — the controller's
//! two pure decisions, as Kafka makes them.
//!
//! Placement is Kafka's rack-unaware assignment (`AdminUtils.assignReplicasToBrokersRackUnaware`):
//! partition p's first replica is broker `(p + start) % n`; the others follow at a shift that grows
//! by one every n partitions, so replicas spread over all broker pairs. Kafka picks `start` and the
//! initial shift at random; the simulator draws them from its seeded RNG.
//!
//! Election is `PartitionLeaderElectionAlgorithms.offlinePartitionLeaderElection`: the first replica,
//! in assignment order, that is alive and in the ISR; with `unclean.leader.election.enable` and no
//! such replica, the first live replica at all — whose log may lack acknowledged records.

use super::partition::BrokerId;

/// Replica lists for `partitions` partitions over `brokers` (in the order given), with the start
/// index and initial shift chosen by the caller (`fixed`) as Kafka's `fixedStartIndex` does.
pub fn assign_replicas(
    partitions: u32,
    replication_factor: u32,
    brokers: &[BrokerId],
    start_index: usize,
    initial_shift: usize,
) -> Result<Vec<Vec<BrokerId>>, String> {
    let n = brokers.len();
    if partitions == 0 {
        return Err("partitions must be at least 1".into());
    }
    if replication_factor == 0 {
        return Err("replication factor must be at least 1".into());
    }
    if replication_factor as usize > n {
        return Err(format!("replication factor {replication_factor} is larger than the {n} available brokers"));
    }
    let mut shift = initial_shift;
    let mut out = Vec::with_capacity(partitions as usize);
    for p in 0..partitions as usize {
        if p > 0 && p % n == 0 {
            shift += 1;
        }
        let first = (p + start_index) % n;
        let mut replicas = vec![brokers[first]];
        for j in 0..replication_factor as usize - 1 {
            replicas.push(brokers[replica_index(first, shift, j, n)]);
        }
        out.push(replicas);
    }
    Ok(out)
}

fn replica_index(first: usize, second_shift: usize, replica: usize, n: usize) -> usize {
    let shift = 1 + (second_shift + replica) % (n - 1);
    (first + shift) % n
}

/// The outcome of an offline-partition election.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Election {
    pub leader: BrokerId,
    pub isr: Vec<BrokerId>,
    /// True when the leader came from outside the ISR (unclean): acknowledged records may be lost.
    pub unclean: bool,
}

/// Elects a leader for a partition whose leader went offline. `None`: the partition stays offline.
pub fn elect_offline(
    assignment: &[BrokerId],
    isr: &[BrokerId],
    live: &[BrokerId],
    unclean_enabled: bool,
) -> Option<Election> {
    if let Some(&leader) = assignment.iter().find(|b| live.contains(b) && isr.contains(b)) {
        let isr = isr.iter().copied().filter(|b| live.contains(b)).collect();
        return Some(Election { leader, isr, unclean: false });
    }
    if unclean_enabled {
        if let Some(&leader) = assignment.iter().find(|b| live.contains(b)) {
            return Some(Election { leader, isr: vec![leader], unclean: true });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rack_unaware_assignment_matches_kafkas_test() {
        // Kafka AdminRackAwareTest.testReplicaAssignment (formerly AdminTest): brokers 0-4,
        // 10 partitions, RF 3, fixedStartIndex 0.
        let got = assign_replicas(10, 3, &[0, 1, 2, 3, 4], 0, 0).unwrap();
        let want: Vec<Vec<u32>> = vec![
            vec![0, 1, 2],
            vec![1, 2, 3],
            vec![2, 3, 4],
            vec![3, 4, 0],
            vec![4, 0, 1],
            vec![0, 2, 3],
            vec![1, 3, 4],
            vec![2, 4, 0],
            vec![3, 0, 1],
            vec![4, 1, 2],
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn rack_unaware_assignment_three_brokers() {
        // Brokers 0-2, 6 partitions, RF 3, start 0: the shift moves at partition 3.
        let got = assign_replicas(6, 3, &[0, 1, 2], 0, 0).unwrap();
        assert_eq!(got, vec![vec![0, 1, 2], vec![1, 2, 0], vec![2, 0, 1], vec![0, 2, 1], vec![1, 0, 2], vec![2, 1, 0]]);
    }

    #[test]
    fn offline_election_matches_kafkas_tests() {
        // PartitionLeaderElectionAlgorithmsTest: assignment [2, 4].
        // testOfflinePartitionLeaderElection
        assert_eq!(elect_offline(&[2, 4], &[2, 4], &[4], false).map(|e| e.leader), Some(4));
        // ...LastIsrOfflineUncleanLeaderElectionDisabled
        assert_eq!(elect_offline(&[2, 4], &[2], &[4], false), None);
        // ...LastIsrOfflineUncleanLeaderElectionEnabled
        let e = elect_offline(&[2, 4], &[2], &[4], true).unwrap();
        assert_eq!((e.leader, e.isr, e.unclean), (4, vec![4], true));
    }

    #[test]
    fn bad_placements_are_errors() {
        assert!(assign_replicas(3, 4, &[1, 2, 3], 0, 0).unwrap_err().contains("larger than the 3"));
        assert!(assign_replicas(0, 1, &[1], 0, 0).is_err());
        assert!(assign_replicas(1, 0, &[1], 0, 0).is_err());
        assert_eq!(assign_replicas(2, 1, &[7], 0, 0).unwrap(), vec![vec![7], vec![7]]);
    }

    #[test]
    fn offline_election_prefers_isr_in_assignment_order() {
        let e = elect_offline(&[1, 2, 3], &[1, 3], &[2, 3], false).unwrap();
        assert_eq!(e, Election { leader: 3, isr: vec![3], unclean: false });
        assert_eq!(elect_offline(&[1, 2, 3], &[1], &[2, 3], false), None);
        let e = elect_offline(&[1, 2, 3], &[1], &[2, 3], true).unwrap();
        assert_eq!(e, Election { leader: 2, isr: vec![2], unclean: true });
        assert_eq!(elect_offline(&[1, 2, 3], &[1], &[], true), None);
    }
}
