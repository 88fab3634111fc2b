//! View models: what the playground shows, folded from the engine's world and events. Pure Rust
//! with no web dependency, so it is unit-tested natively; `ui` only draws these.
//!
//! - `layout`  — where each node sits on the stage.
//! - `flights` — messages in the air, and recent losses, for the animation.
//! - `series`  — bounded rate series for the live charts.
//! - `speed`   — the speed ladder (slow motion to ×1000).
//! - `params`  — the page's URL parameters, validated.
//! - `partition_log` — one Kafka partition, replica by replica, as strips of offsets with HW, LEO
//!   and the readers' positions and committed offsets.
//! - `link`    — the command log and instant in the URL (`log=`, `t=`), so a link replays the run.
//! - `run_file` — a saved run (scenario, seed, actions with their steps, the instant shown) as a
//!   versioned JSON file: the page saves and opens it, `brokerlab run FILE` replays it.
//! - `json_edit` — dotted-path edits of JSON: set one, or the edits from one value to another.
//! - `link_scenario` — an edited scenario in the URL (`scenario=`, base64url JSON), validated on the way in.
//! - `lesson`  — lessons as data (`lessons/*.json`): the question, the trace fact that settles it
//!   (`lesson/measure.rs`: the run's events, or the comparison's two lanes), variations; a lesson
//!   on the stage or the comparison page (`lesson/run.rs`); progress.
//! - `groups`  — consumer groups from events: state machine, owners, moves, rebalance gaps.
//! - `kafka`   — consumer positions, commits and lag, group lag, replication health, from the world.
//! - `kafka_lod` — a large Kafka cluster's stage (> 9 brokers or > 64 partitions): broker tiles
//!   with counts and heat, every partition in one strip by state, traffic as rates.
//! - `i18n`    — the page in English or Korean: `t("English")` looks its translation up in the
//!   catalogue the page fetched (`i18n/ko/*.txt`).
//! - `glossary` — one-sentence explanations of each system's terms (Kafka, RabbitMQ, the
//!   comparison), for tooltips and the help.
//! - `journey` — a message's journey as a sequence diagram, scanned on demand from the run's replay.
//! - `walk`    — the guided walkthrough: recognises the steps of a record's journey from events.
//!   (`walk/mod.rs` the stepper; `walk/kafka.rs`, `walk/rabbit.rs` each model's script)
//! - `compare` — the side-by-side page: chips, violations, both topologies laid out alike.
//! - `compare_link` — the side-by-side page's story, seed and edited workload in its address.
//! - `rabbit`  — the RabbitMQ panel: topology columns, live counts, inspector rows, routing calculator.
//! - `rabbit_flow` — messages moving along their RabbitMQ routes, hop by hop, from events.
//! - `resources` — the brokers' CPU, disk and memory gauges, blocked publishers, paging queues.
//! - `rabbit_edit` — the RabbitMQ topology editor's draft: rows, removal rules, engine validation.
//! - `export`  — the way out to real brokers: docker-compose files, kafka-topics.sh commands and client
//!   properties for Kafka, definitions.json for RabbitMQ (and its import into the topology editor).
//! - `config`  — the Kafka configuration form: typed values kept, validated by the engine, errors per field.
//! - `session` — one run on the page: simulation, speed and frame budget, walkthrough, every view model.
//! - `timeline` — the run played so far: snapshots to seek back and forth in, markers, forks.
//! - `event_log` — the log panel's lines: bounded, filtered, each with the nodes it concerns.
//! - `plugin`  — each model's view (stage links, inspector, its own faults) and each system's page
//!   facts (hint, note, walkthroughs, charts): the one place the page branches on the model.

pub mod compare;
pub mod compare_link;
pub mod config;
pub mod event_log;
pub mod export;
pub mod flights;
pub mod glossary;
pub mod groups;
pub mod i18n;
pub mod journey;
pub mod json_edit;
pub mod kafka;
pub mod kafka_lod;
pub mod kafka_tools;
pub mod kraft;
pub mod layout;
pub mod lesson;
pub mod link;
pub mod link_scenario;
pub mod params;
pub mod partition_log;
pub mod plugin;
pub mod rabbit;
pub mod rabbit_edit;
pub mod rabbit_flow;
pub mod rack;
pub mod resources;
pub mod run_file;
pub mod series;
pub mod session;
pub mod speed;
pub mod timeline;
pub mod walk;
