//! The stories of the comparison: each preset is a workload and the reason its result is what it
//! is, in terms of the two architectures (exchange → binding → queue → competing consumers, vs
//! topic → partition by key → one consumer of the group per partition).

use super::stage::Stage;
use super::{ConsumerFault, FaultAction, KafkaLane, RabbitLane, Workload};
use crate::kafka::processor::config::Guarantee;
use crate::time::Time;

pub struct Preset {
    pub slug: &'static str,
    /// "1", "2", … "5a", "5b", "6": the numbering.
    pub number: &'static str,
    pub title: &'static str,
    pub why: &'static str,
    pub workload: fn() -> Workload,
}

/// The common base: four customers, twelve messages each, a message every millisecond, 2 to 8 ms
/// of work each: three consumers cannot quite keep up, so messages wait in their buffers, as in
/// a busy system. (Four customers on three consumers: with as many customers as consumers,
/// round-robin would hand each customer to one consumer by coincidence.)
fn base() -> Workload {
    Workload {
        customers: 4,
        messages: 20,
        interval: Time::ms(1),
        consumers: 3,
        processing: Time::ms(2),
        processing_jitter: Time::ms(6),
        kafka: KafkaLane { partitions: 4, ..KafkaLane::default() },
        rabbit: RabbitLane::default(),
        faults: vec![],
        until: Time::secs(30),
        stage: None,
    }
}

fn one_consumer() -> Workload {
    Workload { consumers: 1, ..base() }
}

fn competing() -> Workload {
    base()
}

/// Consumers just about keep up (a backlog builds in their prefetch buffers), so c1 holds
/// unacknowledged messages when it dies; Kafka commits every 200 ms.
fn crash() -> Workload {
    Workload {
        messages: 45,
        interval: Time::ms(5),
        processing: Time::ms(15),
        processing_jitter: Time::ms(10),
        kafka: KafkaLane { partitions: 4, auto_commit_interval: Time::ms(200), ..KafkaLane::default() },
        faults: vec![
            ConsumerFault { at: Time::ms(1_000), action: FaultAction::Crash, consumer: 1 },
            ConsumerFault { at: Time::secs(4), action: FaultAction::Restart, consumer: 1 },
        ],
        ..base()
    }
}

fn retries() -> Workload {
    Workload {
        customers: 2,
        messages: 150,
        interval: Time::ms(1),
        consumers: 1,
        processing: Time(200),
        processing_jitter: Time::ZERO,
        kafka: KafkaLane {
            partitions: 2,
            idempotence: false,
            linger: Time::ZERO,
            producer_loss_ppm: 60_000,
            request_timeout: Time::ms(100),
            ..KafkaLane::default()
        },
        ..base()
    }
}

/// One stage instance between the producer and the reader, crashing inside a batch at 0.8 s
/// (records flow from 0.5 s to 1 s) and back at 1.5 s.
fn exactly_once() -> Workload {
    Workload {
        customers: 4,
        messages: 25,
        interval: Time::ms(1),
        consumers: 1,
        processing: Time::ms(2),
        processing_jitter: Time::ms(2),
        kafka: KafkaLane { auto_commit_interval: Time::ms(200), ..KafkaLane::default() },
        faults: vec![
            ConsumerFault { at: Time::ms(700), action: FaultAction::Crash, consumer: 1 },
            ConsumerFault { at: Time::ms(1_500), action: FaultAction::Restart, consumer: 1 },
        ],
        stage: Some(Stage { guarantee: Guarantee::ExactlyOnceV2, batch: 10 }),
        ..base()
    }
}

fn single_active() -> Workload {
    Workload { rabbit: RabbitLane { single_active_consumer: true, ..RabbitLane::default() }, ..base() }
}

fn queue_per_customer() -> Workload {
    Workload { rabbit: RabbitLane { queue_per_consumer: true, ..RabbitLane::default() }, ..base() }
}

fn throughput() -> Workload {
    Workload {
        customers: 8,
        messages: 50,
        interval: Time(500),
        consumers: 4,
        processing: Time::ms(2),
        processing_jitter: Time::ms(2),
        kafka: KafkaLane { partitions: 8, ..KafkaLane::default() },
        ..base()
    }
}

pub const PRESETS: &[Preset] = &[
    Preset {
        slug: "one-consumer",
        number: "1",
        title: "One consumer: both keep order",
        why: "With a single consumer there is nobody to race. RabbitMQ's queue is FIFO and hands the \
              messages to its one consumer in publish order; Kafka's one group member owns every \
              partition and reads each partition's log in offset order. Processing is one message at a \
              time, so each customer's messages are processed in the order they were published.",
        workload: one_consumer,
    },
    Preset {
        slug: "competing-consumers",
        number: "2",
        title: "Competing consumers: RabbitMQ spreads a customer over consumers",
        why: "RabbitMQ: the exchange routes every message through its binding into one queue, and the \
              queue deals its messages round-robin to the consumers (up to their prefetch). Customer A's \
              messages 1, 2, 3 go to three different consumers; with uneven processing times the later \
              one can finish first. Kafka: the key picks the partition (murmur2(key) % partitions), and \
              the group gives each partition to exactly one member, so all of a customer's messages are \
              processed by one consumer, in log order. Kafka's parallelism is per partition, RabbitMQ's \
              per message.",
        workload: competing,
    },
    Preset {
        slug: "consumer-crash",
        number: "3",
        title: "A consumer crashes mid-stream",
        why: "c1 crashes at 1 s and comes back at 4 s. RabbitMQ (one shared queue): the broker sees the \
              connection drop and requeues c1's unacknowledged messages at their old positions; the \
              other consumers get them, flagged redelivered, after they have already worked through \
              later messages of the same customers sitting in their prefetch buffers: out of order. \
              Kafka: nobody notices the crash until the session timeout (2 s here, 45 s by default); \
              then the group rebalances and c1's partitions move to another member, which starts at the \
              last committed offset (auto-commit every 200 ms here). What c1 processed after its last \
              commit is processed again: duplicates, but in order, because the partition is re-read in \
              sequence.",
        workload: crash,
    },
    Preset {
        slug: "producer-retries",
        number: "4",
        title: "Kafka producer retries without idempotence",
        why: "6% of the transmissions on the producer's link are lost (Kafka lane only). TCP sends a lost \
              request or answer again after about 200 ms and holds what follows it on that \
              connection. request.timeout.ms is 100 ms here (Kafka's default is 30 s), shorter than \
              TCP's retransmission timeout: the producer gives up on requests that were only late, \
              closes its connection and sends every request it had in flight to that broker again, on \
              a new connection that waits for nothing of the old one. With idempotence off and 5 \
              requests in flight, the retries can be written before the late first attempt of an \
              earlier batch, so records land after later ones (out of order); and the first \
              attempts, which TCP still delivers, are written a second time (duplicates). Tick \
              idempotence: the broker checks each batch's producer id and sequence number, refuses \
              one that skips ahead and drops one it already has, so the log holds every message \
              once, in order.",
        workload: retries,
    },
    Preset {
        slug: "exactly-once-processing",
        number: "4b",
        title: "Exactly-once processing: a stage crashes mid-batch",
        why: "c1, the stage's one instance, reads orders, works 2 to 4 ms on each record and writes it \
              to orders-out, which a reader reads. 100 records arrive from 0.5 s, one a millisecond, \
              faster than c1 works, so it works in batches of up to 10. It crashes at 0.7 s in the \
              middle of a batch and comes back at 1.5 s. Kafka (processing.guarantee \
              exactly_once_v2, KIP-447): each batch is one transaction, its output records and its \
              consumed offsets (sendOffsetsToTransaction) together. The crash leaves one open; the \
              restarted c1's InitProducerId makes the coordinator abort it (ABORT markers in \
              orders-out). The group rebalances once the crashed member's session has \
              timed out (2 s here), and c1 starts again from the committed offsets: it processes the \
              aborted batch again, and the reader, read_committed, skips the aborted records. Every \
              input record is in the output once: no duplicates, none lost. RabbitMQ, as applications \
              do it: manual acks, publisher confirms, each input acknowledged after its output's \
              confirm, up to 10 in one multiple ack (prefetch 10). The inputs c1 held unacknowledged go back to \
              the queue when its connection drops, flagged redelivered; c1 works on them again after \
              its restart, and those whose outputs had already reached orders-out are written there \
              twice: duplicates, none lost. RabbitMQ has no transaction spanning a consume and a \
              publish: its tx class makes a channel's publishes and acks take effect at commit \
              (consuming itself is not transactional), and RabbitMQ documents it as atomic neither \
              within one queue nor across queues, closer to batching than to ACID; the model leaves it \
              out. Removing the duplicates is left to whoever reads the output (by message id, for \
              instance). Set \"guarantee\": \"at_least_once\" in the workload's stage and run again: \
              Kafka's stage then flushes its output and commits its offsets every 200 ms \
              (kafka.auto_commit_interval here, Kafka Streams' commit.interval.ms) with no \
              transaction, and the crash writes again what c1 processed since its last commit: \
              duplicates in the Kafka lane too.",
        workload: exactly_once,
    },
    Preset {
        slug: "single-active-consumer",
        number: "5a",
        title: "RabbitMQ with x-single-active-consumer: order back, one consumer works",
        why: "x-single-active-consumer makes the queue deliver to one consumer at a time; the others \
              wait as hot standbys. Order is restored because there is again a single consumer per \
              queue — and so is its throughput: the other consumers sit idle, so everything takes as \
              long as one consumer needs. Kafka gets per-key order with all consumers busy, as long as \
              there are enough partitions and keys.",
        workload: single_active,
    },
    Preset {
        slug: "queue-per-customer",
        number: "5b",
        title: "RabbitMQ with one queue per customer: Kafka's partitioning rebuilt by hand",
        why: "Each customer's key is bound to its own queue (customer k → queue k mod C), each with one \
              consumer: the same shape as Kafka's key → partition → one member. Order is restored and \
              all consumers work, at the cost of topology you maintain yourself: adding a consumer means \
              new queues and new bindings, and a crashed consumer's queue simply waits for it.",
        workload: queue_per_customer,
    },
    Preset {
        slug: "throughput",
        number: "6",
        title: "Throughput under the same load: consumer parallelism",
        why: "2 000 messages/s for 8 customers, 4 consumers that each manage about 330/s. RabbitMQ's \
              competing consumers share one queue, so the work spreads evenly over all four (and order \
              per customer is lost). Kafka's work spreads by key: murmur2 puts the 8 keys on the 8 \
              partitions unevenly, the assignor gives each member 2 partitions, and the busiest member \
              decides when the run finishes. These numbers come from the model (processing time, \
              network latency, batching), not from real brokers: they show shapes, not benchmarks. \
              This story measures consumer parallelism — how the processing work is spread over \
              the consumers — not broker speed: here the brokers spend no CPU, disk or memory. \
              Where broker throughput comes from is in the performance stories below.",
        workload: throughput,
    },
];

pub fn by_slug(slug: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.slug == slug || p.number == slug)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_preset_is_valid() {
        for p in super::PRESETS {
            (p.workload)().validate().unwrap_or_else(|e| panic!("{}: {e}", p.slug));
        }
    }
}
