//! What the stage shows of the brokers' resources (`brokerlab_engine::resources`), when the scenario has
//! them: each broker's CPU, disk and memory as three small gauges, publishers blocked by the
//! memory alarm, and queues paging message bodies to disk.

use crate::i18n::{en, t, tf};
use brokerlab_engine::kafka::node::KafkaNode;
use brokerlab_engine::models::Node;
use brokerlab_engine::rabbit::node::RabbitNode;
use brokerlab_engine::resources::{kafka, rabbit};
use brokerlab_engine::{NodeId, Time, World};

/// One gauge: how full (thousandths), whether it is in trouble, and what it says on hover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gauge {
    /// "CPU", "disk", "mem" (marked `en`: translate at display).
    pub label: &'static str,
    pub fill: u32,
    pub alarm: bool,
    pub title: String,
}

fn percent(fill: u32) -> String {
    format!("{}%", fill / 10)
}

/// A CPU's or a disk's gauge: its share of the last window, and the wait in front of it.
fn server_gauge(label: &'static str, util: u32, wait: Time) -> Gauge {
    Gauge {
        label,
        fill: util,
        alarm: util >= 1000,
        title: tf(
            "{0} busy {1} of the last 20 ms; a request arriving now waits {2} for it",
            &[&t(label), &percent(util), &wait],
        ),
    }
}

/// The gauges of broker node `id`, when it has resources (CPU, disk, memory).
pub fn gauges(world: &World, id: NodeId, now: Time) -> Option<[Gauge; 3]> {
    match &world.nodes.get(id.index())?.node {
        Node::Kafka(KafkaNode::Broker(b)) => {
            let cfg = b.cluster.resources.as_ref()?;
            let (cpu_wait, disk_wait) = kafka::backlog(b, now);
            let (cpu, disk) =
                b.res.as_ref().map_or((0, 0), |r| (r.station.cpu.utilisation(now), r.station.disk.utilisation(now)));
            let cache = kafka::page_cache_used(b, cfg);
            let total = cfg.page_cache_bytes().max(1);
            let fill = (cache * 1000 / total) as u32;
            let memory = Gauge {
                label: en("mem"),
                fill,
                alarm: false,
                title: tf(
                    "page cache {0} of {1} MB holds the newest log data; older data is read from disk",
                    &[&percent(fill), &cfg.page_cache_mb],
                ),
            };
            Some([server_gauge(en("CPU"), cpu, cpu_wait), server_gauge(en("disk"), disk, disk_wait), memory])
        }
        Node::Rabbit(RabbitNode::Broker(b)) => {
            let r = b.res.as_ref()?;
            let (cpu_wait, disk_wait) = rabbit::backlog(r, now);
            let watermark = r.cfg.watermark_bytes().max(1);
            let fill = (r.memory * 1000 / watermark).min(1000) as u32;
            let mb = |bytes: u64| format!("{:.1}", bytes as f64 / 1e6);
            let memory = Gauge {
                label: en("mem"),
                fill,
                alarm: r.alarm,
                title: match r.alarm {
                    true => tf(
                        "memory {0} MB, above the watermark ({1} MB): publishers are blocked",
                        &[&mb(r.memory), &mb(watermark)],
                    ),
                    false => tf(
                        "memory {0} MB of the {1} MB watermark (vm_memory_high_watermark); queues page to disk above {2} MB",
                        &[&mb(r.memory), &mb(watermark), &mb(r.cfg.paging_bytes())],
                    ),
                },
            };
            let util = |s: &brokerlab_engine::resources::Server| s.utilisation(now);
            let (cpu, disk) = (util(&r.station.cpu), util(&r.station.disk));
            Some([server_gauge(en("CPU"), cpu, cpu_wait), server_gauge(en("disk"), disk, disk_wait), memory])
        }
        _ => None,
    }
}

fn rabbit_res(world: &World) -> Option<&rabbit::RabbitRes> {
    world.nodes.iter().find_map(|s| match &s.node {
        Node::Rabbit(RabbitNode::Broker(b)) => b.res.as_deref(),
        _ => None,
    })
}

/// Is client `id` a publisher the RabbitMQ broker blocked (`connection.blocked`)?
pub fn blocked(world: &World, id: NodeId) -> bool {
    rabbit_res(world).is_some_and(|r| r.blocked.contains(&id))
}

/// Messages of `queue` whose bodies are paged out to disk now (0 without resources).
pub fn paged(world: &World, queue: u16) -> u32 {
    rabbit_res(world).and_then(|r| r.paged.get(queue as usize).copied()).unwrap_or(0)
}

/// The words the stage puts under a blocked publisher.
pub fn blocked_label() -> &'static str {
    t("blocked: memory alarm")
}

/// The mark of a paging queue.
pub fn paged_label(n: u32) -> String {
    tf("{0} paged to disk", &[&n])
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::{Scenario, Simulation};

    fn sim(json: &str) -> Simulation {
        Simulation::new(&Scenario::from_json(json).unwrap(), 1).unwrap()
    }

    const RABBIT: &str = r#"{"name":"r","until":"3s","rabbit":{"resources":{"memory_mb":4},
        "queues":[{"name":"q"}],
        "publishers":[{"id":"pub","routing_keys":["q"],"interval":"20us","count":20000,"size":1000}],
        "consumers":[{"id":"c","queue":"q","auto_ack":true,"start":"2s"}]}}"#;

    #[test]
    fn a_rabbit_broker_shows_its_alarm_a_blocked_publisher_and_a_paging_queue() {
        let mut s = sim(RABBIT);
        s.run_until(Time::ms(1500));
        let broker = NodeId(0);
        let publisher = NodeId(1);
        let g = gauges(s.world(), broker, s.now()).expect("a broker with resources has gauges");
        assert!(g[2].alarm && g[2].fill == 1000, "memory above the watermark: {:?}", g[2]);
        assert!(blocked(s.world(), publisher));
        assert!(paged(s.world(), 0) > 0, "the deep queue pages");
        s.run_until(Time::secs(3));
        assert!(!blocked(s.world(), publisher), "released once the consumer drained the queue");
    }

    #[test]
    fn without_resources_there_are_no_gauges() {
        let s = sim(r#"{"name":"r","rabbit":{"queues":[{"name":"q"}]}}"#);
        assert!(gauges(s.world(), NodeId(0), Time::ZERO).is_none());
        assert!(!blocked(s.world(), NodeId(0)));
    }

    #[test]
    fn a_saturated_kafka_broker_reads_full_cpu() {
        let mut s = sim(r#"{"name":"k","network":{"latency":"50us"},"kafka":{"brokers":1,"resources":{},
            "topics":[{"name":"t","partitions":4,"replication_factor":1}],
            "producers":[{"id":"p","topic":"t","interval":"10us","keys":0,"batch_size":100,"linger":"0ms","max_in_flight":5}]}}"#);
        s.run_until(Time::secs(1));
        let b = s.world().nodes.iter().position(|n| n.name == "b1").unwrap();
        let g = gauges(s.world(), NodeId(b as u32), s.now()).unwrap();
        assert!(g[0].fill > 500, "one record per request keeps the CPU busy: {:?}", g[0]);
    }
}
