//! The `rabbit.scripts` section: clients that play a list of AMQP operations at set times on one
//! channel — publish naming exchange, routing key and mandatory per message, basic.qos (with
//! `global`), basic.consume with a consumer tag (several per channel), basic.cancel, basic.get,
//! ack / nack / reject of a delivery tag, and declare / bind / unbind / delete during the run.
//! The same file drives a real RabbitMQ in `tests/real_rabbitmq_amqp.py`, so a step means exactly
//! the AMQP method it names. Validated into `Step`s (names resolved to ids) with messages that
//! name the field.

use super::broker::Names;
use super::config::{RabbitSpec, MAX_EXPIRY_MS};
use super::msg::{Dest, Props, Publish, RabbitMsg, SettleOp, TopoOp};
use super::routing::{check_shortstr, Pattern, Table};
use crate::time::Time;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// At most this many steps per script (a script is a scripted test, not a workload).
pub const MAX_STEPS: usize = 1_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptSpec {
    pub id: String,
    /// confirm.select on its channel: every publish is acked or nacked.
    #[serde(default)]
    pub confirms: bool,
    /// In time order; each step at its `at`, from the start of the run.
    pub steps: Vec<StepSpec>,
}

/// One AMQP operation. `at` is when the script does it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum StepSpec {
    Publish(PublishStep),
    /// basic.qos: `global` false = each consumer started after it; true = the channel as a whole.
    Qos {
        at: Time,
        prefetch: u16,
        #[serde(default)]
        global: bool,
    },
    Consume {
        at: Time,
        queue: String,
        /// The consumer tag; deliveries are reported under it.
        tag: String,
        #[serde(default)]
        no_ack: bool,
        /// basic.consume's arguments: `x-stream-offset` for a stream.
        #[serde(default, skip_serializing_if = "Table::is_empty")]
        arguments: Table,
    },
    Cancel {
        at: Time,
        tag: String,
    },
    Get {
        at: Time,
        queue: String,
        #[serde(default)]
        no_ack: bool,
    },
    /// basic.ack of delivery tag `delivery` (channel-wide, from 1; 0 with `multiple`: all).
    Ack {
        at: Time,
        delivery: u64,
        #[serde(default)]
        multiple: bool,
    },
    Nack {
        at: Time,
        delivery: u64,
        #[serde(default)]
        multiple: bool,
        #[serde(default = "yes")]
        requeue: bool,
    },
    Reject {
        at: Time,
        delivery: u64,
        #[serde(default = "yes")]
        requeue: bool,
    },
    /// exchange.declare of an exchange of `rabbit.exchanges`, as declared there.
    DeclareExchange {
        at: Time,
        exchange: String,
    },
    /// queue.declare of a queue of `rabbit.queues`, as declared there.
    DeclareQueue {
        at: Time,
        queue: String,
    },
    Bind(BindStep),
    Unbind(BindStep),
    DeleteExchange {
        at: Time,
        exchange: String,
    },
    DeleteQueue {
        at: Time,
        queue: String,
    },
}

fn yes() -> bool {
    true
}
fn queue_kind() -> String {
    "queue".into()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishStep {
    pub at: Time,
    /// "" = the default exchange. An exchange that does not exist is 404 NOT_FOUND and closes
    /// the channel, as on RabbitMQ.
    #[serde(default)]
    pub exchange: String,
    #[serde(default)]
    pub routing_key: String,
    #[serde(default)]
    pub mandatory: bool,
    #[serde(default)]
    pub persistent: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Time>,
    /// Headers, `CC` and `BCC` (arrays of routing keys) included.
    #[serde(default, skip_serializing_if = "Table::is_empty")]
    pub headers: Table,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindStep {
    pub at: Time,
    pub source: String,
    pub destination: String,
    #[serde(default = "queue_kind")]
    pub destination_type: String,
    #[serde(default)]
    pub routing_key: String,
    #[serde(default, skip_serializing_if = "Table::is_empty")]
    pub arguments: Table,
}

impl StepSpec {
    pub fn at(&self) -> Time {
        match self {
            StepSpec::Publish(p) => p.at,
            StepSpec::Bind(b) | StepSpec::Unbind(b) => b.at,
            StepSpec::Qos { at, .. }
            | StepSpec::Consume { at, .. }
            | StepSpec::Cancel { at, .. }
            | StepSpec::Get { at, .. }
            | StepSpec::Ack { at, .. }
            | StepSpec::Nack { at, .. }
            | StepSpec::Reject { at, .. }
            | StepSpec::DeclareExchange { at, .. }
            | StepSpec::DeclareQueue { at, .. }
            | StepSpec::DeleteExchange { at, .. }
            | StepSpec::DeleteQueue { at, .. } => *at,
        }
    }

    /// The exchanges and queues it names (`(exchanges, queues)`), known or not.
    fn names(&self) -> (Vec<&str>, Vec<&str>) {
        match self {
            StepSpec::Publish(p) => (vec![&p.exchange], vec![]),
            StepSpec::Bind(b) | StepSpec::Unbind(b) if b.destination_type == "exchange" => {
                (vec![&b.source, &b.destination], vec![])
            }
            StepSpec::Bind(b) | StepSpec::Unbind(b) => (vec![&b.source], vec![&b.destination]),
            StepSpec::DeclareExchange { exchange, .. } | StepSpec::DeleteExchange { exchange, .. } => {
                (vec![exchange], vec![])
            }
            StepSpec::Consume { queue, .. }
            | StepSpec::Get { queue, .. }
            | StepSpec::DeclareQueue { queue, .. }
            | StepSpec::DeleteQueue { queue, .. } => (vec![], vec![queue]),
            _ => (vec![], vec![]),
        }
    }
}

/// The names scripts use that the scenario does not declare (`(exchanges, queues)`, each once, in
/// order of use): they get ids too, so a step can name them and the broker can answer 404.
pub fn undeclared_names(spec: &RabbitSpec) -> (Vec<Rc<str>>, Vec<Rc<str>>) {
    let (mut xs, mut qs): (Vec<Rc<str>>, Vec<Rc<str>>) = (Vec::new(), Vec::new());
    let known_x = |n: &str| {
        super::exchange::PREDECLARED.iter().any(|(p, _)| *p == n) || spec.exchanges.iter().any(|x| x.name == n)
    };
    let known_q = |n: &str| spec.queues.iter().any(|q| q.name == n);
    for step in spec.scripts.iter().flat_map(|s| &s.steps) {
        let (sx, sq) = step.names();
        for n in sx.into_iter().filter(|n| !known_x(n)) {
            if !xs.iter().any(|x| **x == *n) {
                xs.push(n.into());
            }
        }
        for n in sq.into_iter().filter(|n| !known_q(n)) {
            if !qs.iter().any(|q| **q == *n) {
                qs.push(n.into());
            }
        }
    }
    (xs, qs)
}

/// A validated step: when, and the message it sends (a publish's `seq` and time are filled in
/// when it is sent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub at: Time,
    pub msg: RabbitMsg,
}

/// A validated script: its steps, and its consumer tags by number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    pub confirms: bool,
    pub steps: Rc<[Step]>,
    pub tags: Rc<[Rc<str>]>,
}

impl ScriptSpec {
    /// Validates script `i` against the scenario's names; errors name the field
    /// (`rabbit.scripts[0].steps[2].queue: …`).
    pub fn resolve(&self, i: usize, spec: &RabbitSpec, names: &Names) -> Result<Script, String> {
        let top = format!("rabbit.scripts[{i}]");
        if self.steps.len() > MAX_STEPS {
            return Err(format!("{top}.steps: at most {MAX_STEPS}"));
        }
        // Consumer tags are numbered in their byte order, so that the broker's order of tag numbers
        // is RabbitMQ's order of tags (it settles per queue and consumer tag in that order).
        let mut tags: Vec<Rc<str>> = Vec::new();
        for s in &self.steps {
            if let StepSpec::Consume { tag, .. } | StepSpec::Cancel { tag, .. } = s {
                if !tags.iter().any(|t| **t == **tag) {
                    tags.push(tag.as_str().into());
                }
            }
        }
        crate::sort::sort_by(&mut tags, |a, b| a.cmp(b));
        let mut steps = Vec::new();
        let mut last = Time::ZERO;
        for (k, s) in self.steps.iter().enumerate() {
            let f = |field: &str| format!("{top}.steps[{k}].{field}");
            if s.at() < last {
                return Err(format!(
                    "{}: {} is before the step above ({last}): steps go in time order",
                    f("at"),
                    s.at()
                ));
            }
            last = s.at();
            let x = |n: &str| names.exchange_id(n).expect("every name a script uses has an id");
            let q = |n: &str| names.queue_id(n).expect("every name a script uses has an id");
            let tag = |t: &str| -> Result<u16, String> {
                check_shortstr("the consumer tag", t).map_err(|e| format!("{}: {e}", f("tag")))?;
                if t.is_empty() {
                    return Err(format!("{}: give the consumer a tag (server-named tags are not modelled)", f("tag")));
                }
                Ok(tags.iter().position(|n| **n == *t).expect("every tag was collected above") as u16)
            };
            let msg = match s {
                StepSpec::Publish(p) => {
                    check_shortstr("the routing key", &p.routing_key)
                        .map_err(|e| format!("{}: {e}", f("routing_key")))?;
                    check_shortstr("the exchange name", &p.exchange).map_err(|e| format!("{}: {e}", f("exchange")))?;
                    if p.expiration.is_some_and(|t| t.0 % 1000 != 0 || t.0 / 1000 > MAX_EXPIRY_MS) {
                        return Err(format!("{}: whole milliseconds, at most {MAX_EXPIRY_MS}ms", f("expiration")));
                    }
                    let props = Props {
                        persistent: p.persistent,
                        priority: p.priority.unwrap_or(0),
                        expiration: p.expiration,
                        headers: (!p.headers.is_empty()).then(|| Rc::new(p.headers.clone())),
                        size: 0,
                    };
                    RabbitMsg::Publish(Box::new(Publish {
                        seq: 0,
                        exchange: x(&p.exchange),
                        routing_key: p.routing_key.as_str().into(),
                        props,
                        mandatory: p.mandatory,
                        published_at: Time::ZERO,
                    }))
                }
                StepSpec::Qos { prefetch, global, .. } => RabbitMsg::Qos { prefetch: *prefetch, global: *global },
                StepSpec::Consume { queue, tag: t, no_ack, arguments, .. } => {
                    let offset = crate::rabbit::stream::args::consumer_arguments(arguments)
                        .map_err(|e| format!("{}.{e}", f("arguments")))?;
                    RabbitMsg::Consume { queue: q(queue), tag: tag(t)?, prefetch: None, auto_ack: *no_ack, offset }
                }
                StepSpec::Cancel { tag: t, .. } => RabbitMsg::Cancel { tag: tag(t)? },
                StepSpec::Get { queue, no_ack, .. } => RabbitMsg::Get { queue: q(queue), no_ack: *no_ack },
                StepSpec::Ack { delivery, multiple, .. } => {
                    RabbitMsg::Settle { tag: *delivery, multiple: *multiple, op: SettleOp::Ack }
                }
                StepSpec::Nack { delivery, multiple, requeue, .. } => {
                    RabbitMsg::Settle { tag: *delivery, multiple: *multiple, op: SettleOp::Nack { requeue: *requeue } }
                }
                StepSpec::Reject { delivery, requeue, .. } => {
                    RabbitMsg::Settle { tag: *delivery, multiple: false, op: SettleOp::Reject { requeue: *requeue } }
                }
                StepSpec::DeclareExchange { exchange, .. } => {
                    let known = spec.exchanges.iter().any(|e| e.name == *exchange);
                    declarable(known, "exchange", exchange).map_err(|e| format!("{}: {e}", f("exchange")))?;
                    RabbitMsg::Topo(Box::new(TopoOp::DeclareExchange(x(exchange))))
                }
                StepSpec::DeclareQueue { queue, .. } => {
                    let known = spec.queues.iter().any(|e| e.name == *queue);
                    declarable(known, "queue", queue).map_err(|e| format!("{}: {e}", f("queue")))?;
                    RabbitMsg::Topo(Box::new(TopoOp::DeclareQueue(q(queue))))
                }
                StepSpec::Bind(b) | StepSpec::Unbind(b) => {
                    let dest = match b.destination_type.as_str() {
                        "queue" => Dest::Queue(q(&b.destination)),
                        "exchange" => Dest::Exchange(x(&b.destination)),
                        other => {
                            return Err(format!("{}: \"{other}\" is not queue or exchange", f("destination_type")))
                        }
                    };
                    // The key and arguments are checked for the source's type when it is known
                    // (the broker checks them again against the exchange it finds).
                    if let Some(kind) = spec.exchanges.iter().find(|e| e.name == b.source).map(|e| e.kind.as_str()) {
                        let kind = super::routing::ExchangeType::parse(kind)?;
                        Pattern::new(kind, &b.routing_key, &b.arguments)
                            .map_err(|e| format!("{}: {e}", f("routing_key")))?;
                    }
                    let (source, key, args) =
                        (x(&b.source), b.routing_key.as_str().into(), Rc::new(b.arguments.clone()));
                    RabbitMsg::Topo(Box::new(match s {
                        StepSpec::Bind(_) => TopoOp::Bind { source, dest, key, args },
                        _ => TopoOp::Unbind { source, dest, key, args },
                    }))
                }
                StepSpec::DeleteExchange { exchange, .. } => {
                    RabbitMsg::Topo(Box::new(TopoOp::DeleteExchange(x(exchange))))
                }
                StepSpec::DeleteQueue { queue, .. } => RabbitMsg::Topo(Box::new(TopoOp::DeleteQueue(q(queue)))),
            };
            steps.push(Step { at: s.at(), msg });
        }
        Ok(Script { confirms: self.confirms, steps: steps.into(), tags: tags.into() })
    }
}

/// A script declares what the scenario describes: its `kind` ("exchange" / "queue") named `name`.
fn declarable(known: bool, kind: &str, name: &str) -> Result<(), String> {
    match known {
        true => Ok(()),
        false => Err(format!(
            "no {kind} \"{name}\" in rabbit.{kind}s to declare (describe it there, with \"declare_at_start\": false)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::Scenario;

    fn err(rabbit: &str) -> String {
        Scenario::from_json(&format!(r#"{{"name":"s","rabbit":{rabbit}}}"#)).expect_err("should be rejected")
    }

    #[test]
    fn bad_scripts_name_the_field() {
        let script =
            |steps: &str| format!(r#"{{"queues":[{{"name":"q"}}],"scripts":[{{"id":"app","steps":[{steps}]}}]}}"#);
        let cases = [
            (
                script(r#"{"at":"20ms","do":"get","queue":"q"},{"at":"10ms","do":"get","queue":"q"}"#),
                "rabbit.scripts[0].steps[1].at: 10ms is before the step above (20ms)",
            ),
            (
                script(r#"{"at":"1ms","do":"declare_queue","queue":"other"}"#),
                "rabbit.scripts[0].steps[0].queue: no queue \"other\" in rabbit.queues",
            ),
            (
                script(r#"{"at":"1ms","do":"consume","queue":"q","tag":""}"#),
                "rabbit.scripts[0].steps[0].tag: give the consumer a tag",
            ),
            (
                script(
                    r#"{"at":"1ms","do":"bind","source":"amq.topic","destination":"q","destination_type":"stream"}"#,
                ),
                "rabbit.scripts[0].steps[0].destination_type: \"stream\" is not queue or exchange",
            ),
            (
                script(r#"{"at":"1ms","do":"publish","expiration":"1500us"}"#),
                "rabbit.scripts[0].steps[0].expiration: whole milliseconds",
            ),
            (script(r#"{"at":"1ms","do":"fly"}"#), "unknown variant `fly`"),
            (script(r#"{"at":"1ms","do":"ack"}"#), "missing field `delivery`"),
        ];
        for (rabbit, want) in cases {
            let got = err(&rabbit);
            assert!(got.contains(want), "wanted {want:?} in {got:?}");
        }
    }

    #[test]
    fn names_a_script_uses_get_ids_so_the_broker_can_answer_404() {
        let s = Scenario::from_json(
            r#"{"name":"s","rabbit":{"scripts":[{"id":"app","steps":[{"at":"1ms","do":"publish","exchange":"nope"},{"at":"2ms","do":"get","queue":"gone"}]}]}}"#,
        )
        .unwrap();
        let topo = s.rabbit.unwrap().topology(crate::NodeId(0)).unwrap();
        assert!(topo.names.exchange_id("nope").is_some() && topo.names.queue_id("gone").is_some());
        assert!(topo.exchanges.iter().all(|(id, _)| Some(*id) != topo.names.exchange_id("nope")), "never declared");
    }
}
