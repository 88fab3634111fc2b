//! The page's model plug-ins, chosen in one place. Each model has a view (`relay`, `kafka`,
//! `rabbit`) that says, for one of its nodes, which links the stage draws, what the inspector shows
//! and which faults of the model's own it offers; and, for the system a scenario runs, the stage's
//! hint, the editor's note on the model, the walkthroughs, the charts and the calculator. The page
//! never asks which model it shows: it asks this module, and only this module matches on models.
//!
//! Adding a model's view: a file here implementing `ModelView` for its node type, one arm in each
//! `match` below, and its `Family` facts.

mod kafka;
mod rabbit;
mod relay;

use crate::i18n::{en, t, tf};
use crate::series::{Meters, RATE_LINES, SETTLE_LINES};
use crate::walk::Variant;
use brokerlab_engine::models::Node;
use brokerlab_engine::{Command, NodeId, Time, World};

/// One piece of an inspector: a sentence, a table, or preformatted text (folded when `summary`).
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Text { id: Option<&'static str>, text: String },
    Table { id: &'static str, head: Vec<Cell>, rows: Vec<Row> },
    Pre { id: &'static str, class: Option<&'static str>, text: String, summary: Option<&'static str> },
}

/// A table cell with its tooltip (a glossary sentence) and CSS class.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Cell {
    pub text: String,
    pub hint: Option<&'static str>,
    pub class: Option<&'static str>,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell { text: text.into(), ..Cell::default() }
    }
    pub fn hint(mut self, hint: &'static str) -> Cell {
        self.hint = Some(hint);
        self
    }
    pub fn class(mut self, class: Option<&'static str>) -> Cell {
        self.class = class;
        self
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Row {
    pub class: Option<&'static str>,
    pub cells: Vec<Cell>,
}

/// A fault of a model's own that the inspector offers for a node, beside stop, isolate and slow.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeAction {
    /// The button's element id (the end-to-end tests find it by this).
    pub id: &'static str,
    /// The button's words and tooltip, in English (`i18n::en`): the page translates them.
    pub label: &'static str,
    pub hint: &'static str,
    pub commands: Vec<Command>,
}

/// What the page shows of one model's nodes.
pub trait ModelView {
    type Node;
    /// The links the stage draws from `me`: who talks to whom in the model.
    fn links(world: &World, me: NodeId, node: &Self::Node, out: &mut Vec<(NodeId, NodeId)>);
    /// The inspector's account of the node's state.
    fn inspect(world: &World, me: NodeId, node: &Self::Node) -> Vec<Block>;
    /// The model's own faults the inspector offers for the node.
    fn actions(_world: &World, _me: NodeId, _node: &Self::Node) -> Vec<NodeAction> {
        vec![]
    }
}

/// `dispatch!(node, V, n => body)`: `body` with `n` the model's node and `V` its view.
macro_rules! dispatch {
    ($node:expr, $v:ident, $n:ident => $body:expr) => {
        match $node {
            Node::Relay($n) => {
                type $v = relay::Relay;
                $body
            }
            Node::Kafka($n) => {
                type $v = kafka::Kafka;
                $body
            }
            Node::Rabbit($n) => {
                type $v = rabbit::Rabbit;
                $body
            }
        }
    };
}

/// Every link the stage draws.
pub fn links(world: &World) -> Vec<(NodeId, NodeId)> {
    let mut out = vec![];
    for (i, slot) in world.nodes.iter().enumerate() {
        let me = NodeId(i as u32);
        dispatch!(&slot.node, V, n => V::links(world, me, n, &mut out));
    }
    out
}

/// The inspector's account of node `id`.
pub fn inspect(world: &World, id: NodeId) -> Vec<Block> {
    world.nodes.get(id.index()).map_or(vec![], |slot| dispatch!(&slot.node, V, n => V::inspect(world, id, n)))
}

/// The model's own faults for node `id`.
pub fn actions(world: &World, id: NodeId) -> Vec<NodeAction> {
    world.nodes.get(id.index()).map_or(vec![], |slot| dispatch!(&slot.node, V, n => V::actions(world, id, n)))
}

/// Which system a run shows, for what the page says and draws around the stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Relay,
    Kafka,
    Rabbit,
}

/// A walkthrough the page offers: its button's label and tooltip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkDoor {
    pub label: &'static str,
    pub hint: &'static str,
    pub variant: Variant,
}

/// A chart the page draws: its title, tooltip, axis label, and which series it plots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chart {
    pub title: &'static str,
    pub tip: &'static str,
    pub y: &'static str,
    series: Plot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plot {
    Rates,
    Latency,
    Depth,
    Settles,
    Lag,
    Replication,
}

/// One line of a chart: `(simulated ms, value)` points in a colour of the page's palette.
pub struct ChartLine {
    pub label: String,
    /// An index into the page's colour-blind-safe palette (the constants below).
    pub colour: usize,
    pub points: Vec<(f64, f64)>,
}

const THROUGHPUT: Chart = Chart {
    title: en("Throughput"),
    tip: en("Records published, consumed and lost per second of simulated time"),
    y: en("records/s"),
    series: Plot::Rates,
};
const LATENCY: Chart = Chart {
    title: en("End-to-end latency"),
    tip: en("From publish to consumer, per time bucket: median and 99th percentile"),
    y: en("end-to-end ms"),
    series: Plot::Latency,
};
const DEPTH: Chart = Chart {
    title: en("Queue depth"),
    tip: en("Messages ready in all queues, and delivered but not yet acknowledged"),
    y: en("messages in queues"),
    series: Plot::Depth,
};
const SETTLES: Chart = Chart {
    title: en("Acks and dead letters"),
    tip: en("Messages acknowledged, rejected (nack/reject) and dead-lettered per second"),
    y: en("messages/s"),
    series: Plot::Settles,
};
const LAG: Chart =
    Chart { title: en("Consumer lag"), tip: crate::glossary::LAG, y: en("records behind"), series: Plot::Lag };
const REPLICATION: Chart = Chart {
    title: en("Replication"),
    tip: crate::glossary::UNDER_REPLICATED,
    y: en("partitions / replicas"),
    series: Plot::Replication,
};

impl Chart {
    /// The chart's lines from the session's series.
    pub fn lines(&self, m: &Meters, world: &World) -> Vec<ChartLine> {
        match self.series {
            Plot::Rates => {
                let colours = [BLUE, GREEN, VERMILLION];
                (0..3).map(|i| line(t(RATE_LINES[i]), colours[i], m.rates.rates(i))).collect()
            }
            Plot::Latency => {
                vec![line("p50", GREEN, m.latency.percentile(500)), line("p99", VERMILLION, m.latency.percentile(990))]
            }
            Plot::Depth => vec![line("ready", BLUE, m.depth.line(0)), line("unacked", ORANGE, m.depth.line(1))],
            Plot::Settles => {
                let colours = [GREEN, ORANGE, VERMILLION];
                (0..3).map(|i| line(t(SETTLE_LINES[i]), colours[i], m.settles.rates(i))).collect()
            }
            Plot::Lag => {
                let groups = world.shared.kafka.as_ref().map_or(&[][..], |c| &c.groups[..]);
                let colours = [BLUE, ORANGE, PURPLE, SKY];
                (0..groups.len().min(4))
                    .map(|g| line(tf("lag {0}", &[&groups[g].name]), colours[g], m.lag.line(g)))
                    .collect()
            }
            Plot::Replication => vec![
                line(t("under-replicated"), ORANGE, m.replication.line(0)),
                line(t("offline"), VERMILLION, m.replication.line(1)),
                line(t("avg ISR size"), BLUE, m.replication.line(2)),
            ],
        }
    }
}

pub const BLUE: usize = 0;
pub const GREEN: usize = 1;
pub const VERMILLION: usize = 2;
pub const ORANGE: usize = 3;
pub const PURPLE: usize = 4;
pub const SKY: usize = 5;

fn line(label: impl Into<String>, colour: usize, points: Vec<(Time, f64)>) -> ChartLine {
    ChartLine {
        label: label.into(),
        colour,
        points: points.into_iter().map(|(t, y)| (t.0 as f64 / 1_000.0, y)).collect(),
    }
}

impl Family {
    pub fn of(world: &World) -> Family {
        if world.shared.kafka.is_some() {
            Family::Kafka
        } else if crate::rabbit::broker(world).is_some() {
            Family::Rabbit
        } else {
            Family::Relay
        }
    }

    /// The hint in the stage's legend (KRaft mode adds its own, `kraft::stage_hint`).
    pub fn stage_hint(self, world: &World) -> &'static str {
        match self {
            Family::Kafka if crate::kraft::is_kraft(world) => t("colour = partition, grey = controller and metadata traffic · under each broker its replicas: filled and ringed = leader (the ring moves on an election), dashed = out of the ISR · click a node or a link to inject a fault"),
            Family::Kafka => t("colour = partition, grey = ZooKeeper and controller traffic · under each broker its replicas: filled and ringed = leader (the ring moves on an election), dashed = out of the ISR · a ZooKeeper ensemble's leader is ringed green, with its quorum (servers serving under it) · click a node or a link to inject a fault"),
            Family::Rabbit | Family::Relay => t("colour = producer · click a node or a link to inject a fault"),
        }
    }

    /// What the model is, and what it leaves out, under the scenario editor (KRaft mode adds its
    /// own list, `kraft::model_note`, so here it names no ZooKeeper).
    pub fn model_note(self, world: &World) -> &'static str {
        match self {
            Family::Kafka if crate::kraft::is_kraft(world) => t("The Kafka model: brokers with replicated partitions, batching idempotent producers that send one request per broker with the batches of several partitions, consumers that fetch all their partitions at a broker in one request, consumer groups (rebalances, commits, lag), retention and compaction; the metadata in KRaft mode, as below. Simplified: a consumer's fetch lists every partition each time (no fetch session), exactly-once processors committing one transaction per poll batch, group membership not persisted (see the README). Edit the JSON (format: scenarios/README.md) and apply it."),
            Family::Kafka => t("The Kafka model (ZooKeeper era): a coordinator (or an ensemble), brokers with replicated partitions and a controller, batching idempotent producers that send one request per broker with the batches of several partitions, consumers that fetch all their partitions at a broker in one request, consumer groups (rebalances, commits, lag), retention and compaction, transactions and exactly-once processors. Simplified: a consumer's fetch lists every partition each time (no fetch session), exactly-once processors committing one transaction per poll batch, group membership not persisted (see the README). Edit the JSON (format: scenarios/README.md) and apply it."),
            Family::Rabbit => t("The RabbitMQ model: one broker or a cluster of 3 or 5 nodes (vhost /; classic queues, quorum queues replicated on Raft, and streams), exchanges and bindings, queues with their x-arguments, consumers with prefetch and acks, publisher confirms. Simplified: a classic queue lives on one node, one channel per client, classic queues confirm at enqueue (see the README). Edit the JSON (format: scenarios/README.md) and apply it."),
            Family::Relay => t("The kernel's relay model: producers → a relay broker → consumers, with no storage and no retries. Edit the JSON (format: scenarios/README.md) and apply it."),
        }
    }

    /// The terms the help explains for this system (the relay model, the kernel's own, has none).
    pub fn glossary(self, world: &World) -> crate::glossary::Terms {
        match self {
            Family::Kafka if crate::kraft::is_kraft(world) => crate::glossary::KAFKA_KRAFT_TERMS,
            Family::Kafka => crate::glossary::KAFKA_TERMS,
            Family::Rabbit => crate::glossary::RABBITMQ_TERMS,
            Family::Relay => &[],
        }
    }

    /// Whether Kafka's "which partition?" calculator belongs beside the stage.
    pub fn partition_calculator(self) -> bool {
        self != Family::Rabbit
    }

    /// The walkthroughs' title and their two doors (follow one; the same with a failure), in
    /// English: the page translates them.
    pub fn walks(self) -> Option<(&'static str, [WalkDoor; 2])> {
        match self {
            Family::Kafka => Some((en("Step through Kafka's flow: "), kafka::WALKS)),
            Family::Rabbit => Some((en("Step through RabbitMQ's flow: "), rabbit::WALKS)),
            Family::Relay => None,
        }
    }

    /// The charts: throughput and latency for every system, then the family's own.
    pub fn charts(self) -> &'static [Chart] {
        match self {
            Family::Relay => &[THROUGHPUT, LATENCY],
            Family::Kafka => &[THROUGHPUT, LATENCY, LAG, REPLICATION],
            Family::Rabbit => &[THROUGHPUT, LATENCY, DEPTH, SETTLES],
        }
    }
}

/// What a walkthrough says when it has followed its message to the end (in English: the page
/// translates it).
pub fn walk_done(variant: Variant) -> &'static str {
    if variant.is_rabbit() {
        en("That was the message's whole journey.")
    } else {
        en("The record made it: produced, replicated, acknowledged, consumed and committed.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::kernel::Process;
    use brokerlab_engine::{presets, Simulation};

    fn world_of(preset: &str, until: Time) -> Simulation {
        let s = presets::load(preset).unwrap();
        let mut sim = Simulation::new(&s, 1).unwrap();
        sim.run_until(until);
        sim
    }

    #[test]
    fn each_family_is_recognised_and_charts_its_own_series() {
        for (preset, family, charts) in
            [("relay-basic", Family::Relay, 2), ("kafka-basic", Family::Kafka, 4), ("rabbit-basic", Family::Rabbit, 4)]
        {
            let sim = world_of(preset, Time::ms(50));
            let f = Family::of(sim.world());
            assert_eq!(f, family, "{preset}");
            let m = Meters::new(Time::ms(20), 10);
            assert_eq!(f.charts().len(), charts, "{preset}");
            for c in f.charts() {
                assert!(!c.lines(&m, sim.world()).is_empty(), "{preset}: {} has lines", c.title);
            }
            assert_eq!(f.walks().is_some(), f != Family::Relay);
        }
    }

    /// The help explains the running system's words only: no ISR on a RabbitMQ page.
    #[test]
    fn each_system_has_its_own_glossary() {
        let (zk, kraft, rabbit) = (
            world_of("kafka-basic", Time::ZERO),
            world_of("kafka-kraft", Time::ZERO),
            world_of("rabbit-basic", Time::ZERO),
        );
        let has = |f: Family, w: &Simulation, term: &str| f.glossary(w.world()).iter().any(|(t, _)| *t == term);
        assert!(has(Family::Kafka, &zk, "ISR") && !has(Family::Kafka, &zk, "exchange"));
        assert!(has(Family::Kafka, &zk, "ZooKeeper session") && !has(Family::Kafka, &zk, "fenced broker"));
        assert!(has(Family::Kafka, &kraft, "fenced broker") && !has(Family::Kafka, &kraft, "ZooKeeper session"));
        assert!(
            has(Family::Rabbit, &rabbit, "exchange")
                && has(Family::Rabbit, &rabbit, "prefetch")
                && !has(Family::Rabbit, &rabbit, "ISR")
        );
        assert!(Family::Relay.glossary(zk.world()).is_empty());
        for (term, text) in crate::glossary::KAFKA_TERMS
            .iter()
            .chain(crate::glossary::KAFKA_KRAFT_TERMS)
            .chain(crate::glossary::RABBITMQ_TERMS)
            .chain(crate::glossary::COMPARE_TERMS)
        {
            assert!(text.ends_with('.') && text.len() > 40, "{term}: a sentence");
        }
    }

    #[test]
    fn kafka_links_join_clients_to_every_broker_and_brokers_to_zookeeper() {
        let sim = world_of("kafka-basic", Time::ms(50));
        let w = sim.world();
        let links = links(w);
        let id = |n: &str| w.node_by_name(n).unwrap();
        let brokers = w.shared.kafka.as_ref().unwrap().brokers.clone();
        for &b in &brokers {
            assert!(links.contains(&(id("order-service"), b)), "the producer talks to {}", w.node_name(b));
            assert!(links.contains(&(b, id("zk"))), "{} keeps a session", w.node_name(b));
        }
    }

    #[test]
    fn a_kafka_broker_is_inspected_partition_by_partition_and_a_consumer_by_its_group() {
        let sim = world_of("kafka-groups", Time::secs(3));
        let w = sim.world();
        let broker = inspect(w, w.node_by_name("b1").unwrap());
        let Some(Block::Table { id: "broker-partitions", head, rows }) = broker.get(1) else {
            panic!("a broker shows its partitions: {broker:?}")
        };
        assert_eq!(head[0].text, "partition");
        assert!(!rows.is_empty() && rows.iter().all(|r| r.cells.len() == head.len()));
        let consumer = w.nodes.iter().position(|s| s.node.role() == "consumer").unwrap();
        let blocks = inspect(w, NodeId(consumer as u32));
        assert!(matches!(&blocks[0], Block::Text { id: Some("consumer-group"), text } if text.starts_with("group ")));
        // A group member may leave its group; a broker may be stopped cleanly or its session expired.
        assert_eq!(actions(w, NodeId(consumer as u32))[0].id, "node-leave");
        let ids: Vec<&str> = actions(w, w.node_by_name("b1").unwrap()).iter().map(|a| a.id).collect();
        assert_eq!(ids, ["node-clean-stop", "node-session"]);
    }

    #[test]
    fn rabbit_and_relay_nodes_are_described_in_a_sentence() {
        let sim = world_of("rabbit-basic", Time::ms(200));
        let w = sim.world();
        for id in 0..w.nodes.len() {
            let blocks = inspect(w, NodeId(id as u32));
            assert!(matches!(&blocks[..], [Block::Text { text, .. }] if !text.is_empty()), "{blocks:?}");
        }
        let sim = world_of("relay-basic", Time::ms(5));
        let w = sim.world();
        let p1 = inspect(w, w.node_by_name("p1").unwrap());
        assert!(matches!(&p1[..], [Block::Text { text, .. }] if text.starts_with("publishes to b1")), "{p1:?}");
    }
}
