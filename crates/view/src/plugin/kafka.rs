//! Kafka's view on the stage and in the inspector: who talks to whom (clients to every broker,
//! brokers to each other and to ZooKeeper), each broker's partitions replica by replica, the
//! ZooKeeper tree, a producer's settings, a consumer's group and positions; and the faults of
//! Kafka's own (a member leaving its group, a broker's session expiring).

use super::{Block, Cell, ModelView, NodeAction, Row, WalkDoor};
use crate::glossary as g;
use crate::i18n::{en, t, tf};
use crate::walk::Variant;
use brokerlab_engine::kafka::broker::Broker;
use brokerlab_engine::kafka::log::RecordKind;
use brokerlab_engine::kafka::node::KafkaNode;
use brokerlab_engine::kafka::partition::{Acks, Role};
use brokerlab_engine::kafka::KafkaNames;
use brokerlab_engine::models::Node;
use brokerlab_engine::{Command, NodeId, World};

pub struct Kafka;

pub const WALKS: [WalkDoor; 2] = [
    WalkDoor {
        label: en("▶ follow a record"),
        hint: en("Follow one record from the producer to the consumer's commit, one step at a time"),
        variant: Variant::Normal,
    },
    WalkDoor {
        label: en("▶ …with the leader killed mid-flow"),
        hint: en("The same, with the partition leader killed right after it appends the record"),
        variant: Variant::KillLeader,
    },
];

impl ModelView for Kafka {
    type Node = KafkaNode;

    fn links(world: &World, me: NodeId, node: &KafkaNode, out: &mut Vec<(NodeId, NodeId)>) {
        let Some(c) = world.shared.kafka.as_ref() else { return };
        match node {
            // Clients talk to every broker (metadata, then each partition's leader).
            KafkaNode::Producer(_) | KafkaNode::Consumer(_) | KafkaNode::Processor(_) => {
                out.extend(c.brokers.iter().map(|&b| (me, b)))
            }
            // Brokers replicate from each other and keep a session with the coordinator.
            // (In an ensemble: with the server it is connected to.)
            KafkaNode::Broker(b) => {
                out.extend(c.brokers.iter().copied().filter(|&b| b > me).map(|b| (me, b)));
                match (&b.kraft, crate::kraft::active_controller(world)) {
                    // KRaft: it fetches the metadata log from, and heartbeats, the active controller.
                    (Some(_), Some(active)) => out.push((me, active)),
                    (Some(_), None) => {}
                    (None, _) => out.push((me, b.zk_link.server())),
                }
                // (Combined mode: its voter talks to the other voters, brokers too, over these links.)
            }
            // The controller quorum's voters talk to each other.
            KafkaNode::Controller(_) => {
                let ctls = c.kraft.as_ref().map_or(&[][..], |k| &k.controllers[..]);
                out.extend(ctls.iter().copied().filter(|&n| n > me).map(|n| (me, n)))
            }
            // An ensemble's servers talk to each other.
            KafkaNode::Zk(_) => out.extend(c.zks.iter().copied().filter(|&z| z > me).map(|z| (me, z))),
        }
    }

    fn inspect(world: &World, me: NodeId, node: &KafkaNode) -> Vec<Block> {
        match node {
            // Combined mode: the broker's blocks, then its controller's.
            KafkaNode::Broker(b) => {
                let mut blocks = broker(world, me, b);
                blocks.extend(b.quorum.as_deref().map(|c| controller_blocks(world, me, c)).into_iter().flatten());
                blocks
            }
            KafkaNode::Controller(c) => controller_blocks(world, me, c),
            KafkaNode::Zk(z) => {
                let znodes: String = z
                    .tree
                    .nodes()
                    .iter()
                    .filter(|(p, _)| *p != "/")
                    .map(|(p, n)| {
                        let eph = n.ephemeral_owner.map_or(String::new(), |s| tf("  (ephemeral, session {0})", &[&s]));
                        format!("{p}  {}{eph}\n", n.data)
                    })
                    .collect();
                vec![
                    Block::Text { id: None, text: tf("{0} client sessions; znodes:", &[&z.clients.len()]) },
                    Block::Pre { id: "znodes", class: Some("znodes"), text: znodes, summary: None },
                ]
            }
            KafkaNode::Producer(p) => vec![Block::Text {
                id: None,
                text: tf(
                    "produces to {0} every {1} with acks={2}; next record {3}{4}; {5} expired (delivery.timeout.ms)",
                    &[
                        &world.topic_name(p.topic),
                        &p.interval,
                        &match p.acks {
                            Acks::None => "0",
                            Acks::Leader => "1",
                            Acks::All => "all",
                        },
                        &p.next_seq,
                        &if let Some(txn) = &p.txn {
                            transactional(world, txn)
                        } else if p.settings.idempotent {
                            tf("; idempotent, producer id {0} epoch {1}", &[&p.idempotent_id(me), &p.epoch])
                        } else {
                            String::new()
                        },
                        &p.expired,
                    ],
                ),
            }],
            KafkaNode::Consumer(_) => consumer(world, me),
            KafkaNode::Processor(p) => {
                let mut blocks = vec![Block::Text { id: Some("processor"), text: processor(world, p) }];
                blocks.extend(consumer(world, me));
                blocks
            }
        }
    }

    fn actions(world: &World, me: NodeId, node: &KafkaNode) -> Vec<NodeAction> {
        let net = &world.network;
        match node {
            // A member can leave its group cleanly (KafkaConsumer.close()); a static one sends no
            // LeaveGroup (KIP-345).
            KafkaNode::Consumer(c) if net.is_up(me) => match &c.member {
                Some(m) if m.instance.is_some() => vec![NodeAction {
                    id: "node-leave",
                    label: en("Stop cleanly"),
                    hint: en("Close cleanly: commit and stop. A static member sends no LeaveGroup: its partitions wait for it until session.timeout.ms"),
                    commands: vec![Command::Leave { node: me }],
                }],
                Some(_) => vec![NodeAction {
                    id: "node-leave",
                    label: en("Leave group"),
                    hint: en("Close cleanly: commit, send LeaveGroup, stop"),
                    commands: vec![Command::Leave { node: me }],
                }],
                None => vec![],
            },
            // KRaft: a broker cut from every controller misses its heartbeats and is fenced; a
            // clean stop goes through its heartbeat (KIP-631).
            KafkaNode::Broker(b) if b.kraft.is_some() => {
                let ctls = world
                    .shared
                    .kafka
                    .as_ref()
                    .and_then(|c| c.kraft.as_ref())
                    .map_or(vec![], |k| k.controllers.clone());
                let session = if ctls.iter().any(|&c| net.is_cut(me, c)) {
                    NodeAction {
                        id: "node-session",
                        label: en("Reconnect to the controllers"),
                        hint: en("Heal the links to the controller quorum"),
                        commands: ctls.iter().map(|&c| Command::Heal { a: me, b: c }).collect(),
                    }
                } else {
                    NodeAction {
                        id: "node-session",
                        label: en("Cut from the controllers (fence it)"),
                        hint: en("No heartbeat reaches the active controller: it fences the broker after broker.session.timeout.ms"),
                        commands: ctls.iter().map(|&c| Command::Cut { a: me, b: c }).collect(),
                    }
                };
                clean_stop(world, me, en("The broker's next heartbeat says wantShutDown: the active controller moves its leaderships to other in-sync replicas and lets it stop once it leads nothing")).into_iter().chain([session]).collect()
            }
            // A broker's coordinator session can be made to expire by cutting it from ZooKeeper;
            // and a broker can be stopped cleanly (controlled shutdown) beside the crash.
            KafkaNode::Broker(_) => {
                let Some(zk) = world.shared.kafka.as_ref().map(|c| c.zk) else { return vec![] };
                let session = if net.is_cut(me, zk) {
                    NodeAction {
                        id: "node-session",
                        label: en("Reconnect to ZooKeeper"),
                        hint: en("Heal the link to ZooKeeper"),
                        commands: vec![Command::Heal { a: me, b: zk }],
                    }
                } else {
                    NodeAction {
                        id: "node-session",
                        label: en("Expire session (cut from ZooKeeper)"),
                        hint: g::SESSION,
                        commands: vec![Command::Cut { a: me, b: zk }],
                    }
                };
                clean_stop(world, me, en("The broker asks the controller to move its leaderships to other in-sync replicas first, then stops: no partition is left without a leader")).into_iter().chain([session]).collect()
            }
            _ => vec![],
        }
    }
}

/// "Stop cleanly" for a broker that is up and not already stopping.
fn clean_stop(world: &World, me: NodeId, hint: &'static str) -> Option<NodeAction> {
    let leaving = world.nodes.get(me.index()).is_some_and(|s| s.leaving);
    (world.network.is_up(me) && !leaving).then_some(NodeAction {
        id: "node-clean-stop",
        label: en("Stop cleanly (controlled shutdown)"),
        hint,
        commands: vec![Command::Leave { node: me }],
    })
}

fn broker(world: &World, me: NodeId, b: &Broker) -> Vec<Block> {
    let rows = b
        .replicas
        .iter()
        .map(|(tp, r)| {
            let (role, isr) = match &r.role {
                Role::Leader(l) => (t("leader").to_string(), format!("{:?}", l.isr)),
                Role::Follower { leader } => (tf("follows b{0}", &[&leader]), String::new()),
                Role::Offline => ("offline".to_string(), String::new()),
            };
            let name = world.shared.kafka.as_ref().map_or(String::new(), |c| c.tp_name(*tp));
            Row {
                class: None,
                cells: vec![
                    Cell::new(name),
                    Cell::new(role).class(r.is_leader().then_some(t("leader"))),
                    Cell::new(r.epoch.to_string()).hint(g::EPOCH),
                    Cell::new(r.log.leo().to_string()).hint(g::LEO),
                    Cell::new(r.log.hw().to_string()).hint(g::HW),
                    Cell::new(isr).hint(g::ISR),
                ],
            }
        })
        .collect();
    let role = match &b.controller {
        Some(c) => format!("controller (epoch {}); sees brokers {:?}", c.epoch, c.live),
        None => t("not the controller").to_string(),
    };
    let session = b.session.map_or(t("no ZooKeeper session").to_string(), |s| tf("session {0}", &[&s]));
    let head = crate::kraft::broker_line(world, b).unwrap_or_else(|| format!("{role}; {session}"));
    let coordinated: Vec<String> = b
        .txn_host
        .ids
        .iter()
        .map(|(&txn, m)| tf("{0}: {1} (epoch {2})", &[&world.txn_name(txn), &m.state().name(), &m.current.epoch]))
        .collect();
    let txns = (!coordinated.is_empty())
        .then(|| Block::Text { id: None, text: tf("transaction coordinator of {0}", &[&coordinated.join(", ")]) });
    let rack = crate::rack::broker_line(world, me).map(|text| Block::Text { id: Some("broker-rack"), text });
    std::iter::once(Block::Text { id: None, text: head })
        .chain(rack)
        .chain(txns)
        .chain(broker_tables(world, me, b, rows))
        .collect()
}

/// The broker inspector's partition table, `kafka-topics --describe` and partition logs.
fn broker_tables(world: &World, me: NodeId, b: &Broker, rows: Vec<Row>) -> Vec<Block> {
    vec![
        Block::Table {
            id: "broker-partitions",
            head: vec![
                Cell::new("partition"),
                Cell::new("role"),
                Cell::new("epoch").hint(g::EPOCH),
                Cell::new(t("LEO")).hint(g::LEO),
                Cell::new("HW").hint(g::HW),
                Cell::new(t("ISR")).hint(g::ISR),
            ],
            rows,
        },
        Block::Pre {
            id: "topics-describe",
            class: Some("ops-out"),
            text: crate::kafka_tools::topics_describe(world, me, None).unwrap_or_default(),
            summary: None,
        },
        Block::Pre {
            id: "partition-logs",
            class: None,
            text: partition_logs(world, b),
            summary: Some(t("partition logs, replica by replica")),
        },
    ]
}

fn consumer(world: &World, id: NodeId) -> Vec<Block> {
    let Some(v) = crate::kafka::consumer_view(world, id) else { return vec![] };
    let group = v.group.map_or(t("no group: reads every partition from the start").to_string(), |gi| {
        tf(
            "group {0} as {1} — {2}, generation {3}, coordinator {4}",
            &[
                &world.group_name(gi),
                &if v.member_id.is_empty() { t("(no member id yet)") } else { v.member_id.as_str() },
                &v.phase,
                &(v.generation.map_or("–".to_string(), |n| n.to_string())),
                &(v.coordinator.map_or(t("unknown").to_string(), |b| format!("b{b}"))),
            ],
        )
    });
    let opt = |x: Option<u64>| x.map_or("–".to_string(), |v| v.to_string());
    let rows = v
        .rows
        .iter()
        .map(|r| Row {
            class: (!r.owned).then_some("not-owned"),
            cells: vec![
                Cell::new(format!("p{}{}", r.partition, if r.owned { "" } else { " ✗" })).hint(if r.owned {
                    t("assigned to this consumer")
                } else {
                    t("not assigned to it now (its last commit shown)")
                }),
                Cell::new(opt(r.position)).hint(g::POSITION),
                Cell::new(opt(r.committed)).hint(g::COMMITTED),
                Cell::new(opt(r.hw)).hint(g::HW),
                Cell::new(opt(r.lag)).hint(g::LAG).class(Some("lag")),
            ],
        })
        .collect();
    let describe = v.group.and_then(|g| crate::kafka_tools::group_describe(world, g)).map(|d| Block::Pre {
        id: "consumer-group-describe",
        class: Some("ops-out"),
        text: d.text,
        summary: None,
    });
    let rack = crate::rack::consumer_line(world, id).map(|text| Block::Text { id: Some("consumer-rack"), text });
    vec![
        Block::Text { id: Some("consumer-group"), text: group },
        Block::Table {
            id: "consumer-partitions",
            head: vec![
                Cell::new(world.topic_name(v.topic)),
                Cell::new("position").hint(g::POSITION),
                Cell::new("committed").hint(g::COMMITTED),
                Cell::new("HW").hint(g::HW),
                Cell::new("lag").hint(g::LAG),
            ],
            rows,
        },
    ]
    .into_iter()
    .chain(rack)
    .chain(describe)
    .collect()
}

/// A transactional producer's part of its inspector line: its transactional id, producer id and
/// epoch (once InitProducerId has answered), what its transaction manager is doing, and its
/// transactions so far.
/// A consume-transform-produce application: what it reads and writes, how it commits, where it is.
fn processor(world: &World, p: &brokerlab_engine::kafka::processor::Processor) -> String {
    use brokerlab_engine::kafka::processor::Stage;
    let stage = match p.stage {
        Stage::Processing => t("processing a poll batch"),
        Stage::Committing if p.exactly_once => t("committing the batch's transaction"),
        Stage::Committing => t("flushing the batch's output"),
        Stage::CommittingOffsets => t("committing the batch's offsets (OffsetCommit)"),
    };
    let offsets = if p.last_committed.is_empty() {
        t("none yet").to_string()
    } else {
        p.last_committed.iter().map(|(part, o)| format!("p{part}→{o}")).collect::<Vec<_>>().join(", ")
    };
    let how = match &p.producer.txn {
        Some(txn) => tf("exactly-once{0}", &[&transactional(world, txn)]),
        None => t("at-least-once: output flushed, then offsets committed (no transactions)").to_string(),
    };
    tf(
        "reads {0}, writes {1}; {2}; {3}; {4} records processed, {5} batches committed, {6} aborted; offsets of its last committed batch: {7}",
        &[
            &world.topic_name(p.consumer.topic),
            &world.topic_name(p.producer.topic),
            &how,
            &stage,
            &p.processed,
            &p.batches,
            &p.aborted,
            &offsets,
        ],
    )
}

fn transactional(world: &World, txn: &brokerlab_engine::kafka::producer::TxnClient) -> String {
    use brokerlab_engine::kafka::producer::TxnPhase;
    let id = world.txn_name(txn.settings.txn);
    let state = match txn.phase {
        TxnPhase::Initializing => t("looking for its coordinator and producer id").to_string(),
        // A processor's transactions end when its poll batch does.
        TxnPhase::Ready if txn.first.is_some() && txn.settings.records == u32::MAX => {
            tf("in a transaction ({0} records)", &[&txn.records])
        }
        TxnPhase::Ready if txn.first.is_some() => {
            tf("in a transaction ({0} of {1} records)", &[&txn.records, &txn.settings.records])
        }
        TxnPhase::Ready => t("between transactions").to_string(),
        TxnPhase::Committing => t("committing").to_string(),
        TxnPhase::Aborting => t("aborting").to_string(),
        TxnPhase::Fenced => t("fenced: a newer epoch exists, it has stopped").to_string(),
    };
    let who = match txn.producer {
        Some((pid, epoch)) => tf("producer id {0} epoch {1}", &[&pid, &epoch]),
        None => t("no producer id yet").to_string(),
    };
    tf(
        "; transactional id {0}, {1}; {2}; {3} committed, {4} aborted",
        &[&id, &who, &state, &txn.committed, &txn.aborted],
    )
}

/// The tail of each of this broker's partitions (internal topics left out) on every replica:
/// `offset:epoch` per record, with the HW and the LEO marked, so divergence, truncation and the
/// HW trailing the LEO can be seen replica by replica; with transactions, records written in one,
/// the markers and the last stable offset too.
fn partition_logs(world: &World, b: &Broker) -> String {
    const TAIL: u64 = 10;
    let Some(cluster) = world.shared.kafka.as_ref() else { return String::new() };
    let mut out = String::new();
    if cluster.txn_topic.is_some() {
        out.push_str(t("·t: written in a transaction; ·COMMIT / ·ABORT: a transaction marker (a control record); |LSO: the last stable offset, where read_committed consumers stop"));
        out.push('\n');
    }
    for tp in b.replicas.keys().filter(|tp| !cluster.is_internal(tp.topic)) {
        out.push_str(&cluster.tp_name(*tp));
        out.push('\n');
        for slot in &world.nodes {
            let Node::Kafka(KafkaNode::Broker(other)) = &slot.node else { continue };
            let Some(r) = other.replicas.get(tp) else { continue };
            let (leo, hw) = (r.log.leo(), r.log.hw());
            let role = if r.is_leader() { t("leader") } else { "" };
            out.push_str(&format!("  {:<4}{:<7}", slot.name, role));
            if leo > TAIL {
                out.push('…');
            }
            // The last stable offset, where a transaction still open holds read_committed back.
            let lso = r.last_stable_offset();
            for rec in r.log.slice(leo.saturating_sub(TAIL), leo) {
                if rec.offset == lso && lso < hw {
                    out.push_str(" |LSO");
                }
                if rec.offset == hw {
                    out.push_str(" |HW");
                }
                let mark = match rec.kind {
                    RecordKind::Commit => "·COMMIT",
                    RecordKind::Abort => "·ABORT",
                    RecordKind::Transactional => "·t",
                    RecordKind::Data => "",
                };
                out.push_str(&format!(" {}:{}{mark}", rec.offset, rec.epoch));
            }
            out.push_str(if hw == leo { " |HW=LEO " } else { " |LEO " });
            out.push_str(&format!("{leo}\n"));
        }
    }
    out
}

/// A KRaft controller's part in the quorum and its metadata log, record by record.
fn controller_blocks(
    world: &World,
    me: NodeId,
    c: &brokerlab_engine::kafka::kraft::quorum_controller::QuorumController,
) -> Vec<Block> {
    vec![
        Block::Text { id: None, text: crate::kraft::controller_text(world, me, c) },
        Block::Pre {
            id: "metadata-log",
            class: Some("znodes"),
            text: crate::kraft::log_text(world, c),
            summary: Some(t("__cluster_metadata, record by record")),
        },
    ]
}
