//! What the user did, in the page's address: the command log as `log=` and the instant shown as
//! `t=`, so a link replays the run exactly (`Simulation::replay`: the scenario, the seed, and each
//! command at the engine step where it was given; then the clock run to `t`).
//!
//! One entry is `STEP.AT.ACTION[.ARG…]`: the engine step, the simulated time in microseconds, the
//! action and its nodes by index (the scenario's order) — `1203.105283.stop.3`,
//! `5000.2200000.cut.1.0`, `800.900000.slow.2.0.5000`, `90.1500.settle.4.7.0.nack-requeue`. Entries
//! are joined by `~`. Every character is one a URL carries as it is.

use crate::i18n::{t, tf};
use brokerlab_engine::models::{Act, TopoAct};
use brokerlab_engine::rabbit::msg::SettleOp;
use brokerlab_engine::LoggedCommand;
use brokerlab_engine::{Command, NodeId, Time};

const SEP: char = '~';

fn settle_name(op: SettleOp) -> &'static str {
    match op {
        SettleOp::Ack => "ack",
        SettleOp::Nack { requeue: true } => "nack-requeue",
        SettleOp::Nack { requeue: false } => "nack",
        SettleOp::Reject { requeue: true } => "reject-requeue",
        SettleOp::Reject { requeue: false } => "reject",
    }
}

fn settle_op(name: &str) -> Option<SettleOp> {
    Some(match name {
        "ack" => SettleOp::Ack,
        "nack-requeue" => SettleOp::Nack { requeue: true },
        "nack" => SettleOp::Nack { requeue: false },
        "reject-requeue" => SettleOp::Reject { requeue: true },
        "reject" => SettleOp::Reject { requeue: false },
        _ => return None,
    })
}

/// What one value of an action is. The vocabulary (actions, their values in order, the names a
/// run file gives them) is shared by links and run files (`run_file`), so the two cannot drift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A node, by its index in the scenario's order.
    Node,
    /// A duration in microseconds.
    Us,
    /// A delivery tag.
    Tag,
    /// A yes/no (`0`/`1` in a link).
    Flag,
    /// How a delivery is settled (`ack`, `nack`, `nack-requeue`, `reject`, `reject-requeue`).
    Op,
}

/// A value of an action, read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Val {
    Num(u64),
    Flag(bool),
    Op(SettleOp),
}

/// The actions a learner takes, each with its values: (the name a run file gives it, what it is).
pub(crate) fn fields(action: &str) -> Option<&'static [(&'static str, Kind)]> {
    const NODE: &[(&str, Kind)] = &[("node", Kind::Node)];
    const LINK: &[(&str, Kind)] = &[("a", Kind::Node), ("b", Kind::Node)];
    Some(match action {
        "heal-all" => &[],
        "stop" | "start" | "leave" | "isolate" | "rejoin" => NODE,
        "cut" | "heal" => LINK,
        "slow" => &[("a", Kind::Node), ("b", Kind::Node), ("extra_us", Kind::Us)],
        "settle" => &[("node", Kind::Node), ("tag", Kind::Tag), ("multiple", Kind::Flag), ("op", Kind::Op)],
        // A topology change by the operator (a fault action): what (TopoAct::code) and on what.
        "topology" => &[("node", Kind::Node), ("change", Kind::Tag), ("target", Kind::Tag)],
        _ => return None,
    })
}

/// Every action's name, for messages.
pub(crate) const ACTIONS: &str = "stop, start, leave, isolate, rejoin, cut, heal, slow, heal-all, settle, topology";

/// A command as its action's name and values (in `fields`' order).
pub(crate) fn parts(c: &Command) -> (&'static str, Vec<Val>) {
    let n = |id: NodeId| Val::Num(id.0.into());
    match *c {
        Command::Stop { node } => ("stop", vec![n(node)]),
        Command::Start { node } => ("start", vec![n(node)]),
        Command::Leave { node } => ("leave", vec![n(node)]),
        Command::Isolate { node } => ("isolate", vec![n(node)]),
        Command::Rejoin { node } => ("rejoin", vec![n(node)]),
        Command::Cut { a, b } => ("cut", vec![n(a), n(b)]),
        Command::Heal { a, b } => ("heal", vec![n(a), n(b)]),
        Command::Slow { a, b, extra } => ("slow", vec![n(a), n(b), Val::Num(extra.0)]),
        Command::HealAll => ("heal-all", vec![]),
        Command::Act { node, act: Act::Settle { tag, multiple, op } } => {
            ("settle", vec![n(node), Val::Num(tag), Val::Flag(multiple), Val::Op(op)])
        }
        Command::Act { node, act: Act::Topology(t) } => {
            let (code, target) = t.code();
            ("topology", vec![n(node), Val::Num(code), Val::Num(target.into())])
        }
    }
}

/// The command for `action` and its values, read as `fields` says (so they are of the right
/// kinds and count). A node index beyond `u32` is no node of any scenario.
pub(crate) fn command(action: &str, v: &[Val]) -> Result<Command, String> {
    let num = |i: usize| match v.get(i) {
        Some(Val::Num(n)) => *n,
        _ => 0,
    };
    let node = |i: usize| u32::try_from(num(i)).map(NodeId).map_err(|_| tf("there is no node {0}", &[&num(i)]));
    Ok(match action {
        "stop" => Command::Stop { node: node(0)? },
        "start" => Command::Start { node: node(0)? },
        "leave" => Command::Leave { node: node(0)? },
        "isolate" => Command::Isolate { node: node(0)? },
        "rejoin" => Command::Rejoin { node: node(0)? },
        "cut" => Command::Cut { a: node(0)?, b: node(1)? },
        "heal" => Command::Heal { a: node(0)?, b: node(1)? },
        "slow" => Command::Slow { a: node(0)?, b: node(1)?, extra: Time(num(2)) },
        "settle" => {
            let (Some(Val::Flag(multiple)), Some(Val::Op(op))) = (v.get(2), v.get(3)) else {
                return Err(t("settle takes a node, a delivery tag, multiple and how").into());
            };
            Command::settle(node(0)?, num(1), *multiple, *op)
        }
        "topology" => {
            let target = u16::try_from(num(2)).map_err(|_| tf("there is no target {0}", &[&num(2)]))?;
            let t = TopoAct::from_code(num(1), target).ok_or(tf("there is no topology change {0}", &[&num(1)]))?;
            Command::Act { node: node(0)?, act: Act::Topology(t) }
        }
        _ => Command::HealAll,
    })
}

/// A value as a link writes it.
fn val_text(v: Val) -> String {
    match v {
        Val::Num(n) => n.to_string(),
        Val::Flag(b) => u8::from(b).to_string(),
        Val::Op(op) => settle_name(op).into(),
    }
}

/// A value as a run file writes it (JSON).
pub(crate) fn val_json(v: Val) -> String {
    match v {
        Val::Num(n) => n.to_string(),
        Val::Flag(b) => b.to_string(),
        Val::Op(op) => format!("\"{}\"", settle_name(op)),
    }
}

/// How a link's text for a value reads, or what it should have been.
fn read_text(kind: Kind, text: &str) -> Result<Val, String> {
    match kind {
        Kind::Flag => match text {
            "0" => Ok(Val::Flag(false)),
            "1" => Ok(Val::Flag(true)),
            _ => Err(t("\"multiple\" is 0 or 1").into()),
        },
        Kind::Op => settle_op(text)
            .map(Val::Op)
            .ok_or_else(|| tf("\"{0}\" is not ack, nack or reject", &[&(super::params::shorten_to(text, 20))])),
        _ => text.parse().map(Val::Num).map_err(|_| tf("its {0} is not a whole number", &[&kind_name(kind)])),
    }
}

/// A run file's JSON value for `kind`, read (`None`: it is not one).
pub(crate) fn read_op(name: &str) -> Option<Val> {
    settle_op(name).map(Val::Op)
}

pub(crate) fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Node => "node",
        Kind::Us => "delay",
        Kind::Tag => t("delivery tag"),
        Kind::Flag => "multiple",
        Kind::Op => t("settle operation"),
    }
}

fn one(e: &LoggedCommand) -> String {
    let (action, values) = parts(&e.command);
    let mut s = format!("{}.{}.{action}", e.step, e.at.0);
    for v in values {
        s.push('.');
        s.push_str(&val_text(v));
    }
    s
}

/// The `log=` value for a command log (empty for none).
pub fn encode(log: &[LoggedCommand]) -> String {
    log.iter().map(one).collect::<Vec<_>>().join(&SEP.to_string())
}

/// Reads a `log=` value. Errors say which entry and what is wrong, in the user's words; node
/// indexes are checked by the simulation when the log is replayed.
pub fn decode(s: &str) -> Result<Vec<LoggedCommand>, String> {
    let mut out: Vec<LoggedCommand> = Vec::new();
    for (i, entry) in s.split(SEP).filter(|e| !e.is_empty()).enumerate() {
        let which = || tf("action {0} of the link (\"{1}\")", &[&(i + 1), &(super::params::shorten_to(entry, 40))]);
        let f: Vec<&str> = entry.split('.').collect();
        let num = |k: usize, what: &str| -> Result<u64, String> {
            f.get(k)
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| tf("{0}: its {1} is not a whole number", &[&which(), &what]))
        };
        let (step, at) = (num(0, "step")?, Time(num(1, "time")?));
        let action = f.get(2).copied().unwrap_or("");
        let Some(kinds) = fields(action) else {
            return Err(tf("{0}: \"{1}\" is not an action", &[&which(), &(super::params::shorten_to(action, 20))]));
        };
        if f.len() != 3 + kinds.len() {
            return Err(tf(
                "{0}: {1} takes {2} values, it has {3}",
                &[&which(), &action, &kinds.len(), &f.len().saturating_sub(3)],
            ));
        }
        let values = kinds
            .iter()
            .zip(&f[3..])
            .map(|((_, kind), text)| read_text(*kind, text))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{}: {e}", which()))?;
        let command = command(action, &values).map_err(|e| format!("{}: {e}", which()))?;
        if let Some(prev) = out.last() {
            if step < prev.step || at < prev.at {
                return Err(tf("{0}: it comes before the action it follows", &[&which()]));
            }
        }
        out.push(LoggedCommand { step, at, command });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::{presets, Simulation};

    #[test]
    fn every_action_round_trips() {
        let log = vec![
            LoggedCommand { step: 10, at: Time(1_500), command: Command::Stop { node: NodeId(3) } },
            LoggedCommand { step: 10, at: Time(1_500), command: Command::Start { node: NodeId(3) } },
            LoggedCommand { step: 11, at: Time(2_000), command: Command::Leave { node: NodeId(5) } },
            LoggedCommand { step: 12, at: Time(2_000), command: Command::Isolate { node: NodeId(1) } },
            LoggedCommand { step: 13, at: Time(2_000), command: Command::Rejoin { node: NodeId(1) } },
            LoggedCommand { step: 14, at: Time(3_000), command: Command::Cut { a: NodeId(1), b: NodeId(0) } },
            LoggedCommand { step: 15, at: Time(3_000), command: Command::Heal { a: NodeId(1), b: NodeId(0) } },
            LoggedCommand {
                step: 16,
                at: Time(4_000),
                command: Command::Slow { a: NodeId(2), b: NodeId(0), extra: Time(5_000) },
            },
            LoggedCommand { step: 17, at: Time(4_000), command: Command::HealAll },
            LoggedCommand {
                step: 18,
                at: Time(5_000),
                command: Command::settle(NodeId(4), 7, true, SettleOp::Nack { requeue: true }),
            },
            LoggedCommand {
                step: 19,
                at: Time(5_000),
                command: Command::settle(NodeId(4), 8, false, SettleOp::Reject { requeue: false }),
            },
        ];
        let mut log = log;
        for (i, t) in (0..6).filter_map(|c| TopoAct::from_code(c, c as u16 + 1)).enumerate() {
            let act = Act::Topology(t);
            log.push(LoggedCommand {
                step: 20 + i as u64,
                at: Time(6_000),
                command: Command::Act { node: NodeId(0), act },
            });
        }
        assert!(TopoAct::from_code(6, 0).is_none());
        let text = encode(&log);
        assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)), "URL-safe: {text}");
        assert_eq!(decode(&text).unwrap(), log);
        assert_eq!(decode("").unwrap(), vec![]);
    }

    #[test]
    fn bad_links_say_what_is_wrong() {
        let err = |s: &str| decode(s).unwrap_err();
        assert!(err("1.2.explode.3").contains("\"explode\" is not an action"));
        assert!(err("1.2.stop").contains("stop takes 1 values, it has 0"));
        assert!(err("x.2.stop.1").contains("its step is not a whole number"));
        assert!(err("1.2.settle.1.2.5.ack").contains("\"multiple\" is 0 or 1"));
        assert!(err("5.9.stop.1~4.9.start.1").contains("action 2 of the link"));
        assert!(err(&format!("1.2.stop.{}", "9".repeat(300))).len() < 200, "the echo is shortened");
    }

    /// The page's promise: a link reproduces the trace hash at the instant it names.
    #[test]
    fn a_link_replays_the_same_run() {
        let scenario = presets::load("kafka-basic").unwrap();
        let mut sim = Simulation::new(&scenario, 4).unwrap();
        sim.run_until(Time::ms(1_500));
        sim.apply(Command::Stop { node: NodeId(2) }).unwrap();
        sim.run_until(Time::ms(4_000));
        sim.apply(Command::Cut { a: NodeId(1), b: NodeId(0) }).unwrap();
        sim.run_until(Time::ms(6_000));
        let t = sim.now();
        let log = decode(&encode(sim.command_log())).unwrap();
        let mut again = Simulation::replay(&scenario, 4, &log).unwrap();
        again.run_until(t);
        assert_eq!(again.trace_hash(), sim.trace_hash());
    }
}
