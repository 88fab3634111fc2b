//! A saved run: the file the page downloads ("Save run") and opens (drop it on the page, or pick
//! it), and that `brokerlab run FILE` replays natively to the same trace hash.
//!
//! ```json
//! {
//!   "brokerlab_run": 1,
//!   "preset": "kafka-basic",
//!   "seed": 4,
//!   "at_us": 6000000,
//!   "trace_hash": "5d0c1e7f9a3b2c41",
//!   "commands": [
//!     { "step": 1203, "at_us": 1500000, "action": "stop", "node": 2 },
//!     { "step": 5120, "at_us": 4000000, "action": "cut", "a": 1, "b": 0 }
//!   ],
//!   "scenario": { "name": "…", … }
//! }
//! ```
//!
//! `brokerlab_run` is the format's version; `preset` the page's scenario menu entry it came
//! from (optional); `at_us` the instant shown when it was saved, in simulated microseconds, with
//! `trace_hash` the hash shown then (optional; a check, not an input); `commands` the learner's
//! actions in the order taken, each after `step` engine steps at `at_us`, with the link's own
//! vocabulary (`link::fields`: node indexes in the scenario's order) as named fields; `scenario`
//! the scenario as the engine reads it (the one actually run: a walkthrough's has no faults).
//!
//! It lives here, beside the link it shares its vocabulary with, because it is the page's save
//! format (the instant shown, the preset it came from); this crate has no web dependency, so the
//! CLI reads it too. Reading checks everything and answers in words: a newer version, JSON that
//! does not parse, an unknown field or action, a node the scenario does not have, commands out
//! of order or after the instant saved. A command whose step does not fit the run is found when
//! it is replayed (`Simulation::follow_log`).

use super::link::{self, Kind, Val};
use super::params::shorten_to;
use super::session::Session;
use crate::i18n::{t, tf};
use brokerlab_engine::{presets, LoggedCommand, Scenario, Time};
use serde_json::{Map, Value};

/// The format version this build writes and reads.
pub const VERSION: u64 = 1;
/// The largest file read (bytes): far beyond any saved run, short of a page hang.
pub const MAX_BYTES: usize = 16 << 20;
const TOP: &str = "brokerlab_run, preset, seed, at_us, trace_hash, commands, scenario";

#[derive(Clone, Debug, PartialEq)]
pub struct RunFile {
    pub preset: Option<&'static str>,
    pub scenario: Scenario,
    pub seed: u64,
    pub commands: Vec<LoggedCommand>,
    /// The instant shown when saved.
    pub at: Time,
    /// The trace hash shown then, as the page shows it.
    pub trace_hash: Option<String>,
}

/// Reads `text` if it is meant as a run file (a JSON object with `brokerlab_run`), parsing it once;
/// `None` when it is not one (a scenario, or not JSON at all: the scenario reader says what is
/// wrong with it then).
pub fn read(text: &str) -> Option<Result<RunFile, String>> {
    if text.len() > MAX_BYTES {
        return Some(Err(tf(
            "the file is {0} MB; a run file is at most {1} MB",
            &[&(text.len() >> 20), &(MAX_BYTES >> 20)],
        )));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(top)) if top.contains_key("brokerlab_run") => Some(RunFile::from_top(&top)),
        _ => None,
    }
}

impl RunFile {
    /// The run on screen, at the instant shown.
    pub fn of(session: &Session) -> RunFile {
        let sim = session.sim();
        RunFile {
            preset: Some(session.preset()),
            scenario: sim.scenario().clone(),
            seed: sim.seed(),
            commands: sim.command_log().to_vec(),
            at: sim.now(),
            trace_hash: Some(sim.trace_hash().to_string()),
        }
    }

    /// A name for the download: `brokerlab-kafka-basic-seed4-6s.json`.
    pub fn file_name(&self) -> String {
        let what = self.preset.unwrap_or("run");
        let at: String = self.at.to_string().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        format!("brokerlab-{what}-seed{}-{at}.json", self.seed)
    }

    pub fn to_json(&self) -> String {
        let mut out = format!("{{\n  \"brokerlab_run\": {VERSION},\n");
        if let Some(p) = self.preset {
            out += &format!("  \"preset\": \"{p}\",\n");
        }
        out += &format!("  \"seed\": {},\n  \"at_us\": {},\n", self.seed, self.at.0);
        if let Some(h) = &self.trace_hash {
            out += &format!("  \"trace_hash\": {},\n", serde_json::to_string(h).expect("a string serialises"));
        }
        let commands: Vec<String> = self.commands.iter().map(command_json).collect();
        if commands.is_empty() {
            out += "  \"commands\": [],\n";
        } else {
            out += &format!("  \"commands\": [\n    {}\n  ],\n", commands.join(",\n    "));
        }
        out += &format!("  \"scenario\": {}\n}}\n", self.scenario.to_json().replace('\n', "\n  "));
        out
    }

    /// Reads a run file. Every problem is one sentence in the user's words.
    pub fn from_json(text: &str) -> Result<RunFile, String> {
        read(text).unwrap_or_else(|| {
            Err(match serde_json::from_str::<Value>(text) {
                Err(e) => tf("it is not JSON, or it was cut short: {0}", &[&e]),
                Ok(_) => not_a_run_file(),
            })
        })
    }

    fn from_top(top: &Map<String, Value>) -> Result<RunFile, String> {
        let version = top.get("brokerlab_run").ok_or_else(not_a_run_file)?;
        match version.as_u64() {
            Some(VERSION) => {}
            Some(v) if v > VERSION => {
                return Err(tf(
                    "it is a run file of format version {0}, saved by a newer brokerlab; this one reads version {1}",
                    &[&v, &VERSION],
                ))
            }
            _ => {
                return Err(tf(
                    "\"brokerlab_run\" is the format version: {0} here, not {1}",
                    &[&VERSION, &echo(version)],
                ))
            }
        }
        if let Some(k) = top.keys().find(|k| !TOP.split(", ").any(|t| t == k.as_str())) {
            return Err(tf("unknown field \"{0}\" (a run file has {1})", &[&(shorten_to(k, 30)), &TOP]));
        }
        let preset = match top.get("preset") {
            None => None,
            Some(v) => Some(
                v.as_str()
                    .and_then(|p| presets::PRESETS.iter().find(|(slug, _)| *slug == p))
                    .map(|(slug, _)| *slug)
                    .ok_or_else(|| tf("\"preset\": {0} is not one of the presets", &[&echo(v)]))?,
            ),
        };
        let seed = whole(top, "seed", t("the seed"))?;
        let at = Time(whole(top, "at_us", t("the instant saved, in simulated microseconds"))?);
        let trace_hash = match top.get("trace_hash") {
            None => None,
            Some(Value::String(h)) if h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()) => Some(h.clone()),
            Some(v) => return Err(tf("\"trace_hash\": {0} is not a trace hash (16 hex digits)", &[&echo(v)])),
        };
        let scenario = match top.get("scenario") {
            Some(v @ Value::Object(_)) => Scenario::from_json(&v.to_string()).map_err(|e| format!("scenario: {e}"))?,
            Some(v) => return Err(tf("\"scenario\" is a scenario object, not {0}", &[&echo(v)])),
            None => return Err(t("\"scenario\" is missing").into()),
        };
        let nodes = scenario.node_names().len() as u64;
        let commands = match top.get("commands") {
            None => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    read_command(c, nodes).map_err(|e| tf("command {0} of {1}: {2}", &[&(i + 1), &list.len(), &e]))
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(v) => return Err(tf("\"commands\" is a list, not {0}", &[&echo(v)])),
        };
        for (i, pair) in commands.windows(2).enumerate() {
            if pair[1].step < pair[0].step || pair[1].at < pair[0].at {
                return Err(tf("command {0} (step {1}, {2}) comes before command {3} (step {4}, {5}): commands are listed in the order they were taken", &[&(i + 2), &pair[1].step, &pair[1].at, &(i + 1), &pair[0].step, &pair[0].at]));
            }
        }
        if let Some((i, c)) = commands.iter().enumerate().find(|(_, c)| c.at > at) {
            return Err(tf(
                "command {0} is at {1}, after the instant the run was saved at ({2})",
                &[&(i + 1), &c.at, &at],
            ));
        }
        Ok(RunFile { preset, scenario, seed, commands, at, trace_hash })
    }

    /// The page showing this run: replayed and run to its instant, paused there. `fallback` is
    /// the preset to show it under if the file names none. Strict: a command that does not fit,
    /// or an instant too far to reach, is an error, and the caller keeps what it had.
    pub fn open(self, fallback: &'static str) -> Result<Session, String> {
        Session::open_run(self.preset.unwrap_or(fallback), self.scenario, self.seed, self.commands, self.at)
    }
}

/// What the page opens from a file (dropped or picked): a run file, at its instant, paused; or,
/// for a scenario file, that scenario from the start. `fallback` is the preset on screen (the
/// menu entry a file without one is shown under). Ok: the session and a sentence for the page;
/// Err: what is wrong, in words (the page keeps what it had).
pub fn open_text(text: &str, fallback: &'static str) -> Result<(Session, String), String> {
    let Some(file) = read(text) else {
        let scenario = Scenario::from_json(text)
            .map_err(|e| tf("it is neither a saved run nor a scenario (as a scenario: {0})", &[&e]))?;
        let note = tf("Opened the scenario \"{0}\" from the start.", &[&scenario.name]);
        let seed = scenario.seed;
        return Ok((Session::new(fallback, scenario, seed)?, note));
    };
    let file = file?;
    let (at, saved, n) = (file.at, file.trace_hash.clone(), file.commands.len());
    let session = file.open(fallback)?;
    let hash = session.sim().trace_hash().to_string();
    let check = match saved {
        Some(h) if h == hash => tf("trace hash {0}, as saved", &[&hash]),
        Some(h) => tf("trace hash {0}; it was saved showing {1}, so this version runs it differently", &[&hash, &h]),
        None => tf("trace hash {0}", &[&hash]),
    };
    let actions = if n == 1 { t("1 action").to_string() } else { tf("{0} actions", &[&n]) };
    Ok((session, tf("Opened a saved run: {0} replayed, paused at {1}, {2}.", &[&actions, &at, &check])))
}

fn not_a_run_file() -> String {
    t("it is not a brokerlab run file (a JSON object with \"brokerlab_run\", \"seed\", \"commands\" and \"scenario\")")
        .into()
}

/// A JSON value quoted back to the user, short.
fn echo(v: &Value) -> String {
    shorten_to(&v.to_string(), 30)
}

fn whole(m: &Map<String, Value>, key: &str, what: &str) -> Result<u64, String> {
    match m.get(key) {
        Some(v) => v.as_u64().ok_or_else(|| {
            tf("\"{0}\" ({1}) is a whole number from 0 to {2}, not {3}", &[&key, &what, &u64::MAX, &echo(v)])
        }),
        None => Err(tf("\"{0}\" ({1}) is missing", &[&key, &what])),
    }
}

fn command_json(e: &LoggedCommand) -> String {
    let (action, values) = link::parts(&e.command);
    let kinds = link::fields(action).expect("every command has a name");
    let mut s = format!("{{ \"step\": {}, \"at_us\": {}, \"action\": \"{action}\"", e.step, e.at.0);
    for ((name, _), v) in kinds.iter().zip(values) {
        s += &format!(", \"{name}\": {}", link::val_json(v));
    }
    s + " }"
}

fn read_command(v: &Value, nodes: u64) -> Result<LoggedCommand, String> {
    let Value::Object(m) = v else { return Err(tf("a command is an object, not {0}", &[&echo(v)])) };
    let action = match m.get("action") {
        Some(Value::String(a)) => a.as_str(),
        Some(v) => return Err(tf("\"action\" is a name ({0}), not {1}", &[&link::ACTIONS, &echo(v)])),
        None => return Err(t("\"action\" is missing").into()),
    };
    let kinds = link::fields(action)
        .ok_or_else(|| tf("\"{0}\" is not an action (actions: {1})", &[&(shorten_to(action, 20)), &link::ACTIONS]))?;
    if let Some(k) =
        m.keys().find(|k| !matches!(k.as_str(), "step" | "at_us" | "action") && !kinds.iter().any(|(n, _)| n == k))
    {
        let known: Vec<&str> = kinds.iter().map(|(n, _)| *n).collect();
        return Err(tf(
            "{0} has no field \"{1}\" (it has step, at_us{2}{3})",
            &[&action, &(shorten_to(k, 30)), &if known.is_empty() { "" } else { ", " }, &(known.join(", "))],
        ));
    }
    let step = whole(m, "step", t("engine steps before it"))?;
    let at = Time(whole(m, "at_us", t("its simulated time in microseconds"))?);
    let mut values = Vec::with_capacity(kinds.len());
    for &(name, kind) in kinds {
        let v = m.get(name).ok_or_else(|| tf("{0} needs \"{1}\" ({2})", &[&action, &name, &link::kind_name(kind)]))?;
        let bad = || tf("{0}'s \"{1}\" ({2}) cannot be {3}", &[&action, &name, &link::kind_name(kind), &echo(v)]);
        values.push(match kind {
            Kind::Flag => Val::Flag(v.as_bool().ok_or_else(bad)?),
            Kind::Op => v.as_str().and_then(link::read_op).ok_or_else(|| {
                tf(
                    "{0}'s \"{1}\" is ack, nack, nack-requeue, reject or reject-requeue, not {2}",
                    &[&action, &name, &echo(v)],
                )
            })?,
            Kind::Node => {
                let n = v.as_u64().ok_or_else(bad)?;
                if n >= nodes {
                    return Err(tf(
                        "{0}'s \"{1}\" is node {2}, and the scenario has {3} nodes (0 to {4})",
                        &[&action, &name, &n, &nodes, &nodes.saturating_sub(1)],
                    ));
                }
                Val::Num(n)
            }
            Kind::Us | Kind::Tag => Val::Num(v.as_u64().ok_or_else(bad)?),
        });
    }
    let command = link::command(action, &values)?;
    if let Some([a, b]) = (kinds.len() >= 2 && kinds[1].1 == Kind::Node).then(|| [values[0], values[1]]) {
        if a == b {
            return Err(tf("{0} joins two different nodes, not node {1} with itself", &[&action, &link::val_json(a)]));
        }
    }
    Ok(LoggedCommand { step, at, command })
}

#[cfg(test)]
mod tests;
