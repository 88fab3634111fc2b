//! The routing calculator: where a message with this routing key and these headers would go,
//! asked of the engine's own `exchange::route` (never a copy of it), and a single binding's test.

use super::{binding_label, Model};
use crate::i18n::{t, tf};
use brokerlab_engine::rabbit::exchange::{header_routes, route, Hop, DEFAULT};
use brokerlab_engine::rabbit::msg::Dest;
use brokerlab_engine::rabbit::routing::{check_shortstr, ExchangeType, Pattern, Table};

/// Where a message would go: the queues (each once) and every hop on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routed {
    pub queues: Vec<u16>,
    pub hops: Vec<Hop>,
}

/// The routing calculator: routes `routing_key` with `headers` (a JSON object, or blank) from
/// `exchange` through the broker's exchanges, with the engine's own `exchange::route`, as a publish
/// would be routed now. Bad input is an `Err` with a sentence.
pub fn route_calc(m: &Model, exchange: u16, routing_key: &str, headers: &str) -> Result<Routed, String> {
    check_shortstr(t("the routing key"), routing_key)?;
    let headers = parse_headers(headers)?;
    let xs = &m.exchanges.0;
    if xs.get(exchange as usize).is_none_or(Option::is_none) {
        return Err(tf("no exchange '{0}' in vhost '/' (404 NOT_FOUND)", &[&m.names.exchange(exchange)]));
    }
    let lookup = |id: u16| xs.get(id as usize).and_then(Option::as_ref);
    let exists = |q: u16| m.qs.iter().any(|b| b.id == q && b.exists);
    let queue_named = |key: &str| m.names.queue_id(key).filter(|&q| exists(q));
    let mut hops = Vec::new();
    let keys: Vec<&str> = std::iter::once(routing_key).chain(header_routes(&headers)).collect();
    let queues = route(exchange, &keys, &headers, lookup, queue_named, &mut hops);
    Ok(Routed { queues, hops })
}

/// The calculator's other mode: would one binding of an exchange of type `kind` (direct, fanout,
/// topic, headers) match? The binding is validated as `queue.bind` would (`Pattern::new`), and
/// matched by the engine's own `Pattern::matches`. `binding` is the binding key, or for a headers
/// exchange its arguments as a JSON object.
pub fn binding_test(kind: &str, binding: &str, routing_key: &str, headers: &str) -> Result<bool, String> {
    let t = ExchangeType::parse(kind)?;
    check_shortstr(crate::i18n::t("the routing key"), routing_key)?;
    // Only a headers binding looks at the headers: a half-typed headers field does not block a
    // topic or direct answer.
    let headers = if t == ExchangeType::Headers { parse_headers(headers)? } else { Table::default() };
    let (key, args) = match t {
        ExchangeType::Headers => {
            ("", parse_headers(binding).map_err(|e| e.replacen("headers", "binding arguments", 1))?)
        }
        _ => (binding, Table::default()),
    };
    Ok(Pattern::new(t, key, &args)?.matches(routing_key, &headers))
}

/// Headers typed as a JSON object (`{"format":"pdf","x-match":"any"}`); blank is none.
pub fn parse_headers(text: &str) -> Result<Table, String> {
    if text.trim().is_empty() {
        return Ok(Table::default());
    }
    serde_json::from_str::<Table>(text)
        .map_err(|e| tf("headers: {0} (write a JSON object, e.g. {\"format\": \"pdf\"})", &[&e]))
}

/// One hop in words: "orders → billing (order.#)".
pub fn hop_text(m: &Model, h: &Hop) -> String {
    let to = match h.to {
        Dest::Queue(q) => tf("queue {0}", &[&m.names.queue(q)]),
        Dest::Exchange(x) => tf("exchange {0}", &[&m.names.exchange(x)]),
    };
    let how = if h.from == DEFAULT {
        t("by queue name").to_string()
    } else {
        match m.exchanges.0.get(h.from as usize).and_then(Option::as_ref) {
            Some(x) => match x.bindings.get(h.binding as usize) {
                Some(b) => tf("binding {0}", &[&(binding_label(x.decl.kind, &b.key, &b.args))]),
                None => t("alternate exchange").to_string(),
            },
            None => String::new(),
        }
    };
    format!("{} → {to} ({how})", m.names.exchange(h.from))
}
