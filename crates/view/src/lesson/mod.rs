//! Lessons that ask before they show: a file per lesson under `lessons/` — a scenario, a goal, a
//! question with choices, the trace fact that settles it (`measure`) and what each choice's value
//! means, and "try this" variations that change one thing in the scenario. The answer is what the
//! engine then does: the run is measured, and the choice whose condition holds is the answer
//! (`Lesson::settle`). A test runs every lesson and every variation and checks that exactly one
//! choice holds each time, so no lesson can ask a question its run does not answer.

pub mod measure;
pub mod progress;
pub mod run;

use crate::json_edit::set_path;
use brokerlab_engine::compare::{presets as stories, Comparison, Workload};
use brokerlab_engine::{presets, LoggedCommand, Scenario, Simulation, Time};
use measure::{Measure, When};
use serde_json::{Map, Value};

/// Every lesson, in the order of the path: `(id, file)`. The id is the file's name.
pub const LESSONS: &[(&str, &str)] = &[
    ("rabbit-decoupling", include_str!("../../../../lessons/rabbit-decoupling.json")),
    ("rabbit-routing", include_str!("../../../../lessons/rabbit-routing.json")),
    ("rabbit-fanout", include_str!("../../../../lessons/rabbit-fanout.json")),
    ("rabbit-prefetch", include_str!("../../../../lessons/rabbit-prefetch.json")),
    ("rabbit-dead-letters", include_str!("../../../../lessons/rabbit-dead-letters.json")),
    ("rabbit-consumer-crash", include_str!("../../../../lessons/rabbit-consumer-crash.json")),
    ("rabbit-overflow", include_str!("../../../../lessons/rabbit-overflow.json")),
    ("rabbit-restart", include_str!("../../../../lessons/rabbit-restart.json")),
    ("rabbit-memory-alarm", include_str!("../../../../lessons/rabbit-memory-alarm.json")),
    ("rabbit-paging", include_str!("../../../../lessons/rabbit-paging.json")),
    ("kafka-partitions-and-consumers", include_str!("../../../../lessons/kafka-partitions-and-consumers.json")),
    ("kafka-offset-reset", include_str!("../../../../lessons/kafka-offset-reset.json")),
    ("kafka-session-timeout", include_str!("../../../../lessons/kafka-session-timeout.json")),
    ("kafka-isr", include_str!("../../../../lessons/kafka-isr.json")),
    ("kafka-leader-failover", include_str!("../../../../lessons/kafka-leader-failover.json")),
    ("kafka-idempotence", include_str!("../../../../lessons/kafka-idempotence.json")),
    ("kafka-linger", include_str!("../../../../lessons/kafka-linger.json")),
    ("kafka-kraft-controllers", include_str!("../../../../lessons/kafka-kraft-controllers.json")),
    ("compare-ordering", include_str!("../../../../lessons/compare-ordering.json")),
    ("compare-crash", include_str!("../../../../lessons/compare-crash.json")),
    ("compare-exactly-once", include_str!("../../../../lessons/compare-exactly-once.json")),
];

#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    pub text: String,
    pub when: When,
    /// Shown when the run makes this the answer: why the engine did that.
    pub why: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Variation {
    pub label: String,
    /// JSON paths in the scenario (`rabbit.consumers.0.auto_ack`) and their new values.
    pub set: Vec<(String, Value)>,
    /// What to look for on the page with this change.
    pub look: String,
}

/// What a lesson runs: a scenario on the stage, or one workload on both systems side by side
/// (the comparison page).
#[derive(Clone, Debug, PartialEq)]
pub enum Setup {
    Stage(Box<Scenario>),
    Compare(Workload),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    pub id: &'static str,
    pub title: String,
    /// `kafka`, `rabbitmq` or `compare`.
    pub track: String,
    pub goal: String,
    /// What it runs, as JSON (a preset's or a comparison story's, or the lesson's own); `compare`
    /// tells which of the two.
    json: Value,
    compare: bool,
    /// How long the run is measured (the scenario's `until` when the lesson gives none); a
    /// comparison is measured when both lanes are over.
    pub until: Time,
    pub question: String,
    /// What the measured number is, in words ("copies enqueued per message the broker received").
    pub fact: String,
    pub measure: Measure,
    pub choices: Vec<Choice>,
    /// Where to look on the page while it runs.
    pub look: String,
    pub tries: Vec<Variation>,
}

/// The run's answer: the measured value and the choice it makes right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub value: Option<u64>,
    /// `None` only if the lesson's conditions miss the value (the lesson tests forbid it).
    pub answer: Option<usize>,
}

fn string(o: &Map<String, Value>, key: &str, what: &str) -> Result<String, String> {
    match o.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        _ => Err(format!("{what}{key} must be a non-empty text")),
    }
}

/// Each object of the list `key` (none if it is absent), read by `read` with its place for
/// errors (`lesson x: choices[1].`).
fn objects<T>(
    o: &Map<String, Value>,
    key: &str,
    top: &str,
    read: impl Fn(&Map<String, Value>, &str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let items = match o.get(key) {
        None => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(format!("{top}{key} must be a list")),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("{top}{key}[{i}].");
            read(item.as_object().ok_or_else(|| format!("{top}{key}[{i}] must be an object"))?, &at)
        })
        .collect()
}

impl Lesson {
    /// Every text the lesson shows a learner, for the translations (`i18n`).
    pub fn texts(&self) -> Vec<&str> {
        let mut out = vec![self.title.as_str(), &self.goal, &self.question, &self.fact, &self.look];
        for c in &self.choices {
            out.extend([c.text.as_str(), &c.why]);
        }
        for v in &self.tries {
            out.extend([v.label.as_str(), &v.look]);
        }
        out
    }

    /// Reads a lesson file; errors name the field.
    pub fn parse(id: &'static str, text: &str) -> Result<Lesson, String> {
        let top = format!("lesson {id}: ");
        let v: Value = serde_json::from_str(text).map_err(|e| format!("{top}{e}"))?;
        let o = v.as_object().ok_or_else(|| format!("{top}a lesson is a JSON object"))?;
        let (json, compare) = match (o.get("scenario"), o.get("compare")) {
            (Some(Value::String(slug)), None) => {
                let json = presets::by_slug(slug).ok_or_else(|| format!("{top}no preset \"{slug}\""))?;
                (serde_json::from_str(json).map_err(|e| format!("{top}preset {slug}: {e}"))?, false)
            }
            (Some(s @ Value::Object(_)), None) => (s.clone(), false),
            (None, Some(Value::String(slug))) => {
                let story = stories::by_slug(slug).ok_or_else(|| format!("{top}no comparison story \"{slug}\""))?;
                (serde_json::from_str(&(story.workload)().to_json()).map_err(|e| format!("{top}{e}"))?, true)
            }
            (None, Some(w @ Value::Object(_))) => (w.clone(), true),
            (None, None) | (Some(_), None) => {
                return Err(format!("{top}scenario must be a preset's name or a scenario object"))
            }
            (None, Some(_)) => return Err(format!("{top}compare must be a comparison story's name or a workload")),
            (Some(_), Some(_)) => return Err(format!("{top}a lesson runs a scenario or a comparison, not both")),
        };
        let base_until = if compare {
            Workload::from_json(&json.to_string()).map_err(|e| format!("{top}compare: {e}"))?.until
        } else {
            Scenario::from_json(&json.to_string()).map_err(|e| format!("{top}scenario: {e}"))?.until
        };
        let until = match o.get("until") {
            None => base_until,
            Some(Value::String(s)) => Time::parse(s).map_err(|e| format!("{top}until: {e}"))?,
            Some(_) => return Err(format!("{top}until must be a duration such as \"3s\"")),
        };
        let choices = objects(o, "choices", &top, |c, at| {
            let when = When::parse(&string(c, "when", at)?).map_err(|e| format!("{at}when: {e}"))?;
            Ok(Choice { text: string(c, "text", at)?, when, why: string(c, "why", at)? })
        })?;
        if choices.len() < 2 {
            return Err(format!("{top}a question needs at least two choices"));
        }
        let tries = objects(o, "try", &top, |t, at| {
            let set = match t.get("set") {
                Some(Value::Object(m)) if !m.is_empty() => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                _ => return Err(format!("{at}set must name at least one field to change")),
            };
            Ok(Variation { label: string(t, "label", at)?, set, look: string(t, "look", at)? })
        })?;
        let lesson = Lesson {
            id,
            title: string(o, "title", &top)?,
            track: string(o, "track", &top)?,
            goal: string(o, "goal", &top)?,
            json,
            compare,
            until,
            question: string(o, "question", &top)?,
            fact: string(o, "fact", &top)?,
            measure: Measure::parse(o.get("measure").unwrap_or(&Value::Null)).map_err(|e| format!("{top}{e}"))?,
            choices,
            look: string(o, "look", &top)?,
            tries,
        };
        if lesson.measure.compares() != compare {
            return Err(match compare {
                true => format!("{top}a comparison lesson is measured by \"which\" or \"lane\""),
                false => {
                    format!("{top}\"which\" and \"lane\" measure a comparison lesson (\"compare\"), not a scenario")
                }
            });
        }
        for i in 0..lesson.tries.len() {
            lesson.setup(Some(i))?;
        }
        Ok(lesson)
    }

    /// Runs on the comparison page (one workload on both systems), not on the stage.
    pub fn runs_comparison(&self) -> bool {
        self.compare
    }

    /// What to run: the lesson's own, or with variation `try_` applied.
    pub fn setup(&self, try_: Option<usize>) -> Result<Setup, String> {
        let mut json = self.json.clone();
        if let Some(i) = try_ {
            let v = self.tries.get(i).ok_or_else(|| format!("lesson {} has no variation {}", self.id, i + 1))?;
            for (path, value) in &v.set {
                set_path(&mut json, path, value.clone())
                    .map_err(|e| format!("lesson {}: try \"{}\": {path}: {e}", self.id, v.label))?;
            }
        }
        let text = json.to_string();
        match self.compare {
            true => Workload::from_json(&text).map(Setup::Compare),
            false => Scenario::from_json(&text).map(|s| Setup::Stage(Box::new(s))),
        }
        .map_err(|e| format!("lesson {}: {e}", self.id))
    }

    /// Measures a run of the lesson (the page's run: its scenario, seed and the actions taken)
    /// to the lesson's `until`, and names the choice the value makes right.
    pub fn settle(&self, scenario: &Scenario, seed: u64, log: &[LoggedCommand]) -> Result<Outcome, String> {
        let mut sim = Simulation::replay(scenario, seed, log)?;
        sim.run_until(self.until);
        let events: Vec<_> = sim.drain_events().collect();
        let value = self.measure.value(&events);
        Ok(self.outcome(value))
    }

    /// Measures a finished comparison (the page's, or `run`'s).
    pub fn settle_comparison(&self, c: &Comparison) -> Outcome {
        self.outcome(self.measure.of_comparison(c))
    }

    /// Runs `setup` afresh with `seed` (no actions taken) and measures it.
    pub fn run(&self, setup: &Setup, seed: u64) -> Result<Outcome, String> {
        match setup {
            Setup::Stage(s) => self.settle(s, seed, &[]),
            Setup::Compare(w) => Ok(self.settle_comparison(&Comparison::run(w, seed)?)),
        }
    }

    fn outcome(&self, value: Option<u64>) -> Outcome {
        Outcome { value, answer: self.choices.iter().position(|c| c.when.holds(value)) }
    }
}

/// Every lesson, parsed (a lesson file that does not read is a build-time bug: the tests read
/// them all).
pub fn all() -> Vec<Lesson> {
    LESSONS.iter().filter_map(|(id, text)| Lesson::parse(id, text).ok()).collect()
}

/// The lesson with this id.
pub fn by_id(id: &str) -> Option<Lesson> {
    LESSONS.iter().find(|(i, _)| *i == id).and_then(|(id, text)| Lesson::parse(id, text).ok())
}

#[cfg(test)]
mod tests;
