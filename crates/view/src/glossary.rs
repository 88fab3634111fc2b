//! One sentence per term, shown as tooltips wherever the term appears.

pub const ISR: &str = "In-sync replicas: the replicas that have caught up with the leader recently (within replica.lag.time.max.ms); only they may be elected leader without losing acknowledged records.";
pub const HW: &str = "High watermark: the offset up to which every in-sync replica has the records; consumers read only below it, and acks=all producers are answered when it passes their record.";
pub const LEO: &str = "Log end offset: the offset the next record appended to this replica will get.";
pub const EPOCH: &str = "Leader epoch: a number bumped at every leader election, so records and requests from an older leader can be recognised and fenced.";
pub const GENERATION: &str = "Generation: a number the group coordinator bumps at every completed rebalance; commits and heartbeats from an older generation are refused.";
pub const REBALANCE: &str = "Rebalance: the group's members rejoin through the coordinator and the leader member redistributes the partitions among them.";
pub const LAG: &str = "Lag: how many records the partition leader's high watermark is ahead of the consumer's position — written but not yet read.";
pub const POSITION: &str = "Position: the offset of the next record this consumer will read from the partition.";
pub const COMMITTED: &str = "Committed offset: where the group resumes the partition after a rebalance or restart, stored in __consumer_offsets.";
pub const COORDINATOR: &str = "Group coordinator: the broker that leads the group's partition of __consumer_offsets; it runs joins, syncs, heartbeats and commits.";
pub const GAP: &str = "Stop-the-world gap: simulated time from the first partition revoked to the last one assigned again; during it those partitions are not consumed.";
pub const EAGER: &str = "Eager protocol: every member gives up all its partitions before rejoining, so the whole group stops consuming during a rebalance.";
pub const COOPERATIVE: &str = "Cooperative protocol (KIP-429): members keep the partitions that do not move and give up only the others, so most consumption continues.";
pub const UNDER_REPLICATED: &str =
    "Under-replicated partition: its ISR is smaller than its replica set — a replica is down or behind.";
pub const SESSION: &str = "ZooKeeper session: a broker's heartbeat lease with ZooKeeper; when it expires, its ephemeral znode is deleted and the controller treats the broker as gone.";
