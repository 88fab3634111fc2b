//! The panel's words: labels cut to fit, a binding's match in a few characters, an `x-death`
//! header in one line, a queue's arguments.

use super::LABEL_MAX;
use brokerlab_engine::rabbit::broker::Names;
use brokerlab_engine::rabbit::msg::Death;
use brokerlab_engine::rabbit::queue::QueueDecl;
use brokerlab_engine::rabbit::routing::{ExchangeType, Table};

/// A label cut to `LABEL_MAX` characters (by characters, never inside one).
pub fn short(s: &str) -> String {
    fit(s, LABEL_MAX)
}

/// `s` cut to `max` characters and an ellipsis when longer.
pub fn fit(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// What a binding matches on, in a few characters: the key, the header arguments, or "(all)" for
/// a fanout exchange.
pub fn binding_label(kind: ExchangeType, key: &str, args: &Table) -> String {
    match kind {
        ExchangeType::Fanout => "(all)".into(),
        ExchangeType::Headers => args.to_json(),
        _ if !args.is_empty() => format!("{key} {}", args.to_json()),
        _ if key.is_empty() => "\"\"".into(),
        _ => key.into(),
    }
}

/// "rejected ×2 in billing; expired ×1 in work": an `x-death` header in one line.
pub fn deaths_text(deaths: &[Death], names: &Names) -> String {
    let mut s = String::new();
    for (i, d) in deaths.iter().enumerate() {
        if i > 0 {
            s.push_str("; ");
        }
        s.push_str(d.reason.name());
        s.push_str(" ×");
        s.push_str(&d.count.to_string());
        s.push_str(" in ");
        s.push_str(&names.queue(d.queue));
    }
    s
}

/// The queue's arguments in a few words.
pub fn queue_args(decl: &QueueDecl, names: &Names) -> Vec<(&'static str, String)> {
    let a = &decl.args;
    let mut out = vec![("durable", decl.durable.to_string())];
    if decl.exclusive {
        out.push(("exclusive", "true".into()));
    }
    if decl.auto_delete {
        out.push(("auto-delete", "true".into()));
    }
    if let Some(t) = a.message_ttl {
        out.push(("x-message-ttl", t.to_string()));
    }
    if let Some(t) = a.expires {
        out.push(("x-expires", t.to_string()));
    }
    if let Some(n) = a.max_length {
        out.push(("x-max-length", n.to_string()));
    }
    if let Some(n) = a.max_length_bytes {
        out.push(("x-max-length-bytes", n.to_string()));
    }
    if a.max_length.is_some() || a.max_length_bytes.is_some() {
        let o = match a.overflow {
            brokerlab_engine::rabbit::queue::Overflow::DropHead => "drop-head",
            brokerlab_engine::rabbit::queue::Overflow::RejectPublish => "reject-publish",
            brokerlab_engine::rabbit::queue::Overflow::RejectPublishDlx => "reject-publish-dlx",
        };
        out.push(("x-overflow", o.into()));
    }
    if let Some(x) = a.dlx {
        out.push(("x-dead-letter-exchange", names.exchange(x)));
    }
    if let Some(k) = &a.dl_routing_key {
        out.push(("x-dead-letter-routing-key", k.to_string()));
    }
    if let Some(p) = a.max_priority {
        out.push(("x-max-priority", p.to_string()));
    }
    if a.single_active_consumer {
        out.push(("x-single-active-consumer", "true".into()));
    }
    if let Some(s) = a.stream {
        out.push(("x-queue-type", "stream".into()));
        if let Some(n) = s.max_bytes {
            out.push(("x-max-length-bytes", n.to_string()));
        }
        if let Some(t) = s.max_age {
            out.push(("x-max-age", t.to_string()));
        }
        out.push(("x-stream-max-segment-size-bytes", s.segment_bytes.to_string()));
    }
    out
}
