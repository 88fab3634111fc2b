//! ZooKeeper mode's controller-to-broker requests (`ControllerChannelManager`): a LeaderAndIsr
//! lost to a cut link is sent again once the link carries it, as Kafka's per-broker
//! `RequestSendThread` does — it waits for the answer up to `controller.socket.timeout.ms`
//! (30 s), reconnects and sends the same request again, for as long as the broker is alive.

use brokerlab::engine::kafka::broker::Broker;
use brokerlab::engine::kafka::node::KafkaNode;
use brokerlab::engine::models::Node;
use brokerlab::engine::{Command, NodeId, Scenario, Simulation, Time};

fn brokers(sim: &Simulation) -> Vec<(NodeId, &Broker)> {
    sim.world()
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match &s.node {
            Node::Kafka(KafkaNode::Broker(b)) => Some((NodeId(i as u32), &**b)),
            _ => None,
        })
        .collect()
}

/// The controller C is cut from broker X; broker L dies, and the controller moves L's partitions
/// (to C or X) — the LeaderAndIsr for X is lost. The link heals at 10 s.
fn run(until: Time) -> (Simulation, NodeId) {
    let json = r#"{"name":"cut from the controller","seed":1,"until":"60s","kafka":{"brokers":3,"session_timeout":"2s",
        "replica_lag_time_max":"1s","auto_leader_rebalance_enable":false,
        "topics":[{"name":"t","partitions":3,"replication_factor":3,"min_insync_replicas":2}],
        "producers":[{"id":"p","topic":"t","interval":"50ms","acks":"all","keys":6}]}}"#;
    let s = Scenario::from_json(json).unwrap();
    let mut sim = Simulation::new(&s, 1).unwrap();
    sim.run_until(Time::secs(2));
    let all = brokers(&sim);
    let c = all.iter().find(|(_, b)| b.controller.is_some()).expect("a controller").0;
    let others: Vec<NodeId> = all.iter().map(|(n, _)| *n).filter(|&n| n != c).collect();
    let (x, l) = (others[0], others[1]);
    sim.apply(Command::Cut { a: c, b: x }).unwrap();
    sim.apply(Command::Stop { node: l }).unwrap();
    sim.run_until(Time::secs(10));
    sim.apply(Command::Heal { a: c, b: x }).unwrap();
    sim.run_until(until);
    (sim, x)
}

/// The partitions where x's replica is not in the controller's leader epoch.
fn stale(sim: &Simulation, x: NodeId) -> Vec<u16> {
    let all = brokers(sim);
    let controller = all.iter().find_map(|(_, b)| b.controller.as_ref()).expect("a controller");
    let xb = all.iter().find(|(n, _)| *n == x).unwrap().1;
    controller
        .partitions
        .iter()
        .filter(|(tp, v)| tp.topic == 0 && xb.replicas[*tp].epoch != v.leader_epoch)
        .map(|(tp, _)| tp.partition)
        .collect()
}

#[test]
fn a_leader_and_isr_lost_to_a_cut_link_is_sent_again() {
    // Healed at 10 s, x still has not heard: the lost request waits out its 30 s.
    let (sim, x) = run(Time::secs(20));
    assert!(!stale(&sim, x).is_empty(), "x missed a LeaderAndIsr while cut off");
    // Sent again after controller.socket.timeout.ms: x follows the controller's state.
    let (sim, x) = run(Time::secs(60));
    assert_eq!(stale(&sim, x), Vec::<u16>::new());
}
