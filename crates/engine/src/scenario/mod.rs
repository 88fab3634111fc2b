//! Scenarios as data: a JSON document with the topology, the network, the workload and a fault
//! schedule. `Scenario::from_json` rejects unknown fields and invalid values with a message that names
//! the field (`nodes[2].interval: …`); nothing a user writes can make the engine panic.
//! The format is documented in `scenarios/README.md`.
//!
//! The fault schedule's records (`Fault`, read and written in the flat JSON form of commands)
//! are in `scenario/fault.rs`; the tests in `scenario/tests.rs`.

use super::kafka::config::KafkaSpec;
use super::kernel::net::{LinkConfig, Network};
use super::kernel::NodeId;
use super::models::{Act, Command, TopoAct};
use super::rabbit::config::RabbitSpec;
use super::time::Time;
use super::vecmap::VecMap;
use serde::{Deserialize, Serialize};

mod fault;

pub use fault::Fault;

/// Limits that keep a scenario something a browser can draw and a run can finish.
pub const MAX_NODES: usize = 64;
pub const MAX_FAULTS: usize = 1_000;
pub const MAX_ID_LEN: usize = 24;
pub const MAX_LATENCY: Time = Time::secs(60);
pub const MIN_INTERVAL: Time = Time(1);

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The seed used when none is given on the command line or in the page.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// How long `brokerlab run` simulates when `--until` is not given.
    #[serde(default = "default_until")]
    pub until: Time,
    #[serde(default)]
    pub network: NetworkSpec,
    #[serde(default)]
    pub nodes: Vec<NodeSpec>,
    /// A Kafka cluster: its nodes are added after `nodes` (`zk`, `b1`…, producers, consumers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kafka: Option<KafkaSpec>,
    /// A RabbitMQ broker: its nodes come after Kafka's (the broker, publishers, consumers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rabbit: Option<RabbitSpec>,
    #[serde(default)]
    pub faults: Vec<Fault>,
}

fn default_seed() -> u64 {
    1
}
fn default_until() -> Time {
    Time::secs(1)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    #[serde(default = "default_latency")]
    pub latency: Time,
    #[serde(default = "default_jitter")]
    pub jitter: Time,
    /// Loss per transmission on each link, in parts per million (0..=1 000 000): TCP-like, a lost
    /// message is sent again and holds back those behind it (`kernel::net`).
    #[serde(default)]
    pub loss_ppm: u32,
    /// Links keep message order, as TCP connections do.
    #[serde(default = "yes")]
    pub fifo: bool,
    /// Per-link overrides of the defaults above.
    #[serde(default)]
    pub links: Vec<LinkSpec>,
}

fn default_latency() -> Time {
    LinkConfig::DATACENTRE.latency
}
fn default_jitter() -> Time {
    LinkConfig::DATACENTRE.jitter
}
fn yes() -> bool {
    true
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec { latency: default_latency(), jitter: default_jitter(), loss_ppm: 0, fifo: true, links: vec![] }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub between: [String; 2],
    pub latency: Option<Time>,
    pub jitter: Option<Time>,
    pub loss_ppm: Option<u32>,
}

/// A node's role in the relay model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Publishes a numbered message to `to` every `interval`, from `start` on, `count` times (or
    /// forever).
    Producer,
    /// Acknowledges each publish and forwards it to its consumers in turn.
    Relay,
    /// Receives what the relay `from` forwards.
    Consumer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Producer => "producer",
            Role::Relay => "relay",
            Role::Consumer => "consumer",
        }
    }
}

/// One node. A flat record rather than a tagged enum so that every error names its field
/// (serde cannot report paths inside internally tagged enums); `validate` checks that each role has
/// exactly the fields it uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    pub role: Role,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

impl NodeSpec {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `(field, present, used by this role)` for each optional field.
    fn fields(&self) -> [(&'static str, bool, bool); 5] {
        let producer = self.role == Role::Producer;
        [
            ("to", self.to.is_some(), producer),
            ("interval", self.interval.is_some(), producer),
            ("start", self.start.is_some(), producer),
            ("count", self.count.is_some(), producer),
            ("from", self.from.is_some(), self.role == Role::Consumer),
        ]
    }
}

pub use super::json_path::parse_json;

impl Scenario {
    /// Parses and validates. The error names the field: `nodes[1].to: no node "b9" …`.
    pub fn from_json(text: &str) -> Result<Scenario, String> {
        let scenario: Scenario = parse_json(text, "a scenario is a JSON object: {\"name\": …, \"nodes\": […]}")?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Every node's name, in simulation order.
    pub fn node_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.nodes.iter().map(|n| n.id.clone()).collect();
        if let Some(k) = &self.kafka {
            names.extend(k.node_names());
        }
        if let Some(r) = &self.rabbit {
            names.extend(r.node_names());
        }
        names
    }

    /// Every node's index in its run, by name: built once per run, for building it.
    pub fn node_ids(&self) -> VecMap<String, NodeId> {
        self.node_names().into_iter().enumerate().map(|(i, n)| (n, NodeId(i as u32))).collect()
    }

    /// The network as `network` describes it, over every node of the scenario (validated), with
    /// `ids` from `node_ids`.
    pub fn build_network(&self, ids: &VecMap<String, NodeId>) -> Network {
        let id = |name: &str| *ids.get(name).expect("validated: a node");
        let net = &self.network;
        let default = LinkConfig { latency: net.latency, jitter: net.jitter, loss_ppm: net.loss_ppm };
        let mut network = Network::new(ids.len(), default, net.fifo);
        for l in &net.links {
            let config = LinkConfig {
                latency: l.latency.unwrap_or(net.latency),
                jitter: l.jitter.unwrap_or(net.jitter),
                loss_ppm: l.loss_ppm.unwrap_or(net.loss_ppm),
            };
            network.set_link_config(id(&l.between[0]), id(&l.between[1]), config);
        }
        network
    }

    /// The fault schedule with node names resolved by `ids` (validated), each action turned into
    /// the running system's by `act`.
    pub fn fault_schedule<A>(
        &self,
        ids: &VecMap<String, NodeId>,
        act: impl Fn(Act) -> A,
    ) -> Vec<(Time, crate::kernel::Command<NodeId, A>)> {
        let id = |name: String| Ok::<_, ()>(*ids.get(name.as_str()).expect("validated"));
        // A topology action's queue or exchange, by name, becomes its id.
        let names = self.rabbit.as_ref().map(|r| r.topology(NodeId(0)).expect("validated").names);
        let resolve = |f: &Fault| match (&f.command, &f.target, &names) {
            (Command::Act { node, act: Act::Topology(t) }, Some(name), Some(n)) => {
                let target = match t {
                    TopoAct::DeclareQueue(_) | TopoAct::DeleteQueue(_) => n.queue_id(name),
                    _ => n.exchange_id(name),
                };
                Command::Act { node: node.clone(), act: Act::Topology(t.on(target.expect("validated"))) }
            }
            (c, ..) => c.clone(),
        };
        self.faults.iter().map(|f| (f.at, resolve(f).try_map(id).expect("validated").map_act(&act))).collect()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    /// Checks what types alone cannot: references, ranges, uniqueness.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("name: must not be empty".into());
        }
        if self.nodes.is_empty() && self.kafka.is_none() && self.rabbit.is_none() {
            return Err("nodes: a scenario needs at least one node (or a `kafka` or `rabbit` section)".into());
        }
        // Each model's section adds its named nodes after `nodes`: (section, names, what it adds).
        let mut sections: Vec<(&'static str, Vec<String>, &str)> = vec![];
        if let Some(k) = &self.kafka {
            k.validate()?;
            sections.push(("kafka", k.node_names(), "zk, b1…bN, producers and consumers"));
        }
        if let Some(r) = &self.rabbit {
            r.validate()?;
            sections.push(("rabbit", r.node_names(), "its broker, publishers and consumers"));
        }
        let total = self.nodes.len() + sections.iter().map(|(_, names, _)| names.len()).sum::<usize>();
        if total > MAX_NODES {
            return Err(format!("nodes: {total} nodes is more than the limit of {MAX_NODES}"));
        }
        if self.faults.len() > MAX_FAULTS {
            return Err(format!("faults: {} faults is more than the limit of {MAX_FAULTS}", self.faults.len()));
        }
        let net = &self.network;
        check_link("network", net.latency, net.jitter, net.loss_ppm)?;

        let mut roles: VecMap<&str, &'static str> = VecMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let id = n.id();
            check_id(id).map_err(|e| format!("nodes[{i}].id: {e}"))?;
            if roles.insert(id, n.role.as_str()).is_some() {
                return Err(format!("nodes[{i}].id: \"{id}\" is used by another node already"));
            }
        }
        for (section, names, adds) in &sections {
            for name in names {
                check_id(name).map_err(|e| format!("{section}: node name {e}"))?;
                if roles.insert(name, section).is_some() {
                    return Err(format!("{section}: the node name \"{name}\" is used twice ({section} adds {adds})"));
                }
            }
        }
        let known = || roles.keys().copied().collect::<Vec<_>>().join(", ");
        let must_be_relay = |field: String, target: &str| -> Result<(), String> {
            match roles.get(target) {
                None => Err(format!("{field}: no node \"{target}\" (nodes: {})", known())),
                Some(&"relay") => Ok(()),
                Some(other) => Err(format!("{field}: \"{target}\" is a {other}, not a relay")),
            }
        };
        for (i, n) in self.nodes.iter().enumerate() {
            let role = n.role.as_str();
            for (field, present, used) in n.fields() {
                if present && !used {
                    return Err(format!("nodes[{i}].{field}: a {role} has no `{field}`"));
                }
            }
            fn required<'a>(i: usize, role: &str, field: &str, value: &'a Option<String>) -> Result<&'a str, String> {
                value.as_deref().ok_or_else(|| format!("nodes[{i}].{field}: a {role} needs `{field}`"))
            }
            match n.role {
                Role::Producer => {
                    must_be_relay(format!("nodes[{i}].to"), required(i, role, "to", &n.to)?)?;
                    let interval =
                        n.interval.ok_or_else(|| format!("nodes[{i}].interval: a producer needs `interval`"))?;
                    if interval < MIN_INTERVAL {
                        return Err(format!("nodes[{i}].interval: must be at least {MIN_INTERVAL}"));
                    }
                    if n.count == Some(0) {
                        return Err(format!("nodes[{i}].count: must be at least 1 (leave it out to publish forever)"));
                    }
                }
                Role::Consumer => must_be_relay(format!("nodes[{i}].from"), required(i, role, "from", &n.from)?)?,
                Role::Relay => {}
            }
        }
        for (i, l) in net.links.iter().enumerate() {
            for (j, end) in l.between.iter().enumerate() {
                if !roles.contains_key(end.as_str()) {
                    return Err(format!("network.links[{i}].between[{j}]: no node \"{end}\" (nodes: {})", known()));
                }
            }
            if l.between[0] == l.between[1] {
                return Err(format!("network.links[{i}].between: a link joins two different nodes"));
            }
            let latency = l.latency.unwrap_or(net.latency);
            let jitter = l.jitter.unwrap_or(net.jitter);
            check_link(&format!("network.links[{i}]"), latency, jitter, l.loss_ppm.unwrap_or(net.loss_ppm))?;
        }
        for (i, f) in self.faults.iter().enumerate() {
            for name in f.command.nodes() {
                if !roles.contains_key(name.as_str()) {
                    return Err(format!("faults[{i}]: no node \"{name}\" (nodes: {})", known()));
                }
            }
            match &f.command {
                Command::Act { node, act: Act::Settle { .. } }
                    if roles.get(node.as_str()) != Some(&"rabbit")
                        || self.rabbit.as_ref().is_none_or(|r| !r.consumers.iter().any(|c| &c.id == node)) =>
                {
                    return Err(format!("faults[{i}].node: \"{node}\" is not a RabbitMQ consumer: only a consumer settles its deliveries"));
                }
                Command::Act { node, act: Act::Topology(t) } => {
                    let Some(r) = self.rabbit.as_ref().filter(|r| r.broker == *node) else {
                        return Err(format!("faults[{i}].node: \"{node}\" is not the RabbitMQ broker: only the broker's topology changes"));
                    };
                    check_topology_fault(r, *t, f.target.as_deref()).map_err(|e| format!("faults[{i}].{e}"))?;
                }
                _ => {}
            }
            if let Command::Slow { extra, .. } = f.command {
                if extra > MAX_LATENCY {
                    return Err(format!("faults[{i}].extra: at most {MAX_LATENCY}"));
                }
            }
        }
        Ok(())
    }
}

fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(format!("must be 1 to {MAX_ID_LEN} characters"));
    }
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(format!("\"{id}\" may only use letters, digits, '-' and '_'"));
    }
    Ok(())
}

fn check_link(field: &str, latency: Time, jitter: Time, loss_ppm: u32) -> Result<(), String> {
    if latency > MAX_LATENCY {
        return Err(format!("{field}.latency: at most {MAX_LATENCY}"));
    }
    if jitter > MAX_LATENCY {
        return Err(format!("{field}.jitter: at most {MAX_LATENCY}"));
    }
    if loss_ppm > 1_000_000 {
        return Err(format!("{field}.loss_ppm: {loss_ppm} is more than 1000000 (certain loss)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

/// A topology fault names what the scenario has: a binding of `rabbit.bindings`, a queue of
/// `rabbit.queues`, an exchange of `rabbit.exchanges` (or, to delete, a predeclared one — which
/// RabbitMQ refuses, as the run then shows). Errors start with the field.
fn check_topology_fault(r: &RabbitSpec, t: TopoAct, target: Option<&str>) -> Result<(), String> {
    let name = target.unwrap_or_default();
    match t {
        TopoAct::Bind(i) | TopoAct::Unbind(i) if i as usize >= r.bindings.len() => {
            Err(format!("binding: {i} is not an index of rabbit.bindings (it has {})", r.bindings.len()))
        }
        TopoAct::DeclareQueue(_) | TopoAct::DeleteQueue(_) if !r.queues.iter().any(|q| q.name == name) => {
            Err(format!("queue: no queue \"{name}\" in rabbit.queues"))
        }
        TopoAct::DeclareExchange(_) if !r.exchanges.iter().any(|x| x.name == name) => {
            Err(format!("exchange: no exchange \"{name}\" in rabbit.exchanges to declare"))
        }
        TopoAct::DeleteExchange(_)
            if !r.exchanges.iter().any(|x| x.name == name)
                && !crate::rabbit::exchange::PREDECLARED.iter().any(|(p, _)| *p == name) =>
        {
            Err(format!("exchange: no exchange \"{name}\""))
        }
        _ => Ok(()),
    }
}
