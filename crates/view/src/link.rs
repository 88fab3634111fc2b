//! What the user did, in the page's address: the command log as `log=` and the instant shown as
//! `t=`, so a link replays the run exactly (`Simulation::replay`: the scenario, the seed, and each
//! command at the engine step where it was given; then the clock run to `t`).
//!
//! One entry is `STEP.AT.ACTION[.ARG…]`: the engine step, the simulated time in microseconds, the
//! action and its nodes by index (the scenario's order) — `1203.105283.stop.3`,
//! `5000.2200000.cut.1.0`, `800.900000.slow.2.0.5000`, `90.1500.settle.4.7.0.nack-requeue`. Entries
//! are joined by `~`. Every character is one a URL carries as it is.

use brokerlab_engine::models::Act;
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

fn one(e: &LoggedCommand) -> String {
    let n = |id: NodeId| id.0.to_string();
    let (action, args): (&str, Vec<String>) = match e.command {
        Command::Stop { node } => ("stop", vec![n(node)]),
        Command::Start { node } => ("start", vec![n(node)]),
        Command::Leave { node } => ("leave", vec![n(node)]),
        Command::Isolate { node } => ("isolate", vec![n(node)]),
        Command::Rejoin { node } => ("rejoin", vec![n(node)]),
        Command::Cut { a, b } => ("cut", vec![n(a), n(b)]),
        Command::Heal { a, b } => ("heal", vec![n(a), n(b)]),
        Command::Slow { a, b, extra } => ("slow", vec![n(a), n(b), extra.0.to_string()]),
        Command::HealAll => ("heal-all", vec![]),
        Command::Act { node, act: Act::Settle { tag, multiple, op } } => {
            ("settle", vec![n(node), tag.to_string(), u8::from(multiple).to_string(), settle_name(op).into()])
        }
    };
    let mut s = format!("{}.{}.{action}", e.step, e.at.0);
    for a in args {
        s.push('.');
        s.push_str(&a);
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
        let which = || format!("action {} of the link (\"{}\")", i + 1, super::params::shorten_to(entry, 40));
        let f: Vec<&str> = entry.split('.').collect();
        let num = |k: usize, what: &str| -> Result<u64, String> {
            f.get(k)
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| format!("{}: its {what} is not a whole number", which()))
        };
        let node = |k: usize| -> Result<NodeId, String> {
            let v = num(k, "node")?;
            u32::try_from(v).map(NodeId).map_err(|_| format!("{}: no such node", which()))
        };
        let (step, at) = (num(0, "step")?, Time(num(1, "time")?));
        let action = f.get(2).copied().unwrap_or("");
        let arity = match action {
            "heal-all" => 0,
            "stop" | "start" | "leave" | "isolate" | "rejoin" => 1,
            "cut" | "heal" => 2,
            "slow" => 3,
            "settle" => 4,
            _ => return Err(format!("{}: \"{}\" is not an action", which(), super::params::shorten_to(action, 20))),
        };
        if f.len() != 3 + arity {
            return Err(format!("{}: {action} takes {arity} values, it has {}", which(), f.len().saturating_sub(3)));
        }
        let command = match action {
            "stop" => Command::Stop { node: node(3)? },
            "start" => Command::Start { node: node(3)? },
            "leave" => Command::Leave { node: node(3)? },
            "isolate" => Command::Isolate { node: node(3)? },
            "rejoin" => Command::Rejoin { node: node(3)? },
            "cut" => Command::Cut { a: node(3)?, b: node(4)? },
            "heal" => Command::Heal { a: node(3)?, b: node(4)? },
            "slow" => Command::Slow { a: node(3)?, b: node(4)?, extra: Time(num(5, "delay")?) },
            "heal-all" => Command::HealAll,
            _ => Command::settle(
                node(3)?,
                num(4, "delivery tag")?,
                match f[5] {
                    "0" => false,
                    "1" => true,
                    _ => return Err(format!("{}: \"multiple\" is 0 or 1", which())),
                },
                settle_op(f[6]).ok_or_else(|| {
                    format!("{}: \"{}\" is not ack, nack or reject", which(), super::params::shorten_to(f[6], 20))
                })?,
            ),
        };
        if let Some(prev) = out.last() {
            if step < prev.step || at < prev.at {
                return Err(format!("{}: it comes before the action it follows", which()));
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
