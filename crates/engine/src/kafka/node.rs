//! The Kafka node kinds, dispatched as one enum (as the registry's `Node` does for all models).

use super::broker::Broker;
use super::cluster::Cluster;
use super::config::KafkaSpec;
use super::consumer::Consumer;
use super::kraft::quorum_controller::QuorumController;
use super::msg::KafkaMsg;
use super::processor::Processor;
use super::producer::Producer;
use super::zk_server::ZkServer;
use super::{Ctx, Kafka, KafkaTimer};
use crate::kernel::{Leaving, Process};
use crate::time::Time;
use crate::NodeId;
use std::rc::Rc;

/// The cluster's nodes, named and in order (`zk` or `zk1`…`zkN` or KRaft's `ctl1`…`ctlN`, `b1`…`bN`, producers, consumers), numbered from
/// `first_node` in the simulation.
pub fn build(spec: &KafkaSpec, first_node: u32) -> (Rc<Cluster>, Vec<(String, KafkaNode)>) {
    let cluster = Rc::new(Cluster::new(spec, first_node));
    // ZooKeeper checks for expired sessions every tick; a tenth of the session timeout here.
    let tick = (spec.session_timeout() / 10).max(Time::ms(1));
    let topics: Vec<String> = cluster.topics.iter().map(|t| t.name.clone()).collect();
    let mut nodes: Vec<(String, KafkaNode)> = match spec.coordinators() {
        // KRaft mode: the controller quorum in place of ZooKeeper.
        0 => (spec.coordinator_names().into_iter().zip(1u8..))
            .map(|(name, id)| (name, KafkaNode::Controller(Box::new(QuorumController::new(id, cluster.clone())))))
            .collect(),
        1 => vec![("zk".to_string(), KafkaNode::Zk(ZkServer::new(tick).with_topics(topics.clone())))],
        _ => (spec.coordinator_names().into_iter().zip(1u8..))
            .map(|(name, id)| {
                let server = ZkServer::in_ensemble(tick, id, cluster.zks.clone()).with_topics(topics.clone());
                (name, KafkaNode::Zk(server))
            })
            .collect(),
    };
    let combined = spec.combined_brokers();
    let separate = spec.separate_metadata_nodes();
    for b in 1..=spec.brokers {
        let mut broker = Broker::new(b, cluster.clone());
        if let Some(i) = combined.iter().position(|&c| c == b) {
            // Combined (`process.roles=broker,controller`): the voters after the controller nodes.
            let id = (separate as usize + i + 1) as u8;
            broker.quorum = Some(Box::new(QuorumController::new(id, cluster.clone())));
        }
        nodes.push((format!("b{b}"), KafkaNode::Broker(Box::new(broker))));
    }
    let topic = |name: &str| spec.topics.iter().position(|t| t.name == name).expect("validated") as u16;
    for p in &spec.producers {
        let producer =
            Producer::new(cluster.clone(), topic(&p.topic), p.settings()).with_txn(p.txn_settings(&cluster.txn_ids));
        nodes.push((p.id.clone(), KafkaNode::Producer(Box::new(producer))));
    }
    for c in &spec.consumers {
        let group = c.group.as_ref().and_then(|g| spec.groups.iter().position(|s| &s.id == g)).map(|i| i as u8);
        let consumer = Consumer::new(cluster.clone(), &c.id, topic(&c.topic), group)
            .with_instance(c.group_instance_id.clone())
            .with_processing(c.processing, c.processing_jitter)
            .with_rack(c.client_rack.as_deref())
            .with_read_committed(c.isolation_level == Some(super::txn::config::IsolationLevel::ReadCommitted));
        nodes.push((c.id.clone(), KafkaNode::Consumer(Box::new(consumer))));
    }
    for p in &spec.processors {
        let group = spec.groups.iter().position(|g| g.id == p.group).expect("validated") as u8;
        let processor = Processor::build(cluster.clone(), p, topic(&p.input), topic(&p.output), group);
        nodes.push((p.id.clone(), KafkaNode::Processor(Box::new(processor))));
    }
    (cluster, nodes)
}

#[derive(Clone, Debug)]
pub enum KafkaNode {
    Zk(ZkServer),
    /// KRaft mode: a controller of the metadata quorum.
    Controller(Box<QuorumController>),
    Broker(Box<Broker>),
    Producer(Box<Producer>),
    Consumer(Box<Consumer>),
    /// A consume-transform-produce application (`processor`).
    Processor(Box<Processor>),
}

impl KafkaNode {
    /// The consumer of a consumer node, or of a processor.
    pub fn consumer(&self) -> Option<&Consumer> {
        match self {
            KafkaNode::Consumer(c) => Some(c),
            KafkaNode::Processor(p) => Some(&p.consumer),
            _ => None,
        }
    }

    /// The producer of a producer node, or of a processor.
    pub fn producer(&self) -> Option<&Producer> {
        match self {
            KafkaNode::Producer(p) => Some(p),
            KafkaNode::Processor(p) => Some(&p.producer),
            _ => None,
        }
    }
}

impl KafkaNode {
    /// The KRaft controller this node runs: a controller node's, or in combined mode the one in a
    /// broker's process.
    pub fn quorum(&self) -> Option<&QuorumController> {
        match self {
            KafkaNode::Controller(c) => Some(c),
            KafkaNode::Broker(b) => b.quorum.as_deref(),
            _ => None,
        }
    }
}

impl Process<Kafka> for KafkaNode {
    fn role(&self) -> &'static str {
        match self {
            KafkaNode::Zk(_) => "zookeeper",
            KafkaNode::Controller(_) => "kraft-controller",
            KafkaNode::Broker(_) => "broker",
            KafkaNode::Producer(_) => "producer",
            KafkaNode::Consumer(_) => "consumer",
            KafkaNode::Processor(_) => "processor",
        }
    }
    fn on_start(&mut self, ctx: &mut Ctx) {
        match self {
            KafkaNode::Zk(n) => n.on_start(ctx),
            KafkaNode::Controller(n) => n.on_start(ctx),
            KafkaNode::Broker(n) => n.on_start(ctx),
            KafkaNode::Producer(n) => n.on_start(ctx),
            KafkaNode::Consumer(n) => n.on_start(ctx),
            KafkaNode::Processor(n) => n.on_start(ctx),
        }
    }
    fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: KafkaMsg) {
        match self {
            KafkaNode::Zk(n) => n.on_message(ctx, from, msg),
            KafkaNode::Controller(n) => n.on_message(ctx, from, msg),
            KafkaNode::Broker(n) => crate::resources::kafka::on_message(n, ctx, from, msg),
            KafkaNode::Producer(n) => n.on_message(ctx, msg),
            KafkaNode::Consumer(n) => n.on_message(ctx, msg),
            KafkaNode::Processor(n) => n.on_message(ctx, msg),
        }
    }
    fn on_timer(&mut self, ctx: &mut Ctx, timer: KafkaTimer) {
        match self {
            KafkaNode::Zk(n) => n.on_timer(ctx, timer),
            KafkaNode::Controller(n) => n.on_timer(ctx, timer),
            KafkaNode::Broker(n) => crate::resources::kafka::on_timer(n, ctx, timer),
            KafkaNode::Producer(n) => n.on_timer(ctx, timer),
            KafkaNode::Consumer(n) => n.on_timer(ctx, timer),
            KafkaNode::Processor(n) => n.on_timer(ctx, timer),
        }
    }
    fn on_disconnect(&mut self, ctx: &mut Ctx, peer: NodeId) {
        match self {
            KafkaNode::Zk(n) => n.on_disconnect(ctx, peer),
            // Raft needs no connection state: silence is noticed by its deadlines.
            KafkaNode::Controller(_) => {}
            KafkaNode::Broker(n) => n.on_disconnect(ctx, peer),
            KafkaNode::Producer(n) => n.on_disconnect(ctx, peer),
            KafkaNode::Consumer(n) => n.on_disconnect(ctx, peer),
            KafkaNode::Processor(n) => n.on_disconnect(ctx, peer),
        }
    }
    fn on_leave(&mut self, ctx: &mut Ctx) -> Leaving {
        match self {
            KafkaNode::Consumer(n) => {
                n.on_leave(ctx);
                Leaving::Now
            }
            KafkaNode::Processor(n) => {
                n.on_leave(ctx);
                Leaving::Now
            }
            KafkaNode::Broker(n) => n.on_leave(ctx),
            _ => Leaving::Now,
        }
    }
    fn has_left(&self) -> bool {
        match self {
            KafkaNode::Broker(n) => n.has_left(),
            _ => true,
        }
    }
    fn on_crash(&mut self) {
        match self {
            KafkaNode::Zk(n) => n.on_crash(),
            KafkaNode::Controller(n) => n.on_crash(),
            KafkaNode::Broker(n) => n.on_crash(),
            KafkaNode::Producer(n) => n.on_crash(),
            KafkaNode::Consumer(n) => n.on_crash(),
            KafkaNode::Processor(n) => n.on_crash(),
        }
    }
}
