//! The playground in the browser (wasm only). It reads the engine's world and events and sends
//! commands; it never changes the simulation any other way.
//!
//! - `app`   — the shell: owns the session, turns messages into calls on it (`app/mod.rs`), its
//!   markup (`app/page.rs`: controls, cards, stage, inspector, charts, log, configuration, editor)
//!   and its side of a lesson (`app/lessons.rs`); `?bench=frames` records its own frame times.
//! - `lesson` — the lesson card (question, the run's answer and why, "try this") and progress in
//!   local storage.
//! - `stage` — the topology (SVG) and the messages in flight (one canvas, redrawn per frame).
//! - `stage_lod` — a large Kafka cluster's stage instead: broker tiles, the partition strip, rates.
//! - `walk_card` — the walkthrough card: the doors in, the step on screen, how to go on.
//! - `help` — the help overlay: keyboard shortcuts and terms.
//! - `timeline` — the scrubber under the stage: seek, step back, markers to jump to.
//! - `chart` — the live charts (plotters on canvases) and their panels: throughput, latency, lag, replication.
//! - `groups` — the consumer-group panel (state machine, members, moves, rebalance gaps).
//! - `config` — the Kafka configuration panel (form fields, inline errors).
//! - `calc`  — "which partition does this key go to?" (Kafka's partitioner).
//! - `landing` — the bare URL: what this is, and the doors to Kafka, RabbitMQ, the comparison, the sandbox.
//! - `compare` — `?compare`: Kafka and RabbitMQ side by side on one workload.
//! - `bench` — `?bench`: the engine benchmark run in the page, one frame's chunk at a time.
//! - `rabbit` — the RabbitMQ panel: topology with live stacks, inspectors, routing calculator.
//! - `rabbit_edit` — its topology editor (exchanges, queues, bindings; apply restarts the run).
//! - `ops`   — what operators see: the Kafka tools' output, RabbitMQ's management overview and
//!   queue strip.
//! - `journey` — a message's journey as a sequence diagram (from the log, the partition log, the comparison's lanes).
//! - `inspect` — the inspector: one node (partitions, znodes, a consumer's lag) and its faults.
//! - `run_file` — "Save run" and "Open run…", and opening a file dropped on the page.
//! - `download` — offering text as a file download.
//! - `lang`  — the page's language (URL, this browser's choice, its own), Korean's catalogue
//!   fetched before mounting, and the switch in each header.
//! - `dom`   — the few direct browser calls (clock, URL, history).

mod app;
mod bench;
mod calc;
mod chart;
mod compare;
mod compare_deep;
mod compare_kraft;
mod compare_perf;
mod config;
pub mod dom;
mod download;
mod groups;
mod help;
mod inspect;
mod journey;
mod landing;
pub mod lang;
mod lesson;
mod ops;
mod panels;
mod partition_log;
mod rabbit;
mod rabbit_edit;
mod rabbit_inspect;
mod run_file;
mod stage;
mod stage_lod;
mod stream_log;
mod timeline;
mod walk_card;

pub use app::{App, Props};

/// Mounts the page, in the chosen language once its texts are here: the landing page at the bare
/// URL, the benchmark for `?bench`, the comparison for `?compare` and the comparison lessons,
/// else the playground.
pub fn start() {
    let query = dom::query();
    let params = crate::view::params::parse(&query);
    lang::start(lang::chosen(params.lang), move || mount(&query, params));
}

fn mount(query: &str, params: crate::view::params::Params) {
    let root = dom::document().get_element_by_id("app").expect("index.html has <div id=\"app\">");
    if crate::view::i18n::is_start_page(query) {
        yew::Renderer::<landing::Landing>::with_root(root).render();
    } else if params.bench {
        yew::Renderer::<bench::BenchPage>::with_root(root).render();
    } else if query.trim_start_matches('?').split('&').any(|p| p == "compare")
        || params.lesson.and_then(crate::view::lesson::by_id).is_some_and(|l| l.runs_comparison())
    {
        yew::Renderer::<compare::ComparePage>::with_root(root).render();
    } else {
        yew::Renderer::<App>::with_root_and_props(root, app::Props { params }).render();
    }
}
