//! KRaft mode as the page shows it: each controller's part in the quorum (the active controller,
//! followers, candidates), the metadata log's end and high watermark, and whether a broker is
//! fenced — read from the world, for the stage and the inspectors. The page's KRaft wording is
//! kept here.

use crate::i18n::{en, t, tf};
use brokerlab_engine::kafka::broker::Broker;
use brokerlab_engine::kafka::kraft::image::Registration;
use brokerlab_engine::kafka::kraft::quorum_controller::QuorumController;
use brokerlab_engine::kafka::kraft::raft::Role;
use brokerlab_engine::kafka::kraft::MetadataRecord;
use brokerlab_engine::kafka::node::KafkaNode;
use brokerlab_engine::models::Node;
use brokerlab_engine::{NodeId, World};

/// What the page says about KRaft mode's simplifications (beside the ZooKeeper model's list).
pub const SIMPLIFICATIONS: &str = en("KRaft mode (Kafka 4): a controller quorum replicates __cluster_metadata \
with Raft (KIP-595); brokers fetch it, register, heartbeat and are fenced (KIP-631). Combined mode (a controller inside a broker) for all the voters or some of them (a mixed quorum). Simplified: the quorum's voters are fixed (no KIP-853 adding or removing of controllers); no snapshots \
(KIP-630: every controller and broker keeps the whole metadata log); no pre-vote (KIP-996) and a fresh random \
election timeout instead of exponential backoff; partition changes carry the whole partition state; no \
eligible leader replicas (KIP-966: off by default in Kafka 4.0, on for new clusters since 4.1); brokers register once they know the leader.");

/// Whether the world's Kafka cluster runs in KRaft mode.
pub fn is_kraft(world: &World) -> bool {
    world.shared.kafka.as_ref().is_some_and(|k| k.kraft.is_some())
}

/// KRaft mode's note under the scenario editor: what it models and leaves out.
pub fn model_note(world: &World) -> Option<&'static str> {
    is_kraft(world).then_some(SIMPLIFICATIONS)
}

/// KRaft mode's addition to the stage's legend.
pub fn stage_hint(world: &World) -> Option<&'static str> {
    is_kraft(world).then_some(
        t("KRaft: the controllers vote; the active controller (ringed green) leads the metadata log, under each controller its end and high watermark; a fenced broker is dashed orange"),
    )
}

/// A live controller's part in the quorum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuorumPart {
    /// The Raft leader: the active controller.
    Active {
        epoch: u32,
    },
    Follower {
        leader: u8,
        epoch: u32,
    },
    Candidate {
        epoch: u32,
    },
    /// No leader known (after a restart, or a resignation).
    Unattached {
        epoch: u32,
    },
}

impl QuorumPart {
    /// Under the controller on the stage, where controllers sit side by side (the epoch is in
    /// its tooltip and inspector).
    pub fn short(self) -> &'static str {
        match self {
            QuorumPart::Active { .. } => "active",
            QuorumPart::Follower { .. } => "voter",
            QuorumPart::Candidate { .. } => "candidate",
            QuorumPart::Unattached { .. } => t("no leader"),
        }
    }
}

impl QuorumPart {
    /// The CSS class and `data-part` value.
    pub fn class(self) -> &'static str {
        match self {
            QuorumPart::Active { .. } => "active",
            QuorumPart::Follower { .. } => "voter",
            QuorumPart::Candidate { .. } => "candidate",
            QuorumPart::Unattached { .. } => "unattached",
        }
    }
}

/// One voter of the quorum: a controller node, or a broker that runs one (combined).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voter {
    pub node: NodeId,
    pub name: String,
    /// A broker that also runs this controller (`process.roles=broker,controller`).
    pub combined: bool,
    /// Its part in the quorum; `None` while its node is stopped.
    pub part: Option<QuorumPart>,
    /// Its metadata log's end and high watermark (the log outlives a crash; the HW is relearnt).
    pub log_end: u64,
    pub hw: u64,
}

impl Voter {
    /// "log 42 · HW 41", as under a controller on the stage; a stopped voter's log alone (its
    /// high watermark is not kept over a crash: it learns it again from the leader).
    pub fn log_label(&self) -> String {
        match self.part {
            Some(_) => log_hw(self.log_end, self.hw),
            None => tf("log {0}", &[&self.log_end]),
        }
    }
}

/// The quorum's voters in id order: the controller nodes, then the brokers that run one.
pub fn voters(world: &World) -> Vec<Voter> {
    let Some(k) = world.shared.kafka.as_ref().and_then(|k| k.kraft.as_ref()) else { return vec![] };
    k.controllers
        .iter()
        .filter_map(|&node| {
            let c = controller(world, node)?;
            Some(Voter {
                node,
                name: world.node_name(node).to_string(),
                combined: is_combined(world, node),
                part: quorum_part(world, node),
                log_end: c.raft.log.end(),
                hw: c.raft.hw,
            })
        })
        .collect()
}

/// The node name of controller `id` (`"?"` if there is none).
fn voter_name(world: &World, id: u8) -> &str {
    world
        .shared
        .kafka
        .as_ref()
        .and_then(|k| k.kraft.as_ref()?.controllers.get((id as usize).wrapping_sub(1)).copied())
        .map_or("?", |n| world.node_name(n))
}

/// The controller at `node`: a controller node's, or in combined mode the one running in a broker.
pub fn controller(world: &World, node: NodeId) -> Option<&QuorumController> {
    match &world.nodes.get(node.index())?.node {
        Node::Kafka(k) => k.quorum(),
        _ => None,
    }
}

/// Whether `node` is a broker that also runs a controller (combined mode).
pub fn is_combined(world: &World, node: NodeId) -> bool {
    matches!(&world.nodes.get(node.index()).map(|s| &s.node), Some(Node::Kafka(KafkaNode::Broker(b))) if b.quorum.is_some())
}

/// The controller at `node`'s part (`None`: not a controller, or down).
pub fn quorum_part(world: &World, node: NodeId) -> Option<QuorumPart> {
    let c = controller(world, node).filter(|_| world.network.is_up(node))?;
    let epoch = c.raft.epoch;
    Some(match c.raft.role {
        Role::Leader { .. } => QuorumPart::Active { epoch },
        Role::Follower { leader } => QuorumPart::Follower { leader, epoch },
        Role::Candidate { .. } => QuorumPart::Candidate { epoch },
        Role::Unattached => QuorumPart::Unattached { epoch },
    })
}

/// The metadata log as the stage labels it under a controller: "log 42 · HW 41".
pub fn log_label(c: &QuorumController) -> String {
    log_hw(c.raft.log.end(), c.raft.hw)
}

fn log_hw(end: u64, hw: u64) -> String {
    tf("log {0} · HW {1}", &[&end, &hw])
}

/// The active controller's node, as the live controllers see it (the newest epoch's leader).
pub fn active_controller(world: &World) -> Option<NodeId> {
    let k = world.shared.kafka.as_ref()?.kraft.as_ref()?;
    k.controllers
        .iter()
        .filter_map(|&n| match quorum_part(world, n)? {
            QuorumPart::Active { epoch } => Some((epoch, n)),
            _ => None,
        })
        .max()
        .map(|(_, n)| n)
}

/// A KRaft broker's state in a line: registration, fenced or not, how far it has replayed.
pub fn broker_line(world: &World, b: &Broker) -> Option<String> {
    let l = b.kraft.as_ref()?;
    let registration = match l.broker_epoch {
        Some(e) => tf("registered, broker epoch {0}", &[&e]),
        None => t("not registered").into(),
    };
    let fenced = match (l.fenced(b.id), &b.stopping) {
        (true, _) => t("FENCED"),
        (false, Some(_)) => t("stopping cleanly (controlled shutdown)"),
        (false, None) => t("unfenced"),
    };
    Some(tf(
        "KRaft broker: {0}, {1}; metadata replayed to {2} (HW {3}); active controller {4}",
        &[
            &registration,
            &fenced,
            &l.image.applied,
            &l.hw,
            &(l.leader.map_or(t("unknown"), |id| voter_name(world, id))),
        ],
    ))
}

/// Whether the broker is fenced, as the committed metadata says (the active controller's image
/// first; the broker's own view lags it).
pub fn fenced(world: &World, broker: u32) -> bool {
    let Some(active) = active_controller(world).and_then(|n| controller(world, n)) else { return false };
    active.image.brokers.get(&broker).is_some_and(|r| r.fenced)
}

/// Whether the broker at `node` is fenced in the committed metadata (its own view may lag).
pub fn broker_fenced(world: &World, node: NodeId) -> bool {
    match &world.nodes.get(node.index()).map(|s| &s.node) {
        Some(Node::Kafka(KafkaNode::Broker(b))) if b.kraft.is_some() => fenced(world, b.id),
        _ => false,
    }
}

/// A controller's tooltip on the stage.
pub fn controller_title(world: &World, node: NodeId, name: &str) -> String {
    match controller(world, node) {
        Some(c) if is_combined(world, node) => tf(
            "{0} (a broker that is also a KRaft controller, combined mode): {1}. Click to inspect and inject faults.",
            &[&name, &(controller_text(world, node, c))],
        ),
        Some(c) => tf(
            "{0} (KRaft controller): {1}. Click to inspect and inject faults.",
            &[&name, &(controller_text(world, node, c))],
        ),
        None => name.to_string(),
    }
}

/// A controller's inspector text: its part, its vote, the log, the brokers as registered.
pub fn controller_text(world: &World, node: NodeId, c: &QuorumController) -> String {
    let part = quorum_part(world, node).map_or("down".into(), |p| match p {
        QuorumPart::Active { epoch } => tf("the active controller (quorum leader), epoch {0}", &[&epoch]),
        QuorumPart::Follower { leader, epoch } => {
            tf("a voter following {0}, epoch {1}", &[&voter_name(world, leader), &epoch])
        }
        QuorumPart::Candidate { epoch } => tf("a candidate in epoch {0}, asking for votes", &[&epoch]),
        QuorumPart::Unattached { epoch } => tf("waiting for a leader (epoch {0})", &[&epoch]),
    });
    let state = |r: &Registration| match (r.fenced, r.in_controlled_shutdown) {
        (true, _) => t("fenced"),
        (false, true) => t("in controlled shutdown"),
        (false, false) => t("unfenced"),
    };
    let brokers: Vec<String> = c.image.brokers.iter().map(|(b, r)| format!("b{b} {}", state(r))).collect();
    tf(
        "{0}; __cluster_metadata: end {1}, high watermark {2}; brokers: {3}",
        &[
            &part,
            &c.raft.log.end(),
            &c.raft.hw,
            &if brokers.is_empty() { t("none registered").into() } else { brokers.join(", ") },
        ],
    )
}

/// The last records of a controller's metadata log, newest last, committed ones marked.
pub fn log_text(world: &World, c: &QuorumController) -> String {
    let names = world.shared.kafka.as_ref();
    let log = c.raft.log.entries();
    let from = log.len().saturating_sub(40);
    let mut out = String::new();
    for (i, e) in log.iter().enumerate().skip(from) {
        let mark = if (i as u64) < c.raft.hw { ' ' } else { '*' };
        let what = match &e.record {
            MetadataRecord::LeaderChange { leader } => format!("LeaderChange {}", voter_name(world, *leader)),
            MetadataRecord::RegisterBroker { broker } => format!("RegisterBroker b{broker}"),
            MetadataRecord::BrokerFencing { broker, fenced: true, .. } => format!("FenceBroker b{broker}"),
            MetadataRecord::BrokerFencing { broker, .. } => format!("UnfenceBroker b{broker}"),
            MetadataRecord::BrokerControlledShutdown { broker, .. } => format!("InControlledShutdown b{broker}"),
            MetadataRecord::Topic { topic } => {
                format!("Topic {}", names.map_or("?".into(), |k| k.topics[*topic as usize].name.clone()))
            }
            MetadataRecord::Partition(v) | MetadataRecord::PartitionChange(v) => format!(
                "{} {} leader {} epoch {} isr {:?}",
                if matches!(e.record, MetadataRecord::Partition(_)) { "Partition" } else { "PartitionChange" },
                names.map_or("?".into(), |k| k.tp_name(v.tp)),
                v.leader.map_or(t("none").into(), |l| format!("b{l}")),
                v.leader_epoch,
                v.isr
            ),
        };
        out.push_str(&format!("{mark}{i:>5} e{:<3} {what}\n", e.epoch));
    }
    out.push_str("(* not yet committed: above the high watermark)");
    out
}
