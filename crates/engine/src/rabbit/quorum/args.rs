//! A quorum queue's declaration as RabbitMQ checks it (`rabbit_amqqueue:check_arguments`,
//! `rabbit_quorum_queue:declare`, `rabbit_queue_type_util`), with its PRECONDITION_FAILED texts.

use crate::rabbit::queue::{Overflow, QueueArgs};
use crate::rabbit::routing::Value;

/// What `x-queue-type: quorum` adds to a queue's arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct QuorumArgs {
    /// `x-delivery-limit`: a message returned more than this many times is dead-lettered (reason
    /// `delivery_limit`). None: no limit — RabbitMQ 3.10's default; 4.0 made it 20.
    pub delivery_limit: Option<u32>,
}

/// The arguments only quorum queues take (`rabbit_quorum_queue:capabilities/0`), which a classic
/// queue refuses.
const QUORUM_ONLY: [&str; 3] = ["x-delivery-limit", "x-dead-letter-strategy", "x-quorum-initial-group-size"];

/// Reads `key` if it is `x-queue-type` or a quorum queue's own argument (into `own`, which `finish`
/// keeps if the queue is a quorum queue); None for any other key. Errors start after the key, as
/// `config::parse_args` reports them.
pub fn parse(key: &str, v: &Value, a: &mut QueueArgs, own: &mut QuorumArgs) -> Option<Result<(), String>> {
    let int = |v: &Value, min: i64| match v {
        Value::Int(i) if *i >= min && *i <= u32::MAX as i64 => Ok(*i as u32),
        _ => Err(format!("must be a whole number from {min} to {}", u32::MAX)),
    };
    let text = |v: &Value| match v {
        Value::Str(s) => Ok(s.to_string()),
        _ => Err("must be a string".to_string()),
    };
    Some(match key {
        "x-queue-type" => text(v).and_then(|t| match t.as_str() {
            "classic" => Ok(()),
            "quorum" => {
                a.quorum.get_or_insert_with(QuorumArgs::default);
                Ok(())
            }
            "stream" => {
                a.stream.get_or_insert_with(Default::default);
                Ok(())
            }
            t => Err(format!("\"{t}\" is not classic, quorum or stream")),
        }),
        "x-delivery-limit" => int(v, 0).map(|n| own.delivery_limit = Some(n)),
        "x-dead-letter-strategy" => text(v).and_then(|s| match s.as_str() {
            "at-most-once" => Ok(()),
            "at-least-once" => Err("\"at-least-once\" is not modelled (at-most-once, the default, is)".into()),
            s => Err(format!("\"{s}\" is not at-most-once or at-least-once")),
        }),
        // The model's groups span every node of the cluster (RabbitMQ's default up to its size).
        "x-quorum-initial-group-size" => int(v, 1).map(|_| ()),
        _ => return None,
    })
}

/// The checks of a declaration once all arguments are read, in RabbitMQ's order: arguments of the
/// wrong queue type first (`check_arguments_key`), then the properties a quorum queue cannot have
/// (`check_auto_delete`, `check_exclusive`, `check_non_durable`). `Err((field, text))`: the
/// scenario field to blame and RabbitMQ's PRECONDITION_FAILED text.
pub fn check(
    name: &str,
    (durable, exclusive, auto_delete): (bool, bool, bool),
    args: &QueueArgs,
    given: &[&str],
) -> Result<(), (&'static str, String)> {
    let q = format!("queue '{name}' in vhost '/'");
    let Some(_) = args.quorum else {
        if let Some(k) = given.iter().find(|k| QUORUM_ONLY.contains(k)) {
            return Err(("arguments", format!("invalid arg '{k}' for {q} of queue type rabbit_classic_queue")));
        }
        return Ok(());
    };
    for k in ["x-max-priority"] {
        if given.contains(&k) {
            return Err(("arguments", format!("invalid arg '{k}' for {q} of queue type rabbit_quorum_queue")));
        }
    }
    crate::rabbit::queue::check_properties(&q, (durable, exclusive, auto_delete))
}

/// Once every argument is read: a quorum queue keeps its own arguments, and reject-publish-dlx,
/// not a quorum queue's strategy, becomes drop-head, as `rabbit_quorum_queue:overflow/3` does (with
/// a warning in its log).
pub fn finish(args: &mut QueueArgs, own: QuorumArgs) {
    if let Some(q) = args.quorum.as_mut() {
        *q = own;
        if args.overflow == Overflow::RejectPublishDlx {
            args.overflow = Overflow::DropHead;
        }
    }
}
