//! A scenario's faults: a command at a simulated time, read and written as one flat JSON record
//! per fault (`{"at": "20ms", "action": "stop", "node": "b1"}`). Apart from the scenario because
//! the record, its action names and its field checks are a format of their own.

use crate::models::{Act, Command, TopoAct};
use crate::rabbit::msg::SettleOp;
use crate::time::Time;
use serde::{Deserialize, Serialize};

/// A command scheduled at a simulated time: `{"at": "20ms", "action": "stop", "node": "b1"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(into = "FaultRecord")]
pub struct Fault {
    pub at: Time,
    pub command: Command<String>,
    /// The queue or exchange a topology action names (its id is found when the run is built).
    pub target: Option<String>,
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
    Bind,
    Unbind,
    DeclareQueue,
    DeleteQueue,
    DeclareExchange,
    DeleteExchange,
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
            Action::Bind => "bind",
            Action::Unbind => "unbind",
            Action::DeclareQueue => "declare_queue",
            Action::DeleteQueue => "delete_queue",
            Action::DeclareExchange => "declare_exchange",
            Action::DeleteExchange => "delete_exchange",
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
    /// bind / unbind: which of `rabbit.bindings`, by its index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    binding: Option<u16>,
    /// declare_queue / delete_queue, declare_exchange / delete_exchange: by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    queue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exchange: Option<String>,
}

impl TryFrom<FaultRecord> for Fault {
    type Error = String;

    fn try_from(r: FaultRecord) -> Result<Fault, String> {
        let FaultRecord { at, action, node, a, b, extra, tag, multiple, requeue, binding, queue, exchange } = r;
        let settles = matches!(action, Action::Ack | Action::Nack | Action::Reject);
        let binds = matches!(action, Action::Bind | Action::Unbind);
        let queues = matches!(action, Action::DeclareQueue | Action::DeleteQueue);
        let exchanges = matches!(action, Action::DeclareExchange | Action::DeleteExchange);
        let (uses_node, uses_pair, uses_extra) = match action {
            Action::Stop | Action::Start | Action::Leave | Action::Isolate | Action::Rejoin => (true, false, false),
            Action::Ack | Action::Nack | Action::Reject => (true, false, false),
            Action::Bind | Action::Unbind | Action::DeclareQueue | Action::DeleteQueue => (true, false, false),
            Action::DeclareExchange | Action::DeleteExchange => (true, false, false),
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
            ("binding", binding.is_some(), binds, binds),
            ("queue", queue.is_some(), queues, queues),
            ("exchange", exchange.is_some(), exchanges, exchanges),
        ];
        // Extra fields first: `{"action": "stop", "a": …}` is better told "no `a`" than "needs `node`".
        if let Some((field, ..)) = fields.iter().find(|(_, given, allowed, _)| *given && !*allowed) {
            return Err(format!("`{name}` has no `{field}`"));
        }
        if let Some((field, ..)) = fields.iter().find(|(_, given, _, required)| !*given && *required) {
            return Err(format!("`{name}` needs `{field}`"));
        }
        let (node, a, b, extra) = (node.unwrap_or_default(), a.unwrap_or_default(), b.unwrap_or_default(), extra);
        let topology = |t: TopoAct| Command::Act { node: node.clone(), act: Act::Topology(t) };
        let command = match action {
            Action::Bind => topology(TopoAct::Bind(binding.unwrap_or_default())),
            Action::Unbind => topology(TopoAct::Unbind(binding.unwrap_or_default())),
            Action::DeclareQueue => topology(TopoAct::DeclareQueue(u16::MAX)),
            Action::DeleteQueue => topology(TopoAct::DeleteQueue(u16::MAX)),
            Action::DeclareExchange => topology(TopoAct::DeclareExchange(u16::MAX)),
            Action::DeleteExchange => topology(TopoAct::DeleteExchange(u16::MAX)),
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
        Ok(Fault { at, command, target: queue.or(exchange) })
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
            binding: None,
            queue: None,
            exchange: None,
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
            Command::Act { node, act: Act::Topology(t) } => {
                let action = match t {
                    TopoAct::Bind(_) => Action::Bind,
                    TopoAct::Unbind(_) => Action::Unbind,
                    TopoAct::DeclareQueue(_) => Action::DeclareQueue,
                    TopoAct::DeleteQueue(_) => Action::DeleteQueue,
                    TopoAct::DeclareExchange(_) => Action::DeclareExchange,
                    TopoAct::DeleteExchange(_) => Action::DeleteExchange,
                };
                match t {
                    TopoAct::Bind(i) | TopoAct::Unbind(i) => r.binding = Some(i),
                    TopoAct::DeclareQueue(_) | TopoAct::DeleteQueue(_) => r.queue = f.target.clone(),
                    _ => r.exchange = f.target.clone(),
                }
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
