//! The trace facts a lesson's question is settled by. A measure is computed from the engine's own
//! events over the lesson's run, never written in the lesson: the lesson only names which fact
//! settles it and which value each answer stands for.

use brokerlab_engine::compare::detect::Counts;
use brokerlab_engine::compare::{Comparison, System};
use brokerlab_engine::{Event, NodeId, Time};
use serde_json::Value;

/// What to count in a run's events (by their type name, as the event log shows it).
#[derive(Clone, Debug, PartialEq)]
pub enum Measure {
    /// Events of this type, from `after` on.
    Count { event: String, after: Time },
    /// Events of `event` per event of `per`, rounded to the nearest whole number (e.g. queue copies
    /// per message the broker received).
    Per { event: String, per: String },
    /// Distinct nodes that the events of this type, from `after` on, are mainly about (e.g.
    /// consumers that consumed).
    Distinct { event: String, after: Time },
    /// Milliseconds from `after` to the first event of this type at or after it (none: never).
    First { event: String, after: Time },
    /// A comparison lesson: which lanes counted any of `counter` — 0 neither, 1 Kafka only,
    /// 2 RabbitMQ only, 3 both.
    Which { counter: Counter },
    /// A comparison lesson: what one lane counted.
    Lane { system: System, counter: Counter },
}

/// What the comparison's ordering detector counts in a lane (`engine::compare::detect::Counts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    Published,
    Processed,
    OutOfOrder,
    Duplicates,
    Redelivered,
    Lost,
}

impl Counter {
    const NAMES: [(&'static str, Counter); 6] = [
        ("published", Counter::Published),
        ("processed", Counter::Processed),
        ("out-of-order", Counter::OutOfOrder),
        ("duplicates", Counter::Duplicates),
        ("redelivered", Counter::Redelivered),
        ("lost", Counter::Lost),
    ];

    fn parse(s: &str) -> Result<Counter, String> {
        Counter::NAMES.iter().find(|(n, _)| *n == s).map(|&(_, c)| c).ok_or_else(|| {
            let names: Vec<&str> = Counter::NAMES.iter().map(|(n, _)| *n).collect();
            format!("\"{s}\" is not something the comparison counts: one of {}", names.join(", "))
        })
    }

    pub fn of(self, c: &Counts) -> u64 {
        match self {
            Counter::Published => c.published,
            Counter::Processed => c.processed,
            Counter::OutOfOrder => c.out_of_order,
            Counter::Duplicates => c.duplicates,
            Counter::Redelivered => c.redelivered,
            Counter::Lost => c.lost,
        }
    }
}

/// Which values an answer stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Eq(u64),
    Lt(u64),
    Gt(u64),
    /// Inclusive at both ends.
    Range(u64, u64),
    /// The event never happened (a `first` measure found none).
    Never,
}

impl When {
    /// `= 3`, `> 0`, `< 10`, `2-5`, `never`.
    pub fn parse(s: &str) -> Result<When, String> {
        let s = s.trim();
        let num = |t: &str| {
            t.trim().parse::<u64>().map_err(|_| format!("\"{s}\": \"{}\" is not a whole number ≥ 0", t.trim()))
        };
        if s == "never" {
            return Ok(When::Never);
        }
        if let Some(rest) = s.strip_prefix('=') {
            return Ok(When::Eq(num(rest)?));
        }
        if let Some(rest) = s.strip_prefix('<') {
            return Ok(When::Lt(num(rest)?));
        }
        if let Some(rest) = s.strip_prefix('>') {
            return Ok(When::Gt(num(rest)?));
        }
        if let Some((a, b)) = s.split_once('-') {
            let (a, b) = (num(a)?, num(b)?);
            return if a <= b { Ok(When::Range(a, b)) } else { Err(format!("\"{s}\": the range is empty")) };
        }
        Err(format!("\"{s}\" is not a condition: write \"= 3\", \"> 0\", \"< 10\", \"2-5\" or \"never\""))
    }

    pub fn holds(self, value: Option<u64>) -> bool {
        match (self, value) {
            (When::Never, v) => v.is_none(),
            (_, None) => false,
            (When::Eq(n), Some(v)) => v == n,
            (When::Lt(n), Some(v)) => v < n,
            (When::Gt(n), Some(v)) => v > n,
            (When::Range(a, b), Some(v)) => (a..=b).contains(&v),
        }
    }
}

fn text<'a>(o: &'a serde_json::Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match o.get(key) {
        None => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s)),
        Some(_) => Err(format!("measure.{key} must be an event type, e.g. \"consumed\"")),
    }
}

fn after(o: &serde_json::Map<String, Value>) -> Result<Time, String> {
    match o.get("after") {
        None => Ok(Time::ZERO),
        Some(Value::String(s)) => Time::parse(s).map_err(|e| format!("measure.after: {e}")),
        Some(_) => Err("measure.after must be a duration such as \"2s\"".into()),
    }
}

impl Measure {
    pub fn parse(v: &Value) -> Result<Measure, String> {
        let o = v.as_object().ok_or("measure must be an object, e.g. {\"count\": \"dead-lettered\"}")?;
        if let Some(counter) = text(o, "which")? {
            return Ok(Measure::Which { counter: Counter::parse(counter).map_err(|e| format!("measure.which: {e}"))? });
        }
        if let Some(lane) = text(o, "lane")? {
            let system = match lane {
                "kafka" => System::Kafka,
                "rabbitmq" => System::Rabbit,
                _ => return Err(format!("measure.lane: \"{lane}\" is not a lane: \"kafka\" or \"rabbitmq\"")),
            };
            let counter =
                text(o, "count")?.ok_or("measure.count must name what the lane counts, e.g. \"duplicates\"")?;
            return Ok(Measure::Lane {
                system,
                counter: Counter::parse(counter).map_err(|e| format!("measure.count: {e}"))?,
            });
        }
        if let Some(event) = text(o, "count")? {
            return match text(o, "per")? {
                Some(per) => Ok(Measure::Per { event: event.into(), per: per.into() }),
                None => Ok(Measure::Count { event: event.into(), after: after(o)? }),
            };
        }
        if let Some(event) = text(o, "distinct")? {
            return Ok(Measure::Distinct { event: event.into(), after: after(o)? });
        }
        if let Some(event) = text(o, "first")? {
            return Ok(Measure::First { event: event.into(), after: after(o)? });
        }
        Err("measure needs one of \"count\", \"distinct\", \"first\", \"which\" or \"lane\"".into())
    }

    /// Measured on a comparison's two lanes, not on one run's events.
    pub fn compares(&self) -> bool {
        matches!(self, Measure::Which { .. } | Measure::Lane { .. })
    }

    /// A comparison measure's value on a finished comparison (`None` for a trace measure).
    pub fn of_comparison(&self, c: &Comparison) -> Option<u64> {
        match *self {
            Measure::Which { counter } => Some(
                u64::from(counter.of(&c.kafka.detector.counts) > 0)
                    + 2 * u64::from(counter.of(&c.rabbit.detector.counts) > 0),
            ),
            Measure::Lane { system: System::Kafka, counter } => Some(counter.of(&c.kafka.detector.counts)),
            Measure::Lane { system: System::Rabbit, counter } => Some(counter.of(&c.rabbit.detector.counts)),
            _ => None,
        }
    }

    /// Folds a run's events into the value (`None`: a `first` that never happened, or a
    /// comparison measure).
    pub fn value<'a>(&self, events: impl IntoIterator<Item = &'a Event>) -> Option<u64> {
        let events = events.into_iter();
        match self {
            Measure::Count { event, after } => {
                Some(events.filter(|e| e.at >= *after && e.type_name() == event).count() as u64)
            }
            Measure::Per { event, per } => {
                let (mut n, mut d) = (0u64, 0u64);
                for e in events {
                    n += u64::from(e.type_name() == event);
                    d += u64::from(e.type_name() == per);
                }
                Some((n + d / 2).checked_div(d).unwrap_or(0))
            }
            Measure::Distinct { event, after } => {
                let mut seen: Vec<NodeId> = Vec::new();
                for e in events.filter(|e| e.at >= *after && e.type_name() == event) {
                    if let Some(n) = e.nodes()[0].filter(|n| !seen.contains(n)) {
                        seen.push(n);
                    }
                }
                Some(seen.len() as u64)
            }
            Measure::First { event, after } => {
                events.filter(|e| e.at >= *after && e.type_name() == event).map(|e| (e.at.0 - after.0) / 1000).next()
            }
            Measure::Which { .. } | Measure::Lane { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_read_and_hold_as_written() {
        assert_eq!(When::parse("= 3"), Ok(When::Eq(3)));
        assert_eq!(When::parse(">0"), Ok(When::Gt(0)));
        assert_eq!(When::parse("2-5"), Ok(When::Range(2, 5)));
        assert!(When::parse("5-2").unwrap_err().contains("empty"));
        assert!(When::parse("lots").unwrap_err().contains("not a condition"));
        assert!(When::parse("> x").unwrap_err().contains("not a whole number"));
        assert!(When::Range(2, 5).holds(Some(5)) && !When::Range(2, 5).holds(Some(6)));
        assert!(When::Never.holds(None) && !When::Gt(0).holds(None) && !When::Never.holds(Some(0)));
    }

    #[test]
    fn measures_read_with_messages_in_words() {
        let m = |s: &str| Measure::parse(&serde_json::from_str(s).unwrap());
        assert_eq!(
            m(r#"{"count":"consumed","per":"received"}"#),
            Ok(Measure::Per { event: "consumed".into(), per: "received".into() })
        );
        assert_eq!(
            m(r#"{"first":"member-removed","after":"2s"}"#),
            Ok(Measure::First { event: "member-removed".into(), after: Time::ms(2000) })
        );
        assert!(m(r#"{"count":3}"#).unwrap_err().contains("event type"));
        assert!(m(r#"{"sum":"x"}"#).unwrap_err().contains("one of"));
        assert_eq!(m(r#"{"which":"out-of-order"}"#), Ok(Measure::Which { counter: Counter::OutOfOrder }));
        assert_eq!(
            m(r#"{"lane":"kafka","count":"duplicates"}"#),
            Ok(Measure::Lane { system: System::Kafka, counter: Counter::Duplicates })
        );
        assert!(m(r#"{"lane":"pulsar","count":"lost"}"#).unwrap_err().contains("not a lane"));
        assert!(m(r#"{"which":"speed"}"#).unwrap_err().contains("measure.which: \"speed\" is not"));
        assert!(m(r#"{"count":"x","after":"soon"}"#).unwrap_err().starts_with("measure.after"));
    }
}
