//! How a RabbitMQ exchange decides whether a binding matches a message: the four AMQP exchange
//! types, exactly as RabbitMQ implements them. Shared by the broker, the page's calculator and
//! `brokerlab route`.
//!
//! - **direct**: the binding key equals the routing key, byte for byte.
//! - **fanout**: every binding matches; keys are ignored.
//! - **topic** (`rabbit_exchange_type_topic`, `rabbit_db_topic_exchange`): keys are split on `.`
//!   into words (`binary:split(Key, <<".">>, [global])`, so `a..b` has an empty middle word and the
//!   empty key has *no* words at all); `*` matches exactly one word (an empty word is a word), `#`
//!   zero or more words. A word is a wildcard only when it is the whole word (`a#b` is literal).
//!   Since RabbitMQ 4.3.5 a binding key may hold at most two `#` words (`?MAX_HASH_WILDCARDS`).
//! - **headers** (`rabbit_exchange_type_headers`): `x-match` = `all` (the default) / `any` /
//!   `all-with-x` / `any-with-x`; binding arguments whose key starts with `x-` are ignored except in
//!   the `-with-x` modes (`x-match` itself always is); a void (null) binding value matches on the
//!   header's presence alone; other values match when the header's value is `=:=` to it — exact
//!   Erlang term equality since RabbitMQ 3.13 (`mc:routing_headers`): integers of any width compare
//!   by value, but an integer never equals a float (`1 =/= 1.0`), nor a string a number.
//!   (Up to 3.12 the comparison was Erlang's `==`, under which `1 == 1.0`.) `all` over no arguments
//!   matches every message; `any` over none matches nothing.

use std::fmt::Write;

/// AMQP 0-9-1 short strings (names, routing and binding keys) are at most 255 bytes.
pub const MAX_SHORTSTR: usize = 255;
/// `rabbit_exchange_type_topic`'s `?MAX_HASH_WILDCARDS`.
pub const MAX_HASH_WILDCARDS: usize = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExchangeType {
    Direct,
    Fanout,
    Topic,
    Headers,
}

impl ExchangeType {
    pub fn parse(s: &str) -> Result<ExchangeType, String> {
        match s {
            "direct" => Ok(ExchangeType::Direct),
            "fanout" => Ok(ExchangeType::Fanout),
            "topic" => Ok(ExchangeType::Topic),
            "headers" => Ok(ExchangeType::Headers),
            _ => Err(format!("unknown exchange type \"{s}\" (direct, fanout, topic or headers)")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ExchangeType::Direct => "direct",
            ExchangeType::Fanout => "fanout",
            ExchangeType::Topic => "topic",
            ExchangeType::Headers => "headers",
        }
    }
}

/// Names of exchanges and queues, and routing keys: AMQP short strings.
pub fn check_shortstr(what: &str, s: &str) -> Result<(), String> {
    if s.len() > MAX_SHORTSTR {
        return Err(format!("{what} is {} bytes, more than AMQP's {MAX_SHORTSTR}", s.len()));
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Word {
    Literal(Box<str>),
    Star,
    Hash,
}

/// A topic binding key, split into words once when the binding is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicPattern {
    words: Vec<Word>,
}

impl TopicPattern {
    /// Validates as `queue.bind` does: a short string with at most two `#` words.
    pub fn parse(binding_key: &str) -> Result<TopicPattern, String> {
        check_shortstr("the binding key", binding_key)?;
        let words: Vec<Word> = split_words(binding_key)
            .map(|w| match w {
                "*" => Word::Star,
                "#" => Word::Hash,
                _ => Word::Literal(w.into()),
            })
            .collect();
        let hashes = words.iter().filter(|w| **w == Word::Hash).count();
        if hashes > MAX_HASH_WILDCARDS {
            return Err(format!(
                "topic binding key '{binding_key}' uses {hashes} '#' wildcards, at most {MAX_HASH_WILDCARDS} are allowed"
            ));
        }
        Ok(TopicPattern { words })
    }

    pub fn matches(&self, routing_key: &str) -> bool {
        // `Rest::None` is "no words left"; `Some(s)` is one or more words (s may be "" = one empty word).
        let rest = if routing_key.is_empty() { None } else { Some(routing_key) };
        match_words(&self.words, rest)
    }
}

/// RabbitMQ's `split_topic_key_binary`: the empty key has no words; otherwise split on every dot.
fn split_words(key: &str) -> impl Iterator<Item = &str> {
    let words = if key.is_empty() { None } else { Some(key.split('.')) };
    words.into_iter().flatten()
}

fn first_word(key: &str) -> (&str, Option<&str>) {
    match key.split_once('.') {
        Some((w, rest)) => (w, Some(rest)),
        None => (key, None),
    }
}

/// Backtracking over the words, without allocating. With at most two `#` it is at worst quadratic
/// in the number of words (≤ 128 in a 255-byte key).
fn match_words(pattern: &[Word], key: Option<&str>) -> bool {
    let Some((p, prest)) = pattern.split_first() else { return key.is_none() };
    match p {
        // `#` swallows zero words, or one more and stays.
        Word::Hash => match_words(prest, key) || key.is_some_and(|k| match_words(pattern, first_word(k).1)),
        Word::Star => key.is_some_and(|k| match_words(prest, first_word(k).1)),
        // The key's first word is `lit` when the key starts with it and a dot or the end follows:
        // no search for the dot, which is most of a topic exchange's routing time.
        Word::Literal(lit) => key.is_some_and(|k| match k.as_bytes().get(lit.len()) {
            _ if !k.starts_with(&**lit) => false,
            None => match_words(prest, None),
            Some(b'.') => match_words(prest, Some(&k[lit.len() + 1..])),
            Some(_) => false,
        }),
    }
}

/// A value in an AMQP field table (headers and binding arguments), as RabbitMQ compares them.
/// Read from JSON: strings, integers, floats, booleans and null. Arrays and tables (which only a
/// void binding could match, by presence) are refused rather than half-modelled.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    /// AMQP `void`; JSON `null`.
    Void,
    Bool(bool),
    /// Every AMQP integer width: RabbitMQ compares them by value.
    Int(i64),
    /// A float, kept as its shortest round-trip text so the engine holds no floating point: equal
    /// texts are equal floats (`1.50` and `1.5e0` both read as `1.5`), and a float never equals an
    /// integer (`1.0` is not `1`).
    Float(Box<str>),
    Str(Box<str>),
    /// AMQP `array` (JSON `[…]`): what the `CC` and `BCC` headers hold.
    Array(Box<[Value]>),
}

impl Value {
    fn write_json(&self, out: &mut String) {
        let _ = match self {
            Value::Void => write!(out, "null"),
            Value::Bool(b) => write!(out, "{b}"),
            Value::Int(i) => write!(out, "{i}"),
            Value::Float(t) => write!(out, "{t}"),
            Value::Str(s) => write!(out, "{}", serde_json::to_string(&**s).unwrap_or_default()),
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_json(out);
                }
                out.push(']');
                Ok(())
            }
        };
    }

    /// The strings of an array (`CC` / `BCC`: RabbitMQ takes the `longstr` items and skips others).
    pub fn strings(&self) -> Option<Vec<&str>> {
        match self {
            Value::Array(items) => {
                Some(items.iter().filter_map(|v| if let Value::Str(s) = v { Some(&**s) } else { None }).collect())
            }
            _ => None,
        }
    }
}

/// Reads a JSON scalar. Hand-written (not through `serde_json::Value`) to keep the browser build
/// small.
impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, number, boolean, null or an array of those")
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Void)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
                Ok(Value::Bool(b))
            }
            fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
                Ok(Value::Int(i))
            }
            fn visit_u64<E: serde::de::Error>(self, u: u64) -> Result<Value, E> {
                i64::try_from(u)
                    .map(Value::Int)
                    .map_err(|_| E::custom(format!("{u} is outside AMQP's signed 64-bit integers")))
            }
            fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Value, E> {
                match f.is_finite() {
                    true => Ok(Value::Float(format!("{f:?}").into())),
                    false => Err(E::custom("not a finite number")),
                }
            }
            fn visit_str<E>(self, s: &str) -> Result<Value, E> {
                Ok(Value::Str(s.into()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element::<Value>()? {
                    items.push(v);
                }
                Ok(Value::Array(items.into()))
            }
        }
        d.deserialize_any(V)
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Void => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(t) => s.serialize_f64(t.parse().unwrap_or_default()),
            Value::Str(v) => s.serialize_str(v),
            Value::Array(items) => s.collect_seq(items.iter()),
        }
    }
}

/// A field table: `(key, value)` sorted by key, one entry per key (the last one given wins, as when
/// RabbitMQ folds headers into a map).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table(Vec<(Box<str>, Value)>);

impl Table {
    pub fn new(mut entries: Vec<(Box<str>, Value)>) -> Table {
        // Stable sort, then keep the last of equal keys.
        crate::sort::sort_by(&mut entries, |a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Box<str>, Value)> = Vec::with_capacity(entries.len());
        for e in entries {
            match out.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => out.push(e),
            }
        }
        Table(out)
    }

    /// This table with `key` set to `value` (replacing any entry of that key).
    pub fn with(&self, key: &str, value: Value) -> Table {
        let mut entries = self.0.clone();
        entries.push((key.into(), value));
        Table::new(entries)
    }

    /// This table without `key`.
    pub fn without(&self, key: &str) -> Table {
        Table(self.0.iter().filter(|(k, _)| &**k != key).cloned().collect())
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(key)).ok().map(|i| &self.0[i].1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `{"k":v,…}` in key order.
    pub fn to_json(&self) -> String {
        let mut s = String::from("{");
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            let _ = write!(s, "{}:", serde_json::to_string(&**k).unwrap_or_default());
            v.write_json(&mut s);
        }
        s.push('}');
        s
    }
}

impl<'de> serde::Deserialize<'de> for Table {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Table, D::Error> {
        struct T;
        impl<'de> serde::de::Visitor<'de> for T {
            type Value = Table;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of header names and values")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<Table, M::Error> {
                let mut entries = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    check_shortstr("a field name", &k).map_err(serde::de::Error::custom)?;
                    entries.push((k.into_boxed_str(), m.next_value::<Value>()?));
                }
                Ok(Table::new(entries))
            }
        }
        d.deserialize_map(T)
    }
}

impl serde::Serialize for Table {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(&**k, v)?;
        }
        m.end()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XMatch {
    All,
    Any,
    AllWithX,
    AnyWithX,
}

/// A headers-exchange binding: its `x-match` mode and the arguments it compares (without `x-match`,
/// and without other `x-` keys unless the mode is `-with-x`: those are skipped when matching, so
/// they are dropped once here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadersPattern {
    pub x_match: XMatch,
    args: Vec<(Box<str>, Value)>,
}

impl HeadersPattern {
    /// `rabbit_exchange_type_headers:validate_binding`: `x-match` must be a string naming a mode.
    pub fn parse(args: &Table) -> Result<HeadersPattern, String> {
        let x_match = match args.get("x-match") {
            None => XMatch::All,
            Some(Value::Str(s)) => match &**s {
                "all" => XMatch::All,
                "any" => XMatch::Any,
                "all-with-x" => XMatch::AllWithX,
                "any-with-x" => XMatch::AnyWithX,
                other => {
                    return Err(format!(
                        "Invalid x-match field value \"{other}\"; expected all, any, all-with-x, or any-with-x"
                    ))
                }
            },
            Some(other) => {
                let mut v = String::new();
                other.write_json(&mut v);
                return Err(format!("Invalid x-match field type (value {v}); expected a string"));
            }
        };
        let with_x = matches!(x_match, XMatch::AllWithX | XMatch::AnyWithX);
        let args = args
            .iter()
            .filter(|(k, _)| *k != "x-match" && (with_x || !k.starts_with("x-")))
            .map(|(k, v)| (k.into(), v.clone()))
            .collect();
        Ok(HeadersPattern { x_match, args })
    }

    pub fn matches(&self, headers: &Table) -> bool {
        let one = |(k, v): &(Box<str>, Value)| match (v, headers.get(k)) {
            (_, None) => false,
            (Value::Void, Some(_)) => true,
            (v, Some(h)) => v == h,
        };
        match self.x_match {
            XMatch::All | XMatch::AllWithX => self.args.iter().all(one),
            XMatch::Any | XMatch::AnyWithX => self.args.iter().any(one),
        }
    }
}

/// What a binding compares, parsed and validated for its exchange's type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// Direct (and the default exchange): the key itself.
    Exact(Box<str>),
    Fanout,
    Topic(TopicPattern),
    Headers(HeadersPattern),
}

impl Pattern {
    /// The binding as `queue.bind` / `exchange.bind` would accept it for an exchange of type `t`.
    pub fn new(t: ExchangeType, binding_key: &str, args: &Table) -> Result<Pattern, String> {
        check_shortstr("the binding key", binding_key)?;
        Ok(match t {
            ExchangeType::Direct => Pattern::Exact(binding_key.into()),
            ExchangeType::Fanout => Pattern::Fanout,
            ExchangeType::Topic => Pattern::Topic(TopicPattern::parse(binding_key)?),
            ExchangeType::Headers => Pattern::Headers(HeadersPattern::parse(args)?),
        })
    }

    pub fn matches(&self, routing_key: &str, headers: &Table) -> bool {
        match self {
            Pattern::Exact(k) => **k == *routing_key,
            Pattern::Fanout => true,
            Pattern::Topic(t) => t.matches(routing_key),
            Pattern::Headers(h) => h.matches(headers),
        }
    }
}

/// One `brokerlab route` request.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteRequest {
    #[serde(rename = "type")]
    kind: String,
    binding_key: Option<String>,
    routing_key: Option<String>,
    binding_args: Option<Table>,
    headers: Option<Table>,
}

/// Answers one JSON request line: `{"matched":true|false}` or `{"error":"…"}`.
pub fn answer_json(line: &str) -> String {
    match route_request(line) {
        Ok(m) => format!("{{\"matched\":{m}}}"),
        Err(e) => format!("{{\"error\":{}}}", serde_json::to_string(&e).unwrap_or_default()),
    }
}

fn route_request(line: &str) -> Result<bool, String> {
    let r: RouteRequest = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let t = ExchangeType::parse(&r.kind)?;
    let keyed = matches!(t, ExchangeType::Direct | ExchangeType::Topic);
    let (misplaced, wanted) = if t == ExchangeType::Headers {
        (r.binding_key.is_some() || r.routing_key.is_some(), "binding_args and headers")
    } else {
        (r.binding_args.is_some() || r.headers.is_some(), "binding_key and routing_key")
    };
    if misplaced {
        return Err(format!("a {} exchange takes {wanted}", t.name()));
    }
    let (args, headers) = (r.binding_args.unwrap_or_default(), r.headers.unwrap_or_default());
    if keyed && (r.binding_key.is_none() || r.routing_key.is_none()) {
        return Err(format!("a {} exchange needs binding_key and routing_key", t.name()));
    }
    let (bk, rk) = (r.binding_key.unwrap_or_default(), r.routing_key.unwrap_or_default());
    check_shortstr("the routing key", &rk)?;
    let pattern = Pattern::new(t, &bk, &args)?;
    Ok(pattern.matches(&rk, &headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(b: &str, r: &str) -> bool {
        TopicPattern::parse(b).unwrap().matches(r)
    }

    #[test]
    fn topic_words_and_wildcards() {
        assert!(topic("a.*.c", "a.b.c"));
        assert!(topic("a.*.c", "a..c"), "an empty word is a word");
        assert!(!topic("*", ""), "the empty key has no words");
        assert!(topic("#", ""));
        assert!(topic("", ""));
        assert!(!topic("", "a"));
        assert!(topic("*.*", "."));
        assert!(topic("a#b", "a#b") && !topic("a#b", "axb"), "# inside a word is literal");
        assert!(topic("#.#", "a.b.c"));
        assert!(!topic("a.#.b", "a"));
        assert!(topic("a.#.b", "a.b"));
    }

    #[test]
    fn headers_modes() {
        let t = |pairs: &[(&str, Value)]| Table::new(pairs.iter().map(|(k, v)| ((*k).into(), v.clone())).collect());
        let s = |v: &str| Value::Str(v.into());
        let b = HeadersPattern::parse(&t(&[("x-match", s("any")), ("a", Value::Int(1))])).unwrap();
        assert!(b.matches(&t(&[("a", Value::Int(1))])));
        assert!(!b.matches(&t(&[("a", Value::Float("1.0".into()))])), "1 =/= 1.0");
        assert!(HeadersPattern::parse(&t(&[("x-match", Value::Int(1))])).is_err());
        assert!(HeadersPattern::parse(&t(&[("x-match", s("some"))])).is_err());
    }

    #[test]
    fn tables_keep_the_last_duplicate() {
        let t = Table::new(vec![("b".into(), Value::Int(1)), ("a".into(), Value::Void), ("b".into(), Value::Int(2))]);
        assert_eq!(t.to_json(), r#"{"a":null,"b":2}"#);
    }
}
