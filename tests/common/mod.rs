//! Helpers shared by the integration tests (`mod common;`); Cargo does not build this folder as a
//! test of its own.

use brokerlab::engine::kafka::node::KafkaNode;
use brokerlab::engine::models::Node;
use brokerlab::engine::{NodeId, Simulation};

/// Every Kafka node `pick` keeps (say, the ZooKeeper servers or the KRaft controllers), with
/// its id, in node order.
pub fn kafka_nodes<'a, T: ?Sized>(
    sim: &'a Simulation,
    pick: impl Fn(&'a KafkaNode) -> Option<&'a T>,
) -> Vec<(NodeId, &'a T)> {
    sim.world()
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, slot)| match &slot.node {
            Node::Kafka(k) => pick(k).map(|t| (NodeId(i as u32), t)),
            _ => None,
        })
        .collect()
}

/// The records of `topic` (partitions `0..partitions`) that an ABORT marker of their producer ends
/// in the longest replica's log, as `(producer id, partition, offset)`.
#[allow(dead_code)]
pub fn aborted_records(sim: &Simulation, topic: u16, partitions: u16) -> Vec<(u32, u16, u64)> {
    use brokerlab::engine::kafka::log::RecordKind;
    use brokerlab::engine::kafka::msg::Tp;
    let brokers = kafka_nodes(sim, |k| match k {
        KafkaNode::Broker(b) => Some(b),
        _ => None,
    });
    let mut out = vec![];
    for p in 0..partitions {
        let tp = Tp { topic, partition: p };
        let Some(r) = brokers.iter().filter_map(|(_, b)| b.replicas.get(&tp)).max_by_key(|r| r.log.hw()) else {
            continue;
        };
        let mut open: std::collections::BTreeMap<u32, Vec<(u32, u16, u64)>> = Default::default();
        for rec in r.log.records().filter(|rec| rec.producer != 0) {
            match rec.kind {
                RecordKind::Transactional => open.entry(rec.producer).or_default().push((rec.producer, p, rec.offset)),
                RecordKind::Abort => out.extend(open.remove(&rec.producer).unwrap_or_default()),
                _ => {
                    open.remove(&rec.producer);
                }
            }
        }
    }
    out
}
