//! The configuration panel for a Kafka scenario: a form of text fields, each named by its path in
//! the scenario (`kafka.topics[0].replication_factor`), kept exactly as the user typed it. Building
//! the scenario parses each field, then asks the engine's own `Scenario::validate`; an error comes
//! back with the field it belongs to, so the page shows it next to that field. Nothing panics, and
//! nothing typed is lost: the form only replaces the running scenario when everything is valid.

use crate::i18n::{t, tf};
use brokerlab_engine::kafka::config::AcksSpec;
use brokerlab_engine::{Scenario, Time};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Count,
    Duration,
    Choice(&'static [&'static str]),
}

pub const ACKS: &[&str] = &["0", "1", "all"];
pub const ASSIGNORS: &[&str] = &["range", "roundrobin", "sticky", "cooperative-sticky"];
pub const IDEMPOTENCE: &[&str] = &["default", "true", "false"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The scenario path the engine's messages use (`consumers` is the form's own: the number of
    /// consumers naming the group).
    pub key: String,
    pub label: String,
    pub kind: Kind,
    pub value: String,
    /// Which section it belongs to, e.g. `topic orders`.
    pub section: String,
}

/// A field's problem: `key` (None: the scenario as a whole) and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub key: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Form {
    pub fields: Vec<Field>,
}

fn acks_text(a: AcksSpec) -> &'static str {
    match a {
        AcksSpec::Zero => "0",
        AcksSpec::One => "1",
        AcksSpec::All => "all",
    }
}

impl Form {
    /// The form for a scenario's Kafka section (empty without one).
    pub fn from_scenario(s: &Scenario) -> Form {
        let mut fields = vec![];
        let Some(k) = &s.kafka else { return Form::default() };
        let mut add = |section: &str, key: String, label: &str, kind: Kind, value: String| {
            fields.push(Field { key, label: label.into(), kind, value, section: section.into() })
        };
        add("cluster", "kafka.brokers".into(), "brokers", Kind::Count, k.brokers.to_string());
        for (i, t) in k.topics.iter().enumerate() {
            let sec = tf("topic {0}", &[&t.name]);
            let key = |f: &str| format!("kafka.topics[{i}].{f}");
            add(&sec, key("partitions"), "partitions", Kind::Count, t.partitions.to_string());
            add(
                &sec,
                key("replication_factor"),
                crate::i18n::t("replication factor"),
                Kind::Count,
                t.replication_factor.to_string(),
            );
            add(
                &sec,
                key("min_insync_replicas"),
                "min.insync.replicas",
                Kind::Count,
                t.min_insync_replicas.to_string(),
            );
        }
        for (i, p) in k.producers.iter().enumerate() {
            let sec = tf("producer {0}", &[&p.id]);
            let key = |f: &str| format!("kafka.producers[{i}].{f}");
            add(&sec, key("interval"), t("one record every"), Kind::Duration, p.interval.to_string());
            add(&sec, key("keys"), t("distinct keys (0: none)"), Kind::Count, p.keys.to_string());
            add(&sec, key("acks"), "acks", Kind::Choice(ACKS), acks_text(p.acks).into());
            add(&sec, key("linger"), "linger.ms", Kind::Duration, p.linger.to_string());
            let idem = p.enable_idempotence.map_or("default", |b| if b { "true" } else { "false" });
            add(&sec, key("enable_idempotence"), "enable.idempotence", Kind::Choice(IDEMPOTENCE), idem.into());
        }
        for (i, g) in k.groups.iter().enumerate() {
            let sec = tf("group {0}", &[&g.id]);
            let key = |f: &str| format!("kafka.groups[{i}].{f}");
            // The count resizes the group's consumers; a group of processors (exactly-once
            // applications) has none, and "consumers 0" would say it is empty: no count there.
            if !k.processors.iter().any(|p| p.group == g.id) {
                let members = k.consumers.iter().filter(|c| c.group.as_ref() == Some(&g.id)).count();
                add(&sec, key("consumers"), "consumers", Kind::Count, members.to_string());
            }
            add(&sec, key("assignor"), "assignor", Kind::Choice(ASSIGNORS), g.assignor.clone());
            add(&sec, key("session_timeout"), "session.timeout.ms", Kind::Duration, g.session_timeout.to_string());
        }
        Form { fields }
    }

    /// Records what the user typed into a field (unknown keys are ignored).
    pub fn set(&mut self, key: &str, value: String) {
        if let Some(f) = self.fields.iter_mut().find(|f| f.key == key) {
            f.value = value;
        }
    }

    pub fn value(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|f| f.key == key).map(|f| f.value.as_str())
    }

    /// The scenario these values describe, validated by the engine; or the first problem, placed
    /// at its field.
    pub fn build(&self, base: &Scenario) -> Result<Scenario, Problem> {
        let mut s = base.clone();
        let Some(k) = s.kafka.as_mut() else {
            return Err(Problem { key: None, message: t("this scenario has no Kafka cluster to configure").into() });
        };
        let mut consumers_wanted: Vec<(usize, u32)> = vec![];
        for f in &self.fields {
            let at = |message: String| Problem { key: Some(f.key.clone()), message };
            let v = f.value.trim();
            let count = || {
                v.parse::<u32>().map_err(|_| match v.parse::<u64>() {
                    Ok(_) => at(tf("{0} is too large (at most {1})", &[&shorten(v), &u32::MAX])),
                    Err(_) => at(tf("\"{0}\" is not a whole number ≥ 0", &[&shorten(v)])),
                })
            };
            // A bare number is milliseconds, as Kafka's own names say (linger.ms, session.timeout.ms).
            let duration = || match v.parse::<u64>() {
                Ok(ms) if ms <= u64::MAX / 1_000_000 => Ok(Time::ms(ms)),
                _ => Time::parse(v)
                    .map_err(|e| at(tf("{0} (e.g. 250us, 50ms, 2s; a bare number is milliseconds)", &[&e]))),
            };
            let (section, field) = split_key(&f.key);
            match (section, field) {
                (Section::Cluster, "brokers") => k.brokers = count()?,
                (Section::Topic(i), field) => {
                    let t = k.topics.get_mut(i).ok_or_else(|| at(t("no such topic").into()))?;
                    match field {
                        "partitions" => t.partitions = count()?,
                        "replication_factor" => t.replication_factor = count()?,
                        _ => t.min_insync_replicas = count()?,
                    }
                }
                (Section::Producer(i), field) => {
                    let p = k.producers.get_mut(i).ok_or_else(|| at(t("no such producer").into()))?;
                    match field {
                        "interval" => p.interval = duration()?,
                        "keys" => p.keys = count()?,
                        "linger" => p.linger = duration()?,
                        "acks" => {
                            p.acks = match v {
                                "0" => AcksSpec::Zero,
                                "1" => AcksSpec::One,
                                "all" | "-1" => AcksSpec::All,
                                _ => return Err(at(tf("\"{0}\": acks is 0, 1 or all", &[&shorten(v)]))),
                            }
                        }
                        _ => {
                            p.enable_idempotence = match v {
                                "true" => Some(true),
                                "false" => Some(false),
                                "default" | "" => None,
                                _ => return Err(at(tf("\"{0}\": true, false or default", &[&shorten(v)]))),
                            }
                        }
                    }
                }
                (Section::Group(i), field) => {
                    let g = k.groups.get_mut(i).ok_or_else(|| at(t("no such group").into()))?;
                    match field {
                        "consumers" => {
                            let n = count()?;
                            if n > 32 {
                                return Err(at(t("at most 32 consumers per group here").into()));
                            }
                            consumers_wanted.push((i, n));
                        }
                        "assignor" => g.assignor = v.to_string(),
                        _ => g.session_timeout = duration()?,
                    }
                }
                _ => return Err(at(t("unknown field").into())),
            }
        }
        for (i, n) in consumers_wanted {
            resize_group(&mut s, i, n as usize);
        }
        s.validate().map_err(|message| Problem { key: self.field_for(&message), message })?;
        Ok(s)
    }

    /// The field an engine message names (`kafka.topics[0].partitions: must be …`), if it is one
    /// of the form's.
    fn field_for(&self, message: &str) -> Option<String> {
        let path = message.split(':').next().unwrap_or("");
        self.fields.iter().find(|f| f.key == path).map(|f| f.key.clone())
    }
}

enum Section {
    Cluster,
    Topic(usize),
    Producer(usize),
    Group(usize),
    Other,
}

/// `kafka.topics[2].partitions` → (Topic(2), "partitions").
fn split_key(key: &str) -> (Section, &str) {
    let rest = key.strip_prefix("kafka.").unwrap_or(key);
    let Some((head, field)) = rest.split_once('.') else { return (Section::Cluster, rest) };
    let index = |name: &str| head.strip_prefix(name).and_then(|r| r.strip_prefix('[')?.strip_suffix(']')?.parse().ok());
    let section = if let Some(i) = index("topics") {
        Section::Topic(i)
    } else if let Some(i) = index("producers") {
        Section::Producer(i)
    } else if let Some(i) = index("groups") {
        Section::Group(i)
    } else {
        Section::Other
    };
    (section, field)
}

/// Gives group `i` exactly `n` consumers: keeps the first `n` of its own, adds new ones named
/// after the group, drops the rest (and the faults that name them).
fn resize_group(s: &mut Scenario, i: usize, n: usize) {
    let names = s.node_names();
    let Some(k) = s.kafka.as_mut() else { return };
    let Some(g) = k.groups.get(i) else { return };
    let id = g.id.clone();
    let topic = k
        .consumers
        .iter()
        .find(|c| c.group.as_ref() == Some(&id))
        .map_or_else(|| k.topics[0].name.clone(), |c| c.topic.clone());
    let mine: Vec<usize> = (0..k.consumers.len()).filter(|&c| k.consumers[c].group.as_ref() == Some(&id)).collect();
    let removed: Vec<String> = mine.iter().skip(n).map(|&c| k.consumers[c].id.clone()).collect();
    k.consumers.retain(|c| !removed.contains(&c.id));
    let prefix: String = id.chars().filter(|c| c.is_ascii_alphanumeric()).take(8).collect();
    let prefix = if prefix.is_empty() { "c".to_string() } else { prefix };
    let mut next = 1;
    for _ in mine.len()..n {
        let name = loop {
            let candidate = format!("{prefix}-{next}");
            next += 1;
            if !names.contains(&candidate) && !k.consumers.iter().any(|c| c.id == candidate) {
                break candidate;
            }
        };
        // A copy of a consumer of the group (or of any consumer), so every setting consumers have
        // keeps its value; with no consumer at all there is nothing to copy and the count stays.
        let Some(mut c) = k.consumers.iter().find(|c| c.group.as_ref() == Some(&id)).or(k.consumers.first()).cloned()
        else {
            break;
        };
        c.id = name;
        c.topic = topic.clone();
        c.group = Some(id.clone());
        c.stopped = false;
        k.consumers.push(c);
    }
    s.faults.retain(|f| f.command.nodes().iter().all(|n| !removed.contains(n)));
}

fn shorten(s: &str) -> String {
    super::params::shorten_to(s, 20)
}

#[cfg(test)]
mod tests {
    use super::*;
    use brokerlab_engine::presets;

    fn groups() -> (Scenario, Form) {
        let s = presets::load("kafka-groups").unwrap();
        let f = Form::from_scenario(&s);
        (s, f)
    }

    #[test]
    fn the_form_round_trips_a_preset() {
        let (s, f) = groups();
        assert_eq!(f.value("kafka.brokers"), Some("3"));
        assert_eq!(f.value("kafka.topics[0].replication_factor"), Some("3"));
        assert_eq!(f.value("kafka.groups[0].consumers"), Some("4"));
        assert_eq!(f.build(&s), Ok(s.clone()), "unchanged values give the same scenario");
        assert!(Form::from_scenario(&presets::load("relay-basic").unwrap()).fields.is_empty());
    }

    /// A group of processors shows no consumer count (it has no consumers, and its members are not
    /// "0"); the form still round-trips the preset.
    #[test]
    fn a_group_of_processors_has_no_consumer_count() {
        let s = presets::load("kafka-exactly-once").unwrap();
        let f = Form::from_scenario(&s);
        let k = s.kafka.as_ref().unwrap();
        let i =
            k.groups.iter().position(|g| k.processors.iter().any(|p| p.group == g.id)).expect("a processors' group");
        assert_eq!(f.value(&format!("kafka.groups[{i}].consumers")), None);
        assert!(f.value(&format!("kafka.groups[{i}].assignor")).is_some());
        assert_eq!(f.build(&s), Ok(s.clone()));
    }

    #[test]
    fn invalid_values_are_placed_at_their_field_and_kept() {
        let (s, mut f) = groups();
        f.set("kafka.topics[0].replication_factor", "5".into());
        let p = f.build(&s).unwrap_err();
        assert_eq!(p.key.as_deref(), Some("kafka.topics[0].replication_factor"));
        assert!(p.message.contains("must be from 1 to the number of brokers (3)"), "{}", p.message);
        assert_eq!(f.value("kafka.topics[0].replication_factor"), Some("5"), "what was typed stays");

        f.set("kafka.topics[0].replication_factor", "3".into());
        f.set("kafka.producers[0].interval", "fast".into());
        let p = f.build(&s).unwrap_err();
        assert_eq!(p.key.as_deref(), Some("kafka.producers[0].interval"));
        f.set("kafka.producers[0].interval", "20ms".into());
        f.set("kafka.brokers", "-1".into());
        assert_eq!(f.build(&s).unwrap_err().key.as_deref(), Some("kafka.brokers"));
        f.set("kafka.brokers", "51".into());
        assert!(f.build(&s).unwrap_err().message.contains("kafka.brokers: must be from 1 to 50"));
        f.set("kafka.brokers", "3".into());
        f.set("kafka.groups[0].assignor", "fastest".into());
        assert_eq!(f.build(&s).unwrap_err().key.as_deref(), Some("kafka.groups[0].assignor"));
        f.set("kafka.groups[0].assignor", "roundrobin".into());
        f.set("kafka.producers[0].acks", "2".into());
        assert_eq!(f.build(&s).unwrap_err().key.as_deref(), Some("kafka.producers[0].acks"));
        f.set("kafka.producers[0].acks", "1".into());
        f.set("kafka.topics[0].partitions", "99999999999".into());
        assert!(f.build(&s).unwrap_err().message.contains("99999999999 is too large (at most 4294967295)"));
        f.set("kafka.topics[0].partitions", "6".into());
        // linger.ms and session.timeout.ms take Kafka's bare milliseconds too.
        f.set("kafka.producers[0].linger", "50".into());
        f.set("kafka.groups[0].session_timeout", "10000".into());
        let ok = f.build(&s).unwrap();
        let k = ok.kafka.unwrap();
        assert_eq!((k.producers[0].linger, k.groups[0].session_timeout), (Time::ms(50), Time::secs(10)));
        assert_eq!(k.producers[0].interval, Time::ms(20));
        assert_eq!(k.groups[0].assignor, "roundrobin");
        assert_eq!(k.producers[0].acks, AcksSpec::One);
    }

    #[test]
    fn the_number_of_consumers_adds_and_removes_members() {
        let (s, mut f) = groups();
        f.set("kafka.groups[0].consumers", "6".into());
        let more = f.build(&s).unwrap();
        let k = more.kafka.as_ref().unwrap();
        assert_eq!(k.consumers.len(), 6);
        assert!(k.consumers.iter().all(|c| c.group.as_deref() == Some("notification-service")));
        f.set("kafka.groups[0].consumers", "1".into());
        let fewer = f.build(&s).unwrap();
        assert_eq!(fewer.kafka.as_ref().unwrap().consumers.len(), 1);
        assert!(
            fewer.faults.iter().all(|x| x.command.nodes().iter().all(|n| *n == "n1")),
            "faults on removed consumers go"
        );
        f.set("kafka.groups[0].consumers", "many".into());
        assert_eq!(f.build(&s).unwrap_err().key.as_deref(), Some("kafka.groups[0].consumers"));
    }
}
