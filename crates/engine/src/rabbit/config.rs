//! The `rabbit` section of a scenario: one broker node, the topology declared on it at setup
//! (exchanges, queues with RabbitMQ's own `x-` arguments, bindings), publishers and consumers.
//! Validated with messages that name the field; `Topology` is the validated, indexed form every
//! RabbitMQ node shares.

use super::broker::Names;
use super::exchange::{ExchangeDecl, PREDECLARED};
use super::msg::Dest;
use super::queue::{Overflow, QueueArgs, QueueDecl};
use super::routing::{check_shortstr, ExchangeType, Pattern, Table, Value};
use super::script_spec::{undeclared_names, Script, ScriptSpec};
use crate::time::Time;
use crate::NodeId;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

pub const MAX_EXCHANGES: usize = 64;
pub const MAX_QUEUES: usize = 64;
pub const MAX_BINDINGS: usize = 256;
/// RabbitMQ's largest TTL / expiry timer (`?MAX_EXPIRY_TIMER`, 2^32 - 1 ms).
pub const MAX_EXPIRY_MS: u64 = 4_294_967_295;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RabbitSpec {
    /// The broker node's name.
    #[serde(default = "rabbit")]
    pub broker: String,
    /// How long a client waits before reconnecting after its connection or channel closed
    /// (automatic recovery; the Java client's `networkRecoveryInterval` is 5 s).
    #[serde(default = "five_secs")]
    pub reconnect: Time,
    #[serde(default)]
    pub exchanges: Vec<ExchangeSpec>,
    #[serde(default)]
    pub queues: Vec<QueueSpec>,
    #[serde(default)]
    pub bindings: Vec<BindingSpec>,
    #[serde(default)]
    pub publishers: Vec<PublisherSpec>,
    #[serde(default)]
    pub consumers: Vec<ConsumerSpec>,
    /// Clients that play AMQP operations one by one (`script_spec.rs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scripts: Vec<ScriptSpec>,
    /// Consume-transform-produce clients (`processor/`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processors: Vec<super::processor::config::ProcessorSpec>,
    /// A cluster of 3 or 5 nodes instead of one broker (`cluster.rs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<super::cluster::ClusterSpec>,
    /// The broker's CPU, disk and memory (`crate::resources`); without it the broker works in
    /// zero time and never runs out of memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<crate::resources::RabbitResources>,
}

fn rabbit() -> String {
    "rabbit".into()
}
fn five_secs() -> Time {
    Time::secs(5)
}
fn one() -> u32 {
    1
}
fn hundred() -> u32 {
    100
}
fn queue_kind() -> String {
    "queue".into()
}
fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}

/// exchange.declare. AMQP's defaults: transient, not auto-delete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub durable: bool,
    #[serde(default)]
    pub auto_delete: bool,
    #[serde(default, rename = "alternate-exchange", skip_serializing_if = "Option::is_none")]
    pub alternate_exchange: Option<String>,
    /// False: not declared at setup, but by a script's `declare_exchange` during the run.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub declare_at_start: bool,
}

/// queue.declare. AMQP's defaults: transient, not exclusive, not auto-delete.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueSpec {
    pub name: String,
    #[serde(default)]
    pub durable: bool,
    /// Belongs to the connection of the consumer that declares it; gone when that closes.
    #[serde(default)]
    pub exclusive: bool,
    #[serde(default)]
    pub auto_delete: bool,
    /// RabbitMQ's `x-` arguments, as a field table (see `parse_args`).
    #[serde(default, skip_serializing_if = "Table::is_empty")]
    pub arguments: Table,
    /// False: not declared at setup, but by a script's `declare_queue` during the run.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub declare_at_start: bool,
}

/// queue.bind (`destination_type` "queue") or exchange.bind ("exchange").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingSpec {
    pub source: String,
    pub destination: String,
    #[serde(default = "queue_kind")]
    pub destination_type: String,
    #[serde(default)]
    pub routing_key: String,
    #[serde(default, skip_serializing_if = "Table::is_empty")]
    pub arguments: Table,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublisherSpec {
    pub id: String,
    /// The exchange it publishes to ("" = the default exchange).
    #[serde(default)]
    pub exchange: String,
    /// Routing keys used in turn (default: the empty key).
    #[serde(default)]
    pub routing_keys: Vec<String>,
    pub interval: Time,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// confirm.select: the broker acks (or nacks) every publish.
    #[serde(default)]
    pub confirms: bool,
    /// delivery_mode 2.
    #[serde(default)]
    pub persistent: bool,
    /// Unroutable messages come back (basic.return) instead of vanishing.
    #[serde(default)]
    pub mandatory: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// The per-message TTL (`expiration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Time>,
    #[serde(default, skip_serializing_if = "Table::is_empty")]
    pub headers: Table,
    /// Body size in bytes.
    #[serde(default = "hundred")]
    pub size: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerSpec {
    pub id: String,
    pub queue: String,
    /// When it connects and starts consuming (default: at once, with the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Time>,
    /// basic.qos prefetch_count, per consumer (0 = unlimited).
    #[serde(default)]
    pub prefetch: u16,
    /// no_ack: the broker forgets a message as soon as it sends it.
    #[serde(default)]
    pub auto_ack: bool,
    /// How long it works on each message before settling it (one at a time).
    #[serde(default)]
    pub processing: Time,
    /// A random extra of up to this much per message, on top of `processing`.
    #[serde(default, skip_serializing_if = "Time::is_zero")]
    pub processing_jitter: Time,
    /// Acknowledge once every N messages with `multiple` (default 1: each on its own).
    #[serde(default = "one")]
    pub ack_every: u32,
    /// Reject every Nth message instead of acknowledging it (0: never).
    #[serde(default)]
    pub reject_every: u32,
    /// Whether those rejections requeue (else they are dead-lettered or dropped).
    #[serde(default)]
    pub requeue: bool,
    /// Declares its queue and the queue's bindings on every (re)connect, as consumers usually do.
    #[serde(default = "yes")]
    pub declare: bool,
    /// Holds every delivery until the learner acks, nacks or rejects it in the page (or a fault
    /// script's `ack` / `nack` / `reject`): an application waiting on a person.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hold: bool,
    /// basic.consume's arguments: `x-stream-offset` (first, last, next, an offset or an interval)
    /// for a stream.
    #[serde(default, skip_serializing_if = "Table::is_empty")]
    pub arguments: Table,
}

impl ConsumerSpec {
    /// Its `x-stream-offset` (validated with the scenario, so an invalid one reads as none here).
    pub fn offset(&self) -> Option<super::stream::OffsetSpec> {
        super::stream::args::consumer_arguments(&self.arguments).ok().flatten()
    }
}

/// A binding of the topology, indexed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopoBinding {
    pub source: u16,
    pub dest: Dest,
    pub key: Rc<str>,
    pub args: Rc<Table>,
}

/// The validated topology, shared by every RabbitMQ node of a simulation.
#[derive(Clone, Debug)]
pub struct Topology {
    pub broker: NodeId,
    pub names: Names,
    /// The scenario's exchanges: `(id, declaration)`.
    pub exchanges: Vec<(u16, ExchangeDecl)>,
    /// By queue id.
    pub queues: Vec<QueueDecl>,
    pub bindings: Vec<TopoBinding>,
    /// What setup leaves for scripts to declare (`declare_at_start: false`).
    pub later: Vec<Dest>,
    /// The scripts, validated, in `rabbit.scripts` order.
    pub scripts: Vec<Script>,
}

impl RabbitSpec {
    /// The node names it adds, in order: the broker, publishers, consumers.
    pub fn node_names(&self) -> Vec<String> {
        let mut names = match self.cluster.as_ref().map_or(1, |c| c.nodes) {
            1 => vec![self.broker.clone()],
            n => (1..=n).map(|i| format!("{}-{i}", self.broker)).collect(),
        };
        names.extend(self.publishers.iter().map(|p| p.id.clone()));
        names.extend(self.consumers.iter().map(|c| c.id.clone()));
        names.extend(self.scripts.iter().map(|s| s.id.clone()));
        names.extend(self.processors.iter().map(|p| p.id.clone()));
        names
    }

    pub fn validate(&self) -> Result<(), String> {
        self.resources.as_ref().map_or(Ok(()), |r| r.validate())?;
        self.topology(NodeId(0)).map(|_| ())
    }

    /// Validates and indexes: exchanges get ids after the predeclared ones, queues in order.
    pub fn topology(&self, broker: NodeId) -> Result<Topology, String> {
        if self.exchanges.len() > MAX_EXCHANGES {
            return Err(format!("rabbit.exchanges: at most {MAX_EXCHANGES}"));
        }
        if self.queues.len() > MAX_QUEUES {
            return Err(format!("rabbit.queues: at most {MAX_QUEUES}"));
        }
        if self.bindings.len() > MAX_BINDINGS {
            return Err(format!("rabbit.bindings: at most {MAX_BINDINGS}"));
        }
        if self.reconnect < Time::ms(1) {
            return Err("rabbit.reconnect: at least 1ms".into());
        }
        if let Some(c) = &self.cluster {
            c.validate()?;
        }
        let (more_x, more_q) = undeclared_names(self);
        let mut xnames: Vec<Rc<str>> = self.exchanges.iter().map(|x| Rc::from(x.name.as_str())).collect();
        let mut qnames: Vec<Rc<str>> = self.queues.iter().map(|q| Rc::from(q.name.as_str())).collect();
        xnames.extend(more_x);
        qnames.extend(more_q);
        if xnames.len() > MAX_EXCHANGES + 6 || qnames.len() > MAX_QUEUES * 2 {
            return Err("rabbit.scripts: name fewer exchanges and queues".into());
        }
        let names = super::broker::Broker::names_with(xnames, qnames);
        let mut exchanges = Vec::new();
        for (i, x) in self.exchanges.iter().enumerate() {
            let f = |field: &str| format!("rabbit.exchanges[{i}].{field}");
            check_name(&x.name).map_err(|e| format!("{}: {e}", f("name")))?;
            if names.exchange_id(&x.name) != Some((PREDECLARED.len() + i) as u16) {
                return Err(format!("{}: exchange \"{}\" is declared twice (or is predeclared)", f("name"), x.name));
            }
            let kind = ExchangeType::parse(&x.kind).map_err(|e| format!("{}: {e}", f("type")))?;
            let alternate = match &x.alternate_exchange {
                None => None,
                Some(a) => Some(exchange_id(&names, a).map_err(|e| format!("{}: {e}", f("alternate-exchange")))?),
            };
            let decl = ExchangeDecl { kind, durable: x.durable, auto_delete: x.auto_delete, alternate };
            exchanges.push(((PREDECLARED.len() + i) as u16, decl));
        }
        let mut queues = Vec::new();
        for (i, q) in self.queues.iter().enumerate() {
            let f = |field: &str| format!("rabbit.queues[{i}].{field}");
            check_name(&q.name).map_err(|e| format!("{}: {e}", f("name")))?;
            if names.queue_id(&q.name) != Some(i as u16) {
                return Err(format!("{}: queue \"{}\" is declared twice", f("name"), q.name));
            }
            let args = parse_args(&q.arguments, &names).map_err(|e| format!("{}.{e}", f("arguments")))?;
            let given: Vec<&str> = q.arguments.iter().map(|(k, _)| k).collect();
            let props = (q.durable, q.exclusive, q.auto_delete);
            super::stream::args::check(&q.name, props, &args, &given, args.stream.map(|s| s.segment_bytes))
                .and_then(|()| match args.stream {
                    Some(_) => Ok(()),
                    None => super::quorum::args::check(&q.name, props, &args, &given),
                })
                .map_err(|(field, e)| format!("{}: PRECONDITION_FAILED - {e}", f(field)))?;
            let script_declares = self
                .scripts
                .iter()
                .flat_map(|s| &s.steps)
                .any(|s| matches!(s, super::script_spec::StepSpec::DeclareQueue { queue, .. } if *queue == q.name));
            if q.exclusive && !script_declares && !self.consumers.iter().any(|c| c.queue == q.name && c.declare) {
                return Err(format!(
                    "{}: an exclusive queue belongs to the connection that declares it: a consumer or a script must declare it",
                    f("exclusive")
                ));
            }
            queues.push(QueueDecl { durable: q.durable, exclusive: q.exclusive, auto_delete: q.auto_delete, args });
        }
        let mut bindings = Vec::new();
        for (i, b) in self.bindings.iter().enumerate() {
            let f = |field: &str| format!("rabbit.bindings[{i}].{field}");
            let source = exchange_id(&names, &b.source).map_err(|e| format!("{}: {e}", f("source")))?;
            if source == super::exchange::DEFAULT {
                return Err(format!("{}: the default exchange cannot be bound (ACCESS_REFUSED)", f("source")));
            }
            let dest = match b.destination_type.as_str() {
                "queue" => Dest::Queue(names.queue_id(&b.destination).ok_or(format!(
                    "{}: no queue \"{}\"",
                    f("destination"),
                    b.destination
                ))?),
                "exchange" => match exchange_id(&names, &b.destination) {
                    Ok(0) => return Err(format!("{}: the default exchange cannot be bound", f("destination"))),
                    Ok(x) => Dest::Exchange(x),
                    Err(e) => return Err(format!("{}: {e}", f("destination"))),
                },
                other => return Err(format!("{}: \"{other}\" is not queue or exchange", f("destination_type"))),
            };
            let args = b.arguments.clone();
            let kind = kind_of(&exchanges, source);
            Pattern::new(kind, &b.routing_key, &args).map_err(|e| format!("{}: {e}", f("routing_key")))?;
            bindings.push(TopoBinding { source, dest, key: b.routing_key.as_str().into(), args: Rc::new(args) });
        }
        for (i, p) in self.publishers.iter().enumerate() {
            let f = |field: &str| format!("rabbit.publishers[{i}].{field}");
            exchange_id(&names, &p.exchange).map_err(|e| format!("{}: {e}", f("exchange")))?;
            for (k, key) in p.routing_keys.iter().enumerate() {
                check_shortstr("a routing key", key).map_err(|e| format!("{}[{k}]: {e}", f("routing_keys")))?;
            }
            if p.routing_keys.len() > 1_000 {
                return Err(format!("{}: at most 1000", f("routing_keys")));
            }
            if p.interval < Time(1) {
                return Err(format!("{}: at least 1us", f("interval")));
            }
            if p.count == Some(0) {
                return Err(format!("{}: at least 1 (leave it out to publish forever)", f("count")));
            }
        }
        for (i, c) in self.consumers.iter().enumerate() {
            let f = |field: &str| format!("rabbit.consumers[{i}].{field}");
            names.queue_id(&c.queue).ok_or(format!("{}: no queue \"{}\" in rabbit.queues", f("queue"), c.queue))?;
            if c.ack_every == 0 {
                return Err(format!("{}: at least 1", f("ack_every")));
            }
            if c.prefetch > 0 && c.ack_every > c.prefetch as u32 {
                return Err(format!(
                    "{}: more than the prefetch ({}): the batch could never fill",
                    f("ack_every"),
                    c.prefetch
                ));
            }
            if c.hold && c.auto_ack {
                return Err(format!(
                    "{}: with auto_ack the broker forgets each message as it sends it: nothing to hold",
                    f("hold")
                ));
            }
            let stream =
                self.queues.iter().any(|q| q.name == c.queue && super::stream::args::declares_stream(&q.arguments));
            super::stream::args::check_consumer(c, stream).map_err(|(field, e)| format!("{}{e}", f(field)))?;
            if c.processing > Time::secs(60) {
                return Err(format!("{}: at most 60s", f("processing")));
            }
            if c.processing_jitter > Time::secs(60) {
                return Err(format!("{}: at most 60s", f("processing_jitter")));
            }
        }
        super::processor::config::validate(self, &names)?;
        let mut later: Vec<Dest> = Vec::new();
        later.extend(
            exchanges
                .iter()
                .zip(&self.exchanges)
                .filter(|(_, s)| !s.declare_at_start)
                .map(|((id, _), _)| Dest::Exchange(*id)),
        );
        later.extend(
            (0..self.queues.len()).filter(|&i| !self.queues[i].declare_at_start).map(|i| Dest::Queue(i as u16)),
        );
        let scripts =
            self.scripts.iter().enumerate().map(|(i, s)| s.resolve(i, self, &names)).collect::<Result<_, _>>()?;
        Ok(Topology { broker, names, exchanges, queues, bindings, later, scripts })
    }
}

/// `rabbit_amqqueue:check_arguments`, for the arguments modelled here: RabbitMQ's names, types and
/// units (milliseconds). Read from a field table, as RabbitMQ reads them, so that one table parser
/// serves headers, binding arguments and queue arguments. Errors start with the argument's name.
fn parse_args(table: &Table, names: &Names) -> Result<QueueArgs, String> {
    fn int(v: &Value, min: u64, max: u64) -> Result<u64, String> {
        match v {
            Value::Int(i) if *i >= min as i64 && *i as u64 <= max => Ok(*i as u64),
            _ => Err(format!("must be a whole number from {min} to {max}")),
        }
    }
    fn text(v: &Value) -> Result<&str, String> {
        match v {
            Value::Str(s) => Ok(s),
            _ => Err("must be a string".into()),
        }
    }
    let mut a = QueueArgs::default();
    let mut own = super::quorum::QuorumArgs::default();
    let mut own_stream = super::stream::StreamArgs::default();
    for (k, v) in table.iter() {
        let ms = |min| int(v, min, MAX_EXPIRY_MS).map(Time::ms);
        let set: Result<(), String> = match k {
            "x-message-ttl" => ms(0).map(|t| a.message_ttl = Some(t)),
            "x-expires" => ms(1).map(|t| a.expires = Some(t)),
            "x-max-length" => int(v, 0, u32::MAX as u64).map(|n| a.max_length = Some(n as u32)),
            "x-max-length-bytes" => int(v, 0, i64::MAX as u64).map(|n| a.max_length_bytes = Some(n)),
            "x-overflow" => text(v).and_then(Overflow::parse).map(|o| a.overflow = o),
            "x-dead-letter-exchange" => text(v).and_then(|x| exchange_id(names, x)).map(|x| a.dlx = Some(x)),
            "x-dead-letter-routing-key" => text(v)
                .and_then(|k| check_shortstr("the routing key", k).map(|_| k))
                .map(|k| a.dl_routing_key = Some(k.into())),
            "x-max-priority" => int(v, 0, 255).map(|p| a.max_priority = Some(p as u8)),
            "x-single-active-consumer" => match v {
                Value::Bool(b) => {
                    a.single_active_consumer = *b;
                    Ok(())
                }
                _ => Err("must be true or false".into()),
            },
            _ => super::stream::args::parse(k, v, &mut own_stream)
                .or_else(|| super::quorum::args::parse(k, v, &mut a, &mut own))
                .unwrap_or_else(|| {
                    Err("not an argument this model knows (x-message-ttl, x-expires, x-max-length, \
                x-max-length-bytes, x-overflow, x-dead-letter-exchange, x-dead-letter-routing-key, x-max-priority, \
                x-single-active-consumer, x-queue-type, x-delivery-limit, x-dead-letter-strategy, x-max-age, \
                x-stream-max-segment-size-bytes)"
                        .into())
                }),
        };
        set.map_err(|e| format!("{k}: {e}"))?;
    }
    if a.dl_routing_key.is_some() && a.dlx.is_none() {
        return Err("x-dead-letter-routing-key: requires x-dead-letter-exchange".into());
    }
    super::quorum::args::finish(&mut a, own);
    super::stream::args::finish(&mut a, own_stream);
    Ok(a)
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty (server-named queues are not modelled)".into());
    }
    check_shortstr("the name", name)?;
    if name.starts_with("amq.") {
        return Err(format!("\"{name}\" uses the reserved prefix 'amq.' (ACCESS_REFUSED)"));
    }
    Ok(())
}

fn exchange_id(names: &Names, name: &str) -> Result<u16, String> {
    names.exchange_id(name).ok_or(format!("no exchange \"{name}\" (declare it in rabbit.exchanges)"))
}

fn kind_of(exchanges: &[(u16, ExchangeDecl)], id: u16) -> ExchangeType {
    match exchanges.iter().find(|(x, _)| *x == id) {
        Some((_, d)) => d.kind,
        None => PREDECLARED.get(id as usize).map_or(ExchangeType::Direct, |p| p.1),
    }
}

#[cfg(test)]
mod tests {
    use crate::Scenario;

    fn err(rabbit: &str) -> String {
        Scenario::from_json(&format!(r#"{{"name":"r","rabbit":{rabbit}}}"#)).expect_err("should be rejected")
    }

    #[test]
    fn bad_rabbit_settings_name_the_field() {
        let q = |args: &str| format!(r#"{{"queues":[{{"name":"q","arguments":{args}}}]}}"#);
        let cases = [
            (q(r#"{"x-message-ttl":-1}"#), "rabbit.queues[0].arguments.x-message-ttl: must be a whole number from 0"),
            (q(r#"{"x-overflow":"drop-tail"}"#), "rabbit.queues[0].arguments.x-overflow: \"drop-tail\" is not"),
            (q(r#"{"x-dead-letter-routing-key":"k"}"#), "requires x-dead-letter-exchange"),
            (q(r#"{"x-dead-letter-exchange":"nope"}"#), "x-dead-letter-exchange: no exchange \"nope\""),
            (q(r#"{"x-queue-type":"quorum"}"#), "rabbit.queues[0].durable: PRECONDITION_FAILED - invalid property 'non-durable' for queue 'q' in vhost '/'"),
            (q(r#"{"x-queue-type":"stream"}"#), "rabbit.queues[0].durable: PRECONDITION_FAILED - invalid property 'non-durable' for queue 'q' in vhost '/'"),
            (q(r#"{"x-delivery-limit":3}"#), "rabbit.queues[0].arguments: PRECONDITION_FAILED - invalid arg 'x-delivery-limit' for queue 'q' in vhost '/' of queue type rabbit_classic_queue"),
            (q(r#"{"x-max-priority":256}"#), "x-max-priority: must be a whole number from 0 to 255"),
            (q(r#"{"x-expires":0}"#), "x-expires: must be a whole number from 1"),
            (q(r#"{"x-message-ttl":"5s"}"#), "x-message-ttl: must be a whole number"),
            (q(r#"{"x-colour":1}"#), "rabbit.queues[0].arguments.x-colour: not an argument this model knows"),
            (r#"{"exchanges":[{"name":"x","type":"x-random"}]}"#.into(), "rabbit.exchanges[0].type: unknown exchange type"),
            (r#"{"exchanges":[{"name":"amq.x","type":"topic"}]}"#.into(), "reserved prefix"),
            (format!(r#"{{"queues":[{{"name":"{}"}}]}}"#, "q".repeat(256)), "rabbit.queues[0].name: the name is 256 bytes"),
            (
                r##"{"exchanges":[{"name":"t","type":"topic"}],"queues":[{"name":"q"}],"bindings":[{"source":"t","destination":"q","routing_key":"#.#.#"}]}"##.into(),
                "rabbit.bindings[0].routing_key: topic binding key '#.#.#' uses 3",
            ),
            (r#"{"queues":[{"name":"q"}],"bindings":[{"source":"","destination":"q"}]}"#.into(), "ACCESS_REFUSED"),
            (r#"{"consumers":[{"id":"c","queue":"nope"}]}"#.into(), "rabbit.consumers[0].queue: no queue \"nope\""),
            (
                r#"{"queues":[{"name":"q"}],"consumers":[{"id":"c","queue":"q","prefetch":2,"ack_every":3}]}"#.into(),
                "rabbit.consumers[0].ack_every",
            ),
            (
                r#"{"queues":[{"name":"q"}],"consumers":[{"id":"c","queue":"q","auto_ack":true,"hold":true}]}"#.into(),
                "rabbit.consumers[0].hold: with auto_ack",
            ),
            (r#"{"publishers":[{"id":"p","exchange":"x","interval":"1ms"}]}"#.into(), "rabbit.publishers[0].exchange"),
            (
                r#"{"publishers":[{"id":"p","interval":"1ms","headers":{"n":18446744073709551615}}]}"#.into(),
                "rabbit.publishers[0].headers",
            ),
            (r#"{"queues":[{"name":"q","exclusive":true}]}"#.into(), "rabbit.queues[0].exclusive"),
            (r#"{"broker":"p","publishers":[{"id":"p","interval":"1ms"}]}"#.into(), "\"p\" is used twice"),
        ];
        for (rabbit, want) in cases {
            let got = err(&rabbit);
            assert!(got.contains(want), "wanted {want:?} in {got:?}");
        }
    }
}
