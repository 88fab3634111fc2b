//! Scenarios as data: a JSON document with the topology, the network, the workload and a fault
//! schedule. `Scenario::from_json` rejects unknown fields and invalid values with a message that names
//! the field (`nodes[2].interval: …`); nothing a user writes can make the engine panic.
//! The format is documented in `scenarios/README.md`.

use super::kafka::config::KafkaSpec;
use super::kernel::net::{LinkConfig, Network};
use super::kernel::NodeId;
use super::models::{Act, Command};
use super::rabbit::config::RabbitSpec;
use super::rabbit::msg::SettleOp;
use super::time::Time;
use super::vecmap::VecMap;
use serde::{Deserialize, Serialize};

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
    /// Random loss per link, in parts per million (0..=1 000 000).
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

/// A command scheduled at a simulated time: `{"at": "20ms", "action": "stop", "node": "b1"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(into = "FaultRecord")]
pub struct Fault {
    pub at: Time,
    pub command: Command<String>,
}

/// Read as a `FaultRecord` and checked inside the record's own map visitor, so serde_json places
/// an error about the record ("`stop` has no `a`") at the record, and `json_path` names it
/// `faults[i]` (an error raised after the visitor returned would be placed at the array's end).
impl<'de> Deserialize<'de> for Fault {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Fault, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Fault;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a fault: {\"at\": …, \"action\": …}")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Fault, A::Error> {
                let record = FaultRecord::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Fault::try_from(record).map_err(serde::de::Error::custom)
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Action {
    Stop,
    Start,
    Leave,
    Isolate,
    Rejoin,
    Cut,
    Heal,
    Slow,
    HealAll,
    Ack,
    Nack,
    Reject,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Stop => "stop",
            Action::Start => "start",
            Action::Leave => "leave",
            Action::Isolate => "isolate",
            Action::Rejoin => "rejoin",
            Action::Cut => "cut",
            Action::Heal => "heal",
            Action::Slow => "slow",
            Action::HealAll => "heal_all",
            Action::Ack => "ack",
            Action::Nack => "nack",
            Action::Reject => "reject",
        }
    }
}

/// A fault as JSON spells it: one flat record, so serde reports the path of a wrong field, and
/// `Fault::try_from` says which fields an action needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRecord {
    at: Time,
    action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    a: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    b: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    extra: Option<Time>,
    /// ack / nack / reject: the delivery tag, and whether earlier ones go too / it goes back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tag: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    multiple: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    requeue: Option<bool>,
}

impl TryFrom<FaultRecord> for Fault {
    type Error = String;

    fn try_from(r: FaultRecord) -> Result<Fault, String> {
        let FaultRecord { at, action, node, a, b, extra, tag, multiple, requeue } = r;
        let settles = matches!(action, Action::Ack | Action::Nack | Action::Reject);
        let (uses_node, uses_pair, uses_extra) = match action {
            Action::Stop | Action::Start | Action::Leave | Action::Isolate | Action::Rejoin => (true, false, false),
            Action::Ack | Action::Nack | Action::Reject => (true, false, false),
            Action::Cut | Action::Heal => (false, true, false),
            Action::Slow => (false, true, true),
            Action::HealAll => (false, false, false),
        };
        let name = action.as_str();
        // (field, given, allowed, required): `multiple` and `requeue` may be left out (false).
        let fields = [
            ("node", node.is_some(), uses_node, uses_node),
            ("a", a.is_some(), uses_pair, uses_pair),
            ("b", b.is_some(), uses_pair, uses_pair),
            ("extra", extra.is_some(), uses_extra, uses_extra),
            ("tag", tag.is_some(), settles, settles),
            // basic.reject settles one delivery only.
            ("multiple", multiple.is_some(), matches!(action, Action::Ack | Action::Nack), false),
            ("requeue", requeue.is_some(), matches!(action, Action::Nack | Action::Reject), false),
        ];
        // Extra fields first: `{"action": "stop", "a": …}` is better told "no `a`" than "needs `node`".
        if let Some((field, ..)) = fields.iter().find(|(_, given, allowed, _)| *given && !*allowed) {
            return Err(format!("`{name}` has no `{field}`"));
        }
        if let Some((field, ..)) = fields.iter().find(|(_, given, _, required)| !*given && *required) {
            return Err(format!("`{name}` needs `{field}`"));
        }
        let (node, a, b, extra) = (node.unwrap_or_default(), a.unwrap_or_default(), b.unwrap_or_default(), extra);
        let command = match action {
            Action::Stop => Command::Stop { node },
            Action::Start => Command::Start { node },
            Action::Leave => Command::Leave { node },
            Action::Isolate => Command::Isolate { node },
            Action::Rejoin => Command::Rejoin { node },
            Action::Cut => Command::Cut { a, b },
            Action::Heal => Command::Heal { a, b },
            Action::Slow => Command::Slow { a, b, extra: extra.unwrap_or_default() },
            Action::HealAll => Command::HealAll,
            Action::Ack | Action::Nack | Action::Reject => {
                let (tag, multiple, requeue) =
                    (tag.unwrap_or_default(), multiple.unwrap_or(false), requeue.unwrap_or(false));
                let op = match action {
                    Action::Ack => SettleOp::Ack,
                    Action::Nack => SettleOp::Nack { requeue },
                    _ => SettleOp::Reject { requeue },
                };
                Command::settle(node, tag, multiple, op)
            }
        };
        Ok(Fault { at, command })
    }
}

impl From<Fault> for FaultRecord {
    fn from(f: Fault) -> FaultRecord {
        let mut r = FaultRecord {
            at: f.at,
            action: Action::HealAll,
            node: None,
            a: None,
            b: None,
            extra: None,
            tag: None,
            multiple: None,
            requeue: None,
        };
        let (action, node, pair, extra) = match f.command {
            Command::Stop { node } => (Action::Stop, Some(node), None, None),
            Command::Start { node } => (Action::Start, Some(node), None, None),
            Command::Leave { node } => (Action::Leave, Some(node), None, None),
            Command::Isolate { node } => (Action::Isolate, Some(node), None, None),
            Command::Rejoin { node } => (Action::Rejoin, Some(node), None, None),
            Command::Cut { a, b } => (Action::Cut, None, Some((a, b)), None),
            Command::Heal { a, b } => (Action::Heal, None, Some((a, b)), None),
            Command::Slow { a, b, extra } => (Action::Slow, None, Some((a, b)), Some(extra)),
            Command::HealAll => (Action::HealAll, None, None, None),
            Command::Act { node, act: Act::Settle { tag, multiple, op } } => {
                let (action, requeue) = match op {
                    SettleOp::Ack => (Action::Ack, None),
                    SettleOp::Nack { requeue } => (Action::Nack, Some(requeue)),
                    SettleOp::Reject { requeue } => (Action::Reject, Some(requeue)),
                };
                r.tag = Some(tag);
                r.multiple = (action != Action::Reject).then_some(multiple);
                r.requeue = requeue;
                (action, Some(node), None, None)
            }
        };
        r.action = action;
        r.node = node;
        (r.a, r.b) = pair.unzip();
        r.extra = extra;
        r
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

    /// The index a node of this scenario has in its run.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.node_names().iter().position(|n| n == name).map(|i| NodeId(i as u32))
    }

    /// The network as `network` describes it, over every node of the scenario (validated).
    pub fn build_network(&self) -> Network {
        let names = self.node_names();
        let id = |name: &str| NodeId(names.iter().position(|n| n == name).expect("validated: a node") as u32);
        let net = &self.network;
        let default = LinkConfig { latency: net.latency, jitter: net.jitter, loss_ppm: net.loss_ppm };
        let mut network = Network::new(names.len(), default, net.fifo);
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

    /// The fault schedule with node names resolved (validated), each action turned into the
    /// running system's by `act`.
    pub fn fault_schedule<A>(&self, act: impl Fn(Act) -> A) -> Vec<(Time, crate::kernel::Command<NodeId, A>)> {
        let names = self.node_names();
        let id = |name: String| Ok::<_, ()>(NodeId(names.iter().position(|n| *n == name).expect("validated") as u32));
        self.faults.iter().map(|f| (f.at, f.command.clone().try_map(id).expect("validated").map_act(&act))).collect()
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
        let mut kafka_names = match &self.kafka {
            Some(k) => {
                k.validate()?;
                k.node_names()
            }
            None => vec![],
        };
        let kafka_count = kafka_names.len();
        if let Some(r) = &self.rabbit {
            r.validate()?;
            kafka_names.extend(r.node_names());
        }
        if self.nodes.len() + kafka_names.len() > MAX_NODES {
            return Err(format!(
                "nodes: {} nodes is more than the limit of {MAX_NODES}",
                self.nodes.len() + kafka_names.len()
            ));
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
        for (k, name) in kafka_names.iter().enumerate() {
            if k >= kafka_count {
                check_id(name).map_err(|e| format!("rabbit: node name {e}"))?;
                if roles.insert(name, "rabbit").is_some() {
                    return Err(format!(
                        "rabbit: the node name \"{name}\" is used twice (rabbit adds its broker, publishers and consumers)"
                    ));
                }
                continue;
            }
            check_id(name).map_err(|e| format!("kafka: node name {e}"))?;
            if roles.insert(name, "kafka").is_some() {
                return Err(format!(
                    "kafka: the node name \"{name}\" is used twice (kafka adds zk, b1…bN, producers and consumers)"
                ));
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
            if let Command::Act { node, .. } = &f.command {
                if roles.get(node.as_str()) != Some(&"rabbit")
                    || self.rabbit.as_ref().is_none_or(|r| !r.consumers.iter().any(|c| &c.id == node))
                {
                    return Err(format!("faults[{i}].node: \"{node}\" is not a RabbitMQ consumer: only a consumer settles its deliveries"));
                }
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

/// serde_json appends " at line 3 column 7"; useful in a file, noise after a field path. Kept when
/// there is no path (a syntax error) because then it is the only clue.
#[cfg(test)]
mod tests {
    use super::*;

    const BASIC: &str = r#"{
        "name": "t",
        "nodes": [
            {"role": "relay", "id": "b1"},
            {"role": "producer", "id": "p1", "to": "b1", "interval": "1ms"},
            {"role": "consumer", "id": "c1", "from": "b1"}
        ],
        "faults": [{"at": "5ms", "action": "stop", "node": "b1"}]
    }"#;

    fn err(json: &str) -> String {
        Scenario::from_json(json).expect_err("should be rejected")
    }

    #[test]
    fn parses_with_defaults() {
        let s = Scenario::from_json(BASIC).unwrap();
        assert_eq!(s.seed, 1);
        assert_eq!(s.network.latency, Time(250));
        assert_eq!(s.faults[0].at, Time::ms(5));
        assert_eq!(s.faults[0].command, Command::Stop { node: "b1".to_string() });
    }

    #[test]
    fn round_trips_through_json() {
        let s = Scenario::from_json(BASIC).unwrap();
        assert_eq!(Scenario::from_json(&s.to_json()).unwrap(), s);
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (BASIC.replace("\"name\": \"t\",", "\"name\": \"t\", \"colour\": 1,"), "unknown field `colour`"),
            (BASIC.replace("\"1ms\"", "\"1\""), "nodes[1].interval: `1` has no unit"),
            (BASIC.replace("\"1ms\"", "\"0us\""), "nodes[1].interval: must be at least 1us"),
            (BASIC.replace("\"to\": \"b1\"", "\"to\": \"b9\""), "nodes[1].to: no node \"b9\""),
            (BASIC.replace("\"to\": \"b1\"", "\"to\": \"c1\""), "nodes[1].to: \"c1\" is a consumer, not a relay"),
            (BASIC.replace("\"id\": \"c1\"", "\"id\": \"p1\""), "nodes[2].id: \"p1\" is used by another node"),
            (BASIC.replace("\"id\": \"c1\"", "\"id\": \"c 1\""), "nodes[2].id: \"c 1\" may only use"),
            (BASIC.replace("\"role\": \"relay\"", "\"role\": \"router\""), "nodes[0].role: unknown variant `router`"),
            (
                BASIC.replace("\"id\": \"c1\", \"from\": \"b1\"", "\"id\": \"c1\""),
                "nodes[2].from: a consumer needs `from`",
            ),
            (
                BASIC.replace("\"id\": \"b1\"}", "\"id\": \"b1\", \"interval\": \"1ms\"}"),
                "nodes[0].interval: a relay has no `interval`",
            ),
            (
                BASIC.replace("\"interval\": \"1ms\"", "\"interval\": \"1ms\", \"count\": 0"),
                "nodes[1].count: must be at least 1",
            ),
            (BASIC.replace("\"node\": \"b1\"", "\"node\": \"zz\""), "faults[0]: no node \"zz\""),
            (
                BASIC.replace("\"action\": \"stop\"", "\"action\": \"explode\""),
                "faults[0].action: unknown variant `explode`",
            ),
            (BASIC.replace("\"at\": \"5ms\", ", ""), "faults[0]: missing field `at`"),
            (BASIC.replace("\"at\": \"5ms\"", "\"at\": \"soon\""), "faults[0].at: `soon` is not a duration"),
            (BASIC.replace("\"node\": \"b1\"}", "\"a\": \"b1\"}"), "faults[0]: `stop` has no `a`"),
            (BASIC.replace("\"action\": \"stop\"", "\"action\": \"slow\""), "faults[0]: `slow` has no `node`"),
            (
                BASIC.replace("\"action\": \"stop\", \"node\": \"b1\"", "\"action\": \"cut\", \"a\": \"b1\""),
                "faults[0]: `cut` needs `b`",
            ),
            (
                BASIC.replace("\"name\": \"t\",", "\"name\": \"t\", \"network\": {\"loss_ppm\": 2000000},"),
                "network.loss_ppm",
            ),
            (BASIC.replace("\"name\": \"t\",", "\"name\": \"t\", \"seed\": -1,"), "seed: invalid value"),
            ("{".to_string(), "EOF while parsing"),
            ("{\"name\": \"x\", \"nodes\": []".to_string(), "EOF while parsing an object at line 1"),
            ("[]".to_string(), "a scenario is a JSON object"),
        ];
        for (json, want) in cases {
            let got = err(&json);
            assert!(got.contains(want), "wanted {want:?} in {got:?}");
        }
    }
}
