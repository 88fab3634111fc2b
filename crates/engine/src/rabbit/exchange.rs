//! Exchanges and their bindings, and routing through them (`rabbit_exchange:route/3`): from the
//! exchange a message is published to, through exchange-to-exchange bindings and alternate
//! exchanges, to a deduplicated set of queues.

use super::msg::Dest;
use super::routing::{ExchangeType, Pattern, Table};
use std::rc::Rc;

/// The default exchange's id: the nameless direct exchange every queue is bound to by its name.
pub const DEFAULT: u16 = 0;

/// The exchanges every vhost has, in id order (ids 0–5).
pub const PREDECLARED: [(&str, ExchangeType); 6] = [
    ("", ExchangeType::Direct),
    ("amq.direct", ExchangeType::Direct),
    ("amq.fanout", ExchangeType::Fanout),
    ("amq.topic", ExchangeType::Topic),
    ("amq.headers", ExchangeType::Headers),
    ("amq.match", ExchangeType::Headers),
];

/// What exchange.declare asks for; a redeclaration must ask for the same (else 406).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExchangeDecl {
    pub kind: ExchangeType,
    pub durable: bool,
    pub auto_delete: bool,
    /// `alternate-exchange`: where messages this exchange cannot route go.
    pub alternate: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub dest: Dest,
    pub key: Rc<str>,
    pub args: Rc<Table>,
    pub pattern: Pattern,
}

#[derive(Clone, Debug)]
pub struct Exchange {
    pub decl: ExchangeDecl,
    /// In the order they were made: routing visits them in this order, so traces are stable.
    pub bindings: Vec<Binding>,
}

/// One hop of a route, for the trace: `from` passed the message to `to` (through a binding, or as
/// `from`'s alternate exchange).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hop {
    pub from: u16,
    pub to: Dest,
    /// The index of the binding in `from`'s bindings; `NO_BINDING` for the default exchange's
    /// implicit binding and for an alternate exchange.
    pub binding: u16,
}

pub const NO_BINDING: u16 = u16::MAX;

/// Routes a message published to `start`: returns the queues (each once, in first-reached order)
/// and appends every hop to `hops`. `exchange(id)` looks exchanges up; `queue_named(key)` finds the
/// queue the default exchange would deliver to. Each exchange is visited at most once, so cycles of
/// exchange bindings or alternates end (as RabbitMQ's `SeenXs` does). The message is routed by all
/// its routing keys together — its routing key, then the keys of its `CC` and `BCC` headers
/// (`header_routes`, sender-selected distribution): a binding matches if any of them matches.
pub fn route<'a>(
    start: u16,
    keys: &[&str],
    headers: &Table,
    exchange: impl Fn(u16) -> Option<&'a Exchange>,
    queue_named: impl Fn(&str) -> Option<u16>,
    hops: &mut Vec<Hop>,
) -> Vec<u16> {
    let mut queues = Vec::new();
    let mut seen = vec![start];
    let mut work = vec![start];
    let mut i = 0;
    while i < work.len() {
        let x = work[i];
        i += 1;
        if x == DEFAULT {
            for q in keys.iter().filter_map(|k| queue_named(k)) {
                if !queues.contains(&q) {
                    hops.push(Hop { from: x, to: Dest::Queue(q), binding: NO_BINDING });
                    queues.push(q);
                }
            }
            continue;
        }
        let Some(ex) = exchange(x) else { continue };
        let mut routed = false;
        for (i, b) in ex.bindings.iter().enumerate().filter(|(_, b)| keys.iter().any(|k| b.pattern.matches(k, headers)))
        {
            routed = true;
            hops.push(Hop { from: x, to: b.dest, binding: i as u16 });
            match b.dest {
                Dest::Queue(q) if !queues.contains(&q) => queues.push(q),
                Dest::Exchange(d) if !seen.contains(&d) => {
                    seen.push(d);
                    work.push(d);
                }
                _ => {}
            }
        }
        // `process_alternate`: an exchange with no destination at all hands the message to its AE.
        if let (false, Some(ae)) = (routed, ex.decl.alternate) {
            hops.push(Hop { from: x, to: Dest::Exchange(ae), binding: NO_BINDING });
            if !seen.contains(&ae) {
                seen.push(ae);
                work.push(ae);
            }
        }
    }
    queues
}

/// The header names whose string arrays add routing keys (`?ROUTING_HEADERS`).
pub const ROUTING_HEADERS: [&str; 2] = ["CC", "BCC"];

/// The extra routing keys of `CC` then `BCC` (the strings of each array; a header of another type
/// adds none here: the broker refuses such a publish before routing it).
pub fn header_routes(headers: &Table) -> impl Iterator<Item = &str> {
    ROUTING_HEADERS.into_iter().flat_map(|h| headers.get(h).and_then(|v| v.strings()).unwrap_or_default())
}

impl Exchange {
    pub fn new(decl: ExchangeDecl) -> Exchange {
        Exchange { decl, bindings: Vec::new() }
    }

    /// Removes the binding to `dest` with this key and these arguments; false if there was none.
    pub fn unbind(&mut self, dest: Dest, key: &str, args: &Table) -> bool {
        let before = self.bindings.len();
        self.bindings.retain(|b| !(b.dest == dest && *b.key == *key && *b.args == *args));
        self.bindings.len() != before
    }

    /// Adds a binding unless the same one (destination, key, arguments) exists: queue.bind is
    /// idempotent. Returns whether it was new.
    pub fn bind(&mut self, dest: Dest, key: &str, args: &Rc<Table>) -> Result<bool, String> {
        if self.bindings.iter().any(|b| b.dest == dest && *b.key == *key && b.args == *args) {
            return Ok(false);
        }
        let pattern = Pattern::new(self.decl.kind, key, args)?;
        self.bindings.push(Binding { dest, key: key.into(), args: args.clone(), pattern });
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(kind: ExchangeType, alternate: Option<u16>) -> Exchange {
        Exchange::new(ExchangeDecl { kind, durable: true, auto_delete: false, alternate })
    }

    #[test]
    fn exchange_to_exchange_alternates_and_cycles() {
        let none = Rc::new(Table::default());
        // 6: topic -> q0 on "a.*", -> exchange 7 on "#"; 7: fanout -> q1 and back to 6 (a cycle);
        // 8: direct with alternate 9; 9: fanout -> q2.
        let mut xs = vec![x(ExchangeType::Topic, None), x(ExchangeType::Fanout, None)];
        xs.push(x(ExchangeType::Direct, Some(9)));
        xs.push(x(ExchangeType::Fanout, None));
        xs[0].bind(Dest::Queue(0), "a.*", &none).unwrap();
        xs[0].bind(Dest::Exchange(7), "#", &none).unwrap();
        assert!(!xs[0].bind(Dest::Queue(0), "a.*", &none).unwrap(), "binding twice is a no-op");
        xs[1].bind(Dest::Queue(1), "", &none).unwrap();
        xs[1].bind(Dest::Queue(0), "", &none).unwrap();
        xs[1].bind(Dest::Exchange(6), "", &none).unwrap();
        xs[3].bind(Dest::Queue(2), "", &none).unwrap();
        let lookup = |id: u16| xs.get(id.wrapping_sub(6) as usize);
        let mut hops = vec![];
        let qs = route(6, &["a.b"], &Table::default(), lookup, |_| None, &mut hops);
        assert_eq!(qs, [0, 1], "q0 reached twice, delivered once");
        assert_eq!(hops.len(), 5);
        let mut hops = vec![];
        assert_eq!(route(8, &["k"], &Table::default(), lookup, |_| None, &mut hops), [2]);
        assert_eq!(hops[0].binding, NO_BINDING, "to the alternate exchange");
        let mut hops = vec![];
        assert_eq!(route(DEFAULT, &["q"], &Table::default(), lookup, |k| (k == "q").then_some(4), &mut hops), [4]);
    }

    #[test]
    fn cc_and_bcc_add_routing_keys() {
        use crate::rabbit::routing::Value;
        let none = Rc::new(Table::default());
        let mut xs = [x(ExchangeType::Direct, None)];
        for (q, k) in [(0, "a"), (1, "b"), (2, "c")] {
            xs[0].bind(Dest::Queue(q), k, &none).unwrap();
        }
        let lookup = |id: u16| xs.get(id.wrapping_sub(6) as usize);
        fn keys<'a>(k: &'a str, h: &'a Table) -> Vec<&'a str> {
            std::iter::once(k).chain(header_routes(h)).collect()
        }
        let arr = |ks: &[&str]| Value::Array(ks.iter().map(|k| Value::Str((*k).into())).collect());
        let headers = Table::new(vec![("CC".into(), arr(&["c", "a"])), ("BCC".into(), arr(&["b"]))]);
        let mut hops = vec![];
        assert_eq!(
            route(6, &keys("a", &headers), &headers, lookup, |_| None, &mut hops),
            [0, 1, 2],
            "in binding order, once each"
        );
        assert_eq!(hops.len(), 3);
        let by_name = |k: &str| ["q0", "q1"].iter().position(|n| *n == k).map(|i| i as u16);
        let cc = Table::new(vec![("CC".into(), arr(&["q1", "q0"]))]);
        assert_eq!(route(DEFAULT, &keys("q0", &cc), &cc, lookup, by_name, &mut vec![]), [0, 1]);
        let not_array = Table::new(vec![("CC".into(), Value::Str("c".into()))]);
        assert_eq!(route(6, &keys("a", &not_array), &not_array, lookup, |_| None, &mut vec![]), [0]);
    }
}
