//! A stream's declaration and a stream consumer's `x-stream-offset`, as RabbitMQ 3.10 checks them
//! (`rabbit_amqqueue:check_declare_arguments`, `rabbit_stream_queue:declare` and
//! `parse_offset_arg`), with its PRECONDITION_FAILED texts.

use crate::rabbit::queue::QueueArgs;
use crate::rabbit::routing::Value;
use crate::time::Time;

/// osiris's default segment size (`?DEFAULT_MAX_SEGMENT_SIZE_B`, 500 MB).
pub const DEFAULT_SEGMENT_BYTES: u64 = 500_000_000;
/// `?MAX_STREAM_MAX_SEGMENT_SIZE` (rabbit.hrl): a larger `x-stream-max-segment-size-bytes` is refused.
pub const MAX_SEGMENT_BYTES: u64 = 3_000_000_000;

/// What `x-queue-type: stream` makes of a queue's arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamArgs {
    /// `x-max-length-bytes`: retention by size (whole segments).
    pub max_bytes: Option<u64>,
    /// `x-max-age`: retention by age (whole segments).
    pub max_age: Option<Time>,
    /// `x-stream-max-segment-size-bytes`: a segment is closed once it holds this many bytes.
    pub segment_bytes: u64,
}

impl Default for StreamArgs {
    fn default() -> StreamArgs {
        StreamArgs { max_bytes: None, max_age: None, segment_bytes: DEFAULT_SEGMENT_BYTES }
    }
}

/// The arguments a stream takes (`rabbit_stream_queue:capabilities/0`, `queue_arguments`).
const STREAM_ARGS: [&str; 6] = [
    "x-max-length-bytes",
    "x-queue-type",
    "x-max-age",
    "x-stream-max-segment-size-bytes",
    "x-initial-cluster-size",
    "x-queue-leader-locator",
];
/// The arguments only a stream takes, which classic and quorum queues refuse.
const STREAM_ONLY: [&str; 3] = ["x-max-age", "x-stream-max-segment-size-bytes", "x-initial-cluster-size"];

/// Reads `key` if it is one of a stream's own arguments (into `own`, which `finish` keeps if the
/// queue is a stream); None for any other key. Errors start after the key.
pub fn parse(key: &str, v: &Value, own: &mut StreamArgs) -> Option<Result<(), String>> {
    Some(match (key, v) {
        ("x-max-age", Value::Str(s)) => match max_age(s) {
            Some(t) => {
                own.max_age = Some(t);
                Ok(())
            }
            None => Err(format!(
                "\"{s}\" is not an age: a whole number above 0 and a unit, Y, M, D, h, m or s, like \"7D\" \
                 (RabbitMQ: invalid_max_age)"
            )),
        },
        ("x-max-age", _) => Err("must be a string, like \"7D\" or \"10s\"".into()),
        ("x-stream-max-segment-size-bytes", Value::Int(n)) if *n >= 0 => {
            own.segment_bytes = *n as u64;
            Ok(())
        }
        ("x-stream-max-segment-size-bytes", _) => Err("must be a whole number of bytes from 0".into()),
        // One node: the stream has one member, wherever these would place more.
        ("x-initial-cluster-size", Value::Int(n)) if *n >= 1 => Ok(()),
        ("x-initial-cluster-size", _) => Err("must be a whole number from 1".into()),
        ("x-queue-leader-locator", Value::Str(s))
            if ["client-local", "balanced", "random", "least-leaders"].contains(&&**s) =>
        {
            Ok(())
        }
        ("x-queue-leader-locator", _) => Err("must be \"client-local\" or \"balanced\"".into()),
        _ => return None,
    })
}

/// `rabbit_amqqueue:check_max_age`: a whole number above 0 and a unit (Y = 365 D, M = 30 D, D, h,
/// m, s).
pub fn max_age(s: &str) -> Option<Time> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let n: u64 = s[..digits].parse().ok().filter(|&n| n > 0)?;
    let unit_s: u64 = match &s[digits..] {
        "Y" => 365 * 86_400,
        "M" => 30 * 86_400,
        "D" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return None,
    };
    // In microseconds, the engine's unit (an age too large for them is refused).
    n.checked_mul(unit_s * 1_000_000).map(Time)
}

/// The checks of a declaration once all arguments are read, in RabbitMQ's order: arguments of
/// another queue type first (`check_arguments_key`), then what a stream cannot be
/// (`check_auto_delete`, `check_exclusive`, `check_non_durable`), then the segment size. For a
/// classic or quorum queue, only the stream's own arguments are checked here. `Err((field, text))`:
/// the scenario field to blame and RabbitMQ's PRECONDITION_FAILED text.
pub fn check(
    name: &str,
    (durable, exclusive, auto_delete): (bool, bool, bool),
    args: &QueueArgs,
    given: &[&str],
    segment_bytes: Option<u64>,
) -> Result<(), (&'static str, String)> {
    let q = format!("queue '{name}' in vhost '/'");
    let Some(_) = args.stream else {
        let kind = if args.quorum.is_some() { "rabbit_quorum_queue" } else { "rabbit_classic_queue" };
        if let Some(k) = given.iter().find(|k| STREAM_ONLY.contains(k)) {
            return Err(("arguments", format!("invalid arg '{k}' for {q} of queue type {kind}")));
        }
        return Ok(());
    };
    if let Some(k) = given.iter().find(|k| !STREAM_ARGS.contains(k)) {
        return Err(("arguments", format!("invalid arg '{k}' for {q} of queue type rabbit_stream_queue")));
    }
    crate::rabbit::queue::check_properties(&q, (durable, exclusive, auto_delete))?;
    if segment_bytes.is_some_and(|b| b > MAX_SEGMENT_BYTES) {
        return Err(("arguments", "Exceeded max value for x-stream-max-segment-size-bytes".into()));
    }
    Ok(())
}

/// Once every argument is read: a stream keeps its own arguments, and `x-max-length-bytes` is its
/// retention by size (not a classic queue's limit on ready messages).
pub fn finish(args: &mut QueueArgs, own: StreamArgs) {
    if let Some(s) = args.stream.as_mut() {
        *s = StreamArgs { max_bytes: args.max_length_bytes.take(), ..own };
    }
}

/// Where a stream consumer starts (`x-stream-offset`; `next` when absent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OffsetSpec {
    /// The first message the log still holds.
    First,
    /// The last chunk (here: the last message).
    Last,
    /// Only what is published from now on.
    #[default]
    Next,
    /// From this offset (clamped to what the log holds; see `StreamLog::attach`).
    At(u64),
    /// A string interval ("10m", "30s"): from the first chunk written at most that long ago
    /// (RabbitMQ turns it into a timestamp, now minus the interval, when the consumer starts).
    Ago(Time),
}

/// `parse_offset_arg`: first, last, next, an offset (a negative one reads as the first), or an
/// interval. An AMQP timestamp (whole seconds since 1970) cannot be written in a scenario's JSON;
/// an interval is turned into one by RabbitMQ itself.
pub fn offset(v: &Value) -> Result<OffsetSpec, String> {
    match v {
        Value::Str(s) => match &**s {
            "first" => Ok(OffsetSpec::First),
            "last" => Ok(OffsetSpec::Last),
            "next" => Ok(OffsetSpec::Next),
            s => max_age(s).map(OffsetSpec::Ago).ok_or_else(|| {
                format!("\"{s}\" is not first, last, next or an interval like \"10m\" (RabbitMQ: invalid_stream_offset_arg)")
            }),
        },
        Value::Int(n) if *n < 0 => Ok(OffsetSpec::First),
        Value::Int(n) => Ok(OffsetSpec::At(*n as u64)),
        _ => Err("must be first, last, next, an offset (a whole number) or an interval like \"10m\"".into()),
    }
}

/// A consumer's arguments (basic.consume): `x-stream-offset` is the one modelled. Errors name the
/// key.
pub fn consumer_arguments(table: &crate::rabbit::routing::Table) -> Result<Option<OffsetSpec>, String> {
    let mut spec = None;
    for (k, v) in table.iter() {
        match k {
            "x-stream-offset" => spec = Some(offset(v).map_err(|e| format!("{k}: {e}"))?),
            _ => return Err(format!("{k}: not a consumer argument this model knows (x-stream-offset)")),
        }
    }
    Ok(spec)
}

/// Does a queue's argument table make it a stream?
pub fn declares_stream(arguments: &crate::rabbit::routing::Table) -> bool {
    matches!(arguments.get("x-queue-type"), Some(Value::Str(t)) if &**t == "stream")
}

/// A scenario consumer as RabbitMQ would take it (`rabbit_stream_queue:consume`,
/// `check_consume_arguments`): on a stream it needs a prefetch, manual acks and no rejections
/// (basic.nack and basic.reject are refused); elsewhere `x-stream-offset` is refused.
/// `Err((field, text))`, the text starting after the field.
pub fn check_consumer(c: &crate::rabbit::config::ConsumerSpec, stream: bool) -> Result<(), (&'static str, String)> {
    let offset = consumer_arguments(&c.arguments).map_err(|e| ("arguments", format!(".{e}")))?;
    let q = format!("queue '{}' in vhost '/'", c.queue);
    if !stream {
        return match offset {
            Some(_) => Err((
                "arguments",
                format!(
                    ": PRECONDITION_FAILED - invalid arg 'x-stream-offset' for {q} of queue type rabbit_classic_queue"
                ),
            )),
            None => Ok(()),
        };
    }
    if c.prefetch == 0 {
        let e = format!(
            ": a stream consumer needs one (PRECONDITION_FAILED - consumer prefetch count is not set for '{q}')"
        );
        return Err(("prefetch", e));
    }
    if c.auto_ack {
        let e = format!(": NOT_IMPLEMENTED - automatic acknowledgement not supported by stream queues {q}");
        return Err(("auto_ack", e));
    }
    if c.reject_every > 0 {
        let e = format!(": NOT_IMPLEMENTED - basic.nack and basic.reject not supported by stream queues {q}");
        return Err(("reject_every", e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_reads_rabbitmqs_units() {
        assert_eq!(max_age("7D"), Some(Time::ms(7 * 86_400_000)));
        assert_eq!(max_age("10s"), Some(Time::ms(10_000)));
        assert_eq!(max_age("1M"), Some(Time::ms(30 * 86_400_000)));
        for bad in ["", "0s", "10", "s", "10sec", "-1h", "1.5h"] {
            assert_eq!(max_age(bad), None, "{bad}");
        }
    }

    #[test]
    fn offsets_as_parse_offset_arg_reads_them() {
        let s = |t: &str| Value::Str(t.into());
        assert_eq!(offset(&s("first")), Ok(OffsetSpec::First));
        assert_eq!(offset(&s("last")), Ok(OffsetSpec::Last));
        assert_eq!(offset(&s("next")), Ok(OffsetSpec::Next));
        assert_eq!(offset(&Value::Int(5)), Ok(OffsetSpec::At(5)));
        assert_eq!(offset(&Value::Int(-3)), Ok(OffsetSpec::First));
        assert_eq!(offset(&s("2m")), Ok(OffsetSpec::Ago(Time::ms(120_000))));
        assert!(offset(&s("yesterday")).unwrap_err().contains("invalid_stream_offset_arg"));
        assert!(offset(&Value::Bool(true)).is_err());
    }

    #[test]
    fn declarations_refused_with_rabbitmqs_texts() {
        let stream = QueueArgs { stream: Some(StreamArgs::default()), ..QueueArgs::default() };
        let ok = (true, false, false);
        assert_eq!(check("s", ok, &stream, &["x-queue-type", "x-max-age"], None), Ok(()));
        assert_eq!(
            check("s", ok, &stream, &["x-queue-type", "x-max-length"], None),
            Err((
                "arguments",
                "invalid arg 'x-max-length' for queue 's' in vhost '/' of queue type rabbit_stream_queue".into()
            ))
        );
        assert_eq!(check("s", (true, true, false), &stream, &[], None).unwrap_err().0, "exclusive");
        assert_eq!(
            check("s", (true, false, true), &stream, &[], None).unwrap_err().1,
            "invalid property 'auto-delete' for queue 's' in vhost '/'"
        );
        assert_eq!(check("s", (false, false, false), &stream, &[], None).unwrap_err().0, "durable");
        assert!(check("s", ok, &stream, &[], Some(MAX_SEGMENT_BYTES + 1)).unwrap_err().1.starts_with("Exceeded max"));
        assert_eq!(
            check("c", ok, &QueueArgs::default(), &["x-max-age"], None).unwrap_err().1,
            "invalid arg 'x-max-age' for queue 'c' in vhost '/' of queue type rabbit_classic_queue"
        );
    }
}
