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
