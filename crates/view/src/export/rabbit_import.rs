//! A RabbitMQ `definitions.json` (as `rabbitmqctl export_definitions` or the management UI writes
//! it) read into the topology editor: its exchanges, queues and bindings of vhost "/" replace the
//! draft's, the draft's publishers and consumers stay. Anything the model does not have is said
//! in a note (other vhosts, policies, users, internal exchanges, exchange arguments other than
//! `alternate-exchange`); anything invalid is an error in the file's own terms (`queue "billing":
//! x-overflow: …`), and then the draft is left exactly as it was.

use crate::rabbit_edit::Draft;
use brokerlab_engine::json_path::parse_json;
use brokerlab_engine::rabbit::config::{BindingSpec, ExchangeSpec, QueueSpec, RabbitSpec};
use brokerlab_engine::rabbit::routing::{Table, Value};
use brokerlab_engine::Scenario;
use serde::de::IgnoredAny;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(expecting = "a definitions object: {\"exchanges\": […], \"queues\": […], \"bindings\": […]}")]
struct Definitions {
    #[serde(default)]
    exchanges: Vec<ExchangeDef>,
    #[serde(default)]
    queues: Vec<QueueDef>,
    #[serde(default)]
    bindings: Vec<BindingDef>,
    #[serde(default)]
    policies: Vec<IgnoredAny>,
    #[serde(default)]
    parameters: Vec<IgnoredAny>,
    #[serde(default)]
    users: Vec<IgnoredAny>,
}

fn slash() -> String {
    "/".into()
}

#[derive(Deserialize)]
#[serde(expecting = "an exchange: {\"name\": …, \"type\": …}")]
struct ExchangeDef {
    name: String,
    #[serde(default = "slash")]
    vhost: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    durable: bool,
    #[serde(default)]
    auto_delete: bool,
    #[serde(default)]
    internal: bool,
    #[serde(default)]
    arguments: Table,
}

#[derive(Deserialize)]
#[serde(expecting = "a queue: {\"name\": …, \"durable\": …, \"arguments\": {…}}")]
struct QueueDef {
    name: String,
    #[serde(default = "slash")]
    vhost: String,
    /// RabbitMQ 3.13+ exports the queue type beside the arguments.
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    durable: bool,
    #[serde(default)]
    auto_delete: bool,
    #[serde(default)]
    arguments: Table,
}

#[derive(Deserialize)]
#[serde(expecting = "a binding: {\"source\": …, \"destination\": …, \"destination_type\": …}")]
struct BindingDef {
    source: String,
    #[serde(default = "slash")]
    vhost: String,
    destination: String,
    destination_type: String,
    #[serde(default)]
    routing_key: String,
    #[serde(default)]
    arguments: Table,
}

/// The topology read from a file (a RabbitMQ section with no clients), and what was left out or
/// changed on the way in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    pub topology: RabbitSpec,
    pub notes: Vec<String>,
}

/// A RabbitMQ section with nothing declared and the model's defaults (broker `rabbit`).
fn empty() -> RabbitSpec {
    serde_json::from_str("{}").expect("every field of a RabbitMQ section has a default")
}

fn predeclared(name: &str) -> bool {
    name.is_empty() || name.starts_with("amq.")
}

/// Reads `text` as a definitions file and checks its topology with the engine's own validation.
pub fn import_definitions(text: &str) -> Result<Imported, String> {
    let defs: Definitions = parse_json(
        text,
        "this is not a definitions file: it should be a JSON object with exchanges, queues and bindings",
    )?;
    let mut notes = Vec::new();
    let mut other_vhosts = 0;
    let mut in_slash = |vhost: &str| {
        let ok = vhost == "/";
        other_vhosts += usize::from(!ok);
        ok
    };
    let mut exchanges = Vec::new();
    for x in defs.exchanges {
        if !in_slash(&x.vhost) || predeclared(&x.name) {
            continue;
        }
        if x.internal {
            notes.push(format!("exchange \"{}\" is internal in the file; the model has no internal exchanges, so clients could publish to it here", x.name));
        }
        let mut alternate = None;
        for (k, v) in x.arguments.iter() {
            match (k, v) {
                ("alternate-exchange", Value::Str(a)) => alternate = Some(a.to_string()),
                _ => notes.push(format!("exchange \"{}\": argument {k} is not modelled and was left out", x.name)),
            }
        }
        exchanges.push(ExchangeSpec {
            name: x.name,
            kind: x.kind,
            durable: x.durable,
            auto_delete: x.auto_delete,
            alternate_exchange: alternate,
            declare_at_start: true,
        });
    }
    let mut queues = Vec::new();
    for q in defs.queues {
        if !in_slash(&q.vhost) {
            continue;
        }
        let mut arguments = q.arguments;
        match q.kind.as_deref() {
            None | Some("classic") => {}
            // A quorum queue or a stream is one by its `type`, whatever its arguments say.
            Some(kind @ ("quorum" | "stream")) if arguments.get("x-queue-type").is_none() => {
                arguments = arguments.with("x-queue-type", brokerlab_engine::rabbit::routing::Value::Str(kind.into()))
            }
            Some("quorum" | "stream") => {}
            Some(kind) => {
                return Err(format!(
                    "queue \"{}\": a {kind} queue; only classic and quorum queues and streams are modelled",
                    q.name
                ))
            }
        }
        queues.push(QueueSpec {
            name: q.name,
            durable: q.durable,
            exclusive: false,
            auto_delete: q.auto_delete,
            arguments,
            declare_at_start: true,
        });
    }
    let mut bindings = Vec::new();
    for b in defs.bindings {
        // The default exchange's bindings are implicit (one per queue, by its name).
        if !in_slash(&b.vhost) || b.source.is_empty() {
            continue;
        }
        bindings.push(BindingSpec {
            source: b.source,
            destination: b.destination,
            destination_type: b.destination_type,
            routing_key: b.routing_key,
            arguments: b.arguments,
        });
    }
    if other_vhosts > 0 {
        notes.push(format!(
            "{other_vhosts} exchanges, queues or bindings of other virtual hosts were left out: the model has one, /"
        ));
    }
    for (n, what) in
        [(defs.policies.len(), "policies"), (defs.parameters.len(), "runtime parameters (shovels, federation)")]
    {
        if n > 0 {
            notes.push(format!("{what} left out ({n}): not modelled, their effect is not in the topology"));
        }
    }
    if !defs.users.is_empty() {
        notes.push("users and permissions left out: the model has no access control".into());
    }
    let imported = Imported { topology: RabbitSpec { exchanges, queues, bindings, ..empty() }, notes };
    imported.topology.validate().map_err(|e| imported.in_file_terms(&e))?;
    Ok(imported)
}

impl Imported {
    /// An engine message about the topology in the file's terms: `rabbit.queues[2].arguments.
    /// x-overflow: …` → `queue "shipping": arguments.x-overflow: …`.
    fn in_file_terms(&self, message: &str) -> String {
        let t = &self.topology;
        let named = |list: &str, name: &dyn Fn(usize) -> Option<String>| -> Option<String> {
            let rest = message.strip_prefix(list)?.strip_prefix('[')?;
            let (i, rest) = rest.split_once(']')?;
            let what = name(i.parse().ok()?)?;
            Some(format!("{what}{}", rest.strip_prefix('.').map_or(rest.to_string(), |r| format!(": {r}"))))
        };
        named("rabbit.exchanges", &|i| t.exchanges.get(i).map(|x| format!("exchange \"{}\"", x.name)))
            .or_else(|| named("rabbit.queues", &|i| t.queues.get(i).map(|q| format!("queue \"{}\"", q.name))))
            .or_else(|| {
                named("rabbit.bindings", &|i| {
                    t.bindings
                        .get(i)
                        .map(|b| format!("binding {} → {} {}", b.source, b.destination_type, b.destination))
                })
            })
            .unwrap_or_else(|| message.to_string())
    }
}

/// A RabbitMQ scenario named `name` whose topology is the file's (and no clients), with the
/// import's notes: what `brokerlab import-definitions` prints.
pub fn scenario_from_definitions(name: &str, text: &str) -> Result<(Scenario, Vec<String>), String> {
    let imported = import_definitions(text)?;
    let mut scenario = Scenario::from_json(r#"{"name": "imported", "rabbit": {}}"#)?;
    scenario.name = name.to_string();
    scenario.description =
        "A RabbitMQ topology imported from a definitions file: add publishers and consumers to run it.".into();
    scenario.rabbit = Some(imported.topology);
    scenario.validate()?;
    Ok((scenario, imported.notes))
}

/// A definitions file larger than this is refused before it is read (a topology the model takes,
/// 64 exchanges, 64 queues and 256 bindings, is a few tens of KB).
pub const MAX_IMPORT_BYTES: f64 = 4.0 * 1024.0 * 1024.0;

/// What the page says after a file was chosen: a summary, or why nothing changed; and the notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    pub ok: bool,
    pub summary: String,
    pub notes: Vec<String>,
}

impl Draft {
    /// `import_definitions` for the page: the file `name` of `bytes` bytes with its `text`.
    pub fn import_file(&mut self, name: &str, bytes: f64, text: &str) -> ImportReport {
        let refused = |why: String| ImportReport {
            ok: false,
            summary: format!("{name} was not imported: {why}. The topology below is unchanged."),
            notes: vec![],
        };
        if bytes > MAX_IMPORT_BYTES {
            return refused(format!(
                "it is {:.1} MB; a definitions file this model can take is far smaller",
                bytes / 1e6
            ));
        }
        match self.import_definitions(text) {
            Ok(notes) => ImportReport {
                ok: true,
                summary: format!(
                    "Imported {name}: {} exchanges, {} queues, {} bindings. Review them below, then Apply topology (Revert undoes the import).",
                    self.exchanges.len(),
                    self.queues.len(),
                    self.bindings.len()
                ),
                notes,
            },
            Err(e) => refused(e),
        }
    }

    /// Replaces the draft's exchanges, queues and bindings with those of `text`, a definitions
    /// file; its clients stay. Returns the notes (what was left out, and any client that now names
    /// something the file does not declare); on an error the draft is unchanged.
    pub fn import_definitions(&mut self, text: &str) -> Result<Vec<String>, String> {
        let Imported { topology, mut notes } = import_definitions(text)?;
        let rows = Draft::from_spec(&topology);
        (self.exchanges, self.queues, self.bindings) = (rows.exchanges, rows.queues, rows.bindings);
        let exchange_known = |x: &str| x.is_empty() || predeclared(x) || self.exchanges.iter().any(|e| e.name == x);
        for p in self.publishers.iter().filter(|p| !exchange_known(&p.spec.exchange)) {
            notes.push(format!("publisher {} publishes to exchange {}, which the file does not declare: change or remove it before applying", p.spec.id, p.spec.exchange));
        }
        for c in self.consumers.iter().filter(|c| !self.queues.iter().any(|q| q.spec.name == c.spec.queue)) {
            notes.push(format!("consumer {} consumes from queue {}, which the file does not declare: change or remove it before applying", c.spec.id, c.spec.queue));
        }
        Ok(notes)
    }
}
