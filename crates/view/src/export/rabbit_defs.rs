//! A scenario's RabbitMQ topology as `definitions.json`, the file `rabbitmqctl import_definitions`
//! (and the management UI's "Import definitions") reads: exchanges, queues with their `x-`
//! arguments, bindings (exchange-to-exchange ones included), all in vhost "/". The alternate
//! exchange is an exchange argument there (`alternate-exchange`), as clients declare it.
//!
//! What the file cannot hold goes into `"brokerlab": {"notes": […]}`, a key RabbitMQ's import
//! ignores: exclusive queues (they belong to the connection that declares them, so no definitions
//! file has them), bindings with a presence-only (null) header argument (3.10's import fails on a
//! JSON null: `{:unhandled_type, nil}`), the clients, and the simulation's network and faults.

use super::simulation_notes;
use brokerlab_engine::rabbit::config::{BindingSpec, ConsumerSpec, PublisherSpec, RabbitSpec};
use brokerlab_engine::rabbit::routing::{Table, Value};
use brokerlab_engine::Scenario;

/// A JSON string literal.
fn s(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// Whether RabbitMQ's definitions import can read every value of `t` (not a null).
fn importable(t: &Table) -> bool {
    t.iter().all(|(_, v)| *v != Value::Void)
}

fn publisher_note(p: &PublisherSpec) -> String {
    let mut flags = Vec::new();
    for (on, what) in
        [(p.confirms, "publisher confirms"), (p.persistent, "persistent (delivery_mode 2)"), (p.mandatory, "mandatory")]
    {
        if on {
            flags.push(what);
        }
    }
    format!(
        "publisher {}: basic.publish to {} with routing keys [{}], one every {}{}{}",
        p.id,
        if p.exchange.is_empty() { "the default exchange".to_string() } else { format!("exchange {}", p.exchange) },
        p.routing_keys.join(", "),
        p.interval,
        p.count.map_or(String::new(), |c| format!(", {c} messages")),
        if flags.is_empty() { String::new() } else { format!("; {}", flags.join(", ")) },
    )
}

fn consumer_note(c: &ConsumerSpec) -> String {
    let acks = if c.auto_ack {
        "automatic acks (no_ack)".to_string()
    } else if c.hold {
        "manual acks, held for you in the page".to_string()
    } else {
        format!("manual acks after {} of work", c.processing)
    };
    let rejects = match c.reject_every {
        0 => String::new(),
        n => format!(", rejects every {n}th ({})", if c.requeue { "requeued" } else { "not requeued" }),
    };
    format!("consumer {}: basic.consume on queue {}, basic.qos prefetch {}, {acks}{rejects}", c.id, c.queue, c.prefetch)
}

fn binding(b: &BindingSpec) -> String {
    format!(
        "    {{\"source\": {}, \"vhost\": \"/\", \"destination\": {}, \"destination_type\": {}, \"routing_key\": {}, \"arguments\": {}}}",
        s(&b.source),
        s(&b.destination),
        s(&b.destination_type),
        s(&b.routing_key),
        b.arguments.to_json()
    )
}

/// `items` as the body of a JSON array, one per line.
fn array(items: Vec<String>) -> String {
    if items.is_empty() {
        "[]".into()
    } else {
        format!("[\n{}\n  ]", items.join(",\n"))
    }
}

pub fn definitions(scenario: &Scenario, r: &RabbitSpec) -> String {
    let mut notes = vec![
        format!("Exported by brokerlab from the scenario \"{}\": import with `rabbitmqctl import_definitions definitions.json` (vhost /).", scenario.name),
        "Publishers and consumers are your applications, not definitions:".into(),
    ];
    notes.extend(r.publishers.iter().map(publisher_note));
    notes.extend(r.consumers.iter().map(consumer_note));
    let exclusive: Vec<&str> = r.queues.iter().filter(|q| q.exclusive).map(|q| q.name.as_str()).collect();
    if !exclusive.is_empty() {
        notes.push(format!(
            "Left out: exclusive queue{} {} (an exclusive queue belongs to the connection that declares it; its consumer declares it) and the bindings to {}.",
            if exclusive.len() > 1 { "s" } else { "" },
            exclusive.join(", "),
            if exclusive.len() > 1 { "them" } else { "it" },
        ));
    }
    if r.queues.iter().any(|q| !q.durable && !q.exclusive) {
        notes.push("Transient (non-durable) queues are imported; RabbitMQ 4 deprecates transient non-exclusive queues (feature transient_nonexcl_queues).".into());
    }
    let exchanges = r.exchanges.iter().map(|x| {
        let args = match &x.alternate_exchange {
            Some(a) => format!("{{\"alternate-exchange\": {}}}", s(a)),
            None => "{}".into(),
        };
        format!(
            "    {{\"name\": {}, \"vhost\": \"/\", \"type\": {}, \"durable\": {}, \"auto_delete\": {}, \"internal\": false, \"arguments\": {args}}}",
            s(&x.name),
            s(&x.kind),
            x.durable,
            x.auto_delete
        )
    });
    let queues = r.queues.iter().filter(|q| !q.exclusive).map(|q| {
        format!(
            "    {{\"name\": {}, \"vhost\": \"/\", \"durable\": {}, \"auto_delete\": {}, \"arguments\": {}}}",
            s(&q.name),
            q.durable,
            q.auto_delete,
            q.arguments.to_json()
        )
    });
    let mut bindings = Vec::new();
    for b in &r.bindings {
        if b.destination_type == "queue" && exclusive.contains(&b.destination.as_str()) {
            continue;
        }
        if !importable(&b.arguments) {
            notes.push(format!(
                "Left out: the binding {} → {} {}: its arguments {} match a header by presence (null), which definitions.json cannot carry (RabbitMQ's import refuses null); declare it from a client (queue.bind / exchange.bind).",
                b.source, b.destination_type, b.destination, b.arguments.to_json()
            ));
            continue;
        }
        bindings.push(binding(b));
    }
    notes.push(format!(
        "The broker node {} and the clients' reconnect delay ({}) are the simulation's.",
        r.broker, r.reconnect
    ));
    notes.extend(simulation_notes(scenario));
    let notes: Vec<String> = notes.iter().map(|n| format!("      {}", s(n))).collect();
    format!(
        "{{\n  \"brokerlab\": {{\n    \"notes\": [\n{}\n    ]\n  }},\n  \"vhosts\": [{{\"name\": \"/\"}}],\n  \"exchanges\": {},\n  \"queues\": {},\n  \"bindings\": {}\n}}\n",
        notes.join(",\n"),
        array(exchanges.collect()),
        array(queues.collect()),
        array(bindings),
    )
}
