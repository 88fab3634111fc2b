//! The RabbitMQ topology editor's model, pure and native-tested: the scenario's exchanges, queues
//! (with their `x-` arguments), bindings, publishers and consumers as a draft the page edits row by
//! row. Removing an exchange or a queue removes its bindings too, as exchange.delete and
//! queue.delete do; one that a publisher, a consumer, an alternate-exchange or a dead-letter
//! argument still names cannot go, nor can a client a fault names (the reason is the button's
//! tooltip). `build` asks the engine's own validation, and an error comes back pinned to its row,
//! so the page shows it there; the draft is never lost.
//!
//! Names of existing rows are fixed, as in RabbitMQ (an exchange or a queue is never renamed:
//! delete it and declare another). Applying restarts the run with the new setup.

use crate::i18n::{t, tf};
use brokerlab_engine::rabbit::config::{BindingSpec, ConsumerSpec, ExchangeSpec, PublisherSpec, QueueSpec, RabbitSpec};
use brokerlab_engine::rabbit::routing::{Table, Value};
use brokerlab_engine::Time;

pub const EXCHANGE_TYPES: [&str; 4] = ["direct", "fanout", "topic", "headers"];

/// Queue arguments the editor offers to add with one click, with a typical value.
pub const QUICK_ARGS: [(&str, &str); 9] = [
    ("x-message-ttl", "5000"),
    ("x-expires", "60000"),
    ("x-max-length", "10"),
    ("x-overflow", "\"reject-publish\""),
    ("x-dead-letter-exchange", "\"\""),
    ("x-dead-letter-routing-key", "\"\""),
    ("x-single-active-consumer", "true"),
    ("x-max-priority", "10"),
    // A stream must be durable, and takes only x-max-length-bytes, x-max-age and
    // x-stream-max-segment-size-bytes besides (the engine says so, naming the argument).
    ("x-queue-type", "\"stream\""),
];

/// A list of the draft.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    Exchanges,
    Queues,
    Bindings,
    Publishers,
    Consumers,
}

const LISTS: [List; 5] = [List::Exchanges, List::Queues, List::Bindings, List::Publishers, List::Consumers];

impl List {
    fn path(self) -> &'static str {
        match self {
            List::Exchanges => "rabbit.exchanges",
            List::Queues => "rabbit.queues",
            List::Bindings => "rabbit.bindings",
            List::Publishers => "rabbit.publishers",
            List::Consumers => "rabbit.consumers",
        }
    }
}

/// How a consumer acknowledges, as the editor's select offers it.
pub const ACK_MODES: [&str; 3] = ["manual", "auto", "hold"];

/// A problem of the draft: the row it is about (if any) and the engine's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub row: Option<(List, usize)>,
    pub message: String,
}

/// A queue as edited: its declaration, and its arguments as the user typed them (JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueRow {
    pub spec: QueueSpec,
    pub args: String,
}

/// A binding as edited: the arguments (headers exchanges) as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindingRow {
    pub spec: BindingSpec,
    pub args: String,
}

/// A publisher as edited: the routing keys (comma-separated), interval and count as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublisherRow {
    pub spec: PublisherSpec,
    pub keys: String,
    pub interval: String,
    /// Blank: forever.
    pub count: String,
}

/// A consumer as edited: prefetch, processing time and "reject every" as typed; `mode` one of
/// `ACK_MODES`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerRow {
    pub spec: ConsumerSpec,
    pub mode: String,
    pub prefetch: String,
    pub processing: String,
    pub reject_every: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub exchanges: Vec<ExchangeSpec>,
    pub queues: Vec<QueueRow>,
    pub bindings: Vec<BindingRow>,
    pub publishers: Vec<PublisherRow>,
    pub consumers: Vec<ConsumerRow>,
}

fn publisher_row(p: &PublisherSpec) -> PublisherRow {
    PublisherRow {
        spec: p.clone(),
        keys: p.routing_keys.join(", "),
        interval: p.interval.to_string(),
        count: p.count.map_or(String::new(), |c| c.to_string()),
    }
}

fn consumer_row(c: &ConsumerSpec) -> ConsumerRow {
    let mode = if c.hold {
        "hold"
    } else if c.auto_ack {
        "auto"
    } else {
        "manual"
    };
    ConsumerRow {
        spec: c.clone(),
        mode: mode.into(),
        prefetch: c.prefetch.to_string(),
        processing: c.processing.to_string(),
        reject_every: c.reject_every.to_string(),
    }
}

/// A whole number typed in a field, with the field's path in the error.
fn number<T: std::str::FromStr>(path: String, text: &str, what: &str) -> Result<T, String> {
    text.trim().parse().map_err(|_| tf("{0}: `{1}` is not {2}", &[&path, &text.trim(), &what]))
}

fn table_text(t: &Table) -> String {
    if t.is_empty() {
        String::new()
    } else {
        t.to_json()
    }
}

/// A field table typed as a JSON object; blank is none. `what` names it in the error.
pub fn parse_table(what: &str, text: &str) -> Result<Table, String> {
    if text.trim().is_empty() {
        return Ok(Table::default());
    }
    serde_json::from_str::<Table>(text)
        .map_err(|e| tf("{0}: {1} (write a JSON object, e.g. {\"x-max-length\": 10})", &[&what, &e]))
}

/// A destination as the editor's select names it: `queue:NAME` or `exchange:NAME`.
pub fn dest_key(b: &BindingSpec) -> String {
    format!("{}:{}", b.destination_type, b.destination)
}

impl Draft {
    pub fn from_spec(spec: &RabbitSpec) -> Draft {
        Draft {
            exchanges: spec.exchanges.clone(),
            queues: spec.queues.iter().map(|q| QueueRow { spec: q.clone(), args: table_text(&q.arguments) }).collect(),
            bindings: spec
                .bindings
                .iter()
                .map(|b| BindingRow { spec: b.clone(), args: table_text(&b.arguments) })
                .collect(),
            publishers: spec.publishers.iter().map(publisher_row).collect(),
            consumers: spec.consumers.iter().map(consumer_row).collect(),
        }
    }

    /// How many rows `list` has.
    pub fn len(&self, list: List) -> usize {
        match list {
            List::Exchanges => self.exchanges.len(),
            List::Queues => self.queues.len(),
            List::Bindings => self.bindings.len(),
            List::Publishers => self.publishers.len(),
            List::Consumers => self.consumers.len(),
        }
    }

    /// The queue names, for a consumer's select.
    pub fn queue_names(&self) -> Vec<String> {
        self.queues.iter().map(|q| q.spec.name.clone()).collect()
    }

    /// `id` trimmed, if no client has it yet.
    fn new_client_id<'a>(&self, id: &'a str) -> Result<&'a str, String> {
        let id = id.trim();
        match self.publishers.iter().any(|p| p.spec.id == id) || self.consumers.iter().any(|c| c.spec.id == id) {
            true => Err(tf("\"{0}\" is already a client", &[&id])),
            false => Ok(id),
        }
    }

    /// A publisher to `exchange` ("" the default one) with one routing key, every 100 ms.
    pub fn add_publisher(&mut self, id: &str, exchange: &str, keys: &str) -> Result<(), String> {
        let id = self.new_client_id(id)?;
        let spec = PublisherSpec {
            id: id.into(),
            exchange: exchange.into(),
            routing_keys: vec![],
            interval: Time::ms(100),
            start: None,
            count: None,
            confirms: true,
            persistent: true,
            mandatory: false,
            priority: None,
            expiration: None,
            headers: Table::default(),
            size: 100,
        };
        let mut row = publisher_row(&spec);
        row.keys = keys.trim().into();
        self.publishers.push(row);
        Ok(())
    }

    /// A consumer of `queue` with manual acks, prefetch 10, 5 ms per message.
    pub fn add_consumer(&mut self, id: &str, queue: &str) -> Result<(), String> {
        let id = self.new_client_id(id)?;
        let spec = ConsumerSpec {
            id: id.into(),
            queue: queue.into(),
            prefetch: 10,
            auto_ack: false,
            processing: Time::ms(5),
            processing_jitter: Time::ZERO,
            ack_every: 1,
            reject_every: 0,
            requeue: false,
            declare: true,
            hold: false,
            start: None,
            arguments: Table::default(),
        };
        self.consumers.push(consumer_row(&spec));
        Ok(())
    }

    /// Why client `id` cannot be removed: a fault of the scenario names it (`pinned`).
    pub fn client_pinned(pinned: &[String], id: &str) -> Option<String> {
        pinned
            .iter()
            .any(|p| p == id)
            .then(|| t("a fault of the scenario names it (edit the faults in the JSON)").into())
    }

    pub fn remove_publisher(&mut self, i: usize) {
        if i < self.publishers.len() {
            self.publishers.remove(i);
        }
    }

    pub fn remove_consumer(&mut self, i: usize) {
        if i < self.consumers.len() {
            self.consumers.remove(i);
        }
    }

    /// The exchanges a binding can name as its source (not the default exchange), and the
    /// destinations (`queue:NAME`, `exchange:NAME`), in the draft's order.
    pub fn sources(&self) -> Vec<String> {
        let predeclared = ["amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"];
        self.exchanges.iter().map(|x| x.name.clone()).chain(predeclared.iter().map(|s| s.to_string())).collect()
    }

    pub fn destinations(&self) -> Vec<String> {
        let queues = self.queues.iter().map(|q| format!("queue:{}", q.spec.name));
        queues.chain(self.exchanges.iter().map(|x| format!("exchange:{}", x.name))).collect()
    }

    /// Why exchange `i` cannot be removed (what still names it), if anything does.
    pub fn exchange_in_use(&self, i: usize) -> Option<String> {
        let name = &self.exchanges.get(i)?.name;
        if let Some(p) = self.publishers.iter().find(|p| &p.spec.exchange == name) {
            return Some(tf("publisher {0} publishes to it", &[&p.spec.id]));
        }
        if let Some(x) = self.exchanges.iter().find(|x| x.alternate_exchange.as_ref() == Some(name)) {
            return Some(tf("it is the alternate exchange of {0}", &[&x.name]));
        }
        let names_it = |t: &str| {
            parse_table("", t).ok().and_then(|t| match t.get("x-dead-letter-exchange") {
                Some(Value::Str(s)) => Some(&**s == name.as_str()),
                _ => None,
            }) == Some(true)
        };
        if let Some(q) = self.queues.iter().find(|q| names_it(&q.args)) {
            return Some(tf("it is the dead-letter exchange of queue {0}", &[&q.spec.name]));
        }
        None
    }

    /// Why queue `i` cannot be removed, if a consumer consumes from it.
    pub fn queue_in_use(&self, i: usize) -> Option<String> {
        let name = &self.queues.get(i)?.spec.name;
        self.consumers
            .iter()
            .find(|c| &c.spec.queue == name)
            .map(|c| tf("consumer {0} consumes from it", &[&c.spec.id]))
    }

    /// Removes exchange `i` and every binding from or to it (exchange.delete).
    pub fn remove_exchange(&mut self, i: usize) -> Result<(), String> {
        if let Some(why) = self.exchange_in_use(i) {
            return Err(why);
        }
        let Some(x) = self.exchanges.get(i) else { return Ok(()) };
        let name = x.name.clone();
        self.bindings.retain(|b| {
            b.spec.source != name && !(b.spec.destination_type == "exchange" && b.spec.destination == name)
        });
        self.exchanges.remove(i);
        Ok(())
    }

    /// Removes queue `i` and its bindings (queue.delete).
    pub fn remove_queue(&mut self, i: usize) -> Result<(), String> {
        if let Some(why) = self.queue_in_use(i) {
            return Err(why);
        }
        let Some(q) = self.queues.get(i) else { return Ok(()) };
        let name = q.spec.name.clone();
        self.bindings.retain(|b| !(b.spec.destination_type == "queue" && b.spec.destination == name));
        self.queues.remove(i);
        Ok(())
    }

    pub fn remove_binding(&mut self, i: usize) {
        if i < self.bindings.len() {
            self.bindings.remove(i);
        }
    }

    pub fn add_exchange(&mut self, name: &str, kind: &str, durable: bool) {
        self.exchanges.push(ExchangeSpec {
            name: name.trim().into(),
            kind: kind.into(),
            durable,
            auto_delete: false,
            alternate_exchange: None,
            declare_at_start: true,
        });
    }

    pub fn add_queue(&mut self, name: &str, durable: bool, args: &str) {
        let spec = QueueSpec {
            name: name.trim().into(),
            durable,
            exclusive: false,
            auto_delete: false,
            arguments: Table::default(),
            declare_at_start: true,
        };
        self.queues.push(QueueRow { spec, args: args.trim().into() });
    }

    /// Adds a binding from `source` to `dest` (`queue:NAME` or `exchange:NAME`).
    pub fn add_binding(&mut self, source: &str, dest: &str, key: &str, args: &str) {
        let (kind, name) = dest.split_once(':').unwrap_or(("queue", dest));
        let spec = BindingSpec {
            source: source.into(),
            destination: name.into(),
            destination_type: kind.into(),
            routing_key: key.into(),
            arguments: Table::default(),
        };
        self.bindings.push(BindingRow { spec, args: args.trim().into() });
    }

    /// `spec` with this draft's topology, validated by the engine; an error names its row.
    pub fn build(&self, spec: &RabbitSpec) -> Result<RabbitSpec, Problem> {
        let mut out = spec.clone();
        out.exchanges = self.exchanges.clone();
        out.queues = Vec::with_capacity(self.queues.len());
        for (i, q) in self.queues.iter().enumerate() {
            let arguments = parse_table(&format!("rabbit.queues[{i}].arguments"), &q.args)
                .map_err(|message| Problem { row: Some((List::Queues, i)), message })?;
            out.queues.push(QueueSpec { arguments, ..q.spec.clone() });
        }
        out.bindings = Vec::with_capacity(self.bindings.len());
        for (i, b) in self.bindings.iter().enumerate() {
            let arguments = parse_table(&format!("rabbit.bindings[{i}].arguments"), &b.args)
                .map_err(|message| Problem { row: Some((List::Bindings, i)), message })?;
            out.bindings.push(BindingSpec { arguments, ..b.spec.clone() });
        }
        out.publishers = Vec::with_capacity(self.publishers.len());
        for (i, p) in self.publishers.iter().enumerate() {
            let at = |message| Problem { row: Some((List::Publishers, i)), message };
            let f = |field: &str| format!("rabbit.publishers[{i}].{field}");
            let interval = Time::parse(&p.interval).map_err(|e| at(format!("{}: {e}", f("interval"))))?;
            let count = match p.count.trim() {
                "" => None,
                c => Some(number(f("count"), c, t("a whole number (blank: forever)")).map_err(at)?),
            };
            let routing_keys = p.keys.split(',').map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect();
            out.publishers.push(PublisherSpec { interval, count, routing_keys, ..p.spec.clone() });
        }
        out.consumers = Vec::with_capacity(self.consumers.len());
        for (i, c) in self.consumers.iter().enumerate() {
            let at = |message| Problem { row: Some((List::Consumers, i)), message };
            let f = |field: &str| format!("rabbit.consumers[{i}].{field}");
            let prefetch =
                number(f("prefetch"), &c.prefetch, t("a whole number from 0 (unlimited) to 65535")).map_err(at)?;
            let processing = Time::parse(&c.processing).map_err(|e| at(format!("{}: {e}", f("processing"))))?;
            let reject_every =
                number(f("reject_every"), &c.reject_every, t("a whole number (0: never)")).map_err(at)?;
            let (auto_ack, hold) = (c.mode == "auto", c.mode == "hold");
            out.consumers.push(ConsumerSpec { prefetch, processing, reject_every, auto_ack, hold, ..c.spec.clone() });
        }
        out.validate().map_err(|message| Problem { row: row_of(&message), message })?;
        Ok(out)
    }
}

/// `args` (a JSON object as typed, perhaps blank) with `entry` (`"k": v`) added at its end.
pub fn add_arg(args: &str, entry: &str) -> String {
    let t = args.trim();
    match t.strip_suffix('}') {
        Some(body) if body.trim_end() == "{" => format!("{{{entry}}}"),
        Some(body) => format!("{}, {entry}}}", body.trim_end()),
        None if t.is_empty() => format!("{{{entry}}}"),
        None => format!("{t} {entry}"),
    }
}

/// The row an engine message is about: `rabbit.queues[2].arguments…` → (Queues, 2).
fn row_of(message: &str) -> Option<(List, usize)> {
    LISTS.into_iter().find_map(|l| {
        let rest = message.strip_prefix(l.path())?.strip_prefix('[')?;
        let (n, _) = rest.split_once(']')?;
        Some((l, n.parse().ok()?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::presets;

    fn spec() -> RabbitSpec {
        presets::load("rabbit-basic").unwrap().rabbit.unwrap()
    }

    #[test]
    fn quick_arguments_append_to_the_typed_object() {
        assert_eq!(add_arg("", "\"x-max-length\": 10"), "{\"x-max-length\": 10}");
        assert_eq!(add_arg("{}", "\"a\": 1"), "{\"a\": 1}");
        assert_eq!(add_arg("{\"a\": 1}", "\"b\": 2"), "{\"a\": 1, \"b\": 2}");
    }

    /// The queue type is chosen with the x-queue-type quick argument; a stream the engine refuses
    /// comes back pinned to its row with RabbitMQ's text.
    #[test]
    fn a_stream_is_declared_with_the_queue_type_argument() {
        let s = spec();
        let mut d = Draft::from_spec(&s);
        let args = add_arg("", &format!("\"{}\": {}", QUICK_ARGS[8].0, QUICK_ARGS[8].1));
        d.add_queue("log", false, &args);
        let e = d.build(&s).unwrap_err();
        assert_eq!(e.row, Some((List::Queues, s.queues.len())));
        assert!(e.message.contains("invalid property 'non-durable' for queue 'log'"), "{}", e.message);
        let mut d = Draft::from_spec(&s);
        d.add_queue("log", true, &args);
        d.add_consumer("reader", "log").unwrap();
        let built = d.build(&s).unwrap();
        assert!(built.queues.iter().any(|q| q.name == "log"));
    }

    #[test]
    fn an_untouched_draft_builds_the_same_topology() {
        let s = spec();
        assert_eq!(Draft::from_spec(&s).build(&s).unwrap(), s);
    }

    #[test]
    fn removing_takes_the_bindings_along_and_refuses_what_is_in_use() {
        let s = spec();
        let mut d = Draft::from_spec(&s);
        // orders: the shop publishes to it.
        let orders = d.exchanges.iter().position(|x| x.name == "orders").unwrap();
        assert_eq!(d.remove_exchange(orders), Err("publisher shop publishes to it".into()));
        // unrouted: orders' alternate exchange; dlx: billing's dead-letter exchange.
        let unrouted = d.exchanges.iter().position(|x| x.name == "unrouted").unwrap();
        assert!(d.exchange_in_use(unrouted).unwrap().contains("alternate exchange of orders"));
        let dlx = d.exchanges.iter().position(|x| x.name == "dlx").unwrap();
        assert!(d.exchange_in_use(dlx).unwrap().contains("dead-letter exchange of queue billing"));
        // billing has a consumer; lost-and-found has none: it goes, with its binding.
        let billing = d.queues.iter().position(|q| q.spec.name == "billing").unwrap();
        assert!(d.remove_queue(billing).is_err());
        let lost = d.queues.iter().position(|q| q.spec.name == "lost-and-found").unwrap();
        d.remove_queue(lost).unwrap();
        assert!(!d.bindings.iter().any(|b| b.spec.destination == "lost-and-found"));
        let built = d.build(&s).unwrap();
        assert_eq!(built.queues.len(), s.queues.len() - 1);
        assert_eq!(built.bindings.len(), s.bindings.len() - 1);
        // With orders' alternate gone, unrouted can go too, with its bindings.
        d.exchanges[orders].alternate_exchange = None;
        d.remove_exchange(unrouted).unwrap();
        assert!(!d.bindings.iter().any(|b| b.spec.source == "unrouted"));
        d.build(&s).unwrap();
        // Without its consumer the biller, billing can go.
        let biller = d.consumers.iter().position(|c| c.spec.id == "biller").unwrap();
        d.remove_consumer(biller);
        let billing = d.queues.iter().position(|q| q.spec.name == "billing").unwrap();
        d.remove_queue(billing).unwrap();
        assert_eq!(d.build(&s).unwrap().consumers.len(), s.consumers.len() - 1);
    }

    #[test]
    fn clients_are_added_and_changed_with_errors_at_their_row() {
        let s = spec();
        let mut d = Draft::from_spec(&s);
        assert_eq!(d.add_consumer("biller", "billing"), Err("\"biller\" is already a client".into()));
        d.add_consumer("biller2", "billing").unwrap();
        d.add_publisher("shop2", "orders", "order.us.paid, order.eu.paid").unwrap();
        let built = d.build(&s).unwrap();
        let c = built.consumers.last().unwrap();
        assert_eq!((c.prefetch, c.processing, c.auto_ack, c.hold), (10, Time::ms(5), false, false));
        assert_eq!(built.publishers.last().unwrap().routing_keys, vec!["order.us.paid", "order.eu.paid"]);
        // Typed values: a consumer that holds with prefetch 2; then bad values at their rows.
        let (ci, pi) = (d.consumers.len() - 1, d.publishers.len() - 1);
        d.consumers[ci].mode = "hold".into();
        d.consumers[ci].prefetch = "2".into();
        let c = d.build(&s).unwrap().consumers[ci].clone();
        assert_eq!((c.prefetch, c.hold, c.auto_ack), (2, true, false));
        d.consumers[ci].prefetch = "lots".into();
        let p = d.build(&s).unwrap_err();
        assert_eq!(p.row, Some((List::Consumers, ci)));
        assert!(p.message.starts_with(&format!("rabbit.consumers[{ci}].prefetch: `lots` is not")), "{}", p.message);
        d.consumers[ci].prefetch = "2".into();
        d.publishers[pi].interval = "fast".into();
        assert_eq!(d.build(&s).unwrap_err().row, Some((List::Publishers, pi)));
        d.publishers[pi].interval = "10ms".into();
        d.publishers[pi].count = "0".into();
        let p = d.build(&s).unwrap_err();
        assert_eq!(p.row, Some((List::Publishers, pi)), "{}", p.message);
        d.publishers[pi].count = String::new();
        d.build(&s).unwrap();
        assert!(Draft::client_pinned(&["shop".into()], "shop").is_some());
    }

    #[test]
    fn added_rows_are_validated_by_the_engine_and_errors_name_the_row() {
        let s = spec();
        let mut d = Draft::from_spec(&s);
        d.add_exchange("events", "topic", true);
        d.add_queue("slow", true, r#"{"x-message-ttl": 300, "x-dead-letter-exchange": "dlx"}"#);
        d.add_binding("events", "queue:slow", "order.*", "");
        d.add_binding("events", "exchange:orders", "#", "");
        let built = d.build(&s).unwrap();
        assert_eq!(built.exchanges.last().unwrap().name, "events");
        assert_eq!(built.queues.last().unwrap().arguments.get("x-message-ttl"), Some(&Value::Int(300)));
        assert_eq!(built.bindings.last().unwrap().destination_type, "exchange");

        let q = d.queues.len() - 1;
        d.queues[q].args = r#"{"x-overflow": "drop-tail"}"#.into();
        let p = d.build(&s).unwrap_err();
        assert_eq!(p.row, Some((List::Queues, q)));
        assert!(p.message.contains("x-overflow"), "{}", p.message);
        d.queues[q].args = "{not json".into();
        let p = d.build(&s).unwrap_err();
        assert_eq!(p.row, Some((List::Queues, q)));
        assert!(p.message.starts_with(&format!("rabbit.queues[{q}].arguments: ")), "{}", p.message);
        d.queues[q].args = String::new();
        d.add_binding("events", "queue:slow", "#.#.#", "");
        let p = d.build(&s).unwrap_err();
        assert_eq!(p.row, Some((List::Bindings, d.bindings.len() - 1)));
        d.remove_binding(d.bindings.len() - 1);
        d.add_exchange("events", "fanout", false);
        assert_eq!(d.build(&s).unwrap_err().row, Some((List::Exchanges, d.exchanges.len() - 1)));
        d.exchanges.pop();
        d.add_exchange("", "fanout", false);
        assert!(d.build(&s).unwrap_err().message.contains("name"));
    }
}
