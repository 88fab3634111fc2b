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
pub const PARTITION_SECONDS: &str = "Partition-seconds not consumed: for each partition a rebalance gives a consumer again, the time since it stopped being consumed (revoked, or its consumer died), summed. A crashed member's partitions count from its crash, because nobody reads them until its session times out — eager and cooperative alike.";
pub const EAGER: &str = "Eager protocol: every member gives up all its partitions before rejoining, so the whole group stops consuming during a rebalance.";
pub const COOPERATIVE: &str = "Cooperative protocol (KIP-429): members keep the partitions that do not move and give up only the others, so most consumption continues.";
pub const UNDER_REPLICATED: &str =
    "Under-replicated partition: its ISR is smaller than its replica set — a replica is down or behind.";
pub const SESSION: &str = "ZooKeeper session: a broker's heartbeat lease with ZooKeeper; when it expires, its ephemeral znode is deleted and the controller treats the broker as gone.";

pub const EXCHANGE: &str = "Exchange: where publishers send messages. It stores nothing: it routes each message to the queues (or exchanges) whose bindings match, by its type — direct, fanout, topic or headers.";
pub const BINDING: &str = "Binding: a rule from an exchange to a queue (or another exchange), with a routing key or header match; a message goes to every destination whose binding matches, once each.";
pub const ROUTING_KEY: &str = "Routing key: the label a publisher puts on a message. A direct exchange matches it exactly; a topic exchange word by word, with * for one word and # for zero or more.";
pub const QUEUE: &str = "Queue: an ordered buffer of messages. It hands each message to one of its consumers (competing consumers) and deletes it once that consumer acknowledges it.";
pub const READY_UNACKED: &str = "Ready / unacked: ready messages wait in the queue for a consumer; unacked ones have been delivered and not yet acknowledged, and go back to the queue if the consumer's channel closes.";
pub const PREFETCH: &str = "Prefetch (basic.qos): how many unacknowledged messages the broker lets one consumer hold; the rest wait in the queue for a consumer with room.";
pub const ACK: &str = "Acknowledgement (basic.ack): the consumer tells the broker it is done with a delivery, and the broker deletes the message. With auto-ack the broker deletes it as soon as it is sent.";
pub const REJECT: &str = "Reject / nack: the consumer refuses a delivery. With requeue it goes back to the queue; without, it is dead-lettered if the queue has a dead-letter exchange, else dropped.";
pub const REDELIVERED: &str = "Redelivered: the flag on a delivery of a message that was delivered before and requeued (a nack or reject with requeue, or a consumer's channel closing); it may already have been processed once.";
pub const DEAD_LETTER: &str = "Dead letter: a message rejected without requeue, expired by its TTL, or pushed out of a full queue, republished to the queue's x-dead-letter-exchange with an x-death header saying why.";
pub const CONFIRM: &str = "Publisher confirm: the broker's ack to the publisher once it has taken responsibility for a message (a nack if it could not); a returned message is one published mandatory that no queue took.";

pub const IN_ORDER: &str = "In order: each customer's messages processed in the order they were published. Order across customers is not promised by either system.";
pub const COMPETING: &str = "Competing consumers: several consumers on one RabbitMQ queue; each message goes to one of them, so the work spreads message by message — and one customer's messages race each other.";
pub const PARTITION_KEY: &str = "Partition by key: Kafka's producer hashes the key (murmur2) to pick the partition, so one customer always lands on one partition, read by one consumer of the group, in offset order.";
pub const GROUP: &str = "Consumer group: Kafka consumers sharing a topic; each partition is read by exactly one member, so parallelism is at most the number of partitions.";
pub const AT_LEAST_ONCE: &str = "At-least-once: nothing is skipped, but after a failure some messages are processed again — Kafka re-reads from the last committed offset, RabbitMQ redelivers what was not acknowledged.";
pub const SINGLE_ACTIVE: &str = "Single active consumer (x-single-active-consumer): the queue delivers to one consumer at a time, the others stand by; order is kept, parallelism is gone.";
pub const IDEMPOTENT: &str = "Idempotent producer (enable.idempotence): the producer numbers its batches, and the partition leader drops a batch it already has and refuses one that skips ahead, so retries write nothing twice and nothing out of order.";

/// The terms a system's pages use, in the order a learner meets them.
pub type Terms = &'static [(&'static str, &'static str)];

pub const KAFKA_TERMS: Terms = &[
    ("ISR", ISR),
    ("HW", HW),
    ("LEO", LEO),
    ("epoch", EPOCH),
    ("ZooKeeper session", SESSION),
    ("group coordinator", COORDINATOR),
    ("generation", GENERATION),
    ("rebalance", REBALANCE),
    ("committed offset", COMMITTED),
    ("lag", LAG),
];

pub const RABBITMQ_TERMS: Terms = &[
    ("exchange", EXCHANGE),
    ("binding", BINDING),
    ("routing key", ROUTING_KEY),
    ("queue", QUEUE),
    ("ready / unacked", READY_UNACKED),
    ("prefetch", PREFETCH),
    ("ack", ACK),
    ("reject / nack", REJECT),
    ("redelivered", REDELIVERED),
    ("dead letter", DEAD_LETTER),
    ("publisher confirm", CONFIRM),
];

pub const COMPARE_TERMS: Terms = &[
    ("in order", IN_ORDER),
    ("competing consumers", COMPETING),
    ("partition by key", PARTITION_KEY),
    ("consumer group", GROUP),
    ("at-least-once", AT_LEAST_ONCE),
    ("redelivered", REDELIVERED),
    ("single active consumer", SINGLE_ACTIVE),
    ("idempotent producer", IDEMPOTENT),
];
