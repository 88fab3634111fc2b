//! One sentence per term, shown as tooltips wherever the term appears.

use crate::i18n::en;

pub const ISR: &str = en("In-sync replicas: the replicas that have caught up with the leader recently (within replica.lag.time.max.ms); only they may be elected leader without losing acknowledged records.");
pub const HW: &str = en("High watermark: the offset up to which every in-sync replica has the records; consumers read only below it, and acks=all producers are answered when it passes their record.");
pub const LEO: &str = en("Log end offset: the offset the next record appended to this replica will get.");
pub const EPOCH: &str = en("Leader epoch: a number bumped at every leader election, so records and requests from an older leader can be recognised and fenced.");
pub const GENERATION: &str = en("Generation: a number the group coordinator bumps when a rebalance's join phase completes, before the members receive their assignments; commits and heartbeats from an older generation are refused.");
pub const REBALANCE: &str = en("Rebalance: the group's members rejoin through the coordinator and the leader member redistributes the partitions among them.");
pub const LAG: &str = en("Lag: how many records the partition leader's high watermark is ahead of the consumer's position — written but not yet read.");
pub const POSITION: &str = en("Position: the offset of the next record this consumer will read from the partition.");
pub const COMMITTED: &str = en("Committed offset: where the group resumes the partition after a rebalance or restart, stored in __consumer_offsets.");
pub const COORDINATOR: &str = en("Group coordinator: the broker that leads the group's partition of __consumer_offsets; it runs joins, syncs, heartbeats and commits.");
pub const GAP: &str = en("Stop-the-world gap: simulated time from the first partition revoked to the last one assigned again; during it those partitions are not consumed.");
pub const PARTITION_SECONDS: &str = en("Partition-seconds not consumed: for each partition a rebalance gives a consumer again, the time since it stopped being consumed (revoked, or its consumer died), summed. A crashed member's partitions count from its crash, because nobody reads them until its session times out — eager and cooperative alike.");
pub const EAGER: &str = en("Eager protocol: every member gives up all its partitions before rejoining, so the whole group stops consuming during a rebalance.");
pub const COOPERATIVE: &str = en("Cooperative protocol (KIP-429): members keep the partitions that do not move and give up only the others, so most consumption continues.");
pub const UNDER_REPLICATED: &str =
    en("Under-replicated partition: its ISR is smaller than its replica set — a replica is down or behind.");
pub const SESSION: &str = en("ZooKeeper session: a broker's heartbeat lease with ZooKeeper; when it expires, its ephemeral znode is deleted and the controller treats the broker as gone.");

pub const EXCHANGE: &str = en("Exchange: where publishers send messages. It stores nothing: it routes each message to the queues (or exchanges) whose bindings match, by its type — direct, fanout, topic or headers.");
pub const BINDING: &str = en("Binding: a rule from an exchange to a queue (or another exchange), with a routing key or header match; a message goes to every destination whose binding matches, once each.");
pub const ROUTING_KEY: &str = en("Routing key: the label a publisher puts on a message. A direct exchange matches it exactly; a topic exchange word by word, with * for one word and # for zero or more.");
pub const QUEUE: &str = en("Queue: an ordered buffer of messages. It hands each message to one of its consumers (competing consumers) and deletes it once that consumer acknowledges it.");
pub const READY_UNACKED: &str = en("Ready / unacked: ready messages wait in the queue for a consumer; unacked ones have been delivered and not yet acknowledged, and go back to the queue if the consumer's channel closes.");
pub const PREFETCH: &str = en("Prefetch (basic.qos): how many unacknowledged messages the broker lets one consumer hold; the rest wait in the queue for a consumer with room.");
pub const ACK: &str = en("Acknowledgement (basic.ack): the consumer tells the broker it is done with a delivery, and the broker deletes the message. With auto-ack the broker deletes it as soon as it is sent.");
pub const REJECT: &str = en("Reject / nack: the consumer refuses a delivery. With requeue it goes back to the queue; without, it is dead-lettered if the queue has a dead-letter exchange, else dropped.");
pub const REDELIVERED: &str = en("Redelivered: the flag on a delivery of a message that was delivered before and requeued (a nack or reject with requeue, or a consumer's channel closing); it may already have been processed once.");
pub const DEAD_LETTER: &str = en("Dead letter: a message rejected without requeue, expired by its TTL, or pushed out of a full queue, republished to the queue's x-dead-letter-exchange with an x-death header saying why.");
pub const CONFIRM: &str = en("Publisher confirm: the broker's ack to the publisher once it has taken responsibility for a message (a nack if it could not); a returned message is one published mandatory that no queue took.");

pub const IN_ORDER: &str = en("In order: each customer's messages processed in the order they were published. Order across customers is not promised by either system.");
pub const COMPETING: &str = en("Competing consumers: several consumers on one RabbitMQ queue; each message goes to one of them, so the work spreads message by message — and one customer's messages race each other.");
pub const FENCED: &str = en("Fenced broker (KRaft): one the active controller has not heard a heartbeat from for broker.session.timeout.ms (9 s by default); its partitions get other leaders and it leaves the ISRs until it registers again and has caught up with the metadata log.");
pub const PARTITION_KEY: &str = en("Partition by key: Kafka's producer hashes the key (murmur2) to pick the partition, so as long as the partition count stays the same, one customer always lands on one partition, read by one consumer of the group, in offset order.");
pub const GROUP: &str = en("Consumer group: Kafka consumers sharing a topic; each partition is read by exactly one member, so parallelism is at most the number of partitions.");
pub const AT_LEAST_ONCE: &str = en("At-least-once: nothing is skipped, but after a failure some messages are processed again — Kafka re-reads from the last committed offset, RabbitMQ redelivers what was not acknowledged.");
pub const SINGLE_ACTIVE: &str = en("Single active consumer (x-single-active-consumer): the queue delivers to one consumer at a time, the others stand by; order is kept, parallelism is gone.");
pub const LOSSY_LINK: &str = en("Lossy link (loss_ppm): each transmission is lost with that probability, and TCP sends a lost one again after about 200 ms (doubling if it is lost again) while the messages behind it on the link wait. Loss makes messages late, not lost: a message is dropped only when 16 transmissions in a row fail and the connection breaks. A client may time out first, close its connection and send again, while its first attempt still arrives.");

/// What a link with loss does to the messages on it, for its tooltip: `None` without loss.
pub fn lossy_link(loss_ppm: u32) -> Option<String> {
    (loss_ppm > 0).then(|| {
        let percent = loss_ppm as f64 / 10_000.0;
        crate::i18n::tf(
            "{0}% of transmissions lost: TCP sends each again after about 200 ms and the messages behind it wait (late, not dropped)",
            &[&percent],
        )
    })
}

pub const IDEMPOTENT: &str = en("Idempotent producer (enable.idempotence): the producer numbers its batches, and the partition leader drops a batch it already has and refuses one that skips ahead, so retries write nothing twice and nothing out of order.");

/// The terms a system's pages use, in the order a learner meets them.
pub type Terms = &'static [(&'static str, &'static str)];

pub const KAFKA_TERMS: Terms = &[
    (en("ISR"), ISR),
    (en("HW"), HW),
    (en("LEO"), LEO),
    (en("epoch"), EPOCH),
    (en("ZooKeeper session"), SESSION),
    (en("group coordinator"), COORDINATOR),
    (en("generation"), GENERATION),
    (en("rebalance"), REBALANCE),
    (en("committed offset"), COMMITTED),
    (en("lag"), LAG),
];

/// KRaft mode's: no ZooKeeper session, a broker is fenced by the controller quorum instead.
pub const KAFKA_KRAFT_TERMS: Terms = &[
    (en("ISR"), ISR),
    (en("HW"), HW),
    (en("LEO"), LEO),
    (en("epoch"), EPOCH),
    (en("fenced broker"), FENCED),
    (en("group coordinator"), COORDINATOR),
    (en("generation"), GENERATION),
    (en("rebalance"), REBALANCE),
    (en("committed offset"), COMMITTED),
    (en("lag"), LAG),
];

pub const RABBITMQ_TERMS: Terms = &[
    (en("exchange"), EXCHANGE),
    (en("binding"), BINDING),
    (en("routing key"), ROUTING_KEY),
    (en("queue"), QUEUE),
    (en("ready / unacked"), READY_UNACKED),
    (en("prefetch"), PREFETCH),
    (en("ack"), ACK),
    (en("reject / nack"), REJECT),
    (en("redelivered"), REDELIVERED),
    (en("dead letter"), DEAD_LETTER),
    (en("publisher confirm"), CONFIRM),
];

pub const COMPARE_TERMS: Terms = &[
    (en("in order"), IN_ORDER),
    (en("competing consumers"), COMPETING),
    (en("partition by key"), PARTITION_KEY),
    (en("consumer group"), GROUP),
    (en("at-least-once"), AT_LEAST_ONCE),
    (en("redelivered"), REDELIVERED),
    (en("single active consumer"), SINGLE_ACTIVE),
    (en("idempotent producer"), IDEMPOTENT),
    (en("lossy link"), LOSSY_LINK),
];

#[cfg(test)]
mod loss_tests {
    #[test]
    fn a_lossy_link_says_its_loss_and_what_tcp_does_with_it() {
        assert_eq!(super::lossy_link(0), None);
        let two = super::lossy_link(20_000).unwrap();
        assert!(two.starts_with("2% of transmissions lost") && two.contains("200 ms"), "{two}");
        assert!(super::lossy_link(5_000).unwrap().starts_with("0.5% "));
    }
}
