//! Where a new topic's replicas go, and who leads a partition after a failure — the controller's
//! two pure decisions, as Kafka makes them.
//!
//! Placement is Kafka's `AdminUtils.assignReplicasToBrokers` (Kafka 4.0's Java port in
//! `server-common`, the ZooKeeper-era controller's and the admin tools' algorithm). Without racks
//! (`assignReplicasToBrokersRackUnaware`): partition p's first replica is broker `(p + start) % n`;
//! the others follow at a shift that grows by one every n partitions, so replicas spread over all
//! broker pairs. With a `broker.rack` on every broker (`assignReplicasToBrokersRackAware`): the
//! same walk over the rack-alternated broker list (`rack_alternated`), skipping a broker whose rack
//! already holds a replica while some rack holds none. Kafka picks `start` and the initial shift at
//! random; the simulator draws them from its seeded RNG.
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
    Ok(walk(partitions, n, (start_index, initial_shift), |first, shift| {
        let mut replicas = vec![brokers[first]];
        for j in 0..replication_factor as usize - 1 {
            replicas.push(brokers[replica_index(first, shift, j, n)]);
        }
        replicas
    }))
}

/// Both assignments' walk: partition p's first replica at index `(p + start) % n`, the shift
/// for the others growing by one every n partitions; `replicas(first, shift)` makes the list.
fn walk(
    partitions: u32,
    n: usize,
    (start_index, initial_shift): (usize, usize),
    mut replicas: impl FnMut(usize, usize) -> Vec<BrokerId>,
) -> Vec<Vec<BrokerId>> {
    let mut shift = initial_shift;
    (0..partitions as usize)
        .map(|p| {
            if p > 0 && p % n == 0 {
                shift += 1;
            }
            replicas((p + start_index) % n, shift)
        })
        .collect()
}

/// Replica lists as `AdminUtils.assignReplicasToBrokers` makes them: rack-aware when the brokers
/// have racks (`racks[i]` is `brokers[i]`'s; empty: none has one), else rack-unaware.
pub fn place(
    partitions: u32,
    replication_factor: u32,
    brokers: &[BrokerId],
    racks: &[&str],
    start_index: usize,
    initial_shift: usize,
) -> Result<Vec<Vec<BrokerId>>, String> {
    if racks.is_empty() {
        return assign_replicas(partitions, replication_factor, brokers, start_index, initial_shift);
    }
    if racks.len() != brokers.len() {
        return Err("Not all brokers have rack information for replica rack aware assignment.".into());
    }
    // Its argument checks are the rack-unaware one's.
    assign_replicas(partitions, replication_factor, brokers, 0, 0)?;
    let rack_of = |b: BrokerId| racks[brokers.iter().position(|&x| x == b).expect("listed")];
    let arranged = rack_alternated(brokers, racks);
    let n = arranged.len();
    let mut rack_names: Vec<&str> = racks.to_vec();
    rack_names.sort_unstable();
    rack_names.dedup();
    let num_racks = rack_names.len();
    Ok(walk(partitions, n, (start_index, initial_shift), |first, shift| {
        let leader = arranged[first];
        let mut replicas = vec![leader];
        let mut racks_with: Vec<&str> = vec![rack_of(leader)];
        let mut k = 0;
        for _ in 0..replication_factor as usize - 1 {
            loop {
                let broker = arranged[replica_index(first, shift * num_racks, k, n)];
                let rack = rack_of(broker);
                k += 1;
                // Skip a broker whose rack has a replica while a rack has none, or that has a
                // replica while a broker has none.
                if (!racks_with.contains(&rack) || racks_with.len() == num_racks)
                    && (!replicas.contains(&broker) || replicas.len() == n)
                {
                    replicas.push(broker);
                    if !racks_with.contains(&rack) {
                        racks_with.push(rack);
                    }
                    break;
                }
            }
        }
        replicas
    }))
}

/// `AdminUtils.getRackAlternatedBrokerList`: racks in name order, each rack's brokers in id order,
/// taking one broker from each rack in turn (`rack1: 0 1 2, rack2: 3 4 5` → `0 3 1 4 2 5`).
pub fn rack_alternated(brokers: &[BrokerId], racks: &[&str]) -> Vec<BrokerId> {
    let mut by_rack: Vec<(&str, Vec<BrokerId>)> = vec![];
    for (&b, &rack) in brokers.iter().zip(racks) {
        match by_rack.iter_mut().find(|(r, _)| *r == rack) {
            Some((_, list)) => list.push(b),
            None => by_rack.push((rack, vec![b])),
        }
    }
    by_rack.sort_by(|a, b| a.0.cmp(b.0));
    for (_, list) in &mut by_rack {
        list.sort_unstable();
    }
    let longest = by_rack.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    (0..longest).flat_map(|i| by_rack.iter().filter_map(move |(_, l)| l.get(i).copied())).collect()
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

    /// Replica lists written as Kafka's tests print them: "0,1,2 1,2,3" is partitions 0 and 1.
    fn table(text: &str) -> Vec<Vec<u32>> {
        text.split(' ').map(|p| p.split(',').map(|b| b.parse().unwrap()).collect()).collect()
    }

    #[test]
    fn rack_unaware_assignment_matches_kafkas_test() {
        // Kafka AdminRackAwareTest.testReplicaAssignment (formerly AdminTest): brokers 0-4,
        // 10 partitions, RF 3, fixedStartIndex 0.
        let got = assign_replicas(10, 3, &[0, 1, 2, 3, 4], 0, 0).unwrap();
        assert_eq!(got, table("0,1,2 1,2,3 2,3,4 3,4,0 4,0,1 0,2,3 1,3,4 2,4,0 3,0,1 4,1,2"));
    }

    #[test]
    fn rack_unaware_assignment_three_brokers() {
        // Brokers 0-2, 6 partitions, RF 3, start 0: the shift moves at partition 3.
        let got = assign_replicas(6, 3, &[0, 1, 2], 0, 0).unwrap();
        assert_eq!(got, vec![vec![0, 1, 2], vec![1, 2, 0], vec![2, 0, 1], vec![0, 2, 1], vec![1, 0, 2], vec![2, 1, 0]]);
    }

    /// `AdminRackAwareTest.checkReplicaDistribution`: every partition on `min(RF, racks)` racks,
    /// no broker twice, and (when `even`) leaders and replicas spread evenly over the brokers.
    fn check_distribution(got: &[Vec<u32>], racks: &[(u32, &str)], rf: usize, even: bool) {
        let rack = |b: u32| racks.iter().find(|r| r.0 == b).unwrap().1;
        let mut names: Vec<&str> = racks.iter().map(|r| r.1).collect();
        names.sort_unstable();
        names.dedup();
        for replicas in got {
            assert_eq!(replicas.len(), rf);
            let mut on: Vec<&str> = replicas.iter().map(|&b| rack(b)).collect();
            on.sort_unstable();
            on.dedup();
            assert_eq!(on.len(), rf.min(names.len()), "{replicas:?} spans every rack it can");
            let mut distinct = replicas.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), rf, "{replicas:?}: no broker twice");
        }
        if even {
            let per =
                |b: u32, leaders: bool| got.iter().filter(|r| if leaders { r[0] == b } else { r.contains(&b) }).count();
            let n = racks.len();
            for &(b, _) in racks {
                assert_eq!(per(b, true), got.len() / n, "leaders of broker {b}");
                assert_eq!(per(b, false), got.len() * rf / n, "replicas of broker {b}");
            }
        }
    }

    fn rack_place(racks: &[(u32, &str)], partitions: u32, rf: u32, start: usize, shift: usize) -> Vec<Vec<u32>> {
        let ids: Vec<u32> = racks.iter().map(|r| r.0).collect();
        let names: Vec<&str> = racks.iter().map(|r| r.1).collect();
        place(partitions, rf, &ids, &names, start, shift).unwrap()
    }

    const SIX: [(u32, &str); 6] = [(0, "rack1"), (1, "rack2"), (2, "rack2"), (3, "rack3"), (4, "rack3"), (5, "rack1")];

    #[test]
    fn rack_alternated_list_and_assignment_match_kafkas_test() {
        // AdminRackAwareTest.testGetRackAlternatedBrokerListAndAssignReplicasToBrokers.
        let racks = [(0, "rack1"), (1, "rack3"), (2, "rack3"), (3, "rack2"), (4, "rack2"), (5, "rack1")];
        let ids: Vec<u32> = racks.iter().map(|r| r.0).collect();
        let names: Vec<&str> = racks.iter().map(|r| r.1).collect();
        assert_eq!(rack_alternated(&ids, &names), vec![0, 3, 1, 5, 4, 2]);
        assert_eq!(rack_alternated(&ids[..5], &names[..5]), vec![0, 3, 1, 4, 2]);
        assert_eq!(rack_place(&racks, 7, 3, 0, 0), table("0,3,1 3,1,5 1,5,4 5,4,2 4,2,0 2,0,3 0,4,2"));
    }

    #[test]
    fn rack_aware_distribution_matches_kafkas_tests() {
        // testAssignmentWithRackAware (fixed start 2) and ...WithRandomStartIndex (every start).
        check_distribution(&rack_place(&SIX, 6, 3, 2, 2), &SIX, 3, true);
        for start in 0..6 {
            for shift in 0..6 {
                check_distribution(&rack_place(&SIX, 6, 3, start, shift), &SIX, 3, true);
                // testAssignmentWith2ReplicasRackAware(With6Partitions).
                check_distribution(&rack_place(&SIX, 12, 2, start, shift), &SIX, 2, true);
                check_distribution(&rack_place(&SIX, 6, 2, start, shift), &SIX, 2, true);
            }
        }
        // testAssignmentWithRackAwareWithUnevenReplicas: 13 partitions, racks only.
        check_distribution(&rack_place(&SIX, 13, 3, 0, 0), &SIX, 3, false);
        // testAssignmentWith2ReplicasRackAwareWith6PartitionsAnd3Brokers.
        let three = [(0, "rack1"), (1, "rack2"), (4, "rack3")];
        check_distribution(&rack_place(&three, 3, 2, 1, 1), &three, 2, true);
    }

    #[test]
    fn more_or_fewer_replicas_than_racks_and_one_rack() {
        let uneven = [(0, "rack1"), (1, "rack2"), (2, "rack2"), (3, "rack3"), (4, "rack3"), (5, "rack2")];
        // testMoreReplicasThanRacks: every partition on all 3 racks; testLessReplicasThanRacks: on 2.
        for replicas in rack_place(&uneven, 6, 5, 1, 4) {
            let mut on: Vec<&str> = replicas.iter().map(|&b| uneven[b as usize].1).collect();
            on.sort_unstable();
            on.dedup();
            assert_eq!((replicas.len(), on.len()), (5, 3));
        }
        check_distribution(&rack_place(&uneven, 6, 2, 3, 0), &uneven, 2, false);
        // testSingleRack: one rack, each broker leads one partition.
        let single: Vec<(u32, &str)> = (0..6).map(|b| (b, "rack1")).collect();
        let got = rack_place(&single, 6, 3, 0, 0);
        check_distribution(&got, &single, 3, true);
        // testSkipBrokerWithReplicaAlreadyAssigned: RF 4 over 3 racks of 5 brokers, start 2.
        let skip = [(0, "a"), (1, "b"), (2, "c"), (3, "a"), (4, "a")];
        for replicas in rack_place(&skip, 6, 4, 2, 2) {
            let mut distinct = replicas.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(distinct.len(), 4, "{replicas:?}");
        }
    }

    #[test]
    fn rack_aware_placement_refuses_what_kafka_refuses() {
        // testAssignReplicasToBrokersWithInvalidParameters.
        assert!(place(0, 1, &[0, 1], &["a", "b"], 0, 0).is_err());
        assert!(place(10, 0, &[0, 1], &["a", "b"], 0, 0).is_err());
        assert!(place(10, 3, &[0, 1], &["a", "b"], 0, 0).unwrap_err().contains("larger than the 2"));
        assert!(place(10, 2, &[0, 1, 2], &["a", "b"], 0, 0).unwrap_err().contains("Not all brokers have rack"));
        // No racks: the rack-unaware walk, as before.
        assert_eq!(
            place(10, 3, &[0, 1, 2, 3, 4], &[], 0, 0).unwrap(),
            assign_replicas(10, 3, &[0, 1, 2, 3, 4], 0, 0).unwrap()
        );
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
