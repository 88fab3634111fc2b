//! Racks on the page (KIP-392): a broker's `broker.rack` and a consumer's `client.rack` under
//! their names on the stage, and in their inspectors the rack, the replicas a consumer reads
//! from and how many bytes it fetched in its rack and across racks.

use crate::i18n::{t, tf};
use brokerlab_engine::kafka::node::KafkaNode;
use brokerlab_engine::models::Node;
use brokerlab_engine::{NodeId, World};

/// The rack of a Kafka broker or consumer, if the scenario gives it one.
pub fn node_rack(world: &World, id: NodeId) -> Option<&str> {
    let racks = &world.shared.kafka.as_ref()?.racks;
    match &world.nodes.get(id.index())?.node {
        Node::Kafka(KafkaNode::Broker(b)) => racks.of_broker(b.id).map(|r| racks.name(r)),
        Node::Kafka(KafkaNode::Consumer(c)) => c.rack.map(|r| racks.name(r)),
        _ => None,
    }
}

/// The stage's line under a node: "rack az-a".
pub fn stage_label(world: &World, id: NodeId) -> Option<String> {
    node_rack(world, id).map(|r| tf("rack {0}", &[&r]))
}

/// The broker inspector's line: its rack and whether leaders name followers to consumers.
pub fn broker_line(world: &World, id: NodeId) -> Option<String> {
    let rack = node_rack(world, id)?;
    let selector = world.shared.kafka.as_ref().is_some_and(|c| c.racks.selector);
    Some(if selector {
        tf("broker.rack {0}; RackAwareReplicaSelector: as a leader it sends consumers of another rack to a replica in theirs", &[&rack])
    } else {
        tf("broker.rack {0}; consumers read from leaders only (no replica.selector.class)", &[&rack])
    })
}

/// The consumer inspector's line: its rack, the follower it reads each partition from, and the
/// bytes it fetched in its rack and across racks.
pub fn consumer_line(world: &World, id: NodeId) -> Option<String> {
    let rack = node_rack(world, id)?;
    let c = crate::kafka::consumer(world, id)?;
    let partitions = world.shared.kafka.as_ref()?.topics.get(c.topic as usize)?.partitions;
    let replicas: Vec<String> =
        (0..partitions).filter_map(|p| c.read_replica(p).map(|b| format!("p{p} ← b{b}"))).collect();
    let from = if replicas.is_empty() { t("leaders only").to_string() } else { replicas.join(", ") };
    let (local, cross) = c.rack_bytes();
    Some(tf(
        "client.rack {0}; reads from followers: {1}; fetched {2} bytes in its rack, {3} bytes across racks",
        &[&rack, &from, &local, &cross],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::{presets, Simulation, Time};

    #[test]
    fn racks_show_on_brokers_and_consumers_with_what_a_consumer_reads_where() {
        let s = presets::load("kafka-racks").unwrap();
        let mut sim = Simulation::new(&s, 1).unwrap();
        sim.run_until(Time::secs(5));
        let w = sim.world();
        let b4 = w.node_by_name("b4").unwrap();
        let a = w.node_by_name("reader-a").unwrap();
        assert_eq!(node_rack(w, b4), Some("az-a"));
        assert_eq!(stage_label(w, a).as_deref(), Some("rack az-a"));
        assert!(broker_line(w, b4).unwrap().contains("RackAwareReplicaSelector"));
        let line = consumer_line(w, a).unwrap();
        assert!(
            line.contains("client.rack az-a") && line.contains("← b") && line.contains(", 0 bytes across racks"),
            "{line}"
        );
        // Without racks: nothing.
        let basic = presets::load("kafka-basic").unwrap();
        let sim = Simulation::new(&basic, 1).unwrap();
        let b1 = sim.world().node_by_name("b1").unwrap();
        assert_eq!(stage_label(sim.world(), b1), None);
    }
}
