//! The way out to real brokers: a scenario exported as the files a user would run for real, and a
//! RabbitMQ `definitions.json` imported back into the topology editor. Pure functions of the
//! scenario, natively tested; the page offers each file as a download and the CLI prints it
//! (`brokerlab export`).
//!
//! - Kafka (`kafka_compose`, `kafka_clients`): a `docker-compose.yml` for a KRaft cluster (Kafka 4,
//!   `apache/kafka`) and one for ZooKeeper + Kafka (Confluent's `cp-zookeeper` / `cp-kafka` 7.9,
//!   Kafka 3.9, the last line with ZooKeeper), the `kafka-topics.sh --create` commands, and one
//!   client `.properties` file per producer and per consumer group. Every configuration name they
//!   write is in `kafka_config_names.txt` (with its source); a test checks it.
//! - RabbitMQ (`rabbit_defs`): `definitions.json` as `rabbitmqctl import_definitions` reads it
//!   (vhost "/"), and its import (`rabbit_import`) into the editor's draft.
//!
//! What a file cannot express (the simulated network and its faults, the clients' pacing, a
//! setting with no real name) is said in a comment in that file, never dropped silently. JSON has
//! no comments: `definitions.json` carries its notes under a top-level `"brokerlab"` key, which
//! RabbitMQ's import ignores (checked against a real RabbitMQ 3.10 by `tests/real_rabbitmq.sh`).

mod kafka_clients;
mod kafka_compose;
#[cfg(test)]
mod kafka_names;
mod rabbit_defs;
mod rabbit_import;

pub use rabbit_import::{import_definitions, scenario_from_definitions, ImportReport, Imported, MAX_IMPORT_BYTES};

use brokerlab_engine::{Scenario, Time};

/// What can be exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    ComposeKraft,
    ComposeZookeeper,
    Topics,
    ClientProperties,
    Definitions,
}

pub const FORMATS: [Format; 5] =
    [Format::ComposeKraft, Format::ComposeZookeeper, Format::Topics, Format::ClientProperties, Format::Definitions];

impl Format {
    /// The name the CLI takes (`--format`).
    pub fn slug(self) -> &'static str {
        match self {
            Format::ComposeKraft => "compose-kraft",
            Format::ComposeZookeeper => "compose-zookeeper",
            Format::Topics => "topics",
            Format::ClientProperties => "client-properties",
            Format::Definitions => "definitions",
        }
    }

    pub fn parse(slug: &str) -> Result<Format, String> {
        FORMATS.into_iter().find(|f| f.slug() == slug).ok_or_else(|| {
            let all: Vec<&str> = FORMATS.iter().map(|f| f.slug()).collect();
            format!("`{slug}` is not a format: {}", all.join(", "))
        })
    }

    /// What the page's button says.
    pub fn label(self) -> &'static str {
        match self {
            Format::ComposeKraft => "docker-compose.yml (KRaft, Kafka 4)",
            Format::ComposeZookeeper => "docker-compose.yml (ZooKeeper + Kafka 3.9)",
            Format::Topics => "kafka-topics.sh commands",
            Format::ClientProperties => "client .properties",
            Format::Definitions => "definitions.json",
        }
    }
}

/// One exported file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub name: String,
    /// The MIME type the page's download gives it.
    pub mime: &'static str,
    pub content: String,
}

/// The formats that apply to `scenario`: the Kafka ones for a Kafka section, `definitions` for a
/// RabbitMQ one (a scenario of the relay model has none).
pub fn formats_for(scenario: &Scenario) -> Vec<Format> {
    let mut out = Vec::new();
    if scenario.kafka.is_some() {
        out.extend([Format::ComposeKraft, Format::ComposeZookeeper, Format::Topics, Format::ClientProperties]);
    }
    if scenario.rabbit.is_some() {
        out.push(Format::Definitions);
    }
    out
}

/// The files `export` would write, by name, without writing them (what the page's buttons say).
pub fn file_names(scenario: &Scenario, format: Format) -> Vec<String> {
    match (format, &scenario.kafka) {
        (Format::ClientProperties, Some(kafka)) => kafka_clients::property_file_names(kafka),
        (Format::Topics, Some(_)) => vec!["create-topics.sh".into()],
        (Format::Definitions, _) if scenario.rabbit.is_some() => vec!["definitions.json".into()],
        (Format::ComposeKraft | Format::ComposeZookeeper, Some(_)) => vec!["docker-compose.yml".into()],
        _ => vec![],
    }
}

/// `scenario` as `format`: one file, or one per client for `client-properties`.
pub fn export(scenario: &Scenario, format: Format) -> Result<Vec<File>, String> {
    let missing = |what: &str| {
        format!("{} exports a {what} scenario; \"{}\" has no {what} section", format.slug(), scenario.name)
    };
    match format {
        Format::Definitions => {
            let rabbit = scenario.rabbit.as_ref().ok_or_else(|| missing("RabbitMQ"))?;
            Ok(vec![File {
                name: "definitions.json".into(),
                mime: "application/json",
                content: rabbit_defs::definitions(scenario, rabbit),
            }])
        }
        _ => {
            let kafka = scenario.kafka.as_ref().ok_or_else(|| missing("Kafka"))?;
            Ok(match format {
                Format::ComposeKraft => vec![yaml("docker-compose.yml", kafka_compose::kraft(scenario, kafka))],
                Format::ComposeZookeeper => vec![yaml("docker-compose.yml", kafka_compose::zookeeper(scenario, kafka))],
                Format::Topics => vec![File {
                    name: "create-topics.sh".into(),
                    mime: "text/x-shellscript",
                    content: kafka_clients::topics(scenario, kafka),
                }],
                _ => kafka_clients::properties(scenario, kafka),
            })
        }
    }
}

fn yaml(name: &str, content: String) -> File {
    File { name: name.into(), mime: "application/yaml", content }
}

/// A duration as Kafka's `*.ms` settings take it: whole milliseconds, rounded up from the
/// model's microseconds (a setting of 0 ms would mean something else, e.g. no wait at all).
fn ms(t: Time) -> u64 {
    t.0.div_ceil(1000)
}

/// `# …` comment lines for what the scenario has that no exported file can hold: the simulated
/// network and the scheduled faults. Shared by every text format (YAML, shell, properties).
fn simulation_notes(scenario: &Scenario) -> Vec<String> {
    let n = &scenario.network;
    let mut out = vec![format!(
        "The simulated network has no equivalent here: links of {} latency (+ up to {} jitter){}{}; a real network is what it is.",
        n.latency,
        n.jitter,
        if n.loss_ppm > 0 { format!(", {} ppm packet loss (resent by TCP)", n.loss_ppm) } else { String::new() },
        if n.links.is_empty() { String::new() } else { format!(", {} per-link overrides", n.links.len()) },
    )];
    if !scenario.faults.is_empty() {
        out.push("The scenario's scheduled faults are not in this file; cause them by hand (e.g. `docker compose stop SERVICE`, `docker compose start SERVICE`, `docker network disconnect`):".into());
        for f in &scenario.faults {
            out.push(format!("  {}", serde_json::to_string(f).unwrap_or_default()));
        }
    }
    out
}

/// `lines` as `#` comments, each line prefixed with `indent`.
fn comments(lines: &[String], indent: &str) -> String {
    lines.iter().map(|l| format!("{indent}# {l}\n")).collect()
}

#[cfg(test)]
mod tests;
